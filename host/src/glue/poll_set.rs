//! The glue of the `poll-set` interface: for each WIT function a table
//! lookup, a limit check, and a hand-off to `crate::poll_set`.
//!
//! A set is named in the guest's [`Memberships`](crate::poll_set::Memberships)
//! by its resource handle, so that closing or dropping a socket
//! ([`forget_socket`], called by the socket glue) removes it from every set
//! it is in before its descriptor closes.

use std::os::fd::{AsRawFd, RawFd};
use std::time::Duration;

use wasmtime::component::{Resource, ResourceTable};
use wasmtime_wasi::p2::{DynPollable, Pollable};

use crate::bindings::wasock::socket::{poll_set, socket};
use crate::ctx::WasockCtxView;
use crate::error::HostError;
use crate::poll_set::{PollSet, Ready, Registration, SetWatch, Trigger};
use crate::socket::{Readiness, Socket};

type HostResult<T> = Result<T, HostError>;

/// The descriptor of the open socket `socket` (fails with `closed`).
fn descriptor(
    table: &ResourceTable,
    socket: &Resource<Socket>,
    operation: &str,
) -> HostResult<RawFd> {
    Ok(table.get(socket)?.os_socket(operation)?.as_raw_fd())
}

fn registration(
    interest: socket::Interest,
    trigger: poll_set::Trigger,
    token: u64,
) -> Registration {
    Registration {
        interest: Readiness {
            readable: interest.contains(socket::Interest::READABLE),
            writable: interest.contains(socket::Interest::WRITABLE),
        },
        trigger: match trigger {
            poll_set::Trigger::Level => Trigger::Level,
            poll_set::Trigger::Edge => Trigger::Edge,
        },
        token,
    }
}

pub(super) fn readiness_to_wit(ready: Ready) -> poll_set::Readiness {
    let mut readiness = poll_set::Readiness::empty();
    if ready.readable {
        readiness |= poll_set::Readiness::READABLE;
    }
    if ready.writable {
        readiness |= poll_set::Readiness::WRITABLE;
    }
    if ready.hang_up {
        readiness |= poll_set::Readiness::HANG_UP;
    }
    if ready.error {
        readiness |= poll_set::Readiness::ERROR;
    }
    readiness
}

/// Removes the socket `socket` from every set it is in: called before its
/// descriptor closes (`close`, drop). Nothing to do for a closed socket,
/// whose close already did it.
pub(crate) fn forget_socket(
    view: &mut WasockCtxView<'_>,
    socket: &Resource<Socket>,
) -> wasmtime::Result<()> {
    if view.ctx.poll_sets.registrations() == 0 {
        return Ok(());
    }
    let socket = view.table.get(socket)?;
    if socket.is_closed() {
        return Ok(());
    }
    let Ok(os) = socket.os_socket("close") else {
        return Ok(());
    };
    let fd = os.as_raw_fd();
    for set in view.ctx.poll_sets.take(fd) {
        if let Ok(set) = view.table.get_mut(&Resource::<PollSet>::new_borrow(set)) {
            // The descriptor is still open, so this removes this socket's
            // item and no other; an error leaves the kernel to drop the
            // item at close.
            let _ = set.remove(fd);
        }
    }
    Ok(())
}

/// Has every set the socket `socket` is in ask its watch for bytes the
/// host holds for it: called once TLS is on it (see
/// [`PollSet::watch_held`]).
pub(crate) fn watch_held(
    view: &mut WasockCtxView<'_>,
    socket: &Resource<Socket>,
) -> wasmtime::Result<()> {
    let socket = view.table.get(socket)?;
    let Ok(os) = socket.os_socket("tls") else {
        return Ok(());
    };
    let fd = os.as_raw_fd();
    let watch = socket.watch();
    for set in view.ctx.poll_sets.sets_of(fd) {
        if let Ok(set) = view.table.get_mut(&Resource::<PollSet>::new_borrow(set)) {
            set.watch_held(fd, watch.clone());
        }
    }
    Ok(())
}

/// Forgets the registrations of `fd`, whose socket closed inside a call
/// (registering it again with the reactor failed): the kernel took it out
/// of every epoll set when it closed, and a later socket may get the same
/// number.
pub(crate) fn forget_descriptor(view: &mut WasockCtxView<'_>, fd: Option<RawFd>) {
    let Some(fd) = fd else { return };
    for set in view.ctx.poll_sets.take(fd) {
        if let Ok(set) = view.table.get_mut(&Resource::<PollSet>::new_borrow(set)) {
            set.forget(fd);
        }
    }
}

/// The `wasi:io/poll` pollable of a set's `subscribe`.
struct SetReadiness(SetWatch);

#[wasmtime_wasi_io::async_trait]
impl Pollable for SetReadiness {
    async fn ready(&mut self) {
        PollSet::wait_ready(&self.0).await
    }
}

impl poll_set::Host for WasockCtxView<'_> {}

impl poll_set::HostPollSet for WasockCtxView<'_> {
    fn create(&mut self) -> HostResult<Resource<PollSet>> {
        const OP: &str = "poll-set create";
        self.ctx.poll_sets.reserve_set(OP)?;
        let set = match PollSet::create() {
            Ok(set) => set,
            Err(error) => {
                self.ctx.poll_sets.set_dropped(u32::MAX, []);
                return Err(error.into());
            }
        };
        match self.table.push(set) {
            Ok(resource) => Ok(resource),
            Err(error) => {
                self.ctx.poll_sets.set_dropped(u32::MAX, []);
                Err(error.into())
            }
        }
    }

    fn add(
        &mut self,
        this: Resource<PollSet>,
        socket: Resource<Socket>,
        interest: socket::Interest,
        trigger: poll_set::Trigger,
        token: u64,
    ) -> HostResult<()> {
        const OP: &str = "poll-set add";
        let fd = descriptor(self.table, &socket, OP)?;
        let set = self.table.get_mut(&this)?;
        if !set.contains(fd) {
            // Each registration is a kernel item and two map entries: a
            // guest holds at most twice its socket limit.
            let limit = self.ctx.policy.max_sockets().saturating_mul(2);
            self.ctx.poll_sets.check_room(OP, limit)?;
        }
        set.add(fd, registration(interest, trigger, token))?;
        let socket = self.table.get(&socket)?;
        if socket.is_tls() {
            let watch = socket.watch();
            self.table.get_mut(&this)?.watch_held(fd, watch);
        }
        self.ctx.poll_sets.joined(fd, this.rep());
        Ok(())
    }

    fn modify(
        &mut self,
        this: Resource<PollSet>,
        socket: Resource<Socket>,
        interest: socket::Interest,
        trigger: poll_set::Trigger,
        token: u64,
    ) -> HostResult<()> {
        const OP: &str = "poll-set modify";
        let fd = descriptor(self.table, &socket, OP)?;
        let set = self.table.get_mut(&this)?;
        Ok(set.modify(fd, registration(interest, trigger, token))?)
    }

    fn remove(&mut self, this: Resource<PollSet>, socket: Resource<Socket>) -> HostResult<()> {
        const OP: &str = "poll-set remove";
        let fd = descriptor(self.table, &socket, OP)?;
        let set = self.table.get_mut(&this)?;
        if !set.remove(fd)? {
            return Err(
                crate::error::Error::invalid_argument(OP, "the socket is not in this set").into(),
            );
        }
        self.ctx.poll_sets.left(fd, this.rep());
        Ok(())
    }

    async fn wait(
        &mut self,
        this: Resource<PollSet>,
        timeout: Option<u64>,
        max_events: u32,
    ) -> HostResult<Vec<poll_set::Event>> {
        let set = self.table.get_mut(&this)?;
        let max_events = usize::try_from(max_events).unwrap_or(usize::MAX);
        let ready = set
            .wait(timeout.map(Duration::from_nanos), max_events)
            .await?;
        Ok(ready
            .into_iter()
            .map(|event| poll_set::Event {
                token: event.token,
                readiness: readiness_to_wit(event.ready),
            })
            .collect())
    }

    fn len(&mut self, this: Resource<PollSet>) -> wasmtime::Result<u32> {
        let set = self.table.get(&this)?;
        Ok(u32::try_from(set.len()).unwrap_or(u32::MAX))
    }

    fn subscribe(&mut self, this: Resource<PollSet>) -> wasmtime::Result<Resource<DynPollable>> {
        let watch = self.table.get(&this)?.watch();
        let readiness = self.table.push(SetReadiness(watch))?;
        wasmtime_wasi::p2::subscribe(self.table, readiness)
    }

    fn drop(&mut self, this: Resource<PollSet>) -> wasmtime::Result<()> {
        let rep = this.rep();
        let set = self.table.delete(this)?;
        self.ctx.poll_sets.set_dropped(rep, set.descriptors());
        Ok(())
    }
}
