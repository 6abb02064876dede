//! `hostile_closed`: every call on a closed socket fails with
//! `fatal/closed` (close itself included), before any policy check or
//! syscall. Prints one `case: ok` or `case: class/code (message)` line per
//! call, then `hostile closed done`. Run with `--allow-connect
//! 127.0.0.1:1` and `--allow-bind 127.0.0.1:0` (so a refusal could only be
//! the closed state).

use std::time::Duration;

use wasock::constants::{SO_REUSEADDR, SOL_SOCKET};
use wasock::{Family, Protocol, RecvOptions, SendOptions, Shutdown, SockAddr, Socket, SocketType};

fn report<T>(case: &str, result: wasock::Result<T>) {
    match result {
        Ok(_) => println!("{case}: ok"),
        Err(e) => println!(
            "{case}: {}/{} ({})",
            e.class(),
            e.code().as_str(),
            e.message()
        ),
    }
}

fn fail(what: &str, e: impl std::fmt::Display) -> ! {
    eprintln!("hostile_closed: {what}: {e}");
    std::process::exit(1)
}

fn main() {
    let level = SOL_SOCKET.get().unwrap_or_else(|e| fail("SOL_SOCKET", e));
    let name = SO_REUSEADDR
        .get()
        .unwrap_or_else(|e| fail("SO_REUSEADDR", e));
    let peer = SockAddr::inet(Some("127.0.0.1"), 1u16).unwrap_or_else(|e| fail("address", e));
    let local = SockAddr::inet(Some("127.0.0.1"), 0u16).unwrap_or_else(|e| fail("address", e));
    let short = Some(Duration::from_millis(200));
    for (label, kind) in [("stream", SocketType::Stream), ("dgram", SocketType::Dgram)] {
        let s = Socket::new(Family::Inet, kind, Protocol::DEFAULT)
            .unwrap_or_else(|e| fail("socket", e));
        report(&format!("{label}_first_close"), s.close());
        report(&format!("{label}_close"), s.close());
        report(&format!("{label}_connect"), s.connect_timeout(&peer, short));
        report(&format!("{label}_bind"), s.bind(&local));
        report(&format!("{label}_listen"), s.listen(1));
        report(&format!("{label}_accept"), s.accept_timeout(short));
        report(&format!("{label}_accept_ready"), s.accept_ready());
        report(&format!("{label}_shutdown"), s.shutdown(Shutdown::Both));
        report(&format!("{label}_name"), s.name());
        report(&format!("{label}_peer_name"), s.peer_name());
        report(
            &format!("{label}_send"),
            s.send_with(b"x", SendOptions::new().timeout(short)),
        );
        report(&format!("{label}_send_to"), s.send_to(b"x", &peer));
        report(
            &format!("{label}_receive"),
            s.receive_with(16, RecvOptions::new().timeout(short)),
        );
        report(&format!("{label}_receive_from"), s.receive_from(16));
        report(&format!("{label}_receive_ready"), s.receive_ready());
        report(
            &format!("{label}_get_option_int"),
            s.get_option_int(level, name),
        );
        report(
            &format!("{label}_get_option_bytes"),
            s.get_option_bytes(level, name, 4),
        );
        report(
            &format!("{label}_set_option_int"),
            s.set_option_int(level, name, 1),
        );
        report(
            &format!("{label}_set_option_bytes"),
            s.set_option_bytes(level, name, &[1, 0, 0, 0]),
        );
        report(&format!("{label}_typed_get"), s.reuse_address());
        report(&format!("{label}_typed_set"), s.set_reuse_address(true));
        report(&format!("{label}_linger"), s.linger());
        report(&format!("{label}_so_error"), s.take_error());
        report(&format!("{label}_so_type"), s.so_type());
    }
    println!("hostile closed done");
}
