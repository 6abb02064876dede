//! Readiness: what a `subscribe` pollable waits for, and the waits of the
//! socket's own calls.

use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::task::Waker;
use std::time::Duration;

use socket2::Socket as OsSocket;
use tokio::io::Interest;
use tokio::io::unix::AsyncFd;

use super::{Readiness, Socket};
use crate::error::{Error, Result};
use crate::sys;

/// What a socket shares with its pollables: its current registration
/// with the reactor, and whether the host holds received bytes for it that
/// the OS socket no longer shows (decrypted TLS data, see `tls`).
#[derive(Debug, Default)]
pub(crate) struct WatchCell {
    fd: Mutex<Weak<AsyncFd<OsSocket>>>,
    /// Decrypted bytes (or the peer's `close_notify`) wait in the host.
    held: AtomicBool,
    /// Counts the times new bytes came to be held: what an edge-triggered
    /// registration reports once each.
    arrivals: AtomicU64,
    /// The socket was closed: its registration may outlive it a while
    /// (a call still holding it), but nothing should use it.
    closed: AtomicBool,
    /// The byte streams waiting on the socket, by id, with their latest
    /// waker: woken when it closes, which the reactor does not report
    /// (a registration goes without an event).
    streams: Mutex<Vec<(u64, Waker)>>,
}

impl WatchCell {
    pub(super) fn new(fd: &Arc<AsyncFd<OsSocket>>) -> Self {
        WatchCell {
            fd: Mutex::new(Arc::downgrade(fd)),
            held: AtomicBool::new(false),
            arrivals: AtomicU64::new(0),
            closed: AtomicBool::new(false),
            streams: Mutex::default(),
        }
    }

    /// The socket closed: its watches see no registration from now on,
    /// and the byte streams waiting on it are woken (to say `closed`).
    pub(super) fn close(&self) {
        self.closed.store(true, Ordering::Release);
        let waiting = std::mem::take(
            &mut *self
                .streams
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner()),
        );
        for (_, waker) in waiting {
            waker.wake();
        }
    }

    /// Points the pollables at a new registration.
    pub(super) fn set_fd(&self, fd: &Arc<AsyncFd<OsSocket>>) {
        *self
            .fd
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = Arc::downgrade(fd);
    }

    /// Records whether the host holds received bytes for the socket; a
    /// change from none to some counts as an arrival.
    pub(super) fn set_held(&self, held: bool) {
        if held && !self.held.swap(true, Ordering::AcqRel) {
            self.arrivals.fetch_add(1, Ordering::AcqRel);
        } else if !held {
            self.held.store(false, Ordering::Release);
        }
    }

    /// Records that new bytes came to be held.
    pub(super) fn arrived(&self) {
        self.held.store(true, Ordering::Release);
        self.arrivals.fetch_add(1, Ordering::AcqRel);
    }
}

/// What a pollable keeps of its socket: it follows the socket across
/// registrations and never keeps a closed socket's descriptor alive.
#[derive(Clone, Debug, Default)]
pub struct Watch(Weak<WatchCell>);

impl Watch {
    pub(super) fn new(cell: &Arc<WatchCell>) -> Self {
        Watch(Arc::downgrade(cell))
    }

    /// The socket's current registration, if it is still open.
    pub(super) fn current(&self) -> Option<Arc<AsyncFd<OsSocket>>> {
        let cell = self.0.upgrade()?;
        if cell.closed.load(Ordering::Acquire) {
            return None;
        }
        cell.fd
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .upgrade()
    }

    /// Has the byte stream `id` woken with `waker` when the socket closes
    /// (at once if it is closed already).
    pub(super) fn wake_on_close(&self, id: u64, waker: &Waker) {
        let Some(cell) = self.0.upgrade() else {
            return waker.wake_by_ref();
        };
        let mut streams = cell
            .streams
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if cell.closed.load(Ordering::Acquire) {
            return waker.wake_by_ref();
        }
        match streams.iter_mut().find(|(stream, _)| *stream == id) {
            Some((_, known)) if known.will_wake(waker) => {}
            Some((_, known)) => *known = waker.clone(),
            None => streams.push((id, waker.clone())),
        }
    }

    /// The byte stream `id` is gone: forgets its waker.
    pub(super) fn forget_stream(&self, id: u64) {
        if let Some(cell) = self.0.upgrade() {
            cell.streams
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .retain(|(stream, _)| *stream != id);
        }
    }

    /// Whether the host holds received bytes for the socket (a TLS
    /// socket's decrypted data): readable whatever the OS socket says.
    pub fn held(&self) -> bool {
        self.0
            .upgrade()
            .is_some_and(|cell| cell.held.load(Ordering::Acquire))
    }

    /// How many times bytes came to be held (see [`Watch::held`]).
    pub fn arrivals(&self) -> u64 {
        self.0
            .upgrade()
            .map_or(0, |cell| cell.arrivals.load(Ordering::Acquire))
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
        if interest.readable && watch.held() {
            return true;
        }
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
        if interest.readable && watch.held() {
            // Bytes the host holds are there now; nothing the guest does
            // not call can take them (no host call runs during its wait).
            return;
        }
        let Some(fd) = watch.current() else { return };
        wait_on(&fd, interest).await
    }
}

/// Waits until `fd` is ready for any of `interest` by `poll(2)` (see
/// [`Socket::wait_ready`]): level-triggered, so a wake-up is never lost
/// between a syscall's `EAGAIN` and the wait.
pub(super) async fn wait_on(fd: &AsyncFd<OsSocket>, interest: Readiness) {
    let Some((events, wanted)) = events_of(interest) else {
        // No interest: never ready.
        return std::future::pending().await;
    };
    if sys::poll_now(fd.as_raw_fd(), events).unwrap_or(true) {
        return;
    }
    let mut stale = StaleWakes::new();
    loop {
        let mut guard = match fd.ready(wanted).await {
            Ok(guard) => guard,
            Err(_) => return,
        };
        match sys::poll_now(fd.as_raw_fd(), events) {
            Ok(false) => {
                let closed = is_closed(guard.ready());
                guard.clear_ready();
                stale.after(closed).await;
            }
            Ok(true) | Err(_) => return,
        }
    }
}

/// Whether a readiness carries tokio's "closed" bits, which it never
/// clears.
pub(super) fn is_closed(ready: tokio::io::Ready) -> bool {
    ready.is_read_closed() || ready.is_write_closed()
}

/// The first pause after a wake-up that changed nothing on a socket whose
/// readiness is "closed"; it doubles up to [`LONGEST_STALE_PAUSE`].
const FIRST_STALE_PAUSE: Duration = Duration::from_millis(1);
const LONGEST_STALE_PAUSE: Duration = Duration::from_millis(50);

/// Wake-ups that changed nothing. tokio never clears a readiness's
/// "closed" bits (a hang-up), so once a socket reports one, every wait on
/// it returns at once: a loop that waits again after a syscall that would
/// still block would spin a core for as long as the call's timeout. Such
/// a loop pauses on the timer instead (1 ms, doubling to 50 ms): it
/// sleeps, never spins, and sees a change within 50 ms. The states known
/// to come here are answered before (a stream registers afresh on
/// connect and listen; a shut-down read side answers at once, see
/// `io::until_ready`): this is the net under the states not foreseen.
/// (Test: e2e `sandbox::a_wait_on_a_hung_up_socket_sleeps_not_spins`.)
#[derive(Debug)]
pub(super) struct StaleWakes {
    pause: Duration,
}

impl StaleWakes {
    pub(super) fn new() -> Self {
        StaleWakes {
            pause: FIRST_STALE_PAUSE,
        }
    }

    /// After a wake-up whose syscall would still block: if the readiness
    /// was "closed" (the next wait would return at once), pauses.
    pub(super) async fn after(&mut self, closed: bool) {
        if closed {
            tokio::time::sleep(self.pause).await;
            self.pause = (self.pause * 2).min(LONGEST_STALE_PAUSE);
        }
    }
}

/// Waits for a non-blocking connect to finish: writable, then `SO_ERROR`.
pub(super) async fn wait_connected(fd: &AsyncFd<OsSocket>) -> Result<()> {
    const OP: &str = "connect";
    let mut stale = StaleWakes::new();
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
                stale.after(closed).await;
            }
            Err(e) => return Err(Error::io(OP, &e)),
        }
    }
}
