//! `spec_socket`: the spec's socket accessors through the WIT, with a
//! native peer: `socket-fileno` (distinct for live sockets, stable for one),
//! `socket-type` and `socket-protocol` (as created, and for an accepted
//! socket: the listener's), `socket-accept` with the peer's address
//! (`Socket::accept_from`, printed `accepted from: ADDR`),
//! `socket-receive-ready?` (false before the peer writes, true after).
//!
//! Prints `listening on ADDR`, then `receive-ready before: false`; the
//! native peer connects, waits for that line and writes `data`. Exits
//! non-zero with a message when a check fails. Needs
//! `--allow-bind 127.0.0.1:0`.

use std::time::Duration;

use wasock::{Family, Protocol, RecvOptions, SockAddr, Socket, SocketType};

fn fail(what: &str, e: impl std::fmt::Display) -> ! {
    eprintln!("spec_socket: {what}: {e}");
    std::process::exit(1)
}

fn check(ok: bool, what: &str) {
    if !ok {
        fail("check failed", what);
    }
}

fn main() {
    let tcp = Socket::new(Family::Inet, SocketType::Stream, Protocol::TCP)
        .unwrap_or_else(|e| fail("tcp socket", e));
    let udp = Socket::new(Family::Inet, SocketType::Dgram, Protocol::DEFAULT)
        .unwrap_or_else(|e| fail("udp socket", e));
    let udp17 = Socket::new(Family::Inet, SocketType::Dgram, Protocol::UDP)
        .unwrap_or_else(|e| fail("udp/17 socket", e));
    let v6 = Socket::new(Family::Inet6, SocketType::Stream, Protocol::DEFAULT)
        .unwrap_or_else(|e| fail("inet6 socket", e));

    // socket-fileno: distinct for live sockets, stable for one.
    let filenos = [tcp.fileno(), udp.fileno(), udp17.fileno(), v6.fileno()];
    for (i, f) in filenos.iter().enumerate() {
        check(
            !filenos[..i].contains(f),
            &format!("fileno {f} given twice: {filenos:?}"),
        );
    }
    check(
        tcp.fileno() == filenos[0],
        "fileno changed between two calls",
    );
    println!("fileno: {filenos:?} distinct");

    // socket-type and socket-protocol as created.
    check(tcp.socket_type() == SocketType::Stream, "tcp socket-type");
    check(udp.socket_type() == SocketType::Dgram, "udp socket-type");
    check(v6.socket_type() == SocketType::Stream, "inet6 socket-type");
    check(
        tcp.protocol() == Protocol::TCP,
        &format!("tcp socket-protocol {}", tcp.protocol().0),
    );
    check(
        udp.protocol() == Protocol::DEFAULT,
        &format!("udp socket-protocol {}", udp.protocol().0),
    );
    check(
        udp17.protocol() == Protocol::UDP,
        &format!("udp/17 socket-protocol {}", udp17.protocol().0),
    );
    check(v6.family() == Family::Inet6, "inet6 socket-family");
    println!(
        "created: {} {} {}, {} {} {}, {} {} {}",
        tcp.family(),
        tcp.socket_type(),
        tcp.protocol().0,
        udp.family(),
        udp.socket_type(),
        udp.protocol().0,
        udp17.family(),
        udp17.socket_type(),
        udp17.protocol().0
    );
    drop((udp, udp17, v6));

    let here = SockAddr::inet(Some("127.0.0.1"), 0).unwrap_or_else(|e| fail("address", e));
    tcp.bind(&here).unwrap_or_else(|e| fail("bind", e));
    check(tcp.fileno() == filenos[0], "fileno changed by bind");
    tcp.listen(4).unwrap_or_else(|e| fail("listen", e));
    let name = tcp
        .name()
        .unwrap_or_else(|e| fail("name", e))
        .unwrap_or_else(|| fail("name", "none after bind"));
    println!("listening on {name}");

    let (conn, peer) = tcp
        .accept_from_timeout(Some(Duration::from_secs(30)))
        .unwrap_or_else(|e| fail("accept", e));
    println!(
        "accepted from: {}",
        peer.map_or("none".to_owned(), |peer| peer.to_string())
    );
    check(
        conn.fileno() != tcp.fileno(),
        "accepted socket has the listener's fileno",
    );
    let conn_fileno = conn.fileno();
    check(
        conn.socket_type() == SocketType::Stream,
        "accepted socket-type",
    );
    check(
        conn.protocol() == Protocol::TCP,
        &format!("accepted socket-protocol {}", conn.protocol().0),
    );
    check(conn.family() == Family::Inet, "accepted socket-family");
    println!(
        "accepted: {} {} {} fileno {} (listener {})",
        conn.family(),
        conn.socket_type(),
        conn.protocol().0,
        conn.fileno(),
        tcp.fileno()
    );

    // socket-receive-ready?: nothing written yet (the peer waits for this line).
    let before = conn
        .receive_ready()
        .unwrap_or_else(|e| fail("receive-ready before", e));
    check(!before, "receive-ready? true before the peer wrote");
    println!("receive-ready before: {before}");

    // The peer writes now; poll, bounded (3000 x 10 ms).
    let mut after = false;
    for _ in 0..3000 {
        after = conn
            .receive_ready()
            .unwrap_or_else(|e| fail("receive-ready after", e));
        if after {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    check(
        after,
        "receive-ready? still false 30 s after the peer wrote",
    );
    println!("receive-ready after: {after}");
    let data = conn
        .receive_with(4, RecvOptions::new().timeout(Some(Duration::from_secs(30))))
        .unwrap_or_else(|e| fail("receive", e));
    check(data == b"data", &format!("received {data:?}"));
    check(
        conn.fileno() == conn_fileno,
        "accepted fileno changed by receiving",
    );
    check(
        tcp.fileno() == filenos[0],
        "listener fileno changed by accepting",
    );
    println!("spec_socket: ok");
}
