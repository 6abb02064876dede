//! `https-get URL`: fetches an `https://` URL with HTTP/1.1 GET over TLS
//! done by the host, and writes the response body, and only the body, to
//! stdout, byte for byte.
//!
//! Shows TLS on wasock's own sockets ([`wasock::tls`]): the name is
//! resolved and connected to as `http-get` does, then
//! [`Socket::tls_connect_with`](wasock::Socket::tls_connect_with) makes
//! the connection a TLS client for the URL's host, offering the
//! application protocol `http/1.1` (ALPN). The host checks the server's
//! certificate against the system's roots, or only those of `wasock run
//! --tls-roots FILE`; the guest chooses nothing of the trust. The same
//! socket then carries the request and the response in plaintext for the
//! guest, through the same buffered ports and the same response parser as
//! `http-get` (`wasock_examples::http`).
//!
//! ```text
//! wasock run --allow-dns --allow-connect '*:443' \
//!     target/wasm32-wasip2/release/https-get.wasm https://example.com/
//! wasock run --tls-roots ca.pem --allow-dns --allow-connect 127.0.0.1:8443 \
//!     target/wasm32-wasip2/release/https-get.wasm https://localhost:8443/index.html
//! ```
//!
//! Once the handshake is done it prints one line on stderr, `https-get:
//! VERSION CIPHER_SUITE, protocol PROTOCOL` (`https-get: TLSv1_3
//! TLS13_AES_256_GCM_SHA384, protocol http/1.1`). A certificate the host
//! does not trust, or that does not name the host, fails the handshake:
//! the line on stderr names the code `tls-handshake-failed` and rustls's
//! reason, and the exit status is 1; so do a status other than 2xx (the
//! status line) and any other failed call (no grant, refused, timeout).

use std::error::Error;

use wasock::tls::TlsOptions;
use wasock_examples::http::{self, Url};

fn main() {
    if let Err(error) = run() {
        eprintln!("https-get: {error}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), Box<dyn Error>> {
    let mut args = std::env::args().skip(1);
    let (Some(url), None) = (args.next(), args.next()) else {
        return Err("usage: https-get https://HOST[:PORT][/PATH]".into());
    };
    let url = Url::parse_https(&url)?;
    let socket = http::connect(&url)?;

    // The handshake waits for the server's messages as a receive does:
    // under the socket's receive timeout (the spec's one minute), not its
    // connect timeout (forever).
    let options = TlsOptions::new()
        .alpn(["http/1.1"])
        .timeout(socket.timeouts().receive);
    let session = socket
        .tls_connect_with(url.host, &options)
        .map_err(|error| format!("tls with {}: {error}", url.authority))?;
    eprintln!(
        "https-get: {} {}, protocol {}",
        session.version,
        session.cipher_suite,
        session.protocol.as_deref().unwrap_or("none")
    );

    http::get(socket, &url, "wasock-https-get")
}
