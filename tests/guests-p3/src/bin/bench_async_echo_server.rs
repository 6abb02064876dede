//! `bench_async_echo_server ADDR`: the benchmark's echo server on
//! `wasock:socket@0.2.0`, the contract for the component model's async.
//! Binds and listens on ADDR, prints `listening on ADDR`, then accepts
//! forever, each connection a task on wit-bindgen's executor echoing its
//! receive stream into its send stream (the host reads into and writes
//! from the guest's buffer: one syscall per read and per write).

use wasock_test_guests_p3::wasock_address;
use wasock_test_guests_p3::wasock_async::wasock::socket::socket::{ShutdownHow, Socket};
use wasock_test_guests_p3::wasock_async::wasock::socket::types::{
    AddressFamily, SocketAddress, SocketType,
};
use wasock_test_guests_p3::wasock_async::wit_stream;
use wit_bindgen::StreamResult;

struct Guest;

wasock_test_guests_p3::export!(Guest);

/// Echoes `connection` until its peer's end of file.
async fn echo(connection: Socket) {
    let (mut incoming, _received) = connection.receive_stream();
    let (mut outgoing, reader) = wit_stream::new();
    let _sent = connection.send_stream(reader);
    let mut buffer = Vec::with_capacity(64 * 1024);
    loop {
        let (result, chunk) = incoming.read(buffer).await;
        if !chunk.is_empty() {
            let rest = outgoing.write_all(chunk).await;
            if !rest.is_empty() {
                break;
            }
        }
        if matches!(result, StreamResult::Dropped) {
            break;
        }
        buffer = Vec::with_capacity(64 * 1024);
    }
    drop(outgoing);
    let _ = connection.shutdown(ShutdownHow::Send);
}

impl wasock_test_guests_p3::exports::wasi::cli::run::Guest for Guest {
    async fn run() -> Result<(), ()> {
        let text = std::env::args()
            .nth(1)
            .unwrap_or_else(|| "127.0.0.1:0".into());
        let address = wasock_address(&text);
        let family = match address {
            SocketAddress::Inet6(_) => AddressFamily::Inet6,
            _ => AddressFamily::Inet,
        };
        let listener = Socket::create(family, SocketType::Stream, 0).expect("socket");
        listener.bind(&address).expect("bind");
        listener.listen(1024).expect("listen");
        match listener.name() {
            Ok(Some(SocketAddress::Inet(v4))) => {
                let (a, b, c, d) = v4.address;
                println!("listening on {a}.{b}.{c}.{d}:{}", v4.port);
            }
            other => panic!("listener name: {other:?}"),
        }
        loop {
            match listener.accept(None).await {
                Ok(connection) => {
                    let _ = connection.set_tcp_no_delay(true);
                    wit_bindgen::spawn_local(echo(connection));
                }
                Err(e) => eprintln!("accept: {:?} {:?}", e.class, e.code),
            }
        }
    }
}

/// What a host that does not serve WASI 0.3 runs.
fn main() {
    eprintln!("bench_async_echo_server: it needs a host serving WASI 0.3");
    std::process::exit(3);
}
