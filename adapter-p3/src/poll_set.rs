//! The `poll-set` interface: WASI 0.3 has no readiness to watch (no
//! pollables; a call is its own wait), so a set can be made and counted,
//! and everything else answers class `unsupported`. A guest built for
//! WASI 0.3 waits on its calls (`receive`, `accept`, ...) side by side on
//! its executor instead, which the SDK's async API does.

use crate::Adapter;
use crate::bindings::exports::wasock::socket::poll_set::{
    Event, Guest, GuestPollSet, PollSet, SocketBorrow, Trigger,
};
use crate::bindings::exports::wasock::socket::socket::Interest;
use crate::bindings::exports::wasock::socket::types::{Duration, Error, ErrorCode};
use crate::types;

/// A poll set with no registrations (none can be added).
pub(crate) struct AdaptedPollSet;

fn no_readiness(operation: &str) -> Error {
    types::unsupported(
        operation,
        ErrorCode::OperationNotSupported,
        "socket readiness (WASI 0.3 has no pollables: wait on the calls themselves)",
    )
}

impl Guest for Adapter {
    type PollSet = AdaptedPollSet;
}

impl GuestPollSet for AdaptedPollSet {
    fn create() -> Result<PollSet, Error> {
        Ok(PollSet::new(AdaptedPollSet))
    }

    fn add(
        &self,
        _socket: SocketBorrow<'_>,
        _interest: Interest,
        _trigger: Trigger,
        _token: u64,
    ) -> Result<(), Error> {
        Err(no_readiness("poll-set add"))
    }

    fn modify(
        &self,
        _socket: SocketBorrow<'_>,
        _interest: Interest,
        _trigger: Trigger,
        _token: u64,
    ) -> Result<(), Error> {
        Err(no_readiness("poll-set modify"))
    }

    fn remove(&self, _socket: SocketBorrow<'_>) -> Result<(), Error> {
        Err(no_readiness("poll-set remove"))
    }

    async fn wait(
        &self,
        _timeout: Option<Duration>,
        _max_events: u32,
    ) -> Result<Vec<Event>, Error> {
        Err(no_readiness("poll-set wait"))
    }

    fn len(&self) -> u32 {
        0
    }
}
