//! Adapter e2e: what `wasi:sockets` cannot do, asked of an adapted guest,
//! and a few things it can, next to them. Connects one socket first to
//! REFUSED (where nothing listens) and then, the same socket, to the native
//! peer at ADDR (a listener that stays quiet), and prints one line per
//! call: `LABEL: CLASS/CODE` for an error, `LABEL: ok VALUE` otherwise,
//! then `done`. Nothing here may trap.
//!
//! Usage: adapter_unsupported ADDR REFUSED
use std::fmt::Debug;
use std::time::Duration;

use wasock::constants::{SO_DEBUG, SO_KEEPALIVE, SO_RCVTIMEO, SO_TYPE, SOL_SOCKET};
use wasock::{
    AddrInfoFlags, AddrInfoHints, Family, NameInfoFlags, Protocol, RecvFlags, SendFlags, Shutdown,
    SockAddr, Socket, SocketType,
};

fn main() {
    if let Err(e) = run() {
        eprintln!("adapter_unsupported: {e}");
        std::process::exit(1);
    }
}

fn report<T: Debug>(label: &str, result: wasock::Result<T>) {
    match result {
        Ok(value) => println!("{label}: ok {value:?}"),
        Err(e) => println!("{label}: {}/{}", e.class(), e.code()),
    }
}

fn run() -> Result<(), String> {
    let args: Vec<String> = std::env::args().collect();
    let [_, addr, refused] = args.as_slice() else {
        return Err("usage: adapter_unsupported ADDR REFUSED".into());
    };
    let peer: SockAddr = addr.parse().map_err(|e| format!("{addr}: {e}"))?;
    let refused: SockAddr = refused.parse().map_err(|e| format!("{refused}: {e}"))?;
    let peer_address = peer.clone();

    // Families and types wasi:sockets lacks.
    report(
        "unix socket",
        Socket::new(Family::Unix, SocketType::Stream, Protocol::DEFAULT),
    );
    report(
        "raw socket",
        Socket::new(Family::Inet, SocketType::Raw, Protocol(1)),
    );

    // Resolution: reverse lookups, service names, canonical names.
    let local = SockAddr::inet(Some("127.0.0.1"), 80).map_err(|e| e.to_string())?;
    report(
        "name-information",
        wasock::name_information(&local, NameInfoFlags::empty()),
    );
    report(
        "name-information numeric",
        wasock::name_information(
            &local,
            NameInfoFlags::NUMERICHOST | NameInfoFlags::NUMERICSERV,
        ),
    );
    report(
        "name-information namereqd",
        wasock::name_information(&local, NameInfoFlags::NUMERICHOST | NameInfoFlags::NAMEREQD),
    );
    report(
        "service name",
        wasock::address_information(Some("127.0.0.1"), Some("http"), &AddrInfoHints::default())
            .map(|found| found.len()),
    );
    let canonical = AddrInfoHints {
        flags: AddrInfoFlags::CANONNAME,
        ..AddrInfoHints::default()
    };
    report(
        "canonical name",
        wasock::address_information(Some("127.0.0.1"), Some("80"), &canonical)
            .map(|found| found.len()),
    );
    report(
        "numeric address-information",
        wasock::address_information(Some("127.0.0.1"), Some("80"), &AddrInfoHints::default())
            .map(|found| found.len()),
    );

    // Listeners the host opened: a stock host opens none.
    report(
        "listeners",
        wasock::listeners().map(|listeners| listeners.len()),
    );

    // Flags and options on a connected stream.
    let socket = Socket::new(peer.family(), SocketType::Stream, Protocol::DEFAULT)
        .map_err(|e| e.to_string())?;
    println!(
        "socket: {:?} {:?} {}",
        socket.family(),
        socket.socket_type(),
        socket.protocol().0
    );
    // A refused connect is transient, and the same socket connects again.
    report("connect refused", socket.connect(&refused));
    report("connect again", socket.connect(&peer));
    report("peek", socket.receive_with(1, RecvFlags::PEEK));
    report("receive oob", socket.receive_with(1, RecvFlags::OOB));
    report("send oob", socket.send_with(b"!", SendFlags::OOB));
    report("tcp-no-delay", socket.set_tcp_no_delay(true));
    // The other typed options wasi:sockets has no counterpart for.
    report("so-debug?", socket.debug());
    report("so-dont-route?", socket.dont_route());
    report("so-broadcast?", socket.broadcast());
    report("so-oob-inline?", socket.oob_inline());
    report("so-send-low-water", socket.send_low_water());
    report("so-receive-low-water", socket.receive_low_water());
    report("tcp-no-push?", socket.tcp_no_push());
    report("tcp-no-options?", socket.tcp_no_options());
    report("tcp-max-segment-size", socket.tcp_max_segment_size());
    report("ip-header-included?", socket.ip_header_included());
    report("ip-type-of-service", socket.ip_type_of_service());
    report(
        "so-error",
        socket.take_error().map(|pending| pending.is_none()),
    );
    report(
        "peer-name",
        socket
            .peer_name()
            .map(|peer| peer == Some(peer_address.clone())),
    );
    report(
        "low-level so/debug",
        SOL_SOCKET
            .get()
            .and_then(|level| socket.get_option_int(level, SO_DEBUG.get()?)),
    );
    report("so-keep-alive", socket.set_keep_alive(true));
    report("so-keep-alive?", socket.keep_alive());
    report("ip-time-to-live", socket.set_ip_time_to_live(64));
    report("ip-time-to-live?", socket.ip_time_to_live());
    report("so-reuse-address?", socket.reuse_address());
    report("so-reuse-address off", socket.set_reuse_address(false));
    report("so-linger", socket.linger());
    report("ipv6-v6-only? on inet", socket.ipv6_v6_only());
    report("so-accept-connections?", socket.accept_connections());
    report("so-type", socket.so_type());
    report(
        "so-send-buffer",
        socket
            .set_send_buffer_size(65536)
            .and_then(|()| socket.send_buffer_size())
            .map(|size| size >= 65536),
    );
    report(
        "so-receive-buffer",
        socket
            .set_receive_buffer_size(65536)
            .and_then(|()| socket.receive_buffer_size())
            .map(|size| size >= 65536),
    );
    report(
        "tcp-keep-alive",
        socket
            .set_tcp_keep_alive(Duration::from_secs(30))
            .and_then(|()| socket.tcp_keep_alive()),
    );
    report(
        "low-level so/keepalive",
        SOL_SOCKET
            .get()
            .and_then(|level| socket.get_option_int(level, SO_KEEPALIVE.get()?)),
    );
    report(
        "low-level set so/type",
        SOL_SOCKET
            .get()
            .and_then(|level| socket.set_option_int(level, SO_TYPE.get()?, 2)),
    );
    // A struct timeval of 2.5 s, kept and read back.
    let mut timeval = [0u8; 16];
    timeval[..8].copy_from_slice(&2i64.to_le_bytes());
    timeval[8..].copy_from_slice(&500_000i64.to_le_bytes());
    report(
        "low-level so/rcvtimeo",
        SOL_SOCKET
            .get()
            .and_then(|level| {
                socket.set_option_bytes(level, SO_RCVTIMEO.get()?, &timeval)?;
                socket.get_option_bytes(level, SO_RCVTIMEO.get()?, 16)
            })
            .map(|read| read == timeval),
    );
    report(
        "nothing to receive",
        socket.receive_with(1, RecvFlags::DONT_WAIT),
    );
    socket.close().map_err(|e| e.to_string())?;
    report("after close", socket.keep_alive());

    let datagram = Socket::new(Family::Inet, SocketType::Dgram, Protocol::DEFAULT)
        .map_err(|e| e.to_string())?;
    report("datagram shutdown", datagram.shutdown(Shutdown::Write));

    let inet6 = Socket::new(Family::Inet6, SocketType::Stream, Protocol::DEFAULT)
        .map_err(|e| e.to_string())?;
    report("ipv6-v6-only?", inet6.ipv6_v6_only());
    report("ipv6-v6-only off", inet6.set_ipv6_v6_only(false));
    report("ip-time-to-live? on inet6", inet6.ip_time_to_live());
    println!("done");
    Ok(())
}
