//! `async-echo-server ADDR|- [MAX_CONNECTIONS]`: a TCP echo server for many
//! clients at once, written as async code: one task per connection on
//! wasock's single-threaded executor ([`wasock::async_io`]). Built with
//! the `p3` feature (`cargo build --features p3`), the same source is a
//! WASI 0.3 command: its tasks run on wit-bindgen's executor, each receive
//! and send one `async func` of `wasock:socket@0.2.0`.
//!
//! Each connection's task receives and sends the echo back; a send that
//! cannot go out (a client that does not read) waits in that task alone,
//! so it never stalls the other clients. Sockets are registered once in
//! the host's poll set, so idle connections cost nothing per wake-up.
//!
//! Prints `listening on ADDR` once bound, with the real address, so ADDR
//! may use port 0. ADDR `-` serves on the listener the host opened
//! (`wasock run --listen ADDR`: no bind grant needed). With MAX_CONNECTIONS it exits after that many clients
//! have come and gone; otherwise it runs until killed.
//!
//! At the guest's socket limit (`--max-sockets`) `accept` answers
//! `too-many-sockets`, class transient, and leaves the connection in the
//! kernel's backlog: the server keeps serving its clients and tries again
//! a little later, as a std or tokio server does on `EMFILE`.
//!
//! ```text
//! wasock run --allow-bind 127.0.0.1:7000 \
//!     target/wasm32-wasip2/release/async-echo-server.wasm 127.0.0.1:7000
//! ```

use std::error::Error;
use std::time::Duration;

use wasock::async_io::{AsyncSocket, sleep, spawn};
use wasock::{ErrorCode, SockAddr};
use wasock_examples::server;

/// The most one receive takes.
const RECEIVE_SIZE: usize = 64 * 1024;

/// How long to wait before accepting again at the socket limit.
const FULL_REST: Duration = Duration::from_millis(100);

async fn start() {
    if let Err(error) = run().await {
        eprintln!("async-echo-server: {error}");
        std::process::exit(1);
    }
}

wasock::async_main!(start);

async fn run() -> Result<(), Box<dyn Error>> {
    let mut args = std::env::args().skip(1);
    let (Some(addr), max_connections, None) = (args.next(), args.next(), args.next()) else {
        return Err("usage: async-echo-server ADDR|- [MAX_CONNECTIONS]".into());
    };
    let max_connections = server::max_connections(max_connections)?;

    let listener = match addr.as_str() {
        "-" => wasock::async_io::listeners()?
            .into_iter()
            .next()
            .ok_or("ADDR is '-' but the host opened no listener (wasock run --listen ADDR)")?,
        _ => {
            let addr: SockAddr = addr.parse().map_err(|error| format!("{addr:?}: {error}"))?;
            server::listen_async(&addr)?
        }
    };
    server::announce_name(listener.name()?)?;

    let mut tasks = Vec::new();
    let mut accepted = 0usize;
    let mut at_limit = false;
    while max_connections.is_none_or(|max| accepted < max) {
        let client = match listener.accept().await {
            Ok(client) => client,
            // The connection waits in the backlog until a client leaves.
            Err(error) if error.code() == ErrorCode::TooManySockets => {
                if !std::mem::replace(&mut at_limit, true) {
                    eprintln!("accepting again when a connection closes: {error}");
                }
                sleep(FULL_REST).await;
                continue;
            }
            // A connection that went away before it was accepted.
            Err(error) if error.is_transient() => {
                eprintln!("a connection went away before accept: {error}");
                continue;
            }
            Err(error) => return Err(error.into()),
        };
        accepted += 1;
        at_limit = false;
        let task = spawn(async move {
            if let Err(error) = echo(&client).await {
                eprintln!("dropping a connection: {error}");
            }
        });
        if max_connections.is_some() {
            tasks.push(task);
        }
    }
    drop(listener);
    for task in tasks {
        task.await;
    }
    Ok(())
}

/// Echoes everything `client` sends until it closes its side.
async fn echo(client: &AsyncSocket) -> wasock::Result<()> {
    loop {
        let data = client.receive(RECEIVE_SIZE).await?;
        if data.is_empty() {
            // The task's end drops the socket: close(2).
            return Ok(());
        }
        client.send_all(&data).await?;
    }
}
