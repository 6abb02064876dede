//! What the stream servers (`echo-server`, `tls-echo-server`,
//! `async-echo-server`, `unix-echo`) share before they serve: the
//! optional connection count argument, the listening socket, and the
//! line that says where it listens.

use std::error::Error;
use std::io::Write;

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
    if addr.family() != wasock::Family::Unix {
        listener.set_reuse_address(true)?;
    }
    listener
        .bind(addr)
        .map_err(|error| format!("bind {addr}: {error}"))?;
    listener
        .listen(128)
        .map_err(|error| format!("listen on {addr}: {error}"))?;
    Ok(listener)
}

/// Prints `listening on ADDR` on stdout, with the address the listener
/// has (`socket-name`: the real port where 0 was asked for), and flushes
/// it, so whoever started the server may connect.
pub fn announce(listener: &Socket) -> Result<(), Box<dyn Error>> {
    let bound = listener.name()?.ok_or("the listener has no address")?;
    println!("listening on {bound}");
    std::io::stdout().flush()?;
    Ok(())
}
