//! Addresses as text: [`Display`](fmt::Display), [`FromStr`], the spec's
//! `sockaddr->string`, and IP address text.

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
use std::str::FromStr;

use super::{Port, SockAddr};
#[cfg(doc)]
use crate::error::ErrorCode;
use crate::error::{Error, Result};

impl SockAddr {
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
}

/// Parses IP address text, IPv6 with an optional numeric `%scope`.
pub(super) fn parse_ip(text: &str) -> Option<SocketAddr> {
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

pub(super) trait WithPort {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::addr::tests::inet;

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
}
