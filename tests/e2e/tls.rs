//! TLS on wasock's own sockets (`wasock:socket/tls`, `wit/tls.wit`): the
//! host does the handshakes and the records, trusting what `--tls-roots`
//! names (else the system's roots) and presenting the identities of
//! `--tls-identity NAME=CERT:KEY`, whose keys never enter the guest.
//! Guests and examples talk to native TLS peers on loopback (Python's
//! `ssl`, `tls_peer.py`) with a CA and a `localhost` certificate the test
//! makes with `openssl`.

use std::io::{Read, Write};
use std::net::Shutdown;
use std::path::Path;
use std::process::{Command, Output};
use std::thread;

use wasock_tests::{Certificates, Running, TempDir, Wasock, guest, output_text, stderr, stdout};

use crate::WASOCK;
use crate::common::{
    TIMEOUT, TlsMode, TlsServer, assert_ok_lines, connect, line_starting, listener,
    queued_connections, run, temp_certificates, tls_client, tls_http_body, tls_server,
};

/// `NAME=CERT:KEY` for `--tls-identity`.
fn identity(name: &str, cert: &Path, key: &Path) -> String {
    format!("{name}={}:{}", cert.display(), key.display())
}

/// The path as text (the test's temp dir is UTF-8).
fn text(path: &Path) -> &str {
    path.to_str().expect("a UTF-8 path")
}

/// Runs guest `name` granted a connect to `server`, trusting the test's
/// CA (`--tls-roots`), with the server's address and `args` as its
/// arguments.
fn run_trusting(
    certificates: &Certificates,
    server: &TlsServer,
    name: &str,
    args: &[&str],
) -> Output {
    let target = server.address.to_string();
    let roots = text(&certificates.ca);
    let flags = ["--allow-connect", &target, "--tls-roots", roots];
    run(&flags, name, &[&[target.as_str()], args].concat())
}

/// Starts guest `name` granted a bind to 127.0.0.1 (any port), holding
/// `identities` (`NAME=CERT:KEY` each), with `args`.
fn serving(name: &str, identities: &[String], args: &[&str]) -> Running {
    let held = identities
        .iter()
        .flat_map(|identity| ["--tls-identity", identity.as_str()]);
    Wasock::new(WASOCK, guest(name))
        .flags(["--allow-bind", "127.0.0.1:0"])
        .flags(held)
        .args(args)
        .spawn()
}

// ---- Clients --------------------------------------------------------------

/// `https-get` fetches a URL naming `localhost` from a native HTTPS server,
/// trusting the test's CA through `--tls-roots`, offering `http/1.1`:
/// the body comes out byte for byte (3000 lines, many TLS records), the
/// request is the one asked for. Without `--tls-roots` the system's roots
/// do not hold the CA: the handshake fails with `tls-handshake-failed`,
/// exit status 1, nothing on stdout.
#[test]
fn https_get_fetches_from_a_native_tls_server() {
    https_get_fetches_from_a_native_tls_server_as("https-get");
}

/// The same, with `https-get` as the examples' WASI 0.3 build compiles it
/// (the SDK's `p3` feature: the blocking API is the same in both).
#[test]
fn https_get_fetches_from_a_native_tls_server_built_with_the_p3_feature() {
    https_get_fetches_from_a_native_tls_server_as("https-get@p3");
}

fn https_get_fetches_from_a_native_tls_server_as(name: &str) {
    const TEST: &str = "tls::https_get_fetches_from_a_native_tls_server";
    let Some((_dir, certificates, mut server)) =
        tls_server(TEST, TlsMode::Http, 2, &["--alpn", "http/1.1"])
    else {
        return;
    };
    let port = server.address.port();
    // `localhost` may resolve to ::1 first, where nothing listens:
    // connect_any moves on to 127.0.0.1.
    let https_get = |roots: Option<&Path>| {
        let mut command = Wasock::new(WASOCK, guest(name))
            .flag("--allow-dns")
            .flag("--allow-connect")
            .flag(format!("127.0.0.1:{port}"))
            .flag("--allow-connect")
            .flag(format!("[::1]:{port}"));
        if let Some(roots) = roots {
            command = command.flag("--tls-roots").flag(roots);
        }
        command
            .arg(format!("https://localhost:{port}/over/tls?x=1"))
            .run(TIMEOUT)
    };

    let output = https_get(Some(&certificates.ca));
    assert!(output.status.success(), "{}", output_text(&output));
    assert!(
        stdout(&output) == tls_http_body(),
        "the body differs: {} bytes, expected {}\n{}",
        output.stdout.len(),
        tls_http_body().len(),
        stderr(&output)
    );
    assert!(
        stderr(&output).contains("protocol http/1.1"),
        "ALPN did not choose http/1.1\n{}",
        output_text(&output)
    );
    let request = server.wait_for_line("request ");
    assert_eq!(request, "request GET /over/tls?x=1 HTTP/1.1");

    let output = https_get(None);
    assert_eq!(output.status.code(), Some(1), "{}", output_text(&output));
    assert!(
        stderr(&output).contains("tls-handshake-failed"),
        "{}",
        output_text(&output)
    );
    assert!(output.stdout.is_empty(), "{}", output_text(&output));
    server.wait_for_line("handshake failed");
}

/// Each way a handshake or a TLS call fails has its own code. A server's
/// certificate the host does not trust (the system's roots) and one that
/// does not name the server (the right CA, the name `elsewhere`) are
/// `fatal/tls-handshake-failed`, with rustls's reason. TLS adds no reach:
/// a connect to an address not granted is `permission-denied` from the
/// plain connect, and nothing reaches the listener. A handshake on a
/// socket already speaking TLS, one never connected and a datagram
/// socket are `invalid-state`; an identity the host does not hold is
/// `invalid-argument`; out-of-band data is
/// `unsupported/operation-not-supported` and `send-to` is `invalid-state`
/// on a TLS socket; a record no key sealed is `connection-aborted`; a
/// handshake with a peer that never answers is class `timeout` when its
/// timeout expires, and again when called again (the handshake resumed,
/// not refused). And the identity flags are checked before the guest runs
/// ([`identity_flags_are_checked`]).
#[test]
fn a_failed_handshake_is_its_own_code() {
    const TEST: &str = "tls::a_failed_handshake_is_its_own_code";
    // Three runs of two connections (the handshake, the unknown identity).
    let Some((dir, certificates, server)) = tls_server(TEST, TlsMode::Script, 6, &[]) else {
        return;
    };
    let target = server.address.to_string();
    let roots = text(&certificates.ca);
    let tls_errors = |flags: &[&str], name: &str| {
        run(
            &[&["--allow-connect", &target], flags].concat(),
            "tls_errors",
            &[&target, name],
        )
    };

    let untrusted = tls_errors(&[], "localhost");
    let wrong_name = tls_errors(&["--tls-roots", roots], "elsewhere");
    for (case, output) in [("untrusted", &untrusted), ("wrong name", &wrong_name)] {
        let tls = line_starting(output, "tls: ");
        assert!(
            tls.starts_with("tls: fatal/tls-handshake-failed "),
            "{case}: {tls}\n{}",
            output_text(output)
        );
        assert!(
            tls.contains("certificate"),
            "{case}: rustls's reason should be in the message: {tls}"
        );
    }

    // A listener that never speaks: its handshakes time out.
    let (_never_speaks, silent) = listener();
    let silent = silent.to_string();
    let server_identity = identity("server", &certificates.cert, &certificates.key);
    let trusted = run(
        &[
            &["--allow-connect", &target, "--allow-connect", &silent][..],
            &["--tls-roots", roots, "--tls-identity", &server_identity],
        ]
        .concat(),
        "tls_errors",
        &[&target, "localhost", &silent],
    );
    for expected in [
        "tls: ok TLSv1_3",
        "again: fatal/invalid-state",
        "oob: unsupported/operation-not-supported",
        "send-to: fatal/invalid-state",
        "forged: fatal/connection-aborted",
        "handshake-timeout: timeout/",
        "handshake-resumed: timeout/",
        "unconnected: fatal/invalid-state",
        "datagram: fatal/invalid-state",
        "unknown-identity: fatal/invalid-argument",
        "outbound-identity: fatal/invalid-state",
    ] {
        let check = expected.split(' ').next().unwrap_or_default();
        let line = line_starting(&trusted, &format!("{check} "));
        assert!(
            line.starts_with(expected),
            "{line}, expected {expected}\n{}",
            output_text(&trusted)
        );
    }
    assert_eq!(
        line_starting(&trusted, "identities: "),
        "identities: server"
    );
    // Without --tls-identity the host holds none.
    assert_eq!(line_starting(&untrusted, "identities: "), "identities: ");

    // No grant: the plain connect is refused; no connection is made.
    let (silent, address) = listener();
    let ungranted = run(
        &["--tls-roots", roots],
        "tls_errors",
        &[&address.to_string(), "localhost"],
    );
    let said = stdout(&ungranted);
    assert!(
        line_starting(&ungranted, "connect: ").starts_with("connect: fatal/permission-denied"),
        "{}",
        output_text(&ungranted)
    );
    assert!(!said.contains("tls: "), "{}", output_text(&ungranted));
    assert!(
        stderr(&ungranted).contains(&format!("denied connect to {address}")),
        "{}",
        output_text(&ungranted)
    );
    assert_eq!(
        queued_connections(&silent),
        0,
        "a connection reached the listener"
    );
    drop(server);

    identity_flags_are_checked(&certificates, &dir);
}

// ---- Servers --------------------------------------------------------------

/// `tls-echo-server` serves native TLS clients with a host-held identity:
/// a client sending plain bytes (its handshake fails) and one that does
/// not trust the certificate end only their own connections; then two
/// clients at once get back messages of 1 byte to 300 KB (crossing TLS
/// records at 16384), the server name they asked for (SNI) is the one
/// the server saw, and the application protocol one offered is not
/// chosen (the server offers none). The server exits after its fourth
/// client.
#[test]
fn tls_echo_server_serves_a_native_client() {
    tls_echo_server_serves_a_native_client_as("tls-echo-server");
}

/// The same, with `tls-echo-server` as the examples' WASI 0.3 build compiles it
/// (the SDK's `p3` feature: the blocking API is the same in both).
#[test]
fn tls_echo_server_serves_a_native_client_built_with_the_p3_feature() {
    tls_echo_server_serves_a_native_client_as("tls-echo-server@p3");
}

fn tls_echo_server_serves_a_native_client_as(name: &str) {
    const TEST: &str = "tls::tls_echo_server_serves_a_native_client";
    let Some((_dir, certificates)) = temp_certificates(TEST) else {
        return;
    };
    let site = identity("site", &certificates.cert, &certificates.key);
    let mut server = serving(name, &[site], &["127.0.0.1:0", "site", "4"]);
    let address = server.wait_for_listening(TIMEOUT);

    // Plain bytes where a ClientHello should be: the server ends this
    // connection (an alert, then end of file), not waits on it.
    let mut plain = connect(address);
    plain
        .write_all(b"GET / HTTP/1.0\r\n\r\n")
        .expect("send plain bytes");
    let mut answer = Vec::new();
    let ended = plain.read_to_end(&mut answer);
    assert!(
        ended.is_ok()
            || ended
                .as_ref()
                .is_err_and(|e| e.kind() == std::io::ErrorKind::ConnectionReset),
        "the server kept a connection whose handshake failed: {ended:?}"
    );
    let _ = plain.shutdown(Shutdown::Both);

    let Some(refusing) = tls_client(TEST, address, &certificates.ca, "elsewhere", None, &["1"])
    else {
        return;
    };
    assert!(
        !refusing.status.success() && stdout(&refusing).contains("error: "),
        "a client for another name accepted the certificate\n{}",
        output_text(&refusing)
    );

    let sizes = ["1", "100", "16384", "16385", "70000", "300000"];
    let clients: Vec<_> = (0..2)
        .map(|_| {
            let ca = certificates.ca.clone();
            thread::spawn(move || {
                tls_client(TEST, address, &ca, "localhost", Some("echo"), &sizes)
                    .expect("python3 was here a moment ago")
            })
        })
        .collect();
    for client in clients {
        let output = client.join().expect("a client thread");
        let said = stdout(&output);
        assert!(output.status.success(), "{}", output_text(&output));
        assert!(
            said.lines().next() == Some("handshake ok None TLSv1.3"),
            "{}",
            output_text(&output)
        );
        for size in sizes {
            assert!(
                said.lines().any(|line| line == format!("echo {size} ok")),
                "no echo of {size} bytes\n{}",
                output_text(&output)
            );
        }
    }

    let output = server.wait(TIMEOUT);
    assert!(output.status.success(), "{}", output_text(&output));
    let log = stderr(&output);
    let served = log
        .lines()
        .filter(|line| {
            line.starts_with("tls from ") && line.contains("server name localhost, protocol none")
        })
        .count();
    let failed: Vec<&str> = log
        .lines()
        .filter(|line| line.starts_with("tls handshake from "))
        .collect();
    assert_eq!(served, 2, "{}", output_text(&output));
    assert_eq!(failed.len(), 2, "{}", output_text(&output));
    assert!(
        failed
            .iter()
            .all(|line| line.contains("tls-handshake-failed")),
        "{}",
        output_text(&output)
    );
}

/// The private key of an identity stays in the host: a guest that served
/// a TLS connection with it, then shows its whole linear memory, holds
/// none of the key's forms (its PEM text, any line of it, its PKCS#8 and
/// SEC1 DER, the private scalar either way round), for either of two
/// identities; it does hold what it received (the control: the dump is
/// the memory the guest's data lives in). `identities()` gives the names,
/// in order, and nothing else.
#[test]
fn the_key_never_enters_the_guest() {
    const TEST: &str = "tls::the_key_never_enters_the_guest";
    let Some((_dir, certificates)) = temp_certificates(TEST) else {
        return;
    };
    let identities = [
        identity("server", &certificates.cert, &certificates.key),
        identity("ca", &certificates.ca, &certificates.ca_key),
    ];
    let mut running = serving("tls_key_dump", &identities, &["server"]);
    let address = running.wait_for_listening(TIMEOUT);
    let received = format!("plaintext the guest received, {}", std::process::id());
    let Some(client) = tls_client(
        TEST,
        address,
        &certificates.ca,
        "localhost",
        None,
        &[&received],
    ) else {
        return;
    };
    assert!(
        stdout(&client).contains(&format!("echo {received} ok")),
        "{}",
        output_text(&client)
    );
    let output = running.wait(TIMEOUT);
    assert!(output.status.success(), "{}", output_text(&output));
    let said = stdout(&output);
    assert_eq!(
        line_starting(&output, "identities: "),
        "identities: server,ca"
    );

    let memory: Vec<u8> = said
        .lines()
        .filter_map(|line| line.strip_prefix("memory "))
        .flat_map(|page| {
            page.as_bytes()
                .chunks(2)
                .map(|pair| {
                    u8::from_str_radix(std::str::from_utf8(pair).expect("hex"), 16).expect("hex")
                })
                .collect::<Vec<u8>>()
        })
        .collect();
    let pages = line_starting(&output, "dumped ");
    assert_eq!(
        format!("dumped {} pages", memory.len() / 65536),
        pages,
        "the dump is not whole"
    );
    assert!(
        contains(&memory, received.as_bytes()),
        "the control failed: what the guest received is not in its memory dump"
    );
    for key in [&certificates.key, &certificates.ca_key] {
        for (form, bytes) in key_forms(TEST, key) {
            assert!(
                !contains(&memory, &bytes),
                "{} of {} is in the guest's memory",
                form,
                key.display()
            );
        }
    }
}

/// Whether `needle` occurs in `haystack`.
fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty()
        && haystack
            .windows(needle.len())
            .any(|window| window == needle)
}

/// The forms a private key (PEM, P-256) could take in memory, named: the
/// PEM text, its base64 without line breaks, each of its lines, its
/// PKCS#8 and SEC1 DER (from `openssl`) and the private scalar in either
/// byte order.
fn key_forms(test: &str, key: &Path) -> Vec<(String, Vec<u8>)> {
    let pem = std::fs::read_to_string(key).expect("the key's PEM");
    let body: Vec<&str> = pem
        .lines()
        .filter(|line| !line.starts_with("-----"))
        .collect();
    let mut forms = vec![
        ("the PEM text".to_owned(), pem.as_bytes().to_vec()),
        ("the base64".to_owned(), body.concat().into_bytes()),
    ];
    for (index, line) in body.iter().enumerate() {
        forms.push((format!("PEM line {index}"), line.as_bytes().to_vec()));
    }
    let der = |args: &[&str]| {
        let output = Command::new("openssl")
            .args(args)
            .arg("-in")
            .arg(key)
            .args(["-outform", "DER"])
            .output()
            .unwrap_or_else(|error| panic!("{test}: openssl: {error}"));
        assert!(output.status.success(), "{}", output_text(&output));
        output.stdout
    };
    let pkcs8 = der(&["pkey"]);
    let sec1 = der(&["ec"]);
    // SEC1 ECPrivateKey: SEQUENCE { INTEGER 1, OCTET STRING (32) d, ... }.
    assert_eq!(
        sec1[..7],
        [0x30, 0x77, 0x02, 0x01, 0x01, 0x04, 0x20],
        "a P-256 key's SEC1 DER"
    );
    let scalar = sec1[7..39].to_vec();
    let reversed: Vec<u8> = scalar.iter().rev().copied().collect();
    forms.extend([
        ("the PKCS#8 DER".to_owned(), pkcs8),
        ("the SEC1 DER".to_owned(), sec1),
        ("the private scalar".to_owned(), scalar),
        ("the private scalar, reversed".to_owned(), reversed),
    ]);
    forms
}

// ---- Readiness, ports and the async SDK ---------------------------------

/// Over TLS the socket is readable while the host holds decrypted bytes
/// for it, though the kernel's socket is empty: after a receive of 100
/// bytes of a 10000-byte record, `receive-ready`, a level- and an
/// edge-triggered poll set and the socket's pollable all say readable at
/// once, a peek sees the next bytes, and once everything is received none
/// says readable (a `DONT_WAIT` receive is `would-block`); `WAIT_ALL`
/// gathers two records; the peer's close without `close_notify` is
/// readable and end of file; the buffered ports (100-byte input buffer)
/// carry lines,
/// the record and a 20000-byte line, and closing the writer ends the
/// connection with `close_notify` both ways (the peer says it came).
#[test]
fn poll_set_and_ports_over_tls() {
    const TEST: &str = "tls::poll_set_and_ports_over_tls";
    let Some((_dir, certificates, mut server)) = tls_server(TEST, TlsMode::Script, 2, &[]) else {
        return;
    };
    let output = run_trusting(&certificates, &server, "tls_poll_ports", &["localhost"]);
    assert!(output.status.success(), "{}", output_text(&output));
    assert_ok_lines(
        &output,
        &[
            "receive-ready",
            "level",
            "subscribe",
            "edge",
            "peek",
            "drained",
            "dont-wait",
            "wait-all",
            "end-of-file",
            "ports",
            "ports-eof",
        ],
    );
    // Closing the writer sent close_notify, not only a FIN.
    server.wait_for_line("end of file with close_notify");
}

/// The async SDK's handshakes (`AsyncSocket::tls_connect`) and echoes run
/// beside each other: three connections to a native TLS echo server that
/// answers no ClientHello until all three have sent theirs (a handshake
/// that blocked the guest would wait for the others forever), each then
/// offered `echo` (ALPN) and echoing up to 40000 bytes. An async handshake
/// is a call with a zero timeout, resumed each time the socket is ready,
/// so this is also where a handshake that timed out completes when called
/// again.
#[test]
fn async_sdk_over_tls() {
    const TEST: &str = "tls::async_sdk_over_tls";
    let Some((_dir, certificates, mut server)) =
        tls_server(TEST, TlsMode::Echo, 3, &["--alpn", "echo", "--together"])
    else {
        return;
    };
    let output = run_trusting(&certificates, &server, "tls_async", &["localhost", "3"]);
    assert!(output.status.success(), "{}", output_text(&output));
    let said = stdout(&output);
    for index in 0..3 {
        assert!(
            said.lines()
                .any(|line| line == format!("connection {index}: ok TLSv1_3 echo")),
            "{}",
            output_text(&output)
        );
    }
    assert_ok_lines(&output, &["async"]);
    server.wait_for_line("done");
    let lines = server.lines();
    let count = |said: &str| lines.iter().filter(|line| *line == said).count();
    assert_eq!(count("handshake ok echo TLSv1.3 localhost"), 3, "{lines:?}");
    // `close` sent close_notify on each.
    assert_eq!(count("end of file with close_notify"), 3, "{lines:?}");
}

// ---- The command line -------------------------------------------------------

/// Runs the `smoke` guest with `flags` and asserts the host refused to
/// start it: a failure status, the guest never ran, no panic, and stderr
/// names one of `named`.
fn refused(flags: &[&str], named: &[&str]) {
    let output = run(flags, "smoke", &[]);
    let said = stderr(&output);
    assert!(
        !output.status.success() && output.stdout.is_empty(),
        "{flags:?} was not refused\n{}",
        output_text(&output)
    );
    assert!(!said.contains("panicked"), "{}", output_text(&output));
    assert!(
        named.iter().any(|name| said.contains(name)),
        "{flags:?}: stderr names none of {named:?}\n{}",
        output_text(&output)
    );
}

/// `--tls-identity` is checked before the guest runs: refused when a
/// `--dir` preopen would show the guest its certificate or key (the
/// directory itself, a parent, the same by another name through a
/// symlink or `..`, a hard link to the key), and when its value is
/// malformed or names files that are not a certificate chain and a key,
/// each time naming what is wrong. A `--dir` beside the files is fine.
fn identity_flags_are_checked(certificates: &Certificates, dir: &TempDir) {
    let cert = text(&certificates.cert);
    let key = text(&certificates.key);
    let server = identity("server", &certificates.cert, &certificates.key);
    let keys = certificates.key.parent().expect("the keys' directory");
    let beside = dir.join("data");
    std::fs::create_dir_all(&beside).expect("a directory beside the keys");
    let output = run(
        &["--dir", text(&beside), "--tls-identity", &server],
        "smoke",
        &[],
    );
    assert!(
        output.status.success() && stdout(&output) == "hello from a wasock guest\n",
        "a --dir beside the identity's files\n{}",
        output_text(&output)
    );
    let link = dir.join("link");
    std::os::unix::fs::symlink(keys, &link).expect("a symlink to the keys");
    let keys_as_guest = format!("{}::/keys", text(keys));
    let roundabout = format!("{}/../keys", text(keys));
    for preopen in [
        text(keys),
        dir.as_str(),
        &keys_as_guest,
        text(&link),
        &roundabout,
    ] {
        refused(&["--dir", preopen, "--tls-identity", &server], &[cert, key]);
        refused(&["--tls-identity", &server, "--dir", preopen], &[cert, key]);
    }

    let missing = dir.join("missing.pem");
    let missing = text(&missing);
    for (value, named) in [
        ("server".to_owned(), "tls-identity"),
        (format!("={cert}:{key}"), "tls-identity"),
        (format!("server={cert}"), "tls-identity"),
        (format!("server={missing}:{key}"), missing),
        (format!("server={cert}:{missing}"), missing),
    ] {
        refused(&["--tls-identity", &value], &[named]);
    }
    // The key where the chain should be, the chain where the key should.
    refused(
        &["--tls-identity", &format!("server={key}:{cert}")],
        &[cert, key],
    );
    refused(
        &["--tls-identity", &server, "--tls-identity", &server],
        &["server"],
    );

    // A hard link is the key's file by another name: a --dir holding one
    // must not show the guest the key either (refused, or unreadable).
    let linked = dir.join("linked");
    std::fs::create_dir_all(&linked).expect("a directory for the link");
    std::fs::hard_link(&certificates.key, linked.join("hello.txt")).expect("a hard link");
    let preopen = format!("{}::/linked", text(&linked));
    let output = run(
        &["--dir", &preopen, "--tls-identity", &server],
        "policy_env_dir",
        &["UNSET", "/linked"],
    );
    assert!(
        !stdout(&output).contains("PRIVATE KEY"),
        "a --dir holding a hard link to the key shows the key to the guest\n{}",
        output_text(&output)
    );
    assert!(
        !output.status.success() && stderr(&output).contains("hard links"),
        "a key with two links beside a --dir is refused, saying why\n{}",
        output_text(&output)
    );
}
