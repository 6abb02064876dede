//! Per-call timeouts: a deadline on `wasi:clocks/monotonic-clock` and a
//! wait on `wasi:io/poll` for the socket's (or stream's) pollable and a
//! timer at once.
//!
//! Every blocking call of the contract is a loop of "try without
//! blocking; on would-block, [`wait`] for the pollable until the
//! deadline", with the deadline fixed when the call starts, so retries
//! after a spurious wake-up do not extend it.
//!
//! No timer asked of the host is longer than [`LONGEST_TIMER`]: hosts keep
//! timers in a range of their own (node's `setTimeout`, under jco, holds
//! at most 2^31 - 1 ms, and turns a longer one into 1 ms: a wait "forever"
//! as `u64::MAX` nanoseconds woke the guest every millisecond). A longer
//! wait is several timers in a row, each checked against the deadline
//! when it fires.

use crate::bindings::exports::wasock::socket::types::Duration;
use crate::bindings::wasi::clocks::monotonic_clock;
use crate::bindings::wasi::io::poll::{self, Pollable};
use crate::types::{self, Result};

/// The longest timer the adapter asks a host for (nanoseconds: one day),
/// well inside every host's range (node's is 24.8 days).
pub(crate) const LONGEST_TIMER: Duration = 86_400 * 1_000_000_000;

/// When a call's time is up: `None` waits forever (the spec's `#f`).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Deadline(Option<monotonic_clock::Instant>);

impl Deadline {
    /// The deadline of a call that started now with `timeout` nanoseconds.
    pub(crate) fn after(timeout: Option<Duration>) -> Deadline {
        Deadline(timeout.map(|nanos| monotonic_clock::now().saturating_add(nanos)))
    }

    /// No deadline: wait forever.
    pub(crate) fn never() -> Deadline {
        Deadline(None)
    }

    /// Whether the deadline has passed.
    pub(crate) fn passed(&self) -> bool {
        self.0.is_some_and(|at| monotonic_clock::now() >= at)
    }

    /// Whether there is a deadline at all.
    pub(crate) fn is_never(&self) -> bool {
        self.0.is_none()
    }

    /// A pollable ready at the deadline, or after [`LONGEST_TIMER`] if that
    /// comes first (without a deadline, after it): a wake-up before the
    /// deadline is the caller's to tell from its end ([`Deadline::passed`]).
    pub(crate) fn timer(&self) -> Pollable {
        let left = match self.0 {
            Some(at) => at.saturating_sub(monotonic_clock::now()),
            None => LONGEST_TIMER,
        };
        monotonic_clock::subscribe_duration(left.min(LONGEST_TIMER))
    }
}

/// Waits until `pollable` is ready or the deadline passes; the latter is
/// the call's own timeout (class `timeout`), named after `operation`.
pub(crate) fn wait(operation: &str, pollable: &Pollable, deadline: Deadline) -> Result<()> {
    match deadline.0 {
        None => {
            pollable.block();
            Ok(())
        }
        Some(_) => loop {
            let timer = deadline.timer();
            if poll::poll(&[pollable, &timer]).contains(&0) {
                return Ok(());
            }
            if deadline.passed() {
                return Err(types::timeout(operation));
            }
        },
    }
}

/// A pollable that is ready at once (for a closed socket's `subscribe`,
/// whose next call says `closed`).
pub(crate) fn ready_now() -> Pollable {
    monotonic_clock::subscribe_duration(0)
}

/// Lets the host run its own work before the guest goes on: a wait for a
/// timer already due, which wasmtime answers only after its runtime had a
/// turn (a yield; its cooperative budget is then full again, see
/// `poll_set::YIELD_AFTER_READY`), and other hosts at once.
pub(crate) fn yield_to_host() {
    ready_now().block();
}

/// A pollable that is not ready before [`LONGEST_TIMER`]: for a readiness
/// the socket cannot have, such as writable on a listener (a guest woken
/// after a day finds nothing, a spurious wake-up; a longer timer is not
/// one every host can hold).
pub(crate) fn never_ready() -> Pollable {
    monotonic_clock::subscribe_duration(LONGEST_TIMER)
}
