//! SDK e2e: the i/o ports over TCP. Connects to the native peer at ADDR,
//! sets the program's port parameters to a 512-byte send buffer (the ports
//! made afterwards without a config of their own take it), then through
//! `wasock::ports::io_ports`:
//! writes 500 bytes of `a` and 526 of `b` (the spec's example: 1024 bytes go
//! out, 2 stay), sends `|` straight through the socket (so the peer sees
//! where the buffered bytes were cut), reads two lines from the reader,
//! writes `got LINE1,LINE2\n`, closes the writer (flush + shut down the
//! write side) and reads the reader to end of file.
//!
//! Usage: sdk_ports_tcp ADDR
use std::io::{BufRead, Read, Write};

use wasock::ports::{self, PortConfig, io_ports};
use wasock::{Family, Protocol, SockAddr, Socket, SocketType};

fn main() {
    if let Err(e) = run() {
        eprintln!("sdk_ports_tcp: {e}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), String> {
    let addr: SockAddr = std::env::args()
        .nth(1)
        .ok_or("usage: sdk_ports_tcp ADDR")?
        .parse()
        .map_err(|e| format!("{e}"))?;
    let socket = Socket::new(addr.family(), SocketType::Stream, Protocol::DEFAULT)
        .map_err(|e| e.to_string())?;
    socket
        .connect(&addr)
        .map_err(|e| format!("connect {addr}: {e}"))?;
    ports::set_default_config(PortConfig {
        send_buffer_size: Some(512),
        ..PortConfig::SPEC
    });
    let (mut reader, mut writer) = io_ports(socket);

    writer
        .write_all(&[b'a'; 500])
        .map_err(|e| format!("write 500: {e}"))?;
    if writer.buffered() != 500 {
        return Err(format!(
            "after 500 bytes {} are buffered, not 500",
            writer.buffered()
        ));
    }
    writer
        .write_all(&[b'b'; 526])
        .map_err(|e| format!("write 526: {e}"))?;
    if writer.buffered() != 2 {
        return Err(format!(
            "after 1026 bytes {} are buffered, not 2",
            writer.buffered()
        ));
    }
    writer
        .socket()
        .send_all(b"|")
        .map_err(|e| format!("marker: {e}"))?;
    if writer.socket().family() != Family::Inet && writer.socket().family() != Family::Inet6 {
        return Err("the port's socket lost its family".into());
    }

    let mut lines = Vec::new();
    for _ in 0..2 {
        let mut line = String::new();
        reader
            .read_line(&mut line)
            .map_err(|e| format!("read_line: {e}"))?;
        lines.push(line.trim_end().to_owned());
    }
    writeln!(writer, "got {}", lines.join(",")).map_err(|e| format!("write reply: {e}"))?;
    writer.close().map_err(|e| format!("close writer: {e}"))?;

    let mut rest = Vec::new();
    reader
        .read_to_end(&mut rest)
        .map_err(|e| format!("read to end: {e}"))?;
    reader.close().map_err(|e| format!("close reader: {e}"))?;
    println!("sdk_ports_tcp: ok, {} bytes after the lines", rest.len());
    Ok(())
}
