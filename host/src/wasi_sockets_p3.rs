//! The WASI 0.3 `wasi:sockets` interfaces (`types`, `ip-name-lookup`),
//! served by wasmtime-wasi's `p3` implementation behind the same policy
//! and accounting as the 0.2 ones and the wasock interfaces.
//!
//! WASI 0.3 sockets are async functions and streams: a `connect` is one
//! subtask, `listen` returns a `stream<tcp-socket>` of accepted
//! connections, `receive` a `stream<u8>`. The checks sit where wasmtime-wasi
//! itself asks its socket address check, after the standard's own
//! validations, so a guest always gets the standard's code first
//! (`invalid-argument` for an unspecified remote address, say) and
//! `access-denied` only for what the policy refuses:
//!
//! - connect, send-to, bind (explicit and implicit) and listen go through
//!   [`Policy::check_connect`], [`Policy::check_bind`] and
//!   [`Policy::check_listen`], each refusal reported to the guest's sink;
//! - every socket takes a slot of the guest's one `--max-sockets` pool:
//!   `create`, and each connection a listener accepts (taken when the
//!   connection arrives; at the limit it is reset, as a full accept queue
//!   would, and the listener goes on);
//! - a UDP socket bound without a bind grant hears only from peers the
//!   connect grants cover (each socket has its own check, which knows how
//!   it was bound);
//! - buffer sizes are capped at the same ceiling as wasock's;
//! - `resolve-addresses` needs `--allow-dns` and a resolution slot, held
//!   until the resolver's thread ends even when the guest cancels the call.
//!
//! Errors never carry host text: wasmtime-wasi answers `other(none)` for
//! what the standard does not name.

use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use wasmtime::component::{Access, Accessor, FutureReader, Linker, Resource, StreamReader};
use wasmtime::{AsContextMut as _, StoreContextMut};
use wasmtime_wasi::p3::bindings::sockets::ip_name_lookup;
use wasmtime_wasi::p3::bindings::sockets::types::{
    self, Duration, ErrorCode, HostTcpSocket, HostTcpSocketWithStore, HostUdpSocket,
    HostUdpSocketWithStore, IpAddress, IpAddressFamily, IpSocketAddress,
};
use wasmtime_wasi::p3::sockets::{SocketError, SocketResult};
use wasmtime_wasi::sockets::{
    SocketAddrUse, TcpSocket, UdpSocket, WasiSockets, WasiSocketsCtx, WasiSocketsCtxView,
};

use crate::accounting::{SendBudget, Slot, Slots};
use crate::ctx::{HasWasock, WasockCtxView, WasockView};
use crate::policy::options::BUFFER_SIZE_CEILING;
use crate::policy::{BindGrant, Policy, Reporter};

/// Slots taken for connections a 0.3 listener accepted, not yet tied to
/// their resource: the guest's table gets the socket from wasmtime-wasi's
/// listen stream, so the slot is kept here and given back when a socket
/// without one of its own is dropped.
pub(crate) type AcceptedSlots = Arc<Mutex<Vec<Slot>>>;

/// What the 0.3 wrappers keep per guest.
#[derive(Default)]
pub(crate) struct P3Book {
    /// wasmtime-wasi's sockets state for 0.3 TCP sockets (its address
    /// check is this module's, with the accept accounting).
    pub(crate) ctx: WasiSocketsCtx,
    /// See [`AcceptedSlots`].
    pub(crate) accepted: AcceptedSlots,
    /// Each UDP socket's own state, by resource handle.
    pub(crate) udp: std::collections::HashMap<u32, Arc<UdpState>>,
}

/// The largest datagram (what wasmtime-wasi sends and receives at most).
const MAX_DATAGRAM: usize = u16::MAX as usize;

impl std::fmt::Debug for P3Book {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("P3Book")
            .field("udp", &self.udp.len())
            .finish_non_exhaustive()
    }
}

impl P3Book {
    /// The book for a guest under `policy` reporting to `reporter`, whose
    /// sockets take slots from `sockets`.
    pub(crate) fn new(policy: &Arc<Policy>, reporter: &Reporter, sockets: &Slots) -> Self {
        let accepted = AcceptedSlots::default();
        let check = Check {
            policy: policy.clone(),
            reporter: reporter.clone(),
            accept: Some((sockets.clone(), accepted.clone())),
            udp: None,
        };
        P3Book {
            ctx: check.into_ctx(),
            accepted,
            udp: Default::default(),
        }
    }
}

/// One UDP socket's state: how it was bound (under a bind grant, or
/// with the whole network inherited, it hears from anyone; otherwise only
/// from peers the connect grants cover, and the first datagram dropped is
/// reported), and its receives taken one at a time.
#[derive(Debug, Default)]
pub(crate) struct UdpState {
    granted: AtomicBool,
    drop_reported: AtomicBool,
    /// wasmtime-wasi gives each pending `receive` a 64 KiB buffer: a
    /// guest starting thousands at once on one socket would have the host
    /// hold thousands. Taken one at a time, a guest's receive buffers are
    /// at most 64 KiB × its sockets.
    receiving: tokio::sync::Mutex<()>,
}

/// The address check wasmtime-wasi calls before each use of an address,
/// after its own validations.
#[derive(Clone)]
struct Check {
    policy: Arc<Policy>,
    reporter: Reporter,
    /// For TCP: the slot pool accepted connections take from.
    accept: Option<(Slots, AcceptedSlots)>,
    /// For one UDP socket: how it was bound.
    udp: Option<Arc<UdpState>>,
}

impl Check {
    fn allows(&self, addr: SocketAddr, usage: SocketAddrUse) -> bool {
        let policy = &self.policy;
        let verdict = match usage {
            SocketAddrUse::TcpConnect | SocketAddrUse::UdpSend => policy.check_connect(&addr),
            SocketAddrUse::TcpBind | SocketAddrUse::UdpBind => {
                policy.check_bind(&addr, false).map(|grant| {
                    if grant == BindGrant::Granted
                        && let Some(udp) = &self.udp
                    {
                        udp.granted.store(true, Ordering::Relaxed);
                    }
                })
            }
            SocketAddrUse::TcpListen => policy.check_listen(&addr, false),
            SocketAddrUse::TcpAccept => return self.take_accept_slot(),
            SocketAddrUse::UdpReceive => return self.hears(addr),
        };
        match verdict {
            Ok(()) => true,
            Err(denial) => {
                self.reporter.denied(&denial);
                false
            }
        }
    }

    /// A connection a listener accepted keeps a slot, or is reset at the
    /// limit.
    fn take_accept_slot(&self) -> bool {
        let Some((sockets, accepted)) = &self.accept else {
            return false;
        };
        match sockets.take() {
            Some(slot) => {
                lock(accepted).push(slot);
                true
            }
            None => false,
        }
    }

    /// Whether a datagram from `source` reaches the guest.
    fn hears(&self, source: SocketAddr) -> bool {
        let granted = self
            .udp
            .as_ref()
            .is_some_and(|udp| udp.granted.load(Ordering::Relaxed));
        if granted || self.policy.inherits_network() || self.policy.check_inbound(&source) {
            return true;
        }
        if let Some(udp) = &self.udp
            && !udp.drop_reported.swap(true, Ordering::Relaxed)
        {
            self.reporter
                .denied(&crate::wasi_sockets::inbound_denial(&source));
        }
        false
    }

    /// A wasmtime-wasi sockets context whose address check is this one.
    fn into_ctx(self) -> WasiSocketsCtx {
        let mut builder = wasmtime_wasi::WasiCtx::builder();
        builder.allow_tcp(true);
        builder.allow_udp(true);
        builder.allow_ip_name_lookup(true);
        builder.socket_addr_check(move |addr, usage| {
            Box::pin(std::future::ready(self.allows(addr, usage)))
        });
        builder.build().sockets().clone()
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Adds the sandboxed WASI 0.3 `wasi:sockets` interfaces to `linker`,
/// replacing the ones `wasmtime_wasi::p3::add_to_linker` added.
pub(crate) fn add_to_linker<T: WasockView + 'static>(
    linker: &mut Linker<T>,
) -> wasmtime::Result<()> {
    linker.allow_shadowing(true);
    types::add_to_linker::<T, HasWasock>(linker, T::wasock)?;
    ip_name_lookup::add_to_linker::<T, HasWasock>(linker, T::wasock)?;
    linker.allow_shadowing(false);
    Ok(())
}

/// wasmtime-wasi's view of a guest's 0.3 sockets: the guest's table and
/// the 0.3 TCP context.
fn inner<T: WasockView>(data: &mut T) -> WasiSocketsCtxView<'_> {
    let view = data.wasock();
    WasiSocketsCtxView {
        ctx: &mut view.ctx.wasi_p3.ctx,
        table: view.table,
    }
}

/// `store` seen through wasmtime-wasi's own host type.
fn inner_access<'a, T: WasockView + 'static>(
    store: &'a mut Access<'_, T, HasWasock>,
) -> Access<'a, T, WasiSockets> {
    let context: StoreContextMut<'a, T> = store.as_context_mut();
    Access::<T, WasiSockets>::new(context, inner::<T>)
}

/// A buffer size at most the host's ceiling (as for wasock sockets).
fn capped_buffer(value: u64) -> u64 {
    value.min(BUFFER_SIZE_CEILING as u64)
}

/// The answer at `--max-sockets`: WASI 0.3 has no code of its own for it
/// (0.2's `new-socket-limit` is gone), so it is `other` with that name.
fn socket_limit() -> SocketError {
    ErrorCode::Other(Some("new-socket-limit".to_owned())).into()
}

impl WasockCtxView<'_> {
    fn p3(&mut self) -> WasiSocketsCtxView<'_> {
        WasiSocketsCtxView {
            ctx: &mut self.ctx.wasi_p3.ctx,
            table: self.table,
        }
    }

    /// Gives back the slot of the socket `rep`, dropped: its own, or one
    /// of a connection a listener accepted.
    fn release_p3_slot(&mut self, rep: u32) {
        if self.ctx.wasi.slots.remove(&rep).is_none() {
            lock(&self.ctx.wasi_p3.accepted).pop();
        }
    }
}

impl types::Host for WasockCtxView<'_> {
    fn convert_error_code(&mut self, error: SocketError) -> wasmtime::Result<ErrorCode> {
        types::Host::convert_error_code(&mut self.p3(), error)
    }
}

// ---- tcp-socket -----------------------------------------------------------

impl<T: WasockView + 'static> HostTcpSocketWithStore<T> for HasWasock {
    async fn connect(
        store: &Accessor<T, Self>,
        socket: Resource<TcpSocket>,
        remote_address: IpSocketAddress,
    ) -> SocketResult<()> {
        let inner = store.with_getter::<WasiSockets>(inner::<T>);
        <WasiSockets as HostTcpSocketWithStore<T>>::connect(&inner, socket, remote_address).await
    }

    async fn listen(
        mut store: Access<'_, T, Self>,
        socket: Resource<TcpSocket>,
    ) -> SocketResult<StreamReader<Resource<TcpSocket>>> {
        <WasiSockets as HostTcpSocketWithStore<T>>::listen(inner_access(&mut store), socket).await
    }

    fn send(
        mut store: Access<'_, T, Self>,
        socket: Resource<TcpSocket>,
        data: StreamReader<u8>,
    ) -> wasmtime::Result<FutureReader<Result<(), ErrorCode>>> {
        <WasiSockets as HostTcpSocketWithStore<T>>::send(inner_access(&mut store), socket, data)
    }

    fn receive(
        mut store: Access<'_, T, Self>,
        socket: Resource<TcpSocket>,
    ) -> wasmtime::Result<(StreamReader<u8>, FutureReader<Result<(), ErrorCode>>)> {
        <WasiSockets as HostTcpSocketWithStore<T>>::receive(inner_access(&mut store), socket)
    }
}

impl HostTcpSocket for WasockCtxView<'_> {
    async fn bind(
        &mut self,
        socket: Resource<TcpSocket>,
        local_address: IpSocketAddress,
    ) -> SocketResult<()> {
        HostTcpSocket::bind(&mut self.p3(), socket, local_address).await
    }

    fn create(&mut self, address_family: IpAddressFamily) -> SocketResult<Resource<TcpSocket>> {
        let slot = self.ctx.sockets.take().ok_or_else(socket_limit)?;
        let socket = HostTcpSocket::create(&mut self.p3(), address_family)?;
        self.ctx.wasi.slots.insert(socket.rep(), slot);
        Ok(socket)
    }

    fn get_local_address(&mut self, socket: Resource<TcpSocket>) -> SocketResult<IpSocketAddress> {
        HostTcpSocket::get_local_address(&mut self.p3(), socket)
    }

    fn get_remote_address(&mut self, socket: Resource<TcpSocket>) -> SocketResult<IpSocketAddress> {
        HostTcpSocket::get_remote_address(&mut self.p3(), socket)
    }

    fn get_is_listening(&mut self, socket: Resource<TcpSocket>) -> wasmtime::Result<bool> {
        HostTcpSocket::get_is_listening(&mut self.p3(), socket)
    }

    fn get_address_family(
        &mut self,
        socket: Resource<TcpSocket>,
    ) -> wasmtime::Result<IpAddressFamily> {
        HostTcpSocket::get_address_family(&mut self.p3(), socket)
    }

    fn set_listen_backlog_size(
        &mut self,
        socket: Resource<TcpSocket>,
        value: u64,
    ) -> SocketResult<()> {
        HostTcpSocket::set_listen_backlog_size(&mut self.p3(), socket, value)
    }

    fn get_keep_alive_enabled(&mut self, socket: Resource<TcpSocket>) -> SocketResult<bool> {
        HostTcpSocket::get_keep_alive_enabled(&mut self.p3(), socket)
    }

    fn set_keep_alive_enabled(
        &mut self,
        socket: Resource<TcpSocket>,
        value: bool,
    ) -> SocketResult<()> {
        HostTcpSocket::set_keep_alive_enabled(&mut self.p3(), socket, value)
    }

    fn get_keep_alive_idle_time(&mut self, socket: Resource<TcpSocket>) -> SocketResult<Duration> {
        HostTcpSocket::get_keep_alive_idle_time(&mut self.p3(), socket)
    }

    fn set_keep_alive_idle_time(
        &mut self,
        socket: Resource<TcpSocket>,
        value: Duration,
    ) -> SocketResult<()> {
        HostTcpSocket::set_keep_alive_idle_time(&mut self.p3(), socket, value)
    }

    fn get_keep_alive_interval(&mut self, socket: Resource<TcpSocket>) -> SocketResult<Duration> {
        HostTcpSocket::get_keep_alive_interval(&mut self.p3(), socket)
    }

    fn set_keep_alive_interval(
        &mut self,
        socket: Resource<TcpSocket>,
        value: Duration,
    ) -> SocketResult<()> {
        HostTcpSocket::set_keep_alive_interval(&mut self.p3(), socket, value)
    }

    fn get_keep_alive_count(&mut self, socket: Resource<TcpSocket>) -> SocketResult<u32> {
        HostTcpSocket::get_keep_alive_count(&mut self.p3(), socket)
    }

    fn set_keep_alive_count(
        &mut self,
        socket: Resource<TcpSocket>,
        value: u32,
    ) -> SocketResult<()> {
        HostTcpSocket::set_keep_alive_count(&mut self.p3(), socket, value)
    }

    fn get_hop_limit(&mut self, socket: Resource<TcpSocket>) -> SocketResult<u8> {
        HostTcpSocket::get_hop_limit(&mut self.p3(), socket)
    }

    fn set_hop_limit(&mut self, socket: Resource<TcpSocket>, value: u8) -> SocketResult<()> {
        HostTcpSocket::set_hop_limit(&mut self.p3(), socket, value)
    }

    fn get_receive_buffer_size(&mut self, socket: Resource<TcpSocket>) -> SocketResult<u64> {
        HostTcpSocket::get_receive_buffer_size(&mut self.p3(), socket)
    }

    fn set_receive_buffer_size(
        &mut self,
        socket: Resource<TcpSocket>,
        value: u64,
    ) -> SocketResult<()> {
        HostTcpSocket::set_receive_buffer_size(&mut self.p3(), socket, capped_buffer(value))
    }

    fn get_send_buffer_size(&mut self, socket: Resource<TcpSocket>) -> SocketResult<u64> {
        HostTcpSocket::get_send_buffer_size(&mut self.p3(), socket)
    }

    fn set_send_buffer_size(
        &mut self,
        socket: Resource<TcpSocket>,
        value: u64,
    ) -> SocketResult<()> {
        HostTcpSocket::set_send_buffer_size(&mut self.p3(), socket, capped_buffer(value))
    }

    fn drop(&mut self, socket: Resource<TcpSocket>) -> wasmtime::Result<()> {
        let rep = socket.rep();
        HostTcpSocket::drop(&mut self.p3(), socket)?;
        self.release_p3_slot(rep);
        Ok(())
    }
}

// ---- udp-socket -----------------------------------------------------------

impl<T: WasockView + 'static> HostUdpSocketWithStore<T> for HasWasock {
    async fn send(
        store: &Accessor<T, Self>,
        socket: Resource<UdpSocket>,
        data: Vec<u8>,
        remote_address: Option<IpSocketAddress>,
    ) -> SocketResult<()> {
        // A datagram too large fails at once, holding nothing; the others
        // count against the budget while they wait.
        let _held = if data.len() <= MAX_DATAGRAM {
            let sending = store.with(|mut access| access.get().ctx.pending_sends.clone());
            match SendBudget::take(sending, data.len()) {
                Some(held) => Some(held),
                None => return Err(ErrorCode::OutOfMemory.into()),
            }
        } else {
            None
        };
        let inner = store.with_getter::<WasiSockets>(inner::<T>);
        <WasiSockets as HostUdpSocketWithStore<T>>::send(&inner, socket, data, remote_address).await
    }

    async fn receive(
        store: &Accessor<T, Self>,
        socket: Resource<UdpSocket>,
    ) -> SocketResult<(Vec<u8>, IpSocketAddress)> {
        let state =
            store.with(|mut access| access.get().ctx.wasi_p3.udp.get(&socket.rep()).cloned());
        let _turn = match &state {
            Some(state) => Some(state.receiving.lock().await),
            None => None,
        };
        let inner = store.with_getter::<WasiSockets>(inner::<T>);
        <WasiSockets as HostUdpSocketWithStore<T>>::receive(&inner, socket).await
    }
}

impl HostUdpSocket for WasockCtxView<'_> {
    async fn bind(
        &mut self,
        socket: Resource<UdpSocket>,
        local_address: IpSocketAddress,
    ) -> SocketResult<()> {
        let grant = self.ctx.wasi_p3.udp.get(&socket.rep()).cloned();
        let before = grant
            .as_ref()
            .is_some_and(|g| g.granted.load(Ordering::Relaxed));
        let result = HostUdpSocket::bind(&mut self.p3(), socket, local_address).await;
        if result.is_err()
            && let Some(grant) = grant
        {
            // The check saw a granted address, but the socket is not bound
            // there.
            grant.granted.store(before, Ordering::Relaxed);
        }
        result
    }

    async fn connect(
        &mut self,
        socket: Resource<UdpSocket>,
        remote_address: IpSocketAddress,
    ) -> SocketResult<()> {
        HostUdpSocket::connect(&mut self.p3(), socket, remote_address).await
    }

    async fn create(
        &mut self,
        address_family: IpAddressFamily,
    ) -> SocketResult<Resource<UdpSocket>> {
        let slot = self.ctx.sockets.take().ok_or_else(socket_limit)?;
        // Each UDP socket gets its own address check (wasmtime-wasi keeps
        // the one it was created with), which knows how it was bound.
        let grant = Arc::new(UdpState::default());
        let mut ctx = Check {
            policy: self.ctx.policy.clone(),
            reporter: self.ctx.reporter.clone(),
            accept: None,
            udp: Some(grant.clone()),
        }
        .into_ctx();
        let mut view = WasiSocketsCtxView {
            ctx: &mut ctx,
            table: self.table,
        };
        let socket = HostUdpSocket::create(&mut view, address_family).await?;
        self.ctx.wasi.slots.insert(socket.rep(), slot);
        self.ctx.wasi_p3.udp.insert(socket.rep(), grant);
        Ok(socket)
    }

    fn disconnect(&mut self, socket: Resource<UdpSocket>) -> SocketResult<()> {
        HostUdpSocket::disconnect(&mut self.p3(), socket)
    }

    fn get_local_address(&mut self, socket: Resource<UdpSocket>) -> SocketResult<IpSocketAddress> {
        HostUdpSocket::get_local_address(&mut self.p3(), socket)
    }

    fn get_remote_address(&mut self, socket: Resource<UdpSocket>) -> SocketResult<IpSocketAddress> {
        HostUdpSocket::get_remote_address(&mut self.p3(), socket)
    }

    fn get_address_family(
        &mut self,
        socket: Resource<UdpSocket>,
    ) -> wasmtime::Result<IpAddressFamily> {
        HostUdpSocket::get_address_family(&mut self.p3(), socket)
    }

    fn get_unicast_hop_limit(&mut self, socket: Resource<UdpSocket>) -> SocketResult<u8> {
        HostUdpSocket::get_unicast_hop_limit(&mut self.p3(), socket)
    }

    fn set_unicast_hop_limit(
        &mut self,
        socket: Resource<UdpSocket>,
        value: u8,
    ) -> SocketResult<()> {
        HostUdpSocket::set_unicast_hop_limit(&mut self.p3(), socket, value)
    }

    fn get_receive_buffer_size(&mut self, socket: Resource<UdpSocket>) -> SocketResult<u64> {
        HostUdpSocket::get_receive_buffer_size(&mut self.p3(), socket)
    }

    fn set_receive_buffer_size(
        &mut self,
        socket: Resource<UdpSocket>,
        value: u64,
    ) -> SocketResult<()> {
        HostUdpSocket::set_receive_buffer_size(&mut self.p3(), socket, capped_buffer(value))
    }

    fn get_send_buffer_size(&mut self, socket: Resource<UdpSocket>) -> SocketResult<u64> {
        HostUdpSocket::get_send_buffer_size(&mut self.p3(), socket)
    }

    fn set_send_buffer_size(
        &mut self,
        socket: Resource<UdpSocket>,
        value: u64,
    ) -> SocketResult<()> {
        HostUdpSocket::set_send_buffer_size(&mut self.p3(), socket, capped_buffer(value))
    }

    fn drop(&mut self, socket: Resource<UdpSocket>) -> wasmtime::Result<()> {
        let rep = socket.rep();
        HostUdpSocket::drop(&mut self.p3(), socket)?;
        self.ctx.wasi.slots.remove(&rep);
        self.ctx.wasi_p3.udp.remove(&rep);
        Ok(())
    }
}

// ---- ip-name-lookup -------------------------------------------------------

impl ip_name_lookup::Host for WasockCtxView<'_> {}

impl<T: WasockView + 'static> ip_name_lookup::HostWithStore<T> for HasWasock {
    async fn resolve_addresses(
        store: &Accessor<T, Self>,
        name: String,
    ) -> wasmtime::Result<Result<Vec<IpAddress>, ip_name_lookup::ErrorCode>> {
        let admitted = store.with(|mut access| {
            let view = access.get();
            if let Err(denial) = view
                .ctx
                .policy
                .check_address_information(Some(&name), false)
            {
                view.ctx.reporter.denied(&denial);
                return Err(ip_name_lookup::ErrorCode::AccessDenied);
            }
            // The same per-guest limit on resolutions in flight as the other
            // paths.
            view.ctx
                .resolutions
                .take()
                .ok_or(ip_name_lookup::ErrorCode::TemporaryResolverFailure)
        });
        let slot = match admitted {
            Ok(slot) => slot,
            Err(code) => return Ok(Err(code)),
        };
        // The lookup runs on its own task, which holds the slot to the
        // resolver's end even when the guest cancels this call.
        let (answer, answered) = tokio::sync::oneshot::channel();
        tokio::spawn(async move {
            let result = lookup(name).await;
            drop(slot);
            let _ = answer.send(result);
        });
        // An answer (or error) for the guest, never a trap.
        Ok(answered
            .await
            .unwrap_or(Err(ip_name_lookup::ErrorCode::TemporaryResolverFailure)))
    }
}

/// `resolve-addresses` as wasmtime-wasi answers it: an IP address (with or
/// without brackets) at once, a domain name (punycoded) through the
/// system resolver, anything else `invalid-argument`.
async fn lookup(name: String) -> Result<Vec<IpAddress>, ip_name_lookup::ErrorCode> {
    // A name longer than any is refused before it is parsed (and copied).
    if name.len() > crate::resolve::NAME_BYTES_MAX {
        return Err(ip_name_lookup::ErrorCode::InvalidArgument);
    }
    let domain = match url::Host::parse(&name) {
        Ok(url::Host::Domain(domain)) => domain,
        Ok(url::Host::Ipv4(addr)) => return Ok(vec![IpAddr::V4(addr).into()]),
        Ok(url::Host::Ipv6(addr)) => return Ok(vec![IpAddr::V6(addr).into()]),
        Err(_) => match std::net::Ipv6Addr::from_str(&name) {
            Ok(addr) => return Ok(vec![IpAddr::V6(addr).into()]),
            Err(_) => return Err(ip_name_lookup::ErrorCode::InvalidArgument),
        },
    };
    let addresses = tokio::net::lookup_host((domain.as_str(), 0))
        .await
        .map_err(|_| ip_name_lookup::ErrorCode::NameUnresolvable)?;
    Ok(addresses
        .map(|address| IpAddress::from(address.ip().to_canonical()))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::accounting::PENDING_SEND_BUDGET;

    #[test]
    fn pending_udp_sends_hold_at_most_the_budget() {
        let pool = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let mut held = Vec::new();
        while let Some(budget) = SendBudget::take(pool.clone(), MAX_DATAGRAM) {
            held.push(budget);
        }
        assert_eq!(held.len(), PENDING_SEND_BUDGET / MAX_DATAGRAM);
        // What is left still takes a smaller datagram, not a larger one.
        let left = PENDING_SEND_BUDGET - held.len() * MAX_DATAGRAM;
        assert!(SendBudget::take(pool.clone(), left + 1).is_none());
        let last = SendBudget::take(pool.clone(), left).expect("the rest");
        assert_eq!(pool.load(Ordering::SeqCst), PENDING_SEND_BUDGET);
        drop(held);
        drop(last);
        assert_eq!(pool.load(Ordering::SeqCst), 0, "given back on drop");
        // Alone, a send larger than the whole budget still goes; beside
        // another, it does not.
        let alone = SendBudget::take(pool.clone(), 2 * PENDING_SEND_BUDGET).expect("alone");
        assert!(SendBudget::take(pool.clone(), 1).is_none());
        drop(alone);
        let small = SendBudget::take(pool.clone(), 1).expect("small");
        assert!(SendBudget::take(pool.clone(), PENDING_SEND_BUDGET).is_none());
        drop(small);
    }
}
