//! Async sockets under `wstd::runtime::block_on`: when no `block_on` of
//! this crate runs, a task waiting on a socket schedules the pollable of
//! this thread's poll set on wstd's reactor; when it fires, the task turns
//! this crate's reactor without waiting, which announces the socket events
//! and wakes the tasks they concern. [`sleep`](super::sleep) waits on a
//! wstd timer there.
//!
//! wstd panics when its reactor is reached outside its `block_on` (under
//! another executor): a panic inside a call of this module into wstd is
//! preceded by a line naming wasock and what to run its futures under.

use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use super::reactor::{self, Direction, Source};
use crate::bindings::wasi::io::poll::Pollable;

/// Said before wstd's own panic when one of its calls from here finds no
/// wstd runtime.
const NO_RUNTIME: &str = "wasock: async sockets and wasock::async_io::sleep run under \
wasock::async_io::block_on or wstd::runtime::block_on; this one was polled under another executor";

std::thread_local! {
    /// Set while this module calls into wstd.
    static CALLING_WSTD: Cell<bool> = const { Cell::new(false) };
}

/// Runs `call`, which reaches wstd's reactor, so that a panic inside it
/// (wstd's "must be called within a wstd runtime") first says
/// [`NO_RUNTIME`]. The panic hook that says it is installed once, before
/// the one there was, which it then calls.
fn in_wstd<T>(call: impl FnOnce() -> T) -> T {
    static HOOK: std::sync::Once = std::sync::Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if CALLING_WSTD.with(Cell::get) {
                eprintln!("{NO_RUNTIME}");
            }
            previous(info);
        }));
    });
    struct Restore(bool);
    impl Drop for Restore {
        fn drop(&mut self) {
            CALLING_WSTD.with(|calling| calling.set(self.0));
        }
    }
    let _restore = Restore(CALLING_WSTD.with(|calling| calling.replace(true)));
    call()
}

/// [`sleep`](super::sleep) polled outside this crate's `block_on`: a
/// wstd timer for the time left.
pub(crate) struct ForeignSleep(Pin<Box<wstd::time::Wait>>);

impl std::fmt::Debug for ForeignSleep {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ForeignSleep").finish_non_exhaustive()
    }
}

impl ForeignSleep {
    /// A wstd timer of `duration` (on wstd's reactor, which must run).
    pub(crate) fn new(duration: Duration) -> ForeignSleep {
        in_wstd(|| ForeignSleep(Box::pin(wstd::task::sleep(duration.into()))))
    }

    pub(crate) fn poll(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        in_wstd(|| self.0.as_mut().poll(cx).map(|_| ()))
    }
}

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
            let pollable = in_wstd(|| wstd::runtime::AsyncPollable::new(to_wasip2(pollable)));
            *slot = Some(ForeignWait {
                wait: pollable.wait_for(),
                _pollable: pollable,
            });
        }
        let Some(foreign) = slot.as_mut() else {
            return false;
        };
        match in_wstd(|| Pin::new(&mut foreign.wait).poll(cx)) {
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
