//! The `poll-set` interface over `wasi:io/poll`: a persistent interest set
//! whose `wait` polls, in one `wasi:io/poll.poll`, the readiness pollables
//! of every registered socket and a monotonic-clock timer.
//!
//! `wasi:io/poll` has no persistent set and no way to combine pollables,
//! so unlike the wasock host (one kernel `epoll` instance per set, a wait
//! costing O(ready)) every wait hands the host the whole list. What the
//! adapter does per wait is kept to that one call: each registration's
//! pollable (the input or output stream of a connection, the socket of a
//! listener or of a connect going on, a datagram stream) is made the first
//! time a wait needs it and kept with its resource ([`Cached`]), never
//! made and dropped per wait (two host calls per registration, each a
//! cross-thread call under jco), and never checked one by one (a check is
//! the same `poll` with a timer ready at once). Beyond the `poll`, a wait
//! costs host calls for the ready sockets only (reading to confirm
//! readable). The kept pollables are the sets' own, dropped before their
//! resource, so they never pin a socket's WASI resources as a guest's own
//! `subscribe` does. The host's `poll` itself is O(registered) (wasmtime
//! builds a future per pollable per call); and after a `poll` that found
//! many pollables ready the wait yields to the host once
//! ([`YIELD_AFTER_READY`]), so that wasmtime's per-task budget of
//! readiness is there for the calls that serve them.
//!
//! No timer longer than `wait::LONGEST_TIMER` is asked of the host, and
//! a wait without a timeout has none at all (see `wait`).
//!
//! What differs from the host, and why:
//!
//! - **Edge triggering** is emulated, since WASI reports levels only. An
//!   edge-triggered registration reports a readiness once; it is reported
//!   again when it comes back after the guest made a call on that side of
//!   the socket (receive, receive-from, accept re-arm readable; send,
//!   send-to, connect re-arm writable; any of them re-arms hang-up and
//!   error), as after a read or write until `would-block` under
//!   `epoll(7)`. On a connection, new data is also a new edge without a
//!   call, as with `EPOLLET`: the wait takes what arrives after a report
//!   into the socket's read-ahead (up to 64 KiB; the next receives return
//!   it first) and reports readable again, unless the guest subscribed
//!   to the socket (the input stream's pollable it holds must stay ready
//!   while data is unread, so nothing more is taken out of the stream).
//!   What differs: a listener's
//!   new connection, a datagram socket's new datagram and new room to
//!   send are not told from the old until the guest makes a call on that
//!   side (no events are lost by a guest that goes on until
//!   `would-block`, as `epoll(7)` asks; one that stops early and makes no
//!   call is not told of them), and a guest that reads only part of what
//!   waits is told again at its next wait (`EPOLLET` would not).
//! - **Hang-up and error** are reported where WASI tells them: a stream
//!   socket neither connected, connecting nor listening is hung up (a
//!   failed connect also has an error, as on Linux); a connection whose
//!   input stream ended is hung up, and one whose read failed also has an
//!   error, both found by the readable check, so only with `readable`
//!   interest (the host also reports `EPOLLHUP` without it). A datagram
//!   socket whose streams cannot be made has an error.
//! - **Readable is confirmed** by reading (at most a byte, kept for the
//!   next receive), as the adapter's `receive-ready` does: a stream's
//!   pollable can claim readable when nothing is there.
//! - **`subscribe`** is ready at once if a `wait` would return an event
//!   now; never ready if no registration can become ready before the
//!   guest's next call; the one pollable that can fire if there is one
//!   and it is not a connection's arrivals (it goes to the guest, so the socket's WASI resources it is made from
//!   are kept until the guest ends, as after the socket's own
//!   `subscribe`); otherwise a timer of [`SUBSCRIBE_RECHECK`], since no
//!   pollable of `wasi:io/poll` 0.2 stands for "any of these": then its
//!   wake-ups may be spurious (a zero `wait` returns nothing), and an
//!   event is noticed at most that interval late.
//! - **Limits**: at most [`MAX_SETS`] sets at once, as on the host;
//!   registrations are not counted (the adapter knows no `--max-sockets`;
//!   the WASI host's own limits apply to the sockets).
//! - A closed or dropped socket leaves every set at once for `len` and
//!   `wait` (the set holds it weakly and checks), as on the host.

use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};

use crate::bindings::exports::wasock::socket::poll_set::{
    Event, Guest, GuestPollSet, PollSet, Readiness, Trigger,
};
use crate::bindings::exports::wasock::socket::socket::{Interest, SocketBorrow};
use crate::bindings::exports::wasock::socket::types::{Duration, Error, ErrorCode};
use crate::bindings::wasi::io::poll::{self, Pollable};
use crate::socket::{Activity, AdaptedSocket, Inner};
use crate::types::{self, ErrorClass, Result};
use crate::wait::{self, Deadline};
use crate::{Adapter, tcp};

/// The most events one `wait` returns (WIT: "the host caps one call at
/// 1024").
const MAX_EVENTS_PER_WAIT: usize = 1024;

/// How many sets a guest may hold at once (as on the host).
const MAX_SETS: usize = 64;

/// After a `poll` that found this many pollables ready, the wait yields to
/// the host before the guest goes on ([`wait::yield_to_host`]).
///
/// wasmtime runs a guest as one tokio task, and tokio lets a task take at
/// most 128 readinesses (its cooperative budget) before every further
/// readiness check says "not ready" until the task yields. A `poll` that
/// finds 128 ready pollables spends the whole budget, so the guest's next
/// `check-write`, `accept` or `ready` all say would-block; a guest that
/// then waits again finds the same pollables ready, spends the budget
/// again, and never gets a byte out: with 129 connections all sending at
/// once, the adapted `echo-server` spun at 100% CPU and echoed nothing
/// (`adapter::scale::echo_server_adapted_holds_a_thousand_connections`).
/// Yielding refills the budget for the calls that serve what was found.
const YIELD_AFTER_READY: usize = 32;

/// How often the pollable of a set's `subscribe` wakes the guest to check
/// again when nothing was ready (nanoseconds: 10 ms).
const SUBSCRIBE_RECHECK: Duration = 10_000_000;

thread_local! {
    /// How many sets the guest holds now.
    static SETS: Cell<usize> = const { Cell::new(0) };
}

/// What a socket is ready for (WIT `readiness`, as plain booleans the
/// socket modules fill in).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Ready {
    pub(crate) readable: bool,
    pub(crate) writable: bool,
    pub(crate) hang_up: bool,
    pub(crate) error: bool,
}

impl Ready {
    pub(crate) const READABLE: Ready = Ready {
        readable: true,
        writable: false,
        hang_up: false,
        error: false,
    };
    pub(crate) const WRITABLE: Ready = Ready {
        readable: false,
        writable: true,
        hang_up: false,
        error: false,
    };

    fn union(self, other: Ready) -> Ready {
        Ready {
            readable: self.readable || other.readable,
            writable: self.writable || other.writable,
            hang_up: self.hang_up || other.hang_up,
            error: self.error || other.error,
        }
    }

    /// What of `self` is not in `other`.
    fn without(self, other: Ready) -> Ready {
        Ready {
            readable: self.readable && !other.readable,
            writable: self.writable && !other.writable,
            hang_up: self.hang_up && !other.hang_up,
            error: self.error && !other.error,
        }
    }

    fn is_empty(self) -> bool {
        self == Ready::default()
    }

    fn to_wit(self) -> Readiness {
        let mut readiness = Readiness::empty();
        for (on, flag) in [
            (self.readable, Readiness::READABLE),
            (self.writable, Readiness::WRITABLE),
            (self.hang_up, Readiness::HANG_UP),
            (self.error, Readiness::ERROR),
        ] {
            if on {
                readiness = readiness | flag;
            }
        }
        readiness
    }
}

/// What a set watches for one socket during one wait: what is known now,
/// and pollables, each with the readiness it stands for when it fires.
#[derive(Default)]
pub(crate) struct Watch {
    pub(crate) now: Ready,
    pub(crate) pollables: Vec<(Rc<Pollable>, Ready)>,
}

/// The pollable a poll set waits on for one WASI resource (a socket or
/// one of its streams), made the first time a wait needs it and kept with
/// the resource for the next waits: a wait then makes no host call per
/// registration but its one `poll` (making and dropping every pollable on
/// every wait cost two host calls per registration, a cross-thread call
/// each under jco, and grew jco's per-stream lists of pollables without
/// end).
///
/// Declared before the resource it is made from, and cleared before that
/// resource is dropped, since WASI refuses to drop a resource while a
/// pollable of it lives; the clones a wait takes are dropped before the
/// wait returns, so the one here is the last.
#[derive(Default)]
pub(crate) struct Cached(Option<Rc<Pollable>>);

impl Cached {
    /// The pollable, made by `subscribe` if there is none yet.
    pub(crate) fn get(&mut self, subscribe: impl FnOnce() -> Pollable) -> Rc<Pollable> {
        Rc::clone(self.0.get_or_insert_with(|| Rc::new(subscribe())))
    }

    /// Drops the pollable (before its resource goes).
    pub(crate) fn clear(&mut self) {
        self.0 = None;
    }
}

/// One (socket, interest, trigger, token) registration.
struct Registration {
    /// The socket, held weakly: a dropped socket leaves the set.
    socket: Weak<RefCell<Inner>>,
    activity: Rc<Activity>,
    interest: tcp::Interest,
    trigger: Trigger,
    token: u64,
    /// Edge-triggered: what was reported and not re-armed since, and the
    /// socket's activity when it was reported.
    reported: Ready,
    seen: (u64, u64),
}

impl Registration {
    fn new(socket: &AdaptedSocket, interest: Interest, trigger: Trigger, token: u64) -> Self {
        Registration {
            socket: Rc::downgrade(&socket.inner),
            activity: Rc::clone(&socket.activity),
            interest: tcp::Interest {
                readable: crate::has!(interest, Interest::READABLE),
                writable: crate::has!(interest, Interest::WRITABLE),
            },
            trigger,
            token,
            reported: Ready::default(),
            seen: (0, 0),
        }
    }

    fn is(&self, socket: &AdaptedSocket) -> bool {
        std::ptr::eq(self.socket.as_ptr(), Rc::as_ptr(&socket.inner))
    }

    /// Whether the socket is gone (dropped or closed).
    fn is_gone(&self) -> bool {
        self.socket
            .upgrade()
            .is_none_or(|inner| inner.borrow().is_closed())
    }

    /// Edge-triggered: a call on a side of the socket since the report
    /// re-arms that side (and hang-up and error, on any call).
    fn rearm(&mut self) {
        if self.trigger != Trigger::Edge {
            return;
        }
        let (reads, writes) = (self.activity.reads.get(), self.activity.writes.get());
        if reads != self.seen.0 {
            self.reported.readable = false;
        }
        if writes != self.seen.1 {
            self.reported.writable = false;
        }
        if (reads, writes) != self.seen {
            self.reported.hang_up = false;
            self.reported.error = false;
        }
    }

    /// What of `ready` this registration reports: its interest's
    /// directions, hang-up and error always; for an edge, what was not
    /// reported already.
    fn reportable(&self, ready: Ready) -> Ready {
        let ready = Ready {
            readable: ready.readable && self.interest.readable,
            writable: ready.writable && self.interest.writable,
            ..ready
        };
        match self.trigger {
            Trigger::Level => ready,
            Trigger::Edge => ready.without(self.reported),
        }
    }

    /// Marks `ready` reported (edge-triggered).
    fn reported(&mut self, ready: Ready) {
        if self.trigger == Trigger::Edge {
            self.reported = self.reported.union(ready);
            self.seen = (self.activity.reads.get(), self.activity.writes.get());
        }
    }
}

/// One set.
pub(crate) struct AdaptedPollSet {
    registrations: RefCell<Vec<Registration>>,
    /// Where the next wait starts looking, so that a `max-events` smaller
    /// than what is ready does not starve the later registrations.
    cursor: Cell<usize>,
}

impl Drop for AdaptedPollSet {
    fn drop(&mut self) {
        SETS.with(|sets| sets.set(sets.get().saturating_sub(1)));
    }
}

fn invalid_argument(operation: &str, why: &str) -> Error {
    types::fatal(operation, ErrorCode::InvalidArgument, why)
}

/// The adapted socket behind a borrow, open (`closed` otherwise).
fn open_socket<'a>(socket: &'a SocketBorrow<'_>, operation: &str) -> Result<&'a AdaptedSocket> {
    let socket = socket.get::<AdaptedSocket>();
    socket.ensure_open(operation)?;
    Ok(socket)
}

impl AdaptedPollSet {
    /// Forgets the registrations of closed and dropped sockets.
    fn prune(&self) {
        self.registrations
            .borrow_mut()
            .retain(|registration| !registration.is_gone());
    }

    /// One round: each registration's watch, what is ready now, and
    /// (unless `check_only`: then each pollable is only checked) a wait
    /// for the pollables and the deadline's timer. Returns the events,
    /// marked reported if `take`.
    fn round(&self, deadline: Deadline, check_only: bool, max: usize, take: bool) -> Vec<Event> {
        let mut registrations = self.registrations.borrow_mut();
        let (mut ready, watched) = watches(&mut registrations);
        let any_now = ready
            .iter()
            .zip(registrations.iter())
            .any(|(now, registration)| !registration.reportable(*now).is_empty());

        let fired: Vec<(usize, Probe)> = poll_watched(&watched, any_now || check_only, deadline)
            .into_iter()
            .map(|i| (watched[i].index, watched[i].probe))
            .collect();
        // The wait's clones of the pollables go before anything else can
        // happen to the sockets (see `Cached`).
        drop(watched);
        for (index, probe) in fired {
            let confirmed = confirm(&mut registrations[index], probe);
            ready[index] = ready[index].union(confirmed);
        }

        let count = registrations.len();
        let start = if count == 0 {
            0
        } else {
            self.cursor.get() % count
        };
        let mut events = Vec::new();
        let mut last = None;
        for offset in 0..count {
            if events.len() == max {
                break;
            }
            let index = (start + offset) % count;
            let registration = &mut registrations[index];
            let report = registration.reportable(ready[index]);
            if report.is_empty() {
                continue;
            }
            if take {
                registration.reported(report);
                if registration.trigger == Trigger::Edge && report.readable {
                    take_all_arrived(registration);
                }
            }
            events.push(Event {
                token: registration.token,
                readiness: report.to_wit(),
            });
            last = Some(index);
        }
        if take && let Some(last) = last {
            self.cursor.set(last + 1);
        }
        events
    }
}

/// What a pollable of a wait stands for.
#[derive(Clone, Copy, Debug)]
enum Probe {
    /// The registration is ready for this when it fires (a readable
    /// connection is confirmed by reading).
    Ready(Ready),
    /// Edge-triggered, a connection already reported readable: more data
    /// (or the end) arrived when it fires, taken in to tell it from what
    /// was reported.
    Arrivals,
}

/// One pollable of a wait, of registration `index`.
struct Watched {
    pollable: Rc<Pollable>,
    index: usize,
    probe: Probe,
}

/// Which of `watched` are ready, in one `wasi:io/poll.poll` of them all:
/// with `check_only`, those ready now (with a timer ready at once: a host
/// yields to its reactor first, so what arrived meanwhile counts);
/// otherwise those ready before the deadline, waiting for the first (a
/// timer only where there is a deadline, or nothing else to wait for; a
/// timer that fires first gives none).
fn poll_watched(watched: &[Watched], check_only: bool, deadline: Deadline) -> Vec<usize> {
    if check_only && watched.is_empty() {
        return Vec::new();
    }
    let timer = if check_only {
        Some(wait::ready_now())
    } else if !deadline.is_never() || watched.is_empty() {
        Some(deadline.timer())
    } else {
        None
    };
    let mut list: Vec<&Pollable> = watched.iter().map(|w| &*w.pollable).collect();
    list.extend(timer.as_ref());
    let ready: Vec<usize> = poll::poll(&list)
        .into_iter()
        .map(|i| i as usize)
        .filter(|&i| i < watched.len())
        .collect();
    if ready.len() >= YIELD_AFTER_READY {
        wait::yield_to_host();
    }
    ready
}

/// Every registration's watch: what each is ready for now, and the
/// pollables to wait on. An edge already reported is not waited for again
/// (its pollable would stay ready and the wait would spin), except a
/// connection's arrivals.
fn watches(registrations: &mut [Registration]) -> (Vec<Ready>, Vec<Watched>) {
    let mut ready = vec![Ready::default(); registrations.len()];
    let mut watched = Vec::new();
    for (index, registration) in registrations.iter_mut().enumerate() {
        registration.rearm();
        let Some(inner) = registration.socket.upgrade() else {
            continue;
        };
        let mut inner = inner.borrow_mut();
        let watch = match &mut *inner {
            Inner::Tcp(tcp) => tcp.watch(registration.interest),
            Inner::Udp(udp) => udp.watch(registration.interest),
        };
        ready[index] = watch.now;
        for (pollable, stands_for) in watch.pollables {
            if !registration.reportable(stands_for).is_empty() {
                watched.push(Watched {
                    pollable,
                    index,
                    probe: Probe::Ready(stands_for),
                });
            }
        }
        let edge_reported_readable = registration.trigger == Trigger::Edge
            && registration.interest.readable
            && registration.reported.readable;
        if let (true, Inner::Tcp(tcp)) = (edge_reported_readable, &mut *inner)
            && let Some(pollable) = tcp.watch_arrivals()
        {
            watched.push(Watched {
                pollable,
                index,
                probe: Probe::Arrivals,
            });
        }
    }
    (ready, watched)
}

/// Edge-triggered, just reported readable: takes in what is already
/// there, so that only what arrives after the report is a new edge.
fn take_all_arrived(registration: &Registration) {
    let Some(inner) = registration.socket.upgrade() else {
        return;
    };
    if let Inner::Tcp(tcp) = &mut *inner.borrow_mut() {
        while tcp.take_arrivals().readable {}
    }
}

/// What a fired pollable means for its registration.
fn confirm(registration: &mut Registration, probe: Probe) -> Ready {
    let Some(inner) = registration.socket.upgrade() else {
        return Ready::default();
    };
    let mut inner = inner.borrow_mut();
    match (probe, &mut *inner) {
        (Probe::Ready(stands_for), Inner::Tcp(tcp)) if stands_for.readable => {
            tcp.confirm_readable()
        }
        (Probe::Ready(stands_for), _) => stands_for,
        (Probe::Arrivals, Inner::Tcp(tcp)) => {
            let arrived = tcp.take_arrivals();
            // A new edge: reported again.
            registration.reported = registration.reported.without(arrived);
            arrived
        }
        (Probe::Arrivals, Inner::Udp(_)) => Ready::default(),
    }
}

impl Guest for Adapter {
    type PollSet = AdaptedPollSet;
}

impl GuestPollSet for AdaptedPollSet {
    fn create() -> std::result::Result<PollSet, Error> {
        let held = SETS.with(Cell::get);
        if held >= MAX_SETS {
            return Err(types::error(
                ErrorClass::Fatal,
                ErrorCode::TooManySockets,
                format!("poll-set create: a guest holds at most {MAX_SETS} poll sets"),
            ));
        }
        SETS.with(|sets| sets.set(held + 1));
        Ok(PollSet::new(AdaptedPollSet {
            registrations: RefCell::default(),
            cursor: Cell::new(0),
        }))
    }

    fn add(
        &self,
        socket: SocketBorrow<'_>,
        interest: Interest,
        trigger: Trigger,
        token: u64,
    ) -> Result<()> {
        const OP: &str = "poll-set add";
        let socket = open_socket(&socket, OP)?;
        self.prune();
        let mut registrations = self.registrations.borrow_mut();
        if registrations.iter().any(|r| r.is(socket)) {
            return Err(invalid_argument(
                OP,
                "the socket is already in this set (use modify)",
            ));
        }
        registrations.push(Registration::new(socket, interest, trigger, token));
        Ok(())
    }

    fn modify(
        &self,
        socket: SocketBorrow<'_>,
        interest: Interest,
        trigger: Trigger,
        token: u64,
    ) -> Result<()> {
        const OP: &str = "poll-set modify";
        let socket = open_socket(&socket, OP)?;
        self.prune();
        let mut registrations = self.registrations.borrow_mut();
        let Some(registration) = registrations.iter_mut().find(|r| r.is(socket)) else {
            return Err(invalid_argument(OP, "the socket is not in this set"));
        };
        // A fresh registration: what is ready is reported again (as
        // `epoll(7)` re-arms on a modify).
        *registration = Registration::new(socket, interest, trigger, token);
        Ok(())
    }

    fn remove(&self, socket: SocketBorrow<'_>) -> Result<()> {
        const OP: &str = "poll-set remove";
        let socket = open_socket(&socket, OP)?;
        self.prune();
        let mut registrations = self.registrations.borrow_mut();
        let before = registrations.len();
        registrations.retain(|r| !r.is(socket));
        if registrations.len() == before {
            return Err(invalid_argument(OP, "the socket is not in this set"));
        }
        Ok(())
    }

    fn wait(&self, timeout: Option<Duration>, max_events: u32) -> Result<Vec<Event>> {
        const OP: &str = "poll-set wait";
        if max_events == 0 {
            return Err(invalid_argument(OP, "max-events is 0"));
        }
        let max = usize::try_from(max_events)
            .unwrap_or(usize::MAX)
            .min(MAX_EVENTS_PER_WAIT);
        let deadline = Deadline::after(timeout);
        let check_only = timeout == Some(0);
        loop {
            self.prune();
            let events = self.round(deadline, check_only, max, true);
            // A round can end with nothing: a stale readable claim, or the
            // deadline's timer.
            if !events.is_empty() || check_only || deadline.passed() {
                return Ok(events);
            }
        }
    }

    fn len(&self) -> u32 {
        self.prune();
        u32::try_from(self.registrations.borrow().len()).unwrap_or(u32::MAX)
    }

    fn subscribe(&self) -> Pollable {
        self.prune();
        if !self
            .round(Deadline::after(Some(0)), true, 1, false)
            .is_empty()
        {
            return wait::ready_now();
        }
        let mut registrations = self.registrations.borrow_mut();
        let (_, watched) = watches(&mut registrations);
        let only = match watched.as_slice() {
            [only] => Some((only.index, only.probe)),
            _ => None,
        };
        let count = watched.len();
        drop(watched);
        match (count, only) {
            // Nothing can become ready before the guest's next call.
            (0, _) => wait::never_ready(),
            // The one pollable that can fire is exactly "a wait would
            // return an event"; one of its own goes to the guest, so the
            // socket's resources it is made from are kept (as for
            // `subscribe`). Never an arrivals pollable: pinning its socket
            // would stop the arrivals it stands for from being taken in,
            // and the guest would be woken, again and again, for an edge
            // the wait no longer reports.
            (1, Some((index, Probe::Ready(stands_for)))) => registrations[index]
                .socket
                .upgrade()
                .and_then(|inner| match &mut *inner.borrow_mut() {
                    Inner::Tcp(tcp) => tcp.fresh_pollable(stands_for),
                    Inner::Udp(udp) => udp.fresh_pollable(stands_for),
                })
                .unwrap_or_else(recheck),
            // No pollable of `wasi:io/poll` 0.2 stands for "any of these".
            _ => recheck(),
        }
    }
}

/// The pollable of a `subscribe` that cannot stand for every registration
/// at once: a wake-up after [`SUBSCRIBE_RECHECK`], to check again.
fn recheck() -> Pollable {
    crate::bindings::wasi::clocks::monotonic_clock::subscribe_duration(SUBSCRIBE_RECHECK)
}
