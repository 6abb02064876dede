//! `spec_edges DRIBBLE_ADDR UNIX_DIR`: the edges where wasock answers the
//! same on every host, checked through the WIT:
//!
//! - `wait-all`: one timeout bounds the whole receive. DRIBBLE_ADDR is a
//!   native peer that sends one byte every 100 ms; a 1000-byte wait-all
//!   receive with a 500 ms timeout returns the few bytes that came, in
//!   well under the peer's 5 s (a timeout restarting on every byte would
//!   wait for all of them).
//! - A connected datagram socket whose peer is gone: the refusal that
//!   comes back on receive is class `fatal` (the transfer is over), while
//!   a refused connect is `transient`.
//! - `send-to` another address on a connected datagram socket is
//!   `already-connected`, as BSD systems answer (Linux would send it).
//! - A unix datagram of 100 KiB (longer than the 64 KiB of an inet one)
//!   comes back whole when asked for, and cut with `truncated` when not.
//!
//! Prints one line per check and `spec_edges: ok`. Needs
//! `--allow-connect` for DRIBBLE_ADDR and 127.0.0.1, `--allow-bind
//! 127.0.0.1:0` and `--allow-unix UNIX_DIR`.

use std::time::{Duration, Instant};

use wasock::{
    ErrorClass, ErrorCode, Family, Protocol, RecvFlags, RecvOptions, SockAddr, Socket, SocketType,
};

fn fail(what: &str, e: impl std::fmt::Display) -> ! {
    eprintln!("spec_edges: {what}: {e}");
    std::process::exit(1)
}

fn expect_error<T: std::fmt::Debug>(
    what: &str,
    result: wasock::Result<T>,
    class: ErrorClass,
    code: ErrorCode,
) {
    match result {
        Ok(value) => fail(what, format!("succeeded with {value:?}")),
        Err(e) if e.class() == class && e.code() == code => {
            println!("{what}: {class:?} {code:?}");
        }
        Err(e) => fail(
            what,
            format!(
                "expected {class:?}/{code:?}, got {:?}/{:?}: {e}",
                e.class(),
                e.code()
            ),
        ),
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [dribble, unix_dir] = args.as_slice() else {
        fail("usage", "spec_edges DRIBBLE_ADDR UNIX_DIR")
    };
    let dribble: SockAddr = dribble.parse().unwrap_or_else(|e| fail("address", e));

    // wait-all under one timeout.
    let stream = Socket::new(Family::Inet, SocketType::Stream, Protocol::DEFAULT)
        .unwrap_or_else(|e| fail("socket", e));
    stream
        .connect(&dribble)
        .unwrap_or_else(|e| fail("connect", e));
    let start = Instant::now();
    let got = stream
        .receive_with(
            1000,
            RecvOptions::new()
                .flags(RecvFlags::WAIT_ALL)
                .timeout(Some(Duration::from_millis(500))),
        )
        .unwrap_or_else(|e| fail("wait-all receive", e));
    let took = start.elapsed();
    if got.is_empty() || got.len() > 20 || took > Duration::from_millis(2500) {
        fail(
            "wait-all receive",
            format!(
                "{} bytes after {took:?} (one 500 ms timeout for the call)",
                got.len()
            ),
        );
    }
    println!("wait-all: part within the timeout");

    // A connected datagram socket whose peer is gone.
    let loopback = SockAddr::inet(Some("127.0.0.1"), 0u16).unwrap_or_else(|e| fail("address", e));
    let gone = {
        let probe = Socket::new(Family::Inet, SocketType::Dgram, Protocol::DEFAULT)
            .unwrap_or_else(|e| fail("socket", e));
        probe.bind(&loopback).unwrap_or_else(|e| fail("bind", e));
        let address = probe
            .name()
            .unwrap_or_else(|e| fail("name", e))
            .unwrap_or_else(|| fail("name", "none after bind"));
        probe.close().unwrap_or_else(|e| fail("close", e));
        address
    };
    let udp = Socket::new(Family::Inet, SocketType::Dgram, Protocol::DEFAULT)
        .unwrap_or_else(|e| fail("socket", e));
    udp.connect(&gone)
        .unwrap_or_else(|e| fail("udp connect", e));
    udp.send(b"anyone?").unwrap_or_else(|e| fail("udp send", e));
    expect_error(
        "connected datagram, peer gone, receive",
        udp.receive_with(16, RecvOptions::new().timeout(Some(Duration::from_secs(5)))),
        ErrorClass::Fatal,
        ErrorCode::ConnectionRefused,
    );
    let elsewhere = {
        let other = Socket::new(Family::Inet, SocketType::Dgram, Protocol::DEFAULT)
            .unwrap_or_else(|e| fail("socket", e));
        other.bind(&loopback).unwrap_or_else(|e| fail("bind", e));
        other
    };
    let elsewhere_address = elsewhere
        .name()
        .unwrap_or_else(|e| fail("name", e))
        .unwrap_or_else(|| fail("name", "none after bind"));
    expect_error(
        "connected datagram, send-to another address",
        udp.send_to(b"x", &elsewhere_address),
        ErrorClass::Fatal,
        ErrorCode::AlreadyConnected,
    );
    // Nothing went to the other address.
    if let Ok(data) = elsewhere.receive_with(
        16,
        RecvOptions::new().timeout(Some(Duration::from_millis(200))),
    ) {
        fail(
            "send-to on a connected socket",
            format!("delivered {data:?}"),
        );
    }
    // A refused connect is transient (the stream kind: a datagram connect
    // sends nothing).
    let refused_stream = Socket::new(Family::Inet, SocketType::Stream, Protocol::DEFAULT)
        .unwrap_or_else(|e| fail("socket", e));
    let closed_tcp = {
        let listener = Socket::new(Family::Inet, SocketType::Stream, Protocol::DEFAULT)
            .unwrap_or_else(|e| fail("socket", e));
        listener.bind(&loopback).unwrap_or_else(|e| fail("bind", e));
        let address = listener
            .name()
            .unwrap_or_else(|e| fail("name", e))
            .unwrap_or_else(|| fail("name", "none after bind"));
        listener.close().unwrap_or_else(|e| fail("close", e));
        address
    };
    expect_error(
        "stream connect refused",
        refused_stream.connect(&closed_tcp),
        ErrorClass::Transient,
        ErrorCode::ConnectionRefused,
    );

    // Unix datagrams longer than 64 KiB.
    const LONG: usize = 100 * 1024;
    let receiver = Socket::new(Family::Unix, SocketType::Dgram, Protocol::DEFAULT)
        .unwrap_or_else(|e| fail("unix socket", e));
    let receiver_path = format!("{unix_dir}/edges-receiver");
    receiver
        .bind(&SockAddr::unix(receiver_path.clone()))
        .unwrap_or_else(|e| fail("unix bind", e));
    receiver
        .set_receive_buffer_size(4 * LONG as u32)
        .unwrap_or_else(|e| fail("receive buffer", e));
    let sender = Socket::new(Family::Unix, SocketType::Dgram, Protocol::DEFAULT)
        .unwrap_or_else(|e| fail("unix socket", e));
    sender
        .set_send_buffer_size(4 * LONG as u32)
        .unwrap_or_else(|e| fail("send buffer", e));
    let long: Vec<u8> = (0..LONG).map(|i| (i % 251) as u8).collect();
    for _ in 0..2 {
        let sent = sender
            .send_to(&long, &SockAddr::unix(receiver_path.clone()))
            .unwrap_or_else(|e| fail("unix send-to", e));
        if sent != LONG {
            fail("unix send-to", format!("sent {sent} of {LONG}"));
        }
    }
    let whole = receiver
        .receive_from(2 * LONG)
        .unwrap_or_else(|e| fail("unix receive-from", e));
    if whole.data != long || whole.truncated {
        fail(
            "unix datagram asked for whole",
            format!("{} bytes, truncated={}", whole.data.len(), whole.truncated),
        );
    }
    let cut = receiver
        .receive_from(70_000)
        .unwrap_or_else(|e| fail("unix receive-from", e));
    if cut.data != long[..70_000] || !cut.truncated {
        fail(
            "unix datagram asked for less",
            format!("{} bytes, truncated={}", cut.data.len(), cut.truncated),
        );
    }
    println!(
        "unix datagram: {} whole, {} truncated",
        whole.data.len(),
        cut.data.len()
    );
    println!("spec_edges: ok");
}
