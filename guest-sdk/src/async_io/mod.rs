//! Async sockets for guests (cargo feature `async`): [`AsyncSocket`]
//! (accept, connect, [`AsyncSocket::connect_any`], receive and send with
//! their `_from` / `_to` forms, `futures-io`'s `AsyncRead` and
//! `AsyncWrite`, TLS handshakes with [`AsyncSocket::tls_connect`] and
//! [`AsyncSocket::tls_accept`]; one task may receive while another sends,
//! or own the halves of [`AsyncSocket::into_split`]), [`AsyncReader`] (the buffered input port as
//! `AsyncBufRead`), and a small single-threaded executor driven by the
//! host's poll set: [`block_on`], [`spawn`], [`sleep`], [`timeout`].
//!
//! Every async socket is registered once, edge-triggered, in one poll set
//! of this thread (the WIT `poll-set`); a task whose call would block
//! waits for that socket's next event, and the executor, when no task can
//! make progress, waits for all sockets and the next timer in one host
//! call. A slow or silent peer holds up only the task that talks to it.
//!
//! With the `wstd` feature, async sockets also work under
//! `wstd::runtime::block_on`, the async runtime of WASI 0.2 guests: there
//! the poll set's `wasi:io/poll` pollable is scheduled on wstd's reactor,
//! and [`sleep`] and [`timeout`] wait on wstd timers. Under any other
//! executor these futures panic with a message that says so (the
//! executors that can drive them are these two).
//!
//! ```no_run
//! use std::time::Duration;
//! use wasock::async_io::{AsyncReader, AsyncSocket, block_on, timeout};
//! use wasock::{SockAddr, SocketType, Protocol};
//!
//! fn main() -> wasock::Result<()> {
//!     block_on(async {
//!         let address: SockAddr = "127.0.0.1:7000".parse()?;
//!         let socket = AsyncSocket::new(address.family(), SocketType::Stream, Protocol::DEFAULT)?;
//!         timeout(Duration::from_secs(5), socket.connect(&address)).await??;
//!         socket.send_all(b"hello\n").await?;
//!         let mut reader = AsyncReader::new(&socket, 4096);
//!         let mut line = String::new();
//!         reader.read_line(&mut line).await?;
//!         println!("{line}");
//!         Ok(())
//!     })
//! }
//! ```

mod executor;
mod reactor;
mod reader;
mod socket;
mod time;
#[cfg(feature = "wstd")]
mod wstd_interop;

use std::task::Context;

pub use executor::{JoinHandle, block_on, spawn, yield_now};
pub use reader::AsyncReader;
pub use socket::{AsyncSocket, ReadHalf, WriteHalf};
pub use time::{Sleep, Timeout, sleep, timeout};

/// A task's socket is not ready and its waker is left with the source:
/// under this crate's [`block_on`] nothing more is needed; under another
/// executor, drive this reactor from that one's. Returns true when the
/// readiness should be looked at again.
fn drive_elsewhere(
    source: &reactor::Source,
    direction: reactor::Direction,
    cx: &mut Context<'_>,
) -> bool {
    if executor::is_running() {
        return false;
    }
    #[cfg(feature = "wstd")]
    {
        wstd_interop::drive(source, direction, cx)
    }
    #[cfg(not(feature = "wstd"))]
    {
        let _ = (source, direction, cx);
        panic!(
            "wasock async sockets need wasock::async_io::block_on (or the `wstd` feature under wstd's block_on)"
        )
    }
}
