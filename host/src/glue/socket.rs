//! `socket::Host` and `socket::HostSocket`: socket creation and every
//! call on a socket, each a lookup, the policy's check and a hand-off to
//! `crate::socket`.

use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};

use socket2::SockAddr;
use wasmtime::component::Resource;
use wasmtime_wasi::p2::{DynPollable, Pollable};

use super::convert::{self, GuestAddress};
use super::convert::{
    error_to_wit, family_from_wit, family_to_wit, kind_from_wit, kind_to_wit, receive_flags,
    send_flags,
};
use super::options::typed_options;
use super::{
    HostResult, client_filter, denied, destination, ensure_open, guest_address, open_in, timeout,
    unix_refusal,
};
use crate::accounting::Slot;
use crate::bindings::wasock::socket::{socket, types};
use crate::constants;
use crate::ctx::WasockCtxView;
use crate::error::{Error, ErrorCode, HostError};
use crate::options;
use crate::policy::BindGrant;
use crate::socket::{
    Accepting, Family, Kind, PendingConnect, Readiness, ShutdownHow, Socket, State,
};

impl socket::Host for WasockCtxView<'_> {
    fn constant_value(&mut self, name: String) -> wasmtime::Result<Option<i32>> {
        Ok(constants::value(&name))
    }

    fn constants(&mut self) -> wasmtime::Result<Vec<socket::Constant>> {
        Ok(constants::CONSTANTS
            .iter()
            .map(|(name, value)| socket::Constant {
                name: (*name).to_string(),
                value: *value,
            })
            .collect())
    }

    fn listeners(&mut self) -> HostResult<Vec<Resource<Socket>>> {
        // WIT: "The first call takes them; later calls return an empty
        // list." Each keeps the slot it took when the guest was given it.
        let mut taken = Vec::new();
        for (listener, slot) in std::mem::take(&mut self.ctx.listeners) {
            let family = listener.family();
            let os = listener
                .into_socket()
                .map_err(|e| Error::io("listeners", &e))?;
            let socket = Socket::listening(family, os)?.with_slot(slot);
            taken.push(self.table.push(socket)?);
        }
        Ok(taken)
    }
}

/// A connect whose syscall ran ([`start_connect`]).
pub(super) struct StartedConnect {
    /// The wait still to do (none: connected, or failed at once).
    pub(super) pending: Option<PendingConnect>,
    /// The guest's name of the unix peer, to remember once connected.
    unix_peer: Option<String>,
}

/// The checks and the syscall of `connect`: what is left is the wait,
/// which needs nothing of the store.
pub(super) fn start_connect(
    view: &mut WasockCtxView<'_>,
    this: &Resource<Socket>,
    address: types::SocketAddress,
) -> HostResult<StartedConnect> {
    const OP: &str = "connect";
    let (policy, reporter) = (&*view.ctx.policy, &view.ctx.reporter);
    let socket = open_in(view.table, this, OP)?;
    let target = destination(policy, reporter, OP, socket.family(), address)?;
    let fd = socket
        .os_socket(OP)
        .ok()
        .map(std::os::fd::AsRawFd::as_raw_fd);
    let started = socket.start_connect(&target.os);
    if started.is_err() && socket.is_closed() {
        // Registering again with the reactor failed and closed it.
        super::poll_set::forget_descriptor(view, fd);
    }
    Ok(StartedConnect {
        pending: started?,
        unix_peer: target.unix.map(|unix| unix.guest_path().to_owned()),
    })
}

/// The end of `connect` after its wait ended with `result`.
pub(super) fn finish_connect(
    view: &mut WasockCtxView<'_>,
    this: &Resource<Socket>,
    started: StartedConnect,
    result: Result<(), Error>,
) -> HostResult<()> {
    let socket = view.table.get_mut(this)?;
    if let Some(pending) = &started.pending {
        socket.finish_connect(pending, result)?;
    }
    if let Some(unix_peer) = started.unix_peer {
        socket.set_unix_peer(unix_peer);
    }
    Ok(())
}

/// The checks of `accept` and the new socket's slot, before the wait.
pub(super) fn start_accept(
    view: &mut WasockCtxView<'_>,
    this: &Resource<Socket>,
) -> HostResult<(Accepting, Slot)> {
    const OP: &str = "accept";
    ensure_open(view.table.get(this)?, OP)?;
    let slot = view.ctx.socket_slot(OP)?;
    Ok((view.table.get(this)?.accepting()?, slot))
}

/// The accepted connection as the guest's new socket.
pub(super) fn finish_accept(
    view: &mut WasockCtxView<'_>,
    accepting: &Accepting,
    accepted: std::os::fd::OwnedFd,
    slot: Slot,
) -> HostResult<Resource<Socket>> {
    let socket = accepting.socket(accepted)?.with_slot(slot);
    Ok(view.table.push(socket)?)
}

/// The `wasi:io/poll` pollable of `subscribe`: waits on the socket's
/// readiness without keeping a closed socket open.
struct SocketReadiness {
    watch: crate::socket::Watch,
    interest: Readiness,
}

#[wasmtime_wasi_io::async_trait]
impl Pollable for SocketReadiness {
    async fn ready(&mut self) {
        Socket::wait_ready(&self.watch, self.interest).await
    }
}

impl socket::HostSocket for WasockCtxView<'_> {
    async fn create(
        &mut self,
        family: types::AddressFamily,
        socket_type: types::SocketType,
        protocol: u16,
    ) -> HostResult<Resource<Socket>> {
        const OP: &str = "socket";
        let Some(family) = family_from_wit(family) else {
            return Err(Error::unsupported(
                OP,
                ErrorCode::AddressFamilyNotSupported,
                "af/unspec is no socket family",
            )
            .into());
        };
        let kind = kind_from_wit(socket_type);
        self.ctx
            .policy
            .check_create(family, kind, protocol)
            .map_err(|refusal| denied(&self.ctx.reporter, OP, refusal))?;
        let slot = self.ctx.socket_slot(OP)?;
        let mut socket = Socket::create(family, kind, protocol)?.with_slot(slot);
        // An inet datagram socket hears only from its connect grants until
        // a bind grant says otherwise.
        if kind == Kind::Dgram && family != Family::Unix && !self.ctx.policy.inherits_network() {
            socket.set_inbound_filter(Some(client_filter(&self.ctx.policy, &self.ctx.reporter)));
        }
        Ok(self.table.push(socket)?)
    }

    fn family(&mut self, this: Resource<Socket>) -> wasmtime::Result<types::AddressFamily> {
        Ok(family_to_wit(self.table.get(&this)?.family()))
    }

    fn socket_type(&mut self, this: Resource<Socket>) -> wasmtime::Result<types::SocketType> {
        Ok(kind_to_wit(self.table.get(&this)?.kind()))
    }

    fn protocol(&mut self, this: Resource<Socket>) -> wasmtime::Result<u16> {
        Ok(self.table.get(&this)?.protocol())
    }

    async fn connect(
        &mut self,
        this: Resource<Socket>,
        address: types::SocketAddress,
        timeout_nanos: Option<u64>,
    ) -> HostResult<()> {
        let started = start_connect(self, &this, address)?;
        let result = match &started.pending {
            Some(pending) => pending.wait(timeout(timeout_nanos)).await,
            None => Ok(()),
        };
        finish_connect(self, &this, started, result)
    }

    fn bind(&mut self, this: Resource<Socket>, address: types::SocketAddress) -> HostResult<()> {
        const OP: &str = "bind";
        let (policy, reporter) = (&*self.ctx.policy, &self.ctx.reporter);
        let socket = open_in(self.table, &this, OP)?;
        match guest_address(OP, socket.family(), address)? {
            GuestAddress::Ip(ip) => {
                let dual_stack = socket.is_dual_stack()?;
                let grant = policy
                    .check_bind(&ip, dual_stack)
                    .map_err(|refusal| denied(reporter, OP, refusal))?;
                socket.bind(&SockAddr::from(ip))?;
                if grant == BindGrant::Granted {
                    socket.set_inbound_filter(None);
                }
            }
            GuestAddress::Unix(path) => {
                let target = policy
                    .unix_bind(&path)
                    .map_err(|refusal| unix_refusal(reporter, OP, refusal))?;
                let os = target
                    .os_address()
                    .map_err(|e| Error::invalid_argument(OP, e))?;
                socket.bind(&os)?;
                socket.attach_bound_file(target.into_bound_file());
            }
        }
        Ok(())
    }

    fn listen(&mut self, this: Resource<Socket>, backlog: u32) -> HostResult<()> {
        const OP: &str = "listen";
        let (policy, reporter) = (&*self.ctx.policy, &self.ctx.reporter);
        let socket = open_in(self.table, &this, OP)?;
        // Only a stream listens: a datagram socket gets the OS's
        // operation-not-supported below, not a policy refusal. A unix
        // socket was bound inside its granted directory. A socket already
        // listening was allowed to (or is one the host opened for the
        // guest: `listeners`); listening again only changes the backlog.
        if socket.kind() == Kind::Stream
            && socket.family() != Family::Unix
            && socket.state() != State::Listening
        {
            let local = if socket.state() == State::Created {
                // listen(2) on an unbound socket binds it to the
                // unspecified address and a free port.
                match socket.family() {
                    Family::Inet6 => SocketAddr::from((Ipv6Addr::UNSPECIFIED, 0)),
                    _ => SocketAddr::from((Ipv4Addr::UNSPECIFIED, 0)),
                }
            } else {
                socket
                    .local_address()?
                    .as_socket()
                    .ok_or_else(|| Error::invalid_state(OP, "the socket has no inet address"))?
            };
            let dual_stack = socket.is_dual_stack()?;
            policy
                .check_listen(&local, dual_stack)
                .map_err(|refusal| denied(reporter, OP, refusal))?;
        }
        let fd = socket
            .os_socket(OP)
            .ok()
            .map(std::os::fd::AsRawFd::as_raw_fd);
        let result = socket.listen(backlog);
        if result.is_err() && socket.is_closed() {
            super::poll_set::forget_descriptor(self, fd);
        }
        Ok(result?)
    }

    async fn accept(
        &mut self,
        this: Resource<Socket>,
        timeout_nanos: Option<u64>,
    ) -> HostResult<Resource<Socket>> {
        let (accepting, slot) = start_accept(self, &this)?;
        let accepted = accepting.accept(timeout(timeout_nanos)).await?;
        finish_accept(self, &accepting, accepted, slot)
    }

    fn accept_ready(&mut self, this: Resource<Socket>) -> HostResult<bool> {
        Ok(open_in(self.table, &this, "accept-ready")?.accept_ready()?)
    }

    fn shutdown(&mut self, this: Resource<Socket>, how: socket::ShutdownHow) -> HostResult<()> {
        let how = match how {
            socket::ShutdownHow::Receive => ShutdownHow::Read,
            socket::ShutdownHow::Send => ShutdownHow::Write,
            socket::ShutdownHow::Both => ShutdownHow::Both,
        };
        Ok(open_in(self.table, &this, "shutdown")?.shutdown(how)?)
    }

    async fn close(&mut self, this: Resource<Socket>) -> HostResult<()> {
        super::poll_set::forget_socket(self, &this).map_err(HostError::Trap)?;
        Ok(self.table.get_mut(&this)?.close().await?)
    }

    fn name(&mut self, this: Resource<Socket>) -> HostResult<Option<types::SocketAddress>> {
        let policy = &*self.ctx.policy;
        let socket = open_in(self.table, &this, "name")?;
        if socket.family() == Family::Unix {
            // The guest's name for what it bound (the OS would show how
            // the host reached the directory).
            return Ok(socket
                .bound_file()
                .map(|file| types::SocketAddress::Unix(file.guest_path().to_owned())));
        }
        let local = socket.local_address()?;
        Ok(convert::bound_name(&local, policy))
    }

    fn peer_name(&mut self, this: Resource<Socket>) -> HostResult<Option<types::SocketAddress>> {
        let policy = &*self.ctx.policy;
        let socket = open_in(self.table, &this, "peer-name")?;
        let peer = socket.peer_address()?;
        if let (Some(_), Some(name)) = (&peer, socket.unix_peer()) {
            return Ok(Some(types::SocketAddress::Unix(name.to_owned())));
        }
        let in_process = socket.family() == Family::Unix && socket.peer_in_this_process();
        Ok(peer.and_then(|peer| convert::peer_to_wit(&peer, policy, in_process)))
    }

    async fn send(
        &mut self,
        this: Resource<Socket>,
        data: Vec<u8>,
        flags: socket::SendFlags,
        timeout_nanos: Option<u64>,
    ) -> HostResult<u32> {
        let socket = open_in(self.table, &this, "send")?;
        let sent = socket
            .send(&data, send_flags(flags), timeout(timeout_nanos))
            .await?;
        Ok(u32::try_from(sent).unwrap_or(u32::MAX))
    }

    async fn send_to(
        &mut self,
        this: Resource<Socket>,
        data: Vec<u8>,
        address: types::SocketAddress,
        flags: socket::SendFlags,
        timeout_nanos: Option<u64>,
    ) -> HostResult<u32> {
        const OP: &str = "send-to";
        let (policy, reporter) = (&*self.ctx.policy, &self.ctx.reporter);
        let socket = open_in(self.table, &this, OP)?;
        let target = destination(policy, reporter, OP, socket.family(), address)?;
        let sent = socket
            .send_to(&data, &target.os, send_flags(flags), timeout(timeout_nanos))
            .await?;
        Ok(u32::try_from(sent).unwrap_or(u32::MAX))
    }

    async fn receive(
        &mut self,
        this: Resource<Socket>,
        max_length: u32,
        flags: socket::ReceiveFlags,
        timeout_nanos: Option<u64>,
    ) -> HostResult<Vec<u8>> {
        let socket = open_in(self.table, &this, "receive")?;
        Ok(socket
            .receive(max_length, receive_flags(flags), timeout(timeout_nanos))
            .await?)
    }

    async fn receive_from(
        &mut self,
        this: Resource<Socket>,
        max_length: u32,
        flags: socket::ReceiveFlags,
        timeout_nanos: Option<u64>,
    ) -> HostResult<socket::ReceivedFrom> {
        let policy = &*self.ctx.policy;
        let socket = open_in(self.table, &this, "receive-from")?;
        let (data, source, truncated) = socket
            .receive_from(max_length, receive_flags(flags), timeout(timeout_nanos))
            .await?;
        Ok(socket::ReceivedFrom {
            data,
            address: source.and_then(|source| convert::to_wit(&source, policy)),
            truncated,
        })
    }

    fn receive_ready(&mut self, this: Resource<Socket>) -> HostResult<bool> {
        Ok(open_in(self.table, &this, "receive-ready")?.receive_ready()?)
    }

    fn subscribe(
        &mut self,
        this: Resource<Socket>,
        interest: socket::Interest,
    ) -> wasmtime::Result<Resource<DynPollable>> {
        let watch = self.table.get(&this)?.watch();
        let interest = Readiness {
            readable: interest.contains(socket::Interest::READABLE),
            writable: interest.contains(socket::Interest::WRITABLE),
        };
        let readiness = self.table.push(SocketReadiness { watch, interest })?;
        wasmtime_wasi::p2::subscribe(self.table, readiness)
    }

    typed_options! {
        // SOL_SOCKET.
        so_accept_connections: bool = SO_ACCEPTCONN;
        so_broadcast / set_so_broadcast: bool = SO_BROADCAST;
        so_debug / set_so_debug: bool = SO_DEBUG;
        so_dont_route / set_so_dont_route: bool = SO_DONTROUTE;
        so_keep_alive / set_so_keep_alive: bool = SO_KEEPALIVE;
        so_oob_inline / set_so_oob_inline: bool = SO_OOBINLINE;
        so_receive_buffer / set_so_receive_buffer: u32 = SO_RCVBUF;
        so_receive_low_water / set_so_receive_low_water: u32 = SO_RCVLOWAT;
        so_reuse_address / set_so_reuse_address: bool = SO_REUSEADDR;
        so_send_buffer / set_so_send_buffer: u32 = SO_SNDBUF;
        so_send_low_water / set_so_send_low_water: u32 = SO_SNDLOWAT;
        // IPPROTO_TCP.
        tcp_keep_alive / set_tcp_keep_alive: u32 = TCP_KEEPALIVE;
        tcp_max_segment_size / set_tcp_max_segment_size: u32 = TCP_MAXSEG;
        tcp_no_delay / set_tcp_no_delay: bool = TCP_NODELAY;
        tcp_no_options / set_tcp_no_options: bool = TCP_NOOPT;
        tcp_no_push / set_tcp_no_push: bool = TCP_NOPUSH;
        // IPPROTO_IP (IP_HDRINCL: the WIT's "needs --allow-raw" is the
        // allow-list's rule).
        ip_header_included / set_ip_header_included: bool = IP_HDRINCL;
        ip_time_to_live / set_ip_time_to_live: u8 = IP_TTL;
        ip_type_of_service / set_ip_type_of_service: u8 = IP_TOS;
        // IPPROTO_IPV6.
        ipv6_v6_only / set_ipv6_v6_only: bool = IPV6_V6ONLY;
    }

    // The options with more than an integer to them.

    fn so_error(&mut self, this: Resource<Socket>) -> HostResult<Option<types::Error>> {
        let pending = open_in(self.table, &this, "so-error")?.take_error()?;
        Ok(pending.map(error_to_wit))
    }

    fn so_linger(&mut self, this: Resource<Socket>) -> HostResult<Option<u32>> {
        const OP: &str = "so-linger";
        ensure_open(self.table.get(&this)?, OP)?;
        let bytes = self.get_checked(&this, OP, libc::SOL_SOCKET, libc::SO_LINGER, 8)?;
        let (on, seconds) = options::decode_linger(&bytes);
        Ok((on != 0).then(|| u32::try_from(seconds).unwrap_or(0)))
    }

    fn set_so_linger(&mut self, this: Resource<Socket>, value: Option<u32>) -> HostResult<()> {
        const OP: &str = "set so-linger";
        ensure_open(self.table.get(&this)?, OP)?;
        let (on, seconds) = match value {
            Some(seconds) => (
                1,
                i32::try_from(seconds).map_err(|_| {
                    Error::invalid_argument(OP, format!("{seconds} is out of range"))
                })?,
            ),
            None => (0, 0),
        };
        let bytes = options::encode_linger(on, seconds);
        self.set_checked(&this, OP, libc::SOL_SOCKET, libc::SO_LINGER, &bytes)
    }

    fn so_type(&mut self, this: Resource<Socket>) -> HostResult<types::SocketType> {
        let raw = self.get_int(&this, &options::SO_TYPE)?;
        let kind = Kind::from_raw(raw).ok_or_else(|| {
            Error::unsupported(
                "so-type",
                ErrorCode::SocketTypeNotSupported,
                format!("socket type {raw} has no name"),
            )
        })?;
        Ok(kind_to_wit(kind))
    }

    // The low-level interface: every pair through the allow-list.

    fn get_option_int(&mut self, this: Resource<Socket>, level: i32, name: i32) -> HostResult<i32> {
        const OP: &str = "get-socket-option";
        ensure_open(self.table.get(&this)?, OP)?;
        let bytes = self.get_checked(&this, OP, level, name, 4)?;
        Ok(options::int_of_bytes(&bytes))
    }

    fn get_option_bytes(
        &mut self,
        this: Resource<Socket>,
        level: i32,
        name: i32,
        max_length: u32,
    ) -> HostResult<Vec<u8>> {
        const OP: &str = "get-socket-option";
        ensure_open(self.table.get(&this)?, OP)?;
        self.get_checked(&this, OP, level, name, max_length)
    }

    fn set_option_int(
        &mut self,
        this: Resource<Socket>,
        level: i32,
        name: i32,
        value: i32,
    ) -> HostResult<()> {
        const OP: &str = "set-socket-option";
        ensure_open(self.table.get(&this)?, OP)?;
        self.set_checked(&this, OP, level, name, &value.to_ne_bytes())
    }

    fn set_option_bytes(
        &mut self,
        this: Resource<Socket>,
        level: i32,
        name: i32,
        value: Vec<u8>,
    ) -> HostResult<()> {
        const OP: &str = "set-socket-option";
        ensure_open(self.table.get(&this)?, OP)?;
        if value.len() > options::OPTION_BYTES_CAP {
            return Err(Error::invalid_argument(
                OP,
                format!(
                    "{} bytes is more than {}",
                    value.len(),
                    options::OPTION_BYTES_CAP
                ),
            )
            .into());
        }
        self.set_checked(&this, OP, level, name, &value)
    }

    fn drop(&mut self, this: Resource<Socket>) -> wasmtime::Result<()> {
        super::poll_set::forget_socket(self, &this)?;
        // Deleting closes the OS socket (its last owner goes away); its
        // slot is given back when the descriptor is really closed.
        drop(self.table.delete(this)?);
        Ok(())
    }
}
