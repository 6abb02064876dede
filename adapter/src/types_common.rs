// Shared by the two adapters, word for word: `adapter/src/types.rs` and
// `adapter-p3/src/types.rs` include it (`include!`), each with its own
// bindings in scope under the same names.

/// The `wasi:sockets` family of an inet / inet6 socket.
pub(crate) fn ip_family(family: AddressFamily) -> Option<IpAddressFamily> {
    match family {
        AddressFamily::Inet => Some(IpAddressFamily::Ipv4),
        AddressFamily::Inet6 => Some(IpAddressFamily::Ipv6),
        AddressFamily::Unix | AddressFamily::Unspec => None,
    }
}

/// The family an address belongs to.
pub(crate) fn family_of(address: &SocketAddress) -> AddressFamily {
    match address {
        SocketAddress::Inet(_) => AddressFamily::Inet,
        SocketAddress::Inet6(_) => AddressFamily::Inet6,
        SocketAddress::Unix(_) => AddressFamily::Unix,
    }
}

/// The guest's address for a socket of `family` as the `wasi:sockets`
/// address, refusing one of another family as the host does (before any
/// call).
pub(crate) fn to_wasi(
    operation: &str,
    family: AddressFamily,
    address: &SocketAddress,
) -> Result<IpSocketAddress> {
    let given = family_of(address);
    if given != family {
        return Err(fatal(
            operation,
            ErrorCode::AddressFamilyNotSupported,
            &format!(
                "a {} address on a {} socket",
                family_name(given),
                family_name(family)
            ),
        ));
    }
    Ok(match address {
        SocketAddress::Inet(v4) => IpSocketAddress::Ipv4(WasiIpv4SocketAddress {
            port: v4.port,
            address: v4.address,
        }),
        SocketAddress::Inet6(v6) => IpSocketAddress::Ipv6(WasiIpv6SocketAddress {
            port: v6.port,
            flow_info: v6.flow_info,
            address: v6.address,
            scope_id: v6.scope_id,
        }),
        // The family check above leaves only inet and inet6 sockets here.
        SocketAddress::Unix(_) => {
            return Err(unsupported(
                operation,
                ErrorCode::AddressFamilyNotSupported,
                "af/unix",
            ));
        }
    })
}

/// A `wasi:sockets` address as the guest's.
pub(crate) fn from_wasi_address(address: IpSocketAddress) -> SocketAddress {
    match address {
        IpSocketAddress::Ipv4(v4) => SocketAddress::Inet(Ipv4SocketAddress {
            port: v4.port,
            address: v4.address,
        }),
        IpSocketAddress::Ipv6(v6) => SocketAddress::Inet6(Ipv6SocketAddress {
            port: v6.port,
            flow_info: v6.flow_info,
            address: v6.address,
            scope_id: v6.scope_id,
        }),
    }
}

/// The unspecified address of a family, port 0: what an implicit bind uses
/// (POSIX binds an unbound socket that listens, sends or receives this way).
pub(crate) fn unspecified(family: IpAddressFamily) -> IpSocketAddress {
    match family {
        IpAddressFamily::Ipv4 => IpSocketAddress::Ipv4(WasiIpv4SocketAddress {
            port: 0,
            address: (0, 0, 0, 0),
        }),
        IpAddressFamily::Ipv6 => IpSocketAddress::Ipv6(WasiIpv6SocketAddress {
            port: 0,
            flow_info: 0,
            address: (0, 0, 0, 0, 0, 0, 0, 0),
            scope_id: 0,
        }),
    }
}

/// The family's name as the host's messages spell it.
pub(crate) fn family_name(family: AddressFamily) -> &'static str {
    match family {
        AddressFamily::Unspec => "Unspec",
        AddressFamily::Inet => "Inet",
        AddressFamily::Inet6 => "Inet6",
        AddressFamily::Unix => "Unix",
    }
}

/// The call's own timeout expired (class `timeout`).
pub(crate) fn timeout(operation: &str) -> Error {
    error(
        ErrorClass::Timeout,
        ErrorCode::TimedOut,
        format!("{operation}: timed out"),
    )
}

/// A call on a socket after `close`.
pub(crate) fn closed(operation: &str) -> Error {
    error(
        ErrorClass::Fatal,
        ErrorCode::Closed,
        format!("{operation}: the socket is closed"),
    )
}

/// A fatal error of `code` with the reason given.
pub(crate) fn fatal(operation: &str, code: ErrorCode, why: &str) -> Error {
    error(ErrorClass::Fatal, code, format!("{operation}: {why}"))
}

/// A non-blocking call found nothing to do (class transient).
pub(crate) fn would_block(operation: &str) -> Error {
    error(
        ErrorClass::Transient,
        ErrorCode::WouldBlock,
        format!("{operation}: the operation would block"),
    )
}
