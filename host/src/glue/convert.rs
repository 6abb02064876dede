//! Every conversion between the WIT's types and the host's: socket
//! addresses (the WIT `socket-address` ↔ `std::net::SocketAddr`,
//! `socket2::SockAddr` and unix paths), address families, socket types,
//! send and receive flags, and the error record (whose codes come from the
//! one list in `crate::error`).
//!
//! Unix paths cross the sandbox boundary here: a guest path goes through
//! [`Policy::unix_bind`] / [`Policy::unix_connect`] before it reaches the
//! OS, and a host path comes back through [`Policy::guest_unix_name`], so
//! the guest never sees where its directory really is.

use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};

use socket2::SockAddr;

use crate::bindings::wasock::socket::types::{Ipv4SocketAddress, Ipv6SocketAddress, SocketAddress};
use crate::bindings::wasock::socket::{socket, types};
use crate::ctx::WasockCtxView;
use crate::error::{Error, ErrorClass, ErrorCode, HostError, Result, with_error_codes};
use crate::policy::Policy;
use crate::socket::{Family, Kind, RecvFlags, SendFlags};

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

/// The WIT address as a [`GuestAddress`] (a unix path moved, not
/// copied: a guest's path may be as long as its memory).
pub fn from_wit(address: SocketAddress) -> GuestAddress {
    match address {
        SocketAddress::Inet(v4) => GuestAddress::Ip(SocketAddr::V4(ipv4_from_wit(&v4))),
        SocketAddress::Inet6(v6) => GuestAddress::Ip(SocketAddr::V6(ipv6_from_wit(&v6))),
        SocketAddress::Unix(path) => GuestAddress::Unix(path),
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
    address_to_wit(address, policy, false)
}

/// [`to_wit`] for the peer of a connection the kernel says is a socket of
/// this process (`SO_PEERCRED`): a unix name this host bound is followed
/// back (see [`Policy::guest_unix_name_in_process`]).
pub fn peer_to_wit(
    address: &SockAddr,
    policy: &Policy,
    peer_in_this_process: bool,
) -> Option<SocketAddress> {
    address_to_wit(address, policy, peer_in_this_process)
}

fn address_to_wit(address: &SockAddr, policy: &Policy, in_process: bool) -> Option<SocketAddress> {
    if let Some(ip) = address.as_socket() {
        return Some(ip_to_wit(ip));
    }
    if address.is_unix() {
        let guest = address
            .as_pathname()
            .filter(|path| !path.as_os_str().is_empty())
            .and_then(|path| {
                if in_process {
                    policy.guest_unix_name_in_process(path)
                } else {
                    policy.guest_unix_name(path)
                }
            })
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

/// `None` for `unspec`.
pub(super) fn family_from_wit(family: types::AddressFamily) -> Option<Family> {
    match family {
        types::AddressFamily::Unspec => None,
        types::AddressFamily::Inet => Some(Family::Inet),
        types::AddressFamily::Inet6 => Some(Family::Inet6),
        types::AddressFamily::Unix => Some(Family::Unix),
    }
}

pub(super) fn family_to_wit(family: Family) -> types::AddressFamily {
    match family {
        Family::Inet => types::AddressFamily::Inet,
        Family::Inet6 => types::AddressFamily::Inet6,
        Family::Unix => types::AddressFamily::Unix,
    }
}

/// The spec's name of a family, for messages.
pub(super) fn family_name(family: Family) -> &'static str {
    match family {
        Family::Inet => "af/inet",
        Family::Inet6 => "af/inet6",
        Family::Unix => "af/unix",
    }
}

pub(super) fn kind_from_wit(kind: types::SocketType) -> Kind {
    match kind {
        types::SocketType::Stream => Kind::Stream,
        types::SocketType::Dgram => Kind::Dgram,
        types::SocketType::Raw => Kind::Raw,
    }
}

pub(super) fn kind_to_wit(kind: Kind) -> types::SocketType {
    match kind {
        Kind::Stream => types::SocketType::Stream,
        Kind::Dgram => types::SocketType::Dgram,
        Kind::Raw => types::SocketType::Raw,
    }
}

pub(super) fn error_to_wit(error: Error) -> types::Error {
    use types::ErrorClass as C;
    let class = match error.class {
        ErrorClass::Transient => C::Transient,
        ErrorClass::Timeout => C::Timeout,
        ErrorClass::Unsupported => C::Unsupported,
        ErrorClass::Fatal => C::Fatal,
    };
    macro_rules! code_to_wit {
        ($($code:ident),* $(,)?) => {
            match error.code {
                $(ErrorCode::$code => types::ErrorCode::$code,)*
            }
        };
    }
    let code = with_error_codes!(code_to_wit);
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

pub(super) fn send_flags(flags: socket::SendFlags) -> SendFlags {
    SendFlags {
        oob: flags.contains(socket::SendFlags::OOB),
        dont_route: flags.contains(socket::SendFlags::DONT_ROUTE),
        dont_wait: flags.contains(socket::SendFlags::DONT_WAIT),
        end_of_record: flags.contains(socket::SendFlags::END_OF_RECORD),
        more: flags.contains(socket::SendFlags::MORE),
    }
}

pub(super) fn receive_flags(flags: socket::ReceiveFlags) -> RecvFlags {
    RecvFlags {
        peek: flags.contains(socket::ReceiveFlags::PEEK),
        oob: flags.contains(socket::ReceiveFlags::OOB),
        wait_all: flags.contains(socket::ReceiveFlags::WAIT_ALL),
        dont_wait: flags.contains(socket::ReceiveFlags::DONT_WAIT),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inet_round_trips() {
        for text in ["127.0.0.1:80", "[::1]:8080", "[fe80::1%3]:1"] {
            let ip: SocketAddr = text.parse().unwrap();
            assert_eq!(from_wit(ip_to_wit(ip)), GuestAddress::Ip(ip), "{text}");
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
