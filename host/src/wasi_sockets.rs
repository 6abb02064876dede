//! The standard `wasi:sockets` interfaces (what `std::net` in a guest
//! uses), served by wasmtime-wasi's implementation behind the same policy
//! and accounting as the wasock interfaces.
//!
//! Each function of `wasi:sockets/{tcp,udp,tcp-create-socket,
//! udp-create-socket,ip-name-lookup}` is implemented on
//! [`WasockCtxView`] as a check and a hand-off to wasmtime-wasi's own
//! implementation: every address goes through the same [`Policy`] checks
//! as a wasock socket's (and is reported to the same sink), every socket
//! takes a slot of the same `--max-sockets` pool, buffer sizes are capped
//! at the same ceiling, and a UDP socket bound without a bind grant hears
//! only from peers its connect grants cover. wasmtime-wasi's own address
//! check (`socket_addr_check`) is set to the same policy as a second
//! line, for the binds it makes implicitly.
//!
//! Wrapping wasmtime-wasi rather than serving `wasi:sockets` from wasock's
//! socket layer keeps its state machines and streams (the part most easily
//! got subtly wrong) exactly as wasmtime ships them, while the sandbox
//! decisions stay in one module.
//!
//! [`Policy`]: crate::policy::Policy

use std::net::{IpAddr, Ipv6Addr, SocketAddr};

use wasmtime::component::{Linker, Resource};
use wasmtime_wasi::p2::bindings::sockets::network::{
    self, ErrorCode, IpAddressFamily, IpSocketAddress, Network,
};
use wasmtime_wasi::p2::bindings::sockets::{
    ip_name_lookup, tcp, tcp_create_socket, udp, udp_create_socket,
};
use wasmtime_wasi::p2::{DynPollable, SocketError, SocketResult, TcpSocket, UdpSocket};
use wasmtime_wasi::sockets::{SocketAddrUse, WasiSocketsCtx, WasiSocketsCtxView};
use wasmtime_wasi_io::streams::{DynInputStream, DynOutputStream};

use crate::ctx::{HasWasock, WasockCtxView, WasockView};
use crate::policy::options::BUFFER_SIZE_CEILING;
use crate::policy::{BindGrant, Denied, Operation, Policy};

use ip_name_lookup::ResolveAddressStream;

/// The `WasiSocketsCtx` for a guest under `policy`: TCP, UDP and name
/// lookup switched on (the wrappers here decide), and wasmtime-wasi's own
/// address check following the same policy.
pub(crate) fn wasi_sockets_ctx(policy: &std::sync::Arc<Policy>) -> WasiSocketsCtx {
    let mut builder = wasmtime_wasi::WasiCtx::builder();
    builder.allow_tcp(true);
    builder.allow_udp(true);
    builder.allow_ip_name_lookup(true);
    let policy = policy.clone();
    builder.socket_addr_check(move |addr, usage| {
        Box::pin(std::future::ready(second_line(&policy, addr, usage)))
    });
    builder.build().sockets().clone()
}

/// wasmtime-wasi's own check: the same rules, for what it checks itself
/// (the wrappers below have already checked and reported the rest).
fn second_line(policy: &Policy, addr: SocketAddr, usage: SocketAddrUse) -> bool {
    match usage {
        SocketAddrUse::TcpConnect | SocketAddrUse::UdpSend => policy.check_connect(&addr).is_ok(),
        SocketAddrUse::TcpBind | SocketAddrUse::UdpBind => policy.check_bind(&addr, false).is_ok(),
        SocketAddrUse::TcpListen => policy.check_listen(&addr, false).is_ok(),
        // A listener was granted its address; datagrams are filtered per
        // socket by the wrappers (who know how it was bound).
        SocketAddrUse::TcpAccept | SocketAddrUse::UdpReceive => true,
    }
}

/// Adds the sandboxed `wasi:sockets` interfaces to `linker`, replacing
/// the ones `wasmtime_wasi::p2::add_to_linker_async` added (shadowing is
/// switched on for this).
pub(crate) fn add_to_linker<T: WasockView + 'static>(
    linker: &mut Linker<T>,
) -> wasmtime::Result<()> {
    linker.allow_shadowing(true);
    tcp::add_to_linker::<T, HasWasock>(linker, T::wasock)?;
    tcp_create_socket::add_to_linker::<T, HasWasock>(linker, T::wasock)?;
    udp::add_to_linker::<T, HasWasock>(linker, T::wasock)?;
    udp_create_socket::add_to_linker::<T, HasWasock>(linker, T::wasock)?;
    ip_name_lookup::add_to_linker::<T, HasWasock>(linker, T::wasock)?;
    linker.allow_shadowing(false);
    Ok(())
}

impl WasockCtxView<'_> {
    /// wasmtime-wasi's view of the same table, for the hand-off.
    fn inner(&mut self) -> WasiSocketsCtxView<'_> {
        WasiSocketsCtxView {
            ctx: &mut self.ctx.wasi_sockets,
            table: self.table,
        }
    }

    /// Reports `denial` and answers `access-denied`.
    fn refuse(&self, denial: Denied) -> wasmtime_wasi::p2::SocketError {
        self.ctx.reporter.denied(&denial);
        ErrorCode::AccessDenied.into()
    }

    /// What the standard's checks of a datagram's address need to know of
    /// the UDP socket `outgoing` streams for: its family, and the peer it
    /// is connected to, if any. The stream is the socket's child in the
    /// table, which names no parent: the guest's sockets are searched for
    /// it (only when a send is refused). `None` where it is not found.
    fn outgoing_socket(
        &mut self,
        outgoing: &Resource<udp::OutgoingDatagramStream>,
    ) -> Option<(IpAddressFamily, Option<SocketAddr>)> {
        let stream: *const udp::OutgoingDatagramStream = self.table.get(outgoing).ok()?;
        let table = &*self.table;
        let parent = self.ctx.wasi.slots.keys().copied().find(|rep| {
            let socket = Resource::<UdpSocket>::new_borrow(*rep);
            table.iter_children(&socket).is_ok_and(|mut children| {
                children.any(|child| {
                    child
                        .downcast_ref::<udp::OutgoingDatagramStream>()
                        .is_some_and(|child| std::ptr::eq(child, stream))
                })
            })
        })?;
        let family =
            udp::HostUdpSocket::address_family(&mut self.inner(), Resource::new_borrow(parent))
                .ok()?;
        let connected =
            udp::HostUdpSocket::remote_address(&mut self.inner(), Resource::new_borrow(parent))
                .ok()
                .map(SocketAddr::from);
        Some((family, connected))
    }
}

// ---- wasi:sockets/network (only so the interfaces above link; wasmtime-wasi's
// own `network` stays in the linker) --------------------------------------------

impl network::Host for WasockCtxView<'_> {
    fn convert_error_code(
        &mut self,
        error: wasmtime_wasi::p2::SocketError,
    ) -> wasmtime::Result<ErrorCode> {
        network::Host::convert_error_code(&mut self.inner(), error)
    }

    fn network_error_code(
        &mut self,
        err: Resource<wasmtime::Error>,
    ) -> wasmtime::Result<Option<ErrorCode>> {
        network::Host::network_error_code(&mut self.inner(), err)
    }
}

impl network::HostNetwork for WasockCtxView<'_> {
    fn drop(&mut self, this: Resource<Network>) -> wasmtime::Result<()> {
        network::HostNetwork::drop(&mut self.inner(), this)
    }
}

// ---- wasi:sockets/tcp-create-socket and tcp ---------------------------------

impl tcp_create_socket::Host for WasockCtxView<'_> {
    fn create_tcp_socket(&mut self, family: IpAddressFamily) -> SocketResult<Resource<TcpSocket>> {
        let slot = self.ctx.sockets.take().ok_or(ErrorCode::NewSocketLimit)?;
        let socket = tcp_create_socket::Host::create_tcp_socket(&mut self.inner(), family)?;
        self.ctx.wasi.slots.insert(socket.rep(), slot);
        Ok(socket)
    }
}

impl tcp::Host for WasockCtxView<'_> {}

impl tcp::HostTcpSocket for WasockCtxView<'_> {
    async fn start_bind(
        &mut self,
        this: Resource<TcpSocket>,
        network: Resource<Network>,
        local_address: IpSocketAddress,
    ) -> SocketResult<()> {
        let addr = SocketAddr::from(local_address);
        if let Err(denial) = self.ctx.policy.check_bind(&addr, false) {
            return Err(self.refuse(denial));
        }
        tcp::HostTcpSocket::start_bind(&mut self.inner(), this, network, local_address).await
    }

    fn finish_bind(&mut self, this: Resource<TcpSocket>) -> SocketResult<()> {
        tcp::HostTcpSocket::finish_bind(&mut self.inner(), this)
    }

    fn start_connect(
        &mut self,
        this: Resource<TcpSocket>,
        network: Resource<Network>,
        remote_address: IpSocketAddress,
    ) -> SocketResult<()> {
        let remote = SocketAddr::from(remote_address);
        let family = tcp::HostTcpSocket::address_family(&mut self.inner(), borrow(&this))
            .map_err(SocketError::trap)?;
        // The standard's own answer first: wasmtime-wasi gives it before
        // its permission check and before any syscall.
        if !standard_refuses_tcp_peer(remote, family)
            && let Err(denial) = self.ctx.policy.check_connect(&remote)
        {
            return Err(self.refuse(denial));
        }
        tcp::HostTcpSocket::start_connect(&mut self.inner(), this, network, remote_address)
    }

    fn finish_connect(
        &mut self,
        this: Resource<TcpSocket>,
    ) -> SocketResult<(Resource<DynInputStream>, Resource<DynOutputStream>)> {
        tcp::HostTcpSocket::finish_connect(&mut self.inner(), this)
    }

    async fn start_listen(&mut self, this: Resource<TcpSocket>) -> SocketResult<()> {
        // WASI 0.2 listens only on a bound socket (wasmtime-wasi says
        // invalid-state otherwise); its address must be granted.
        if let Ok(local) =
            tcp::HostTcpSocket::local_address(&mut self.inner(), Resource::new_borrow(this.rep()))
            && let Err(denial) = self
                .ctx
                .policy
                .check_listen(&SocketAddr::from(local), false)
        {
            return Err(self.refuse(denial));
        }
        tcp::HostTcpSocket::start_listen(&mut self.inner(), this).await
    }

    fn finish_listen(&mut self, this: Resource<TcpSocket>) -> SocketResult<()> {
        tcp::HostTcpSocket::finish_listen(&mut self.inner(), this)
    }

    fn accept(
        &mut self,
        this: Resource<TcpSocket>,
    ) -> SocketResult<(
        Resource<TcpSocket>,
        Resource<DynInputStream>,
        Resource<DynOutputStream>,
    )> {
        let slot = self.ctx.sockets.take().ok_or(ErrorCode::NewSocketLimit)?;
        let accepted = tcp::HostTcpSocket::accept(&mut self.inner(), this)?;
        self.ctx.wasi.slots.insert(accepted.0.rep(), slot);
        Ok(accepted)
    }

    fn local_address(&mut self, this: Resource<TcpSocket>) -> SocketResult<IpSocketAddress> {
        tcp::HostTcpSocket::local_address(&mut self.inner(), this)
    }

    fn remote_address(&mut self, this: Resource<TcpSocket>) -> SocketResult<IpSocketAddress> {
        tcp::HostTcpSocket::remote_address(&mut self.inner(), this)
    }

    fn is_listening(&mut self, this: Resource<TcpSocket>) -> wasmtime::Result<bool> {
        tcp::HostTcpSocket::is_listening(&mut self.inner(), this)
    }

    fn address_family(&mut self, this: Resource<TcpSocket>) -> wasmtime::Result<IpAddressFamily> {
        tcp::HostTcpSocket::address_family(&mut self.inner(), this)
    }

    fn set_listen_backlog_size(
        &mut self,
        this: Resource<TcpSocket>,
        value: u64,
    ) -> SocketResult<()> {
        tcp::HostTcpSocket::set_listen_backlog_size(&mut self.inner(), this, value)
    }

    fn keep_alive_enabled(&mut self, this: Resource<TcpSocket>) -> SocketResult<bool> {
        tcp::HostTcpSocket::keep_alive_enabled(&mut self.inner(), this)
    }

    fn set_keep_alive_enabled(
        &mut self,
        this: Resource<TcpSocket>,
        value: bool,
    ) -> SocketResult<()> {
        tcp::HostTcpSocket::set_keep_alive_enabled(&mut self.inner(), this, value)
    }

    fn keep_alive_idle_time(&mut self, this: Resource<TcpSocket>) -> SocketResult<u64> {
        tcp::HostTcpSocket::keep_alive_idle_time(&mut self.inner(), this)
    }

    fn set_keep_alive_idle_time(
        &mut self,
        this: Resource<TcpSocket>,
        value: u64,
    ) -> SocketResult<()> {
        tcp::HostTcpSocket::set_keep_alive_idle_time(&mut self.inner(), this, value)
    }

    fn keep_alive_interval(&mut self, this: Resource<TcpSocket>) -> SocketResult<u64> {
        tcp::HostTcpSocket::keep_alive_interval(&mut self.inner(), this)
    }

    fn set_keep_alive_interval(
        &mut self,
        this: Resource<TcpSocket>,
        value: u64,
    ) -> SocketResult<()> {
        tcp::HostTcpSocket::set_keep_alive_interval(&mut self.inner(), this, value)
    }

    fn keep_alive_count(&mut self, this: Resource<TcpSocket>) -> SocketResult<u32> {
        tcp::HostTcpSocket::keep_alive_count(&mut self.inner(), this)
    }

    fn set_keep_alive_count(&mut self, this: Resource<TcpSocket>, value: u32) -> SocketResult<()> {
        tcp::HostTcpSocket::set_keep_alive_count(&mut self.inner(), this, value)
    }

    fn hop_limit(&mut self, this: Resource<TcpSocket>) -> SocketResult<u8> {
        tcp::HostTcpSocket::hop_limit(&mut self.inner(), this)
    }

    fn set_hop_limit(&mut self, this: Resource<TcpSocket>, value: u8) -> SocketResult<()> {
        tcp::HostTcpSocket::set_hop_limit(&mut self.inner(), this, value)
    }

    fn receive_buffer_size(&mut self, this: Resource<TcpSocket>) -> SocketResult<u64> {
        tcp::HostTcpSocket::receive_buffer_size(&mut self.inner(), this)
    }

    fn set_receive_buffer_size(
        &mut self,
        this: Resource<TcpSocket>,
        value: u64,
    ) -> SocketResult<()> {
        tcp::HostTcpSocket::set_receive_buffer_size(&mut self.inner(), this, capped_buffer(value))
    }

    fn send_buffer_size(&mut self, this: Resource<TcpSocket>) -> SocketResult<u64> {
        tcp::HostTcpSocket::send_buffer_size(&mut self.inner(), this)
    }

    fn set_send_buffer_size(&mut self, this: Resource<TcpSocket>, value: u64) -> SocketResult<()> {
        tcp::HostTcpSocket::set_send_buffer_size(&mut self.inner(), this, capped_buffer(value))
    }

    fn subscribe(&mut self, this: Resource<TcpSocket>) -> wasmtime::Result<Resource<DynPollable>> {
        tcp::HostTcpSocket::subscribe(&mut self.inner(), this)
    }

    fn shutdown(&mut self, this: Resource<TcpSocket>, how: tcp::ShutdownType) -> SocketResult<()> {
        tcp::HostTcpSocket::shutdown(&mut self.inner(), this, how)
    }

    fn drop(&mut self, this: Resource<TcpSocket>) -> wasmtime::Result<()> {
        let rep = this.rep();
        tcp::HostTcpSocket::drop(&mut self.inner(), this)?;
        self.ctx.wasi.slots.remove(&rep);
        Ok(())
    }
}

/// A buffer size at most the host's ceiling (as for wasock sockets).
fn capped_buffer(value: u64) -> u64 {
    value.min(BUFFER_SIZE_CEILING as u64)
}

// ---- wasi:sockets/udp-create-socket and udp ---------------------------------

impl udp_create_socket::Host for WasockCtxView<'_> {
    async fn create_udp_socket(
        &mut self,
        family: IpAddressFamily,
    ) -> SocketResult<Resource<UdpSocket>> {
        let slot = self.ctx.sockets.take().ok_or(ErrorCode::NewSocketLimit)?;
        let socket = udp_create_socket::Host::create_udp_socket(&mut self.inner(), family).await?;
        self.ctx.wasi.slots.insert(socket.rep(), slot);
        Ok(socket)
    }
}

impl udp::Host for WasockCtxView<'_> {}

impl udp::HostUdpSocket for WasockCtxView<'_> {
    async fn start_bind(
        &mut self,
        this: Resource<UdpSocket>,
        network: Resource<Network>,
        local_address: IpSocketAddress,
    ) -> SocketResult<()> {
        let rep = this.rep();
        let grant = match self
            .ctx
            .policy
            .check_bind(&SocketAddr::from(local_address), false)
        {
            Ok(grant) => grant,
            Err(denial) => return Err(self.refuse(denial)),
        };
        udp::HostUdpSocket::start_bind(&mut self.inner(), this, network, local_address).await?;
        if grant == BindGrant::Granted {
            self.ctx.wasi.granted_udp.insert(rep);
        }
        Ok(())
    }

    fn finish_bind(&mut self, this: Resource<UdpSocket>) -> SocketResult<()> {
        udp::HostUdpSocket::finish_bind(&mut self.inner(), this)
    }

    async fn stream(
        &mut self,
        this: Resource<UdpSocket>,
        remote_address: Option<IpSocketAddress>,
    ) -> SocketResult<(
        Resource<udp::IncomingDatagramStream>,
        Resource<udp::OutgoingDatagramStream>,
    )> {
        if let Some(remote) = remote_address.map(SocketAddr::from) {
            let family = udp::HostUdpSocket::address_family(&mut self.inner(), borrow(&this))
                .map_err(SocketError::trap)?;
            // The standard's own answer first, as for TCP's connect.
            if !standard_refuses_peer(remote, Some(family))
                && let Err(denial) = self.ctx.policy.check_connect(&remote)
            {
                return Err(self.refuse(denial));
            }
        }
        let granted = self.ctx.wasi.granted_udp.contains(&this.rep());
        let (incoming, outgoing) =
            udp::HostUdpSocket::stream(&mut self.inner(), this, remote_address).await?;
        if !granted && !self.ctx.policy.inherits_network() {
            self.ctx
                .wasi
                .filtered_incoming
                .insert(incoming.rep(), false);
        }
        Ok((incoming, outgoing))
    }

    fn local_address(&mut self, this: Resource<UdpSocket>) -> SocketResult<IpSocketAddress> {
        udp::HostUdpSocket::local_address(&mut self.inner(), this)
    }

    fn remote_address(&mut self, this: Resource<UdpSocket>) -> SocketResult<IpSocketAddress> {
        udp::HostUdpSocket::remote_address(&mut self.inner(), this)
    }

    fn address_family(&mut self, this: Resource<UdpSocket>) -> wasmtime::Result<IpAddressFamily> {
        udp::HostUdpSocket::address_family(&mut self.inner(), this)
    }

    fn unicast_hop_limit(&mut self, this: Resource<UdpSocket>) -> SocketResult<u8> {
        udp::HostUdpSocket::unicast_hop_limit(&mut self.inner(), this)
    }

    fn set_unicast_hop_limit(&mut self, this: Resource<UdpSocket>, value: u8) -> SocketResult<()> {
        udp::HostUdpSocket::set_unicast_hop_limit(&mut self.inner(), this, value)
    }

    fn receive_buffer_size(&mut self, this: Resource<UdpSocket>) -> SocketResult<u64> {
        udp::HostUdpSocket::receive_buffer_size(&mut self.inner(), this)
    }

    fn set_receive_buffer_size(
        &mut self,
        this: Resource<UdpSocket>,
        value: u64,
    ) -> SocketResult<()> {
        udp::HostUdpSocket::set_receive_buffer_size(&mut self.inner(), this, capped_buffer(value))
    }

    fn send_buffer_size(&mut self, this: Resource<UdpSocket>) -> SocketResult<u64> {
        udp::HostUdpSocket::send_buffer_size(&mut self.inner(), this)
    }

    fn set_send_buffer_size(&mut self, this: Resource<UdpSocket>, value: u64) -> SocketResult<()> {
        udp::HostUdpSocket::set_send_buffer_size(&mut self.inner(), this, capped_buffer(value))
    }

    fn subscribe(&mut self, this: Resource<UdpSocket>) -> wasmtime::Result<Resource<DynPollable>> {
        udp::HostUdpSocket::subscribe(&mut self.inner(), this)
    }

    fn drop(&mut self, this: Resource<UdpSocket>) -> wasmtime::Result<()> {
        let rep = this.rep();
        udp::HostUdpSocket::drop(&mut self.inner(), this)?;
        self.ctx.wasi.slots.remove(&rep);
        self.ctx.wasi.granted_udp.remove(&rep);
        Ok(())
    }
}

impl udp::HostIncomingDatagramStream for WasockCtxView<'_> {
    fn receive(
        &mut self,
        this: Resource<udp::IncomingDatagramStream>,
        max_results: u64,
    ) -> SocketResult<Vec<udp::IncomingDatagram>> {
        let rep = this.rep();
        let mut datagrams =
            udp::HostIncomingDatagramStream::receive(&mut self.inner(), this, max_results)?;
        if let Some(reported) = self.ctx.wasi.filtered_incoming.get(&rep).copied() {
            let policy = self.ctx.policy.clone();
            let mut first_dropped = None;
            datagrams.retain(|datagram| {
                let source = SocketAddr::from(datagram.remote_address);
                let keep = policy.check_inbound(&source);
                if !keep && first_dropped.is_none() {
                    first_dropped = Some(source);
                }
                keep
            });
            if let Some(source) = first_dropped
                && !reported
            {
                self.ctx.wasi.filtered_incoming.insert(rep, true);
                self.ctx.reporter.denied(&inbound_denial(&source));
            }
        }
        Ok(datagrams)
    }

    fn subscribe(
        &mut self,
        this: Resource<udp::IncomingDatagramStream>,
    ) -> wasmtime::Result<Resource<DynPollable>> {
        udp::HostIncomingDatagramStream::subscribe(&mut self.inner(), this)
    }

    fn drop(&mut self, this: Resource<udp::IncomingDatagramStream>) -> wasmtime::Result<()> {
        let rep = this.rep();
        udp::HostIncomingDatagramStream::drop(&mut self.inner(), this)?;
        self.ctx.wasi.filtered_incoming.remove(&rep);
        Ok(())
    }
}

// ---- The standard's own refusals ---------------------------------------------

/// Whether `wasi:sockets` itself refuses `remote` as the peer of a socket
/// of `family` (`None`: of either family), with `invalid-argument`; the
/// wrappers leave such a call to wasmtime-wasi, which answers so before
/// its permission check and before any syscall, so a guest gets the
/// standard's answer rather than `access-denied`. WIT (`connect`, `stream`,
/// `send`): "`invalid-argument`: The `remote-address` has the wrong
/// address family", "The IP address in `remote-address` is set to
/// INADDR_ANY (`0.0.0.0` / `::`)", "The port in `remote-address` is set to
/// 0"; wasmtime-wasi's rules (`is_valid_remote_address`,
/// `is_valid_address_family`, private there) also refuse IPv4-mapped and
/// the deprecated IPv4-compatible IPv6 addresses, on a socket of either
/// family. Not a sandbox check: were an address wrongly counted here,
/// wasmtime-wasi's own check (the policy again, [`second_line`]) would
/// still refuse it.
fn standard_refuses_peer(remote: SocketAddr, family: Option<IpAddressFamily>) -> bool {
    let unspecified = remote.ip().to_canonical().is_unspecified() || remote.port() == 0;
    let wrong_family = match remote.ip() {
        IpAddr::V4(_) => matches!(family, Some(IpAddressFamily::Ipv6)),
        IpAddr::V6(ip) => {
            let ipv4_compatible = matches!(ip.segments(), [0, 0, 0, 0, 0, 0, _, _])
                && ip != Ipv6Addr::UNSPECIFIED
                && ip != Ipv6Addr::LOCALHOST;
            matches!(family, Some(IpAddressFamily::Ipv4))
                || ip.to_ipv4_mapped().is_some()
                || ipv4_compatible
        }
    };
    unspecified || wrong_family
}

/// [`standard_refuses_peer`] for TCP's `connect`, which also refuses
/// (WIT) "`remote-address` is not a unicast address": multicast, or the
/// IPv4 broadcast address.
fn standard_refuses_tcp_peer(remote: SocketAddr, family: IpAddressFamily) -> bool {
    let not_unicast = match remote.ip().to_canonical() {
        IpAddr::V4(ip) => ip.is_multicast() || ip.is_broadcast(),
        IpAddr::V6(ip) => ip.is_multicast(),
    };
    not_unicast || standard_refuses_peer(remote, Some(family))
}

/// A borrow of `resource`, to ask wasmtime-wasi about it and still hand
/// it on.
fn borrow<T: 'static>(resource: &Resource<T>) -> Resource<T> {
    Resource::new_borrow(resource.rep())
}

/// The report of the first datagram a socket bound without a bind grant
/// dropped.
pub(crate) fn inbound_denial(source: &SocketAddr) -> Denied {
    Denied::new(
        Operation::Receive,
        source.to_string(),
        "the socket was not bound under an --allow-bind grant, and no --allow-connect grant covers the sender (dropped; further drops on this socket are not reported)",
    )
}

impl udp::HostOutgoingDatagramStream for WasockCtxView<'_> {
    fn check_send(&mut self, this: Resource<udp::OutgoingDatagramStream>) -> SocketResult<u64> {
        udp::HostOutgoingDatagramStream::check_send(&mut self.inner(), this)
    }

    fn send(
        &mut self,
        this: Resource<udp::OutgoingDatagramStream>,
        mut datagrams: Vec<udp::OutgoingDatagram>,
    ) -> SocketResult<u64> {
        // Datagrams up to the first refused one go; a refused first one is
        // the call's error (as a failed send would be). An address the
        // standard itself refuses is wasmtime-wasi's to answer
        // (`invalid-argument`, before its permission check).
        let policy = self.ctx.policy.clone();
        let remotes: Vec<Option<SocketAddr>> = datagrams
            .iter()
            .map(|datagram| datagram.remote_address.map(SocketAddr::from))
            .collect();
        let denied = |remote: &SocketAddr| policy.check_connect(remote).is_err();
        let socket = match remotes.iter().flatten().any(denied) {
            true => self.outgoing_socket(&this),
            false => None,
        };
        let refused = remotes.iter().position(|remote| {
            remote.is_some_and(|remote| {
                let standard_refuses = match socket {
                    Some((family, connected)) => {
                        standard_refuses_peer(remote, Some(family))
                            || connected.is_some_and(|peer| peer != remote)
                    }
                    None => standard_refuses_peer(remote, None),
                };
                !standard_refuses && denied(&remote)
            })
        });
        if let Some(index) = refused {
            if index == 0 {
                let remote = datagrams[0].remote_address.map(SocketAddr::from);
                if let Some(Err(denial)) = remote.map(|r| self.ctx.policy.check_connect(&r)) {
                    return Err(self.refuse(denial));
                }
            }
            datagrams.truncate(index);
        }
        udp::HostOutgoingDatagramStream::send(&mut self.inner(), this, datagrams)
    }

    fn subscribe(
        &mut self,
        this: Resource<udp::OutgoingDatagramStream>,
    ) -> wasmtime::Result<Resource<DynPollable>> {
        udp::HostOutgoingDatagramStream::subscribe(&mut self.inner(), this)
    }

    async fn drop(&mut self, this: Resource<udp::OutgoingDatagramStream>) -> wasmtime::Result<()> {
        udp::HostOutgoingDatagramStream::drop(&mut self.inner(), this).await
    }
}

// ---- wasi:sockets/ip-name-lookup --------------------------------------------

impl ip_name_lookup::Host for WasockCtxView<'_> {
    fn resolve_addresses(
        &mut self,
        network: Resource<Network>,
        name: String,
    ) -> SocketResult<Resource<ResolveAddressStream>> {
        if let Err(denial) = self
            .ctx
            .policy
            .check_address_information(Some(&name), false)
        {
            return Err(self.refuse(denial));
        }
        // WIT: "invalid-argument: `name` is a syntactically invalid domain
        // name": a name longer than any is refused before wasmtime-wasi
        // parses (and copies) it.
        if name.len() > crate::resolve::NAME_BYTES_MAX {
            return Err(ErrorCode::InvalidArgument.into());
        }
        // The same per-guest limit on resolutions in flight as wasock's
        // `address-information`: a lookup holds a slot until its resolver
        // thread ends, however early the guest drops the stream.
        let Some(slot) = self.ctx.resolutions.take() else {
            return Err(ErrorCode::TemporaryResolverFailure.into());
        };
        let stream = ip_name_lookup::Host::resolve_addresses(&mut self.inner(), network, name)?;
        let answered = {
            let pending = self.table.get_mut(&stream)?;
            resolved(pending)
        };
        if !answered {
            self.ctx.wasi.resolutions.insert(stream.rep(), slot);
        }
        Ok(stream)
    }
}

/// Whether the lookup behind `stream` has finished (a numeric name is
/// answered at once, without a resolver thread).
fn resolved(stream: &mut ResolveAddressStream) -> bool {
    let mut ready = std::pin::pin!(wasmtime_wasi_io::poll::Pollable::ready(stream));
    let mut context = std::task::Context::from_waker(std::task::Waker::noop());
    ready.as_mut().poll(&mut context).is_ready()
}

impl ip_name_lookup::HostResolveAddressStream for WasockCtxView<'_> {
    fn resolve_next_address(
        &mut self,
        this: Resource<ResolveAddressStream>,
    ) -> SocketResult<Option<wasmtime_wasi::p2::bindings::sockets::network::IpAddress>> {
        let rep = this.rep();
        let next =
            ip_name_lookup::HostResolveAddressStream::resolve_next_address(&mut self.inner(), this);
        let still_running = matches!(
            &next,
            Err(error) if matches!(error.downcast_ref(), Some(ErrorCode::WouldBlock))
        );
        if !still_running {
            // The resolver has answered: its thread is done.
            self.ctx.wasi.resolutions.remove(&rep);
        }
        next
    }

    fn subscribe(
        &mut self,
        this: Resource<ResolveAddressStream>,
    ) -> wasmtime::Result<Resource<DynPollable>> {
        ip_name_lookup::HostResolveAddressStream::subscribe(&mut self.inner(), this)
    }

    fn drop(&mut self, this: Resource<ResolveAddressStream>) -> wasmtime::Result<()> {
        let slot = self.ctx.wasi.resolutions.remove(&this.rep());
        let mut stream = self.table.delete(this)?;
        // A lookup the guest gave up on keeps its thread (and so its slot)
        // until the resolver answers.
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                runtime.spawn(async move {
                    wasmtime_wasi_io::poll::Pollable::ready(&mut stream).await;
                    drop((stream, slot));
                });
            }
            Err(_) => drop((stream, slot)),
        }
        Ok(())
    }
}
