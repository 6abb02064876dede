//! `plain-guest-echo ADDR`: `rustls-guest-echo` without TLS, the baseline its size is compared with.
use std::io::{Read, Write};
use std::net::TcpListener;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let listener = TcpListener::bind(&args[1]).expect("bind");
    println!("listening on {}", listener.local_addr().expect("address"));
    for stream in listener.incoming() {
        let Ok(mut stream) = stream else { continue };
        let _ = stream.set_nodelay(true);
        let mut buffer = vec![0u8; 64 * 1024];
        while let Ok(n) = stream.read(&mut buffer) {
            if n == 0 || stream.write_all(&buffer[..n]).is_err() {
                break;
            }
        }
    }
}
