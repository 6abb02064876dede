//! `spec_options`: the typed options through the WIT from a guest:
//! `so-debug?` (set: whatever the OS answers, as a typed error or ok; get
//! works, and agrees after a successful set), `so-send-buffer` and
//! `so-receive-buffer` (round trip; Linux doubles, so at least the value
//! set), `so-send-low-water` (reads; setting is class unsupported on Linux),
//! `tcp-max-segment-size` (set 1200, then at most that and more than 0,
//! before and after connecting to the native peer).
//!
//! Usage: spec_options PEER_ADDR (needs `--allow-connect PEER_ADDR`). Prints
//! one line per case; exits non-zero with a message when a check fails.

use std::time::Duration;

use wasock::{Family, Protocol, Socket, SocketType};

fn fail(what: &str, e: impl std::fmt::Display) -> ! {
    eprintln!("spec_options: {what}: {e}");
    std::process::exit(1)
}

fn outcome<T>(result: &wasock::Result<T>) -> String {
    match result {
        Ok(_) => "ok".to_owned(),
        Err(e) => format!("{}/{} ({})", e.class(), e.code().as_str(), e.message()),
    }
}

fn main() {
    let peer = std::env::args()
        .nth(1)
        .unwrap_or_else(|| fail("usage", "spec_options PEER_ADDR"));
    let peer: wasock::SockAddr = peer.parse().unwrap_or_else(|e| fail("peer address", e));
    let s = Socket::new(Family::Inet, SocketType::Stream, Protocol::DEFAULT)
        .unwrap_or_else(|e| fail("socket", e));

    // so-debug?: Linux wants CAP_NET_ADMIN to turn it on.
    let debug_set = s.set_debug(true);
    println!("so-debug set: {}", outcome(&debug_set));
    let debug = s.debug().unwrap_or_else(|e| fail("so-debug get", e));
    println!("so-debug get: {debug}");
    if debug_set.is_ok() && !debug {
        fail("so-debug", "set to true succeeded but reads false");
    }
    if let Err(e) = &debug_set
        && e.is_timeout()
    {
        fail("so-debug set", "class timeout from a setsockopt");
    }

    // so-send-buffer / so-receive-buffer.
    s.set_send_buffer_size(65536)
        .unwrap_or_else(|e| fail("so-send-buffer set", e));
    let send = s
        .send_buffer_size()
        .unwrap_or_else(|e| fail("so-send-buffer get", e));
    println!("so-send-buffer: set 65536 got {send}");
    if send < 65536 {
        fail("so-send-buffer", format!("{send} < 65536"));
    }
    s.set_receive_buffer_size(32768)
        .unwrap_or_else(|e| fail("so-receive-buffer set", e));
    let receive = s
        .receive_buffer_size()
        .unwrap_or_else(|e| fail("so-receive-buffer get", e));
    println!("so-receive-buffer: set 32768 got {receive}");
    if receive < 32768 {
        fail("so-receive-buffer", format!("{receive} < 32768"));
    }

    // so-send-low-water: reads; set is refused on Linux.
    let low = s
        .send_low_water()
        .unwrap_or_else(|e| fail("so-send-low-water get", e));
    println!("so-send-low-water get: {low}");
    let set_low = s.set_send_low_water(4096);
    println!("so-send-low-water set: {}", outcome(&set_low));

    // tcp-max-segment-size: before and after connecting.
    s.set_tcp_max_segment_size(1200)
        .unwrap_or_else(|e| fail("tcp-max-segment-size set", e));
    let mss = s
        .tcp_max_segment_size()
        .unwrap_or_else(|e| fail("tcp-max-segment-size get", e));
    println!("tcp-max-segment-size unconnected: set 1200 got {mss}");
    if mss == 0 || mss > 1200 {
        fail("tcp-max-segment-size unconnected", mss);
    }
    s.connect_timeout(&peer, Some(Duration::from_secs(30)))
        .unwrap_or_else(|e| fail("connect", e));
    let mss = s
        .tcp_max_segment_size()
        .unwrap_or_else(|e| fail("tcp-max-segment-size get connected", e));
    println!("tcp-max-segment-size connected: got {mss}");
    if mss == 0 || mss > 1200 {
        fail("tcp-max-segment-size connected", mss);
    }
    println!("spec_options: ok");
}
