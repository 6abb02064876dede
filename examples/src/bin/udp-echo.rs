//! `udp-echo ADDR [COUNT]`: a UDP echo server: every datagram that arrives
//! (up to 64 KiB) goes back to its sender unchanged.
//!
//! Shows datagram sockets: `socket-bind` on a `sock/dgram` socket,
//! `socket-receive-from!` ([`Socket::receive_from_into`], which also says
//! who sent) and `socket-send-to`. Prints `listening on ADDR` once bound
//! (the real address, so port 0 works). With COUNT it exits after echoing
//! that many datagrams; otherwise it runs until killed.
//!
//! ```text
//! wasock run --allow-bind 127.0.0.1:7000 --allow-connect '127.0.0.1:*' \
//!     target/wasm32-wasip2/release/udp-echo.wasm 127.0.0.1:7000
//! ```
//!
//! Sending the echo back is a `send-to`, so it needs an `--allow-connect`
//! grant covering the clients.

use std::error::Error;
use std::io::Write;

use wasock::{Protocol, SockAddr, Socket, SocketType, Timeouts};

/// The largest datagram UDP can carry (65,535 bytes less the 8-byte UDP
/// header; over IPv4 also less the 20-byte IP header).
const MAX_DATAGRAM: usize = 64 * 1024;

fn main() {
    if let Err(error) = run() {
        eprintln!("udp-echo: {error}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), Box<dyn Error>> {
    let mut args = std::env::args().skip(1);
    let (Some(addr), count, None) = (args.next(), args.next(), args.next()) else {
        return Err("usage: udp-echo ADDR [COUNT]".into());
    };
    let addr: SockAddr = addr.parse().map_err(|error| format!("{addr:?}: {error}"))?;
    let count: Option<u64> = match count {
        Some(text) => Some(
            text.parse()
                .map_err(|_| format!("COUNT {text:?} is not a number"))?,
        ),
        None => None,
    };

    let socket = Socket::new(addr.family(), SocketType::Dgram, Protocol::DEFAULT)?;
    socket
        .bind(&addr)
        .map_err(|error| format!("bind {addr}: {error}"))?;
    // A server waits as long as it takes for the next datagram (the spec's
    // default receive timeout is one minute).
    socket.set_timeouts(Timeouts {
        receive: None,
        ..Timeouts::default()
    });
    let bound = socket.name()?.unwrap_or(addr);
    println!("listening on {bound}");
    std::io::stdout().flush()?;

    let mut buffer = vec![0u8; MAX_DATAGRAM];
    let mut echoed = 0;
    while count.is_none_or(|count| echoed < count) {
        let received = socket
            .receive_from_into(&mut buffer)
            .map_err(|error| format!("receive-from: {error}"))?;
        let Some(sender) = received.address else {
            continue;
        };
        socket
            .send_to(&buffer[..received.len], &sender)
            .map_err(|error| format!("send-to {sender}: {error}"))?;
        echoed += 1;
    }
    Ok(())
}
