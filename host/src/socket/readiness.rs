//! Readiness: what a `subscribe` pollable waits for, and the waits of the
//! socket's own calls.

use std::os::fd::AsRawFd;
use std::sync::{Arc, Mutex, Weak};

use socket2::Socket as OsSocket;
use tokio::io::Interest;
use tokio::io::unix::AsyncFd;

use super::{Readiness, Socket};
use crate::error::{Error, Result};
use crate::sys;

/// What a pollable keeps of its socket: it follows the socket across
/// registrations and never keeps a closed socket's descriptor alive.
#[derive(Clone, Debug, Default)]
pub struct Watch(Weak<Mutex<Weak<AsyncFd<OsSocket>>>>);

impl Watch {
    pub(super) fn new(cell: &Arc<Mutex<Weak<AsyncFd<OsSocket>>>>) -> Self {
        Watch(Arc::downgrade(cell))
    }

    /// The socket's current registration, if it is still open.
    fn current(&self) -> Option<Arc<AsyncFd<OsSocket>>> {
        let cell = self.0.upgrade()?;
        cell.lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .upgrade()
    }
}

/// `poll(2)` events and tokio interest for a readiness interest; `None`
/// for no interest.
fn events_of(interest: Readiness) -> Option<(libc::c_short, Interest)> {
    let mut events: libc::c_short = 0;
    let mut wanted: Option<Interest> = None;
    if interest.readable {
        events |= libc::POLLIN;
        wanted = Some(Interest::READABLE);
    }
    if interest.writable {
        events |= libc::POLLOUT;
        wanted = Some(wanted.map_or(Interest::WRITABLE, |w| w | Interest::WRITABLE));
    }
    // A pending error makes a socket ready for either (WIT: "or an error
    // pending"); tokio reports it apart from readable and writable.
    wanted.map(|wanted| (events, wanted | Interest::ERROR))
}

impl Socket {
    /// Whether the socket is ready for any of `interest` now, by `poll(2)`
    /// (a closed socket counts as ready: the next call says `closed`).
    pub fn ready_now(watch: &Watch, interest: Readiness) -> bool {
        let Some((events, _)) = events_of(interest) else {
            return false;
        };
        match watch.current() {
            Some(fd) => sys::poll_now(fd.as_raw_fd(), events).unwrap_or(true),
            None => true,
        }
    }

    /// Waits until the socket is ready for any of `interest`. Asks
    /// `poll(2)` first, so a wait that is polled once (a zero-timeout
    /// `poll`) agrees with `poll(2)` even before the reactor has seen the
    /// event; then waits on the reactor, confirming each wake-up with
    /// `poll(2)` so a stale event does not count. Returns at once for a
    /// closed socket (the next call will say `closed`).
    pub async fn wait_ready(watch: &Watch, interest: Readiness) {
        let Some((events, wanted)) = events_of(interest) else {
            // No interest: never ready.
            return std::future::pending().await;
        };
        let Some(fd) = watch.current() else { return };
        if sys::poll_now(fd.as_raw_fd(), events).unwrap_or(true) {
            return;
        }
        loop {
            let mut guard = match fd.ready(wanted).await {
                Ok(guard) => guard,
                Err(_) => return,
            };
            match sys::poll_now(fd.as_raw_fd(), events) {
                Ok(false) => {
                    let closed = is_closed(guard.ready());
                    guard.clear_ready();
                    yield_if_stale(closed).await;
                }
                Ok(true) | Err(_) => return,
            }
        }
    }
}

/// Whether a readiness carries tokio's "closed" bits, which it never
/// clears.
pub(super) fn is_closed(ready: tokio::io::Ready) -> bool {
    ready.is_read_closed() || ready.is_write_closed()
}

/// After a wake-up whose syscall would still block: if the readiness was
/// "closed" (which tokio never clears, so the next wait returns at once),
/// yield to the runtime so timers and other guests run rather than spin
/// without yielding. Connect and listen register afresh, so this is a
/// safety net for states we did not foresee.
pub(super) async fn yield_if_stale(closed: bool) {
    if closed {
        tokio::task::yield_now().await;
    }
}

/// Waits for a non-blocking connect to finish: writable, then `SO_ERROR`.
pub(super) async fn wait_connected(fd: &AsyncFd<OsSocket>) -> Result<()> {
    const OP: &str = "connect";
    loop {
        let mut guard = fd.writable().await.map_err(|e| Error::io(OP, &e))?;
        if let Some(err) = fd.get_ref().take_error().map_err(|e| Error::io(OP, &e))? {
            return Err(Error::connect_io(OP, &err));
        }
        match fd.get_ref().peer_addr() {
            Ok(_) => return Ok(()),
            Err(e) if e.raw_os_error() == Some(libc::ENOTCONN) => {
                // Still connecting: a stale writable edge.
                if sys::poll_now(fd.as_raw_fd(), libc::POLLOUT).map_err(|e| Error::io(OP, &e))? {
                    // Writable but not connected and no error: the OS
                    // dropped the attempt; ask connect(2) itself.
                    return Err(Error::connect_errno(OP, libc::ECONNREFUSED));
                }
                let closed = is_closed(guard.ready());
                guard.clear_ready();
                yield_if_stale(closed).await;
            }
            Err(e) => return Err(Error::io(OP, &e)),
        }
    }
}
