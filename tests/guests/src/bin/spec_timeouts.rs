//! `spec_timeouts`: the spec's timeout parameters firing, as a socket's own
//! default (`Socket::set_timeouts`) and as the program's
//! (`wasock::set_default_timeouts`), with no per-call timeout.
//!
//! - `spec_timeouts send ADDR`: connects twice to a native peer that never
//!   reads, with a small `so-send-buffer`: first with a 300 ms send timeout
//!   of the socket's own, then with the program's default set to 300 ms;
//!   each sends 16 KiB at a time (at most 4000 sends) until a send fails,
//!   and prints `send socket default: class/code after N bytes in K sends`
//!   and `send program default: ...`.
//! - `spec_timeouts connect ADDR`: ADDR is a native listener whose backlog
//!   is full; one connect with a 500 ms connect timeout of the socket's
//!   own, one on a fresh socket with the program's default set to 500 ms;
//!   prints `connect socket default: ...` and `connect program default: ...`
//!   (`ok` or `class/code (message)`).
//!
//! Needs `--allow-connect ADDR`. Exits non-zero only when the guest itself
//! cannot run the case.

use std::time::Duration;

use wasock::{Protocol, SockAddr, Socket, SocketType, Timeouts};

fn fail(what: &str, e: impl std::fmt::Display) -> ! {
    eprintln!("spec_timeouts: {what}: {e}");
    std::process::exit(1)
}

fn outcome(result: &wasock::Result<()>) -> String {
    match result {
        Ok(()) => "ok".to_owned(),
        Err(e) => format!("{}/{} ({})", e.class(), e.code().as_str(), e.message()),
    }
}

fn stream(target: &SockAddr) -> Socket {
    Socket::new(target.family(), SocketType::Stream, Protocol::DEFAULT)
        .unwrap_or_else(|e| fail("socket", e))
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (Some(mode), Some(target)) = (args.get(1), args.get(2)) else {
        fail("usage", "spec_timeouts send|connect ADDR")
    };
    let target: SockAddr = target.parse().unwrap_or_else(|e| fail("address", e));
    match mode.as_str() {
        "send" => send(&target),
        "connect" => connect(&target),
        other => fail("unknown mode", other),
    }
}

fn send(target: &SockAddr) {
    // The socket's own timeouts.
    let own = stream(target);
    own.set_timeouts(Timeouts {
        send: Some(Duration::from_millis(300)),
        ..Timeouts::SPEC
    });
    fill("send socket default", &own, target);
    // The program's default, on a socket without timeouts of its own.
    wasock::set_default_timeouts(Timeouts {
        send: Some(Duration::from_millis(300)),
        ..Timeouts::SPEC
    });
    let program = stream(target);
    fill("send program default", &program, target);
    println!("spec_timeouts: done");
}

/// Connects (small send buffer), then sends 16 KiB at a time (at most 4000
/// sends) with the socket's timeouts until a send fails; prints how.
fn fill(case: &str, socket: &Socket, target: &SockAddr) {
    socket
        .set_send_buffer_size(4096)
        .unwrap_or_else(|e| fail("so-send-buffer", e));
    socket
        .connect_timeout(target, Some(Duration::from_secs(30)))
        .unwrap_or_else(|e| fail("connect", e));
    println!("{case} timeout: {:?}", socket.timeouts().send);
    let chunk = vec![0x5au8; 16384];
    let mut total = 0usize;
    for count in 1..=4000 {
        match socket.send(&chunk) {
            Ok(n) => total += n,
            Err(e) => {
                println!(
                    "{case}: {}/{} after {total} bytes in {count} sends ({})",
                    e.class(),
                    e.code().as_str(),
                    e.message()
                );
                return;
            }
        }
    }
    println!("{case}: no error after {total} bytes in 4000 sends");
}

fn connect(target: &SockAddr) {
    let own = stream(target);
    own.set_timeouts(Timeouts {
        connect: Some(Duration::from_millis(500)),
        ..Timeouts::SPEC
    });
    println!(
        "socket default connect timeout: {:?}",
        own.timeouts().connect
    );
    println!("connect socket default: {}", outcome(&own.connect(target)));
    own.close_quietly();

    wasock::set_default_timeouts(Timeouts {
        connect: Some(Duration::from_millis(500)),
        ..Timeouts::SPEC
    });
    let program = stream(target);
    println!(
        "program default connect timeout: {:?}",
        program.timeouts().connect
    );
    println!(
        "connect program default: {}",
        outcome(&program.connect(target))
    );
    program.close_quietly();
    println!("spec_timeouts: done");
}
