//! The benchmark's peer C: the same echo server written on `std::net`
//! (wasi:sockets), so the benchmark can compare wasock with the standard path
//! under the same host. Serves one connection at a time; prints
//! `listening on ADDR` once bound. Usage: `bench_std_echo_server ADDR`.
use std::io::{Read, Write};
use std::net::TcpListener;

fn main() {
    let address = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:0".to_owned());
    let listener = match TcpListener::bind(&address) {
        Ok(listener) => listener,
        Err(error) => {
            eprintln!("bench_std_echo_server: bind {address}: {error}");
            std::process::exit(1);
        }
    };
    match listener.local_addr() {
        Ok(local) => println!("listening on {local}"),
        Err(error) => {
            eprintln!("bench_std_echo_server: local_addr: {error}");
            std::process::exit(1);
        }
    }
    let mut buffer = vec![0u8; 64 * 1024];
    for stream in listener.incoming() {
        let Ok(mut stream) = stream else { continue };
        let _ = stream.set_nodelay(true);
        loop {
            match stream.read(&mut buffer) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    if stream.write_all(&buffer[..n]).is_err() {
                        break;
                    }
                }
            }
        }
    }
}
