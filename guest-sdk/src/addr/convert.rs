//! Conversions: to and from [`std::net`]'s addresses, and to and from the
//! WIT's `socket-address`.

use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};

use super::SockAddr;
use crate::bindings::wasock::socket::types as wit;
use crate::error::{Error, ErrorClass, ErrorCode, Result};

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
    use crate::addr::tests::inet;

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
