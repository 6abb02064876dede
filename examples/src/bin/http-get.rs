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
use std::io::{self, BufWriter, Read, Write};

use wasock::AddrInfoHints;
use wasock::ports::io_ports;
use wasock_examples::http::{Url, copy_chunked, read_head};

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

    let response = read_head(&mut reader)?;
    if !(200..300).contains(&response.status) {
        return Err(response.status_line.into());
    }

    let mut out = BufWriter::with_capacity(64 * 1024, io::stdout().lock());
    if response.status == 204 {
        // No body, whatever the headers say.
    } else if response.chunked {
        copy_chunked(&mut reader, &mut out)?;
    } else if let Some(length) = response.content_length {
        let copied = io::copy(&mut reader.by_ref().take(length), &mut out)
            .map_err(|error| format!("reading the body: {error}"))?;
        if copied < length {
            return Err(format!("the body ended after {copied} of {length} bytes").into());
        }
    } else {
        io::copy(&mut reader, &mut out).map_err(|error| format!("reading the body: {error}"))?;
    }
    out.flush()
        .map_err(|error| format!("writing the body: {error}"))?;
    // The writer is dropped here, after the whole response was read:
    // dropping it shuts the write side down, which some servers take as the
    // client going away.
    drop(writer);
    Ok(())
}
