//! `spec_datagram`: datagram truncation as the SDK reports it
//! (`Socket::receive_datagram`): a 100-byte datagram received with length
//! 10 gives its first 10 bytes and `truncated`; a 5-byte one received with
//! length 10 is whole.
//!
//! Prints `listening on ADDR` (a UDP socket on loopback); the native peer
//! sends 100 bytes (0, 1, ..., 99), then 5 bytes. Needs
//! `--allow-bind 127.0.0.1:0`.

use std::time::Duration;

use wasock::{Family, Protocol, RecvFlags, SockAddr, Socket, SocketType};

fn fail(what: &str, e: impl std::fmt::Display) -> ! {
    eprintln!("spec_datagram: {what}: {e}");
    std::process::exit(1)
}

fn main() {
    let socket = Socket::new(Family::Inet, SocketType::Dgram, Protocol::DEFAULT)
        .unwrap_or_else(|e| fail("socket", e));
    let here = SockAddr::inet(Some("127.0.0.1"), 0).unwrap_or_else(|e| fail("address", e));
    socket.bind(&here).unwrap_or_else(|e| fail("bind", e));
    let name = socket
        .name()
        .unwrap_or_else(|e| fail("name", e))
        .unwrap_or_else(|| fail("name", "none after bind"));
    println!("listening on {name}");

    let wait = Some(Duration::from_secs(30));
    let long = socket
        .receive_datagram_with(10, RecvFlags::empty(), wait)
        .unwrap_or_else(|e| fail("long datagram", e));
    let from = long
        .address
        .as_ref()
        .map_or("none".to_owned(), ToString::to_string);
    println!(
        "long: {} bytes truncated={} from {from}",
        long.data.len(),
        long.truncated
    );
    if long.data != (0u8..10).collect::<Vec<u8>>() || !long.truncated || long.address.is_none() {
        fail("long datagram", format!("{long:?}"));
    }

    let short = socket
        .receive_datagram_with(10, RecvFlags::empty(), wait)
        .unwrap_or_else(|e| fail("short datagram", e));
    println!(
        "short: {} bytes truncated={}",
        short.data.len(),
        short.truncated
    );
    if short.data != b"short" || short.truncated {
        fail("short datagram", format!("{short:?}"));
    }
    println!("spec_datagram: ok");
}
