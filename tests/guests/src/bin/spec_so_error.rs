//! `spec_so_error CLOSED RESETTING`: `so-error` (`Socket::take_error`)
//! reading a real pending error, and clearing it.
//!
//! - UDP: a socket connected to CLOSED (a loopback port nothing listens
//!   on) has no pending error; a datagram sent there draws an ICMP port
//!   unreachable, which leaves `connection-refused` pending. Prints `udp
//!   fresh: none`, `udp subscription readable: BOOL` (whether a readable
//!   subscription saw the error), `udp pending: CLASS/CODE` and `udp
//!   after: none`.
//! - TCP: a connection to RESETTING, a native peer that resets it at once:
//!   the reset leaves `connection-reset` pending. Prints `tcp fresh: none`
//!   (before the reset), `tcp connected` (the peer resets after it), `tcp subscription readable: BOOL`, `tcp pending:
//!   CLASS/CODE` and `tcp after: none`.
//!
//! (A refused connect on loopback cannot leave its error pending: the
//! refusal comes back within the connect call, which reports it.)
//!
//! Needs `--allow-connect` for both addresses.

use std::time::{Duration, Instant};

use wasock::poll::{Subscription, wait_any};
use wasock::{Interest, Protocol, SockAddr, Socket, SocketType};

fn fail(what: &str, e: impl std::fmt::Display) -> ! {
    eprintln!("spec_so_error: {what}: {e}");
    std::process::exit(1)
}

fn pending(socket: &Socket) -> String {
    match socket.take_error() {
        Ok(None) => "none".to_owned(),
        Ok(Some(e)) => format!("{}/{}", e.class(), e.code()),
        Err(e) => fail("so-error", e),
    }
}

/// Waits (at most 10 s) until `poll(2)` says `socket` has something to
/// report (an error pending counts), then says whether a readable
/// subscription says so too (the WIT: readable includes "an error
/// pending").
fn wait_for_error(socket: &Socket) -> bool {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !socket
        .receive_ready()
        .unwrap_or_else(|e| fail("receive-ready", e))
    {
        if Instant::now() > deadline {
            fail("poll", "no error pending within 10 s");
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    let subscription = Subscription::new(socket, Interest::READABLE);
    // Ready at once where it works; 2 s leaves room for a loaded machine.
    let ready = wait_any(&[&subscription], Some(Duration::from_secs(2)))
        .unwrap_or_else(|e| fail("poll", e));
    !ready.is_empty()
}

fn main() {
    let target: SockAddr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| fail("usage", "spec_so_error CLOSED RESETTING"))
        .parse()
        .unwrap_or_else(|e| fail("address", e));

    let udp = Socket::new(target.family(), SocketType::Dgram, Protocol::DEFAULT)
        .unwrap_or_else(|e| fail("udp socket", e));
    udp.connect(&target)
        .unwrap_or_else(|e| fail("udp connect", e));
    println!("udp fresh: {}", pending(&udp));
    udp.send(b"anyone?").unwrap_or_else(|e| fail("udp send", e));
    let subscription = wait_for_error(&udp);
    println!("udp subscription readable: {subscription}");
    println!("udp pending: {}", pending(&udp));
    println!("udp after: {}", pending(&udp));

    let resetting: SockAddr = std::env::args()
        .nth(2)
        .unwrap_or_else(|| fail("usage", "spec_so_error CLOSED RESETTING"))
        .parse()
        .unwrap_or_else(|e| fail("address", e));
    let tcp = Socket::new(resetting.family(), SocketType::Stream, Protocol::DEFAULT)
        .unwrap_or_else(|e| fail("tcp socket", e));
    println!("tcp fresh: {}", pending(&tcp));
    tcp.connect(&resetting)
        .unwrap_or_else(|e| fail("tcp connect", e));
    // The peer resets the connection only once it has read this line: a
    // reset that came first would fail the connect itself.
    println!("tcp connected");
    let _ = std::io::Write::flush(&mut std::io::stdout());
    let subscription = wait_for_error(&tcp);
    println!("tcp subscription readable: {subscription}");
    println!("tcp pending: {}", pending(&tcp));
    println!("tcp after: {}", pending(&tcp));
    println!("spec_so_error: ok");
}
