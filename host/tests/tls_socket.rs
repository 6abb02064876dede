//! The host's TLS on a socket (`wasock_host::socket`, its `tls` module),
//! without WIT, against native rustls peers on loopback: the handshake
//! both ways, data both ways (records larger than one receive, a send
//! larger than the OS takes at once), readiness of bytes the host holds
//! decrypted (which the kernel cannot see), peek, end of file, a failed
//! handshake, and a handshake resumed after its timeout.
//!
//! Certificates: a CA and a `localhost` leaf made with `openssl` at run
//! time (the tests skip, saying so, without it).

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::ServerName;
use socket2::SockAddr;
use wasock_host::poll_set::{PollSet, Registration, Trigger};
use wasock_host::socket::{
    Family, Handshake, Kind, Readiness, RecvFlags, SendFlags, ShutdownHow, Socket, TlsFailure,
};
use wasock_host::tls::{TlsIdentity, TlsRoots};
use wasock_tests::{Certificates, TempDir};

/// Long enough never to fire in a passing test.
const GENEROUS: Option<Duration> = Some(Duration::from_secs(20));

const READABLE: Readiness = Readiness {
    readable: true,
    writable: false,
};

/// A CA and a leaf for `localhost` and 127.0.0.1 it signed, in `dir`:
/// (CA, leaf, key). `None` without `openssl`.
fn certificates(dir: &Path, ca_name: &str) -> Option<(PathBuf, PathBuf, PathBuf)> {
    let Some(made) = Certificates::make(dir, ca_name) else {
        eprintln!("skipped: openssl could not make the test's certificates");
        return None;
    };
    Some((made.ca, made.cert, made.key))
}

/// The native client's configuration, trusting `ca`.
fn native_client(ca: &Path) -> Arc<rustls::ClientConfig> {
    wasock_host::tls::client_config(TlsRoots::File(ca.to_owned()).load().expect("roots"))
        .expect("client config")
}

/// A host socket accepted from a host listener, and the native TCP
/// stream connected to it.
async fn accepted_pair() -> (Socket, TcpStream) {
    let mut listener = Socket::create(Family::Inet, Kind::Stream, 0).expect("socket");
    listener
        .bind(&SockAddr::from(
            "127.0.0.1:0".parse::<SocketAddr>().unwrap(),
        ))
        .expect("bind");
    listener.listen(8).expect("listen");
    let address = listener.local_address().expect("name").as_socket().unwrap();
    let client = TcpStream::connect(address).expect("connect");
    client
        .set_read_timeout(Some(Duration::from_secs(20)))
        .expect("timeout");
    let accepted = listener.accept(GENEROUS).await.expect("accept");
    (accepted, client)
}

/// The host serving with `identity` on one side, a native rustls client
/// on a thread on the other, running `client` on its stream.
async fn serve<T: Send + 'static>(
    identity: &TlsIdentity,
    ca: &Path,
    alpn: Vec<Vec<u8>>,
    client: impl FnOnce(&mut rustls::StreamOwned<rustls::ClientConnection, TcpStream>) -> T
    + Send
    + 'static,
) -> (Socket, std::thread::JoinHandle<T>) {
    let (mut socket, tcp) = accepted_pair().await;
    let mut config = (*native_client(ca)).clone();
    config.alpn_protocols = vec![b"echo/1".to_vec()];
    let thread = std::thread::spawn(move || {
        let conn = rustls::ClientConnection::new(
            Arc::new(config),
            ServerName::try_from("localhost").unwrap(),
        )
        .expect("client");
        let mut stream = rustls::StreamOwned::new(conn, tcp);
        client(&mut stream)
    });
    let session = socket
        .tls_handshake(
            Handshake::Server {
                config: identity.server_config(alpn),
            },
            GENEROUS,
        )
        .await
        .unwrap_or_else(|e| panic!("server handshake: {e:?}"));
    assert!(session.version.starts_with("TLSv1_"), "{session:?}");
    assert_eq!(session.server_name.as_deref(), Some("localhost"));
    (socket, thread)
}

fn setup(test: &str) -> Option<(TempDir, PathBuf, TlsIdentity)> {
    let dir = TempDir::new(test);
    let (ca, leaf, key) = certificates(dir.path(), "wasock test CA")?;
    let identity = TlsIdentity::load("server", &leaf, &key).expect("identity");
    Some((dir, ca, identity))
}

#[tokio::test]
async fn a_server_handshake_then_data_both_ways_with_alpn() {
    let Some((_dir, ca, identity)) = setup("tls-both-ways") else {
        return;
    };
    let (mut socket, client) = serve(&identity, &ca, vec![b"echo/1".to_vec()], |stream| {
        stream.write_all(b"hello over tls").unwrap();
        let mut answer = [0u8; 5];
        stream.read_exact(&mut answer).unwrap();
        answer
    })
    .await;
    assert_eq!(
        socket.tls_session().unwrap().protocol.as_deref(),
        Some("echo/1")
    );
    let got = socket
        .receive(
            64,
            RecvFlags {
                wait_all: false,
                ..Default::default()
            },
            GENEROUS,
        )
        .await
        .expect("receive");
    assert_eq!(got, b"hello over tls");
    let sent = socket
        .send(b"howdy", SendFlags::default(), GENEROUS)
        .await
        .expect("send");
    assert_eq!(sent, 5);
    assert_eq!(&client.join().unwrap(), b"howdy");
    // Plain-socket calls that TLS cannot carry.
    let oob = socket
        .send(
            b"!",
            SendFlags {
                oob: true,
                ..Default::default()
            },
            GENEROUS,
        )
        .await
        .unwrap_err();
    assert_eq!(
        oob.code,
        wasock_host::error::ErrorCode::OperationNotSupported
    );
}

#[tokio::test]
async fn bytes_the_host_holds_are_readable_to_every_wait() {
    let Some((_dir, ca, identity)) = setup("tls-held") else {
        return;
    };
    // One write of 10,000 bytes: one record, decrypted whole at once.
    let (mut socket, client) = serve(&identity, &ca, vec![], |stream| {
        stream.write_all(&[7u8; 10_000]).unwrap();
        stream.flush().unwrap();
        let mut done = [0u8; 1];
        stream.read_exact(&mut done).unwrap();
    })
    .await;
    let mut set = PollSet::create().expect("set");
    let fd = socket.descriptor().expect("open");
    set.add(
        fd,
        Registration {
            interest: READABLE,
            trigger: Trigger::Level,
            token: 1,
        },
    )
    .expect("add");
    set.watch_held(fd, socket.watch());
    let mut edge = PollSet::create().expect("set");
    edge.add(
        fd,
        Registration {
            interest: READABLE,
            trigger: Trigger::Edge,
            token: 2,
        },
    )
    .expect("add");
    edge.watch_held(fd, socket.watch());

    let first = socket
        .receive(100, RecvFlags::default(), GENEROUS)
        .await
        .expect("receive");
    assert_eq!(first.len(), 100);
    // Whatever the kernel shows now, the rest is held decrypted here.
    assert!(
        socket.receive_ready().expect("ready"),
        "held bytes are ready"
    );
    assert!(Socket::ready_now(&socket.watch(), READABLE));
    tokio::time::timeout(
        Duration::from_secs(5),
        Socket::wait_ready(&socket.watch(), READABLE),
    )
    .await
    .expect("the pollable is ready at once");
    let level = set.wait(Some(Duration::ZERO), 8).expect_ready();
    assert_eq!(level, vec![1], "level: reported while held");
    assert_eq!(set.wait(Some(Duration::ZERO), 8).expect_ready(), vec![1]);
    assert_eq!(
        edge.wait(Some(Duration::ZERO), 8).expect_ready(),
        vec![2],
        "edge: once"
    );
    assert!(
        edge.wait(Some(Duration::ZERO), 8).expect_ready().is_empty(),
        "edge: not again"
    );

    // A peek shows the next bytes and leaves them.
    let peek = RecvFlags {
        peek: true,
        ..Default::default()
    };
    let peeked = socket.receive(50, peek, GENEROUS).await.expect("peek");
    assert_eq!(peeked.len(), 50);
    let mut rest = Vec::new();
    while rest.len() < 9_900 {
        let got = socket
            .receive(65_536, RecvFlags::default(), GENEROUS)
            .await
            .expect("receive");
        assert!(!got.is_empty());
        rest.extend(got);
    }
    assert_eq!(rest.len(), 9_900);
    assert!(rest.iter().all(|&b| b == 7));
    assert!(
        !Socket::ready_now(&socket.watch(), READABLE),
        "nothing held, nothing sent"
    );
    assert!(set.wait(Some(Duration::ZERO), 8).expect_ready().is_empty());
    socket
        .send(b"!", SendFlags::default(), GENEROUS)
        .await
        .expect("send");
    client.join().unwrap();
}

/// `PollSet::wait` now, as a list of tokens.
trait Tokens {
    fn expect_ready(self) -> Vec<u64>;
}

impl<F: Future<Output = wasock_host::error::Result<Vec<wasock_host::poll_set::Event>>>> Tokens
    for F
{
    fn expect_ready(self) -> Vec<u64> {
        let waker = std::task::Waker::noop();
        let mut context = std::task::Context::from_waker(waker);
        let mut future = std::pin::pin!(self);
        match future.as_mut().poll(&mut context) {
            std::task::Poll::Ready(events) => {
                events.expect("wait").into_iter().map(|e| e.token).collect()
            }
            std::task::Poll::Pending => panic!("a zero-timeout wait did not answer at once"),
        }
    }
}

#[tokio::test]
async fn a_megabyte_each_way_past_what_the_os_takes_at_once() {
    let Some((_dir, ca, identity)) = setup("tls-megabyte") else {
        return;
    };
    const SIZE: usize = 1 << 20;
    let (mut socket, client) = serve(&identity, &ca, vec![], |stream| {
        // Reads the megabyte only after a pause, so the host's sends
        // fill the kernel's buffers and the outbox.
        std::thread::sleep(Duration::from_millis(300));
        let mut got = vec![0u8; SIZE];
        stream.read_exact(&mut got).unwrap();
        stream.write_all(&got).unwrap();
        stream.conn.send_close_notify();
        stream.flush().unwrap();
        got
    })
    .await;
    let data: Vec<u8> = (0..SIZE).map(|i| (i % 251) as u8).collect();
    let mut at = 0;
    while at < SIZE {
        at += socket
            .send(&data[at..], SendFlags::default(), GENEROUS)
            .await
            .expect("send");
    }
    let wait_all = RecvFlags {
        wait_all: true,
        ..Default::default()
    };
    let mut back = Vec::new();
    loop {
        let got = socket
            .receive(65_536, wait_all, GENEROUS)
            .await
            .expect("receive");
        if got.is_empty() {
            break;
        }
        back.extend(got);
    }
    assert_eq!(
        back.len(),
        SIZE,
        "end of file after close_notify, all there"
    );
    assert!(back == data);
    assert!(client.join().unwrap() == data);
    // shutdown(send) sends close_notify: the peer's read ends cleanly.
    socket.shutdown(ShutdownHow::Write).expect("shutdown");
}

#[tokio::test]
async fn an_untrusted_server_fails_the_handshake_with_its_reason() {
    let Some((_dir, _ca, identity)) = setup("tls-untrusted") else {
        return;
    };
    // The client trusts another CA.
    let other = TempDir::new("tls-untrusted-other");
    let Some((other_ca, _, _)) = certificates(other.path(), "another CA") else {
        return;
    };
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    let config = identity.server_config(vec![]);
    let server = std::thread::spawn(move || {
        let (tcp, _) = listener.accept().unwrap();
        tcp.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        let conn = rustls::ServerConnection::new(config).unwrap();
        let mut stream = rustls::StreamOwned::new(conn, tcp);
        let mut byte = [0u8; 1];
        stream.read(&mut byte).is_err()
    });
    let mut socket = Socket::create(Family::Inet, Kind::Stream, 0).unwrap();
    socket
        .connect(&SockAddr::from(address), GENEROUS)
        .await
        .unwrap();
    let failure = socket
        .tls_handshake(
            Handshake::Client {
                config: native_client(&other_ca),
                name: ServerName::try_from("localhost").unwrap(),
            },
            GENEROUS,
        )
        .await
        .unwrap_err();
    match failure {
        TlsFailure::Handshake(why) => assert!(why.contains("certificate"), "{why}"),
        other => panic!("not a handshake failure: {other:?}"),
    }
    assert!(server.join().unwrap(), "the server saw the client's alert");
    // The socket can carry no TLS now.
    let again = socket
        .send(b"x", SendFlags::default(), GENEROUS)
        .await
        .unwrap_err();
    assert_eq!(
        again.code,
        wasock_host::error::ErrorCode::ConnectionAborted,
        "{again}"
    );
}

#[tokio::test]
async fn a_handshake_resumes_after_its_timeout() {
    let Some((_dir, ca, identity)) = setup("tls-resume") else {
        return;
    };
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    let config = identity.server_config(vec![]);
    let (go, wait) = std::sync::mpsc::channel::<()>();
    let server = std::thread::spawn(move || {
        let (tcp, _) = listener.accept().unwrap();
        tcp.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        // Answers only once the client's first attempt timed out.
        wait.recv().unwrap();
        let conn = rustls::ServerConnection::new(config).unwrap();
        let mut stream = rustls::StreamOwned::new(conn, tcp);
        let mut byte = [0u8; 1];
        stream.read_exact(&mut byte).unwrap();
        byte[0]
    });
    let mut socket = Socket::create(Family::Inet, Kind::Stream, 0).unwrap();
    socket
        .connect(&SockAddr::from(address), GENEROUS)
        .await
        .unwrap();
    let client = || Handshake::Client {
        config: native_client(&ca),
        name: ServerName::try_from("127.0.0.1").unwrap(),
    };
    let first = socket
        .tls_handshake(client(), Some(Duration::ZERO))
        .await
        .unwrap_err();
    match first {
        TlsFailure::Socket(e) => assert_eq!(e.class, wasock_host::error::ErrorClass::Timeout),
        other => panic!("{other:?}"),
    }
    go.send(()).unwrap();
    let session = socket
        .tls_handshake(client(), GENEROUS)
        .await
        .expect("resumed");
    assert_eq!(session.server_name.as_deref(), Some("127.0.0.1"));
    socket
        .send(b"k", SendFlags::default(), GENEROUS)
        .await
        .unwrap();
    assert_eq!(server.join().unwrap(), b'k');
}
