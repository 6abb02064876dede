//! `policy_std_net connect ADDR | bind ADDR | send-to ADDR | resolve NAME`:
//! the same operations through `std::net` (wasi:sockets), which the host
//! governs with the same policy. Prints `<op> ok ...` or
//! `<op> error <ErrorKind>: <message>`. `send-to` binds a UDP socket to
//! `0.0.0.0:0` first, as every std UDP client does.
use std::io::Write;
use std::net::{TcpListener, TcpStream, ToSocketAddrs, UdpSocket};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [op, target] = &args[..] else {
        eprintln!("usage: policy_std_net connect ADDR | bind ADDR | send-to ADDR | resolve NAME");
        std::process::exit(2);
    };
    match op.as_str() {
        "connect" => match TcpStream::connect(target.as_str()) {
            Ok(mut stream) => {
                println!("connect ok");
                if let Err(error) = stream.write_all(b"hello") {
                    eprintln!("policy_std_net: write: {error}");
                    std::process::exit(1);
                }
            }
            Err(error) => println!("connect error {:?}: {error}", error.kind()),
        },
        "bind" => match TcpListener::bind(target.as_str()) {
            Ok(listener) => match listener.local_addr() {
                Ok(address) => println!("bind ok {address}"),
                Err(error) => println!("bind ok (no local address: {error})"),
            },
            Err(error) => println!("bind error {:?}: {error}", error.kind()),
        },
        "send-to" => match UdpSocket::bind("0.0.0.0:0") {
            Ok(socket) => match socket.send_to(b"ping", target.as_str()) {
                Ok(n) => println!("send-to ok {n}"),
                Err(error) => println!("send-to error {:?}: {error}", error.kind()),
            },
            Err(error) => println!("send-to error (bind) {:?}: {error}", error.kind()),
        },
        "resolve" => match (target.as_str(), 80).to_socket_addrs() {
            Ok(addresses) => {
                let list: Vec<String> = addresses.map(|a| a.to_string()).collect();
                println!("resolve ok {}", list.join(" "));
            }
            Err(error) => println!("resolve error {:?}: {error}", error.kind()),
        },
        other => {
            eprintln!("policy_std_net: unknown operation {other:?}");
            std::process::exit(2);
        }
    }
}
