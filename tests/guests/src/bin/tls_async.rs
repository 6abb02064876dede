//! `tls_async ADDR NAME CONNECTIONS`: the async SDK over TLS. Spawns one
//! task per connection to the native TLS echo peer at ADDR (its
//! certificate for NAME, offering ALPN `echo`); each connects, does its
//! client handshake with `AsyncSocket::tls_connect` and echoes messages of
//! 1, 5000 and 40000 bytes (the last crosses TLS records), then closes.
//! The peer answers no ClientHello until all CONNECTIONS have sent theirs,
//! so a handshake that blocked the executor would never finish.
//!
//! Prints `connection I: ok VERSION PROTOCOL` for each connection, then
//! `ok async`; a failure ends it with status 1.
use std::time::Duration;

use wasock::async_io::{AsyncSocket, block_on, spawn, timeout};
use wasock::tls::TlsOptions;
use wasock::{Protocol, SockAddr, SocketType};

fn main() {
    if let Err(e) = block_on(run()) {
        eprintln!("tls_async: {e}");
        std::process::exit(1);
    }
}

async fn run() -> Result<(), String> {
    let mut args = std::env::args().skip(1);
    let (Some(address), Some(name), Some(connections)) = (args.next(), args.next(), args.next())
    else {
        return Err("usage: tls_async ADDR NAME CONNECTIONS".into());
    };
    let address: SockAddr = address
        .parse()
        .map_err(|e: wasock::Error| format!("ADDR: {e}"))?;
    let connections: usize = connections
        .parse()
        .map_err(|e| format!("CONNECTIONS: {e}"))?;
    let tasks: Vec<_> = (0..connections)
        .map(|index| spawn(echo(index, address.clone(), name.clone())))
        .collect();
    let mut failed = Vec::new();
    for task in tasks {
        match task.await {
            Ok(line) => println!("{line}"),
            Err(e) => failed.push(e),
        }
    }
    if !failed.is_empty() {
        return Err(failed.join("; "));
    }
    println!("ok async");
    Ok(())
}

/// One connection's handshake and echoes; its report line.
async fn echo(index: usize, address: SockAddr, name: String) -> Result<String, String> {
    let context =
        |what: &'static str| move |e: wasock::Error| format!("connection {index}: {what}: {e}");
    let socket = AsyncSocket::new(address.family(), SocketType::Stream, Protocol::DEFAULT)
        .map_err(context("socket"))?;
    socket.connect(&address).await.map_err(context("connect"))?;
    let options = TlsOptions::new()
        .alpn(["echo"])
        .timeout(Some(Duration::from_secs(60)));
    let session = socket
        .tls_connect(&name, &options)
        .await
        .map_err(context("tls connect"))?;
    for size in [1usize, 5000, 40_000] {
        let message: Vec<u8> = (0..size)
            .map(|i| (i * 31 + index * 7 + size) as u8)
            .collect();
        socket.send_all(&message).await.map_err(context("send"))?;
        let mut echo = Vec::new();
        // Bounded: each receive gives at least a byte, or fails.
        while echo.len() < size {
            let chunk = timeout(Duration::from_secs(30), socket.receive(size - echo.len()))
                .await
                .map_err(context("receive"))?
                .map_err(context("receive"))?;
            if chunk.is_empty() {
                return Err(format!(
                    "connection {index}: end of file in the echo of {size} bytes"
                ));
            }
            echo.extend(chunk);
        }
        if echo != message {
            return Err(format!(
                "connection {index}: the echo of {size} bytes differs"
            ));
        }
    }
    socket.socket().close().map_err(context("close"))?;
    Ok(format!(
        "connection {index}: ok {} {}",
        session.version,
        session.protocol.as_deref().unwrap_or("-")
    ))
}
