//! `http-get URL`: fetches an `http://` URL with HTTP/1.1 GET and writes the
//! response body, and only the body, to stdout, byte for byte.
//!
//! Shows the spec's buffered i/o ports (`socket-i/o-ports`,
//! [`wasock::ports::io_ports`]): the request goes out through the writer,
//! and the reader's `BufRead` reads the status line, the headers and the
//! body, in whichever framing the server chose: `Content-Length`,
//! `Transfer-Encoding: chunked`, or delimited by the server closing.
//!
//! ```text
//! wasock run --allow-dns --allow-connect 127.0.0.1:8080 \
//!     target/wasm32-wasip2/release/http-get.wasm http://127.0.0.1:8080/index.html
//! ```
//!
//! A status other than 2xx prints the status line on stderr and exits with
//! status 1, as does any failed call (no grant, refused, timeout).

use std::error::Error;
use std::io::{self, BufWriter, Write};

use wasock::AddrInfoHints;
use wasock::ports::io_ports;
use wasock_examples::http::{Url, copy_response};

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

    let candidates =
        wasock::address_information(Some(url.host), Some(url.port), &AddrInfoHints::default())
            .map_err(|error| format!("resolving {}: {error}", url.host))?;
    let socket = wasock::connect_any(&candidates)
        .map_err(|error| format!("connecting to {}: {error}", url.authority))?;
    let (mut reader, mut writer) = io_ports(socket);

    write!(
        writer,
        "GET {} HTTP/1.1\r\nHost: {}\r\nUser-Agent: wasock-http-get\r\nAccept: */*\r\nConnection: close\r\n\r\n",
        url.path, url.authority
    )
    .and_then(|()| writer.flush())
    .map_err(|error| format!("sending the request: {error}"))?;

    let mut out = BufWriter::with_capacity(64 * 1024, io::stdout().lock());
    copy_response(&mut reader, &mut out)?;
    // The writer is dropped here, after the whole response was read:
    // dropping it shuts the write side down, which some servers take as the
    // client going away.
    drop(writer);
    Ok(())
}
