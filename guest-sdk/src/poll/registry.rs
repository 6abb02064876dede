//! The registry: a persistent interest set on the host (`epoll(7)`).

use std::time::Duration;

use super::events::{Event, Events, Token, Trigger};
use crate::bindings::wasi::clocks::monotonic_clock;
use crate::bindings::wasi::io::poll::{self as wasi_poll, Pollable};
use crate::bindings::wasock::socket::poll_set as wit;
#[cfg(doc)]
use crate::error::ErrorCode;
use crate::error::Result;
use crate::parameters::timeout_to_wit;
use crate::socket::{Interest, Socket};

/// A persistent interest set of sockets on the host (the WIT `poll-set`,
/// one `epoll(7)` instance): register once, then poll for the ready ones.
///
/// Each registration counts against the guest's limits (a guest holds at
/// most 64 registries, and twice its socket limit of registrations);
/// past them the call fails with [`ErrorCode::TooManySockets`].
pub struct Registry {
    set: wit::PollSet,
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registry")
            .field("len", &self.len())
            .finish()
    }
}

impl Registry {
    /// `epoll_create1(2)`: an empty registry.
    pub fn new() -> Result<Registry> {
        crate::require_wasm();
        Ok(Registry {
            set: wit::PollSet::create()?,
        })
    }

    /// `epoll_ctl(EPOLL_CTL_ADD)`, level-triggered: watch `socket` for
    /// `interest` ([`Interest::READABLE`]: data, end of file, a connection
    /// to accept; [`Interest::WRITABLE`]: room to send, a finished
    /// connect), reported as `token`. Hang-up and errors are reported
    /// whatever the interest.
    ///
    /// Fails with [`ErrorCode::InvalidArgument`] if the socket is already
    /// registered here (use [`Registry::reregister`]).
    pub fn register(&self, socket: &Socket, token: Token, interest: Interest) -> Result<()> {
        self.register_with(socket, token, interest, Trigger::Level)
    }

    /// [`Registry::register`] with a [`Trigger`].
    pub fn register_with(
        &self,
        socket: &Socket,
        token: Token,
        interest: Interest,
        trigger: Trigger,
    ) -> Result<()> {
        Ok(self.set.add(
            socket.wit(),
            interest.into(),
            trigger.into(),
            token.to_wit(),
        )?)
    }

    /// `epoll_ctl(EPOLL_CTL_MOD)`, level-triggered: change a registered
    /// socket's token and interest. A readiness already there is reported
    /// again by the next poll.
    pub fn reregister(&self, socket: &Socket, token: Token, interest: Interest) -> Result<()> {
        self.reregister_with(socket, token, interest, Trigger::Level)
    }

    /// [`Registry::reregister`] with a [`Trigger`].
    pub fn reregister_with(
        &self,
        socket: &Socket,
        token: Token,
        interest: Interest,
        trigger: Trigger,
    ) -> Result<()> {
        Ok(self.set.modify(
            socket.wit(),
            interest.into(),
            trigger.into(),
            token.to_wit(),
        )?)
    }

    /// `epoll_ctl(EPOLL_CTL_DEL)`: stop watching `socket`. (Closing or
    /// dropping a socket does this by itself.)
    pub fn deregister(&self, socket: &Socket) -> Result<()> {
        Ok(self.set.remove(socket.wit())?)
    }

    /// `epoll_wait(2)`: waits until a registered socket is ready or
    /// `timeout` passes (`None`: forever; `Some(Duration::ZERO)`: look
    /// once, agreeing with `poll(2)`), and puts at most
    /// [`Events::capacity`] ready sockets into `events` (cleared first).
    /// No events means the timeout passed.
    pub fn poll(&self, events: &mut Events, timeout: Option<Duration>) -> Result<()> {
        events.list.clear();
        let max = u32::try_from(events.capacity).unwrap_or(u32::MAX);
        let ready = self.set.wait(timeout_to_wit(timeout), max)?;
        events.list.extend(ready.into_iter().map(|event| Event {
            token: Token::from_wit(event.token),
            readiness: event.readiness.into(),
        }));
        Ok(())
    }

    /// How many sockets are registered.
    pub fn len(&self) -> usize {
        self.set.len() as usize
    }

    /// Whether no socket is registered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether a poll would return at least one event now, without taking
    /// it (the registry's `wasi:io/poll` pollable, checked once).
    pub fn is_ready(&self) -> bool {
        self.set.subscribe().ready()
    }

    /// Waits until a poll would return at least one event, or `timeout`
    /// passes (`None`: forever), without taking the events: one
    /// `wasi:io/poll` over the registry's pollable and a clock timer, the
    /// way a program mixes a registry with other pollables. Returns
    /// whether the registry is ready (false: the timer fired first).
    pub fn wait_ready(&self, timeout: Option<Duration>) -> bool {
        let set = self.subscribe();
        let timer = timeout_to_wit(timeout).map(monotonic_clock::subscribe_duration);
        let mut list = vec![&set];
        list.extend(timer.as_ref());
        wasi_poll::poll(&list).contains(&0)
    }

    /// The registry's `wasi:io/poll` pollable: ready when a poll would
    /// return at least one event, so a registry composes with timers and
    /// other pollables in one `poll`.
    pub(crate) fn subscribe(&self) -> Pollable {
        self.set.subscribe()
    }
}
