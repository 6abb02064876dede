//! Native tests of the host's socket logic (`wasock_host::socket`, which
//! knows no WIT), against std::net peers on loopback. In the order the
//! operations are defined: create, connect, bind/listen/accept, shutdown,
//! close, names, send/receive.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::time::Duration;

use socket2::SockAddr;
use wasock_host::error::{ErrorClass, ErrorCode};
use wasock_host::socket::{Family, Kind, RECEIVE_CAP, RecvFlags, SendFlags, ShutdownHow, Socket};

/// `MSG_WAITALL`: receive exactly the length asked for (or end of file).
fn wait_all() -> RecvFlags {
    RecvFlags {
        wait_all: true,
        ..Default::default()
    }
}

/// Long enough never to fire in a passing test.
const GENEROUS: Option<Duration> = Some(Duration::from_secs(20));

fn sockaddr(text: &str) -> SockAddr {
    SockAddr::from(text.parse::<SocketAddr>().expect("a test address"))
}

fn family_of(address: &SocketAddr) -> Family {
    if address.is_ipv4() {
        Family::Inet
    } else {
        Family::Inet6
    }
}

/// A host stream socket connected to a std listener on `loopback`, and the
/// std end of the connection.
async fn connected_pair(loopback: &str) -> (Socket, TcpStream) {
    let listener = TcpListener::bind(loopback).expect("std listener");
    let target = listener.local_addr().expect("listener address");
    let mut socket = Socket::create(family_of(&target), Kind::Stream, 0).expect("socket");
    socket
        .connect(&SockAddr::from(target), GENEROUS)
        .await
        .expect("connect");
    let (peer, _) = listener.accept().expect("std accept");
    peer.set_read_timeout(Some(Duration::from_secs(20)))
        .expect("read timeout");
    (socket, peer)
}

async fn stream_round_trip(loopback: &str) {
    let (mut socket, mut peer) = connected_pair(loopback).await;
    let sent = socket
        .send(b"ping", SendFlags::default(), GENEROUS)
        .await
        .expect("send");
    assert_eq!(sent, 4);
    let mut got = [0u8; 4];
    peer.read_exact(&mut got).expect("peer reads");
    assert_eq!(&got, b"ping");
    peer.write_all(b"pong").expect("peer writes");
    let data = socket
        .receive(4, wait_all(), GENEROUS)
        .await
        .expect("receive");
    assert_eq!(data, b"pong");
    let peer_name = socket
        .peer_address()
        .expect("peer-name")
        .expect("connected");
    assert_eq!(
        peer_name.as_socket(),
        Some(peer.local_addr().expect("std address"))
    );
}

#[tokio::test]
async fn stream_round_trip_ipv4() {
    stream_round_trip("127.0.0.1:0").await;
}

#[tokio::test]
async fn stream_round_trip_ipv6() {
    stream_round_trip("[::1]:0").await;
}

async fn listen_and_accept(loopback: &str) {
    let local = sockaddr(loopback);
    let family = family_of(&local.as_socket().expect("inet"));
    let mut listener = Socket::create(family, Kind::Stream, 0).expect("socket");
    listener.bind(&local).expect("bind");
    listener.listen(8).expect("listen");
    assert!(
        !listener.accept_ready().expect("accept-ready"),
        "nobody connected yet"
    );
    let address = listener
        .local_address()
        .expect("name")
        .as_socket()
        .expect("inet");
    let client = std::thread::spawn(move || {
        let mut stream = TcpStream::connect(address).expect("std connect");
        stream.write_all(b"hello").expect("client writes");
        let mut back = Vec::new();
        stream.read_to_end(&mut back).expect("client reads");
        back
    });
    let mut accepted = listener.accept(GENEROUS).await.expect("accept");
    assert_eq!((accepted.family(), accepted.kind()), (family, Kind::Stream));
    let data = accepted
        .receive(5, wait_all(), GENEROUS)
        .await
        .expect("receive");
    assert_eq!(data, b"hello");
    accepted
        .send(b"bye", SendFlags::default(), GENEROUS)
        .await
        .expect("send");
    accepted.shutdown(ShutdownHow::Write).expect("shutdown");
    assert_eq!(client.join().expect("client thread"), b"bye");
}

#[tokio::test]
async fn listen_accept_ipv4() {
    listen_and_accept("127.0.0.1:0").await;
}

#[tokio::test]
async fn listen_accept_ipv6() {
    listen_and_accept("[::1]:0").await;
}

#[tokio::test]
async fn accept_ready_sees_a_waiting_connection() {
    let mut listener = Socket::create(Family::Inet, Kind::Stream, 0).expect("socket");
    listener.bind(&sockaddr("127.0.0.1:0")).expect("bind");
    listener.listen(8).expect("listen");
    let address = listener
        .local_address()
        .expect("name")
        .as_socket()
        .expect("inet");
    let _client = TcpStream::connect(address).expect("std connect");
    // The connection completes in the kernel; poll until it is queued.
    let mut ready = false;
    for _ in 0..200 {
        if listener.accept_ready().expect("accept-ready") {
            ready = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(ready, "a connected client is never reported ready");
    listener.accept(GENEROUS).await.expect("accept");
}

#[tokio::test]
async fn accept_on_a_socket_that_does_not_listen_is_invalid_state() {
    let mut socket = Socket::create(Family::Inet, Kind::Stream, 0).expect("socket");
    let err = socket
        .accept(GENEROUS)
        .await
        .expect_err("accept without listen");
    assert_eq!(err.code, ErrorCode::InvalidState);
}

#[tokio::test]
async fn listen_on_a_datagram_socket_fails() {
    let mut socket = Socket::create(Family::Inet, Kind::Dgram, 0).expect("socket");
    let err = socket.listen(1).expect_err("listen on udp");
    assert_eq!(err.code, ErrorCode::OperationNotSupported);
}

#[tokio::test]
async fn connect_refused_is_transient() {
    let port = {
        let listener = TcpListener::bind("127.0.0.1:0").expect("std listener");
        listener.local_addr().expect("address").port()
    };
    let mut socket = Socket::create(Family::Inet, Kind::Stream, 0).expect("socket");
    let err = socket
        .connect(&sockaddr(&format!("127.0.0.1:{port}")), GENEROUS)
        .await
        .expect_err("nobody listens");
    assert_eq!(
        (err.class, err.code),
        (ErrorClass::Transient, ErrorCode::ConnectionRefused),
        "{err}"
    );
}

#[tokio::test]
async fn accept_timeout_fires() {
    let mut listener = Socket::create(Family::Inet, Kind::Stream, 0).expect("socket");
    listener.bind(&sockaddr("127.0.0.1:0")).expect("bind");
    listener.listen(1).expect("listen");
    let err = listener
        .accept(Some(Duration::from_millis(50)))
        .await
        .expect_err("nobody connects");
    assert_eq!(
        (err.class, err.code),
        (ErrorClass::Timeout, ErrorCode::TimedOut)
    );
}

#[tokio::test]
async fn receive_timeout_fires_without_data() {
    let (mut socket, _peer) = connected_pair("127.0.0.1:0").await;
    let err = socket
        .receive(16, RecvFlags::default(), Some(Duration::from_millis(50)))
        .await
        .expect_err("no data was sent");
    assert_eq!(
        (err.class, err.code),
        (ErrorClass::Timeout, ErrorCode::TimedOut),
        "{err}"
    );
}

#[tokio::test]
async fn receive_timeout_does_not_fire_when_data_comes() {
    let (mut socket, mut peer) = connected_pair("127.0.0.1:0").await;
    let writer = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(20));
        peer.write_all(b"late").expect("peer writes");
        peer
    });
    let data = socket
        .receive(16, RecvFlags::default(), Some(Duration::from_secs(20)))
        .await
        .expect("receive");
    assert!(!data.is_empty() && b"late".starts_with(&data), "{data:?}");
    drop(writer.join().expect("writer"));
}

#[tokio::test]
async fn dont_wait_receive_is_would_block() {
    let (mut socket, _peer) = connected_pair("127.0.0.1:0").await;
    let err = socket
        .receive(
            16,
            RecvFlags {
                dont_wait: true,
                ..Default::default()
            },
            None,
        )
        .await
        .expect_err("nothing to receive");
    assert_eq!(
        (err.class, err.code),
        (ErrorClass::Transient, ErrorCode::WouldBlock)
    );
}

#[tokio::test]
async fn receive_with_u32_max_allocates_at_most_the_cap() {
    let (mut socket, mut peer) = connected_pair("127.0.0.1:0").await;
    peer.write_all(b"small").expect("peer writes");
    let data = socket
        .receive(u32::MAX, RecvFlags::default(), GENEROUS)
        .await
        .expect("receive");
    assert_eq!(data, b"small");
    assert!(
        data.capacity() <= RECEIVE_CAP,
        "allocated {} bytes",
        data.capacity()
    );
}

#[tokio::test]
async fn peek_leaves_the_data() {
    let (mut socket, mut peer) = connected_pair("127.0.0.1:0").await;
    peer.write_all(b"abc").expect("peer writes");
    let peeked = socket
        .receive(
            3,
            RecvFlags {
                peek: true,
                wait_all: true,
                ..Default::default()
            },
            GENEROUS,
        )
        .await;
    let peeked = peeked.expect("peek");
    assert!(!peeked.is_empty() && b"abc".starts_with(&peeked));
    let mut all = Vec::new();
    for _ in 0..10 {
        all.extend(
            socket
                .receive(3, RecvFlags::default(), GENEROUS)
                .await
                .expect("receive"),
        );
        if all.len() == 3 {
            break;
        }
    }
    assert_eq!(all, b"abc");
}

#[tokio::test]
async fn shutdown_write_gives_the_peer_end_of_file() {
    let (mut socket, mut peer) = connected_pair("127.0.0.1:0").await;
    socket.shutdown(ShutdownHow::Write).expect("shutdown");
    let mut rest = Vec::new();
    peer.read_to_end(&mut rest).expect("peer reads to EOF");
    assert!(rest.is_empty());
    // The other direction still works.
    peer.write_all(b"still").expect("peer writes");
    let data = socket
        .receive(5, wait_all(), GENEROUS)
        .await
        .expect("receive");
    assert_eq!(data, b"still");
}

#[tokio::test]
async fn end_of_file_is_an_empty_receive() {
    let (mut socket, peer) = connected_pair("127.0.0.1:0").await;
    drop(peer);
    let data = socket
        .receive(16, RecvFlags::default(), GENEROUS)
        .await
        .expect("receive at EOF");
    assert!(data.is_empty());
}

#[tokio::test]
async fn close_then_every_call_fails_with_closed() {
    let (mut socket, mut peer) = connected_pair("127.0.0.1:0").await;
    socket.close().await.expect("close");
    assert!(socket.is_closed());
    let mut rest = Vec::new();
    peer.read_to_end(&mut rest)
        .expect("the peer sees the close");
    let err = socket
        .send(b"x", SendFlags::default(), GENEROUS)
        .await
        .expect_err("send after close");
    assert_eq!(err.code, ErrorCode::Closed);
    let err = socket
        .receive(1, RecvFlags::default(), GENEROUS)
        .await
        .expect_err("receive after close");
    assert_eq!(err.code, ErrorCode::Closed);
    assert_eq!(
        socket.local_address().expect_err("name after close").code,
        ErrorCode::Closed
    );
    assert_eq!(
        socket.receive_ready().expect_err("ready after close").code,
        ErrorCode::Closed
    );
    assert_eq!(
        socket.close().await.expect_err("close twice").code,
        ErrorCode::Closed
    );
}

#[tokio::test]
async fn names_of_unbound_and_unconnected_sockets() {
    let socket = Socket::create(Family::Inet, Kind::Stream, 0).expect("socket");
    assert_eq!(
        socket.peer_address().expect("peer-name"),
        None,
        "not connected"
    );
    let local = socket
        .local_address()
        .expect("name")
        .as_socket()
        .expect("inet");
    assert_eq!(local.port(), 0, "unbound: the glue reports this as none");
    let mut bound = Socket::create(Family::Inet6, Kind::Dgram, 0).expect("socket");
    bound.bind(&sockaddr("[::1]:0")).expect("bind");
    let local = bound
        .local_address()
        .expect("name")
        .as_socket()
        .expect("inet6");
    assert_ne!(local.port(), 0);
    assert_eq!(bound.peer_address().expect("peer-name"), None);
}

async fn datagram_round_trip(loopback: &str) {
    let peer = UdpSocket::bind(loopback).expect("std udp");
    peer.set_read_timeout(Some(Duration::from_secs(20)))
        .expect("read timeout");
    let peer_address = peer.local_addr().expect("address");
    let mut socket = Socket::create(family_of(&peer_address), Kind::Dgram, 0).expect("socket");
    socket.bind(&sockaddr(loopback)).expect("bind");
    let sent = socket
        .send_to(
            b"datagram",
            &SockAddr::from(peer_address),
            SendFlags::default(),
            GENEROUS,
        )
        .await
        .expect("send-to");
    assert_eq!(sent, 8);
    let mut buf = [0u8; 64];
    let (n, from) = peer.recv_from(&mut buf).expect("peer receives");
    assert_eq!(&buf[..n], b"datagram");
    peer.send_to(b"reply", from).expect("peer replies");
    let (data, source, truncated) = socket
        .receive_from(64, RecvFlags::default(), GENEROUS)
        .await
        .expect("receive-from");
    assert_eq!(data, b"reply");
    assert!(!truncated);
    assert_eq!(source.and_then(|s| s.as_socket()), Some(peer_address));
}

#[tokio::test]
async fn datagram_round_trip_ipv4() {
    datagram_round_trip("127.0.0.1:0").await;
}

#[tokio::test]
async fn datagram_round_trip_ipv6() {
    datagram_round_trip("[::1]:0").await;
}

#[tokio::test]
async fn long_datagram_is_truncated_and_says_so() {
    let mut socket = Socket::create(Family::Inet, Kind::Dgram, 0).expect("socket");
    socket.bind(&sockaddr("127.0.0.1:0")).expect("bind");
    let address = socket
        .local_address()
        .expect("name")
        .as_socket()
        .expect("inet");
    let peer = UdpSocket::bind("127.0.0.1:0").expect("std udp");
    peer.send_to(&[7u8; 100], address)
        .expect("peer sends 100 bytes");
    peer.send_to(b"next", address).expect("peer sends another");
    let (data, _, truncated) = socket
        .receive_from(10, RecvFlags::default(), GENEROUS)
        .await
        .expect("receive-from");
    assert_eq!(data, [7u8; 10]);
    assert!(truncated, "a 100-byte datagram read into 10 bytes");
    // Spec: "the rest of the data is irrevocably lost".
    let data = socket
        .receive(64, RecvFlags::default(), GENEROUS)
        .await
        .expect("receive");
    assert_eq!(data, b"next");
}

#[tokio::test]
async fn connected_datagram_send_and_receive() {
    let peer = UdpSocket::bind("127.0.0.1:0").expect("std udp");
    let peer_address = peer.local_addr().expect("address");
    let mut socket = Socket::create(Family::Inet, Kind::Dgram, 0).expect("socket");
    socket
        .connect(&SockAddr::from(peer_address), GENEROUS)
        .await
        .expect("udp connect");
    assert_eq!(
        socket
            .peer_address()
            .expect("peer-name")
            .and_then(|a| a.as_socket()),
        Some(peer_address)
    );
    socket
        .send(b"one", SendFlags::default(), GENEROUS)
        .await
        .expect("send");
    let mut buf = [0u8; 8];
    peer.set_read_timeout(Some(Duration::from_secs(20)))
        .expect("read timeout");
    let (n, from) = peer.recv_from(&mut buf).expect("peer receives");
    assert_eq!(&buf[..n], b"one");
    peer.send_to(b"two", from).expect("peer replies");
    assert_eq!(
        socket
            .receive(8, RecvFlags::default(), GENEROUS)
            .await
            .expect("receive"),
        b"two"
    );
}

#[tokio::test]
async fn send_to_on_a_connected_stream_is_invalid_state() {
    let (mut socket, peer) = connected_pair("127.0.0.1:0").await;
    let target = SockAddr::from(peer.local_addr().expect("address"));
    let err = socket
        .send_to(b"x", &target, SendFlags::default(), GENEROUS)
        .await
        .expect_err("send-to on a stream");
    assert_eq!(err.code, ErrorCode::InvalidState);
}

#[tokio::test]
async fn receive_ready_reports_waiting_data() {
    let (socket, mut peer) = connected_pair("127.0.0.1:0").await;
    assert!(!socket.receive_ready().expect("receive-ready"));
    peer.write_all(b"x").expect("peer writes");
    let mut ready = false;
    for _ in 0..200 {
        if socket.receive_ready().expect("receive-ready") {
            ready = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(ready, "waiting data is never reported");
}

#[tokio::test]
async fn wait_ready_wakes_on_data_and_not_before() {
    let (socket, mut peer) = connected_pair("127.0.0.1:0").await;
    let watch = socket.watch();
    let readable = wasock_host::socket::Readiness {
        readable: true,
        writable: false,
    };
    let early = tokio::time::timeout(
        Duration::from_millis(50),
        Socket::wait_ready(&watch, readable),
    )
    .await;
    assert!(early.is_err(), "ready with nothing to read");
    peer.write_all(b"x").expect("peer writes");
    tokio::time::timeout(
        Duration::from_secs(20),
        Socket::wait_ready(&watch, readable),
    )
    .await
    .expect("ready once data is there");
    let writable = wasock_host::socket::Readiness {
        readable: false,
        writable: true,
    };
    tokio::time::timeout(
        Duration::from_secs(20),
        Socket::wait_ready(&watch, writable),
    )
    .await
    .expect("a fresh connection is writable");
}

#[tokio::test]
async fn unix_stream_round_trip() {
    let dir = std::env::temp_dir().join(format!("wasock-host-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("echo.sock");
    let _ = std::fs::remove_file(&path);
    let mut listener = Socket::create(Family::Unix, Kind::Stream, 0).expect("socket");
    listener
        .bind(&SockAddr::unix(&path).expect("unix address"))
        .expect("bind");
    listener.listen(4).expect("listen");
    let client_path = path.clone();
    let client = std::thread::spawn(move || {
        let mut stream = std::os::unix::net::UnixStream::connect(client_path).expect("std connect");
        stream.write_all(b"unix").expect("client writes");
        let mut back = [0u8; 4];
        stream.read_exact(&mut back).expect("client reads");
        back
    });
    let mut accepted = listener.accept(GENEROUS).await.expect("accept");
    let data = accepted
        .receive(4, wait_all(), GENEROUS)
        .await
        .expect("receive");
    assert_eq!(data, b"unix");
    accepted
        .send(&data, SendFlags::default(), GENEROUS)
        .await
        .expect("send");
    assert_eq!(&client.join().expect("client"), b"unix");
    let name = listener.local_address().expect("name");
    assert_eq!(name.as_pathname(), Some(path.as_path()));
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn unspecified_protocol_and_explicit_protocol_both_work() {
    let tcp = Socket::create(Family::Inet, Kind::Stream, libc::IPPROTO_TCP as u16).expect("tcp");
    assert_eq!(tcp.protocol(), 6);
    let err = Socket::create(Family::Inet, Kind::Stream, libc::IPPROTO_UDP as u16)
        .expect_err("udp stream");
    assert_eq!(err.class, ErrorClass::Unsupported, "{err}");
}

#[tokio::test]
async fn send_after_shutdown_is_broken_pipe_not_a_signal() {
    let (mut socket, _peer) = connected_pair("127.0.0.1:0").await;
    socket.shutdown(ShutdownHow::Write).expect("shutdown");
    // MSG_NOSIGNAL: the host process gets an error, not SIGPIPE.
    let err = socket
        .send(b"x", SendFlags::default(), GENEROUS)
        .await
        .expect_err("send after shut/wr");
    assert_eq!(err.code, ErrorCode::BrokenPipe, "{err}");
    // Not worth retrying: the write side stays shut.
    assert_eq!(err.class, ErrorClass::Fatal, "{err}");
}

#[tokio::test]
async fn large_sends_wait_for_room_and_arrive_whole() {
    let (mut socket, mut peer) = connected_pair("127.0.0.1:0").await;
    let total = 4 * 1024 * 1024;
    let reader = std::thread::spawn(move || {
        let mut received = 0usize;
        let mut buf = vec![0u8; 64 * 1024];
        while received < total {
            match peer.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    assert!(buf[..n].iter().all(|&b| b == 0xA5));
                    received += n;
                }
            }
        }
        received
    });
    let chunk = vec![0xA5u8; 256 * 1024];
    let mut sent = 0;
    // Each send may send less than asked (and waits for room first).
    for _ in 0..10_000 {
        if sent == total {
            break;
        }
        let n = socket
            .send(
                &chunk[..chunk.len().min(total - sent)],
                SendFlags::default(),
                GENEROUS,
            )
            .await
            .expect("send");
        assert!(n > 0);
        sent += n;
    }
    assert_eq!(sent, total);
    socket.shutdown(ShutdownHow::Write).expect("shutdown");
    assert_eq!(reader.join().expect("reader"), total);
}

#[tokio::test(flavor = "current_thread")]
async fn a_lingering_close_does_not_block_the_thread() {
    let (mut socket, peer) = connected_pair("127.0.0.1:0").await;
    // Fill the send path so close has unsent data to linger over.
    let chunk = vec![0u8; 64 * 1024];
    for _ in 0..1_000 {
        match socket
            .send(
                &chunk,
                SendFlags {
                    dont_wait: true,
                    ..Default::default()
                },
                None,
            )
            .await
        {
            Ok(_) => continue,
            Err(e) if e.code == ErrorCode::WouldBlock => break,
            Err(e) => panic!("send: {e}"),
        }
    }
    socket.set_linger(Some(2)).expect("linger on");
    // On this single-threaded runtime a ticker must keep ticking while the
    // close lingers; a close(2) on the runtime thread would stop it.
    let ticks = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = ticks.clone();
    let ticker = tokio::spawn(async move {
        for _ in 0..10_000 {
            counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    });
    let before = ticks.load(std::sync::atomic::Ordering::SeqCst);
    socket.close().await.expect("close");
    let after = ticks.load(std::sync::atomic::Ordering::SeqCst);
    ticker.abort();
    drop(peer);
    assert!(
        after > before,
        "the runtime thread was blocked during a lingering close ({before} -> {after})"
    );
}

#[tokio::test]
async fn receive_from_on_a_connected_stream_has_no_address() {
    let (mut socket, mut peer) = connected_pair("127.0.0.1:0").await;
    peer.write_all(b"hi").expect("peer writes");
    let (data, source, truncated) = socket
        .receive_from(2, wait_all(), GENEROUS)
        .await
        .expect("receive-from");
    assert_eq!(data, b"hi");
    assert!(!truncated);
    // WIT: "`none` where the OS reports none (a connected stream)".
    assert!(source.is_none(), "{source:?}");
}

/// Runs `scenario` on its own thread and runtime, and fails (rather than
/// hangs) if it has not finished within 20 s: the bug below made the host
/// spin without yielding, so no timer on the same runtime could stop it.
fn within_20_seconds<F>(scenario: F)
where
    F: std::future::Future<Output = ()> + Send + 'static,
{
    let (done, finished) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        runtime.block_on(scenario);
        let _ = done.send(());
    });
    finished
        .recv_timeout(Duration::from_secs(20))
        .expect("the call's own timeout fires (no spin)");
}

/// Regression: a stream socket that the reactor saw before connect(2) was
/// reported hung up (Linux: EPOLLHUP for a socket neither connected nor
/// listening), tokio kept that "read closed" forever, and a receive spun
/// without its timeout ever firing. The sleep lets the reactor see the
/// socket before it connects, which is what made the bug show.
#[test]
fn receive_timeout_fires_on_a_stream_the_reactor_saw_before_connect() {
    within_20_seconds(async {
        let listener = TcpListener::bind("127.0.0.1:0").expect("std listener");
        let target = listener.local_addr().expect("listener address");
        let mut socket = Socket::create(Family::Inet, Kind::Stream, 0).expect("socket");
        tokio::time::sleep(Duration::from_millis(50)).await;
        socket
            .connect(&SockAddr::from(target), GENEROUS)
            .await
            .expect("connect");
        let (_peer, _) = listener.accept().expect("std accept");
        let error = socket
            .receive(16, RecvFlags::default(), Some(Duration::from_millis(200)))
            .await
            .expect_err("no data was sent");
        assert_eq!(
            (error.class, error.code),
            (ErrorClass::Timeout, ErrorCode::TimedOut),
            "{error}"
        );
    });
}

/// The same for a listener the reactor saw before listen(2): accept spun.
#[test]
fn accept_timeout_fires_on_a_listener_the_reactor_saw_before_listen() {
    within_20_seconds(async {
        let mut listener = Socket::create(Family::Inet, Kind::Stream, 0).expect("socket");
        tokio::time::sleep(Duration::from_millis(50)).await;
        listener.bind(&sockaddr("127.0.0.1:0")).expect("bind");
        listener.listen(8).expect("listen");
        let error = listener
            .accept(Some(Duration::from_millis(200)))
            .await
            .expect_err("nobody connected");
        assert_eq!(
            (error.class, error.code),
            (ErrorClass::Timeout, ErrorCode::TimedOut),
            "{error}"
        );
    });
}
