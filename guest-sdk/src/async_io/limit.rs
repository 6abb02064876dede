//! [`timeout`]: any future with a time limit, on either executor's timer.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use super::{Sleep, sleep};
use crate::error::{Error, ErrorClass, ErrorCode, Result};

/// A future with a time limit: see [`timeout`].
#[derive(Debug)]
#[must_use = "futures do nothing unless awaited"]
pub struct Timeout<F> {
    future: Pin<Box<F>>,
    sleep: Sleep,
}

/// Runs `future` for at most `duration`: its output, or, when the time
/// runs out first, an error of class [`ErrorClass::Timeout`] (code
/// [`ErrorCode::TimedOut`]), as a blocking call's own timeout gives. The
/// per-call timeout of async sockets:
///
/// ```no_run
/// # async fn demo(socket: &wasock::async_io::AsyncSocket) -> wasock::Result<()> {
/// use std::time::Duration;
/// use wasock::async_io::timeout;
/// let data = timeout(Duration::from_secs(5), socket.receive(4096)).await??;
/// # let _ = data; Ok(()) }
/// ```
pub fn timeout<F: Future>(duration: Duration, future: F) -> Timeout<F> {
    Timeout {
        future: Box::pin(future),
        sleep: sleep(duration),
    }
}

impl<F: Future> Future for Timeout<F> {
    type Output = Result<F::Output>;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        if let Poll::Ready(output) = self.future.as_mut().poll(cx) {
            return Poll::Ready(Ok(output));
        }
        match Pin::new(&mut self.sleep).poll(cx) {
            Poll::Ready(()) => Poll::Ready(Err(Error::new(
                ErrorClass::Timeout,
                ErrorCode::TimedOut,
                "timed out",
            ))),
            Poll::Pending => Poll::Pending,
        }
    }
}
