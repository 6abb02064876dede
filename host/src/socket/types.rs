//! The socket layer's vocabulary: families, types, the flags of
//! `send(2)` / `recv(2)`, shutdown directions and readiness interests.

use socket2::{Domain, SockAddr, Type};

/// Address family of a socket (`socket(2)`'s domain).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Family {
    /// `AF_INET`.
    Inet,
    /// `AF_INET6`.
    Inet6,
    /// `AF_UNIX`.
    Unix,
}

impl Family {
    pub(crate) fn domain(self) -> Domain {
        match self {
            Family::Inet => Domain::IPV4,
            Family::Inet6 => Domain::IPV6,
            Family::Unix => Domain::UNIX,
        }
    }

    /// The family of an OS socket address, if it is one of ours.
    pub fn of(address: &SockAddr) -> Option<Family> {
        match i32::from(address.family()) {
            libc::AF_INET => Some(Family::Inet),
            libc::AF_INET6 => Some(Family::Inet6),
            libc::AF_UNIX => Some(Family::Unix),
            _ => None,
        }
    }
}

/// Socket type (`socket(2)`'s type).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    /// `SOCK_STREAM`.
    Stream,
    /// `SOCK_DGRAM`.
    Dgram,
    /// `SOCK_RAW`.
    Raw,
}

impl Kind {
    pub(crate) fn socket_type(self) -> Type {
        match self {
            Kind::Stream => Type::STREAM,
            Kind::Dgram => Type::DGRAM,
            Kind::Raw => Type::RAW,
        }
    }

    /// The kind of an OS `SOCK_*` number (as `SO_TYPE` reports it).
    pub fn from_raw(raw: i32) -> Option<Kind> {
        match raw {
            libc::SOCK_STREAM => Some(Kind::Stream),
            libc::SOCK_DGRAM => Some(Kind::Dgram),
            libc::SOCK_RAW => Some(Kind::Raw),
            _ => None,
        }
    }

    /// Message-oriented sockets, where `MSG_TRUNC` reports a datagram's
    /// real length.
    pub(crate) fn is_datagram(self) -> bool {
        matches!(self, Kind::Dgram | Kind::Raw)
    }
}

/// `how` of `shutdown(2)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ShutdownHow {
    /// `SHUT_RD`.
    Read,
    /// `SHUT_WR`.
    Write,
    /// `SHUT_RDWR`.
    Both,
}

/// `flags` of `send(2)` / `sendto(2)`; `MSG_NOSIGNAL` is always added.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SendFlags {
    /// `MSG_OOB`.
    pub oob: bool,
    /// `MSG_DONTROUTE`.
    pub dont_route: bool,
    /// `MSG_DONTWAIT`: fail with would-block rather than wait.
    pub dont_wait: bool,
    /// `MSG_EOR`.
    pub end_of_record: bool,
    /// `MSG_MORE`.
    pub more: bool,
}

impl SendFlags {
    pub(crate) fn bits(self) -> libc::c_int {
        let mut bits = libc::MSG_NOSIGNAL;
        if self.oob {
            bits |= libc::MSG_OOB;
        }
        if self.dont_route {
            bits |= libc::MSG_DONTROUTE;
        }
        if self.dont_wait {
            bits |= libc::MSG_DONTWAIT;
        }
        if self.end_of_record {
            bits |= libc::MSG_EOR;
        }
        if self.more {
            bits |= libc::MSG_MORE;
        }
        bits
    }
}

/// `flags` of `recv(2)` / `recvfrom(2)`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RecvFlags {
    /// `MSG_PEEK`.
    pub peek: bool,
    /// `MSG_OOB`.
    pub oob: bool,
    /// `MSG_WAITALL`: on a stream, wait for the whole length (the host
    /// loops, since the OS socket is non-blocking).
    pub wait_all: bool,
    /// `MSG_DONTWAIT`: fail with would-block rather than wait.
    pub dont_wait: bool,
}

impl RecvFlags {
    pub(crate) fn bits(self) -> libc::c_int {
        let mut bits = 0;
        if self.peek {
            bits |= libc::MSG_PEEK;
        }
        if self.oob {
            bits |= libc::MSG_OOB;
        }
        if self.dont_wait {
            bits |= libc::MSG_DONTWAIT;
        }
        bits
    }
}

/// What a readiness wait is for (WIT `interest`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Readiness {
    /// Data, end of file, a connection to accept or an error.
    pub readable: bool,
    /// Room to send, a completed connect or an error.
    pub writable: bool,
}
