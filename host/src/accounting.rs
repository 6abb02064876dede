//! Per-guest accounting of host resources: a counted pool of slots, each
//! held by whatever uses one (an open socket, a lingering close, a
//! resolution's thread) and given back when that is really gone.
//!
//! A bound unix socket file takes no slot of its own: its socket holds
//! one, and the directory handle it keeps is shared by every socket bound
//! in that directory (the grant's own handle for a granted directory, see
//! `policy::unix`), so the descriptors the host holds for a guest are its
//! slots plus a fixed few (listed in RELIABILITY.md).
//!
//! Counting by ownership means a resource cannot be forgotten: a socket's
//! slot moves into the task that finishes its lingering close, so the
//! guest's limit covers it until the descriptor is closed, whichever path
//! (the wasock WIT or `wasi:sockets`) created it.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A pool of at most `limit` slots, shared by everything that takes one.
#[derive(Clone, Debug)]
pub struct Slots {
    in_use: Arc<AtomicUsize>,
    limit: usize,
}

impl Slots {
    /// A pool of `limit` slots, none taken.
    pub fn new(limit: usize) -> Self {
        Slots {
            in_use: Arc::new(AtomicUsize::new(0)),
            limit,
        }
    }

    /// Takes one slot, or `None` when all `limit` are taken.
    pub fn take(&self) -> Option<Slot> {
        let limit = self.limit;
        self.in_use
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| {
                (n < limit).then_some(n + 1)
            })
            .ok()
            .map(|_| Slot(self.in_use.clone()))
    }

    /// How many slots are taken now.
    pub fn in_use(&self) -> usize {
        self.in_use.load(Ordering::SeqCst)
    }

    /// The pool's size.
    pub fn limit(&self) -> usize {
        self.limit
    }
}

/// One taken slot; given back on drop.
#[derive(Debug)]
pub struct Slot(Arc<AtomicUsize>);

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_are_limited_and_given_back_on_drop() {
        let slots = Slots::new(2);
        let first = slots.take().expect("first");
        let second = slots.take().expect("second");
        assert!(slots.take().is_none(), "a third is over the limit");
        assert_eq!(slots.in_use(), 2);
        drop(first);
        assert_eq!(slots.in_use(), 1);
        let third = slots.take().expect("a slot was given back");
        drop((second, third));
        assert_eq!(slots.in_use(), 0);
        assert!(Slots::new(0).take().is_none());
    }

    #[test]
    fn pending_calls_are_limited_and_given_back_on_drop() {
        let pool = Arc::new(AtomicUsize::new(0));
        let held: Vec<PendingCall> = (0..3)
            .map(|_| PendingCall::take(pool.clone(), 3).expect("under the limit"))
            .collect();
        assert!(
            PendingCall::take(pool.clone(), 3).is_none(),
            "a fourth is over it"
        );
        assert_eq!(pool.load(Ordering::SeqCst), 3);
        drop(held);
        assert_eq!(pool.load(Ordering::SeqCst), 0);
        assert!(PendingCall::take(pool.clone(), 0).is_none());
        assert_eq!(
            pool.load(Ordering::SeqCst),
            0,
            "a refused call holds nothing"
        );
    }

    #[test]
    fn clones_share_the_pool() {
        let slots = Slots::new(1);
        let other = slots.clone();
        let held = slots.take().expect("one");
        assert!(other.take().is_none());
        drop(held);
        assert!(other.take().is_some());
    }
}

/// The most bytes a guest's pending WASI 0.3 sends may hold on the host at
/// once: the datagrams of `wasi:sockets` 0.3 UDP sends and the data of
/// `wasock:socket@0.2.0` `send` / `send-to` calls. Each copies its bytes
/// out of the guest when called, and under the component model's async
/// any number of calls may wait at once for a full socket buffer; past
/// this a send answers `out-of-memory` (`ENOBUFS`). One send larger than
/// the whole budget still goes when it is alone (so the host holds at
/// most this plus one guest-sized copy).
pub const PENDING_SEND_BUDGET: usize = 4 << 20;

/// How many calls of `wasock:socket@0.2.0` a guest may have pending at
/// once, per socket its `--max-sockets` lets it hold (1,024 by default:
/// 8,192 calls). Under the component model's async a guest may start any
/// number of calls without waiting for one; each pending call holds its
/// state on the host (about 6 KiB: wasmtime's task and the call's
/// future), so 20,000 receives on one socket held 130 MiB. Past the limit
/// a call answers `out-of-memory` at once. The SDK's async sockets keep
/// at most one receive, one receive-from, one accept and a send or two
/// pending per socket.
pub const PENDING_CALLS_PER_SOCKET: usize = 8;

/// One pending call held against a guest's limit of
/// [`PENDING_CALLS_PER_SOCKET`] × its socket limit, given back on drop.
#[derive(Debug)]
pub(crate) struct PendingCall {
    pool: Arc<AtomicUsize>,
}

impl PendingCall {
    /// Holds one call of `pool`, if fewer than `limit` are held.
    pub(crate) fn take(pool: Arc<AtomicUsize>, limit: usize) -> Option<PendingCall> {
        pool.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |held| {
            (held < limit).then_some(held + 1)
        })
        .ok()?;
        Some(PendingCall { pool })
    }
}

impl Drop for PendingCall {
    fn drop(&mut self) {
        self.pool.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Bytes held of a guest's [`PENDING_SEND_BUDGET`] (its pool), given back
/// on drop.
#[derive(Debug)]
pub(crate) struct SendBudget {
    pool: Arc<AtomicUsize>,
    bytes: usize,
}

impl SendBudget {
    /// Holds `bytes` of `pool`, if they fit in the budget or nothing else
    /// is held.
    pub(crate) fn take(pool: Arc<AtomicUsize>, bytes: usize) -> Option<SendBudget> {
        pool.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |held| {
            let total = held.checked_add(bytes)?;
            (held == 0 || total <= PENDING_SEND_BUDGET).then_some(total)
        })
        .ok()?;
        Some(SendBudget { pool, bytes })
    }
}

impl Drop for SendBudget {
    fn drop(&mut self) {
        self.pool.fetch_sub(self.bytes, Ordering::SeqCst);
    }
}
