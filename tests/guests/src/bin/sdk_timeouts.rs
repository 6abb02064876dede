//! SDK e2e: timeouts fire with class timeout. Connects to the native peer
//! at ADDR (which accepts and never sends) and checks, each failing with
//! class timeout, code timed-out and `io::ErrorKind::TimedOut`: a
//! per-call receive timeout (`receive_with`, `RecvOptions::timeout`), a
//! per-socket one (`set_timeouts`), the program's default
//! (`set_default_timeouts`) on a fresh socket, and an accept timeout on a
//! listener of its own.
//!
//! Usage: sdk_timeouts ADDR
use std::time::Duration;

use wasock::{
    ErrorClass, ErrorCode, Family, Protocol, RecvOptions, SockAddr, Socket, SocketType, Timeouts,
};

fn main() {
    if let Err(e) = run() {
        eprintln!("sdk_timeouts: {e}");
        std::process::exit(1);
    }
}

fn expect_timeout<T>(what: &str, r: wasock::Result<T>) -> Result<(), String> {
    match r {
        Ok(_) => Err(format!("{what}: succeeded, expected a timeout")),
        Err(e) if e.class() == ErrorClass::Timeout && e.code() == ErrorCode::TimedOut => {
            let io: std::io::Error = e.into();
            if io.kind() != std::io::ErrorKind::TimedOut {
                return Err(format!("{what}: io kind {:?}", io.kind()));
            }
            println!("{what}: timed out");
            Ok(())
        }
        Err(e) => Err(format!("{what}: expected a timeout, got {e}")),
    }
}

fn run() -> Result<(), String> {
    let addr: SockAddr = std::env::args()
        .nth(1)
        .ok_or("usage: sdk_timeouts ADDR")?
        .parse()
        .map_err(|e| format!("{e}"))?;
    let short = Some(Duration::from_millis(200));

    let socket = Socket::new(Family::Inet, SocketType::Stream, Protocol::DEFAULT)
        .map_err(|e| e.to_string())?;
    if socket.timeouts() != Timeouts::SPEC {
        return Err(format!(
            "a new socket's timeouts are {:?}, not the spec's",
            socket.timeouts()
        ));
    }
    socket
        .connect(&addr)
        .map_err(|e| format!("connect {addr}: {e}"))?;
    expect_timeout(
        "receive_with timeout",
        socket.receive_with(16, RecvOptions::new().timeout(short)),
    )?;

    socket.set_timeouts(Timeouts {
        receive: short,
        ..Timeouts::SPEC
    });
    expect_timeout("per-socket receive", socket.receive(16))?;
    let mut buf = [0u8; 8];
    expect_timeout("per-socket receive_into", socket.receive_into(&mut buf))?;

    wasock::set_default_timeouts(Timeouts {
        receive: short,
        accept: short,
        ..Timeouts::SPEC
    });
    let second = Socket::new(Family::Inet, SocketType::Stream, Protocol::DEFAULT)
        .map_err(|e| e.to_string())?;
    second
        .connect(&addr)
        .map_err(|e| format!("connect {addr}: {e}"))?;
    expect_timeout("program default receive", second.receive(16))?;

    let listener = Socket::new(Family::Inet, SocketType::Stream, Protocol::DEFAULT)
        .map_err(|e| e.to_string())?;
    listener
        .bind(&SockAddr::inet(Some("127.0.0.1"), 0).map_err(|e| e.to_string())?)
        .map_err(|e| format!("bind: {e}"))?;
    listener.listen(4).map_err(|e| format!("listen: {e}"))?;
    expect_timeout("program default accept", listener.accept())?;
    expect_timeout("accept_timeout", listener.accept_timeout(short))?;
    println!("sdk_timeouts: ok");
    Ok(())
}
