//! Socket options: the ones `wasi:sockets@0.3.0` has, mapped onto its
//! getters and setters; the rest refused as `unsupported`
//! (`option-not-supported`).
//!
//! | option | WASI 0.3 |
//! | --- | --- |
//! | `SO_KEEPALIVE` (stream) | `tcp-socket.get-keep-alive-enabled` |
//! | `TCP_KEEPIDLE` (stream) | `tcp-socket.get-keep-alive-idle-time` (seconds ↔ nanoseconds) |
//! | `SO_RCVBUF`, `SO_SNDBUF` | `get-receive-buffer-size`, `get-send-buffer-size` |
//! | `IP_TTL` (inet) | `tcp-socket.get-hop-limit`, `udp-socket.get-unicast-hop-limit` |
//! | `SO_ACCEPTCONN` | whether the adapter's socket listens |
//! | `SO_TYPE` | the type the socket was made with |
//! | `IPV6_V6ONLY` (inet6) | always on: WASI IPv6 sockets take no IPv4 traffic |
//! | `SO_REUSEADDR` | always on: WASI binds as with `SO_REUSEADDR` |
//! | `SO_RCVTIMEO`, `SO_SNDTIMEO` | emulated: kept and read back (see below) |
//!
//! `TCP_NODELAY` is not in WASI 0.3 (`unsupported`), nor are the others
//! of the contract.
//!
//! `SO_RCVTIMEO` / `SO_SNDTIMEO` (low-level interface, a `struct timeval`)
//! are kept and read back as set, and otherwise have no effect, as on the
//! host, whose sockets are non-blocking: the spec's receive and send
//! timeouts are the per-call timeouts, which the adapter races with
//! `wasi:clocks` ([`crate::wait`]).
//!
//! The low-level calls take the host's numbers ([`crate::constants`]), so a
//! program gives the same answers under the adapter as under `wasock run`.

use std::rc::Rc;

use crate::bindings::exports::wasock::socket::types::{AddressFamily, ErrorCode, SocketType};
use crate::bindings::wasi::sockets::types as wasi;
use crate::constants;
use crate::socket::{AdaptedSocket, Inner};
use crate::types::{self, Result};

/// The WASI socket behind a guest socket, for its options.
enum Wasi {
    Tcp(Rc<wasi::TcpSocket>),
    Udp(Rc<wasi::UdpSocket>),
}

/// The socket's WASI socket, or `closed`.
fn wasi_socket(socket: &AdaptedSocket, operation: &str) -> Result<Wasi> {
    match &socket.inner {
        Inner::Tcp(tcp) => tcp.socket(operation).map(Wasi::Tcp),
        Inner::Udp(udp) => udp.socket(operation).map(Wasi::Udp),
    }
}

/// Nanoseconds in a second (`keep-alive-idle-time` is a WASI duration).
const NANOS_PER_SECOND: u64 = 1_000_000_000;

/// Bytes of a Linux `struct timeval` on a 64-bit host (two `i64`s).
const TIMEVAL_BYTES: usize = 16;

/// `SO_RCVTIMEO` and `SO_SNDTIMEO` as the guest set them: the bytes of a
/// `struct timeval` (zero: no timeout, as the OS starts).
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct StoredTimeouts {
    receive: [u8; TIMEVAL_BYTES],
    send: [u8; TIMEVAL_BYTES],
}

/// An option `wasi:sockets` lacks: class `unsupported`, after the check for
/// a closed socket.
pub(crate) fn missing<T>(socket: &AdaptedSocket, operation: &str) -> Result<T> {
    socket.ensure_open(operation)?;
    Err(types::unsupported(
        operation,
        ErrorCode::OptionNotSupported,
        "this socket option",
    ))
}

fn wasi_error(operation: &str) -> impl Fn(wasi::ErrorCode) -> types::Error + '_ {
    move |code| types::from_wasi(operation, code)
}

/// An option of stream sockets only, asked of a datagram socket.
fn stream_only<T>(operation: &str) -> Result<T> {
    Err(types::unsupported(
        operation,
        ErrorCode::OptionNotSupported,
        "this option on a datagram socket",
    ))
}

fn saturating_u32(value: u64) -> u32 {
    u32::try_from(value).unwrap_or(u32::MAX)
}

/// `SO_ACCEPTCONN`: the spec's `so-accept-connections?`.
pub(crate) fn accept_connections(socket: &AdaptedSocket) -> Result<bool> {
    const OP: &str = "so-accept-connections?";
    match &socket.inner {
        Inner::Tcp(tcp) => tcp.is_listening(OP),
        Inner::Udp(udp) => udp.socket(OP).map(|_| false),
    }
}

/// `SO_KEEPALIVE`: the spec's `so-keep-alive?`.
pub(crate) fn keep_alive(socket: &AdaptedSocket) -> Result<bool> {
    const OP: &str = "so-keep-alive?";
    match wasi_socket(socket, OP)? {
        Wasi::Tcp(tcp) => tcp.get_keep_alive_enabled().map_err(wasi_error(OP)),
        Wasi::Udp(_) => stream_only(OP),
    }
}

/// Sets `SO_KEEPALIVE`.
pub(crate) fn set_keep_alive(socket: &AdaptedSocket, value: bool) -> Result<()> {
    const OP: &str = "set so-keep-alive?";
    match wasi_socket(socket, OP)? {
        Wasi::Tcp(tcp) => tcp.set_keep_alive_enabled(value).map_err(wasi_error(OP)),
        Wasi::Udp(_) => stream_only(OP),
    }
}

/// `TCP_KEEPIDLE` in whole seconds: the spec's `tcp-keep-alive`.
pub(crate) fn keep_alive_idle(socket: &AdaptedSocket) -> Result<u32> {
    const OP: &str = "tcp-keep-alive";
    match wasi_socket(socket, OP)? {
        Wasi::Tcp(tcp) => tcp
            .get_keep_alive_idle_time()
            .map(|nanos| saturating_u32(nanos / NANOS_PER_SECOND))
            .map_err(wasi_error(OP)),
        Wasi::Udp(_) => stream_only(OP),
    }
}

/// Sets `TCP_KEEPIDLE` in whole seconds.
pub(crate) fn set_keep_alive_idle(socket: &AdaptedSocket, seconds: u32) -> Result<()> {
    const OP: &str = "set tcp-keep-alive";
    match wasi_socket(socket, OP)? {
        Wasi::Tcp(tcp) => tcp
            .set_keep_alive_idle_time(u64::from(seconds) * NANOS_PER_SECOND)
            .map_err(wasi_error(OP)),
        Wasi::Udp(_) => stream_only(OP),
    }
}

/// `SO_RCVBUF`: the spec's `so-receive-buffer`.
pub(crate) fn receive_buffer(socket: &AdaptedSocket) -> Result<u32> {
    const OP: &str = "so-receive-buffer";
    let size = match wasi_socket(socket, OP)? {
        Wasi::Tcp(tcp) => tcp.get_receive_buffer_size(),
        Wasi::Udp(udp) => udp.get_receive_buffer_size(),
    };
    size.map(saturating_u32).map_err(wasi_error(OP))
}

/// Sets `SO_RCVBUF`.
pub(crate) fn set_receive_buffer(socket: &AdaptedSocket, value: u32) -> Result<()> {
    const OP: &str = "set so-receive-buffer";
    let value = u64::from(value);
    match wasi_socket(socket, OP)? {
        Wasi::Tcp(tcp) => tcp.set_receive_buffer_size(value),
        Wasi::Udp(udp) => udp.set_receive_buffer_size(value),
    }
    .map_err(wasi_error(OP))
}

/// `SO_SNDBUF`: the spec's `so-send-buffer`.
pub(crate) fn send_buffer(socket: &AdaptedSocket) -> Result<u32> {
    const OP: &str = "so-send-buffer";
    let size = match wasi_socket(socket, OP)? {
        Wasi::Tcp(tcp) => tcp.get_send_buffer_size(),
        Wasi::Udp(udp) => udp.get_send_buffer_size(),
    };
    size.map(saturating_u32).map_err(wasi_error(OP))
}

/// Sets `SO_SNDBUF`.
pub(crate) fn set_send_buffer(socket: &AdaptedSocket, value: u32) -> Result<()> {
    const OP: &str = "set so-send-buffer";
    let value = u64::from(value);
    match wasi_socket(socket, OP)? {
        Wasi::Tcp(tcp) => tcp.set_send_buffer_size(value),
        Wasi::Udp(udp) => udp.set_send_buffer_size(value),
    }
    .map_err(wasi_error(OP))
}

/// `SO_REUSEADDR`: the spec's `so-reuse-address?`. Always on: WASI binds as
/// with it ("the SO_REUSEADDR socket option should be set implicitly on all
/// platforms").
pub(crate) fn reuse_address(socket: &AdaptedSocket) -> Result<bool> {
    socket.ensure_open("so-reuse-address?")?;
    Ok(true)
}

/// Sets `SO_REUSEADDR`: on is what WASI does anyway; off is unsupported.
pub(crate) fn set_reuse_address(socket: &AdaptedSocket, value: bool) -> Result<()> {
    const OP: &str = "set so-reuse-address?";
    socket.ensure_open(OP)?;
    if value {
        Ok(())
    } else {
        Err(types::unsupported(
            OP,
            ErrorCode::OptionNotSupported,
            "turning so/reuseaddr off (WASI always binds with it on)",
        ))
    }
}

/// `IP_TTL`: the spec's `ip-time-to-live` (inet sockets: the WASI hop
/// limit).
pub(crate) fn time_to_live(socket: &AdaptedSocket) -> Result<u8> {
    const OP: &str = "ip-time-to-live";
    inet_only(socket, OP)?;
    let hops = match wasi_socket(socket, OP)? {
        Wasi::Tcp(tcp) => tcp.get_hop_limit(),
        Wasi::Udp(udp) => udp.get_unicast_hop_limit(),
    };
    hops.map_err(wasi_error(OP))
}

/// Sets `IP_TTL` (1 to 255).
pub(crate) fn set_time_to_live(socket: &AdaptedSocket, value: u8) -> Result<()> {
    const OP: &str = "set ip-time-to-live";
    inet_only(socket, OP)?;
    if value == 0 {
        return Err(types::fatal(
            OP,
            ErrorCode::InvalidArgument,
            "the time-to-live must be 1 to 255",
        ));
    }
    match wasi_socket(socket, OP)? {
        Wasi::Tcp(tcp) => tcp.set_hop_limit(value),
        Wasi::Udp(udp) => udp.set_unicast_hop_limit(value),
    }
    .map_err(wasi_error(OP))
}

/// `IP_TTL` is an IPv4 option; WASI's hop limit of an inet6 socket is the
/// IPv6 one, which is not the same option.
fn inet_only(socket: &AdaptedSocket, operation: &str) -> Result<()> {
    socket.ensure_open(operation)?;
    if socket.family() == AddressFamily::Inet {
        Ok(())
    } else {
        Err(types::unsupported(
            operation,
            ErrorCode::OptionNotSupported,
            "ip/ttl on an inet6 socket",
        ))
    }
}

/// `IPV6_V6ONLY`: the spec's `ipv6-v6-only?`. Always on for inet6 sockets
/// (WASI IPv6 sockets take no IPv4 traffic); not an option of inet
/// ones.
pub(crate) fn v6_only(socket: &AdaptedSocket) -> Result<bool> {
    const OP: &str = "ipv6-v6-only?";
    inet6_only(socket, OP)?;
    Ok(true)
}

/// Sets `IPV6_V6ONLY`: on is what WASI does anyway; off (dual-stack) is
/// unsupported.
pub(crate) fn set_v6_only(socket: &AdaptedSocket, value: bool) -> Result<()> {
    const OP: &str = "set ipv6-v6-only?";
    inet6_only(socket, OP)?;
    if value {
        Ok(())
    } else {
        Err(types::unsupported(
            OP,
            ErrorCode::OptionNotSupported,
            "dual-stack sockets (ipv6/v6only off)",
        ))
    }
}

fn inet6_only(socket: &AdaptedSocket, operation: &str) -> Result<()> {
    socket.ensure_open(operation)?;
    if socket.family() == AddressFamily::Inet6 {
        Ok(())
    } else {
        Err(types::unsupported(
            operation,
            ErrorCode::OptionNotSupported,
            "ipv6/v6only on an inet socket",
        ))
    }
}

/// The options of the low-level interface the adapter serves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum LowLevel {
    KeepAlive,
    ReceiveBuffer,
    SendBuffer,
    ReuseAddress,
    Type,
    AcceptConnections,
    ReceiveTimeout,
    SendTimeout,
    KeepAliveIdle,
    TimeToLive,
    V6Only,
}

/// (level, name, option) by the spec's constant names.
const LOW_LEVEL: &[(&str, &str, LowLevel)] = &[
    ("sol/socket", "so/keepalive", LowLevel::KeepAlive),
    ("sol/socket", "so/rcvbuf", LowLevel::ReceiveBuffer),
    ("sol/socket", "so/sndbuf", LowLevel::SendBuffer),
    ("sol/socket", "so/reuseaddr", LowLevel::ReuseAddress),
    ("sol/socket", "so/type", LowLevel::Type),
    ("sol/socket", "so/acceptconn", LowLevel::AcceptConnections),
    ("sol/socket", "so/rcvtimeo", LowLevel::ReceiveTimeout),
    ("sol/socket", "so/sndtimeo", LowLevel::SendTimeout),
    ("ipproto/tcp", "tcp/keepalive", LowLevel::KeepAliveIdle),
    ("ipproto/ip", "ip/ttl", LowLevel::TimeToLive),
    ("ipproto/ipv6", "ipv6/v6only", LowLevel::V6Only),
];

/// The option at (`level`, `name`) in the host's numbers, or `unsupported`.
fn low_level(socket: &AdaptedSocket, operation: &str, level: i32, name: i32) -> Result<LowLevel> {
    socket.ensure_open(operation)?;
    LOW_LEVEL
        .iter()
        .find(|(at, called, _)| {
            constants::value(at) == Some(level) && constants::value(called) == Some(name)
        })
        .map(|(_, _, option)| *option)
        .ok_or_else(|| {
            types::unsupported(
                operation,
                ErrorCode::OptionNotSupported,
                &format!("level {level} name {name}"),
            )
        })
}

fn int_from_bool(value: bool) -> i32 {
    i32::from(value)
}

fn int_from_u32(value: u32) -> i32 {
    i32::try_from(value).unwrap_or(i32::MAX)
}

/// A timeout option read or set as an `int`: Linux wants the structure.
fn needs_timeval(operation: &str) -> types::Error {
    types::fatal(
        operation,
        ErrorCode::InvalidArgument,
        "so/rcvtimeo and so/sndtimeo take a struct timeval (16 bytes)",
    )
}

/// `getsockopt(2)` read as a C `int`: the spec's
/// `(get-socket-option s level name)`.
pub(crate) fn get_int(socket: &AdaptedSocket, level: i32, name: i32) -> Result<i32> {
    const OP: &str = "get-socket-option";
    match low_level(socket, OP, level, name)? {
        LowLevel::KeepAlive => keep_alive(socket).map(int_from_bool),
        LowLevel::ReceiveBuffer => receive_buffer(socket).map(int_from_u32),
        LowLevel::SendBuffer => send_buffer(socket).map(int_from_u32),
        LowLevel::ReuseAddress => reuse_address(socket).map(int_from_bool),
        LowLevel::Type => {
            let name = match socket.kind() {
                SocketType::Stream => "sock/stream",
                SocketType::Dgram => "sock/dgram",
                SocketType::Raw => "sock/raw",
            };
            constants::value(name).ok_or_else(|| {
                types::unsupported(OP, ErrorCode::OptionNotSupported, "so/type on this host")
            })
        }
        LowLevel::AcceptConnections => accept_connections(socket).map(int_from_bool),
        LowLevel::ReceiveTimeout | LowLevel::SendTimeout => Err(needs_timeval(OP)),
        LowLevel::KeepAliveIdle => keep_alive_idle(socket).map(int_from_u32),
        LowLevel::TimeToLive => time_to_live(socket).map(i32::from),
        LowLevel::V6Only => v6_only(socket).map(int_from_bool),
    }
}

/// `getsockopt(2)` into a buffer of `max_length` bytes: the spec's
/// `(get-socket-option s level name len)`; `int` options as the host's
/// native (little-endian) `int`.
pub(crate) fn get_bytes(
    socket: &AdaptedSocket,
    level: i32,
    name: i32,
    max_length: u32,
) -> Result<Vec<u8>> {
    const OP: &str = "get-socket-option";
    let limit = usize::try_from(max_length).unwrap_or(usize::MAX);
    let mut bytes = match low_level(socket, OP, level, name)? {
        LowLevel::ReceiveTimeout => socket.stored_timeouts.borrow().receive.to_vec(),
        LowLevel::SendTimeout => socket.stored_timeouts.borrow().send.to_vec(),
        _ => get_int(socket, level, name)?.to_le_bytes().to_vec(),
    };
    bytes.truncate(limit);
    Ok(bytes)
}

/// `setsockopt(2)` with a C `int`: the spec's
/// `(set-socket-option s level name int-or-bool)`.
pub(crate) fn set_int(socket: &AdaptedSocket, level: i32, name: i32, value: i32) -> Result<()> {
    const OP: &str = "set-socket-option";
    let non_negative = |value: i32| {
        u32::try_from(value).map_err(|_| {
            types::fatal(
                OP,
                ErrorCode::InvalidArgument,
                &format!("{value} is negative"),
            )
        })
    };
    match low_level(socket, OP, level, name)? {
        LowLevel::KeepAlive => set_keep_alive(socket, value != 0),
        LowLevel::ReceiveBuffer => set_receive_buffer(socket, non_negative(value)?),
        LowLevel::SendBuffer => set_send_buffer(socket, non_negative(value)?),
        LowLevel::ReuseAddress => set_reuse_address(socket, value != 0),
        // Linux answers ENOPROTOOPT to setting a read-only option.
        LowLevel::Type | LowLevel::AcceptConnections => Err(types::unsupported(
            OP,
            ErrorCode::OptionNotSupported,
            "setting a read-only option",
        )),
        LowLevel::ReceiveTimeout | LowLevel::SendTimeout => Err(needs_timeval(OP)),
        LowLevel::KeepAliveIdle => set_keep_alive_idle(socket, non_negative(value)?),
        LowLevel::TimeToLive => {
            let ttl = u8::try_from(value).map_err(|_| {
                types::fatal(
                    OP,
                    ErrorCode::InvalidArgument,
                    "the time-to-live must be 1 to 255",
                )
            })?;
            set_time_to_live(socket, ttl)
        }
        LowLevel::V6Only => set_v6_only(socket, value != 0),
    }
}

/// `setsockopt(2)` with raw bytes: the spec's
/// `(set-socket-option s level name blob)`; `int` options from the first
/// four bytes (little-endian, the host's order).
pub(crate) fn set_bytes(socket: &AdaptedSocket, level: i32, name: i32, value: &[u8]) -> Result<()> {
    const OP: &str = "set-socket-option";
    let option = low_level(socket, OP, level, name)?;
    if matches!(option, LowLevel::ReceiveTimeout | LowLevel::SendTimeout) {
        let Some(timeval) = value
            .get(..TIMEVAL_BYTES)
            .and_then(|bytes| <[u8; TIMEVAL_BYTES]>::try_from(bytes).ok())
        else {
            return Err(needs_timeval(OP));
        };
        let mut stored = socket.stored_timeouts.borrow_mut();
        if option == LowLevel::ReceiveTimeout {
            stored.receive = timeval;
        } else {
            stored.send = timeval;
        }
        return Ok(());
    }
    let Some(int) = value
        .get(..4)
        .and_then(|bytes| <[u8; 4]>::try_from(bytes).ok())
    else {
        return Err(types::fatal(
            OP,
            ErrorCode::InvalidArgument,
            "an int option needs at least 4 bytes",
        ));
    };
    set_int(socket, level, name, i32::from_le_bytes(int))
}
