//! Name resolution through guests under the real binary with
//! `--allow-dns`: `address-information` (numeric and by name, its flags,
//! `ai/canonname`, `connect_any` over its results, a name that does not
//! exist, the limit on resolutions in flight), `name-information` (of a
//! string, `ni/namereqd`, `ni/nofqdn`) and services (`ni/dgram`, unnamed
//! ports). Some run in network namespaces the tests make (as root;
//! otherwise they skip, saying so).
//!
//! Run: `cargo test -p wasock-host --test e2e resolve::`

use std::collections::HashMap;
use std::time::{Duration, Instant};

use wasock_tests::{Namespace, Wasock, guest, output_text, skip};

use crate::WASOCK;
use crate::common::{
    TIMEOUT, after, assert_success, listener, queued_connections, run_ok,
    silent_resolver_namespace, succeeded,
};

/// Resolution through the host: numeric nodes and services, the spec's
/// empty list for `(address-information #f #f)`, passive and loopback
/// defaults, numeric `name-information`, and `connect_any` over results.
#[test]
fn resolution_and_connect_any_over_its_results() {
    let (open, address) = listener();
    let output = Wasock::new(WASOCK, guest("sdk_resolve"))
        .flag("--allow-dns")
        .flag("--allow-connect")
        .flag(address.to_string())
        .arg(address.port().to_string())
        .run(TIMEOUT);
    assert_success(&output, "sdk_resolve: ok");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("\"127.0.0.1:80\" af/inet sock/stream ipproto/tcp"),
        "{}",
        output_text(&output)
    );
    assert!(
        stdout.contains("(\"127.0.0.1\" . 80)"),
        "{}",
        output_text(&output)
    );
    assert!(
        stdout.contains(&format!("connected to {address}")),
        "{}",
        output_text(&output)
    );
    assert_eq!(queued_connections(&open), 1);
}

/// `addrinfo-flags` equal the request's, `ai/canonname` on `localhost`
/// (the first result has a canonical name; without the flag none has),
/// `ni/namereqd` on a nameless address (name-not-found), and
/// `name-information` of a string.
#[test]
fn resolution_flags_canonname_namereqd_and_string_form() {
    let output = Wasock::new(WASOCK, guest("spec_resolve"))
        .flag("--allow-dns")
        .run(TIMEOUT);
    let stdout = succeeded(&output, "spec_resolve: ok");
    let all = output_text(&output);
    assert!(
        after(
            &stdout,
            "addrinfo-flags: asked {NUMERICHOST, PASSIVE} got ",
            &all
        )
        .starts_with("{NUMERICHOST, PASSIVE}")
    );
    assert!(!after(&stdout, "canonname: ", &all).is_empty());
    let namereqd = after(&stdout, "namereqd: ", &all);
    if namereqd.starts_with("transient/name-temporary-failure") {
        skip(
            "resolution_flags_canonname_namereqd_and_string_form",
            "this machine's resolver does not answer reverse lookups; namereqd's name-not-found unchecked",
        );
    } else {
        assert!(namereqd.starts_with("fatal/name-not-found"), "{all}");
    }
    assert_eq!(
        after(&stdout, "of_str numeric: ", &all),
        "(\"127.0.0.1\" . 0)"
    );
    assert_eq!(after(&stdout, "of_str ::1: ", &all), "::1");
    assert_eq!(
        after(&stdout, "of_str localhost: ", &all),
        "fatal/invalid-argument"
    );
}

/// The service names in `/etc/services` (`name port/proto`): primary
/// names by (port, protocol), and every port named for any protocol.
fn services() -> (HashMap<(u16, String), String>, Vec<u16>) {
    let text = std::fs::read_to_string("/etc/services").unwrap_or_default();
    let mut names = HashMap::new();
    let mut ports = Vec::new();
    for line in text.lines() {
        let mut fields = line.split('#').next().unwrap_or("").split_whitespace();
        let (Some(name), Some(entry)) = (fields.next(), fields.next()) else {
            continue;
        };
        let Some((port, protocol)) = entry.split_once('/') else {
            continue;
        };
        let Ok(port) = port.parse::<u16>() else {
            continue;
        };
        names
            .entry((port, protocol.to_owned()))
            .or_insert_with(|| name.to_owned());
        ports.push(port);
    }
    (names, ports)
}

/// `ni/dgram` and the service half of `name-information`: ports 512 and
/// 514 have different TCP and UDP names in the services file (`exec` /
/// `biff`, `shell` / `syslog`), and the guest gets the UDP name only with
/// `ni/dgram`; a port with no name comes back as its number ("If service
/// number lookup fails, it is returned as an integer") while port 80,
/// asked the same way, comes back named. Skipped, saying why, where the
/// services file lacks those names.
#[test]
fn service_names_ni_dgram_and_unnamed_ports() {
    const TEST: &str = "service_names_ni_dgram_and_unnamed_ports";
    let (names, named_ports) = services();
    // What the guest must print for a port looked up as `protocol`.
    let expected = |port: u16, protocol: &str| match names.get(&(port, protocol.to_owned())) {
        Some(name) => format!("name {name}"),
        None => format!("port {port}"),
    };
    if expected(80, "tcp") == "port 80" {
        skip(TEST, "/etc/services names no 80/tcp");
        return;
    }
    for port in [512u16, 514] {
        let (tcp, udp) = (expected(port, "tcp"), expected(port, "udp"));
        if tcp == udp || tcp.starts_with("port") || udp.starts_with("port") {
            skip(
                TEST,
                &format!(
                    "/etc/services lacks different TCP and UDP names for {port} ({tcp}, {udp})"
                ),
            );
            return;
        }
    }
    let Some(unnamed) = (47000u16..48000).find(|p| !named_ports.contains(p)) else {
        skip(TEST, "no port in 47000..48000 without a service name");
        return;
    };
    let output = Wasock::new(WASOCK, guest("spec_services"))
        .flag("--allow-dns")
        .arg(unnamed.to_string())
        .run(TIMEOUT);
    let stdout = succeeded(&output, "spec_services: ok");
    let all = output_text(&output);
    for port in [80, 512, 514, unnamed] {
        for (kind, protocol) in [("stream", "tcp"), ("dgram", "udp")] {
            assert_eq!(
                after(&stdout, &format!("service {port} {kind}: "), &all),
                expected(port, protocol),
                "{port} {kind}"
            );
        }
    }
    assert_eq!(
        after(&stdout, &format!("service {unnamed} stream: "), &all),
        format!("port {unnamed}")
    );
}

/// `ni/nofqdn` on names in a domain: in a network namespace of the test's
/// own whose hosts file puts `localhost` in `wasock.test`, 127.0.0.2 is
/// `box.wasock.test` and becomes `box` with the flag, while 127.0.0.3,
/// `far.example.org`, keeps its domain (not the local one). Skipped,
/// saying why, where the test cannot make namespaces.
#[test]
fn ni_nofqdn_shortens_names_of_the_local_domain_only() {
    const TEST: &str = "ni_nofqdn_shortens_names_of_the_local_domain_only";
    let Some(namespace) = Namespace::create(TEST) else {
        return;
    };
    namespace.etc_file(
        "hosts",
        "127.0.0.1 localhost.wasock.test localhost\n\
         127.0.0.2 box.wasock.test box\n\
         127.0.0.3 far.example.org far\n",
    );
    let output = namespace.run(WASOCK, &["--allow-dns"], "spec_nofqdn", &[], TIMEOUT);
    let stdout = succeeded(&output, "spec_nofqdn: ok");
    let all = output_text(&output);
    for (line, expected) in [
        ("127.0.0.2 full: ", "box.wasock.test"),
        ("127.0.0.2 nofqdn: ", "box"),
        ("127.0.0.3 full: ", "far.example.org"),
        ("127.0.0.3 nofqdn: ", "far.example.org"),
    ] {
        assert_eq!(after(&stdout, line, &all), expected, "{line}");
    }
}

/// A name that does not resolve, with `--allow-dns`: `name-not-found`
/// (where the machine's resolver answers at all; an offline resolver gives
/// `name-temporary-failure`, which the test accepts, saying so).
#[test]
fn nonexistent_name_is_name_not_found() {
    let start = Instant::now();
    let (stdout, text) = run_ok(
        Wasock::new(WASOCK, guest("fault_resolve"))
            .flag("--allow-dns")
            .arg("nonexistent.invalid")
            .arg("1")
            .arg("0"),
    );
    let line = after(&stdout, "resolve 0: ", &text);
    if line.starts_with("transient/name-temporary-failure") {
        eprintln!(
            "faults: this machine's resolver does not answer (name-temporary-failure); name-not-found unchecked"
        );
    } else {
        assert!(line.starts_with("fatal/name-not-found"), "{text}");
    }
    eprintln!(
        "faults: nonexistent.invalid resolved to an error in {:?}",
        start.elapsed()
    );
}

/// The limit on resolutions in flight, inside a namespace of our own whose
/// name server never answers: each
/// resolution times out for the guest (20 ms) but its resolver thread runs
/// on, so after 16 (the default limit) the guest's calls fail at once with
/// `transient/would-block`, and the guest keeps running. The host process
/// exits without waiting for those threads.
#[test]
fn resolutions_in_flight_are_limited() {
    let Some(namespace) = silent_resolver_namespace("resolutions_in_flight_are_limited") else {
        return;
    };
    let start = Instant::now();
    let output = namespace.run(
        WASOCK,
        &["--allow-dns"],
        "fault_resolve",
        &["wasock-never-answered.invalid", "24", "20"],
        Duration::from_secs(60),
    );
    let text = output_text(&output);
    assert!(output.status.success(), "{text}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    for i in 0..16 {
        let line = after(&stdout, &format!("resolve {i}: "), &text);
        assert!(
            line.contains("timeout/timed-out"),
            "call {i} should time out: {text}"
        );
    }
    for i in 16..24 {
        let line = after(&stdout, &format!("resolve {i}: "), &text);
        assert!(
            line.contains("transient/would-block"),
            "call {i} should be over the limit: {text}"
        );
    }
    after(&stdout, "fault resolve done", &text);
    eprintln!(
        "faults: 24 resolutions against a silent resolver in {:?}",
        start.elapsed()
    );
}
