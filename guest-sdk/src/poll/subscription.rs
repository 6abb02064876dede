//! Subscriptions: one socket's readiness for one interest, owned, and
//! [`wait_any`] over a list of them. One edge-triggered set per thread,
//! keyed by the socket's handle, and what its events said about each
//! socket since.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;
use std::time::Duration;

#[cfg(doc)]
use super::Poller;
use super::events::{Events, Readiness, Token, Trigger, interest_readiness, intersects, without};
use super::registry::Registry;
use crate::bindings::wasi::clocks::monotonic_clock;
use crate::bindings::wasi::io::poll::{self as wasi_poll, Pollable};
use crate::error::{Error, ErrorCode, Result};
use crate::parameters::timeout_to_wit;
use crate::socket::{Interest, Socket};

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
    crate::require_wasm();
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
                    state.reported.set(without(state.reported.get(), wanted));
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
