//! Socket addresses: the WIT `socket-address` ↔ `std::net::SocketAddr`,
//! `socket2::SockAddr` and unix paths.
//!
//! Unix paths cross the sandbox boundary here: a guest path goes through
//! [`Policy::unix_bind`] / [`Policy::unix_connect`] before it reaches the OS, and a host path comes
//! back through [`Policy::guest_unix_name`], so the guest never sees where
//! its directory really is.

use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};

use socket2::SockAddr;

use crate::bindings::wasock::socket::types::{Ipv4SocketAddress, Ipv6SocketAddress, SocketAddress};
use crate::error::{Error, Result};
use crate::policy::Policy;
use crate::socket::Family;

/// A guest's address, before the policy has looked at it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GuestAddress {
    /// `inet` / `inet6`.
    Ip(SocketAddr),
    /// `unix`: the path as the guest names it.
    Unix(String),
}

impl GuestAddress {
    /// The family this address belongs to.
    pub fn family(&self) -> Family {
        match self {
            GuestAddress::Ip(SocketAddr::V4(_)) => Family::Inet,
            GuestAddress::Ip(SocketAddr::V6(_)) => Family::Inet6,
            GuestAddress::Unix(_) => Family::Unix,
        }
    }
}

/// The WIT address as a [`GuestAddress`].
pub fn from_wit(address: &SocketAddress) -> GuestAddress {
    match address {
        SocketAddress::Inet(v4) => GuestAddress::Ip(SocketAddr::V4(ipv4_from_wit(v4))),
        SocketAddress::Inet6(v6) => GuestAddress::Ip(SocketAddr::V6(ipv6_from_wit(v6))),
        SocketAddress::Unix(path) => GuestAddress::Unix(path.clone()),
    }
}

fn ipv4_from_wit(v4: &Ipv4SocketAddress) -> SocketAddrV4 {
    let (a, b, c, d) = v4.address;
    SocketAddrV4::new(Ipv4Addr::new(a, b, c, d), v4.port)
}

fn ipv6_from_wit(v6: &Ipv6SocketAddress) -> SocketAddrV6 {
    let (a, b, c, d, e, f, g, h) = v6.address;
    SocketAddrV6::new(
        Ipv6Addr::new(a, b, c, d, e, f, g, h),
        v6.port,
        v6.flow_info,
        v6.scope_id,
    )
}

/// A std socket address as the WIT address.
pub fn ip_to_wit(address: SocketAddr) -> SocketAddress {
    match address {
        SocketAddr::V4(v4) => {
            let [a, b, c, d] = v4.ip().octets();
            SocketAddress::Inet(Ipv4SocketAddress {
                port: v4.port(),
                address: (a, b, c, d),
            })
        }
        SocketAddr::V6(v6) => {
            let [a, b, c, d, e, f, g, h] = v6.ip().segments();
            SocketAddress::Inet6(Ipv6SocketAddress {
                port: v6.port(),
                flow_info: v6.flowinfo(),
                address: (a, b, c, d, e, f, g, h),
                scope_id: v6.scope_id(),
            })
        }
    }
}

/// The OS address for a guest unix path already mapped by the policy.
pub fn unix_sockaddr(host_path: &std::path::Path) -> Result<SockAddr> {
    SockAddr::unix(host_path).map_err(|e| Error::invalid_argument("unix-address", e))
}

/// An OS address as the WIT address; unix paths are translated back to
/// the guest's names (a path outside every granted directory, an abstract
/// or an unnamed address is the unnamed `unix("")`). `None` for families
/// wasock does not speak.
pub fn to_wit(address: &SockAddr, policy: &Policy) -> Option<SocketAddress> {
    if let Some(ip) = address.as_socket() {
        return Some(ip_to_wit(ip));
    }
    if address.is_unix() {
        let guest = address
            .as_pathname()
            .filter(|path| !path.as_os_str().is_empty())
            .and_then(|path| policy.guest_unix_name(path))
            .unwrap_or_default();
        return Some(SocketAddress::Unix(guest));
    }
    None
}

/// The spec's `socket-name`: `None` where the socket is not bound (inet:
/// port 0, which the OS only reports before any bind; unix: no path).
pub fn bound_name(address: &SockAddr, policy: &Policy) -> Option<SocketAddress> {
    if let Some(ip) = address.as_socket() {
        return (ip.port() != 0).then(|| ip_to_wit(ip));
    }
    if address.is_unix() {
        let path = address
            .as_pathname()
            .filter(|path| !path.as_os_str().is_empty())?;
        return Some(SocketAddress::Unix(
            policy.guest_unix_name(path).unwrap_or_default(),
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inet_round_trips() {
        for text in ["127.0.0.1:80", "[::1]:8080", "[fe80::1%3]:1"] {
            let ip: SocketAddr = text.parse().unwrap();
            assert_eq!(from_wit(&ip_to_wit(ip)), GuestAddress::Ip(ip), "{text}");
        }
    }

    #[test]
    fn flow_info_survives() {
        let ip = SocketAddr::V6(SocketAddrV6::new(Ipv6Addr::LOCALHOST, 9, 0x1234, 7));
        match ip_to_wit(ip) {
            SocketAddress::Inet6(v6) => {
                assert_eq!(v6.flow_info, 0x1234);
                assert_eq!(v6.scope_id, 7);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn unbound_inet_has_no_name() {
        let policy = Policy::default();
        let unbound = SockAddr::from("0.0.0.0:0".parse::<SocketAddr>().unwrap());
        assert_eq!(bound_name(&unbound, &policy), None);
        let bound = SockAddr::from("0.0.0.0:5000".parse::<SocketAddr>().unwrap());
        assert!(bound_name(&bound, &policy).is_some());
    }
}
