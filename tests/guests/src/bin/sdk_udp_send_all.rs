//! SDK e2e: `send_all` on a connected datagram socket sends one datagram per
//! `send_size` chunk. Connects a UDP socket to the native peer at ADDR and
//! sends 1300 bytes with send size 512 (`send_all_with`), then 1300 bytes
//! with the program's default send size set to 400 (`send_all`), then a
//! write of 1000 bytes to a datagram port given send size 300
//! (`io_ports_with`).
//!
//! Usage: sdk_udp_send_all ADDR
use std::io::Write;

use wasock::ports::{self, PortConfig, io_ports_with};
use wasock::{Protocol, SendOptions, SockAddr, Socket, SocketType};

fn main() {
    if let Err(e) = run() {
        eprintln!("sdk_udp_send_all: {e}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), String> {
    let addr: SockAddr = std::env::args()
        .nth(1)
        .ok_or("usage: sdk_udp_send_all ADDR")?
        .parse()
        .map_err(|e| format!("{e}"))?;
    let socket = Socket::new(addr.family(), SocketType::Dgram, Protocol::DEFAULT)
        .map_err(|e| e.to_string())?;
    socket
        .connect(&addr)
        .map_err(|e| format!("connect {addr}: {e}"))?;
    let peer = socket.peer_name().map_err(|e| e.to_string())?;
    if peer.as_ref() != Some(&addr) {
        return Err(format!("peer name {peer:?}, expected {addr}"));
    }

    socket
        .send_all_with(&[1; 1300], SendOptions::new().send_size(Some(512)))
        .map_err(|e| format!("send_all_with: {e}"))?;

    ports::set_default_config(PortConfig {
        send_size: Some(400),
        ..PortConfig::default()
    });
    socket
        .send_all(&[2; 1300])
        .map_err(|e| format!("send_all: {e}"))?;

    let config = PortConfig {
        send_size: Some(300),
        ..PortConfig::default()
    };
    let (_reader, mut writer) = io_ports_with(socket, config);
    writer
        .write_all(&[3; 1000])
        .map_err(|e| format!("port write: {e}"))?;
    println!("sdk_udp_send_all: ok");
    Ok(())
}
