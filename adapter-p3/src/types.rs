//! The `types` interface: it has no functions, so this module holds what
//! the others share: the error record (with the one mapping from
//! `wasi:sockets@0.3.0` error codes onto the contract's classes) and the
//! address conversions between `wasock:socket` and `wasi:sockets`.

use crate::bindings::exports::wasock::socket::types::{
    AddressFamily, Ipv4SocketAddress, Ipv6SocketAddress, SocketAddress,
};
pub(crate) use crate::bindings::exports::wasock::socket::types::{Error, ErrorClass, ErrorCode};
use crate::bindings::wasi::sockets::ip_name_lookup;
use crate::bindings::wasi::sockets::types::{
    self as wasi, IpAddressFamily, IpSocketAddress, Ipv4SocketAddress as WasiIpv4SocketAddress,
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

/// Something `wasi:sockets@0.3.0` cannot do: class `unsupported`, naming
/// the spec's procedure (`operation`) and what is missing.
pub(crate) fn unsupported(operation: &str, code: ErrorCode, what: &str) -> Error {
    error(
        ErrorClass::Unsupported,
        code,
        format!("{operation}: {what}: not supported by wasi:sockets@0.3.0 (wasock adapter)"),
    )
}

/// A `wasi:sockets@0.3.0` error code as the contract's error: the one
/// mapping.
///
/// The classes follow the spec and the host (its error module,
/// `wasock_host::error`), as the adapter over WASI 0.2 has them: a refused
/// or unreachable connect and the system's own time-out are transient.
pub(crate) fn from_wasi(operation: &str, code: wasi::ErrorCode) -> Error {
    use ErrorClass::{Fatal, Transient, Unsupported};
    use wasi::ErrorCode as W;
    let (class, code, why) = match code {
        W::AccessDenied => (
            Fatal,
            ErrorCode::PermissionDenied,
            "access denied".to_owned(),
        ),
        W::NotSupported => (
            Unsupported,
            ErrorCode::OperationNotSupported,
            "not supported by the host".to_owned(),
        ),
        W::InvalidArgument => (
            Fatal,
            ErrorCode::InvalidArgument,
            "invalid argument".to_owned(),
        ),
        W::OutOfMemory => (Fatal, ErrorCode::OutOfMemory, "out of memory".to_owned()),
        W::Timeout => (
            Transient,
            ErrorCode::SystemTimedOut,
            "connection timed out".to_owned(),
        ),
        W::InvalidState => (
            Fatal,
            ErrorCode::InvalidState,
            "not valid in the socket's state".to_owned(),
        ),
        W::AddressNotBindable => (
            Fatal,
            ErrorCode::AddressNotAvailable,
            "address not available".to_owned(),
        ),
        W::AddressInUse => (Fatal, ErrorCode::AddressInUse, "address in use".to_owned()),
        W::RemoteUnreachable => (
            Transient,
            ErrorCode::HostUnreachable,
            "the remote address is unreachable".to_owned(),
        ),
        W::ConnectionRefused => (
            Transient,
            ErrorCode::ConnectionRefused,
            "connection refused".to_owned(),
        ),
        // WASI 0.3's "broken" is `EPIPE` as the host reports it.
        W::ConnectionBroken => (Fatal, ErrorCode::BrokenPipe, "connection broken".to_owned()),
        W::ConnectionReset => (
            Fatal,
            ErrorCode::ConnectionReset,
            "connection reset".to_owned(),
        ),
        W::ConnectionAborted => (
            Fatal,
            ErrorCode::ConnectionAborted,
            "connection aborted".to_owned(),
        ),
        W::DatagramTooLarge => (
            Fatal,
            ErrorCode::MessageTooLarge,
            "datagram too large".to_owned(),
        ),
        W::Other(detail) => (
            Fatal,
            ErrorCode::Other,
            detail.unwrap_or_else(|| "unknown error".to_owned()),
        ),
    };
    error(class, code, format!("{operation}: {why}"))
}

/// A `wasi:sockets/ip-name-lookup@0.3.0` error code as the contract's
/// error (a temporary resolver failure is transient, as on the host).
pub(crate) fn from_lookup(operation: &str, code: ip_name_lookup::ErrorCode) -> Error {
    use ErrorClass::{Fatal, Transient};
    use ip_name_lookup::ErrorCode as W;
    let (class, code, why) = match code {
        W::AccessDenied => (
            Fatal,
            ErrorCode::PermissionDenied,
            "access denied".to_owned(),
        ),
        W::InvalidArgument => (
            Fatal,
            ErrorCode::InvalidArgument,
            "invalid argument".to_owned(),
        ),
        W::NameUnresolvable => (Fatal, ErrorCode::NameNotFound, "name not found".to_owned()),
        W::TemporaryResolverFailure => (
            Transient,
            ErrorCode::NameTemporaryFailure,
            "temporary resolver failure".to_owned(),
        ),
        W::PermanentResolverFailure => {
            (Fatal, ErrorCode::NameFailure, "resolver failure".to_owned())
        }
        W::Other(detail) => (
            Fatal,
            ErrorCode::Other,
            detail.unwrap_or_else(|| "unknown error".to_owned()),
        ),
    };
    error(class, code, format!("{operation}: {why}"))
}

/// A socket's local or remote address as `getsockname(2)` /
/// `getpeername(2)` give it: `None` where WASI says `invalid-state` (not
/// bound, not connected).
pub(crate) fn address_if_any(
    operation: &str,
    address: std::result::Result<IpSocketAddress, wasi::ErrorCode>,
) -> Result<Option<IpSocketAddress>> {
    match address {
        Ok(address) => Ok(Some(address)),
        Err(wasi::ErrorCode::InvalidState) => Ok(None),
        Err(code) => Err(from_wasi(operation, code)),
    }
}

include!("../../adapter/src/types_common.rs");
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connect_failures_are_transient_as_on_the_host() {
        for code in [
            wasi::ErrorCode::ConnectionRefused,
            wasi::ErrorCode::RemoteUnreachable,
            wasi::ErrorCode::Timeout,
        ] {
            assert_eq!(
                from_wasi("connect", code.clone()).class,
                ErrorClass::Transient,
                "{code:?}"
            );
        }
        let refused = from_wasi("connect", wasi::ErrorCode::ConnectionRefused);
        assert_eq!(refused.code, ErrorCode::ConnectionRefused);
        assert!(
            refused.message.starts_with("connect: "),
            "{}",
            refused.message
        );
        assert_eq!(
            from_wasi("x", wasi::ErrorCode::NotSupported).class,
            ErrorClass::Unsupported
        );
        let other = from_wasi("send", wasi::ErrorCode::Other(Some("EIO".to_owned())));
        assert_eq!(other.message, "send: EIO");
        assert_eq!(
            from_lookup(
                "address-information",
                ip_name_lookup::ErrorCode::TemporaryResolverFailure
            )
            .class,
            ErrorClass::Transient
        );
        assert_eq!(
            from_lookup("x", ip_name_lookup::ErrorCode::NameUnresolvable).code,
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
