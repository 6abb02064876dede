//! The one error type of the SDK: the spec's exception kinds, an errno-like
//! code and a message, convertible into [`std::io::Error`].

use std::fmt;
use std::io;

use crate::bindings::wasock::socket::tls::TlsError;
use crate::bindings::wasock::socket::types as wit;

/// What kind of failure an [`Error`] is: the spec's exception kinds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorClass {
    /// `(exn i/o net transient)`: the operation may succeed if retried later
    /// (connection refused, network down or unreachable, a system time-out
    /// during connect, a non-blocking call that would block, a temporary
    /// resolver failure).
    Transient,
    /// `(exn i/o net timeout)`: the call's own timeout expired.
    Timeout,
    /// `(exn i/o net unsupported)`: the option, level, family, type or
    /// protocol is not defined or not supported on this host.
    Unsupported,
    /// `(exn i/o net)`: any other error.
    Fatal,
}

impl fmt::Display for ErrorClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ErrorClass::Transient => "transient",
            ErrorClass::Timeout => "timeout",
            ErrorClass::Unsupported => "unsupported",
            ErrorClass::Fatal => "fatal",
        })
    }
}

/// Defines [`ErrorCode`]: the codes of the WIT `error-code` enum, mapped
/// one to one from it, then the codes the SDK makes from other WIT
/// results (`sdk:`), which no `error-code` maps to. The WIT enum never
/// grows for those, so guests compiled before them keep linking.
macro_rules! error_codes {
    (
        wit: { $( $(#[$doc:meta])* $name:ident = $text:literal, )* }
        sdk: { $( $(#[$sdk_doc:meta])* $sdk_name:ident = $sdk_text:literal, )* }
    ) => {
        /// The precise cause of an [`Error`]: an errno-like code, mirroring
        /// the WIT `error-code`, and the codes of the other WIT errors
        /// (`tls-error`).
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum ErrorCode {
            $( $(#[$doc])* $name, )*
            $( $(#[$sdk_doc])* $sdk_name, )*
        }

        impl ErrorCode {
            /// The code's name in the WIT (`connection-refused`, ...); a
            /// code of another WIT error is named after its case there
            /// (`tls-handshake-failed` for `tls-error.handshake-failed`).
            pub fn as_str(self) -> &'static str {
                match self {
                    $( ErrorCode::$name => $text, )*
                    $( ErrorCode::$sdk_name => $sdk_text, )*
                }
            }
        }

        impl From<wit::ErrorCode> for ErrorCode {
            fn from(code: wit::ErrorCode) -> Self {
                match code {
                    $( wit::ErrorCode::$name => ErrorCode::$name, )*
                }
            }
        }
    };
}

error_codes! {
    wit: {
        /// `EACCES` / `EPERM`, or refused by the host's policy (nothing was sent
        /// to the OS).
        PermissionDenied = "permission-denied",
        /// `EADDRINUSE`.
        AddressInUse = "address-in-use",
        /// `EADDRNOTAVAIL`.
        AddressNotAvailable = "address-not-available",
        /// `EAFNOSUPPORT` / `EAI_FAMILY`: the family is not supported, or an
        /// address does not match the socket's family.
        AddressFamilyNotSupported = "address-family-not-supported",
        /// `EISCONN`.
        AlreadyConnected = "already-connected",
        /// `EALREADY` / `EINPROGRESS`: a previous operation is still going on.
        InProgress = "in-progress",
        /// `ENOTCONN`.
        NotConnected = "not-connected",
        /// `ECONNREFUSED`.
        ConnectionRefused = "connection-refused",
        /// `ECONNRESET`.
        ConnectionReset = "connection-reset",
        /// `ECONNABORTED`.
        ConnectionAborted = "connection-aborted",
        /// `EPIPE`: the write side was shut down or the peer went away.
        BrokenPipe = "broken-pipe",
        /// `ENETDOWN`.
        NetworkDown = "network-down",
        /// `ENETUNREACH`.
        NetworkUnreachable = "network-unreachable",
        /// `EHOSTUNREACH` / `EHOSTDOWN`.
        HostUnreachable = "host-unreachable",
        /// `ETIMEDOUT`: the system's own time-out (not the call's timeout).
        SystemTimedOut = "system-timed-out",
        /// The call's own timeout expired (class [`ErrorClass::Timeout`]).
        TimedOut = "timed-out",
        /// `EWOULDBLOCK` / `EAGAIN`: a non-blocking call found nothing to do.
        WouldBlock = "would-block",
        /// `EINVAL` and malformed input: a bad address, port, length, value.
        InvalidArgument = "invalid-argument",
        /// The operation is not valid in the socket's state.
        InvalidState = "invalid-state",
        /// `EOPNOTSUPP`: the operation is not supported by this socket type.
        OperationNotSupported = "operation-not-supported",
        /// `EPROTONOSUPPORT` / `EPROTOTYPE`.
        ProtocolNotSupported = "protocol-not-supported",
        /// `ESOCKTNOSUPPORT` / `EAI_SOCKTYPE`.
        SocketTypeNotSupported = "socket-type-not-supported",
        /// `ENOPROTOOPT`, or an option or level this host does not define.
        OptionNotSupported = "option-not-supported",
        /// The option is read-only (the spec's "(r/o)" options).
        ReadOnlyOption = "read-only-option",
        /// `EMSGSIZE`: the datagram is too large.
        MessageTooLarge = "message-too-large",
        /// `ENOBUFS` / `ENOMEM` / `EAI_MEMORY`.
        OutOfMemory = "out-of-memory",
        /// `EMFILE` / `ENFILE`, or the guest's `--max-sockets` limit.
        TooManySockets = "too-many-sockets",
        /// The socket was closed with [`Socket::close`](crate::Socket::close).
        Closed = "closed",
        /// `EAI_NONAME`: the node or service is not known.
        NameNotFound = "name-not-found",
        /// `EAI_AGAIN`: a temporary resolver failure (class transient).
        NameTemporaryFailure = "name-temporary-failure",
        /// `EAI_FAIL`: a permanent resolver failure.
        NameFailure = "name-failure",
        /// `EAI_SERVICE`: the service is not available for the socket type.
        ServiceNotFound = "service-not-found",
        /// `EINTR`.
        Interrupted = "interrupted",
        /// Any other error; the message says which.
        Other = "other",
    }
    sdk: {
        /// The TLS handshake failed (class [`ErrorClass::Fatal`]): the WIT
        /// `tls-error.handshake-failed` of
        /// [`Socket::tls_connect`](crate::Socket::tls_connect) and
        /// [`Socket::tls_accept`](crate::Socket::tls_accept). The peer's
        /// certificate is not trusted or does not name the server, the peer
        /// sent an alert, or the two sides share no protocol version, cipher
        /// suite or application protocol; the message is rustls's reason.
        TlsHandshakeFailed = "tls-handshake-failed",
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl ErrorCode {
    /// The [`io::ErrorKind`] this code converts to.
    pub fn io_kind(self) -> io::ErrorKind {
        use io::ErrorKind as K;
        match self {
            ErrorCode::PermissionDenied => K::PermissionDenied,
            ErrorCode::AddressInUse => K::AddrInUse,
            ErrorCode::AddressNotAvailable => K::AddrNotAvailable,
            ErrorCode::AddressFamilyNotSupported => K::Unsupported,
            ErrorCode::AlreadyConnected => K::AlreadyExists,
            ErrorCode::InProgress => K::WouldBlock,
            ErrorCode::NotConnected => K::NotConnected,
            ErrorCode::ConnectionRefused => K::ConnectionRefused,
            ErrorCode::ConnectionReset => K::ConnectionReset,
            ErrorCode::ConnectionAborted => K::ConnectionAborted,
            ErrorCode::BrokenPipe => K::BrokenPipe,
            ErrorCode::NetworkDown => K::NetworkDown,
            ErrorCode::NetworkUnreachable => K::NetworkUnreachable,
            ErrorCode::HostUnreachable => K::HostUnreachable,
            ErrorCode::SystemTimedOut | ErrorCode::TimedOut => K::TimedOut,
            ErrorCode::WouldBlock => K::WouldBlock,
            ErrorCode::InvalidArgument
            | ErrorCode::InvalidState
            | ErrorCode::ReadOnlyOption
            | ErrorCode::MessageTooLarge => K::InvalidInput,
            ErrorCode::OperationNotSupported
            | ErrorCode::ProtocolNotSupported
            | ErrorCode::SocketTypeNotSupported
            | ErrorCode::OptionNotSupported => K::Unsupported,
            ErrorCode::OutOfMemory => K::OutOfMemory,
            ErrorCode::TooManySockets => K::QuotaExceeded,
            ErrorCode::Closed => K::NotConnected,
            ErrorCode::NameNotFound | ErrorCode::NameFailure | ErrorCode::ServiceNotFound => {
                K::NotFound
            }
            ErrorCode::NameTemporaryFailure => K::ResourceBusy,
            ErrorCode::Interrupted => K::Interrupted,
            ErrorCode::Other => K::Other,
            // What rustls's own `io::Error`s say for a TLS failure (a
            // `rustls::StreamOwned` read after a bad certificate): the
            // peer's data was not valid for the protocol.
            ErrorCode::TlsHandshakeFailed => K::InvalidData,
        }
    }
}

/// An error from any wasock call: the spec's class, the precise cause and a
/// message naming the call.
///
/// Converts into [`std::io::Error`] with the matching [`io::ErrorKind`]
/// (see [`ErrorCode::io_kind`]; class [`ErrorClass::Timeout`] is always
/// [`io::ErrorKind::TimedOut`]), keeping this error as its source.
///
/// ```no_run
/// # fn main() -> wasock::Result<()> {
/// use wasock::{ErrorClass, Family, SockAddr, Socket, SocketType, Protocol};
/// let socket = Socket::new(Family::Inet, SocketType::Stream, Protocol::DEFAULT)?;
/// match socket.connect(&SockAddr::inet(Some("127.0.0.1"), 9)?) {
///     Ok(()) => println!("connected"),
///     Err(e) if e.class() == ErrorClass::Transient => println!("retry later: {e}"),
///     Err(e) => return Err(e),
/// }
/// # Ok(()) }
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    class: ErrorClass,
    code: ErrorCode,
    message: String,
}

/// `Result` with the SDK's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// A new error (for code that builds its own, such as test doubles).
    pub fn new(class: ErrorClass, code: ErrorCode, message: impl Into<String>) -> Error {
        Error {
            class,
            code,
            message: message.into(),
        }
    }

    /// A class [`ErrorClass::Fatal`], [`ErrorCode::InvalidArgument`] error:
    /// malformed input found by the SDK itself (nothing reached the host).
    pub(crate) fn invalid(message: impl Into<String>) -> Error {
        Error::new(ErrorClass::Fatal, ErrorCode::InvalidArgument, message)
    }

    /// The spec's exception kind.
    pub fn class(&self) -> ErrorClass {
        self.class
    }

    /// The precise cause.
    pub fn code(&self) -> ErrorCode {
        self.code
    }

    /// The human-readable message, naming the call and the cause.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// Whether this is a `(exn i/o net transient)` error: worth retrying.
    pub fn is_transient(&self) -> bool {
        self.class == ErrorClass::Transient
    }

    /// Whether this is a `(exn i/o net timeout)` error: the call's own
    /// timeout expired.
    pub fn is_timeout(&self) -> bool {
        self.class == ErrorClass::Timeout
    }

    /// The [`io::ErrorKind`] of this error: `TimedOut` for class timeout,
    /// otherwise [`ErrorCode::io_kind`].
    pub fn io_kind(&self) -> io::ErrorKind {
        if self.class == ErrorClass::Timeout {
            io::ErrorKind::TimedOut
        } else {
            self.code.io_kind()
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.message.is_empty() {
            write!(f, "{} ({} error)", self.code, self.class)
        } else {
            write!(f, "{} ({}, {} error)", self.message, self.code, self.class)
        }
    }
}

impl std::error::Error for Error {}

impl From<wit::ErrorClass> for ErrorClass {
    fn from(class: wit::ErrorClass) -> Self {
        match class {
            wit::ErrorClass::Transient => ErrorClass::Transient,
            wit::ErrorClass::Timeout => ErrorClass::Timeout,
            wit::ErrorClass::Unsupported => ErrorClass::Unsupported,
            wit::ErrorClass::Fatal => ErrorClass::Fatal,
        }
    }
}

impl From<wit::Error> for Error {
    fn from(e: wit::Error) -> Self {
        Error {
            class: e.class.into(),
            code: e.code.into(),
            message: e.message,
        }
    }
}

/// The WIT `tls-error`: `handshake-failed(reason)` is class
/// [`ErrorClass::Fatal`], [`ErrorCode::TlsHandshakeFailed`], with the
/// message `tls handshake: REASON` (rustls's reason); `socket(error)` is
/// that error, as every socket call reports it.
impl From<TlsError> for Error {
    fn from(e: TlsError) -> Self {
        match e {
            TlsError::HandshakeFailed(reason) => Error::new(
                ErrorClass::Fatal,
                ErrorCode::TlsHandshakeFailed,
                format!("tls handshake: {reason}"),
            ),
            TlsError::Socket(error) => error.into(),
        }
    }
}

impl From<Error> for io::Error {
    fn from(e: Error) -> Self {
        io::Error::new(e.io_kind(), e)
    }
}

/// The reverse of `From<Error> for io::Error`, so `?` mixes std i/o (a
/// port's `write_all`, `read_line`) with [`Result`]:
///
/// ```no_run
/// # fn main() -> wasock::Result<()> {
/// use std::io::Write;
/// # let socket = wasock::Socket::new(wasock::Family::Inet, wasock::SocketType::Stream, wasock::Protocol::DEFAULT)?;
/// let (_reader, mut writer) = wasock::ports::io_ports(socket);
/// writer.write_all(b"hello\n")?; // an io::Error here becomes a wasock::Error
/// # Ok(()) }
/// ```
///
/// An `io::Error` made from an [`Error`] gives that error back unchanged.
/// Any other is classed by its [`io::ErrorKind`] (`TimedOut` is class
/// timeout; refused, reset, unreachable, `WouldBlock` and `Interrupted`
/// are transient, as the spec classes them; `Unsupported` is unsupported;
/// the rest fatal), with its text as the message.
impl From<io::Error> for Error {
    fn from(e: io::Error) -> Self {
        if let Some(error) = e.get_ref().and_then(|inner| inner.downcast_ref::<Error>()) {
            return error.clone();
        }
        use io::ErrorKind as K;
        let (class, code) = match e.kind() {
            K::TimedOut => (ErrorClass::Timeout, ErrorCode::TimedOut),
            K::ConnectionRefused => (ErrorClass::Transient, ErrorCode::ConnectionRefused),
            K::NetworkDown => (ErrorClass::Transient, ErrorCode::NetworkDown),
            K::NetworkUnreachable => (ErrorClass::Transient, ErrorCode::NetworkUnreachable),
            K::HostUnreachable => (ErrorClass::Transient, ErrorCode::HostUnreachable),
            K::WouldBlock => (ErrorClass::Transient, ErrorCode::WouldBlock),
            K::Interrupted => (ErrorClass::Transient, ErrorCode::Interrupted),
            K::ConnectionReset => (ErrorClass::Fatal, ErrorCode::ConnectionReset),
            K::ConnectionAborted => (ErrorClass::Fatal, ErrorCode::ConnectionAborted),
            K::NotConnected => (ErrorClass::Fatal, ErrorCode::NotConnected),
            K::BrokenPipe => (ErrorClass::Fatal, ErrorCode::BrokenPipe),
            K::AddrInUse => (ErrorClass::Fatal, ErrorCode::AddressInUse),
            K::AddrNotAvailable => (ErrorClass::Fatal, ErrorCode::AddressNotAvailable),
            K::PermissionDenied => (ErrorClass::Fatal, ErrorCode::PermissionDenied),
            K::AlreadyExists => (ErrorClass::Fatal, ErrorCode::AlreadyConnected),
            K::InvalidInput | K::InvalidData => (ErrorClass::Fatal, ErrorCode::InvalidArgument),
            K::Unsupported => (ErrorClass::Unsupported, ErrorCode::OperationNotSupported),
            K::OutOfMemory => (ErrorClass::Fatal, ErrorCode::OutOfMemory),
            K::QuotaExceeded => (ErrorClass::Transient, ErrorCode::TooManySockets),
            K::NotFound => (ErrorClass::Fatal, ErrorCode::NameNotFound),
            _ => (ErrorClass::Fatal, ErrorCode::Other),
        };
        Error::new(class, code, e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(class: ErrorClass, code: ErrorCode) -> io::Error {
        Error::new(class, code, "test").into()
    }

    #[test]
    fn io_kind_follows_the_code() {
        use ErrorClass::*;
        let cases = [
            (
                Transient,
                ErrorCode::ConnectionRefused,
                io::ErrorKind::ConnectionRefused,
            ),
            (
                Fatal,
                ErrorCode::ConnectionReset,
                io::ErrorKind::ConnectionReset,
            ),
            (Fatal, ErrorCode::AddressInUse, io::ErrorKind::AddrInUse),
            (
                Fatal,
                ErrorCode::AddressNotAvailable,
                io::ErrorKind::AddrNotAvailable,
            ),
            (
                Fatal,
                ErrorCode::PermissionDenied,
                io::ErrorKind::PermissionDenied,
            ),
            (
                Unsupported,
                ErrorCode::OptionNotSupported,
                io::ErrorKind::Unsupported,
            ),
            (Transient, ErrorCode::WouldBlock, io::ErrorKind::WouldBlock),
            (
                Fatal,
                ErrorCode::InvalidArgument,
                io::ErrorKind::InvalidInput,
            ),
            (Fatal, ErrorCode::NotConnected, io::ErrorKind::NotConnected),
            (Fatal, ErrorCode::BrokenPipe, io::ErrorKind::BrokenPipe),
            (
                Transient,
                ErrorCode::SystemTimedOut,
                io::ErrorKind::TimedOut,
            ),
            (Fatal, ErrorCode::NameNotFound, io::ErrorKind::NotFound),
            (
                Fatal,
                ErrorCode::TlsHandshakeFailed,
                io::ErrorKind::InvalidData,
            ),
        ];
        for (class, code, kind) in cases {
            assert_eq!(err(class, code).kind(), kind, "{code}");
        }
    }

    #[test]
    fn class_timeout_is_always_timed_out() {
        assert_eq!(
            err(ErrorClass::Timeout, ErrorCode::TimedOut).kind(),
            io::ErrorKind::TimedOut
        );
        assert_eq!(
            err(ErrorClass::Timeout, ErrorCode::Other).kind(),
            io::ErrorKind::TimedOut
        );
    }

    #[test]
    fn io_error_keeps_the_wasock_error_as_source() {
        let e = err(ErrorClass::Transient, ErrorCode::ConnectionRefused);
        let inner = e.get_ref().and_then(|s| s.downcast_ref::<Error>());
        assert_eq!(inner.map(Error::code), Some(ErrorCode::ConnectionRefused));
    }

    #[test]
    fn an_error_survives_the_round_trip_through_io_error() {
        for (class, code) in [
            (ErrorClass::Timeout, ErrorCode::TimedOut),
            (ErrorClass::Transient, ErrorCode::ConnectionRefused),
            (ErrorClass::Unsupported, ErrorCode::ReadOnlyOption),
            (ErrorClass::Fatal, ErrorCode::Closed),
        ] {
            let original = Error::new(class, code, "receive: the message");
            let back = Error::from(io::Error::from(original.clone()));
            assert_eq!(back, original);
        }
    }

    #[test]
    fn a_plain_io_error_is_classed_by_its_kind() {
        let cases = [
            (
                io::ErrorKind::TimedOut,
                ErrorClass::Timeout,
                ErrorCode::TimedOut,
            ),
            (
                io::ErrorKind::ConnectionRefused,
                ErrorClass::Transient,
                ErrorCode::ConnectionRefused,
            ),
            (
                io::ErrorKind::WouldBlock,
                ErrorClass::Transient,
                ErrorCode::WouldBlock,
            ),
            (
                io::ErrorKind::BrokenPipe,
                ErrorClass::Fatal,
                ErrorCode::BrokenPipe,
            ),
            (
                io::ErrorKind::Unsupported,
                ErrorClass::Unsupported,
                ErrorCode::OperationNotSupported,
            ),
            (
                io::ErrorKind::UnexpectedEof,
                ErrorClass::Fatal,
                ErrorCode::Other,
            ),
        ];
        for (kind, class, code) in cases {
            let e = Error::from(io::Error::new(kind, "native"));
            assert_eq!((e.class(), e.code()), (class, code), "{kind:?}");
            assert_eq!(e.message(), "native");
            assert_eq!(e.io_kind(), kind_after_round_trip(kind), "{kind:?}");
        }
    }

    /// The kind an `io::Error` of `kind` has after becoming an [`Error`]
    /// and back (kinds without a code of their own become `Other`).
    fn kind_after_round_trip(kind: io::ErrorKind) -> io::ErrorKind {
        match kind {
            io::ErrorKind::UnexpectedEof => io::ErrorKind::Other,
            other => other,
        }
    }

    #[test]
    fn question_mark_mixes_std_io_and_wasock_results() {
        fn write_then_fail(out: &mut impl io::Write) -> Result<()> {
            out.write_all(b"ok")?;
            Err(Error::new(ErrorClass::Fatal, ErrorCode::Closed, "send"))
        }
        fn failing_write() -> Result<()> {
            let mut full = [0u8; 1];
            let mut out: &mut [u8] = &mut full;
            io::Write::write_all(&mut out, b"too long")?;
            Ok(())
        }
        let mut sink = Vec::new();
        assert_eq!(
            write_then_fail(&mut sink).map_err(|e| e.code()),
            Err(ErrorCode::Closed)
        );
        assert_eq!(sink, b"ok");
        assert_eq!(
            failing_write().map_err(|e| e.class()),
            Err(ErrorClass::Fatal)
        );
    }

    #[test]
    fn a_failed_tls_handshake_is_its_own_fatal_code() {
        let e = Error::from(TlsError::HandshakeFailed(
            "invalid peer certificate: UnknownIssuer".to_owned(),
        ));
        assert_eq!(
            (e.class(), e.code()),
            (ErrorClass::Fatal, ErrorCode::TlsHandshakeFailed)
        );
        assert_eq!(e.code().as_str(), "tls-handshake-failed");
        assert_eq!(
            e.message(),
            "tls handshake: invalid peer certificate: UnknownIssuer"
        );
        assert_eq!(
            io::Error::from(e.clone()).kind(),
            io::ErrorKind::InvalidData
        );
        assert_eq!(Error::from(io::Error::from(e.clone())), e, "round trip");
    }

    #[test]
    fn any_other_tls_error_is_the_socket_error_it_carries() {
        let e = Error::from(TlsError::Socket(wit::Error {
            class: wit::ErrorClass::Timeout,
            code: wit::ErrorCode::TimedOut,
            message: "tls connect: timed out".to_owned(),
        }));
        assert_eq!(
            e,
            Error::new(
                ErrorClass::Timeout,
                ErrorCode::TimedOut,
                "tls connect: timed out"
            )
        );
    }

    #[test]
    fn display_is_one_line_with_message_code_and_class() {
        let e = Error::new(
            ErrorClass::Transient,
            ErrorCode::ConnectionRefused,
            "connect 127.0.0.1:9",
        );
        let text = e.to_string();
        assert_eq!(
            text,
            "connect 127.0.0.1:9 (connection-refused, transient error)"
        );
        assert!(!text.contains('\n'));
    }
}
