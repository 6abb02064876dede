//! `async-http-get URL`: fetches an `http://` URL with one HTTP/1.1 GET
//! and prints the body, written as async code ([`wasock::async_io`]):
//! resolution, [`AsyncSocket::connect_any`] under a time limit, the
//! request, and the response read through an [`AsyncReader`] (the
//! buffered port as `AsyncBufRead`) to its end (the request asks the
//! server to close), then parsed like `http-get` does: a status other
//! than 2xx is an error; the body may be framed by `Content-Length`,
//! chunked, or end with the connection.
//!
//! ```text
//! wasock run --allow-dns --allow-connect '*:80' \
//!     target/wasm32-wasip2/release/async-http-get.wasm http://example.com/
//! ```

use std::error::Error;
use std::io::{self, BufWriter};
use std::time::Duration;

use wasock::AddrInfoHints;
use wasock::async_io::{AsyncReader, AsyncSocket, timeout};
use wasock_examples::http::{Url, copy_response, request};

/// The most of a response this client keeps.
const MAX_RESPONSE: usize = 256 << 20;
/// The time limit of the connect and of the whole exchange.
const LIMIT: Duration = Duration::from_secs(60);

async fn start() {
    if let Err(error) = run().await {
        eprintln!("async-http-get: {error}");
        std::process::exit(1);
    }
}

wasock::async_main!(start);

async fn run() -> Result<(), Box<dyn Error>> {
    let mut args = std::env::args().skip(1);
    let (Some(url), None) = (args.next(), args.next()) else {
        return Err("usage: async-http-get http://HOST[:PORT][/PATH]".into());
    };
    let url = Url::parse(&url)?;

    let candidates =
        wasock::address_information(Some(url.host), Some(url.port), &AddrInfoHints::default())
            .map_err(|error| format!("resolving {}: {error}", url.host))?;
    let socket = timeout(LIMIT, AsyncSocket::connect_any(&candidates))
        .await?
        .map_err(|error| format!("connecting to {}: {error}", url.authority))?;
    let request = request(&url, "wasock-async-http-get");
    socket
        .send_all(request.as_bytes())
        .await
        .map_err(|error| format!("sending the request: {error}"))?;

    let mut response = Vec::new();
    let mut reader = AsyncReader::new(&socket, 64 * 1024);
    timeout(LIMIT, reader.read_to_end(&mut response, MAX_RESPONSE))
        .await?
        .map_err(|error| format!("reading the response: {error}"))?;

    let mut out = BufWriter::with_capacity(64 * 1024, io::stdout().lock());
    copy_response(&mut io::Cursor::new(response.as_slice()), &mut out)?;
    Ok(())
}
