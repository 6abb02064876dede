//! `hostile_lengths`: lengths of 0 and `u32::MAX` for receive,
//! receive-from and get-option-bytes. The host caps what one call makes it
//! allocate (64 KiB for a receive, 4096 bytes for an option), so the
//! biggest asks return at most that, and 0 returns nothing; nothing fails.
//! Prints `case: ok LEN` or `case: class/code (message)` per case, then
//! `hostile lengths done`. Run with `--allow-bind 127.0.0.1:0` and
//! `--allow-connect 127.0.0.1:*` (it only talks to itself).

use wasock::constants::{SO_RCVBUF, SOL_SOCKET};
use wasock::{Family, Protocol, SockAddr, Socket, SocketType};

fn report(case: &str, result: wasock::Result<usize>) {
    match result {
        Ok(n) => println!("{case}: ok {n}"),
        Err(e) => println!(
            "{case}: {}/{} ({})",
            e.class(),
            e.code().as_str(),
            e.message()
        ),
    }
}

fn fail(what: &str, e: impl std::fmt::Display) -> ! {
    eprintln!("hostile_lengths: {what}: {e}");
    std::process::exit(1)
}

fn main() {
    let loopback = SockAddr::inet(Some("127.0.0.1"), 0u16).unwrap_or_else(|e| fail("address", e));
    let udp = Socket::new(Family::Inet, SocketType::Dgram, Protocol::DEFAULT)
        .unwrap_or_else(|e| fail("socket", e));
    udp.bind(&loopback).unwrap_or_else(|e| fail("bind", e));
    let own = udp
        .name()
        .unwrap_or_else(|e| fail("name", e))
        .unwrap_or_else(|| fail("name", "none"));
    let big = vec![0x5a_u8; 65_507];

    udp.send_to(&big, &own)
        .unwrap_or_else(|e| fail("send-to", e));
    report(
        "receive_max_dgram",
        udp.receive(usize::MAX).map(|d| d.len()),
    );
    udp.send_to(&big, &own)
        .unwrap_or_else(|e| fail("send-to", e));
    report("receive_zero_dgram", udp.receive(0).map(|d| d.len()));
    udp.send_to(&big, &own)
        .unwrap_or_else(|e| fail("send-to", e));
    report(
        "receive_from_max_dgram",
        udp.receive_from(u32::MAX as usize).map(|r| r.data.len()),
    );
    udp.send_to(b"tiny", &own)
        .unwrap_or_else(|e| fail("send-to", e));
    report(
        "receive_from_zero_dgram",
        udp.receive_from(0).map(|r| r.data.len()),
    );

    // A stream with 200 000 bytes waiting.
    let listener = Socket::new(Family::Inet, SocketType::Stream, Protocol::DEFAULT)
        .unwrap_or_else(|e| fail("socket", e));
    listener.bind(&loopback).unwrap_or_else(|e| fail("bind", e));
    listener.listen(4).unwrap_or_else(|e| fail("listen", e));
    let target = listener
        .name()
        .unwrap_or_else(|e| fail("name", e))
        .unwrap_or_else(|| fail("name", "none"));
    let client = Socket::new(Family::Inet, SocketType::Stream, Protocol::DEFAULT)
        .unwrap_or_else(|e| fail("socket", e));
    client
        .connect(&target)
        .unwrap_or_else(|e| fail("connect", e));
    let server = listener.accept().unwrap_or_else(|e| fail("accept", e));
    let sent = client
        .send(&vec![7u8; 200_000])
        .unwrap_or_else(|e| fail("send", e));
    if sent == 0 {
        fail("send", "sent nothing");
    }
    report("receive_zero_stream", server.receive(0).map(|d| d.len()));
    report(
        "receive_max_stream",
        server.receive(usize::MAX).map(|d| d.len()),
    );
    report(
        "receive_from_max_stream",
        server.receive_from(usize::MAX).map(|r| r.data.len()),
    );

    let level = SOL_SOCKET.get().unwrap_or_else(|e| fail("SOL_SOCKET", e));
    let name = SO_RCVBUF.get().unwrap_or_else(|e| fail("SO_RCVBUF", e));
    report(
        "option_bytes_zero",
        udp.get_option_bytes(level, name, 0).map(|b| b.len()),
    );
    report(
        "option_bytes_max",
        udp.get_option_bytes(level, name, u32::MAX as usize)
            .map(|b| b.len()),
    );
    println!("hostile lengths done");
}
