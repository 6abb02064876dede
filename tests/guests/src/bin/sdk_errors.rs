//! SDK e2e: errors from the real host carry the right class and code and
//! convert to the right `io::ErrorKind`. With IN_USE a port the native peer
//! listens on and REFUSED one nothing listens on:
//! bind to IN_USE → AddrInUse; connect to REFUSED → ConnectionRefused
//! (transient); connect to an address not granted → PermissionDenied; a
//! call after close → closed / NotConnected; `tcp/noopt` (not on Linux) →
//! class unsupported / Unsupported; a constant the host lacks → unsupported;
//! a bad port → InvalidInput.
//!
//! Usage: sdk_errors IN_USE_PORT REFUSED_PORT
use std::io::ErrorKind;

use wasock::constants::SO_USELOOPBACK;
use wasock::{ErrorClass, ErrorCode, Family, Protocol, SockAddr, Socket, SocketType};

fn main() {
    if let Err(e) = run() {
        eprintln!("sdk_errors: {e}");
        std::process::exit(1);
    }
}

fn expect<T>(
    what: &str,
    r: wasock::Result<T>,
    class: ErrorClass,
    code: ErrorCode,
    kind: ErrorKind,
) -> Result<(), String> {
    let e = match r {
        Ok(_) => return Err(format!("{what}: succeeded, expected {code}")),
        Err(e) => e,
    };
    if e.class() != class || e.code() != code {
        return Err(format!("{what}: expected {code} ({class}), got {e}"));
    }
    let io: std::io::Error = e.into();
    if io.kind() != kind {
        return Err(format!(
            "{what}: io kind {:?}, expected {kind:?}",
            io.kind()
        ));
    }
    println!("{what}: {kind:?}");
    Ok(())
}

fn tcp() -> Result<Socket, String> {
    Socket::new(Family::Inet, SocketType::Stream, Protocol::DEFAULT).map_err(|e| e.to_string())
}

fn run() -> Result<(), String> {
    let args: Vec<String> = std::env::args().collect();
    let [_, in_use, refused] = args.as_slice() else {
        return Err("usage: sdk_errors IN_USE_PORT REFUSED_PORT".into());
    };
    let addr = |a: &str, p: &str| SockAddr::inet(Some(a), p).map_err(|e| e.to_string());

    let s = tcp()?;
    expect(
        "bind in use",
        s.bind(&addr("127.0.0.1", in_use)?),
        ErrorClass::Fatal,
        ErrorCode::AddressInUse,
        ErrorKind::AddrInUse,
    )?;

    let s = tcp()?;
    expect(
        "connect refused",
        s.connect(&addr("127.0.0.1", refused)?),
        ErrorClass::Transient,
        ErrorCode::ConnectionRefused,
        ErrorKind::ConnectionRefused,
    )?;

    let s = tcp()?;
    expect(
        "connect not granted",
        s.connect(&addr("127.0.0.2", refused)?),
        ErrorClass::Fatal,
        ErrorCode::PermissionDenied,
        ErrorKind::PermissionDenied,
    )?;

    let s = tcp()?;
    s.close().map_err(|e| format!("close: {e}"))?;
    expect(
        "after close",
        s.send(b"x"),
        ErrorClass::Fatal,
        ErrorCode::Closed,
        ErrorKind::NotConnected,
    )?;
    s.close_quietly();

    let s = tcp()?;
    let r = s.set_tcp_no_options(true);
    match &r {
        Err(e) if e.class() == ErrorClass::Unsupported => {
            let io: std::io::Error = e.clone().into();
            if io.kind() != ErrorKind::Unsupported {
                return Err(format!("tcp/noopt: io kind {:?}", io.kind()));
            }
            println!("tcp/noopt: Unsupported");
        }
        other => {
            return Err(format!(
                "tcp/noopt: expected class unsupported, got {other:?}"
            ));
        }
    }

    if SO_USELOOPBACK.value().is_some() {
        return Err("so/useloopback is defined on this host".into());
    }
    expect(
        "undefined constant",
        SO_USELOOPBACK.get(),
        ErrorClass::Unsupported,
        ErrorCode::OptionNotSupported,
        ErrorKind::Unsupported,
    )?;

    expect(
        "bad port",
        SockAddr::inet(Some("127.0.0.1"), "http"),
        ErrorClass::Fatal,
        ErrorCode::InvalidArgument,
        ErrorKind::InvalidInput,
    )?;
    println!("sdk_errors: ok");
    Ok(())
}
