//! Async SDK e2e: wasock's futures under executors other than its own
//! `block_on` (the SDK built with the `wstd` feature).
//!
//! - `wstd`: under `wstd::runtime::block_on`, `wasock::async_io::sleep`
//!   of 100 ms waits at least that long on a wstd timer, and
//!   `wasock::async_io::timeout` of 100 ms ends a receive on a datagram
//!   socket nothing is sent to with class timeout; prints `ok sleep` and
//!   `ok timeout`.
//! - `foreign`: a receive on that socket polled by a hand-written
//!   executor (neither wasock's nor wstd's) panics, wasock having said on
//!   stderr which executors drive its futures.
//!
//! Usage: poll_set_wstd_executors wstd|foreign (with `--allow-bind
//! 127.0.0.1:0`)
use std::future::Future;
use std::pin::pin;
use std::task::{Context, Waker};
use std::time::{Duration, Instant};

use wasock::async_io::{AsyncSocket, sleep, timeout};
use wasock::{Family, Protocol, SockAddr, SocketType};

fn quiet_socket() -> AsyncSocket {
    let socket = AsyncSocket::new(Family::Inet, SocketType::Dgram, Protocol::DEFAULT)
        .unwrap_or_else(|e| fail("socket", e));
    let address = SockAddr::inet(Some("127.0.0.1"), 0).unwrap_or_else(|e| fail("address", e));
    socket.bind(&address).unwrap_or_else(|e| fail("bind", e));
    socket
}

fn fail(what: &str, error: impl std::fmt::Display) -> ! {
    eprintln!("poll_set_wstd_executors: {what}: {error}");
    std::process::exit(1);
}

fn main() {
    match std::env::args().nth(1).as_deref() {
        Some("wstd") => wstd::runtime::block_on(under_wstd()),
        Some("foreign") => {
            let socket = quiet_socket();
            let mut receive = pin!(socket.receive(5));
            let mut cx = Context::from_waker(Waker::noop());
            for _ in 0..3 {
                if receive.as_mut().poll(&mut cx).is_ready() {
                    fail("foreign", "a receive with nothing sent finished");
                }
            }
            fail("foreign", "polled outside any runtime without a word");
        }
        _ => fail("usage", "poll_set_wstd_executors wstd|foreign"),
    }
}

async fn under_wstd() {
    let start = Instant::now();
    sleep(Duration::from_millis(100)).await;
    let slept = start.elapsed();
    if slept < Duration::from_millis(100) {
        fail("sleep", format!("woke after {slept:?}"));
    }
    println!("ok sleep");

    let socket = quiet_socket();
    let start = Instant::now();
    match timeout(Duration::from_millis(100), socket.receive(5)).await {
        Err(error) if error.is_timeout() => {}
        other => fail("timeout", format!("{other:?}")),
    }
    let took = start.elapsed();
    if took < Duration::from_millis(100) {
        fail("timeout", format!("timed out after {took:?}"));
    }
    println!("ok timeout");
}
