//! `fault_connect ADDR TIMEOUT_MS`: one connect to ADDR with that timeout
//! (0: none); prints `connect: ok` or `connect: class/code (message)` and
//! exits 0 either way. Needs `--allow-connect ADDR`.

use std::time::Duration;

use wasock::{Family, Protocol, SockAddr, Socket, SocketType};

fn fail(what: &str, e: impl std::fmt::Display) -> ! {
    eprintln!("fault_connect: {what}: {e}");
    std::process::exit(1)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 3 {
        fail("usage", "fault_connect ADDR TIMEOUT_MS");
    }
    let target: SockAddr = args[1].parse().unwrap_or_else(|e| fail("address", e));
    let ms: u64 = args[2].parse().unwrap_or_else(|e| fail("timeout", e));
    let timeout = (ms > 0).then(|| Duration::from_millis(ms));
    let family = target.family();
    let socket = Socket::new(family, SocketType::Stream, Protocol::DEFAULT)
        .unwrap_or_else(|e| fail("socket", e));
    match socket.connect_timeout(&target, timeout) {
        Ok(()) => println!("connect: ok"),
        Err(e) => println!(
            "connect: {}/{} ({})",
            e.class(),
            e.code().as_str(),
            e.message()
        ),
    }
    // Still running: the socket can be closed and a new one made.
    socket.close_quietly();
    Socket::new(Family::Inet, SocketType::Stream, Protocol::DEFAULT)
        .unwrap_or_else(|e| fail("socket after", e));
    println!("fault connect done");
}
