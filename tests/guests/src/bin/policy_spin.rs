//! `policy_spin SECONDS`: computes without calling the host (but for a clock
//! read every few million steps) until SECONDS have passed, then prints
//! `spun`. The host must still give other guests their turn meanwhile.
use std::time::{Duration, Instant};

fn main() {
    let seconds: u64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1);
    let start = Instant::now();
    let mut state = 0x2545_f491_4f6c_dd1du64;
    while start.elapsed() < Duration::from_secs(seconds) {
        for _ in 0..(1u32 << 22) {
            // xorshift: work the optimiser cannot remove.
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
        }
        std::hint::black_box(state);
    }
    println!("spun");
}
