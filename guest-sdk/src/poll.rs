//! Waiting on many sockets at once: `wasi:io/poll` over the sockets'
//! `subscribe` pollables, plus a `wasi:clocks/monotonic-clock` timer for
//! the timeout, so one guest serves many connections without threads.
//!
//! ```no_run
//! # fn main() -> wasock::Result<()> {
//! use std::time::Duration;
//! use wasock::poll::{Poller, Token};
//! use wasock::{Family, Interest, Protocol, SockAddr, Socket, SocketType};
//!
//! let listener = Socket::new(Family::Inet, SocketType::Stream, Protocol::DEFAULT)?;
//! listener.bind(&SockAddr::inet(Some("127.0.0.1"), 8080)?)?;
//! listener.listen(128)?;
//! let mut clients: Vec<Socket> = Vec::new();
//! for _round in 0..1000 {
//!     // Subscriptions borrow the sockets, so build the poller per round.
//!     let mut poller = Poller::new();
//!     poller.register(&listener, Interest::READABLE, Token(usize::MAX));
//!     for (i, client) in clients.iter().enumerate() {
//!         poller.register(client, Interest::READABLE, Token(i));
//!     }
//!     let ready = poller.wait(Some(Duration::from_secs(10)))?;
//!     drop(poller);
//!     let mut closed = Vec::new();
//!     for Token(i) in ready {
//!         if i == usize::MAX {
//!             clients.push(listener.accept()?);
//!         } else {
//!             let data = clients[i].receive(4096)?;
//!             if data.is_empty() { closed.push(i) } else { clients[i].send_all(&data)? }
//!         }
//!     }
//!     for i in closed.into_iter().rev() { clients.remove(i); }
//! }
//! # Ok(()) }
//! ```
//!
//! A [`Poller`] subscribes afresh every time it is built. A loop that waits
//! on the same sockets round after round can keep its subscriptions
//! instead: a [`Subscription`] is one socket's readiness for one interest,
//! owned (it does not borrow the socket), and [`wait_any`] waits on any
//! list of them. That saves two host calls per socket per round
//! (`subscribe` and the pollable's drop).
//!
//! ```no_run
//! # fn main() -> wasock::Result<()> {
//! use wasock::poll::{wait_any, Subscription};
//! use wasock::{Family, Interest, Protocol, SockAddr, Socket, SocketType};
//!
//! let listener = Socket::new(Family::Inet, SocketType::Stream, Protocol::DEFAULT)?;
//! listener.bind(&SockAddr::inet(Some("127.0.0.1"), 8080)?)?;
//! listener.listen(128)?;
//! let incoming = Subscription::new(&listener, Interest::READABLE);
//! // (client, its readable subscription), kept across rounds
//! let mut clients: Vec<(Socket, Subscription)> = Vec::new();
//! for _round in 0..1000 {
//!     let mut list: Vec<&Subscription> = clients.iter().map(|(_, s)| s).collect();
//!     list.push(&incoming);
//!     let ready = wait_any(&list, None)?;
//!     let mut closed = Vec::new();
//!     for i in ready {
//!         if i == clients.len() {
//!             let client = listener.accept()?;
//!             let readable = Subscription::new(&client, Interest::READABLE);
//!             clients.push((client, readable));
//!         } else {
//!             let data = clients[i].0.receive(4096)?;
//!             if data.is_empty() { closed.push(i) } else { clients[i].0.send_all(&data)? }
//!         }
//!     }
//!     // Dropping a client drops its subscription with it.
//!     for i in closed.into_iter().rev() { clients.remove(i); }
//! }
//! # Ok(()) }
//! ```

use std::marker::PhantomData;
use std::time::Duration;

use crate::bindings::wasi::clocks::monotonic_clock;
use crate::bindings::wasi::io::poll::{self as wasi_poll, Pollable};
use crate::error::{Error, Result};
use crate::socket::{Interest, Socket};
use crate::timeouts;

/// One socket's readiness for one [`Interest`], kept for as long as the
/// caller likes (the socket's `subscribe`: a `wasi:io/poll` pollable).
///
/// Unlike a [`Poller`] registration it does not borrow the socket, so a
/// loop can keep it beside the socket across waits. Once the socket is
/// closed or dropped the subscription reports ready at once, every time
/// (the next call on the socket says `closed`): drop it with the socket.
pub struct Subscription {
    pollable: Pollable,
    interest: Interest,
}

impl std::fmt::Debug for Subscription {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Subscription")
            .field("interest", &self.interest)
            .finish_non_exhaustive()
    }
}

impl Subscription {
    /// Subscribes to `socket`'s readiness for `interest` (see
    /// [`Poller::register`] for what each interest means).
    pub fn new(socket: &Socket, interest: Interest) -> Subscription {
        Subscription {
            pollable: socket.subscribe(interest),
            interest,
        }
    }

    /// The interest this subscription watches.
    pub fn interest(&self) -> Interest {
        self.interest
    }

    /// Whether the socket is ready now, without waiting (`poll(2)` with a
    /// zero timeout).
    pub fn is_ready(&self) -> bool {
        self.pollable.ready()
    }
}

/// Waits until at least one of `subscriptions` is ready, or `timeout`
/// passes (`None`: forever); `poll(2)` over `wasi:io/poll`. Returns the
/// indexes (into `subscriptions`) of the ready ones, in order; an empty
/// list means the timeout passed.
///
/// Waiting forever on nothing fails with
/// [`ErrorCode::InvalidArgument`](crate::ErrorCode::InvalidArgument).
pub fn wait_any(subscriptions: &[&Subscription], timeout: Option<Duration>) -> Result<Vec<usize>> {
    let timer = timeouts::to_wit(timeout).map(monotonic_clock::subscribe_duration);
    if subscriptions.is_empty() && timer.is_none() {
        return Err(Error::invalid("poll: nothing to wait for and no timeout"));
    }
    let mut list: Vec<&Pollable> = Vec::with_capacity(subscriptions.len() + 1);
    list.extend(subscriptions.iter().map(|s| &s.pollable));
    list.extend(timer.as_ref());
    let ready = wasi_poll::poll(&list);
    Ok(ready
        .into_iter()
        .map(|index| index as usize)
        .filter(|&index| index < subscriptions.len())
        .collect())
}

/// Names a registration of a [`Poller`]; [`Poller::wait`] returns the
/// tokens of the sockets that are ready. Chosen by the caller.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Token(pub usize);

/// Waits until any of several sockets is ready, or a timeout passes
/// (`poll(2)` over `wasi:io/poll`).
///
/// A poller borrows the sockets it watches, so they outlive its
/// subscriptions (a socket cannot be dropped while it has one).
pub struct Poller<'a> {
    entries: Vec<(Token, Pollable)>,
    sockets: PhantomData<&'a Socket>,
}

impl std::fmt::Debug for Poller<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let tokens: Vec<Token> = self.entries.iter().map(|(t, _)| *t).collect();
        f.debug_struct("Poller").field("tokens", &tokens).finish()
    }
}

impl Default for Poller<'_> {
    fn default() -> Self {
        Poller::new()
    }
}

impl<'a> Poller<'a> {
    /// A poller watching nothing yet.
    pub fn new() -> Self {
        Poller {
            entries: Vec::new(),
            sockets: PhantomData,
        }
    }

    /// Watches `socket` for `interest` ([`Interest::READABLE`]: data, end of
    /// file, a connection to accept, or an error; [`Interest::WRITABLE`]:
    /// room to send or a finished connect), reported as `token`.
    pub fn register(&mut self, socket: &'a Socket, interest: Interest, token: Token) {
        self.entries.push((token, socket.subscribe(interest)));
    }

    /// Stops watching every registration with `token`.
    pub fn deregister(&mut self, token: Token) {
        self.entries.retain(|(t, _)| *t != token);
    }

    /// How many registrations there are.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are no registrations.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Waits until at least one registered socket is ready, or `timeout`
    /// passes (`None`: forever). Returns the tokens of the ready sockets,
    /// in registration order; an empty list means the timeout passed.
    ///
    /// Waiting forever on nothing fails with
    /// [`ErrorCode::InvalidArgument`](crate::ErrorCode::InvalidArgument).
    pub fn wait(&self, timeout: Option<Duration>) -> Result<Vec<Token>> {
        let timer = timeouts::to_wit(timeout).map(monotonic_clock::subscribe_duration);
        if self.entries.is_empty() && timer.is_none() {
            return Err(Error::invalid("poll: nothing to wait for and no timeout"));
        }
        let mut list: Vec<&Pollable> = self.entries.iter().map(|(_, p)| p).collect();
        list.extend(timer.as_ref());
        let ready = wasi_poll::poll(&list);
        let mut tokens: Vec<Token> = Vec::new();
        for index in ready {
            if let Some((token, _)) = self.entries.get(index as usize)
                && !tokens.contains(token)
            {
                tokens.push(*token);
            }
        }
        Ok(tokens)
    }
}
