//! The spec's integer constants (`af/*`, `sock/*`, `ipproto/*`, `so/*`,
//! `tcp/*`, `ip/*`, `ipv6/*`, `sol/*`, `shut/*`, `ai/*`, `ni/*`) with the
//! host's numbers, and the spec's int ↔ name conversions
//! (`integer->address-family` and friends).
//!
//! The numbers are the host's (what `getsockopt(2)` there takes), asked
//! once (`socket.constants`) and cached. Spec: "Some platforms do not define
//! all the constants we provide. If a constant is undefined, its value is
//! #f": here [`Constant::value`] is `None`, and [`Constant::get`] fails with
//! class [`ErrorClass::Unsupported`].
//!
//! ```no_run
//! # fn main() -> wasock::Result<()> {
//! use wasock::constants::{SOL_SOCKET, SO_REUSEADDR, SO_USELOOPBACK};
//! # let socket = wasock::Socket::new(wasock::Family::Inet, wasock::SocketType::Stream, wasock::Protocol::DEFAULT)?;
//! socket.set_option_int(SOL_SOCKET.get()?, SO_REUSEADDR.get()?, 1)?;
//! if SO_USELOOPBACK.value().is_none() {
//!     println!("{} is not defined on this host", SO_USELOOPBACK.name());
//! }
//! assert_eq!(wasock::constants::name_of("so/", SO_REUSEADDR.get()?), Some("so/reuseaddr"));
//! # Ok(()) }
//! ```

use std::fmt;
use std::sync::OnceLock;

use crate::addr::{Family, Protocol, SocketType};
use crate::bindings::wasock::socket::socket as wit;
use crate::error::{Error, ErrorClass, ErrorCode, Result};

/// One of the spec's constant names; its number comes from the host.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Constant(&'static str);

impl Constant {
    /// The spec's name, for example `"so/reuseaddr"`.
    pub const fn name(self) -> &'static str {
        self.0
    }

    /// The host's number; `None` where the host does not define it (the
    /// spec's `#f`).
    pub fn value(self) -> Option<i32> {
        value(self.0)
    }

    /// The host's number, or a class [`ErrorClass::Unsupported`],
    /// [`ErrorCode::OptionNotSupported`] error naming the constant.
    pub fn get(self) -> Result<i32> {
        self.value().ok_or_else(|| {
            Error::new(
                ErrorClass::Unsupported,
                ErrorCode::OptionNotSupported,
                format!("constant {} is not defined on this host", self.0),
            )
        })
    }
}

impl fmt::Debug for Constant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl fmt::Display for Constant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

macro_rules! constants {
    ($( $(#[$doc:meta])* $rust:ident = $spec:literal, )*) => {
        $( $(#[$doc])* pub const $rust: Constant = Constant($spec); )*

        /// Every constant of the spec, in the spec's order.
        pub const ALL: &[Constant] = &[ $( $rust, )* ];
    };
}

constants! {
    /// `af/inet`: `AF_INET`.
    AF_INET = "af/inet",
    /// `af/inet6`: `AF_INET6`.
    AF_INET6 = "af/inet6",
    /// `af/unix`: `AF_UNIX`.
    AF_UNIX = "af/unix",
    /// `af/unspec`: `AF_UNSPEC`.
    AF_UNSPEC = "af/unspec",
    /// `sock/stream`: `SOCK_STREAM`.
    SOCK_STREAM = "sock/stream",
    /// `sock/dgram`: `SOCK_DGRAM`.
    SOCK_DGRAM = "sock/dgram",
    /// `sock/raw`: `SOCK_RAW`.
    SOCK_RAW = "sock/raw",
    /// `ipproto/tcp`: `IPPROTO_TCP`.
    IPPROTO_TCP = "ipproto/tcp",
    /// `ipproto/udp`: `IPPROTO_UDP`.
    IPPROTO_UDP = "ipproto/udp",
    /// `ai/numerichost`: `AI_NUMERICHOST`.
    AI_NUMERICHOST = "ai/numerichost",
    /// `ai/passive`: `AI_PASSIVE`.
    AI_PASSIVE = "ai/passive",
    /// `ai/canonname`: `AI_CANONNAME`.
    AI_CANONNAME = "ai/canonname",
    /// `ni/numerichost`: `NI_NUMERICHOST`.
    NI_NUMERICHOST = "ni/numerichost",
    /// `ni/numericserv`: `NI_NUMERICSERV`.
    NI_NUMERICSERV = "ni/numericserv",
    /// `ni/dgram`: `NI_DGRAM`.
    NI_DGRAM = "ni/dgram",
    /// `ni/namereqd`: `NI_NAMEREQD`.
    NI_NAMEREQD = "ni/namereqd",
    /// `ni/nofqdn`: `NI_NOFQDN`.
    NI_NOFQDN = "ni/nofqdn",
    /// `shut/rd`: `SHUT_RD`.
    SHUT_RD = "shut/rd",
    /// `shut/wr`: `SHUT_WR`.
    SHUT_WR = "shut/wr",
    /// `shut/rdwr`: `SHUT_RDWR`.
    SHUT_RDWR = "shut/rdwr",
    /// `so/reuseaddr`: `SO_REUSEADDR`.
    SO_REUSEADDR = "so/reuseaddr",
    /// `so/debug`: `SO_DEBUG`.
    SO_DEBUG = "so/debug",
    /// `so/acceptconn`: `SO_ACCEPTCONN`.
    SO_ACCEPTCONN = "so/acceptconn",
    /// `so/keepalive`: `SO_KEEPALIVE`.
    SO_KEEPALIVE = "so/keepalive",
    /// `so/dontroute`: `SO_DONTROUTE`.
    SO_DONTROUTE = "so/dontroute",
    /// `so/broadcast`: `SO_BROADCAST`.
    SO_BROADCAST = "so/broadcast",
    /// `so/linger`: `SO_LINGER`.
    SO_LINGER = "so/linger",
    /// `so/oobinline`: `SO_OOBINLINE`.
    SO_OOBINLINE = "so/oobinline",
    /// `so/sndbuf`: `SO_SNDBUF`.
    SO_SNDBUF = "so/sndbuf",
    /// `so/rcvbuf`: `SO_RCVBUF`.
    SO_RCVBUF = "so/rcvbuf",
    /// `so/sndlowat`: `SO_SNDLOWAT`.
    SO_SNDLOWAT = "so/sndlowat",
    /// `so/rcvlowat`: `SO_RCVLOWAT`.
    SO_RCVLOWAT = "so/rcvlowat",
    /// `so/sndtimeo`: `SO_SNDTIMEO`.
    SO_SNDTIMEO = "so/sndtimeo",
    /// `so/rcvtimeo`: `SO_RCVTIMEO`.
    SO_RCVTIMEO = "so/rcvtimeo",
    /// `so/error`: `SO_ERROR`.
    SO_ERROR = "so/error",
    /// `so/type`: `SO_TYPE`.
    SO_TYPE = "so/type",
    /// `so/useloopback`: `SO_USELOOPBACK` (BSDs).
    SO_USELOOPBACK = "so/useloopback",
    /// `so/reuseport`: `SO_REUSEPORT`.
    SO_REUSEPORT = "so/reuseport",
    /// `so/timestamp`: `SO_TIMESTAMP`.
    SO_TIMESTAMP = "so/timestamp",
    /// `so/exclusiveaddruse`: `SO_EXCLUSIVEADDRUSE` (Windows).
    SO_EXCLUSIVEADDRUSE = "so/exclusiveaddruse",
    /// `tcp/nodelay`: `TCP_NODELAY`.
    TCP_NODELAY = "tcp/nodelay",
    /// `tcp/nopush`: `TCP_NOPUSH` (`TCP_CORK` on Linux).
    TCP_NOPUSH = "tcp/nopush",
    /// `tcp/noopt`: `TCP_NOOPT` (BSDs).
    TCP_NOOPT = "tcp/noopt",
    /// `tcp/keepalive`: `TCP_KEEPALIVE` (`TCP_KEEPIDLE` on Linux).
    TCP_KEEPALIVE = "tcp/keepalive",
    /// `tcp/maxseg`: `TCP_MAXSEG`.
    TCP_MAXSEG = "tcp/maxseg",
    /// `ip/options`: `IP_OPTIONS`.
    IP_OPTIONS = "ip/options",
    /// `ip/hdrincl`: `IP_HDRINCL`.
    IP_HDRINCL = "ip/hdrincl",
    /// `ip/tos`: `IP_TOS`.
    IP_TOS = "ip/tos",
    /// `ip/ttl`: `IP_TTL`.
    IP_TTL = "ip/ttl",
    /// `ip/mtu`: `IP_MTU`.
    IP_MTU = "ip/mtu",
    /// `ip/mtu-discover`: `IP_MTU_DISCOVER`.
    IP_MTU_DISCOVER = "ip/mtu-discover",
    /// `ip/pktinfo`: `IP_PKTINFO`.
    IP_PKTINFO = "ip/pktinfo",
    /// `ip/recverr`: `IP_RECVERR`.
    IP_RECVERR = "ip/recverr",
    /// `ip/recvtos`: `IP_RECVTOS`.
    IP_RECVTOS = "ip/recvtos",
    /// `ip/recvttl`: `IP_RECVTTL`.
    IP_RECVTTL = "ip/recvttl",
    /// `ip/router-alert`: `IP_ROUTER_ALERT`.
    IP_ROUTER_ALERT = "ip/router-alert",
    /// `ip/recvopts`: `IP_RECVOPTS`.
    IP_RECVOPTS = "ip/recvopts",
    /// `ip/recvretopts`: `IP_RECVRETOPTS`.
    IP_RECVRETOPTS = "ip/recvretopts",
    /// `ip/retopts`: `IP_RETOPTS`.
    IP_RETOPTS = "ip/retopts",
    /// `ip/recvdstaddr`: `IP_RECVDSTADDR` (BSDs).
    IP_RECVDSTADDR = "ip/recvdstaddr",
    /// `ip/multicast-if`: `IP_MULTICAST_IF`.
    IP_MULTICAST_IF = "ip/multicast-if",
    /// `ip/multicast-ttl`: `IP_MULTICAST_TTL`.
    IP_MULTICAST_TTL = "ip/multicast-ttl",
    /// `ip/multicast-loop`: `IP_MULTICAST_LOOP`.
    IP_MULTICAST_LOOP = "ip/multicast-loop",
    /// `ip/add-membership`: `IP_ADD_MEMBERSHIP`.
    IP_ADD_MEMBERSHIP = "ip/add-membership",
    /// `ip/drop-membership`: `IP_DROP_MEMBERSHIP`.
    IP_DROP_MEMBERSHIP = "ip/drop-membership",
    /// `ipv6/v6only`: `IPV6_V6ONLY`.
    IPV6_V6ONLY = "ipv6/v6only",
    /// `sol/socket`: `SOL_SOCKET`, the socket level.
    SOL_SOCKET = "sol/socket",
    /// `ipproto/ip`: `IPPROTO_IP`, the IP level.
    IPPROTO_IP = "ipproto/ip",
    /// `ipproto/ipv6`: `IPPROTO_IPV6`, the IPv6 level.
    IPPROTO_IPV6 = "ipproto/ipv6",
    /// `ipproto/icmp`: `IPPROTO_ICMP`.
    IPPROTO_ICMP = "ipproto/icmp",
}

/// The host's list, asked for once.
fn host_table() -> &'static [(String, Option<i32>)] {
    static TABLE: OnceLock<Vec<(String, Option<i32>)>> = OnceLock::new();
    TABLE.get_or_init(|| {
        crate::require_wasm();
        wit::constants()
            .into_iter()
            .map(|c| (c.name, c.value))
            .collect()
    })
}

/// The host's number for the spec's constant `name` (`"so/reuseaddr"`);
/// `None` where the host does not define it or does not know the name.
pub fn value(name: &str) -> Option<i32> {
    lookup(host_table(), name)
}

fn lookup(table: &[(String, Option<i32>)], name: &str) -> Option<i32> {
    table
        .iter()
        .find(|(known, _)| known == name)
        .and_then(|(_, v)| *v)
}

/// Every constant the host reported, with its number, in the spec's order
/// (the spec's constants with `#f` where undefined).
pub fn host_constants() -> &'static [(String, Option<i32>)] {
    host_table()
}

/// The spec's name of the constant in group `prefix` (`"so/"`, `"af/"`,
/// `"ipproto/"`, ...) whose host number is `value`: the general form of
/// `integer->address-family` and friends. `None` where no constant of the
/// group has that number. Where two names share a number (Linux's
/// `ip/retopts` and `ip/recvretopts`), the first in the spec's order wins.
pub fn name_of(prefix: &str, value: i32) -> Option<&'static str> {
    name_in(host_table(), prefix, value)
}

fn name_in(table: &[(String, Option<i32>)], prefix: &str, value: i32) -> Option<&'static str> {
    ALL.iter()
        .filter(|c| c.0.starts_with(prefix))
        .find(|c| lookup(table, c.0) == Some(value))
        .map(|c| c.0)
}

/// The spec's `integer->address-family`: the family with host number `int`.
pub fn integer_to_address_family(int: i32) -> Option<Family> {
    match name_of("af/", int)? {
        "af/inet" => Some(Family::Inet),
        "af/inet6" => Some(Family::Inet6),
        "af/unix" => Some(Family::Unix),
        "af/unspec" => Some(Family::Unspec),
        _ => None,
    }
}

/// The spec's `address-family->integer`: the host's number for `family`.
pub fn address_family_to_integer(family: Family) -> Option<i32> {
    value(family.name())
}

/// The spec's `integer->socket-type`: the socket type with host number `int`.
pub fn integer_to_socket_type(int: i32) -> Option<SocketType> {
    match name_of("sock/", int)? {
        "sock/stream" => Some(SocketType::Stream),
        "sock/dgram" => Some(SocketType::Dgram),
        "sock/raw" => Some(SocketType::Raw),
        _ => None,
    }
}

/// The spec's `socket-type->integer`: the host's number for `socket_type`.
pub fn socket_type_to_integer(socket_type: SocketType) -> Option<i32> {
    value(socket_type.name())
}

/// The spec's `integer->protocol-type`: the protocol with host number
/// `int`, where it is one of the spec's `ipproto/*` names.
pub fn integer_to_protocol_type(int: i32) -> Option<Protocol> {
    name_of("ipproto/", int)?;
    u16::try_from(int).ok().map(Protocol)
}

/// The spec's `protocol-type->integer`: the host's number for `protocol`
/// (`None` for a protocol without a spec name, or one the host lacks).
pub fn protocol_type_to_integer(protocol: Protocol) -> Option<i32> {
    value(protocol.name()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> Vec<(String, Option<i32>)> {
        [
            ("af/inet", Some(2)),
            ("af/inet6", Some(10)),
            ("so/reuseaddr", Some(2)),
            ("so/useloopback", None),
        ]
        .into_iter()
        .map(|(n, v)| (n.to_owned(), v))
        .collect()
    }

    #[test]
    fn every_name_is_listed_once_in_its_group() {
        assert_eq!(ALL.len(), 70);
        for (i, c) in ALL.iter().enumerate() {
            assert!(c.0.contains('/'), "{c}");
            assert!(!ALL[..i].contains(c), "{c} twice");
        }
    }

    #[test]
    fn name_lookup_stays_in_its_group() {
        let t = table();
        assert_eq!(name_in(&t, "af/", 2), Some("af/inet"));
        assert_eq!(name_in(&t, "so/", 2), Some("so/reuseaddr"));
        assert_eq!(name_in(&t, "af/", 3), None);
    }

    #[test]
    fn undefined_constants_are_visibly_absent() {
        let t = table();
        assert_eq!(lookup(&t, "so/useloopback"), None);
        assert_eq!(lookup(&t, "no/such"), None);
        assert_eq!(lookup(&t, "af/inet6"), Some(10));
    }
}
