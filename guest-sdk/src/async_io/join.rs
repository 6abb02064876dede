//! [`JoinHandle`]: a spawned task's output, for either executor.

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

/// What a spawned task produced, and who waits for it.
struct JoinState<T> {
    output: Option<T>,
    waiter: Option<Waker>,
    finished: bool,
}

/// Awaits a [`spawn`](super::spawn)ed task's output. Dropping it lets the task run on,
/// detached.
pub struct JoinHandle<T> {
    state: Rc<RefCell<JoinState<T>>>,
}

impl<T> std::fmt::Debug for JoinHandle<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JoinHandle")
            .field("finished", &self.state.borrow().finished)
            .finish()
    }
}

impl<T> JoinHandle<T> {
    /// Whether the task has finished.
    pub fn is_finished(&self) -> bool {
        self.state.borrow().finished
    }
}

impl<T> Future for JoinHandle<T> {
    type Output = T;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        let mut state = self.state.borrow_mut();
        match state.output.take() {
            Some(output) => Poll::Ready(output),
            None => {
                state.waiter = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }
}

/// `future` as a task that hands its output to the returned handle.
pub(super) fn task<F>(future: F) -> (impl Future<Output = ()> + 'static, JoinHandle<F::Output>)
where
    F: Future + 'static,
    F::Output: 'static,
{
    let state = Rc::new(RefCell::new(JoinState {
        output: None,
        waiter: None,
        finished: false,
    }));
    let task_state = state.clone();
    let task = async move {
        let output = future.await;
        let mut state = task_state.borrow_mut();
        state.output = Some(output);
        state.finished = true;
        if let Some(waiter) = state.waiter.take() {
            waiter.wake();
        }
    };
    (task, JoinHandle { state })
}
