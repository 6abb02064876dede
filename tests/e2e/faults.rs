//! Faults mid-connection: a peer that resets the connection, and guests
//! that trap or are killed with data in flight. Native peers on loopback.
//!
//! Run: `cargo test -p wasock-host --test e2e faults::`

use std::io::Read;
use std::net::TcpStream;
use std::time::Duration;

use wasock_tests::{Running, output_text};

use crate::common::{after, connecting_to, listener, one_peer, run_ok};

/// A peer that resets the connection mid-stream (SO_LINGER 0, then close)
/// after reading the guest's line: the guest's receive fails with
/// `connection-reset`, and a send after it fails too; the guest carries on.
#[test]
fn peer_reset_mid_stream_is_connection_reset() {
    let (address, peer) = one_peer(|mut stream| {
        let mut line = [0u8; 9];
        stream.read_exact(&mut line).expect("the guest's line");
        assert_eq!(&line, b"reset me\n");
        let socket = socket2::Socket::from(stream);
        socket
            .set_linger(Some(Duration::ZERO))
            .expect("SO_LINGER 0");
        drop(socket); // close(2) with linger 0: RST
    });
    let (stdout, text) = run_ok(connecting_to("fault_peer_reset", address));
    peer.join().expect("the native peer");
    assert!(
        after(&stdout, "receive: ", &text).starts_with("fatal/connection-reset"),
        "{text}"
    );
    let send = after(&stdout, "send: ", &text);
    assert!(
        send.starts_with("fatal/broken-pipe") || send.starts_with("fatal/connection-reset"),
        "{text}"
    );
    after(&stdout, "fault peer reset done", &text);
}

/// `fault_trap_while_sending ADDR ARGS` against a native peer that does
/// not read yet, once the guest has filled the socket's buffers: the
/// running guest and the peer's end of the connection.
fn sending_until_the_buffers_are_full(args: &[&str]) -> (Running, TcpStream) {
    let (listener, address) = listener();
    let mut running = connecting_to("fault_trap_while_sending", address)
        .args(args)
        .spawn();
    let (stream, _) = listener.accept().expect("the guest connects");
    running.wait_for_line("buffers full", Duration::from_secs(30));
    (running, stream)
}

/// A native peer that does not read yet, and a guest that fills the
/// socket's buffers and traps with the data in flight: the host process
/// exits (134) without hanging, and the peer then reads what was sent and
/// end of file (or a reset).
#[test]
fn guest_trapping_with_data_in_flight_exits_and_peer_sees_the_end() {
    let (running, mut stream) = sending_until_the_buffers_are_full(&[]);
    let output = running.wait(Duration::from_secs(30));
    assert_eq!(output.status.code(), Some(134), "{}", output_text(&output));
    assert_peer_sees_the_end(&mut stream);
}

/// The same guest killed from outside (SIGKILL of the host process) while
/// its data is in flight: the peer reads to end of file or a reset.
#[test]
fn guest_killed_with_data_in_flight_peer_sees_the_end() {
    let (running, mut stream) = sending_until_the_buffers_are_full(&["hold"]);
    let output = running.kill();
    assert!(!output.status.success(), "{}", output_text(&output));
    assert_peer_sees_the_end(&mut stream);
}

/// Reads until EOF or a reset, bounded (30 s, 1 GiB); at least one byte
/// must have arrived.
fn assert_peer_sees_the_end(stream: &mut TcpStream) {
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .expect("timeout");
    let mut buffer = vec![0u8; 256 * 1024];
    let mut total = 0usize;
    loop {
        match stream.read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => total += n,
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => break,
            Err(e) => {
                panic!("the peer did not see the end of the connection: {e} after {total} bytes")
            }
        }
        assert!(total < 1 << 30, "more than 1 GiB from a guest that stopped");
    }
    assert!(total > 0, "the guest's data never arrived");
}
