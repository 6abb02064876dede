//! `policy_send_to ADDR`: one UDP datagram (`ping`) to ADDR with wasock's
//! send-to. Prints `send-to ok N` or `send-to error <code>: <message>`.
use wasock::{Family, Protocol, SockAddr, Socket, SocketType};

fn main() {
    let Some(address) = std::env::args()
        .nth(1)
        .and_then(|a| a.parse::<std::net::SocketAddr>().ok())
    else {
        eprintln!("usage: policy_send_to ADDR");
        std::process::exit(2);
    };
    let family = if address.is_ipv4() {
        Family::Inet
    } else {
        Family::Inet6
    };
    let socket = match Socket::new(family, SocketType::Dgram, Protocol::DEFAULT) {
        Ok(socket) => socket,
        Err(error) => {
            eprintln!("policy_send_to: socket: {error}");
            std::process::exit(1);
        }
    };
    match socket.send_to(b"ping", &SockAddr::from(address)) {
        Ok(n) => println!("send-to ok {n}"),
        Err(error) => println!("send-to error {}: {error}", error.code().as_str()),
    }
}
