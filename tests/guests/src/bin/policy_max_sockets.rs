//! `policy_max_sockets N`: opens N + 5 TCP sockets, holding every one it
//! gets; counts how many were refused with `too-many-sockets` (any other
//! error fails the guest). Prints `opened X refused Y`, then closes one and
//! opens another (`reopened ok`), and exits 0: hitting the limit is an
//! ordinary error, not the end of the guest.
use wasock::{ErrorCode, Family, Protocol, Socket, SocketType};

fn open() -> wasock::Result<Socket> {
    Socket::new(Family::Inet, SocketType::Stream, Protocol::DEFAULT)
}

fn main() {
    let Some(limit) = std::env::args()
        .nth(1)
        .and_then(|a| a.parse::<usize>().ok())
    else {
        eprintln!("usage: policy_max_sockets N");
        std::process::exit(2);
    };
    let mut held = Vec::new();
    let mut refused = 0usize;
    for _ in 0..limit + 5 {
        match open() {
            Ok(socket) => held.push(socket),
            Err(error) if error.code() == ErrorCode::TooManySockets => refused += 1,
            Err(error) => {
                eprintln!("policy_max_sockets: unexpected error: {error}");
                std::process::exit(1);
            }
        }
    }
    println!("opened {} refused {refused}", held.len());
    if let Some(socket) = held.pop() {
        if let Err(error) = socket.close() {
            eprintln!("policy_max_sockets: close: {error}");
            std::process::exit(1);
        }
        drop(socket);
    }
    match open() {
        Ok(socket) => {
            held.push(socket);
            println!("reopened ok");
        }
        Err(error) => {
            eprintln!("policy_max_sockets: reopen: {error}");
            std::process::exit(1);
        }
    }
}
