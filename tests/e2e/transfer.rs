//! Moving data, through guests under the real binary against native peers
//! on loopback: send and receive (echo round trips over IPv4 and IPv6,
//! a wait-all receive), send-to and receive-from, datagrams (truncation,
//! connected datagram sockets, long unix datagrams), `send_all` chunking,
//! the receive, accept and send timeouts firing, and the error classes and
//! `io::ErrorKind`s of what fails.
//!
//! Run: `cargo test -p wasock-host --test e2e transfer::`

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, UdpSocket};
use std::thread;
use std::time::Duration;

use wasock_tests::{TempDir, Wasock, guest, output_text};

use crate::WASOCK;
use crate::common::{
    IO_TIMEOUT, TIMEOUT, after, assert_success, closed_port, connecting_to, hold_connections,
    listener, small_buffer_listener, succeeded,
};

/// A native echo server for one client, line by line; returns how many
/// lines it echoed.
fn native_echo_server() -> (String, thread::JoinHandle<usize>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("listener");
    let address = listener.local_addr().expect("address").to_string();
    let server = thread::spawn(move || {
        let (stream, _) = listener.accept().expect("the guest connects");
        stream
            .set_read_timeout(Some(Duration::from_secs(60)))
            .expect("read timeout");
        let mut writer = stream.try_clone().expect("clone");
        let mut reader = BufReader::new(stream);
        let mut echoed = 0;
        let mut line = String::new();
        for _ in 0..10_000 {
            line.clear();
            match reader.read_line(&mut line) {
                Ok(0) | Err(_) => break,
                Ok(_) => {
                    writer.write_all(line.as_bytes()).expect("echo");
                    echoed += 1;
                }
            }
        }
        echoed
    });
    (address, server)
}

#[test]
fn echo_round_trips_with_a_native_peer() {
    let (address, server) = native_echo_server();
    let output = connecting_to("host_echo_client", &address)
        .arg("50")
        .run(Duration::from_secs(120));
    assert!(output.status.success(), "{}", output_text(&output));
    assert_eq!(String::from_utf8_lossy(&output.stdout), "echoed 50\n");
    assert_eq!(server.join().expect("server"), 50);
}

#[test]
fn echo_over_ipv6() {
    let listener = TcpListener::bind("[::1]:0").expect("listener");
    let address = listener.local_addr().expect("address").to_string();
    let server = thread::spawn(move || {
        let (mut stream, _) = listener.accept().expect("the guest connects");
        stream
            .set_read_timeout(Some(Duration::from_secs(60)))
            .expect("read timeout");
        let mut line = String::new();
        BufReader::new(stream.try_clone().expect("clone"))
            .read_line(&mut line)
            .expect("read");
        stream.write_all(line.as_bytes()).expect("echo");
    });
    let output = connecting_to("host_echo_client", &address)
        .arg("1")
        .run(Duration::from_secs(120));
    assert!(output.status.success(), "{}", output_text(&output));
    assert_eq!(String::from_utf8_lossy(&output.stdout), "echoed 1\n");
    server.join().expect("server");
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
    let output = connecting_to("sdk_udp_send_all", address).run(TIMEOUT);
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

/// Datagram truncation reaches the guest through every datagram receive
/// of the SDK: `Socket::receive_from` (100 bytes received with length 10
/// come back as the first 10 with `truncated` and the sender's address; 5
/// bytes are whole), `Socket::receive_from_into` (100 bytes into 10), and
/// a port's reader with a 10-byte buffer (`SocketReader::truncated`).
#[test]
fn datagram_truncation_is_reported_by_the_sdk() {
    let mut running = Wasock::new(WASOCK, guest("spec_datagram"))
        .flag("--allow-bind")
        .flag("127.0.0.1:0")
        .spawn();
    let address = running.wait_for_listening(TIMEOUT);
    let sender = UdpSocket::bind("127.0.0.1:0").expect("native udp");
    let long: Vec<u8> = (0u8..100).collect();
    for datagram in [&long[..], b"short", &long[..], &long[..], b"short"] {
        let sent = sender.send_to(datagram, address).expect("send");
        assert_eq!(sent, datagram.len());
    }
    let output = running.wait(TIMEOUT);
    let stdout = succeeded(&output, "spec_datagram: ok");
    let all = output_text(&output);
    let from = sender.local_addr().expect("sender address");
    assert_eq!(
        after(&stdout, "long: ", &all),
        format!("10 bytes truncated=true from {from}")
    );
    assert_eq!(after(&stdout, "short: ", &all), "5 bytes truncated=false");
    assert_eq!(
        after(&stdout, "into: ", &all),
        format!("10 bytes truncated=true from {from}")
    );
    assert_eq!(
        after(&stdout, "port long: ", &all),
        "10 bytes truncated=true"
    );
    assert_eq!(
        after(&stdout, "port short: ", &all),
        "5 bytes truncated=false"
    );
}

/// The edges where wasock answers the same on every host (guest
/// `spec_edges`): one timeout bounds a whole wait-all receive (against a
/// peer that sends a byte every 100 ms for 5 s), a refusal on a connected
/// datagram socket's receive is fatal while a refused connect is
/// transient, `send-to` on a connected datagram socket is
/// `already-connected` and sends nothing, and a 100 KiB unix datagram
/// comes back whole or cut with `truncated`.
#[test]
fn wait_all_timeout_connected_datagrams_and_long_unix_datagrams() {
    let (dribbler, address) = listener();
    let peer = thread::spawn(move || {
        let (mut stream, _) = dribbler.accept().expect("accept");
        for _ in 0..50 {
            if stream.write_all(b"x").is_err() {
                break;
            }
            thread::sleep(Duration::from_millis(100));
        }
    });
    let dir = TempDir::new("edges");
    let output = Wasock::new(WASOCK, guest("spec_edges"))
        .flag("--allow-connect")
        .flag(address.to_string())
        .flag("--allow-connect")
        .flag("127.0.0.1:*")
        .flag("--allow-bind")
        .flag("127.0.0.1:0")
        .flag("--allow-unix")
        .flag(dir.as_str())
        .arg(address.to_string())
        .arg(dir.as_str())
        .run(TIMEOUT);
    let stdout = succeeded(&output, "spec_edges: ok");
    for line in [
        "wait-all: part within the timeout",
        "connected datagram, peer gone, receive: Fatal ConnectionRefused",
        "connected datagram, send-to another address: Fatal AlreadyConnected",
        "stream connect refused: Transient ConnectionRefused",
        "unix datagram: 102400 whole, 70000 truncated",
    ] {
        assert!(
            stdout.contains(line),
            "missing {line:?}:\n{}",
            output_text(&output)
        );
    }
    peer.join().expect("peer");
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

/// `socket-send-timeout` firing, as a socket's own default and as the
/// program's: the guest sends into connections whose native peer never
/// reads (small buffers both sides) with a 300 ms send timeout: a send
/// fails with class timeout, each time.
#[test]
fn send_timeout_fires_against_a_peer_that_never_reads() {
    let (listener, address) = small_buffer_listener(4);
    // Accepts and holds both connections, never reading, until told to stop.
    let (stop, holder) = hold_connections(listener);
    let output = Wasock::new(WASOCK, guest("spec_timeouts"))
        .flag("--allow-connect")
        .flag(address.to_string())
        .arg("send")
        .arg(address.to_string())
        .run(TIMEOUT);
    let _ = stop.send(());
    let held = holder.join().expect("holder");
    let stdout = succeeded(&output, "spec_timeouts: done");
    let text = output_text(&output);
    for case in ["send socket default", "send program default"] {
        assert_eq!(
            after(&stdout, &format!("{case} timeout: "), &text),
            "Some(300ms)"
        );
        let line = after(&stdout, &format!("{case}: "), &text);
        assert!(
            line.starts_with("timeout/timed-out after "),
            "{case}: {line}\n{text}"
        );
    }
    // What was sent did arrive (the peer reads a little now).
    assert_eq!(held.len(), 2, "{text}");
    for mut stream in held {
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .expect("timeout");
        let mut first = [0u8; 16];
        stream.read_exact(&mut first).expect("the sent bytes");
        assert_eq!(first, [0x5a; 16]);
    }
}

#[test]
fn error_classes_reach_the_guest() {
    let output = Wasock::new(WASOCK, guest("host_errors"))
        .flag("--inherit-network")
        .arg(closed_port().to_string())
        .run(Duration::from_secs(120));
    assert!(output.status.success(), "{}", output_text(&output));
    assert_eq!(String::from_utf8_lossy(&output.stdout), "errors ok\n");
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
