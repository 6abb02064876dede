//! The reactor of this thread: one [`Registry`] where every async socket
//! is registered once, edge-triggered, for readable and writable; the
//! readiness each socket's events announced; and the timers.
//!
//! An operation tries its non-blocking call first and waits only when the
//! host says `would-block`: then the socket's readiness for that direction
//! is cleared, and the next event for it (a new edge: data arrived, room
//! appeared) sets it again and wakes the waiting task. So a socket costs no
//! host call per wait, and a wait of the reactor costs one host call
//! whatever the number of sockets.

use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, HashMap};
use std::rc::Rc;
use std::task::Waker;
use std::time::Duration;

use crate::bindings::wasi::clocks::monotonic_clock;
use crate::error::Result;
use crate::poll::{Events, Readiness, Registry, Token, Trigger};
use crate::socket::{Interest, Socket};

/// A direction of readiness.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Direction {
    /// Receive, accept.
    Read,
    /// Send, connect.
    Write,
}

/// One registered socket: what its events said, and who waits.
#[derive(Debug, Default)]
pub(crate) struct Source {
    token: Cell<usize>,
    readable: Cell<bool>,
    writable: Cell<bool>,
    read_waker: RefCell<Option<Waker>>,
    write_waker: RefCell<Option<Waker>>,
    /// Under a foreign executor: the wait that drives this reactor from
    /// that executor's own (see `super::wstd_interop`).
    #[cfg(feature = "wstd")]
    pub(crate) foreign: [RefCell<Option<super::wstd_interop::ForeignWait>>; 2],
}

impl Source {
    /// Whether the last events said the socket is ready for `direction`
    /// (or nothing has been tried yet).
    pub(crate) fn is_ready(&self, direction: Direction) -> bool {
        match direction {
            Direction::Read => self.readable.get(),
            Direction::Write => self.writable.get(),
        }
    }

    /// The call would block: wait for the next event.
    pub(crate) fn clear(&self, direction: Direction) {
        match direction {
            Direction::Read => self.readable.set(false),
            Direction::Write => self.writable.set(false),
        }
    }

    /// Who to wake when the socket becomes ready for `direction`.
    pub(crate) fn set_waker(&self, direction: Direction, waker: &Waker) {
        let slot = match direction {
            Direction::Read => &self.read_waker,
            Direction::Write => &self.write_waker,
        };
        let mut slot = slot.borrow_mut();
        match slot.as_ref() {
            Some(current) if current.will_wake(waker) => {}
            _ => *slot = Some(waker.clone()),
        }
    }

    fn announce(&self, readiness: Readiness) {
        let trouble =
            readiness.contains(Readiness::HANG_UP) || readiness.contains(Readiness::ERROR);
        if trouble || readiness.contains(Readiness::READABLE) {
            self.readable.set(true);
            if let Some(waker) = self.read_waker.borrow_mut().take() {
                waker.wake();
            }
        }
        if trouble || readiness.contains(Readiness::WRITABLE) {
            self.writable.set(true);
            if let Some(waker) = self.write_waker.borrow_mut().take() {
                waker.wake();
            }
        }
    }
}

struct Reactor {
    registry: Option<Registry>,
    sources: HashMap<usize, Rc<Source>>,
    next_token: usize,
    /// (deadline in monotonic nanoseconds, sequence) → who to wake.
    timers: BTreeMap<(u64, u64), Waker>,
    next_timer: u64,
    events: Events,
}

thread_local! {
    static REACTOR: RefCell<Reactor> = RefCell::new(Reactor {
        registry: None,
        sources: HashMap::new(),
        next_token: 0,
        timers: BTreeMap::new(),
        next_timer: 0,
        events: Events::with_capacity(1024),
    });
}

/// Registers `socket` (edge-triggered, readable and writable). Until its
/// first call would block, it counts as ready both ways.
pub(crate) fn register(socket: &Socket) -> Result<Rc<Source>> {
    REACTOR.with(|cell| {
        let mut reactor = cell.borrow_mut();
        if reactor.registry.is_none() {
            reactor.registry = Some(Registry::new()?);
        }
        let token = reactor.next_token;
        reactor.next_token = reactor.next_token.wrapping_add(1);
        let registry = reactor.registry.as_ref().expect("created above");
        registry.register_with(
            socket,
            Token(token),
            Interest::READABLE | Interest::WRITABLE,
            Trigger::Edge,
        )?;
        let source = Rc::new(Source::default());
        source.token.set(token);
        source.readable.set(true);
        source.writable.set(true);
        reactor.sources.insert(token, source.clone());
        Ok(source)
    })
}

/// Forgets a source whose socket is going away (dropping the socket takes
/// it out of the host set).
pub(crate) fn deregister(source: &Source) {
    let _ = REACTOR.try_with(|cell| {
        if let Ok(mut reactor) = cell.try_borrow_mut() {
            reactor.sources.remove(&source.token.get());
        }
    });
}

/// The monotonic clock, in nanoseconds.
pub(crate) fn now() -> u64 {
    crate::require_wasm();
    monotonic_clock::now()
}

/// Wakes `waker` at `deadline` (monotonic nanoseconds); returns the key
/// to cancel it.
pub(crate) fn add_timer(deadline: u64, waker: &Waker) -> (u64, u64) {
    REACTOR.with(|cell| {
        let mut reactor = cell.borrow_mut();
        let key = (deadline, reactor.next_timer);
        reactor.next_timer += 1;
        reactor.timers.insert(key, waker.clone());
        key
    })
}

/// Replaces the waker of a timer (the task moved).
pub(crate) fn update_timer(key: (u64, u64), waker: &Waker) {
    REACTOR.with(|cell| {
        if let Some(slot) = cell.borrow_mut().timers.get_mut(&key) {
            *slot = waker.clone();
        }
    })
}

/// Cancels a timer.
pub(crate) fn cancel_timer(key: (u64, u64)) {
    let _ = REACTOR.try_with(|cell| {
        if let Ok(mut reactor) = cell.try_borrow_mut() {
            reactor.timers.remove(&key);
        }
    });
}

/// Whether anything could ever wake a task: a registered socket or a
/// timer.
pub(crate) fn has_work() -> bool {
    REACTOR.with(|cell| {
        let reactor = cell.borrow();
        !reactor.sources.is_empty() || !reactor.timers.is_empty()
    })
}

/// The longest one wait asks of the host: a day. A far deadline
/// (`sleep(Duration::MAX)`) becomes several waits, each of which every
/// host can hold (node's timers, under jco, take a longer one for 1 ms and
/// wake the guest every millisecond); a turn that ends early only turns
/// again.
const LONGEST_WAIT: Duration = Duration::from_secs(24 * 60 * 60);

/// `timeout` at most [`LONGEST_WAIT`] (`None`, no timer at all, stays).
fn bounded_wait(timeout: Option<Duration>) -> Option<Duration> {
    timeout.map(|timeout| timeout.min(LONGEST_WAIT))
}

/// One turn: waits for socket events up to `timeout` (shortened to the
/// next timer; `None`: until an event or a timer), announces them, and
/// fires the timers that are due.
pub(crate) fn turn(timeout: Option<Duration>) -> Result<()> {
    // Take what the wait needs out of the cell, so wakers that run
    // during the announcements may use the reactor.
    let (timeout, mut events) = REACTOR.with(|cell| {
        let mut reactor = cell.borrow_mut();
        let next_timer = reactor.timers.keys().next().map(|(deadline, _)| *deadline);
        let mut timeout = timeout;
        if let Some(deadline) = next_timer {
            let left = Duration::from_nanos(deadline.saturating_sub(now()));
            timeout = Some(timeout.map_or(left, |t| t.min(left)));
        }
        let events = std::mem::replace(&mut reactor.events, Events::with_capacity(1));
        (bounded_wait(timeout), events)
    });
    let polled = REACTOR.with(|cell| -> Result<bool> {
        let reactor = cell.borrow();
        match reactor.registry.as_ref() {
            Some(registry) if !reactor.sources.is_empty() => {
                registry.poll(&mut events, timeout)?;
                Ok(true)
            }
            _ => Ok(false),
        }
    });
    let polled = match polled {
        Ok(polled) => polled,
        Err(error) => {
            REACTOR.with(|cell| cell.borrow_mut().events = events);
            return Err(error);
        }
    };
    if !polled && let Some(timeout) = timeout {
        // No socket to wait on: sleep until the next timer.
        if !timeout.is_zero() {
            let pollable = monotonic_clock::subscribe_duration(
                u64::try_from(timeout.as_nanos()).unwrap_or(u64::MAX),
            );
            pollable.block();
        }
    }
    let sources: Vec<(Rc<Source>, Readiness)> = REACTOR.with(|cell| {
        let reactor = cell.borrow();
        events
            .iter()
            .filter_map(|event| {
                reactor
                    .sources
                    .get(&event.token().0)
                    .map(|source| (source.clone(), event.readiness()))
            })
            .collect()
    });
    REACTOR.with(|cell| cell.borrow_mut().events = events);
    for (source, readiness) in sources {
        source.announce(readiness);
    }
    let due: Vec<Waker> = REACTOR.with(|cell| {
        let mut reactor = cell.borrow_mut();
        let now = now();
        let later = reactor.timers.split_off(&(now.saturating_add(1), 0));
        let due = std::mem::replace(&mut reactor.timers, later);
        due.into_values().collect()
    });
    for waker in due {
        waker.wake();
    }
    Ok(())
}

/// The reactor's registry, for a foreign executor to wait on its pollable.
#[cfg(feature = "wstd")]
pub(crate) fn registry_pollable() -> Option<crate::bindings::wasi::io::poll::Pollable> {
    REACTOR.with(|cell| cell.borrow().registry.as_ref().map(Registry::subscribe))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_wait_asks_the_host_for_more_than_a_day() {
        assert_eq!(bounded_wait(None), None);
        assert_eq!(bounded_wait(Some(Duration::ZERO)), Some(Duration::ZERO));
        assert_eq!(
            bounded_wait(Some(Duration::from_millis(5))),
            Some(Duration::from_millis(5))
        );
        assert_eq!(bounded_wait(Some(Duration::MAX)), Some(LONGEST_WAIT));
        assert_eq!(
            bounded_wait(Some(Duration::from_nanos(u64::MAX))),
            Some(LONGEST_WAIT)
        );
    }
}
