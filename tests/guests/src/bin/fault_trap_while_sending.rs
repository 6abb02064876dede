//! `fault_trap_while_sending ADDR [hold]`: connects to ADDR (a native peer
//! that does not read yet), sends without waiting until the socket's
//! buffers are full, prints `buffers full BYTES`, then traps
//! (`std::process::abort`) with the data in flight; with `hold` it blocks
//! in a long receive instead, to be killed from outside. Needs
//! `--allow-connect ADDR`.

use std::time::Duration;

use wasock::{ErrorCode, Family, Protocol, RecvOptions, SendFlags, SockAddr, Socket, SocketType};

fn fail(what: &str, e: impl std::fmt::Display) -> ! {
    eprintln!("fault_trap_while_sending: {what}: {e}");
    std::process::exit(1)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let Some(target) = args.get(1) else {
        fail("usage", "fault_trap_while_sending ADDR [hold]")
    };
    let target: SockAddr = target.parse().unwrap_or_else(|e| fail("address", e));
    let socket = Socket::new(Family::Inet, SocketType::Stream, Protocol::DEFAULT)
        .unwrap_or_else(|e| fail("socket", e));
    socket
        .connect(&target)
        .unwrap_or_else(|e| fail("connect", e));
    let chunk = vec![0xab_u8; 64 * 1024];
    let mut sent = 0usize;
    // Bounded: loopback buffers hold a few MiB at most.
    for _ in 0..100_000 {
        match socket.send_with(&chunk, SendFlags::DONT_WAIT) {
            Ok(n) => sent += n,
            Err(e) if e.code() == ErrorCode::WouldBlock => break,
            Err(e) => fail("send", e),
        }
    }
    println!("buffers full {sent}");
    if args.get(2).map(String::as_str) == Some("hold") {
        let _ = socket.receive_with(
            16,
            RecvOptions::new().timeout(Some(Duration::from_secs(120))),
        );
        fail("hold", "was not killed within 120 s");
    }
    std::process::abort();
}
