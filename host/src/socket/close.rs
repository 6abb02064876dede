//! Closing, lingering included, without holding a host thread.
//!
//! `close(2)` on a TCP socket with `SO_LINGER` on (and a time) blocks the
//! calling thread, even for a non-blocking socket, until the unsent data
//! is acknowledged or the time is up; after that the kernel finishes the
//! connection by itself exactly as it does for a close without lingering.
//! So the host waits for the send queue on the reactor's timer instead
//! (polling `TIOCOUTQ`), then closes with lingering off: the peer sees the
//! same bytes and the same FIN, only this guest waits (for an explicit
//! `close`), and no blocking thread is parked. The guest's socket slot is
//! held until the descriptor is closed, so lingering closes count toward
//! `--max-sockets`.

use std::io;
use std::os::fd::{AsRawFd, OwnedFd};
use std::time::{Duration, Instant};

use socket2::Socket as OsSocket;

use super::Kind;
use crate::accounting::Slot;
use crate::policy::options::LINGER_CEILING_SECONDS;
use crate::sys;

/// The first pause between two looks at the send queue; it doubles up to
/// [`LONGEST_PAUSE`].
const FIRST_PAUSE: Duration = Duration::from_millis(1);
const LONGEST_PAUSE: Duration = Duration::from_millis(50);

/// How long a close of `socket` must linger: `SO_LINGER` on with a time
/// (at most the ceiling), a stream socket, and data not yet acknowledged.
fn linger_time(socket: &OsSocket, kind: Kind) -> Option<Duration> {
    if kind != Kind::Stream {
        return None;
    }
    let time = socket.linger().ok()??;
    if time.is_zero() {
        // Abortive close (RST): close(2) does not wait.
        return None;
    }
    let unsent = sys::unsent_bytes(socket.as_raw_fd()).unwrap_or(0);
    (unsent > 0).then(|| time.min(Duration::from_secs(LINGER_CEILING_SECONDS as u64)))
}

/// Closes `socket`, lingering first if its options say so; gives `slot`
/// back once the descriptor is closed.
pub(super) async fn close(socket: OsSocket, kind: Kind, slot: Option<Slot>) -> io::Result<()> {
    if let Some(limit) = linger_time(&socket, kind) {
        linger(&socket, limit).await;
    }
    let result = sys::close(OwnedFd::from(socket));
    drop(slot);
    result
}

/// Closes `socket` now, or (lingering) in a task of its own that holds
/// `slot` until it is done.
pub(super) fn close_in_background(socket: OsSocket, kind: Kind, slot: Option<Slot>) {
    if linger_time(&socket, kind).is_some()
        && let Ok(runtime) = tokio::runtime::Handle::try_current()
    {
        runtime.spawn(async move {
            let _ = close(socket, kind, slot).await;
        });
        return;
    }
    drop(socket);
    drop(slot);
}

/// Waits as close(2) with `SO_LINGER` would: until the data and the FIN
/// are acknowledged (or the connection is reset), or `limit` is up.
/// Lingering is turned off first (the close that follows must not block),
/// and the write side shut down, so the peer gets its FIN right after the
/// data, as close(2) would send it.
async fn linger(socket: &OsSocket, limit: Duration) {
    let _ = socket.set_linger(None);
    let _ = socket.shutdown(std::net::Shutdown::Write);
    let deadline = Instant::now() + limit;
    let mut pause = FIRST_PAUSE;
    loop {
        let closing = sys::closing_in_progress(socket.as_raw_fd()).unwrap_or(false);
        let now = Instant::now();
        if !closing || now >= deadline {
            return;
        }
        tokio::time::sleep(pause.min(deadline - now)).await;
        pause = (pause * 2).min(LONGEST_PAUSE);
    }
}
