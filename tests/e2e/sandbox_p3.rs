//! The sandbox on the WASI 0.3 path: a guest exporting
//! `wasi:cli/run@0.3.0` (`p3_sandbox`) reaches through
//! `wasi:sockets@0.3.0` only what its grants allow, with the standard's
//! error codes where the standard names one, its denials reported as on
//! the other paths, and its sockets counted in the one `--max-sockets`
//! pool with wasock's and `std::net`'s.

use std::io::{ErrorKind, Read, Write};
use std::net::{TcpStream, UdpSocket};
use std::process::Output;

use wasock_tests::{Wasock, guest, output_text, stderr, stdout};

use crate::WASOCK;
use crate::common::{IO_TIMEOUT, TIMEOUT, denials, line_starting, printed, run};

/// Runs `p3_sandbox` with `flags` and `args`.
fn p3(flags: &[&str], args: &[&str]) -> Output {
    run(flags, "p3_sandbox", args)
}

#[test]
fn p3_connect_needs_a_connect_grant_and_is_reported() {
    crate::common::connect_needs_a_grant(p3, "ErrorCode::AccessDenied");
}

/// The standard's answer for an unspecified remote address is
/// `invalid-argument`, checked before the policy (which would refuse it).
#[test]
fn p3_unspecified_destination_answers_the_standard_code() {
    for target in ["0.0.0.0:47", "[::]:47"] {
        let output = p3(&[], &["connect", target]);
        printed(
            &output,
            &format!("connect {target}: error ErrorCode::InvalidArgument"),
        );
        assert_eq!(denials(&output, ""), 0, "{}", output_text(&output));
    }
}

#[test]
fn p3_bind_and_listen_need_a_bind_grant() {
    let output = p3(&[], &["listen", "127.0.0.1:0"]);
    printed(&output, "bind: error ErrorCode::AccessDenied");
    assert_eq!(denials(&output, "bind to 127.0.0.1:0"), 1);

    // Listening unbound binds `0.0.0.0:0` implicitly: allowed for a
    // client, but listening there needs a grant.
    let output = p3(&[], &["listen", "unbound"]);
    printed(&output, "listen: error ErrorCode::AccessDenied");
    assert_eq!(
        denials(&output, "listen on 0.0.0.0:0"),
        1,
        "{}",
        output_text(&output)
    );

    let output = p3(&["--allow-bind", "127.0.0.1:0"], &["listen", "127.0.0.1:0"]);
    printed(&output, "bind: ok");
    printed(&output, "listen: ok");
}

#[test]
fn p3_lookups_need_allow_dns() {
    let output = p3(&[], &["lookup", "localhost"]);
    printed(&output, "lookup localhost: error ErrorCode::AccessDenied");
    assert_eq!(denials(&output, "localhost"), 1, "{}", output_text(&output));

    let output = p3(&["--allow-dns"], &["lookup", "localhost"]);
    let line = line_starting(&output, "lookup localhost: ");
    assert!(line.starts_with("lookup localhost: ok "), "{line}");
    // A name that is not one is the standard's invalid-argument.
    let output = p3(&["--allow-dns"], &["lookup", "a b"]);
    printed(&output, "lookup a b: error ErrorCode::InvalidArgument");
}

#[test]
fn p3_sockets_count_against_max_sockets() {
    let output = p3(&["--max-sockets", "4"], &["sockets", "10"]);
    printed(&output, "created 4");
    printed(
        &output,
        "error ErrorCode::Other(Some(\"new-socket-limit\"))",
    );
}

/// One guest mixing wasock, `std::net` (WASI 0.2) and WASI 0.3 sockets
/// has one `--max-sockets` pool: each path's sockets leave fewer for the
/// others, and a 0.3 socket dropped gives its slot back to wasock.
#[test]
fn p3_mixed_guest_shares_one_socket_limit() {
    let output = p3(&["--max-sockets", "6"], &["mixed", "2", "2"]);
    printed(&output, "wasock 2 std 2 p3 2");
    printed(
        &output,
        "error ErrorCode::Other(Some(\"new-socket-limit\"))",
    );
    printed(&output, "wasock then TooManySockets");
    printed(&output, "after a 0.3 drop: ok");
}

/// A 0.3 receive buffer is capped at the host's ceiling (4 MiB) before
/// it reaches the kernel: `strace` shows the `SO_RCVBUF` the host sets.
/// (Read back, the kernel's own `rmem_max` may hide the difference: it
/// is 4 MiB on these machines.)
#[test]
fn p3_receive_buffer_is_capped() {
    const TEST: &str = "sandbox_p3::p3_receive_buffer_is_capped";
    let output = p3(&[], &["buffer", "1073741824"]);
    let line = line_starting(&output, "receive-buffer ");
    let value: u64 = line
        .trim_start_matches("receive-buffer ")
        .parse()
        .unwrap_or_else(|_| panic!("{line}\n{}", output_text(&output)));
    assert!(value <= 8 << 20, "{value}: past the ceiling");

    let Ok(version) = std::process::Command::new("strace").arg("-V").output() else {
        wasock_tests::skip(TEST, "strace is not installed (.ci/run installs it)");
        return;
    };
    if !version.status.success() {
        wasock_tests::skip(TEST, "strace does not run here");
        return;
    }
    let dir = wasock_tests::TempDir::new("p3-strace");
    let trace = dir.join("trace");
    let output = std::process::Command::new("strace")
        .args(["-f", "-qq", "-X", "raw", "-e", "trace=setsockopt", "-o"])
        .arg(&trace)
        .args([WASOCK, "run", guest("p3_sandbox"), "buffer", "1073741824"])
        .output()
        .expect("strace wasock");
    assert!(output.status.success(), "{}", output_text(&output));
    let text = std::fs::read_to_string(&trace).expect("the trace");
    // setsockopt(FD, SOL_SOCKET (0x1), SO_RCVBUF (0x8), [VALUE], 4)
    let sets: Vec<u64> = text
        .lines()
        .filter_map(|line| line.split_once("setsockopt(").map(|(_, rest)| rest))
        .filter_map(|rest| {
            let args: Vec<&str> = rest.split(',').map(str::trim).collect();
            (args.len() > 3 && args[1] == "0x1" && args[2] == "0x8").then(|| {
                let value = args[3].trim_matches(['[', ']']);
                match value.strip_prefix("0x") {
                    Some(hex) => u64::from_str_radix(hex, 16).unwrap_or(u64::MAX),
                    None => value.parse().unwrap_or(u64::MAX),
                }
            })
        })
        .collect();
    assert!(!sets.is_empty(), "no SO_RCVBUF set in the trace:\n{text}");
    assert!(
        sets.iter().all(|value| *value <= 4 << 20),
        "SO_RCVBUF set past the ceiling: {sets:?}"
    );
}

/// Runs `p3_sandbox udp-inbound` under `flags`, sends `evil` from an
/// ungranted socket and `good` then `stop` from `granted`.
fn inbound(flags: &[&str], granted: &UdpSocket) -> Output {
    let running = Wasock::new(WASOCK, guest("p3_sandbox"))
        .flags(flags)
        .arg("udp-inbound")
        .spawn();
    crate::common::inbound_exchange(running, granted)
}

/// A 0.3 UDP socket bound without a bind grant (`0.0.0.0:0`) hears only
/// from peers its connect grants cover, the first drop reported; bound
/// under a bind grant it hears from everyone.
#[test]
fn p3_client_udp_socket_hears_only_its_connect_grants() {
    let granted = UdpSocket::bind("127.0.0.1:0").expect("granted peer");
    let grant = granted.local_addr().expect("address").to_string();
    let output = inbound(&["--allow-connect", &grant], &granted);
    assert_eq!(
        crate::common::heard_only_the_granted(&output),
        1,
        "one report per socket\n{}",
        output_text(&output)
    );

    let output = inbound(
        &["--allow-connect", &grant, "--allow-bind", "0.0.0.0:0"],
        &granted,
    );
    assert!(
        stdout(&output).contains(": evil"),
        "under a bind grant it hears everyone\n{}",
        output_text(&output)
    );
}

/// Connects to `port` and reads: returns whether the host reset the
/// connection (a connection the host kept would time the read out, after
/// [`IO_TIMEOUT`]; a reset comes at once).
fn reset_by_host(port: u16) -> bool {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    stream.set_read_timeout(Some(IO_TIMEOUT)).expect("timeout");
    let mut byte = [0u8; 1];
    match stream.read(&mut byte) {
        Ok(0) => true,
        Err(e) if e.kind() == ErrorKind::ConnectionReset => true,
        Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => false,
        other => panic!("unexpected {other:?}"),
    }
}

/// A 0.3 listener at `--max-sockets` resets the connections it cannot
/// hold and goes on: once a connection is dropped, the next is accepted.
#[test]
fn p3_accepts_past_the_socket_limit_are_reset_and_the_listener_goes_on() {
    // The listener and two connections.
    let mut running = Wasock::new(WASOCK, guest("p3_sandbox"))
        .flags(["--max-sockets", "3", "--allow-bind", "127.0.0.1:0"])
        .args(["accept", "127.0.0.1:0"])
        .spawn();
    let line = running.wait_for_line("listening ", TIMEOUT);
    let port: u16 = line
        .trim_start_matches("listening ")
        .trim()
        .parse()
        .expect("a port");
    let mut first = TcpStream::connect(("127.0.0.1", port)).expect("first");
    running.wait_for_line("accepted 1", TIMEOUT);
    let _second = TcpStream::connect(("127.0.0.1", port)).expect("second");
    running.wait_for_line("accepted 2", TIMEOUT);

    // At the limit: the host takes the connection from the kernel and
    // resets it (bounded: a host that held it would time the read out).
    assert!(reset_by_host(port), "a connection past the limit was kept");

    // The first connection's peer closes; the guest drops it, and the
    // slot is free again.
    first.write_all(b"x").expect("write");
    drop(first);
    running.wait_for_line("dropped 1", TIMEOUT);
    let _third = TcpStream::connect(("127.0.0.1", port)).expect("third");
    running.wait_for_line("accepted 3", TIMEOUT);
    let output = running.wait(TIMEOUT);
    printed(&output, "done");
}

/// `-S p3=n` serves WASI 0.2 only, as in wasmtime: a component that
/// imports WASI 0.3 is refused at link, naming the 0.3 import; and
/// `-W component-model-async=n` refuses it at load.
#[test]
fn p3_off_refuses_a_wasi_0_3_component() {
    let output = p3(&["-S", "p3=n"], &["sockets", "1"]);
    assert_eq!(output.status.code(), Some(1), "{}", output_text(&output));
    assert!(
        stderr(&output).contains("@0.3.0"),
        "{}",
        output_text(&output)
    );
    let output = p3(&["-W", "component-model-async=n"], &["sockets", "1"]);
    assert_ne!(output.status.code(), Some(0), "{}", output_text(&output));
    assert!(
        stderr(&output).contains("async"),
        "{}",
        output_text(&output)
    );
}

/// 0.3 lookups take the same resolution slots as the other paths: against
/// a name server that never answers, 16 start and the rest are refused at
/// once (`temporary-resolver-failure`); a lookup that answered holds none.
#[test]
fn p3_lookups_count_against_resolutions_in_flight() {
    const TEST: &str = "p3_lookups_count_against_resolutions_in_flight";
    if let Some(namespace) = crate::common::silent_resolver_namespace(TEST) {
        let output = namespace.run(
            WASOCK,
            &["--allow-dns"],
            "p3_sandbox",
            &["lookups", "wasock-never-answered.invalid", "40"],
            TIMEOUT,
        );
        let all = output_text(&output);
        assert!(output.status.success(), "{all}");
        let out = stdout(&output);
        assert!(out.contains("lookups done"), "{all}");
        for i in 0..40 {
            let expected = if i < 16 {
                "started".to_owned()
            } else {
                "error ErrorCode::TemporaryResolverFailure".to_owned()
            };
            assert!(
                out.lines()
                    .any(|line| line == format!("lookup {i}: {expected}")),
                "lookup {i} should be {expected}\n{all}"
            );
        }
    }
    // Answered lookups give their slot back: 40 in a row all answer.
    let output = p3(&["--allow-dns"], &["lookups", "localhost", "40", "seq"]);
    printed(&output, "lookups done");
    for i in 0..40 {
        printed(&output, &format!("lookup {i}: ok"));
    }
}

/// The peak resident size of the process `pid`, in bytes.
pub(crate) fn peak_rss(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("status");
    let line = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .expect("VmHWM");
    let kib: u64 = line
        .trim_start_matches("VmHWM:")
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .expect("a size");
    kib * 1024
}

/// wasmtime-wasi gives every pending 0.3 UDP `receive` its own 64 KiB
/// buffer; a guest starting 20,000 at once on one socket must not make the
/// host hold 20,000 of them (receives on a socket are taken one at a
/// time). Without that the host peaked at about 225 MB here, with it
/// about 60 MB.
#[test]
fn p3_pending_receives_do_not_grow_the_host() {
    let mut running = Wasock::new(WASOCK, guest("p3_sandbox"))
        .args(["receives", "20000"])
        .spawn();
    running.wait_for_line("receiving 20000", TIMEOUT);
    // The guest waits to be killed: measured alive, never as a zombie
    // (whose status has no memory lines).
    let peak = peak_rss(running.id());
    let output = running.kill();
    assert!(
        !output_text(&output).contains("panicked"),
        "{}",
        output_text(&output)
    );
    assert!(
        peak < 150 << 20,
        "the host peaked at {} MiB with 20,000 receives pending",
        peak >> 20
    );
}

/// A 0.3 lookup of a name of tens of MiB costs the host one copy of it:
/// refused without `--allow-dns` (the denial names a bounded part of it),
/// and with it answered `invalid-argument` before any resolver sees it.
#[test]
fn p3_long_names_cost_the_host_a_bounded_amount() {
    for (flags, answer) in [
        (
            &["--max-memory", "64M"][..],
            "lookup-long: error ErrorCode::AccessDenied",
        ),
        (
            &["--max-memory", "64M", "--allow-dns"][..],
            "lookup-long: error ErrorCode::InvalidArgument",
        ),
    ] {
        let mut running = Wasock::new(WASOCK, guest("p3_sandbox"))
            .flags(flags)
            .args(["lookup-long", "50331648"])
            .spawn();
        let line = running.wait_for_line("lookup-long: ", TIMEOUT);
        let peak = peak_rss(running.id());
        let output = running.kill();
        assert!(line.contains(answer), "{line}\n{}", output_text(&output));
        // The guest's 64 MiB, one 48 MiB copy, and an allowance.
        assert!(
            peak < 208 << 20,
            "the host peaked at {} MiB for a 48 MiB name",
            peak >> 20
        );
        for denial in stderr(&output).lines().filter(|l| l.contains("denied")) {
            assert!(
                denial.len() < 1024,
                "an unbounded denial: {} bytes",
                denial.len()
            );
        }
    }
}
