//! The glue of `wasock:socket@0.2.0`, the contract for the component
//! model's async, over the same sockets, policy and accounting as
//! 0.1.0's glue (the parent module).
//!
//! A call that cannot block is 0.1.0's, converted where the two bindings'
//! types differ (the `types` interface is shared). A call that can block
//! is an `async func`: a concurrent host function, given an `Accessor`,
//! that must not hold the store across a wait. Each runs in three steps:
//!
//! 1. in the store (`Accessor::with`): the table lookup, the policy's
//!    checks and the syscall that does not wait, the same helpers as
//!    0.1.0's (`start_connect`, `start_accept`, ...); what the wait needs
//!    is taken out of the socket ([`SocketIo`](crate::socket::SocketIo):
//!    the reactor registration, `Arc`-shared with the socket, and its
//!    inbound filter);
//! 2. outside the store: the wait and the syscall that follows it, under
//!    the call's own timeout;
//! 3. in the store again where the socket's state or the table changes
//!    (a connect finished, an accepted socket pushed).
//!
//! Because nothing is held across the wait, a guest may have several
//! calls pending on one socket, and `close` may run while one waits: it
//! shuts the socket down so they answer now, and the descriptor (and its
//! `--max-sockets` slot) goes when the last of them lets go of it.
//!
//! - this module: conversions and `socket`;
//! - `streams`: `receive-stream` and `send-stream`;
//! - `resolve`: `resolve`;
//! - `poll_set`: `poll-set`.

mod poll_set;
mod resolve;
mod streams;

use wasmtime::component::{Accessor, Resource};

use super::socket::{finish_accept, finish_connect, start_accept, start_connect};
use super::{HostResult, destination, open_in, timeout};
use crate::bindings::wasock::socket::socket as v1;
use crate::bindings::wasock::socket::types;
use crate::bindings_async::wasock::socket::socket;
use crate::ctx::{HasWasock, WasockView};
use crate::error::{Error, HostError};
use crate::socket::Socket;

/// The same flags in the two contracts' bindings, flag by flag.
macro_rules! same_flags {
    ($value:expr, $from:ty => $to:ty: $($flag:ident),+ $(,)?) => {{
        let value = $value;
        let mut converted = <$to>::empty();
        $(
            if value.contains(<$from>::$flag) {
                converted |= <$to>::$flag;
            }
        )+
        converted
    }};
}
pub(super) use same_flags;

fn send_flags(flags: socket::SendFlags) -> crate::socket::SendFlags {
    super::convert::send_flags(same_flags!(
        flags, socket::SendFlags => v1::SendFlags:
        OOB, DONT_ROUTE, DONT_WAIT, END_OF_RECORD, MORE,
    ))
}

fn receive_flags(flags: socket::ReceiveFlags) -> crate::socket::RecvFlags {
    super::convert::receive_flags(same_flags!(
        flags, socket::ReceiveFlags => v1::ReceiveFlags:
        PEEK, OOB, WAIT_ALL, DONT_WAIT,
    ))
}

fn interest(interest: socket::Interest) -> v1::Interest {
    same_flags!(interest, socket::Interest => v1::Interest: READABLE, WRITABLE)
}

/// A sent length as the WIT's `u32`.
fn sent(length: usize) -> u32 {
    u32::try_from(length).unwrap_or(u32::MAX)
}

impl socket::Host for crate::ctx::WasockCtxView<'_> {
    fn constant_value(&mut self, name: String) -> wasmtime::Result<Option<i32>> {
        v1::Host::constant_value(self, name)
    }

    fn constants(&mut self) -> wasmtime::Result<Vec<socket::Constant>> {
        Ok(v1::Host::constants(self)?
            .into_iter()
            .map(|constant| socket::Constant {
                name: constant.name,
                value: constant.value,
            })
            .collect())
    }

    fn listeners(&mut self) -> HostResult<Vec<Resource<Socket>>> {
        v1::Host::listeners(self)
    }
}

/// The calls whose arguments and results are the same in both
/// contracts: 0.1.0's.
macro_rules! as_in_v1 {
    ($($name:ident($($arg:ident: $ty:ty),*) -> $ret:ty;)*) => {
        $(
            fn $name(&mut self, this: Resource<Socket>, $($arg: $ty),*) -> $ret {
                v1::HostSocket::$name(self, this, $($arg),*)
            }
        )*
    };
}

impl socket::HostSocket for crate::ctx::WasockCtxView<'_> {
    async fn create(
        &mut self,
        family: types::AddressFamily,
        kind: types::SocketType,
        protocol: u16,
    ) -> HostResult<Resource<Socket>> {
        v1::HostSocket::create(self, family, kind, protocol).await
    }

    fn shutdown(&mut self, this: Resource<Socket>, how: socket::ShutdownHow) -> HostResult<()> {
        let how = match how {
            socket::ShutdownHow::Receive => v1::ShutdownHow::Receive,
            socket::ShutdownHow::Send => v1::ShutdownHow::Send,
            socket::ShutdownHow::Both => v1::ShutdownHow::Both,
        };
        v1::HostSocket::shutdown(self, this, how)
    }

    fn drop(&mut self, this: Resource<Socket>) -> wasmtime::Result<()> {
        v1::HostSocket::drop(self, this)
    }

    as_in_v1! {
        family() -> wasmtime::Result<types::AddressFamily>;
        socket_type() -> wasmtime::Result<types::SocketType>;
        protocol() -> wasmtime::Result<u16>;
        bind(address: types::SocketAddress) -> HostResult<()>;
        listen(backlog: u32) -> HostResult<()>;
        accept_ready() -> HostResult<bool>;
        name() -> HostResult<Option<types::SocketAddress>>;
        peer_name() -> HostResult<Option<types::SocketAddress>>;
        receive_ready() -> HostResult<bool>;
        so_accept_connections() -> HostResult<bool>;
        so_broadcast() -> HostResult<bool>;
        set_so_broadcast(value: bool) -> HostResult<()>;
        so_debug() -> HostResult<bool>;
        set_so_debug(value: bool) -> HostResult<()>;
        so_dont_route() -> HostResult<bool>;
        set_so_dont_route(value: bool) -> HostResult<()>;
        so_error() -> HostResult<Option<types::Error>>;
        so_keep_alive() -> HostResult<bool>;
        set_so_keep_alive(value: bool) -> HostResult<()>;
        so_linger() -> HostResult<Option<u32>>;
        set_so_linger(value: Option<u32>) -> HostResult<()>;
        so_oob_inline() -> HostResult<bool>;
        set_so_oob_inline(value: bool) -> HostResult<()>;
        so_receive_buffer() -> HostResult<u32>;
        set_so_receive_buffer(value: u32) -> HostResult<()>;
        so_receive_low_water() -> HostResult<u32>;
        set_so_receive_low_water(value: u32) -> HostResult<()>;
        so_reuse_address() -> HostResult<bool>;
        set_so_reuse_address(value: bool) -> HostResult<()>;
        so_send_buffer() -> HostResult<u32>;
        set_so_send_buffer(value: u32) -> HostResult<()>;
        so_send_low_water() -> HostResult<u32>;
        set_so_send_low_water(value: u32) -> HostResult<()>;
        so_type() -> HostResult<types::SocketType>;
        tcp_keep_alive() -> HostResult<u32>;
        set_tcp_keep_alive(value: u32) -> HostResult<()>;
        tcp_max_segment_size() -> HostResult<u32>;
        set_tcp_max_segment_size(value: u32) -> HostResult<()>;
        tcp_no_delay() -> HostResult<bool>;
        set_tcp_no_delay(value: bool) -> HostResult<()>;
        tcp_no_options() -> HostResult<bool>;
        set_tcp_no_options(value: bool) -> HostResult<()>;
        tcp_no_push() -> HostResult<bool>;
        set_tcp_no_push(value: bool) -> HostResult<()>;
        ip_header_included() -> HostResult<bool>;
        set_ip_header_included(value: bool) -> HostResult<()>;
        ip_time_to_live() -> HostResult<u8>;
        set_ip_time_to_live(value: u8) -> HostResult<()>;
        ip_type_of_service() -> HostResult<u8>;
        set_ip_type_of_service(value: u8) -> HostResult<()>;
        ipv6_v6_only() -> HostResult<bool>;
        set_ipv6_v6_only(value: bool) -> HostResult<()>;
        get_option_int(level: i32, name: i32) -> HostResult<i32>;
        get_option_bytes(level: i32, name: i32, max_length: u32) -> HostResult<Vec<u8>>;
        set_option_int(level: i32, name: i32, value: i32) -> HostResult<()>;
        set_option_bytes(level: i32, name: i32, value: Vec<u8>) -> HostResult<()>;
    }
}

/// Runs `f` on the guest's wasock view, in the store.
fn in_store<T: WasockView + 'static, R>(
    store: &Accessor<T, HasWasock>,
    f: impl FnOnce(&mut crate::ctx::WasockCtxView<'_>) -> R,
) -> R {
    store.with(|mut access| f(&mut access.get()))
}

/// Holds a pending send's bytes against the guest's budget (one for
/// every 0.3 send path, `crate::accounting::PENDING_SEND_BUDGET`): under
/// the component model's async a guest may have any number of sends
/// waiting, each with its own copy of its data; past the budget a send
/// answers `out-of-memory` at once and its copy is freed.
fn hold_send(
    view: &crate::ctx::WasockCtxView<'_>,
    operation: &str,
    data: &[u8],
) -> Result<crate::accounting::SendBudget, Error> {
    crate::accounting::SendBudget::take(view.ctx.pending_sends.clone(), data.len()).ok_or_else(
        || {
            Error::new(
                crate::error::ErrorClass::Fatal,
                crate::error::ErrorCode::OutOfMemory,
                format!(
                    "{operation}: the guest's pending sends already hold {} KiB on the host; wait for one to finish",
                    crate::accounting::PENDING_SEND_BUDGET >> 10
                ),
            )
        },
    )
}

/// Holds one pending call against the guest's limit
/// (`crate::accounting::PENDING_CALLS_PER_SOCKET` × `--max-sockets`):
/// past it the call answers `out-of-memory` at once, holding nothing.
pub(super) fn hold_call(
    view: &crate::ctx::WasockCtxView<'_>,
    operation: &str,
) -> Result<crate::accounting::PendingCall, Error> {
    crate::accounting::PendingCall::take(view.ctx.pending_calls.clone(), view.ctx.pending_call_limit)
        .ok_or_else(|| {
            Error::new(
                crate::error::ErrorClass::Fatal,
                crate::error::ErrorCode::OutOfMemory,
                format!(
                    "{operation}: the guest already has {} calls pending ({} per socket it may hold); wait for one to finish",
                    view.ctx.pending_call_limit,
                    crate::accounting::PENDING_CALLS_PER_SOCKET
                ),
            )
        })
}

/// A socket with TLS on it cannot be reached through this contract (it
/// has no `tls` interface), but says so rather than bypass the records.
fn without_tls(socket: &Socket, operation: &str) -> Result<(), Error> {
    if socket.is_tls() {
        return Err(Error::invalid_state(
            operation,
            "the socket carries TLS to its peer (wasock:socket@0.1.0's tls)",
        ));
    }
    Ok(())
}

impl<T: WasockView + 'static> socket::HostSocketWithStore<T> for HasWasock {
    async fn connect(
        store: &Accessor<T, Self>,
        this: Resource<Socket>,
        address: types::SocketAddress,
        timeout_nanos: Option<u64>,
    ) -> HostResult<()> {
        let (started, _call) = in_store(store, |view| -> HostResult<_> {
            let call = hold_call(view, "connect")?;
            Ok((start_connect(view, &this, address)?, call))
        })?;
        let result = match &started.pending {
            Some(pending) => pending.wait(timeout(timeout_nanos)).await,
            None => Ok(()),
        };
        in_store(store, |view| finish_connect(view, &this, started, result))
    }

    async fn accept(
        store: &Accessor<T, Self>,
        this: Resource<Socket>,
        timeout_nanos: Option<u64>,
    ) -> HostResult<Resource<Socket>> {
        let (accepting, slot, _call) = in_store(store, |view| -> HostResult<_> {
            let call = hold_call(view, "accept")?;
            let (accepting, slot) = start_accept(view, &this)?;
            Ok((accepting, slot, call))
        })?;
        let accepted = accepting.accept(timeout(timeout_nanos)).await?;
        in_store(store, |view| {
            finish_accept(view, &accepting, accepted, slot)
        })
    }

    async fn close(store: &Accessor<T, Self>, this: Resource<Socket>) -> HostResult<()> {
        // Not held against the limit of pending calls: a guest at it
        // closes sockets to end the calls pending on them (and a socket
        // closes once).
        let closing = in_store(store, |view| -> HostResult<_> {
            super::poll_set::forget_socket(view, &this).map_err(HostError::Trap)?;
            Ok(view.table.get_mut(&this)?.start_close())
        })?;
        Ok(closing.finish().await?)
    }

    async fn send(
        store: &Accessor<T, Self>,
        this: Resource<Socket>,
        data: Vec<u8>,
        flags: socket::SendFlags,
        timeout_nanos: Option<u64>,
    ) -> HostResult<u32> {
        const OP: &str = "send";
        let (io, _held, _call) = in_store(store, |view| -> HostResult<_> {
            let call = hold_call(view, OP)?;
            let socket = open_in(view.table, &this, OP)?;
            without_tls(socket, OP)?;
            Ok((socket.io(OP)?, hold_send(view, OP, &data)?, call))
        })?;
        let length = io
            .send(&data, send_flags(flags), timeout(timeout_nanos))
            .await?;
        Ok(sent(length))
    }

    async fn send_to(
        store: &Accessor<T, Self>,
        this: Resource<Socket>,
        data: Vec<u8>,
        address: types::SocketAddress,
        flags: socket::SendFlags,
        timeout_nanos: Option<u64>,
    ) -> HostResult<u32> {
        const OP: &str = "send-to";
        // The checked destination (for a unix path, the checked inode its
        // address names) lives until the send is made.
        let (io, target, _held, _call) = in_store(store, |view| -> HostResult<_> {
            let call = hold_call(view, OP)?;
            let (policy, reporter) = (&*view.ctx.policy, &view.ctx.reporter);
            let socket = open_in(view.table, &this, OP)?;
            let target = destination(policy, reporter, OP, socket.family(), address)?;
            let io = socket.send_to_io()?;
            Ok((io, target, hold_send(view, OP, &data)?, call))
        })?;
        let length = io
            .send_to(&data, &target.os, send_flags(flags), timeout(timeout_nanos))
            .await?;
        Ok(sent(length))
    }

    async fn receive(
        store: &Accessor<T, Self>,
        this: Resource<Socket>,
        max_length: u32,
        flags: socket::ReceiveFlags,
        timeout_nanos: Option<u64>,
    ) -> HostResult<Vec<u8>> {
        const OP: &str = "receive";
        let (io, _call) = in_store(store, |view| -> HostResult<_> {
            let call = hold_call(view, OP)?;
            let socket = open_in(view.table, &this, OP)?;
            let io = socket.receive_io(OP, max_length)?;
            without_tls(socket, OP)?;
            Ok((io, call))
        })?;
        let (data, _, _) = io
            .receive(
                OP,
                false,
                max_length,
                receive_flags(flags),
                timeout(timeout_nanos),
            )
            .await?;
        Ok(data)
    }

    async fn receive_from(
        store: &Accessor<T, Self>,
        this: Resource<Socket>,
        max_length: u32,
        flags: socket::ReceiveFlags,
        timeout_nanos: Option<u64>,
    ) -> HostResult<socket::ReceivedFrom> {
        const OP: &str = "receive-from";
        let (io, policy, _call) = in_store(store, |view| -> HostResult<_> {
            let call = hold_call(view, OP)?;
            let socket = open_in(view.table, &this, OP)?;
            let io = socket.receive_io(OP, max_length)?;
            without_tls(socket, OP)?;
            Ok((io, view.ctx.policy.clone(), call))
        })?;
        let (data, source, truncated) = io
            .receive(
                OP,
                true,
                max_length,
                receive_flags(flags),
                timeout(timeout_nanos),
            )
            .await?;
        Ok(socket::ReceivedFrom {
            data,
            address: source.and_then(|source| super::convert::to_wit(&source, &policy)),
            truncated,
        })
    }

    fn receive_stream(
        store: wasmtime::component::Access<'_, T, Self>,
        this: Resource<Socket>,
    ) -> wasmtime::Result<(
        wasmtime::component::StreamReader<u8>,
        wasmtime::component::FutureReader<Result<(), types::Error>>,
    )> {
        streams::receive_stream(store, this)
    }

    fn send_stream(
        store: wasmtime::component::Access<'_, T, Self>,
        this: Resource<Socket>,
        data: wasmtime::component::StreamReader<u8>,
    ) -> wasmtime::Result<wasmtime::component::FutureReader<Result<(), types::Error>>> {
        streams::send_stream(store, this, data)
    }
}
