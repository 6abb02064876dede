//! `fault_trap_mid_connection ADDR`: opens sockets, connects to ADDR,
//! sends a line, binds a datagram socket to 127.0.0.1:0, then traps
//! (`std::process::abort`) with all of them open, mid-connection. The
//! host must close every one of its descriptors (the reliability test
//! counts them). Needs `--allow-connect ADDR` and `--allow-bind
//! 127.0.0.1:0`.

use wasock::{Family, Protocol, SockAddr, Socket, SocketType};

fn fail(what: &str, e: impl std::fmt::Display) -> ! {
    eprintln!("fault_trap_mid_connection: {what}: {e}");
    std::process::exit(1)
}

fn main() {
    let Some(target) = std::env::args().nth(1) else {
        fail("usage", "fault_trap_mid_connection ADDR")
    };
    let target: SockAddr = target.parse().unwrap_or_else(|e| fail("address", e));
    let tcp = Socket::new(Family::Inet, SocketType::Stream, Protocol::DEFAULT)
        .unwrap_or_else(|e| fail("socket", e));
    tcp.connect(&target).unwrap_or_else(|e| fail("connect", e));
    tcp.send_all(b"about to trap\n")
        .unwrap_or_else(|e| fail("send", e));
    let udp = Socket::new(Family::Inet, SocketType::Dgram, Protocol::DEFAULT)
        .unwrap_or_else(|e| fail("socket", e));
    let local = SockAddr::inet(Some("127.0.0.1"), 0u16).unwrap_or_else(|e| fail("address", e));
    udp.bind(&local).unwrap_or_else(|e| fail("bind", e));
    let _idle = Socket::new(Family::Inet6, SocketType::Stream, Protocol::DEFAULT)
        .unwrap_or_else(|e| fail("socket", e));
    std::process::abort();
}
