//! TLS done by the host for its guests: which roots a guest's TLS
//! connections trust, the identities (certificate and key) a guest may
//! serve with (`--tls-identity`), and `wasi:tls` (0.2 and 0.3, as
//! wasmtime's `-S tls` serves it through `wasmtime-wasi-tls`) over rustls
//! with those roots. TLS on wasock's own sockets is `crate::socket`'s
//! (its `tls` module), reached through the contract's `tls` interface.
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
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
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
    let config = rustls::ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| wasmtime::format_err!("TLS configuration: {e}"))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

/// The crypto every TLS configuration here uses: `ring`, as
/// wasmtime-wasi-tls builds it (rustls 0.23.48 deprecates its default
/// provider for lacking post-quantum key exchange, which only `aws-lc-rs`,
/// a C and assembly build, has).
///
/// Key exchange prefers X25519, then P-256, then P-384, as browsers and
/// most servers do (rustls 0.23.48's `ring` lists P-384 first, which costs
/// every handshake more and buys nothing against these two).
#[allow(deprecated)]
fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    use rustls::crypto::ring::kx_group;
    let mut provider = rustls::crypto::ring::default_provider();
    provider.kx_groups = vec![kx_group::X25519, kx_group::SECP256R1, kx_group::SECP384R1];
    Arc::new(provider)
}

/// One identity the host holds for a guest's TLS servers: a certificate
/// chain and its private key, read from files when the host starts
/// (`--tls-identity NAME=CERT:KEY`). The guest names it; the key stays in
/// the host (inside rustls's configuration), never in the guest.
#[derive(Clone)]
pub struct TlsIdentity {
    name: String,
    files: [PathBuf; 2],
    config: Arc<rustls::ServerConfig>,
}

impl std::fmt::Debug for TlsIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the key.
        f.debug_struct("TlsIdentity")
            .field("name", &self.name)
            .field("certificate", &self.files[0])
            .finish_non_exhaustive()
    }
}

/// The longest identity name.
const IDENTITY_NAME_MAX: usize = 64;

impl TlsIdentity {
    /// Parses `NAME=CERT:KEY` (the value of `--tls-identity`): a name of
    /// 1 to 64 letters, digits, `.`, `_` or `-`, and two file paths.
    pub fn parse_spec(spec: &str) -> std::result::Result<(String, PathBuf, PathBuf), String> {
        let usage = "expected NAME=CERT_FILE:KEY_FILE (PEM files)";
        let Some((name, files)) = spec.split_once('=') else {
            return Err(format!("bad --tls-identity `{spec}`: {usage}"));
        };
        if name.is_empty()
            || name.len() > IDENTITY_NAME_MAX
            || !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
        {
            return Err(format!(
                "bad --tls-identity `{spec}`: the name must be 1 to {IDENTITY_NAME_MAX} letters, digits, `.`, `_` or `-`"
            ));
        }
        let Some((cert, key)) = files.split_once(':') else {
            return Err(format!("bad --tls-identity `{spec}`: {usage}"));
        };
        if cert.is_empty() || key.is_empty() {
            return Err(format!("bad --tls-identity `{spec}`: {usage}"));
        }
        Ok((name.to_owned(), PathBuf::from(cert), PathBuf::from(key)))
    }

    /// Reads the chain (`cert`, PEM, leaf first) and its key (`key`, PEM:
    /// PKCS#8, PKCS#1 or SEC1) and checks that they belong together.
    pub fn load(name: &str, cert: &Path, key: &Path) -> Result<TlsIdentity> {
        let context = || format!("--tls-identity {name}");
        let chain = read_certificates(cert).with_context(context)?;
        if chain.is_empty() {
            wasmtime::bail!(
                "--tls-identity {name}: no certificate in {}",
                cert.display()
            );
        }
        let key_der = PrivateKeyDer::from_pem_file(key).map_err(|e| {
            wasmtime::format_err!(
                "--tls-identity {name}: no private key read from {}: {e}",
                key.display()
            )
        })?;
        let config = rustls::ServerConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .map_err(|e| wasmtime::format_err!("TLS configuration: {e}"))?
            .with_no_client_auth()
            .with_single_cert(chain, key_der)
            .map_err(|e| {
                wasmtime::format_err!(
                    "--tls-identity {name}: {} and {} do not make an identity: {e}",
                    cert.display(),
                    key.display()
                )
            })?;
        Ok(TlsIdentity {
            name: name.to_owned(),
            files: [absolute_or_same(cert), absolute_or_same(key)],
            config: Arc::new(config),
        })
    }

    /// The name the guest uses.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The certificate and key files (which no guest may reach).
    pub fn files(&self) -> &[PathBuf] {
        &self.files
    }

    /// The server configuration, offering `alpn` (none when empty).
    pub fn server_config(&self, alpn: Vec<Vec<u8>>) -> Arc<rustls::ServerConfig> {
        if alpn.is_empty() {
            return self.config.clone();
        }
        let mut config = (*self.config).clone();
        config.alpn_protocols = alpn;
        Arc::new(config)
    }
}

fn absolute_or_same(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_owned())
}

/// The identities a guest may serve with, in the order given; cheap to
/// clone.
#[derive(Clone, Debug, Default)]
pub struct TlsIdentities(Arc<Vec<TlsIdentity>>);

impl TlsIdentities {
    /// These identities; two of one name are an error.
    pub fn new(identities: Vec<TlsIdentity>) -> Result<TlsIdentities> {
        for (i, identity) in identities.iter().enumerate() {
            if identities[..i].iter().any(|o| o.name == identity.name) {
                wasmtime::bail!("--tls-identity {}: the name is given twice", identity.name);
            }
        }
        Ok(TlsIdentities(Arc::new(identities)))
    }

    /// The names, in order.
    pub fn names(&self) -> Vec<String> {
        self.0.iter().map(|i| i.name.clone()).collect()
    }

    /// The identity named `name`.
    pub fn get(&self, name: &str) -> Option<&TlsIdentity> {
        self.0.iter().find(|i| i.name == name)
    }

    /// Every identity.
    pub fn iter(&self) -> impl Iterator<Item = &TlsIdentity> {
        self.0.iter()
    }

    /// Whether there is none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// A client configuration like `base`, offering `alpn` (none when empty).
pub fn with_alpn(
    base: &Arc<rustls::ClientConfig>,
    alpn: Vec<Vec<u8>>,
) -> Arc<rustls::ClientConfig> {
    if alpn.is_empty() {
        return base.clone();
    }
    let mut config = (**base).clone();
    config.alpn_protocols = alpn;
    Arc::new(config)
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
