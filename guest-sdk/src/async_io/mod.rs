//! Async sockets for guests (cargo feature `async`): [`AsyncSocket`]
//! (accept, connect, [`AsyncSocket::connect_any`], receive and send with
//! their `_from` / `_to` forms, `futures-io`'s `AsyncRead` and
//! `AsyncWrite`, TLS handshakes with `AsyncSocket::tls_connect` and
//! `AsyncSocket::tls_accept` (not in the `p3` build); one task may receive while another sends,
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
//! With the `p3` feature (a guest built for WASI 0.3) the same API runs on
//! wit-bindgen's executor instead: each call that can wait is one `async
//! func` of `wasock:socket@0.2.0`, a subtask the host completes when the
//! socket is ready, and the executor waits for every subtask of the guest
//! (wasock's, `wasi:sockets@0.3.0`'s, timers) at once. [`async_main!`](crate::async_main)
//! exports `wasi:cli/run@0.3.0` and runs the program
//! there; [`block_on`] cannot block in a synchronous export and panics,
//! saying so. That build's [`AsyncSocket`] has no blocking
//! [`Socket`](crate::Socket) inside and no TLS, and adds
//! `receive_stream` / `send_stream`; `address_information` and
//! `name_information` are async functions of this module there.
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

mod halves;
mod join;
mod limit;
mod reader;

#[cfg(not(feature = "p3"))]
mod executor;
#[cfg(not(feature = "p3"))]
mod reactor;
#[cfg(not(feature = "p3"))]
mod socket;
#[cfg(not(feature = "p3"))]
mod time;
// A `p3` build's async code runs on wit-bindgen's executor: with `p3` on,
// `wstd` adds nothing.
#[cfg(all(feature = "wstd", not(feature = "p3")))]
mod wstd_interop;

#[cfg(feature = "p3")]
mod p3;

#[cfg(not(feature = "p3"))]
use std::task::Context;

#[cfg(not(feature = "p3"))]
pub use executor::{block_on, spawn, yield_now};
pub use join::JoinHandle;
pub use limit::{Timeout, timeout};
#[cfg(feature = "p3")]
#[doc(hidden)]
pub use p3::Running as __Running;
#[cfg(feature = "p3")]
pub use p3::{
    AsyncSocket, Sleep, address_information, block_on, listeners, name_information, sleep, spawn,
    yield_now,
};
pub use reader::AsyncReader;

/// The entry point of an async guest: `wasock::async_main!(start)`, where
/// `start` is an `async fn start()` of the guest's, defines `fn main` as
/// [`block_on`]`(start())`. With the SDK's `p3` feature it also exports
/// `wasi:cli/run@0.3.0`, whose task runs `start().await` on wit-bindgen's
/// executor: a host serving WASI 0.3 (the `wasock` host does) runs that
/// export, with no blocking wait in the guest, and the same source builds
/// for WASI 0.2 and 0.3.
///
/// ```no_run
/// use wasock::async_io::AsyncSocket;
/// use wasock::{Protocol, SockAddr, SocketType};
///
/// async fn start() {
///     if let Err(error) = run().await {
///         eprintln!("client: {error}");
///         std::process::exit(1);
///     }
/// }
///
/// async fn run() -> wasock::Result<()> {
///     let address: SockAddr = "127.0.0.1:7000".parse()?;
///     let socket = AsyncSocket::new(address.family(), SocketType::Stream, Protocol::DEFAULT)?;
///     socket.connect(&address).await?;
///     socket.send_all(b"hello\n").await
/// }
///
/// wasock::async_main!(start);
/// ```
#[cfg(not(feature = "p3"))]
#[macro_export]
macro_rules! async_main {
    ($start:path) => {
        fn main() {
            $crate::async_io::block_on($start())
        }
    };
}

/// The entry point of an async guest: `wasock::async_main!(start)`, where
/// `start` is an `async fn start()` of the guest's, defines `fn main` as
/// [`block_on`]`(start())` and exports `wasi:cli/run@0.3.0`, whose task
/// runs `start().await` on wit-bindgen's executor: a host serving WASI 0.3
/// (the `wasock` host does) runs that export, with no blocking wait in the
/// guest. Without the `p3` feature the same call defines only `fn main`,
/// so the same source builds for WASI 0.2 and 0.3.
#[cfg(feature = "p3")]
#[macro_export]
macro_rules! async_main {
    ($start:path) => {
        fn main() {
            $crate::async_io::block_on($start())
        }

        const _: () = {
            struct WasockRun;

            impl $crate::__p3_run::exports::wasi::cli::run::Guest for WasockRun {
                async fn run() -> ::std::result::Result<(), ()> {
                    let _running = $crate::async_io::__Running::enter();
                    $start().await;
                    Ok(())
                }
            }

    $crate::__p3_run::__export_run!(WasockRun with_types_in $crate::__p3_run);
        };
    };
}
pub use halves::{ReadHalf, WriteHalf};
#[cfg(not(feature = "p3"))]
pub use socket::{AsyncSocket, listeners};
#[cfg(not(feature = "p3"))]
pub use time::{Sleep, sleep};

#[cfg(not(feature = "p3"))]
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
