//! `host_parked_receive ADDR`: connects to ADDR, says `parked\n`, then waits
//! in one `receive` (30 s timeout) for the peer's `release\n` and prints
//! `released`.
//!
//! Used by an in-process test: while this guest is parked in
//! `receive`, another guest in the same engine and on the same thread must
//! keep running; the peer releases this one only after the other finished.

use std::process::exit;
use std::time::Duration;

use wasock::{Protocol, RecvFlags, RecvOptions, SockAddr, Socket, SocketType};

fn fail(what: &str, error: impl std::fmt::Display) -> ! {
    eprintln!("host_parked_receive: {what}: {error}");
    exit(1)
}

fn main() {
    let Some(address) = std::env::args().nth(1) else {
        fail("usage", "host_parked_receive ADDR")
    };
    let address: SockAddr = address.parse().unwrap_or_else(|e| fail("address", e));
    let socket = Socket::new(address.family(), SocketType::Stream, Protocol::DEFAULT)
        .unwrap_or_else(|e| fail("socket", e));
    socket
        .connect(&address)
        .unwrap_or_else(|e| fail("connect", e));
    socket
        .send_all(b"parked\n")
        .unwrap_or_else(|e| fail("send", e));
    let release = b"release\n";
    let got = socket
        .receive_with(
            release.len(),
            RecvOptions::new()
                .flags(RecvFlags::WAIT_ALL)
                .timeout(Some(Duration::from_secs(30))),
        )
        .unwrap_or_else(|e| fail("receive", e));
    if got != release {
        fail(
            "receive",
            format!("expected release, got {:?}", String::from_utf8_lossy(&got)),
        );
    }
    println!("released");
}
