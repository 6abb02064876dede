//! SDK e2e: one guest serves several connections without threads through
//! `wasock::poll::Poller`. Listens on 127.0.0.1 (port 0), prints
//! `listening on ADDR`, checks that a wait with nothing ready times out with
//! no tokens, then echoes every client (each line back as it comes) until
//! CLIENTS connections have come and gone.
//!
//! Usage: sdk_poll CLIENTS
use std::time::Duration;

use wasock::poll::{Poller, Token};
use wasock::{Family, Interest, Protocol, SockAddr, Socket, SocketType};

fn main() {
    if let Err(e) = run() {
        eprintln!("sdk_poll: {e}");
        std::process::exit(1);
    }
}

const LISTENER: Token = Token(usize::MAX);

fn run() -> Result<(), String> {
    let clients: usize = std::env::args()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .ok_or("usage: sdk_poll CLIENTS")?;
    let listener = Socket::new(Family::Inet, SocketType::Stream, Protocol::DEFAULT)
        .map_err(|e| e.to_string())?;
    listener
        .bind(&SockAddr::inet(Some("127.0.0.1"), 0).map_err(|e| e.to_string())?)
        .map_err(|e| format!("bind: {e}"))?;
    listener.listen(16).map_err(|e| format!("listen: {e}"))?;

    {
        let mut idle = Poller::new();
        idle.register(&listener, Interest::READABLE, LISTENER);
        let ready = idle
            .wait(Some(Duration::from_millis(50)))
            .map_err(|e| e.to_string())?;
        if !ready.is_empty() {
            return Err(format!("nothing connected yet, but {ready:?} are ready"));
        }
    }
    let name = listener
        .name()
        .map_err(|e| e.to_string())?
        .ok_or("listener has no name")?;
    println!("listening on {name}");

    let mut open: Vec<Socket> = Vec::new();
    let mut accepted = 0;
    let mut finished = 0;
    // Bounded: each round handles at least one event.
    for _round in 0..10_000 {
        if finished == clients {
            println!("sdk_poll: ok, served {finished} clients");
            return Ok(());
        }
        let mut poller = Poller::new();
        if accepted < clients {
            poller.register(&listener, Interest::READABLE, LISTENER);
        }
        for (i, conn) in open.iter().enumerate() {
            poller.register(conn, Interest::READABLE, Token(i));
        }
        let ready = poller
            .wait(Some(Duration::from_secs(30)))
            .map_err(|e| e.to_string())?;
        drop(poller);
        if ready.is_empty() {
            return Err("no client activity for 30 s".into());
        }
        let mut done = Vec::new();
        for token in ready {
            if token == LISTENER {
                open.push(listener.accept().map_err(|e| format!("accept: {e}"))?);
                accepted += 1;
                continue;
            }
            let conn = &open[token.0];
            let data = conn.receive(4096).map_err(|e| format!("receive: {e}"))?;
            if data.is_empty() {
                done.push(token.0);
            } else {
                conn.send_all(&data).map_err(|e| format!("send_all: {e}"))?;
            }
        }
        done.sort_unstable();
        for i in done.into_iter().rev() {
            open.remove(i).close().map_err(|e| format!("close: {e}"))?;
            finished += 1;
        }
    }
    Err("too many rounds".into())
}
