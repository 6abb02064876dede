//! `ports_stalled_peer MODE ADDR`: a port's buffered writer against a peer
//! that stops reading, then closed (`MODE` `close`) or dropped (`drop`);
//! or (`nonblocking`) a writer in non-blocking mode that never waits.
//!
//! Connects to the native peer at ADDR with a small `so-send-buffer` and a
//! 300 ms send timeout, makes ports with a 1024-byte send buffer and 4096-
//! byte send chunks, and writes a counting stream (byte `i` is byte `i % 4`
//! of the big-endian `u32` `i / 4`) 8000 bytes at a time, advancing by what
//! each `write` says it took, until a write fails; then writes 500-byte
//! tails (each buffered) and flushes them until a flush fails too (printed
//! `flush after the stall: CLASS/CODE, buffered B`). Prints `stalled: CLASS/CODE, taken
//! N, buffered B` (the write's error) and waits for the peer to read again
//! with a 30 s send timeout while the writer is closed or dropped.
//! The peer must then read exactly the first N bytes of the stream: none
//! twice, none missing.
//!
//! In `nonblocking` mode the send timeout is 30 s, yet the writes (which
//! take every byte) and the flush never wait: once 64 KiB are left
//! buffered, it prints `nonblocking: flush WHAT, try_send WHAT, T ms`
//! (what a flush and a `Socket::try_send` of one byte answered, and how
//! long the writing took) and the `stalled:` line, then flushes each time
//! the socket is writable until all is out.
//!
//! Needs `--allow-connect ADDR`.

use std::io::Write;
use std::time::{Duration, Instant};

use wasock::poll::{Subscription, wait_any};
use wasock::ports::{PortConfig, SocketReader, SocketWriter, io_ports_with};
use wasock::{Interest, Protocol, SockAddr, Socket, SocketType, Timeouts};

/// More writes than any loopback buffer holds (32 MB); a peer that never
/// stalls the writer fails the guest.
const MAX_WRITES: usize = 4000;
const CHUNK: usize = 8000;
/// Less than the 1024-byte send buffer.
const TAIL: usize = 500;

fn fail(what: &str, e: impl std::fmt::Display) -> ! {
    eprintln!("ports_stalled_peer: {what}: {e}");
    std::process::exit(1)
}

fn stream_byte(i: usize) -> u8 {
    ((i / 4) as u32).to_be_bytes()[i % 4]
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (Some(mode), Some(target)) = (args.get(1), args.get(2)) else {
        fail("usage", "ports_stalled_peer close|drop ADDR")
    };
    let target: SockAddr = target.parse().unwrap_or_else(|e| fail("address", e));
    let socket = Socket::new(target.family(), SocketType::Stream, Protocol::DEFAULT)
        .unwrap_or_else(|e| fail("socket", e));
    socket
        .set_send_buffer_size(4096)
        .unwrap_or_else(|e| fail("so-send-buffer", e));
    socket
        .connect(&target)
        .unwrap_or_else(|e| fail("connect", e));
    socket.set_timeouts(Timeouts {
        send: Some(Duration::from_millis(300)),
        ..Timeouts::SPEC
    });
    let config = PortConfig {
        receive_buffer_size: 4096,
        send_buffer_size: Some(1024),
        send_size: Some(4096),
    };
    let (reader, mut writer) = io_ports_with(socket, config);
    if mode == "nonblocking" {
        nonblocking(reader, writer);
        return;
    }

    let mut taken = 0;
    let mut stalled = None;
    for _ in 0..MAX_WRITES {
        let chunk: Vec<u8> = (taken..taken + CHUNK).map(stream_byte).collect();
        match writer.write(&chunk) {
            Ok(n) => taken += n,
            Err(e) => {
                stalled = Some(e);
                break;
            }
        }
    }
    let Some(error) = stalled else {
        fail("the peer never stalled the writer", taken)
    };
    // Tails shorter than the buffer stay buffered (once any error the
    // last write kept is reported); flushing them goes on until a flush
    // fails too, and the buffer must keep what it did not send, for the
    // close to send once the peer reads.
    let mut flushed = Ok(());
    for _ in 0..MAX_WRITES {
        let tail: Vec<u8> = (taken..taken + TAIL).map(stream_byte).collect();
        match writer.write(&tail) {
            Ok(n) => taken += n,
            Err(_) => continue,
        }
        flushed = writer.flush();
        if flushed.is_err() {
            break;
        }
    }
    println!(
        "flush after the stall: {}, buffered {}",
        outcome(flushed),
        writer.buffered()
    );
    println!(
        "stalled: {}, taken {taken}, buffered {}",
        outcome::<(), _>(Err(error)),
        writer.buffered()
    );
    let _ = std::io::stdout().flush();

    // The peer reads again once it has seen the line above.
    writer.socket().set_timeouts(Timeouts {
        send: Some(Duration::from_secs(30)),
        ..Timeouts::SPEC
    });
    match mode.as_str() {
        "close" => match writer.close() {
            Ok(()) => println!("close: ok"),
            Err(e) => println!("close: {}/{}", e.class(), e.code()),
        },
        "drop" => drop(writer),
        other => fail("unknown mode", other),
    }
    drop(reader);
    println!("ports_stalled_peer: ok");
}

/// Writes without ever waiting until 64 KiB are left buffered, then
/// flushes whenever the socket is writable until everything is out.
fn nonblocking(reader: SocketReader, mut writer: SocketWriter) {
    writer.socket().set_timeouts(Timeouts {
        send: Some(Duration::from_secs(30)),
        ..Timeouts::SPEC
    });
    writer.set_nonblocking(true);
    let start = Instant::now();
    let mut taken = 0;
    for _ in 0..MAX_WRITES {
        let chunk: Vec<u8> = (taken..taken + CHUNK).map(stream_byte).collect();
        taken += writer
            .write(&chunk)
            .unwrap_or_else(|e| fail("non-blocking write", e));
        if writer.buffered() >= 64 * 1024 {
            break;
        }
    }
    let flush = outcome(writer.flush());
    let try_send = outcome(writer.socket().try_send(b"!"));
    println!(
        "nonblocking: flush {flush}, try_send {try_send}, {} ms",
        start.elapsed().as_millis()
    );
    println!(
        "stalled: {flush}, taken {taken}, buffered {}",
        writer.buffered()
    );
    let _ = std::io::stdout().flush();

    let writable = Subscription::new(writer.socket(), Interest::WRITABLE);
    for _ in 0..10_000 {
        match writer.flush() {
            Ok(()) => break,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                wait_any(&[&writable], Some(Duration::from_secs(10)))
                    .unwrap_or_else(|e| fail("poll", e));
            }
            Err(e) => fail("flush", e),
        }
    }
    if writer.buffered() > 0 {
        fail(
            "flush",
            format!("{} bytes still buffered", writer.buffered()),
        );
    }
    drop(writable);
    drop(writer);
    drop(reader);
    println!("ports_stalled_peer: ok");
}

fn outcome<T, E: Into<wasock::Error>>(result: Result<T, E>) -> String {
    match result.map_err(Into::into) {
        Ok(_) => "ok".to_owned(),
        Err(e) => format!("{}/{}", e.class(), e.code()),
    }
}
