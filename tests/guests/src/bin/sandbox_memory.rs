//! `sandbox_memory memory|table`: `memory` allocates 16 MiB at a time
//! (`try_reserve`, so a refusal is an error, not an abort) up to 4 GiB and
//! prints `reached N MiB`; `table` makes pollables without dropping them
//! until the host refuses (a trap), printing progress.
use wasock::poll::Subscription;
use wasock::{Family, Interest, Protocol, Socket, SocketType};

fn main() {
    match std::env::args().nth(1).as_deref() {
        Some("memory") => {
            let mut blocks: Vec<Vec<u8>> = Vec::new();
            let mut mib = 0usize;
            while mib < 4096 {
                let mut block = Vec::new();
                if block.try_reserve_exact(16 << 20).is_err() {
                    break;
                }
                block.resize(16 << 20, 1);
                blocks.push(block);
                mib += 16;
            }
            println!("reached {mib} MiB");
        }
        Some("table") => {
            let s = Socket::new(Family::Inet, SocketType::Dgram, Protocol::DEFAULT).unwrap_or_else(
                |e| {
                    eprintln!("sandbox_memory: socket: {e}");
                    std::process::exit(1)
                },
            );
            let mut held = Vec::new();
            for i in 0..10_000_000usize {
                held.push(Subscription::new(&s, Interest::READABLE));
                if i % 100_000 == 0 {
                    println!("pollables {i}");
                }
            }
            println!("table unbounded");
        }
        _ => {
            eprintln!("usage: sandbox_memory memory|table");
            std::process::exit(2);
        }
    }
}
