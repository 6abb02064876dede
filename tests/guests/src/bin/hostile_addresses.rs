//! `hostile_addresses`: malformed addresses on every call that takes one.
//! Unix paths with a NUL byte, longer than `sun_path` (108 bytes) or
//! empty; IPv6 scope ids that are garbage (SDK) or name no interface
//! (host); ports out of range; an address of the wrong family; a unix
//! address for name-information; a node with a NUL byte for
//! address-information. Prints one `case: ok` or `case: class/code (message)`
//! line per case, then `hostile addresses done` (the guest keeps running
//! after every error). Run with `--allow-unix DIR::/sockets`,
//! `--allow-bind [fe80::/10]:*`, `--allow-connect 127.0.0.1:1` and
//! `--allow-dns`.

use std::net::{Ipv6Addr, SocketAddrV6};

use wasock::{AddrInfoHints, Family, NameInfoFlags, Protocol, SockAddr, Socket, SocketType};

fn report<T>(case: &str, result: wasock::Result<T>) {
    match result {
        Ok(_) => println!("{case}: ok"),
        Err(e) => println!(
            "{case}: {}/{} ({})",
            e.class(),
            e.code().as_str(),
            e.message()
        ),
    }
}

fn socket(family: Family, kind: SocketType) -> Socket {
    Socket::new(family, kind, Protocol::DEFAULT).unwrap_or_else(|e| {
        eprintln!("hostile_addresses: socket: {e}");
        std::process::exit(1)
    })
}

fn main() {
    let long = format!("/sockets/{}", "x".repeat(200));

    let unix = socket(Family::Unix, SocketType::Stream);
    report(
        "unix_nul_connect",
        unix.connect(&SockAddr::unix("/sockets/a\0b")),
    );
    report("unix_nul_bind", unix.bind(&SockAddr::unix("/sockets/a\0b")));
    report(
        "unix_overlong_connect",
        unix.connect(&SockAddr::unix(long.clone())),
    );
    report(
        "unix_overlong_bind",
        unix.bind(&SockAddr::unix(long.clone())),
    );
    report("unix_empty_connect", unix.connect(&SockAddr::unix("")));
    let unix_dgram = socket(Family::Unix, SocketType::Dgram);
    report(
        "unix_nul_send_to",
        unix_dgram.send_to(b"x", &SockAddr::unix("/sockets/\0")),
    );
    report(
        "unix_overlong_send_to",
        unix_dgram.send_to(b"x", &SockAddr::unix(long)),
    );

    report(
        "scope_garbage_text",
        SockAddr::inet(Some("fe80::1%garbage"), 80u16),
    );
    report("scope_garbage_parse", "[fe80::1%zz]:80".parse::<SockAddr>());
    let bogus_scope = SockAddr::Inet6(SocketAddrV6::new(
        "fe80::1".parse::<Ipv6Addr>().unwrap_or(Ipv6Addr::LOCALHOST),
        0,
        0,
        u32::MAX,
    ));
    let udp6 = socket(Family::Inet6, SocketType::Dgram);
    report("scope_no_interface_bind", udp6.bind(&bogus_scope));

    report(
        "port_70000_text",
        SockAddr::inet(Some("127.0.0.1"), "70000"),
    );
    report(
        "port_70000_number",
        SockAddr::inet(Some("127.0.0.1"), 70000u32),
    );
    report("port_negative", SockAddr::inet(Some("127.0.0.1"), -1i32));
    report("port_name", SockAddr::inet(Some("127.0.0.1"), "http"));
    report("port_parse", "127.0.0.1:99999".parse::<SockAddr>());
    report("both_unspecified", SockAddr::inet(None, None::<u16>));
    report("not_an_address", SockAddr::inet(Some("999.1.1.1"), 80u16));

    let tcp = socket(Family::Inet, SocketType::Stream);
    report(
        "family_mismatch_unix",
        tcp.connect(&SockAddr::unix("/sockets/x")),
    );
    let v6 = SockAddr::inet(Some("::1"), 1u16).unwrap_or_else(|e| {
        eprintln!("hostile_addresses: ::1: {e}");
        std::process::exit(1)
    });
    report("family_mismatch_inet6", tcp.connect(&v6));
    report(
        "name_information_unix",
        wasock::name_information(&SockAddr::unix("/sockets/x"), NameInfoFlags::empty()),
    );
    report(
        "address_information_nul",
        wasock::address_information(Some("local\0host"), Some("80"), &AddrInfoHints::default()),
    );
    report(
        "address_information_nul_service",
        wasock::address_information(
            Some("localhost"),
            Some("8\u{0}0"),
            &AddrInfoHints::default(),
        ),
    );
    println!("hostile addresses done");
}
