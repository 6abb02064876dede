//! `sandbox_flood COUNT`: COUNT refused operations whose text the guest
//! chooses: unix paths with terminal escapes, a newline and a forged
//! `wasock:` line, 4000 bytes long. Prints `flood done`.
use wasock::{Family, Protocol, SockAddr, Socket, SocketType};

fn main() {
    let count: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1);
    let evil = format!(
        "/nowhere/\u{1b}[2J\u{1b}[31mred\nwasock: forged line\r{}",
        "x".repeat(4000)
    );
    let Ok(s) = Socket::new(Family::Unix, SocketType::Stream, Protocol::DEFAULT) else {
        eprintln!("sandbox_flood: socket");
        std::process::exit(1);
    };
    for _ in 0..count {
        let _ = s.bind(&SockAddr::unix(evil.clone()));
    }
    println!("flood done");
}
