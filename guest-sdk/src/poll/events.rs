//! What a registration is named by and how it triggers, and what a poll
//! reports: tokens, triggers, readiness and events.

#[cfg(doc)]
use super::{Poller, Registry};
use crate::bindings::wasock::socket::poll_set as wit;
#[cfg(doc)]
use crate::error::ErrorCode;
use crate::socket::Interest;

/// Names a registration; the events of a [`Registry`] (and the results of
/// [`Poller::wait`]) carry it. Chosen by the caller.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Token(pub usize);

impl Token {
    pub(super) fn to_wit(self) -> u64 {
        self.0 as u64
    }

    pub(super) fn from_wit(token: u64) -> Token {
        // Only tokens this program gave the host come back.
        Token(usize::try_from(token).unwrap_or(usize::MAX))
    }
}

/// How a registration reports readiness (`epoll(7)`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Trigger {
    /// Reported by every [`Registry::poll`] while the socket is ready (data
    /// unread, room to send), as `poll(2)` would.
    #[default]
    Level,
    /// `EPOLLET`: reported once each time the socket becomes ready (new
    /// data, new room), not again until something new happens. Receive or
    /// send until [`ErrorCode::WouldBlock`] before polling again.
    Edge,
}

impl From<Trigger> for wit::Trigger {
    fn from(trigger: Trigger) -> wit::Trigger {
        match trigger {
            Trigger::Level => wit::Trigger::Level,
            Trigger::Edge => wit::Trigger::Edge,
        }
    }
}

crate::flags! {
    /// What a socket was found ready for.
    Readiness: wit::Readiness {
        /// `EPOLLIN`: data or end of file to receive, or a connection to
        /// accept.
        READABLE,
        /// `EPOLLOUT`: room to send, or a connect that completed.
        WRITABLE,
        /// `EPOLLHUP` / `EPOLLRDHUP`: the peer closed or shut down its
        /// sending side, or the connection is gone (also a stream socket
        /// that is neither connected nor listening). Reported whatever the
        /// interest.
        HANG_UP,
        /// `EPOLLERR`: an error is pending. Reported whatever the interest.
        ERROR,
    }
}

/// One ready socket: its token and what it is ready for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Event {
    pub(super) token: Token,
    pub(super) readiness: Readiness,
}

impl Event {
    /// The token the socket was registered with.
    pub fn token(&self) -> Token {
        self.token
    }

    /// Everything the socket is ready for.
    pub fn readiness(&self) -> Readiness {
        self.readiness
    }

    /// Data or end of file to receive, or a connection to accept.
    pub fn is_readable(&self) -> bool {
        self.readiness.contains(Readiness::READABLE)
    }

    /// Room to send, or a connect that completed.
    pub fn is_writable(&self) -> bool {
        self.readiness.contains(Readiness::WRITABLE)
    }

    /// The peer hung up (or shut down its sending side).
    pub fn is_hang_up(&self) -> bool {
        self.readiness.contains(Readiness::HANG_UP)
    }

    /// An error is pending on the socket.
    pub fn is_error(&self) -> bool {
        self.readiness.contains(Readiness::ERROR)
    }
}

/// The events one [`Registry::poll`] returns, at most its capacity.
#[derive(Clone, Debug)]
pub struct Events {
    pub(super) list: Vec<Event>,
    pub(super) capacity: usize,
}

impl Events {
    /// Room for `capacity` events per poll (at least 1; the host returns at
    /// most 1024 per call, the rest on the next).
    pub fn with_capacity(capacity: usize) -> Events {
        let capacity = capacity.max(1);
        Events {
            list: Vec::with_capacity(capacity.min(1024)),
            capacity,
        }
    }

    /// The events of the last poll.
    pub fn iter(&self) -> std::slice::Iter<'_, Event> {
        self.list.iter()
    }

    /// How many events the last poll returned.
    pub fn len(&self) -> usize {
        self.list.len()
    }

    /// Whether the last poll returned none (its timeout passed).
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// How many events one poll may return.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Forgets the events.
    pub fn clear(&mut self) {
        self.list.clear();
    }
}

impl<'a> IntoIterator for &'a Events {
    type Item = &'a Event;
    type IntoIter = std::slice::Iter<'a, Event>;
    fn into_iter(self) -> Self::IntoIter {
        self.list.iter()
    }
}

/// The readiness bits that satisfy `interest`: the interest's own, plus
/// hang-up and error, which wake every interest.
pub(super) fn interest_readiness(interest: Interest) -> Readiness {
    let mut readiness = Readiness::HANG_UP | Readiness::ERROR;
    if interest.contains(Interest::READABLE) {
        readiness |= Readiness::READABLE;
    }
    if interest.contains(Interest::WRITABLE) {
        readiness |= Readiness::WRITABLE;
    }
    readiness
}

pub(super) fn intersects(a: Readiness, b: Readiness) -> bool {
    a.0.bits() & b.0.bits() != 0
}

/// `a` without the bits of `b`.
pub(super) fn without(a: Readiness, b: Readiness) -> Readiness {
    wit::Readiness::from_bits_retain(a.0.bits() & !b.0.bits()).into()
}
