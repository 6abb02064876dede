//! `spec_raw`: `sock/raw` and `ip-header-included?` on a real raw socket.
//!
//! Creates an `af/inet` `sock/raw` socket for ICMP. Where the host or the
//! OS refuses, prints `raw: CLASS/CODE: MESSAGE` and exits 0 (the test
//! judges: without `--allow-raw` the refusal is the policy's). Otherwise
//! prints `raw: TYPE, protocol N` and `ip-header-included: A B C` (read,
//! then read after setting true, then after setting false).

use wasock::{Family, Protocol, Socket, SocketType};

fn fail(what: &str, e: impl std::fmt::Display) -> ! {
    eprintln!("spec_raw: {what}: {e}");
    std::process::exit(1)
}

fn main() {
    let socket = match Socket::new(Family::Inet, SocketType::Raw, Protocol::ICMP) {
        Ok(socket) => socket,
        Err(e) => {
            println!("raw: {}/{}: {}", e.class(), e.code(), e.message());
            return;
        }
    };
    println!(
        "raw: {}, protocol {}",
        socket.socket_type(),
        socket.protocol().0
    );
    let get = || {
        socket
            .ip_header_included()
            .unwrap_or_else(|e| fail("ip-header-included?", e))
    };
    let before = get();
    socket
        .set_ip_header_included(true)
        .unwrap_or_else(|e| fail("set ip-header-included? true", e));
    let on = get();
    socket
        .set_ip_header_included(false)
        .unwrap_or_else(|e| fail("set ip-header-included? false", e));
    let off = get();
    println!("ip-header-included: {before} {on} {off}");
    println!("spec_raw: ok");
}
