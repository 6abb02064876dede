//! `poll_zero_timeout ROUNDS`: whether a zero-timeout readiness check
//! agrees with `poll(2)`.
//!
//! Listens on 127.0.0.1 (prints `listening on ADDR`), accepts one
//! connection, subscribes to its readability once, then for each round
//! prints `round I` and spins (at most 10 s) until `receive_ready()` (the
//! host's direct `poll(2)`) says the peer's next byte is there. Right then
//! it asks `Subscription::is_ready()` and `Poller::wait(Some(ZERO))`, and
//! takes the byte. Prints `missed: subscription S, poller P of ROUNDS`.
//!
//! Needs `--allow-bind 127.0.0.1:0`.

use std::io::Write;
use std::time::{Duration, Instant};

use wasock::poll::{Poller, Subscription, Token};
use wasock::{Family, Interest, Protocol, SockAddr, Socket, SocketType};

fn fail(what: &str, e: impl std::fmt::Display) -> ! {
    eprintln!("poll_zero_timeout: {what}: {e}");
    std::process::exit(1)
}

fn main() {
    let rounds: usize = std::env::args()
        .nth(1)
        .unwrap_or_else(|| fail("usage", "poll_zero_timeout ROUNDS"))
        .parse()
        .unwrap_or_else(|e| fail("rounds", e));
    let listener = Socket::new(Family::Inet, SocketType::Stream, Protocol::DEFAULT)
        .unwrap_or_else(|e| fail("socket", e));
    let here = SockAddr::inet(Some("127.0.0.1"), 0).unwrap_or_else(|e| fail("address", e));
    listener.bind(&here).unwrap_or_else(|e| fail("bind", e));
    listener.listen(1).unwrap_or_else(|e| fail("listen", e));
    let name = listener
        .name()
        .unwrap_or_else(|e| fail("name", e))
        .unwrap_or_else(|| fail("name", "none"));
    println!("listening on {name}");
    let _ = std::io::stdout().flush();
    let connection = listener.accept().unwrap_or_else(|e| fail("accept", e));
    let subscription = Subscription::new(&connection, Interest::READABLE);

    let (mut subscription_missed, mut poller_missed) = (0, 0);
    for round in 0..rounds {
        println!("round {round}");
        let _ = std::io::stdout().flush();
        let deadline = Instant::now() + Duration::from_secs(10);
        while !connection
            .receive_ready()
            .unwrap_or_else(|e| fail("receive-ready", e))
        {
            // Spinning, not sleeping: the check below comes right after
            // the byte arrives, where a lagging answer would show.
            if Instant::now() > deadline {
                fail("round", format!("{round}: no byte within 10 s"));
            }
        }
        if !subscription.is_ready() {
            subscription_missed += 1;
        }
        let mut poller = Poller::new();
        poller.register(&connection, Interest::READABLE, Token(0));
        let ready = poller
            .wait(Some(Duration::ZERO))
            .unwrap_or_else(|e| fail("poll", e));
        if ready.is_empty() {
            poller_missed += 1;
        }
        drop(poller);
        let byte = connection.receive(1).unwrap_or_else(|e| fail("receive", e));
        if byte.len() != 1 {
            fail("receive", format!("{byte:?}"));
        }
    }
    println!("missed: subscription {subscription_missed}, poller {poller_missed} of {rounds}");
    println!("poll_zero_timeout: ok");
}
