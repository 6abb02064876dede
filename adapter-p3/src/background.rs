//! A socket's background task: what must go on, or be dropped, where no
//! call of the guest waits.
//!
//! A synchronous export has no task (the component model's async): it
//! cannot wait, nor drop work that is pending (cancelling a read or a
//! call may wait, and a synchronous task "cannot block before
//! returning"). So each socket has a task of its own: the rest of the
//! task of an async call on it (wit-bindgen runs a call's spawned futures
//! after the call returns), started by the first such call. It serves the
//! streams `receive-stream` and `send-stream` hand it, drops the work a
//! closed socket leaves (a read a timed-out `receive` left going), and
//! ends when the socket closes; the streams it serves end with the close.

use std::any::Any;
use std::cell::{Cell, RefCell};
use std::future::{Future, poll_fn};
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Poll, Waker};

/// Work for the background task.
type Work = Pin<Box<dyn Future<Output = ()>>>;

/// A socket's handle on its background task.
#[derive(Default)]
pub(crate) struct Background {
    shared: Rc<Shared>,
}

#[derive(Default)]
struct Shared {
    /// The task runs (it ends with the socket, or with the call whose task
    /// it is, if the guest cancels that call first).
    alive: Cell<bool>,
    /// The socket closed: the task ends.
    ended: Cell<bool>,
    waker: RefCell<Option<Waker>>,
    work: RefCell<Vec<Work>>,
    graveyard: RefCell<Vec<Box<dyn Any>>>,
}

impl Shared {
    fn wake(&self) {
        if let Some(waker) = self.waker.borrow_mut().take() {
            waker.wake();
        }
    }
}

impl Background {
    /// Starts the background task in the task of the call running now,
    /// unless it runs already. Only in an async call.
    pub(crate) fn ensure(&self) {
        if self.shared.alive.get() || self.shared.ended.get() {
            return;
        }
        self.shared.alive.set(true);
        wit_bindgen::spawn_local(run(Rc::clone(&self.shared)));
    }

    /// Runs `work` in the background task; gives it back where there is
    /// none.
    pub(crate) fn spawn<W: Future<Output = ()> + 'static>(&self, work: W) -> Result<(), W> {
        if !self.shared.alive.get() || self.shared.ended.get() {
            return Err(work);
        }
        self.shared.work.borrow_mut().push(Box::pin(work));
        self.shared.wake();
        Ok(())
    }

    /// Drops `pending` in the background task, where dropping may wait;
    /// where there is none, it is left (never dropped).
    pub(crate) fn bury<T: 'static>(&self, pending: T) {
        if self.shared.alive.get() {
            self.shared.graveyard.borrow_mut().push(Box::new(pending));
            self.shared.wake();
        } else {
            std::mem::forget(pending);
        }
    }

    /// Ends the background task: the socket closed.
    pub(crate) fn end(&self) {
        self.shared.ended.set(true);
        self.shared.wake();
    }
}

/// The background task: takes work and drops what was buried until the
/// socket closes (the work goes on in the same task until it ends).
async fn run(shared: Rc<Shared>) {
    /// Tells the socket when the task is gone (a cancelled call's task
    /// ends with it).
    struct Alive(Rc<Shared>);
    impl Drop for Alive {
        fn drop(&mut self) {
            self.0.alive.set(false);
        }
    }
    let alive = Alive(shared);
    poll_fn(|cx| {
        let shared = &alive.0;
        for work in std::mem::take(&mut *shared.work.borrow_mut()) {
            wit_bindgen::spawn_local(work);
        }
        drop(std::mem::take(&mut *shared.graveyard.borrow_mut()));
        if shared.ended.get() {
            return Poll::Ready(());
        }
        *shared.waker.borrow_mut() = Some(cx.waker().clone());
        Poll::Pending
    })
    .await;
}
