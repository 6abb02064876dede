//! The socket-option allow-list: which (level, name) pairs a guest may get
//! or set, with which values, under which grant.
//!
//! Nothing reaches `getsockopt(2)` / `setsockopt(2)` unless this table
//! knows the pair. Every entry says, for reading and for writing:
//!
//! - **free**: any guest, the value checked (sizes, ranges) and, for
//!   buffer sizes and linger, capped at a ceiling;
//! - **a grant**: `--allow-raw` (options that choose interfaces, routes,
//!   headers or marks, or join anycast addresses) or `--allow-multicast`
//!   (group membership, for the groups granted);
//! - **never**: options that would open a descriptor in the host, reveal
//!   host processes or namespaces, pass the kernel's memory limits, load
//!   kernel modules or take over another process's connections;
//! - **read-only**: the spec's "(r/o)" options.
//!
//! A pair the table does not know answers class `unsupported`
//! (`option-not-supported`), as the WIT promises for unknown options; a
//! known pair the guest may not use answers `permission-denied` naming the
//! option and what would allow it. The table is Linux's; on other systems
//! it is empty and every option is unsupported.

use std::borrow::Cow;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::{Denied, Operation, Policy};
use crate::socket::{Family, Kind};

/// The largest send or receive buffer a guest may ask for (`SO_SNDBUF`,
/// `SO_RCVBUF`): larger values are set to this. Linux doubles what it is
/// given, so a socket holds at most twice this in each direction.
pub const BUFFER_SIZE_CEILING: i32 = 4 * 1024 * 1024;

/// The longest `SO_LINGER` time a guest may ask for, in seconds: longer
/// ones are set to this. A lingering close holds its socket slot (see
/// `--max-sockets`) until its data is out or this time is up.
pub const LINGER_CEILING_SECONDS: i32 = 30;

/// What a socket is, as far as the option rules care.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OptionTarget {
    /// The socket's family.
    pub family: Family,
    /// The socket's type.
    pub kind: Kind,
}

/// Why an option call may not reach the OS.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OptionRefusal {
    /// The pair is not in the allow-list: class `unsupported`.
    Unknown {
        /// The level asked for.
        level: i32,
        /// The name asked for.
        name: i32,
    },
    /// The option is read-only (set was asked).
    ReadOnly(&'static str),
    /// The option is known and refused: `permission-denied`.
    Denied(Denied),
    /// The value is malformed or out of range: `invalid-argument`.
    Invalid(String),
}

/// What the host does with what `getsockopt(2)` returned before the guest
/// sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GetFilter {
    /// Nothing.
    AsIs,
    /// A `struct ucred`: the process id is the host's, so it reads 0.
    HidePeerPid,
}

impl GetFilter {
    /// Applies the filter to the bytes the OS wrote.
    pub fn apply(self, bytes: &mut [u8]) {
        match self {
            GetFilter::AsIs => {}
            GetFilter::HidePeerPid => {
                // struct ucred { pid_t pid; uid_t uid; gid_t gid; }
                for byte in bytes.iter_mut().take(4) {
                    *byte = 0;
                }
            }
        }
    }
}

/// Who may read an option.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Get {
    Free,
    /// Free, with a filter on the result.
    Filtered(GetFilter),
    /// Free on inet sockets; on unix sockets it would show a host path.
    InetOnly,
    Raw,
    Never(&'static str),
}

/// Who may write an option, and with what value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Set {
    Free(Value),
    /// Free on stream sockets; on others it lets a socket share a port
    /// with another process's, so it needs `--allow-multicast` (its use
    /// there: several receivers of one group) or `--allow-raw`.
    StreamFree(Value),
    /// Free inside the value's range; outside it needs `--allow-raw`.
    FreeInRange(Value),
    Raw(Value),
    Membership(MembershipKind),
    ReadOnly,
    Never(&'static str),
}

/// The value rules of `Set`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Value {
    /// A C `int` in `min..=max` (4 bytes; 1 byte too where `byte` is set,
    /// as Linux takes for these options).
    Int { min: i32, max: i32, byte: bool },
    /// A C `int` clamped to `0..=max` (negative values are invalid).
    Clamped { max: i32 },
    /// A `struct linger`, its time clamped to the linger ceiling.
    Linger,
    /// A `struct timeval`.
    Timeval,
    /// Bytes of at most this length, passed as they are.
    Bytes { max: usize },
}

/// Multicast membership structures.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum MembershipKind {
    /// `struct ip_mreq` (8 bytes) or `struct ip_mreqn` (12 bytes).
    Ipv4,
    /// `struct ipv6_mreq` (20 bytes).
    Ipv6,
}

const fn int(min: i32, max: i32) -> Value {
    Value::Int {
        min,
        max,
        byte: false,
    }
}

const fn int_or_byte(min: i32, max: i32) -> Value {
    Value::Int {
        min,
        max,
        byte: true,
    }
}

const BOOL: Value = int(i32::MIN, i32::MAX);
const ANY_INT: Value = int(i32::MIN, i32::MAX);
const NON_NEGATIVE: Value = int(0, i32::MAX);
const HOPS: Value = int(-1, 255);

/// One allow-list entry.
#[derive(Clone, Copy, Debug)]
struct Rule {
    level: i32,
    name: i32,
    /// The option's C name, for messages.
    label: &'static str,
    get: Get,
    set: Set,
}

const fn rule(level: i32, name: i32, label: &'static str, get: Get, set: Set) -> Rule {
    Rule {
        level,
        name,
        label,
        get,
        set,
    }
}

/// Levels (the same numbers on every Linux).
mod level {
    pub const SOL_SOCKET: i32 = 1;
    pub const IPPROTO_IP: i32 = 0;
    pub const IPPROTO_IPV6: i32 = 41;
    pub const IPPROTO_TCP: i32 = 6;
    pub const IPPROTO_UDP: i32 = 17;
    pub const IPPROTO_ICMPV6: i32 = 58;
    pub const SOL_RAW: i32 = 255;
}

const OPENS_DESCRIPTOR: &str = "it would open a descriptor in the host";
const HOST_IDENTITY: &str = "it would show the host's processes, security labels or namespaces";
const MEMORY_LIMITS: &str =
    "it would pass the kernel's memory limits (the plain option is capped instead)";
const TAKES_CONNECTIONS: &str = "it would let the guest take over connections of other processes";
const KERNEL_STATE: &str =
    "it changes the host's kernel state (IPsec policy, encapsulation, kernel modules)";
const FILTERS: &str = "socket filters and BPF programs are not available to guests";

#[cfg(any(target_os = "linux", target_os = "android"))]
const RULES: &[Rule] = {
    use Get as G;
    use Set as S;
    use level::*;
    &[
        // Socket options get/set using SOL_SOCKET.
        rule(SOL_SOCKET, 1, "SO_DEBUG", G::Free, S::Free(BOOL)),
        rule(SOL_SOCKET, 2, "SO_REUSEADDR", G::Free, S::StreamFree(BOOL)),
        rule(SOL_SOCKET, 3, "SO_TYPE", G::Free, S::ReadOnly),
        rule(SOL_SOCKET, 4, "SO_ERROR", G::Free, S::ReadOnly),
        rule(SOL_SOCKET, 5, "SO_DONTROUTE", G::Free, S::Free(BOOL)),
        rule(SOL_SOCKET, 6, "SO_BROADCAST", G::Free, S::Free(BOOL)),
        rule(
            SOL_SOCKET,
            7,
            "SO_SNDBUF",
            G::Free,
            S::Free(Value::Clamped {
                max: BUFFER_SIZE_CEILING,
            }),
        ),
        rule(
            SOL_SOCKET,
            8,
            "SO_RCVBUF",
            G::Free,
            S::Free(Value::Clamped {
                max: BUFFER_SIZE_CEILING,
            }),
        ),
        rule(SOL_SOCKET, 9, "SO_KEEPALIVE", G::Free, S::Free(BOOL)),
        rule(SOL_SOCKET, 10, "SO_OOBINLINE", G::Free, S::Free(BOOL)),
        rule(SOL_SOCKET, 11, "SO_NO_CHECK", G::Free, S::Free(BOOL)),
        rule(
            SOL_SOCKET,
            12,
            "SO_PRIORITY",
            G::Free,
            S::FreeInRange(int(0, 6)),
        ),
        rule(SOL_SOCKET, 13, "SO_LINGER", G::Free, S::Free(Value::Linger)),
        rule(SOL_SOCKET, 15, "SO_REUSEPORT", G::Free, S::Raw(BOOL)),
        rule(
            SOL_SOCKET,
            17,
            "SO_PEERCRED",
            G::Filtered(GetFilter::HidePeerPid),
            S::ReadOnly,
        ),
        rule(
            SOL_SOCKET,
            18,
            "SO_RCVLOWAT",
            G::Free,
            S::Free(int(1, i32::MAX)),
        ),
        rule(
            SOL_SOCKET,
            19,
            "SO_SNDLOWAT",
            G::Free,
            S::Free(int(1, i32::MAX)),
        ),
        rule(
            SOL_SOCKET,
            20,
            "SO_RCVTIMEO",
            G::Free,
            S::Free(Value::Timeval),
        ),
        rule(
            SOL_SOCKET,
            21,
            "SO_SNDTIMEO",
            G::Free,
            S::Free(Value::Timeval),
        ),
        rule(
            SOL_SOCKET,
            25,
            "SO_BINDTODEVICE",
            G::Raw,
            S::Raw(Value::Bytes { max: 16 }),
        ),
        rule(
            SOL_SOCKET,
            26,
            "SO_ATTACH_FILTER",
            G::Never(FILTERS),
            S::Never(FILTERS),
        ),
        rule(
            SOL_SOCKET,
            27,
            "SO_DETACH_FILTER",
            G::Never(FILTERS),
            S::Never(FILTERS),
        ),
        rule(SOL_SOCKET, 28, "SO_PEERNAME", G::InetOnly, S::ReadOnly),
        rule(SOL_SOCKET, 29, "SO_TIMESTAMP", G::Free, S::Free(BOOL)),
        rule(SOL_SOCKET, 30, "SO_ACCEPTCONN", G::Free, S::ReadOnly),
        rule(
            SOL_SOCKET,
            31,
            "SO_PEERSEC",
            G::Never(HOST_IDENTITY),
            S::ReadOnly,
        ),
        rule(
            SOL_SOCKET,
            32,
            "SO_SNDBUFFORCE",
            G::Free,
            S::Never(MEMORY_LIMITS),
        ),
        rule(
            SOL_SOCKET,
            33,
            "SO_RCVBUFFORCE",
            G::Free,
            S::Never(MEMORY_LIMITS),
        ),
        rule(SOL_SOCKET, 35, "SO_TIMESTAMPNS", G::Free, S::Free(BOOL)),
        rule(SOL_SOCKET, 36, "SO_MARK", G::Raw, S::Raw(ANY_INT)),
        rule(SOL_SOCKET, 38, "SO_PROTOCOL", G::Free, S::ReadOnly),
        rule(SOL_SOCKET, 39, "SO_DOMAIN", G::Free, S::ReadOnly),
        rule(
            SOL_SOCKET,
            44,
            "SO_LOCK_FILTER",
            G::Never(FILTERS),
            S::Never(FILTERS),
        ),
        rule(
            SOL_SOCKET,
            50,
            "SO_ATTACH_BPF",
            G::Never(FILTERS),
            S::Never(FILTERS),
        ),
        rule(
            SOL_SOCKET,
            51,
            "SO_ATTACH_REUSEPORT_CBPF",
            G::Never(FILTERS),
            S::Never(FILTERS),
        ),
        rule(
            SOL_SOCKET,
            52,
            "SO_ATTACH_REUSEPORT_EBPF",
            G::Never(FILTERS),
            S::Never(FILTERS),
        ),
        rule(
            SOL_SOCKET,
            57,
            "SO_COOKIE",
            G::Never(HOST_IDENTITY),
            S::ReadOnly,
        ),
        rule(
            SOL_SOCKET,
            59,
            "SO_PEERGROUPS",
            G::Never(HOST_IDENTITY),
            S::ReadOnly,
        ),
        rule(SOL_SOCKET, 62, "SO_BINDTOIFINDEX", G::Raw, S::Raw(ANY_INT)),
        rule(SOL_SOCKET, 63, "SO_TIMESTAMP_NEW", G::Free, S::Free(BOOL)),
        rule(SOL_SOCKET, 64, "SO_TIMESTAMPNS_NEW", G::Free, S::Free(BOOL)),
        rule(
            SOL_SOCKET,
            66,
            "SO_RCVTIMEO_NEW",
            G::Free,
            S::Free(Value::Timeval),
        ),
        rule(
            SOL_SOCKET,
            67,
            "SO_SNDTIMEO_NEW",
            G::Free,
            S::Free(Value::Timeval),
        ),
        rule(
            SOL_SOCKET,
            68,
            "SO_DETACH_REUSEPORT_BPF",
            G::Never(FILTERS),
            S::Never(FILTERS),
        ),
        rule(
            SOL_SOCKET,
            71,
            "SO_NETNS_COOKIE",
            G::Never(HOST_IDENTITY),
            S::ReadOnly,
        ),
        rule(
            SOL_SOCKET,
            76,
            "SO_PASSPIDFD",
            G::Never(OPENS_DESCRIPTOR),
            S::Never(OPENS_DESCRIPTOR),
        ),
        rule(
            SOL_SOCKET,
            77,
            "SO_PEERPIDFD",
            G::Never(OPENS_DESCRIPTOR),
            S::ReadOnly,
        ),
        // Socket options get/set using IPPROTO_IP.
        rule(
            IPPROTO_IP,
            1,
            "IP_TOS",
            G::Free,
            S::Free(int_or_byte(0, 255)),
        ),
        rule(
            IPPROTO_IP,
            2,
            "IP_TTL",
            G::Free,
            S::Free(int_or_byte(-1, 255)),
        ),
        rule(IPPROTO_IP, 3, "IP_HDRINCL", G::Free, S::Raw(BOOL)),
        rule(
            IPPROTO_IP,
            4,
            "IP_OPTIONS",
            G::Raw,
            S::Raw(Value::Bytes { max: 40 }),
        ),
        rule(IPPROTO_IP, 5, "IP_ROUTER_ALERT", G::Raw, S::Raw(BOOL)),
        rule(IPPROTO_IP, 6, "IP_RECVOPTS", G::Free, S::Free(BOOL)),
        rule(IPPROTO_IP, 7, "IP_RETOPTS", G::Free, S::Free(BOOL)),
        rule(IPPROTO_IP, 8, "IP_PKTINFO", G::Free, S::Free(BOOL)),
        rule(
            IPPROTO_IP,
            10,
            "IP_MTU_DISCOVER",
            G::Free,
            S::Free(int(0, 5)),
        ),
        rule(IPPROTO_IP, 11, "IP_RECVERR", G::Free, S::Free(BOOL)),
        rule(IPPROTO_IP, 12, "IP_RECVTTL", G::Free, S::Free(BOOL)),
        rule(IPPROTO_IP, 13, "IP_RECVTOS", G::Free, S::Free(BOOL)),
        rule(IPPROTO_IP, 14, "IP_MTU", G::Free, S::ReadOnly),
        rule(IPPROTO_IP, 15, "IP_FREEBIND", G::Raw, S::Raw(BOOL)),
        rule(
            IPPROTO_IP,
            16,
            "IP_IPSEC_POLICY",
            G::Never(KERNEL_STATE),
            S::Never(KERNEL_STATE),
        ),
        rule(
            IPPROTO_IP,
            17,
            "IP_XFRM_POLICY",
            G::Never(KERNEL_STATE),
            S::Never(KERNEL_STATE),
        ),
        rule(IPPROTO_IP, 19, "IP_TRANSPARENT", G::Raw, S::Raw(BOOL)),
        rule(IPPROTO_IP, 21, "IP_MINTTL", G::Free, S::Free(int(0, 255))),
        rule(IPPROTO_IP, 22, "IP_NODEFRAG", G::Raw, S::Raw(BOOL)),
        rule(IPPROTO_IP, 23, "IP_CHECKSUM", G::Raw, S::Raw(BOOL)),
        rule(
            IPPROTO_IP,
            24,
            "IP_BIND_ADDRESS_NO_PORT",
            G::Free,
            S::Free(BOOL),
        ),
        rule(
            IPPROTO_IP,
            32,
            "IP_MULTICAST_IF",
            G::Raw,
            S::Raw(Value::Bytes { max: 12 }),
        ),
        rule(
            IPPROTO_IP,
            33,
            "IP_MULTICAST_TTL",
            G::Free,
            S::Free(int_or_byte(-1, 255)),
        ),
        rule(
            IPPROTO_IP,
            34,
            "IP_MULTICAST_LOOP",
            G::Free,
            S::Free(int_or_byte(i32::MIN, i32::MAX)),
        ),
        rule(
            IPPROTO_IP,
            35,
            "IP_ADD_MEMBERSHIP",
            G::Free,
            S::Membership(MembershipKind::Ipv4),
        ),
        rule(
            IPPROTO_IP,
            36,
            "IP_DROP_MEMBERSHIP",
            G::Free,
            S::Membership(MembershipKind::Ipv4),
        ),
        rule(IPPROTO_IP, 49, "IP_MULTICAST_ALL", G::Free, S::Free(BOOL)),
        rule(IPPROTO_IP, 50, "IP_UNICAST_IF", G::Raw, S::Raw(ANY_INT)),
        rule(IPPROTO_IP, 52, "IP_PROTOCOL", G::Free, S::ReadOnly),
        // Socket options get/set using IPPROTO_IPV6.
        rule(IPPROTO_IPV6, 2, "IPV6_2292PKTINFO", G::Raw, S::Raw(BOOL)),
        rule(IPPROTO_IPV6, 3, "IPV6_2292HOPOPTS", G::Raw, S::Raw(BOOL)),
        rule(IPPROTO_IPV6, 4, "IPV6_2292DSTOPTS", G::Raw, S::Raw(BOOL)),
        rule(IPPROTO_IPV6, 5, "IPV6_2292RTHDR", G::Raw, S::Raw(BOOL)),
        rule(
            IPPROTO_IPV6,
            6,
            "IPV6_2292PKTOPTIONS",
            G::Raw,
            S::Raw(Value::Bytes { max: 4096 }),
        ),
        rule(IPPROTO_IPV6, 7, "IPV6_CHECKSUM", G::Raw, S::Raw(ANY_INT)),
        rule(IPPROTO_IPV6, 8, "IPV6_2292HOPLIMIT", G::Raw, S::Raw(BOOL)),
        rule(
            IPPROTO_IPV6,
            9,
            "IPV6_NEXTHOP",
            G::Raw,
            S::Raw(Value::Bytes { max: 128 }),
        ),
        rule(
            IPPROTO_IPV6,
            16,
            "IPV6_UNICAST_HOPS",
            G::Free,
            S::Free(HOPS),
        ),
        rule(
            IPPROTO_IPV6,
            17,
            "IPV6_MULTICAST_IF",
            G::Raw,
            S::Raw(ANY_INT),
        ),
        rule(
            IPPROTO_IPV6,
            18,
            "IPV6_MULTICAST_HOPS",
            G::Free,
            S::Free(HOPS),
        ),
        rule(
            IPPROTO_IPV6,
            19,
            "IPV6_MULTICAST_LOOP",
            G::Free,
            S::Free(int(0, 1)),
        ),
        rule(
            IPPROTO_IPV6,
            20,
            "IPV6_ADD_MEMBERSHIP",
            G::Free,
            S::Membership(MembershipKind::Ipv6),
        ),
        rule(
            IPPROTO_IPV6,
            21,
            "IPV6_DROP_MEMBERSHIP",
            G::Free,
            S::Membership(MembershipKind::Ipv6),
        ),
        rule(
            IPPROTO_IPV6,
            22,
            "IPV6_ROUTER_ALERT",
            G::Raw,
            S::Raw(ANY_INT),
        ),
        rule(
            IPPROTO_IPV6,
            23,
            "IPV6_MTU_DISCOVER",
            G::Free,
            S::Free(int(0, 5)),
        ),
        rule(
            IPPROTO_IPV6,
            24,
            "IPV6_MTU",
            G::Free,
            S::Free(int(1280, 65535)),
        ),
        rule(IPPROTO_IPV6, 25, "IPV6_RECVERR", G::Free, S::Free(BOOL)),
        rule(IPPROTO_IPV6, 26, "IPV6_V6ONLY", G::Free, S::Free(BOOL)),
        rule(
            IPPROTO_IPV6,
            27,
            "IPV6_JOIN_ANYCAST",
            G::Raw,
            S::Raw(Value::Bytes { max: 20 }),
        ),
        rule(
            IPPROTO_IPV6,
            28,
            "IPV6_LEAVE_ANYCAST",
            G::Raw,
            S::Raw(Value::Bytes { max: 20 }),
        ),
        rule(
            IPPROTO_IPV6,
            29,
            "IPV6_MULTICAST_ALL",
            G::Free,
            S::Free(BOOL),
        ),
        rule(
            IPPROTO_IPV6,
            34,
            "IPV6_IPSEC_POLICY",
            G::Never(KERNEL_STATE),
            S::Never(KERNEL_STATE),
        ),
        rule(
            IPPROTO_IPV6,
            35,
            "IPV6_XFRM_POLICY",
            G::Never(KERNEL_STATE),
            S::Never(KERNEL_STATE),
        ),
        rule(IPPROTO_IPV6, 36, "IPV6_HDRINCL", G::Raw, S::Raw(BOOL)),
        rule(IPPROTO_IPV6, 49, "IPV6_RECVPKTINFO", G::Free, S::Free(BOOL)),
        rule(
            IPPROTO_IPV6,
            50,
            "IPV6_PKTINFO",
            G::Raw,
            S::Raw(Value::Bytes { max: 20 }),
        ),
        rule(
            IPPROTO_IPV6,
            51,
            "IPV6_RECVHOPLIMIT",
            G::Free,
            S::Free(BOOL),
        ),
        rule(
            IPPROTO_IPV6,
            54,
            "IPV6_HOPOPTS",
            G::Raw,
            S::Raw(Value::Bytes { max: 2048 }),
        ),
        rule(
            IPPROTO_IPV6,
            55,
            "IPV6_RTHDRDSTOPTS",
            G::Raw,
            S::Raw(Value::Bytes { max: 2048 }),
        ),
        rule(
            IPPROTO_IPV6,
            57,
            "IPV6_RTHDR",
            G::Raw,
            S::Raw(Value::Bytes { max: 2048 }),
        ),
        rule(
            IPPROTO_IPV6,
            59,
            "IPV6_DSTOPTS",
            G::Raw,
            S::Raw(Value::Bytes { max: 2048 }),
        ),
        rule(IPPROTO_IPV6, 60, "IPV6_RECVPATHMTU", G::Free, S::Free(BOOL)),
        rule(IPPROTO_IPV6, 61, "IPV6_PATHMTU", G::Free, S::ReadOnly),
        rule(IPPROTO_IPV6, 62, "IPV6_DONTFRAG", G::Free, S::Free(BOOL)),
        rule(IPPROTO_IPV6, 66, "IPV6_RECVTCLASS", G::Free, S::Free(BOOL)),
        rule(IPPROTO_IPV6, 67, "IPV6_TCLASS", G::Free, S::Free(HOPS)),
        rule(
            IPPROTO_IPV6,
            70,
            "IPV6_AUTOFLOWLABEL",
            G::Free,
            S::Free(BOOL),
        ),
        rule(
            IPPROTO_IPV6,
            73,
            "IPV6_MINHOPCOUNT",
            G::Free,
            S::Free(int(0, 255)),
        ),
        rule(IPPROTO_IPV6, 75, "IPV6_TRANSPARENT", G::Raw, S::Raw(BOOL)),
        rule(IPPROTO_IPV6, 76, "IPV6_UNICAST_IF", G::Raw, S::Raw(ANY_INT)),
        rule(IPPROTO_IPV6, 78, "IPV6_FREEBIND", G::Raw, S::Raw(BOOL)),
        // Socket options get/set using IPPROTO_TCP.
        rule(IPPROTO_TCP, 1, "TCP_NODELAY", G::Free, S::Free(BOOL)),
        rule(
            IPPROTO_TCP,
            2,
            "TCP_MAXSEG",
            G::Free,
            S::Free(int(88, 65535)),
        ),
        rule(IPPROTO_TCP, 3, "TCP_CORK", G::Free, S::Free(BOOL)),
        rule(
            IPPROTO_TCP,
            4,
            "TCP_KEEPIDLE",
            G::Free,
            S::Free(int(1, 32767)),
        ),
        rule(
            IPPROTO_TCP,
            5,
            "TCP_KEEPINTVL",
            G::Free,
            S::Free(int(1, 32767)),
        ),
        rule(IPPROTO_TCP, 6, "TCP_KEEPCNT", G::Free, S::Free(int(1, 127))),
        rule(IPPROTO_TCP, 7, "TCP_SYNCNT", G::Free, S::Free(int(1, 127))),
        rule(
            IPPROTO_TCP,
            8,
            "TCP_LINGER2",
            G::Free,
            S::Free(int(-1, 120)),
        ),
        rule(
            IPPROTO_TCP,
            9,
            "TCP_DEFER_ACCEPT",
            G::Free,
            S::Free(int(0, 3600)),
        ),
        rule(
            IPPROTO_TCP,
            10,
            "TCP_WINDOW_CLAMP",
            G::Free,
            S::Free(NON_NEGATIVE),
        ),
        rule(IPPROTO_TCP, 11, "TCP_INFO", G::Free, S::ReadOnly),
        rule(IPPROTO_TCP, 12, "TCP_QUICKACK", G::Free, S::Free(BOOL)),
        rule(
            IPPROTO_TCP,
            13,
            "TCP_CONGESTION",
            G::Free,
            S::Raw(Value::Bytes { max: 16 }),
        ),
        rule(
            IPPROTO_TCP,
            16,
            "TCP_THIN_LINEAR_TIMEOUTS",
            G::Free,
            S::Free(BOOL),
        ),
        rule(
            IPPROTO_TCP,
            18,
            "TCP_USER_TIMEOUT",
            G::Free,
            S::Free(NON_NEGATIVE),
        ),
        rule(
            IPPROTO_TCP,
            19,
            "TCP_REPAIR",
            G::Never(TAKES_CONNECTIONS),
            S::Never(TAKES_CONNECTIONS),
        ),
        rule(
            IPPROTO_TCP,
            20,
            "TCP_REPAIR_QUEUE",
            G::Never(TAKES_CONNECTIONS),
            S::Never(TAKES_CONNECTIONS),
        ),
        rule(
            IPPROTO_TCP,
            21,
            "TCP_QUEUE_SEQ",
            G::Never(TAKES_CONNECTIONS),
            S::Never(TAKES_CONNECTIONS),
        ),
        rule(
            IPPROTO_TCP,
            22,
            "TCP_REPAIR_OPTIONS",
            G::Never(TAKES_CONNECTIONS),
            S::Never(TAKES_CONNECTIONS),
        ),
        rule(
            IPPROTO_TCP,
            23,
            "TCP_FASTOPEN",
            G::Free,
            S::Free(int(0, 4096)),
        ),
        rule(
            IPPROTO_TCP,
            25,
            "TCP_NOTSENT_LOWAT",
            G::Free,
            S::Free(NON_NEGATIVE),
        ),
        rule(
            IPPROTO_TCP,
            29,
            "TCP_REPAIR_WINDOW",
            G::Never(TAKES_CONNECTIONS),
            S::Never(TAKES_CONNECTIONS),
        ),
        rule(
            IPPROTO_TCP,
            30,
            "TCP_FASTOPEN_CONNECT",
            G::Free,
            S::Free(BOOL),
        ),
        rule(
            IPPROTO_TCP,
            31,
            "TCP_ULP",
            G::Never(KERNEL_STATE),
            S::Never(KERNEL_STATE),
        ),
        rule(
            IPPROTO_TCP,
            34,
            "TCP_FASTOPEN_NO_COOKIE",
            G::Free,
            S::Free(BOOL),
        ),
        // Socket options get/set using IPPROTO_UDP.
        rule(IPPROTO_UDP, 1, "UDP_CORK", G::Free, S::Free(BOOL)),
        rule(
            IPPROTO_UDP,
            100,
            "UDP_ENCAP",
            G::Never(KERNEL_STATE),
            S::Never(KERNEL_STATE),
        ),
        rule(IPPROTO_UDP, 101, "UDP_NO_CHECK6_TX", G::Free, S::Free(BOOL)),
        rule(IPPROTO_UDP, 102, "UDP_NO_CHECK6_RX", G::Free, S::Free(BOOL)),
        rule(
            IPPROTO_UDP,
            103,
            "UDP_SEGMENT",
            G::Free,
            S::Free(int(0, 65535)),
        ),
        // Raw sockets' own levels.
        rule(
            SOL_RAW,
            1,
            "ICMP_FILTER",
            G::Raw,
            S::Raw(Value::Bytes { max: 4 }),
        ),
        rule(
            IPPROTO_ICMPV6,
            1,
            "ICMP6_FILTER",
            G::Raw,
            S::Raw(Value::Bytes { max: 32 }),
        ),
    ]
};

#[cfg(not(any(target_os = "linux", target_os = "android")))]
const RULES: &[Rule] = &[];

fn find(level: i32, name: i32) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.level == level && r.name == name)
}

/// The C name of an allow-listed option, for messages (`None` for a pair
/// the allow-list does not know).
pub fn option_label(level: i32, name: i32) -> Option<&'static str> {
    find(level, name).map(|r| r.label)
}

/// Every (level, name) pair the allow-list knows, in table order.
pub fn known_options() -> impl Iterator<Item = (i32, i32, &'static str)> {
    RULES.iter().map(|r| (r.level, r.name, r.label))
}

fn int_value(bytes: &[u8], byte: bool) -> Option<i32> {
    match bytes.len() {
        4 => Some(i32::from_ne_bytes([bytes[0], bytes[1], bytes[2], bytes[3]])),
        1 if byte => Some(i32::from(bytes[0])),
        _ => None,
    }
}

impl Policy {
    /// May the guest read `(level, name)` on `target`? Returns what to do
    /// with the result.
    pub fn check_get_option(
        &self,
        level: i32,
        name: i32,
        target: OptionTarget,
    ) -> Result<GetFilter, OptionRefusal> {
        let rule = find(level, name).ok_or(OptionRefusal::Unknown { level, name })?;
        let deny = |reason: String| {
            OptionRefusal::Denied(Denied::new(
                Operation::GetOption,
                format!("option {}", rule.label),
                reason,
            ))
        };
        match rule.get {
            Get::Free => Ok(GetFilter::AsIs),
            Get::Filtered(filter) => Ok(filter),
            Get::InetOnly if target.family == Family::Unix => Err(deny(
                "on a unix socket it would show a host path (use peer-name)".into(),
            )),
            Get::InetOnly => Ok(GetFilter::AsIs),
            Get::Raw if self.raw => Ok(GetFilter::AsIs),
            Get::Raw => Err(deny("needs --allow-raw".into())),
            Get::Never(why) => Err(deny(format!("never allowed: {why}"))),
        }
    }

    /// May the guest write `value` to `(level, name)` on `target`? Returns
    /// the bytes to hand to the OS (a buffer size or linger time past its
    /// ceiling is capped).
    pub fn check_set_option<'v>(
        &self,
        level: i32,
        name: i32,
        target: OptionTarget,
        value: &'v [u8],
    ) -> Result<Cow<'v, [u8]>, OptionRefusal> {
        let rule = find(level, name).ok_or(OptionRefusal::Unknown { level, name })?;
        let deny = |reason: String| {
            OptionRefusal::Denied(Denied::new(
                Operation::SetOption,
                format!("option {}", rule.label),
                reason,
            ))
        };
        match rule.set {
            Set::ReadOnly => Err(OptionRefusal::ReadOnly(rule.label)),
            Set::Never(why) => Err(deny(format!("never allowed: {why}"))),
            Set::Free(rule_value) => checked_value(rule.label, rule_value, value),
            Set::StreamFree(rule_value) => {
                if target.kind != Kind::Stream && !self.raw && self.multicast.is_empty() {
                    return Err(deny(
                        "on a datagram socket it shares the port with other processes' sockets; needs --allow-multicast or --allow-raw".into(),
                    ));
                }
                checked_value(rule.label, rule_value, value)
            }
            Set::FreeInRange(rule_value) => {
                let Value::Int { min, max, byte } = rule_value else {
                    return checked_value(rule.label, rule_value, value);
                };
                let n =
                    int_value(value, byte).ok_or_else(|| size_error(rule.label, value, byte))?;
                if (min..=max).contains(&n) || self.raw {
                    Ok(Cow::Borrowed(value))
                } else {
                    Err(deny(format!(
                        "values outside {min}..={max} need --allow-raw"
                    )))
                }
            }
            Set::Raw(rule_value) => {
                if !self.raw {
                    return Err(deny("needs --allow-raw".into()));
                }
                checked_value(rule.label, rule_value, value)
            }
            Set::Membership(kind) => self.check_membership(rule.label, kind, value),
        }
    }

    /// A multicast join or leave: the group must be granted by
    /// `--allow-multicast`, and the interface left to the OS (choosing
    /// one needs `--allow-raw`).
    fn check_membership<'v>(
        &self,
        label: &'static str,
        kind: MembershipKind,
        value: &'v [u8],
    ) -> Result<Cow<'v, [u8]>, OptionRefusal> {
        let (group, interface_chosen) = match kind {
            MembershipKind::Ipv4 => {
                if value.len() != 8 && value.len() != 12 {
                    return Err(OptionRefusal::Invalid(format!(
                        "{label}: expected a struct ip_mreq (8 bytes) or ip_mreqn (12 bytes), got {} bytes",
                        value.len()
                    )));
                }
                let group = Ipv4Addr::new(value[0], value[1], value[2], value[3]);
                let chosen = value[4..].iter().any(|b| *b != 0);
                (IpAddr::V4(group), chosen)
            }
            MembershipKind::Ipv6 => {
                if value.len() != 20 {
                    return Err(OptionRefusal::Invalid(format!(
                        "{label}: expected a struct ipv6_mreq (20 bytes), got {} bytes",
                        value.len()
                    )));
                }
                let mut octets = [0u8; 16];
                octets.copy_from_slice(&value[..16]);
                let chosen = value[16..].iter().any(|b| *b != 0);
                (IpAddr::V6(Ipv6Addr::from(octets)), chosen)
            }
        };
        let deny = |reason: String| {
            OptionRefusal::Denied(Denied::new(
                Operation::SetOption,
                format!("option {label} for group {group}"),
                reason,
            ))
        };
        if !self.raw && !self.multicast.iter().any(|g| g.matches(group)) {
            return Err(deny("no --allow-multicast grant covers the group".into()));
        }
        if interface_chosen && !self.raw {
            return Err(deny(
                "choosing the interface needs --allow-raw (leave it 0 for the OS's choice)".into(),
            ));
        }
        Ok(Cow::Borrowed(value))
    }
}

fn size_error(label: &str, value: &[u8], byte: bool) -> OptionRefusal {
    OptionRefusal::Invalid(format!(
        "{label}: expected a C int (4 bytes{}), got {} bytes",
        if byte { " or 1" } else { "" },
        value.len()
    ))
}

/// Checks `value` against `rule_value`; returns the bytes to set.
fn checked_value<'v>(
    label: &'static str,
    rule_value: Value,
    value: &'v [u8],
) -> Result<Cow<'v, [u8]>, OptionRefusal> {
    match rule_value {
        Value::Int { min, max, byte } => {
            let n = int_value(value, byte).ok_or_else(|| size_error(label, value, byte))?;
            if (min..=max).contains(&n) {
                Ok(Cow::Borrowed(value))
            } else {
                Err(OptionRefusal::Invalid(format!(
                    "{label}: {n} is outside {min}..={max}"
                )))
            }
        }
        Value::Clamped { max } => {
            let n = int_value(value, false).ok_or_else(|| size_error(label, value, false))?;
            if n < 0 {
                return Err(OptionRefusal::Invalid(format!("{label}: {n} is negative")));
            }
            Ok(if n > max {
                Cow::Owned(max.to_ne_bytes().to_vec())
            } else {
                Cow::Borrowed(value)
            })
        }
        Value::Linger => {
            if value.len() != 8 {
                return Err(OptionRefusal::Invalid(format!(
                    "{label}: expected a struct linger (8 bytes), got {} bytes",
                    value.len()
                )));
            }
            let on = i32::from_ne_bytes([value[0], value[1], value[2], value[3]]);
            let seconds = i32::from_ne_bytes([value[4], value[5], value[6], value[7]]);
            if seconds < 0 {
                return Err(OptionRefusal::Invalid(format!(
                    "{label}: a linger time of {seconds} s is negative"
                )));
            }
            Ok(if seconds > LINGER_CEILING_SECONDS {
                let mut capped = on.to_ne_bytes().to_vec();
                capped.extend_from_slice(&LINGER_CEILING_SECONDS.to_ne_bytes());
                Cow::Owned(capped)
            } else {
                Cow::Borrowed(value)
            })
        }
        Value::Timeval => {
            let expected = std::mem::size_of::<libc::timeval>();
            if value.len() != expected {
                return Err(OptionRefusal::Invalid(format!(
                    "{label}: expected a struct timeval ({expected} bytes), got {} bytes",
                    value.len()
                )));
            }
            Ok(Cow::Borrowed(value))
        }
        Value::Bytes { max } => {
            if value.len() > max {
                return Err(OptionRefusal::Invalid(format!(
                    "{label}: at most {max} bytes, got {}",
                    value.len()
                )));
            }
            Ok(Cow::Borrowed(value))
        }
    }
}
