//! Address resolution: the spec's `address-information` (`getaddrinfo(3)`),
//! `name-information` (`getnameinfo(3)`) and `socket-connect/ai`.

use std::fmt;
use std::time::Duration;

use crate::addr::{Family, Protocol, SockAddr, SocketType};
use crate::bindings::wasock::socket::resolve as wit;
use crate::error::{Error, Result};
use crate::parameters::timeout_to_wit;
use crate::socket::Socket;

crate::flags! {
    /// `ai_flags` of `getaddrinfo(3)`: the spec's `ai/*` constants.
    AddrInfoFlags: wit::AddressInfoFlags {
        /// `AI_NUMERICHOST` (`ai/numerichost`): the node is an IP address
        /// string; never ask the resolver.
        NUMERICHOST,
        /// `AI_PASSIVE` (`ai/passive`): the address is for `bind`: a missing
        /// node means the unspecified address rather than the loopback one.
        PASSIVE,
        /// `AI_CANONNAME` (`ai/canonname`): fill in the canonical name.
        CANONNAME,
    }
}

crate::flags! {
    /// `ni_flags` of `getnameinfo(3)`: the spec's `ni/*` constants.
    NameInfoFlags: wit::NameInfoFlags {
        /// `NI_NUMERICHOST` (`ni/numerichost`): the address as text.
        NUMERICHOST,
        /// `NI_NUMERICSERV` (`ni/numericserv`): the port as a number.
        NUMERICSERV,
        /// `NI_DGRAM` (`ni/dgram`): look the service up as a datagram service.
        DGRAM,
        /// `NI_NAMEREQD` (`ni/namereqd`): fail if the node has no name.
        NAMEREQD,
        /// `NI_NOFQDN` (`ni/nofqdn`): only the local part of local host names.
        NOFQDN,
    }
}

/// The keyword arguments of [`address_information`]: what the results are
/// restricted to (`struct addrinfo` hints).
///
/// [`Default`] is the spec's: any family, `sock/stream`, any protocol, no
/// flags.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct AddrInfoHints {
    /// `family:` (`ai_family`): `None` for any family.
    pub family: Option<Family>,
    /// `type:` (`ai_socktype`): the spec's default is
    /// `Some(SocketType::Stream)`; `None` for any type.
    pub socket_type: Option<SocketType>,
    /// `protocol:` (`ai_protocol`): `None` for any protocol.
    pub protocol: Option<Protocol>,
    /// `flags:` (`ai_flags`).
    pub flags: AddrInfoFlags,
}

impl Default for AddrInfoHints {
    fn default() -> Self {
        AddrInfoHints {
            family: None,
            socket_type: Some(SocketType::Stream),
            protocol: None,
            flags: AddrInfoFlags::empty(),
        }
    }
}

/// One result of [`address_information`]: the spec's `addrinfo` record.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct AddrInfo {
    /// `addrinfo-family`.
    pub family: Family,
    /// `addrinfo-socktype`.
    pub socket_type: SocketType,
    /// `addrinfo-protocol`.
    pub protocol: Protocol,
    /// `addrinfo-address`.
    pub address: SockAddr,
    /// `addrinfo-canonname`: only with [`AddrInfoFlags::CANONNAME`], on the
    /// result the resolver put it on.
    pub canonical_name: Option<String>,
    /// `addrinfo-flags`: the flags of the request.
    pub flags: AddrInfoFlags,
}

impl fmt::Display for AddrInfo {
    /// The spec's printed form: `"[::1]:80" af/inet6 sock/stream ipproto/tcp`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:?} {} {} {}",
            self.address.to_spec_string(),
            self.family,
            self.socket_type,
            self.protocol
        )?;
        if let Some(name) = &self.canonical_name {
            write!(f, " canonical: {name:?}")?;
        }
        Ok(())
    }
}

impl From<wit::AddressInfo> for AddrInfo {
    fn from(ai: wit::AddressInfo) -> Self {
        AddrInfo {
            family: ai.family.into(),
            socket_type: ai.socket_type.into(),
            protocol: Protocol(ai.protocol),
            address: ai.address.into(),
            canonical_name: ai.canonical_name,
            flags: ai.flags.into(),
        }
    }
}

/// `getaddrinfo(3)`: the spec's `address-information`.
///
/// `node` is a host name or an IP address string; `None` is the loopback
/// address, or the unspecified address with [`AddrInfoFlags::PASSIVE`].
/// `service` is a service name or a decimal port number; `None` is port 0.
/// Both `None` gives an empty list, as the spec shows. Needs the host's
/// `--allow-dns` grant (else [`ErrorCode::PermissionDenied`](crate::ErrorCode::PermissionDenied)).
/// Waits as long as the system resolver does; see
/// [`address_information_timeout`].
///
/// ```no_run
/// # fn main() -> wasock::Result<()> {
/// use wasock::{address_information, AddrInfoHints, Family, SocketType};
/// let hints = AddrInfoHints { family: Some(Family::Inet), ..AddrInfoHints::default() };
/// for ai in address_information(Some("localhost"), Some("http"), &hints)? {
///     println!("{ai}"); // "127.0.0.1:80" af/inet sock/stream ipproto/tcp
/// }
/// let udp = AddrInfoHints { socket_type: Some(SocketType::Dgram), ..AddrInfoHints::default() };
/// let dns = address_information(Some("127.0.0.1"), Some("53"), &udp)?;
/// let socket = wasock::connect_any(&dns)?;
/// # Ok(()) }
/// ```
#[doc(alias = "address-information")]
pub fn address_information(
    node: Option<&str>,
    service: Option<&str>,
    hints: &AddrInfoHints,
) -> Result<Vec<AddrInfo>> {
    address_information_timeout(node, service, hints, None)
}

/// [`address_information`] that fails with class
/// [`ErrorClass::Timeout`](crate::ErrorClass::Timeout) after `timeout`.
pub fn address_information_timeout(
    node: Option<&str>,
    service: Option<&str>,
    hints: &AddrInfoHints,
    timeout: Option<Duration>,
) -> Result<Vec<AddrInfo>> {
    crate::require_wasm();
    let list =
        wit::address_information(node, service, hints_to_wit(hints), timeout_to_wit(timeout))?;
    Ok(list.into_iter().map(AddrInfo::from).collect())
}

/// The service half of a [`name_information`] result: a name (`"http"`)
/// or, where no name was found or with [`NameInfoFlags::NUMERICSERV`], the
/// port number.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Service {
    /// The service's name.
    Name(String),
    /// The port number.
    Port(u16),
}

impl fmt::Display for Service {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Service::Name(n) => f.write_str(n),
            Service::Port(p) => write!(f, "{p}"),
        }
    }
}

/// `getnameinfo(3)`: the spec's `name-information`: the node and service
/// names of `address`, as the pair `("node", service)`.
///
/// Where no host name is found, the node is the numeric address (unless
/// [`NameInfoFlags::NAMEREQD`], which makes that an error); where no service
/// name is found, the service is [`Service::Port`]. Needs `--allow-dns`.
///
/// ```no_run
/// # fn main() -> wasock::Result<()> {
/// use wasock::{name_information, NameInfoFlags, SockAddr, Service};
/// let (node, service) = name_information(&SockAddr::inet(Some("::1"), 80)?, NameInfoFlags::empty())?;
/// println!("{node} {service}"); // localhost http
/// let numeric = NameInfoFlags::NUMERICHOST | NameInfoFlags::NUMERICSERV;
/// let (node, service) = name_information(&SockAddr::inet(Some("::1"), 80)?, numeric)?;
/// assert_eq!((node.as_str(), service), ("::1", Service::Port(80)));
/// # Ok(()) }
/// ```
#[doc(alias = "name-information")]
pub fn name_information(address: &SockAddr, flags: NameInfoFlags) -> Result<(String, Service)> {
    crate::require_wasm();
    let info = wit::name_information(&address.into(), flags.into(), None)?;
    Ok(name_info_from_wit(info))
}

/// `hints` as the WIT's (both versions of the contract share the type).
pub(crate) fn hints_to_wit(hints: &AddrInfoHints) -> wit::AddressInfoHints {
    wit::AddressInfoHints {
        family: hints.family.map(Into::into),
        socket_type: hints.socket_type.map(Into::into),
        protocol: hints.protocol.map(|p| p.0),
        flags: hints.flags.into(),
    }
}

/// A WIT `name-info` as [`name_information`] returns it.
pub(crate) fn name_info_from_wit(info: wit::NameInfo) -> (String, Service) {
    let service = match info.service {
        wit::ServiceName::Name(n) => Service::Name(n),
        wit::ServiceName::Port(p) => Service::Port(p),
    };
    (info.node, service)
}

/// The spec's `name-information` of a string: `(name-information "::1")`
/// is `(name-information (inet-address "::1" #f))`, so `address` is an IP
/// address text (IPv4 or IPv6, no port) taken with port 0.
///
/// Fails with [`ErrorCode::InvalidArgument`](crate::ErrorCode::InvalidArgument)
/// (class fatal, asking no host) where `address` is not an IP address;
/// otherwise as [`name_information`].
///
/// ```no_run
/// # fn main() -> wasock::Result<()> {
/// use wasock::{name_information_of_str, NameInfoFlags, Service};
/// let (node, service) = name_information_of_str("127.0.0.1", NameInfoFlags::NUMERICSERV)?;
/// println!("{node} {service}"); // localhost 0
/// assert_eq!(service, Service::Port(0));
/// # Ok(()) }
/// ```
#[doc(alias = "name-information")]
pub fn name_information_of_str(address: &str, flags: NameInfoFlags) -> Result<(String, Service)> {
    name_information(&address_of_str(address)?, flags)
}

/// The spec's string form of `name-information`'s address: `(inet-address
/// text #f)`. Pure.
fn address_of_str(text: &str) -> Result<SockAddr> {
    SockAddr::inet(Some(text), None::<u16>)
}

/// The spec's `socket-connect/ai`: connects to each address of `addresses`
/// in order until one succeeds, returning a fresh connected socket of that
/// result's family and type.
///
/// A transient or timeout error (refused, unreachable, the connect timeout
/// expiring) moves on to the next address; any other error stops at once.
/// If every attempt fails, the error is that of the last attempt; an empty
/// list fails with [`ErrorCode::InvalidArgument`](crate::ErrorCode::InvalidArgument).
#[doc(alias = "socket-connect/ai")]
pub fn connect_any(addresses: &[AddrInfo]) -> Result<Socket> {
    connect_each(addresses, |ai| {
        let socket = Socket::new(ai.family, ai.socket_type, ai.protocol)?;
        socket.connect(&ai.address)?;
        Ok(socket)
    })
}

/// The policy of `connect_any`, apart from the sockets themselves.
pub(crate) fn connect_each<T>(
    addresses: &[AddrInfo],
    mut attempt: impl FnMut(&AddrInfo) -> Result<T>,
) -> Result<T> {
    let mut last = Error::invalid("socket-connect/ai: no addresses to connect to");
    for ai in addresses {
        match attempt(ai) {
            Ok(connected) => return Ok(connected),
            Err(e) if e.is_transient() || e.is_timeout() => last = e,
            Err(e) => return Err(e),
        }
    }
    Err(last)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ErrorClass, ErrorCode};

    fn ai(port: u16) -> AddrInfo {
        AddrInfo {
            family: Family::Inet,
            socket_type: SocketType::Stream,
            protocol: Protocol::TCP,
            address: SockAddr::inet(Some("127.0.0.1"), port).unwrap_or_else(|e| panic!("{e}")),
            canonical_name: None,
            flags: AddrInfoFlags::empty(),
        }
    }

    fn err(class: ErrorClass, code: ErrorCode) -> Error {
        Error::new(class, code, "test")
    }

    #[test]
    fn connect_any_moves_on_after_transient_and_timeout() {
        let list = [ai(1), ai(2), ai(3)];
        let mut tried = Vec::new();
        let r = connect_each(&list, |a| {
            let port = a.address.port()?;
            tried.push(port);
            match port {
                1 => Err(err(ErrorClass::Transient, ErrorCode::ConnectionRefused)),
                2 => Err(err(ErrorClass::Timeout, ErrorCode::TimedOut)),
                _ => Ok(port),
            }
        });
        assert_eq!(r, Ok(3));
        assert_eq!(tried, [1, 2, 3]);
    }

    #[test]
    fn connect_any_stops_at_a_fatal_error() {
        let list = [ai(1), ai(2)];
        let mut tried = 0;
        let r: Result<()> = connect_each(&list, |_| {
            tried += 1;
            Err(err(ErrorClass::Fatal, ErrorCode::PermissionDenied))
        });
        assert_eq!(r.map_err(|e| e.code()), Err(ErrorCode::PermissionDenied));
        assert_eq!(tried, 1);
    }

    #[test]
    fn connect_any_returns_the_last_error() {
        let list = [ai(1), ai(2)];
        let r: Result<()> = connect_each(&list, |a| {
            Err(if a.address.port()? == 1 {
                err(ErrorClass::Timeout, ErrorCode::TimedOut)
            } else {
                err(ErrorClass::Transient, ErrorCode::ConnectionRefused)
            })
        });
        assert_eq!(r.map_err(|e| e.code()), Err(ErrorCode::ConnectionRefused));
    }

    #[test]
    fn connect_any_of_nothing_is_an_error() {
        let r: Result<()> = connect_each(&[], |_| Ok(()));
        assert_eq!(r.map_err(|e| e.code()), Err(ErrorCode::InvalidArgument));
    }

    #[test]
    fn name_information_string_is_inet_address_with_no_port() {
        let v6: std::net::SocketAddr = "[::1]:0".parse().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(address_of_str("::1"), Ok(SockAddr::from(v6)));
        let v4: std::net::SocketAddr = "127.0.0.1:0".parse().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(address_of_str("127.0.0.1"), Ok(SockAddr::from(v4)));
        for bad in ["localhost", "127.0.0.1:80", "", "/tmp/x"] {
            assert_eq!(
                address_of_str(bad).map_err(|e| e.code()),
                Err(ErrorCode::InvalidArgument),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn hints_default_to_stream() {
        let h = AddrInfoHints::default();
        assert_eq!(h.socket_type, Some(SocketType::Stream));
        assert_eq!(
            (h.family, h.protocol, h.flags),
            (None, None, AddrInfoFlags::empty())
        );
    }

    #[test]
    fn addrinfo_prints_like_the_spec() {
        assert_eq!(
            ai(80).to_string(),
            "\"127.0.0.1:80\" af/inet sock/stream ipproto/tcp"
        );
    }
}
