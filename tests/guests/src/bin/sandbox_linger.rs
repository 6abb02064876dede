//! `sandbox_linger ADDR COUNT`: connects COUNT sockets to a peer at ADDR
//! that never reads, fills each one's send buffer, sets a long linger and
//! drops it (so each close lingers with data unsent). Prints
//! `after drops: RESULT` for a new socket right after, then
//! `slot back after MS ms` once a new socket can be made again (within
//! 20 s) or `no slot back`.
use std::time::{Duration, Instant};

use wasock::{Family, Protocol, SendFlags, SockAddr, Socket, SocketType};

fn fail(what: &str, e: impl std::fmt::Display) -> ! {
    eprintln!("sandbox_linger: {what}: {e}");
    std::process::exit(1)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let peer: SockAddr = args
        .first()
        .and_then(|a| a.parse().ok())
        .unwrap_or_else(|| fail("usage", "sandbox_linger ADDR COUNT"));
    let count: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(1);
    let chunk = vec![0x5a; 64 * 1024];
    for i in 0..count {
        let s = Socket::new(Family::Inet, SocketType::Stream, Protocol::DEFAULT)
            .unwrap_or_else(|e| fail(&format!("socket {i}"), e));
        // A small buffer: little kernel memory per lingering socket.
        s.set_send_buffer_size(16 * 1024)
            .unwrap_or_else(|e| fail("send buffer", e));
        s.connect(&peer).unwrap_or_else(|e| fail("connect", e));
        let mut sent = 0usize;
        // Bounded: a send buffer is at most a few MiB.
        while sent < 64 << 20 {
            match s.send_with(&chunk, SendFlags::DONT_WAIT) {
                Ok(n) => sent += n,
                Err(e) if e.is_transient() => break,
                Err(e) => fail("send", e),
            }
        }
        s.set_linger(Some(Duration::from_secs(30)))
            .unwrap_or_else(|e| fail("linger", e));
        drop(s);
    }
    match Socket::new(Family::Inet, SocketType::Stream, Protocol::DEFAULT) {
        Ok(_) => println!("after drops: ok"),
        Err(e) => println!("after drops: {}", e.code().as_str()),
    }
    println!("dropped {count}");
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(20) {
        if Socket::new(Family::Inet, SocketType::Stream, Protocol::DEFAULT).is_ok() {
            println!("slot back after {} ms", start.elapsed().as_millis());
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    println!("no slot back");
}
