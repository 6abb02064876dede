//! `unix-echo PATH [MAX_CONNECTIONS]`: a unix-domain stream echo server for
//! many clients at once.
//!
//! Shows unix-domain sockets: `unix-address`, and a `af/unix` stream socket
//! bound to a path and listening, served by the same poll loop as
//! `echo-server` (module `echo_loop`). The host maps PATH onto a directory
//! granted with `--allow-unix`; nothing outside it can be bound or reached.
//!
//! Prints `listening on PATH` once bound. With MAX_CONNECTIONS it exits
//! after that many clients have come and gone; otherwise it runs until
//! killed. PATH must not exist yet (bind(2) will not replace a file), and
//! the socket file stays behind when the server ends: the guest has no
//! file-system access to remove it.
//!
//! ```text
//! wasock run --allow-unix /tmp/echo \
//!     target/wasm32-wasip2/release/unix-echo.wasm /tmp/echo/echo.sock
//! ```

use std::error::Error;
use std::io::Write;

use wasock::SockAddr;
use wasock_examples::{echo_loop, server};

fn main() {
    if let Err(error) = run() {
        eprintln!("unix-echo: {error}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), Box<dyn Error>> {
    let mut args = std::env::args().skip(1);
    let (Some(path), max_connections, None) = (args.next(), args.next(), args.next()) else {
        return Err("usage: unix-echo PATH [MAX_CONNECTIONS]".into());
    };
    let max_connections = server::max_connections(max_connections)?;

    let addr = SockAddr::unix(&path);
    let listener = server::listen(&addr)?;
    // The path as the guest names it (the host's own path is not the
    // guest's to know).
    println!("listening on {path}");
    std::io::stdout().flush()?;

    echo_loop::serve(listener, max_connections)?;
    Ok(())
}
