//! Per-call timeouts and non-blocking calls over the component model's
//! async: a call is a future, raced with `wasi:clocks@0.3.0`'s
//! `monotonic-clock.wait-for` for its timeout, or polled once for
//! `dont-wait`.
//!
//! A call whose work must not be lost when the race is lost (a read that
//! may already hold bytes, an accept, a connect going on in the OS) keeps
//! that work in the socket's state as a [`Pending`] future rather than in
//! the call's own future: the next call on the socket polls the same
//! future and gets what it brought.

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::future::{Future, poll_fn};
use std::pin::{Pin, pin};
use std::task::{Poll, Waker};

use crate::bindings::exports::wasock::socket::types::Duration;
use crate::bindings::wasi::clocks::monotonic_clock;
use crate::types::{self, Result};

/// Work kept in a socket's state between the calls that wait for it.
pub(crate) type Pending<T> = Pin<Box<dyn Future<Output = T>>>;

/// `call`, or class `timeout` once `timeout` (nanoseconds) has passed;
/// `None` waits forever (the spec's `#f`). Losing the race drops `call`.
pub(crate) async fn within<F: Future>(
    operation: &str,
    timeout: Option<Duration>,
    call: F,
) -> Result<F::Output> {
    let Some(nanos) = timeout else {
        return Ok(call.await);
    };
    let mut call = pin!(call);
    let mut timer = pin!(monotonic_clock::wait_for(nanos));
    poll_fn(|cx| {
        if let Poll::Ready(output) = call.as_mut().poll(cx) {
            return Poll::Ready(Ok(output));
        }
        if timer.as_mut().poll(cx).is_ready() {
            return Poll::Ready(Err(types::timeout(operation)));
        }
        Poll::Pending
    })
    .await
}

/// Polls `call` once: its output if it is ready now, `None` (with `call`
/// still pending, to be polled again or dropped) if not.
pub(crate) async fn now<F: Future + ?Sized>(mut call: Pin<&mut F>) -> Option<F::Output> {
    poll_fn(move |cx| {
        Poll::Ready(match call.as_mut().poll(cx) {
            Poll::Ready(output) => Some(output),
            Poll::Pending => None,
        })
    })
    .await
}

/// A socket's `close`, as the calls pending on it see it: `close` ends
/// them now (WIT: "Calls still pending on the socket end now"), each with
/// the outcome its call gives a closed socket.
#[derive(Default)]
pub(crate) struct Closing {
    closed: Cell<bool>,
    /// The wakers of the calls pending now, by call.
    waiting: RefCell<BTreeMap<u64, Waker>>,
    next_call: Cell<u64>,
}

impl Closing {
    /// Whether `close` was called.
    pub(crate) fn is_closed(&self) -> bool {
        self.closed.get()
    }

    /// Closes: every call pending in [`Closing::unless_closed`] ends.
    pub(crate) fn close(&self) {
        self.closed.set(true);
        let waiting = std::mem::take(&mut *self.waiting.borrow_mut());
        for waker in waiting.into_values() {
            waker.wake();
        }
    }

    /// `call`'s output, or `None` once the socket is closed (then `call`
    /// is dropped).
    pub(crate) async fn unless_closed<F: Future>(&self, call: F) -> Option<F::Output> {
        let id = self.next_call.get();
        self.next_call.set(id.wrapping_add(1));
        // Forgets this call's waker however the call ends (a cancelled
        // call included), so that the map holds only pending calls.
        struct Registered<'a>(&'a Closing, u64);
        impl Drop for Registered<'_> {
            fn drop(&mut self) {
                self.0.waiting.borrow_mut().remove(&self.1);
            }
        }
        let _registered = Registered(self, id);
        let mut call = pin!(call);
        poll_fn(|cx| {
            if self.closed.get() {
                return Poll::Ready(None);
            }
            if let Poll::Ready(output) = call.as_mut().poll(cx) {
                return Poll::Ready(Some(output));
            }
            self.waiting.borrow_mut().insert(id, cx.waker().clone());
            Poll::Pending
        })
        .await
    }
}
