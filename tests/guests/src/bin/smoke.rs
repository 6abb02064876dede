//! The smallest guest: proves the guest build and the host run a component.
fn main() {
    println!("hello from a wasock guest");
}
