//! SDK e2e: address resolution through the host's resolver.
//! `address_information` of a numeric node and port (one stream/TCP result
//! by default, datagram/UDP with the hint), of nothing (the spec's empty
//! list), of a passive unspecified node; `name_information` with numeric
//! flags; and `connect_any` over the results, to the native peer's OPEN
//! port.
//!
//! Usage: sdk_resolve OPEN_PORT
use wasock::{
    AddrInfoFlags, AddrInfoHints, Family, NameInfoFlags, Protocol, Service, SockAddr, SocketType,
    address_information, connect_any, name_information,
};

fn main() {
    if let Err(e) = run() {
        eprintln!("sdk_resolve: {e}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), String> {
    let open = std::env::args()
        .nth(1)
        .ok_or("usage: sdk_resolve OPEN_PORT")?;
    let numeric = AddrInfoHints {
        flags: AddrInfoFlags::NUMERICHOST,
        ..AddrInfoHints::default()
    };

    let list = address_information(Some("127.0.0.1"), Some("80"), &numeric)
        .map_err(|e| format!("127.0.0.1 80: {e}"))?;
    let [ai] = list.as_slice() else {
        return Err(format!("127.0.0.1 80: {} results: {list:?}", list.len()));
    };
    let expected = SockAddr::inet(Some("127.0.0.1"), 80).map_err(|e| e.to_string())?;
    if (ai.family, ai.socket_type, ai.protocol, &ai.address)
        != (Family::Inet, SocketType::Stream, Protocol::TCP, &expected)
    {
        return Err(format!("127.0.0.1 80: {ai}"));
    }
    println!("{ai}");

    let udp = AddrInfoHints {
        socket_type: Some(SocketType::Dgram),
        ..numeric
    };
    let list =
        address_information(Some("::1"), Some("53"), &udp).map_err(|e| format!("::1 53: {e}"))?;
    if list
        .iter()
        .any(|ai| ai.socket_type != SocketType::Dgram || ai.protocol != Protocol::UDP)
        || list.is_empty()
    {
        return Err(format!("::1 53 dgram: {list:?}"));
    }
    println!("{}", list[0]);

    let none = address_information(None, None, &AddrInfoHints::default())
        .map_err(|e| format!("#f #f: {e}"))?;
    if !none.is_empty() {
        return Err(format!("(address-information #f #f) gave {none:?}"));
    }

    let passive = AddrInfoHints {
        family: Some(Family::Inet),
        flags: AddrInfoFlags::PASSIVE,
        ..AddrInfoHints::default()
    };
    let list =
        address_information(None, Some("8080"), &passive).map_err(|e| format!("passive: {e}"))?;
    if list.first().map(|ai| ai.address.to_string()) != Some("0.0.0.0:8080".to_owned()) {
        return Err(format!("passive #f 8080: {list:?}"));
    }

    let loopback = AddrInfoHints {
        family: Some(Family::Inet),
        ..AddrInfoHints::default()
    };
    let list =
        address_information(None, Some("8080"), &loopback).map_err(|e| format!("#f 8080: {e}"))?;
    if list.first().map(|ai| ai.address.to_string()) != Some("127.0.0.1:8080".to_owned()) {
        return Err(format!("#f 8080: {list:?}"));
    }

    let both = NameInfoFlags::NUMERICHOST | NameInfoFlags::NUMERICSERV;
    let (node, service) =
        name_information(&expected, both).map_err(|e| format!("name-information: {e}"))?;
    if (node.as_str(), &service) != ("127.0.0.1", &Service::Port(80)) {
        return Err(format!("name-information numeric: ({node:?} . {service})"));
    }
    println!("(\"{node}\" . {service})");

    let targets = address_information(Some("127.0.0.1"), Some(&open), &numeric)
        .map_err(|e| format!("target: {e}"))?;
    let socket = connect_any(&targets).map_err(|e| format!("connect_any: {e}"))?;
    let peer = socket
        .peer_name()
        .map_err(|e| e.to_string())?
        .map(|p| p.to_string())
        .unwrap_or_default();
    println!("connected to {peer}");
    println!("sdk_resolve: ok");
    Ok(())
}
