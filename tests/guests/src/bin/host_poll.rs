//! `host_poll`: socket pollables in `wasi:io/poll` beside the host's
//! timers. A poller on two idle UDP sockets times out empty (the timer
//! pollable wins); after a datagram to the second socket only that one is
//! reported ready; a listening socket is ready once a client connects.
//! Prints `poll ok`.

use std::process::exit;
use std::time::Duration;

use wasock::poll::{Poller, Token};
use wasock::{Family, Interest, Protocol, SockAddr, Socket, SocketType};

fn fail(what: &str, error: impl std::fmt::Debug) -> ! {
    eprintln!("host_poll: {what}: {error:?}");
    exit(1)
}

fn bound_udp() -> (Socket, SockAddr) {
    let socket = Socket::new(Family::Inet, SocketType::Dgram, Protocol::DEFAULT)
        .unwrap_or_else(|e| fail("socket", e));
    let loopback = SockAddr::inet(Some("127.0.0.1"), 0u16).unwrap_or_else(|e| fail("address", e));
    socket.bind(&loopback).unwrap_or_else(|e| fail("bind", e));
    let name = socket
        .name()
        .unwrap_or_else(|e| fail("name", e))
        .unwrap_or_else(|| fail("name", "none after bind"));
    (socket, name)
}

fn main() {
    let (first, _) = bound_udp();
    let (second, second_name) = bound_udp();

    let mut poller = Poller::new();
    poller.register(&first, Interest::READABLE, Token(1));
    poller.register(&second, Interest::READABLE, Token(2));
    let ready = poller
        .wait(Some(Duration::from_millis(50)))
        .unwrap_or_else(|e| fail("wait", e));
    if !ready.is_empty() {
        fail("idle sockets", ready);
    }

    first
        .send_to(b"wake", &second_name)
        .unwrap_or_else(|e| fail("send-to", e));
    let ready = poller
        .wait(Some(Duration::from_secs(30)))
        .unwrap_or_else(|e| fail("wait", e));
    if ready != [Token(2)] {
        fail("after a datagram to the second socket", ready);
    }
    let data = second.receive(16).unwrap_or_else(|e| fail("receive", e));
    if data != b"wake" {
        fail("datagram", data);
    }
    drop(poller);

    let listener = Socket::new(Family::Inet, SocketType::Stream, Protocol::DEFAULT)
        .unwrap_or_else(|e| fail("socket", e));
    let loopback = SockAddr::inet(Some("127.0.0.1"), 0u16).unwrap_or_else(|e| fail("address", e));
    listener.bind(&loopback).unwrap_or_else(|e| fail("bind", e));
    listener.listen(4).unwrap_or_else(|e| fail("listen", e));
    let address = listener
        .name()
        .unwrap_or_else(|e| fail("name", e))
        .unwrap_or_else(|| fail("name", "none"));
    let client = Socket::new(Family::Inet, SocketType::Stream, Protocol::DEFAULT)
        .unwrap_or_else(|e| fail("socket", e));
    client
        .connect(&address)
        .unwrap_or_else(|e| fail("connect", e));
    let mut poller = Poller::new();
    poller.register(&listener, Interest::READABLE, Token(7));
    let ready = poller
        .wait(Some(Duration::from_secs(30)))
        .unwrap_or_else(|e| fail("wait", e));
    if ready != [Token(7)] {
        fail("a pending connection", ready);
    }
    listener.accept().unwrap_or_else(|e| fail("accept", e));
    println!("poll ok");
}
