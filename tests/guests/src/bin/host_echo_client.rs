//! `host_echo_client ADDR COUNT`: connects to a native echo server at ADDR,
//! sends COUNT numbered messages one at a time and checks each echo comes
//! back whole; prints `echoed COUNT` on success.
//!
//! Run by an end-to-end test through the `wasock` binary, and by an
//! in-process test that runs two guests in one engine.

use std::process::exit;
use std::time::Duration;

use wasock::{Family, Protocol, RecvFlags, RecvOptions, SockAddr, Socket, SocketType};

fn fail(what: &str, error: impl std::fmt::Display) -> ! {
    eprintln!("host_echo_client: {what}: {error}");
    exit(1)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (Some(address), Some(count)) = (args.get(1), args.get(2)) else {
        fail("usage", "host_echo_client ADDR COUNT");
    };
    let address: SockAddr = address.parse().unwrap_or_else(|e| fail("address", e));
    let count: usize = count.parse().unwrap_or_else(|e| fail("count", e));
    let socket = Socket::new(address.family(), SocketType::Stream, Protocol::DEFAULT)
        .unwrap_or_else(|e| fail("socket", e));
    assert!(matches!(socket.family(), Family::Inet | Family::Inet6));
    socket
        .connect(&address)
        .unwrap_or_else(|e| fail("connect", e));
    for i in 0..count {
        let message = format!("message {i:04}\n");
        socket
            .send_all(message.as_bytes())
            .unwrap_or_else(|e| fail("send", e));
        let echoed = socket
            .receive_with(
                message.len(),
                RecvOptions::new()
                    .flags(RecvFlags::WAIT_ALL)
                    .timeout(Some(Duration::from_secs(30))),
            )
            .unwrap_or_else(|e| fail("receive", e));
        if echoed != message.as_bytes() {
            fail(
                "echo",
                format!(
                    "sent {message:?}, got {:?}",
                    String::from_utf8_lossy(&echoed)
                ),
            );
        }
    }
    socket.close().unwrap_or_else(|e| fail("close", e));
    println!("echoed {count}");
}
