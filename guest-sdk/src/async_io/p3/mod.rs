//! The `p3` build of [`async_io`](super): the same API on wit-bindgen's
//! executor and `wasock:socket@0.2.0`, the contract for the component
//! model's async. A pending call is a subtask the host completes; the
//! executor waits for every subtask of the guest (wasock's, `wasi:http`'s,
//! `wasi:sockets@0.3.0`'s, timers) in one `waitable-set.wait`.

mod socket;

use std::cell::Cell;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use super::JoinHandle;
use crate::addr::SockAddr;
use crate::error::Result;
use crate::p3_bindings::wasi::clocks::monotonic_clock;
use crate::p3_bindings::wasock::socket::resolve as wit;
use crate::resolve::{AddrInfo, AddrInfoHints, NameInfoFlags, Service};

pub use socket::{AsyncSocket, listeners};

thread_local! {
    /// Whether the `wasi:cli/run@0.3.0` export of
    /// [`async_main!`](crate::async_main) is running here.
    static RUNNING: Cell<bool> = const { Cell::new(false) };
}

/// Marks this thread as inside the export's task until the guard is
/// dropped: [`async_main!`](crate::async_main)'s export is entered once.
#[doc(hidden)]
#[derive(Debug)]
pub struct Running(());

impl Running {
    /// Enters; panics if already inside.
    #[doc(hidden)]
    pub fn enter() -> Running {
        assert!(
            !RUNNING.with(|running| running.replace(true)),
            "wasock::async_main!'s export entered twice"
        );
        Running(())
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        RUNNING.with(|running| running.set(false));
    }
}

/// What [`block_on`] says in a `p3` build.
const NO_BLOCK_ON: &str = "wasock::async_io::block_on cannot run in a guest built with the `p3` \
feature: the component model does not let a synchronous export (`fn main`, WASI 0.2's `run`) \
block before it returns (wasmtime traps: \"cannot block a synchronous task before returning\"). \
Start the program with `wasock::async_main!(start)`: its `wasi:cli/run@0.3.0` export runs \
`start()` as an async task, which a host serving WASI 0.3 (`wasock run`) calls";

/// In a `p3` build this panics, saying why: the component model does not
/// let a synchronous export (`fn main`, run by WASI 0.2's
/// `wasi:cli/run`) block before it returns, and wasmtime traps where it
/// would (`waitable-set.wait` in a synchronous task). A WASI 0.3 guest's
/// async code runs in an async export's task instead:
/// [`async_main!`](crate::async_main) exports `wasi:cli/run@0.3.0` and runs
/// the program there, on wit-bindgen's executor, with no blocking wait
/// in the guest.
///
/// # Panics
/// Always, with that explanation.
pub fn block_on<F>(future: F) -> F::Output
where
    F: Future,
{
    drop(future);
    panic!("{NO_BLOCK_ON}")
}

/// Starts `future` as a task of wit-bindgen's executor
/// (`wit_bindgen::spawn_local`): it runs beside the task that spawned it,
/// and its output is what the returned [`JoinHandle`] resolves to.
/// Dropping the handle lets the task run on, detached.
pub fn spawn<F>(future: F) -> JoinHandle<F::Output>
where
    F: Future + 'static,
    F::Output: 'static,
{
    let (task, handle) = super::join::task(future);
    wit_bindgen::spawn_local(task);
    handle
}

/// Lets other tasks run before this one goes on.
pub async fn yield_now() {
    wit_bindgen::yield_async().await
}

/// A future that is ready once its deadline has passed: a
/// `wasi:clocks@0.3.0` `wait-until`, a subtask of the host's.
#[must_use = "futures do nothing unless awaited"]
pub struct Sleep {
    deadline: u64,
    wait: Option<Pin<Box<dyn Future<Output = ()>>>>,
}

impl fmt::Debug for Sleep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sleep")
            .field("deadline", &self.deadline)
            .finish_non_exhaustive()
    }
}

/// Waits `duration` (from now, on the `wasi:clocks@0.3.0` monotonic
/// clock), letting other tasks run.
pub fn sleep(duration: Duration) -> Sleep {
    crate::require_wasm();
    let nanos = u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX);
    Sleep {
        deadline: monotonic_clock::now().saturating_add(nanos),
        wait: None,
    }
}

impl Future for Sleep {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let deadline = self.deadline;
        self.wait
            .get_or_insert_with(|| Box::pin(monotonic_clock::wait_until(deadline)))
            .as_mut()
            .poll(cx)
    }
}

/// `getaddrinfo(3)` as a subtask: the spec's `address-information`
/// (as [`crate::address_information`], the same arguments and results),
/// which lets the guest's other tasks run while the host's resolver works.
pub async fn address_information(
    node: Option<&str>,
    service: Option<&str>,
    hints: &AddrInfoHints,
) -> Result<Vec<AddrInfo>> {
    crate::require_wasm();
    let list = wit::address_information(
        node.map(str::to_owned),
        service.map(str::to_owned),
        crate::resolve::hints_to_wit(hints),
        None,
    )
    .await?;
    Ok(list.into_iter().map(AddrInfo::from).collect())
}

/// `getnameinfo(3)` as a subtask: the spec's `name-information` (as
/// [`crate::name_information`]).
pub async fn name_information(
    address: &SockAddr,
    flags: NameInfoFlags,
) -> Result<(String, Service)> {
    crate::require_wasm();
    let info = wit::name_information(address.into(), flags.into(), None).await?;
    Ok(crate::resolve::name_info_from_wit(info))
}
