//! Poll-set e2e: the semantics of `wasock::poll::Registry` (the WIT
//! `poll-set`) against a native peer.
//!
//! Connects twice to the native peer at ADDR, which writes `abcd` on each
//! connection at once and then obeys one-byte commands: `m` writes `more`,
//! `b` writes one byte `x`, `c` closes the connection. Checks, printing
//! `ok NAME` after each:
//!
//! - `level`: a level-triggered registration is reported by every poll
//!   while data is unread, and not once it is all read;
//! - `edge`: an edge-triggered one is reported once per arrival, not again
//!   while the data stays unread, again on new data and after `reregister`;
//! - `zero-timeout`: 50 times, once `receive_ready` (a `poll(2)`) says data
//!   is there, a zero-timeout poll of the registry reports it too;
//! - `timer`: the registry's pollable with a clock timer in one
//!   `wasi:io/poll` (`Registry::wait_ready`): the timer fires first when
//!   nothing is ready, the registry when data comes;
//! - `hang-up`: the peer's close is reported as readable and hang-up;
//! - `removal`: closing a socket removes it from both registries it is in,
//!   dropping one removes it, and no event names either afterwards;
//! - `bounds` (run with `--max-sockets 4`): 64 registries at most, twice
//!   the socket limit of registrations across them, `too-many-sockets`
//!   past either, and a dropped socket gives its registrations back.
//!
//! Usage: poll_set_semantics ADDR
use std::time::{Duration, Instant};

use wasock::poll::{Events, Registry, Token, Trigger};
use wasock::{ErrorCode, Family, Interest, Protocol, SockAddr, Socket, SocketType};
use wasock_test_guests::{err, receive_exact, tokens};

const WAIT: Option<Duration> = Some(Duration::from_secs(10));
const NOW: Option<Duration> = Some(Duration::ZERO);

fn main() {
    if let Err(e) = run() {
        eprintln!("poll_set_semantics: {e}");
        std::process::exit(1);
    }
}

type Result<T> = std::result::Result<T, String>;

fn connect(address: &SockAddr) -> Result<Socket> {
    let socket = Socket::new(address.family(), SocketType::Stream, Protocol::DEFAULT)
        .map_err(err("socket"))?;
    socket.connect(address).map_err(err("connect"))?;
    Ok(socket)
}

fn run() -> Result<()> {
    let address: SockAddr = std::env::args()
        .nth(1)
        .ok_or("usage: poll_set_semantics ADDR")?
        .parse()
        .map_err(err("ADDR"))?;
    let level = connect(&address)?;
    let edge = connect(&address)?;
    const L: Token = Token(1);
    const E: Token = Token(2);

    // Level-triggered: reported while unread data remains.
    let first = Registry::new().map_err(err("registry"))?;
    first
        .register(&level, L, Interest::READABLE)
        .map_err(err("register"))?;
    if !tokens(&first, WAIT)?.contains(&L) {
        return Err("level: no event for the data".into());
    }
    if !tokens(&first, NOW)?.contains(&L) {
        return Err("level: not reported again while unread".into());
    }
    if receive_exact(&level, 2)? != b"ab" {
        return Err("level: wrong data".into());
    }
    if !tokens(&first, NOW)?.contains(&L) {
        return Err("level: not reported with half the data unread".into());
    }
    receive_exact(&level, 2)?;
    if tokens(&first, NOW)?.contains(&L) {
        return Err("level: reported with nothing left to read".into());
    }
    println!("ok level");

    // Edge-triggered: once per arrival.
    let second = Registry::new().map_err(err("registry"))?;
    second
        .register_with(&edge, E, Interest::READABLE, Trigger::Edge)
        .map_err(err("register edge"))?;
    if !tokens(&second, WAIT)?.contains(&E) {
        return Err("edge: no event for the data".into());
    }
    if tokens(&second, NOW)?.contains(&E) {
        return Err("edge: reported twice for one arrival".into());
    }
    edge.send_all(b"m").map_err(err("send"))?;
    if !tokens(&second, WAIT)?.contains(&E) {
        return Err("edge: no event for new data".into());
    }
    if tokens(&second, NOW)?.contains(&E) {
        return Err("edge: reported twice for the second arrival".into());
    }
    second
        .reregister_with(&edge, E, Interest::READABLE, Trigger::Edge)
        .map_err(err("reregister"))?;
    if !tokens(&second, NOW)?.contains(&E) {
        return Err("edge: a reregister did not report the data still there".into());
    }
    if receive_exact(&edge, 8)? != b"abcdmore" {
        return Err("edge: wrong data".into());
    }
    println!("ok edge");

    // A zero-timeout poll agrees with poll(2).
    for round in 0..50 {
        level.send_all(b"b").map_err(err("send"))?;
        let start = Instant::now();
        while !level.receive_ready().map_err(err("receive-ready"))? {
            if start.elapsed() > Duration::from_secs(10) {
                return Err(format!("zero-timeout: round {round}: no byte came"));
            }
        }
        if !tokens(&first, NOW)?.contains(&L) {
            return Err(format!(
                "zero-timeout: round {round}: receive-ready said ready, the registry did not"
            ));
        }
        receive_exact(&level, 1)?;
    }
    println!("ok zero-timeout");

    // The registry's pollable and a timer in one wasi:io/poll.
    let start = Instant::now();
    if first.wait_ready(Some(Duration::from_millis(200))) {
        return Err("timer: the registry was ready with nothing to read".into());
    }
    if start.elapsed() < Duration::from_millis(150) {
        return Err(format!("timer: fired after {:?}", start.elapsed()));
    }
    level.send_all(b"b").map_err(err("send"))?;
    if !first.wait_ready(WAIT) {
        return Err("timer: the registry was not ready when data came".into());
    }
    // Readiness alone takes nothing: the event is still there.
    if !tokens(&first, NOW)?.contains(&L) {
        return Err("timer: the event was taken by the pollable".into());
    }
    receive_exact(&level, 1)?;
    println!("ok timer");

    // Hang-up.
    edge.send_all(b"c").map_err(err("send"))?;
    let mut events = Events::with_capacity(8);
    second.poll(&mut events, WAIT).map_err(err("poll"))?;
    let Some(event) = events.iter().find(|e| e.token() == E) else {
        return Err("hang-up: no event for the peer's close".into());
    };
    if !(event.is_readable() && event.is_hang_up()) {
        return Err(format!("hang-up: the close gave {:?}", event.readiness()));
    }
    println!("ok hang-up");

    // Removal on close and on drop.
    second
        .register(&level, L, Interest::READABLE)
        .map_err(err("register in the second"))?;
    level.send_all(b"b").map_err(err("send"))?;
    if !first.wait_ready(WAIT) {
        return Err("removal: the byte did not come".into());
    }
    level.close().map_err(err("close"))?;
    if !first.is_empty() || second.len() != 1 {
        return Err(format!(
            "removal: after close the registries hold {} and {}",
            first.len(),
            second.len()
        ));
    }
    if !tokens(&first, NOW)?.is_empty() {
        return Err("removal: an event for a closed socket".into());
    }
    match second.deregister(&level) {
        Err(e) if e.code() == ErrorCode::Closed => {}
        other => return Err(format!("removal: deregister after close gave {other:?}")),
    }
    drop(edge);
    if !second.is_empty() {
        return Err(format!(
            "removal: after drop the registry holds {}",
            second.len()
        ));
    }
    if !tokens(&second, Some(Duration::from_millis(50)))?.is_empty() {
        return Err("removal: an event for a dropped socket".into());
    }
    println!("ok removal");

    // Bounds (under --max-sockets 4: 8 registrations, 64 registries).
    let mut extra = Vec::new();
    loop {
        match Registry::new() {
            Ok(registry) => extra.push(registry),
            Err(e) if e.code() == ErrorCode::TooManySockets => break,
            Err(e) => return Err(format!("bounds: registry: {e}")),
        }
        if extra.len() > 100 {
            return Err("bounds: more than 100 registries".into());
        }
    }
    if extra.len() + 2 != 64 {
        return Err(format!("bounds: {} registries", extra.len() + 2));
    }
    let sockets: Vec<Socket> = (0..4)
        .map(|_| Socket::new(Family::Inet, SocketType::Dgram, Protocol::DEFAULT))
        .collect::<wasock::Result<_>>()
        .map_err(err("socket"))?;
    for (index, socket) in sockets.iter().enumerate() {
        first
            .register(socket, Token(index), Interest::READABLE)
            .map_err(err("register in the first"))?;
        second
            .register(socket, Token(index), Interest::READABLE)
            .map_err(err("register in the second"))?;
    }
    match extra[0].register(&sockets[0], Token(0), Interest::READABLE) {
        Err(e) if e.code() == ErrorCode::TooManySockets => {}
        other => return Err(format!("bounds: a ninth registration gave {other:?}")),
    }
    let mut sockets = sockets.into_iter();
    drop(sockets.next());
    let kept: Vec<Socket> = sockets.collect();
    extra[0]
        .register(&kept[0], Token(1), Interest::READABLE)
        .map_err(err("bounds: registration after a drop"))?;
    println!("ok bounds");
    Ok(())
}
