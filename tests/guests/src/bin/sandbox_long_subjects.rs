//! `sandbox_long_subjects ADDR [MS [CASE...]]`: connects to ADDR (the one grant it
//! needs), prints `ready` and waits for a byte from it (so a test can note
//! the host's memory first), then hands the host texts of tens of MiB of
//! control bytes in calls the policy refuses, one line per call:
//! `CASE => class/code LEN: HEAD` for a wasock call (LEN the message's
//! length in bytes, HEAD its first 1024 characters), or
//! `CASE => error-code` for a `wasi:sockets` one. Then it prints
//! `long subjects done` and sleeps MS milliseconds (default 30 000), so a
//! test can read the host's peak memory while it still runs. With CASEs,
//! only those.
//!
//! The cases: a host name to `address-information` (no `--allow-dns`); the
//! same name to `wasi:sockets` `resolve-addresses`; option bytes to an
//! option that needs `--allow-raw`; a zone naming an interface; and a unix
//! path to `connect`, `bind` and `send-to` (no `--allow-unix`). The names
//! are 48 MiB; a unix path only 24 MiB, since the SDK copies an address
//! once more and the guest has 64 MiB (`--max-memory 64M`).
use std::str::FromStr;

use wasip2::sockets::{instance_network, ip_name_lookup};
use wasock::{AddrInfoHints, Family, Protocol, SockAddr, Socket, SocketType};

const NAME_BYTES: usize = 48 << 20;
const PATH_BYTES: usize = 24 << 20;

/// `SOL_SOCKET` and `SO_BINDTODEVICE` (Linux's numbers).
const SOL_SOCKET: i32 = 1;
const SO_BINDTODEVICE: i32 = 25;

fn report<T>(case: &str, result: wasock::Result<T>) {
    match result {
        Ok(_) => println!("{case} => ok"),
        Err(e) => {
            let message = e.message();
            let head: String = message.chars().take(1024).collect();
            println!(
                "{case} => {}/{} {}: {head}",
                e.class(),
                e.code().as_str(),
                message.len()
            );
        }
    }
}

fn fail(what: &str, e: impl std::fmt::Display) -> ! {
    eprintln!("sandbox_long_subjects: {what}: {e}");
    std::process::exit(1)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let Some(peer) = args.get(1) else {
        eprintln!("usage: sandbox_long_subjects ADDR [MS [CASE...]]");
        std::process::exit(2);
    };
    let ms: u64 = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(30_000);
    let chosen = &args[args.len().min(3)..];
    let runs = |case: &str| chosen.is_empty() || chosen.iter().any(|c| c == case);
    let peer = SockAddr::from_str(peer).unwrap_or_else(|e| fail("address", e));
    let control = Socket::new(peer.family(), SocketType::Stream, Protocol::DEFAULT)
        .unwrap_or_else(|e| fail("socket", e));
    control
        .connect(&peer)
        .unwrap_or_else(|e| fail("connect", e));
    println!("ready");
    control.receive(1).unwrap_or_else(|e| fail("receive", e));

    let mut name = "\u{1}".repeat(NAME_BYTES);
    if runs("address-information") {
        report(
            "address-information",
            wasock::address_information(Some(&name), None, &AddrInfoHints::default()),
        );
    }
    if runs("resolve-addresses") {
        let network = instance_network::instance_network();
        match ip_name_lookup::resolve_addresses(&network, &name) {
            Ok(_) => println!("resolve-addresses => ok"),
            Err(code) => println!("resolve-addresses => {}", code.name()),
        }
    }
    if runs("set-option-bytes") {
        let udp = Socket::new(Family::Inet, SocketType::Dgram, Protocol::DEFAULT)
            .unwrap_or_else(|e| fail("socket", e));
        report(
            "set-option-bytes",
            udp.set_option_bytes(SOL_SOCKET, SO_BINDTODEVICE, name.as_bytes()),
        );
    }
    if runs("address-information-zone") {
        // The same bytes, as an IPv6 literal with a zone (in place: no
        // second copy in the guest).
        name.replace_range(..8, "fe80::1%");
        report(
            "address-information-zone",
            wasock::address_information(Some(&name), None, &AddrInfoHints::default()),
        );
    }
    drop(name);

    let mut path = String::with_capacity(PATH_BYTES);
    path.push_str("/run/");
    while path.len() < PATH_BYTES {
        path.push('\u{1}');
    }
    let address = SockAddr::unix(path);
    if runs("unix-connect") {
        let stream = Socket::new(Family::Unix, SocketType::Stream, Protocol::DEFAULT)
            .unwrap_or_else(|e| fail("socket", e));
        report("unix-connect", stream.connect(&address));
    }
    if runs("unix-bind") {
        let bound = Socket::new(Family::Unix, SocketType::Stream, Protocol::DEFAULT)
            .unwrap_or_else(|e| fail("socket", e));
        report("unix-bind", bound.bind(&address));
    }
    if runs("unix-send-to") {
        let datagram = Socket::new(Family::Unix, SocketType::Dgram, Protocol::DEFAULT)
            .unwrap_or_else(|e| fail("socket", e));
        report("unix-send-to", datagram.send_to(b"x", &address));
    }
    drop(address);

    println!("long subjects done");
    std::thread::sleep(std::time::Duration::from_millis(ms.min(60_000)));
}
