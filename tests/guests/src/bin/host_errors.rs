//! `host_errors CLOSED_PORT`: the error classes and codes the host returns,
//! end to end through the WIT: connect refused is transient, a receive's
//! own timeout is class timeout, calls after close fail with `closed`, an
//! unbound socket has no name and a long datagram comes back truncated. Prints `errors ok`.

use std::process::exit;
use std::time::Duration;

use wasock::{ErrorClass, ErrorCode, Family, Protocol, RecvOptions, SockAddr, Socket, SocketType};

fn fail(what: &str, error: impl std::fmt::Display) -> ! {
    eprintln!("host_errors: {what}: {error}");
    exit(1)
}

fn expect_error<T: std::fmt::Debug>(
    what: &str,
    result: wasock::Result<T>,
    class: ErrorClass,
    code: ErrorCode,
) {
    match result {
        Ok(value) => fail(what, format!("succeeded with {value:?}")),
        Err(e) if e.class() == class && e.code() == code => {}
        Err(e) => fail(
            what,
            format!(
                "expected {class:?}/{code:?}, got {:?}/{:?}: {e}",
                e.class(),
                e.code()
            ),
        ),
    }
}

fn main() {
    let Some(port) = std::env::args().nth(1) else {
        fail("usage", "host_errors CLOSED_PORT")
    };
    let refused =
        SockAddr::inet(Some("127.0.0.1"), port.as_str()).unwrap_or_else(|e| fail("address", e));

    let tcp = Socket::new(Family::Inet, SocketType::Stream, Protocol::DEFAULT)
        .unwrap_or_else(|e| fail("socket", e));
    match tcp.name() {
        Ok(None) => {}
        other => fail("name of an unbound socket", format!("{other:?}")),
    }
    expect_error(
        "connect to a closed port",
        tcp.connect(&refused),
        ErrorClass::Transient,
        ErrorCode::ConnectionRefused,
    );

    let udp = Socket::new(Family::Inet, SocketType::Dgram, Protocol::DEFAULT)
        .unwrap_or_else(|e| fail("socket", e));
    let loopback = SockAddr::inet(Some("127.0.0.1"), 0u16).unwrap_or_else(|e| fail("address", e));
    udp.bind(&loopback).unwrap_or_else(|e| fail("bind", e));
    expect_error(
        "receive with nothing to receive",
        udp.receive_with(
            16,
            RecvOptions::new().timeout(Some(Duration::from_millis(100))),
        ),
        ErrorClass::Timeout,
        ErrorCode::TimedOut,
    );
    // A datagram to ourselves, longer than we ask for.
    let own = udp
        .name()
        .unwrap_or_else(|e| fail("name", e))
        .unwrap_or_else(|| fail("name", "none after bind"));
    udp.send_to(&[7u8; 100], &own)
        .unwrap_or_else(|e| fail("send-to", e));
    let received = udp
        .receive_from(10)
        .unwrap_or_else(|e| fail("receive-from", e));
    if received.data != [7u8; 10] || received.address.as_ref() != Some(&own) || !received.truncated
    {
        fail("truncated datagram", format!("{received:?}"));
    }

    udp.close().unwrap_or_else(|e| fail("close", e));
    expect_error(
        "receive after close",
        udp.receive(1),
        ErrorClass::Fatal,
        ErrorCode::Closed,
    );
    expect_error(
        "close twice",
        udp.close(),
        ErrorClass::Fatal,
        ErrorCode::Closed,
    );
    println!("errors ok");
}
