//! The policy's checks, the option allow-list and unix confinement, on
//! native values and real files and sockets (no guest).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use super::*;
use crate::policy::options::{
    BUFFER_SIZE_CEILING, LINGER_CEILING_SECONDS, known_options, option_label,
};

fn grant(s: &str) -> GrantSpec {
    s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
}

fn sa(s: &str) -> SocketAddr {
    s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
}

// ---- Addresses ---------------------------------------------------------------

#[test]
fn default_denies_everything() {
    let p = Policy::default();
    assert!(p.check_connect(&sa("127.0.0.1:80")).is_err());
    assert!(p.check_bind(&sa("127.0.0.1:0"), false).is_err());
    assert!(p.check_dns(Operation::AddressInformation, "x").is_err());
    assert!(p.check_create(Family::Inet, Kind::Raw, 1).is_err());
    assert!(matches!(
        p.unix_bind("/tmp/x.sock"),
        Err(UnixRefusal::Denied(_))
    ));
    assert_eq!(p.guest_unix_name(Path::new("/tmp/x.sock")), None);
    assert_eq!(p.max_sockets(), DEFAULT_MAX_SOCKETS);
    assert_eq!(p.max_sockets(), 1024);
    assert_eq!(p.max_memory(), DEFAULT_MAX_MEMORY);
}

#[test]
fn denial_messages() {
    let p = Policy::new();
    assert_eq!(
        p.check_connect(&sa("10.0.0.1:80")).unwrap_err().to_string(),
        "denied connect to 10.0.0.1:80: no --allow-connect grant matches"
    );
    assert_eq!(
        p.check_bind(&sa("[::1]:8080"), false)
            .unwrap_err()
            .to_string(),
        "denied bind to [::1]:8080: no --allow-bind grant matches"
    );
    assert_eq!(
        p.check_listen(&sa("0.0.0.0:41000"), false)
            .unwrap_err()
            .to_string(),
        "denied listen on 0.0.0.0:41000: no --allow-bind grant matches"
    );
    assert!(
        p.check_dns(Operation::AddressInformation, "example.com")
            .unwrap_err()
            .to_string()
            .contains("--allow-dns")
    );
    assert!(
        p.check_create(Family::Inet, Kind::Raw, 1)
            .unwrap_err()
            .to_string()
            .contains("--allow-raw")
    );
}

#[test]
fn connect_and_bind_grants_are_separate() {
    let p = Policy::new()
        .allow_connect(grant("127.0.0.1:8080"))
        .allow_bind(grant("127.0.0.1:0"));
    assert!(p.check_connect(&sa("127.0.0.1:8080")).is_ok());
    assert!(p.check_bind(&sa("127.0.0.1:8080"), false).is_err());
    assert_eq!(
        p.check_bind(&sa("127.0.0.1:0"), false),
        Ok(BindGrant::Granted)
    );
    assert!(p.check_connect(&sa("127.0.0.1:0")).is_err());
}

#[test]
fn unspecified_is_never_a_destination() {
    for p in [
        Policy::new().allow_connect(grant("0.0.0.0:80")),
        Policy::new().allow_connect(grant("*:*")),
        Policy::new().allow_connect(grant("[::]:80")),
        Policy::new().inherit_network(true),
    ] {
        for target in ["0.0.0.0:80", "[::]:80", "[::ffff:0.0.0.0]:80"] {
            let e = p.check_connect(&sa(target)).unwrap_err();
            assert!(e.reason.contains("unspecified"), "{target}: {e}");
            assert!(!p.check_inbound(&sa(target)));
        }
    }
}

#[test]
fn client_binds_need_no_grant_and_hear_only_connect_grants() {
    let p = Policy::new().allow_connect(grant("127.0.0.1:5353"));
    assert_eq!(
        p.check_bind(&sa("0.0.0.0:0"), false),
        Ok(BindGrant::ClientOnly)
    );
    assert_eq!(p.check_bind(&sa("[::]:0"), true), Ok(BindGrant::ClientOnly));
    assert!(p.check_bind(&sa("0.0.0.0:5353"), false).is_err());
    assert!(
        p.check_bind(&sa("127.0.0.1:0"), false).is_err(),
        "only the unspecified address"
    );
    assert!(p.check_inbound(&sa("127.0.0.1:5353")));
    assert!(p.check_inbound(&sa("[::ffff:127.0.0.1]:5353")));
    assert!(!p.check_inbound(&sa("127.0.0.1:5354")));
    assert!(!p.check_inbound(&sa("10.1.2.3:5353")));
    // A client bind cannot listen.
    assert!(p.check_listen(&sa("0.0.0.0:41000"), false).is_err());
    // An explicit grant for it makes it a real bind.
    let g = Policy::new().allow_bind(grant("0.0.0.0:0"));
    assert_eq!(
        g.check_bind(&sa("0.0.0.0:0"), false),
        Ok(BindGrant::Granted)
    );
    assert!(g.check_listen(&sa("0.0.0.0:41000"), false).is_ok());
    let open = Policy::new().inherit_network(true);
    assert_eq!(
        open.check_bind(&sa("0.0.0.0:0"), false),
        Ok(BindGrant::Granted)
    );
    assert!(open.check_inbound(&sa("10.1.2.3:9")));
}

#[test]
fn dual_stack_binds_are_checked_as_ipv4_too() {
    let v6 = Policy::new().allow_bind(grant("[::]:8080"));
    assert_eq!(
        v6.check_bind(&sa("[::]:8080"), false),
        Ok(BindGrant::Granted)
    );
    let e = v6.check_bind(&sa("[::]:8080"), true).unwrap_err();
    assert!(e.reason.contains("dual-stack"), "{e}");
    assert!(v6.check_listen(&sa("[::]:8080"), true).is_err());
    let both = v6.clone().allow_bind(grant("0.0.0.0:8080"));
    assert_eq!(
        both.check_bind(&sa("[::]:8080"), true),
        Ok(BindGrant::Granted)
    );
    // Only `::` takes IPv4: a specific IPv6 address is itself.
    let one = Policy::new().allow_bind(grant("[::1]:8080"));
    assert_eq!(
        one.check_bind(&sa("[::1]:8080"), true),
        Ok(BindGrant::Granted)
    );
}

#[test]
fn listen_needs_a_bind_grant() {
    let none = Policy::new();
    assert!(none.check_listen(&sa("0.0.0.0:0"), false).is_err());
    let g = Policy::new()
        .allow_bind(grant("127.0.0.1:0"))
        .allow_bind(grant("[::1]:9000"));
    // Bound to an ephemeral port under a `127.0.0.1:0` grant.
    assert!(g.check_listen(&sa("127.0.0.1:41000"), false).is_ok());
    assert!(g.check_listen(&sa("[::1]:9000"), false).is_ok());
    assert!(g.check_listen(&sa("[::1]:9001"), false).is_err());
    assert!(g.check_listen(&sa("0.0.0.0:41000"), false).is_err());
}

#[test]
fn several_grants_any_matches() {
    let p = Policy::new()
        .allow_connect(grant("127.0.0.1:80"))
        .allow_connect(grant("[::1]:443"));
    assert!(p.check_connect(&sa("127.0.0.1:80")).is_ok());
    assert!(p.check_connect(&sa("[::1]:443")).is_ok());
    assert!(p.check_connect(&sa("[::1]:80")).is_err());
    assert!(p.check_connect(&sa("[::ffff:127.0.0.1]:80")).is_ok());
}

#[test]
fn inherit_network_allows_inet_and_dns_only() {
    let p = Policy::new().inherit_network(true);
    assert!(p.check_connect(&sa("8.8.8.8:53")).is_ok());
    assert!(p.check_connect(&sa("[2001:db8::1]:1")).is_ok());
    assert!(p.check_bind(&sa("0.0.0.0:80"), true).is_ok());
    assert!(p.dns_allowed());
    assert!(p.check_create(Family::Inet, Kind::Raw, 1).is_err());
    assert!(p.unix_connect("/tmp/x").is_err());
    let target = OptionTarget {
        family: Family::Inet,
        kind: Kind::Dgram,
    };
    let join = [239, 1, 2, 3, 0, 0, 0, 0];
    assert!(matches!(
        p.check_set_option(libc::IPPROTO_IP, libc::IP_ADD_MEMBERSHIP, target, &join),
        Err(OptionRefusal::Denied(_))
    ));
}

#[test]
fn protocols_other_than_the_defaults_need_raw() {
    let p = Policy::new();
    let tcp = libc::IPPROTO_TCP as u16;
    let udp = libc::IPPROTO_UDP as u16;
    for (family, kind, protocol, ok) in [
        (Family::Inet, Kind::Stream, 0, true),
        (Family::Inet, Kind::Stream, tcp, true),
        (Family::Inet6, Kind::Stream, tcp, true),
        (Family::Inet, Kind::Dgram, 0, true),
        (Family::Inet6, Kind::Dgram, udp, true),
        (Family::Unix, Kind::Stream, 0, true),
        (Family::Unix, Kind::Dgram, 0, true),
        (Family::Inet, Kind::Stream, udp, false),
        (Family::Inet, Kind::Stream, 262, false), // MPTCP
        (Family::Inet, Kind::Dgram, 136, false),  // UDP-Lite
        (Family::Inet6, Kind::Dgram, tcp, false),
        (Family::Unix, Kind::Stream, 1, false),
        (Family::Inet, Kind::Raw, 1, false),
        (Family::Inet, Kind::Raw, 0, false),
    ] {
        assert_eq!(
            p.check_create(family, kind, protocol).is_ok(),
            ok,
            "{family:?} {kind:?} {protocol}"
        );
    }
    let raw = Policy::new().allow_raw(true);
    assert!(raw.check_create(Family::Inet, Kind::Dgram, 136).is_ok());
    assert!(raw.check_create(Family::Inet6, Kind::Raw, 58).is_ok());
}

#[test]
fn numeric_resolution_needs_no_grant_and_hides_interfaces() {
    let p = Policy::new();
    assert!(p.check_address_information(None, false).is_ok());
    assert!(
        p.check_address_information(Some("127.0.0.1"), false)
            .is_ok()
    );
    assert!(p.check_address_information(Some("::1"), false).is_ok());
    assert!(
        p.check_address_information(Some("example.com"), true)
            .is_ok()
    );
    let e = p
        .check_address_information(Some("localhost"), false)
        .unwrap_err();
    assert!(e.reason.contains("--allow-dns"), "{e}");
    assert!(
        p.check_address_information(Some("127.1"), false).is_err(),
        "only strict literals"
    );
    // A zone naming an interface would reveal the host's interfaces, even
    // with numerichost and even with --allow-dns; a numeric zone is fine.
    let dns = Policy::new().allow_dns(true);
    for policy in [&p, &dns] {
        for flags in [false, true] {
            let e = policy
                .check_address_information(Some("fe80::1%lo"), flags)
                .unwrap_err();
            assert!(e.reason.contains("interface"), "{e}");
        }
    }
    assert!(p.check_address_information(Some("fe80::1%1"), true).is_ok());
    assert!(
        Policy::new()
            .allow_raw(true)
            .check_address_information(Some("fe80::1%lo"), true)
            .is_ok()
    );
    let any = sa("127.0.0.1:0");
    assert!(p.check_name_information(&any, true).is_ok());
    assert!(p.check_name_information(&any, false).is_err());
    assert!(
        dns.check_address_information(Some("localhost"), false)
            .is_ok()
    );
    assert!(dns.check_name_information(&any, false).is_ok());
    let inherit = Policy::new().inherit_network(true);
    assert!(
        inherit
            .check_address_information(Some("localhost"), false)
            .is_ok()
    );
    // Guest text in a denial is escaped.
    let e = p
        .check_address_information(Some("evil\u{1b}[2J\nwasock: forged"), false)
        .unwrap_err();
    assert!(!e.to_string().chars().any(char::is_control), "{e}");
}

#[test]
fn limits() {
    assert_eq!(Policy::new().max_sockets_limit(3).max_sockets(), 3);
    assert_eq!(Policy::new().max_sockets_limit(0).max_sockets(), 0);
    assert_eq!(
        Policy::new().max_memory_limit(1 << 20).max_memory(),
        1 << 20
    );
}

// ---- The option allow-list ----------------------------------------------------

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
    // Linger time is capped.
    let mut linger = int(1);
    linger.extend_from_slice(&int(100_000));
    let capped = set(libc::SOL_SOCKET, libc::SO_LINGER, &linger).unwrap();
    assert_eq!(&capped[4..], &int(LINGER_CEILING_SECONDS)[..]);
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

// ---- Unix paths ------------------------------------------------------------------

/// A fresh directory under the system temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        use std::sync::atomic::{AtomicU32, Ordering};
        static N: AtomicU32 = AtomicU32::new(0);
        let dir = std::env::temp_dir().join(format!(
            "wasock-policy-{name}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir.canonicalize().unwrap())
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn unix_grant(s: &str) -> UnixGrantSpec {
    s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn unix_socket() -> socket2::Socket {
    socket2::Socket::new(socket2::Domain::UNIX, socket2::Type::STREAM, None).unwrap()
}

/// Binds a real socket through the policy; returns it and its bound file.
fn bind_through(p: &Policy, guest_path: &str) -> (socket2::Socket, BoundFile) {
    let target = p
        .unix_bind(guest_path)
        .unwrap_or_else(|e| panic!("{guest_path}: {e:?}"));
    let socket = unix_socket();
    socket.bind(&target.os_address().unwrap()).unwrap();
    socket.listen(4).unwrap();
    (socket, target.into_bound_file())
}

fn denied_reason<T: std::fmt::Debug>(result: Result<T, UnixRefusal>) -> String {
    match result {
        Err(UnixRefusal::Denied(d)) => d.to_string(),
        other => panic!("expected a denial, got {other:?}"),
    }
}

fn os_errno<T: std::fmt::Debug>(result: Result<T, UnixRefusal>) -> i32 {
    match result {
        Err(UnixRefusal::Os(e)) => e.raw_os_error().unwrap_or(0),
        other => panic!("expected an OS error, got {other:?}"),
    }
}

#[test]
fn unix_spec_parsing() {
    assert_eq!(
        unix_grant("/tmp/a"),
        UnixGrantSpec {
            host_dir: "/tmp/a".into(),
            guest_dir: None
        }
    );
    assert_eq!(
        unix_grant("/tmp/a::/run/./x/"),
        UnixGrantSpec {
            host_dir: "/tmp/a".into(),
            guest_dir: Some("/run/x".into())
        }
    );
    let e = |s: &str| s.parse::<UnixGrantSpec>().unwrap_err().to_string();
    assert!(e("").contains("missing HOST_DIR"));
    assert!(e("::/run").contains("missing HOST_DIR"));
    assert!(e("/tmp::").contains("empty GUEST_DIR"));
    assert!(e("/tmp::run").contains("GUEST_DIR `run` must be an absolute path"));
}

#[test]
fn unix_missing_host_dir_is_an_error() {
    let e = Policy::new()
        .allow_unix(unix_grant("/nonexistent/wasock-dir"))
        .unwrap_err();
    assert!(
        e.to_string().contains("HOST_DIR `/nonexistent/wasock-dir`"),
        "{e}"
    );
    let dir = TempDir::new("file");
    let file = dir.0.join("f");
    std::fs::write(&file, b"").unwrap();
    let e = Policy::new().allow_unix(unix_grant(s(&file))).unwrap_err();
    assert!(e.to_string().contains("is not a directory"), "{e}");
}

#[test]
fn unix_bind_and_connect_inside_and_the_file_goes_with_the_socket() {
    let dir = TempDir::new("plain");
    let p = Policy::new().allow_unix(unix_grant(s(&dir.0))).unwrap();
    let guest = format!("{}/echo.sock", s(&dir.0));
    let (listener, bound) = bind_through(&p, &guest);
    assert_eq!(bound.guest_path(), guest);
    assert!(
        dir.0.join("echo.sock").exists(),
        "bind made the socket file"
    );
    // Connect through the checked inode.
    let target = p.unix_connect(&guest).unwrap();
    assert_eq!(target.guest_path(), guest);
    let client = unix_socket();
    client.connect(&target.os_address().unwrap()).unwrap();
    // The peer's name comes back as the guest's path.
    let peer = client.peer_addr().unwrap();
    assert_eq!(
        p.guest_unix_name(peer.as_pathname().unwrap()).as_deref(),
        Some(guest.as_str())
    );
    // A subdirectory that exists is fine; `.` and `..` that stay inside too.
    std::fs::create_dir(dir.0.join("sub")).unwrap();
    let (_sub, sub_bound) = bind_through(&p, &format!("{}/sub/./x/../a.sock", s(&dir.0)));
    assert_eq!(sub_bound.guest_path(), format!("{}/sub/a.sock", s(&dir.0)));
    assert!(dir.0.join("sub/a.sock").exists());
    // Relative paths are relative to the grant's guest directory.
    assert!(p.unix_connect("echo.sock").is_ok());
    // A subdirectory that does not exist: the OS's answer.
    assert_eq!(
        os_errno(p.unix_bind(&format!("{}/nope/a.sock", s(&dir.0)))),
        libc::ENOENT
    );
    assert_eq!(
        os_errno(p.unix_connect(&format!("{}/missing.sock", s(&dir.0)))),
        libc::ENOENT
    );
    // Closing removes the file the bind made.
    drop((listener, bound, sub_bound));
    assert!(
        !dir.0.join("echo.sock").exists(),
        "the socket file went with the socket"
    );
    assert!(!dir.0.join("sub/a.sock").exists());
}

#[test]
fn unix_bound_file_leaves_a_replacement_alone() {
    let dir = TempDir::new("replace");
    let p = Policy::new().allow_unix(unix_grant(s(&dir.0))).unwrap();
    let (socket, bound) = bind_through(&p, &format!("{}/r.sock", s(&dir.0)));
    std::fs::remove_file(dir.0.join("r.sock")).unwrap();
    std::fs::write(dir.0.join("r.sock"), b"someone else's").unwrap();
    drop((socket, bound));
    assert_eq!(
        std::fs::read(dir.0.join("r.sock")).unwrap(),
        b"someone else's"
    );
}

#[test]
fn unix_dotdot_and_absolute_escapes_refused() {
    let dir = TempDir::new("dotdot");
    let p = Policy::new().allow_unix(unix_grant(s(&dir.0))).unwrap();
    let e = denied_reason(p.unix_bind(&format!("{}/../escape.sock", s(&dir.0))));
    assert!(e.starts_with("denied bind to unix path "), "{e}");
    assert!(e.contains("outside every --allow-unix directory"), "{e}");
    assert!(p.unix_connect("../escape.sock").is_err());
    assert!(p.unix_connect("a/../../escape.sock").is_err());
    assert!(denied_reason(p.unix_bind(s(&dir.0))).contains("directory itself"));
    assert!(p.unix_bind(".").is_err());
    for path in [
        "/etc/passwd",
        "/tmp/other.sock",
        "/",
        "/var/run/docker.sock",
    ] {
        let e = denied_reason(p.unix_connect(path));
        assert!(
            e.contains("outside every --allow-unix directory"),
            "{path}: {e}"
        );
    }
    let sibling = format!("{}-evil/x.sock", s(&dir.0));
    assert!(p.unix_connect(&sibling).is_err());
    assert!(p.unix_connect("").is_err());
    assert!(denied_reason(p.unix_connect("\0abstract")).contains("abstract"));
    assert_eq!(p.guest_unix_name(Path::new("/etc/passwd")), None);
}

#[test]
fn unix_symlinks_are_never_followed() {
    let dir = TempDir::new("symlink");
    let outside = TempDir::new("outside");
    let p = Policy::new().allow_unix(unix_grant(s(&dir.0))).unwrap();
    // A symlinked directory leading out.
    std::os::unix::fs::symlink(&outside.0, dir.0.join("out")).unwrap();
    let e = denied_reason(p.unix_bind(&format!("{}/out/x.sock", s(&dir.0))));
    assert!(e.contains("symlink"), "{e}");
    // A symlinked socket leading out, to a real listening socket.
    let outside_listener = unix_socket();
    outside_listener
        .bind(&socket2::SockAddr::unix(outside.0.join("target.sock")).unwrap())
        .unwrap();
    outside_listener.listen(4).unwrap();
    std::os::unix::fs::symlink(outside.0.join("target.sock"), dir.0.join("link.sock")).unwrap();
    let link = format!("{}/link.sock", s(&dir.0));
    match p.unix_connect(&link) {
        Err(UnixRefusal::Denied(_)) => {}
        Err(UnixRefusal::Os(e)) => assert_eq!(e.raw_os_error(), Some(libc::ECONNREFUSED)),
        Ok(target) => panic!("a symlink was followed: {target:?}"),
    }
    // `out/..` is resolved lexically: it names dir/x.sock, not outside.
    let (_s, bound) = bind_through(&p, &format!("{}/out/../x.sock", s(&dir.0)));
    assert_eq!(bound.guest_path(), format!("{}/x.sock", s(&dir.0)));
    // A symlink that stays inside is refused too: nothing is followed.
    std::fs::create_dir(dir.0.join("real")).unwrap();
    std::os::unix::fs::symlink(dir.0.join("real"), dir.0.join("alias")).unwrap();
    let e = denied_reason(p.unix_bind(&format!("{}/alias/y.sock", s(&dir.0))));
    assert!(e.contains("symlink"), "{e}");
    // Messages name the guest's path only.
    assert!(!e.contains("outside"), "{e}");
}

#[test]
fn unix_hard_links_to_sockets_are_refused() {
    let dir = TempDir::new("hardlink");
    let outside = TempDir::new("hardlink-outside");
    let p = Policy::new().allow_unix(unix_grant(s(&dir.0))).unwrap();
    let listener = unix_socket();
    listener
        .bind(&socket2::SockAddr::unix(outside.0.join("real.sock")).unwrap())
        .unwrap();
    listener.listen(4).unwrap();
    std::fs::hard_link(outside.0.join("real.sock"), dir.0.join("linked.sock")).unwrap();
    let e = denied_reason(p.unix_connect(&format!("{}/linked.sock", s(&dir.0))));
    assert!(e.contains("hard links"), "{e}");
    // A plain file is no socket: connect(2)'s answer.
    std::fs::write(dir.0.join("file"), b"").unwrap();
    assert_eq!(
        os_errno(p.unix_connect(&format!("{}/file", s(&dir.0)))),
        libc::ECONNREFUSED
    );
}

#[test]
fn unix_guest_dir_mapping_both_ways_and_no_host_path_in_messages() {
    let dir = TempDir::new("mapped");
    let spec = format!("{}::/run/socks", s(&dir.0));
    let p = Policy::new().allow_unix(unix_grant(&spec)).unwrap();
    let (_a, bound) = bind_through(&p, "/run/socks/a.sock");
    assert_eq!(bound.guest_path(), "/run/socks/a.sock");
    assert!(dir.0.join("a.sock").exists());
    let (_b, relative) = bind_through(&p, "b.sock");
    assert_eq!(relative.guest_path(), "/run/socks/b.sock");
    assert_eq!(
        p.guest_unix_name(&dir.0.join("a.sock")).as_deref(),
        Some("/run/socks/a.sock")
    );
    // Names made by binds through /proc/self/fd are followed back.
    let target = p.unix_bind("/run/socks/c.sock").unwrap();
    let os = target.os_address().unwrap();
    let proc_name = os.as_pathname().unwrap().to_path_buf();
    assert!(proc_name.starts_with("/proc/self/fd"));
    assert_eq!(
        p.guest_unix_name(&proc_name).as_deref(),
        Some("/run/socks/c.sock")
    );
    // The host path itself is not a guest name when GUEST_DIR is given.
    let host_name = format!("{}/a.sock", s(&dir.0));
    let e = denied_reason(p.unix_bind(&host_name));
    assert!(
        e.contains(&host_name),
        "the guest's own text is quoted: {e}"
    );
    for refused in ["/run/socks/../a.sock", "/run/a.sock", "/run/socksx/a.sock"] {
        let e = denied_reason(p.unix_bind(refused));
        assert!(
            !e.contains(s(&dir.0)),
            "a message names the host directory: {e}"
        );
    }
    std::os::unix::fs::symlink("/etc", dir.0.join("l")).unwrap();
    let e = denied_reason(p.unix_connect("/run/socks/l/x"));
    assert!(!e.contains(s(&dir.0)) && !e.contains("/etc"), "{e}");
    assert_eq!(p.guest_unix_name(Path::new("/run/socks/a.sock")), None);
}

#[test]
fn unix_most_specific_grant_wins() {
    let a = TempDir::new("outer");
    let b = TempDir::new("inner");
    let p = Policy::new()
        .allow_unix(unix_grant(&format!("{}::/srv", s(&a.0))))
        .unwrap()
        .allow_unix(unix_grant(&format!("{}::/srv/inner", s(&b.0))))
        .unwrap();
    let (_x, outer) = bind_through(&p, "/srv/x.sock");
    assert!(a.0.join("x.sock").exists());
    let (_y, inner) = bind_through(&p, "/srv/inner/x.sock");
    assert!(b.0.join("x.sock").exists());
    assert_eq!(
        (outer.guest_path(), inner.guest_path()),
        ("/srv/x.sock", "/srv/inner/x.sock")
    );
    assert_eq!(
        p.guest_unix_name(&b.0.join("x.sock")).as_deref(),
        Some("/srv/inner/x.sock")
    );
}

#[test]
fn unix_grant_holds_its_directory_even_if_renamed() {
    let parent = TempDir::new("renamed");
    let dir = parent.0.join("granted");
    std::fs::create_dir(&dir).unwrap();
    let p = Policy::new()
        .allow_unix(unix_grant(&format!("{}::/g", s(&dir))))
        .unwrap();
    std::fs::rename(&dir, parent.0.join("moved")).unwrap();
    // A new directory at the old name is not the granted one.
    std::fs::create_dir(&dir).unwrap();
    let (_s, _bound) = bind_through(&p, "/g/x.sock");
    assert!(parent.0.join("moved/x.sock").exists());
    assert!(!dir.join("x.sock").exists());
}
