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

/// Calls the macro `$then` with every error code's name, in the WIT's
/// order: the one list of them in the host. [`ErrorCode`] is made from it,
/// and so is the glue's mapping onto the WIT's `error-code`, so the two
/// cannot drift apart (a code the WIT lacks fails to compile).
macro_rules! with_error_codes {
    ($then:ident) => {
        $then! {
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
    };
}
pub(crate) use with_error_codes;

macro_rules! define_error_code {
    ($($code:ident),* $(,)?) => {
        /// The precise cause (WIT `error-code`); see the WIT for each
        /// variant's errno.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[allow(missing_docs)]
        pub enum ErrorCode {
            $($code),*
        }
    };
}
with_error_codes!(define_error_code);

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
    /// A `getaddrinfo(3)` / `getnameinfo(3)` failure (`EAI_*`) as the
    /// contract's error.
    pub fn resolver(operation: &str, rc: libc::c_int) -> Self {
        if rc == libc::EAI_SYSTEM {
            return Error::io(operation, &std::io::Error::last_os_error());
        }
        let text = crate::sys::gai_strerror(rc);
        let (class, code) = match rc {
            libc::EAI_NONAME | libc::EAI_NODATA => (ErrorClass::Fatal, ErrorCode::NameNotFound),
            libc::EAI_AGAIN => (ErrorClass::Transient, ErrorCode::NameTemporaryFailure),
            libc::EAI_FAIL => (ErrorClass::Fatal, ErrorCode::NameFailure),
            libc::EAI_SERVICE => (ErrorClass::Fatal, ErrorCode::ServiceNotFound),
            libc::EAI_FAMILY => (
                ErrorClass::Unsupported,
                ErrorCode::AddressFamilyNotSupported,
            ),
            libc::EAI_SOCKTYPE => (ErrorClass::Unsupported, ErrorCode::SocketTypeNotSupported),
            libc::EAI_MEMORY => (ErrorClass::Fatal, ErrorCode::OutOfMemory),
            libc::EAI_BADFLAGS | libc::EAI_OVERFLOW => {
                (ErrorClass::Fatal, ErrorCode::InvalidArgument)
            }
            crate::sys::EAI_ADDRFAMILY => (ErrorClass::Fatal, ErrorCode::NameNotFound),
            _ => (ErrorClass::Fatal, ErrorCode::Other),
        };
        Error::new(class, code, format!("{operation}: {text}"))
    }

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

    /// Refused by the host's policy: nothing reached the OS. `denial` is
    /// the refusal's text (see `crate::policy::Denied`).
    pub fn denied(operation: &str, denial: impl fmt::Display) -> Self {
        Error::new(
            ErrorClass::Fatal,
            ErrorCode::PermissionDenied,
            format!("{operation}: {denial}"),
        )
    }

    /// The guest's `--max-sockets` limit is reached. Class transient, as
    /// `EMFILE` is to std, tokio and socket2 users: the call succeeds once
    /// the guest closes a socket, so a server backs off and retries (an
    /// `accept` refused here leaves the connection in the kernel's
    /// backlog, where the retry finds it).
    pub fn too_many_sockets(operation: &str, limit: usize) -> Self {
        Error::new(
            ErrorClass::Transient,
            ErrorCode::TooManySockets,
            format!(
                "{operation}: the guest already holds its limit of {limit} open sockets (--max-sockets)"
            ),
        )
    }

    /// An OS error of `operation` (any but establishing a connection),
    /// classified by its raw errno first and its `ErrorKind` second.
    pub fn io(operation: &str, err: &io::Error) -> Self {
        let (class, code) = classify(Context::Transfer, err);
        Error::new(class, code, format!("{operation}: {err}"))
    }

    /// An OS error of establishing a connection (`connect`, and the
    /// pending error `so-error` reads): the spec's transient connection
    /// failures are transient here only.
    pub fn connect_io(operation: &str, err: &io::Error) -> Self {
        let (class, code) = classify(Context::Connect, err);
        Error::new(class, code, format!("{operation}: {err}"))
    }

    /// An OS error given as an errno, of any call but connect.
    pub fn errno(operation: &str, errno: i32) -> Self {
        Error::io(operation, &io::Error::from_raw_os_error(errno))
    }

    /// An OS error given as an errno (for example `SO_ERROR`'s value), of
    /// establishing a connection.
    pub fn connect_errno(operation: &str, errno: i32) -> Self {
        Error::connect_io(operation, &io::Error::from_raw_os_error(errno))
    }
}

/// What a wasock host function fails with: an error for the guest, or a
/// trap.
#[derive(Debug)]
pub enum HostError {
    /// Goes back to the guest as the WIT `error` record.
    Guest(Error),
    /// Traps the guest (a resource-table error: a bad or stale handle).
    Trap(wasmtime::Error),
}

impl From<Error> for HostError {
    fn from(error: Error) -> Self {
        HostError::Guest(error)
    }
}

impl From<wasmtime::component::ResourceTableError> for HostError {
    fn from(error: wasmtime::component::ResourceTableError) -> Self {
        HostError::Trap(wasmtime::Error::new(error))
    }
}

impl From<&io::Error> for Error {
    fn from(err: &io::Error) -> Self {
        Error::io("socket", err)
    }
}

/// What a call was doing when the OS failed it: the class of a
/// connection failure depends on it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Context {
    /// Establishing a connection (`connect`, and `so-error` after one).
    /// Spec (socket-connect): "(exn i/o net transient) if the connection
    /// failed due to refused, network down or unreachable, or a system
    /// time-out": retrying may work.
    Connect,
    /// Anything else: sending, receiving, options, names. A refused,
    /// unreachable or timed-out transfer is over (a connected datagram
    /// socket's peer refused, a connection timed out): fatal, so code that
    /// retries transient errors does not retry a dead transfer.
    Transfer,
}

/// Maps an OS error onto (class, code): the raw errno where there is one,
/// else the `ErrorKind`. The operation × errno table is in
/// `docs/parity.md` ("Error classes").
pub fn classify(context: Context, err: &io::Error) -> (ErrorClass, ErrorCode) {
    use ErrorClass::*;
    use ErrorCode::*;
    let connection_failure = if context == Context::Connect {
        Transient
    } else {
        Fatal
    };
    if let Some(errno) = err.raw_os_error() {
        return match errno {
            libc::EACCES | libc::EPERM => (Fatal, PermissionDenied),
            libc::EADDRINUSE => (Fatal, AddressInUse),
            libc::EADDRNOTAVAIL => (Fatal, AddressNotAvailable),
            libc::EAFNOSUPPORT | libc::EPFNOSUPPORT => (Unsupported, AddressFamilyNotSupported),
            libc::EISCONN => (Fatal, AlreadyConnected),
            libc::EALREADY | libc::EINPROGRESS => (Transient, InProgress),
            libc::ENOTCONN => (Fatal, NotConnected),
            libc::ECONNREFUSED => (connection_failure, ConnectionRefused),
            libc::ENETDOWN => (connection_failure, NetworkDown),
            libc::ENETUNREACH => (connection_failure, NetworkUnreachable),
            libc::EHOSTUNREACH | libc::EHOSTDOWN => (connection_failure, HostUnreachable),
            libc::ETIMEDOUT => (connection_failure, SystemTimedOut),
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
            // The descriptor table is full: retried once one closes.
            libc::EMFILE | libc::ENFILE => (Transient, TooManySockets),
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
        io::ErrorKind::ConnectionRefused => (connection_failure, ConnectionRefused),
        io::ErrorKind::ConnectionReset => (Fatal, ConnectionReset),
        io::ErrorKind::ConnectionAborted => (Fatal, ConnectionAborted),
        io::ErrorKind::BrokenPipe => (Fatal, BrokenPipe),
        io::ErrorKind::NetworkDown => (connection_failure, NetworkDown),
        io::ErrorKind::NetworkUnreachable => (connection_failure, NetworkUnreachable),
        io::ErrorKind::HostUnreachable => (connection_failure, HostUnreachable),
        io::ErrorKind::TimedOut => (connection_failure, SystemTimedOut),
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
    fn connection_failures_are_transient_only_when_connecting() {
        for errno in [
            libc::ECONNREFUSED,
            libc::ENETDOWN,
            libc::ENETUNREACH,
            libc::EHOSTUNREACH,
            libc::ETIMEDOUT,
        ] {
            assert_eq!(
                Error::connect_errno("connect", errno).class,
                ErrorClass::Transient,
                "connect, errno {errno}"
            );
            let transfer = Error::errno("receive", errno);
            assert_eq!(transfer.class, ErrorClass::Fatal, "receive, errno {errno}");
            assert_eq!(transfer.code, Error::connect_errno("c", errno).code);
        }
        // Would-block and interrupted are transient everywhere.
        for errno in [libc::EAGAIN, libc::EINTR, libc::EINPROGRESS] {
            assert_eq!(Error::errno("send", errno).class, ErrorClass::Transient);
        }
    }

    #[test]
    fn raw_errno_wins_over_kind() {
        let err = io::Error::from_raw_os_error(libc::ENOPROTOOPT);
        assert_eq!(
            classify(Context::Transfer, &err),
            (ErrorClass::Unsupported, ErrorCode::OptionNotSupported)
        );
        let err = io::Error::new(io::ErrorKind::WouldBlock, "x");
        assert_eq!(
            classify(Context::Transfer, &err),
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
