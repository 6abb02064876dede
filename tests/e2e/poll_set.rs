//! The poll set (WIT `poll-set`, SDK `wasock::poll::Registry`) through the
//! real binary against native peers on loopback: level- and
//! edge-triggered semantics, zero-timeout waits that agree with `poll(2)`,
//! composition with a timer in one `wasi:io/poll`, hang-up, removal on
//! close and drop, the per-guest bounds; and the servers built on it
//! (`echo-server`, `async-echo-server`) serving every other client while
//! one never reads.
//!
//! Run: `cargo test -p wasock-host --test e2e poll_set::`

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::thread;
use std::time::{Duration, Instant};

use wasock_tests::{Running, Wasock, guest, output_text};

use crate::WASOCK;

const TIMEOUT: Duration = Duration::from_secs(60);
const IO_TIMEOUT: Duration = Duration::from_secs(30);

/// A native peer for `poll_set_semantics`: on each of `connections`
/// connections writes `abcd`, then obeys one-byte commands (`m`: write
/// `more`, `b`: write `x`, `c`: close).
pub(crate) fn scripted_peer(connections: usize) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").expect("native listener");
    let address = listener.local_addr().expect("listener address");
    thread::spawn(move || {
        for _ in 0..connections {
            let Ok((mut stream, _)) = listener.accept() else {
                return;
            };
            thread::spawn(move || {
                let _ = stream.set_read_timeout(Some(TIMEOUT));
                if stream.write_all(b"abcd").is_err() {
                    return;
                }
                let mut command = [0u8; 1];
                // Bounded by the commands the guest sends (a few hundred).
                for _ in 0..10_000 {
                    if stream.read_exact(&mut command).is_err() {
                        return;
                    }
                    let reply: &[u8] = match &command {
                        b"m" => b"more",
                        b"b" => b"x",
                        _ => return,
                    };
                    if stream.write_all(reply).is_err() {
                        return;
                    }
                }
            });
        }
    });
    address
}

/// Level and edge triggering, zero-timeout waits, the set's pollable with
/// a timer, hang-up, removal on close and drop, and the bounds, each
/// checked by the guest (it prints `ok NAME` for each).
#[test]
fn level_edge_zero_timeout_timer_hang_up_removal_and_bounds() {
    let peer = scripted_peer(2);
    let output = Wasock::new(WASOCK, guest("poll_set_semantics"))
        .flag("--allow-connect")
        .flag(peer.to_string())
        .flag("--max-sockets")
        .flag("4")
        .arg(peer.to_string())
        .run(TIMEOUT);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{}", output_text(&output));
    for check in [
        "level",
        "edge",
        "zero-timeout",
        "timer",
        "hang-up",
        "removal",
        "bounds",
    ] {
        assert!(
            stdout.lines().any(|line| line == format!("ok {check}")),
            "no `ok {check}`\n{}",
            output_text(&output)
        );
    }
}

fn start_server(name: &str) -> (Running, SocketAddr) {
    let mut server = Wasock::new(WASOCK, guest(name))
        .flag("--allow-bind")
        .flag("127.0.0.1:*")
        .arg("127.0.0.1:0")
        .spawn();
    let address = server.wait_for_listening(TIMEOUT);
    (server, address)
}

fn connect(address: SocketAddr) -> TcpStream {
    let stream = TcpStream::connect_timeout(&address, IO_TIMEOUT).expect("connect");
    stream.set_read_timeout(Some(IO_TIMEOUT)).expect("timeout");
    stream.set_write_timeout(Some(IO_TIMEOUT)).expect("timeout");
    stream
}

/// One client sends and never reads until the server's socket to it is
/// full both ways; meanwhile two other clients keep getting their echoes.
fn serves_others_while_one_never_reads(name: &str) {
    let (server, address) = start_server(name);
    one_never_reads_the_others_are_served(name, address);
    let output = server.kill();
    assert!(
        !String::from_utf8_lossy(&output.stderr).contains("panicked"),
        "{}",
        output_text(&output)
    );
}

/// The clients of [`serves_others_while_one_never_reads`] against the echo
/// server `name` at `address`: three connections, the first (the hog)
/// closed last.
pub(crate) fn one_never_reads_the_others_are_served(name: &str, address: SocketAddr) {
    // A small receive buffer, so the server's echoes to the hog fill it
    // and the server's sends to it would block soon.
    let hog =
        socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).expect("socket");
    hog.set_recv_buffer_size(4096).expect("SO_RCVBUF");
    hog.connect_timeout(&address.into(), IO_TIMEOUT)
        .expect("connect");
    let mut hog: TcpStream = hog.into();
    hog.set_nonblocking(true).expect("non-blocking");
    let chunk = vec![0x5au8; 64 * 1024];
    let mut pushed = 0usize;
    let mut stalled_since: Option<Instant> = None;
    let start = Instant::now();
    // Write until the writes have been refused for half a second: the
    // server's echo to the hog can go nowhere (the hog never reads), so
    // it stopped receiving from it. Bounded: 256 MiB, 60 s.
    while pushed < 256 << 20 && start.elapsed() < TIMEOUT {
        match hog.write(&chunk) {
            Ok(n) => {
                pushed += n;
                stalled_since = None;
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => {
                let since = *stalled_since.get_or_insert_with(Instant::now);
                if since.elapsed() > Duration::from_millis(500) {
                    break;
                }
                thread::sleep(Duration::from_millis(5));
            }
            Err(e) => panic!("{name}: the never-reading client's write failed: {e}"),
        }
    }
    assert!(
        stalled_since.is_some(),
        "{name}: {pushed} bytes went in and the server still took more"
    );
    let mut others: Vec<TcpStream> = (0..2).map(|_| connect(address)).collect();
    for round in 0..100u32 {
        for (index, other) in others.iter_mut().enumerate() {
            let message = format!("round {round} client {index}\n");
            other.write_all(message.as_bytes()).expect("write");
            let mut echo = vec![0u8; message.len()];
            other.read_exact(&mut echo).unwrap_or_else(|e| {
                panic!("{name}: client {index} got no echo in round {round} while one client never reads: {e}")
            });
            assert_eq!(echo, message.as_bytes());
        }
    }
    // The hog is still served: once it reads, every byte comes back.
    hog.set_nonblocking(false).expect("blocking");
    hog.set_read_timeout(Some(IO_TIMEOUT)).expect("timeout");
    let mut echoed = 0usize;
    let mut buffer = vec![0u8; 1 << 20];
    while echoed < pushed {
        match hog.read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => echoed += n,
            Err(e) => {
                panic!("{name}: the hog's echo stopped after {echoed} of {pushed} bytes: {e}")
            }
        }
    }
    assert_eq!(echoed, pushed, "{name}: the hog's echo");
    drop(others);
    drop(hog);
}

/// `echo-server` (a `Registry` loop) serves everyone else while one
/// client never reads its echoes.
#[test]
fn echo_server_serves_others_while_one_client_never_reads() {
    serves_others_while_one_never_reads("echo-server");
}

/// `async-echo-server` (a task per connection on the SDK's executor)
/// serves everyone else while one client never reads its echoes.
#[test]
fn async_echo_server_serves_others_while_one_client_never_reads() {
    serves_others_while_one_never_reads("async-echo-server");
}

/// `async-echo-server ADDR 3`: three clients at once, each echoed while
/// the others stay connected; the server exits by itself after them.
#[test]
fn async_echo_server_serves_several_clients_and_ends_after_the_last() {
    let mut server = Wasock::new(WASOCK, guest("async-echo-server"))
        .flag("--allow-bind")
        .flag("127.0.0.1:*")
        .arg("127.0.0.1:0")
        .arg("3")
        .spawn();
    let address = server.wait_for_listening(TIMEOUT);
    let mut clients: Vec<TcpStream> = (0..3).map(|_| connect(address)).collect();
    for round in 0..20u32 {
        for index in [2usize, 0, 1] {
            let message: Vec<u8> = (0..1000u32)
                .map(|i| (i * 7 + round + index as u32) as u8)
                .collect();
            clients[index].write_all(&message).expect("write");
            let mut echo = vec![0u8; message.len()];
            clients[index].read_exact(&mut echo).expect("echo");
            assert_eq!(echo, message, "client {index} round {round}");
        }
    }
    drop(clients);
    let output = server.wait(TIMEOUT);
    assert!(output.status.success(), "{}", output_text(&output));
}

/// A native HTTP/1.1 server answering one request with `response`.
fn native_http_server(response: Vec<u8>) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").expect("native listener");
    let address = listener.local_addr().expect("address");
    thread::spawn(move || {
        let Ok((mut stream, _)) = listener.accept() else {
            return;
        };
        let _ = stream.set_read_timeout(Some(IO_TIMEOUT));
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

fn async_http_get(address: SocketAddr) -> std::process::Output {
    Wasock::new(WASOCK, guest("async-http-get"))
        .flag("--allow-connect")
        .flag(address.to_string())
        .arg(format!("http://{address}/file"))
        .run(TIMEOUT)
}

/// `async-http-get` prints a `Content-Length` body and a chunked one
/// byte for byte, and fails on a 404 with the status line.
#[test]
fn async_http_get_reads_length_and_chunked_bodies_and_fails_on_404() {
    let body: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
    let mut response = format!(
        "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    response.extend_from_slice(&body);
    let output = async_http_get(native_http_server(response));
    assert!(output.status.success(), "{}", output_text(&output));
    assert!(output.stdout == body, "the Content-Length body differs");

    let mut chunked = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
    for chunk in body.chunks(70_000) {
        chunked.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
        chunked.extend_from_slice(chunk);
        chunked.extend_from_slice(b"\r\n");
    }
    chunked.extend_from_slice(b"0\r\n\r\n");
    let output = async_http_get(native_http_server(chunked));
    assert!(output.status.success(), "{}", output_text(&output));
    assert!(output.stdout == body, "the chunked body differs");

    let output = async_http_get(native_http_server(
        b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n".to_vec(),
    ));
    assert!(!output.status.success(), "{}", output_text(&output));
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("404 Not Found"),
        "{}",
        output_text(&output)
    );
}

/// A native TCP echo peer (a thread per connection).
pub(crate) fn native_echo() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").expect("native listener");
    let address = listener.local_addr().expect("address");
    thread::spawn(move || {
        for stream in listener.incoming().take(16) {
            let Ok(mut stream) = stream else { continue };
            thread::spawn(move || {
                let _ = stream.set_read_timeout(Some(TIMEOUT));
                let mut buffer = [0u8; 4096];
                while let Ok(n) = stream.read(&mut buffer) {
                    if n == 0 || stream.write_all(&buffer[..n]).is_err() {
                        break;
                    }
                }
            });
        }
    });
    address
}

/// The async SDK under its own executor: `connect_any` past a refused
/// address, `futures-io` writes and `AsyncReader::read_line`, a per-call
/// `timeout` against a silent peer, UDP `send_to` / `receive_from`, and
/// spawned tasks sleeping side by side.
#[test]
fn async_sockets_timeouts_datagrams_and_tasks_under_block_on() {
    let echo = native_echo();
    let refused = {
        let probe = TcpListener::bind("127.0.0.1:0").expect("probe");
        probe.local_addr().expect("address")
    };
    let silent_listener = TcpListener::bind("127.0.0.1:0").expect("silent listener");
    let silent = silent_listener.local_addr().expect("address");
    let udp = std::net::UdpSocket::bind("127.0.0.1:0").expect("udp");
    let udp_address = udp.local_addr().expect("address");
    udp.set_read_timeout(Some(TIMEOUT)).expect("timeout");
    thread::spawn(move || {
        let mut buffer = [0u8; 1500];
        if let Ok((n, from)) = udp.recv_from(&mut buffer) {
            let _ = udp.send_to(&buffer[..n], from);
        }
    });
    let output = Wasock::new(WASOCK, guest("poll_set_async"))
        .flag("--allow-connect")
        .flag("127.0.0.1:*")
        .flag("--allow-bind")
        .flag("127.0.0.1:0")
        .arg(echo.to_string())
        .arg(refused.to_string())
        .arg(silent.to_string())
        .arg(udp_address.to_string())
        .run(TIMEOUT);
    drop(silent_listener);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{}", output_text(&output));
    for check in ["connect-any", "timeout", "datagram", "tasks"] {
        assert!(
            stdout.lines().any(|line| line == format!("ok {check}")),
            "no `ok {check}`\n{}",
            output_text(&output)
        );
    }
}

/// A wasock async socket awaited inside `wstd::runtime::block_on`, beside
/// wstd's own timers.
#[test]
fn async_socket_runs_under_wstd_block_on() {
    let echo = native_echo();
    let output = Wasock::new(WASOCK, guest("poll_set_wstd"))
        .flag("--allow-connect")
        .flag(echo.to_string())
        .arg(echo.to_string())
        .run(TIMEOUT);
    assert!(output.status.success(), "{}", output_text(&output));
    assert!(
        String::from_utf8_lossy(&output.stdout).contains("ok wstd"),
        "{}",
        output_text(&output)
    );
}

/// The refusals and bounds that need no peer: add twice, reregister and
/// deregister of a socket not in the set, `max-events` 1 (the rest in
/// turn), a fresh stream socket hung up, a closed socket.
#[test]
fn refusals_max_events_fresh_hang_up_and_closed() {
    let output = Wasock::new(WASOCK, guest("poll_set_errors")).run(TIMEOUT);
    assert!(output.status.success(), "{}", output_text(&output));
    assert_all_ok(&output);
}

/// The `ok` lines `poll_set_errors` prints, each checked.
pub(crate) const ERRORS_CHECKS: &[&str] =
    &["add-twice", "not-in-set", "max-events", "hang-up", "closed"];

/// Every check of `poll_set_errors` passed.
pub(crate) fn assert_all_ok(output: &std::process::Output) {
    let stdout = String::from_utf8_lossy(&output.stdout);
    for check in ERRORS_CHECKS {
        assert!(
            stdout.lines().any(|line| line == format!("ok {check}")),
            "no `ok {check}`\n{}",
            output_text(output)
        );
    }
}

/// `Subscription` / `wait_any` over a thread's edge-triggered set keep
/// `poll(2)`'s level-triggered contract.
#[test]
fn subscriptions_and_wait_any_are_level_triggered() {
    let peer = scripted_peer(2);
    let output = Wasock::new(WASOCK, guest("poll_set_subscriptions"))
        .flag("--allow-connect")
        .flag(peer.to_string())
        .arg(peer.to_string())
        .run(TIMEOUT);
    assert!(output.status.success(), "{}", output_text(&output));
    assert!(
        String::from_utf8_lossy(&output.stdout).contains("ok subscriptions"),
        "{}",
        output_text(&output)
    );
}
