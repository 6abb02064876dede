//! Families, socket types, protocols and socket addresses: the spec's
//! "Socket creation" constants and "Socket addresses" section.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
use std::str::FromStr;

use crate::bindings::wasock::socket::types as wit;
use crate::error::{Error, ErrorClass, ErrorCode, Result};

/// Address family: the `domain` argument of `socket(2)` (spec `af/*`).
///
/// Displays as the spec's name (`af/inet`); the host's numbers are
/// [`crate::constants::address_family_to_integer`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Family {
    /// `AF_UNSPEC` (`af/unspec`): no family; only meaningful as a
    /// resolution hint.
    Unspec,
    /// `AF_INET` (`af/inet`): IPv4.
    Inet,
    /// `AF_INET6` (`af/inet6`): IPv6.
    Inet6,
    /// `AF_UNIX` (`af/unix`): unix-domain sockets addressed by a path.
    Unix,
}

impl Family {
    /// The spec's name: `af/inet`, `af/inet6`, `af/unix`, `af/unspec`.
    pub fn name(self) -> &'static str {
        match self {
            Family::Unspec => "af/unspec",
            Family::Inet => "af/inet",
            Family::Inet6 => "af/inet6",
            Family::Unix => "af/unix",
        }
    }
}

impl fmt::Display for Family {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl From<Family> for wit::AddressFamily {
    fn from(f: Family) -> Self {
        match f {
            Family::Unspec => wit::AddressFamily::Unspec,
            Family::Inet => wit::AddressFamily::Inet,
            Family::Inet6 => wit::AddressFamily::Inet6,
            Family::Unix => wit::AddressFamily::Unix,
        }
    }
}

impl From<wit::AddressFamily> for Family {
    fn from(f: wit::AddressFamily) -> Self {
        match f {
            wit::AddressFamily::Unspec => Family::Unspec,
            wit::AddressFamily::Inet => Family::Inet,
            wit::AddressFamily::Inet6 => Family::Inet6,
            wit::AddressFamily::Unix => Family::Unix,
        }
    }
}

/// Socket type: the `type` argument of `socket(2)` (spec `sock/*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SocketType {
    /// `SOCK_STREAM` (`sock/stream`): a reliable byte stream (TCP).
    Stream,
    /// `SOCK_DGRAM` (`sock/dgram`): connectionless datagrams (UDP).
    Dgram,
    /// `SOCK_RAW` (`sock/raw`): raw network protocol access.
    Raw,
}

impl SocketType {
    /// The spec's name: `sock/stream`, `sock/dgram`, `sock/raw`.
    pub fn name(self) -> &'static str {
        match self {
            SocketType::Stream => "sock/stream",
            SocketType::Dgram => "sock/dgram",
            SocketType::Raw => "sock/raw",
        }
    }
}

impl fmt::Display for SocketType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl From<SocketType> for wit::SocketType {
    fn from(t: SocketType) -> Self {
        match t {
            SocketType::Stream => wit::SocketType::Stream,
            SocketType::Dgram => wit::SocketType::Dgram,
            SocketType::Raw => wit::SocketType::Raw,
        }
    }
}

impl From<wit::SocketType> for SocketType {
    fn from(t: wit::SocketType) -> Self {
        match t {
            wit::SocketType::Stream => SocketType::Stream,
            wit::SocketType::Dgram => SocketType::Dgram,
            wit::SocketType::Raw => SocketType::Raw,
        }
    }
}

/// A protocol number: the `protocol` argument of `socket(2)` (spec
/// `ipproto/*`). IANA numbers, the same on every host.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Protocol(pub u16);

impl Protocol {
    /// 0: the socket type's default protocol (what the spec's `socket`
    /// uses when no protocol is given).
    pub const DEFAULT: Protocol = Protocol(0);
    /// `IPPROTO_ICMP` (`ipproto/icmp`) = 1.
    pub const ICMP: Protocol = Protocol(1);
    /// `IPPROTO_TCP` (`ipproto/tcp`) = 6.
    pub const TCP: Protocol = Protocol(6);
    /// `IPPROTO_UDP` (`ipproto/udp`) = 17.
    pub const UDP: Protocol = Protocol(17);
    /// `IPPROTO_IPV6` (`ipproto/ipv6`) = 41.
    pub const IPV6: Protocol = Protocol(41);

    /// The spec's name (`ipproto/tcp`), where this is one of its protocols.
    pub fn name(self) -> Option<&'static str> {
        match self.0 {
            0 => Some("ipproto/ip"),
            1 => Some("ipproto/icmp"),
            6 => Some("ipproto/tcp"),
            17 => Some("ipproto/udp"),
            41 => Some("ipproto/ipv6"),
            _ => None,
        }
    }
}

impl fmt::Debug for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            0 => f.write_str("DEFAULT"),
            1 => f.write_str("ICMP"),
            6 => f.write_str("TCP"),
            17 => f.write_str("UDP"),
            41 => f.write_str("IPV6"),
            n => write!(f, "Protocol({n})"),
        }
    }
}

impl fmt::Display for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) if self.0 != 0 => f.write_str(name),
            _ => write!(f, "{}", self.0),
        }
    }
}

impl From<u16> for Protocol {
    fn from(n: u16) -> Self {
        Protocol(n)
    }
}

/// A port for [`SockAddr::inet`]: a number, a numeric string, or
/// unspecified (`None`, the spec's `#f`, meaning port 0).
///
/// Built with `From` from integers, strings and `Option`s of them; a number
/// out of 0..=65535 or a string that is not a decimal number fails in
/// [`SockAddr::inet`] with [`ErrorCode::InvalidArgument`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Port(PortSpec);

#[derive(Clone, Debug, PartialEq, Eq)]
enum PortSpec {
    Unspecified,
    Number(i128),
    Text(String),
}

impl Port {
    /// The unspecified port (the spec's `#f`): port 0.
    pub const UNSPECIFIED: Port = Port(PortSpec::Unspecified);

    fn is_unspecified(&self) -> bool {
        matches!(self.0, PortSpec::Unspecified)
    }

    /// The port number, or an `invalid-argument` error.
    fn resolve(&self) -> Result<u16> {
        match &self.0 {
            PortSpec::Unspecified => Ok(0),
            PortSpec::Number(n) => u16::try_from(*n).map_err(|_| {
                Error::invalid(format!("inet-address: port {n} is out of range 0-65535"))
            }),
            PortSpec::Text(s) => {
                let t = s.trim();
                if t.is_empty() || !t.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(Error::invalid(format!(
                        "inet-address: port {s:?} is not a number"
                    )));
                }
                t.parse::<u16>().map_err(|_| {
                    Error::invalid(format!("inet-address: port {s:?} is out of range 0-65535"))
                })
            }
        }
    }
}

macro_rules! port_from_int {
    ($($t:ty),*) => {$(
        impl From<$t> for Port {
            fn from(n: $t) -> Self {
                Port(PortSpec::Number(n as i128))
            }
        }
    )*};
}
port_from_int!(u8, u16, u32, u64, usize, i8, i16, i32, i64, isize);

impl From<&str> for Port {
    fn from(s: &str) -> Self {
        Port(PortSpec::Text(s.to_owned()))
    }
}

impl From<String> for Port {
    fn from(s: String) -> Self {
        Port(PortSpec::Text(s))
    }
}

impl From<&String> for Port {
    fn from(s: &String) -> Self {
        Port(PortSpec::Text(s.clone()))
    }
}

impl<T: Into<Port>> From<Option<T>> for Port {
    fn from(p: Option<T>) -> Self {
        p.map_or(Port::UNSPECIFIED, Into::into)
    }
}

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

    /// The spec's `sockaddr->string`: "a compact representation of the
    /// socket address as a string. For Internet sockets, it returns
    /// `"address"` when port is 0; otherwise, it returns `"address:port"`
    /// for IPv4 addresses and `"[address]:port"` for IPv6 addresses"; the
    /// path for unix addresses. [`Display`](fmt::Display) is the same but
    /// keeps a port 0.
    ///
    /// ```
    /// use wasock::SockAddr;
    /// assert_eq!(SockAddr::inet(Some("127.0.0.1"), 0)?.to_spec_string(), "127.0.0.1");
    /// assert_eq!(SockAddr::inet(Some("127.0.0.1"), 22)?.to_spec_string(), "127.0.0.1:22");
    /// assert_eq!(SockAddr::inet(Some("fe80::1%2"), 22)?.to_spec_string(), "[fe80::1%2]:22");
    /// # Ok::<(), wasock::Error>(())
    /// ```
    #[doc(alias = "sockaddr->string")]
    pub fn to_spec_string(&self) -> String {
        match self {
            SockAddr::Inet(a) if a.port() == 0 => a.ip().to_string(),
            SockAddr::Inet6(a) if a.port() == 0 => self.address(),
            other => other.to_string(),
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

/// Parses IP address text, IPv6 with an optional numeric `%scope`.
fn parse_ip(text: &str) -> Option<SocketAddr> {
    if let Ok(v4) = text.parse::<Ipv4Addr>() {
        return Some(SocketAddr::V4(SocketAddrV4::new(v4, 0)));
    }
    let (ip, scope) = match text.split_once('%') {
        Some((ip, scope)) => (ip, scope.parse::<u32>().ok()?),
        None => (text, 0),
    };
    let v6 = ip.parse::<Ipv6Addr>().ok()?;
    Some(SocketAddr::V6(SocketAddrV6::new(v6, 0, 0, scope)))
}

trait WithPort {
    fn with_port(self, port: u16) -> SockAddr;
}

impl WithPort for SocketAddr {
    fn with_port(self, port: u16) -> SockAddr {
        match self {
            SocketAddr::V4(a) => SockAddr::Inet(SocketAddrV4::new(*a.ip(), port)),
            SocketAddr::V6(a) => {
                SockAddr::Inet6(SocketAddrV6::new(*a.ip(), port, a.flowinfo(), a.scope_id()))
            }
        }
    }
}

impl fmt::Display for SockAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SockAddr::Inet(a) => write!(f, "{}:{}", a.ip(), a.port()),
            SockAddr::Inet6(a) => write!(f, "[{}]:{}", self.address(), a.port()),
            SockAddr::Unix(p) => f.write_str(p),
        }
    }
}

/// Parses the forms [`Display`](fmt::Display) and
/// [`SockAddr::to_spec_string`] write: `"1.2.3.4:80"`, `"1.2.3.4"` (port
/// 0), `"[::1]:80"`, `"::1"` (port 0), `"[fe80::1%2]:80"`;
/// text starting with `/` or `.` is a unix path. Anything else fails with
/// [`ErrorCode::InvalidArgument`].
impl FromStr for SockAddr {
    type Err = Error;

    fn from_str(s: &str) -> Result<SockAddr> {
        if s.starts_with('/') || s.starts_with('.') {
            return Ok(SockAddr::Unix(s.to_owned()));
        }
        let bad = || Error::invalid(format!("{s:?} is not a socket address"));
        if let Some(ip) = parse_ip(s) {
            return Ok(ip.with_port(0));
        }
        if let Some(rest) = s.strip_prefix('[') {
            let (ip, port) = rest.split_once("]:").ok_or_else(bad)?;
            let ip = parse_ip(ip).filter(SocketAddr::is_ipv6).ok_or_else(bad)?;
            return Ok(ip.with_port(Port::from(port).resolve()?));
        }
        let (ip, port) = s.rsplit_once(':').ok_or_else(bad)?;
        let ip = ip.parse::<Ipv4Addr>().map_err(|_| bad())?;
        Ok(SockAddr::Inet(SocketAddrV4::new(
            ip,
            Port::from(port).resolve()?,
        )))
    }
}

impl From<SocketAddr> for SockAddr {
    fn from(a: SocketAddr) -> Self {
        match a {
            SocketAddr::V4(a) => SockAddr::Inet(a),
            SocketAddr::V6(a) => SockAddr::Inet6(a),
        }
    }
}

impl From<SocketAddrV4> for SockAddr {
    fn from(a: SocketAddrV4) -> Self {
        SockAddr::Inet(a)
    }
}

impl From<SocketAddrV6> for SockAddr {
    fn from(a: SocketAddrV6) -> Self {
        SockAddr::Inet6(a)
    }
}

/// Fails with [`ErrorCode::AddressFamilyNotSupported`] for a unix address.
impl TryFrom<SockAddr> for SocketAddr {
    type Error = Error;

    fn try_from(a: SockAddr) -> Result<SocketAddr> {
        a.as_socket_addr().ok_or_else(|| {
            Error::new(
                ErrorClass::Fatal,
                ErrorCode::AddressFamilyNotSupported,
                format!("{a} is a unix address, not an IP socket address"),
            )
        })
    }
}

impl From<&SockAddr> for wit::SocketAddress {
    fn from(a: &SockAddr) -> Self {
        match a {
            SockAddr::Inet(a) => {
                let [b0, b1, b2, b3] = a.ip().octets();
                wit::SocketAddress::Inet(wit::Ipv4SocketAddress {
                    port: a.port(),
                    address: (b0, b1, b2, b3),
                })
            }
            SockAddr::Inet6(a) => {
                let [s0, s1, s2, s3, s4, s5, s6, s7] = a.ip().segments();
                wit::SocketAddress::Inet6(wit::Ipv6SocketAddress {
                    port: a.port(),
                    flow_info: a.flowinfo(),
                    address: (s0, s1, s2, s3, s4, s5, s6, s7),
                    scope_id: a.scope_id(),
                })
            }
            SockAddr::Unix(p) => wit::SocketAddress::Unix(p.clone()),
        }
    }
}

impl From<wit::SocketAddress> for SockAddr {
    fn from(a: wit::SocketAddress) -> Self {
        match a {
            wit::SocketAddress::Inet(a) => {
                let (b0, b1, b2, b3) = a.address;
                SockAddr::Inet(SocketAddrV4::new(Ipv4Addr::new(b0, b1, b2, b3), a.port))
            }
            wit::SocketAddress::Inet6(a) => {
                let (s0, s1, s2, s3, s4, s5, s6, s7) = a.address;
                SockAddr::Inet6(SocketAddrV6::new(
                    Ipv6Addr::new(s0, s1, s2, s3, s4, s5, s6, s7),
                    a.port,
                    a.flow_info,
                    a.scope_id,
                ))
            }
            wit::SocketAddress::Unix(p) => SockAddr::Unix(p),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inet(addr: Option<&str>, port: impl Into<Port>) -> SockAddr {
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
    fn sockaddr_to_string_forms_of_the_spec() {
        assert_eq!(inet(Some("127.0.0.1"), 0).to_spec_string(), "127.0.0.1");
        assert_eq!(inet(Some("127.0.0.1"), 22).to_spec_string(), "127.0.0.1:22");
        assert_eq!(inet(Some("::1"), 0).to_spec_string(), "::1");
        assert_eq!(inet(Some("::1"), 22).to_spec_string(), "[::1]:22");
        assert_eq!(inet(Some("fe80::1%1"), 0).to_spec_string(), "fe80::1%1");
        assert_eq!(
            inet(Some("fe80::1%1"), 22).to_spec_string(),
            "[fe80::1%1]:22"
        );
        assert_eq!(inet(Some("::"), 80).to_spec_string(), "[::]:80");
        assert_eq!(SockAddr::unix("/tmp/sock").to_spec_string(), "/tmp/sock");
    }

    #[test]
    fn display_keeps_a_port_0_like_std() {
        for text in ["127.0.0.1:0", "[::1]:0", "[fe80::1%1]:0", "127.0.0.1:22"] {
            let std: SocketAddr = text.parse().unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(SockAddr::from(std).to_string(), std.to_string());
            assert_eq!(SockAddr::from(std).to_string(), text);
        }
        assert_eq!(SockAddr::unix("/tmp/sock").to_string(), "/tmp/sock");
    }

    #[test]
    fn sockaddr_from_str_round_trips_display_and_the_spec_form() {
        for text in [
            "127.0.0.1:0",
            "127.0.0.1:22",
            "[::1]:0",
            "[::1]:22",
            "[fe80::1%3]:22",
            "[fe80::1%3]:0",
            "/tmp/s",
        ] {
            let a: SockAddr = text.parse().unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(a.to_string(), text);
        }
        for text in [
            "127.0.0.1",
            "127.0.0.1:22",
            "::1",
            "[::1]:22",
            "fe80::1%3",
            "/tmp/s",
        ] {
            let a: SockAddr = text.parse().unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(a.to_spec_string(), text);
        }
        for bad in [
            "localhost:80",
            "[::1]",
            "127.0.0.1:http",
            "[127.0.0.1]:80",
            "1.2.3.4:99999",
            "",
        ] {
            assert!(bad.parse::<SockAddr>().is_err(), "{bad} parsed");
        }
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

    #[test]
    fn std_conversions() {
        let std: SocketAddr = "[::1]:9".parse().unwrap_or_else(|e| panic!("{e}"));
        let a = SockAddr::from(std);
        assert_eq!(a, inet(Some("::1"), 9));
        assert_eq!(SocketAddr::try_from(a), Ok(std));
        assert!(SocketAddr::try_from(SockAddr::unix("/x")).is_err());
    }

    #[test]
    fn wit_conversion_round_trips() {
        for a in [
            inet(Some("1.2.3.4"), 5),
            inet(Some("fe80::7%9"), 6),
            SockAddr::unix("/p"),
        ] {
            assert_eq!(SockAddr::from(wit::SocketAddress::from(&a)), a);
        }
    }
}
