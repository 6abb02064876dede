//! TLS done by the host for its guests: which roots a guest's TLS
//! connections trust, and `wasi:tls` (0.2 and 0.3, as wasmtime's
//! `-S tls` serves it through `wasmtime-wasi-tls`) over rustls with those
//! roots.
//!
//! A `wasi:tls` connection rides on streams of a socket the guest opened
//! itself, under its grants: TLS adds no reach. What it adds is trust:
//! the roots are the system's (`SSL_CERT_FILE`, else the distribution's
//! bundle) or the PEM file the person running the guest names
//! (`--tls-roots FILE`), never the guest's choice.

use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;

use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, ServerName};
use wasmtime::Result;
use wasmtime::error::Context as _;
use wasmtime_wasi_tls::{TlsProvider, TlsStream, TlsTransport};

/// Where a guest's TLS trust comes from.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum TlsRoots {
    /// The system's roots: the PEM bundle named by `SSL_CERT_FILE`, else
    /// the first of the distributions' usual bundles that exists.
    #[default]
    System,
    /// Only the certificates in this PEM file (`--tls-roots FILE`).
    File(PathBuf),
}

/// The distributions' CA bundles, in the order they are looked for.
const SYSTEM_BUNDLES: &[&str] = &[
    "/etc/ssl/certs/ca-certificates.crt", // Debian, Ubuntu, Alpine, Arch
    "/etc/pki/tls/certs/ca-bundle.crt",   // Fedora, RHEL
    "/etc/ssl/ca-bundle.pem",             // openSUSE
    "/etc/ssl/cert.pem",                  // others
];

impl TlsRoots {
    /// The PEM file these roots are read from, if there is one (the system
    /// may have no bundle: then nothing is trusted).
    pub fn file(&self) -> Option<PathBuf> {
        match self {
            TlsRoots::File(path) => Some(path.clone()),
            TlsRoots::System => std::env::var_os("SSL_CERT_FILE")
                .map(PathBuf::from)
                .or_else(|| {
                    SYSTEM_BUNDLES
                        .iter()
                        .map(PathBuf::from)
                        .find(|path| path.is_file())
                }),
        }
    }

    /// Reads the roots into a store. A file named with `--tls-roots` must
    /// hold at least one certificate; the system's may be missing (then
    /// the store is empty, and every handshake fails on its certificate).
    pub fn load(&self) -> Result<rustls::RootCertStore> {
        let mut store = rustls::RootCertStore::empty();
        let Some(path) = self.file() else {
            return Ok(store);
        };
        let certificates = match read_certificates(&path) {
            Ok(certificates) => certificates,
            // The system's bundle may be unreadable where the host runs (a
            // container without one): nothing is trusted then, and only a
            // TLS handshake fails, not the guest's start.
            Err(_) if matches!(self, TlsRoots::System) => return Ok(store),
            Err(error) => return Err(error),
        };
        let (_, unusable) = store.add_parsable_certificates(certificates);
        if let TlsRoots::File(_) = self
            && store.is_empty()
        {
            wasmtime::bail!(
                "--tls-roots {}: no usable certificate in it ({unusable} unusable)",
                path.display()
            );
        }
        Ok(store)
    }
}

/// Every PEM certificate in `path`.
fn read_certificates(path: &Path) -> Result<Vec<CertificateDer<'static>>> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let certificates: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(&bytes)
        .collect::<Result<_, _>>()
        .map_err(|e| wasmtime::format_err!("{}: not PEM certificates: {e}", path.display()))?;
    Ok(certificates)
}

/// A rustls client configuration trusting `roots`, with the `ring`
/// provider and rustls's safe default protocol versions (TLS 1.2 and 1.3).
pub fn client_config(roots: rustls::RootCertStore) -> Result<Arc<rustls::ClientConfig>> {
    // `ring`, as wasmtime-wasi-tls builds it: rustls 0.23.48 deprecates
    // its default provider for lacking post-quantum key exchange, which
    // only `aws-lc-rs` (a C and assembly build) has.
    #[allow(deprecated)]
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| wasmtime::format_err!("TLS configuration: {e}"))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

/// The `wasi:tls` provider: rustls with the host's client configuration
/// (its roots), on the transport the guest's own socket gives.
#[derive(Clone)]
pub struct HostTlsProvider {
    config: Arc<rustls::ClientConfig>,
}

impl std::fmt::Debug for HostTlsProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HostTlsProvider").finish_non_exhaustive()
    }
}

impl HostTlsProvider {
    /// A provider trusting what `config` trusts.
    pub fn new(config: Arc<rustls::ClientConfig>) -> Self {
        HostTlsProvider { config }
    }

    /// A fresh `wasi:tls` context for one guest.
    pub fn context(&self) -> wasmtime_wasi_tls::WasiTlsCtx {
        wasmtime_wasi_tls::WasiTlsCtxBuilder::new()
            .provider(Box::new(self.clone()))
            .build()
    }
}

type Connecting = Pin<
    Box<
        dyn Future<Output = std::result::Result<Box<dyn TlsStream>, wasmtime_wasi_tls::Error>>
            + Send,
    >,
>;

impl TlsProvider for HostTlsProvider {
    fn connect(&self, server_name: String, transport: Box<dyn TlsTransport>) -> Connecting {
        let config = self.config.clone();
        Box::pin(async move {
            let name = ServerName::try_from(server_name)
                .map_err(|_| wasmtime_wasi_tls::Error::msg("invalid server name"))?;
            let stream = tokio_rustls::TlsConnector::from(config)
                .connect(name, transport)
                .await
                .map_err(|e| match e.downcast::<rustls::Error>() {
                    Ok(tls) => wasmtime_wasi_tls::Error::msg(tls.to_string()),
                    Err(io) => wasmtime_wasi_tls::Error::msg(io.to_string()),
                })?;
            Ok(Box::new(stream) as Box<dyn TlsStream>)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A self-signed certificate (CN=wasock test, 2026) in PEM.
    const CERTIFICATE: &str = "-----BEGIN CERTIFICATE-----
MIIBfjCCASSgAwIBAgIUJ0t8Y5xkG6n2w9kX3nJ0kNQb2gQwCgYIKoZIzj0EAwIw
FjEUMBIGA1UEAwwLd2Fzb2NrIHRlc3QwHhcNMjYwMTAxMDAwMDAwWhcNMzYwMTAx
MDAwMDAwWjAWMRQwEgYDVQQDDAt3YXNvY2sgdGVzdDBZMBMGByqGSM49AgEGCCqG
SM49AwEHA0IABA==
-----END CERTIFICATE-----
";

    #[test]
    fn named_roots_must_hold_a_certificate() {
        let dir = std::env::temp_dir().join(format!("wasock-tls-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let empty = dir.join("empty.pem");
        std::fs::write(&empty, "no certificates here\n").unwrap();
        let error = TlsRoots::File(empty.clone()).load().unwrap_err();
        assert!(
            format!("{error:#}").contains("no usable certificate"),
            "{error:#}"
        );
        let missing = dir.join("missing.pem");
        let error = TlsRoots::File(missing).load().unwrap_err();
        assert!(format!("{error:#}").contains("cannot read"), "{error:#}");
        // A malformed certificate in PEM armour is unusable, not a crash.
        let broken = dir.join("broken.pem");
        std::fs::write(&broken, CERTIFICATE).unwrap();
        assert!(TlsRoots::File(broken).load().is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn system_roots_are_the_named_bundle() {
        // SSL_CERT_FILE is not touched here (tests run in parallel): the
        // system roots are whatever bundle exists, and load without error.
        let roots = TlsRoots::System.load().expect("system roots");
        if let Some(path) = TlsRoots::System.file() {
            assert!(path.is_file());
            assert!(!roots.is_empty(), "{} holds no usable root", path.display());
        }
        assert!(client_config(roots).is_ok());
    }
}
