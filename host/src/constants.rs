//! The spec's integer constants (`af/*`, `sock/*`, `ipproto/*`, `so/*`,
//! `tcp/*`, `ip/*`, `ipv6/*`, `sol/socket`, `shut/*`, `ai/*`, `ni/*`) with
//! this host's numbers.
//!
//! Spec: "Some platforms do not define all the constants we provide. If a
//! constant is undefined, its value is #f" — here `None`. The numbers are
//! what `getsockopt(2)` / `setsockopt(2)` take, so a guest passes them to
//! the low-level option calls.

/// Every constant of the spec, in the spec's order, with this host's
/// number (`None` where Linux does not define it).
///
/// Notes for Linux:
/// - `tcp/nopush` is `TCP_CORK`, the Linux equivalent of BSD's
///   `TCP_NOPUSH` (the typed `tcp-no-push` option uses it too).
/// - `tcp/noopt`, `so/useloopback`, `so/exclusiveaddruse` (Windows) and
///   `ip/recvdstaddr` (BSD) do not exist on Linux.
/// - `ip/recvretopts` is `IP_RETOPTS`, as glibc defines `IP_RECVRETOPTS`.
pub const CONSTANTS: &[(&str, Option<i32>)] = &[
    // Socket creation.
    ("af/inet", Some(libc::AF_INET)),
    ("af/inet6", Some(libc::AF_INET6)),
    ("af/unix", Some(libc::AF_UNIX)),
    ("af/unspec", Some(libc::AF_UNSPEC)),
    ("sock/stream", Some(libc::SOCK_STREAM)),
    ("sock/dgram", Some(libc::SOCK_DGRAM)),
    ("sock/raw", Some(libc::SOCK_RAW)),
    ("ipproto/tcp", Some(libc::IPPROTO_TCP)),
    ("ipproto/udp", Some(libc::IPPROTO_UDP)),
    // Address resolution.
    ("ai/numerichost", Some(libc::AI_NUMERICHOST)),
    ("ai/passive", Some(libc::AI_PASSIVE)),
    ("ai/canonname", Some(libc::AI_CANONNAME)),
    ("ni/numerichost", Some(libc::NI_NUMERICHOST)),
    ("ni/numericserv", Some(libc::NI_NUMERICSERV)),
    ("ni/dgram", Some(libc::NI_DGRAM)),
    ("ni/namereqd", Some(libc::NI_NAMEREQD)),
    ("ni/nofqdn", Some(libc::NI_NOFQDN)),
    // Setup and teardown.
    ("shut/rd", Some(libc::SHUT_RD)),
    ("shut/wr", Some(libc::SHUT_WR)),
    ("shut/rdwr", Some(libc::SHUT_RDWR)),
    // Socket-level constants.
    ("so/reuseaddr", Some(libc::SO_REUSEADDR)),
    ("so/debug", Some(libc::SO_DEBUG)),
    ("so/acceptconn", Some(libc::SO_ACCEPTCONN)),
    ("so/keepalive", Some(libc::SO_KEEPALIVE)),
    ("so/dontroute", Some(libc::SO_DONTROUTE)),
    ("so/broadcast", Some(libc::SO_BROADCAST)),
    ("so/linger", Some(libc::SO_LINGER)),
    ("so/oobinline", Some(libc::SO_OOBINLINE)),
    ("so/sndbuf", Some(libc::SO_SNDBUF)),
    ("so/rcvbuf", Some(libc::SO_RCVBUF)),
    ("so/sndlowat", Some(libc::SO_SNDLOWAT)),
    ("so/rcvlowat", Some(libc::SO_RCVLOWAT)),
    ("so/sndtimeo", Some(libc::SO_SNDTIMEO)),
    ("so/rcvtimeo", Some(libc::SO_RCVTIMEO)),
    ("so/error", Some(libc::SO_ERROR)),
    ("so/type", Some(libc::SO_TYPE)),
    ("so/useloopback", None),
    ("so/reuseport", Some(libc::SO_REUSEPORT)),
    ("so/timestamp", Some(libc::SO_TIMESTAMP)),
    ("so/exclusiveaddruse", None),
    // TCP-level constants.
    ("tcp/nodelay", Some(libc::TCP_NODELAY)),
    ("tcp/nopush", Some(libc::TCP_CORK)),
    ("tcp/noopt", None),
    ("tcp/keepalive", Some(libc::TCP_KEEPIDLE)),
    ("tcp/maxseg", Some(libc::TCP_MAXSEG)),
    // IP-level constants.
    ("ip/options", Some(libc::IP_OPTIONS)),
    ("ip/hdrincl", Some(libc::IP_HDRINCL)),
    ("ip/tos", Some(libc::IP_TOS)),
    ("ip/ttl", Some(libc::IP_TTL)),
    ("ip/mtu", Some(libc::IP_MTU)),
    ("ip/mtu-discover", Some(libc::IP_MTU_DISCOVER)),
    ("ip/pktinfo", Some(libc::IP_PKTINFO)),
    ("ip/recverr", Some(libc::IP_RECVERR)),
    ("ip/recvtos", Some(libc::IP_RECVTOS)),
    ("ip/recvttl", Some(libc::IP_RECVTTL)),
    ("ip/router-alert", Some(libc::IP_ROUTER_ALERT)),
    ("ip/recvopts", Some(libc::IP_RECVOPTS)),
    ("ip/recvretopts", Some(libc::IP_RETOPTS)),
    ("ip/retopts", Some(libc::IP_RETOPTS)),
    ("ip/recvdstaddr", None),
    ("ip/multicast-if", Some(libc::IP_MULTICAST_IF)),
    ("ip/multicast-ttl", Some(libc::IP_MULTICAST_TTL)),
    ("ip/multicast-loop", Some(libc::IP_MULTICAST_LOOP)),
    ("ip/add-membership", Some(libc::IP_ADD_MEMBERSHIP)),
    ("ip/drop-membership", Some(libc::IP_DROP_MEMBERSHIP)),
    // IPv6-level constants.
    ("ipv6/v6only", Some(libc::IPV6_V6ONLY)),
    // Socket and protocol levels.
    ("sol/socket", Some(libc::SOL_SOCKET)),
    ("ipproto/ip", Some(libc::IPPROTO_IP)),
    ("ipproto/ipv6", Some(libc::IPPROTO_IPV6)),
    ("ipproto/icmp", Some(libc::IPPROTO_ICMP)),
];

/// The host's number for the spec's constant `name` (`"so/reuseaddr"`);
/// `None` where this host does not define it or the name is unknown.
pub fn value(name: &str) -> Option<i32> {
    CONSTANTS
        .iter()
        .find(|(known, _)| *known == name)
        .and_then(|(_, value)| *value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_checklist_constant_is_listed() {
        let checklist = [
            "af/inet",
            "af/inet6",
            "af/unix",
            "af/unspec",
            "sock/stream",
            "sock/dgram",
            "sock/raw",
            "ipproto/tcp",
            "ipproto/udp",
            "ai/numerichost",
            "ai/passive",
            "ai/canonname",
            "ni/numerichost",
            "ni/numericserv",
            "ni/dgram",
            "ni/namereqd",
            "ni/nofqdn",
            "shut/rd",
            "shut/wr",
            "shut/rdwr",
            "so/reuseaddr",
            "so/debug",
            "so/acceptconn",
            "so/keepalive",
            "so/dontroute",
            "so/broadcast",
            "so/linger",
            "so/oobinline",
            "so/sndbuf",
            "so/rcvbuf",
            "so/sndlowat",
            "so/rcvlowat",
            "so/sndtimeo",
            "so/rcvtimeo",
            "so/error",
            "so/type",
            "so/useloopback",
            "so/reuseport",
            "so/timestamp",
            "so/exclusiveaddruse",
            "tcp/nodelay",
            "tcp/nopush",
            "tcp/noopt",
            "tcp/keepalive",
            "tcp/maxseg",
            "ip/options",
            "ip/hdrincl",
            "ip/tos",
            "ip/ttl",
            "ip/mtu",
            "ip/mtu-discover",
            "ip/pktinfo",
            "ip/recverr",
            "ip/recvtos",
            "ip/recvttl",
            "ip/router-alert",
            "ip/recvopts",
            "ip/recvretopts",
            "ip/retopts",
            "ip/recvdstaddr",
            "ip/multicast-if",
            "ip/multicast-ttl",
            "ip/multicast-loop",
            "ip/add-membership",
            "ip/drop-membership",
            "sol/socket",
            "ipproto/ip",
            "ipproto/ipv6",
            "ipproto/icmp",
            "ipv6/v6only",
        ];
        for name in checklist {
            assert!(
                CONSTANTS.iter().any(|(known, _)| *known == name),
                "{name} missing"
            );
        }
        assert_eq!(
            CONSTANTS.len(),
            checklist.len(),
            "no duplicates, nothing extra"
        );
    }

    #[test]
    fn linux_numbers() {
        assert_eq!(value("af/inet"), Some(2));
        assert_eq!(value("af/inet6"), Some(10));
        assert_eq!(value("sol/socket"), Some(1));
        assert_eq!(value("so/reuseaddr"), Some(2));
        assert_eq!(value("ipproto/tcp"), Some(6));
        assert_eq!(value("tcp/nodelay"), Some(1));
        assert_eq!(value("shut/wr"), Some(1));
        assert_eq!(value("tcp/noopt"), None);
        assert_eq!(value("so/useloopback"), None);
        assert_eq!(value("no/such-constant"), None);
    }
}
