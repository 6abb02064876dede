//! `tls_key_dump IDENTITY`: serves one TLS connection with the host's
//! identity IDENTITY, then shows its whole linear memory, for a test that
//! looks there for the identity's private key.
//!
//! Prints `identities: A,B` (the names the host holds), listens on
//! 127.0.0.1 (port 0), prints `listening on ADDR`, accepts one connection,
//! does the server handshake, echoes what comes until end of file (keeping
//! every byte received, so the dump holds the plaintext the guest saw),
//! prints `echoed N bytes`, then one line `memory HEX` per 64 KiB page of
//! its memory, in order, and `dumped N pages`.
use wasock::{Family, Protocol, SockAddr, Socket, SocketType};

fn main() {
    if let Err(e) = run() {
        eprintln!("tls_key_dump: {e}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), String> {
    let identity = std::env::args()
        .nth(1)
        .ok_or("usage: tls_key_dump IDENTITY")?;
    println!("identities: {}", wasock::tls::identities().join(","));
    let listener = Socket::new(Family::Inet, SocketType::Stream, Protocol::DEFAULT)
        .map_err(|e| format!("socket: {e}"))?;
    let loopback = SockAddr::inet(Some("127.0.0.1"), 0).map_err(|e| e.to_string())?;
    listener.bind(&loopback).map_err(|e| format!("bind: {e}"))?;
    listener.listen(1).map_err(|e| format!("listen: {e}"))?;
    let name = listener
        .name()
        .map_err(|e| format!("name: {e}"))?
        .ok_or("the listener has no name")?;
    println!("listening on {name}");

    let connection = listener.accept().map_err(|e| format!("accept: {e}"))?;
    connection
        .tls_accept(&identity)
        .map_err(|e| format!("tls accept: {e}"))?;
    let mut received = Vec::new();
    // Bounded: the client sends a few kilobytes, and each receive waits
    // at most the spec's minute.
    for _ in 0..10_000 {
        let data = connection
            .receive(65536)
            .map_err(|e| format!("receive: {e}"))?;
        if data.is_empty() {
            break;
        }
        connection
            .send_all(&data)
            .map_err(|e| format!("send: {e}"))?;
        received.extend_from_slice(&data);
    }
    connection.close().map_err(|e| format!("close: {e}"))?;
    println!("echoed {} bytes", received.len());

    let pages = memory_pages();
    let mut line = String::with_capacity(2 * 65536 + 8);
    for page in 0..pages {
        line.clear();
        line.push_str("memory ");
        for offset in 0..65536 {
            let address = page * 65536 + offset;
            // Address 0 is null to Rust; its byte is shown as 0.
            let byte = match address {
                0 => 0,
                // SAFETY: every address below memory_size(0) pages is in
                // the guest's linear memory, and a u8 has no alignment
                // or validity requirement; read_volatile so the compiler
                // makes no assumption about bytes it did not write.
                _ => unsafe { std::ptr::read_volatile(address as *const u8) },
            };
            const HEX: &[u8; 16] = b"0123456789abcdef";
            line.push(char::from(HEX[usize::from(byte >> 4)]));
            line.push(char::from(HEX[usize::from(byte & 15)]));
        }
        println!("{line}");
    }
    println!("dumped {pages} pages");
    // What was received stays alive until after the dump.
    std::hint::black_box(&received);
    Ok(())
}

/// How many 64 KiB pages the linear memory has now.
#[cfg(target_arch = "wasm32")]
fn memory_pages() -> usize {
    core::arch::wasm32::memory_size(0)
}

/// None off wasm (the workspace builds every bin natively too, where the
/// SDK refuses to run).
#[cfg(not(target_arch = "wasm32"))]
fn memory_pages() -> usize {
    0
}
