//! Waiting on many sockets at once.
//!
//! [`Registry`] is the way for many connections: a persistent interest set
//! on the host (the WIT `poll-set`, one `epoll(7)` instance), mio-style.
//! A socket is registered once with a [`Token`] and an [`Interest`];
//! [`Registry::poll`] fills [`Events`] with the tokens of the sockets that
//! are ready, at a cost proportional to those, not to the sockets
//! registered. Registrations are level-triggered unless made with
//! [`Trigger::Edge`] (see [`Trigger`]). Closing or dropping a socket
//! removes it from every registry it is in.
//!
//! ```no_run
//! # fn main() -> wasock::Result<()> {
//! use std::collections::HashMap;
//! use wasock::poll::{Events, Registry, Token};
//! use wasock::{Family, Interest, Protocol, SockAddr, Socket, SocketType};
//!
//! const LISTENER: Token = Token(usize::MAX);
//! let listener = Socket::new(Family::Inet, SocketType::Stream, Protocol::DEFAULT)?;
//! listener.bind(&SockAddr::inet(Some("127.0.0.1"), 8080)?)?;
//! listener.listen(128)?;
//! let registry = Registry::new()?;
//! registry.register(&listener, LISTENER, Interest::READABLE)?;
//! let mut clients: HashMap<usize, Socket> = HashMap::new();
//! let mut next = 0;
//! let mut events = Events::with_capacity(256);
//! for _round in 0..1000 {
//!     registry.poll(&mut events, None)?;
//!     for event in events.iter() {
//!         if event.token() == LISTENER {
//!             let client = listener.accept()?;
//!             registry.register(&client, Token(next), Interest::READABLE)?;
//!             clients.insert(next, client);
//!             next += 1;
//!         } else if let Some(client) = clients.get(&event.token().0) {
//!             let data = client.receive(4096)?;
//!             if data.is_empty() {
//!                 // Dropping the socket removes it from the registry.
//!                 clients.remove(&event.token().0);
//!             } else {
//!                 client.send_all(&data)?;
//!             }
//!         }
//!     }
//! }
//! # Ok(()) }
//! ```
//!
//! Two simpler forms are built on the same host sets:
//!
//! - [`Poller`] borrows the sockets it watches, for a loop that knows them
//!   all up front; its registrations are synchronised with the host set at
//!   each [`Poller::wait`].
//! - [`Subscription`] and [`wait_any`]: one socket's readiness for one
//!   interest, owned (it does not borrow the socket), waited on in any
//!   list. Subscriptions register their socket once, edge-triggered, in a
//!   set of this thread; [`wait_any`] asks the host only about the sockets
//!   that had an event or were ready last time, so standing subscriptions
//!   cost nothing per round.
//!
//! A registry's [`Registry::is_ready`] and its `wasi:io/poll` pollable let
//! it compose with timers and other pollables.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::marker::PhantomData;
use std::rc::Rc;
use std::time::Duration;

use crate::bindings::wasi::clocks::monotonic_clock;
use crate::bindings::wasi::io::poll::{self as wasi_poll, Pollable};
use crate::bindings::wasock::socket::poll_set as wit;
use crate::error::{Error, ErrorCode, Result};
use crate::parameters::timeout_to_wit;
use crate::socket::{Interest, Socket};

/// Names a registration; the events of a [`Registry`] (and the results of
/// [`Poller::wait`]) carry it. Chosen by the caller.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Token(pub usize);

impl Token {
    fn to_wit(self) -> u64 {
        self.0 as u64
    }

    fn from_wit(token: u64) -> Token {
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
    token: Token,
    readiness: Readiness,
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
    list: Vec<Event>,
    capacity: usize,
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

// Subscriptions: one edge-triggered set per thread, keyed by the socket's
// handle, and what its events said about each socket since.

/// What the events of this thread's subscription set said about one
/// socket: readiness seen and not yet reported, and readiness reported by
/// the last `wait_any` (to be confirmed before it is reported again).
#[derive(Debug, Default)]
struct SocketState {
    fresh: Cell<Readiness>,
    reported: Cell<Readiness>,
    /// The union of the interests of the socket's subscriptions.
    interest: Cell<Interest>,
}

struct Subscriptions {
    set: Option<Registry>,
    sockets: HashMap<u32, Rc<SocketState>>,
}

thread_local! {
    static SUBSCRIPTIONS: RefCell<Subscriptions> = RefCell::new(Subscriptions {
        set: None,
        sockets: HashMap::new(),
    });
}

/// Registers `socket` for `interest` in this thread's subscription set
/// (edge-triggered; added, or its interest widened); `None` where the set
/// is unavailable (the guest's limits), and the subscription then asks its
/// pollable every round.
fn subscribe_in_set(socket: &Socket, interest: Interest) -> Option<Rc<SocketState>> {
    SUBSCRIPTIONS.with(|cell| {
        let mut subscriptions = cell.borrow_mut();
        if subscriptions.set.is_none() {
            subscriptions.set = Some(Registry::new().ok()?);
        }
        let handle = socket.fileno();
        let token = Token(handle as usize);
        let existing = subscriptions.sockets.get(&handle).cloned();
        let set = subscriptions.set.as_ref()?;
        if let Some(state) = existing {
            let wider = state.interest.get() | interest;
            match set.reregister_with(socket, token, wider, Trigger::Edge) {
                Ok(()) => {
                    state.interest.set(wider);
                    return Some(state);
                }
                // A socket that was dropped left its handle to this one.
                Err(error) if error.code() == ErrorCode::InvalidArgument => {}
                Err(_) => return None,
            }
        }
        set.register_with(socket, token, interest, Trigger::Edge)
            .ok()?;
        let state = Rc::new(SocketState::default());
        state.interest.set(interest);
        // Until the first event says otherwise, the socket may be ready.
        state.reported.set(interest_readiness(interest));
        subscriptions.sockets.insert(handle, state.clone());
        Some(state)
    })
}

/// The readiness bits that satisfy `interest`: the interest's own, plus
/// hang-up and error, which wake every interest.
fn interest_readiness(interest: Interest) -> Readiness {
    let mut readiness = Readiness::HANG_UP | Readiness::ERROR;
    if interest.contains(Interest::READABLE) {
        readiness |= Readiness::READABLE;
    }
    if interest.contains(Interest::WRITABLE) {
        readiness |= Readiness::WRITABLE;
    }
    readiness
}

fn intersects(a: Readiness, b: Readiness) -> bool {
    a.0.bits() & b.0.bits() != 0
}

/// Takes the events of this thread's subscription set (waiting up to
/// `timeout`) into each socket's fresh readiness. Returns false where there
/// is no set.
fn drain_subscription_events(timeout: Option<Duration>) -> Result<bool> {
    let mut events = Events::with_capacity(1024);
    let has_set = SUBSCRIPTIONS.with(|cell| -> Result<bool> {
        let subscriptions = cell.borrow();
        let Some(set) = subscriptions.set.as_ref() else {
            return Ok(false);
        };
        set.poll(&mut events, timeout)?;
        for event in events.iter() {
            let handle = event.token().0 as u32;
            if let Some(state) = subscriptions.sockets.get(&handle) {
                state.fresh.set(state.fresh.get() | event.readiness());
            }
        }
        Ok(true)
    })?;
    Ok(has_set)
}

/// One socket's readiness for one [`Interest`], kept for as long as the
/// caller likes, and waited on with [`wait_any`].
///
/// Unlike a [`Poller`] registration it does not borrow the socket, so a
/// loop can keep it beside the socket across waits. The socket is
/// registered once (edge-triggered) in a poll set of this thread; once the
/// socket is closed or dropped the subscription reports ready (the next
/// call on the socket says `closed`): drop it with the socket.
pub struct Subscription {
    pollable: Pollable,
    interest: Interest,
    /// `None` where the thread's set was unavailable: then [`wait_any`]
    /// asks the pollable every round.
    state: Option<Rc<SocketState>>,
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
    /// [`Registry::register`] for what each interest means).
    pub fn new(socket: &Socket, interest: Interest) -> Subscription {
        Subscription {
            pollable: socket.subscribe(interest),
            interest,
            state: subscribe_in_set(socket, interest),
        }
    }

    /// The interest this subscription watches.
    pub fn interest(&self) -> Interest {
        self.interest
    }

    /// Whether the socket is ready now, without waiting.
    pub fn is_ready(&self) -> bool {
        self.pollable.ready()
    }

    fn wanted(&self) -> Readiness {
        interest_readiness(self.interest)
    }
}

/// Waits until at least one of `subscriptions` is ready, or `timeout`
/// passes (`None`: forever); returns the indexes (into `subscriptions`) of
/// the ready ones, in order; an empty list means the timeout passed.
///
/// Level-triggered, as `poll(2)`: a subscription is returned by every call
/// while its socket is ready. The host is asked only about the sockets
/// with new events (one wait on this thread's set) and those returned by
/// the previous call (one `wasi:io/poll` over their pollables, to confirm
/// they are still ready), not about every subscription listed.
///
/// Waiting forever on nothing fails with
/// [`ErrorCode::InvalidArgument`](crate::ErrorCode::InvalidArgument).
pub fn wait_any(subscriptions: &[&Subscription], timeout: Option<Duration>) -> Result<Vec<usize>> {
    if subscriptions.is_empty() && timeout.is_none() {
        return Err(Error::invalid("poll: nothing to wait for and no timeout"));
    }
    let deadline = timeout.map(|t| (monotonic_clock::now(), t));
    let mut first = true;
    loop {
        // Fresh edges are real readiness; what was reported before (or
        // has no set) is confirmed with its pollable.
        let mut ready = Vec::new();
        let mut to_confirm = Vec::new();
        for (index, subscription) in subscriptions.iter().enumerate() {
            let wanted = subscription.wanted();
            match &subscription.state {
                Some(state) if intersects(state.fresh.get(), wanted) => ready.push(index),
                Some(state) if intersects(state.reported.get(), wanted) => to_confirm.push(index),
                Some(_) => {}
                None => to_confirm.push(index),
            }
        }
        if !to_confirm.is_empty() {
            let zero = monotonic_clock::subscribe_duration(0);
            let mut list: Vec<&Pollable> = to_confirm
                .iter()
                .map(|&index| &subscriptions[index].pollable)
                .collect();
            list.push(&zero);
            let confirmed = wasi_poll::poll(&list);
            for (position, &index) in to_confirm.iter().enumerate() {
                if confirmed.contains(&(position as u32)) {
                    ready.push(index);
                } else if let Some(state) = &subscriptions[index].state {
                    // Not ready any more: a new event will say when it is.
                    let wanted = subscriptions[index].wanted();
                    let kept = state.reported.get().0.bits() & !wanted.0.bits();
                    state
                        .reported
                        .set(wit::Readiness::from_bits_retain(kept).into());
                }
            }
        }
        if !ready.is_empty() {
            ready.sort_unstable();
            ready.dedup();
            for &index in &ready {
                if let Some(state) = &subscriptions[index].state {
                    let fresh = state.fresh.get();
                    state.reported.set(state.reported.get() | fresh);
                    state.fresh.set(Readiness::empty());
                }
            }
            return Ok(ready);
        }
        // Nothing ready: wait for new events (after one look without
        // waiting, so a zero timeout still sees what is there).
        let left = match deadline {
            None => None,
            Some((start, total)) => {
                let spent = monotonic_clock::now().saturating_sub(start);
                let total_nanos = timeout_to_wit(Some(total)).unwrap_or(0);
                if !first && spent >= total_nanos {
                    return Ok(Vec::new());
                }
                Some(Duration::from_nanos(total_nanos.saturating_sub(spent)))
            }
        };
        let wait = if first { Some(Duration::ZERO) } else { left };
        first = false;
        if !drain_subscription_events(wait)? {
            // No set at all (every subscription asks its pollable): wait
            // on the pollables, as `wasi:io/poll` does.
            return wait_on_pollables(subscriptions, left);
        }
    }
}

/// `wasi:io/poll` over the subscriptions' pollables and a timer.
fn wait_on_pollables(
    subscriptions: &[&Subscription],
    timeout: Option<Duration>,
) -> Result<Vec<usize>> {
    let timer = timeout_to_wit(timeout).map(monotonic_clock::subscribe_duration);
    let mut list: Vec<&Pollable> = subscriptions.iter().map(|s| &s.pollable).collect();
    list.extend(timer.as_ref());
    Ok(wasi_poll::poll(&list)
        .into_iter()
        .map(|index| index as usize)
        .filter(|&index| index < subscriptions.len())
        .collect())
}

/// Waits until any of several sockets is ready, or a timeout passes: a
/// [`Registry`] that borrows the sockets it watches, level-triggered.
///
/// Registrations are recorded at once and made on the host at the next
/// [`Poller::wait`] (only what changed since the last), so a poller kept
/// across rounds costs one host call per wait. One socket may be
/// registered with several tokens and interests.
pub struct Poller<'a> {
    /// (token, interest, socket), in registration order.
    entries: Vec<(Token, Interest, &'a Socket)>,
    /// The host set and what it holds, by socket handle: (interest, socket).
    registry: RefCell<Option<Registry>>,
    registered: RefCell<HashMap<u32, (Interest, &'a Socket)>>,
    sockets: PhantomData<&'a Socket>,
}

impl std::fmt::Debug for Poller<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let tokens: Vec<Token> = self.entries.iter().map(|(t, _, _)| *t).collect();
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
            registry: RefCell::new(None),
            registered: RefCell::new(HashMap::new()),
            sockets: PhantomData,
        }
    }

    /// Watches `socket` for `interest` ([`Interest::READABLE`]: data, end of
    /// file, a connection to accept, or an error; [`Interest::WRITABLE`]:
    /// room to send or a finished connect), reported as `token`.
    pub fn register(&mut self, socket: &'a Socket, interest: Interest, token: Token) {
        self.entries.push((token, interest, socket));
    }

    /// Stops watching every registration with `token`.
    pub fn deregister(&mut self, token: Token) {
        self.entries.retain(|(t, _, _)| *t != token);
    }

    /// How many registrations there are.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are no registrations.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Brings the host set in line with the entries.
    fn synchronise(&self, registry: &Registry) -> Result<()> {
        let mut wanted: HashMap<u32, (Interest, &'a Socket)> = HashMap::new();
        for (_, interest, socket) in &self.entries {
            let entry = wanted
                .entry(socket.fileno())
                .or_insert((Interest::empty(), *socket));
            entry.0 |= *interest;
        }
        let mut registered = self.registered.borrow_mut();
        registered.retain(|handle, (_, socket)| {
            if wanted.contains_key(handle) {
                true
            } else {
                // A socket closed meanwhile left by itself.
                let _ = registry.deregister(socket);
                false
            }
        });
        for (handle, (interest, socket)) in wanted {
            let token = Token(handle as usize);
            match registered.get(&handle) {
                Some((current, _)) if *current == interest => {}
                Some(_) => {
                    registry.reregister(socket, token, interest)?;
                    registered.insert(handle, (interest, socket));
                }
                None => {
                    registry.register(socket, token, interest)?;
                    registered.insert(handle, (interest, socket));
                }
            }
        }
        Ok(())
    }

    /// Waits until at least one registered socket is ready, or `timeout`
    /// passes (`None`: forever). Returns the tokens of the ready sockets,
    /// in registration order; an empty list means the timeout passed.
    ///
    /// Waiting forever on nothing fails with
    /// [`ErrorCode::InvalidArgument`](crate::ErrorCode::InvalidArgument).
    pub fn wait(&self, timeout: Option<Duration>) -> Result<Vec<Token>> {
        if self.entries.is_empty() && timeout.is_none() {
            return Err(Error::invalid("poll: nothing to wait for and no timeout"));
        }
        let mut registry = self.registry.borrow_mut();
        if registry.is_none() {
            *registry = Some(Registry::new()?);
        }
        let registry = registry
            .as_ref()
            .ok_or_else(|| Error::invalid("poll: no registry"))?;
        self.synchronise(registry)?;
        let mut events = Events::with_capacity(1024);
        registry.poll(&mut events, timeout)?;
        let mut tokens: Vec<Token> = Vec::new();
        for (token, interest, socket) in &self.entries {
            let handle = socket.fileno() as usize;
            let hit = events.iter().any(|event| {
                event.token().0 == handle
                    && intersects(event.readiness(), interest_readiness(*interest))
            });
            if hit && !tokens.contains(token) {
                tokens.push(*token);
            }
        }
        Ok(tokens)
    }
}
