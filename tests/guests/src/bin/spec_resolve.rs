//! `spec_resolve`: resolution details through the WIT from a guest:
//! `addrinfo-flags` (each result carries the request's flags),
//! `ai/canonname` (`localhost`: the first result has a canonical name;
//! without the flag none has), `ni/namereqd` on an address without a name
//! (an error, printed for the test to judge), and the string form of
//! `name-information` (`wasock::name_information_of_str`). (`ni/nofqdn`
//! needs names in a domain: `spec_nofqdn`.)
//!
//! Needs `--allow-dns`. Prints one line per case; exits non-zero with a
//! message when a check fails.

use wasock::{
    AddrInfoFlags, AddrInfoHints, NameInfoFlags, Service, SockAddr, address_information,
    name_information, name_information_of_str,
};

fn fail(what: &str, e: impl std::fmt::Display) -> ! {
    eprintln!("spec_resolve: {what}: {e}");
    std::process::exit(1)
}

fn main() {
    // addrinfo-flags: equal to the request's.
    for flags in [
        AddrInfoFlags::NUMERICHOST,
        AddrInfoFlags::NUMERICHOST | AddrInfoFlags::PASSIVE,
        AddrInfoFlags::empty(),
    ] {
        let hints = AddrInfoHints {
            flags,
            ..AddrInfoHints::default()
        };
        let list = address_information(Some("127.0.0.1"), Some("80"), &hints)
            .unwrap_or_else(|e| fail("127.0.0.1", e));
        if list.is_empty() || list.iter().any(|ai| ai.flags != flags) {
            fail("addrinfo-flags", format!("asked {flags:?}, got {list:?}"));
        }
        println!(
            "addrinfo-flags: asked {flags:?} got {:?} on {} results",
            list[0].flags,
            list.len()
        );
    }

    // ai/canonname.
    let canon = AddrInfoHints {
        flags: AddrInfoFlags::CANONNAME,
        ..AddrInfoHints::default()
    };
    let list = address_information(Some("localhost"), None, &canon)
        .unwrap_or_else(|e| fail("localhost canonname", e));
    let first = list
        .first()
        .unwrap_or_else(|| fail("localhost canonname", "no results"));
    match &first.canonical_name {
        Some(name) if !name.is_empty() => println!("canonname: {name}"),
        _ => fail(
            "canonname",
            format!("no canonical name on the first result: {list:?}"),
        ),
    }
    if !list
        .iter()
        .all(|ai| ai.flags.contains(AddrInfoFlags::CANONNAME))
    {
        fail("addrinfo-flags canonname", format!("{list:?}"));
    }
    let plain = address_information(Some("localhost"), None, &AddrInfoHints::default())
        .unwrap_or_else(|e| fail("localhost", e));
    if plain.is_empty() || plain.iter().any(|ai| ai.canonical_name.is_some()) {
        fail("no canonname", format!("{plain:?}"));
    }
    println!(
        "no canonname: {} results without a canonical name",
        plain.len()
    );

    // ni/namereqd on TEST-NET-1 (never named): printed for the test.
    let nameless = SockAddr::inet(Some("192.0.2.1"), 80).unwrap_or_else(|e| fail("address", e));
    match name_information(&nameless, NameInfoFlags::NAMEREQD) {
        Ok((node, service)) => println!("namereqd: ok ({node} . {service})"),
        Err(e) => println!(
            "namereqd: {}/{} ({})",
            e.class(),
            e.code().as_str(),
            e.message()
        ),
    }
    let (node, _) =
        name_information(&nameless, NameInfoFlags::empty()).unwrap_or_else(|e| fail("nameless", e));
    println!("nameless without namereqd: {node}");

    // name-information of a string: (name-information "127.0.0.1").
    let numeric = NameInfoFlags::NUMERICHOST | NameInfoFlags::NUMERICSERV;
    let got = name_information_of_str("127.0.0.1", numeric)
        .unwrap_or_else(|e| fail("of_str 127.0.0.1", e));
    if got != ("127.0.0.1".to_owned(), Service::Port(0)) {
        fail("of_str 127.0.0.1", format!("{got:?}"));
    }
    println!("of_str numeric: (\"{}\" . {})", got.0, got.1);
    let (node, service) = name_information_of_str("127.0.0.1", NameInfoFlags::empty())
        .unwrap_or_else(|e| fail("of_str named", e));
    if node.is_empty() {
        fail("of_str named", "empty node");
    }
    println!("of_str named: (\"{node}\" . {service})");
    let (node, _) = name_information_of_str("::1", NameInfoFlags::NUMERICHOST)
        .unwrap_or_else(|e| fail("of_str ::1", e));
    if node != "::1" {
        fail("of_str ::1", node);
    }
    println!("of_str ::1: {node}");
    match name_information_of_str("localhost", NameInfoFlags::empty()) {
        Ok(r) => fail(
            "of_str localhost",
            format!("a host name is no address, yet got {r:?}"),
        ),
        Err(e) => println!("of_str localhost: {}/{}", e.class(), e.code().as_str()),
    }
    println!("spec_resolve: ok");
}
