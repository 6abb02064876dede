//! `spec_datagram`: datagram truncation as the SDK reports it, through
//! every datagram receive that can: `Socket::receive_from` (a 100-byte
//! datagram received with length 10 gives its first 10 bytes and
//! `truncated`; a 5-byte one is whole), `Socket::receive_from_into` (100
//! bytes into a 10-byte buffer), and a port's reader with a 10-byte buffer
//! (`SocketReader::truncated` after 100 bytes, not after 5).
//!
//! Prints `listening on ADDR` (a UDP socket on loopback); the native peer
//! then sends 100 bytes (0, 1, ..., 99), 5 bytes (`short`), 100 bytes, 100
//! bytes and 5 bytes (`short`), in that order. Needs
//! `--allow-bind 127.0.0.1:0`.

use std::io::BufRead;
use std::time::Duration;

use wasock::ports::{PortConfig, io_ports_with};
use wasock::{Family, Protocol, RecvOptions, SockAddr, Socket, SocketType, Timeouts};

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

    let wait = RecvOptions::new().timeout(Some(Duration::from_secs(30)));
    let long = socket
        .receive_from_with(10, wait)
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
    if long.data != (0u8..10).collect::<Vec<u8>>() || long.address.is_none() {
        fail("long datagram", format!("{long:?}"));
    }

    let short = socket
        .receive_from_with(10, wait)
        .unwrap_or_else(|e| fail("short datagram", e));
    println!(
        "short: {} bytes truncated={}",
        short.data.len(),
        short.truncated
    );

    let mut buffer = [0u8; 10];
    let into = socket
        .receive_from_into_with(&mut buffer, wait)
        .unwrap_or_else(|e| fail("receive-from into", e));
    println!(
        "into: {} bytes truncated={} from {}",
        into.len,
        into.truncated,
        into.address.map_or("none".to_owned(), |a| a.to_string())
    );

    // The port reader over the same socket, one datagram per fill.
    socket.set_timeouts(Timeouts {
        receive: Some(Duration::from_secs(30)),
        ..Timeouts::SPEC
    });
    let config = PortConfig {
        receive_buffer_size: 10,
        ..PortConfig::SPEC
    };
    let (mut reader, _writer) = io_ports_with(socket, config);
    for which in ["port long", "port short"] {
        let got = reader.fill_buf().unwrap_or_else(|e| fail(which, e)).len();
        println!("{which}: {got} bytes truncated={}", reader.truncated());
        reader.consume(got);
    }
    println!("spec_datagram: ok");
}
