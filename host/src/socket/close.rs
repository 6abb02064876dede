//! Closing, lingering included, without holding a host thread.
//!
//! `close(2)` on a TCP socket with `SO_LINGER` on (and a time) blocks the
//! calling thread, even for a non-blocking socket, until the unsent data
//! and the FIN are acknowledged or the time is up. So the kernel never
//! holds such a time (the option calls keep it in the socket, see
//! `Socket::set_linger`), and the host lingers here instead: it shuts the
//! write side down (the peer gets the data, then the FIN, as close(2)
//! sends them) and watches the connection's state on the reactor's timer
//! until the FIN is acknowledged or the time is up, then closes. The peer
//! sees what it would see, only this guest waits (for an explicit
//! `close`), and no host thread is parked: not in `close`, not when a
//! socket is dropped, not when a guest's sockets are torn down at exit.
//! The guest's socket slot is held until the descriptor is closed, so
//! lingering closes count toward `--max-sockets`.

use std::io;
use std::os::fd::{AsRawFd, OwnedFd};
use std::sync::Weak;
use std::time::{Duration, Instant};

use socket2::Socket as OsSocket;
use tokio::io::unix::AsyncFd;

use crate::accounting::Slot;
use crate::policy::options::LINGER_CEILING_SECONDS;
use crate::sys;

/// The first pause between two looks at the send queue; it doubles up to
/// [`LONGEST_PAUSE`].
const FIRST_PAUSE: Duration = Duration::from_millis(1);
const LONGEST_PAUSE: Duration = Duration::from_millis(50);

/// How long the close of a socket lingering for `linger` may wait: at
/// most the ceiling.
fn linger_time(linger: Option<Duration>) -> Option<Duration> {
    linger.map(|time| time.min(Duration::from_secs(LINGER_CEILING_SECONDS as u64)))
}

/// Closes `socket`, lingering first for `linger` (the socket's host-side
/// `SO_LINGER`); gives `slot` back once the descriptor is closed.
pub(super) async fn close(
    socket: OsSocket,
    linger: Option<Duration>,
    slot: Option<Slot>,
) -> io::Result<()> {
    if let Some(limit) = linger_time(linger) {
        self::linger(&socket, limit).await;
    }
    let result = sys::close(OwnedFd::from(socket));
    drop(slot);
    result
}

/// Closes `socket` now, or (lingering) in a task of its own that holds
/// `slot` until it is done. Without a runtime the close is immediate: the
/// kernel holds no lingering time, so it does not block either way.
pub(super) fn close_in_background(socket: OsSocket, linger: Option<Duration>, slot: Option<Slot>) {
    if linger_time(linger).is_some()
        && let Ok(runtime) = tokio::runtime::Handle::try_current()
    {
        runtime.spawn(async move {
            let _ = close(socket, linger, slot).await;
        });
        return;
    }
    drop(socket);
    drop(slot);
}

/// Holds `slot` until the last holder of the registration `fd` lets go
/// of it (a call that was waiting on a socket closed under it), so that
/// every open descriptor keeps counting toward `--max-sockets`. The
/// holders are calls ending by themselves (the close shut the socket
/// down); a task looks at their count, pausing 1 ms doubling to 50 ms.
pub(super) fn hold_slot_until_closed(fd: Weak<AsyncFd<OsSocket>>, slot: Option<Slot>) {
    let Some(slot) = slot else { return };
    if fd.strong_count() == 0 {
        return;
    }
    let Ok(runtime) = tokio::runtime::Handle::try_current() else {
        return;
    };
    runtime.spawn(async move {
        let mut pause = FIRST_PAUSE;
        while fd.strong_count() > 0 {
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(LONGEST_PAUSE);
        }
        drop(slot);
    });
}

/// Waits as close(2) with `SO_LINGER` would: until the data and the FIN
/// are acknowledged (or the connection is reset), or `limit` is up. The
/// write side is shut down first, so the peer gets its FIN right after the
/// data, as close(2) would send it. (A socket that is not connected has
/// nothing to wait for.)
async fn linger(socket: &OsSocket, limit: Duration) {
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A guest's linger time is kept as it set it (and read back so), but
    /// the host lingers at most the ceiling.
    #[test]
    fn the_host_lingers_at_most_the_ceiling() {
        let ceiling = Duration::from_secs(LINGER_CEILING_SECONDS as u64);
        assert_eq!(linger_time(Some(Duration::from_secs(100))), Some(ceiling));
        assert_eq!(
            linger_time(Some(Duration::from_secs(7))),
            Some(Duration::from_secs(7))
        );
        assert_eq!(linger_time(None), None);
    }
}
