//! `tls::Host`: TLS on wasock's own sockets. Each call checks what the
//! guest gave (a server name, an identity's name, application protocols)
//! before anything reaches the socket, then hands off to the socket's TLS
//! (`crate::socket`, its `tls` module).
//!
//! TLS adds no reach: the socket was connected (or accepted) under the
//! guest's grants already. What it adds is the host's trust (its roots:
//! `--tls-roots`, else the system's) and the host's identities
//! (`--tls-identity`), named, never handed over.

use std::time::Duration;

use rustls::pki_types::ServerName;
use wasmtime::component::Resource;

use super::convert::error_to_wit;
use crate::bindings::wasock::socket::tls;
use crate::ctx::WasockCtxView;
use crate::error::{Error, ErrorCode};
use crate::socket::{Handshake, Socket, TlsFailure, TlsSession};

/// The most application protocols one handshake offers.
const ALPN_MAX_PROTOCOLS: usize = 32;

/// The longest server name (a DNS name's limit).
const SERVER_NAME_MAX: usize = 253;

fn session_to_wit(session: &TlsSession) -> tls::TlsSession {
    tls::TlsSession {
        server_name: session.server_name.clone(),
        protocol: session.protocol.clone(),
        version: session.version.clone(),
        cipher_suite: session.cipher_suite.clone(),
    }
}

fn failure_to_wit(failure: TlsFailure) -> tls::TlsError {
    match failure {
        TlsFailure::Handshake(why) => tls::TlsError::HandshakeFailed(why),
        TlsFailure::Socket(error) => tls::TlsError::Socket(error_to_wit(error)),
    }
}

/// The application protocols as rustls takes them: each 1 to 255 bytes,
/// at most [`ALPN_MAX_PROTOCOLS`] (RFC 7301).
fn alpn(operation: &str, protocols: Vec<String>) -> Result<Vec<Vec<u8>>, Error> {
    if protocols.len() > ALPN_MAX_PROTOCOLS {
        return Err(Error::invalid_argument(
            operation,
            format!(
                "{} application protocols are more than {ALPN_MAX_PROTOCOLS}",
                protocols.len()
            ),
        ));
    }
    protocols
        .into_iter()
        .map(|protocol| {
            if protocol.is_empty() || protocol.len() > 255 {
                Err(Error::invalid_argument(
                    operation,
                    "an application protocol's name is 1 to 255 bytes",
                ))
            } else {
                Ok(protocol.into_bytes())
            }
        })
        .collect()
}

/// Runs a handshake on the socket `this`, then has the poll sets it is in
/// count the bytes its TLS may hold.
async fn handshake(
    view: &mut WasockCtxView<'_>,
    this: &Resource<Socket>,
    handshake: Handshake,
    timeout: Option<u64>,
) -> wasmtime::Result<Result<tls::TlsSession, tls::TlsError>> {
    let socket = view.table.get_mut(this)?;
    let was_tls = socket.is_tls();
    let result = socket
        .tls_handshake(handshake, timeout.map(Duration::from_nanos))
        .await;
    if !was_tls && socket.is_tls() {
        super::poll_set::watch_held(view, this)?;
    }
    Ok(result
        .map(|session| session_to_wit(&session))
        .map_err(failure_to_wit))
}

impl tls::Host for WasockCtxView<'_> {
    fn identities(&mut self) -> wasmtime::Result<Vec<String>> {
        Ok(self.ctx.tls_identities.names())
    }

    async fn connect(
        &mut self,
        this: Resource<Socket>,
        server_name: String,
        protocols: Vec<String>,
        timeout: Option<u64>,
    ) -> wasmtime::Result<Result<tls::TlsSession, tls::TlsError>> {
        const OP: &str = "tls connect";
        let checked = (|| {
            if server_name.len() > SERVER_NAME_MAX {
                return Err(Error::invalid_argument(
                    OP,
                    format!(
                        "a server name of {} bytes is longer than {SERVER_NAME_MAX}",
                        server_name.len()
                    ),
                ));
            }
            let name = ServerName::try_from(server_name.as_str())
                .map_err(|_| {
                    Error::invalid_argument(
                        OP,
                        format!(
                            "{} is neither a DNS name nor an IP address",
                            crate::policy::Subject::new(&server_name)
                        ),
                    )
                })?
                .to_owned();
            let Some(base) = &self.ctx.tls_client else {
                return Err(Error::unsupported(
                    OP,
                    ErrorCode::OperationNotSupported,
                    "this host was given no TLS roots for its guests",
                ));
            };
            Ok(Handshake::Client {
                config: crate::tls::with_alpn(base, alpn(OP, protocols)?),
                name,
            })
        })();
        match checked {
            Ok(client) => handshake(self, &this, client, timeout).await,
            Err(error) => Ok(Err(tls::TlsError::Socket(error_to_wit(error)))),
        }
    }

    async fn accept(
        &mut self,
        this: Resource<Socket>,
        identity: String,
        protocols: Vec<String>,
        timeout: Option<u64>,
    ) -> wasmtime::Result<Result<tls::TlsSession, tls::TlsError>> {
        const OP: &str = "tls accept";
        let checked = (|| {
            let Some(found) = self.ctx.tls_identities.get(&identity) else {
                let names = self.ctx.tls_identities.names();
                return Err(Error::invalid_argument(
                    OP,
                    if names.is_empty() {
                        format!(
                            "no identity {}: the host holds none (wasock run --tls-identity NAME=CERT:KEY)",
                            crate::policy::Subject::new(&identity)
                        )
                    } else {
                        format!(
                            "no identity {}: the host holds {}",
                            crate::policy::Subject::new(&identity),
                            names.join(", ")
                        )
                    },
                ));
            };
            Ok(Handshake::Server {
                config: found.server_config(alpn(OP, protocols)?),
            })
        })();
        match checked {
            Ok(server) => handshake(self, &this, server, timeout).await,
            Err(error) => Ok(Err(tls::TlsError::Socket(error_to_wit(error)))),
        }
    }

    fn session(&mut self, this: Resource<Socket>) -> wasmtime::Result<Option<tls::TlsSession>> {
        Ok(self.table.get(&this)?.tls_session().map(session_to_wit))
    }
}
