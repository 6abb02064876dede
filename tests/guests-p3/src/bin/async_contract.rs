//! `async_contract MODE [ARGS]`: a WASI 0.3 guest on
//! `wasock:socket@0.2.0`, wasock's contract for the component model's
//! async, every blocking call awaited on wit-bindgen's executor:
//!
//! - `echo-client ADDR MESSAGE [stream]`: connects, sends MESSAGE, shuts
//!   its sending side down and receives to end of file (with `stream`:
//!   through `send-stream` and `receive-stream`): `echoed: TEXT`;
//! - `serve ADDR [stream]`: binds, listens, prints `listening PORT`,
//!   accepts one connection and echoes it to end of file (with `stream`:
//!   its receive stream piped into its send stream), then shuts down its
//!   sending side: `served N bytes`;
//! - `connect ADDR`: `connect ADDR: ok` or `connect ADDR: error CLASS CODE`;
//! - `receive-timeout ADDR MILLIS`: connects and receives with that
//!   timeout: `receive: error CLASS CODE after N ms`;
//! - `accept-timeout ADDR MILLIS`: binds, listens and accepts with that
//!   timeout: `accept: error CLASS CODE after N ms`;
//! - `mixed ADDR`: connects, then waits at once for a receive on the
//!   socket and a `wasi:clocks@0.3.0` timer of 100 ms, on one executor:
//!   `timer fired, receive pending`, then sends `go` and awaits the same
//!   receive: `received: TEXT`;
//! - `poll ADDR`: connects, adds the socket to a poll set, waits 100 ms
//!   (`wait: none`), sends `go`, waits again (`wait: readable TOKEN`);
//! - `close-pending ADDR`: connects, starts a receive with no timeout
//!   and closes the socket 100 ms later: `close: ok`, `receive: N bytes`
//!   (or `receive: error CLASS CODE`), then creates sockets until one is
//!   allowed (under `--max-sockets 1`, once the closed one is gone):
//!   `socket again: ok`;
//! - `close-stream ADDR`: connects, opens its receive stream, posts a
//!   read and closes the socket 100 ms later: `read: dropped N bytes`,
//!   then `receive-stream: …` as the stream's future resolved;
//! - `send-to ADDR`: a datagram `hi` from an unbound datagram socket:
//!   `send-to ADDR: ok 2` or `send-to ADDR: error CLASS CODE`;
//! - `stream-states`: the streams of sockets that have none: an
//!   unconnected stream socket's receive stream (`receive-stream: error
//!   CLASS CODE`) and a datagram socket's send stream (`send-stream:
//!   error CLASS CODE`);
//! - `udp-inbound`: binds a datagram socket to `0.0.0.0:0` (no grant
//!   needed), prints `bound PORT`, then `from ADDR: TEXT` for each
//!   datagram `receive-from` returns, until `stop` (or 20 s);
//! - `receives ADDR|udp COUNT`: COUNT receives started at once on one
//!   socket (`receiving N, refused R out-of-memory`), alive until killed;
//! - `streams ADDR COUNT`: COUNT receive streams opened at once on one
//!   connection (`streams N open, refused R out-of-memory`), alive until
//!   killed;
//! - `resolve NODE`: `address-information` of NODE, numeric host when it
//!   is an address: `resolve NODE: ok N` or `… error CLASS CODE`.

use std::time::Instant;

use wasock_test_guests_p3::wasi::clocks::monotonic_clock;
use wasock_test_guests_p3::wasock_address;
use wasock_test_guests_p3::wasock_async::wasock::socket::poll_set::{PollSet, Trigger};
use wasock_test_guests_p3::wasock_async::wasock::socket::resolve::{
    self, AddressInfoFlags, AddressInfoHints,
};
use wasock_test_guests_p3::wasock_async::wasock::socket::socket::{
    Interest, ReceiveFlags, SendFlags, ShutdownHow, Socket,
};
use wasock_test_guests_p3::wasock_async::wasock::socket::types::{
    AddressFamily, Error, ErrorCode, SocketAddress, SocketType,
};
use wasock_test_guests_p3::wasock_async::wit_stream;
use wit_bindgen::StreamResult;

struct Guest;

wasock_test_guests_p3::export!(Guest);

/// Five seconds, in the contract's nanoseconds.
const FIVE_SECONDS: u64 = 5_000_000_000;

fn arg(args: &[String], index: usize) -> &str {
    args.get(index).map(String::as_str).unwrap_or_else(|| {
        eprintln!("async_contract: missing argument {index}");
        std::process::exit(2)
    })
}

/// An error as the tests read it.
fn show(error: &Error) -> String {
    format!("{:?} {:?}", error.class, error.code)
}

fn family(address: &SocketAddress) -> AddressFamily {
    match address {
        SocketAddress::Inet6(_) => AddressFamily::Inet6,
        _ => AddressFamily::Inet,
    }
}

fn stream_socket(address: &SocketAddress) -> Socket {
    Socket::create(family(address), SocketType::Stream, 0).expect("socket")
}

async fn connected(text: &str) -> Socket {
    let address = wasock_address(text);
    let socket = stream_socket(&address);
    socket
        .connect(address, Some(FIVE_SECONDS))
        .await
        .unwrap_or_else(|e| panic!("connect {text}: {}", show(&e)));
    socket
}

/// Receives with list calls to end of file.
async fn receive_all(socket: &Socket) -> Vec<u8> {
    let mut received = Vec::new();
    loop {
        let data = socket
            .receive(65536, ReceiveFlags::empty(), Some(FIVE_SECONDS))
            .await
            .unwrap_or_else(|e| panic!("receive: {}", show(&e)));
        if data.is_empty() {
            return received;
        }
        received.extend_from_slice(&data);
    }
}

/// Sends all of `data` with list calls.
async fn send_all(socket: &Socket, mut data: &[u8]) {
    while !data.is_empty() {
        let sent = socket
            .send(data.to_vec(), SendFlags::empty(), Some(FIVE_SECONDS))
            .await
            .unwrap_or_else(|e| panic!("send: {}", show(&e)));
        data = &data[sent as usize..];
    }
}

/// Receives through `receive-stream` to end of file.
async fn receive_stream_all(socket: &Socket) -> Vec<u8> {
    let (mut bytes, outcome) = socket.receive_stream();
    let mut received = Vec::new();
    loop {
        let (result, chunk) = bytes.read(Vec::with_capacity(65536)).await;
        received.extend_from_slice(&chunk);
        if matches!(result, StreamResult::Dropped) {
            break;
        }
    }
    if let Err(e) = outcome.await {
        panic!("receive-stream: {}", show(&e));
    }
    received
}

/// Sends all of `data` through `send-stream`.
async fn send_stream_all(socket: &Socket, data: Vec<u8>) {
    let (mut writer, reader) = wit_stream::new();
    let outcome = socket.send_stream(reader);
    let rest = writer.write_all(data).await;
    assert!(
        rest.is_empty(),
        "send-stream took {} bytes less",
        rest.len()
    );
    drop(writer);
    if let Err(e) = outcome.await {
        panic!("send-stream: {}", show(&e));
    }
}

async fn echo_client(text: &str, message: &str, streams: bool) {
    let socket = connected(text).await;
    if streams {
        send_stream_all(&socket, message.as_bytes().to_vec()).await;
    } else {
        send_all(&socket, message.as_bytes()).await;
    }
    socket.shutdown(ShutdownHow::Send).expect("shutdown");
    let received = if streams {
        receive_stream_all(&socket).await
    } else {
        receive_all(&socket).await
    };
    println!("echoed: {}", String::from_utf8_lossy(&received));
}

fn port_of(address: &SocketAddress) -> u16 {
    match address {
        SocketAddress::Inet(v4) => v4.port,
        SocketAddress::Inet6(v6) => v6.port,
        SocketAddress::Unix(_) => 0,
    }
}

async fn serve(text: &str, streams: bool) {
    let address = wasock_address(text);
    let listener = stream_socket(&address);
    listener
        .bind(&address)
        .unwrap_or_else(|e| panic!("bind: {}", show(&e)));
    listener.listen(8).expect("listen");
    let bound = listener.name().expect("name").expect("bound");
    println!("listening {}", port_of(&bound));
    let connection = listener
        .accept(Some(4 * FIVE_SECONDS))
        .await
        .unwrap_or_else(|e| panic!("accept: {}", show(&e)));
    let mut served = 0;
    if streams {
        let (mut incoming, received) = connection.receive_stream();
        let (mut outgoing, reader) = wit_stream::new();
        let sent = connection.send_stream(reader);
        loop {
            let (result, chunk) = incoming.read(Vec::with_capacity(65536)).await;
            served += chunk.len();
            if !chunk.is_empty() {
                let rest = outgoing.write_all(chunk).await;
                assert!(rest.is_empty(), "the send stream was dropped");
            }
            if matches!(result, StreamResult::Dropped) {
                break;
            }
        }
        drop(outgoing);
        if let Err(e) = received.await {
            panic!("receive-stream: {}", show(&e));
        }
        if let Err(e) = sent.await {
            panic!("send-stream: {}", show(&e));
        }
    } else {
        loop {
            let data = connection
                .receive(65536, ReceiveFlags::empty(), Some(4 * FIVE_SECONDS))
                .await
                .unwrap_or_else(|e| panic!("receive: {}", show(&e)));
            if data.is_empty() {
                break;
            }
            served += data.len();
            send_all(&connection, &data).await;
        }
    }
    connection.shutdown(ShutdownHow::Send).expect("shutdown");
    println!("served {served} bytes");
}

async fn connect(text: &str) {
    let address = wasock_address(text);
    let socket = stream_socket(&address);
    match socket.connect(address, Some(FIVE_SECONDS)).await {
        Ok(()) => println!("connect {text}: ok"),
        Err(e) => println!("connect {text}: error {}", show(&e)),
    }
}

async fn receive_timeout(text: &str, millis: u64) {
    let socket = connected(text).await;
    let started = Instant::now();
    let result = socket
        .receive(64, ReceiveFlags::empty(), Some(millis * 1_000_000))
        .await;
    let elapsed = started.elapsed().as_millis();
    match result {
        Ok(data) => println!("receive: {} bytes", data.len()),
        Err(e) => println!("receive: error {} after {elapsed} ms", show(&e)),
    }
}

async fn accept_timeout(text: &str, millis: u64) {
    let address = wasock_address(text);
    let listener = stream_socket(&address);
    listener
        .bind(&address)
        .unwrap_or_else(|e| panic!("bind: {}", show(&e)));
    listener.listen(8).expect("listen");
    let started = Instant::now();
    let result = listener.accept(Some(millis * 1_000_000)).await;
    let elapsed = started.elapsed().as_millis();
    match result {
        Ok(_) => println!("accept: a connection"),
        Err(e) => println!("accept: error {} after {elapsed} ms", show(&e)),
    }
}

async fn mixed(text: &str) {
    let socket = connected(text).await;
    let receive = Box::pin(socket.receive(64, ReceiveFlags::empty(), None));
    let timer = Box::pin(monotonic_clock::wait_for(100_000_000));
    let receive = match futures::future::select(receive, timer).await {
        futures::future::Either::Left((result, _)) => {
            println!("receive first: {result:?}");
            return;
        }
        futures::future::Either::Right(((), receive)) => {
            println!("timer fired, receive pending");
            receive
        }
    };
    let go = socket.send(b"go".to_vec(), SendFlags::empty(), Some(FIVE_SECONDS));
    go.await.expect("send");
    match receive.await {
        Ok(data) => println!("received: {}", String::from_utf8_lossy(&data)),
        Err(e) => println!("receive: error {}", show(&e)),
    }
}

async fn poll(text: &str) {
    let socket = connected(text).await;
    let set = PollSet::create().expect("poll set");
    set.add(&socket, Interest::READABLE, Trigger::Level, 7)
        .expect("add");
    match set.wait(Some(100_000_000), 16).await {
        Ok(events) if events.is_empty() => println!("wait: none"),
        other => println!("wait: {other:?}"),
    }
    socket
        .send(b"go".to_vec(), SendFlags::empty(), Some(FIVE_SECONDS))
        .await
        .expect("send");
    match set.wait(Some(FIVE_SECONDS), 16).await {
        Ok(events) => {
            for event in events {
                println!("wait: {:?} {}", event.readiness, event.token);
            }
        }
        Err(e) => println!("wait: error {}", show(&e)),
    }
}

async fn close_pending(text: &str) {
    let socket = connected(text).await;
    let receive = socket.receive(64, ReceiveFlags::empty(), None);
    let close_later = async {
        monotonic_clock::wait_for(100_000_000).await;
        socket.close().await
    };
    let (received, closed) = futures::join!(receive, close_later);
    match closed {
        Ok(()) => println!("close: ok"),
        Err(e) => println!("close: error {}", show(&e)),
    }
    match received {
        Ok(data) => println!("receive: {} bytes", data.len()),
        Err(e) => println!("receive: error {}", show(&e)),
    }
    drop(socket);
    for _ in 0..100 {
        match Socket::create(AddressFamily::Inet, SocketType::Stream, 0) {
            Ok(_) => {
                println!("socket again: ok");
                return;
            }
            Err(e) => println!("socket again: error {}", show(&e)),
        }
        monotonic_clock::wait_for(10_000_000).await;
    }
}

async fn close_stream(text: &str) {
    let socket = connected(text).await;
    let (mut bytes, outcome) = socket.receive_stream();
    let read = bytes.read(Vec::with_capacity(64));
    let close_later = async {
        monotonic_clock::wait_for(100_000_000).await;
        socket.close().await
    };
    let ((result, chunk), closed) = futures::join!(read, close_later);
    assert!(closed.is_ok(), "close");
    println!("read: {result:?} {} bytes", chunk.len());
    match outcome.await {
        Ok(()) => println!("receive-stream: ok"),
        Err(e) => println!("receive-stream: error {}", show(&e)),
    }
}

async fn send_to(text: &str) {
    let address = wasock_address(text);
    let socket = Socket::create(family(&address), SocketType::Dgram, 0).expect("socket");
    let sent = socket
        .send_to(
            b"hi".to_vec(),
            address,
            SendFlags::empty(),
            Some(FIVE_SECONDS),
        )
        .await;
    match sent {
        Ok(length) => println!("send-to {text}: ok {length}"),
        Err(e) => println!("send-to {text}: error {}", show(&e)),
    }
}

async fn stream_states() {
    let unconnected = Socket::create(AddressFamily::Inet, SocketType::Stream, 0).expect("socket");
    let (mut bytes, outcome) = unconnected.receive_stream();
    let (result, chunk) = bytes.read(Vec::with_capacity(16)).await;
    assert!(matches!(result, StreamResult::Dropped) && chunk.is_empty());
    match outcome.await {
        Ok(()) => println!("receive-stream: ok"),
        Err(e) => println!("receive-stream: error {}", show(&e)),
    }
    let datagram = Socket::create(AddressFamily::Inet, SocketType::Dgram, 0).expect("socket");
    let (mut writer, reader) = wit_stream::new();
    let outcome = datagram.send_stream(reader);
    let rest = writer.write_all(b"never".to_vec()).await;
    println!("send-stream took {} bytes", 5 - rest.len());
    match outcome.await {
        Ok(()) => println!("send-stream: ok"),
        Err(e) => println!("send-stream: error {}", show(&e)),
    }
}

async fn udp_inbound() {
    let socket = Socket::create(AddressFamily::Inet, SocketType::Dgram, 0).expect("socket");
    socket
        .bind(&wasock_address("0.0.0.0:0"))
        .unwrap_or_else(|e| panic!("bind: {}", show(&e)));
    let bound = socket.name().expect("name").expect("bound");
    println!("bound {}", port_of(&bound));
    loop {
        let received = socket
            .receive_from(64, ReceiveFlags::empty(), Some(4 * FIVE_SECONDS))
            .await;
        match received {
            Ok(datagram) => {
                let text = String::from_utf8_lossy(&datagram.data).into_owned();
                let from = match datagram.address {
                    Some(SocketAddress::Inet(v4)) => {
                        let (a, b, c, d) = v4.address;
                        format!("{a}.{b}.{c}.{d}:{}", v4.port)
                    }
                    other => format!("{other:?}"),
                };
                println!("from {from}: {text}");
                if text == "stop" {
                    return;
                }
            }
            Err(e) => {
                println!("receive-from: error {}", show(&e));
                return;
            }
        }
    }
}

async fn resolve(node: &str) {
    let numeric = node.parse::<std::net::IpAddr>().is_ok();
    let hints = AddressInfoHints {
        family: None,
        socket_type: Some(SocketType::Stream),
        protocol: None,
        flags: if numeric {
            AddressInfoFlags::NUMERICHOST
        } else {
            AddressInfoFlags::empty()
        },
    };
    let answer =
        resolve::address_information(Some(node.to_owned()), None, hints, Some(FIVE_SECONDS)).await;
    match answer {
        Ok(infos) => println!("resolve {node}: ok {}", infos.len()),
        Err(e) => println!("resolve {node}: error {}", show(&e)),
    }
}

/// 32 sends of 1 MiB at once on a connection whose peer reads nothing:
/// each holds its own copy on the host while it waits, so the guest's
/// pending-send budget refuses those past it (`out-of-memory`) at once.
async fn send_flood(text: &str) {
    let socket = connected(text).await;
    let sends =
        (0..32).map(|_| socket.send(vec![7u8; 1 << 20], SendFlags::empty(), Some(2_000_000_000)));
    let results = futures::future::join_all(sends).await;
    let refused = results
        .iter()
        .filter(|r| r.as_ref().is_err_and(|e| e.code == ErrorCode::OutOfMemory))
        .count();
    println!(
        "send-flood: {refused} of {} refused out-of-memory",
        results.len()
    );
}

/// COUNT receives of up to 64 KiB started at once, on a connection to
/// ADDR (a peer that sends nothing) or, with ADDR `udp`, on a datagram
/// socket bound to `127.0.0.1:0`: `receiving N, refused R out-of-memory`
/// (the host's limit of pending calls), then alive (for the host to be
/// measured) until killed.
async fn receives(text: &str, count: usize) {
    let socket = if text == "udp" {
        let socket =
            Socket::create(AddressFamily::Inet, SocketType::Dgram, 0).expect("datagram socket");
        socket
            .bind(&wasock_address("127.0.0.1:0"))
            .expect("bind 127.0.0.1:0");
        socket
    } else {
        connected(text).await
    };
    let mut pending = Vec::new();
    let mut refused = 0;
    for _ in 0..count {
        let mut receive = Box::pin(socket.receive(65536, ReceiveFlags::empty(), None));
        match futures::poll!(receive.as_mut()) {
            std::task::Poll::Pending => pending.push(receive),
            std::task::Poll::Ready(Err(e)) if e.code == ErrorCode::OutOfMemory => refused += 1,
            std::task::Poll::Ready(other) => panic!("a receive gave {other:?}"),
        }
    }
    println!(
        "receiving {}, refused {refused} out-of-memory",
        pending.len()
    );
    monotonic_clock::wait_for(120_000_000_000).await;
}

/// COUNT receive streams opened at once on a connection to ADDR (a peer
/// that sends nothing), each with a read posted: `streams N open, refused
/// R out-of-memory` (the host's limit of pending calls counts open
/// streams), then alive until killed.
async fn open_streams(text: &str, count: usize) {
    let socket = connected(text).await;
    let mut opened = Vec::new();
    for _ in 0..count {
        let (mut stream, ended) = socket.receive_stream();
        let read = Box::pin(async move {
            let _ = stream.read(Vec::with_capacity(16)).await;
            stream
        });
        opened.push((read, Box::pin(ended.into_future())));
    }
    for (read, ended) in &mut opened {
        let _ = futures::poll!(read.as_mut());
        let _ = futures::poll!(ended.as_mut());
    }
    // A refused stream's future resolves as soon as the host runs it.
    monotonic_clock::wait_for(200_000_000).await;
    let (mut open, mut refused) = (0, 0);
    for (_, ended) in &mut opened {
        match futures::poll!(ended.as_mut()) {
            std::task::Poll::Pending => open += 1,
            std::task::Poll::Ready(Err(e)) if e.code == ErrorCode::OutOfMemory => refused += 1,
            std::task::Poll::Ready(other) => panic!("a receive stream ended with {other:?}"),
        }
    }
    println!("streams {open} open, refused {refused} out-of-memory");
    monotonic_clock::wait_for(120_000_000_000).await;
}

impl wasock_test_guests_p3::exports::wasi::cli::run::Guest for Guest {
    async fn run() -> Result<(), ()> {
        let args: Vec<String> = std::env::args().collect();
        let streams = |index: usize| args.get(index).is_some_and(|a| a == "stream");
        match arg(&args, 1) {
            "echo-client" => echo_client(arg(&args, 2), arg(&args, 3), streams(4)).await,
            "serve" => serve(arg(&args, 2), streams(3)).await,
            "connect" => connect(arg(&args, 2)).await,
            "receive-timeout" => {
                receive_timeout(arg(&args, 2), arg(&args, 3).parse().expect("millis")).await
            }
            "accept-timeout" => {
                accept_timeout(arg(&args, 2), arg(&args, 3).parse().expect("millis")).await
            }
            "mixed" => mixed(arg(&args, 2)).await,
            "poll" => poll(arg(&args, 2)).await,
            "close-pending" => close_pending(arg(&args, 2)).await,
            "close-stream" => close_stream(arg(&args, 2)).await,
            "send-to" => send_to(arg(&args, 2)).await,
            "stream-states" => stream_states().await,
            "udp-inbound" => udp_inbound().await,
            "resolve" => resolve(arg(&args, 2)).await,
            "send-flood" => send_flood(arg(&args, 2)).await,
            "receives" => receives(arg(&args, 2), arg(&args, 3).parse().expect("a count")).await,
            "streams" => open_streams(arg(&args, 2), arg(&args, 3).parse().expect("a count")).await,
            other => {
                eprintln!("async_contract: unknown mode {other}");
                return Err(());
            }
        }
        Ok(())
    }
}

/// What a host that does not serve WASI 0.3 runs.
fn main() {
    eprintln!("async_contract: ran as a WASI 0.2 command; it needs a host serving WASI 0.3");
    std::process::exit(3);
}
