//! TLS on wasock's own stream sockets, done by the host: the WIT
//! `wasock:socket/tls` interface.
//!
//! A connected stream [`Socket`] is upgraded in place: as a client with
//! [`Socket::tls_connect`] (the server's certificate is checked against
//! the roots the person running the guest chose: the system's, or
//! `wasock run --tls-roots FILE`), or as a server with
//! [`Socket::tls_accept`], presenting an identity the host loaded from
//! `wasock run --tls-identity NAME=CERT:KEY` ([`identities`] lists the
//! names). The guest names the identity; the private key never enters the
//! guest.
//!
//! After the handshake the same socket carries plaintext for the guest and
//! TLS records on the wire: receives (with `PEEK`, `WAIT_ALL` and
//! `DONT_WAIT`), sends, [`Socket::receive_ready`], [`poll`](crate::poll),
//! [`Socket::shutdown`] and [`Socket::close`] behave as on a plain stream,
//! so [`Socket::send_all`], the buffered [`ports`](crate::ports) and the
//! async sockets work unchanged. What TLS cannot carry fails: out-of-band
//! data ([`RecvFlags::OOB`](crate::RecvFlags::OOB),
//! [`SendFlags::OOB`](crate::SendFlags::OOB)) with
//! [`ErrorCode::OperationNotSupported`], [`Socket::send_to`] with
//! [`ErrorCode::InvalidState`].
//!
//! - End of file: a receive returns no bytes after the peer's
//!   `close_notify`, and also when the peer closes the connection without
//!   one (as most HTTP servers do): a protocol that frames its own
//!   messages (HTTP's `Content-Length`) tells a cut-off message itself.
//! - Closing: `shutdown(Write)` and `close` send `close_notify` first.
//! - Errors: a failed handshake is [`ErrorCode::TlsHandshakeFailed`]
//!   (class fatal) with rustls's reason; a corrupt or forged record later
//!   is [`ErrorCode::ConnectionAborted`]; a handshake whose timeout
//!   expires is class [`ErrorClass::Timeout`], and calling again resumes
//!   it (so [`Duration::ZERO`] is one step that never waits).
//!
//! A client (`wasock run --allow-dns --allow-connect '*:443' ...`):
//!
//! ```no_run
//! # fn main() -> wasock::Result<()> {
//! use wasock::tls::TlsOptions;
//! use wasock::{AddrInfoHints, address_information, connect_any};
//! let addresses = address_information(Some("example.com"), Some("443"), &AddrInfoHints::default())?;
//! let socket = connect_any(&addresses)?;
//! let session = socket.tls_connect_with("example.com", &TlsOptions::new().alpn(["http/1.1"]))?;
//! println!("{} {}", session.version, session.cipher_suite);
//! socket.send_all(b"GET / HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\n\r\n")?;
//! let reply = socket.receive(4096)?; // decrypted
//! # let _ = reply;
//! # Ok(()) }
//! ```
//!
//! A server (`wasock run --tls-identity site=cert.pem:key.pem --allow-bind
//! 0.0.0.0:8443 ...`):
//!
//! ```no_run
//! # fn main() -> wasock::Result<()> {
//! use wasock::{Family, Protocol, SockAddr, Socket, SocketType};
//! let listener = Socket::new(Family::Inet, SocketType::Stream, Protocol::DEFAULT)?;
//! listener.bind(&SockAddr::inet(Some("0.0.0.0"), 8443)?)?;
//! listener.listen(128)?;
//! loop {
//!     let connection = listener.accept()?;
//!     match connection.tls_accept("site") {
//!         Ok(session) => eprintln!("TLS for {:?}", session.server_name),
//!         Err(e) => {
//!             eprintln!("handshake: {e}");
//!             continue;
//!         }
//!     }
//!     let request = connection.receive(4096)?;
//!     connection.send_all(&request)?;
//! }
//! # }
//! ```

use std::time::Duration;

use crate::bindings::wasock::socket::tls as wit;
use crate::error::Result;
use crate::parameters::timeout_to_wit;
use crate::socket::Socket;
#[cfg(doc)]
use crate::{ErrorClass, ErrorCode, Timeouts};

/// What a handshake agreed: the WIT `session` record.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct TlsSession {
    /// On a client, the server name the certificate was verified for; on
    /// a server, the name the client asked for (SNI), if it sent one.
    pub server_name: Option<String>,
    /// The application protocol both sides chose (ALPN), if any.
    pub protocol: Option<String>,
    /// The protocol version: `TLSv1_3` or `TLSv1_2`.
    pub version: String,
    /// The cipher suite, as IANA names it (`TLS13_AES_128_GCM_SHA256`,
    /// ...).
    pub cipher_suite: String,
}

impl From<wit::TlsSession> for TlsSession {
    fn from(session: wit::TlsSession) -> Self {
        TlsSession {
            server_name: session.server_name,
            protocol: session.protocol,
            version: session.version,
            cipher_suite: session.cipher_suite,
        }
    }
}

/// The options of a handshake ([`Socket::tls_connect_with`],
/// [`Socket::tls_accept_with`], and the async sockets' `tls_connect` /
/// `tls_accept`): the application protocols (ALPN) and this call's own
/// timeout.
///
/// [`TlsOptions::new`] (or [`Default`]) offers no application protocol
/// and takes the socket's timeout: its connect timeout for a client
/// handshake, its accept timeout for a server one ([`Timeouts`]). (Async
/// calls take no socket timeout, so there an unset timeout is no limit.)
///
/// ```
/// use std::time::Duration;
/// use wasock::tls::TlsOptions;
/// let options = TlsOptions::new()
///     .alpn(["h2", "http/1.1"])
///     .timeout(Some(Duration::from_secs(10)));
/// assert_eq!(options.get_alpn(), ["h2", "http/1.1"]);
/// assert_eq!(options.get_timeout(), Some(Some(Duration::from_secs(10))));
/// assert_eq!(TlsOptions::new().get_timeout(), None, "the socket's");
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct TlsOptions {
    alpn: Vec<String>,
    timeout: Option<Option<Duration>>,
}

impl TlsOptions {
    /// No application protocols, the socket's timeout.
    pub fn new() -> TlsOptions {
        TlsOptions::default()
    }

    /// The application protocols (ALPN, RFC 7301), most preferred first.
    /// A client offers them all; a server chooses the first of them that
    /// the client offered. A client and a server that both name some but
    /// share none fail the handshake
    /// ([`ErrorCode::TlsHandshakeFailed`]). Empty (the default): none.
    pub fn alpn<I, S>(mut self, protocols: I) -> TlsOptions
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.alpn = protocols.into_iter().map(Into::into).collect();
        self
    }

    /// This handshake's own timeout instead of the socket's: `None` waits
    /// forever; [`Duration::ZERO`] takes the handshake as far as it goes
    /// without waiting, then fails with class [`ErrorClass::Timeout`] if it
    /// is not finished (calling again resumes it).
    pub fn timeout(mut self, timeout: Option<Duration>) -> TlsOptions {
        self.timeout = Some(timeout);
        self
    }

    /// The application protocols set.
    pub fn get_alpn(&self) -> &[String] {
        &self.alpn
    }

    /// The timeout set: `None` where the handshake takes the socket's.
    pub fn get_timeout(&self) -> Option<Option<Duration>> {
        self.timeout
    }

    /// The timeout set, or `socket`'s (the socket's connect or accept
    /// timeout) where none was.
    pub(crate) fn timeout_or(&self, socket: Option<Duration>) -> Option<Duration> {
        self.timeout.unwrap_or(socket)
    }
}

/// The WIT `identities`: the names of the identities the host holds for
/// this guest (`wasock run --tls-identity NAME=CERT:KEY`), in the order
/// given; what [`Socket::tls_accept`] takes. Never the certificates' or
/// keys' bytes. Empty under a host that gave none, and under the adapter
/// (a stock WASI host).
///
/// ```no_run
/// let names = wasock::tls::identities();
/// let identity = names.first().expect("run with --tls-identity NAME=CERT:KEY");
/// # let _ = identity;
/// ```
pub fn identities() -> Vec<String> {
    crate::require_wasm();
    wit::identities()
}

/// TLS on a connected stream socket: the WIT `wasock:socket/tls`
/// interface. None of these is a BSD call; each is one host call that
/// runs rustls on the host's socket.
impl Socket {
    /// The WIT `tls.connect`: a client handshake for `server_name` (a DNS
    /// name, or an IP address's text, which the server's certificate must
    /// name), offering no application protocol, under the socket's connect
    /// timeout ([`Timeouts::connect`]).
    ///
    /// See [`Socket::tls_connect_with`].
    pub fn tls_connect(&self, server_name: &str) -> Result<TlsSession> {
        self.tls_connect_with(server_name, &TlsOptions::new())
    }

    /// [`Socket::tls_connect`] with the application protocols and timeout
    /// of `options` (the timeout unset: the socket's connect timeout).
    ///
    /// The server's certificate chain is verified against the roots the
    /// host was given (`--tls-roots FILE`, else the system's). Fails with
    /// [`ErrorCode::TlsHandshakeFailed`] (class fatal) where the
    /// certificate is not trusted or does not name `server_name`, the
    /// server sent an alert, or the two share no protocol version, cipher
    /// suite or application protocol; with
    /// [`ErrorCode::InvalidArgument`] for a malformed server name; with
    /// [`ErrorCode::InvalidState`] on a socket that is not a connected
    /// stream or already has TLS; with class [`ErrorClass::Timeout`] when
    /// the timeout expires first (calling again resumes the handshake).
    ///
    /// ```no_run
    /// # fn main() -> wasock::Result<()> {
    /// # let socket = wasock::Socket::new(wasock::Family::Inet, wasock::SocketType::Stream, wasock::Protocol::DEFAULT)?;
    /// use std::time::Duration;
    /// use wasock::ErrorCode;
    /// use wasock::tls::TlsOptions;
    /// let options = TlsOptions::new().alpn(["h2", "http/1.1"]).timeout(Some(Duration::from_secs(10)));
    /// match socket.tls_connect_with("example.com", &options) {
    ///     Ok(session) => println!("speaking {:?}", session.protocol),
    ///     Err(e) if e.code() == ErrorCode::TlsHandshakeFailed => eprintln!("not trusted: {e}"),
    ///     Err(e) => return Err(e),
    /// }
    /// # Ok(()) }
    /// ```
    pub fn tls_connect_with(&self, server_name: &str, options: &TlsOptions) -> Result<TlsSession> {
        let timeout = options.timeout_or(self.timeouts().connect);
        self.tls_connect_timeout(server_name, options.get_alpn(), timeout)
    }

    /// One client handshake call with exactly this timeout.
    pub(crate) fn tls_connect_timeout(
        &self,
        server_name: &str,
        alpn: &[String],
        timeout: Option<Duration>,
    ) -> Result<TlsSession> {
        let session = wit::connect(self.wit(), server_name, alpn, timeout_to_wit(timeout))?;
        Ok(session.into())
    }

    /// The WIT `tls.accept`: a server handshake on a connected stream
    /// socket (one [`Socket::accept`] returned), presenting the identity
    /// named `identity` (one of [`identities`]), choosing no application
    /// protocol, under the socket's accept timeout ([`Timeouts::accept`]).
    ///
    /// See [`Socket::tls_accept_with`].
    pub fn tls_accept(&self, identity: &str) -> Result<TlsSession> {
        self.tls_accept_with(identity, &TlsOptions::new())
    }

    /// [`Socket::tls_accept`] with the application protocols and timeout
    /// of `options` (the timeout unset: the socket's accept timeout). The
    /// server chooses the first protocol of `options` the client offers.
    ///
    /// Fails with [`ErrorCode::InvalidArgument`] for an identity the host
    /// does not hold; with [`ErrorCode::TlsHandshakeFailed`] (class fatal)
    /// where the client sent an alert (it did not trust the certificate)
    /// or the two share no protocol version, cipher suite or application
    /// protocol; with [`ErrorCode::InvalidState`] on a socket that is not
    /// a connected stream or already has TLS; with class
    /// [`ErrorClass::Timeout`] when the timeout expires first (calling
    /// again resumes the handshake). After a failed handshake the socket
    /// stays open but can carry no TLS: close it.
    pub fn tls_accept_with(&self, identity: &str, options: &TlsOptions) -> Result<TlsSession> {
        let timeout = options.timeout_or(self.timeouts().accept);
        self.tls_accept_timeout(identity, options.get_alpn(), timeout)
    }

    /// One server handshake call with exactly this timeout.
    pub(crate) fn tls_accept_timeout(
        &self,
        identity: &str,
        alpn: &[String],
        timeout: Option<Duration>,
    ) -> Result<TlsSession> {
        let session = wit::accept(self.wit(), identity, alpn, timeout_to_wit(timeout))?;
        Ok(session.into())
    }

    /// The WIT `tls.session`: what the handshake of this socket agreed;
    /// `None` for a socket without TLS (or whose handshake has not
    /// finished).
    pub fn tls_session(&self) -> Option<TlsSession> {
        wit::session(self.wit()).map(TlsSession::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_start_with_no_protocols_and_the_sockets_timeout() {
        let options = TlsOptions::new();
        assert_eq!(options, TlsOptions::default());
        assert!(options.get_alpn().is_empty());
        assert_eq!(options.get_timeout(), None);
        let socket = Some(Duration::from_secs(7));
        assert_eq!(options.timeout_or(socket), socket);
        assert_eq!(options.timeout_or(None), None);
    }

    #[test]
    fn options_keep_the_protocols_in_order_of_preference() {
        let options = TlsOptions::new().alpn(["h2", "http/1.1"]);
        assert_eq!(options.get_alpn(), ["h2", "http/1.1"]);
        let owned = TlsOptions::new().alpn(vec![String::from("x"), String::from("y")]);
        assert_eq!(owned.get_alpn(), ["x", "y"]);
        assert!(
            options.alpn(Vec::<String>::new()).get_alpn().is_empty(),
            "a second call replaces the list"
        );
    }

    #[test]
    fn a_timeout_set_overrides_the_sockets_even_when_it_is_forever() {
        let socket = Some(Duration::from_secs(7));
        let forever = TlsOptions::new().timeout(None);
        assert_eq!(forever.get_timeout(), Some(None));
        assert_eq!(forever.timeout_or(socket), None);
        let step = TlsOptions::new().timeout(Some(Duration::ZERO));
        assert_eq!(step.timeout_or(socket), Some(Duration::ZERO));
    }

    #[test]
    fn a_session_keeps_every_field_of_the_wit_record() {
        let session = TlsSession::from(wit::TlsSession {
            server_name: Some("localhost".to_owned()),
            protocol: Some("http/1.1".to_owned()),
            version: "TLSv1_3".to_owned(),
            cipher_suite: "TLS13_AES_128_GCM_SHA256".to_owned(),
        });
        assert_eq!(
            session,
            TlsSession {
                server_name: Some("localhost".to_owned()),
                protocol: Some("http/1.1".to_owned()),
                version: "TLSv1_3".to_owned(),
                cipher_suite: "TLS13_AES_128_GCM_SHA256".to_owned(),
            }
        );
    }
}
