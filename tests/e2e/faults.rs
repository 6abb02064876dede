//! Faults (issue 8): peers that misbehave, networks that do not answer,
//! names that do not resolve, guests that die with data in flight. Native
//! peers on loopback, or inside network namespaces these tests create
//! themselves (and always delete); the namespace tests are skipped, with
//! a printed reason, where namespaces cannot be made (no root, no `ip`).

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::thread;
use std::time::{Duration, Instant};

use wasock_tests::{Namespace, Wasock, guest, output_text};

use crate::WASOCK;

/// The guest's stdout line starting with `prefix`, or a panic showing the
/// whole output.
fn line_with<'a>(stdout: &'a str, prefix: &str, all: &str) -> &'a str {
    stdout
        .lines()
        .find(|l| l.starts_with(prefix))
        .unwrap_or_else(|| panic!("no line starting with {prefix:?}:\n{all}"))
}

fn run_ok(command: Wasock) -> (String, String) {
    let output = command.run(Duration::from_secs(60));
    let text = output_text(&output);
    assert!(output.status.success(), "{text}");
    assert!(!text.contains("panicked"), "the host panicked: {text}");
    (String::from_utf8_lossy(&output.stdout).into_owned(), text)
}

/// A peer that resets the connection mid-stream (SO_LINGER 0, then close)
/// after reading the guest's line: the guest's receive fails with
/// `connection-reset`, and a send after it fails too; the guest carries on.
#[test]
fn peer_reset_mid_stream_is_connection_reset() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("listener");
    let address = listener.local_addr().expect("address");
    let peer = thread::spawn(move || {
        let (mut stream, _) = listener.accept().expect("the guest connects");
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .expect("timeout");
        let mut line = [0u8; 9];
        stream.read_exact(&mut line).expect("the guest's line");
        assert_eq!(&line, b"reset me\n");
        let socket = socket2::Socket::from(stream);
        socket
            .set_linger(Some(Duration::ZERO))
            .expect("SO_LINGER 0");
        drop(socket); // close(2) with linger 0: RST
    });
    let (stdout, text) = run_ok(
        Wasock::new(WASOCK, guest("fault_peer_reset"))
            .flag("--allow-connect")
            .flag(address.to_string())
            .arg(address.to_string()),
    );
    peer.join().expect("the native peer");
    assert!(
        line_with(&stdout, "receive: ", &text).starts_with("receive: fatal/connection-reset"),
        "{text}"
    );
    let send = line_with(&stdout, "send: ", &text);
    assert!(
        send.starts_with("send: fatal/broken-pipe")
            || send.starts_with("send: fatal/connection-reset"),
        "{text}"
    );
    line_with(&stdout, "fault peer reset done", &text);
}

/// Half-close: the guest shuts down its write side; the native peer reads
/// the request and then end of file, and can still send; the guest
/// receives that reply to the end.
#[test]
fn half_close_peer_reads_eof_and_still_sends() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("listener");
    let address = listener.local_addr().expect("address");
    let peer = thread::spawn(move || {
        let (mut stream, _) = listener.accept().expect("the guest connects");
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .expect("timeout");
        let mut request = Vec::new();
        stream
            .read_to_end(&mut request)
            .expect("read to the guest's EOF");
        stream
            .write_all(b"response after eof")
            .expect("the peer can still send");
        stream.shutdown(Shutdown::Write).expect("peer shutdown");
        request
    });
    let (stdout, text) = run_ok(
        Wasock::new(WASOCK, guest("fault_half_close"))
            .flag("--allow-connect")
            .flag(address.to_string())
            .arg(address.to_string()),
    );
    let request = peer.join().expect("the native peer");
    assert_eq!(request, b"request", "the peer got the request, then EOF");
    assert!(
        line_with(&stdout, "send after shutdown: ", &text)
            .starts_with("send after shutdown: fatal/broken-pipe")
    );
    assert_eq!(
        line_with(&stdout, "got: ", &text),
        "got: response after eof",
        "{text}"
    );
}

/// A closed port: refused, class transient.
#[test]
fn connect_to_a_closed_port_is_transient_refused() {
    let port = {
        let listener = TcpListener::bind("127.0.0.1:0").expect("listener");
        listener.local_addr().expect("address").port()
    };
    let target = format!("127.0.0.1:{port}");
    let (stdout, text) = run_ok(
        Wasock::new(WASOCK, guest("fault_connect"))
            .flag("--allow-connect")
            .flag(&target)
            .arg(&target)
            .arg("5000"),
    );
    assert!(
        line_with(&stdout, "connect: ", &text).starts_with("connect: transient/connection-refused"),
        "{text}"
    );
    line_with(&stdout, "fault connect done", &text);
}

/// Loopback, no privileges: a native listener with backlog 0 whose queue
/// is full drops further SYNs, so the guest's connect with a 500 ms
/// timeout fails with class `timeout`.
#[test]
fn connect_timeout_against_a_full_backlog() {
    let backlog =
        wasock_tests::full_backlog(0).expect("64 connections fitted in a backlog-0 queue");
    let address = backlog.address;
    let target = address.to_string();
    let (stdout, text) = run_ok(
        Wasock::new(WASOCK, guest("fault_connect"))
            .flag("--allow-connect")
            .flag(&target)
            .arg(&target)
            .arg("500"),
    );
    assert!(
        line_with(&stdout, "connect: ", &text).starts_with("connect: timeout/timed-out"),
        "{text}"
    );
    line_with(&stdout, "fault connect done", &text);
    drop(backlog);
}

/// A name that does not resolve, with `--allow-dns`: `name-not-found`
/// (where the machine's resolver answers at all; an offline resolver gives
/// `name-temporary-failure`, which the test accepts, saying so).
#[test]
fn nonexistent_name_is_name_not_found() {
    let start = Instant::now();
    let (stdout, text) = run_ok(
        Wasock::new(WASOCK, guest("fault_resolve"))
            .flag("--allow-dns")
            .arg("nonexistent.invalid")
            .arg("1")
            .arg("0"),
    );
    let line = line_with(&stdout, "resolve 0: ", &text);
    if line.starts_with("resolve 0: transient/name-temporary-failure") {
        eprintln!(
            "faults: this machine's resolver does not answer (name-temporary-failure); name-not-found unchecked"
        );
    } else {
        assert!(
            line.starts_with("resolve 0: fatal/name-not-found"),
            "{text}"
        );
    }
    eprintln!(
        "faults: nonexistent.invalid resolved to an error in {:?}",
        start.elapsed()
    );
}

/// A native peer that does not read yet, and a guest that fills the
/// socket's buffers and traps with the data in flight: the host process
/// exits (134) without hanging, and the peer then reads what was sent and
/// end of file (or a reset).
#[test]
fn guest_trapping_with_data_in_flight_exits_and_peer_sees_the_end() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("listener");
    let address = listener.local_addr().expect("address");
    let mut running = Wasock::new(WASOCK, guest("fault_trap_while_sending"))
        .flag("--allow-connect")
        .flag(address.to_string())
        .arg(address.to_string())
        .spawn();
    let (mut stream, _) = listener.accept().expect("the guest connects");
    running.wait_for_line("buffers full", Duration::from_secs(30));
    let output = running.wait(Duration::from_secs(30));
    assert_eq!(output.status.code(), Some(134), "{}", output_text(&output));
    assert_peer_sees_the_end(&mut stream);
}

/// The same guest killed from outside (SIGKILL of the host process) while
/// its data is in flight: the peer reads to end of file or a reset.
#[test]
fn guest_killed_with_data_in_flight_peer_sees_the_end() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("listener");
    let address = listener.local_addr().expect("address");
    let mut running = Wasock::new(WASOCK, guest("fault_trap_while_sending"))
        .flag("--allow-connect")
        .flag(address.to_string())
        .arg(address.to_string())
        .arg("hold")
        .spawn();
    let (mut stream, _) = listener.accept().expect("the guest connects");
    running.wait_for_line("buffers full", Duration::from_secs(30));
    let output = running.kill();
    assert!(!output.status.success(), "{}", output_text(&output));
    assert_peer_sees_the_end(&mut stream);
}

/// Reads until EOF or a reset, bounded (30 s, 1 GiB); at least one byte
/// must have arrived.
fn assert_peer_sees_the_end(stream: &mut TcpStream) {
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .expect("timeout");
    let mut buffer = vec![0u8; 256 * 1024];
    let mut total = 0usize;
    loop {
        match stream.read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => total += n,
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => break,
            Err(e) => {
                panic!("the peer did not see the end of the connection: {e} after {total} bytes")
            }
        }
        assert!(total < 1 << 30, "more than 1 GiB from a guest that stopped");
    }
    assert!(total > 0, "the guest's data never arrived");
}

/// Connect timeout against a peer that never answers, inside a namespace
/// of our own: 10.200.0.2 is routed to `lo` there but is no local address,
/// so its SYNs are dropped (no forwarding) and nothing leaves the
/// namespace. The guest's connect with a 500 ms timeout fails with class
/// `timeout`.
#[test]
fn connect_timeout_in_a_namespace_where_syns_are_dropped() {
    let Some(namespace) =
        Namespace::create("connect_timeout_in_a_namespace_where_syns_are_dropped")
    else {
        return;
    };
    assert!(
        namespace.ip(&["route", "add", "10.200.0.2/32", "dev", "lo"]),
        "route in {}",
        namespace.name()
    );
    let output = namespace.run(
        WASOCK,
        &["--allow-connect", "10.200.0.2:80"],
        "fault_connect",
        &["10.200.0.2:80", "500"],
        Duration::from_secs(60),
    );
    let text = output_text(&output);
    assert!(output.status.success(), "{text}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        line_with(&stdout, "connect: ", &text).starts_with("connect: timeout/timed-out"),
        "{text}"
    );
}

/// The limit on resolutions in flight, inside a namespace of our own where
/// the system's name servers are routed to `lo` and so never answer: each
/// resolution times out for the guest (20 ms) but its resolver thread runs
/// on, so after 16 (the default limit) the guest's calls fail at once with
/// `transient/would-block`, and the guest keeps running. The host process
/// exits without waiting for those threads.
#[test]
fn resolutions_in_flight_are_limited() {
    let servers: Vec<String> = std::fs::read_to_string("/etc/resolv.conf")
        .unwrap_or_default()
        .lines()
        .filter_map(|l| {
            l.trim()
                .strip_prefix("nameserver")
                .map(|s| s.trim().to_owned())
        })
        .filter(|s| s.parse::<std::net::Ipv4Addr>().is_ok())
        .collect();
    if servers.is_empty() {
        eprintln!(
            "SKIPPED resolutions_in_flight_are_limited: no IPv4 nameserver in /etc/resolv.conf"
        );
        return;
    }
    let Some(namespace) = Namespace::create("resolutions_in_flight_are_limited") else {
        return;
    };
    for server in &servers {
        assert!(
            namespace.ip(&["route", "add", &format!("{server}/32"), "dev", "lo"]),
            "route to {server}"
        );
    }
    let start = Instant::now();
    let output = namespace.run(
        WASOCK,
        &["--allow-dns"],
        "fault_resolve",
        &["wasock-never-answered.invalid", "24", "20"],
        Duration::from_secs(60),
    );
    let text = output_text(&output);
    assert!(output.status.success(), "{text}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    for i in 0..16 {
        let line = line_with(&stdout, &format!("resolve {i}: "), &text);
        assert!(
            line.contains("timeout/timed-out"),
            "call {i} should time out: {text}"
        );
    }
    for i in 16..24 {
        let line = line_with(&stdout, &format!("resolve {i}: "), &text);
        assert!(
            line.contains("transient/would-block"),
            "call {i} should be over the limit: {text}"
        );
    }
    line_with(&stdout, "fault resolve done", &text);
    eprintln!(
        "faults: 24 resolutions against a silent resolver in {:?}",
        start.elapsed()
    );
}
