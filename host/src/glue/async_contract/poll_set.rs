//! `poll-set`: 0.1.0's sets; `wait` takes what is ready in the store and
//! waits for the set's descriptor outside it.

use std::time::Duration;

use wasmtime::component::{Accessor, Resource};

use super::super::poll_set::readiness_to_wit;
use super::{HostResult, in_store, interest, same_flags};
use crate::bindings::wasock::socket::poll_set as v1;
use crate::bindings_async::wasock::socket::{poll_set, socket};
use crate::ctx::{HasWasock, WasockView};
use crate::poll_set::PollSet;
use crate::socket::Socket;

fn trigger(trigger: poll_set::Trigger) -> v1::Trigger {
    match trigger {
        poll_set::Trigger::Level => v1::Trigger::Level,
        poll_set::Trigger::Edge => v1::Trigger::Edge,
    }
}

impl poll_set::Host for crate::ctx::WasockCtxView<'_> {}

impl poll_set::HostPollSet for crate::ctx::WasockCtxView<'_> {
    fn create(&mut self) -> HostResult<Resource<PollSet>> {
        v1::HostPollSet::create(self)
    }

    fn add(
        &mut self,
        this: Resource<PollSet>,
        socket: Resource<Socket>,
        wanted: socket::Interest,
        how: poll_set::Trigger,
        token: u64,
    ) -> HostResult<()> {
        v1::HostPollSet::add(self, this, socket, interest(wanted), trigger(how), token)
    }

    fn modify(
        &mut self,
        this: Resource<PollSet>,
        socket: Resource<Socket>,
        wanted: socket::Interest,
        how: poll_set::Trigger,
        token: u64,
    ) -> HostResult<()> {
        v1::HostPollSet::modify(self, this, socket, interest(wanted), trigger(how), token)
    }

    fn remove(&mut self, this: Resource<PollSet>, socket: Resource<Socket>) -> HostResult<()> {
        v1::HostPollSet::remove(self, this, socket)
    }

    fn len(&mut self, this: Resource<PollSet>) -> wasmtime::Result<u32> {
        v1::HostPollSet::len(self, this)
    }

    fn drop(&mut self, this: Resource<PollSet>) -> wasmtime::Result<()> {
        v1::HostPollSet::drop(self, this)
    }
}

impl<T: WasockView + 'static> poll_set::HostPollSetWithStore<T> for HasWasock {
    /// `epoll_wait(2)`: the events ready now, taken in the store; when
    /// there are none, a wait outside it for the set's descriptor, then
    /// again (another wait may have taken them), until the timeout.
    async fn wait(
        store: &Accessor<T, Self>,
        this: Resource<PollSet>,
        timeout: Option<u64>,
        max_events: u32,
    ) -> HostResult<Vec<poll_set::Event>> {
        let max_events = usize::try_from(max_events).unwrap_or(usize::MAX);
        let _call = in_store(store, |view| super::hold_call(view, "poll-set wait"))?;
        let deadline =
            timeout.map(|nanos| tokio::time::Instant::now() + Duration::from_nanos(nanos));
        loop {
            let (ready, watch) = in_store(store, |view| -> HostResult<_> {
                let set = view.table.get_mut(&this)?;
                Ok((set.wait_now(max_events)?, set.watch()))
            })?;
            if !ready.is_empty() || timeout == Some(0) {
                return Ok(ready
                    .into_iter()
                    .map(|event| poll_set::Event {
                        token: event.token,
                        readiness: same_flags!(
                            readiness_to_wit(event.ready), v1::Readiness => poll_set::Readiness:
                            READABLE, WRITABLE, HANG_UP, ERROR,
                        ),
                    })
                    .collect());
            }
            let ready = PollSet::wait_ready(&watch);
            match deadline {
                None => ready.await,
                Some(deadline) => {
                    if tokio::time::timeout_at(deadline, ready).await.is_err() {
                        // WIT: "An empty list means the timeout passed".
                        return Ok(Vec::new());
                    }
                }
            }
        }
    }
}
