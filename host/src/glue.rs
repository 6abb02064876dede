//! The thin glue between the generated bindings and the socket logic:
//! for each WIT function a table lookup, a state or policy check, and a
//! hand-off to `crate::socket` / `crate::options` / `crate::resolve`.
//!
//! A resource-table error traps (the guest broke the component model's
//! rules); an OS or policy error goes back to the guest as the WIT `error`
//! record. Every check runs before any syscall.

use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use socket2::SockAddr;
use wasmtime::component::{Resource, ResourceTable, ResourceTableError};
use wasmtime_wasi::p2::{DynPollable, Pollable};

use crate::addr::{self, GuestAddress};
use crate::bindings::wasock::socket::{resolve, socket, types};
use crate::constants;
use crate::ctx::WasockCtxView;
use crate::error::{Error, ErrorClass, ErrorCode};
use crate::options::{self, SocketOption};
use crate::policy::{self, Denied, Policy};
use crate::resolve as resolver;
use crate::socket::{Family, HostSocket, Kind, Readiness, RecvFlags, SendFlags, ShutdownHow};

/// What a wasock host function fails with: an error for the guest, or a
/// trap.
#[derive(Debug)]
pub enum HostError {
    /// Goes back to the guest as the WIT `error` record.
    Guest(Error),
    /// Traps the guest (a resource-table error: a bad or stale handle).
    Trap(wasmtime::Error),
}

impl From<Error> for HostError {
    fn from(error: Error) -> Self {
        HostError::Guest(error)
    }
}

impl From<ResourceTableError> for HostError {
    fn from(error: ResourceTableError) -> Self {
        HostError::Trap(wasmtime::Error::new(error))
    }
}

type HostResult<T> = Result<T, HostError>;

/// A timeout in nanoseconds (WIT `duration`) as a `Duration`.
fn timeout(nanos: Option<u64>) -> Option<Duration> {
    nanos.map(Duration::from_nanos)
}

/// Logs a refusal and makes it the guest's `permission-denied`.
fn denied(operation: &str, refusal: Denied) -> Error {
    policy::report_denied(&refusal);
    Error::denied(operation, &refusal)
}

/// `None` for `unspec`.
fn family_from_wit(family: types::AddressFamily) -> Option<Family> {
    match family {
        types::AddressFamily::Unspec => None,
        types::AddressFamily::Inet => Some(Family::Inet),
        types::AddressFamily::Inet6 => Some(Family::Inet6),
        types::AddressFamily::Unix => Some(Family::Unix),
    }
}

fn family_to_wit(family: Family) -> types::AddressFamily {
    match family {
        Family::Inet => types::AddressFamily::Inet,
        Family::Inet6 => types::AddressFamily::Inet6,
        Family::Unix => types::AddressFamily::Unix,
    }
}

fn kind_from_wit(kind: types::SocketType) -> Kind {
    match kind {
        types::SocketType::Stream => Kind::Stream,
        types::SocketType::Dgram => Kind::Dgram,
        types::SocketType::Raw => Kind::Raw,
    }
}

fn kind_to_wit(kind: Kind) -> types::SocketType {
    match kind {
        Kind::Stream => types::SocketType::Stream,
        Kind::Dgram => types::SocketType::Dgram,
        Kind::Raw => types::SocketType::Raw,
    }
}

/// What a guest address is for, so the right grant is asked.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Purpose {
    /// connect(2) and sendto(2): `--allow-connect`.
    Connect,
    /// bind(2): `--allow-bind`.
    Bind,
}

/// A guest's address for `socket`, checked against its family and the
/// policy, as the OS address. No syscall has run yet.
fn os_address(
    policy: &Policy,
    operation: &str,
    socket_family: Family,
    address: &types::SocketAddress,
    purpose: Purpose,
) -> Result<SockAddr, Error> {
    let guest = addr::from_wit(address);
    if guest.family() != socket_family {
        return Err(Error::new(
            ErrorClass::Fatal,
            ErrorCode::AddressFamilyNotSupported,
            format!(
                "{operation}: a {:?} address on a {socket_family:?} socket",
                guest.family()
            ),
        ));
    }
    match guest {
        GuestAddress::Ip(ip) => {
            let verdict = match purpose {
                Purpose::Connect => policy.check_connect(&ip),
                Purpose::Bind => policy.check_bind(&ip),
            };
            verdict.map_err(|refusal| denied(operation, refusal))?;
            Ok(SockAddr::from(ip))
        }
        GuestAddress::Unix(path) => {
            if path.is_empty() {
                return Err(Error::invalid_argument(operation, "an empty unix path"));
            }
            let kind = if purpose == Purpose::Bind {
                "bind"
            } else {
                "connect"
            };
            let host_path = policy
                .unix_path(kind, &path)
                .map_err(|refusal| denied(operation, refusal))?;
            addr::unix_sockaddr(&host_path)
        }
    }
}

/// The open socket behind `this`, borrowing only the table (so the policy
/// in the context can be borrowed beside it).
fn open_in<'t>(
    table: &'t mut ResourceTable,
    this: &Resource<HostSocket>,
    operation: &str,
) -> HostResult<&'t mut HostSocket> {
    let socket = table.get_mut(this)?;
    ensure_open(socket, operation)?;
    Ok(socket)
}

/// Fails with `closed` for a closed socket: every call but drop does, before
/// any policy check.
fn ensure_open(socket: &HostSocket, operation: &str) -> Result<(), Error> {
    if socket.is_closed() {
        Err(Error::closed(operation))
    } else {
        Ok(())
    }
}

/// Fails with `too-many-sockets` at the guest's `--max-sockets` limit.
fn ensure_room(view: &WasockCtxView<'_>, operation: &str) -> Result<(), Error> {
    let limit = view.ctx.policy.max_sockets();
    if view.ctx.open_sockets >= limit {
        Err(Error::too_many_sockets(operation, limit))
    } else {
        Ok(())
    }
}

fn error_to_wit(error: Error) -> types::Error {
    use types::ErrorClass as C;
    use types::ErrorCode as K;
    let class = match error.class {
        ErrorClass::Transient => C::Transient,
        ErrorClass::Timeout => C::Timeout,
        ErrorClass::Unsupported => C::Unsupported,
        ErrorClass::Fatal => C::Fatal,
    };
    let code = match error.code {
        ErrorCode::PermissionDenied => K::PermissionDenied,
        ErrorCode::AddressInUse => K::AddressInUse,
        ErrorCode::AddressNotAvailable => K::AddressNotAvailable,
        ErrorCode::AddressFamilyNotSupported => K::AddressFamilyNotSupported,
        ErrorCode::AlreadyConnected => K::AlreadyConnected,
        ErrorCode::InProgress => K::InProgress,
        ErrorCode::NotConnected => K::NotConnected,
        ErrorCode::ConnectionRefused => K::ConnectionRefused,
        ErrorCode::ConnectionReset => K::ConnectionReset,
        ErrorCode::ConnectionAborted => K::ConnectionAborted,
        ErrorCode::BrokenPipe => K::BrokenPipe,
        ErrorCode::NetworkDown => K::NetworkDown,
        ErrorCode::NetworkUnreachable => K::NetworkUnreachable,
        ErrorCode::HostUnreachable => K::HostUnreachable,
        ErrorCode::SystemTimedOut => K::SystemTimedOut,
        ErrorCode::TimedOut => K::TimedOut,
        ErrorCode::WouldBlock => K::WouldBlock,
        ErrorCode::InvalidArgument => K::InvalidArgument,
        ErrorCode::InvalidState => K::InvalidState,
        ErrorCode::OperationNotSupported => K::OperationNotSupported,
        ErrorCode::ProtocolNotSupported => K::ProtocolNotSupported,
        ErrorCode::SocketTypeNotSupported => K::SocketTypeNotSupported,
        ErrorCode::OptionNotSupported => K::OptionNotSupported,
        ErrorCode::ReadOnlyOption => K::ReadOnlyOption,
        ErrorCode::MessageTooLarge => K::MessageTooLarge,
        ErrorCode::OutOfMemory => K::OutOfMemory,
        ErrorCode::TooManySockets => K::TooManySockets,
        ErrorCode::Closed => K::Closed,
        ErrorCode::NameNotFound => K::NameNotFound,
        ErrorCode::NameTemporaryFailure => K::NameTemporaryFailure,
        ErrorCode::NameFailure => K::NameFailure,
        ErrorCode::ServiceNotFound => K::ServiceNotFound,
        ErrorCode::Interrupted => K::Interrupted,
        ErrorCode::Other => K::Other,
    };
    types::Error {
        class,
        code,
        message: error.message,
    }
}

impl types::Host for WasockCtxView<'_> {
    fn convert_error(&mut self, err: HostError) -> wasmtime::Result<types::Error> {
        match err {
            HostError::Guest(error) => Ok(error_to_wit(error)),
            HostError::Trap(trap) => Err(trap),
        }
    }
}

impl resolve::Host for WasockCtxView<'_> {
    async fn address_information(
        &mut self,
        node: Option<String>,
        service: Option<String>,
        hints: resolve::AddressInfoHints,
        timeout_nanos: Option<u64>,
    ) -> HostResult<Vec<resolve::AddressInfo>> {
        const OP: &str = "address-information";
        let numeric_host = hints.flags.contains(resolve::AddressInfoFlags::NUMERICHOST);
        // A numeric node (or none) looks nothing up: no --allow-dns needed.
        self.ctx
            .policy
            .check_address_information(node.as_deref(), numeric_host)
            .map_err(|refusal| denied(OP, refusal))?;
        let flags = resolver::AddrInfoFlags {
            numerichost: hints.flags.contains(resolve::AddressInfoFlags::NUMERICHOST),
            passive: hints.flags.contains(resolve::AddressInfoFlags::PASSIVE),
            canonname: hints.flags.contains(resolve::AddressInfoFlags::CANONNAME),
        };
        let family = hints.family.and_then(family_from_wit);
        let request = resolver::AddrInfoHints {
            family,
            kind: hints.socket_type.map(kind_from_wit),
            protocol: hints.protocol,
            flags,
        };
        let slot = self.ctx.resolution_slot(OP)?;
        let results = resolver::address_information_holding(
            node,
            service,
            request,
            timeout(timeout_nanos),
            slot,
        )
        .await?;
        Ok(results
            .into_iter()
            .map(|info| resolve::AddressInfo {
                family: family_to_wit(info.family),
                socket_type: kind_to_wit(info.kind),
                protocol: info.protocol,
                address: addr::ip_to_wit(info.address),
                canonical_name: info.canonical_name,
                flags: hints.flags,
            })
            .collect())
    }

    async fn name_information(
        &mut self,
        address: types::SocketAddress,
        flags: resolve::NameInfoFlags,
        timeout_nanos: Option<u64>,
    ) -> HostResult<resolve::NameInfo> {
        const OP: &str = "name-information";
        let ip = match addr::from_wit(&address) {
            GuestAddress::Ip(ip) => ip,
            GuestAddress::Unix(_) => {
                return Err(Error::unsupported(
                    OP,
                    ErrorCode::AddressFamilyNotSupported,
                    "unix addresses have no name information",
                )
                .into());
            }
        };
        // Only a reverse lookup of the node leaves the host.
        self.ctx
            .policy
            .check_name_information(flags.contains(resolve::NameInfoFlags::NUMERICHOST))
            .map_err(|refusal| denied(OP, refusal))?;
        let request = resolver::NameInfoFlags {
            numerichost: flags.contains(resolve::NameInfoFlags::NUMERICHOST),
            numericserv: flags.contains(resolve::NameInfoFlags::NUMERICSERV),
            dgram: flags.contains(resolve::NameInfoFlags::DGRAM),
            namereqd: flags.contains(resolve::NameInfoFlags::NAMEREQD),
            nofqdn: flags.contains(resolve::NameInfoFlags::NOFQDN),
        };
        let slot = self.ctx.resolution_slot(OP)?;
        let (node, service) =
            resolver::name_information_holding(ip, request, timeout(timeout_nanos), slot).await?;
        let service = match service {
            resolver::Service::Name(name) => resolve::ServiceName::Name(name),
            resolver::Service::Port(port) => resolve::ServiceName::Port(port),
        };
        Ok(resolve::NameInfo { node, service })
    }
}

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
        HostSocket::wait_ready(&self.watch, self.interest).await
    }
}

impl WasockCtxView<'_> {
    /// The socket behind `this`, open.
    fn open(
        &mut self,
        this: &Resource<HostSocket>,
        operation: &str,
    ) -> HostResult<&mut HostSocket> {
        let socket = self.table.get_mut(this)?;
        ensure_open(socket, operation)?;
        Ok(socket)
    }

    fn get_bool(&mut self, this: &Resource<HostSocket>, option: &SocketOption) -> HostResult<bool> {
        Ok(self.open(this, option.name)?.get_bool_option(option)?)
    }

    fn set_bool(
        &mut self,
        this: &Resource<HostSocket>,
        option: &SocketOption,
        value: bool,
    ) -> HostResult<()> {
        Ok(self
            .open(this, option.name)?
            .set_bool_option(option, value)?)
    }

    fn get_u32(&mut self, this: &Resource<HostSocket>, option: &SocketOption) -> HostResult<u32> {
        Ok(self.open(this, option.name)?.get_u32_option(option)?)
    }

    fn set_u32(
        &mut self,
        this: &Resource<HostSocket>,
        option: &SocketOption,
        value: u32,
    ) -> HostResult<()> {
        Ok(self
            .open(this, option.name)?
            .set_u32_option(option, value)?)
    }

    /// `--allow-raw` for options that could escape the sandbox.
    fn check_option(&self, operation: &str, level: i32, name: i32) -> Result<(), Error> {
        self.ctx
            .policy
            .check_option(level, name)
            .map_err(|refusal| denied(operation, refusal))
    }
}

impl socket::HostSocket for WasockCtxView<'_> {
    async fn create(
        &mut self,
        family: types::AddressFamily,
        socket_type: types::SocketType,
        protocol: u16,
    ) -> HostResult<Resource<HostSocket>> {
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
        if kind == Kind::Raw {
            self.ctx
                .policy
                .check_raw()
                .map_err(|refusal| denied(OP, refusal))?;
        }
        ensure_room(self, OP)?;
        let socket = HostSocket::create(family, kind, protocol)?;
        let resource = self.table.push(socket)?;
        self.ctx.open_sockets += 1;
        Ok(resource)
    }

    fn family(&mut self, this: Resource<HostSocket>) -> wasmtime::Result<types::AddressFamily> {
        Ok(family_to_wit(self.table.get(&this)?.family()))
    }

    fn socket_type(&mut self, this: Resource<HostSocket>) -> wasmtime::Result<types::SocketType> {
        Ok(kind_to_wit(self.table.get(&this)?.kind()))
    }

    fn protocol(&mut self, this: Resource<HostSocket>) -> wasmtime::Result<u16> {
        Ok(self.table.get(&this)?.protocol())
    }

    async fn connect(
        &mut self,
        this: Resource<HostSocket>,
        address: types::SocketAddress,
        timeout_nanos: Option<u64>,
    ) -> HostResult<()> {
        const OP: &str = "connect";
        let policy = &*self.ctx.policy;
        let socket = open_in(self.table, &this, OP)?;
        let target = os_address(policy, OP, socket.family(), &address, Purpose::Connect)?;
        Ok(socket.connect(&target, timeout(timeout_nanos)).await?)
    }

    fn bind(
        &mut self,
        this: Resource<HostSocket>,
        address: types::SocketAddress,
    ) -> HostResult<()> {
        const OP: &str = "bind";
        let policy = &*self.ctx.policy;
        let socket = open_in(self.table, &this, OP)?;
        let target = os_address(policy, OP, socket.family(), &address, Purpose::Bind)?;
        Ok(socket.bind(&target)?)
    }

    fn listen(&mut self, this: Resource<HostSocket>, backlog: u32) -> HostResult<()> {
        const OP: &str = "listen";
        let policy = &*self.ctx.policy;
        let socket = open_in(self.table, &this, OP)?;
        // listen(2) on an unbound inet socket binds it to the unspecified
        // address and a free port: that is a bind the policy must allow.
        // (Only a stream listens: a datagram socket gets the OS's
        // operation-not-supported below, not a policy refusal.)
        if socket.state() == crate::socket::State::Created && socket.kind() == Kind::Stream {
            let implicit = match socket.family() {
                Family::Inet => Some(SocketAddr::from((Ipv4Addr::UNSPECIFIED, 0))),
                Family::Inet6 => Some(SocketAddr::from((Ipv6Addr::UNSPECIFIED, 0))),
                Family::Unix => None,
            };
            if let Some(implicit) = implicit {
                policy
                    .check_bind(&implicit)
                    .map_err(|refusal| denied(OP, refusal))?;
            }
        }
        Ok(socket.listen(backlog)?)
    }

    async fn accept(
        &mut self,
        this: Resource<HostSocket>,
        timeout_nanos: Option<u64>,
    ) -> HostResult<Resource<HostSocket>> {
        const OP: &str = "accept";
        ensure_open(self.table.get(&this)?, OP)?;
        ensure_room(self, OP)?;
        let socket = self.table.get_mut(&this)?;
        let accepted = socket.accept(timeout(timeout_nanos)).await?;
        let resource = self.table.push(accepted)?;
        self.ctx.open_sockets += 1;
        Ok(resource)
    }

    fn accept_ready(&mut self, this: Resource<HostSocket>) -> HostResult<bool> {
        Ok(self.open(&this, "accept-ready")?.accept_ready()?)
    }

    fn shutdown(&mut self, this: Resource<HostSocket>, how: socket::ShutdownHow) -> HostResult<()> {
        let how = match how {
            socket::ShutdownHow::Receive => ShutdownHow::Read,
            socket::ShutdownHow::Send => ShutdownHow::Write,
            socket::ShutdownHow::Both => ShutdownHow::Both,
        };
        Ok(self.open(&this, "shutdown")?.shutdown(how)?)
    }

    async fn close(&mut self, this: Resource<HostSocket>) -> HostResult<()> {
        crate::glue_poll_set::forget_socket(self, &this).map_err(HostError::Trap)?;
        let socket = self.table.get_mut(&this)?;
        let was_open = !socket.is_closed();
        let result = socket.close().await;
        if was_open {
            self.ctx.open_sockets = self.ctx.open_sockets.saturating_sub(1);
        }
        Ok(result?)
    }

    fn name(&mut self, this: Resource<HostSocket>) -> HostResult<Option<types::SocketAddress>> {
        let policy = &*self.ctx.policy;
        let local = open_in(self.table, &this, "name")?.local_address()?;
        Ok(addr::bound_name(&local, policy))
    }

    fn peer_name(
        &mut self,
        this: Resource<HostSocket>,
    ) -> HostResult<Option<types::SocketAddress>> {
        let policy = &*self.ctx.policy;
        let peer = open_in(self.table, &this, "peer-name")?.peer_address()?;
        Ok(peer.and_then(|peer| addr::to_wit(&peer, policy)))
    }

    async fn send(
        &mut self,
        this: Resource<HostSocket>,
        data: Vec<u8>,
        flags: socket::SendFlags,
        timeout_nanos: Option<u64>,
    ) -> HostResult<u32> {
        let socket = self.open(&this, "send")?;
        let sent = socket
            .send(&data, send_flags(flags), timeout(timeout_nanos))
            .await?;
        Ok(u32::try_from(sent).unwrap_or(u32::MAX))
    }

    async fn send_to(
        &mut self,
        this: Resource<HostSocket>,
        data: Vec<u8>,
        address: types::SocketAddress,
        flags: socket::SendFlags,
        timeout_nanos: Option<u64>,
    ) -> HostResult<u32> {
        const OP: &str = "send-to";
        let policy = &*self.ctx.policy;
        let socket = open_in(self.table, &this, OP)?;
        let target = os_address(policy, OP, socket.family(), &address, Purpose::Connect)?;
        let sent = socket
            .send_to(&data, &target, send_flags(flags), timeout(timeout_nanos))
            .await?;
        Ok(u32::try_from(sent).unwrap_or(u32::MAX))
    }

    async fn receive(
        &mut self,
        this: Resource<HostSocket>,
        max_length: u32,
        flags: socket::ReceiveFlags,
        timeout_nanos: Option<u64>,
    ) -> HostResult<Vec<u8>> {
        let socket = self.open(&this, "receive")?;
        Ok(socket
            .receive(max_length, receive_flags(flags), timeout(timeout_nanos))
            .await?)
    }

    async fn receive_from(
        &mut self,
        this: Resource<HostSocket>,
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
            address: source.and_then(|source| addr::to_wit(&source, policy)),
            truncated,
        })
    }

    fn receive_ready(&mut self, this: Resource<HostSocket>) -> HostResult<bool> {
        Ok(self.open(&this, "receive-ready")?.receive_ready()?)
    }

    fn subscribe(
        &mut self,
        this: Resource<HostSocket>,
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

    // Socket options get/set using SOL_SOCKET.

    fn so_accept_connections(&mut self, this: Resource<HostSocket>) -> HostResult<bool> {
        self.get_bool(&this, &options::SO_ACCEPTCONN)
    }

    fn so_broadcast(&mut self, this: Resource<HostSocket>) -> HostResult<bool> {
        self.get_bool(&this, &options::SO_BROADCAST)
    }

    fn set_so_broadcast(&mut self, this: Resource<HostSocket>, value: bool) -> HostResult<()> {
        self.set_bool(&this, &options::SO_BROADCAST, value)
    }

    fn so_debug(&mut self, this: Resource<HostSocket>) -> HostResult<bool> {
        self.get_bool(&this, &options::SO_DEBUG)
    }

    fn set_so_debug(&mut self, this: Resource<HostSocket>, value: bool) -> HostResult<()> {
        self.set_bool(&this, &options::SO_DEBUG, value)
    }

    fn so_dont_route(&mut self, this: Resource<HostSocket>) -> HostResult<bool> {
        self.get_bool(&this, &options::SO_DONTROUTE)
    }

    fn set_so_dont_route(&mut self, this: Resource<HostSocket>, value: bool) -> HostResult<()> {
        self.set_bool(&this, &options::SO_DONTROUTE, value)
    }

    fn so_error(&mut self, this: Resource<HostSocket>) -> HostResult<Option<types::Error>> {
        let pending = self.open(&this, "so-error")?.take_error()?;
        Ok(pending.map(error_to_wit))
    }

    fn so_keep_alive(&mut self, this: Resource<HostSocket>) -> HostResult<bool> {
        self.get_bool(&this, &options::SO_KEEPALIVE)
    }

    fn set_so_keep_alive(&mut self, this: Resource<HostSocket>, value: bool) -> HostResult<()> {
        self.set_bool(&this, &options::SO_KEEPALIVE, value)
    }

    fn so_linger(&mut self, this: Resource<HostSocket>) -> HostResult<Option<u32>> {
        Ok(self.open(&this, "so-linger")?.linger()?)
    }

    fn set_so_linger(&mut self, this: Resource<HostSocket>, value: Option<u32>) -> HostResult<()> {
        Ok(self.open(&this, "set so-linger")?.set_linger(value)?)
    }

    fn so_oob_inline(&mut self, this: Resource<HostSocket>) -> HostResult<bool> {
        self.get_bool(&this, &options::SO_OOBINLINE)
    }

    fn set_so_oob_inline(&mut self, this: Resource<HostSocket>, value: bool) -> HostResult<()> {
        self.set_bool(&this, &options::SO_OOBINLINE, value)
    }

    fn so_receive_buffer(&mut self, this: Resource<HostSocket>) -> HostResult<u32> {
        self.get_u32(&this, &options::SO_RCVBUF)
    }

    fn set_so_receive_buffer(&mut self, this: Resource<HostSocket>, value: u32) -> HostResult<()> {
        self.set_u32(&this, &options::SO_RCVBUF, value)
    }

    fn so_receive_low_water(&mut self, this: Resource<HostSocket>) -> HostResult<u32> {
        self.get_u32(&this, &options::SO_RCVLOWAT)
    }

    fn set_so_receive_low_water(
        &mut self,
        this: Resource<HostSocket>,
        value: u32,
    ) -> HostResult<()> {
        self.set_u32(&this, &options::SO_RCVLOWAT, value)
    }

    fn so_reuse_address(&mut self, this: Resource<HostSocket>) -> HostResult<bool> {
        self.get_bool(&this, &options::SO_REUSEADDR)
    }

    fn set_so_reuse_address(&mut self, this: Resource<HostSocket>, value: bool) -> HostResult<()> {
        self.set_bool(&this, &options::SO_REUSEADDR, value)
    }

    fn so_send_buffer(&mut self, this: Resource<HostSocket>) -> HostResult<u32> {
        self.get_u32(&this, &options::SO_SNDBUF)
    }

    fn set_so_send_buffer(&mut self, this: Resource<HostSocket>, value: u32) -> HostResult<()> {
        self.set_u32(&this, &options::SO_SNDBUF, value)
    }

    fn so_send_low_water(&mut self, this: Resource<HostSocket>) -> HostResult<u32> {
        self.get_u32(&this, &options::SO_SNDLOWAT)
    }

    fn set_so_send_low_water(&mut self, this: Resource<HostSocket>, value: u32) -> HostResult<()> {
        self.set_u32(&this, &options::SO_SNDLOWAT, value)
    }

    fn so_type(&mut self, this: Resource<HostSocket>) -> HostResult<types::SocketType> {
        Ok(kind_to_wit(self.open(&this, "so-type")?.os_type()?))
    }

    // Socket options get/set using IPPROTO_TCP.

    fn tcp_keep_alive(&mut self, this: Resource<HostSocket>) -> HostResult<u32> {
        self.get_u32(&this, &options::TCP_KEEPALIVE)
    }

    fn set_tcp_keep_alive(&mut self, this: Resource<HostSocket>, value: u32) -> HostResult<()> {
        self.set_u32(&this, &options::TCP_KEEPALIVE, value)
    }

    fn tcp_max_segment_size(&mut self, this: Resource<HostSocket>) -> HostResult<u32> {
        self.get_u32(&this, &options::TCP_MAXSEG)
    }

    fn set_tcp_max_segment_size(
        &mut self,
        this: Resource<HostSocket>,
        value: u32,
    ) -> HostResult<()> {
        self.set_u32(&this, &options::TCP_MAXSEG, value)
    }

    fn tcp_no_delay(&mut self, this: Resource<HostSocket>) -> HostResult<bool> {
        self.get_bool(&this, &options::TCP_NODELAY)
    }

    fn set_tcp_no_delay(&mut self, this: Resource<HostSocket>, value: bool) -> HostResult<()> {
        self.set_bool(&this, &options::TCP_NODELAY, value)
    }

    fn tcp_no_options(&mut self, this: Resource<HostSocket>) -> HostResult<bool> {
        self.get_bool(&this, &options::TCP_NOOPT)
    }

    fn set_tcp_no_options(&mut self, this: Resource<HostSocket>, value: bool) -> HostResult<()> {
        self.set_bool(&this, &options::TCP_NOOPT, value)
    }

    fn tcp_no_push(&mut self, this: Resource<HostSocket>) -> HostResult<bool> {
        self.get_bool(&this, &options::TCP_NOPUSH)
    }

    fn set_tcp_no_push(&mut self, this: Resource<HostSocket>, value: bool) -> HostResult<()> {
        self.set_bool(&this, &options::TCP_NOPUSH, value)
    }

    // Socket options get/set using IPPROTO_IP.

    fn ip_header_included(&mut self, this: Resource<HostSocket>) -> HostResult<bool> {
        self.get_bool(&this, &options::IP_HDRINCL)
    }

    fn set_ip_header_included(
        &mut self,
        this: Resource<HostSocket>,
        value: bool,
    ) -> HostResult<()> {
        const OP: &str = "set ip-header-included?";
        ensure_open(self.table.get(&this)?, OP)?;
        // WIT: "Needs --allow-raw".
        self.check_option(OP, libc::IPPROTO_IP, libc::IP_HDRINCL)?;
        self.set_bool(&this, &options::IP_HDRINCL, value)
    }

    fn ip_time_to_live(&mut self, this: Resource<HostSocket>) -> HostResult<u8> {
        Ok(self
            .open(&this, options::IP_TTL.name)?
            .get_u8_option(&options::IP_TTL)?)
    }

    fn set_ip_time_to_live(&mut self, this: Resource<HostSocket>, value: u8) -> HostResult<()> {
        Ok(self
            .open(&this, options::IP_TTL.name)?
            .set_int_option(&options::IP_TTL, i32::from(value))?)
    }

    fn ip_type_of_service(&mut self, this: Resource<HostSocket>) -> HostResult<u8> {
        Ok(self
            .open(&this, options::IP_TOS.name)?
            .get_u8_option(&options::IP_TOS)?)
    }

    fn set_ip_type_of_service(&mut self, this: Resource<HostSocket>, value: u8) -> HostResult<()> {
        Ok(self
            .open(&this, options::IP_TOS.name)?
            .set_int_option(&options::IP_TOS, i32::from(value))?)
    }

    // Socket options get/set using IPPROTO_IPV6.

    fn ipv6_v6_only(&mut self, this: Resource<HostSocket>) -> HostResult<bool> {
        self.get_bool(&this, &options::IPV6_V6ONLY)
    }

    fn set_ipv6_v6_only(&mut self, this: Resource<HostSocket>, value: bool) -> HostResult<()> {
        self.set_bool(&this, &options::IPV6_V6ONLY, value)
    }

    // The low-level interface.

    fn get_option_int(
        &mut self,
        this: Resource<HostSocket>,
        level: i32,
        name: i32,
    ) -> HostResult<i32> {
        const OP: &str = "get-socket-option";
        ensure_open(self.table.get(&this)?, OP)?;
        self.check_option(OP, level, name)?;
        Ok(self.table.get(&this)?.get_option_int(level, name)?)
    }

    fn get_option_bytes(
        &mut self,
        this: Resource<HostSocket>,
        level: i32,
        name: i32,
        max_length: u32,
    ) -> HostResult<Vec<u8>> {
        const OP: &str = "get-socket-option";
        ensure_open(self.table.get(&this)?, OP)?;
        self.check_option(OP, level, name)?;
        Ok(self
            .table
            .get(&this)?
            .get_option_bytes(level, name, max_length)?)
    }

    fn set_option_int(
        &mut self,
        this: Resource<HostSocket>,
        level: i32,
        name: i32,
        value: i32,
    ) -> HostResult<()> {
        const OP: &str = "set-socket-option";
        ensure_open(self.table.get(&this)?, OP)?;
        self.check_option(OP, level, name)?;
        Ok(self.table.get(&this)?.set_option_int(level, name, value)?)
    }

    fn set_option_bytes(
        &mut self,
        this: Resource<HostSocket>,
        level: i32,
        name: i32,
        value: Vec<u8>,
    ) -> HostResult<()> {
        const OP: &str = "set-socket-option";
        ensure_open(self.table.get(&this)?, OP)?;
        self.check_option(OP, level, name)?;
        Ok(self
            .table
            .get(&this)?
            .set_option_bytes(level, name, &value)?)
    }

    fn drop(&mut self, this: Resource<HostSocket>) -> wasmtime::Result<()> {
        crate::glue_poll_set::forget_socket(self, &this)?;
        // Deleting closes the OS socket (its last owner goes away).
        let socket = self.table.delete(this)?;
        if !socket.is_closed() {
            self.ctx.open_sockets = self.ctx.open_sockets.saturating_sub(1);
        }
        drop(socket);
        Ok(())
    }
}

fn send_flags(flags: socket::SendFlags) -> SendFlags {
    SendFlags {
        oob: flags.contains(socket::SendFlags::OOB),
        dont_route: flags.contains(socket::SendFlags::DONT_ROUTE),
        dont_wait: flags.contains(socket::SendFlags::DONT_WAIT),
        end_of_record: flags.contains(socket::SendFlags::END_OF_RECORD),
        more: flags.contains(socket::SendFlags::MORE),
    }
}

fn receive_flags(flags: socket::ReceiveFlags) -> RecvFlags {
    RecvFlags {
        peek: flags.contains(socket::ReceiveFlags::PEEK),
        oob: flags.contains(socket::ReceiveFlags::OOB),
        wait_all: flags.contains(socket::ReceiveFlags::WAIT_ALL),
        dont_wait: flags.contains(socket::ReceiveFlags::DONT_WAIT),
    }
}
