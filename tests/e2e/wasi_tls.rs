//! `wasi:tls` (`-S tls`, as wasmtime serves it): a guest with no TLS stack
//! of its own (`wasi_tls_get`) connects through `wasi:sockets` under its
//! grants and has the host do the handshake, trusting only what the
//! person running it said (`--tls-roots`, else the system's roots),
//! against a native TLS server on loopback with a certificate the test
//! makes (a CA and a leaf for `localhost`, with `openssl`).

use wasock_tests::{TempDir, output_text, stderr, stdout};

use crate::common::{TlsMode, run, tls_server};

/// The handshake is the host's, trusting `--tls-roots` only; the name is
/// checked; the connection still needs its connect grant; without `-S
/// tls` the guest is refused at link, naming `wasi:tls`.
#[test]
fn wasi_tls_handshakes_with_the_hosts_roots_under_the_guests_grants() {
    const TEST: &str = "wasi_tls::wasi_tls_handshakes_with_the_hosts_roots_under_the_guests_grants";
    let Some((_dir, certificates, server)) = tls_server(TEST, TlsMode::Http, 3, &[]) else {
        return;
    };
    let target = server.address.to_string();
    let roots = certificates.ca.to_str().expect("a UTF-8 path");
    let granted = ["-S", "tls", "--allow-connect", &target];

    let output = run(
        &[&granted[..], &["--tls-roots", roots]].concat(),
        "wasi_tls_get",
        &[&target, "localhost"],
    );
    let text = stdout(&output);
    assert!(
        output.status.success() && text.contains("handshake ok"),
        "{}",
        output_text(&output)
    );
    assert!(
        text.contains("body: hello over tls"),
        "{}",
        output_text(&output)
    );

    // The right CA, the wrong name.
    let output = run(
        &[&granted[..], &["--tls-roots", roots]].concat(),
        "wasi_tls_get",
        &[&target, "elsewhere"],
    );
    assert!(
        stdout(&output).contains("handshake: error invalid peer certificate"),
        "{}",
        output_text(&output)
    );

    // The system's roots do not hold the test's CA.
    let output = run(&granted, "wasi_tls_get", &[&target, "localhost"]);
    assert!(
        stdout(&output).contains("handshake: error invalid peer certificate"),
        "{}",
        output_text(&output)
    );

    // TLS adds no reach: without the grant the connect is refused first.
    let output = run(
        &["-S", "tls", "--tls-roots", roots],
        "wasi_tls_get",
        &[&target, "localhost"],
    );
    assert!(
        stdout(&output).contains("connect: error") && stdout(&output).contains("access-denied"),
        "{}",
        output_text(&output)
    );
    assert!(stderr(&output).contains(&format!("denied connect to {target}")));

    // Without -S tls, as in wasmtime, the guest does not link.
    let output = run(
        &["--allow-connect", &target],
        "wasi_tls_get",
        &[&target, "localhost"],
    );
    assert_eq!(output.status.code(), Some(1), "{}", output_text(&output));
    assert!(
        stderr(&output).contains("wasi:tls"),
        "{}",
        output_text(&output)
    );

    drop(server);
}

/// A `--tls-roots` file without a certificate is refused before the
/// guest runs, naming the file.
#[test]
fn tls_roots_without_a_certificate_are_refused() {
    let dir = TempDir::new("wasi-tls-roots");
    let empty = dir.path().join("empty.pem");
    std::fs::write(&empty, "not a certificate\n").expect("file");
    let output = run(
        &["-S", "tls", "--tls-roots", empty.to_str().expect("UTF-8")],
        "wasi_tls_get",
        &["127.0.0.1:1", "localhost"],
    );
    assert_eq!(output.status.code(), Some(1), "{}", output_text(&output));
    assert!(
        stderr(&output).contains("no usable certificate"),
        "{}",
        output_text(&output)
    );
}
