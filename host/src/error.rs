//! One internal error type for every wasock operation, and the one place
//! where OS errors (errno, `EAI_*`) become the contract's error class and
//! code.
//!
//! The socket logic returns [`Error`]; the glue maps it once onto the WIT
//! `error` record (`crate::glue`). The classes follow the spec's exception
//! kinds: `(exn i/o net transient)`, `(exn i/o net timeout)`,
//! `(exn i/o net unsupported)` and plain `(exn i/o net)`.

use std::fmt;
use std::io;

use crate::policy::Denied;

/// The spec's exception kind (WIT `error-class`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorClass {
    /// `(exn i/o net transient)`: may succeed if retried later.
    Transient,
    /// `(exn i/o net timeout)`: the call's own timeout expired.
    Timeout,
    /// `(exn i/o net unsupported)`: not defined or not supported on this host.
    Unsupported,
    /// `(exn i/o net)`: any other error.
    Fatal,
}

/// The precise cause (WIT `error-code`); see the WIT for each variant's errno.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[allow(missing_docs)]
pub enum ErrorCode {
    PermissionDenied,
    AddressInUse,
    AddressNotAvailable,
    AddressFamilyNotSupported,
    AlreadyConnected,
    InProgress,
    NotConnected,
    ConnectionRefused,
    ConnectionReset,
    ConnectionAborted,
    BrokenPipe,
    NetworkDown,
    NetworkUnreachable,
    HostUnreachable,
    SystemTimedOut,
    TimedOut,
    WouldBlock,
    InvalidArgument,
    InvalidState,
    OperationNotSupported,
    ProtocolNotSupported,
    SocketTypeNotSupported,
    OptionNotSupported,
    ReadOnlyOption,
    MessageTooLarge,
    OutOfMemory,
    TooManySockets,
    Closed,
    NameNotFound,
    NameTemporaryFailure,
    NameFailure,
    ServiceNotFound,
    Interrupted,
    Other,
}

/// An error from a wasock operation: class, code and a message naming the
/// operation and the cause.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    /// The spec's exception kind.
    pub class: ErrorClass,
    /// The precise cause.
    pub code: ErrorCode,
    /// "connect: Connection refused (os error 111)" and the like.
    pub message: String,
}

/// The result of a wasock operation.
pub type Result<T> = std::result::Result<T, Error>;

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

impl Error {
    /// An error of the given class and code.
    pub fn new(class: ErrorClass, code: ErrorCode, message: impl Into<String>) -> Self {
        Error {
            class,
            code,
            message: message.into(),
        }
    }

    /// The call's own timeout expired (class `timeout`).
    pub fn timeout(operation: &str) -> Self {
        Error::new(
            ErrorClass::Timeout,
            ErrorCode::TimedOut,
            format!("{operation}: timed out"),
        )
    }

    /// A call on a socket after `close`.
    pub fn closed(operation: &str) -> Self {
        Error::new(
            ErrorClass::Fatal,
            ErrorCode::Closed,
            format!("{operation}: the socket is closed"),
        )
    }

    /// Malformed input: a bad address, length or value.
    pub fn invalid_argument(operation: &str, why: impl fmt::Display) -> Self {
        Error::new(
            ErrorClass::Fatal,
            ErrorCode::InvalidArgument,
            format!("{operation}: {why}"),
        )
    }

    /// The operation is not valid in the socket's state.
    pub fn invalid_state(operation: &str, why: impl fmt::Display) -> Self {
        Error::new(
            ErrorClass::Fatal,
            ErrorCode::InvalidState,
            format!("{operation}: {why}"),
        )
    }

    /// Something this host does not define or support (class `unsupported`).
    pub fn unsupported(operation: &str, code: ErrorCode, why: impl fmt::Display) -> Self {
        Error::new(ErrorClass::Unsupported, code, format!("{operation}: {why}"))
    }

    /// Refused by the host's policy: nothing reached the OS.
    pub fn denied(operation: &str, denied: &Denied) -> Self {
        Error::new(
            ErrorClass::Fatal,
            ErrorCode::PermissionDenied,
            format!("{operation}: {denied}"),
        )
    }

    /// The guest's `--max-sockets` limit is reached.
    pub fn too_many_sockets(operation: &str, limit: usize) -> Self {
        Error::new(
            ErrorClass::Fatal,
            ErrorCode::TooManySockets,
            format!(
                "{operation}: the guest already holds its limit of {limit} open sockets (--max-sockets)"
            ),
        )
    }

    /// An OS error of `operation`, classified by its raw errno first and
    /// its `ErrorKind` second.
    pub fn io(operation: &str, err: &io::Error) -> Self {
        let (class, code) = classify(err);
        Error::new(class, code, format!("{operation}: {err}"))
    }

    /// An OS error given as an errno (for example `SO_ERROR`'s value).
    pub fn errno(operation: &str, errno: i32) -> Self {
        Error::io(operation, &io::Error::from_raw_os_error(errno))
    }
}

impl From<&io::Error> for Error {
    fn from(err: &io::Error) -> Self {
        Error::io("socket", err)
    }
}

/// Maps an OS error onto (class, code): the raw errno where there is one,
/// else the `ErrorKind`.
pub fn classify(err: &io::Error) -> (ErrorClass, ErrorCode) {
    use ErrorClass::*;
    use ErrorCode::*;
    if let Some(errno) = err.raw_os_error() {
        return match errno {
            libc::EACCES | libc::EPERM => (Fatal, PermissionDenied),
            libc::EADDRINUSE => (Fatal, AddressInUse),
            libc::EADDRNOTAVAIL => (Fatal, AddressNotAvailable),
            libc::EAFNOSUPPORT | libc::EPFNOSUPPORT => (Unsupported, AddressFamilyNotSupported),
            libc::EISCONN => (Fatal, AlreadyConnected),
            libc::EALREADY | libc::EINPROGRESS => (Transient, InProgress),
            libc::ENOTCONN => (Fatal, NotConnected),
            // Spec (socket-connect): refused, network down or unreachable
            // and the system's own time-out are transient.
            libc::ECONNREFUSED => (Transient, ConnectionRefused),
            libc::ENETDOWN => (Transient, NetworkDown),
            libc::ENETUNREACH => (Transient, NetworkUnreachable),
            libc::EHOSTUNREACH | libc::EHOSTDOWN => (Transient, HostUnreachable),
            libc::ETIMEDOUT => (Transient, SystemTimedOut),
            libc::ECONNRESET => (Fatal, ConnectionReset),
            libc::ECONNABORTED => (Fatal, ConnectionAborted),
            libc::EPIPE => (Fatal, BrokenPipe),
            libc::EAGAIN => (Transient, WouldBlock),
            libc::EINVAL
            | libc::EDESTADDRREQ
            | libc::EFAULT
            | libc::ENAMETOOLONG
            | libc::ENOENT
            | libc::ENOTDIR
            | libc::ELOOP => (Fatal, InvalidArgument),
            libc::EOPNOTSUPP => (Fatal, OperationNotSupported),
            libc::EPROTONOSUPPORT | libc::EPROTOTYPE => (Unsupported, ProtocolNotSupported),
            libc::ESOCKTNOSUPPORT => (Unsupported, SocketTypeNotSupported),
            libc::ENOPROTOOPT => (Unsupported, OptionNotSupported),
            libc::EMSGSIZE => (Fatal, MessageTooLarge),
            libc::ENOBUFS | libc::ENOMEM => (Fatal, OutOfMemory),
            libc::EMFILE | libc::ENFILE => (Fatal, TooManySockets),
            libc::EINTR => (Transient, Interrupted),
            libc::EBADF => (Fatal, Closed),
            _ => (Fatal, Other),
        };
    }
    match err.kind() {
        io::ErrorKind::PermissionDenied => (Fatal, PermissionDenied),
        io::ErrorKind::AddrInUse => (Fatal, AddressInUse),
        io::ErrorKind::AddrNotAvailable => (Fatal, AddressNotAvailable),
        io::ErrorKind::NotConnected => (Fatal, NotConnected),
        io::ErrorKind::ConnectionRefused => (Transient, ConnectionRefused),
        io::ErrorKind::ConnectionReset => (Fatal, ConnectionReset),
        io::ErrorKind::ConnectionAborted => (Fatal, ConnectionAborted),
        io::ErrorKind::BrokenPipe => (Fatal, BrokenPipe),
        io::ErrorKind::NetworkDown => (Transient, NetworkDown),
        io::ErrorKind::NetworkUnreachable => (Transient, NetworkUnreachable),
        io::ErrorKind::HostUnreachable => (Transient, HostUnreachable),
        io::ErrorKind::TimedOut => (Transient, SystemTimedOut),
        io::ErrorKind::WouldBlock => (Transient, WouldBlock),
        io::ErrorKind::InvalidInput | io::ErrorKind::InvalidData => (Fatal, InvalidArgument),
        io::ErrorKind::Unsupported => (Unsupported, OperationNotSupported),
        io::ErrorKind::OutOfMemory => (Fatal, OutOfMemory),
        io::ErrorKind::Interrupted => (Transient, Interrupted),
        _ => (Fatal, Other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connect_failures_are_transient() {
        for errno in [
            libc::ECONNREFUSED,
            libc::ENETDOWN,
            libc::ENETUNREACH,
            libc::ETIMEDOUT,
        ] {
            assert_eq!(
                Error::errno("connect", errno).class,
                ErrorClass::Transient,
                "errno {errno}"
            );
        }
    }

    #[test]
    fn raw_errno_wins_over_kind() {
        let err = io::Error::from_raw_os_error(libc::ENOPROTOOPT);
        assert_eq!(
            classify(&err),
            (ErrorClass::Unsupported, ErrorCode::OptionNotSupported)
        );
        let err = io::Error::new(io::ErrorKind::WouldBlock, "x");
        assert_eq!(
            classify(&err),
            (ErrorClass::Transient, ErrorCode::WouldBlock)
        );
    }

    #[test]
    fn message_names_operation() {
        let e = Error::errno("bind", libc::EADDRINUSE);
        assert!(e.message.starts_with("bind: "), "{}", e.message);
        assert_eq!(e.code, ErrorCode::AddressInUse);
    }
}
