//! The sandbox against an attacker, through the real binary: one test per
//! class of escape or host harm, each a guest trying it (mostly
//! `sandbox_probe`, which runs a list of operations) against native peers
//! on loopback or inside network namespaces the tests make (as root;
//! otherwise those parts skip, saying why).
//!
//! Run: `cargo test -p wasock-host --test e2e sandbox::`

use std::collections::BTreeSet;
use std::net::{TcpListener, UdpSocket};
use std::os::unix::net::UnixListener;
use std::path::PathBuf;
use std::process::Output;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread;
use std::time::Duration;

use wasock_host::policy::{OptionRefusal, OptionTarget, Policy};
use wasock_host::socket::{Family, Kind};
use wasock_tests::{
    Namespace, TempDir, Wasock, guest, is_root, output_text, run_guest, skip, stderr, stdout,
};

use crate::WASOCK;
use crate::common::{hold_connections, small_buffer_listener};

const TIMEOUT: Duration = Duration::from_secs(90);

/// What a refused operation's outcome starts with.
const DENIED: &str = "fatal/permission-denied";

/// Runs `sandbox_probe` with `flags` and the operations `ops`; returns
/// each operation's outcome, in order.
fn probe(flags: &[&str], ops: &[&str]) -> (Vec<String>, Output) {
    let output = run_guest(WASOCK, flags, "sandbox_probe", ops, TIMEOUT);
    assert!(
        output.status.success() && stdout(&output).contains("probe done"),
        "{}",
        output_text(&output)
    );
    // One line per operation, in order.
    let text = stdout(&output);
    let lines: Vec<&str> = text.lines().collect();
    let outcomes = ops
        .iter()
        .enumerate()
        .map(|(i, op)| {
            let prefix = format!("{op} => ");
            lines
                .get(i)
                .and_then(|line| line.strip_prefix(&prefix))
                .unwrap_or_else(|| panic!("no outcome for {op}\n{}", output_text(&output)))
                .to_owned()
        })
        .collect();
    (outcomes, output)
}

/// Asserts each outcome starts as expected (`ok`, or `fatal/permission-denied`...).
fn expect(outcomes: &[String], ops: &[&str], expected: &[&str], output: &Output) {
    for ((outcome, op), want) in outcomes.iter().zip(ops).zip(expected) {
        assert!(
            outcome.starts_with(want),
            "{op}: expected {want}, got {outcome}\n{}",
            output_text(output)
        );
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

// ---- Inbound datagrams ----------------------------------------------------------

/// Runs `sandbox_udp_inbound MODE` under `flags`, sends `evil` from an
/// ungranted socket and `good` then `stop` from `granted`; returns the
/// output.
fn inbound(flags: &[&str], mode: &str, granted: &UdpSocket) -> Output {
    let granted_address = granted.local_addr().expect("granted address").to_string();
    let mut command = Wasock::new(WASOCK, guest("sandbox_udp_inbound"))
        .flags(flags)
        .arg(mode);
    if mode == "sdk" {
        command = command.arg(&granted_address);
    }
    crate::common::inbound_exchange(command.spawn(), granted)
}

/// A `std::net` socket bound without a bind grant (`0.0.0.0:0`, which
/// every UDP client does) hears only from peers its connect grants cover;
/// bound under a bind grant it hears from everyone.
#[test]
fn std_net_client_socket_hears_only_its_connect_grants() {
    let granted = UdpSocket::bind("127.0.0.1:0").expect("granted peer");
    let grant = granted.local_addr().expect("address").to_string();
    let output = inbound(&["--allow-connect", &grant], "std", &granted);
    assert_eq!(
        crate::common::heard_only_the_granted(&output),
        1,
        "one report per socket\n{}",
        output_text(&output)
    );
    // Under a bind grant for the address it binds, it hears everyone.
    let output = inbound(
        &["--allow-connect", &grant, "--allow-bind", "0.0.0.0:0"],
        "std",
        &granted,
    );
    assert!(
        stdout(&output).contains(": evil"),
        "{}",
        output_text(&output)
    );
}

/// The same through the SDK: a send-to's implicit bind (under
/// `--allow-connect` alone) does not open the socket to the world.
#[test]
fn sdk_send_to_autobind_hears_only_its_connect_grants() {
    let granted = UdpSocket::bind("127.0.0.1:0").expect("granted peer");
    let grant = granted.local_addr().expect("address").to_string();
    let output = inbound(&["--allow-connect", &grant], "sdk", &granted);
    assert!(
        crate::common::heard_only_the_granted(&output) > 0,
        "no denial reported\n{}",
        output_text(&output)
    );
}

// ---- Options ----------------------------------------------------------------------

/// Multicast and anycast membership: refused without their grants (no
/// IGMP/MLD report ever leaves); with `--allow-multicast` for the group,
/// the join works (in a namespace of the test's own).
#[test]
fn group_membership_needs_its_grant() {
    let join = format!(
        "bytes={},{},{}",
        libc::IPPROTO_IP,
        libc::IP_ADD_MEMBERSHIP,
        hex(&[239, 1, 2, 3, 0, 0, 0, 0])
    );
    let mut mreq6 = vec![0xff, 0x05, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
    mreq6.extend_from_slice(&[0; 4]);
    let join6 = format!(
        "bytes={},{},{}",
        libc::IPPROTO_IPV6,
        libc::IPV6_ADD_MEMBERSHIP,
        hex(&mreq6)
    );
    let anycast = format!(
        "bytes={},{},{}",
        libc::IPPROTO_IPV6,
        libc::IPV6_JOIN_ANYCAST,
        hex(&mreq6)
    );
    let ops = [
        "socket=inet,dgram",
        join.as_str(),
        "socket=inet6,dgram",
        join6.as_str(),
        anycast.as_str(),
    ];
    let (outcomes, output) = probe(&["--inherit-network"], &ops);
    expect(
        &outcomes,
        &ops,
        &["ok", DENIED, "ok", DENIED, DENIED],
        &output,
    );
    assert!(
        stderr(&output).contains("--allow-multicast"),
        "{}",
        output_text(&output)
    );

    let Some(namespace) = Namespace::create("sandbox::group_membership_needs_its_grant") else {
        return;
    };
    assert!(namespace.ip(&["link", "set", "lo", "multicast", "on"]));
    assert!(namespace.ip(&["route", "add", "224.0.0.0/4", "dev", "lo"]));
    let output = namespace.run(
        WASOCK,
        &["--allow-multicast", "239.1.0.0/16"],
        "sandbox_probe",
        &["socket=inet,dgram", &join],
        TIMEOUT,
    );
    assert!(
        stdout(&output).contains(&format!("{join} => ok")),
        "the granted join\n{}",
        output_text(&output)
    );
}

/// Options that choose interfaces, routes, headers or priorities, or
/// share a port with other processes: refused without `--allow-raw`.
#[test]
fn interface_route_and_header_options_need_allow_raw() {
    let mut pktinfo = vec![0u8; 16];
    pktinfo.extend_from_slice(&1u32.to_ne_bytes());
    let ops: Vec<String> = vec![
        "socket=inet6,dgram".into(),
        format!(
            "bytes={},{},{}",
            libc::IPPROTO_IPV6,
            libc::IPV6_PKTINFO,
            hex(&pktinfo)
        ),
        format!(
            "bytes={},{},{}",
            libc::IPPROTO_IPV6,
            libc::IPV6_HOPOPTS,
            hex(&[0; 8])
        ),
        format!(
            "bytes={},{},{}",
            libc::IPPROTO_IPV6,
            libc::IPV6_DSTOPTS,
            hex(&[0; 8])
        ),
        format!("set={},{},1", libc::IPPROTO_IPV6, libc::IPV6_UNICAST_IF),
        "socket=inet,stream".into(),
        format!("set={},{},7", libc::SOL_SOCKET, libc::SO_PRIORITY),
        format!("set={},{},3", libc::SOL_SOCKET, libc::SO_PRIORITY),
        format!("set={},{},1", libc::SOL_SOCKET, libc::SO_REUSEPORT),
        format!(
            "bytes={},{},{}",
            libc::IPPROTO_TCP,
            libc::TCP_CONGESTION,
            hex(b"reno")
        ),
        format!(
            "bytes={},{},{}",
            libc::SOL_SOCKET,
            libc::SO_BINDTODEVICE,
            hex(b"lo")
        ),
        format!("set={},{},1", libc::SOL_SOCKET, libc::SO_MARK),
        format!("get={},{},16", libc::SOL_SOCKET, libc::SO_BINDTODEVICE),
    ];
    let ops: Vec<&str> = ops.iter().map(String::as_str).collect();
    let (outcomes, output) = probe(&["--inherit-network"], &ops);
    expect(
        &outcomes,
        &ops,
        &[
            "ok", DENIED, DENIED, DENIED, DENIED, "ok", DENIED, "ok", DENIED, DENIED, DENIED,
            DENIED, DENIED,
        ],
        &output,
    );
    // Refused by the allow-list, not only by the kernel (which, as root
    // with the capabilities wasock drops, would refuse some of them too).
    for (op, outcome) in ops.iter().zip(&outcomes) {
        if outcome.starts_with(DENIED) {
            assert!(outcome.contains("--allow-raw"), "{op}: {outcome}");
        }
    }
}

/// What would open a descriptor in the host, pass the kernel's memory
/// limits, take over other processes' connections or change the host's
/// kernel state: refused even with `--allow-raw`. Buffer sizes are capped.
#[test]
fn never_allowed_options_are_refused_even_with_allow_raw() {
    let ops: Vec<String> = vec![
        "socket=inet,stream".into(),
        format!("set={},{},1", libc::IPPROTO_TCP, libc::TCP_REPAIR),
        format!(
            "bytes={},{},{}",
            libc::IPPROTO_TCP,
            libc::TCP_ULP,
            hex(b"tls")
        ),
        format!(
            "set={},{},{}",
            libc::SOL_SOCKET,
            libc::SO_SNDBUFFORCE,
            1 << 30
        ),
        format!(
            "set={},{},{}",
            libc::SOL_SOCKET,
            libc::SO_RCVBUFFORCE,
            1 << 30
        ),
        format!(
            "bytes={},{},{}",
            libc::SOL_SOCKET,
            libc::SO_ATTACH_FILTER,
            hex(&[0; 16])
        ),
        format!("set={},{},3", libc::SOL_SOCKET, libc::SO_ATTACH_BPF),
        format!("set={},{},{}", libc::SOL_SOCKET, libc::SO_SNDBUF, 1 << 30),
        format!("get={},{},4", libc::SOL_SOCKET, libc::SO_SNDBUF),
        "socket=inet,dgram".into(),
        format!("set={},{},1", libc::IPPROTO_UDP, libc::UDP_ENCAP),
    ];
    let ops: Vec<&str> = ops.iter().map(String::as_str).collect();
    for flags in [
        &["--inherit-network"][..],
        &["--inherit-network", "--allow-raw"],
    ] {
        let (outcomes, output) = probe(flags, &ops);
        expect(
            &outcomes,
            &ops,
            &[
                "ok", DENIED, DENIED, DENIED, DENIED, DENIED, DENIED, "ok", "ok ", "ok", DENIED,
            ],
            &output,
        );
        // Refused by the allow-list itself, whatever the kernel would say.
        for (op, outcome) in ops.iter().zip(&outcomes) {
            if outcome.starts_with(DENIED) {
                assert!(outcome.contains("never allowed"), "{op}: {outcome}");
            }
        }
        let reported = outcomes[8].trim_start_matches("ok ");
        let bytes: Vec<u8> = (0..4)
            .map(|i| u8::from_str_radix(&reported[2 * i..2 * i + 2], 16).expect("hex"))
            .collect();
        let size = i32::from_ne_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
        assert!(
            size <= 2 * 4 * 1024 * 1024,
            "SO_SNDBUF 1 GiB became {size}: the ceiling did not hold"
        );
    }
}

/// Peer credentials: no pidfd is ever made for the guest, the peer's pid
/// reads 0, and the unix peer name (a host path) is refused.
#[test]
fn peer_credentials_show_no_host_process_or_path() {
    let dir = TempDir::new("peer");
    let listener = UnixListener::bind(dir.join("srv.sock")).expect("native unix listener");
    let path = format!("unix:{}/srv.sock", dir.as_str());
    let ops: Vec<String> = vec![
        "socket=unix,stream".into(),
        format!("connect={path}"),
        format!("get={},{},4", libc::SOL_SOCKET, libc::SO_PEERPIDFD),
        format!("get={},{},12", libc::SOL_SOCKET, libc::SO_PEERCRED),
        format!("get={},{},108", libc::SOL_SOCKET, libc::SO_PEERNAME),
    ];
    let ops: Vec<&str> = ops.iter().map(String::as_str).collect();
    let (outcomes, output) = probe(&["--allow-unix", dir.as_str(), "--allow-raw"], &ops);
    expect(
        &outcomes,
        &ops,
        &["ok", "ok", DENIED, "ok ", DENIED],
        &output,
    );
    let cred = outcomes[3].trim_start_matches("ok ");
    assert!(cred.starts_with("00000000"), "the host pid leaked: {cred}");
    for outcome in &outcomes[2..] {
        assert!(!outcome.contains(dir.as_str()), "a host path: {outcome}");
    }
    drop(listener);
}

// ---- Addresses and protocols ----------------------------------------------------------

/// The unspecified address is never a destination (Linux would take it
/// for loopback), whatever the grants; a dual-stack `[::]` bind is
/// checked as `0.0.0.0` too; non-default protocols need `--allow-raw`.
#[test]
fn unspecified_dual_stack_and_protocols() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("native listener");
    listener.set_nonblocking(true).expect("nonblocking");
    let port = listener.local_addr().expect("address").port();
    let unspecified = format!("0.0.0.0:{port}");
    let ops: Vec<String> = vec![
        "socket=inet,stream".into(),
        format!("connect={unspecified}"),
        "socket=inet,dgram".into(),
        format!("send-to={unspecified}"),
        "socket=inet,dgram,136".into(),
        "socket=inet,stream,262".into(),
    ];
    let ops: Vec<&str> = ops.iter().map(String::as_str).collect();
    let (outcomes, output) = probe(&["--allow-connect", &unspecified], &ops);
    expect(
        &outcomes,
        &ops,
        &["ok", DENIED, "ok", DENIED, DENIED, DENIED],
        &output,
    );
    assert!(listener.accept().is_err(), "the connect reached loopback");

    // The guest binds a port on every address, which nothing can keep free
    // for it: another process may take it meanwhile (under load a
    // connection's local port did, and the `ok` bind answered
    // address-in-use), so a port found taken is replaced and the checks
    // run again, a few times at most.
    const ATTEMPTS: usize = 5;
    for attempt in 1..=ATTEMPTS {
        let port = free_dual_stack_tcp_port();
        let any6 = format!("[::]:{port}");
        let bind6 = format!("bind={any6}");
        let ops = [
            "socket=inet6,stream",
            bind6.as_str(),
            "socket=inet6,stream",
            "v6only=1",
            bind6.as_str(),
        ];
        let (outcomes, output) = probe(&["--allow-bind", &any6], &ops);
        if attempt < ATTEMPTS && taken(&outcomes, port) {
            continue;
        }
        expect(&outcomes, &ops, &["ok", DENIED, "ok", "ok", "ok"], &output);
        assert!(outcomes[1].contains("dual-stack"), "{}", outcomes[1]);
        let any4 = format!("0.0.0.0:{port}");
        let (outcomes, output) = probe(&["--allow-bind", &any6, "--allow-bind", &any4], &ops[..2]);
        if attempt < ATTEMPTS && taken(&outcomes, port) {
            continue;
        }
        expect(&outcomes, &ops[..2], &["ok", "ok"], &output);
        return;
    }
}

/// A TCP port free on every IPv6 and IPv4 address just now: the one the
/// kernel picks for a dual-stack `[::]:0` listener, closed again.
fn free_dual_stack_tcp_port() -> u16 {
    let listener = TcpListener::bind("[::]:0").expect("a dual-stack listener");
    listener.local_addr().expect("address").port()
}

/// Whether a bind among `outcomes` found `port` taken (saying so).
fn taken(outcomes: &[String], port: u16) -> bool {
    let taken = outcomes
        .iter()
        .any(|outcome| outcome.contains("/address-in-use"));
    if taken {
        eprintln!("port {port} was taken meanwhile: trying another");
    }
    taken
}

/// Resolution tells the guest nothing about the host's interfaces: a
/// numeric name-information keeps the scope id's number, and a zone that
/// names an interface is refused, numeric flag or not.
#[test]
fn resolution_reveals_no_interface_names() {
    let ops = [
        "name=[fe80::1%1]:80",
        "resolve-numeric=fe80::1%lo",
        "resolve=fe80::1%lo",
        "resolve-numeric=fe80::1%1",
    ];
    let (outcomes, output) = probe(&["--allow-dns"], &ops);
    expect(
        &outcomes,
        &ops,
        &["ok fe80::1%1", DENIED, DENIED, "ok"],
        &output,
    );
    assert!(!outcomes[0].contains("%lo"), "{}", output_text(&output));
}

// ---- Accounting and host resources ---------------------------------------------------

/// `--max-sockets` counts the wasock sockets and the `wasi:sockets` ones
/// (`std::net`) together, and closing gives slots back on both paths.
#[test]
fn max_sockets_counts_both_socket_apis() {
    let output = run_guest(
        WASOCK,
        &["--max-sockets", "4"],
        "sandbox_socket_count",
        &["2"],
        TIMEOUT,
    );
    let text = stdout(&output);
    assert!(
        text.lines().any(|l| l.starts_with("wasock 2 std 2:")),
        "{}",
        output_text(&output)
    );
    assert!(
        text.contains("after closing: ok"),
        "{}",
        output_text(&output)
    );
}

/// The threads of the host process (`/proc/PID/task`).
fn threads_of(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/task")).map_or(0, |dir| dir.count())
}

/// Sockets dropped with a long linger and data unsent keep their slots
/// until the close is done, without a host thread each, and give them
/// back when the peer goes.
#[test]
fn lingering_closes_hold_their_slots_without_threads() {
    const COUNT: usize = 40;
    let (listener, address) = small_buffer_listener(128);
    let (stop, holder) = hold_connections(listener);
    let grant = address.to_string();
    let mut running = Wasock::new(WASOCK, guest("sandbox_linger"))
        .flag("--allow-connect")
        .flag(&grant)
        .flag("--max-sockets")
        .flag(COUNT.to_string())
        .arg(&grant)
        .arg(COUNT.to_string())
        .spawn();
    let after = running.wait_for_line("after drops: ", TIMEOUT);
    assert_eq!(
        after, "after drops: too-many-sockets",
        "lingering closes hold their slots"
    );
    running.wait_for_line("dropped ", TIMEOUT);
    let threads = threads_of(running.id());
    assert!(
        threads < 24,
        "{threads} host threads while {COUNT} closes linger (a blocking thread each?)"
    );
    let _ = stop.send(());
    // Dropped with data unread: the guest's lingering sockets get a reset
    // and their closes finish.
    drop(holder.join().expect("the peer thread"));
    let back = running.wait_for_line("slot back after", TIMEOUT);
    let output = running.wait(TIMEOUT);
    assert!(output.status.success(), "{back}\n{}", output_text(&output));
}

/// A lingering close whose peer acknowledged the data but will never
/// acknowledge the FIN (the namespace's loopback goes down) holds no host
/// thread: dropping the socket returns at once, and the guest's exit with
/// another such socket open ends the process at once, not after the 30 s
/// linger (the kernel never holds a linger time; the host lingers on its
/// timer).
#[test]
fn a_lingering_close_never_blocks_a_thread_or_the_exit() {
    const TEST: &str = "a_lingering_close_never_blocks_a_thread_or_the_exit";
    let Some(namespace) = Namespace::create(TEST) else {
        return;
    };
    let mut running = Wasock::new(WASOCK, guest("sandbox_linger_exit"))
        .flags([
            "--allow-bind",
            "127.0.0.1:0",
            "--allow-connect",
            "127.0.0.1:*",
        ])
        .in_namespace(&namespace)
        .spawn();
    running.wait_for_line("acked", TIMEOUT);
    assert!(namespace.ip(&["link", "set", "lo", "down"]), "lo down");
    let acked = std::time::Instant::now();
    let dropped = running.wait_for_line("dropped in ", TIMEOUT);
    let output = running.wait(TIMEOUT);
    let exited = acked.elapsed();
    let all = output_text(&output);
    assert!(output.status.success(), "{all}");
    let ms: u64 = dropped
        .trim_start_matches("dropped in ")
        .trim_end_matches(" ms")
        .parse()
        .unwrap_or(u64::MAX);
    // Blocking would take the 30 s linger: the bounds are a third and two
    // thirds of it, far above what a busy machine's delays add (1 s for
    // the drop and 10 s for the exit were not).
    assert!(ms < 10_000, "the drop took {ms} ms\n{all}");
    // 2 s of the guest's own sleep, then the exit.
    assert!(
        exited < Duration::from_secs(20),
        "the host took {exited:?} to exit\n{all}"
    );
}

/// A `--dir` preopen overlapping an `--allow-unix` directory is refused
/// before the guest runs (exit 2, naming both): through it a guest could
/// rename or link a socket from elsewhere into its unix directory and
/// connect to it, or move its own sockets out over other programs'. The
/// host's compile cache and log are kept apart from the guest's
/// directories likewise.
#[test]
fn a_dir_grant_overlapping_a_unix_directory_is_refused() {
    let root = TempDir::new("overlap");
    let socks = root.join("socks");
    std::fs::create_dir(&socks).expect("socks");
    let unix_grant = socks.display().to_string();
    for dir in [root.as_str().to_owned(), unix_grant.clone()] {
        let output = run_guest(
            WASOCK,
            &["--allow-unix", &unix_grant, "--dir", &dir],
            "policy_exit",
            &["0"],
            TIMEOUT,
        );
        let all = output_text(&output);
        assert_eq!(output.status.code(), Some(2), "{all}");
        assert!(
            stderr(&output).contains("overlaps the --allow-unix directory"),
            "{all}"
        );
    }
    // What the host itself writes is kept apart too: its compile cache
    // (native code it loads; a guest writing there would run code in the
    // host) and its log (a guest could write lines that look like the
    // host's).
    let data = root.join("data");
    std::fs::create_dir(&data).expect("data");
    let data_grant = data.display().to_string();
    let cache = data.join("cache").display().to_string();
    let output = run_guest(
        WASOCK,
        &["--dir", &data_grant, "--cache-dir", &cache],
        "policy_exit",
        &["0"],
        TIMEOUT,
    );
    let all = output_text(&output);
    assert_eq!(output.status.code(), Some(1), "{all}");
    assert!(
        stderr(&output).contains("overlaps the compile cache"),
        "{all}"
    );
    let log = data.join("host.log").display().to_string();
    for grant in [["--dir", &data_grant], ["--allow-unix", &data_grant]] {
        let output = run_guest(
            WASOCK,
            &[grant[0], grant[1], "--log", &log],
            "policy_exit",
            &["0"],
            TIMEOUT,
        );
        let all = output_text(&output);
        assert_eq!(output.status.code(), Some(2), "{all}");
        assert!(stderr(&output).contains("--log"), "{all}");
    }
    // Apart, all run.
    let output = run_guest(
        WASOCK,
        &[
            "--dir",
            &data_grant,
            "--log",
            &root.join("host.log").display().to_string(),
            "--cache-dir",
            &root.join("cache").display().to_string(),
        ],
        "policy_exit",
        &["0"],
        TIMEOUT,
    );
    assert!(output.status.success(), "{}", output_text(&output));
}

/// A relative `--allow-unix` directory is named from `/` in the guest
/// (`socks` is `/socks`): the directory wasock was started in, a host
/// path, never reaches the guest.
#[test]
fn a_relative_unix_grant_hides_the_working_directory() {
    let root = TempDir::new("relative-unix");
    std::fs::create_dir(root.join("socks")).expect("socks");
    let output = Wasock::new(WASOCK, guest("policy_unix"))
        .flags(["--allow-unix", "socks"])
        .arg("x.sock")
        .command()
        .current_dir(root.path())
        .output()
        .expect("wasock run");
    let all = output_text(&output);
    assert_eq!(stdout(&output).trim(), "bind ok /socks/x.sock", "{all}");
    assert!(!all.contains(root.as_str()), "{all}");
}

/// Every socket file a guest binds is removed when its socket closes (or
/// the guest ends): the granted directory does not fill up.
#[test]
fn socket_files_go_with_their_sockets() {
    let dir = TempDir::new("files");
    let output = run_guest(
        WASOCK,
        &["--allow-unix", dir.as_str()],
        "sandbox_unix_files",
        &[dir.as_str(), "500", "3"],
        TIMEOUT,
    );
    let text = stdout(&output);
    assert!(
        text.contains("bound 500 closed") && text.contains("kept 3"),
        "{}",
        output_text(&output)
    );
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .expect("the directory")
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert!(left.is_empty(), "socket files left behind: {left:?}");
}

/// A path swapped between the check and the use (a real socket inside
/// one moment, a symlink to a socket outside the next) never reaches the
/// outside socket: nothing is looked up twice and no symlink is followed.
#[test]
fn unix_swaps_between_check_and_use_never_reach_outside() {
    const TRIES: &str = "4000";
    let dir = TempDir::new("race");
    let outside = TempDir::new("race-outside");
    let outside_listener = UnixListener::bind(outside.join("real.sock")).expect("outside");
    outside_listener.set_nonblocking(true).expect("nonblocking");
    let inside_listener = UnixListener::bind(dir.join("in.sock")).expect("inside");
    inside_listener.set_nonblocking(true).expect("nonblocking");
    let stop = Arc::new(AtomicBool::new(false));
    let (escaped, reached) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let acceptor = {
        let (stop, escaped, reached) = (stop.clone(), escaped.clone(), reached.clone());
        thread::spawn(move || {
            while !stop.load(Ordering::SeqCst) {
                if outside_listener.accept().is_ok() {
                    escaped.fetch_add(1, Ordering::SeqCst);
                }
                if inside_listener.accept().is_ok() {
                    reached.fetch_add(1, Ordering::SeqCst);
                }
                thread::sleep(Duration::from_micros(200));
            }
            while outside_listener.accept().is_ok() {
                escaped.fetch_add(1, Ordering::SeqCst);
            }
        })
    };
    let swapper = {
        let stop = stop.clone();
        let (dir, outside) = (dir.path().to_path_buf(), outside.path().to_path_buf());
        thread::spawn(move || {
            let (socket, target, link) = (dir.join("in.sock"), dir.join("target"), dir.join("tmp"));
            while !stop.load(Ordering::SeqCst) {
                let _ = std::fs::rename(&socket, &target);
                thread::yield_now();
                let _ = std::fs::rename(&target, &socket);
                let _ = std::os::unix::fs::symlink(outside.join("real.sock"), &link);
                let _ = std::fs::rename(&link, &target);
                thread::yield_now();
                let _ = std::fs::remove_file(&target);
            }
        })
    };
    let target = format!("{}/target", dir.as_str());
    let output = run_guest(
        WASOCK,
        &["--allow-unix", dir.as_str()],
        "sandbox_unix_race",
        &[&target, TRIES],
        TIMEOUT,
    );
    thread::sleep(Duration::from_millis(100));
    stop.store(true, Ordering::SeqCst);
    swapper.join().expect("swapper");
    acceptor.join().expect("acceptor");
    assert_eq!(
        escaped.load(Ordering::SeqCst),
        0,
        "connections reached the socket outside\n{}",
        output_text(&output)
    );
    assert!(
        stdout(&output).starts_with("connected "),
        "{}",
        output_text(&output)
    );
    // The inside socket was reachable while it was there.
    let _ = reached.load(Ordering::SeqCst);
}

/// Guest-chosen text reaches the host's log escaped and bounded: no
/// terminal escape, no line the guest forged, at most a few KiB a second,
/// and a count of what was held back at the end.
#[test]
fn denial_reports_are_escaped_bounded_and_counted() {
    let output = run_guest(WASOCK, &[], "sandbox_flood", &["5000"], TIMEOUT);
    assert!(
        stdout(&output).contains("flood done"),
        "{}",
        output_text(&output)
    );
    let err = &output.stderr;
    assert!(!err.contains(&0x1b), "an escape sequence reached stderr");
    assert!(!err.contains(&b'\r'), "a carriage return reached stderr");
    let text = stderr(&output);
    assert!(
        !text.lines().any(|l| l.starts_with("wasock: forged")),
        "a forged line\n{text}"
    );
    assert!(
        text.len() < 16 * 1024,
        "{} bytes of denials for 5000 refusals",
        text.len()
    );
    let last = text.lines().last().unwrap_or_default();
    assert!(
        last.contains("more denials suppressed"),
        "no closing count: {last:?}"
    );
}

/// A guest directory's host path never shows in a denial.
#[test]
fn denials_name_the_guests_paths_only() {
    let dir = TempDir::new("hidden");
    std::os::unix::fs::symlink("/etc", dir.join("l")).expect("symlink");
    let grant = format!("{}::/run/hidden", dir.as_str());
    let ops = [
        "socket=unix,stream",
        "bind=unix:/run/hidden/l/x.sock",
        "connect=unix:/run/hidden/../x",
    ];
    let (outcomes, output) = probe(&["--allow-unix", &grant], &ops);
    expect(&outcomes, &ops, &["ok", DENIED, DENIED], &output);
    let all = output_text(&output);
    assert!(
        !all.contains(dir.as_str()),
        "the host directory leaked\n{all}"
    );
}

/// A trap's report names the guest's functions, which the guest names
/// itself: a name holding a newline, a terminal escape and an imitation
/// of the host's denial line must reach the host's log escaped, inside
/// its frame's line, never as a line of its own.
#[test]
fn a_trap_report_escapes_the_names_the_guest_chose() {
    let output = run_guest(WASOCK, &[], "sandbox_trap_names", &[], TIMEOUT);
    let all = output_text(&output);
    assert_eq!(output.status.code(), Some(134), "a trap exits 134\n{all}");
    let err = stderr(&output);
    assert!(
        err.lines()
            .any(|line| line.starts_with("wasock: guest trapped: ")),
        "{all}"
    );
    assert!(
        !err.contains('\u{1b}'),
        "a raw escape reached the log\n{all}"
    );
    for line in err.lines() {
        assert!(
            !line.starts_with("wasock: denied") && !line.starts_with("wasock: guest exited"),
            "the guest wrote a line of the host's: {line:?}\n{all}"
        );
    }
    let frame = err
        .lines()
        .find(|line| line.contains("forged by the guest"))
        .unwrap_or_else(|| panic!("the trapping frame is listed\n{all}"));
    assert!(
        frame.starts_with("wasock:   ") && frame.contains("\\n") && frame.contains("\\u{1b}"),
        "the name is escaped inside its frame's line: {frame:?}\n{all}"
    );
}

/// The host's own lines can be kept apart from the guest's: the guest
/// writes an imitation of a denial (and escapes that would erase lines) to
/// its stderr, which is the process's; with `--log FILE` the host's real
/// denial goes to FILE, the imitation stays on stderr, and FILE holds
/// nothing the guest wrote. The guest's `argv[0]` is the component's file
/// name, not where it lies on the host.
#[test]
fn host_lines_go_to_the_log_and_argv0_hides_the_host_path() {
    let dir = TempDir::new("host-lines");
    let log = dir.join("wasock.log");
    let target = crate::common::closed_address().to_string();
    let log_flag = format!("--log={}", log.display());
    let output = run_guest(
        WASOCK,
        &[&log_flag],
        "sandbox_host_lines",
        &[&target],
        TIMEOUT,
    );
    let all = output_text(&output);
    assert!(output.status.success(), "{all}");
    let out = stdout(&output);
    assert!(
        out.contains("connect error permission-denied"),
        "the connect is denied\n{all}"
    );
    let argv0 = out
        .lines()
        .find_map(|line| line.strip_prefix("argv0 "))
        .unwrap_or_else(|| panic!("argv0 line\n{all}"));
    assert_eq!(argv0, "sandbox_host_lines.wasm", "{all}");
    let logged = std::fs::read_to_string(&log).expect("the log file");
    let lines: Vec<&str> = logged.lines().collect();
    assert_eq!(lines.len(), 1, "one denial, nothing else:\n{logged}");
    assert!(
        lines[0].starts_with(&format!("wasock: denied connect to {target}"))
            && lines[0].contains("no --allow-connect grant"),
        "the real denial:\n{logged}"
    );
    assert!(
        !logged.contains("forged"),
        "the guest reached the log:\n{logged}"
    );
    let err = stderr(&output);
    assert!(
        err.contains("forged by the guest"),
        "the guest's own stderr\n{all}"
    );
    assert!(
        !err.contains("no --allow-connect grant"),
        "the host's line went to stderr too\n{all}"
    );
}

/// Name lookups through `wasi:sockets` (what `std::net` uses) count
/// against the same limit on resolutions in flight as wasock's calls:
/// against a name server that never answers, 16 start and the rest are
/// refused at once (`temporary-resolver-failure`), however many the guest
/// asks for, so a guest cannot fill the host's blocking threads.
#[test]
fn wasi_lookups_count_against_resolutions_in_flight() {
    const TEST: &str = "wasi_lookups_count_against_resolutions_in_flight";
    let Some(namespace) = crate::common::silent_resolver_namespace(TEST) else {
        return;
    };
    let output = namespace.run(
        WASOCK,
        &["--allow-dns"],
        "sandbox_lookups",
        &["wasock-never-answered.invalid", "40"],
        TIMEOUT,
    );
    let all = output_text(&output);
    assert!(output.status.success(), "{all}");
    let out = stdout(&output);
    assert!(out.contains("sandbox lookups done"), "{all}");
    for i in 0..40 {
        let expected = if i < 16 {
            "started"
        } else {
            "temporary-resolver-failure"
        };
        assert!(
            out.lines()
                .any(|line| line == format!("lookup {i}: {expected}")),
            "lookup {i} should be {expected}\n{all}"
        );
    }
    // A lookup that has answered holds no slot, even while the guest
    // keeps its stream.
    let output = run_guest(
        WASOCK,
        &["--allow-dns"],
        "sandbox_lookups",
        &["localhost", "40", "wait"],
        TIMEOUT,
    );
    let all = output_text(&output);
    let out = stdout(&output);
    assert!(
        output.status.success() && out.contains("sandbox lookups done"),
        "{all}"
    );
    for i in 0..40 {
        assert!(
            out.lines()
                .any(|line| line == format!("lookup {i}: started")),
            "lookup {i} should start\n{all}"
        );
    }
}

/// `--max-memory` bounds the guest's memory, and the resource table
/// bounds what its host calls can make: past it the guest traps; the host
/// stays up.
#[test]
fn guest_memory_and_host_resources_are_bounded() {
    let output = run_guest(
        WASOCK,
        &["--max-memory", "64M"],
        "sandbox_memory",
        &["memory"],
        TIMEOUT,
    );
    let line = stdout(&output)
        .lines()
        .find(|l| l.starts_with("reached "))
        .map(str::to_owned)
        .unwrap_or_else(|| panic!("{}", output_text(&output)));
    let mib: usize = line
        .trim_start_matches("reached ")
        .trim_end_matches(" MiB")
        .parse()
        .expect("a number");
    assert!(mib < 64, "{line} under --max-memory 64M");
    let output = run_guest(WASOCK, &[], "sandbox_memory", &["table"], TIMEOUT);
    assert!(
        !stdout(&output).contains("table unbounded"),
        "{}",
        output_text(&output)
    );
    assert_eq!(output.status.code(), Some(134), "{}", output_text(&output));
}

/// Least privilege: as root, `wasock run` runs guests without
/// `CAP_NET_ADMIN` (in any set, the bounding one included, on every
/// thread), without `CAP_NET_RAW` unless `--allow-raw`, and with no new
/// privileges possible.
#[test]
fn capabilities_no_grant_needs_are_dropped() {
    if !is_root() {
        skip(
            "sandbox::capabilities_no_grant_needs_are_dropped",
            "not root: there are no capabilities to drop",
        );
        return;
    }
    const NET_ADMIN: u64 = 1 << 12;
    const NET_RAW: u64 = 1 << 13;
    for (flags, raw_kept) in [(&[][..], false), (&["--allow-raw"][..], true)] {
        let mut running = Wasock::new(WASOCK, guest("sandbox_idle"))
            .flags(flags)
            .arg("2000")
            .spawn();
        running.wait_for_line("idle", TIMEOUT);
        let pid = running.id();
        let tasks: Vec<PathBuf> = std::fs::read_dir(format!("/proc/{pid}/task"))
            .expect("tasks")
            .flatten()
            .map(|e| e.path())
            .collect();
        assert!(!tasks.is_empty());
        for task in &tasks {
            let status = std::fs::read_to_string(task.join("status")).unwrap_or_default();
            let field = |name: &str| {
                status
                    .lines()
                    .find_map(|l| l.strip_prefix(name))
                    .map(|v| u64::from_str_radix(v.trim(), 16).unwrap_or(u64::MAX))
            };
            let (Some(effective), Some(bounding)) = (field("CapEff:"), field("CapBnd:")) else {
                continue; // the thread ended meanwhile
            };
            assert_eq!(
                effective & NET_ADMIN,
                0,
                "{task:?}: CAP_NET_ADMIN effective"
            );
            assert_eq!(
                bounding & NET_ADMIN,
                0,
                "{task:?}: CAP_NET_ADMIN in the bounding set"
            );
            assert_eq!(
                effective & NET_RAW != 0,
                raw_kept,
                "{task:?}: CAP_NET_RAW with {flags:?}"
            );
            assert!(status.contains("NoNewPrivs:\t1"), "{task:?}: no_new_privs");
        }
        let output = running.wait(TIMEOUT);
        assert!(output.status.success(), "{}", output_text(&output));
    }
}

// ---- What a guest holds of the host: CPU, descriptors, kernel memory -------------------

/// The host process's CPU time so far (user + system), from
/// `/proc/PID/stat`.
fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("the host's stat");
    // The fields after the command name (which may hold spaces): the
    // state is field 3, utime and stime fields 14 and 15.
    let after_name = &stat[stat.rfind(')').expect("a stat line") + 1..];
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let ticks = |index: usize| fields[index - 3].parse::<f64>().expect("a tick count");
    // SAFETY: sysconf has no preconditions.
    let per_second = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
    (ticks(14) + ticks(15)) / per_second
}

/// The descriptors the host process holds (`/proc/PID/fd`).
fn descriptors_of(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd")).map_or(0, |dir| dir.count())
}

/// A wait on a socket whose read side is shut down (readable and hung up
/// for good, while the non-blocking call says "would block") answers at
/// once what the blocking call would: a datagram receive is empty, an
/// accept on a unix listener is invalid-argument. The host never spins:
/// its CPU time over the four waits stays far below the waits' 8 s of
/// timeouts.
#[test]
fn a_wait_on_a_hung_up_socket_sleeps_not_spins() {
    let dir = TempDir::new("spin");
    let mut running = Wasock::new(WASOCK, guest("sandbox_spin"))
        .flag("--allow-unix")
        .flag(dir.as_str())
        .arg(dir.as_str())
        .spawn();
    running.wait_for_line("start", TIMEOUT);
    let before = cpu_seconds(running.id());
    let lines: Vec<String> = [
        "udp shut read: ",
        "udp shut both: ",
        "unix datagram shut read: ",
        "unix listener shut both: ",
    ]
    .iter()
    .map(|case| running.wait_for_line(case, TIMEOUT))
    .collect();
    running.wait_for_line("end", TIMEOUT);
    let used = cpu_seconds(running.id()) - before;
    let output = running.wait(TIMEOUT);
    let all = format!("{}\n{}", lines.join("\n"), output_text(&output));
    assert!(output.status.success(), "{all}");
    assert!(
        used < 0.3,
        "the host used {used:.2} s of CPU over waits of 8 s (a spin?)\n{all}"
    );
    assert_eq!(
        lines,
        [
            "udp shut read: empty",
            "udp shut both: empty",
            "unix datagram shut read: empty",
            "unix listener shut both: fatal/invalid-argument",
        ],
        "{all}"
    );
}

/// Every descriptor the host holds for a guest's unix sockets counts:
/// the sockets bound in one directory share one handle on it (in a
/// granted directory itself, the grant's), so binding as many sockets as
/// `--max-sockets` allows, in the granted directory and in one
/// subdirectory of it, adds the sockets and one handle to what the host
/// held before (its base: standard streams, the reactor's, wasmtime's and
/// the grant's handle, measured here before the guest binds).
#[test]
fn unix_sockets_hold_one_descriptor_each() {
    const MAX: usize = 60;
    let dir = TempDir::new("descriptors");
    let sub = dir.join("sub");
    std::fs::create_dir(&sub).expect("a subdirectory");
    let sub = sub.to_str().expect("a UTF-8 path").to_owned();
    let mut running = Wasock::new(WASOCK, guest("sandbox_unix_descriptors"))
        .flags(["--allow-unix", dir.as_str()])
        .flags(["--max-sockets", &MAX.to_string()])
        .args([dir.as_str(), sub.as_str()])
        .spawn();
    running.wait_for_line("before", TIMEOUT);
    let base = descriptors_of(running.id());
    let bound = running.wait_for_line("bound ", TIMEOUT);
    running.wait_for_line("holding", TIMEOUT);
    let holding = descriptors_of(running.id());
    let output = running.wait(TIMEOUT);
    let all = format!(
        "{bound}\nbase {base}, holding {holding}\n{}",
        output_text(&output)
    );
    assert!(output.status.success(), "{all}");
    assert_eq!(bound, format!("bound {MAX}: too-many-sockets"), "{all}");
    assert!(base <= 16, "the host's base is {base} descriptors\n{all}");
    assert!(
        holding <= base + MAX + 1,
        "{holding} descriptors for {MAX} sockets over a base of {base}\n{all}"
    );
}

// ---- The option allow-list, seen from the kernel's side -------------------------------

/// Every level × name in 0..=300 at SOL_SOCKET, IP, IPv6, TCP, UDP, raw
/// and unknown levels, got and set by a guest without `--allow-raw`:
/// `strace` records every getsockopt/setsockopt the host makes, and each
/// one is a pair the allow-list knows, each set one it allows without a
/// grant.
#[test]
fn option_walk_reaches_the_kernel_only_for_allow_listed_pairs() {
    const TEST: &str = "sandbox::option_walk_reaches_the_kernel_only_for_allow_listed_pairs";
    let Ok(version) = std::process::Command::new("strace").arg("-V").output() else {
        skip(TEST, "strace is not installed (.ci/run installs it)");
        return;
    };
    if !version.status.success() {
        skip(TEST, "strace does not run here");
        return;
    }
    let dir = TempDir::new("strace");
    let trace = dir.join("trace");
    let output = std::process::Command::new("strace")
        .args([
            "-f",
            "-qq",
            "-X",
            "raw",
            "-e",
            "trace=setsockopt,getsockopt",
            "-o",
        ])
        .arg(&trace)
        .args([
            WASOCK,
            "run",
            "--inherit-network",
            guest("sandbox_probe"),
            "walk",
        ])
        .output()
        .expect("strace wasock");
    let walk = stdout(&output);
    assert!(walk.contains("walk => "), "{}", output_text(&output));
    let text = std::fs::read_to_string(&trace).expect("the trace");
    let known: BTreeSet<(i32, i32)> = wasock_host::policy::options::known_options()
        .map(|(level, name, _)| (level, name))
        .collect();
    let policy = Policy::new().inherit_network(true);
    let (mut gets, mut sets) = (0, 0);
    for line in text.lines() {
        let Some((call, rest)) = ["setsockopt(", "getsockopt("]
            .iter()
            .find_map(|call| line.split_once(call).map(|(_, rest)| (*call, rest)))
        else {
            continue;
        };
        let args: Vec<i32> = rest.split(',').take(3).map(parse_number).collect();
        let (level, name) = (args[1], args[2]);
        assert!(
            known.contains(&(level, name)),
            "{call} of an unknown pair reached the kernel: {line}"
        );
        if call == "setsockopt(" {
            sets += 1;
            // It was set on the walk's TCP or its UDP socket.
            let allowed = [Kind::Stream, Kind::Dgram].into_iter().any(|kind| {
                let target = OptionTarget {
                    family: Family::Inet,
                    kind,
                };
                matches!(
                    policy.check_set_option(level, name, target, &1i32.to_ne_bytes()),
                    Ok(_) | Err(OptionRefusal::Invalid(_))
                )
            });
            assert!(
                allowed,
                "a set the allow-list refuses reached the kernel: {line}"
            );
        } else {
            gets += 1;
        }
    }
    assert!(
        gets > 100 && sets > 50,
        "the walk reached the kernel {gets} + {sets} times:\n{walk}"
    );
}

/// A number as strace prints it with `-X raw` (`0x29`, `-1`, `6`).
fn parse_number(text: &str) -> i32 {
    let text = text.trim();
    match text.strip_prefix("0x") {
        Some(hex) => u32::from_str_radix(hex, 16).map_or(i32::MIN, |v| v as i32),
        None => text.parse().unwrap_or(i32::MIN),
    }
}

// ---- Long texts in refused calls --------------------------------------------------------

/// A line of `/proc/PID/status` in KiB (`VmHWM`, `VmRSS`).
fn status_kib(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("the host's status");
    status
        .lines()
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or_else(|| panic!("no {field} in\n{status}"))
}

/// Runs `sandbox_long_subjects` under `--max-memory 64M` and `flags` (the
/// `cases` only, all if none); returns how many KiB the host's memory
/// grew over the calls at its peak, and the output.
fn long_subjects(flags: &[&str], cases: &[&str]) -> (u64, Output) {
    let (listener, address) = crate::common::listener();
    let address = address.to_string();
    let mut running = Wasock::new(WASOCK, guest("sandbox_long_subjects"))
        .flags(["--max-memory", "64M", "--allow-connect", &address])
        .flags(flags)
        .arg(&address)
        .arg("30000")
        .args(cases)
        .spawn();
    let (mut control, _) = listener.accept().expect("the guest connects");
    running.wait_for_line("ready", TIMEOUT);
    // The peak from here on: compiling the guest is behind us.
    let pid = running.id();
    let before = status_kib(pid, "VmRSS");
    std::fs::write(format!("/proc/{pid}/clear_refs"), "5").expect("resetting the peak");
    std::io::Write::write_all(&mut control, b"g").expect("starting the guest");
    running.wait_for_line("long subjects done", TIMEOUT);
    let peak = status_kib(pid, "VmHWM");
    let output = running.kill();
    let growth = peak.saturating_sub(before);
    eprintln!("host RSS {before} KiB before the calls, peak {peak} KiB: {growth} KiB more");
    (growth, output)
}

/// The outcome `sandbox_long_subjects` printed for `case`.
fn long_subject_outcome(output: &Output, case: &str) -> String {
    stdout(output)
        .lines()
        .find_map(|line| line.strip_prefix(&format!("{case} => ")))
        .unwrap_or_else(|| panic!("no outcome for {case}\n{}", output_text(output)))
        .to_owned()
}

/// What the guest's memory, one host copy of its longest text (48 MiB: a
/// string crosses into the host as a copy) and room for the allocator
/// and the runtime let the host grow by over the calls, in KiB.
const LONG_SUBJECTS_GROWTH_KIB: u64 = (64 + 48 + 48) * 1024;

/// A guest that hands the host a text of many MiB in a call the policy
/// refuses (a host name to `address-information` and to `wasi:sockets`
/// `resolve-addresses`, a zone, a unix path to connect, bind and send-to;
/// and option bytes) costs the host what it sent, not a multiple: the
/// refusal, its report and the error the guest gets name a few hundred
/// bytes of the text and say how long it was. Under `--max-memory 64M`,
/// the host's peak memory over the calls grows by at most the guest's
/// 64 MiB, one host copy of the longest text and a fixed allowance;
/// escaping the text whole (up to 6 bytes a byte, made three times) grew
/// it by over 500 MiB. Granted, names longer than any are refused before
/// the resolver sees them.
#[test]
fn refused_calls_with_long_texts_cost_the_host_a_bounded_amount() {
    let (growth, output) = long_subjects(&[], &[]);
    let all = output_text(&output);
    assert!(
        growth < LONG_SUBJECTS_GROWTH_KIB,
        "the host grew by {} MiB over the refused calls (at most {} MiB)\n{all}",
        growth / 1024,
        LONG_SUBJECTS_GROWTH_KIB / 1024
    );
    // Each call was refused, with a message of a few hundred bytes that
    // says how long the text was.
    let outcome = |case: &str| long_subject_outcome(&output, case);
    for (case, text_bytes) in [
        ("address-information", 48 << 20),
        ("address-information-zone", 48 << 20),
        ("unix-connect", 24 << 20),
        ("unix-bind", 24 << 20),
        ("unix-send-to", 24 << 20),
    ] {
        let outcome = outcome(case);
        let (code, message) = outcome
            .split_once(' ')
            .unwrap_or_else(|| panic!("{case}: {outcome}"));
        assert_eq!(code, DENIED, "{case}: {outcome}");
        let length: usize = message
            .split(':')
            .next()
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("{case}: {outcome}"));
        assert!(length < 1024, "{case}: a message of {length} bytes");
        assert!(
            message.contains(&format!("({text_bytes} bytes, cut)")),
            "{case}: {outcome}"
        );
    }
    assert_eq!(outcome("resolve-addresses"), "access-denied", "{all}");
    // Option bytes are measured before the allow-list looks at them: past
    // the 4096 an option may have, the value is refused unseen.
    let option = outcome("set-option-bytes");
    assert!(
        option.starts_with("fatal/invalid-argument") && option.len() < 1024,
        "{option}"
    );
    // The log has the same bounded lines.
    let err = stderr(&output);
    let denials: Vec<&str> = err
        .lines()
        .filter(|line| line.starts_with("wasock: denied"))
        .collect();
    assert_eq!(denials.len(), 6, "{err}");
    assert!(denials.iter().all(|line| line.len() <= 512), "{err}");

    // With --allow-dns the names reach resolution, which refuses a name
    // longer than any before it copies it again or starts a lookup.
    let cases = ["address-information", "resolve-addresses"];
    let (growth, output) = long_subjects(&["--allow-dns"], &cases);
    let all = output_text(&output);
    assert!(
        growth < LONG_SUBJECTS_GROWTH_KIB,
        "the host grew by {} MiB over the lookups\n{all}",
        growth / 1024
    );
    let outcome = long_subject_outcome(&output, "address-information");
    assert!(
        outcome.starts_with("fatal/invalid-argument") && outcome.contains("at most 1024"),
        "{outcome}"
    );
    assert_eq!(
        long_subject_outcome(&output, "resolve-addresses"),
        "invalid-argument",
        "{all}"
    );
}
