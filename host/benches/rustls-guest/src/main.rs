//! `rustls-guest-echo ADDR CERT_PEM KEY_PEM`: a TLS echo server with rustls
//! and ring compiled into the guest, on `std::net` (`wasi:sockets`), one
//! connection at a time; CERT_PEM and KEY_PEM are the PEM texts themselves
//! (the key is in the guest: that is the point of comparison). Prints
//! `listening on ADDR`. The TLS server is configured as the benchmark's
//! TLS-A is: rustls's defaults with the `ring` provider.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::Arc;

use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let [_, address, certificate, key] = args.as_slice() else {
        eprintln!("usage: rustls-guest-echo ADDR CERT_PEM KEY_PEM");
        std::process::exit(2);
    };
    let chain: Vec<CertificateDer<'static>> =
        CertificateDer::pem_slice_iter(certificate.as_bytes())
            .collect::<Result<_, _>>()
            .expect("PEM certificates");
    let key = PrivateKeyDer::from_pem_slice(key.as_bytes()).expect("a PEM private key");
    // rustls 0.23.48 deprecates ring's provider only for lacking
    // post-quantum key exchange.
    #[allow(deprecated)]
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = Arc::new(
        rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("rustls's default versions")
            .with_no_client_auth()
            .with_single_cert(chain, key)
            .expect("the certificate and its key"),
    );
    let listener = TcpListener::bind(address).expect("bind");
    println!(
        "listening on {}",
        listener.local_addr().expect("the address")
    );
    for stream in listener.incoming() {
        let Ok(stream) = stream else { continue };
        let _ = stream.set_nodelay(true);
        let Ok(connection) = rustls::ServerConnection::new(config.clone()) else {
            continue;
        };
        let mut tls = rustls::StreamOwned::new(connection, stream);
        let mut buffer = vec![0u8; 64 * 1024];
        while let Ok(n) = tls.read(&mut buffer) {
            if n == 0 || tls.write_all(&buffer[..n]).is_err() {
                break;
            }
        }
        tls.conn.send_close_notify();
        let _ = tls.conn.complete_io(&mut tls.sock);
    }
}
