//! `spec_teardown MODE ADDR`: what a native peer at ADDR sees of the
//! spec's teardown procedures.
//!
//! - `close-quietly`: sends `x`, then `socket-close*`
//!   (`Socket::close_quietly`): the peer sees `x` and end of file; a send
//!   afterwards fails with `closed` (printed `after close*: CLASS/CODE`),
//!   and a second `close*` does nothing.
//! - `shut-rd`: `shutdown(Shutdown::Read)` (`shut/rd`): a receive returns
//!   end of file at once (printed `receive after shut/rd: N bytes in T ms`)
//!   while sending still works: `still sending\n` reaches the peer.
//! - `shut-wr`: `shutdown(Shutdown::Write)` (`shut/wr`): the peer sees end
//!   of file, and its `reply\n` still arrives (printed `received after
//!   shut/wr: reply`); a send then fails (printed `send after shut/wr:
//!   CLASS/CODE`).
//! - `abandon`: two connections through `io_ports`. The first writes
//!   `plain\n` and closes its writer (the peer sees end of file), then
//!   reads the peer's `ack-plain`. The second abandons its writer
//!   (`socket-abandon-port`), writes `abandoned\n` and closes it: no end of
//!   file for the peer, whose `ack-abandoned` the reader then reads; closing
//!   the reader closes the socket.
//!
//! Needs `--allow-connect ADDR`.

use std::io::{BufRead, Write};
use std::time::{Duration, Instant};

use wasock::ports::io_ports;
use wasock::{Protocol, RecvOptions, Shutdown, SockAddr, Socket, SocketType};

fn fail(what: &str, e: impl std::fmt::Display) -> ! {
    eprintln!("spec_teardown: {what}: {e}");
    std::process::exit(1)
}

fn outcome<T>(result: wasock::Result<T>) -> String {
    match result {
        Ok(_) => "ok".to_owned(),
        Err(e) => format!("{}/{}", e.class(), e.code()),
    }
}

fn connect(target: &SockAddr) -> Socket {
    let socket = Socket::new(target.family(), SocketType::Stream, Protocol::DEFAULT)
        .unwrap_or_else(|e| fail("socket", e));
    socket
        .connect(target)
        .unwrap_or_else(|e| fail("connect", e));
    socket
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (Some(mode), Some(target)) = (args.get(1), args.get(2)) else {
        fail(
            "usage",
            "spec_teardown close-quietly|shut-rd|shut-wr|abandon ADDR",
        )
    };
    let target: SockAddr = target.parse().unwrap_or_else(|e| fail("address", e));
    let wait = RecvOptions::new().timeout(Some(Duration::from_secs(10)));
    match mode.as_str() {
        "close-quietly" => {
            let socket = connect(&target);
            socket.send_all(b"x").unwrap_or_else(|e| fail("send", e));
            socket.close_quietly();
            println!("after close*: {}", outcome(socket.send(b"y")));
            socket.close_quietly();
        }
        "shut-rd" => {
            let socket = connect(&target);
            socket
                .shutdown(Shutdown::Read)
                .unwrap_or_else(|e| fail("shutdown", e));
            let start = Instant::now();
            match socket.receive_with(100, wait) {
                Ok(data) => println!(
                    "receive after shut/rd: {} bytes in {} ms",
                    data.len(),
                    start.elapsed().as_millis()
                ),
                Err(e) => println!("receive after shut/rd: {}/{}", e.class(), e.code()),
            }
            println!(
                "send after shut/rd: {}",
                outcome(socket.send_all(b"still sending\n"))
            );
            socket.close().unwrap_or_else(|e| fail("close", e));
        }
        "shut-wr" => {
            let socket = connect(&target);
            socket
                .shutdown(Shutdown::Write)
                .unwrap_or_else(|e| fail("shutdown", e));
            match socket.receive_with(100, wait) {
                Ok(data) => println!(
                    "received after shut/wr: {}",
                    String::from_utf8_lossy(&data).trim_end()
                ),
                Err(e) => println!("received after shut/wr: {}/{}", e.class(), e.code()),
            }
            println!("send after shut/wr: {}", outcome(socket.send(b"late")));
            socket.close().unwrap_or_else(|e| fail("close", e));
        }
        "abandon" => {
            for (label, abandon) in [("plain", false), ("abandoned", true)] {
                let (mut reader, mut writer) = io_ports(connect(&target));
                if abandon {
                    writer.abandon();
                }
                writeln!(writer, "{label}").unwrap_or_else(|e| fail("write", e));
                writer.close().unwrap_or_else(|e| fail("close writer", e));
                let mut line = String::new();
                reader
                    .read_line(&mut line)
                    .unwrap_or_else(|e| fail("read_line", e));
                println!("{label}: read {}", line.trim_end());
                reader.close().unwrap_or_else(|e| fail("close reader", e));
            }
        }
        other => fail("unknown mode", other),
    }
    println!("spec_teardown: ok");
}
