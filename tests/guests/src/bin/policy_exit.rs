//! `policy_exit CODE`: exits with CODE through `std::process::exit` (0
//! returns normally from main instead).
fn main() {
    let code: i32 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(0);
    println!("exiting with {code}");
    if code != 0 {
        std::process::exit(code);
    }
}
