//! `echo-client ADDR MESSAGE`: connects to an echo server, sends MESSAGE,
//! and prints what comes back.
//!
//! Shows the client side of the spec: `address-information` on the host and
//! port of ADDR, then `socket-connect/ai` ([`wasock::connect_any`]), which
//! tries each result in turn; `socket-send-all`, a half-close with
//! `socket-shutdown`, and `socket-receive` until the whole echo is back.
//!
//! ```text
//! wasock run --allow-connect 127.0.0.1:7000 \
//!     target/wasm32-wasip2/release/echo-client.wasm 127.0.0.1:7000 hello
//! ```
//!
//! ADDR is `HOST:PORT`, with an IPv6 host in brackets (`[::1]:7000`).
//! A host name needs `--allow-dns` to be resolved; a numeric address is
//! only parsed and needs none. `--allow-connect` names what may be
//! reached.
//! A failed call (no grant, connection refused, timeout) prints one line on
//! stderr and exits with status 1.

use std::error::Error;

use wasock::{AddrInfoHints, Shutdown};

fn main() {
    if let Err(error) = run() {
        eprintln!("echo-client: {error}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), Box<dyn Error>> {
    let mut args = std::env::args().skip(1);
    let (Some(addr), Some(message), None) = (args.next(), args.next(), args.next()) else {
        return Err("usage: echo-client HOST:PORT MESSAGE".into());
    };
    let (host, port) = split_host_port(&addr)?;

    let candidates = wasock::address_information(Some(host), Some(port), &AddrInfoHints::default())
        .map_err(|error| format!("resolving {addr}: {error}"))?;
    let socket = wasock::connect_any(&candidates)
        .map_err(|error| format!("connecting to {addr}: {error}"))?;

    socket
        .send_all(message.as_bytes())
        .map_err(|error| format!("sending: {error}"))?;
    // Tell the server we are done, so it can close after the echo.
    socket
        .shutdown(Shutdown::Write)
        .map_err(|error| format!("shutting down: {error}"))?;

    let mut echo = Vec::with_capacity(message.len());
    while echo.len() < message.len() {
        let received = socket
            .receive(message.len() - echo.len())
            .map_err(|error| format!("receiving the echo: {error}"))?;
        if received.is_empty() {
            return Err(format!(
                "the server closed after {} of {} bytes",
                echo.len(),
                message.len()
            )
            .into());
        }
        echo.extend_from_slice(&received);
    }
    socket
        .close()
        .map_err(|error| format!("closing: {error}"))?;

    println!("{}", String::from_utf8_lossy(&echo));
    Ok(())
}

/// Splits `HOST:PORT` (IPv6 hosts in brackets) into its two halves.
fn split_host_port(addr: &str) -> Result<(&str, &str), String> {
    let bad = || format!("{addr:?} is not HOST:PORT");
    let (host, port) = addr.rsplit_once(':').ok_or_else(bad)?;
    let host = match host.strip_prefix('[') {
        Some(inner) => inner.strip_suffix(']').ok_or_else(bad)?,
        None => host,
    };
    if host.is_empty() || port.is_empty() {
        return Err(bad());
    }
    Ok((host, port))
}
