//! `fault_half_close ADDR`: connects to ADDR, sends `request`, shuts down
//! its write side, then receives until end of file: prints `got: TEXT`
//! (what the native peer sent after reading our EOF) and `fault half close
//! done`. Needs `--allow-connect ADDR`.

use std::time::Duration;

use wasock::{Family, Protocol, RecvOptions, Shutdown, SockAddr, Socket, SocketType};

fn fail(what: &str, e: impl std::fmt::Display) -> ! {
    eprintln!("fault_half_close: {what}: {e}");
    std::process::exit(1)
}

fn main() {
    let Some(target) = std::env::args().nth(1) else {
        fail("usage", "fault_half_close ADDR")
    };
    let target: SockAddr = target.parse().unwrap_or_else(|e| fail("address", e));
    let socket = Socket::new(Family::Inet, SocketType::Stream, Protocol::DEFAULT)
        .unwrap_or_else(|e| fail("socket", e));
    socket
        .connect(&target)
        .unwrap_or_else(|e| fail("connect", e));
    socket
        .send_all(b"request")
        .unwrap_or_else(|e| fail("send", e));
    socket
        .shutdown(Shutdown::Write)
        .unwrap_or_else(|e| fail("shutdown", e));
    match socket.send(b"more") {
        Ok(n) => fail("send after shutdown", format!("sent {n} bytes")),
        Err(e) => println!("send after shutdown: {}/{}", e.class(), e.code().as_str()),
    }
    let mut got = Vec::new();
    for _ in 0..10_000 {
        let data = socket
            .receive_with(
                4096,
                RecvOptions::new().timeout(Some(Duration::from_secs(20))),
            )
            .unwrap_or_else(|e| fail("receive", e));
        if data.is_empty() {
            break;
        }
        got.extend_from_slice(&data);
    }
    println!("got: {}", String::from_utf8_lossy(&got));
    println!("fault half close done");
}
