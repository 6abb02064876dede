//! Address, protocol and resolution checks.

use super::*;

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
        "denied bind to [::1]:8080: no --allow-bind grant matches; --allow-bind [::1]:8080 would allow it"
    );
    assert_eq!(
        p.check_listen(&sa("0.0.0.0:41000"), false)
            .unwrap_err()
            .to_string(),
        "denied listen on 0.0.0.0:41000: no --allow-bind grant matches; --allow-bind 0.0.0.0:41000 would allow it (port 0 in a grant covers any port the OS chose)"
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
    // The refusal says why, and what would allow it.
    assert!(e.reason.contains("also listens on IPv4"), "{e}");
    assert!(e.reason.contains("--allow-bind 0.0.0.0:8080 too"), "{e}");
    assert!(e.reason.contains("ipv6/v6only"), "{e}");
    let e = v6.check_listen(&sa("[::]:8080"), true).unwrap_err();
    assert!(
        e.reason.contains("also listens on IPv4") && e.reason.contains("0.0.0.0:8080"),
        "{e}"
    );
    let e = Policy::new()
        .check_bind(&sa("[::]:8080"), true)
        .unwrap_err();
    assert!(
        e.reason.contains("--allow-bind [::]:8080 would")
            && e.reason.contains("--allow-bind 0.0.0.0:8080 too")
            && e.reason.contains("ipv6/v6only"),
        "{e}"
    );
    // Bound to a port the OS chose under a `[::]:0` grant: the listen's
    // refusal names the dual-stack socket and the port-0 grant it needs.
    let ephemeral = Policy::new().allow_bind(grant("[::]:0"));
    let e = ephemeral.check_listen(&sa("[::]:41000"), true).unwrap_err();
    assert!(
        e.reason.contains("also listens on IPv4")
            && e.reason.contains("--allow-bind 0.0.0.0:0 too"),
        "{e}"
    );
    assert!(ephemeral.check_listen(&sa("[::]:41000"), false).is_ok());
    // Only `::` takes IPv4: a specific IPv6 address is itself.
    let one = Policy::new().allow_bind(grant("[::1]:8080"));
    assert_eq!(
        one.check_bind(&sa("[::1]:8080"), true),
        Ok(BindGrant::Granted)
    );
}

/// A grant for the unspecified address covers a bind to it, not to each
/// address of the host: the refusal says so, and names the grant that
/// would allow the bind.
#[test]
fn an_unspecified_grant_covers_itself_only_and_the_refusal_says_what_would() {
    let p = Policy::new()
        .allow_bind(grant("0.0.0.0:8080"))
        .allow_bind(grant("[::]:9090"));
    assert_eq!(
        p.check_bind(&sa("0.0.0.0:8080"), false),
        Ok(BindGrant::Granted)
    );
    for (address, suggested, unspecified) in [
        ("127.0.0.1:8080", "--allow-bind 127.0.0.1:8080", "0.0.0.0"),
        ("[::1]:9090", "--allow-bind [::1]:9090", "::"),
        (
            "[::ffff:127.0.0.1]:8080",
            "--allow-bind 127.0.0.1:8080",
            "0.0.0.0",
        ),
    ] {
        let e = p.check_bind(&sa(address), false).unwrap_err();
        assert!(
            e.reason.starts_with(&format!(
                "no --allow-bind grant matches; {suggested} would allow it"
            )),
            "{e}"
        );
        assert!(
            e.reason.contains(&format!(
                "a grant for {unspecified} covers a bind to {unspecified} itself"
            )),
            "{e}"
        );
    }
    // Another port: only what would allow it.
    let e = p.check_bind(&sa("127.0.0.1:8081"), false).unwrap_err();
    assert_eq!(
        e.reason,
        "no --allow-bind grant matches; --allow-bind 127.0.0.1:8081 would allow it"
    );
    let e = p.check_listen(&sa("127.0.0.1:8080"), false).unwrap_err();
    assert!(
        e.reason.contains("--allow-bind 127.0.0.1:8080 would"),
        "{e}"
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

/// Whatever the guest names in a refused call (a host name, a zone, a
/// unix path) the refusal shows a bounded part of it and says how long it
/// was: a refusal costs the host a few hundred bytes, never a multiple of
/// the guest's text.
#[test]
fn refusals_name_a_bounded_part_of_the_guests_text() {
    let long = "\u{1}".repeat(4 << 20);
    let p = Policy::new();
    let zone = format!("fe80::1%{long}");
    let denials = [
        p.check_address_information(Some(&long), false).unwrap_err(),
        p.check_address_information(Some(&zone), true).unwrap_err(),
        p.check_dns(Operation::NameInformation, &long).unwrap_err(),
        match p.unix_connect(&long) {
            Err(UnixRefusal::Denied(d)) => d,
            other => panic!("{other:?}"),
        },
        match p.unix_bind(&format!("/{long}")) {
            Err(UnixRefusal::Denied(d)) => d,
            other => panic!("{other:?}"),
        },
    ];
    for denial in denials {
        let text = denial.to_string();
        assert!(text.len() < 600, "{} bytes: {}", text.len(), &text[..100]);
        assert!(text.contains("bytes, cut)"), "{text}");
        assert!(!text.chars().any(char::is_control), "{text}");
    }
}

#[test]
fn limits() {
    assert_eq!(Policy::new().limit_sockets(3).max_sockets(), 3);
    assert_eq!(Policy::new().limit_sockets(0).max_sockets(), 0);
    assert_eq!(Policy::new().limit_memory(1 << 20).max_memory(), 1 << 20);
}
