//! `policy_trap`: panics, which in a wasm guest aborts: a trap the host must
//! turn into a non-zero exit with the trap's message.
fn main() {
    println!("about to trap");
    panic!("policy_trap: deliberate panic");
}
