//! `sandbox_udp_inbound std|sdk [GRANTED_PEER]`: a UDP socket bound
//! without a bind grant (std: `UdpSocket::bind("0.0.0.0:0")`; sdk: the
//! implicit bind of a `send-to` to `GRANTED_PEER`) prints `bound PORT`,
//! then prints `from ADDR: TEXT` for each datagram it hears until one says
//! `stop` (or 20 s pass). A sandbox that filters inbound datagrams lets
//! only the granted peer's through.
use std::net::UdpSocket;
use std::time::{Duration, Instant};

use wasock::{Family, Protocol, RecvOptions, SockAddr, Socket, SocketType};

const LIMIT: Duration = Duration::from_secs(20);

fn fail(what: &str, e: impl std::fmt::Display) -> ! {
    eprintln!("sandbox_udp_inbound: {what}: {e}");
    std::process::exit(1)
}

fn with_std() {
    let socket = UdpSocket::bind("0.0.0.0:0").unwrap_or_else(|e| fail("bind", e));
    let port = socket
        .local_addr()
        .unwrap_or_else(|e| fail("local_addr", e))
        .port();
    println!("bound {port}");
    socket
        .set_nonblocking(true)
        .unwrap_or_else(|e| fail("nonblocking", e));
    let start = Instant::now();
    let mut buffer = [0u8; 512];
    while start.elapsed() < LIMIT {
        match socket.recv_from(&mut buffer) {
            Ok((n, from)) => {
                let text = String::from_utf8_lossy(&buffer[..n]).into_owned();
                println!("from {from}: {text}");
                if text == "stop" {
                    return;
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                std::thread::sleep(Duration::from_millis(5))
            }
            Err(e) => fail("recv_from", e),
        }
    }
    println!("no stop");
}

fn with_sdk(peer: &str) {
    let socket = Socket::new(Family::Inet, SocketType::Dgram, Protocol::DEFAULT)
        .unwrap_or_else(|e| fail("socket", e));
    let peer: SockAddr = peer.parse().unwrap_or_else(|e| fail("peer", e));
    socket
        .send_to(b"hello", &peer)
        .unwrap_or_else(|e| fail("send-to", e));
    let port = socket
        .name()
        .ok()
        .flatten()
        .and_then(|a| a.port().ok())
        .unwrap_or_else(|| fail("name", "no port"));
    println!("bound {port}");
    let start = Instant::now();
    while start.elapsed() < LIMIT {
        match socket.receive_from_with(
            512,
            RecvOptions::new().timeout(Some(Duration::from_millis(200))),
        ) {
            Ok(got) => {
                let text = String::from_utf8_lossy(&got.data).into_owned();
                let from = got.address.map(|a| a.to_string()).unwrap_or_default();
                println!("from {from}: {text}");
                if text == "stop" {
                    return;
                }
            }
            Err(e) if e.is_timeout() => {}
            Err(e) => fail("receive-from", e),
        }
    }
    println!("no stop");
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("std") => with_std(),
        Some("sdk") => with_sdk(args.get(1).map_or("", String::as_str)),
        _ => fail("usage", "sandbox_udp_inbound std|sdk [GRANTED_PEER]"),
    }
}
