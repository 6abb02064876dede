//! The host's socket operations end to end: guests using the `wasock` SDK
//! under the real `wasock` binary, against native peers on loopback.
//! (Two guests in one engine: `host/tests/in_process.rs`.)

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::thread;
use std::time::Duration;

use wasock_tests::{Wasock, guest, output_text};

use crate::WASOCK;

/// A native echo server for one client, line by line; returns how many
/// lines it echoed.
fn native_echo_server() -> (String, thread::JoinHandle<usize>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("listener");
    let address = listener.local_addr().expect("address").to_string();
    let server = thread::spawn(move || {
        let (stream, _) = listener.accept().expect("the guest connects");
        stream
            .set_read_timeout(Some(Duration::from_secs(60)))
            .expect("read timeout");
        let mut writer = stream.try_clone().expect("clone");
        let mut reader = BufReader::new(stream);
        let mut echoed = 0;
        let mut line = String::new();
        for _ in 0..10_000 {
            line.clear();
            match reader.read_line(&mut line) {
                Ok(0) | Err(_) => break,
                Ok(_) => {
                    writer.write_all(line.as_bytes()).expect("echo");
                    echoed += 1;
                }
            }
        }
        echoed
    });
    (address, server)
}

#[test]
fn echo_round_trips_with_a_native_peer() {
    let (address, server) = native_echo_server();
    let output = Wasock::new(WASOCK, guest("host_echo_client"))
        .flag("--allow-connect")
        .flag(&address)
        .arg(&address)
        .arg("50")
        .run(Duration::from_secs(120));
    assert!(output.status.success(), "{}", output_text(&output));
    assert_eq!(String::from_utf8_lossy(&output.stdout), "echoed 50\n");
    assert_eq!(server.join().expect("server"), 50);
}

#[test]
fn echo_over_ipv6() {
    let listener = TcpListener::bind("[::1]:0").expect("listener");
    let address = listener.local_addr().expect("address").to_string();
    let server = thread::spawn(move || {
        let (mut stream, _) = listener.accept().expect("the guest connects");
        stream
            .set_read_timeout(Some(Duration::from_secs(60)))
            .expect("read timeout");
        let mut line = String::new();
        BufReader::new(stream.try_clone().expect("clone"))
            .read_line(&mut line)
            .expect("read");
        stream.write_all(line.as_bytes()).expect("echo");
    });
    let output = Wasock::new(WASOCK, guest("host_echo_client"))
        .flag("--allow-connect")
        .flag(&address)
        .arg(&address)
        .arg("1")
        .run(Duration::from_secs(120));
    assert!(output.status.success(), "{}", output_text(&output));
    assert_eq!(String::from_utf8_lossy(&output.stdout), "echoed 1\n");
    server.join().expect("server");
}

#[test]
fn error_classes_reach_the_guest() {
    let closed_port = {
        let listener = TcpListener::bind("127.0.0.1:0").expect("listener");
        listener.local_addr().expect("address").port()
    };
    let output = Wasock::new(WASOCK, guest("host_errors"))
        .flag("--inherit-network")
        .arg(closed_port.to_string())
        .run(Duration::from_secs(120));
    assert!(output.status.success(), "{}", output_text(&output));
    assert_eq!(String::from_utf8_lossy(&output.stdout), "errors ok\n");
}

#[test]
fn socket_pollables_mix_with_timers() {
    let output = Wasock::new(WASOCK, guest("host_poll"))
        .flag("--inherit-network")
        .run(Duration::from_secs(120));
    assert!(output.status.success(), "{}", output_text(&output));
    assert_eq!(String::from_utf8_lossy(&output.stdout), "poll ok\n");
}
