//! The HTTP/1.1 client side the `http-get`, `https-get` and
//! `async-http-get` examples share: the URL, connecting to its host, the
//! request, the response head, chunked bodies, bounded lines.

use std::error::Error;
use std::io::{self, BufRead, BufWriter, Read, Write};

use wasock::ports::io_ports;
use wasock::{AddrInfoHints, Socket};

/// The most header lines a response may have (and, below, the longest
/// line).
pub const MAX_HEADERS: usize = 200;
/// The longest line (status, header, chunk size) read.
pub const MAX_LINE: usize = 64 * 1024;

/// The parts of an `http://` or `https://` URL a GET needs.
pub struct Url<'a> {
    /// `host[:port]` as written, for the `Host` header.
    pub authority: &'a str,
    /// The host, without the brackets of an IPv6 address (for TLS, the
    /// server name the certificate must name).
    pub host: &'a str,
    /// The port: 80 for `http://`, 443 for `https://`, unless given.
    pub port: &'a str,
    /// The path and query, `/` unless given.
    pub path: String,
}

impl<'a> Url<'a> {
    /// Parses `http://HOST[:PORT][/PATH][?QUERY]`.
    pub fn parse(url: &'a str) -> Result<Self, String> {
        let rest = url.strip_prefix("http://").ok_or_else(|| {
            format!("{url:?} is not an http:// URL (only plain http is supported; https-get fetches https:// URLs)")
        })?;
        Url::parse_after_scheme(url, rest, "80")
    }

    /// Parses `https://HOST[:PORT][/PATH][?QUERY]`.
    pub fn parse_https(url: &'a str) -> Result<Self, String> {
        let rest = url.strip_prefix("https://").ok_or_else(|| {
            format!("{url:?} is not an https:// URL (http-get fetches http:// URLs)")
        })?;
        Url::parse_after_scheme(url, rest, "443")
    }

    /// Parses what follows the scheme of `url`: `rest`, with
    /// `default_port` where it gives none.
    fn parse_after_scheme(
        url: &str,
        rest: &'a str,
        default_port: &'static str,
    ) -> Result<Self, String> {
        let (authority, path) = match rest.find(['/', '?']) {
            Some(at) => (&rest[..at], &rest[at..]),
            None => (rest, ""),
        };
        let path = match path {
            "" => "/".to_owned(),
            query if query.starts_with('?') => format!("/{query}"),
            path => path.to_owned(),
        };
        let (host, port) = match authority.strip_prefix('[') {
            Some(bracketed) => {
                let (host, after) = bracketed
                    .split_once(']')
                    .ok_or_else(|| format!("{url:?}: unclosed '['"))?;
                match after {
                    "" => (host, default_port),
                    _ => (
                        host,
                        after
                            .strip_prefix(':')
                            .ok_or_else(|| format!("{url:?}: bad port"))?,
                    ),
                }
            }
            None => authority
                .split_once(':')
                .unwrap_or((authority, default_port)),
        };
        if host.is_empty() || port.is_empty() || !port.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!("{url:?}: bad host or port"));
        }
        Ok(Url {
            authority,
            host,
            port,
            path,
        })
    }
}

/// Resolves the URL's host with the host's resolver (`--allow-dns`) and
/// connects to the first of its addresses that accepts (the spec's
/// `socket-connect/ai`).
pub fn connect(url: &Url) -> Result<Socket, Box<dyn Error>> {
    let candidates =
        wasock::address_information(Some(url.host), Some(url.port), &AddrInfoHints::default())
            .map_err(|error| format!("resolving {}: {error}", url.host))?;
    let socket = wasock::connect_any(&candidates)
        .map_err(|error| format!("connecting to {}: {error}", url.authority))?;
    Ok(socket)
}

/// The request head of a GET of `url` from `user_agent`, asking the
/// server to close the connection after its response.
pub fn request(url: &Url, user_agent: &str) -> String {
    format!(
        "GET {} HTTP/1.1\r\nHost: {}\r\nUser-Agent: {user_agent}\r\nAccept: */*\r\nConnection: close\r\n\r\n",
        url.path, url.authority
    )
}

/// One GET of `url` on the connected `socket` (plain, or TLS after its
/// handshake: the same calls), through the spec's buffered i/o ports
/// (`socket-i/o-ports`, [`io_ports`]): the request goes out through the
/// writer, the response is read through the reader's `BufRead`, and the
/// body, and only the body, is written to stdout ([`copy_response`]).
pub fn get(socket: Socket, url: &Url, user_agent: &str) -> Result<(), Box<dyn Error>> {
    let (mut reader, mut writer) = io_ports(socket);
    writer
        .write_all(request(url, user_agent).as_bytes())
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

/// What the status line and headers said.
struct Head {
    status_line: String,
    status: u16,
    content_length: Option<u64>,
    chunked: bool,
}

/// Reads the status line and the headers, skipping any interim `1xx`
/// responses.
fn read_head(reader: &mut impl BufRead) -> Result<Head, Box<dyn Error>> {
    loop {
        let status_line = read_line(reader)?.ok_or("the server closed without responding")?;
        let mut parts = status_line.splitn(3, ' ');
        let (Some(version), Some(code)) = (parts.next(), parts.next()) else {
            return Err(format!("bad status line {status_line:?}").into());
        };
        if !version.starts_with("HTTP/1.") {
            return Err(format!("not an HTTP/1.x response: {status_line:?}").into());
        }
        let status: u16 = code
            .parse()
            .map_err(|_| format!("bad status line {status_line:?}"))?;

        let mut head = Head {
            status_line,
            status,
            content_length: None,
            chunked: false,
        };
        for _ in 0..=MAX_HEADERS {
            let line =
                read_line(reader)?.ok_or("the server closed in the middle of the headers")?;
            if line.is_empty() {
                if (100..200).contains(&status) {
                    break; // An interim response: the real one follows.
                }
                return Ok(head);
            }
            let (name, value) = line
                .split_once(':')
                .ok_or_else(|| format!("bad header line {line:?}"))?;
            let value = value.trim();
            if name.eq_ignore_ascii_case("content-length") {
                head.content_length = Some(
                    value
                        .parse()
                        .map_err(|_| format!("bad Content-Length {value:?}"))?,
                );
            } else if name.eq_ignore_ascii_case("transfer-encoding") {
                head.chunked = value
                    .rsplit(',')
                    .next()
                    .is_some_and(|last| last.trim().eq_ignore_ascii_case("chunked"));
            }
        }
        if !(100..200).contains(&status) {
            return Err(format!("more than {MAX_HEADERS} header lines").into());
        }
    }
}

/// Copies a `chunked` body: each chunk is its size in hex (perhaps with
/// `;extensions`), CRLF, the data, CRLF; a zero size ends the body, followed
/// by optional trailer lines and an empty line.
fn copy_chunked(reader: &mut impl BufRead, out: &mut impl Write) -> Result<(), Box<dyn Error>> {
    loop {
        let line = read_line(reader)?.ok_or("the body ended before its last chunk")?;
        let size_text = line.split(';').next().unwrap_or_default().trim();
        let size = u64::from_str_radix(size_text, 16)
            .map_err(|_| format!("bad chunk size line {line:?}"))?;
        if size == 0 {
            break;
        }
        let copied = io::copy(&mut reader.by_ref().take(size), out)
            .map_err(|error| format!("reading a chunk: {error}"))?;
        if copied < size {
            return Err(format!("a chunk ended after {copied} of {size} bytes").into());
        }
        match read_line(reader)? {
            Some(empty) if empty.is_empty() => {}
            _ => return Err("a chunk is not followed by CRLF".into()),
        }
    }
    for _ in 0..=MAX_HEADERS {
        match read_line(reader)? {
            Some(trailer) if !trailer.is_empty() => continue,
            _ => return Ok(()),
        }
    }
    Err(format!("more than {MAX_HEADERS} trailer lines").into())
}

/// One line without its CRLF (or LF), or `None` at the end of the stream.
fn read_line(reader: &mut impl BufRead) -> Result<Option<String>, Box<dyn Error>> {
    let mut line = Vec::new();
    let n = reader
        .by_ref()
        .take(MAX_LINE as u64 + 2)
        .read_until(b'\n', &mut line)
        .map_err(|error| format!("reading the response: {error}"))?;
    if n == 0 {
        return Ok(None);
    }
    if line.last() != Some(&b'\n') {
        return Err(if n > MAX_LINE {
            "a line of the response is too long"
        } else {
            "the response ended mid-line"
        }
        .into());
    }
    line.pop();
    if line.last() == Some(&b'\r') {
        line.pop();
    }
    Ok(Some(String::from_utf8_lossy(&line).into_owned()))
}

/// Reads a response from `reader` (its head, then the body as the head
/// frames it: none for 204, chunked, `Content-Length`, or to the end) and
/// writes the body, and only the body, to `out`. A status other than 2xx
/// is an error carrying the status line.
pub fn copy_response(
    reader: &mut impl BufRead,
    out: &mut impl Write,
) -> Result<(), Box<dyn Error>> {
    let head = read_head(reader)?;
    if !(200..300).contains(&head.status) {
        return Err(head.status_line.into());
    }
    if head.status == 204 {
        // No body, whatever the headers say.
    } else if head.chunked {
        copy_chunked(reader, out)?;
    } else if let Some(length) = head.content_length {
        let copied = io::copy(&mut reader.by_ref().take(length), out)
            .map_err(|error| format!("reading the body: {error}"))?;
        if copied < length {
            return Err(format!("the body ended after {copied} of {length} bytes").into());
        }
    } else {
        io::copy(reader, out).map_err(|error| format!("reading the body: {error}"))?;
    }
    out.flush()
        .map_err(|error| format!("writing the body: {error}"))?;
    Ok(())
}
