//! The guest SDK (`wasock`) through the real binary against native peers on
//! loopback: the i/o ports over TCP (with the program's port parameters),
//! a port's writer against a peer that stops reading (nothing sent twice;
//! the non-blocking mode never waits), `send_all` chunking of a connected
//! UDP socket, `connect_any`, timeouts, error classes and
//! `io::ErrorKind`s, socket options and constants, the `Poller`, and
//! zero-timeout readiness against `poll(2)`.
//!
//! The pure rules (inet-address, `sockaddr->string`, the port buffering
//! arithmetic and its failures) are native unit tests of the SDK: `cargo
//! test -p wasock`.
//!
//! Run: `cargo test -p wasock-host --test e2e sdk::`

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::process::Output;
use std::thread;
use std::time::{Duration, Instant};

use wasock_tests::{Wasock, guest, output_text};

use crate::WASOCK;

const TIMEOUT: Duration = Duration::from_secs(60);
const IO_TIMEOUT: Duration = Duration::from_secs(30);

fn listener() -> (TcpListener, SocketAddr) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("native listener");
    let address = listener.local_addr().expect("listener address");
    (listener, address)
}

/// A loopback port nothing listens on (a probe listener's, closed again).
fn closed_port() -> u16 {
    listener().1.port()
}

/// Accepts one connection within `timeout` (the listener is made
/// non-blocking so a guest that never connects fails the test, not hangs it).
fn accept_within(listener: &TcpListener, timeout: Duration) -> Option<TcpStream> {
    listener
        .set_nonblocking(true)
        .expect("nonblocking listener");
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        match listener.accept() {
            Ok((stream, _)) => {
                stream.set_nonblocking(false).expect("blocking stream");
                stream
                    .set_read_timeout(Some(IO_TIMEOUT))
                    .expect("read timeout");
                stream
                    .set_write_timeout(Some(IO_TIMEOUT))
                    .expect("write timeout");
                return Some(stream);
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => thread::sleep(Duration::from_millis(10)),
            Err(e) => panic!("accept: {e}"),
        }
    }
    None
}

/// How many connections wait in `listener`'s queue now.
fn queued_connections(listener: &TcpListener) -> usize {
    listener
        .set_nonblocking(true)
        .expect("nonblocking listener");
    (0..100).take_while(|_| listener.accept().is_ok()).count()
}

fn assert_success(output: &Output, last_line: &str) {
    assert!(
        output.status.success(),
        "guest failed\n{}",
        output_text(output)
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains(last_line),
        "no {last_line:?} in the output\n{}",
        output_text(output)
    );
}

/// The spec's buffered port example seen from the peer: with a 512-byte
/// buffer, 500 + 526 written bytes arrive as 1024 bytes first (the marker
/// the guest sent straight through the socket comes right after them), the
/// last 2 only with the writer's close; the reader yields lines; closing the
/// writer shuts the write side down (the peer sees end of file).
#[test]
fn ports_over_tcp_buffered_writer_and_reader_lines() {
    let (listener, address) = listener();
    let guest = Wasock::new(WASOCK, guest("sdk_ports_tcp"))
        .flag("--allow-connect")
        .flag(address.to_string())
        .arg(address.to_string())
        .spawn();
    let Some(mut stream) = accept_within(&listener, TIMEOUT) else {
        panic!("the guest never connected\n{}", output_text(&guest.kill()));
    };

    let mut first = vec![0u8; 1025];
    stream
        .read_exact(&mut first)
        .expect("the first 1024 bytes and the marker");
    let mut expected = vec![b'a'; 500];
    expected.extend_from_slice(&[b'b'; 524]);
    expected.push(b'|');
    assert!(
        first == expected,
        "expected 500 a, 524 b, then the marker; got {:?}",
        String::from_utf8_lossy(&first)
    );

    stream.write_all(b"alpha\nbeta\n").expect("send lines");
    stream
        .shutdown(std::net::Shutdown::Write)
        .expect("shutdown write");
    let mut rest = Vec::new();
    stream
        .read_to_end(&mut rest)
        .expect("the rest, to end of file");
    assert_eq!(String::from_utf8_lossy(&rest), "bbgot alpha,beta\n");

    let output = guest.wait(TIMEOUT);
    assert_success(&output, "sdk_ports_tcp: ok, 0 bytes after the lines");
}

/// `send_all` on a connected UDP socket: one datagram per `send_size`
/// chunk, the last smaller; the program's default send size; a datagram
/// port's writer chunks the same way.
#[test]
fn send_all_chunks_a_connected_udp_socket_into_send_size_datagrams() {
    let peer = UdpSocket::bind("127.0.0.1:0").expect("native udp socket");
    peer.set_read_timeout(Some(IO_TIMEOUT))
        .expect("read timeout");
    let address = peer.local_addr().expect("udp address");
    let output = Wasock::new(WASOCK, guest("sdk_udp_send_all"))
        .flag("--allow-connect")
        .flag(address.to_string())
        .arg(address.to_string())
        .run(TIMEOUT);
    assert_success(&output, "sdk_udp_send_all: ok");

    let expected: [(usize, u8); 11] = [
        (512, 1),
        (512, 1),
        (276, 1),
        (400, 2),
        (400, 2),
        (400, 2),
        (100, 2),
        (300, 3),
        (300, 3),
        (300, 3),
        (100, 3),
    ];
    let mut buf = [0u8; 4096];
    for (i, (size, byte)) in expected.into_iter().enumerate() {
        let (n, _) = peer
            .recv_from(&mut buf)
            .unwrap_or_else(|e| panic!("datagram {i}: {e}\n{}", output_text(&output)));
        assert_eq!((n, buf[0]), (size, byte), "datagram {i}");
        assert!(buf[..n].iter().all(|&b| b == byte), "datagram {i} content");
    }
}

/// `connect_any` moves on after a refused address, reports the last error
/// when all are refused, and stops at a fatal (policy) error.
#[test]
fn connect_any_moves_on_after_refused_and_stops_at_fatal() {
    let refused = closed_port();
    let (open, address) = listener();
    let output = Wasock::new(WASOCK, guest("sdk_connect_any"))
        .flag("--allow-connect")
        .flag(format!("127.0.0.1:{refused}"))
        .flag("--allow-connect")
        .flag(address.to_string())
        .arg(refused.to_string())
        .arg(address.port().to_string())
        .run(TIMEOUT);
    assert_success(&output, "sdk_connect_any: ok");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains(&format!("connected to {address}")),
        "{}",
        output_text(&output)
    );
    assert_eq!(
        queued_connections(&open),
        1,
        "only the first list reached the listener\n{}",
        output_text(&output)
    );
}

/// Per-call, per-socket and program-wide receive timeouts and the accept
/// timeout fire with class timeout and `io::ErrorKind::TimedOut`.
#[test]
fn timeouts_fire_with_class_timeout() {
    let (_silent, address) = listener();
    let output = Wasock::new(WASOCK, guest("sdk_timeouts"))
        .flag("--allow-connect")
        .flag(address.to_string())
        .flag("--allow-bind")
        .flag("127.0.0.1:*")
        .arg(address.to_string())
        .run(TIMEOUT);
    assert_success(&output, "sdk_timeouts: ok");
}

/// Real host errors keep their class and code and map to the right
/// `io::ErrorKind` (AddrInUse, ConnectionRefused, PermissionDenied,
/// NotConnected, Unsupported, InvalidInput).
#[test]
fn errors_map_to_io_error_kinds() {
    let (_in_use, address) = listener();
    let refused = closed_port();
    let output = Wasock::new(WASOCK, guest("sdk_errors"))
        .flag("--allow-bind")
        .flag("127.0.0.1:*")
        .flag("--allow-connect")
        .flag(format!("127.0.0.1:{refused}"))
        .arg(address.port().to_string())
        .arg(refused.to_string())
        .run(TIMEOUT);
    assert_success(&output, "sdk_errors: ok");
}

/// Typed options round trip, the low-level SO_LINGER example agrees with
/// the typed accessor, and the constants are the host's (Linux) numbers.
#[test]
fn options_round_trip_and_constants_come_from_the_host() {
    let output = Wasock::new(WASOCK, guest("sdk_options"))
        .flag("--allow-bind")
        .flag("127.0.0.1:*")
        .run(TIMEOUT);
    assert_success(&output, "sdk_options: ok");
    let stdout = String::from_utf8_lossy(&output.stdout);
    if cfg!(target_os = "linux") {
        for line in [
            "sol/socket=1",
            "so/reuseaddr=2",
            "ipproto/tcp=6",
            "tcp/nodelay=1",
            "so/linger=13",
            "af/inet=2 sock/dgram=2",
        ] {
            assert!(
                stdout.lines().any(|l| l == line),
                "no line {line:?}\n{}",
                output_text(&output)
            );
        }
    }
}

/// One guest serves several open connections through the `Poller`: the
/// last client to connect is answered while the first two stay idle.
#[test]
fn poller_serves_several_connections_without_threads() {
    let mut server = Wasock::new(WASOCK, guest("sdk_poll"))
        .flag("--allow-bind")
        .flag("127.0.0.1:*")
        .arg("3")
        .spawn();
    let address = server.wait_for_listening(TIMEOUT);
    let mut clients: Vec<TcpStream> = (0..3)
        .map(|_| {
            let stream =
                TcpStream::connect_timeout(&address, IO_TIMEOUT).expect("connect to the guest");
            stream
                .set_read_timeout(Some(IO_TIMEOUT))
                .expect("read timeout");
            stream
        })
        .collect();
    for i in [2, 0, 1] {
        let message = format!("hello from client {i}\n");
        clients[i].write_all(message.as_bytes()).expect("send");
        let mut echo = vec![0u8; message.len()];
        clients[i]
            .read_exact(&mut echo)
            .unwrap_or_else(|e| panic!("echo to client {i}: {e}"));
        assert_eq!(echo, message.as_bytes());
    }
    drop(clients);
    let output = server.wait(TIMEOUT);
    assert_success(&output, "sdk_poll: ok, served 3 clients");
}

/// Resolution through the host: numeric nodes and services, the spec's
/// empty list for `(address-information #f #f)`, passive and loopback
/// defaults, numeric `name-information`, and `connect_any` over results.
#[test]
fn resolution_and_connect_any_over_its_results() {
    let (open, address) = listener();
    let output = Wasock::new(WASOCK, guest("sdk_resolve"))
        .flag("--allow-dns")
        .flag("--allow-connect")
        .flag(address.to_string())
        .arg(address.port().to_string())
        .run(TIMEOUT);
    assert_success(&output, "sdk_resolve: ok");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("\"127.0.0.1:80\" af/inet sock/stream ipproto/tcp"),
        "{}",
        output_text(&output)
    );
    assert!(
        stdout.contains("(\"127.0.0.1\" . 80)"),
        "{}",
        output_text(&output)
    );
    assert!(
        stdout.contains(&format!("connected to {address}")),
        "{}",
        output_text(&output)
    );
    assert_eq!(queued_connections(&open), 1);
}

/// Byte `i` of the counting stream `ports_stalled_peer` writes: byte
/// `i % 4` of the big-endian `u32` `i / 4`, so a byte sent twice or lost
/// breaks the count.
fn stream_byte(i: usize) -> u8 {
    ((i / 4) as u32).to_be_bytes()[i % 4]
}

/// A port's writer against a peer that stops reading (`ports_stalled_peer
/// MODE`): the writer stalls with `stalled` (the error its last write or
/// flush met); then the peer reads again while the guest finishes. The peer
/// must read exactly the bytes the writes took, in order: nothing sent twice
/// (a failed send used to leave bytes that had gone out in the buffer, for
/// the close to send again), nothing lost. Returns the guest's output.
fn writer_against_a_stalled_peer(mode: &str, stalled: &str) -> Output {
    let listener =
        socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).expect("socket");
    listener.set_recv_buffer_size(4096).expect("SO_RCVBUF");
    listener
        .bind(&"127.0.0.1:0".parse::<SocketAddr>().expect("address").into())
        .expect("bind");
    listener.listen(1).expect("listen");
    let listener: TcpListener = listener.into();
    let address = listener.local_addr().expect("address");
    let mut guest = Wasock::new(WASOCK, guest("ports_stalled_peer"))
        .flag("--allow-connect")
        .flag(address.to_string())
        .arg(mode)
        .arg(address.to_string())
        .spawn();
    let Some(mut stream) = accept_within(&listener, TIMEOUT) else {
        panic!("the guest never connected\n{}", output_text(&guest.kill()));
    };
    // Not reading until the guest's writer has stalled.
    let line = guest.wait_for_line("stalled: ", TIMEOUT);
    let taken: usize = line
        .split("taken ")
        .nth(1)
        .and_then(|rest| rest.split(',').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no count in {line:?}"));
    assert!(
        line.starts_with(&format!("stalled: {stalled},")),
        "the writer stalled with {stalled}: {line}"
    );
    let mut received = Vec::new();
    stream
        .read_to_end(&mut received)
        .expect("everything, to end of file");
    let output = guest.wait(TIMEOUT);
    assert_success(&output, "ports_stalled_peer: ok");
    let first_wrong = (0..received.len()).find(|&i| received[i] != stream_byte(i));
    assert_eq!(
        first_wrong,
        None,
        "byte {first_wrong:?} of {} breaks the stream (sent twice or lost)\n{}",
        received.len(),
        output_text(&output)
    );
    assert_eq!(
        received.len(),
        taken,
        "the peer got what the writes took\n{}",
        output_text(&output)
    );
    output
}

/// The guest's flush after the stall failed on its timeout with bytes
/// still buffered, which the close then had to send.
fn assert_a_flush_failed_with_bytes_buffered(output: &Output) {
    let stdout = String::from_utf8_lossy(&output.stdout);
    let buffered: usize = stdout
        .lines()
        .find_map(|l| l.strip_prefix("flush after the stall: timeout/timed-out, buffered "))
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no failed flush\n{}", output_text(output)));
    assert!(buffered > 0, "{}", output_text(output));
}

/// A failed send (its timeout) leaves exactly the unsent bytes buffered,
/// after a write and after a flush: closing the writer afterwards sends
/// those, and nothing twice.
#[test]
fn ports_writer_closed_after_a_stalled_peer_sends_nothing_twice() {
    let output = writer_against_a_stalled_peer("close", "timeout/timed-out");
    assert_a_flush_failed_with_bytes_buffered(&output);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("close: ok"), "{}", output_text(&output));
}

/// As above, dropping the writer instead of closing it.
#[test]
fn ports_writer_dropped_after_a_stalled_peer_sends_nothing_twice() {
    let output = writer_against_a_stalled_peer("drop", "timeout/timed-out");
    assert_a_flush_failed_with_bytes_buffered(&output);
}

/// A writer in non-blocking mode never waits on a peer that stops
/// reading, though the socket's send timeout is 30 s: its writes take
/// every byte and return at once, its flush and `Socket::try_send` answer
/// `would-block`, and once the peer reads again, flushing whenever the
/// socket is writable delivers the whole stream.
#[test]
fn ports_nonblocking_writer_never_waits_on_a_stalled_peer() {
    let output = writer_against_a_stalled_peer("nonblocking", "transient/would-block");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let line = stdout
        .lines()
        .find_map(|l| l.strip_prefix("nonblocking: "))
        .unwrap_or_else(|| panic!("no nonblocking line\n{}", output_text(&output)));
    let millis: u64 = line
        .strip_prefix("flush transient/would-block, try_send transient/would-block, ")
        .and_then(|rest| rest.strip_suffix(" ms"))
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{line}\n{}", output_text(&output)));
    assert!(
        millis < 5000,
        "the writes took {millis} ms: something waited"
    );
}

/// A zero-timeout readiness check agrees with `poll(2)`: each of 3000
/// rounds, as soon as `receive_ready()` (the host's direct `poll(2)`) sees
/// the peer's byte, `Subscription::is_ready()` and
/// `Poller::wait(Some(ZERO))` must see it too.
#[test]
fn zero_timeout_readiness_agrees_with_poll() {
    const ROUNDS: usize = 3000;
    let mut guest = Wasock::new(WASOCK, guest("poll_zero_timeout"))
        .flag("--allow-bind")
        .flag("127.0.0.1:0")
        .arg(ROUNDS.to_string())
        .spawn();
    let address = guest.wait_for_listening(TIMEOUT);
    let mut peer = TcpStream::connect_timeout(&address, IO_TIMEOUT).expect("connect");
    peer.set_nodelay(true).expect("TCP_NODELAY");
    for round in 0..ROUNDS {
        guest.wait_for_line(&format!("round {round}"), TIMEOUT);
        peer.write_all(&[round as u8]).expect("a byte");
    }
    let output = guest.wait(TIMEOUT);
    assert_success(&output, "poll_zero_timeout: ok");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains(&format!("missed: subscription 0, poller 0 of {ROUNDS}")),
        "{}",
        output_text(&output)
    );
}
