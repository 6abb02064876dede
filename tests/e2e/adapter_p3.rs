//! Portability of the async contract: `wasock adapt` of guests built with
//! the SDK's `p3` feature (they import `wasock:socket@0.2.0`), and the
//! adapted guests under a host that serves WASI 0.3 but not wasock.
//!
//! That host is `wasock run --inherit-network` itself, on the adapted
//! file: it serves `wasi:sockets@0.3.0` (loopback and all) as a stock
//! host would, and the adapted file imports no wasock interface, so no
//! wasock code of the host is in play. The guests run against native
//! peers on loopback and print what they print under `wasock run`; what
//! WASI 0.3 cannot do answers class `unsupported`.
//!
//! Run: `cargo test -p wasock-host --test e2e adapter_p3::`

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::process::Output;
use std::thread;

use wasock_tests::{Wasock, guest, output_text};

use crate::WASOCK;
use crate::adapter::adapt;
use crate::common::{
    IO_TIMEOUT, TIMEOUT, assert_ok_lines, async_peers, connect, echo_in_rounds, listener,
    native_echo,
};

/// The adapted `name` under a host serving WASI 0.3 and not wasock.
fn stock(name: &str) -> Wasock {
    Wasock::new(WASOCK, adapt(name)).flag("--inherit-network")
}

fn assert_succeeded(output: &Output, what: &str) {
    assert!(
        output.status.success(),
        "{what}: {:?}\n{}",
        output.status,
        output_text(output)
    );
}

/// The guests this file runs: built with the SDK's `p3` feature.
const GUESTS: &[&str] = &[
    "async-echo-server@p3",
    "async-http-get@p3",
    "poll_set_async@p3",
    "poll_set_async_duplex@p3",
];

/// Each guest imports the async contract, and adapted imports only
/// `wasi:*`: `wasi:sockets@0.3.0` from the adapter of the async contract,
/// and, for `async-http-get` (whose lookup is the blocking API's,
/// `wasock:socket@0.1.0`), `wasi:sockets@0.2` from the other adapter
/// beside it. The `wasi:cli/run@0.3.0` export stays.
#[test]
fn guests_of_the_async_contract_adapt_to_wasi_imports_only() {
    for name in GUESTS {
        let original = std::fs::read(guest(name)).expect("the guest");
        let before = wasock_host::adapt::imports(&original).expect("a component");
        assert!(
            before
                .iter()
                .any(|import| import.starts_with("wasock:socket/") && import.ends_with("@0.2.0")),
            "{name} should import wasock:socket@0.2.0: {before:?}"
        );
        let adapted = std::fs::read(adapt(name)).expect("the adapted component");
        let imports = wasock_host::adapt::imports(&adapted).expect("a component");
        assert!(
            imports.iter().all(|import| import.starts_with("wasi:")),
            "{name}: {imports:?}"
        );
        assert!(
            imports
                .iter()
                .any(|import| import == "wasi:sockets/types@0.3.0"),
            "{name}: {imports:?}"
        );
        let blocking_too = before
            .iter()
            .any(|import| import.starts_with("wasock:socket/") && import.ends_with("@0.1.0"));
        assert_eq!(
            imports
                .iter()
                .any(|import| import.starts_with("wasi:sockets/tcp@0.2")),
            blocking_too,
            "{name}: the adapter of wasock:socket@0.1.0 is there only for its imports: {imports:?}"
        );
        let exports = wasock_host::adapt::exports(&adapted).expect("a component");
        assert!(
            exports.iter().any(|name| name == "wasi:cli/run@0.3.0"),
            "{name}: {exports:?}"
        );
    }
}

/// `async-echo-server` adapted (accepts and receives kept pending in the
/// adapter, the SDK's send and receive streams served by the connection's
/// task): three native clients at once, each echoed in turn for twenty
/// rounds while the others stay connected, then a large echo; the server
/// exits by itself after the last.
#[test]
fn async_echo_server_adapted_serves_native_clients() {
    let mut server = stock("async-echo-server@p3")
        .args(["127.0.0.1:0", "4"])
        .spawn();
    let address = server.wait_for_listening(TIMEOUT);
    let mut clients: Vec<TcpStream> = (0..3).map(|_| connect(address)).collect();
    echo_in_rounds(&mut clients, String::new);
    let big: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
    assert!(echo_through(address, &big) == big, "the big echo differs");
    drop(clients);
    let output = server.wait(TIMEOUT);
    assert_succeeded(&output, "async-echo-server@p3 adapted");
}

/// `async-http-get` adapted (the connect and the exchange on the async
/// contract, the numeric lookup on the blocking API: both adapters in one
/// guest) prints the body a native server sends, byte for byte.
#[test]
fn async_http_get_adapted_prints_the_body() {
    let body: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
    let mut response = format!(
        "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    response.extend_from_slice(&body);
    let address = one_response_server(response);
    let output = stock("async-http-get@p3")
        .arg(format!("http://{address}/file"))
        .run(TIMEOUT);
    assert_succeeded(&output, "async-http-get@p3 adapted");
    assert!(
        output.stdout == body,
        "the body differs\n{}",
        output_text(&output)
    );
}

/// The async SDK adapted, as under `wasock run`
/// (`poll_and_ports::async_sockets_timeouts_datagrams_and_tasks_built_for_wasi_03`):
/// `connect_any` past a refused address; a receive whose caller stopped
/// waiting loses nothing (`resume`: the adapter keeps its read of the
/// receive stream for the next one); a per-call timeout against a silent
/// peer; UDP `send_to` / `receive_from`; spawned tasks sleeping side by
/// side.
#[test]
fn async_sockets_timeouts_datagrams_and_tasks_through_the_adapter() {
    let peers = async_peers();
    let output = stock("poll_set_async@p3").args(&peers.args).run(TIMEOUT);
    drop(peers);
    assert_succeeded(&output, "poll_set_async@p3 adapted");
    assert_ok_lines(
        &output,
        &["connect-any", "resume", "timeout", "datagram", "tasks"],
    );
}

/// One task receives while another sends on the same adapted socket,
/// 4 MiB each way through a native echo (more than the buffers hold):
/// neither direction waits for the other, and a shutdown of the sending
/// side (dropping the sending half; `shutdown` on the shared socket) comes
/// after every byte the guest wrote, so the echo ends whole.
#[test]
fn adapted_socket_receives_in_one_task_while_another_sends() {
    let echo = native_echo();
    let output = stock("poll_set_async_duplex@p3")
        .arg(echo.to_string())
        .run(TIMEOUT);
    assert_succeeded(&output, "poll_set_async_duplex@p3 adapted");
    assert_ok_lines(&output, &["split", "shared"]);
}

/// The contract's own guest (`async_contract`, on wit-bindgen's executor
/// without the SDK) adapted: echo through `send-stream` and
/// `receive-stream`, receive and accept timeouts of class timeout, a close
/// that ends a receive stream with `closed`, and the streams of sockets
/// that have none, each as under `wasock run` (`async_contract::*`).
#[test]
fn the_async_contract_guest_adapted_gives_the_contracts_answers() {
    let echo = native_echo();
    let (_silent, silent) = listener();
    let echo = echo.to_string();
    let silent = silent.to_string();
    for (args, expected) in [
        (
            vec!["echo-client", &echo, "hello", "stream"],
            vec!["echoed: hello"],
        ),
        (
            vec!["receive-timeout", &silent, "200"],
            vec!["receive: error ErrorClass::Timeout ErrorCode::TimedOut after "],
        ),
        (
            vec!["accept-timeout", "127.0.0.1:0", "200"],
            vec!["accept: error ErrorClass::Timeout ErrorCode::TimedOut after "],
        ),
        (
            vec!["close-stream", &echo],
            vec!["receive-stream: error ErrorClass::Fatal ErrorCode::Closed"],
        ),
        (
            vec!["stream-states"],
            vec![
                "receive-stream: error ErrorClass::Fatal ErrorCode::NotConnected",
                "send-stream: error ErrorClass::Fatal ErrorCode::OperationNotSupported",
            ],
        ),
    ] {
        let output = stock("async_contract").args(&args).run(TIMEOUT);
        assert_succeeded(&output, &format!("async_contract {args:?} adapted"));
        let text = String::from_utf8_lossy(&output.stdout);
        for line in expected {
            assert!(
                text.lines().any(|printed| printed.starts_with(line)),
                "{args:?}: no {line:?}\n{}",
                output_text(&output)
            );
        }
        // A timeout fires no earlier than asked (and, on busy machines,
        // whenever after).
        for printed in text.lines() {
            if let Some(millis) = printed
                .rsplit_once(" after ")
                .and_then(|(_, rest)| rest.strip_suffix(" ms"))
            {
                let millis: u64 = millis.parse().expect("a number of ms");
                assert!(millis >= 190, "{args:?}: {printed}");
            }
        }
    }
}

/// What WASI 0.3 cannot do answers class `unsupported` naming the call,
/// not a trap: `async-echo-server -` asks for the listeners the host
/// opened (`wasock run --listen`), which a stock host has none of; the
/// guest reports the error and exits 1.
#[test]
fn an_unsupported_call_answers_class_unsupported() {
    let output = stock("async-echo-server@p3").arg("-").run(TIMEOUT);
    assert_eq!(output.status.code(), Some(1), "{}", output_text(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("listeners") && stderr.contains("unsupported error"),
        "{}",
        output_text(&output)
    );
    assert!(!stderr.contains("trap"), "{}", output_text(&output));
}

// Native peers.

/// A native client of a TCP echo server: sends `message`, half-closes,
/// reads the echo to its end.
fn echo_through(address: SocketAddr, message: &[u8]) -> Vec<u8> {
    let mut stream = connect(address);
    stream
        .set_read_timeout(Some(IO_TIMEOUT))
        .expect("a read timeout");
    stream.write_all(message).expect("send");
    stream.shutdown(Shutdown::Write).expect("half-close");
    let mut echo = Vec::new();
    stream.read_to_end(&mut echo).expect("the echo");
    echo
}

/// A native HTTP/1.1 server answering one request with `response`, as it
/// is.
fn one_response_server(response: Vec<u8>) -> SocketAddr {
    let (listener, address) = listener();
    thread::spawn(move || {
        let Ok((mut stream, _)) = listener.accept() else {
            return;
        };
        let _ = stream.set_read_timeout(Some(IO_TIMEOUT));
        let mut request = Vec::new();
        let mut byte = [0u8; 1];
        while !request.ends_with(b"\r\n\r\n") && request.len() < 64 * 1024 {
            if stream.read_exact(&mut byte).is_err() {
                return;
            }
            request.push(byte[0]);
        }
        let _ = stream.write_all(&response);
    });
    address
}
