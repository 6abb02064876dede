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

use std::marker::PhantomData;
use std::time::Duration;

use crate::bindings::wasi::clocks::monotonic_clock;
use crate::bindings::wasi::io::poll::{self as wasi_poll, Pollable};
use crate::error::{Error, Result};
use crate::socket::{Interest, Socket};
use crate::timeouts;

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
        Poller { entries: Vec::new(), sockets: PhantomData }
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
