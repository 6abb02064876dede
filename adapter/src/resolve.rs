//! The `resolve` interface over `wasi:sockets/ip-name-lookup`.
//!
//! WASI resolves a host name to its IP addresses and nothing more, so:
//!
//! - `address-information` builds `getaddrinfo`'s results from those
//!   addresses: one per address and socket type (stream/TCP, datagram/UDP,
//!   raw, as glibc lists them), filtered by the hints' family, type and
//!   protocol, with the port of a numeric service. `ai/numerichost` and a
//!   missing node are answered without a lookup. Service names (there is
//!   no services database) and `ai/canonname` (no canonical names) are
//!   `unsupported`.
//! - `name-information` formats the address itself with `ni/numerichost`;
//!   a reverse lookup (without it, or with `ni/namereqd`) is `unsupported`.
//!   The service is always the port: without a services database no port
//!   has a name, and the WIT gives the port "where no name was found".

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::Adapter;
use crate::bindings::exports::wasock::socket::resolve::{
    AddressInfo, AddressInfoFlags, AddressInfoHints, Guest, NameInfo, NameInfoFlags, ServiceName,
};
use crate::bindings::exports::wasock::socket::types::{
    AddressFamily, Duration, ErrorCode, Ipv4SocketAddress, Ipv6SocketAddress, Protocol,
    SocketAddress, SocketType,
};
use crate::bindings::wasi::sockets::ip_name_lookup::resolve_addresses;
use crate::bindings::wasi::sockets::network::{self, IpAddress};
use crate::tcp::with_network;
use crate::types::{self, Result};
use crate::wait::{self, Deadline};

/// IANA protocol numbers.
const IPPROTO_TCP: Protocol = 6;
const IPPROTO_UDP: Protocol = 17;

impl Guest for Adapter {
    fn address_information(
        node: Option<String>,
        service: Option<String>,
        hints: AddressInfoHints,
        timeout: Option<Duration>,
    ) -> Result<Vec<AddressInfo>> {
        address_information(node, service, hints, Deadline::after(timeout))
    }

    fn name_information(
        address: SocketAddress,
        flags: NameInfoFlags,
        _timeout: Option<Duration>,
    ) -> Result<NameInfo> {
        name_information(&address, flags)
    }
}

/// `getaddrinfo(3)`: the spec's `address-information`.
fn address_information(
    node: Option<String>,
    service: Option<String>,
    hints: AddressInfoHints,
    deadline: Deadline,
) -> Result<Vec<AddressInfo>> {
    const OP: &str = "address-information";
    if node.is_none() && service.is_none() {
        // The spec: both missing gives the empty list.
        return Ok(Vec::new());
    }
    if crate::has!(hints.flags, AddressInfoFlags::CANONNAME) {
        return Err(types::unsupported(
            OP,
            ErrorCode::OperationNotSupported,
            "ai/canonname (canonical names)",
        ));
    }
    let family = match hints.family {
        None | Some(AddressFamily::Unspec) => None,
        Some(family @ (AddressFamily::Inet | AddressFamily::Inet6)) => Some(family),
        Some(AddressFamily::Unix) => {
            return Err(types::unsupported(
                OP,
                ErrorCode::AddressFamilyNotSupported,
                "af/unix",
            ));
        }
    };
    let kinds = socket_types(OP, hints.socket_type, hints.protocol)?;
    let port = port(OP, service.as_deref())?;
    let addresses = match node {
        None => {
            // No node: the loopback addresses, or the unspecified ones for
            // a bind (`ai/passive`).
            if crate::has!(hints.flags, AddressInfoFlags::PASSIVE) {
                vec![
                    (IpAddr::V4(Ipv4Addr::UNSPECIFIED), 0),
                    (IpAddr::V6(Ipv6Addr::UNSPECIFIED), 0),
                ]
            } else {
                vec![
                    (IpAddr::V4(Ipv4Addr::LOCALHOST), 0),
                    (IpAddr::V6(Ipv6Addr::LOCALHOST), 0),
                ]
            }
        }
        // A numeric node needs no lookup (and WASI hosts refuse lookups
        // without a grant of their own, numeric or not).
        Some(node) => match numeric(&node) {
            Some(address) => vec![address],
            None if crate::has!(hints.flags, AddressInfoFlags::NUMERICHOST) => {
                return Err(types::fatal(
                    OP,
                    ErrorCode::NameNotFound,
                    &format!("{node:?} is not a numeric address (ai/numerichost)"),
                ));
            }
            None => lookup(OP, &node, deadline)?
                .into_iter()
                .map(|ip| (ip, 0))
                .collect(),
        },
    };
    let mut results = Vec::new();
    for (address, scope_id) in addresses {
        let socket_address = socket_address(address, port, scope_id);
        let address_family = types::family_of(&socket_address);
        if family.is_some_and(|wanted| wanted != address_family) {
            continue;
        }
        for (socket_type, protocol) in &kinds {
            results.push(AddressInfo {
                family: address_family,
                socket_type: *socket_type,
                protocol: *protocol,
                address: socket_address.clone(),
                canonical_name: None,
                flags: hints.flags,
            });
        }
    }
    if results.is_empty() {
        return Err(types::fatal(
            OP,
            ErrorCode::NameNotFound,
            "no address of the family asked for",
        ));
    }
    Ok(results)
}

include!("resolve_common.rs");
/// A name's addresses from `wasi:sockets/ip-name-lookup`, in its order,
/// without repeats.
fn lookup(operation: &str, node: &str, deadline: Deadline) -> Result<Vec<IpAddr>> {
    let stream = with_network(|network| resolve_addresses(network, node))
        .map_err(|code| types::from_wasi(operation, code))?;
    let mut addresses = Vec::new();
    loop {
        match stream.resolve_next_address() {
            Ok(Some(address)) => {
                let address = ip_address(address);
                if !addresses.contains(&address) {
                    addresses.push(address);
                }
            }
            Ok(None) => return Ok(addresses),
            Err(network::ErrorCode::WouldBlock) => {
                wait::wait(operation, &stream.subscribe(), deadline)?
            }
            Err(code) => return Err(types::from_wasi(operation, code)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn services_are_port_numbers_only() {
        assert_eq!(port("x", None).unwrap(), 0);
        assert_eq!(port("x", Some("8080")).unwrap(), 8080);
        assert_eq!(
            port("x", Some("70000")).unwrap_err().code,
            ErrorCode::ServiceNotFound
        );
        let named = port("address-information", Some("http")).unwrap_err();
        assert_eq!(
            named.class,
            crate::bindings::exports::wasock::socket::types::ErrorClass::Unsupported
        );
        assert!(
            named.message.starts_with("address-information: "),
            "{}",
            named.message
        );
    }

    fn hints(flags: AddressInfoFlags) -> AddressInfoHints {
        AddressInfoHints {
            family: None,
            socket_type: Some(SocketType::Stream),
            protocol: None,
            flags,
        }
    }

    /// (No node and no service, no node, a numeric node: answered here,
    /// without a lookup, so a native test can ask.)
    #[test]
    fn what_needs_no_lookup_is_answered_as_getaddrinfo_does() {
        let found = |node: Option<&str>, service: Option<&str>, flags| {
            address_information(
                node.map(str::to_owned),
                service.map(str::to_owned),
                hints(flags),
                Deadline::never(),
            )
            .map(|results| {
                results
                    .iter()
                    .map(|info| format!("{:?}", info.address))
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .unwrap_or_else(|e| format!("{:?} {:?}", e.class, e.code))
        };
        // The spec: `(address-information #f #f) ; => ()`.
        assert_eq!(found(None, None, AddressInfoFlags::empty()), "");
        let loopback = found(None, Some("80"), AddressInfoFlags::empty());
        assert!(loopback.contains("address: (127, 0, 0, 1)"), "{loopback}");
        assert!(
            loopback.contains("address: (0, 0, 0, 0, 0, 0, 0, 1)"),
            "{loopback}"
        );
        let passive = found(None, Some("80"), AddressInfoFlags::PASSIVE);
        assert!(passive.contains("address: (0, 0, 0, 0)"), "{passive}");
        let numeric = found(Some("10.1.2.3"), Some("7"), AddressInfoFlags::NUMERICHOST);
        assert!(
            numeric.contains("port: 7, address: (10, 1, 2, 3)"),
            "{numeric}"
        );
        assert_eq!(
            found(Some("localhost"), None, AddressInfoFlags::NUMERICHOST),
            "ErrorClass::Fatal ErrorCode::NameNotFound"
        );
        assert_eq!(
            found(Some("::1"), None, AddressInfoFlags::CANONNAME),
            "ErrorClass::Unsupported ErrorCode::OperationNotSupported"
        );
    }

    #[test]
    fn numeric_nodes_are_read_without_a_lookup() {
        assert_eq!(
            numeric("127.0.0.1"),
            Some((IpAddr::V4(Ipv4Addr::LOCALHOST), 0))
        );
        assert_eq!(numeric("::1"), Some((IpAddr::V6(Ipv6Addr::LOCALHOST), 0)));
        assert_eq!(numeric("fe80::1%3"), Some(("fe80::1".parse().unwrap(), 3)));
        assert_eq!(numeric("localhost"), None);
        assert_eq!(numeric("fe80::1%eth0"), None);
        assert_eq!(numeric("1.2.3.4%1"), None);
    }

    #[test]
    fn socket_types_follow_glibc() {
        let kinds = |t, p| {
            socket_types("x", t, p)
                .map(|kinds| format!("{kinds:?}"))
                .unwrap_or_else(|e| format!("{:?}", e.code))
        };
        assert_eq!(
            kinds(None, None),
            format!(
                "{:?}",
                [
                    (SocketType::Stream, 6),
                    (SocketType::Dgram, 17),
                    (SocketType::Raw, 0)
                ]
            )
        );
        assert_eq!(
            kinds(Some(SocketType::Stream), None),
            format!("{:?}", [(SocketType::Stream, 6)])
        );
        assert_eq!(
            kinds(None, Some(17)),
            format!("{:?}", [(SocketType::Dgram, 17)])
        );
        assert_eq!(
            kinds(Some(SocketType::Stream), Some(17)),
            format!("{:?}", ErrorCode::SocketTypeNotSupported)
        );
    }
}
