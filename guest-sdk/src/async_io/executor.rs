//! A small single-threaded executor: [`block_on`] runs a future and the
//! tasks [`spawn`]ed beside it, turning the reactor (one wait on the poll
//! set of this thread, bounded by the next timer) whenever no task can
//! make progress.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

use super::JoinHandle;
use super::reactor;

/// The id of the future given to `block_on` itself.
const MAIN: usize = usize::MAX;

/// How many task polls may run before the reactor is asked, without
/// waiting, for new events (so busy tasks do not starve sockets).
const POLLS_PER_TURN: usize = 64;

/// Task ids woken and not yet polled. Shared with the wakers, which the
/// `Waker` contract requires to be `Send + Sync` (there is one thread).
type WokenQueue = Arc<Mutex<VecDeque<usize>>>;

struct TaskWaker {
    id: usize,
    woken: WokenQueue,
}

impl Wake for TaskWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        lock(&self.woken).push_back(self.id);
    }
}

fn lock(queue: &Mutex<VecDeque<usize>>) -> std::sync::MutexGuard<'_, VecDeque<usize>> {
    queue
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

type Task = Pin<Box<dyn Future<Output = ()>>>;

#[derive(Default)]
struct Executor {
    /// Spawned tasks by id; `None` once finished (or while being polled).
    tasks: Vec<Option<Task>>,
    free: Vec<usize>,
    woken: WokenQueue,
}

thread_local! {
    static EXECUTOR: RefCell<Executor> = RefCell::new(Executor::default());
    static RUNNING: Cell<bool> = const { Cell::new(false) };
}

/// Whether a [`block_on`] of this crate is running on this thread.
pub(crate) fn is_running() -> bool {
    RUNNING.with(Cell::get)
}

/// Runs `future` to completion on this thread, with every task
/// [`spawn`]ed meanwhile, and returns its output. Tasks still pending when
/// it returns stay, and run in the next `block_on`.
///
/// Sockets ([`AsyncSocket`](super::AsyncSocket)) and timers
/// ([`sleep`](super::sleep)) wake the tasks that wait on them; when no
/// task can make progress the executor waits on the host for the next
/// socket event or timer, in one call.
///
/// # Panics
/// If called inside another `block_on`, or if the future waits for nothing
/// that could ever wake it (no socket, no timer, no other task).
pub fn block_on<F: Future>(future: F) -> F::Output {
    assert!(!is_running(), "wasock::async_io::block_on inside block_on");
    RUNNING.with(|running| running.set(true));
    struct Reset;
    impl Drop for Reset {
        fn drop(&mut self) {
            RUNNING.with(|running| running.set(false));
        }
    }
    let _reset = Reset;

    let woken = EXECUTOR.with(|executor| executor.borrow().woken.clone());
    let main_waker = Waker::from(Arc::new(TaskWaker {
        id: MAIN,
        woken: woken.clone(),
    }));
    let mut future = std::pin::pin!(future);
    lock(&woken).push_back(MAIN);
    let mut polls_since_turn = 0usize;
    loop {
        let next = lock(&woken).pop_front();
        match next {
            Some(MAIN) => {
                polls_since_turn += 1;
                if let Poll::Ready(output) =
                    future.as_mut().poll(&mut Context::from_waker(&main_waker))
                {
                    return output;
                }
            }
            Some(id) => {
                polls_since_turn += 1;
                poll_task(id, &woken);
            }
            None => {
                polls_since_turn = 0;
                if !reactor::has_work() && lock(&woken).is_empty() {
                    panic!(
                        "wasock::async_io::block_on: the future waits, and no socket, timer or task can wake it"
                    );
                }
                if let Err(error) = reactor::turn(None) {
                    panic!("wasock::async_io::block_on: waiting on the poll set: {error}");
                }
                continue;
            }
        }
        if polls_since_turn >= POLLS_PER_TURN {
            polls_since_turn = 0;
            if let Err(error) = reactor::turn(Some(Duration::ZERO)) {
                panic!("wasock::async_io::block_on: polling the poll set: {error}");
            }
        }
    }
}

fn poll_task(id: usize, woken: &WokenQueue) {
    let task = EXECUTOR.with(|executor| {
        executor
            .borrow_mut()
            .tasks
            .get_mut(id)
            .and_then(Option::take)
    });
    let Some(mut task) = task else { return };
    let waker = Waker::from(Arc::new(TaskWaker {
        id,
        woken: woken.clone(),
    }));
    match task.as_mut().poll(&mut Context::from_waker(&waker)) {
        Poll::Ready(()) => EXECUTOR.with(|executor| executor.borrow_mut().free.push(id)),
        Poll::Pending => EXECUTOR.with(|executor| {
            if let Some(slot) = executor.borrow_mut().tasks.get_mut(id) {
                *slot = Some(task);
            }
        }),
    }
}

/// Starts `future` as a task of this thread's executor: it runs inside
/// [`block_on`] beside the future given there, and its output is what the
/// returned [`JoinHandle`] resolves to.
pub fn spawn<F>(future: F) -> JoinHandle<F::Output>
where
    F: Future + 'static,
    F::Output: 'static,
{
    let (task, handle) = super::join::task(future);
    let task: Task = Box::pin(task);
    EXECUTOR.with(|executor| {
        let mut executor = executor.borrow_mut();
        let id = match executor.free.pop() {
            Some(id) => {
                executor.tasks[id] = Some(task);
                id
            }
            None => {
                executor.tasks.push(Some(task));
                executor.tasks.len() - 1
            }
        };
        lock(&executor.woken).push_back(id);
    });
    handle
}

/// Lets other tasks run before this one goes on.
pub async fn yield_now() {
    let mut yielded = false;
    std::future::poll_fn(|cx| {
        if yielded {
            Poll::Ready(())
        } else {
            yielded = true;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    })
    .await
}
