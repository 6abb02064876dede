//! Families, socket types, protocols and socket addresses: the spec's
//! "Socket creation" constants and "Socket addresses" section.
//!
//! The address and its accessors are here; the creation constants in
//! `kinds`, the port argument of `inet-address` in `port`, the text forms
//! in `text`, the conversions to std and the WIT in `convert`.

mod convert;
mod kinds;
mod port;
mod text;

#[cfg(doc)]
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, SocketAddrV4, SocketAddrV6};

use crate::error::{Error, ErrorClass, ErrorCode, Result};
use text::{WithPort, parse_ip};

pub use kinds::{Family, Protocol, SocketType};
pub use port::Port;

/// A socket address: the spec's `sockaddr` (`struct sockaddr`).
///
/// Build one with [`SockAddr::inet`] (spec `inet-address`),
/// [`SockAddr::unix`] (spec `unix-address`), from a
/// [`std::net::SocketAddr`], or by parsing (`"127.0.0.1:80".parse()`).
///
/// [`Display`](fmt::Display) writes `"address:port"` for IPv4 and
/// `"[address]:port"` for IPv6 (with `%scope` where the scope id is not 0),
/// port 0 included, as [`std::net::SocketAddr`] does; the path for unix
/// addresses. The spec's `sockaddr->string`, which leaves out a port 0, is
/// [`SockAddr::to_spec_string`]. Parsing takes both forms.
///
/// ```
/// use wasock::SockAddr;
/// let a = SockAddr::inet(Some("127.0.0.1"), 8080)?;
/// assert_eq!(a.to_string(), "127.0.0.1:8080");
/// assert_eq!(SockAddr::inet(Some("::1"), "80")?.to_string(), "[::1]:80");
/// let any_port = SockAddr::inet(Some("::1"), None::<u16>)?;
/// assert_eq!(any_port.to_string(), "[::1]:0");
/// assert_eq!(any_port.to_spec_string(), "::1");
/// assert_eq!("[::1]:80".parse::<SockAddr>()?, SockAddr::inet(Some("::1"), 80)?);
/// assert_eq!("::1".parse::<SockAddr>()?, any_port);
/// # Ok::<(), wasock::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum SockAddr {
    /// An IPv4 address and port (`AF_INET`, `struct sockaddr_in`).
    Inet(SocketAddrV4),
    /// An IPv6 address, port, flow info and scope id (`AF_INET6`).
    Inet6(SocketAddrV6),
    /// A unix-domain path as the guest names it (`AF_UNIX`); the empty
    /// string is an unnamed socket.
    Unix(String),
}

impl SockAddr {
    /// The spec's `inet-address`: an address from the IP address text
    /// `addr` and `port` (a number or a numeric string).
    ///
    /// `None` for `addr` is the unspecified address: this SDK chooses the
    /// IPv4 one, `0.0.0.0`, as the egg does on Linux (whose resolver lists
    /// it first, as the spec notes for Ubuntu); pass `Some("::")` for the
    /// IPv6 one. `None` for the port is port 0. Both `None` is an error, as
    /// the spec says. IPv6 text may carry a numeric scope id (`fe80::1%2`).
    ///
    /// Fails with [`ErrorCode::InvalidArgument`] (class fatal) when the
    /// address is not an IP address, the port is not a decimal number or
    /// is out of range, or both are unspecified. Pure: does not ask the
    /// host.
    ///
    /// ```
    /// use wasock::{SockAddr, Family};
    /// let any = SockAddr::inet(None, 8000)?;
    /// assert_eq!(any.to_string(), "0.0.0.0:8000");
    /// assert_eq!(SockAddr::inet(Some("::"), 8000)?.family(), Family::Inet6);
    /// assert!(SockAddr::inet(Some("127.0.0.1"), "http").is_err());
    /// assert!(SockAddr::inet(Some("127.0.0.1"), 70000).is_err());
    /// assert!(SockAddr::inet(None, None::<u16>).is_err());
    /// # Ok::<(), wasock::Error>(())
    /// ```
    #[doc(alias = "inet-address")]
    pub fn inet(addr: Option<&str>, port: impl Into<Port>) -> Result<SockAddr> {
        let port = port.into();
        if addr.is_none() && port.is_unspecified() {
            return Err(Error::invalid(
                "inet-address: the address and the port cannot both be unspecified",
            ));
        }
        let number = port.resolve()?;
        match addr {
            None => Ok(SockAddr::Inet(SocketAddrV4::new(
                Ipv4Addr::UNSPECIFIED,
                number,
            ))),
            Some(text) => parse_ip(text)
                .map(|ip| ip.with_port(number))
                .ok_or_else(|| {
                    Error::invalid(format!("inet-address: {text:?} is not an IP address"))
                }),
        }
    }

    /// The spec's `unix-address`: a unix-domain address for `path`.
    #[doc(alias = "unix-address")]
    pub fn unix(path: impl Into<String>) -> SockAddr {
        SockAddr::Unix(path.into())
    }

    /// The spec's `sockaddr-family`.
    #[doc(alias = "sockaddr-family")]
    pub fn family(&self) -> Family {
        match self {
            SockAddr::Inet(_) => Family::Inet,
            SockAddr::Inet6(_) => Family::Inet6,
            SockAddr::Unix(_) => Family::Unix,
        }
    }

    /// The spec's `sockaddr-address`: the IP address as text (as
    /// `inet_ntop` writes it, with `%scope` for a scoped IPv6 address), or
    /// the path of a unix address.
    #[doc(alias = "sockaddr-address")]
    pub fn address(&self) -> String {
        match self {
            SockAddr::Inet(a) => a.ip().to_string(),
            SockAddr::Inet6(a) if a.scope_id() != 0 => format!("{}%{}", a.ip(), a.scope_id()),
            SockAddr::Inet6(a) => a.ip().to_string(),
            SockAddr::Unix(p) => p.clone(),
        }
    }

    /// The IP address, for inet and inet6 addresses.
    pub fn ip(&self) -> Option<IpAddr> {
        match self {
            SockAddr::Inet(a) => Some(IpAddr::V4(*a.ip())),
            SockAddr::Inet6(a) => Some(IpAddr::V6(*a.ip())),
            SockAddr::Unix(_) => None,
        }
    }

    /// The spec's `sockaddr-port`; "it is an error to call it on another
    /// type of socket": a unix address fails with
    /// [`ErrorCode::AddressFamilyNotSupported`].
    #[doc(alias = "sockaddr-port")]
    pub fn port(&self) -> Result<u16> {
        match self {
            SockAddr::Inet(a) => Ok(a.port()),
            SockAddr::Inet6(a) => Ok(a.port()),
            SockAddr::Unix(p) => Err(Error::new(
                ErrorClass::Fatal,
                ErrorCode::AddressFamilyNotSupported,
                format!("sockaddr-port: {p:?} is a unix address, which has no port"),
            )),
        }
    }

    /// The spec's `sockaddr-path`: the path of a unix address; other
    /// families fail with [`ErrorCode::AddressFamilyNotSupported`].
    #[doc(alias = "sockaddr-path")]
    pub fn path(&self) -> Result<&str> {
        match self {
            SockAddr::Unix(p) => Ok(p),
            other => Err(Error::new(
                ErrorClass::Fatal,
                ErrorCode::AddressFamilyNotSupported,
                format!("sockaddr-path: {other} is not a unix address"),
            )),
        }
    }

    /// This address as a [`std::net::SocketAddr`] (`None` for unix).
    pub fn as_socket_addr(&self) -> Option<SocketAddr> {
        match self {
            SockAddr::Inet(a) => Some(SocketAddr::V4(*a)),
            SockAddr::Inet6(a) => Some(SocketAddr::V6(*a)),
            SockAddr::Unix(_) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(super) fn inet(addr: Option<&str>, port: impl Into<Port>) -> SockAddr {
        match SockAddr::inet(addr, port) {
            Ok(a) => a,
            Err(e) => panic!("inet-address {addr:?}: {e}"),
        }
    }

    #[test]
    fn inet_address_port_as_number_or_numeric_string() {
        assert_eq!(inet(Some("127.0.0.1"), 80), inet(Some("127.0.0.1"), "80"));
        assert_eq!(inet(Some("127.0.0.1"), "80").port(), Ok(80));
        assert_eq!(inet(Some("::1"), 65535u16).port(), Ok(65535));
    }

    #[test]
    fn inet_address_bad_ports_are_typed_errors() {
        for port in [
            Port::from(65536),
            Port::from(-1),
            Port::from("http"),
            Port::from("8o"),
            Port::from(""),
        ] {
            let e = SockAddr::inet(Some("127.0.0.1"), port.clone()).expect_err("bad port accepted");
            assert_eq!(e.code(), ErrorCode::InvalidArgument, "{port:?}");
            assert_eq!(e.class(), ErrorClass::Fatal);
        }
    }

    #[test]
    fn inet_address_bad_address_is_a_typed_error() {
        for addr in ["localhost", "1.2.3", "::g", "fe80::1%eth0", ""] {
            let e = SockAddr::inet(Some(addr), 80).expect_err("bad address accepted");
            assert_eq!(e.code(), ErrorCode::InvalidArgument, "{addr}");
        }
    }

    #[test]
    fn inet_address_unspecified_address_is_ipv4_any() {
        let a = inet(None, 8000);
        assert_eq!(a.family(), Family::Inet);
        assert_eq!(a.address(), "0.0.0.0");
        assert_eq!(a.port(), Ok(8000));
    }

    #[test]
    fn inet_address_unspecified_port_is_zero() {
        assert_eq!(inet(Some("127.0.0.1"), None::<u16>).port(), Ok(0));
        assert_eq!(inet(Some("::1"), Port::UNSPECIFIED).port(), Ok(0));
    }

    #[test]
    fn inet_address_both_unspecified_is_an_error() {
        let e = SockAddr::inet(None, None::<&str>).expect_err("both unspecified accepted");
        assert_eq!(e.code(), ErrorCode::InvalidArgument);
    }

    #[test]
    fn sockaddr_accessors() {
        let u = SockAddr::unix("/run/x");
        assert_eq!(u.family(), Family::Unix);
        assert_eq!(u.path(), Ok("/run/x"));
        assert_eq!(u.address(), "/run/x");
        assert_eq!(
            u.port().map_err(|e| e.code()),
            Err(ErrorCode::AddressFamilyNotSupported)
        );
        let i = inet(Some("10.0.0.1"), 5);
        assert_eq!(
            i.path().map_err(|e| e.code()),
            Err(ErrorCode::AddressFamilyNotSupported)
        );
        assert_eq!(i.ip(), Some(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1))));
    }
}
