//! The thin glue between the generated bindings and the socket logic:
//! for each WIT function a table lookup, a policy check, and a hand-off to
//! `crate::socket` / `crate::options` / `crate::resolve`.
//!
//! A resource-table error traps (the guest broke the component model's
//! rules); an OS or policy error goes back to the guest as the WIT `error`
//! record. Every check runs before any syscall, and every refusal is
//! reported to the guest's denial sink once.

use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use socket2::SockAddr;
use wasmtime::component::{Resource, ResourceTable};
use wasmtime_wasi::p2::{DynPollable, Pollable};

use crate::addr::{self, GuestAddress};
use crate::bindings::wasock::socket::{resolve, socket, types};
use crate::constants;
use crate::ctx::WasockCtxView;
use crate::error::{Error, ErrorClass, ErrorCode, HostError};
use crate::options::{self, SocketOption};
use crate::policy::{
    BindGrant, Denied, OptionRefusal, OptionTarget, Policy, Reporter, UnixConnectTarget,
    UnixRefusal,
};
use crate::resolve as resolver;
use crate::socket::{
    Family, HostSocket, InboundFilter, Kind, Readiness, RecvFlags, SendFlags, ShutdownHow, State,
};

type HostResult<T> = Result<T, HostError>;

/// A timeout in nanoseconds (WIT `duration`) as a `Duration`.
fn timeout(nanos: Option<u64>) -> Option<Duration> {
    nanos.map(Duration::from_nanos)
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

/// The spec's name of a family, for messages.
fn family_name(family: Family) -> &'static str {
    match family {
        Family::Inet => "af/inet",
        Family::Inet6 => "af/inet6",
        Family::Unix => "af/unix",
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

/// Reports a refusal and makes it the guest's `permission-denied`.
fn denied(reporter: &Reporter, operation: &str, refusal: Denied) -> Error {
    reporter.denied(&refusal);
    Error::denied(operation, &refusal)
}

/// A unix path's refusal or OS answer as the guest's error.
fn unix_refusal(reporter: &Reporter, operation: &str, refusal: UnixRefusal) -> Error {
    match refusal {
        UnixRefusal::Denied(d) => denied(reporter, operation, d),
        UnixRefusal::Os(e) if operation == "connect" => Error::connect_io(operation, &e),
        UnixRefusal::Os(e) => Error::io(operation, &e),
    }
}

/// A guest's address checked against the socket's family: the WIT's
/// `address-family-not-supported` for a mismatch, before any check.
fn guest_address(
    operation: &str,
    socket_family: Family,
    address: &types::SocketAddress,
) -> Result<GuestAddress, Error> {
    let guest = addr::from_wit(address);
    if guest.family() != socket_family {
        return Err(Error::new(
            ErrorClass::Fatal,
            ErrorCode::AddressFamilyNotSupported,
            format!(
                "{operation}: an {} address on an {} socket",
                family_name(guest.family()),
                family_name(socket_family)
            ),
        ));
    }
    if let GuestAddress::Unix(path) = &guest
        && path.is_empty()
    {
        return Err(Error::invalid_argument(operation, "an empty unix path"));
    }
    Ok(guest)
}

/// A destination (connect / send-to) checked by the policy.
struct Destination {
    /// The OS address to use.
    os: SockAddr,
    /// For a unix path: the checked socket inode, which `os` names through
    /// `/proc/self/fd` (so it must live until the call is made).
    unix: Option<UnixConnectTarget>,
}

/// A destination checked by the policy. No syscall has run yet.
fn destination(
    policy: &Policy,
    reporter: &Reporter,
    operation: &str,
    socket_family: Family,
    address: &types::SocketAddress,
) -> Result<Destination, Error> {
    match guest_address(operation, socket_family, address)? {
        GuestAddress::Ip(ip) => {
            policy
                .check_connect(&ip)
                .map_err(|refusal| denied(reporter, operation, refusal))?;
            Ok(Destination {
                os: SockAddr::from(ip),
                unix: None,
            })
        }
        GuestAddress::Unix(path) => {
            let target = policy
                .unix_connect(&path)
                .map_err(|refusal| unix_refusal(reporter, operation, refusal))?;
            let os = target
                .os_address()
                .map_err(|e| Error::invalid_argument(operation, e))?;
            Ok(Destination {
                os,
                unix: Some(target),
            })
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

/// The filter of a datagram socket bound without a bind grant: it hears
/// only from peers a connect grant covers; the first drop is reported.
fn client_filter(policy: &Arc<Policy>, reporter: &Reporter) -> InboundFilter {
    let accept = policy.clone();
    let report = reporter.clone();
    InboundFilter::new(
        move |source| accept.check_inbound(source),
        move |source| report.denied(&crate::wasi_sockets::inbound_denial(source)),
    )
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
            .map_err(|refusal| denied(&self.ctx.reporter, OP, refusal))?;
        let flags = resolver::AddrInfoFlags {
            numerichost: numeric_host,
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
            .check_name_information(&ip, flags.contains(resolve::NameInfoFlags::NUMERICHOST))
            .map_err(|refusal| denied(&self.ctx.reporter, OP, refusal))?;
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

    /// An option refusal as the guest's error (a denial reported).
    fn option_refusal(&self, operation: &str, refusal: OptionRefusal) -> Error {
        match refusal {
            OptionRefusal::Unknown { level, name } => Error::unsupported(
                operation,
                ErrorCode::OptionNotSupported,
                format!(
                    "option (level {level}, name {name}) is not in this host's allow-list, so it never reaches the OS"
                ),
            ),
            OptionRefusal::ReadOnly(label) => Error::new(
                ErrorClass::Fatal,
                ErrorCode::ReadOnlyOption,
                format!("{operation}: {label} is read-only"),
            ),
            OptionRefusal::Denied(refusal) => denied(&self.ctx.reporter, operation, refusal),
            OptionRefusal::Invalid(why) => Error::invalid_argument(operation, why),
        }
    }

    /// `getsockopt(2)` of `(level, name)` into at most `max_length` bytes,
    /// through the allow-list and its result filter.
    fn get_checked(
        &mut self,
        this: &Resource<HostSocket>,
        operation: &str,
        level: i32,
        name: i32,
        max_length: u32,
    ) -> HostResult<Vec<u8>> {
        let socket = open_in(self.table, this, operation)?;
        let target = OptionTarget {
            family: socket.family(),
            kind: socket.kind(),
        };
        let filter = self
            .ctx
            .policy
            .check_get_option(level, name, target)
            .map_err(|refusal| self.option_refusal(operation, refusal))?;
        let socket = self.table.get(this)?;
        let mut bytes = socket.get_option_bytes_as(operation, level, name, max_length)?;
        filter.apply(&mut bytes);
        Ok(bytes)
    }

    /// `setsockopt(2)` of `(level, name)` with `value`, through the
    /// allow-list (which may cap the value).
    fn set_checked(
        &mut self,
        this: &Resource<HostSocket>,
        operation: &str,
        level: i32,
        name: i32,
        value: &[u8],
    ) -> HostResult<()> {
        let socket = open_in(self.table, this, operation)?;
        let target = OptionTarget {
            family: socket.family(),
            kind: socket.kind(),
        };
        let value = self
            .ctx
            .policy
            .check_set_option(level, name, target, value)
            .map_err(|refusal| self.option_refusal(operation, refusal))?;
        Ok(self
            .table
            .get(this)?
            .set_option_bytes_as(operation, level, name, &value)?)
    }

    /// A typed option's `int` value.
    fn get_int(&mut self, this: &Resource<HostSocket>, option: &SocketOption) -> HostResult<i32> {
        ensure_open(self.table.get(this)?, option.name)?;
        let number = option.number()?;
        let bytes = self.get_checked(this, option.name, option.level, number, 4)?;
        Ok(options::int_of_bytes(&bytes))
    }

    /// Sets a typed option's `int` value.
    fn set_int(
        &mut self,
        this: &Resource<HostSocket>,
        option: &SocketOption,
        value: i32,
    ) -> HostResult<()> {
        let operation = format!("set {}", option.name);
        ensure_open(self.table.get(this)?, &operation)?;
        let number = option.writable()?;
        self.set_checked(this, &operation, option.level, number, &value.to_ne_bytes())
    }

    fn get_bool(&mut self, this: &Resource<HostSocket>, option: &SocketOption) -> HostResult<bool> {
        Ok(self.get_int(this, option)? != 0)
    }

    fn set_bool(
        &mut self,
        this: &Resource<HostSocket>,
        option: &SocketOption,
        value: bool,
    ) -> HostResult<()> {
        self.set_int(this, option, i32::from(value))
    }

    fn get_u32(&mut self, this: &Resource<HostSocket>, option: &SocketOption) -> HostResult<u32> {
        let value = self.get_int(this, option)?;
        Ok(u32::try_from(value).map_err(|_| {
            Error::new(
                ErrorClass::Fatal,
                ErrorCode::Other,
                format!("{}: the OS reported {value}", option.name),
            )
        })?)
    }

    fn set_u32(
        &mut self,
        this: &Resource<HostSocket>,
        option: &SocketOption,
        value: u32,
    ) -> HostResult<()> {
        let operation = format!("set {}", option.name);
        ensure_open(self.table.get(this)?, &operation)?;
        let value = i32::try_from(value)
            .map_err(|_| Error::invalid_argument(&operation, format!("{value} is out of range")))?;
        self.set_int(this, option, value)
    }

    fn get_u8(&mut self, this: &Resource<HostSocket>, option: &SocketOption) -> HostResult<u8> {
        let value = self.get_int(this, option)?;
        Ok(u8::try_from(value).map_err(|_| {
            Error::new(
                ErrorClass::Fatal,
                ErrorCode::Other,
                format!("{}: the OS reported {value}", option.name),
            )
        })?)
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
        self.ctx
            .policy
            .check_create(family, kind, protocol)
            .map_err(|refusal| denied(&self.ctx.reporter, OP, refusal))?;
        let slot = self.ctx.socket_slot(OP)?;
        let mut socket = HostSocket::create(family, kind, protocol)?.with_slot(slot);
        // An inet datagram socket hears only from its connect grants until
        // a bind grant says otherwise.
        if kind == Kind::Dgram && family != Family::Unix && !self.ctx.policy.inherits_network() {
            socket.set_inbound_filter(Some(client_filter(&self.ctx.policy, &self.ctx.reporter)));
        }
        Ok(self.table.push(socket)?)
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
        let (policy, reporter) = (&*self.ctx.policy, &self.ctx.reporter);
        let socket = open_in(self.table, &this, OP)?;
        let target = destination(policy, reporter, OP, socket.family(), &address)?;
        let fd = socket
            .os_socket(OP)
            .ok()
            .map(std::os::fd::AsRawFd::as_raw_fd);
        let result = socket.connect(&target.os, timeout(timeout_nanos)).await;
        if result.is_err() && socket.is_closed() {
            // Registering again with the reactor failed and closed it.
            crate::glue_poll_set::forget_descriptor(self, fd);
        }
        result?;
        if let Some(unix) = &target.unix {
            self.table
                .get_mut(&this)?
                .set_unix_peer(unix.guest_path().to_owned());
        }
        Ok(())
    }

    fn bind(
        &mut self,
        this: Resource<HostSocket>,
        address: types::SocketAddress,
    ) -> HostResult<()> {
        const OP: &str = "bind";
        let (policy, reporter) = (&*self.ctx.policy, &self.ctx.reporter);
        let socket = open_in(self.table, &this, OP)?;
        match guest_address(OP, socket.family(), &address)? {
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

    fn listen(&mut self, this: Resource<HostSocket>, backlog: u32) -> HostResult<()> {
        const OP: &str = "listen";
        let (policy, reporter) = (&*self.ctx.policy, &self.ctx.reporter);
        let socket = open_in(self.table, &this, OP)?;
        // Only a stream listens: a datagram socket gets the OS's
        // operation-not-supported below, not a policy refusal. A unix
        // socket was bound inside its granted directory.
        if socket.kind() == Kind::Stream && socket.family() != Family::Unix {
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
            crate::glue_poll_set::forget_descriptor(self, fd);
        }
        Ok(result?)
    }

    async fn accept(
        &mut self,
        this: Resource<HostSocket>,
        timeout_nanos: Option<u64>,
    ) -> HostResult<Resource<HostSocket>> {
        const OP: &str = "accept";
        ensure_open(self.table.get(&this)?, OP)?;
        let slot = self.ctx.socket_slot(OP)?;
        let socket = self.table.get_mut(&this)?;
        let accepted = socket.accept(timeout(timeout_nanos)).await?.with_slot(slot);
        Ok(self.table.push(accepted)?)
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
        Ok(self.table.get_mut(&this)?.close().await?)
    }

    fn name(&mut self, this: Resource<HostSocket>) -> HostResult<Option<types::SocketAddress>> {
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
        Ok(addr::bound_name(&local, policy))
    }

    fn peer_name(
        &mut self,
        this: Resource<HostSocket>,
    ) -> HostResult<Option<types::SocketAddress>> {
        let policy = &*self.ctx.policy;
        let socket = open_in(self.table, &this, "peer-name")?;
        let peer = socket.peer_address()?;
        if let (Some(_), Some(name)) = (&peer, socket.unix_peer()) {
            return Ok(Some(types::SocketAddress::Unix(name.to_owned())));
        }
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
        let (policy, reporter) = (&*self.ctx.policy, &self.ctx.reporter);
        let socket = open_in(self.table, &this, OP)?;
        let target = destination(policy, reporter, OP, socket.family(), &address)?;
        let sent = socket
            .send_to(&data, &target.os, send_flags(flags), timeout(timeout_nanos))
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
        const OP: &str = "so-linger";
        ensure_open(self.table.get(&this)?, OP)?;
        let bytes = self.get_checked(&this, OP, libc::SOL_SOCKET, libc::SO_LINGER, 8)?;
        let (on, seconds) = options::decode_linger(&bytes);
        Ok((on != 0).then(|| u32::try_from(seconds).unwrap_or(0)))
    }

    fn set_so_linger(&mut self, this: Resource<HostSocket>, value: Option<u32>) -> HostResult<()> {
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
        // WIT: "Needs --allow-raw" (the allow-list's rule for IP_HDRINCL).
        self.set_bool(&this, &options::IP_HDRINCL, value)
    }

    fn ip_time_to_live(&mut self, this: Resource<HostSocket>) -> HostResult<u8> {
        self.get_u8(&this, &options::IP_TTL)
    }

    fn set_ip_time_to_live(&mut self, this: Resource<HostSocket>, value: u8) -> HostResult<()> {
        self.set_int(&this, &options::IP_TTL, i32::from(value))
    }

    fn ip_type_of_service(&mut self, this: Resource<HostSocket>) -> HostResult<u8> {
        self.get_u8(&this, &options::IP_TOS)
    }

    fn set_ip_type_of_service(&mut self, this: Resource<HostSocket>, value: u8) -> HostResult<()> {
        self.set_int(&this, &options::IP_TOS, i32::from(value))
    }

    // Socket options get/set using IPPROTO_IPV6.

    fn ipv6_v6_only(&mut self, this: Resource<HostSocket>) -> HostResult<bool> {
        self.get_bool(&this, &options::IPV6_V6ONLY)
    }

    fn set_ipv6_v6_only(&mut self, this: Resource<HostSocket>, value: bool) -> HostResult<()> {
        self.set_bool(&this, &options::IPV6_V6ONLY, value)
    }

    // The low-level interface: every pair through the allow-list.

    fn get_option_int(
        &mut self,
        this: Resource<HostSocket>,
        level: i32,
        name: i32,
    ) -> HostResult<i32> {
        const OP: &str = "get-socket-option";
        ensure_open(self.table.get(&this)?, OP)?;
        let bytes = self.get_checked(&this, OP, level, name, 4)?;
        Ok(options::int_of_bytes(&bytes))
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
        self.get_checked(&this, OP, level, name, max_length)
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
        self.set_checked(&this, OP, level, name, &value.to_ne_bytes())
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

    fn drop(&mut self, this: Resource<HostSocket>) -> wasmtime::Result<()> {
        crate::glue_poll_set::forget_socket(self, &this)?;
        // Deleting closes the OS socket (its last owner goes away); its
        // slot is given back when the descriptor is really closed.
        drop(self.table.delete(this)?);
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
