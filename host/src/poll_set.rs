//! Persistent interest sets over sockets: one OS `epoll(7)` instance per
//! set, itself registered with the tokio reactor, so a wait costs one
//! `epoll_wait(2)` whatever the number of sockets registered.
//!
//! This module knows nothing of WIT: the glue (`crate::glue::poll_set`)
//! looks up the set and the socket, checks the guest's limits and hands
//! off here with the socket's descriptor.
//!
//! Why an epoll instance per set rather than per-registration readiness
//! with a ready queue: the kernel already keeps exactly that queue (the
//! epoll ready list, filled from the socket's wake-up callback), checks a
//! level-triggered item's real readiness again before it reports it (so no
//! stale events), and implements both trigger modes. A registration costs
//! one kernel `epitem` and one map entry here; a wait with nothing ready
//! costs one `epoll_wait(2)` with a zero timeout, then a wait on the
//! reactor for the set's own descriptor to become readable.
//!
//! The caller must remove a socket's registrations before its descriptor
//! is closed (the glue does on `close` and on drop): the kernel would drop
//! the item by itself on close, but the map here is keyed by descriptor
//! number, which the OS reuses.

use std::collections::HashMap;
use std::os::fd::{AsFd, AsRawFd, OwnedFd, RawFd};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use tokio::io::unix::AsyncFd;

use crate::error::{Error, Result};
use crate::socket::{Readiness, Watch};
use crate::sys::poll_now;

/// The most events one `wait` returns, whatever `max-events` the guest
/// asks for (WIT: "the host caps one call at 1024"): it bounds the buffer
/// each set keeps.
pub const MAX_EVENTS_PER_WAIT: usize = 1024;

/// How many sets one guest may hold at once.
pub const MAX_SETS_PER_GUEST: usize = 64;

/// How a registration reports readiness (WIT `trigger`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Trigger {
    /// Every wait, while ready.
    Level,
    /// `EPOLLET`: once each time the socket becomes ready.
    Edge,
}

/// One registration: what is watched and how it is reported.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Registration {
    /// Readable, writable, both or neither (hang-up and error always).
    pub interest: Readiness,
    /// Level- or edge-triggered.
    pub trigger: Trigger,
    /// What `wait` reports the socket as.
    pub token: u64,
}

impl Registration {
    fn epoll_events(&self) -> u32 {
        let mut events = 0;
        if self.interest.readable {
            // EPOLLRDHUP: a peer's shutdown of its sending side is a
            // hang-up worth reporting to a reader.
            events |= libc::EPOLLIN | libc::EPOLLRDHUP;
        }
        if self.interest.writable {
            events |= libc::EPOLLOUT;
        }
        if self.trigger == Trigger::Edge {
            events |= libc::EPOLLET;
        }
        events as u32
    }
}

/// What a ready socket is ready for (WIT `readiness`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Ready {
    /// `EPOLLIN`.
    pub readable: bool,
    /// `EPOLLOUT`.
    pub writable: bool,
    /// `EPOLLHUP` or `EPOLLRDHUP`.
    pub hang_up: bool,
    /// `EPOLLERR`.
    pub error: bool,
}

impl Ready {
    fn from_epoll(events: u32) -> Ready {
        let has = |bit: libc::c_int| events & bit as u32 != 0;
        Ready {
            readable: has(libc::EPOLLIN),
            writable: has(libc::EPOLLOUT),
            hang_up: has(libc::EPOLLHUP) || has(libc::EPOLLRDHUP),
            error: has(libc::EPOLLERR),
        }
    }
}

/// One ready socket.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Event {
    /// The registration's token.
    pub token: u64,
    /// What it is ready for.
    pub ready: Ready,
}

/// One set: an epoll instance and what is registered in it.
#[derive(Debug)]
pub struct PollSet {
    /// The epoll descriptor, registered with the reactor (readable when
    /// its ready list is not empty). An `Arc` so that the set's pollable
    /// can hold a `Weak` and never keep a dropped set's descriptor open.
    epoll: Arc<AsyncFd<OwnedFd>>,
    /// Registered descriptors and how.
    registered: HashMap<RawFd, Registration>,
    /// Where `epoll_wait(2)` writes; grows to the largest `max-events`
    /// asked for (at most [`MAX_EVENTS_PER_WAIT`]).
    buffer: Vec<libc::epoll_event>,
    /// The registered sockets whose received bytes the host may hold
    /// (TLS): the kernel cannot see those, so `wait` asks their watches.
    held: Arc<Mutex<HeldWatches>>,
}

/// The registrations of sockets whose received bytes the host may hold,
/// each with its socket's [`Watch`] and, for an edge-triggered one, the
/// arrival it last reported.
#[derive(Debug, Default)]
struct HeldWatches(HashMap<RawFd, (Watch, Registration, u64)>);

impl HeldWatches {
    /// Whether a `wait` would report one of them now.
    fn any_ready(&self) -> bool {
        self.0.values().any(|(watch, registration, seen)| {
            registration.interest.readable
                && watch.held()
                && (registration.trigger == Trigger::Level || watch.arrivals() != *seen)
        })
    }

    /// Adds those ready to `events` (readable, merged into an event the
    /// kernel reported for the same socket), at most `max_events` in all;
    /// an edge-triggered one is reported once per arrival.
    fn merge(&mut self, events: &mut Vec<Event>, max_events: usize) {
        for (watch, registration, seen) in self.0.values_mut() {
            if !registration.interest.readable || !watch.held() {
                continue;
            }
            let arrivals = watch.arrivals();
            if registration.trigger == Trigger::Edge && arrivals == *seen {
                continue;
            }
            if let Some(event) = events
                .iter_mut()
                .find(|event| event.token == registration.token)
            {
                event.ready.readable = true;
            } else if events.len() < max_events {
                events.push(Event {
                    token: registration.token,
                    ready: Ready {
                        readable: true,
                        ..Ready::default()
                    },
                });
            } else {
                continue;
            }
            *seen = arrivals;
        }
    }
}

/// What a set's pollable keeps of it: never keeps a dropped set open.
#[derive(Clone, Debug)]
pub struct SetWatch(Weak<AsyncFd<OwnedFd>>, Weak<Mutex<HeldWatches>>);

impl PollSet {
    /// `epoll_create1(2)` with `EPOLL_CLOEXEC`: an empty set.
    ///
    /// Must run inside a tokio runtime (the reactor registers the set).
    pub fn create() -> Result<PollSet> {
        const OP: &str = "poll-set create";
        let epoll = crate::sys::epoll_create().map_err(|e| Error::io(OP, &e))?;
        Ok(PollSet {
            epoll: Arc::new(epoll),
            registered: HashMap::new(),
            buffer: Vec::new(),
            held: Arc::default(),
        })
    }

    fn control(
        &self,
        operation: &str,
        op: libc::c_int,
        fd: RawFd,
        events: u32,
        token: u64,
    ) -> Result<()> {
        crate::sys::epoll_ctl(self.epoll.get_ref().as_fd(), op, fd, events, token)
            .map_err(|e| Error::io(operation, &e))
    }

    /// `EPOLL_CTL_ADD`: watch the open descriptor `fd`.
    pub fn add(&mut self, fd: RawFd, registration: Registration) -> Result<()> {
        const OP: &str = "poll-set add";
        if self.registered.contains_key(&fd) {
            return Err(Error::invalid_argument(
                OP,
                "the socket is already in this set (use modify)",
            ));
        }
        self.control(
            OP,
            libc::EPOLL_CTL_ADD,
            fd,
            registration.epoll_events(),
            registration.token,
        )?;
        self.registered.insert(fd, registration);
        Ok(())
    }

    /// `EPOLL_CTL_MOD`: change how `fd` is watched.
    pub fn modify(&mut self, fd: RawFd, registration: Registration) -> Result<()> {
        const OP: &str = "poll-set modify";
        let Some(current) = self.registered.get_mut(&fd) else {
            return Err(Error::invalid_argument(OP, "the socket is not in this set"));
        };
        crate::sys::epoll_ctl(
            self.epoll.get_ref().as_fd(),
            libc::EPOLL_CTL_MOD,
            fd,
            registration.epoll_events(),
            registration.token,
        )
        .map_err(|e| Error::io(OP, &e))?;
        *current = registration;
        if let Some(entry) = self.held().0.get_mut(&fd) {
            entry.1 = registration;
        }
        Ok(())
    }

    fn held(&self) -> std::sync::MutexGuard<'_, HeldWatches> {
        self.held
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Has `wait` also ask `watch` whether the host holds received bytes
    /// for the registered socket `fd` (a TLS socket's): those make it
    /// readable though the kernel shows nothing. Nothing for a descriptor
    /// not registered here.
    pub fn watch_held(&mut self, fd: RawFd, watch: Watch) {
        if let Some(registration) = self.registered.get(&fd).copied() {
            self.held
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .0
                .insert(fd, (watch, registration, 0));
        }
    }

    /// `EPOLL_CTL_DEL`: stop watching `fd`. Returns whether it was in the
    /// set.
    pub fn remove(&mut self, fd: RawFd) -> Result<bool> {
        const OP: &str = "poll-set remove";
        if self.registered.remove(&fd).is_none() {
            return Ok(false);
        }
        self.held().0.remove(&fd);
        self.control(OP, libc::EPOLL_CTL_DEL, fd, 0, 0)?;
        Ok(true)
    }

    /// Forgets `fd` without `EPOLL_CTL_DEL`: its descriptor is closed
    /// already (which took it out of the kernel's set).
    pub fn forget(&mut self, fd: RawFd) {
        self.registered.remove(&fd);
        self.held().0.remove(&fd);
    }

    /// Whether `fd` is registered here.
    pub fn contains(&self, fd: RawFd) -> bool {
        self.registered.contains_key(&fd)
    }

    /// How `fd` is registered here, if it is.
    pub fn registration(&self, fd: RawFd) -> Option<Registration> {
        self.registered.get(&fd).copied()
    }

    /// How many descriptors are registered.
    pub fn len(&self) -> usize {
        self.registered.len()
    }

    /// Whether nothing is registered.
    pub fn is_empty(&self) -> bool {
        self.registered.is_empty()
    }

    /// The registered descriptors.
    pub fn descriptors(&self) -> impl Iterator<Item = RawFd> + '_ {
        self.registered.keys().copied()
    }

    /// A handle for the set's pollable.
    pub fn watch(&self) -> SetWatch {
        SetWatch(Arc::downgrade(&self.epoll), Arc::downgrade(&self.held))
    }

    /// `epoll_wait(2)` with a zero timeout: the sockets ready now, at most
    /// `max_events` (capped at [`MAX_EVENTS_PER_WAIT`]).
    pub fn wait_now(&mut self, max_events: usize) -> Result<Vec<Event>> {
        let max_events = check_max_events(max_events)?;
        let mut ready = collect(&self.epoll, &mut self.buffer, max_events)?;
        self.held().merge(&mut ready, max_events);
        Ok(ready)
    }

    /// `epoll_wait(2)`: waits until at least one socket is ready or
    /// `timeout` passes (`None`: forever), and returns at most
    /// `max_events` ready sockets; empty when the timeout passed.
    ///
    /// Checks the kernel first, so a zero timeout answers what `poll(2)`
    /// would at that instant; only then waits for the reactor to report
    /// the set's descriptor readable.
    pub async fn wait(
        &mut self,
        timeout: Option<Duration>,
        max_events: usize,
    ) -> Result<Vec<Event>> {
        const OP: &str = "poll-set wait";
        let max_events = check_max_events(max_events)?;
        let mut ready = collect(&self.epoll, &mut self.buffer, max_events)?;
        // Bytes the host holds cannot arrive during the wait (only the
        // guest's own calls bring them), so they are asked about once.
        self.held().merge(&mut ready, max_events);
        if !ready.is_empty() || timeout == Some(Duration::ZERO) {
            return Ok(ready);
        }
        let epoll = &self.epoll;
        let buffer = &mut self.buffer;
        let waiting = async move {
            loop {
                let mut guard = epoll.readable().await.map_err(|e| Error::io(OP, &e))?;
                let ready = collect(epoll, buffer, max_events)?;
                if !ready.is_empty() {
                    return Ok(ready);
                }
                // A wake-up for events another wait took, or that were
                // consumed before this one looked.
                guard.clear_ready();
            }
        };
        match timeout {
            None => waiting.await,
            Some(limit) => match tokio::time::timeout(limit, waiting).await {
                Ok(result) => result,
                // WIT: "An empty list means the timeout passed".
                Err(_) => Ok(Vec::new()),
            },
        }
    }

    /// Waits until a `wait` would return at least one event (the set's
    /// descriptor is readable), confirming with `poll(2)`. Returns at once
    /// for a dropped set.
    pub async fn wait_ready(watch: &SetWatch) {
        let Some(epoll) = watch.0.upgrade() else {
            return;
        };
        if let Some(held) = watch.1.upgrade()
            && held
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .any_ready()
        {
            return;
        }
        let ready_now = || !matches!(poll_now(epoll.as_raw_fd(), libc::POLLIN), Ok(false));
        if ready_now() {
            return;
        }
        loop {
            let Ok(mut guard) = epoll.readable().await else {
                return;
            };
            if ready_now() {
                return;
            }
            guard.clear_ready();
        }
    }
}

fn check_max_events(max_events: usize) -> Result<usize> {
    if max_events == 0 {
        // epoll_wait(2): EINVAL for maxevents <= 0.
        return Err(Error::invalid_argument("poll-set wait", "max-events is 0"));
    }
    Ok(max_events.min(MAX_EVENTS_PER_WAIT))
}

/// One `epoll_wait(2)` with a zero timeout into `buffer`.
fn collect(
    epoll: &AsyncFd<OwnedFd>,
    buffer: &mut Vec<libc::epoll_event>,
    max_events: usize,
) -> Result<Vec<Event>> {
    if buffer.len() < max_events {
        buffer.resize(max_events, libc::epoll_event { events: 0, u64: 0 });
    }
    let count = crate::sys::epoll_wait_now(epoll.get_ref().as_fd(), &mut buffer[..max_events])
        .map_err(|e| Error::io("poll-set wait", &e))?;
    Ok(buffer[..count]
        .iter()
        .map(|event| {
            // Copies out of the (packed) struct.
            let (events, token) = (event.events, event.u64);
            Event {
                token,
                ready: Ready::from_epoll(events),
            }
        })
        .collect())
}

/// Which sets each registered descriptor is in, and how many sets and
/// registrations one guest holds: what bounds a guest's use of sets, and
/// what lets a socket's close remove it from every set it is in.
///
/// Sets are named by an opaque number of the caller's choosing (the glue
/// uses the resource handle).
#[derive(Debug, Default)]
pub struct Memberships {
    sets: usize,
    registrations: usize,
    by_descriptor: HashMap<RawFd, Vec<u32>>,
}

impl Memberships {
    /// How many sets the guest holds.
    pub fn sets(&self) -> usize {
        self.sets
    }

    /// How many registrations the guest holds across all its sets.
    pub fn registrations(&self) -> usize {
        self.registrations
    }

    /// Counts a new set, or fails with `too-many-sockets` at
    /// [`MAX_SETS_PER_GUEST`].
    pub fn reserve_set(&mut self, operation: &str) -> Result<()> {
        if self.sets >= MAX_SETS_PER_GUEST {
            return Err(Error::new(
                crate::error::ErrorClass::Fatal,
                crate::error::ErrorCode::TooManySockets,
                format!(
                    "{operation}: the guest already holds its limit of {MAX_SETS_PER_GUEST} poll sets"
                ),
            ));
        }
        self.sets += 1;
        Ok(())
    }

    /// Fails with `too-many-sockets` when one more registration would
    /// pass `limit`.
    pub fn check_room(&self, operation: &str, limit: usize) -> Result<()> {
        if self.registrations >= limit {
            return Err(Error::new(
                crate::error::ErrorClass::Fatal,
                crate::error::ErrorCode::TooManySockets,
                format!(
                    "{operation}: the guest already holds its limit of {limit} poll-set registrations (twice --max-sockets)"
                ),
            ));
        }
        Ok(())
    }

    /// Records that `fd` was added to `set`.
    pub fn joined(&mut self, fd: RawFd, set: u32) {
        self.registrations += 1;
        self.by_descriptor.entry(fd).or_default().push(set);
    }

    /// Records that `fd` left `set`.
    pub fn left(&mut self, fd: RawFd, set: u32) {
        if let Some(sets) = self.by_descriptor.get_mut(&fd)
            && let Some(position) = sets.iter().position(|&s| s == set)
        {
            sets.swap_remove(position);
            self.registrations = self.registrations.saturating_sub(1);
            if sets.is_empty() {
                self.by_descriptor.remove(&fd);
            }
        }
    }

    /// The sets `fd` is in.
    pub fn sets_of(&self, fd: RawFd) -> Vec<u32> {
        self.by_descriptor.get(&fd).cloned().unwrap_or_default()
    }

    /// The sets `fd` is in, forgetting them all (its socket is closing).
    pub fn take(&mut self, fd: RawFd) -> Vec<u32> {
        let sets = self.by_descriptor.remove(&fd).unwrap_or_default();
        self.registrations = self.registrations.saturating_sub(sets.len());
        sets
    }

    /// Forgets a set that is being dropped, with its registrations.
    pub fn set_dropped(&mut self, set: u32, descriptors: impl IntoIterator<Item = RawFd>) {
        for fd in descriptors {
            self.left(fd, set);
        }
        self.sets = self.sets.saturating_sub(1);
    }
}
