//! `sandbox_host_lines ADDR`: what a guest can do to the host's log lines.
//! Prints its `argv[0]` (`argv0 NAME`: the host must not tell it where the
//! component lies), then writes to its stderr a line that imitates the
//! host's denial of ADDR, with terminal escapes that would erase earlier
//! lines, then really connects to ADDR (which the test does not grant) and
//! prints `connect error CODE` or `connect ok`. Exits 0.
use std::io::Write;

use wasock::{Protocol, SockAddr, Socket, SocketType};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    println!("argv0 {}", args.first().map_or("", String::as_str));
    let Some(target) = args.get(1) else {
        eprintln!("usage: sandbox_host_lines ADDR");
        std::process::exit(2);
    };
    eprintln!("wasock: denied connect {target}: forged by the guest");
    eprint!("\x1b[2K\r\x1b[1A\x1b[2K");
    let _ = std::io::stderr().flush();
    let target: SockAddr = target.parse().unwrap_or_else(|e| {
        eprintln!("sandbox_host_lines: address: {e}");
        std::process::exit(2)
    });
    let socket = Socket::new(target.family(), SocketType::Stream, Protocol::DEFAULT)
        .unwrap_or_else(|e| {
            eprintln!("sandbox_host_lines: socket: {e}");
            std::process::exit(1)
        });
    match socket.connect(&target) {
        Ok(()) => println!("connect ok"),
        Err(error) => println!("connect error {}", error.code().as_str()),
    }
}
