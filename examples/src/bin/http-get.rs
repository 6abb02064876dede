//! `http-get URL`: fetches an `http://` URL with HTTP/1.1 GET and writes the
//! response body, and only the body, to stdout, byte for byte.
//!
//! Shows the spec's buffered i/o ports (`socket-i/o-ports`,
//! [`wasock::ports::io_ports`]): the request goes out through the writer,
//! and the reader's `BufRead` reads the status line, the headers and the
//! body, in whichever framing the server chose: `Content-Length`,
//! `Transfer-Encoding: chunked`, or delimited by the server closing (all
//! in `wasock_examples::http`, which `https-get` shares).
//!
//! ```text
//! wasock run --allow-dns --allow-connect 127.0.0.1:8080 \
//!     target/wasm32-wasip2/release/http-get.wasm http://127.0.0.1:8080/index.html
//! ```
//!
//! A status other than 2xx prints the status line on stderr and exits with
//! status 1, as does any failed call (no grant, refused, timeout).

use std::error::Error;

use wasock_examples::http::{self, Url};

fn main() {
    if let Err(error) = run() {
        eprintln!("http-get: {error}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), Box<dyn Error>> {
    let mut args = std::env::args().skip(1);
    let (Some(url), None) = (args.next(), args.next()) else {
        return Err("usage: http-get http://HOST[:PORT][/PATH]".into());
    };
    let url = Url::parse(&url)?;
    let socket = http::connect(&url)?;
    http::get(socket, &url, "wasock-http-get")
}
