//! The `tls` interface: TLS on wasock's own sockets is done by the
//! `wasock` host (rustls on the host's socket, identities it loaded from
//! files the guest never sees). `wasi:sockets` has nothing of the kind, so
//! over it every handshake answers class `unsupported`
//! (`operation-not-supported`), never a trap: a guest that wants TLS under
//! another host uses `wasi:tls` itself. No identity is held, and no socket
//! has a session.

use crate::Adapter;
use crate::bindings::exports::wasock::socket::socket::SocketBorrow;
use crate::bindings::exports::wasock::socket::tls::{Guest, TlsError, TlsSession};
use crate::bindings::exports::wasock::socket::types::{Duration, ErrorClass, ErrorCode};
use crate::types;

impl Guest for Adapter {
    fn identities() -> Vec<String> {
        Vec::new()
    }

    fn connect(
        _socket: SocketBorrow<'_>,
        _server_name: String,
        _alpn: Vec<String>,
        _timeout: Option<Duration>,
    ) -> Result<TlsSession, TlsError> {
        Err(unsupported("tls connect"))
    }

    fn accept(
        _socket: SocketBorrow<'_>,
        _identity: String,
        _alpn: Vec<String>,
        _timeout: Option<Duration>,
    ) -> Result<TlsSession, TlsError> {
        Err(unsupported("tls accept"))
    }

    fn session(_socket: SocketBorrow<'_>) -> Option<TlsSession> {
        None
    }
}

/// What every handshake answers: the WIT's `tls-error.socket` of class
/// `unsupported`, saying where TLS is to be had.
fn unsupported(operation: &str) -> TlsError {
    TlsError::Socket(types::error(
        ErrorClass::Unsupported,
        ErrorCode::OperationNotSupported,
        format!(
            "{operation}: TLS on wasock sockets needs the wasock host; under another host use wasi:tls"
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_handshake_is_unsupported_and_says_where_tls_is() {
        let TlsError::Socket(error) = unsupported("tls connect") else {
            panic!("a handshake over wasi:sockets must be a socket error, not a handshake failure");
        };
        assert_eq!(error.class, ErrorClass::Unsupported);
        assert_eq!(error.code, ErrorCode::OperationNotSupported);
        assert_eq!(
            error.message,
            "tls connect: TLS on wasock sockets needs the wasock host; under another host use wasi:tls"
        );
    }

    #[test]
    fn no_identity_is_held() {
        assert!(<Adapter as Guest>::identities().is_empty());
    }
}
