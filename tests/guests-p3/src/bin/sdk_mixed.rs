//! `sdk_mixed ECHO`: one WASI 0.3 guest, one executor for every async
//! import. The SDK built with its `p3` feature (`wasock::async_io` over
//! `wasock:socket@0.2.0`), `wasi:sockets@0.3.0` and `wasi:clocks@0.3.0`
//! (this crate's own bindings) in the `wasi:cli/run@0.3.0` export's task,
//! all awaited on wit-bindgen's executor, against the native echo peer at
//! ECHO. Each line proves the one before it did not block the others:
//!
//! - a wasock receive is started in a spawned task and stays pending;
//! - `ok timers, wasock receive pending`: a `wasi:clocks@0.3.0` wait and
//!   the SDK's `sleep` ended meanwhile;
//! - `ok wasi-sockets, wasock receive pending`: a round trip through a
//!   `wasi:sockets@0.3.0` TCP socket's streams ended meanwhile;
//! - `ok wasock: wasock`: bytes sent through the wasock socket come back
//!   to the receive that waited all along.
//!
//! Built only with the `sdk-p3` feature (tests/build.rs builds it in the
//! examples' WASI 0.3 build, where the SDK has `p3`).

use std::rc::Rc;
use std::time::Duration;

use futures::join;
use wasock::async_io::{AsyncSocket, sleep, spawn};
use wasock::{Protocol, SockAddr, SocketType};
use wasock_test_guests_p3::parse_address;
use wasock_test_guests_p3::wasi::clocks::monotonic_clock;
use wasock_test_guests_p3::wasi::sockets::types::{IpAddressFamily, TcpSocket};
use wasock_test_guests_p3::wit_stream;
use wit_bindgen::StreamResult;

struct Guest;

wasock_test_guests_p3::export!(Guest);

const WASOCK_MESSAGE: &[u8] = b"wasock";
const WASI_MESSAGE: &[u8] = b"wasi";

impl wasock_test_guests_p3::exports::wasi::cli::run::Guest for Guest {
    async fn run() -> Result<(), ()> {
        let text = std::env::args().nth(1).expect("usage: sdk_mixed ECHO");
        let address: SockAddr = text.parse().expect("an address");

        let socket = AsyncSocket::new(address.family(), SocketType::Stream, Protocol::DEFAULT)
            .expect("a wasock socket");
        socket.connect(&address).await.expect("wasock connect");
        let socket = Rc::new(socket);
        let receiver = Rc::clone(&socket);
        let pending = spawn(async move {
            let mut echoed = Vec::new();
            while echoed.len() < WASOCK_MESSAGE.len() {
                let data = receiver.receive(64).await.expect("wasock receive");
                assert!(!data.is_empty(), "end of file after {echoed:?}");
                echoed.extend_from_slice(&data);
            }
            echoed
        });

        monotonic_clock::wait_for(20_000_000).await;
        sleep(Duration::from_millis(20)).await;
        assert!(!pending.is_finished(), "the wasock receive ended early");
        println!("ok timers, wasock receive pending");

        let tcp = TcpSocket::create(match address.family() {
            wasock::Family::Inet6 => IpAddressFamily::Ipv6,
            _ => IpAddressFamily::Ipv4,
        })
        .expect("a wasi:sockets socket");
        tcp.connect(parse_address(&text))
            .await
            .expect("wasi:sockets connect");
        let (mut incoming, _received) = tcp.receive();
        let (mut outgoing, data) = wit_stream::new();
        let mut echoed = Vec::new();
        join!(
            async {
                tcp.send(data).await.expect("wasi:sockets send");
            },
            async {
                let rest = outgoing.write_all(WASI_MESSAGE.to_vec()).await;
                assert!(rest.is_empty(), "wasi:sockets send stream closed");
                drop(outgoing);
            },
            async {
                while echoed.len() < WASI_MESSAGE.len() {
                    let (result, chunk) = incoming.read(Vec::with_capacity(64)).await;
                    echoed.extend_from_slice(&chunk);
                    if matches!(result, StreamResult::Dropped) {
                        break;
                    }
                }
            }
        );
        assert_eq!(echoed, WASI_MESSAGE, "the wasi:sockets echo");
        assert!(!pending.is_finished(), "the wasock receive ended early");
        println!("ok wasi-sockets, wasock receive pending");

        socket.send_all(WASOCK_MESSAGE).await.expect("wasock send");
        let echoed = pending.await;
        println!("ok wasock: {}", String::from_utf8_lossy(&echoed));
        Ok(())
    }
}

/// What a host that does not serve WASI 0.3 runs.
fn main() {
    eprintln!("sdk_mixed: it needs a host serving WASI 0.3");
    std::process::exit(3);
}
