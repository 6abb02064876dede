//! Poll-set e2e: [`wasock::poll::Subscription`] and
//! [`wasock::poll::wait_any`] (standing subscriptions on an
//! edge-triggered set of this thread) keep the level-triggered contract of
//! `poll(2)`, against the scripted native peer of `poll_set_semantics` at
//! ADDR (it writes `abcd`, then `m` → `more`).
//!
//! Prints `ok subscriptions` when: a readable subscription is returned
//! while its data is unread, every time (also with a zero timeout); not
//! once the data is read (the wait times out after its timeout, not
//! before); again for new data; a writable subscription of the same
//! socket is returned beside it; and a ready subscription left out of the
//! list neither shows up nor cuts another's wait short.
//!
//! Usage: poll_set_subscriptions ADDR
use std::time::{Duration, Instant};

use wasock::poll::{Subscription, wait_any};
use wasock::{Interest, Protocol, SockAddr, Socket, SocketType};

fn main() {
    if let Err(e) = run() {
        eprintln!("poll_set_subscriptions: {e}");
        std::process::exit(1);
    }
    println!("ok subscriptions");
}

fn run() -> Result<(), String> {
    let address: SockAddr = std::env::args()
        .nth(1)
        .ok_or("usage: poll_set_subscriptions ADDR")?
        .parse()
        .map_err(|e: wasock::Error| e.to_string())?;
    let socket = Socket::new(address.family(), SocketType::Stream, Protocol::DEFAULT)
        .map_err(|e| e.to_string())?;
    socket
        .connect(&address)
        .map_err(|e| format!("connect: {e}"))?;
    let other = Socket::new(address.family(), SocketType::Stream, Protocol::DEFAULT)
        .map_err(|e| e.to_string())?;
    other
        .connect(&address)
        .map_err(|e| format!("connect: {e}"))?;

    let readable = Subscription::new(&socket, Interest::READABLE);
    let long = Some(Duration::from_secs(10));
    let zero = Some(Duration::ZERO);
    let wait = |list: &[&Subscription], timeout| wait_any(list, timeout).map_err(|e| e.to_string());

    if wait(&[&readable], long)? != [0] {
        return Err("the data was not reported".into());
    }
    for round in 0..3 {
        if wait(&[&readable], zero)? != [0] {
            return Err(format!("round {round}: unread data not reported again"));
        }
    }
    let mut data = Vec::new();
    while data.len() < 4 {
        let chunk = socket.receive(4 - data.len()).map_err(|e| e.to_string())?;
        if chunk.is_empty() {
            return Err("end of file".into());
        }
        data.extend(chunk);
    }
    let start = Instant::now();
    if !wait(&[&readable], Some(Duration::from_millis(200)))?.is_empty() {
        return Err("reported with nothing left to read".into());
    }
    if start.elapsed() < Duration::from_millis(150) {
        return Err(format!("the wait ended after {:?}", start.elapsed()));
    }
    socket.send_all(b"m").map_err(|e| e.to_string())?;
    let writable = Subscription::new(&socket, Interest::WRITABLE);
    let both = wait(&[&readable, &writable], long)?;
    if both != [0, 1] {
        // The data may come a moment after the room to send.
        if both != [1] || wait(&[&readable], long)? != [0] {
            return Err(format!("readable and writable gave {both:?}"));
        }
    }
    // `other` has unread data (its `abcd`): a subscription of it left out
    // of the list must not end this wait early.
    let other_readable = Subscription::new(&other, Interest::READABLE);
    if wait(&[&other_readable], long)? != [0] {
        return Err("the other socket's data was not reported".into());
    }
    let quiet = Subscription::new(&other, Interest::WRITABLE);
    drop(quiet);
    let left_out = Subscription::new(&socket, Interest::READABLE);
    let mut rest = Vec::new();
    while rest.len() < 4 {
        let chunk = socket.receive(4 - rest.len()).map_err(|e| e.to_string())?;
        if chunk.is_empty() {
            return Err("end of file".into());
        }
        rest.extend(chunk);
    }
    let start = Instant::now();
    if !wait(&[&left_out], Some(Duration::from_millis(200)))?.is_empty() {
        return Err("a wait without the ready subscription returned something".into());
    }
    if start.elapsed() < Duration::from_millis(150) {
        return Err(format!(
            "a ready subscription left out of the list cut the wait short ({:?})",
            start.elapsed()
        ));
    }
    Ok(())
}
