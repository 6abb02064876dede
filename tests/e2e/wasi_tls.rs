//! `wasi:tls` (`-S tls`, as wasmtime serves it): a guest with no TLS stack
//! of its own (`wasi_tls_get`) connects through `wasi:sockets` under its
//! grants and has the host do the handshake, trusting only what the
//! person running it said (`--tls-roots`, else the system's roots),
//! against a native TLS server on loopback with a certificate the test
//! makes (a CA and a leaf for `localhost`, with `openssl`).

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use wasock_tests::{TempDir, output_text, skip, stderr, stdout};

use crate::common::run;

/// A CA and a `localhost` certificate it signed, in `dir`: (CA, leaf,
/// leaf's key), PEM. `None` (said through [`skip`]) without `openssl`.
fn certificates(test: &str, dir: &Path) -> Option<(PathBuf, PathBuf, PathBuf)> {
    let openssl = |args: &[&str]| {
        Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|status| status.success())
    };
    std::fs::write(
        dir.join("leaf.ext"),
        "subjectAltName=DNS:localhost\nbasicConstraints=CA:FALSE\n",
    )
    .expect("extensions");
    let made = openssl(&[
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        "-days",
        "2",
        "-subj",
        "/CN=wasock test CA",
    ]) && openssl(&[
        "req",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-keyout",
        "key.pem",
        "-out",
        "leaf.csr",
        "-subj",
        "/CN=localhost",
    ]) && openssl(&[
        "x509",
        "-req",
        "-in",
        "leaf.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "cert.pem",
        "-days",
        "2",
        "-extfile",
        "leaf.ext",
    ]);
    if !made {
        skip(test, "openssl cannot make the test certificates here");
        return None;
    }
    Some((
        dir.join("ca.pem"),
        dir.join("cert.pem"),
        dir.join("key.pem"),
    ))
}

/// A native TLS server (Python's `ssl`) on an ephemeral loopback port
/// serving `connections` requests with `hello over tls`; its port.
fn tls_server(test: &str, cert: &Path, key: &Path, connections: usize) -> Option<(Child, u16)> {
    const SERVER: &str = r#"
import socket, ssl, sys
context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
context.load_cert_chain(sys.argv[1], sys.argv[2])
listener = socket.socket()
listener.bind(("127.0.0.1", 0))
listener.listen(8)
listener.settimeout(60)
print(listener.getsockname()[1], flush=True)
for _ in range(int(sys.argv[3])):
    connection, _ = listener.accept()
    connection.settimeout(30)
    try:
        tls = context.wrap_socket(connection, server_side=True)
        tls.recv(4096)
        tls.sendall(b"HTTP/1.0 200 OK\r\n\r\nhello over tls\n")
        tls.unwrap().close()
    except (ssl.SSLError, OSError):
        connection.close()
"#;
    let Ok(mut child) = Command::new("python3")
        .args(["-c", SERVER])
        .arg(cert)
        .arg(key)
        .arg(connections.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
    else {
        skip(test, "python3 is not here to serve TLS");
        return None;
    };
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("the server's port");
    let port = line.trim().parse().expect("a port");
    Some((child, port))
}

/// The handshake is the host's, trusting `--tls-roots` only; the name is
/// checked; the connection still needs its connect grant; without `-S
/// tls` the guest is refused at link, naming `wasi:tls`.
#[test]
fn wasi_tls_handshakes_with_the_hosts_roots_under_the_guests_grants() {
    const TEST: &str = "wasi_tls::wasi_tls_handshakes_with_the_hosts_roots_under_the_guests_grants";
    let dir = TempDir::new("wasi-tls");
    let Some((ca, cert, key)) = certificates(TEST, dir.path()) else {
        return;
    };
    let Some((mut server, port)) = tls_server(TEST, &cert, &key, 3) else {
        return;
    };
    let target = format!("127.0.0.1:{port}");
    let roots = ca.to_str().expect("a UTF-8 path");
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

    let _ = server.kill();
    let _ = server.wait();
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
