//! The option allow-list: every pair, the escape-prone ones, values and caps.

use super::*;

const INET_STREAM: OptionTarget = OptionTarget {
    family: Family::Inet,
    kind: Kind::Stream,
};
const INET_DGRAM: OptionTarget = OptionTarget {
    family: Family::Inet,
    kind: Kind::Dgram,
};
const UNIX_STREAM: OptionTarget = OptionTarget {
    family: Family::Unix,
    kind: Kind::Stream,
};

fn int(value: i32) -> Vec<u8> {
    value.to_ne_bytes().to_vec()
}

/// `check_set_option` with the bytes owned, for comparisons.
fn set_option(
    p: &Policy,
    level: i32,
    name: i32,
    target: OptionTarget,
    value: &[u8],
) -> Result<Vec<u8>, OptionRefusal> {
    p.check_set_option(level, name, target, value)
        .map(|v| v.into_owned())
}

/// Every level × name in 0..=300 at the five levels the spec names and at
/// levels nobody knows: a pair the table does not list is `Unknown` for
/// get and set, with and without grants; a listed one never is.
#[test]
fn options_walk_every_pair() {
    let known: std::collections::HashSet<(i32, i32)> = known_options()
        .map(|(level, name, _)| (level, name))
        .collect();
    let levels = [
        libc::SOL_SOCKET,
        libc::IPPROTO_IP,
        libc::IPPROTO_IPV6,
        libc::IPPROTO_TCP,
        libc::IPPROTO_UDP,
        libc::SOL_PACKET,
        libc::SOL_NETLINK,
        136,
        262,
        -1,
        i32::MAX,
    ];
    let policies = [
        Policy::new(),
        Policy::new().inherit_network(true).allow_dns(true),
        Policy::new().allow_raw(true),
    ];
    let mut listed = 0;
    for level in levels {
        for name in 0..=300 {
            let is_known = known.contains(&(level, name));
            listed += usize::from(is_known);
            for policy in &policies {
                for target in [INET_STREAM, INET_DGRAM, UNIX_STREAM] {
                    let get = policy.check_get_option(level, name, target);
                    let set = set_option(policy, level, name, target, &int(1));
                    let get_unknown = matches!(get, Err(OptionRefusal::Unknown { .. }));
                    let set_unknown = matches!(set, Err(OptionRefusal::Unknown { .. }));
                    assert_eq!(get_unknown, !is_known, "get {level}/{name}");
                    assert_eq!(set_unknown, !is_known, "set {level}/{name}");
                }
            }
        }
    }
    assert_eq!(
        listed,
        known
            .iter()
            .filter(|(l, n)| levels.contains(l) && (0..=300).contains(n))
            .count()
    );
    assert!(listed > 100, "the table lists {listed} pairs");
}

/// The instances of the escape classes that were found: each is refused
/// without its grant (or always).
#[test]
fn escape_prone_options_are_denied_without_their_grant() {
    let p = Policy::new().inherit_network(true);
    let raw = Policy::new().allow_raw(true);
    let denied = |policy: &Policy, level, name, target, value: &[u8]| {
        matches!(
            policy.check_set_option(level, name, target, value),
            Err(OptionRefusal::Denied(_))
        )
    };
    let mut mreq6 = vec![0xff, 0x05, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
    mreq6.extend_from_slice(&[0, 0, 0, 0]);
    let mut pktinfo = vec![0u8; 16];
    pktinfo.extend_from_slice(&2u32.to_ne_bytes());
    let needs_raw: &[(i32, i32, OptionTarget, Vec<u8>)] = &[
        (libc::IPPROTO_IPV6, 50, INET_DGRAM, pktinfo.clone()), // IPV6_PKTINFO
        (
            libc::IPPROTO_IPV6,
            libc::IPV6_JOIN_ANYCAST,
            INET_DGRAM,
            mreq6.clone(),
        ),
        (libc::IPPROTO_IPV6, 54, INET_DGRAM, vec![0; 8]), // IPV6_HOPOPTS
        (libc::IPPROTO_IPV6, 59, INET_DGRAM, vec![0; 8]), // IPV6_DSTOPTS
        (libc::SOL_SOCKET, libc::SO_PRIORITY, INET_STREAM, int(7)),
        (libc::SOL_SOCKET, libc::SO_REUSEPORT, INET_STREAM, int(1)),
        (
            libc::IPPROTO_TCP,
            libc::TCP_CONGESTION,
            INET_STREAM,
            b"bbr".to_vec(),
        ),
        (
            libc::SOL_SOCKET,
            libc::SO_BINDTODEVICE,
            INET_STREAM,
            b"lo".to_vec(),
        ),
        (libc::SOL_SOCKET, libc::SO_MARK, INET_STREAM, int(1)),
        (libc::IPPROTO_IP, libc::IP_HDRINCL, INET_DGRAM, int(1)),
        (libc::IPPROTO_IP, libc::IP_TRANSPARENT, INET_STREAM, int(1)),
        (
            libc::IPPROTO_IPV6,
            libc::IPV6_UNICAST_IF,
            INET_DGRAM,
            int(1),
        ),
        (
            libc::IPPROTO_IP,
            libc::IP_MULTICAST_IF,
            INET_DGRAM,
            vec![0; 4],
        ),
    ];
    for (level, name, target, value) in needs_raw {
        assert!(
            denied(&p, *level, *name, *target, value),
            "{level}/{name} without --allow-raw"
        );
        assert!(
            raw.check_set_option(*level, *name, *target, value).is_ok(),
            "{level}/{name} with --allow-raw"
        );
    }
    let never: &[(i32, i32, Vec<u8>)] = &[
        (libc::IPPROTO_TCP, 19, int(1)),          // TCP_REPAIR
        (libc::IPPROTO_TCP, 31, b"tls".to_vec()), // TCP_ULP
        (libc::SOL_SOCKET, libc::SO_SNDBUFFORCE, int(1 << 30)),
        (libc::SOL_SOCKET, libc::SO_RCVBUFFORCE, int(1 << 30)),
        (libc::SOL_SOCKET, libc::SO_ATTACH_FILTER, vec![0; 16]),
        (libc::SOL_SOCKET, libc::SO_ATTACH_BPF, int(3)),
        (libc::IPPROTO_UDP, 100, int(1)), // UDP_ENCAP
    ];
    for (level, name, value) in never {
        for policy in [&p, &raw] {
            assert!(
                denied(policy, *level, *name, INET_STREAM, value),
                "{level}/{name} is never allowed"
            );
        }
    }
    // Reading: descriptors, host processes and namespaces never.
    for name in [77, 31, 59, 71, 57] {
        for policy in [&p, &raw] {
            assert!(
                matches!(
                    policy.check_get_option(libc::SOL_SOCKET, name, UNIX_STREAM),
                    Err(OptionRefusal::Denied(_))
                ),
                "get SOL_SOCKET/{name}"
            );
        }
    }
    // SO_PEERCRED reads with the pid hidden; SO_PEERNAME not on unix.
    assert_eq!(
        p.check_get_option(libc::SOL_SOCKET, libc::SO_PEERCRED, UNIX_STREAM),
        Ok(GetFilter::HidePeerPid)
    );
    let mut ucred = [7u8, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0];
    GetFilter::HidePeerPid.apply(&mut ucred);
    assert_eq!(ucred, [0, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0]);
    assert!(
        p.check_get_option(libc::SOL_SOCKET, libc::SO_PEERNAME, UNIX_STREAM)
            .is_err()
    );
    assert!(
        p.check_get_option(libc::SOL_SOCKET, libc::SO_PEERNAME, INET_STREAM)
            .is_ok()
    );
}

#[test]
fn multicast_membership_needs_its_grant() {
    let none = Policy::new().inherit_network(true);
    let granted = Policy::new().allow_multicast("239.1.0.0/16".parse().unwrap());
    let v6 = Policy::new().allow_multicast("[ff05::1]".parse().unwrap());
    let join = |group: [u8; 4], interface: [u8; 4]| {
        let mut v = group.to_vec();
        v.extend_from_slice(&interface);
        v
    };
    let set = |p: &Policy, value: &[u8]| {
        set_option(
            p,
            libc::IPPROTO_IP,
            libc::IP_ADD_MEMBERSHIP,
            INET_DGRAM,
            value,
        )
    };
    assert!(matches!(
        set(&none, &join([239, 1, 2, 3], [0; 4])),
        Err(OptionRefusal::Denied(_))
    ));
    assert!(set(&granted, &join([239, 1, 2, 3], [0; 4])).is_ok());
    assert!(matches!(
        set(&granted, &join([239, 2, 2, 3], [0; 4])),
        Err(OptionRefusal::Denied(_))
    ));
    // Choosing the interface is interface-level access.
    assert!(matches!(
        set(&granted, &join([239, 1, 2, 3], [127, 0, 0, 1])),
        Err(OptionRefusal::Denied(_))
    ));
    let mut mreqn = join([239, 1, 2, 3], [0; 4]);
    mreqn.extend_from_slice(&1i32.to_ne_bytes());
    assert!(matches!(
        set(&granted, &mreqn),
        Err(OptionRefusal::Denied(_))
    ));
    assert!(matches!(
        set(&granted, &[239, 1, 2]),
        Err(OptionRefusal::Invalid(_))
    ));
    let mut mreq6 = vec![0xff, 0x05, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
    mreq6.extend_from_slice(&[0; 4]);
    let set6 = |p: &Policy, value: &[u8]| {
        set_option(
            p,
            libc::IPPROTO_IPV6,
            libc::IPV6_ADD_MEMBERSHIP,
            INET_DGRAM,
            value,
        )
    };
    assert!(set6(&v6, &mreq6).is_ok());
    assert!(matches!(
        set6(&granted, &mreq6),
        Err(OptionRefusal::Denied(_))
    ));
    // SO_REUSEADDR on a datagram socket shares its port: multicast's use.
    let reuse =
        |p: &Policy, target| set_option(p, libc::SOL_SOCKET, libc::SO_REUSEADDR, target, &int(1));
    assert!(reuse(&none, INET_STREAM).is_ok());
    assert!(matches!(
        reuse(&none, INET_DGRAM),
        Err(OptionRefusal::Denied(_))
    ));
    assert!(reuse(&granted, INET_DGRAM).is_ok());
}

#[test]
fn option_values_are_checked_and_capped() {
    let p = Policy::new();
    let set = |level, name, value: &[u8]| set_option(&p, level, name, INET_STREAM, value);
    // Buffer sizes are capped at the ceiling.
    let capped = set(libc::SOL_SOCKET, libc::SO_RCVBUF, &int(i32::MAX)).unwrap();
    assert_eq!(capped, int(BUFFER_SIZE_CEILING));
    let small = set(libc::SOL_SOCKET, libc::SO_SNDBUF, &int(8192)).unwrap();
    assert_eq!(small, int(8192));
    assert!(matches!(
        set(libc::SOL_SOCKET, libc::SO_SNDBUF, &int(-1)),
        Err(OptionRefusal::Invalid(_))
    ));
    // A linger time is passed as set (the socket keeps it, the kernel
    // never does, and the close lingers at most the ceiling); a negative
    // one is invalid.
    let mut linger = int(1);
    linger.extend_from_slice(&int(LINGER_CEILING_SECONDS + 70));
    let kept = set(libc::SOL_SOCKET, libc::SO_LINGER, &linger).unwrap();
    assert_eq!(kept, linger);
    let mut negative = int(1);
    negative.extend_from_slice(&int(-1));
    assert!(matches!(
        set(libc::SOL_SOCKET, libc::SO_LINGER, &negative),
        Err(OptionRefusal::Invalid(_))
    ));
    assert!(matches!(
        set(libc::SOL_SOCKET, libc::SO_LINGER, &int(1)),
        Err(OptionRefusal::Invalid(_))
    ));
    // Sizes and ranges.
    assert!(matches!(
        set(libc::IPPROTO_TCP, libc::TCP_NODELAY, &[1, 0]),
        Err(OptionRefusal::Invalid(_))
    ));
    assert!(matches!(
        set(libc::IPPROTO_TCP, libc::TCP_KEEPCNT, &int(1000)),
        Err(OptionRefusal::Invalid(_))
    ));
    assert!(
        set(libc::IPPROTO_IP, libc::IP_TTL, &[64]).is_ok(),
        "IP_TTL takes one byte"
    );
    assert!(matches!(
        set(libc::SOL_SOCKET, libc::SO_BINDTODEVICE, &[0; 64]),
        Err(OptionRefusal::Denied(_))
    ));
    // Read-only options.
    for name in [libc::SO_TYPE, libc::SO_ERROR, libc::SO_ACCEPTCONN] {
        assert_eq!(
            set(libc::SOL_SOCKET, name, &int(1)),
            Err(OptionRefusal::ReadOnly(
                option_label(libc::SOL_SOCKET, name).unwrap()
            ))
        );
    }
}

/// Every option that sizes the kernel's memory for a socket is capped at
/// the ceiling, on the typed and the low-level path alike (both go
/// through this check): the whole table is walked with `INT_MAX`, with
/// and without grants, on stream and datagram sockets, and every option
/// that takes it is either capped or on the reviewed list of options
/// whose value sizes nothing (flags, times, marks, priorities). A new
/// option with an unbounded value fails here until it is sorted.
#[test]
fn every_option_sizing_kernel_memory_is_capped() {
    const SIZES: &[&str] = &[
        "SO_SNDBUF",
        "SO_RCVBUF",
        "SO_RCVLOWAT",
        "SO_SNDLOWAT",
        "TCP_WINDOW_CLAMP",
        "TCP_NOTSENT_LOWAT",
    ];
    const SIZE_NOTHING: &[&str] = &[
        // Flags: any int is true or false.
        "SO_DEBUG",
        "SO_REUSEADDR",
        "SO_DONTROUTE",
        "SO_BROADCAST",
        "SO_KEEPALIVE",
        "SO_OOBINLINE",
        "SO_NO_CHECK",
        "SO_REUSEPORT",
        "SO_TIMESTAMP",
        "SO_TIMESTAMPNS",
        "SO_TIMESTAMP_NEW",
        "SO_TIMESTAMPNS_NEW",
        "IP_BIND_ADDRESS_NO_PORT",
        "IP_CHECKSUM",
        "IP_FREEBIND",
        "IP_HDRINCL",
        "IP_MULTICAST_ALL",
        "IP_MULTICAST_LOOP",
        "IP_NODEFRAG",
        "IP_PKTINFO",
        "IP_RECVERR",
        "IP_RECVOPTS",
        "IP_RECVTOS",
        "IP_RECVTTL",
        "IP_RETOPTS",
        "IP_ROUTER_ALERT",
        "IP_TRANSPARENT",
        "IPV6_2292DSTOPTS",
        "IPV6_2292HOPLIMIT",
        "IPV6_2292HOPOPTS",
        "IPV6_2292PKTINFO",
        "IPV6_2292RTHDR",
        "IPV6_AUTOFLOWLABEL",
        "IPV6_DONTFRAG",
        "IPV6_FREEBIND",
        "IPV6_HDRINCL",
        "IPV6_MULTICAST_ALL",
        "IPV6_RECVERR",
        "IPV6_RECVHOPLIMIT",
        "IPV6_RECVPATHMTU",
        "IPV6_RECVPKTINFO",
        "IPV6_RECVTCLASS",
        "IPV6_ROUTER_ALERT",
        "IPV6_TRANSPARENT",
        "IPV6_V6ONLY",
        "TCP_NODELAY",
        "TCP_CORK",
        "TCP_QUICKACK",
        "TCP_THIN_LINEAR_TIMEOUTS",
        "TCP_FASTOPEN_CONNECT",
        "TCP_FASTOPEN_NO_COOKIE",
        "UDP_CORK",
        "UDP_NO_CHECK6_TX",
        "UDP_NO_CHECK6_RX",
        // A time in milliseconds: how long unacknowledged data may stay.
        "TCP_USER_TIMEOUT",
        // With --allow-raw only: a mark, interface indexes, a priority, a
        // checksum offset.
        "SO_MARK",
        "SO_BINDTOIFINDEX",
        "IP_UNICAST_IF",
        "IPV6_MULTICAST_IF",
        "IPV6_UNICAST_IF",
        "SO_PRIORITY",
        "IPV6_CHECKSUM",
    ];
    let mut capped = std::collections::BTreeSet::new();
    let mut unbounded = std::collections::BTreeSet::new();
    for policy in [Policy::new(), Policy::new().allow_raw(true)] {
        for (level, name, label) in known_options() {
            for target in [INET_STREAM, INET_DGRAM] {
                if set_option(&policy, level, name, target, &[0; 3]).is_ok() {
                    // Bytes or a struct, not a C int (the sizes of those
                    // are bounded by the option's length).
                    continue;
                }
                if let Ok(value) = set_option(&policy, level, name, target, &int(i32::MAX)) {
                    if value == int(BUFFER_SIZE_CEILING) {
                        capped.insert(label);
                    } else {
                        assert_eq!(value, int(i32::MAX), "{label}: neither kept nor capped");
                        unbounded.insert(label);
                    }
                }
            }
        }
    }
    let sizes: std::collections::BTreeSet<&str> = SIZES.iter().copied().collect();
    let size_nothing: std::collections::BTreeSet<&str> = SIZE_NOTHING.iter().copied().collect();
    assert_eq!(capped, sizes, "the options capped at the ceiling");
    assert_eq!(
        unbounded, size_nothing,
        "options taking INT_MAX as it is: is each one free of kernel memory?"
    );
    // Below the minimum is invalid; in range is kept.
    let p = Policy::new();
    for (level, name) in [
        (libc::SOL_SOCKET, libc::SO_RCVLOWAT),
        (libc::SOL_SOCKET, libc::SO_SNDLOWAT),
    ] {
        assert!(matches!(
            set_option(&p, level, name, INET_STREAM, &int(0)),
            Err(OptionRefusal::Invalid(_))
        ));
        assert_eq!(
            set_option(&p, level, name, INET_STREAM, &int(4096)),
            Ok(int(4096))
        );
    }
    for name in [libc::TCP_WINDOW_CLAMP, libc::TCP_NOTSENT_LOWAT] {
        assert!(matches!(
            set_option(&p, libc::IPPROTO_TCP, name, INET_STREAM, &int(-1)),
            Err(OptionRefusal::Invalid(_))
        ));
        assert_eq!(
            set_option(&p, libc::IPPROTO_TCP, name, INET_STREAM, &int(0)),
            Ok(int(0))
        );
    }
}

/// The table's numbers are the host's: every constant libc defines for
/// this target agrees with the entry of that name.
#[test]
fn option_numbers_match_libc() {
    let pairs: &[(i32, i32, &str)] = &[
        (libc::SOL_SOCKET, libc::SO_DEBUG, "SO_DEBUG"),
        (libc::SOL_SOCKET, libc::SO_REUSEADDR, "SO_REUSEADDR"),
        (libc::SOL_SOCKET, libc::SO_TYPE, "SO_TYPE"),
        (libc::SOL_SOCKET, libc::SO_ERROR, "SO_ERROR"),
        (libc::SOL_SOCKET, libc::SO_DONTROUTE, "SO_DONTROUTE"),
        (libc::SOL_SOCKET, libc::SO_BROADCAST, "SO_BROADCAST"),
        (libc::SOL_SOCKET, libc::SO_SNDBUF, "SO_SNDBUF"),
        (libc::SOL_SOCKET, libc::SO_RCVBUF, "SO_RCVBUF"),
        (libc::SOL_SOCKET, libc::SO_KEEPALIVE, "SO_KEEPALIVE"),
        (libc::SOL_SOCKET, libc::SO_OOBINLINE, "SO_OOBINLINE"),
        (libc::SOL_SOCKET, libc::SO_NO_CHECK, "SO_NO_CHECK"),
        (libc::SOL_SOCKET, libc::SO_PRIORITY, "SO_PRIORITY"),
        (libc::SOL_SOCKET, libc::SO_LINGER, "SO_LINGER"),
        (libc::SOL_SOCKET, libc::SO_REUSEPORT, "SO_REUSEPORT"),
        (libc::SOL_SOCKET, libc::SO_PEERCRED, "SO_PEERCRED"),
        (libc::SOL_SOCKET, libc::SO_RCVLOWAT, "SO_RCVLOWAT"),
        (libc::SOL_SOCKET, libc::SO_SNDLOWAT, "SO_SNDLOWAT"),
        (libc::SOL_SOCKET, libc::SO_RCVTIMEO, "SO_RCVTIMEO"),
        (libc::SOL_SOCKET, libc::SO_SNDTIMEO, "SO_SNDTIMEO"),
        (libc::SOL_SOCKET, libc::SO_BINDTODEVICE, "SO_BINDTODEVICE"),
        (libc::SOL_SOCKET, libc::SO_ATTACH_FILTER, "SO_ATTACH_FILTER"),
        (libc::SOL_SOCKET, libc::SO_DETACH_FILTER, "SO_DETACH_FILTER"),
        (libc::SOL_SOCKET, libc::SO_PEERNAME, "SO_PEERNAME"),
        (libc::SOL_SOCKET, libc::SO_TIMESTAMP, "SO_TIMESTAMP"),
        (libc::SOL_SOCKET, libc::SO_ACCEPTCONN, "SO_ACCEPTCONN"),
        (libc::SOL_SOCKET, libc::SO_PEERSEC, "SO_PEERSEC"),
        (libc::SOL_SOCKET, libc::SO_SNDBUFFORCE, "SO_SNDBUFFORCE"),
        (libc::SOL_SOCKET, libc::SO_RCVBUFFORCE, "SO_RCVBUFFORCE"),
        (libc::SOL_SOCKET, libc::SO_TIMESTAMPNS, "SO_TIMESTAMPNS"),
        (libc::SOL_SOCKET, libc::SO_MARK, "SO_MARK"),
        (libc::SOL_SOCKET, libc::SO_PROTOCOL, "SO_PROTOCOL"),
        (libc::SOL_SOCKET, libc::SO_DOMAIN, "SO_DOMAIN"),
        (libc::SOL_SOCKET, libc::SO_LOCK_FILTER, "SO_LOCK_FILTER"),
        (libc::SOL_SOCKET, libc::SO_ATTACH_BPF, "SO_ATTACH_BPF"),
        (
            libc::SOL_SOCKET,
            libc::SO_ATTACH_REUSEPORT_CBPF,
            "SO_ATTACH_REUSEPORT_CBPF",
        ),
        (
            libc::SOL_SOCKET,
            libc::SO_ATTACH_REUSEPORT_EBPF,
            "SO_ATTACH_REUSEPORT_EBPF",
        ),
        (libc::SOL_SOCKET, libc::SO_PEERGROUPS, "SO_PEERGROUPS"),
        (libc::SOL_SOCKET, libc::SO_BINDTOIFINDEX, "SO_BINDTOIFINDEX"),
        (
            libc::SOL_SOCKET,
            libc::SO_DETACH_REUSEPORT_BPF,
            "SO_DETACH_REUSEPORT_BPF",
        ),
        (libc::IPPROTO_IP, libc::IP_TOS, "IP_TOS"),
        (libc::IPPROTO_IP, libc::IP_TTL, "IP_TTL"),
        (libc::IPPROTO_IP, libc::IP_HDRINCL, "IP_HDRINCL"),
        (libc::IPPROTO_IP, libc::IP_OPTIONS, "IP_OPTIONS"),
        (libc::IPPROTO_IP, libc::IP_ROUTER_ALERT, "IP_ROUTER_ALERT"),
        (libc::IPPROTO_IP, libc::IP_RECVOPTS, "IP_RECVOPTS"),
        (libc::IPPROTO_IP, libc::IP_RETOPTS, "IP_RETOPTS"),
        (libc::IPPROTO_IP, libc::IP_PKTINFO, "IP_PKTINFO"),
        (libc::IPPROTO_IP, libc::IP_MTU_DISCOVER, "IP_MTU_DISCOVER"),
        (libc::IPPROTO_IP, libc::IP_RECVERR, "IP_RECVERR"),
        (libc::IPPROTO_IP, libc::IP_RECVTTL, "IP_RECVTTL"),
        (libc::IPPROTO_IP, libc::IP_RECVTOS, "IP_RECVTOS"),
        (libc::IPPROTO_IP, libc::IP_MTU, "IP_MTU"),
        (libc::IPPROTO_IP, libc::IP_FREEBIND, "IP_FREEBIND"),
        (libc::IPPROTO_IP, libc::IP_IPSEC_POLICY, "IP_IPSEC_POLICY"),
        (libc::IPPROTO_IP, libc::IP_XFRM_POLICY, "IP_XFRM_POLICY"),
        (libc::IPPROTO_IP, libc::IP_TRANSPARENT, "IP_TRANSPARENT"),
        (libc::IPPROTO_IP, libc::IP_MINTTL, "IP_MINTTL"),
        (libc::IPPROTO_IP, libc::IP_NODEFRAG, "IP_NODEFRAG"),
        (libc::IPPROTO_IP, libc::IP_CHECKSUM, "IP_CHECKSUM"),
        (
            libc::IPPROTO_IP,
            libc::IP_BIND_ADDRESS_NO_PORT,
            "IP_BIND_ADDRESS_NO_PORT",
        ),
        (libc::IPPROTO_IP, libc::IP_MULTICAST_IF, "IP_MULTICAST_IF"),
        (libc::IPPROTO_IP, libc::IP_MULTICAST_TTL, "IP_MULTICAST_TTL"),
        (
            libc::IPPROTO_IP,
            libc::IP_MULTICAST_LOOP,
            "IP_MULTICAST_LOOP",
        ),
        (
            libc::IPPROTO_IP,
            libc::IP_ADD_MEMBERSHIP,
            "IP_ADD_MEMBERSHIP",
        ),
        (
            libc::IPPROTO_IP,
            libc::IP_DROP_MEMBERSHIP,
            "IP_DROP_MEMBERSHIP",
        ),
        (libc::IPPROTO_IP, libc::IP_MULTICAST_ALL, "IP_MULTICAST_ALL"),
        (libc::IPPROTO_IP, libc::IP_UNICAST_IF, "IP_UNICAST_IF"),
        (
            libc::IPPROTO_IPV6,
            libc::IPV6_2292PKTINFO,
            "IPV6_2292PKTINFO",
        ),
        (
            libc::IPPROTO_IPV6,
            libc::IPV6_2292HOPOPTS,
            "IPV6_2292HOPOPTS",
        ),
        (
            libc::IPPROTO_IPV6,
            libc::IPV6_2292DSTOPTS,
            "IPV6_2292DSTOPTS",
        ),
        (libc::IPPROTO_IPV6, libc::IPV6_2292RTHDR, "IPV6_2292RTHDR"),
        (
            libc::IPPROTO_IPV6,
            libc::IPV6_2292PKTOPTIONS,
            "IPV6_2292PKTOPTIONS",
        ),
        (libc::IPPROTO_IPV6, libc::IPV6_CHECKSUM, "IPV6_CHECKSUM"),
        (
            libc::IPPROTO_IPV6,
            libc::IPV6_2292HOPLIMIT,
            "IPV6_2292HOPLIMIT",
        ),
        (libc::IPPROTO_IPV6, libc::IPV6_NEXTHOP, "IPV6_NEXTHOP"),
        (
            libc::IPPROTO_IPV6,
            libc::IPV6_UNICAST_HOPS,
            "IPV6_UNICAST_HOPS",
        ),
        (
            libc::IPPROTO_IPV6,
            libc::IPV6_MULTICAST_IF,
            "IPV6_MULTICAST_IF",
        ),
        (
            libc::IPPROTO_IPV6,
            libc::IPV6_MULTICAST_HOPS,
            "IPV6_MULTICAST_HOPS",
        ),
        (
            libc::IPPROTO_IPV6,
            libc::IPV6_MULTICAST_LOOP,
            "IPV6_MULTICAST_LOOP",
        ),
        (
            libc::IPPROTO_IPV6,
            libc::IPV6_ADD_MEMBERSHIP,
            "IPV6_ADD_MEMBERSHIP",
        ),
        (
            libc::IPPROTO_IPV6,
            libc::IPV6_DROP_MEMBERSHIP,
            "IPV6_DROP_MEMBERSHIP",
        ),
        (
            libc::IPPROTO_IPV6,
            libc::IPV6_ROUTER_ALERT,
            "IPV6_ROUTER_ALERT",
        ),
        (
            libc::IPPROTO_IPV6,
            libc::IPV6_MTU_DISCOVER,
            "IPV6_MTU_DISCOVER",
        ),
        (libc::IPPROTO_IPV6, libc::IPV6_MTU, "IPV6_MTU"),
        (libc::IPPROTO_IPV6, libc::IPV6_RECVERR, "IPV6_RECVERR"),
        (libc::IPPROTO_IPV6, libc::IPV6_V6ONLY, "IPV6_V6ONLY"),
        (
            libc::IPPROTO_IPV6,
            libc::IPV6_JOIN_ANYCAST,
            "IPV6_JOIN_ANYCAST",
        ),
        (
            libc::IPPROTO_IPV6,
            libc::IPV6_LEAVE_ANYCAST,
            "IPV6_LEAVE_ANYCAST",
        ),
        (
            libc::IPPROTO_IPV6,
            libc::IPV6_MULTICAST_ALL,
            "IPV6_MULTICAST_ALL",
        ),
        (
            libc::IPPROTO_IPV6,
            libc::IPV6_IPSEC_POLICY,
            "IPV6_IPSEC_POLICY",
        ),
        (
            libc::IPPROTO_IPV6,
            libc::IPV6_XFRM_POLICY,
            "IPV6_XFRM_POLICY",
        ),
        (libc::IPPROTO_IPV6, libc::IPV6_HDRINCL, "IPV6_HDRINCL"),
        (
            libc::IPPROTO_IPV6,
            libc::IPV6_RECVPKTINFO,
            "IPV6_RECVPKTINFO",
        ),
        (libc::IPPROTO_IPV6, libc::IPV6_PKTINFO, "IPV6_PKTINFO"),
        (
            libc::IPPROTO_IPV6,
            libc::IPV6_RECVHOPLIMIT,
            "IPV6_RECVHOPLIMIT",
        ),
        (libc::IPPROTO_IPV6, libc::IPV6_HOPOPTS, "IPV6_HOPOPTS"),
        (
            libc::IPPROTO_IPV6,
            libc::IPV6_RTHDRDSTOPTS,
            "IPV6_RTHDRDSTOPTS",
        ),
        (libc::IPPROTO_IPV6, libc::IPV6_RTHDR, "IPV6_RTHDR"),
        (libc::IPPROTO_IPV6, libc::IPV6_DSTOPTS, "IPV6_DSTOPTS"),
        (
            libc::IPPROTO_IPV6,
            libc::IPV6_RECVPATHMTU,
            "IPV6_RECVPATHMTU",
        ),
        (libc::IPPROTO_IPV6, libc::IPV6_PATHMTU, "IPV6_PATHMTU"),
        (libc::IPPROTO_IPV6, libc::IPV6_DONTFRAG, "IPV6_DONTFRAG"),
        (libc::IPPROTO_IPV6, libc::IPV6_RECVTCLASS, "IPV6_RECVTCLASS"),
        (libc::IPPROTO_IPV6, libc::IPV6_TCLASS, "IPV6_TCLASS"),
        (
            libc::IPPROTO_IPV6,
            libc::IPV6_AUTOFLOWLABEL,
            "IPV6_AUTOFLOWLABEL",
        ),
        (
            libc::IPPROTO_IPV6,
            libc::IPV6_MINHOPCOUNT,
            "IPV6_MINHOPCOUNT",
        ),
        (
            libc::IPPROTO_IPV6,
            libc::IPV6_TRANSPARENT,
            "IPV6_TRANSPARENT",
        ),
        (libc::IPPROTO_IPV6, libc::IPV6_UNICAST_IF, "IPV6_UNICAST_IF"),
        (libc::IPPROTO_IPV6, libc::IPV6_FREEBIND, "IPV6_FREEBIND"),
        (libc::IPPROTO_TCP, libc::TCP_NODELAY, "TCP_NODELAY"),
        (libc::IPPROTO_TCP, libc::TCP_MAXSEG, "TCP_MAXSEG"),
        (libc::IPPROTO_TCP, libc::TCP_CORK, "TCP_CORK"),
        (libc::IPPROTO_TCP, libc::TCP_KEEPIDLE, "TCP_KEEPIDLE"),
        (libc::IPPROTO_TCP, libc::TCP_KEEPINTVL, "TCP_KEEPINTVL"),
        (libc::IPPROTO_TCP, libc::TCP_KEEPCNT, "TCP_KEEPCNT"),
        (libc::IPPROTO_TCP, libc::TCP_SYNCNT, "TCP_SYNCNT"),
        (libc::IPPROTO_TCP, libc::TCP_LINGER2, "TCP_LINGER2"),
        (
            libc::IPPROTO_TCP,
            libc::TCP_DEFER_ACCEPT,
            "TCP_DEFER_ACCEPT",
        ),
        (
            libc::IPPROTO_TCP,
            libc::TCP_WINDOW_CLAMP,
            "TCP_WINDOW_CLAMP",
        ),
        (libc::IPPROTO_TCP, libc::TCP_INFO, "TCP_INFO"),
        (libc::IPPROTO_TCP, libc::TCP_QUICKACK, "TCP_QUICKACK"),
        (libc::IPPROTO_TCP, libc::TCP_CONGESTION, "TCP_CONGESTION"),
        (
            libc::IPPROTO_TCP,
            libc::TCP_THIN_LINEAR_TIMEOUTS,
            "TCP_THIN_LINEAR_TIMEOUTS",
        ),
        (
            libc::IPPROTO_TCP,
            libc::TCP_USER_TIMEOUT,
            "TCP_USER_TIMEOUT",
        ),
        (libc::IPPROTO_TCP, libc::TCP_REPAIR, "TCP_REPAIR"),
        (
            libc::IPPROTO_TCP,
            libc::TCP_REPAIR_QUEUE,
            "TCP_REPAIR_QUEUE",
        ),
        (libc::IPPROTO_TCP, libc::TCP_QUEUE_SEQ, "TCP_QUEUE_SEQ"),
        (
            libc::IPPROTO_TCP,
            libc::TCP_REPAIR_OPTIONS,
            "TCP_REPAIR_OPTIONS",
        ),
        (libc::IPPROTO_TCP, libc::TCP_FASTOPEN, "TCP_FASTOPEN"),
        (
            libc::IPPROTO_TCP,
            libc::TCP_NOTSENT_LOWAT,
            "TCP_NOTSENT_LOWAT",
        ),
        (
            libc::IPPROTO_TCP,
            libc::TCP_REPAIR_WINDOW,
            "TCP_REPAIR_WINDOW",
        ),
        (
            libc::IPPROTO_TCP,
            libc::TCP_FASTOPEN_CONNECT,
            "TCP_FASTOPEN_CONNECT",
        ),
        (libc::IPPROTO_TCP, libc::TCP_ULP, "TCP_ULP"),
        (libc::IPPROTO_UDP, libc::UDP_CORK, "UDP_CORK"),
        (libc::IPPROTO_UDP, libc::UDP_ENCAP, "UDP_ENCAP"),
        (
            libc::IPPROTO_UDP,
            libc::UDP_NO_CHECK6_TX,
            "UDP_NO_CHECK6_TX",
        ),
        (
            libc::IPPROTO_UDP,
            libc::UDP_NO_CHECK6_RX,
            "UDP_NO_CHECK6_RX",
        ),
        (libc::IPPROTO_UDP, libc::UDP_SEGMENT, "UDP_SEGMENT"),
    ];
    for (level, name, label) in pairs {
        assert_eq!(
            option_label(*level, *name),
            Some(*label),
            "{label} = {level}/{name}"
        );
    }
}
