//! Per-call timeouts: a deadline on `wasi:clocks/monotonic-clock` and a
//! wait on `wasi:io/poll` for the socket's (or stream's) pollable and a
//! timer at once.
//!
//! Every blocking call of the contract is a loop of "try without
//! blocking; on would-block, [`wait`] for the pollable until the
//! deadline", with the deadline fixed when the call starts, so retries
//! after a spurious wake-up do not extend it.

use crate::bindings::exports::wasock::socket::types::Duration;
use crate::bindings::wasi::clocks::monotonic_clock;
use crate::bindings::wasi::io::poll::{self, Pollable};
use crate::types::{self, Result};

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

    /// A pollable ready at the deadline (never ready without one).
    pub(crate) fn timer(&self) -> Pollable {
        match self.0 {
            Some(at) => monotonic_clock::subscribe_instant(at),
            None => never_ready(),
        }
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
        Some(at) => {
            let timer = monotonic_clock::subscribe_instant(at);
            let ready = poll::poll(&[pollable, &timer]);
            if ready.contains(&0) {
                Ok(())
            } else {
                Err(types::timeout(operation))
            }
        }
    }
}

/// A pollable that is ready at once (for a closed socket's `subscribe`,
/// whose next call says `closed`).
pub(crate) fn ready_now() -> Pollable {
    monotonic_clock::subscribe_duration(0)
}

/// A pollable that is never ready (in practice): a readiness the socket
/// cannot have, such as writable on a listener.
pub(crate) fn never_ready() -> Pollable {
    monotonic_clock::subscribe_duration(u64::MAX)
}
