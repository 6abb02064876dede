//! The benchmark's TLS part: certificates made with `openssl` for the run,
//! TLS-A (a native rustls echo server, a thread a connection like A, in a
//! process of its own), and the client's measures (rustls in the
//! benchmark's process, with the `ring` provider like the host's).
//!
//! Every handshake is a full one: the client keeps no sessions, so a
//! handshake costs the server its key exchange and an ECDSA P-256
//! signature each time.

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use rustls::{ClientConfig, ClientConnection, ServerConfig, ServerConnection, StreamOwned};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use wasock_tests::TempDir;

// The blocking client's calls are bounded by `connect`'s socket timeouts.
use super::connect;

/// The name the server's certificate is for and the client checks.
pub const SERVER_NAME: &str = "localhost";

/// The identity's name under `wasock run --tls-identity NAME=CERT:KEY`.
pub const IDENTITY: &str = "bench";

/// How long one throughput measure may take before the benchmark fails.
const STREAM_DEADLINE: Duration = Duration::from_secs(300);

/// A CA and a server certificate for [`SERVER_NAME`] and 127.0.0.1 it
/// signed, ECDSA P-256, made with `openssl` into a temporary directory
/// that goes when this is dropped.
pub struct Certificates {
    _dir: TempDir,
    /// The CA's certificate: the client's only root.
    pub ca: PathBuf,
    /// The server's certificate chain (its certificate alone).
    pub certificate: PathBuf,
    /// The server's private key (PKCS#8).
    pub key: PathBuf,
}

impl Certificates {
    /// Makes them with the system's `openssl`; `None` if there is none.
    ///
    /// # Panics
    /// If `openssl` fails, with what it printed.
    pub fn generate() -> Option<Certificates> {
        let present = Command::new("openssl")
            .arg("version")
            .output()
            .is_ok_and(|output| output.status.success());
        if !present {
            return None;
        }
        let dir = TempDir::new("bench-tls");
        let ca = dir.join("ca.pem");
        let ca_key = dir.join("ca.key");
        let request = dir.join("server.csr");
        let certificate = dir.join("server.pem");
        let key = dir.join("server.key");
        let extensions = dir.join("server.ext");
        std::fs::write(
            &extensions,
            format!(
                "subjectAltName=DNS:{SERVER_NAME},IP:127.0.0.1\n\
                 basicConstraints=critical,CA:FALSE\n\
                 keyUsage=critical,digitalSignature\n\
                 extendedKeyUsage=serverAuth\n"
            ),
        )
        .expect("writing the certificate's extensions");
        let p256 = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"];
        openssl(
            &["req", "-x509", "-nodes", "-days", "2"],
            &p256,
            &[
                "-subj",
                "/CN=wasock benchmark CA",
                "-addext",
                "basicConstraints=critical,CA:TRUE",
                "-addext",
                "keyUsage=critical,keyCertSign",
                "-keyout",
                path(&ca_key),
                "-out",
                path(&ca),
            ],
        );
        openssl(
            &["req", "-nodes"],
            &p256,
            &[
                "-subj",
                &format!("/CN={SERVER_NAME}"),
                "-keyout",
                path(&key),
                "-out",
                path(&request),
            ],
        );
        openssl(
            &["x509", "-req", "-days", "2", "-set_serial", "2"],
            &[],
            &[
                "-in",
                path(&request),
                "-CA",
                path(&ca),
                "-CAkey",
                path(&ca_key),
                "-extfile",
                path(&extensions),
                "-out",
                path(&certificate),
            ],
        );
        Some(Certificates {
            _dir: dir,
            ca,
            certificate,
            key,
        })
    }
}

fn path(path: &Path) -> &str {
    path.to_str().expect("a UTF-8 temp path")
}

/// Runs `openssl` with the arguments in three parts, and panics with what
/// it printed if it fails.
fn openssl(command: &[&str], key: &[&str], rest: &[&str]) {
    let output = Command::new("openssl")
        .args(command)
        .args(key)
        .args(rest)
        .output()
        .expect("running openssl (the TLS benchmark makes its certificates with it)");
    assert!(
        output.status.success(),
        "openssl {command:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// rustls's `ring` provider, as the host builds its configurations.
fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    // rustls 0.23.48 deprecates it only for lacking post-quantum key
    // exchange (host/src/tls.rs says more).
    #[allow(deprecated)]
    Arc::new(rustls::crypto::ring::default_provider())
}

/// The client's configuration: trusts only `ca`, resumes no session (so
/// every handshake is a full one).
pub fn client_config(ca: &Path) -> Arc<ClientConfig> {
    let mut roots = rustls::RootCertStore::empty();
    for certificate in CertificateDer::pem_file_iter(ca).expect("the CA's PEM file") {
        roots
            .add(certificate.expect("the CA's certificate"))
            .expect("the CA as a root");
    }
    let mut config = ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .expect("rustls's default versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.resumption = rustls::client::Resumption::disabled();
    Arc::new(config)
}

/// TLS-A's configuration: rustls's defaults with the `ring` provider.
fn server_config(certificate: &Path, key: &Path) -> Arc<ServerConfig> {
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(certificate)
        .expect("the server's certificate file")
        .collect::<Result<_, _>>()
        .expect("the server's certificates");
    let key = PrivateKeyDer::from_pem_file(key).expect("the server's key");
    let config = ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .expect("rustls's default versions")
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .expect("the server's certificate and key");
    Arc::new(config)
}

/// TLS-A (`--serve-native-tls CERT KEY`): a blocking rustls echo server, a
/// thread a connection (A with rustls's `StreamOwned` around each
/// connection), until its stdin (the benchmark's pipe) closes.
pub fn serve_native(args: &[String]) -> ! {
    let position = args
        .iter()
        .position(|a| a == "--serve-native-tls")
        .expect("--serve-native-tls");
    let (Some(certificate), Some(key)) = (args.get(position + 1), args.get(position + 2)) else {
        panic!("--serve-native-tls CERT KEY");
    };
    let config = server_config(Path::new(certificate), Path::new(key));
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind the native TLS echo server");
    println!(
        "listening on {}",
        listener.local_addr().expect("native TLS server address")
    );
    thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { continue };
            let config = config.clone();
            thread::spawn(move || {
                let _ = stream.set_nodelay(true);
                let Ok(connection) = ServerConnection::new(config) else {
                    return;
                };
                let mut tls = StreamOwned::new(connection, stream);
                let mut buffer = vec![0u8; 64 * 1024];
                // The handshake happens inside the first read; a peer that
                // leaves without close_notify ends the loop with an error.
                while let Ok(n) = tls.read(&mut buffer) {
                    if n == 0 || tls.write_all(&buffer[..n]).is_err() {
                        break;
                    }
                }
                tls.conn.send_close_notify();
                let _ = tls.conn.complete_io(&mut tls.sock);
            });
        }
    });
    let mut rest = Vec::new();
    let _ = std::io::stdin().read_to_end(&mut rest);
    std::process::exit(0)
}

/// A client connection to `address` with its handshake done.
fn handshake(
    address: SocketAddr,
    config: &Arc<ClientConfig>,
) -> StreamOwned<ClientConnection, TcpStream> {
    let name = ServerName::try_from(SERVER_NAME).expect("a DNS name");
    let connection = ClientConnection::new(config.clone(), name).expect("a TLS client");
    let mut tls = StreamOwned::new(connection, connect(address));
    while tls.conn.is_handshaking() {
        tls.conn
            .complete_io(&mut tls.sock)
            .unwrap_or_else(|error| panic!("TLS handshake with {address}: {error}"));
    }
    tls
}

/// Ends a client connection as a polite peer does: close_notify, then the
/// socket.
fn close(mut tls: StreamOwned<ClientConnection, TcpStream>) {
    tls.conn.send_close_notify();
    let _ = tls.conn.complete_io(&mut tls.sock);
    let _ = tls.sock.shutdown(Shutdown::Both);
}

/// What a handshake with `address` agreed: version, cipher suite, key
/// exchange group.
pub fn negotiated(address: SocketAddr, config: &Arc<ClientConfig>) -> String {
    let tls = handshake(address, config);
    let text = format!(
        "{:?}, {:?}, {:?}",
        tls.conn.protocol_version().expect("a version"),
        tls.conn
            .negotiated_cipher_suite()
            .expect("a cipher suite")
            .suite(),
        tls.conn
            .negotiated_key_exchange_group()
            .map(|group| group.name()),
    );
    close(tls);
    text
}

/// Round trips per second of `size`-byte messages on one TLS connection
/// (the handshake before the clock starts).
pub fn round_trips(
    address: SocketAddr,
    config: &Arc<ClientConfig>,
    size: usize,
    count: usize,
) -> f64 {
    let mut tls = handshake(address, config);
    let message = vec![0x42u8; size];
    let mut buffer = vec![0u8; size];
    // Warm up (and take the server's session tickets, which come after
    // the handshake) first.
    for _ in 0..10 {
        tls.write_all(&message).expect("write");
        tls.read_exact(&mut buffer).expect("read the echo");
    }
    let start = Instant::now();
    for _ in 0..count {
        tls.write_all(&message).expect("write");
        tls.read_exact(&mut buffer).expect("read the echo");
    }
    let rate = count as f64 / start.elapsed().as_secs_f64();
    assert_eq!(buffer, message, "the echo is the message");
    close(tls);
    rate
}

/// Handshakes per second: connect, full TLS handshake, then (with
/// `echo`) a 1-byte echo, then close_notify and close. Without the echo
/// the client is done once it has the server's Finished: the server has
/// made its key share and signature by then, and what it does after (read
/// the client's Finished, send session tickets) counts in its CPU time.
pub fn handshakes(
    address: SocketAddr,
    config: &Arc<ClientConfig>,
    count: usize,
    echo: bool,
) -> f64 {
    let start = Instant::now();
    for _ in 0..count {
        let mut tls = handshake(address, config);
        if echo {
            tls.write_all(b"x").expect("write");
            let mut byte = [0u8; 1];
            tls.read_exact(&mut byte).expect("read the echo");
        }
        close(tls);
    }
    count as f64 / start.elapsed().as_secs_f64()
}

/// MiB/s echoed through TLS: one task writes `total` bytes in 64 KiB
/// writes while another reads them back (tokio-rustls, the connection
/// split in two halves, on `runtime`); the clock starts after the
/// handshake.
pub fn throughput(
    runtime: &tokio::runtime::Runtime,
    address: SocketAddr,
    config: &Arc<ClientConfig>,
    total: usize,
) -> f64 {
    let connector = tokio_rustls::TlsConnector::from(config.clone());
    let measure = async move {
        let tcp = tokio::net::TcpStream::connect(address)
            .await
            .expect("connect to the TLS echo server");
        tcp.set_nodelay(true).expect("TCP_NODELAY");
        let name = ServerName::try_from(SERVER_NAME).expect("a DNS name");
        let tls = connector
            .connect(name, tcp)
            .await
            .unwrap_or_else(|error| panic!("TLS handshake with {address}: {error}"));
        let start = Instant::now();
        let (mut reader, mut writer) = tokio::io::split(tls);
        let sender = tokio::spawn(async move {
            let chunk = vec![0x5au8; 64 * 1024];
            let mut sent = 0;
            while sent < total {
                let n = chunk.len().min(total - sent);
                writer
                    .write_all(&chunk[..n])
                    .await
                    .expect("write to the TLS echo server");
                sent += n;
            }
            writer.flush().await.expect("flush");
            writer
        });
        let mut buffer = vec![0u8; 64 * 1024];
        let mut received = 0;
        while received < total {
            match reader.read(&mut buffer).await {
                Ok(0) => panic!("TLS echo server closed after {received} of {total} bytes"),
                Ok(n) => received += n,
                Err(error) => {
                    panic!("reading the TLS echo after {received} of {total} bytes: {error}")
                }
            }
        }
        let elapsed = start.elapsed();
        let mut writer = sender.await.expect("writer task");
        let _ = writer.shutdown().await;
        elapsed
    };
    let elapsed = runtime
        .block_on(async { tokio::time::timeout(STREAM_DEADLINE, measure).await })
        .unwrap_or_else(|_| {
            panic!("streaming {total} bytes through TLS took over {STREAM_DEADLINE:?}")
        });
    total as f64 / (1 << 20) as f64 / elapsed.as_secs_f64()
}

/// The runtime the throughput client runs on: two workers, so the writer
/// and the reader (each encrypting or decrypting) may run at once, as A's
/// client is two threads.
pub fn client_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime")
}
