//! What the stream servers (`echo-server`, `tls-echo-server`,
//! `async-echo-server`, `unix-echo`) share before they serve: the
//! optional connection count argument, the listening socket, and the
//! line that says where it listens.

use std::error::Error;
use std::io::Write;

use wasock::async_io::AsyncSocket;
use wasock::{Protocol, SockAddr, Socket, SocketType};

/// The optional `MAX_CONNECTIONS` argument: `None` (serve until killed)
/// where it is absent.
pub fn max_connections(argument: Option<String>) -> Result<Option<usize>, String> {
    argument
        .map(|text| {
            text.parse()
                .map_err(|_| format!("MAX_CONNECTIONS {text:?} is not a number"))
        })
        .transpose()
}

/// A stream socket bound to `addr` (with `SO_REUSEADDR`, so a restarted
/// server takes its port back at once) and listening: `socket`,
/// `socket-bind`, `socket-listen`.
pub fn listen(addr: &SockAddr) -> Result<Socket, Box<dyn Error>> {
    let listener = Socket::new(addr.family(), SocketType::Stream, Protocol::DEFAULT)?;
    prepare_listener(
        addr,
        |on| listener.set_reuse_address(on),
        |a| listener.bind(a),
        |n| listener.listen(n),
    )?;
    Ok(listener)
}

/// [`listen`] for async servers: an [`AsyncSocket`] (in a guest built
/// with the `p3` feature, a socket of `wasock:socket@0.2.0`, which the
/// blocking [`Socket`] is not).
pub fn listen_async(addr: &SockAddr) -> Result<AsyncSocket, Box<dyn Error>> {
    let listener = AsyncSocket::new(addr.family(), SocketType::Stream, Protocol::DEFAULT)?;
    prepare_listener(
        addr,
        |on| listener.set_reuse_address(on),
        |a| listener.bind(a),
        |n| listener.listen(n),
    )?;
    Ok(listener)
}

/// `SO_REUSEADDR` (but on a unix socket), `socket-bind` and
/// `socket-listen`, through either kind of socket.
fn prepare_listener(
    addr: &SockAddr,
    reuse_address: impl FnOnce(bool) -> wasock::Result<()>,
    bind: impl FnOnce(&SockAddr) -> wasock::Result<()>,
    listen: impl FnOnce(u32) -> wasock::Result<()>,
) -> Result<(), Box<dyn Error>> {
    if addr.family() != wasock::Family::Unix {
        reuse_address(true)?;
    }
    bind(addr).map_err(|error| format!("bind {addr}: {error}"))?;
    listen(128).map_err(|error| format!("listen on {addr}: {error}"))?;
    Ok(())
}

/// Prints `listening on ADDR` on stdout, with the address the listener
/// has (`socket-name`: the real port where 0 was asked for), and flushes
/// it, so whoever started the server may connect.
pub fn announce(listener: &Socket) -> Result<(), Box<dyn Error>> {
    announce_name(listener.name()?)
}

/// [`announce`] of the name a listener has (`socket-name`).
pub fn announce_name(name: Option<SockAddr>) -> Result<(), Box<dyn Error>> {
    let bound = name.ok_or("the listener has no address")?;
    println!("listening on {bound}");
    std::io::stdout().flush()?;
    Ok(())
}
