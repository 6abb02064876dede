//! `policy_flood ADDR COUNT`: COUNT wasock connects to ADDR in a row (the
//! test grants none), counting `permission-denied` errors; prints
//! `denied N`. The host's denial log must stay short however many there are.
use wasock::{ErrorCode, Family, Protocol, SockAddr, Socket, SocketType};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(address), Some(count)) = (
        args.first()
            .and_then(|a| a.parse::<std::net::SocketAddr>().ok()),
        args.get(1).and_then(|a| a.parse::<usize>().ok()),
    ) else {
        eprintln!("usage: policy_flood ADDR COUNT");
        std::process::exit(2);
    };
    let target = SockAddr::from(address);
    let mut denied = 0usize;
    for _ in 0..count {
        let socket = match Socket::new(Family::Inet, SocketType::Stream, Protocol::DEFAULT) {
            Ok(socket) => socket,
            Err(error) => {
                eprintln!("policy_flood: socket: {error}");
                std::process::exit(1);
            }
        };
        match socket.connect(&target) {
            Err(error) if error.code() == ErrorCode::PermissionDenied => denied += 1,
            other => {
                eprintln!("policy_flood: connect was not denied: {other:?}");
                std::process::exit(1);
            }
        }
    }
    println!("denied {denied}");
}
