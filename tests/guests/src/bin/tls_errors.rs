//! `tls_errors ADDR NAME [SILENT]`: the errors of wasock's TLS calls.
//! Prints one line per check, `CHECK: CLASS/CODE MESSAGE` for an error or
//! `CHECK: ok ...` for a success:
//!
//! - `connect`, only if it fails: a TCP connect to ADDR (the native
//!   `script` TLS peer), after which nothing else is tried;
//! - `tls`: a client handshake for NAME on that connection (`ok VERSION`);
//! - after a handshake that succeeded, what TLS cannot carry: `again` (a
//!   second handshake), `oob` (a send with `MSG_OOB`), `send-to`; then
//!   `forged`: a receive after the peer wrote a record no key sealed
//!   (`forge`);
//! - with SILENT (a listener that never speaks): `handshake-timeout`, a
//!   handshake there under a 200 ms timeout, and `handshake-resumed`, the
//!   same call again (it resumes the handshake, which times out again);
//! - `unconnected`: a handshake on a TCP socket never connected;
//! - `datagram`: a handshake on a UDP socket connected to ADDR;
//! - `unknown-identity`: a server handshake on a new connection to ADDR
//!   naming an identity the host does not hold;
//! - `identities: A,B`: the names of the identities the host holds.
use std::fmt::Display;
use std::time::Duration;

use wasock::tls::{TlsOptions, identities};
use wasock::{Error, Family, Protocol, SendFlags, SockAddr, Socket, SocketType};

fn main() {
    let mut args = std::env::args().skip(1);
    let (Some(address), Some(name)) = (args.next(), args.next()) else {
        eprintln!("usage: tls_errors ADDR NAME [SILENT]");
        std::process::exit(2);
    };
    let address: SockAddr = match address.parse() {
        Ok(address) => address,
        Err(e) => {
            eprintln!("tls_errors: ADDR: {e}");
            std::process::exit(2);
        }
    };
    let report = |check: &str, result: Result<String, Error>| match result {
        Ok(what) => println!("{check}: ok {what}"),
        Err(e) => println!("{check}: {}/{} {}", e.class(), e.code(), e.message()),
    };
    let stream = || Socket::new(Family::Inet, SocketType::Stream, Protocol::DEFAULT);
    let shown = |value: &dyn Display| value.to_string();

    let Ok(client) = stream() else {
        println!("socket: failed");
        return;
    };
    if let Err(e) = client.connect(&address) {
        report("connect", Err(e));
        return;
    }
    let session = client.tls_connect(&name);
    let succeeded = session.is_ok();
    report("tls", session.map(|session| session.version));
    if succeeded {
        report("again", client.tls_connect(&name).map(|s| s.version));
        report(
            "oob",
            client.send_with(b"x", SendFlags::OOB).map(|n| shown(&n)),
        );
        report("send-to", client.send_to(b"x", &address).map(|n| shown(&n)));
        report(
            "forged",
            client
                .send_all(b"forge\n")
                .and_then(|()| client.receive(100))
                .map(|data| format!("{} bytes", data.len())),
        );
    }

    if let Some(silent) = args.next() {
        let quiet = stream().and_then(|socket| {
            socket.connect(&silent.parse()?)?;
            Ok(socket)
        });
        let options = TlsOptions::new().timeout(Some(Duration::from_millis(200)));
        for check in ["handshake-timeout", "handshake-resumed"] {
            let handshake = quiet
                .as_ref()
                .map_err(Clone::clone)
                .and_then(|socket| socket.tls_connect_with(&name, &options));
            report(check, handshake.map(|s| s.version));
        }
        // A held identity, on a connection the guest made (to the silent
        // listener, whose backlog takes it whatever the TLS peer is doing):
        // presented only on connections a listener accepted.
        if let Some(held) = identities().first() {
            report(
                "outbound-identity",
                stream()
                    .and_then(|socket| {
                        socket.connect(&silent.parse()?)?;
                        socket.tls_accept(held)
                    })
                    .map(|s| s.version),
            );
        }
    }

    report(
        "unconnected",
        stream()
            .and_then(|socket| socket.tls_connect(&name))
            .map(|s| s.version),
    );
    report(
        "datagram",
        Socket::new(Family::Inet, SocketType::Dgram, Protocol::DEFAULT)
            .and_then(|socket| {
                socket.connect(&address)?;
                socket.tls_connect(&name)
            })
            .map(|s| s.version),
    );
    report(
        "unknown-identity",
        // The name is checked before the socket (no connection needed, so
        // none on a TLS peer that may have closed its listener by now).
        stream()
            .and_then(|socket| socket.tls_accept("no-such-identity"))
            .map(|s| s.version),
    );
    println!("identities: {}", identities().join(","));
}
