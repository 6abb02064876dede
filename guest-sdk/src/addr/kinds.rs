//! Families, socket types and protocols: the arguments of `socket(2)`,
//! the spec's "Socket creation" constants.

use std::fmt;

use crate::bindings::wasock::socket::types as wit;

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
