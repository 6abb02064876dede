//! Hostile guests: bad input on every WIT function. Each
//! `hostile_*` guest makes one class of bad call after another and prints
//! the error class and code it got (`case: class/code (message)`); each
//! test here checks them against the contract, that the guest kept running
//! to its end (exit 0, its `done` line), and that the host did not panic.

use crate::common::{run, succeeded};

/// Runs `guest_name` with host `flags` and returns its stdout, after
/// checking that it ran to `done_line`, exited 0 and the host did not
/// panic.
fn run_hostile(guest_name: &str, flags: &[&str], done_line: &str) -> String {
    succeeded(&run(flags, guest_name, &[]), done_line)
}

/// Asserts that each `(case, expected)` has a line `case: expected...`.
fn assert_cases(stdout: &str, cases: &[(&str, &str)]) {
    let mut wrong = Vec::new();
    for (case, expected) in cases {
        let prefix = format!("{case}: ");
        match stdout.lines().find(|l| l.starts_with(&prefix)) {
            Some(line) if line[prefix.len()..].starts_with(expected) => {}
            Some(line) => wrong.push(format!(
                "{case}: expected `{expected}`, got `{}`",
                &line[prefix.len()..]
            )),
            None => wrong.push(format!("{case}: no line")),
        }
    }
    assert!(
        wrong.is_empty(),
        "{}\n--- guest output ---\n{stdout}",
        wrong.join("\n")
    );
}

/// Malformed addresses: unix paths with NUL (refused by the policy before
/// any syscall), longer than `sun_path`, or empty; IPv6 scope ids that are
/// garbage (SDK) or name no interface (the OS's ENODEV); ports out of range
/// (SDK); the wrong family; a unix address for name-information; NUL in
/// address-information's node and service.
#[test]
fn addresses() {
    let dir = std::env::temp_dir().join(format!("wasock-hostile-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temporary directory");
    let grant = format!("{}::/sockets", dir.display());
    let stdout = run_hostile(
        "hostile_addresses",
        &[
            "--allow-unix",
            &grant,
            "--allow-bind",
            "[fe80::/10]:*",
            "--allow-connect",
            "127.0.0.1:1",
            "--allow-dns",
        ],
        "hostile addresses done",
    );
    let _ = std::fs::remove_dir_all(&dir);
    assert_cases(
        &stdout,
        &[
            ("unix_nul_connect", "fatal/permission-denied"),
            ("unix_nul_bind", "fatal/permission-denied"),
            ("unix_overlong_connect", "fatal/invalid-argument"),
            ("unix_overlong_bind", "fatal/invalid-argument"),
            ("unix_empty_connect", "fatal/invalid-argument"),
            ("unix_nul_send_to", "fatal/permission-denied"),
            ("unix_overlong_send_to", "fatal/invalid-argument"),
            ("scope_garbage_text", "fatal/invalid-argument"),
            ("scope_garbage_parse", "fatal/invalid-argument"),
            // ENODEV: no interface has that index.
            ("scope_no_interface_bind", "fatal/"),
            ("port_70000_text", "fatal/invalid-argument"),
            ("port_70000_number", "fatal/invalid-argument"),
            ("port_negative", "fatal/invalid-argument"),
            ("port_name", "fatal/invalid-argument"),
            ("port_parse", "fatal/invalid-argument"),
            ("both_unspecified", "fatal/invalid-argument"),
            ("not_an_address", "fatal/invalid-argument"),
            ("family_mismatch_unix", "fatal/address-family-not-supported"),
            (
                "family_mismatch_inet6",
                "fatal/address-family-not-supported",
            ),
            (
                "name_information_unix",
                "unsupported/address-family-not-supported",
            ),
            ("address_information_nul", "fatal/invalid-argument"),
            ("address_information_nul_service", "fatal/invalid-argument"),
        ],
    );
}

/// Unknown families and protocols, raw sockets without `--allow-raw`, and
/// `--max-sockets`: over the limit is `too-many-sockets` and the guest
/// carries on (closing one makes room).
#[test]
fn create() {
    let stdout = run_hostile(
        "hostile_create",
        &["--max-sockets", "4"],
        "hostile create done",
    );
    assert_cases(
        &stdout,
        &[
            ("family_unspec", "unsupported/address-family-not-supported"),
            // Only a type's default protocol is allowed without
            // --allow-raw: the others never reach socket(2).
            ("stream_protocol_9999", "fatal/permission-denied"),
            ("dgram_protocol_9999", "fatal/permission-denied"),
            ("dgram_protocol_tcp", "fatal/permission-denied"),
            ("raw_without_grant", "fatal/permission-denied"),
            ("unix_raw_without_grant", "fatal/permission-denied"),
            ("over_max_sockets", "transient/too-many-sockets"),
            ("over_max_sockets_unix", "transient/too-many-sockets"),
            ("close_one", "ok"),
            ("after_close_one", "ok"),
        ],
    );
}

/// Lengths 0 and `u32::MAX` for receive, receive-from and
/// get-option-bytes: the host caps what one call allocates (64 KiB for a
/// stream receive, the datagram for a datagram one, 4096 bytes for an
/// option); a receive of 0 bytes is invalid (its empty result would read
/// as end of file).
#[test]
fn lengths() {
    let stdout = run_hostile(
        "hostile_lengths",
        &[
            "--allow-bind",
            "127.0.0.1:0",
            "--allow-connect",
            "127.0.0.1:*",
        ],
        "hostile lengths done",
    );
    assert_cases(
        &stdout,
        &[
            ("receive_max_dgram", "ok 65507"),
            ("receive_zero_dgram", "fatal/invalid-argument"),
            ("receive_from_max_dgram", "ok 65507"),
            ("receive_from_zero_dgram", "fatal/invalid-argument"),
            ("receive_zero_stream", "fatal/invalid-argument"),
            ("option_bytes_zero", "ok 0"),
            ("option_bytes_max", "ok 4"),
        ],
    );
    // A stream with 200 000 bytes waiting: at most the 64 KiB cap, and
    // something.
    for case in ["receive_max_stream", "receive_from_max_stream"] {
        let prefix = format!("{case}: ok ");
        let line = stdout
            .lines()
            .find(|l| l.starts_with(&prefix))
            .unwrap_or_else(|| panic!("{case}: {stdout}"));
        let n: usize = line[prefix.len()..]
            .parse()
            .unwrap_or_else(|_| panic!("{line}"));
        assert!(n > 0 && n <= 64 * 1024, "{line}");
    }
}

/// Options of the wrong size, too much data (1 MiB), unknown levels and
/// names (unsupported/option-not-supported: not in the allow-list),
/// read-only options (read-only-option), out-of-range values; the socket
/// still works afterwards.
#[test]
fn options() {
    let stdout = run_hostile("hostile_options", &[], "hostile options done");
    assert_cases(
        &stdout,
        &[
            ("bytes_one_for_int", "fatal/invalid-argument"),
            ("bytes_one_mib", "fatal/invalid-argument"),
            ("bytes_empty", "fatal/invalid-argument"),
            ("unknown_level_get", "unsupported/option-not-supported"),
            ("unknown_level_set", "unsupported/option-not-supported"),
            ("unknown_level_bytes", "unsupported/option-not-supported"),
            ("unknown_name_get", "unsupported/option-not-supported"),
            ("unknown_name_set", "unsupported/option-not-supported"),
            ("unknown_tcp_name", "unsupported/option-not-supported"),
            ("read_only_set", "fatal/read-only-option"),
            ("receive_buffer_u32_max", "fatal/invalid-argument"),
            ("ttl_zero", "fatal/invalid-argument"),
            ("linger_huge", "fatal/invalid-argument"),
            ("send_low_water_set", "unsupported/option-not-supported"),
            ("tcp_no_options", "unsupported/option-not-supported"),
            ("reuse_after", "ok"),
        ],
    );
}

/// With `--allow-raw` unknown levels reach the OS, whose answer is
/// `unsupported/option-not-supported`, as the WIT promises (a regression:
/// Linux's EOPNOTSUPP for unknown levels was `fatal/operation-not-supported`).
#[test]
fn options_unknown_level_with_allow_raw() {
    let stdout = run_hostile("hostile_options", &["--allow-raw"], "hostile options done");
    for case in [
        "unknown_level_get",
        "unknown_level_set",
        "unknown_level_bytes",
    ] {
        let prefix = format!("{case}: ");
        let line = stdout
            .lines()
            .find(|l| l.starts_with(&prefix))
            .unwrap_or_else(|| panic!("{case}: {stdout}"));
        let rest = &line[prefix.len()..];
        // The WIT: unknown levels fail with class unsupported (Linux says
        // EOPNOTSUPP for some, which the host mapped to fatal before).
        assert!(
            rest.starts_with("unsupported/option-not-supported"),
            "{line}"
        );
    }
}

/// Every call on a closed socket (stream and datagram, close included)
/// fails with `fatal/closed`.
#[test]
fn closed() {
    let stdout = run_hostile(
        "hostile_closed",
        &[
            "--allow-connect",
            "127.0.0.1:1",
            "--allow-bind",
            "127.0.0.1:0",
        ],
        "hostile closed done",
    );
    let calls = [
        "close",
        "connect",
        "bind",
        "listen",
        "accept",
        "accept_ready",
        "shutdown",
        "name",
        "peer_name",
        "send",
        "send_to",
        "receive",
        "receive_from",
        "receive_ready",
        "get_option_int",
        "get_option_bytes",
        "set_option_int",
        "set_option_bytes",
        "typed_get",
        "typed_set",
        "linger",
        "so_error",
        "so_type",
    ];
    let mut cases = Vec::new();
    for kind in ["stream", "dgram"] {
        cases.push((format!("{kind}_first_close"), "ok"));
        for call in calls {
            cases.push((format!("{kind}_{call}"), "fatal/closed"));
        }
    }
    let cases: Vec<(&str, &str)> = cases.iter().map(|(c, e)| (c.as_str(), *e)).collect();
    assert_cases(&stdout, &cases);
}

/// The wrong kind of socket or state: listen on a datagram socket, accept
/// on a socket that is not listening, send-to on a connected stream,
/// receive/send/shutdown on an unconnected stream, connect twice, bind
/// twice; shutdown twice is allowed (as on Linux).
#[test]
fn wrong_kind() {
    // The bind grant does not cover 0.0.0.0:0: listen on a datagram socket
    // must say operation-not-supported, not ask the policy (a regression).
    let stdout = run_hostile(
        "hostile_wrong_kind",
        &[
            "--allow-bind",
            "127.0.0.1:0",
            "--allow-connect",
            "127.0.0.1:*",
        ],
        "hostile wrong kind done",
    );
    assert_cases(
        &stdout,
        &[
            ("listen_on_dgram", "fatal/operation-not-supported"),
            ("accept_on_dgram", "fatal/invalid-state"),
            ("accept_unconnected_stream", "fatal/invalid-state"),
            ("receive_unconnected_stream", "fatal/not-connected"),
            ("receive_from_unconnected_stream", "fatal/not-connected"),
            ("send_unconnected_stream", "fatal/"),
            ("shutdown_unconnected_stream", "fatal/not-connected"),
            ("bind_twice", "fatal/invalid-argument"),
            ("send_on_listener", "fatal/"),
            ("connect_listener", "fatal/already-connected"),
            // A regression: Linux answered 0 here.
            ("connect_twice", "fatal/already-connected"),
            ("send_to_connected_stream", "fatal/invalid-state"),
            ("listen_on_connected", "fatal/invalid-argument"),
            ("accept_on_connected", "fatal/invalid-state"),
            ("shutdown_write", "ok"),
            ("shutdown_write_twice", "ok"),
            ("send_after_shutdown_write", "fatal/broken-pipe"),
            ("shutdown_both", "ok"),
            ("shutdown_both_twice", "ok"),
            ("peer_eof", "ok"),
        ],
    );
}
