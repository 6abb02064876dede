//! `hostile_wrong_kind`: calls on the wrong kind of socket or in the
//! wrong state: listen on a datagram socket, accept on a socket that is
//! not listening (stream and datagram), send-to on a connected stream,
//! receive and send on an unconnected stream, shutdown of an unconnected
//! stream, shutdown twice, connect twice, bind twice. Prints one `case:
//! ok` or `case: class/code (message)` line per case, then `hostile wrong
//! kind done`. Run with `--allow-bind 127.0.0.1:0` and `--allow-connect
//! 127.0.0.1:*` (it only talks to itself).

use std::time::Duration;

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
    eprintln!("hostile_wrong_kind: {what}: {e}");
    std::process::exit(1)
}

fn socket(kind: SocketType) -> Socket {
    Socket::new(Family::Inet, kind, Protocol::DEFAULT).unwrap_or_else(|e| fail("socket", e))
}

fn main() {
    let loopback = SockAddr::inet(Some("127.0.0.1"), 0u16).unwrap_or_else(|e| fail("address", e));
    let short = Some(Duration::from_millis(200));

    let udp = socket(SocketType::Dgram);
    report("listen_on_dgram", udp.listen(4));
    report("accept_on_dgram", udp.accept_timeout(short));

    let fresh = socket(SocketType::Stream);
    report("accept_unconnected_stream", fresh.accept_timeout(short));
    report(
        "receive_unconnected_stream",
        fresh.receive_with(16, RecvOptions::new().timeout(short)),
    );
    report(
        "receive_from_unconnected_stream",
        fresh.receive_from_with(16, RecvOptions::new().timeout(short)),
    );
    report(
        "send_unconnected_stream",
        fresh.send_with(b"x", SendOptions::new().timeout(short)),
    );
    report(
        "shutdown_unconnected_stream",
        fresh.shutdown(Shutdown::Both),
    );

    let listener = socket(SocketType::Stream);
    listener.bind(&loopback).unwrap_or_else(|e| fail("bind", e));
    report("bind_twice", listener.bind(&loopback));
    listener.listen(4).unwrap_or_else(|e| fail("listen", e));
    let target = listener
        .name()
        .unwrap_or_else(|e| fail("name", e))
        .unwrap_or_else(|| fail("name", "none"));
    report(
        "send_on_listener",
        listener.send_with(b"x", SendOptions::new().timeout(short)),
    );
    report("connect_listener", listener.connect_timeout(&target, short));

    let client = socket(SocketType::Stream);
    client
        .connect(&target)
        .unwrap_or_else(|e| fail("connect", e));
    let server = listener.accept().unwrap_or_else(|e| fail("accept", e));
    report("connect_twice", client.connect(&target));
    report("send_to_connected_stream", client.send_to(b"x", &target));
    report("listen_on_connected", client.listen(4));
    report("accept_on_connected", client.accept_timeout(short));
    report("shutdown_write", client.shutdown(Shutdown::Write));
    report("shutdown_write_twice", client.shutdown(Shutdown::Write));
    report(
        "send_after_shutdown_write",
        client.send_with(b"x", SendOptions::new().timeout(short)),
    );
    report("shutdown_both", client.shutdown(Shutdown::Both));
    report("shutdown_both_twice", client.shutdown(Shutdown::Both));
    report(
        "peer_eof",
        server
            .receive_with(16, RecvOptions::new().timeout(short))
            .map(|d| d.len()),
    );
    println!("hostile wrong kind done");
}
