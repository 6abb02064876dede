//! `sandbox_linger_exit`: lingering sockets whose peer stops answering
//! after it has acknowledged the data. Makes two connected pairs over
//! loopback (a listener of its own), sets a 30 s linger on each client,
//! sends 4 bytes, reads them on the server side and waits 300 ms (the
//! data is acknowledged by then), then prints `acked`. The test then takes
//! the namespace's loopback down, so no FIN will be acknowledged. After 2 s
//! the guest drops one client (prints `dropped in MS ms`) and exits with
//! the other pair still open, for the host to tear down.
//!
//! close(2) with that linger would block its thread until the FIN is
//! acknowledged or 30 s pass; the host must return at once and exit at
//! once. Needs `--allow-bind 127.0.0.1:0 --allow-connect '127.0.0.1:*'`.
use std::io::Write;
use std::time::{Duration, Instant};

use wasock::{Family, Protocol, SockAddr, Socket, SocketType};

fn fail(what: &str, e: impl std::fmt::Display) -> ! {
    eprintln!("sandbox_linger_exit: {what}: {e}");
    std::process::exit(1)
}

fn stream() -> Socket {
    Socket::new(Family::Inet, SocketType::Stream, Protocol::DEFAULT)
        .unwrap_or_else(|e| fail("socket", e))
}

fn main() {
    let listener = stream();
    let any: SockAddr = "127.0.0.1:0".parse().unwrap_or_else(|e| fail("address", e));
    listener.bind(&any).unwrap_or_else(|e| fail("bind", e));
    listener.listen(4).unwrap_or_else(|e| fail("listen", e));
    let address = listener
        .name()
        .unwrap_or_else(|e| fail("name", e))
        .unwrap_or_else(|| fail("name", "none"));
    let mut pairs = Vec::new();
    for _ in 0..2 {
        let client = stream();
        client
            .connect(&address)
            .unwrap_or_else(|e| fail("connect", e));
        let server = listener.accept().unwrap_or_else(|e| fail("accept", e));
        client
            .set_linger(Some(Duration::from_secs(30)))
            .unwrap_or_else(|e| fail("linger", e));
        client.send_all(b"data").unwrap_or_else(|e| fail("send", e));
        let mut got = 0;
        while got < 4 {
            let part = server
                .receive(4 - got)
                .unwrap_or_else(|e| fail("receive", e));
            if part.is_empty() {
                fail("receive", "end of file");
            }
            got += part.len();
        }
        pairs.push((client, server));
    }
    std::thread::sleep(Duration::from_millis(300));
    println!("acked");
    let _ = std::io::stdout().flush();
    std::thread::sleep(Duration::from_secs(2));
    let (client, _server) = pairs.remove(0);
    let start = Instant::now();
    drop(client);
    println!("dropped in {} ms", start.elapsed().as_millis());
    let _ = std::io::stdout().flush();
    std::process::exit(0);
}
