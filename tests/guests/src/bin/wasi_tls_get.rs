//! `wasi_tls_get ADDR SERVER_NAME`: connects to ADDR through
//! `wasi:sockets` (as a guest with no TLS stack of its own would), hands
//! the connection's streams to `wasi:tls` for a handshake with
//! SERVER_NAME (the host does the crypto and decides the trust), sends
//! `GET / HTTP/1.0` and prints what comes back: `handshake ok`, then
//! `body: TEXT`; or `connect: error CODE` / `handshake: error TEXT`.

wit_bindgen::generate!({
    path: "wit/tls",
    world: "wasi:tls/imports",
    features: ["tls"],
    with: {
        "wasi:io/streams@0.2.12": wasip2::io::streams,
        "wasi:io/poll@0.2.12": wasip2::io::poll,
        "wasi:io/error@0.2.12": wasip2::io::error,
    },
});

use wasi::tls::types::{ClientHandshake, FutureClientStreams};
use wasip2::sockets::network::{IpAddressFamily, IpSocketAddress, Ipv4SocketAddress};
use wasip2::sockets::{instance_network, tcp_create_socket};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (Some(addr), Some(server_name)) = (args.get(1), args.get(2)) else {
        eprintln!("usage: wasi_tls_get ADDR SERVER_NAME");
        std::process::exit(2);
    };
    let addr: std::net::SocketAddrV4 = addr.parse().expect("an IPv4 address and port");
    let [a, b, c, d] = addr.ip().octets();
    let network = instance_network::instance_network();
    let socket = tcp_create_socket::create_tcp_socket(IpAddressFamily::Ipv4).expect("socket");
    let remote = IpSocketAddress::Ipv4(Ipv4SocketAddress {
        port: addr.port(),
        address: (a, b, c, d),
    });
    if let Err(code) = socket.start_connect(&network, remote) {
        println!("connect: error {code:?}");
        return;
    }
    let (input, output) = loop {
        match socket.finish_connect() {
            Ok(streams) => break streams,
            Err(wasip2::sockets::network::ErrorCode::WouldBlock) => socket.subscribe().block(),
            Err(code) => {
                println!("connect: error {code:?}");
                return;
            }
        }
    };

    let handshake = ClientHandshake::new(server_name, input, output);
    let future: FutureClientStreams = ClientHandshake::finish(handshake);
    let (connection, input, output) = loop {
        match future.get() {
            None => future.subscribe().block(),
            Some(Ok(Ok(streams))) => break streams,
            Some(Ok(Err(error))) => {
                println!("handshake: error {}", error.to_debug_string());
                return;
            }
            Some(Err(())) => {
                println!("handshake: error (taken twice)");
                return;
            }
        }
    };
    println!("handshake ok");

    output
        .blocking_write_and_flush(b"GET / HTTP/1.0\r\nHost: test\r\n\r\n")
        .expect("write the request");
    let mut body = Vec::new();
    loop {
        match input.blocking_read(4096) {
            Ok(chunk) => body.extend_from_slice(&chunk),
            Err(wasip2::io::streams::StreamError::Closed) => break,
            Err(wasip2::io::streams::StreamError::LastOperationFailed(error)) => {
                println!("read: error {}", error.to_debug_string());
                break;
            }
        }
        if body.len() > 1 << 20 {
            break;
        }
    }
    let text = String::from_utf8_lossy(&body);
    println!("body: {}", text.lines().last().unwrap_or(""));
    connection.close_output();
}
