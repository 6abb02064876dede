//! The `types` interface: it has no functions, so this module holds what
//! the other two share: the error record (with the one mapping from
//! `wasi:sockets` error codes onto the contract's classes) and the address
//! conversions between `wasock:socket` and `wasi:sockets`.

use crate::bindings::exports::wasock::socket::types::{
    AddressFamily, Ipv4SocketAddress, Ipv6SocketAddress, SocketAddress,
};
pub(crate) use crate::bindings::exports::wasock::socket::types::{Error, ErrorClass, ErrorCode};
use crate::bindings::wasi::sockets::network::{
    self, IpAddressFamily, IpSocketAddress, Ipv4SocketAddress as WasiIpv4SocketAddress,
    Ipv6SocketAddress as WasiIpv6SocketAddress,
};

/// The result of every adapted call.
pub(crate) type Result<T> = std::result::Result<T, Error>;

/// An error of `class` and `code`; `message` names the call first.
pub(crate) fn error(class: ErrorClass, code: ErrorCode, message: String) -> Error {
    Error {
        class,
        code,
        message,
    }
}

/// Something `wasi:sockets` cannot do: class `unsupported`, naming the
/// spec's procedure (`operation`) and what is missing.
pub(crate) fn unsupported(operation: &str, code: ErrorCode, what: &str) -> Error {
    error(
        ErrorClass::Unsupported,
        code,
        format!("{operation}: {what}: not supported by wasi:sockets (wasock adapter)"),
    )
}

/// A `wasi:sockets` error code as the contract's error: the one mapping.
///
/// The classes follow the spec and the host (its error module, `wasock_host::error`): a
/// refused or unreachable connect and the system's own time-out are
/// transient, as are `would-block` and a temporary resolver failure.
pub(crate) fn from_wasi(operation: &str, code: network::ErrorCode) -> Error {
    use ErrorClass::{Fatal, Transient, Unsupported};
    use network::ErrorCode as W;
    let (class, code, why) = match code {
        W::Unknown => (Fatal, ErrorCode::Other, "unknown error"),
        W::AccessDenied => (Fatal, ErrorCode::PermissionDenied, "access denied"),
        W::NotSupported => (
            Unsupported,
            ErrorCode::OperationNotSupported,
            "not supported by the host",
        ),
        W::InvalidArgument => (Fatal, ErrorCode::InvalidArgument, "invalid argument"),
        W::OutOfMemory => (Fatal, ErrorCode::OutOfMemory, "out of memory"),
        W::Timeout => (Transient, ErrorCode::SystemTimedOut, "connection timed out"),
        W::ConcurrencyConflict => (
            Transient,
            ErrorCode::InProgress,
            "another operation is in progress",
        ),
        W::NotInProgress => (
            Fatal,
            ErrorCode::InvalidState,
            "no operation is in progress",
        ),
        W::WouldBlock => (
            Transient,
            ErrorCode::WouldBlock,
            "the operation would block",
        ),
        W::InvalidState => (
            Fatal,
            ErrorCode::InvalidState,
            "not valid in the socket's state",
        ),
        // Retried once a socket closes, as under `wasock run`.
        W::NewSocketLimit => (Transient, ErrorCode::TooManySockets, "too many sockets"),
        W::AddressNotBindable => (
            Fatal,
            ErrorCode::AddressNotAvailable,
            "address not available",
        ),
        W::AddressInUse => (Fatal, ErrorCode::AddressInUse, "address in use"),
        W::RemoteUnreachable => (
            Transient,
            ErrorCode::HostUnreachable,
            "the remote address is unreachable",
        ),
        W::ConnectionRefused => (
            Transient,
            ErrorCode::ConnectionRefused,
            "connection refused",
        ),
        W::ConnectionReset => (Fatal, ErrorCode::ConnectionReset, "connection reset"),
        W::ConnectionAborted => (Fatal, ErrorCode::ConnectionAborted, "connection aborted"),
        W::DatagramTooLarge => (Fatal, ErrorCode::MessageTooLarge, "datagram too large"),
        W::NameUnresolvable => (Fatal, ErrorCode::NameNotFound, "name not found"),
        W::TemporaryResolverFailure => (
            Transient,
            ErrorCode::NameTemporaryFailure,
            "temporary resolver failure",
        ),
        W::PermanentResolverFailure => (Fatal, ErrorCode::NameFailure, "resolver failure"),
    };
    error(class, code, format!("{operation}: {why}"))
}

include!("types_common.rs");
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connect_failures_are_transient_as_on_the_host() {
        for code in [
            network::ErrorCode::ConnectionRefused,
            network::ErrorCode::RemoteUnreachable,
            network::ErrorCode::Timeout,
            network::ErrorCode::WouldBlock,
            network::ErrorCode::TemporaryResolverFailure,
        ] {
            assert_eq!(
                from_wasi("connect", code).class,
                ErrorClass::Transient,
                "{code:?}"
            );
        }
        let refused = from_wasi("connect", network::ErrorCode::ConnectionRefused);
        assert_eq!(refused.code, ErrorCode::ConnectionRefused);
        assert!(
            refused.message.starts_with("connect: "),
            "{}",
            refused.message
        );
        assert_eq!(
            from_wasi("x", network::ErrorCode::NotSupported).class,
            ErrorClass::Unsupported
        );
        assert_eq!(
            from_wasi("x", network::ErrorCode::NameUnresolvable).code,
            ErrorCode::NameNotFound
        );
    }

    #[test]
    fn addresses_round_trip_and_families_are_checked() {
        let v6 = SocketAddress::Inet6(Ipv6SocketAddress {
            port: 8080,
            flow_info: 0x1234,
            address: (0xfe80, 0, 0, 0, 0, 0, 0, 1),
            scope_id: 7,
        });
        let wasi = to_wasi("bind", AddressFamily::Inet6, &v6).unwrap();
        // (The generated types have no `PartialEq`; their `Debug` shows
        // every field.)
        assert_eq!(format!("{:?}", from_wasi_address(wasi)), format!("{v6:?}"));
        let v4 = SocketAddress::Inet(Ipv4SocketAddress {
            port: 1,
            address: (127, 0, 0, 1),
        });
        assert_eq!(
            format!(
                "{:?}",
                from_wasi_address(to_wasi("bind", AddressFamily::Inet, &v4).unwrap())
            ),
            format!("{v4:?}")
        );
        let wrong = to_wasi("connect", AddressFamily::Inet6, &v4).unwrap_err();
        assert_eq!(wrong.code, ErrorCode::AddressFamilyNotSupported);
        assert_eq!(wrong.message, "connect: a Inet address on a Inet6 socket");
        let unix = to_wasi(
            "bind",
            AddressFamily::Inet,
            &SocketAddress::Unix("/x".into()),
        );
        assert_eq!(unix.unwrap_err().code, ErrorCode::AddressFamilyNotSupported);
    }
}
