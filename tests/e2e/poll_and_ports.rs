//! Waiting and buffering, through guests under the real binary against
//! native peers on loopback: readiness (`receive-ready?`, subscriptions,
//! zero-timeout checks against `poll(2)`, a pending error), the poll set
//! (WIT `poll-set`, SDK `wasock::poll::Registry`: level and edge
//! triggering, a timer beside it, hang-up, removal, bounds, refusals), the
//! SDK's `Poller`, the async SDK (its own executor and `wstd`'s), servers
//! on them serving every other client while one never reads, and the
//! buffered i/o ports (lines, buffering, a writer against a peer that
//! stops reading).
//!
//! Run: `cargo test -p wasock-host --test e2e poll_and_ports::`

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::Output;
use std::time::Duration;

use wasock_tests::{Running, Wasock, guest, output_text};

use crate::WASOCK;
use crate::common::{
    ERRORS_CHECKS, IO_TIMEOUT, SEMANTICS_CHECKS, TIMEOUT, accept_within, after, assert_ok_lines,
    assert_success, async_peers, connect, connecting_to, echo_in_rounds, hello_in_turn, listener,
    native_echo, one_never_reads_the_others_are_served, scripted_peer, small_buffer_listener,
    so_error_guest, succeeded,
};

/// Level and edge triggering, zero-timeout waits, the set's pollable with
/// a timer, hang-up, removal on close and drop, and the bounds, each
/// checked by the guest (it prints `ok NAME` for each).
#[test]
fn level_edge_zero_timeout_timer_hang_up_removal_and_bounds() {
    let peer = scripted_peer(2);
    let output = Wasock::new(WASOCK, guest("poll_set_semantics"))
        .flag("--allow-connect")
        .flag(peer.to_string())
        .flag("--max-sockets")
        .flag("4")
        .arg(peer.to_string())
        .run(TIMEOUT);
    assert!(output.status.success(), "{}", output_text(&output));
    assert_ok_lines(&output, SEMANTICS_CHECKS);
    assert_ok_lines(&output, &["bounds"]);
}

/// The refusals and bounds that need no peer: add twice, reregister and
/// deregister of a socket not in the set, `max-events` 1 (the rest in
/// turn), a fresh stream socket hung up, a closed socket.
#[test]
fn refusals_max_events_fresh_hang_up_and_closed() {
    let output = Wasock::new(WASOCK, guest("poll_set_errors")).run(TIMEOUT);
    assert!(output.status.success(), "{}", output_text(&output));
    assert_ok_lines(&output, ERRORS_CHECKS);
}

/// `Subscription` / `wait_any` over a thread's edge-triggered set keep
/// `poll(2)`'s level-triggered contract.
#[test]
fn subscriptions_and_wait_any_are_level_triggered() {
    let peer = scripted_peer(2);
    let output = connecting_to("poll_set_subscriptions", peer).run(TIMEOUT);
    assert!(output.status.success(), "{}", output_text(&output));
    assert!(
        String::from_utf8_lossy(&output.stdout).contains("ok subscriptions"),
        "{}",
        output_text(&output)
    );
}

/// A zero-timeout readiness check agrees with `poll(2)`: each of 3000
/// rounds, as soon as `receive_ready()` (the host's direct `poll(2)`) sees
/// the peer's byte, `Subscription::is_ready()` and
/// `Poller::wait(Some(ZERO))` must see it too.
#[test]
fn zero_timeout_readiness_agrees_with_poll() {
    const ROUNDS: usize = 3000;
    let mut guest = Wasock::new(WASOCK, guest("poll_zero_timeout"))
        .flag("--allow-bind")
        .flag("127.0.0.1:0")
        .arg(ROUNDS.to_string())
        .spawn();
    let address = guest.wait_for_listening(TIMEOUT);
    let mut peer = TcpStream::connect_timeout(&address, IO_TIMEOUT).expect("connect");
    peer.set_nodelay(true).expect("TCP_NODELAY");
    for round in 0..ROUNDS {
        guest.wait_for_line(&format!("round {round}"), TIMEOUT);
        peer.write_all(&[round as u8]).expect("a byte");
    }
    let output = guest.wait(TIMEOUT);
    assert_success(&output, "poll_zero_timeout: ok");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains(&format!("missed: subscription 0, poller 0 of {ROUNDS}")),
        "{}",
        output_text(&output)
    );
}

/// A readable subscription is ready while an error is pending (the WIT's
/// `interest.readable`: "Data or end of file to receive, a connection to
/// accept, or an error pending"), as `poll(2)` is.
#[test]
fn a_pending_error_makes_a_readable_subscription_ready() {
    let output = so_error_guest();
    let stdout = succeeded(&output, "spec_so_error: ok");
    let all = output_text(&output);
    assert_eq!(after(&stdout, "udp subscription readable: ", &all), "true");
    assert_eq!(after(&stdout, "tcp subscription readable: ", &all), "true");
}

#[test]
fn socket_pollables_mix_with_timers() {
    let output = Wasock::new(WASOCK, guest("host_poll"))
        .flag("--inherit-network")
        .run(Duration::from_secs(120));
    assert!(output.status.success(), "{}", output_text(&output));
    assert_eq!(String::from_utf8_lossy(&output.stdout), "poll ok\n");
}

/// One guest serves several open connections through the `Poller`: the
/// last client to connect is answered while the first two stay idle.
#[test]
fn poller_serves_several_connections_without_threads() {
    let mut server = Wasock::new(WASOCK, guest("sdk_poll"))
        .flag("--allow-bind")
        .flag("127.0.0.1:*")
        .arg("3")
        .spawn();
    let address = server.wait_for_listening(TIMEOUT);
    let mut clients: Vec<TcpStream> = (0..3).map(|_| connect(address)).collect();
    hello_in_turn(&mut clients).unwrap_or_else(|failed| panic!("{failed}"));
    drop(clients);
    let output = server.wait(TIMEOUT);
    assert_success(&output, "sdk_poll: ok, served 3 clients");
}

fn start_server(name: &str) -> (Running, SocketAddr) {
    let mut server = Wasock::new(WASOCK, guest(name))
        .flag("--allow-bind")
        .flag("127.0.0.1:*")
        .arg("127.0.0.1:0")
        .spawn();
    let address = server.wait_for_listening(TIMEOUT);
    (server, address)
}

/// One client sends and never reads until the server's socket to it is
/// full both ways; meanwhile two other clients keep getting their echoes.
fn serves_others_while_one_never_reads(name: &str) {
    let (server, address) = start_server(name);
    one_never_reads_the_others_are_served(name, address);
    let output = server.kill();
    assert!(
        !String::from_utf8_lossy(&output.stderr).contains("panicked"),
        "{}",
        output_text(&output)
    );
}

/// `echo-server` (a `Registry` loop) serves everyone else while one
/// client never reads its echoes.
#[test]
fn echo_server_serves_others_while_one_client_never_reads() {
    serves_others_while_one_never_reads("echo-server");
}

/// `async-echo-server` (a task per connection on the SDK's executor)
/// serves everyone else while one client never reads its echoes.
#[test]
fn async_echo_server_serves_others_while_one_client_never_reads() {
    serves_others_while_one_never_reads("async-echo-server");
}

/// The same, built for WASI 0.3 (the SDK's `p3` feature): a task per
/// connection on wit-bindgen's executor, each receive and send one
/// `async func` of `wasock:socket@0.2.0`.
#[test]
fn async_echo_server_built_for_wasi_03_serves_others_while_one_client_never_reads() {
    serves_others_while_one_never_reads("async-echo-server@p3");
}

/// `async-echo-server ADDR 3`: three clients at once, each echoed while
/// the others stay connected; the server exits by itself after them.
#[test]
fn async_echo_server_serves_several_clients_and_ends_after_the_last() {
    serves_several_clients_and_ends_after_the_last("async-echo-server");
}

/// The same, built for WASI 0.3: the run export returns once the
/// accept loop and every connection's task have ended.
#[test]
fn async_echo_server_built_for_wasi_03_serves_several_clients_and_ends_after_the_last() {
    serves_several_clients_and_ends_after_the_last("async-echo-server@p3");
}

fn serves_several_clients_and_ends_after_the_last(name: &str) {
    let mut server = Wasock::new(WASOCK, guest(name))
        .flag("--allow-bind")
        .flag("127.0.0.1:*")
        .arg("127.0.0.1:0")
        .arg("3")
        .spawn();
    let address = server.wait_for_listening(TIMEOUT);
    let mut clients: Vec<TcpStream> = (0..3).map(|_| connect(address)).collect();
    echo_in_rounds(&mut clients, String::new);
    drop(clients);
    let output = server.wait(TIMEOUT);
    assert!(output.status.success(), "{}", output_text(&output));
}

/// The async SDK under its own executor: `connect_any` past a refused
/// address, `futures-io` writes and `AsyncReader::read_line`, a per-call
/// `timeout` against a silent peer, UDP `send_to` / `receive_from`, and
/// spawned tasks sleeping side by side.
#[test]
fn async_sockets_timeouts_datagrams_and_tasks_under_block_on() {
    async_checks("poll_set_async");
}

/// The same checks built for WASI 0.3 (the SDK's `p3` feature:
/// `wasock::async_main!`'s `wasi:cli/run@0.3.0` export), every call a
/// subtask of `wasock:socket@0.2.0`, the timers `wasi:clocks@0.3.0`'s.
#[test]
fn async_sockets_timeouts_datagrams_and_tasks_built_for_wasi_03() {
    async_checks("poll_set_async@p3");
}

fn async_checks(name: &str) {
    let peers = async_peers();
    let output = Wasock::new(WASOCK, guest(name))
        .flag("--allow-connect")
        .flag("127.0.0.1:*")
        .flag("--allow-bind")
        .flag("127.0.0.1:0")
        .args(&peers.args)
        .run(TIMEOUT);
    drop(peers);
    assert!(output.status.success(), "{}", output_text(&output));
    assert_ok_lines(
        &output,
        &["connect-any", "resume", "timeout", "datagram", "tasks"],
    );
}

/// One task receives while another sends on the same async socket (the
/// owned halves of `into_split`, and one socket shared through an `Rc`):
/// 4 MiB through a native echo, more than the buffers on both sides hold,
/// so neither direction may wait for the other.
#[test]
fn async_socket_receives_in_one_task_while_another_sends() {
    let echo = native_echo();
    let output = connecting_to("poll_set_async_duplex", echo).run(TIMEOUT);
    assert!(output.status.success(), "{}", output_text(&output));
    assert_ok_lines(&output, &["split", "shared"]);
}

/// The same, built for WASI 0.3 (`wasock::async_main!`: the
/// `wasi:cli/run@0.3.0` export's task): a pending receive and a pending
/// send on one socket at once, two subtasks of the host's.
#[test]
fn async_socket_receives_in_one_task_while_another_sends_built_for_wasi_03() {
    let echo = native_echo();
    let output = connecting_to("poll_set_async_duplex@p3", echo).run(TIMEOUT);
    assert!(output.status.success(), "{}", output_text(&output));
    assert_ok_lines(&output, &["split", "shared"]);
}

/// One WASI 0.3 guest, one executor for every async import: a receive
/// of the SDK's `p3` build stays pending while a `wasi:clocks@0.3.0` wait,
/// the SDK's `sleep` and a `wasi:sockets@0.3.0` round trip end beside it,
/// then gets its echo (the guest checks the order; nothing is timed).
#[test]
fn sdk_p3_shares_one_executor_with_wasi_sockets_and_timers() {
    let echo = native_echo();
    let output = connecting_to("sdk_mixed", echo).run(TIMEOUT);
    assert!(output.status.success(), "{}", output_text(&output));
    let lines: Vec<String> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(str::to_owned)
        .collect();
    assert_eq!(
        lines,
        [
            "ok timers, wasock receive pending",
            "ok wasi-sockets, wasock receive pending",
            "ok wasock: wasock",
        ],
        "{}",
        output_text(&output)
    );
}

/// A wasock async socket awaited inside `wstd::runtime::block_on`, beside
/// wstd's own timers.
#[test]
fn async_socket_runs_under_wstd_block_on() {
    let echo = native_echo();
    let output = connecting_to("poll_set_wstd", echo).run(TIMEOUT);
    assert!(output.status.success(), "{}", output_text(&output));
    assert!(
        String::from_utf8_lossy(&output.stdout).contains("ok wstd"),
        "{}",
        output_text(&output)
    );
}

/// wasock's futures under other executors: `sleep` and `timeout` work
/// under `wstd::runtime::block_on` (on wstd timers), and a socket polled by
/// an executor that is neither wasock's nor wstd's panics after a line
/// that names wasock and the two executors that drive its futures (not
/// only wstd's "must be called within a wstd runtime").
#[test]
fn async_sleep_under_wstd_and_a_foreign_executor_named() {
    let run = |mode: &str| {
        Wasock::new(WASOCK, guest("poll_set_wstd_executors"))
            .flags(["--allow-bind", "127.0.0.1:0"])
            .arg(mode)
            .run(TIMEOUT)
    };
    let output = run("wstd");
    assert!(output.status.success(), "{}", output_text(&output));
    assert_ok_lines(&output, &["sleep", "timeout"]);

    let output = run("foreign");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(134), "{}", output_text(&output));
    assert!(
        stderr.contains("wasock: async sockets and wasock::async_io::sleep run under")
            && stderr.contains("wasock::async_io::block_on or wstd::runtime::block_on"),
        "{}",
        output_text(&output)
    );
}

/// The spec's buffered port example seen from the peer: with a 512-byte
/// buffer, 500 + 526 written bytes arrive as 1024 bytes first (the marker
/// the guest sent straight through the socket comes right after them), the
/// last 2 only with the writer's close; the reader yields lines; closing the
/// writer shuts the write side down (the peer sees end of file).
#[test]
fn ports_over_tcp_buffered_writer_and_reader_lines() {
    let (listener, address) = listener();
    let guest = connecting_to("sdk_ports_tcp", address).spawn();
    let Some(mut stream) = accept_within(&listener, TIMEOUT, IO_TIMEOUT) else {
        panic!("the guest never connected\n{}", output_text(&guest.kill()));
    };

    let mut first = vec![0u8; 1025];
    stream
        .read_exact(&mut first)
        .expect("the first 1024 bytes and the marker");
    let mut expected = vec![b'a'; 500];
    expected.extend_from_slice(&[b'b'; 524]);
    expected.push(b'|');
    assert!(
        first == expected,
        "expected 500 a, 524 b, then the marker; got {:?}",
        String::from_utf8_lossy(&first)
    );

    stream.write_all(b"alpha\nbeta\n").expect("send lines");
    stream
        .shutdown(std::net::Shutdown::Write)
        .expect("shutdown write");
    let mut rest = Vec::new();
    stream
        .read_to_end(&mut rest)
        .expect("the rest, to end of file");
    assert_eq!(String::from_utf8_lossy(&rest), "bbgot alpha,beta\n");

    let output = guest.wait(TIMEOUT);
    assert_success(&output, "sdk_ports_tcp: ok, 0 bytes after the lines");
}

/// Byte `i` of the counting stream `ports_stalled_peer` writes: byte
/// `i % 4` of the big-endian `u32` `i / 4`, so a byte sent twice or lost
/// breaks the count.
fn stream_byte(i: usize) -> u8 {
    ((i / 4) as u32).to_be_bytes()[i % 4]
}

/// A port's writer against a peer that stops reading (`ports_stalled_peer
/// MODE`): the writer stalls with `stalled` (the error its last write or
/// flush met); then the peer reads again while the guest finishes. The peer
/// must read exactly the bytes the writes took, in order: nothing sent twice
/// (a failed send used to leave bytes that had gone out in the buffer, for
/// the close to send again), nothing lost. Returns the guest's output.
fn writer_against_a_stalled_peer(mode: &str, stalled: &str) -> Output {
    let (listener, address) = small_buffer_listener(1);
    let mut guest = Wasock::new(WASOCK, guest("ports_stalled_peer"))
        .flag("--allow-connect")
        .flag(address.to_string())
        .arg(mode)
        .arg(address.to_string())
        .spawn();
    let Some(mut stream) = accept_within(&listener, TIMEOUT, IO_TIMEOUT) else {
        panic!("the guest never connected\n{}", output_text(&guest.kill()));
    };
    // Not reading until the guest's writer has stalled.
    let line = guest.wait_for_line("stalled: ", TIMEOUT);
    let taken: usize = line
        .split("taken ")
        .nth(1)
        .and_then(|rest| rest.split(',').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no count in {line:?}"));
    assert!(
        line.starts_with(&format!("stalled: {stalled},")),
        "the writer stalled with {stalled}: {line}"
    );
    let mut received = Vec::new();
    stream
        .read_to_end(&mut received)
        .expect("everything, to end of file");
    let output = guest.wait(TIMEOUT);
    assert_success(&output, "ports_stalled_peer: ok");
    let first_wrong = (0..received.len()).find(|&i| received[i] != stream_byte(i));
    assert_eq!(
        first_wrong,
        None,
        "byte {first_wrong:?} of {} breaks the stream (sent twice or lost)\n{}",
        received.len(),
        output_text(&output)
    );
    assert_eq!(
        received.len(),
        taken,
        "the peer got what the writes took\n{}",
        output_text(&output)
    );
    output
}

/// The guest's flush after the stall failed on its timeout with bytes
/// still buffered, which the close then had to send.
fn assert_a_flush_failed_with_bytes_buffered(output: &Output) {
    let stdout = String::from_utf8_lossy(&output.stdout);
    let buffered: usize = stdout
        .lines()
        .find_map(|l| l.strip_prefix("flush after the stall: timeout/timed-out, buffered "))
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no failed flush\n{}", output_text(output)));
    assert!(buffered > 0, "{}", output_text(output));
}

/// A failed send (its timeout) leaves exactly the unsent bytes buffered,
/// after a write and after a flush: closing the writer afterwards sends
/// those, and nothing twice.
#[test]
fn ports_writer_closed_after_a_stalled_peer_sends_nothing_twice() {
    let output = writer_against_a_stalled_peer("close", "timeout/timed-out");
    assert_a_flush_failed_with_bytes_buffered(&output);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("close: ok"), "{}", output_text(&output));
}

/// As above, dropping the writer instead of closing it.
#[test]
fn ports_writer_dropped_after_a_stalled_peer_sends_nothing_twice() {
    let output = writer_against_a_stalled_peer("drop", "timeout/timed-out");
    assert_a_flush_failed_with_bytes_buffered(&output);
}

/// A writer in non-blocking mode never waits on a peer that stops
/// reading, though the socket's send timeout is 30 s: its writes take
/// every byte and return at once, its flush and `Socket::try_send` answer
/// `would-block`, and once the peer reads again, flushing whenever the
/// socket is writable delivers the whole stream.
#[test]
fn ports_nonblocking_writer_never_waits_on_a_stalled_peer() {
    let output = writer_against_a_stalled_peer("nonblocking", "transient/would-block");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let line = stdout
        .lines()
        .find_map(|l| l.strip_prefix("nonblocking: "))
        .unwrap_or_else(|| panic!("no nonblocking line\n{}", output_text(&output)));
    let millis: u64 = line
        .strip_prefix("flush transient/would-block, try_send transient/would-block, ")
        .and_then(|rest| rest.strip_suffix(" ms"))
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{line}\n{}", output_text(&output)));
    assert!(
        millis < 5000,
        "the writes took {millis} ms: something waited"
    );
}
