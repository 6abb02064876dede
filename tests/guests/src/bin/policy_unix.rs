//! `policy_unix PATH`: binds a unix-domain stream socket to PATH (as the
//! guest names it). Prints `bind ok <name>` (the socket's own name as the
//! guest sees it) or `bind error <code>: <message>`.
use wasock::{Family, Protocol, SockAddr, Socket, SocketType};

fn main() {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: policy_unix PATH");
        std::process::exit(2);
    };
    let socket = match Socket::new(Family::Unix, SocketType::Stream, Protocol::DEFAULT) {
        Ok(socket) => socket,
        Err(error) => {
            eprintln!("policy_unix: socket: {error}");
            std::process::exit(1);
        }
    };
    match socket.bind(&SockAddr::unix(path)) {
        Ok(()) => match socket.name() {
            Ok(Some(name)) => println!("bind ok {name}"),
            other => {
                eprintln!("policy_unix: name: {other:?}");
                std::process::exit(1);
            }
        },
        Err(error) => println!("bind error {}: {error}", error.code().as_str()),
    }
}
