//! Timers driven by the executor: [`sleep`] (and so [`timeout`](super::timeout)).

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use super::reactor;

/// A future that is ready once its deadline has passed.
#[derive(Debug)]
#[must_use = "futures do nothing unless awaited"]
pub struct Sleep {
    deadline: u64,
    timer: Option<(u64, u64)>,
    /// Under `wstd::runtime::block_on`: wstd's timer for the deadline.
    #[cfg(feature = "wstd")]
    foreign: Option<super::wstd_interop::ForeignSleep>,
}

/// Waits `duration` (on the `wasi:clocks` monotonic clock), letting other
/// tasks run. Driven by [`block_on`](super::block_on); with the `wstd`
/// feature, under `wstd::runtime::block_on` it waits on a wstd timer.
/// Under another executor it panics, saying so.
pub fn sleep(duration: Duration) -> Sleep {
    let nanos = u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX);
    Sleep {
        deadline: reactor::now().saturating_add(nanos),
        timer: None,
        #[cfg(feature = "wstd")]
        foreign: None,
    }
}

impl Sleep {
    /// Polled outside this crate's `block_on`, whose reactor alone fires
    /// its timers.
    #[cfg(feature = "wstd")]
    fn poll_elsewhere(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        let deadline = self.deadline;
        self.foreign
            .get_or_insert_with(|| {
                let left = deadline.saturating_sub(reactor::now());
                super::wstd_interop::ForeignSleep::new(Duration::from_nanos(left))
            })
            .poll(cx)
    }

    #[cfg(not(feature = "wstd"))]
    fn poll_elsewhere(&mut self, _cx: &mut Context<'_>) -> Poll<()> {
        panic!(
            "wasock::async_io::sleep (and timeout) are driven by wasock::async_io::block_on: \
             run the task under it (under wstd::runtime::block_on, enable wasock's `wstd` feature)"
        )
    }
}

impl Future for Sleep {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if reactor::now() >= self.deadline {
            if let Some(key) = self.timer.take() {
                reactor::cancel_timer(key);
            }
            return Poll::Ready(());
        }
        if !super::executor::is_running() {
            return self.poll_elsewhere(cx);
        }
        match self.timer {
            Some(key) => reactor::update_timer(key, cx.waker()),
            None => self.timer = Some(reactor::add_timer(self.deadline, cx.waker())),
        }
        Poll::Pending
    }
}

impl Drop for Sleep {
    fn drop(&mut self) {
        if let Some(key) = self.timer.take() {
            reactor::cancel_timer(key);
        }
    }
}
