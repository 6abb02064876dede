//! `sandbox_unix_descriptors DIR...`: prints `before` and sleeps 1 s, then
//! binds unix sockets in the DIRs in turn (`DIR/dN.sock`) until one is
//! refused, prints `bound N: CODE` and `holding`, and holds them for 2 s
//! more (so that the host's descriptors can be counted while it does).

use std::time::Duration;

use wasock::{Family, Protocol, SockAddr, Socket, SocketType};

fn main() {
    let dirs: Vec<String> = std::env::args().skip(1).collect();
    if dirs.is_empty() {
        eprintln!("sandbox_unix_descriptors: usage: DIR...");
        std::process::exit(1);
    }
    println!("before");
    std::thread::sleep(Duration::from_secs(1));
    let mut held = Vec::new();
    let refusal = loop {
        let dir = &dirs[held.len() % dirs.len()];
        let path = format!("{dir}/d{}.sock", held.len());
        let bound = Socket::new(Family::Unix, SocketType::Stream, Protocol::DEFAULT)
            .and_then(|socket| socket.bind(&SockAddr::unix(path)).map(|()| socket));
        match bound {
            Ok(socket) => held.push(socket),
            Err(e) => break e.code().as_str().to_owned(),
        }
        if held.len() >= 100_000 {
            break "none after 100000".to_owned();
        }
    };
    println!("bound {}: {refusal}", held.len());
    println!("holding");
    std::thread::sleep(Duration::from_secs(2));
}
