//! Async sockets under `wstd::runtime::block_on`: when no `block_on` of
//! this crate runs, a task waiting on a socket schedules the pollable of
//! this thread's poll set on wstd's reactor; when it fires, the task turns
//! this crate's reactor without waiting, which announces the socket events
//! and wakes the tasks they concern.

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use super::reactor::{self, Direction, Source};
use crate::bindings::wasi::io::poll::Pollable;

/// A wait on wstd's reactor for the poll set's pollable.
pub(crate) struct ForeignWait {
    wait: wstd::runtime::WaitFor,
    _pollable: wstd::runtime::AsyncPollable,
}

impl std::fmt::Debug for ForeignWait {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ForeignWait").finish_non_exhaustive()
    }
}

/// Our bindings' pollable as the `wasip2` crate's (wstd's).
#[allow(unsafe_code)]
fn to_wasip2(pollable: Pollable) -> wasip2::io::poll::Pollable {
    // SAFETY: `take_handle` gives up our ownership of an own handle of a
    // `wasi:io/poll` pollable, which the new value then owns and drops.
    // The component imports `wasi:io/poll` once (its semver-compatible
    // versions from both bindings are merged into one import when the
    // component is made), so both name the same resource type.
    unsafe { wasip2::io::poll::Pollable::from_handle(pollable.take_handle()) }
}

/// Called by a task whose socket is not ready, after it left its waker.
/// Returns true when the caller should look at the readiness again.
pub(crate) fn drive(source: &Source, direction: Direction, cx: &mut Context<'_>) -> bool {
    let slot = &source.foreign[direction as usize];
    // Bounded: each round either waits (pending) or turns the reactor.
    for _ in 0..4 {
        let mut slot = slot.borrow_mut();
        if slot.is_none() {
            let Some(pollable) = reactor::registry_pollable() else {
                return false;
            };
            let pollable = wstd::runtime::AsyncPollable::new(to_wasip2(pollable));
            *slot = Some(ForeignWait {
                wait: pollable.wait_for(),
                _pollable: pollable,
            });
        }
        let Some(foreign) = slot.as_mut() else {
            return false;
        };
        match Pin::new(&mut foreign.wait).poll(cx) {
            Poll::Pending => return false,
            Poll::Ready(()) => {
                *slot = None;
                drop(slot);
                if reactor::turn(Some(Duration::ZERO)).is_err() {
                    return false;
                }
                if source.is_ready(direction) {
                    return true;
                }
            }
        }
    }
    cx.waker().wake_by_ref();
    false
}
