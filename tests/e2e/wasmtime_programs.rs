//! wasmtime's own `wasi:sockets` test programs (wasmtime v48.0.0's
//! `crates/test-programs`, vendored in `tests/wasmtime-programs`: see its
//! README), each run under the binary as wasmtime's harness runs them,
//! with the whole network granted (`--inherit-network`, name lookups
//! included), to a clean exit (but one, which must trap). Their asserts
//! are the standard's answers: these tests hold wasock's `wasi:sockets` to
//! what wasmtime-wasi answers. The WASI 0.2 programs first, then the WASI
//! 0.3 ones (which export `wasi:cli/run@0.3.0`, run by a host that serves
//! WASI 0.3).
//!
//! Everything stays on loopback; the name-lookup programs, which also
//! look up names on the internet, run in a network namespace of their own
//! whose name server never answers, so those lookups time out (which the
//! programs accept) and nothing leaves the machine.

use wasock_tests::{Wasock, guest, output_text, stderr};

use crate::WASOCK;
use crate::common::{run, run_ok, silent_resolver_namespace, succeeded};

/// Runs program `name` with `--inherit-network` and asserts it exited 0
/// and nothing panicked.
fn runs_clean(name: &str) {
    run_ok(Wasock::new(WASOCK, guest(name)).flag("--inherit-network"));
}

/// Runs name-lookup program `name` with `--inherit-network` in a network
/// namespace whose name server never answers (so its lookups of names on
/// the internet time out, which it accepts, while `localhost` and the
/// numeric names resolve) and asserts it exited 0 and nothing panicked.
/// Skipped, saying why, where the test cannot make namespaces.
fn looks_up_names_offline(name: &str, test: &str) {
    let Some(namespace) = silent_resolver_namespace(test) else {
        return;
    };
    run_ok(
        Wasock::new(WASOCK, guest(name))
            .flag("--inherit-network")
            .in_namespace(&namespace),
    );
}

// ---- WASI 0.2 ----------------------------------------------------------------

#[test]
fn p2_ip_name_lookup() {
    looks_up_names_offline("p2_ip_name_lookup", "wasmtime_programs::p2_ip_name_lookup");
}

#[test]
fn p2_tcp_bind() {
    runs_clean("p2_tcp_bind");
}

#[test]
fn p2_tcp_busy_poll() {
    runs_clean("p2_tcp_busy_poll");
}

#[test]
fn p2_tcp_connect() {
    runs_clean("p2_tcp_connect");
}

#[test]
fn p2_tcp_listen() {
    runs_clean("p2_tcp_listen");
}

#[test]
fn p2_tcp_sample_application() {
    runs_clean("p2_tcp_sample_application");
}

#[test]
fn p2_tcp_sockopts() {
    runs_clean("p2_tcp_sockopts");
}

#[test]
fn p2_tcp_states() {
    runs_clean("p2_tcp_states");
}

#[test]
fn p2_tcp_streams() {
    runs_clean("p2_tcp_streams");
}

#[test]
fn p2_udp_bind() {
    runs_clean("p2_udp_bind");
}

#[test]
fn p2_udp_connect() {
    runs_clean("p2_udp_connect");
}

#[test]
fn p2_udp_sample_application() {
    runs_clean("p2_udp_sample_application");
}

#[test]
fn p2_udp_send_to_closed_receiver() {
    runs_clean("p2_udp_send_to_closed_receiver");
}

/// The one program that must not run to the end: sending more datagrams
/// than `check-send` permitted traps (WIT: "Each call to `send` must be
/// permitted by a preceding `check-send`"), as wasmtime's harness asserts,
/// with wasmtime-wasi's message.
#[test]
fn p2_udp_send_too_much() {
    let output = run(&["--inherit-network"], "p2_udp_send_too_much", &[]);
    let text = output_text(&output);
    assert!(!output.status.success(), "{text}");
    assert!(
        stderr(&output).contains("guest trapped: unpermitted: argument exceeds permitted size"),
        "{text}"
    );
    assert!(!text.contains("panicked"), "a panic\n{text}");
}

#[test]
fn p2_udp_sockopts() {
    runs_clean("p2_udp_sockopts");
}

#[test]
fn p2_udp_states() {
    runs_clean("p2_udp_states");
}

#[test]
fn p2_udp_stream() {
    runs_clean("p2_udp_stream");
}

// ---- The same answers where wasmtime's programs do not look ------------------

/// The standard's `invalid-argument` wins over the policy's refusal on
/// every path that takes a remote address (TCP's `start-connect`, UDP's
/// `stream` and `send`), for each address the standard refuses, with one
/// peer granted; an address merely not granted is still `access-denied`,
/// and only it is reported. wasmtime's programs check these answers with
/// the network inherited only, and never on `send`.
#[test]
fn standard_answers_win_over_refusals() {
    let output = run(
        &["--allow-connect", "127.0.0.1:47"],
        "wasi_standard_answers",
        &[],
    );
    let stdout = succeeded(&output, "standard answers done");
    let text = output_text(&output);
    let calls: Vec<&str> = stdout.lines().filter(|l| l.contains(" => ")).collect();
    assert_eq!(calls.len(), 21, "{text}");
    for call in calls {
        let answer = match call.contains(" elsewhere ") {
            true => "access-denied",
            false => "invalid-argument",
        };
        assert!(call.ends_with(&format!(" => {answer}")), "{call}\n{text}");
    }
    let stderr = stderr(&output);
    let denials: Vec<&str> = stderr
        .lines()
        .filter(|line| line.starts_with("wasock: denied"))
        .collect();
    assert_eq!(denials.len(), 3, "{text}");
    assert!(
        denials.iter().all(|line| line.contains("127.0.0.2:47")),
        "{text}"
    );
}

// ---- WASI 0.3 ----------------------------------------------------------------

#[test]
fn p3_sockets_ip_name_lookup() {
    looks_up_names_offline(
        "p3_sockets_ip_name_lookup",
        "wasmtime_programs::p3_sockets_ip_name_lookup",
    );
}

#[test]
fn p3_sockets_tcp_bind() {
    runs_clean("p3_sockets_tcp_bind");
}

#[test]
fn p3_sockets_tcp_busy_poll() {
    runs_clean("p3_sockets_tcp_busy_poll");
}

#[test]
fn p3_sockets_tcp_connect() {
    runs_clean("p3_sockets_tcp_connect");
}

#[test]
fn p3_sockets_tcp_listen() {
    runs_clean("p3_sockets_tcp_listen");
}

#[test]
fn p3_sockets_tcp_sample_application() {
    runs_clean("p3_sockets_tcp_sample_application");
}

#[test]
fn p3_sockets_tcp_sockopts() {
    runs_clean("p3_sockets_tcp_sockopts");
}

#[test]
fn p3_sockets_tcp_states() {
    runs_clean("p3_sockets_tcp_states");
}

#[test]
fn p3_sockets_tcp_streams() {
    runs_clean("p3_sockets_tcp_streams");
}

#[test]
fn p3_sockets_udp_bind() {
    runs_clean("p3_sockets_udp_bind");
}

/// Run in a namespace whose only way out is IPv4 (as on wasmtime's own CI
/// hosts): its IPv6 half asserts that a UDP socket connected from `::1`
/// takes another source address when it connects to a public address,
/// and this machine's kernel keeps `::1` (a native socket does the same:
/// reconnecting without a disconnect keeps a bound source), so under any
/// host here that half fails on the kernel, not on the host. The public
/// IPv4 route goes to a veth pair inside the namespace; a UDP connect
/// sends nothing.
#[test]
fn p3_sockets_udp_connect() {
    const TEST: &str = "wasmtime_programs::p3_sockets_udp_connect";
    let Some(namespace) = wasock_tests::Namespace::create(TEST) else {
        return;
    };
    for args in [
        &[
            "link", "add", "wasock0", "type", "veth", "peer", "name", "wasock1",
        ][..],
        &["addr", "add", "192.0.2.2/24", "dev", "wasock0"],
        &["link", "set", "wasock0", "up"],
        &["link", "set", "wasock1", "up"],
        &[
            "route",
            "add",
            "default",
            "via",
            "192.0.2.1",
            "dev",
            "wasock0",
        ],
    ] {
        if !namespace.ip(args) {
            wasock_tests::skip(
                TEST,
                &format!("`ip {}` failed in the namespace", args.join(" ")),
            );
            return;
        }
    }
    let (stdout, _) = run_ok(
        Wasock::new(WASOCK, guest("p3_sockets_udp_connect"))
            .flag("--inherit-network")
            .in_namespace(&namespace),
    );
    // The IPv4 half ran (and the IPv6 one saw no public interface).
    assert!(
        stdout
            .contains("changed local address to: IpSocketAddress::Ipv4(Ipv4SocketAddress { port: ")
            && stdout.contains("address: (192, 0, 2, 2)"),
        "{stdout}"
    );
}

#[test]
fn p3_sockets_udp_receive() {
    runs_clean("p3_sockets_udp_receive");
}

#[test]
fn p3_sockets_udp_sample_application() {
    runs_clean("p3_sockets_udp_sample_application");
}

#[test]
fn p3_sockets_udp_send() {
    runs_clean("p3_sockets_udp_send");
}

#[test]
fn p3_sockets_udp_sockopts() {
    runs_clean("p3_sockets_udp_sockopts");
}

#[test]
fn p3_sockets_udp_states() {
    runs_clean("p3_sockets_udp_states");
}
