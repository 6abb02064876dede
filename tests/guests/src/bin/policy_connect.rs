//! `policy_connect ADDR`: a wasock TCP connect to ADDR (`127.0.0.1:80`,
//! `[::1]:80`). Prints `connect ok` (and sends `hello`) or
//! `connect error <code>: <message>`; exits 0 either way, so the test
//! judges the outcome from the line.
use wasock::{Family, Protocol, SockAddr, Socket, SocketType};

fn main() {
    let Some(text) = std::env::args().nth(1) else {
        eprintln!("usage: policy_connect ADDR");
        std::process::exit(2);
    };
    let address: std::net::SocketAddr = match text.parse() {
        Ok(address) => address,
        Err(error) => {
            eprintln!("policy_connect: bad address {text:?}: {error}");
            std::process::exit(2);
        }
    };
    let family = if address.is_ipv4() {
        Family::Inet
    } else {
        Family::Inet6
    };
    let socket = match Socket::new(family, SocketType::Stream, Protocol::DEFAULT) {
        Ok(socket) => socket,
        Err(error) => {
            eprintln!("policy_connect: socket: {error}");
            std::process::exit(1);
        }
    };
    match socket.connect(&SockAddr::from(address)) {
        Ok(()) => {
            println!("connect ok");
            if let Err(error) = socket.send_all(b"hello") {
                eprintln!("policy_connect: send: {error}");
                std::process::exit(1);
            }
        }
        Err(error) => println!("connect error {}: {error}", error.code().as_str()),
    }
}
