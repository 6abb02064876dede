//! `policy_bind ADDR`: binds a wasock TCP socket to ADDR and listens.
//!
//! Allowed: prints `listening on <name>`, accepts one connection (20 s at
//! most), sends `hi`, exits 0. Refused: prints `bind error <code>: ...`,
//! then tries `listen` on the still unbound socket (an implicit bind, which
//! the policy must refuse too) and prints `listen error <code>: ...` or
//! `listen ok`, then `still running` and stays 5 s so the test can check
//! that nothing listens.
use std::time::Duration;
use wasock::{Family, Protocol, SockAddr, Socket, SocketType};

fn main() {
    let Some(address) = std::env::args()
        .nth(1)
        .and_then(|a| a.parse::<std::net::SocketAddr>().ok())
    else {
        eprintln!("usage: policy_bind ADDR");
        std::process::exit(2);
    };
    let family = if address.is_ipv4() {
        Family::Inet
    } else {
        Family::Inet6
    };
    let socket = match Socket::new(family, SocketType::Stream, Protocol::DEFAULT) {
        Ok(socket) => socket,
        Err(error) => {
            eprintln!("policy_bind: socket: {error}");
            std::process::exit(1);
        }
    };
    if let Err(error) = socket.bind(&SockAddr::from(address)) {
        println!("bind error {}: {error}", error.code().as_str());
        match socket.listen(4) {
            Ok(()) => println!("listen ok"),
            Err(error) => println!("listen error {}: {error}", error.code().as_str()),
        }
        println!("still running");
        std::thread::sleep(Duration::from_secs(5));
        return;
    }
    if let Err(error) = socket.listen(4) {
        eprintln!("policy_bind: listen: {error}");
        std::process::exit(1);
    }
    match socket.name() {
        Ok(Some(name)) => println!("listening on {name}"),
        other => {
            eprintln!("policy_bind: name: {other:?}");
            std::process::exit(1);
        }
    }
    match socket.accept_timeout(Some(Duration::from_secs(20))) {
        Ok(peer) => {
            if let Err(error) = peer.send_all(b"hi") {
                eprintln!("policy_bind: send: {error}");
                std::process::exit(1);
            }
            println!("accepted");
        }
        Err(error) => {
            eprintln!("policy_bind: accept: {error}");
            std::process::exit(1);
        }
    }
}
