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

include!("../../adapter/src/options_common.rs");
