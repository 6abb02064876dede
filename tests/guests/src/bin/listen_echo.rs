//! `listen_echo CONNECTIONS [OWN_BIND_ADDR]`: serves on the listeners the
//! host opened for it (`wasock run --listen`, `LISTEN_FDS`).
//!
//! Prints `listeners: N`, then `listening on ADDR` for each in order, and
//! `again: M` for what a second `listeners` call returns (nothing), and
//! `listen again ok` (or `listen again error CODE`) for a `listen` on the
//! first with another backlog. With
//! OWN_BIND_ADDR it also binds a socket of its own there and prints `own
//! bind ok` or `own bind error CODE` (its own binds still need a grant),
//! or `own socket error CODE` when it may not make one.
//! Then echoes CONNECTIONS connections on the first listener, one after
//! the other (each until the peer shuts its side), prints `served` and
//! exits 0.
use std::time::Duration;
use wasock::{Family, Protocol, SockAddr, Socket, SocketType};

fn main() {
    if let Err(error) = run() {
        eprintln!("listen_echo: {error}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let connections: usize = args.next().ok_or("usage: listen_echo N [ADDR]")?.parse()?;
    let own_bind = args.next();
    let listeners = wasock::listeners()?;
    println!("listeners: {}", listeners.len());
    for listener in &listeners {
        let name = listener.name()?.ok_or("a listener with no name")?;
        println!("listening on {name}");
    }
    println!("again: {}", wasock::listeners()?.len());
    if let Some(first) = listeners.first() {
        // Listening again changes only the backlog: no grant needed.
        match first.listen(16) {
            Ok(()) => println!("listen again ok"),
            Err(error) => println!("listen again error {}", error.code().as_str()),
        }
    }
    if let Some(address) = own_bind {
        let address: std::net::SocketAddr = address.parse()?;
        let family = if address.is_ipv4() {
            Family::Inet
        } else {
            Family::Inet6
        };
        match Socket::new(family, SocketType::Stream, Protocol::DEFAULT) {
            Ok(own) => match own.bind(&SockAddr::from(address)) {
                Ok(()) => println!("own bind ok"),
                Err(error) => println!("own bind error {}", error.code().as_str()),
            },
            Err(error) => println!("own socket error {}", error.code().as_str()),
        }
    }
    let listener = listeners.first().ok_or("no listener")?;
    for _ in 0..connections {
        let connection = listener.accept_timeout(Some(Duration::from_secs(30)))?;
        loop {
            let data = connection.receive(64 * 1024)?;
            if data.is_empty() {
                break;
            }
            connection.send_all(&data)?;
        }
    }
    println!("served");
    Ok(())
}
