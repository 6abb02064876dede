//! Socket options: the ones `wasi:sockets` has, mapped onto its getters
//! and setters; the rest refused as `unsupported` (`option-not-supported`).
//!
//! | option | WASI 0.2 |
//! | --- | --- |
//! | `SO_KEEPALIVE` (stream) | `tcp-socket.keep-alive-enabled` |
//! | `TCP_KEEPIDLE` (stream) | `tcp-socket.keep-alive-idle-time` (seconds ↔ nanoseconds) |
//! | `SO_RCVBUF`, `SO_SNDBUF` | `receive-buffer-size`, `send-buffer-size` |
//! | `IP_TTL` (inet) | `tcp-socket.hop-limit`, `udp-socket.unicast-hop-limit` |
//! | `SO_ACCEPTCONN` | `tcp-socket.is-listening` |
//! | `SO_TYPE` | the type the socket was made with |
//! | `IPV6_V6ONLY` (inet6) | always on: WASI 0.2 IPv6 sockets take no IPv4 traffic |
//! | `SO_REUSEADDR` | always on: WASI binds as with `SO_REUSEADDR` |
//! | `SO_RCVTIMEO`, `SO_SNDTIMEO` | emulated: kept and read back (see below) |
//!
//! `SO_RCVTIMEO` / `SO_SNDTIMEO` (low-level interface, a `struct timeval`)
//! are kept and read back as set, and otherwise have no effect, as on the
//! host, whose sockets are non-blocking: the spec's receive and send
//! timeouts are the per-call timeouts, which the adapter enforces with
//! `wasi:clocks` and `wasi:io/poll` ([`crate::wait`]).
//!
//! The low-level calls take the host's numbers ([`crate::constants`]), so a
//! program gives the same answers under the adapter as under `wasock run`.

use crate::bindings::exports::wasock::socket::types::{AddressFamily, ErrorCode, SocketType};
use crate::bindings::wasi::sockets::network;
use crate::constants;
use crate::socket::{AdaptedSocket, Inner};
use crate::types::{self, Result};

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

fn wasi_error(operation: &str) -> impl Fn(network::ErrorCode) -> types::Error + '_ {
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
    match &*socket.inner.borrow() {
        Inner::Tcp(tcp) => Ok(tcp.socket(OP)?.is_listening()),
        Inner::Udp(udp) => udp.socket(OP).map(|_| false),
    }
}

/// `SO_KEEPALIVE`: the spec's `so-keep-alive?`.
pub(crate) fn keep_alive(socket: &AdaptedSocket) -> Result<bool> {
    const OP: &str = "so-keep-alive?";
    match &*socket.inner.borrow() {
        Inner::Tcp(tcp) => tcp.socket(OP)?.keep_alive_enabled().map_err(wasi_error(OP)),
        Inner::Udp(udp) => udp.socket(OP).and_then(|_| stream_only(OP)),
    }
}

/// Sets `SO_KEEPALIVE`.
pub(crate) fn set_keep_alive(socket: &AdaptedSocket, value: bool) -> Result<()> {
    const OP: &str = "set so-keep-alive?";
    match &mut *socket.inner.borrow_mut() {
        Inner::Tcp(tcp) => {
            tcp.socket(OP)?
                .set_keep_alive_enabled(value)
                .map_err(wasi_error(OP))?;
            tcp.settings.keep_alive = Some(value);
            Ok(())
        }
        Inner::Udp(udp) => udp.socket(OP).and_then(|_| stream_only(OP)),
    }
}

/// `TCP_KEEPIDLE` in whole seconds: the spec's `tcp-keep-alive`.
pub(crate) fn keep_alive_idle(socket: &AdaptedSocket) -> Result<u32> {
    const OP: &str = "tcp-keep-alive";
    match &*socket.inner.borrow() {
        Inner::Tcp(tcp) => tcp
            .socket(OP)?
            .keep_alive_idle_time()
            .map(|nanos| saturating_u32(nanos / NANOS_PER_SECOND))
            .map_err(wasi_error(OP)),
        Inner::Udp(udp) => udp.socket(OP).and_then(|_| stream_only(OP)),
    }
}

/// Sets `TCP_KEEPIDLE` in whole seconds.
pub(crate) fn set_keep_alive_idle(socket: &AdaptedSocket, seconds: u32) -> Result<()> {
    const OP: &str = "set tcp-keep-alive";
    match &mut *socket.inner.borrow_mut() {
        Inner::Tcp(tcp) => {
            let nanos = u64::from(seconds) * NANOS_PER_SECOND;
            tcp.socket(OP)?
                .set_keep_alive_idle_time(nanos)
                .map_err(wasi_error(OP))?;
            tcp.settings.keep_alive_idle = Some(nanos);
            Ok(())
        }
        Inner::Udp(udp) => udp.socket(OP).and_then(|_| stream_only(OP)),
    }
}

/// `SO_RCVBUF`: the spec's `so-receive-buffer`.
pub(crate) fn receive_buffer(socket: &AdaptedSocket) -> Result<u32> {
    const OP: &str = "so-receive-buffer";
    let size = match &*socket.inner.borrow() {
        Inner::Tcp(tcp) => tcp.socket(OP)?.receive_buffer_size(),
        Inner::Udp(udp) => udp.socket(OP)?.receive_buffer_size(),
    };
    size.map(saturating_u32).map_err(wasi_error(OP))
}

/// Sets `SO_RCVBUF`.
pub(crate) fn set_receive_buffer(socket: &AdaptedSocket, value: u32) -> Result<()> {
    const OP: &str = "set so-receive-buffer";
    let value = u64::from(value);
    match &mut *socket.inner.borrow_mut() {
        Inner::Tcp(tcp) => {
            tcp.socket(OP)?
                .set_receive_buffer_size(value)
                .map_err(wasi_error(OP))?;
            tcp.settings.receive_buffer = Some(value);
            Ok(())
        }
        Inner::Udp(udp) => udp
            .socket(OP)?
            .set_receive_buffer_size(value)
            .map_err(wasi_error(OP)),
    }
}

/// `SO_SNDBUF`: the spec's `so-send-buffer`.
pub(crate) fn send_buffer(socket: &AdaptedSocket) -> Result<u32> {
    const OP: &str = "so-send-buffer";
    let size = match &*socket.inner.borrow() {
        Inner::Tcp(tcp) => tcp.socket(OP)?.send_buffer_size(),
        Inner::Udp(udp) => udp.socket(OP)?.send_buffer_size(),
    };
    size.map(saturating_u32).map_err(wasi_error(OP))
}

/// Sets `SO_SNDBUF`.
pub(crate) fn set_send_buffer(socket: &AdaptedSocket, value: u32) -> Result<()> {
    const OP: &str = "set so-send-buffer";
    let value = u64::from(value);
    match &mut *socket.inner.borrow_mut() {
        Inner::Tcp(tcp) => {
            tcp.socket(OP)?
                .set_send_buffer_size(value)
                .map_err(wasi_error(OP))?;
            tcp.settings.send_buffer = Some(value);
            Ok(())
        }
        Inner::Udp(udp) => udp
            .socket(OP)?
            .set_send_buffer_size(value)
            .map_err(wasi_error(OP)),
    }
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
    let hops = match &*socket.inner.borrow() {
        Inner::Tcp(tcp) => tcp.socket(OP)?.hop_limit(),
        Inner::Udp(udp) => udp.socket(OP)?.unicast_hop_limit(),
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
    match &mut *socket.inner.borrow_mut() {
        Inner::Tcp(tcp) => {
            tcp.socket(OP)?
                .set_hop_limit(value)
                .map_err(wasi_error(OP))?;
            tcp.settings.hop_limit = Some(value);
            Ok(())
        }
        Inner::Udp(udp) => udp
            .socket(OP)?
            .set_unicast_hop_limit(value)
            .map_err(wasi_error(OP)),
    }
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

include!("options_common.rs");
