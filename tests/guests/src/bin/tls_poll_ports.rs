//! `tls_poll_ports ADDR NAME`: readiness, the poll set and the buffered
//! ports over TLS, against the native `script` TLS peer at ADDR (its
//! certificate for NAME). Prints `ok CHECK` after each check; any failure
//! ends it with status 1.
//!
//! On a first connection the peer sends 10000 bytes in one TLS record and
//! the guest receives 100 of them: the rest is plaintext the host holds,
//! not bytes in the kernel's socket, and still the socket is readable at
//! once in every way the guest can ask:
//!
//! - `receive-ready`: `receive_ready()`;
//! - `level`: a level-triggered poll set, at once and again;
//! - `subscribe`: the socket's pollable (`Subscription`), alone and in
//!   `wait_any`;
//! - `edge`: an edge-triggered poll set registered now reports it once,
//!   then not again until more arrives;
//! - `peek`: a `PEEK` receive shows the next bytes and leaves them;
//! - `drained`: with every byte received, none of these says readable;
//! - `dont-wait`: a `DONT_WAIT` receive then is `would-block`;
//! - `wait-all`: a `WAIT_ALL` receive of 20000 bytes, two records the peer
//!   sends on asking, gives them all at once;
//! - `end-of-file`: the peer closes without `close_notify` (`cut`): the
//!   socket is readable and a receive gives end of file, no error.
//!
//! On a second connection, through `io_ports` with a 100-byte input
//! buffer:
//!
//! - `ports`: a line and a 10000-byte burst through the reader, and a
//!   20000-byte line out through the writer and back;
//! - `ports-eof`: closing the writer sends `close_notify`, the peer ends
//!   too, and the reader reaches end of file.
use std::io::{BufRead, Read, Write};
use std::time::Duration;

use wasock::poll::{Registry, Subscription, Token, Trigger, wait_any};
use wasock::ports::{PortConfig, io_ports_with};
use wasock::{ErrorCode, Interest, Protocol, RecvFlags, SockAddr, Socket, SocketType};
use wasock_test_guests::{err, receive_exact, tokens};

type Result<T> = std::result::Result<T, String>;

const NOW: Option<Duration> = Some(Duration::ZERO);
const WAIT: Option<Duration> = Some(Duration::from_secs(30));
const BURST: usize = 10_000;
const FIRST: usize = 100;
/// Two records: 16384 bytes and the rest.
const WHOLE: usize = 20_000;

fn main() {
    if let Err(e) = run() {
        eprintln!("tls_poll_ports: {e}");
        std::process::exit(1);
    }
}

/// `pattern(n)` of the peer: what `burst N` sends.
fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| ((i * 7 + 3) % 256) as u8).collect()
}

fn tls_connection(address: &SockAddr, name: &str) -> Result<Socket> {
    let socket = Socket::new(address.family(), SocketType::Stream, Protocol::DEFAULT)
        .map_err(err("socket"))?;
    socket.connect(address).map_err(err("connect"))?;
    if socket.tls_session().is_some() {
        return Err("tls_session: a session before any handshake".to_owned());
    }
    let session = socket.tls_connect(name).map_err(err("tls connect"))?;
    // The session stays readable, the same as the handshake said.
    if socket.tls_session().as_ref() != Some(&session)
        || session.server_name.as_deref() != Some(name)
    {
        return Err(format!(
            "tls_session: {:?}, the handshake said {session:?}",
            socket.tls_session()
        )
        .into());
    }
    Ok(socket)
}

fn run() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let (Some(address), Some(name)) = (args.next(), args.next()) else {
        return Err("usage: tls_poll_ports ADDR NAME".into());
    };
    let address: SockAddr = address.parse().map_err(err("ADDR"))?;
    poll_set(&address, &name)?;
    ports(&address, &name)
}

fn poll_set(address: &SockAddr, name: &str) -> Result<()> {
    let socket = tls_connection(address, name)?;
    const LEVEL: Token = Token(1);
    const EDGE: Token = Token(2);
    let level = Registry::new().map_err(err("registry"))?;
    level
        .register(&socket, LEVEL, Interest::READABLE)
        .map_err(err("register"))?;
    socket
        .send_all(format!("burst {BURST}\n").as_bytes())
        .map_err(err("send"))?;
    if !tokens(&level, WAIT)?.contains(&LEVEL) {
        return Err("level: the burst never made the socket readable".into());
    }
    let first = socket.receive(FIRST).map_err(err("receive"))?;
    if first.len() != FIRST {
        return Err(format!(
            "a receive of {FIRST} of a {BURST}-byte record gave {}",
            first.len()
        ));
    }

    // The rest of the record is the host's now: nothing waits in the
    // kernel's socket, and the socket is readable all the same.
    if !socket.receive_ready().map_err(err("receive-ready"))? {
        return Err("receive-ready: false with decrypted bytes waiting".into());
    }
    println!("ok receive-ready");
    for round in ["at once", "again"] {
        if !tokens(&level, NOW)?.contains(&LEVEL) {
            return Err(format!(
                "level: not readable {round} with decrypted bytes waiting"
            ));
        }
    }
    println!("ok level");
    let readable = Subscription::new(&socket, Interest::READABLE);
    if !readable.is_ready() {
        return Err("subscribe: the pollable is not ready with decrypted bytes waiting".into());
    }
    if wait_any(&[&readable], NOW).map_err(err("wait-any"))? != [0] {
        return Err("subscribe: wait-any does not report the pollable".into());
    }
    println!("ok subscribe");
    let edge = Registry::new().map_err(err("registry"))?;
    edge.register_with(&socket, EDGE, Interest::READABLE, Trigger::Edge)
        .map_err(err("register edge"))?;
    if !tokens(&edge, NOW)?.contains(&EDGE) {
        return Err("edge: registered with decrypted bytes waiting, no event".into());
    }
    if tokens(&edge, NOW)?.contains(&EDGE) {
        return Err("edge: reported twice for one arrival".into());
    }
    socket.send_all(b"echo more\n").map_err(err("send"))?;
    if !tokens(&edge, WAIT)?.contains(&EDGE) {
        return Err("edge: no event for a new record".into());
    }
    println!("ok edge");

    let peeked = socket
        .receive_with(10, RecvFlags::PEEK)
        .map_err(err("peek"))?;
    let rest = receive_exact(&socket, BURST - FIRST)?;
    if !rest.starts_with(&peeked) || peeked.is_empty() {
        return Err(format!("peek: saw {peeked:?}, then {:?}", &rest[..10]));
    }
    println!("ok peek");
    let whole: Vec<u8> = first.into_iter().chain(rest).collect();
    if whole != pattern(BURST) {
        return Err("the burst's bytes are not the peer's".into());
    }
    if receive_exact(&socket, 5)? != b"more\n" {
        return Err("the echo after the burst is wrong".into());
    }
    if socket.receive_ready().map_err(err("receive-ready"))?
        || tokens(&level, NOW)?.contains(&LEVEL)
        || Subscription::new(&socket, Interest::READABLE).is_ready()
    {
        return Err("drained: still readable with every byte received".into());
    }
    println!("ok drained");

    match socket.receive_with(10, RecvFlags::DONT_WAIT) {
        Err(e) if e.code() == ErrorCode::WouldBlock => println!("ok dont-wait"),
        other => return Err(format!("dont-wait: with nothing there, {other:?}")),
    }
    socket
        .send_all(format!("burst {WHOLE}\n").as_bytes())
        .map_err(err("send"))?;
    let whole = socket
        .receive_with(WHOLE, RecvFlags::WAIT_ALL)
        .map_err(err("wait-all"))?;
    if whole != pattern(WHOLE) {
        return Err(format!(
            "wait-all: {} bytes of {WHOLE}, or not the peer's",
            whole.len()
        ));
    }
    println!("ok wait-all");

    socket.send_all(b"cut\n").map_err(err("send"))?;
    if !tokens(&level, WAIT)?.contains(&LEVEL) {
        return Err("end-of-file: the peer's close did not make the socket readable".into());
    }
    let last = socket.receive(100).map_err(err("end-of-file: receive"))?;
    if !last.is_empty() {
        return Err(format!("end-of-file: {} bytes after the last", last.len()));
    }
    println!("ok end-of-file");
    Ok(())
}

fn ports(address: &SockAddr, name: &str) -> Result<()> {
    let socket = tls_connection(address, name)?;
    let config = PortConfig {
        receive_buffer_size: FIRST,
        ..PortConfig::SPEC
    };
    let (mut reader, mut writer) = io_ports_with(socket, config);
    let long = "x".repeat(20_000);
    write!(writer, "echo hello ports\nburst {BURST}\necho {long}\n")
        .and_then(|()| writer.flush())
        .map_err(|e| format!("ports: write: {e}"))?;
    let mut line = String::new();
    reader
        .read_line(&mut line)
        .map_err(|e| format!("ports: read-line: {e}"))?;
    if line != "hello ports\n" {
        return Err(format!("ports: the first line is {line:?}"));
    }
    let mut burst = vec![0u8; BURST];
    reader
        .read_exact(&mut burst)
        .map_err(|e| format!("ports: read the burst: {e}"))?;
    if burst != pattern(BURST) {
        return Err("ports: the burst's bytes are not the peer's".into());
    }
    line.clear();
    reader
        .read_line(&mut line)
        .map_err(|e| format!("ports: read-line: {e}"))?;
    if line.trim_end() != long {
        return Err(format!(
            "ports: the long line came back as {} bytes",
            line.len()
        ));
    }
    println!("ok ports");

    writer.close().map_err(err("ports: close the writer"))?;
    let mut rest = Vec::new();
    reader
        .read_to_end(&mut rest)
        .map_err(|e| format!("ports: read to end of file: {e}"))?;
    if !rest.is_empty() {
        return Err(format!(
            "ports-eof: {} more bytes before end of file",
            rest.len()
        ));
    }
    println!("ok ports-eof");
    Ok(())
}
