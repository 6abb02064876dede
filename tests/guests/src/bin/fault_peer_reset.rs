//! `fault_peer_reset ADDR`: connects to ADDR, sends a line, then receives
//! while the native peer resets the connection (SO_LINGER 0, close):
//! prints `receive: class/code (message)` for the first failed receive,
//! then `send: ...` for a send after it, then `fault peer reset done`.
//! Needs `--allow-connect ADDR`.

use std::time::Duration;

use wasock::{Family, Protocol, RecvOptions, SendOptions, SockAddr, Socket, SocketType};

fn fail(what: &str, e: impl std::fmt::Display) -> ! {
    eprintln!("fault_peer_reset: {what}: {e}");
    std::process::exit(1)
}

fn main() {
    let Some(target) = std::env::args().nth(1) else {
        fail("usage", "fault_peer_reset ADDR")
    };
    let target: SockAddr = target.parse().unwrap_or_else(|e| fail("address", e));
    let socket = Socket::new(Family::Inet, SocketType::Stream, Protocol::DEFAULT)
        .unwrap_or_else(|e| fail("socket", e));
    socket
        .connect(&target)
        .unwrap_or_else(|e| fail("connect", e));
    socket
        .send_all(b"reset me\n")
        .unwrap_or_else(|e| fail("send", e));
    let mut received = 0usize;
    // Bounded: the peer resets after reading our line.
    for _ in 0..1000 {
        match socket.receive_with(
            4096,
            RecvOptions::new().timeout(Some(Duration::from_secs(20))),
        ) {
            Ok(data) if data.is_empty() => {
                println!("receive: eof after {received} bytes");
                break;
            }
            Ok(data) => received += data.len(),
            Err(e) => {
                println!(
                    "receive: {}/{} ({})",
                    e.class(),
                    e.code().as_str(),
                    e.message()
                );
                break;
            }
        }
    }
    match socket.send_with(
        b"after the reset",
        SendOptions::new().timeout(Some(Duration::from_secs(5))),
    ) {
        Ok(n) => println!("send: ok {n}"),
        Err(e) => println!(
            "send: {}/{} ({})",
            e.class(),
            e.code().as_str(),
            e.message()
        ),
    }
    println!("fault peer reset done");
}
