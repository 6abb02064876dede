// Shared by the two adapters, word for word: `adapter/src/resolve.rs` and
// `adapter-p3/src/resolve.rs` include it (`include!`), each with its own
// bindings in scope under the same names.

/// The (type, protocol) pairs of each result, as glibc makes them: the
/// type and protocol asked for, or each of stream/TCP, datagram/UDP and
/// raw that fits the protocol.
fn socket_types(
    operation: &str,
    socket_type: Option<SocketType>,
    protocol: Option<Protocol>,
) -> Result<Vec<(SocketType, Protocol)>> {
    let all = [
        (SocketType::Stream, IPPROTO_TCP),
        (SocketType::Dgram, IPPROTO_UDP),
        (SocketType::Raw, 0),
    ];
    let protocol = protocol.filter(|protocol| *protocol != 0);
    let kinds: Vec<(SocketType, Protocol)> = all
        .into_iter()
        .filter(|(kind, _)| socket_type.is_none_or(|wanted| wanted == *kind))
        .filter_map(|(kind, default)| match protocol {
            None => Some((kind, default)),
            // A raw result carries whatever protocol was asked for.
            Some(asked) if kind == SocketType::Raw => Some((kind, asked)),
            Some(asked) if asked == default => Some((kind, asked)),
            Some(_) => None,
        })
        // With no type asked for, a protocol picks its own type only.
        .filter(|(kind, _)| socket_type.is_some() || protocol.is_none() || *kind != SocketType::Raw)
        .collect();
    if kinds.is_empty() {
        return Err(types::unsupported(
            operation,
            ErrorCode::SocketTypeNotSupported,
            "this socket type and protocol together",
        ));
    }
    Ok(kinds)
}

/// The port of a service: none is port 0; a decimal number is itself; a
/// name needs a services database, which WASI lacks.
fn port(operation: &str, service: Option<&str>) -> Result<u16> {
    let Some(service) = service else {
        return Ok(0);
    };
    if !service.is_empty() && service.bytes().all(|b| b.is_ascii_digit()) {
        return service.parse().map_err(|_| {
            types::fatal(
                operation,
                ErrorCode::ServiceNotFound,
                &format!("port {service} is out of range"),
            )
        });
    }
    Err(types::unsupported(
        operation,
        ErrorCode::ServiceNotFound,
        &format!("the service name {service:?} (only port numbers)"),
    ))
}

fn ip_address(address: IpAddress) -> IpAddr {
    match address {
        IpAddress::Ipv4((a, b, c, d)) => IpAddr::V4(Ipv4Addr::new(a, b, c, d)),
        IpAddress::Ipv6((a, b, c, d, e, f, g, h)) => {
            IpAddr::V6(Ipv6Addr::new(a, b, c, d, e, f, g, h))
        }
    }
}

/// A numeric node as getaddrinfo reads one: dotted IPv4, or IPv6 with an
/// optional numeric scope (`fe80::1%2`); with its scope id.
fn numeric(node: &str) -> Option<(IpAddr, u32)> {
    if let Ok(address) = node.parse::<IpAddr>() {
        return Some((address, 0));
    }
    let (address, scope) = node.split_once('%')?;
    let address = address.parse::<Ipv6Addr>().ok()?;
    let scope_id = scope.parse::<u32>().ok()?;
    Some((IpAddr::V6(address), scope_id))
}

fn socket_address(address: IpAddr, port: u16, scope_id: u32) -> SocketAddress {
    match address {
        IpAddr::V4(v4) => {
            let [a, b, c, d] = v4.octets();
            SocketAddress::Inet(Ipv4SocketAddress {
                port,
                address: (a, b, c, d),
            })
        }
        IpAddr::V6(v6) => {
            let [a, b, c, d, e, f, g, h] = v6.segments();
            SocketAddress::Inet6(Ipv6SocketAddress {
                port,
                flow_info: 0,
                address: (a, b, c, d, e, f, g, h),
                scope_id,
            })
        }
    }
}

/// `getnameinfo(3)`: the spec's `name-information`, numeric only.
fn name_information(address: &SocketAddress, flags: NameInfoFlags) -> Result<NameInfo> {
    const OP: &str = "name-information";
    let (node, port) = match address {
        SocketAddress::Inet(v4) => {
            let (a, b, c, d) = v4.address;
            (Ipv4Addr::new(a, b, c, d).to_string(), v4.port)
        }
        SocketAddress::Inet6(v6) => {
            let (a, b, c, d, e, f, g, h) = v6.address;
            let text = Ipv6Addr::new(a, b, c, d, e, f, g, h).to_string();
            // getnameinfo appends a link-local address's scope.
            let node = if v6.scope_id != 0 {
                format!("{text}%{}", v6.scope_id)
            } else {
                text
            };
            (node, v6.port)
        }
        SocketAddress::Unix(_) => {
            return Err(types::unsupported(
                OP,
                ErrorCode::AddressFamilyNotSupported,
                "unix addresses (they have no name information)",
            ));
        }
    };
    if !crate::has!(flags, NameInfoFlags::NUMERICHOST)
        || crate::has!(flags, NameInfoFlags::NAMEREQD)
    {
        return Err(types::unsupported(
            OP,
            ErrorCode::OperationNotSupported,
            "reverse lookup of a host name (only ni/numerichost)",
        ));
    }
    Ok(NameInfo {
        node,
        service: ServiceName::Port(port),
    })
}
