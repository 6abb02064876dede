//! `echo-server ADDR [MAX_CONNECTIONS]`: a TCP echo server for many clients
//! at once, in one thread, without blocking on any one of them.
//!
//! Shows the server side of the spec (`socket`, `socket-bind`,
//! `socket-listen`, `socket-name`, `socket-accept`) and waiting on many
//! sockets at once with a persistent interest set on the host
//! ([`wasock::poll::Registry`]), whose wait costs the same with ten
//! thousand idle connections as with none: the loop (in
//! module `echo_loop`, shared with `unix-echo`) receives only from sockets
//! that are readable, echoes at
//! once without waiting, and keeps what a client's socket could not take
//! yet until it is writable, so a client that connects and then says
//! nothing, or reads slowly, stalls nobody. No threads.
//!
//! Prints `listening on ADDR` once bound, with the real address, so ADDR
//! may use port 0. With MAX_CONNECTIONS it exits after that many clients
//! have come and gone; otherwise it runs until killed.
//!
//! ```text
//! wasock run --allow-bind 127.0.0.1:7000 \
//!     target/wasm32-wasip2/release/echo-server.wasm 127.0.0.1:7000
//! ```
//!
//! (`--allow-bind 127.0.0.1:0` with ADDR `127.0.0.1:0` lets the OS pick a
//! free port; the line printed says which.) Without a bind grant the bind
//! is refused: one line on stderr, exit status 1.

use std::error::Error;

use wasock::SockAddr;
use wasock_examples::{echo_loop, server};

fn main() {
    if let Err(error) = run() {
        eprintln!("echo-server: {error}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), Box<dyn Error>> {
    let mut args = std::env::args().skip(1);
    let (Some(addr), max_connections, None) = (args.next(), args.next(), args.next()) else {
        return Err("usage: echo-server ADDR [MAX_CONNECTIONS]".into());
    };
    let addr: SockAddr = addr.parse().map_err(|error| format!("{addr:?}: {error}"))?;
    let max_connections = server::max_connections(max_connections)?;

    let listener = server::listen(&addr)?;
    server::announce(&listener)?;

    echo_loop::serve(listener, max_connections)?;
    Ok(())
}
