//! `policy_unix_connect PATH`: connects a unix-domain stream socket to PATH
//! (as the guest names it). Prints `connect ok` (and sends `hello`) or
//! `connect error <code>: <message>`.
use wasock::{Family, Protocol, SockAddr, Socket, SocketType};

fn main() {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: policy_unix_connect PATH");
        std::process::exit(2);
    };
    let socket = match Socket::new(Family::Unix, SocketType::Stream, Protocol::DEFAULT) {
        Ok(socket) => socket,
        Err(error) => {
            eprintln!("policy_unix_connect: socket: {error}");
            std::process::exit(1);
        }
    };
    match socket.connect(&SockAddr::unix(path)) {
        Ok(()) => {
            println!("connect ok");
            if let Err(error) = socket.send_all(b"hello") {
                eprintln!("policy_unix_connect: send: {error}");
                std::process::exit(1);
            }
        }
        Err(error) => println!("connect error {}: {error}", error.code().as_str()),
    }
}
