//! `sandbox_socket_count WASOCK_SOCKETS`: opens that many wasock sockets,
//! then `std::net` UDP sockets (wasi:sockets, each a client bind, which
//! needs no grant) until one is refused, and prints `wasock N std M: ERR`.
//! Both kinds count toward one `--max-sockets`.
use std::net::UdpSocket;

use wasock::{Family, Protocol, Socket, SocketType};

fn main() {
    let wanted: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(0);
    let mut wasock = Vec::new();
    for _ in 0..wanted {
        match Socket::new(Family::Inet, SocketType::Stream, Protocol::DEFAULT) {
            Ok(s) => wasock.push(s),
            Err(e) => {
                println!("wasock {} refused: {}", wasock.len(), e.code().as_str());
                break;
            }
        }
    }
    let mut std_sockets = Vec::new();
    let error = loop {
        if std_sockets.len() >= 100_000 {
            break "none after 100000".to_owned();
        }
        match UdpSocket::bind("0.0.0.0:0") {
            Ok(s) => std_sockets.push(s),
            Err(e) => break e.to_string(),
        }
    };
    println!("wasock {} std {}: {error}", wasock.len(), std_sockets.len());
    // Closing gives the slots back, on both paths.
    drop(std_sockets);
    drop(wasock);
    match UdpSocket::bind("0.0.0.0:0") {
        Ok(_) => println!("after closing: ok"),
        Err(e) => println!("after closing: {e}"),
    }
}
