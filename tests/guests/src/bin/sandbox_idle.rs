//! `sandbox_idle MS`: prints `idle`, then sleeps MS milliseconds (so a test
//! can look at the host process while a guest runs) and exits.
fn main() {
    let ms: u64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1000);
    println!("idle");
    std::thread::sleep(std::time::Duration::from_millis(ms.min(60_000)));
}
