//! `wasock:socket@0.2.0`, the contract for the component model's async,
//! served beside 0.1.0 to WASI 0.3 guests (`async_contract`): every
//! blocking call an `async func` on wit-bindgen's executor, stream
//! sockets' data as `stream<u8>`, under the same policy (refusals are the
//! guest's `permission-denied` and reported once), the same per-call
//! timeouts and error classes.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Output;
use std::time::Duration;

use wasock_tests::{Wasock, guest, output_text, stderr, stdout};

use crate::WASOCK;
use crate::common::{
    IO_TIMEOUT, TIMEOUT, closed_address, denials, native_echo, one_peer, printed, run,
};

/// Runs `async_contract` with `flags` and `args`.
fn guest_run(flags: &[&str], args: &[&str]) -> Output {
    run(flags, "async_contract", args)
}

/// A guest client echoes through a native echo peer, with list calls and
/// with `send-stream` / `receive-stream`.
#[test]
fn echo_client_against_a_native_peer() {
    let peer = native_echo().to_string();
    for mode in [None, Some("stream")] {
        let mut args = vec!["echo-client", &peer, "hello, async"];
        args.extend(mode);
        let output = guest_run(&["--allow-connect", &peer], &args);
        printed(&output, "echoed: hello, async");
    }
}

/// A guest server (bind, listen, accept, echo) serves a native client,
/// with list calls and with its receive stream piped into its send
/// stream.
#[test]
fn echo_server_serves_a_native_client() {
    let message = vec![b'x'; 300_000];
    for mode in [None, Some("stream")] {
        let mut args = vec!["serve", "127.0.0.1:0"];
        args.extend(mode);
        let mut running = Wasock::new(WASOCK, guest("async_contract"))
            .flag("--allow-bind")
            .flag("127.0.0.1:0")
            .args(args)
            .spawn();
        let line = running.wait_for_line("listening ", TIMEOUT);
        let port: u16 = line["listening ".len()..].trim().parse().expect("a port");
        let mut client = TcpStream::connect(("127.0.0.1", port)).expect("connect");
        client.set_read_timeout(Some(IO_TIMEOUT)).expect("timeout");
        let writer = {
            let mut client = client.try_clone().expect("clone");
            let message = message.clone();
            std::thread::spawn(move || {
                client.write_all(&message).expect("write");
                client
                    .shutdown(std::net::Shutdown::Write)
                    .expect("shutdown");
            })
        };
        let mut echoed = Vec::new();
        client.read_to_end(&mut echoed).expect("read");
        writer.join().expect("writer");
        assert!(echoed == message, "{} bytes came back", echoed.len());
        let output = running.wait(TIMEOUT);
        printed(&output, &format!("served {} bytes", message.len()));
    }
}

/// A connect needs a connect grant; the refusal is the guest's
/// `permission-denied` and the host reports it once.
#[test]
fn connect_needs_a_connect_grant_and_is_reported() {
    crate::common::connect_needs_a_grant(
        guest_run,
        "ErrorClass::Fatal ErrorCode::PermissionDenied",
    );
}

/// A refused connection is class transient, as on 0.1.0.
#[test]
fn a_refused_connect_is_transient() {
    let target = closed_address().to_string();
    let output = guest_run(&["--allow-connect", &target], &["connect", &target]);
    printed(
        &output,
        &format!("connect {target}: error ErrorClass::Transient ErrorCode::ConnectionRefused"),
    );
}

/// Binding needs a bind grant.
#[test]
fn bind_needs_a_bind_grant() {
    let output = guest_run(&[], &["serve", "127.0.0.1:0"]);
    assert!(!output.status.success(), "{}", output_text(&output));
    assert!(
        stderr(&output).contains("bind: ErrorClass::Fatal ErrorCode::PermissionDenied"),
        "{}",
        output_text(&output)
    );
    assert_eq!(denials(&output, "bind to 127.0.0.1:0"), 1);
}

/// A datagram's destination needs a connect grant; with it, the peer
/// gets the datagram.
#[test]
fn send_to_needs_a_connect_grant_and_is_reported() {
    let peer = std::net::UdpSocket::bind("127.0.0.1:0").expect("bind");
    peer.set_read_timeout(Some(IO_TIMEOUT)).expect("timeout");
    let target = peer.local_addr().expect("address").to_string();
    let output = guest_run(&[], &["send-to", &target]);
    printed(
        &output,
        &format!("send-to {target}: error ErrorClass::Fatal ErrorCode::PermissionDenied"),
    );
    assert_eq!(denials(&output, &target), 1, "{}", output_text(&output));

    let output = guest_run(&["--allow-connect", &target], &["send-to", &target]);
    printed(&output, &format!("send-to {target}: ok 2"));
    let mut datagram = [0u8; 16];
    let (length, _) = peer.recv_from(&mut datagram).expect("the datagram");
    assert_eq!(&datagram[..length], b"hi");
}

/// A datagram socket bound without a bind grant (`0.0.0.0:0`) hears
/// through `receive-from` only the peers its connect grants cover, the
/// first drop reported; under a bind grant it hears everyone. (The filter
/// is shared with the receive waiting outside the socket.)
#[test]
fn a_client_datagram_socket_hears_only_its_connect_grants() {
    let granted = std::net::UdpSocket::bind("127.0.0.1:0").expect("granted peer");
    let grant = granted.local_addr().expect("address").to_string();
    let inbound = |flags: &[&str]| {
        let running = Wasock::new(WASOCK, guest("async_contract"))
            .flags(flags)
            .arg("udp-inbound")
            .spawn();
        crate::common::inbound_exchange(running, &granted)
    };
    let output = inbound(&["--allow-connect", &grant]);
    assert_eq!(
        crate::common::heard_only_the_granted(&output),
        1,
        "one report per socket\n{}",
        output_text(&output)
    );

    let output = inbound(&["--allow-connect", &grant, "--allow-bind", "0.0.0.0:0"]);
    assert!(
        stdout(&output).contains(": evil"),
        "under a bind grant it hears everyone\n{}",
        output_text(&output)
    );
}

/// A socket with no byte stream says why through the stream's future: an
/// unconnected stream socket is not connected, a datagram socket has no
/// stream; its send stream takes nothing.
#[test]
fn streams_of_sockets_without_one_say_why() {
    let output = guest_run(&[], &["stream-states"]);
    printed(
        &output,
        "receive-stream: error ErrorClass::Fatal ErrorCode::NotConnected",
    );
    printed(&output, "send-stream took 0 bytes");
    printed(
        &output,
        "send-stream: error ErrorClass::Fatal ErrorCode::OperationNotSupported",
    );
}

/// A receive's own timeout expires with class timeout, on time.
#[test]
fn a_receive_times_out_with_class_timeout() {
    let (address, peer) = one_peer(|stream| {
        // Hold the connection, sending nothing, until the guest is done.
        let mut buffer = [0u8; 1];
        let _ = (&stream).read(&mut buffer);
    });
    let target = address.to_string();
    let output = guest_run(
        &["--allow-connect", &target],
        &["receive-timeout", &target, "300"],
    );
    let millis = millis_after(
        &output,
        "receive: error ErrorClass::Timeout ErrorCode::TimedOut after ",
    );
    assert!((280..3000).contains(&millis), "{millis} ms");
    peer.join().expect("peer");
}

/// Pending sends hold their data on the host, so a guest's pending sends
/// together hold at most the budget (4 MiB): of 32 sends of 1 MiB waiting
/// on a peer that reads nothing, those past it are refused at once.
/// (Without the budget none is, and the host holds all 32 MiB.)
#[test]
fn pending_sends_hold_at_most_the_budget() {
    let (address, peer) = one_peer(|stream| {
        // Reads nothing until the guest is done.
        let mut buffer = [0u8; 1];
        std::thread::sleep(Duration::from_secs(3));
        let _ = (&stream).read(&mut buffer);
    });
    let target = address.to_string();
    let output = guest_run(&["--allow-connect", &target], &["send-flood", &target]);
    let line = crate::common::line_starting(&output, "send-flood: ");
    let refused: usize = line
        .trim_start_matches("send-flood: ")
        .split(' ')
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{line:?}\n{}", output_text(&output)));
    assert!(
        (1..32).contains(&refused),
        "{refused} refused; the budget takes 4 of 1 MiB (and the kernel some)\n{}",
        output_text(&output)
    );
    peer.join().expect("peer");
}

/// The milliseconds of a `PREFIX… after N ms` line.
fn millis_after(output: &Output, prefix: &str) -> u64 {
    let line = crate::common::line_starting(output, prefix);
    line.trim_start_matches(prefix)
        .trim_end_matches(" ms")
        .parse()
        .unwrap_or_else(|_| panic!("{line:?}\n{}", output_text(output)))
}

/// An accept's own timeout expires with class timeout, on time.
#[test]
fn an_accept_times_out_with_class_timeout() {
    let output = guest_run(
        &["--allow-bind", "127.0.0.1:0"],
        &["accept-timeout", "127.0.0.1:0", "300"],
    );
    let millis = millis_after(
        &output,
        "accept: error ErrorClass::Timeout ErrorCode::TimedOut after ",
    );
    assert!((280..3000).contains(&millis), "{millis} ms");
}

/// A pending wasock receive and a `wasi:clocks@0.3.0` timer wait on one
/// executor: the timer fires while the receive is pending, and the same
/// receive then completes.
#[test]
fn a_socket_wait_and_a_timer_share_one_executor() {
    let (address, peer) = one_peer(|mut stream| {
        let mut go = [0u8; 2];
        stream.read_exact(&mut go).expect("go");
        assert_eq!(&go, b"go");
        stream.write_all(b"after the timer").expect("write");
    });
    let target = address.to_string();
    let output = guest_run(&["--allow-connect", &target], &["mixed", &target]);
    printed(&output, "timer fired, receive pending");
    printed(&output, "received: after the timer");
    peer.join().expect("peer");
}

/// `close` ends the calls waiting on the socket (a receive at end of
/// file, as after shutdown(2)), and the socket counts toward
/// `--max-sockets` until the last of them let go: never a descriptor the
/// guest no longer counts.
#[test]
fn close_ends_the_calls_waiting_on_the_socket() {
    let (address, peer) = one_peer(|mut stream| {
        // The close's shutdown reaches the peer as end of file.
        let mut rest = Vec::new();
        stream.read_to_end(&mut rest).map(|_| rest.len())
    });
    let target = address.to_string();
    let output = guest_run(
        &["--allow-connect", &target, "--max-sockets", "1"],
        &["close-pending", &target],
    );
    printed(&output, "close: ok");
    printed(&output, "receive: 0 bytes");
    printed(&output, "socket again: ok");
    assert_eq!(peer.join().expect("peer").expect("end of file"), 0);
}

/// `close` ends the socket's receive stream, its pending read included:
/// the stream's future says `closed`.
#[test]
fn close_ends_the_receive_stream_with_closed() {
    let (address, peer) = one_peer(|mut stream| {
        let mut rest = Vec::new();
        stream.read_to_end(&mut rest).map(|_| rest.len())
    });
    let target = address.to_string();
    let output = guest_run(&["--allow-connect", &target], &["close-stream", &target]);
    printed(&output, "read: Dropped 0 bytes");
    printed(
        &output,
        "receive-stream: error ErrorClass::Fatal ErrorCode::Closed",
    );
    assert_eq!(peer.join().expect("peer").expect("end of file"), 0);
}

/// A poll set's `wait` is an async call: empty at its timeout, then the
/// socket readable with its token.
#[test]
fn a_poll_set_wait_is_an_async_call() {
    let (address, peer) = one_peer(|mut stream| {
        let mut go = [0u8; 2];
        stream.read_exact(&mut go).expect("go");
        stream.write_all(b"ok").expect("write");
        std::thread::sleep(Duration::from_millis(500));
    });
    let target = address.to_string();
    let output = guest_run(&["--allow-connect", &target], &["poll", &target]);
    printed(&output, "wait: none");
    printed(&output, "wait: Readiness(READABLE) 7");
    peer.join().expect("peer");
}

/// Resolution is async and under `--allow-dns`: a numeric host needs no
/// grant, a name does.
#[test]
fn resolution_needs_allow_dns_for_names() {
    let output = guest_run(&[], &["resolve", "127.0.0.1"]);
    printed(&output, "resolve 127.0.0.1: ok 1");
    let output = guest_run(&[], &["resolve", "localhost"]);
    printed(
        &output,
        "resolve localhost: error ErrorClass::Fatal ErrorCode::PermissionDenied",
    );
    assert_eq!(denials(&output, "localhost"), 1, "{}", output_text(&output));
}

/// Pending calls cost the host a bounded amount whatever their count: a
/// guest starting 20,000 receives at once on one socket (a connection
/// whose peer sends nothing, and a bound datagram socket) gets 8 per
/// socket its `--max-sockets` allows pending (8 × 1,024) and the rest
/// answered `out-of-memory` at once. Each pending call holds about 6 KiB
/// on the host: without the limit the host peaked at 176 MiB here.
#[test]
fn pending_receives_do_not_grow_the_host() {
    let (address, peer) = one_peer(|stream| {
        // Sends nothing; holds the connection until the guest is gone.
        let mut buffer = [0u8; 1];
        let _ = (&stream).read(&mut buffer);
    });
    let target = address.to_string();
    for (flags, destination) in [
        (vec!["--allow-connect", target.as_str()], target.as_str()),
        (vec!["--allow-bind", "127.0.0.1:0"], "udp"),
    ] {
        let mut running = Wasock::new(WASOCK, guest("async_contract"))
            .flags(flags)
            .args(["receives", destination, "20000"])
            .spawn();
        let line = running.wait_for_line("receiving ", TIMEOUT);
        assert_eq!(
            line.trim(),
            "receiving 8192, refused 11808 out-of-memory",
            "{destination}"
        );
        let peak = crate::sandbox_p3::peak_rss(running.id());
        let output = running.kill();
        assert!(
            !output_text(&output).contains("panicked"),
            "{}",
            output_text(&output)
        );
        assert!(
            peak < 150 << 20,
            "{destination}: the host peaked at {} MiB with 20,000 receives pending",
            peak >> 20
        );
    }
    peer.join().expect("peer");
}

/// Open streams count as pending calls too: a guest may open any number
/// of receive streams on one socket, each a task of the host's; of
/// 10,000 opened at once, 8,192 (8 × 1,024) are open and the rest end at
/// once with `out-of-memory`.
#[test]
fn open_streams_count_against_the_pending_calls() {
    let (address, peer) = one_peer(|stream| {
        let mut buffer = [0u8; 1];
        let _ = (&stream).read(&mut buffer);
    });
    let target = address.to_string();
    let mut running = Wasock::new(WASOCK, guest("async_contract"))
        .flags(["--allow-connect", target.as_str()])
        .args(["streams", target.as_str(), "10000"])
        .spawn();
    let line = running.wait_for_line("streams ", TIMEOUT);
    let peak = crate::sandbox_p3::peak_rss(running.id());
    let output = running.kill();
    assert_eq!(
        line.trim(),
        "streams 8192 open, refused 1808 out-of-memory",
        "{}",
        output_text(&output)
    );
    assert!(
        peak < 150 << 20,
        "the host peaked at {} MiB with 8,192 streams open",
        peak >> 20
    );
    peer.join().expect("peer");
}
