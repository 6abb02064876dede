//! Poll-set e2e: the refusals and bounds of `wasock::poll::Registry` (the
//! WIT `poll-set`) that need no peer, printing `ok NAME` after each:
//!
//! - `add-twice`: registering a socket already in the set is
//!   `invalid-argument` (`EEXIST`), and the set still holds it once;
//! - `not-in-set`: `reregister` and `deregister` of a socket not in the
//!   set are `invalid-argument` (`ENOENT`);
//! - `max-events`: with room for one event (`Events::with_capacity`
//!   asks for at least one), three ready sockets are returned one per
//!   poll, each once in three polls (the rest wait for the next poll, in
//!   turn);
//! - `hang-up`: a fresh stream socket registered with no interest is
//!   reported hung up and nothing else (`poll(2)` on Linux: neither
//!   connected nor listening);
//! - `closed`: registering, reregistering or deregistering a closed socket
//!   is `closed`, and the set no longer holds one that closed in it.
//!
//! Usage: poll_set_errors

use std::collections::BTreeSet;
use std::time::Duration;

use wasock::poll::{Events, Registry, Token};
use wasock::{ErrorCode, Family, Interest, Protocol, Socket, SocketType};

const NOW: Option<Duration> = Some(Duration::ZERO);

fn main() {
    if let Err(e) = run() {
        eprintln!("poll_set_errors: {e}");
        std::process::exit(1);
    }
}

type Result<T> = std::result::Result<T, String>;

fn err(context: &str) -> impl Fn(wasock::Error) -> String + '_ {
    move |e| format!("{context}: {e}")
}

/// Fails unless `result` is an error with `code`.
fn expect_code<T: std::fmt::Debug>(
    what: &str,
    result: wasock::Result<T>,
    code: ErrorCode,
) -> Result<()> {
    match result {
        Err(e) if e.code() == code => Ok(()),
        other => Err(format!("{what}: expected {code:?}, got {other:?}")),
    }
}

fn datagram_socket() -> Result<Socket> {
    Socket::new(Family::Inet, SocketType::Dgram, Protocol::DEFAULT).map_err(err("socket"))
}

fn run() -> Result<()> {
    let registry = Registry::new().map_err(err("registry"))?;

    // An unbound datagram socket may send at once: writable.
    let first = datagram_socket()?;
    registry
        .register(&first, Token(1), Interest::WRITABLE)
        .map_err(err("register"))?;
    expect_code(
        "add-twice",
        registry.register(&first, Token(1), Interest::WRITABLE),
        ErrorCode::InvalidArgument,
    )?;
    if registry.len() != 1 {
        return Err(format!("add-twice: the set holds {}", registry.len()));
    }
    println!("ok add-twice");

    let outsider = datagram_socket()?;
    expect_code(
        "not-in-set reregister",
        registry.reregister(&outsider, Token(9), Interest::READABLE),
        ErrorCode::InvalidArgument,
    )?;
    expect_code(
        "not-in-set deregister",
        registry.deregister(&outsider),
        ErrorCode::InvalidArgument,
    )?;
    println!("ok not-in-set");

    let second = datagram_socket()?;
    let third = datagram_socket()?;
    for (socket, token) in [(&second, Token(2)), (&third, Token(3))] {
        registry
            .register(socket, token, Interest::WRITABLE)
            .map_err(err("register"))?;
    }
    let mut seen = BTreeSet::new();
    for round in 0..3 {
        let mut events = Events::with_capacity(1);
        registry.poll(&mut events, NOW).map_err(err("poll"))?;
        let tokens: Vec<usize> = events.iter().map(|e| e.token().0).collect();
        if tokens.len() != 1 {
            return Err(format!("max-events: round {round} gave {tokens:?}"));
        }
        seen.insert(tokens[0]);
    }
    if seen != BTreeSet::from([1, 2, 3]) {
        return Err(format!("max-events: three polls of one gave {seen:?}"));
    }
    println!("ok max-events");

    let fresh =
        Socket::new(Family::Inet, SocketType::Stream, Protocol::DEFAULT).map_err(err("socket"))?;
    let alone = Registry::new().map_err(err("registry"))?;
    alone
        .register(&fresh, Token(7), Interest::empty())
        .map_err(err("register fresh"))?;
    let mut events = Events::with_capacity(8);
    alone.poll(&mut events, NOW).map_err(err("poll"))?;
    let readiness: Vec<(usize, bool, bool, bool)> = events
        .iter()
        .map(|e| {
            (
                e.token().0,
                e.is_hang_up(),
                e.is_readable(),
                e.is_writable(),
            )
        })
        .collect();
    if readiness != [(7, true, false, false)] {
        return Err(format!(
            "hang-up: a fresh stream socket gave (token, hang-up, readable, writable) {readiness:?}"
        ));
    }
    println!("ok hang-up");

    second.close().map_err(err("close"))?;
    if registry.len() != 2 {
        return Err(format!(
            "closed: after a close the set holds {}",
            registry.len()
        ));
    }
    expect_code(
        "closed register",
        registry.register(&second, Token(2), Interest::READABLE),
        ErrorCode::Closed,
    )?;
    expect_code(
        "closed reregister",
        registry.reregister(&second, Token(2), Interest::READABLE),
        ErrorCode::Closed,
    )?;
    expect_code(
        "closed deregister",
        registry.deregister(&second),
        ErrorCode::Closed,
    )?;
    println!("ok closed");
    Ok(())
}
