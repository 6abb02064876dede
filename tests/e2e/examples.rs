//! The example guests (`examples/src/bin/*.rs`) run under the real `wasock`
//! binary against native peers written with `std::net`: TCP, UDP and
//! unix-domain echo, an HTTP/1.1 client against a small native server in
//! every body framing, name resolution, and each example's failure path.
//!
//! All traffic stays on loopback, every port comes from port 0, every wait
//! has a timeout and every loop a bound. Each guest is given the narrowest
//! grants it needs.

use std::io::{BufRead, BufReader, ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::os::unix::net::UnixStream;
use std::process::Output;
use std::thread;
use std::time::Duration;

use wasock_tests::{Running, TempDir, Wasock, guest, output_text};

use crate::WASOCK;
use crate::common::{self, accept_within, closed_port, connect_within, listener};

/// How long a guest may take to start (compile and instantiate) and print
/// its first line.
const START: Duration = Duration::from_secs(60);
/// How long a whole guest run, or one native read, may take before the test
/// fails instead of hanging.
const FINISH: Duration = Duration::from_secs(120);
const IO_TIMEOUT: Duration = Duration::from_secs(60);

// ---------------------------------------------------------------------------
// Native helpers
// ---------------------------------------------------------------------------

/// `len` bytes with no short period, different for each `seed`, so a byte
/// lost, repeated or swapped between clients shows up.
fn pattern(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| {
            let mixed = (i as u64 ^ (u64::from(seed) << 40)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
            (mixed >> 56) as u8
        })
        .collect()
}

/// Where two buffers first differ, for a readable failure.
fn first_difference(expected: &[u8], actual: &[u8]) -> String {
    if expected.len() != actual.len() {
        return format!("expected {} bytes, got {}", expected.len(), actual.len());
    }
    match expected.iter().zip(actual).position(|(a, b)| a != b) {
        Some(at) => format!("first difference at byte {at} of {}", expected.len()),
        None => "identical".to_owned(),
    }
}

fn assert_same_bytes(what: &str, expected: &[u8], actual: &[u8]) {
    assert!(
        expected == actual,
        "{what}: {}",
        first_difference(expected, actual)
    );
}

/// The guest's stderr, checked to be a clean failure: non-zero exit, at
/// least one line from the guest naming itself, and no panic.
fn assert_clean_failure(example: &str, output: &Output) -> String {
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(
        !output.status.success(),
        "{example} should have failed\n{}",
        output_text(output)
    );
    assert!(
        !stderr.contains("panicked"),
        "{example} panicked\n{}",
        output_text(output)
    );
    assert!(
        !stderr.contains("RUST_BACKTRACE"),
        "{example} panicked\n{}",
        output_text(output)
    );
    let own: Vec<&str> = stderr
        .lines()
        .filter(|line| line.starts_with(&format!("{example}: ")))
        .collect();
    assert_eq!(
        own.len(),
        1,
        "{example} should print exactly one error line of its own\n{}",
        output_text(output)
    );
    own[0].to_owned()
}

/// Whether an error line says the call was refused by the policy (the
/// code's name is `permission-denied`; messages may spell it with a space).
fn is_permission_denied(line: &str) -> bool {
    line.to_lowercase()
        .replace('-', " ")
        .contains("permission denied")
}

/// Reads until end of stream, failing past `limit` bytes.
fn read_to_end_bounded(reader: &mut impl Read, limit: usize, what: &str) -> Vec<u8> {
    let mut received = Vec::new();
    let mut chunk = vec![0u8; 64 * 1024];
    loop {
        match reader.read(&mut chunk) {
            Ok(0) => return received,
            Ok(n) => {
                received.extend_from_slice(&chunk[..n]);
                assert!(
                    received.len() <= limit,
                    "{what}: more than {limit} bytes came back"
                );
            }
            Err(error) if error.kind() == ErrorKind::Interrupted => continue,
            Err(error) => panic!("{what}: reading after {} bytes: {error}", received.len()),
        }
    }
}

/// Sends `data` on `stream` from a second thread while this one reads the
/// echo back, so neither side's buffers can fill up and stall both; shuts
/// the write side after sending, and returns everything read until the
/// peer's end of stream.
fn echo_through<S>(stream: S, data: Vec<u8>, what: &str) -> Vec<u8>
where
    S: Read + Write + Send + 'static,
    S: TryCloneStream,
{
    let mut writer = stream.try_clone_stream();
    let what_writer = what.to_owned();
    let sender = thread::spawn(move || {
        for chunk in data.chunks(64 * 1024) {
            writer
                .write_all(chunk)
                .unwrap_or_else(|error| panic!("{what_writer}: sending: {error}"));
        }
        writer.shutdown_write();
    });
    let mut reader = stream;
    let received = read_to_end_bounded(&mut reader, 64 * 1024 * 1024, what);
    if sender.join().is_err() {
        panic!("{what}: the sending thread failed");
    }
    received
}

/// Both TCP and unix streams: a second handle for the writer thread, and
/// shutting down the write side.
trait TryCloneStream: Sized {
    fn try_clone_stream(&self) -> Self;
    fn shutdown_write(&self);
}

impl TryCloneStream for TcpStream {
    fn try_clone_stream(&self) -> Self {
        self.try_clone().expect("cloning a TCP stream")
    }
    fn shutdown_write(&self) {
        self.shutdown(Shutdown::Write)
            .expect("shutting down the write side");
    }
}

impl TryCloneStream for UnixStream {
    fn try_clone_stream(&self) -> Self {
        self.try_clone().expect("cloning a unix stream")
    }
    fn shutdown_write(&self) {
        self.shutdown(Shutdown::Write)
            .expect("shutting down the write side");
    }
}

/// Sends a short message and reads exactly its echo.
fn round_trip(stream: &mut (impl Read + Write), message: &[u8], what: &str) {
    stream
        .write_all(message)
        .unwrap_or_else(|error| panic!("{what}: sending: {error}"));
    let mut echo = vec![0u8; message.len()];
    stream
        .read_exact(&mut echo)
        .unwrap_or_else(|error| panic!("{what}: reading the echo: {error}"));
    assert_eq!(echo, message, "{what}: wrong echo");
}

// ---------------------------------------------------------------------------
// echo-server
// ---------------------------------------------------------------------------

fn start_echo_server(max_connections: usize) -> (Running, SocketAddr) {
    start_echo_server_named("echo-server", max_connections)
}

fn start_echo_server_named(name: &str, max_connections: usize) -> (Running, SocketAddr) {
    let mut server = Wasock::new(WASOCK, guest(name))
        .flag("--allow-bind")
        .flag("127.0.0.1:0")
        .arg("127.0.0.1:0")
        .arg(max_connections.to_string())
        .spawn();
    let addr = server.wait_for_listening(START);
    assert!(
        addr.ip().is_loopback() && addr.port() != 0,
        "{name} reported {addr}"
    );
    (server, addr)
}

/// Four clients each push 2 MiB through the guest at once and get every
/// byte back, while a fifth client stays connected and idle the whole time
/// (it must not stall the others) and is still served afterwards.
#[test]
fn echo_server_serves_many_clients_at_once_while_one_idles() {
    serves_many_clients_at_once_while_one_idles("echo-server");
}

/// The same, `echo-server` as the examples' WASI 0.3 build compiles it
/// (the blocking API is the same in both builds).
#[test]
fn echo_server_built_with_the_p3_feature_serves_many_clients_at_once_while_one_idles() {
    serves_many_clients_at_once_while_one_idles("echo-server@p3");
}

/// `async-echo-server` built for WASI 0.3 under the same load: 2 MiB
/// each through four connections' tasks while a fifth idles.
#[test]
fn async_echo_server_built_for_wasi_03_serves_many_clients_at_once_while_one_idles() {
    serves_many_clients_at_once_while_one_idles("async-echo-server@p3");
}

fn serves_many_clients_at_once_while_one_idles(name: &str) {
    const BUSY: usize = 4;
    const SIZE: usize = 2 * 1024 * 1024;
    let (server, addr) = start_echo_server_named(name, BUSY + 1);

    let mut idle = connect_within(addr, IO_TIMEOUT);
    round_trip(&mut idle, b"hello, I will wait", "idle client");

    let busy: Vec<_> = (0..BUSY)
        .map(|index| {
            thread::spawn(move || {
                let data = pattern(SIZE, index as u8);
                let what = format!("busy client {index}");
                let echo = echo_through(connect_within(addr, IO_TIMEOUT), data.clone(), &what);
                assert_same_bytes(&what, &data, &echo);
            })
        })
        .collect();
    for (index, client) in busy.into_iter().enumerate() {
        assert!(client.join().is_ok(), "busy client {index} failed");
    }

    round_trip(&mut idle, b"still here", "idle client after the others");
    idle.shutdown(Shutdown::Write)
        .expect("closing the idle client");
    let rest = read_to_end_bounded(&mut idle, 1024, "idle client");
    assert!(
        rest.is_empty(),
        "idle client got {} unexpected bytes",
        rest.len()
    );
    drop(idle);

    let output = server.wait(FINISH);
    assert!(
        output.status.success(),
        "{name} should end after serving its connections\n{}",
        output_text(&output)
    );
}

/// Small messages from several short-lived clients one after another, and
/// an echo of a message with every byte value.
#[test]
fn echo_server_echoes_every_byte_value() {
    let (server, addr) = start_echo_server(3);
    for round in 0..3u8 {
        let mut client = connect_within(addr, IO_TIMEOUT);
        let message: Vec<u8> = (0..=255u8).map(|b| b.wrapping_add(round)).collect();
        round_trip(&mut client, &message, "client");
    }
    let output = server.wait(FINISH);
    assert!(output.status.success(), "{}", output_text(&output));
}

/// Many clients connected at once: each is accepted and served while all
/// the others stay open.
#[test]
fn echo_server_holds_many_connections_at_once() {
    const CLIENTS: usize = 40;
    let (server, addr) = start_echo_server(CLIENTS);
    let mut clients: Vec<TcpStream> = (0..CLIENTS)
        .map(|_| connect_within(addr, IO_TIMEOUT))
        .collect();
    for (index, client) in clients.iter_mut().enumerate() {
        round_trip(
            client,
            format!("client {index} says hello").as_bytes(),
            &format!("client {index}"),
        );
    }
    // Again in reverse order, with every connection still open.
    for (index, client) in clients.iter_mut().enumerate().rev() {
        round_trip(
            client,
            format!("client {index} again").as_bytes(),
            &format!("client {index}"),
        );
    }
    drop(clients);
    let output = server.wait(FINISH);
    assert!(output.status.success(), "{}", output_text(&output));
}

/// `name` (an echo server example) under `--max-sockets 5`: the listener
/// and four clients fill it; a fifth client's connection waits in the
/// kernel's backlog (`accept` answers `too-many-sockets`, class
/// transient) while the four keep being served; once one of them leaves,
/// the fifth is accepted and served, and the server ends normally after
/// all five (its MAX_CONNECTIONS). It says once that it is at the limit.
fn serves_and_accepts_again_at_the_socket_limit(name: &str) {
    let mut server = Wasock::new(WASOCK, guest(name))
        .flags(["--max-sockets", "5", "--allow-bind", "127.0.0.1:0"])
        .args(["127.0.0.1:0", "5"])
        .spawn();
    let addr = server.wait_for_listening(START);
    let mut clients: Vec<TcpStream> = (0..4)
        .map(|index| {
            let mut client = connect_within(addr, IO_TIMEOUT);
            round_trip(&mut client, b"hello", &format!("{name}: client {index}"));
            client
        })
        .collect();

    // The kernel completes the fifth handshake; the guest cannot take it.
    let mut fifth = connect_within(addr, IO_TIMEOUT);
    fifth.write_all(b"waiting").expect("the fifth client sends");
    fifth
        .set_read_timeout(Some(Duration::from_millis(500)))
        .expect("read timeout");
    let mut echo = [0u8; 7];
    match fifth.read(&mut echo) {
        Err(error) if matches!(error.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
        other => panic!(
            "{name}: the fifth client was answered past the limit: {other:?}\n{}",
            output_text(&server.kill())
        ),
    }
    for (index, client) in clients.iter_mut().enumerate() {
        round_trip(
            client,
            b"still served",
            &format!("{name}: client {index} at the limit"),
        );
    }

    // One leaves: its slot goes to the connection waiting in the backlog.
    let leaving = clients.remove(0);
    leaving.shutdown(Shutdown::Write).expect("shutdown");
    drop(leaving);
    fifth
        .set_read_timeout(Some(IO_TIMEOUT))
        .expect("read timeout");
    fifth
        .read_exact(&mut echo)
        .unwrap_or_else(|error| panic!("{name}: the fifth client's echo: {error}"));
    assert_eq!(&echo, b"waiting");
    round_trip(&mut fifth, b"served", &format!("{name}: the fifth client"));
    for (index, client) in clients.iter_mut().enumerate() {
        round_trip(
            client,
            b"and on",
            &format!("{name}: client {} after", index + 1),
        );
    }

    drop(clients);
    drop(fifth);
    let output = server.wait(FINISH);
    assert!(output.status.success(), "{}", output_text(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        stderr
            .matches("accepting again when a connection closes")
            .count(),
        1,
        "{name} should say once that it is at the limit\n{}",
        output_text(&output)
    );
    assert!(
        stderr.contains("too-many-sockets") || stderr.contains("too many sockets"),
        "{}",
        output_text(&output)
    );
}

#[test]
fn echo_server_at_the_socket_limit_serves_its_clients_and_accepts_again() {
    serves_and_accepts_again_at_the_socket_limit("echo-server");
}

#[test]
fn async_echo_server_at_the_socket_limit_serves_its_clients_and_accepts_again() {
    serves_and_accepts_again_at_the_socket_limit("async-echo-server");
}

/// The same, built for WASI 0.3: `accept`, an `async func`, answers
/// `too-many-sockets` at the limit as the blocking call does.
#[test]
fn async_echo_server_built_for_wasi_03_at_the_socket_limit_serves_its_clients_and_accepts_again() {
    serves_and_accepts_again_at_the_socket_limit("async-echo-server@p3");
}

/// ADDR may be IPv6: `[::1]:0` (skipped where the machine has no IPv6
/// loopback).
#[test]
fn echo_server_listens_on_ipv6_loopback() {
    if TcpListener::bind("[::1]:0").is_err() {
        eprintln!("skipped: no IPv6 loopback here");
        return;
    }
    let mut server = Wasock::new(WASOCK, guest("echo-server"))
        .flag("--allow-bind")
        .flag("[::1]:0")
        .arg("[::1]:0")
        .arg("1")
        .spawn();
    let addr = server.wait_for_listening(START);
    assert!(
        addr.is_ipv6() && addr.ip().is_loopback() && addr.port() != 0,
        "echo-server reported {addr}"
    );
    let mut client = connect_within(addr, IO_TIMEOUT);
    round_trip(&mut client, b"over IPv6", "IPv6 client");
    drop(client);
    let output = server.wait(FINISH);
    assert!(output.status.success(), "{}", output_text(&output));
}

/// Without a bind grant the server fails with one clear line.
#[test]
fn echo_server_without_a_grant_fails_cleanly() {
    let output = Wasock::new(WASOCK, guest("echo-server"))
        .arg("127.0.0.1:0")
        .run(FINISH);
    let line = assert_clean_failure("echo-server", &output);
    assert!(is_permission_denied(&line), "{}", output_text(&output));
}

// ---------------------------------------------------------------------------
// echo-client
// ---------------------------------------------------------------------------

/// A native echo server for one connection; returns its address and a
/// handle that yields what it received.
fn native_echo_server() -> (SocketAddr, thread::JoinHandle<Vec<u8>>) {
    let (listener, addr) = listener();
    let handle = thread::spawn(move || {
        let mut stream = accept_within(&listener, FINISH, IO_TIMEOUT)
            .expect("native echo server: nobody connected");
        let mut received = Vec::new();
        let mut chunk = [0u8; 4096];
        loop {
            match stream.read(&mut chunk) {
                Ok(0) => break,
                Ok(n) => {
                    received.extend_from_slice(&chunk[..n]);
                    if stream.write_all(&chunk[..n]).is_err() {
                        break;
                    }
                }
                Err(error) if error.kind() == ErrorKind::Interrupted => continue,
                // The client may close without shutting down first.
                Err(_) => break,
            }
            assert!(
                received.len() < 1024 * 1024,
                "native echo server: too much data"
            );
        }
        received
    });
    (addr, handle)
}

#[test]
fn echo_client_talks_to_a_native_echo_server() {
    echo_client_talks_to_a_native_echo_server_as("echo-client");
}

/// The same, with `echo-client` as the examples' WASI 0.3 build compiles it
/// (the SDK's `p3` feature: the blocking API is the same in both).
#[test]
fn echo_client_talks_to_a_native_echo_server_built_with_the_p3_feature() {
    echo_client_talks_to_a_native_echo_server_as("echo-client@p3");
}

fn echo_client_talks_to_a_native_echo_server_as(name: &str) {
    let (addr, server) = native_echo_server();
    let message = "hello from a sandboxed guest";
    // A numeric address is parsed, not looked up: no --allow-dns.
    let output = Wasock::new(WASOCK, guest(name))
        .flag("--allow-connect")
        .flag(addr.to_string())
        .arg(addr.to_string())
        .arg(message)
        .run(FINISH);
    assert!(output.status.success(), "{}", output_text(&output));
    assert_eq!(
        String::from_utf8_lossy(&output.stdout).trim_end(),
        message,
        "{}",
        output_text(&output)
    );
    let received = server.join().expect("native echo server failed");
    assert_eq!(received, message.as_bytes());
}

/// A host name goes through the resolver (`--allow-dns`); `localhost` may
/// come back as `::1` first, where nothing listens, so both loopback
/// addresses are granted and `connect_any` moves on to 127.0.0.1.
#[test]
fn echo_client_resolves_a_host_name() {
    let (addr, server) = native_echo_server();
    let port = addr.port();
    let output = Wasock::new(WASOCK, guest("echo-client"))
        .flag("--allow-dns")
        .flag("--allow-connect")
        .flag(format!("127.0.0.1:{port}"))
        .flag("--allow-connect")
        .flag(format!("[::1]:{port}"))
        .arg(format!("localhost:{port}"))
        .arg("by name")
        .run(FINISH);
    assert!(output.status.success(), "{}", output_text(&output));
    assert_eq!(
        String::from_utf8_lossy(&output.stdout).trim_end(),
        "by name",
        "{}",
        output_text(&output)
    );
    assert_eq!(
        server.join().expect("native echo server failed"),
        b"by name"
    );
}

/// A host name without `--allow-dns` is refused before anything is sent.
#[test]
fn echo_client_resolving_without_dns_grant_is_denied() {
    let output = Wasock::new(WASOCK, guest("echo-client"))
        .flag("--allow-connect")
        .flag("127.0.0.1:*")
        .arg(format!("localhost:{}", closed_port()))
        .arg("hello")
        .run(FINISH);
    let line = assert_clean_failure("echo-client", &output);
    assert!(is_permission_denied(&line), "{}", output_text(&output));
}

#[test]
fn echo_client_to_a_closed_port_fails_cleanly() {
    let port = closed_port();
    let addr = format!("127.0.0.1:{port}");
    let output = Wasock::new(WASOCK, guest("echo-client"))
        // Numeric, but the host asks for the DNS grant for any
        // address-information call until it adopts the policy's
        // check_address_information (numeric hosts need no grant).
        .flag("--allow-dns")
        .flag("--allow-connect")
        .flag(&addr)
        .arg(&addr)
        .arg("anyone there?")
        .run(FINISH);
    let line = assert_clean_failure("echo-client", &output);
    assert!(
        line.to_lowercase().contains("refused"),
        "{}",
        output_text(&output)
    );
}

#[test]
fn echo_client_without_a_grant_is_denied() {
    let (addr, _server) = native_echo_server();
    let output = Wasock::new(WASOCK, guest("echo-client"))
        // Numeric, but the host asks for the DNS grant for any
        // address-information call until it adopts the policy's
        // check_address_information (numeric hosts need no grant).
        .flag("--allow-dns")
        .arg(addr.to_string())
        .arg("let me in")
        .run(FINISH);
    let line = assert_clean_failure("echo-client", &output);
    assert!(is_permission_denied(&line), "{}", output_text(&output));
    assert!(
        line.contains("connect"),
        "the connect should be what is refused\n{}",
        output_text(&output)
    );
}

// ---------------------------------------------------------------------------
// http-get
// ---------------------------------------------------------------------------

/// How the native server frames a response body.
#[derive(Clone, Copy, Debug)]
enum Framing {
    ContentLength,
    Chunked,
    CloseDelimited,
}

/// A one-request HTTP/1.1 server on 127.0.0.1:0. It sends `status` and
/// `body` framed as asked, and hands back the request head it read.
fn native_http_server(
    status: &'static str,
    body: Vec<u8>,
    framing: Framing,
) -> (SocketAddr, thread::JoinHandle<String>) {
    let (listener, addr) = listener();
    let handle = thread::spawn(move || {
        let stream = accept_within(&listener, FINISH, IO_TIMEOUT)
            .expect("native HTTP server: nobody connected");

        let mut reader = BufReader::new(stream.try_clone().expect("cloning the HTTP stream"));
        let mut head = String::new();
        for _ in 0..100 {
            let mut line = String::new();
            let n = reader.read_line(&mut line).expect("reading the request");
            head.push_str(&line);
            if n == 0 || line == "\r\n" {
                break;
            }
        }

        let mut writer = std::io::BufWriter::with_capacity(64 * 1024, stream);
        let mut response = format!(
            "HTTP/1.1 {status}\r\nServer: native-test\r\nContent-Type: application/octet-stream\r\n"
        );
        match framing {
            Framing::ContentLength => {
                response.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()))
            }
            Framing::Chunked => response.push_str("Transfer-Encoding: chunked\r\n\r\n"),
            Framing::CloseDelimited => response.push_str("Connection: close\r\n\r\n"),
        }
        writer
            .write_all(response.as_bytes())
            .expect("sending the response head");
        match framing {
            // Bytes past Content-Length (as a connection kept open for a
            // next response would carry) are not the body: a client that
            // read to the end instead would print them.
            Framing::ContentLength => {
                writer.write_all(&body).expect("sending the body");
                writer
                    .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
                    .expect("sending what follows the body")
            }
            Framing::CloseDelimited => writer.write_all(&body).expect("sending the body"),
            Framing::Chunked => {
                // Chunk sizes cycle through tiny, odd, page-sized and large,
                // some with a chunk extension, then a trailer.
                const SIZES: &[usize] = &[
                    1, 2, 3, 7, 16, 100, 255, 256, 1000, 4095, 4096, 4097, 10_000, 65_536, 100_003,
                ];
                let mut offset = 0;
                let mut turn = 0;
                while offset < body.len() {
                    let size = SIZES[turn % SIZES.len()].min(body.len() - offset);
                    let extension = if turn % 5 == 0 { ";name=value" } else { "" };
                    let size_text = if turn % 2 == 0 {
                        format!("{size:x}")
                    } else {
                        format!("{size:X}")
                    };
                    write!(writer, "{size_text}{extension}\r\n").expect("sending a chunk size");
                    writer
                        .write_all(&body[offset..offset + size])
                        .expect("sending a chunk");
                    writer.write_all(b"\r\n").expect("ending a chunk");
                    offset += size;
                    turn += 1;
                }
                writer
                    .write_all(b"0\r\nX-Trailer: done\r\n\r\n")
                    .expect("sending the last chunk");
            }
        }
        writer.flush().expect("flushing the response");
        let stream = writer
            .into_inner()
            .map_err(|_| "flushing")
            .expect("finishing the response");
        // End the close-delimited body (and every response: the client
        // asked for Connection: close).
        let _ = stream.shutdown(Shutdown::Write);
        // Let the client finish reading before the socket goes away.
        let _ = read_to_end_bounded(&mut reader, 1024 * 1024, "native HTTP server");
        head
    });
    (addr, handle)
}

fn http_get(addr: SocketAddr, path: &str) -> Output {
    http_get_as("http-get", addr, path)
}

fn http_get_as(name: &str, addr: SocketAddr, path: &str) -> Output {
    Wasock::new(WASOCK, guest(name))
        // Numeric, but the host asks for the DNS grant for any
        // address-information call until it adopts the policy's
        // check_address_information (numeric hosts need no grant).
        .flag("--allow-dns")
        .flag("--allow-connect")
        .flag(addr.to_string())
        .arg(format!("http://{addr}{path}"))
        .run(FINISH)
}

fn check_http_body(framing: Framing, seed: u8) {
    check_http_body_as("http-get", framing, seed);
}

fn check_http_body_as(name: &str, framing: Framing, seed: u8) {
    let body = pattern(3 * 1024 * 1024 + 17, seed);
    let (addr, server) = native_http_server("200 OK", body.clone(), framing);
    let output = http_get_as(name, addr, "/data.bin?x=1");
    assert!(
        output.status.success(),
        "http-get with {framing:?}\n{}",
        output_text(&output)
    );
    assert_same_bytes(&format!("body framed {framing:?}"), &body, &output.stdout);
    let head = server.join().expect("native HTTP server failed");
    assert!(
        head.starts_with("GET /data.bin?x=1 HTTP/1.1\r\n"),
        "request was {head:?}"
    );
    assert!(
        head.to_lowercase().contains(&format!("host: {addr}\r\n")),
        "request was {head:?}"
    );
}

#[test]
fn http_get_reads_a_content_length_body() {
    check_http_body(Framing::ContentLength, 1);
}

/// The same, with `http-get` as the examples' WASI 0.3 build compiles it
/// (the SDK's `p3` feature: the blocking API is the same in both).
#[test]
fn http_get_built_with_the_p3_feature_reads_a_chunked_body() {
    check_http_body_as("http-get@p3", Framing::Chunked, 4);
}

#[test]
fn http_get_reads_a_chunked_body() {
    check_http_body(Framing::Chunked, 2);
}

#[test]
fn http_get_reads_a_close_delimited_body() {
    check_http_body(Framing::CloseDelimited, 3);
}

#[test]
fn http_get_reads_an_empty_body_of_a_url_without_path() {
    let (addr, server) = native_http_server("200 OK", Vec::new(), Framing::ContentLength);
    // No path in the URL: the request is for "/".
    let output = http_get(addr, "");
    assert!(output.status.success(), "{}", output_text(&output));
    assert!(output.stdout.is_empty(), "{}", output_text(&output));
    let head = server.join().expect("native HTTP server failed");
    assert!(
        head.starts_with("GET / HTTP/1.1\r\n"),
        "request was {head:?}"
    );
}

#[test]
fn http_get_of_a_404_fails_with_the_status_line() {
    let (addr, server) = native_http_server(
        "404 Not Found",
        b"no such thing\n".to_vec(),
        Framing::ContentLength,
    );
    let output = http_get(addr, "/missing");
    let line = assert_clean_failure("http-get", &output);
    assert!(
        line.contains("HTTP/1.1 404 Not Found"),
        "{}",
        output_text(&output)
    );
    assert!(
        output.stdout.is_empty(),
        "a failed GET prints no body\n{}",
        output_text(&output)
    );
    let _ = server.join();
}

#[test]
fn http_get_rejects_a_non_http_url() {
    let output = Wasock::new(WASOCK, guest("http-get"))
        .arg("https://127.0.0.1/")
        .run(FINISH);
    assert_clean_failure("http-get", &output);
}

// ---------------------------------------------------------------------------
// async-http-get
// ---------------------------------------------------------------------------

/// A native HTTP/1.1 server answering one request with `response`, as it
/// is.
fn one_response_server(response: Vec<u8>) -> SocketAddr {
    let (listener, address) = listener();
    thread::spawn(move || {
        let Ok((mut stream, _)) = listener.accept() else {
            return;
        };
        let _ = stream.set_read_timeout(Some(common::IO_TIMEOUT));
        let mut request = Vec::new();
        let mut byte = [0u8; 1];
        while !request.ends_with(b"\r\n\r\n") && request.len() < 64 * 1024 {
            if stream.read_exact(&mut byte).is_err() {
                return;
            }
            request.push(byte[0]);
        }
        let _ = stream.write_all(&response);
    });
    address
}

fn async_http_get(name: &str, address: SocketAddr) -> std::process::Output {
    Wasock::new(WASOCK, guest(name))
        .flag("--allow-connect")
        .flag(address.to_string())
        .arg(format!("http://{address}/file"))
        .run(common::TIMEOUT)
}

/// `async-http-get` prints a `Content-Length` body and a chunked one
/// byte for byte, and fails on a 404 with the status line.
#[test]
fn async_http_get_reads_length_and_chunked_bodies_and_fails_on_404() {
    reads_length_and_chunked_bodies_and_fails_on_404("async-http-get");
}

/// The same, built for WASI 0.3: the connect, the request and the
/// reading through `AsyncReader` are subtasks of `wasock:socket@0.2.0`
/// (the lookup is the blocking API's, in the same guest).
#[test]
fn async_http_get_built_for_wasi_03_reads_length_and_chunked_bodies_and_fails_on_404() {
    reads_length_and_chunked_bodies_and_fails_on_404("async-http-get@p3");
}

fn reads_length_and_chunked_bodies_and_fails_on_404(name: &str) {
    let body: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
    let mut response = format!(
        "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    response.extend_from_slice(&body);
    let output = async_http_get(name, one_response_server(response));
    assert!(output.status.success(), "{}", output_text(&output));
    assert!(output.stdout == body, "the Content-Length body differs");

    let mut chunked = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
    for chunk in body.chunks(70_000) {
        chunked.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
        chunked.extend_from_slice(chunk);
        chunked.extend_from_slice(b"\r\n");
    }
    chunked.extend_from_slice(b"0\r\n\r\n");
    let output = async_http_get(name, one_response_server(chunked));
    assert!(output.status.success(), "{}", output_text(&output));
    assert!(output.stdout == body, "the chunked body differs");

    let output = async_http_get(
        name,
        one_response_server(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n".to_vec()),
    );
    assert!(!output.status.success(), "{}", output_text(&output));
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("404 Not Found"),
        "{}",
        output_text(&output)
    );
}

// ---------------------------------------------------------------------------
// resolve
// ---------------------------------------------------------------------------

#[test]
fn resolve_localhost_prints_loopback_addresses_and_names() {
    let output = Wasock::new(WASOCK, guest("resolve"))
        .flag("--allow-dns")
        .arg("localhost")
        .arg("80")
        .run(FINISH);
    assert!(output.status.success(), "{}", output_text(&output));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("127.0.0.1:80") || stdout.contains("[::1]:80"),
        "no loopback address in\n{}",
        output_text(&output)
    );
    assert!(
        stdout.contains("name-information"),
        "no name-information in\n{}",
        output_text(&output)
    );
}

#[test]
fn resolve_a_numeric_address_round_trips() {
    resolve_a_numeric_address_round_trips_as("resolve");
}

/// The same, with `resolve` as the examples' WASI 0.3 build compiles it
/// (the SDK's `p3` feature: the blocking API is the same in both).
#[test]
fn resolve_a_numeric_address_round_trips_built_with_the_p3_feature() {
    resolve_a_numeric_address_round_trips_as("resolve@p3");
}

fn resolve_a_numeric_address_round_trips_as(name: &str) {
    let output = Wasock::new(WASOCK, guest(name))
        .flag("--allow-dns")
        .arg("127.0.0.1")
        .run(FINISH);
    assert!(output.status.success(), "{}", output_text(&output));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("af/inet sock/stream ipproto/tcp 127.0.0.1"),
        "{}",
        output_text(&output)
    );
    assert!(stdout.contains("127.0.0.1"), "{}", output_text(&output));
}

#[test]
fn resolve_without_dns_grant_is_denied() {
    let output = Wasock::new(WASOCK, guest("resolve"))
        .arg("localhost")
        .run(FINISH);
    let line = assert_clean_failure("resolve", &output);
    assert!(is_permission_denied(&line), "{}", output_text(&output));
}

// ---------------------------------------------------------------------------
// udp-echo
// ---------------------------------------------------------------------------

/// Datagrams from 1 byte to nearly 64 KiB each come back whole.
#[test]
fn udp_echo_returns_datagrams_of_every_size() {
    udp_echo_returns_datagrams_of_every_size_as("udp-echo");
}

/// The same, with `udp-echo` as the examples' WASI 0.3 build compiles it
/// (the SDK's `p3` feature: the blocking API is the same in both).
#[test]
fn udp_echo_returns_datagrams_of_every_size_built_with_the_p3_feature() {
    udp_echo_returns_datagrams_of_every_size_as("udp-echo@p3");
}

fn udp_echo_returns_datagrams_of_every_size_as(name: &str) {
    const SIZES: &[usize] = &[1, 100, 1472, 9000, 60_000];
    let client = UdpSocket::bind("127.0.0.1:0").expect("binding the native UDP client");
    client
        .set_read_timeout(Some(IO_TIMEOUT))
        .expect("read timeout");
    let client_addr = client.local_addr().expect("client address");

    let mut server = Wasock::new(WASOCK, guest(name))
        .flag("--allow-bind")
        .flag("127.0.0.1:0")
        .flag("--allow-connect")
        .flag(client_addr.to_string())
        .arg("127.0.0.1:0")
        .arg(SIZES.len().to_string())
        .spawn();
    let server_addr = server.wait_for_listening(START);

    let mut echo = vec![0u8; 70_000];
    for (index, &size) in SIZES.iter().enumerate() {
        let datagram = pattern(size, index as u8);
        let sent = client
            .send_to(&datagram, server_addr)
            .unwrap_or_else(|error| panic!("sending {size} bytes: {error}"));
        assert_eq!(sent, size);
        let (n, from) = client
            .recv_from(&mut echo)
            .unwrap_or_else(|error| panic!("no echo of the {size}-byte datagram: {error}"));
        assert_eq!(from, server_addr, "echo came from elsewhere");
        assert_same_bytes(&format!("{size}-byte datagram"), &datagram, &echo[..n]);
    }

    let output = server.wait(FINISH);
    assert!(output.status.success(), "{}", output_text(&output));
}

// ---------------------------------------------------------------------------
// unix-echo
// ---------------------------------------------------------------------------

/// Three clients at once through a unix socket in a granted directory.
#[test]
fn unix_echo_serves_several_clients() {
    unix_echo_serves_several_clients_as("unix-echo");
}

/// The same, with `unix-echo` as the examples' WASI 0.3 build compiles it
/// (the SDK's `p3` feature: the blocking API is the same in both).
#[test]
fn unix_echo_serves_several_clients_built_with_the_p3_feature() {
    unix_echo_serves_several_clients_as("unix-echo@p3");
}

fn unix_echo_serves_several_clients_as(name: &str) {
    const CLIENTS: usize = 3;
    const SIZE: usize = 512 * 1024;
    let dir = TempDir::new("unix");
    let path = dir.path().join("echo.sock");
    let mut server = Wasock::new(WASOCK, guest(name))
        .flag("--allow-unix")
        .flag(dir.path())
        .arg(&path)
        .arg(CLIENTS.to_string())
        .spawn();
    server.wait_for_line("listening on ", START);

    let clients: Vec<_> = (0..CLIENTS)
        .map(|index| {
            let path = path.clone();
            thread::spawn(move || {
                let stream = UnixStream::connect(&path)
                    .unwrap_or_else(|error| panic!("connecting to {}: {error}", path.display()));
                stream
                    .set_read_timeout(Some(IO_TIMEOUT))
                    .expect("read timeout");
                stream
                    .set_write_timeout(Some(IO_TIMEOUT))
                    .expect("write timeout");
                let data = pattern(SIZE, 100 + index as u8);
                let what = format!("unix client {index}");
                let echo = echo_through(stream, data.clone(), &what);
                assert_same_bytes(&what, &data, &echo);
            })
        })
        .collect();
    for (index, client) in clients.into_iter().enumerate() {
        assert!(client.join().is_ok(), "unix client {index} failed");
    }

    let output = server.wait(FINISH);
    assert!(output.status.success(), "{}", output_text(&output));
}

#[test]
fn unix_echo_outside_the_granted_directory_is_denied() {
    let granted = TempDir::new("grant");
    let other = TempDir::new("other");
    let output = Wasock::new(WASOCK, guest("unix-echo"))
        .flag("--allow-unix")
        .flag(granted.path())
        .arg(other.path().join("echo.sock"))
        .run(FINISH);
    let line = assert_clean_failure("unix-echo", &output);
    assert!(is_permission_denied(&line), "{}", output_text(&output));
}
