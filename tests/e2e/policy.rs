//! The deny-by-default policy and the `wasock run` command line, through the
//! real binary: what a grant allows reaches a native peer on loopback, what
//! no grant allows never does (the guest gets `permission-denied`, stderr a
//! `wasock: denied ...` line); bad flags exit 2; exit codes and traps.
//!
//! Run: `cargo test -p wasock-host --test e2e policy::`

use std::io::{ErrorKind, Read};
use std::net::{SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::path::Path;
use std::process::Output;
use std::time::Duration;

use wasock_tests::{TempDir, Wasock, guest, output_text, stderr, stdout};

use crate::WASOCK;

const TIMEOUT: Duration = Duration::from_secs(60);

fn run(flags: &[&str], name: &str, args: &[&str]) -> Output {
    wasock_tests::run_guest(WASOCK, flags, name, args, TIMEOUT)
}

/// Asserts the guest ran to a clean exit and printed a line starting with
/// `prefix`; returns that line.
fn line_starting(output: &Output, prefix: &str) -> String {
    assert!(
        output.status.success(),
        "guest failed\n{}",
        output_text(output)
    );
    stdout(output)
        .lines()
        .find(|line| line.starts_with(prefix))
        .map(str::to_owned)
        .unwrap_or_else(|| panic!("no line starting with {prefix:?}\n{}", output_text(output)))
}

/// A native listener on an ephemeral loopback port.
fn listener() -> (TcpListener, SocketAddr) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("native listener");
    let address = listener.local_addr().expect("listener address");
    (listener, address)
}

/// The guest has exited: any connection it made is in the accept queue.
fn assert_nothing_accepted(listener: &TcpListener, output: &Output) {
    listener.set_nonblocking(true).expect("nonblocking");
    match listener.accept() {
        Err(error) if error.kind() == ErrorKind::WouldBlock => {}
        Ok((_, peer)) => panic!("the listener accepted {peer}\n{}", output_text(output)),
        Err(error) => panic!("accept: {error}"),
    }
}

/// The guest has exited: its connection is waiting; returns what it sent.
fn accept_and_read(listener: &TcpListener, output: &Output) -> Vec<u8> {
    listener.set_nonblocking(true).expect("nonblocking");
    let (mut stream, _) = listener
        .accept()
        .unwrap_or_else(|error| panic!("nothing accepted ({error})\n{}", output_text(output)));
    stream.set_nonblocking(false).expect("blocking");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("read timeout");
    let mut data = Vec::new();
    stream
        .read_to_end(&mut data)
        .expect("read what the guest sent");
    data
}

/// A port that nothing listens on (bound and released).
fn free_port() -> u16 {
    let (listener, address) = listener();
    drop(listener);
    address.port()
}

fn exists(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok()
}

// ---- connect / send-to -----------------------------------------------------

#[test]
fn denied_connect_never_reaches_the_listener() {
    let (listener, address) = listener();
    let output = run(&[], "policy_connect", &[&address.to_string()]);
    let line = line_starting(&output, "connect ");
    assert!(
        line.starts_with("connect error permission-denied"),
        "{line}\n{}",
        output_text(&output)
    );
    let expected = format!("wasock: denied connect to {address}: no --allow-connect grant matches");
    assert!(
        stderr(&output).contains(&expected),
        "no denial line\n{}",
        output_text(&output)
    );
    assert_nothing_accepted(&listener, &output);
}

#[test]
fn connect_to_another_port_than_granted_is_denied() {
    let (listener, address) = listener();
    let other = format!("127.0.0.1:{}", address.port().wrapping_add(1).max(1));
    let output = run(
        &["--allow-connect", &other],
        "policy_connect",
        &[&address.to_string()],
    );
    let line = line_starting(&output, "connect ");
    assert!(
        line.starts_with("connect error permission-denied"),
        "{line}"
    );
    assert_nothing_accepted(&listener, &output);
}

#[test]
fn allowed_connect_reaches_the_listener() {
    let (listener, address) = listener();
    let grant = address.to_string();
    let output = run(&["--allow-connect", &grant], "policy_connect", &[&grant]);
    assert_eq!(
        line_starting(&output, "connect "),
        "connect ok",
        "{}",
        output_text(&output)
    );
    assert_eq!(accept_and_read(&listener, &output), b"hello");
    assert!(
        !stderr(&output).contains("denied"),
        "{}",
        output_text(&output)
    );
}

#[test]
fn prefix_and_port_range_grants_allow_connect() {
    let (listener, address) = listener();
    let grant = format!("127.0.0.0/8:{}-{}", address.port(), address.port());
    let output = run(
        &["--allow-connect", &grant],
        "policy_connect",
        &[&address.to_string()],
    );
    assert_eq!(
        line_starting(&output, "connect "),
        "connect ok",
        "{}",
        output_text(&output)
    );
    assert_eq!(accept_and_read(&listener, &output), b"hello");
}

#[test]
fn inherit_network_allows_connect() {
    let (listener, address) = listener();
    let output = run(
        &["--inherit-network"],
        "policy_connect",
        &[&address.to_string()],
    );
    assert_eq!(
        line_starting(&output, "connect "),
        "connect ok",
        "{}",
        output_text(&output)
    );
    assert_eq!(accept_and_read(&listener, &output), b"hello");
}

#[test]
fn ipv4_mapped_connect_is_checked_as_ipv4() {
    let (listener, address) = listener();
    let mapped = format!("[::ffff:127.0.0.1]:{}", address.port());
    // An IPv6 grant for every address does not cover the mapped IPv4 one.
    let output = run(
        &["--allow-connect", "[::/0]:*"],
        "policy_connect",
        &[&mapped],
    );
    let line = line_starting(&output, "connect ");
    assert!(
        line.starts_with("connect error permission-denied"),
        "{line}\n{}",
        output_text(&output)
    );
    assert_nothing_accepted(&listener, &output);
}

#[test]
fn ipv6_grant_allows_ipv6_connect() {
    let listener = TcpListener::bind("[::1]:0").expect("native IPv6 listener");
    let address = listener.local_addr().expect("address");
    let grant = format!("[::1]:{}", address.port());
    let output = run(
        &["--allow-connect", &grant],
        "policy_connect",
        &[&address.to_string()],
    );
    assert_eq!(
        line_starting(&output, "connect "),
        "connect ok",
        "{}",
        output_text(&output)
    );
    assert_eq!(accept_and_read(&listener, &output), b"hello");
    // The IPv4 loopback grant does not cover it.
    let output = run(
        &["--allow-connect", "127.0.0.1:*"],
        "policy_connect",
        &[&address.to_string()],
    );
    assert!(line_starting(&output, "connect ").starts_with("connect error permission-denied"));
    assert_nothing_accepted(&listener, &output);
}

#[test]
fn denied_send_to_sends_nothing() {
    let receiver = UdpSocket::bind("127.0.0.1:0").expect("native udp socket");
    let address = receiver.local_addr().expect("udp address");
    let output = run(&[], "policy_send_to", &[&address.to_string()]);
    let line = line_starting(&output, "send-to ");
    assert!(
        line.starts_with("send-to error permission-denied"),
        "{line}"
    );
    receiver.set_nonblocking(true).expect("nonblocking");
    let mut buf = [0u8; 64];
    match receiver.recv_from(&mut buf) {
        Err(error) if error.kind() == ErrorKind::WouldBlock => {}
        other => panic!("the receiver got {other:?}\n{}", output_text(&output)),
    }
}

#[test]
fn allowed_send_to_arrives() {
    let receiver = UdpSocket::bind("127.0.0.1:0").expect("native udp socket");
    let address = receiver.local_addr().expect("udp address");
    let grant = address.to_string();
    let output = run(&["--allow-connect", &grant], "policy_send_to", &[&grant]);
    assert_eq!(
        line_starting(&output, "send-to "),
        "send-to ok 4",
        "{}",
        output_text(&output)
    );
    receiver
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("read timeout");
    let mut buf = [0u8; 64];
    let (n, _) = receiver.recv_from(&mut buf).expect("the datagram");
    assert_eq!(&buf[..n], b"ping");
}

// ---- bind / listen ---------------------------------------------------------

#[test]
fn denied_bind_never_listens() {
    let port = free_port();
    let target = format!("127.0.0.1:{port}");
    let other = format!("127.0.0.1:{}", port.wrapping_add(1).max(1));
    let mut running = Wasock::new(WASOCK, guest("policy_bind"))
        .flag("--allow-bind")
        .flag(&other)
        .arg(&target)
        .spawn();
    let bind = running.wait_for_line("bind ", TIMEOUT);
    assert!(bind.starts_with("bind error permission-denied"), "{bind}");
    let listen = running.wait_for_line("listen ", TIMEOUT);
    assert!(
        listen.starts_with("listen error permission-denied"),
        "listen bound it implicitly: {listen}"
    );
    running.wait_for_line("still running", TIMEOUT);
    // The guest is alive and holds its socket: nothing listens on the port.
    match TcpStream::connect_timeout(&target.parse().expect("address"), Duration::from_secs(5)) {
        Err(error) => assert_eq!(error.kind(), ErrorKind::ConnectionRefused, "{error}"),
        Ok(_) => panic!("something listens on {target}"),
    }
    let output = running.wait(TIMEOUT);
    assert!(output.status.success(), "{}", output_text(&output));
    let expected = format!("wasock: denied bind to {target}: no --allow-bind grant matches");
    assert!(
        stderr(&output).contains(&expected),
        "{}",
        output_text(&output)
    );
}

#[test]
fn allowed_bind_listens_and_accepts() {
    let mut running = Wasock::new(WASOCK, guest("policy_bind"))
        .flag("--allow-bind")
        .flag("127.0.0.1:0")
        .arg("127.0.0.1:0")
        .spawn();
    let address = running.wait_for_listening(TIMEOUT);
    let mut stream = TcpStream::connect(address).expect("connect to the guest");
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .expect("read timeout");
    let mut reply = Vec::new();
    stream
        .read_to_end(&mut reply)
        .expect("read the guest's reply");
    assert_eq!(reply, b"hi");
    let output = running.wait(TIMEOUT);
    assert!(output.status.success(), "{}", output_text(&output));
}

// ---- resolution ------------------------------------------------------------

#[test]
fn resolution_refused_without_allow_dns() {
    let output = run(&[], "policy_resolve", &["localhost"]);
    let lookup = line_starting(&output, "address-information ");
    assert!(
        lookup.starts_with("address-information error permission-denied"),
        "{lookup}"
    );
    let name = line_starting(&output, "name-information ");
    assert!(
        name.starts_with("name-information error permission-denied"),
        "{name}"
    );
    assert!(
        stderr(&output).contains("wasock: denied address resolution"),
        "{}",
        output_text(&output)
    );
}

#[test]
fn resolution_works_with_allow_dns() {
    let output = run(&["--allow-dns"], "policy_resolve", &["localhost"]);
    let lookup = line_starting(&output, "address-information ");
    assert!(
        lookup.contains("127.0.0.1:80") || lookup.contains("[::1]:80"),
        "{lookup}\n{}",
        output_text(&output)
    );
    let name = line_starting(&output, "name-information ");
    assert!(name.starts_with("name-information ok "), "{name}");
}

// ---- unix-domain sockets ---------------------------------------------------

#[test]
fn unix_bind_inside_the_granted_directory() {
    let dir = TempDir::new("unix-ok");
    let path = format!("{}/ok.sock", dir.as_str());
    let output = run(&["--allow-unix", dir.as_str()], "policy_unix", &[&path]);
    assert_eq!(
        line_starting(&output, "bind "),
        format!("bind ok {path}"),
        "{}",
        output_text(&output)
    );
    assert!(
        !exists(&dir.join("ok.sock")),
        "the socket file goes with its socket"
    );
}

#[test]
fn unix_without_grant_is_denied() {
    let dir = TempDir::new("unix-none");
    let path = format!("{}/none.sock", dir.as_str());
    let output = run(&[], "policy_unix", &[&path]);
    let line = line_starting(&output, "bind ");
    assert!(line.starts_with("bind error permission-denied"), "{line}");
    assert!(!exists(&dir.join("none.sock")));
}

#[test]
fn unix_dotdot_escape_is_denied() {
    let parent = TempDir::new("unix-parent");
    std::fs::create_dir(parent.join("granted")).expect("granted dir");
    let granted = format!("{}/granted", parent.as_str());
    let escape = format!("{granted}/../escape.sock");
    let output = run(&["--allow-unix", &granted], "policy_unix", &[&escape]);
    let line = line_starting(&output, "bind ");
    assert!(line.starts_with("bind error permission-denied"), "{line}");
    assert!(
        stderr(&output).contains("outside every --allow-unix directory"),
        "{}",
        output_text(&output)
    );
    assert!(
        !exists(&parent.join("escape.sock")),
        "the escape created a socket"
    );
}

#[test]
fn unix_absolute_path_outside_is_denied() {
    let dir = TempDir::new("unix-granted");
    let outside = TempDir::new("unix-outside");
    let target = format!("{}/abs.sock", outside.as_str());
    let output = run(&["--allow-unix", dir.as_str()], "policy_unix", &[&target]);
    let line = line_starting(&output, "bind ");
    assert!(line.starts_with("bind error permission-denied"), "{line}");
    assert!(!exists(&outside.join("abs.sock")));
}

#[test]
fn unix_symlink_escape_is_denied() {
    let dir = TempDir::new("unix-link");
    let outside = TempDir::new("unix-link-target");
    std::os::unix::fs::symlink(outside.path(), dir.join("out")).expect("symlink");
    let through = format!("{}/out/link.sock", dir.as_str());
    let output = run(&["--allow-unix", dir.as_str()], "policy_unix", &[&through]);
    let line = line_starting(&output, "bind ");
    assert!(line.starts_with("bind error permission-denied"), "{line}");
    assert!(
        stderr(&output).contains("symlink"),
        "{}",
        output_text(&output)
    );
    assert!(
        !exists(&outside.join("link.sock")),
        "the symlink led the socket out"
    );
}

#[test]
fn unix_guest_dir_maps_both_ways() {
    let dir = TempDir::new("unix-mapped");
    let grant = format!("{}::/sockets", dir.as_str());
    let output = run(
        &["--allow-unix", &grant],
        "policy_unix",
        &["/sockets/mapped.sock"],
    );
    // The guest names it by its guest path, the host file is in the host dir.
    assert_eq!(
        line_starting(&output, "bind "),
        "bind ok /sockets/mapped.sock",
        "{}",
        output_text(&output)
    );
    assert!(!exists(&dir.join("mapped.sock")), "removed with its socket");
    // The host path itself is not a guest name once GUEST_DIR is given.
    let host_name = format!("{}/direct.sock", dir.as_str());
    let output = run(&["--allow-unix", &grant], "policy_unix", &[&host_name]);
    assert!(line_starting(&output, "bind ").starts_with("bind error permission-denied"));
    assert!(!exists(&dir.join("direct.sock")));
}

/// A native unix listener at `path`, nonblocking.
fn unix_listener(path: &Path) -> std::os::unix::net::UnixListener {
    let listener = std::os::unix::net::UnixListener::bind(path).expect("native unix listener");
    listener.set_nonblocking(true).expect("nonblocking");
    listener
}

fn assert_no_unix_connection(listener: &std::os::unix::net::UnixListener, output: &Output) {
    match listener.accept() {
        Err(error) if error.kind() == ErrorKind::WouldBlock => {}
        Ok(_) => panic!(
            "the unix listener accepted a connection\n{}",
            output_text(output)
        ),
        Err(error) => panic!("accept: {error}"),
    }
}

#[test]
fn unix_connect_inside_reaches_the_listener() {
    let dir = TempDir::new("unix-connect");
    let listener = unix_listener(&dir.join("srv.sock"));
    let path = format!("{}/srv.sock", dir.as_str());
    let output = run(
        &["--allow-unix", dir.as_str()],
        "policy_unix_connect",
        &[&path],
    );
    assert_eq!(
        line_starting(&output, "connect "),
        "connect ok",
        "{}",
        output_text(&output)
    );
    let (mut stream, _) = listener.accept().expect("the guest's connection");
    stream.set_nonblocking(false).expect("blocking");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("read timeout");
    let mut data = Vec::new();
    stream.read_to_end(&mut data).expect("read");
    assert_eq!(data, b"hello");
}

#[test]
fn unix_connect_outside_never_reaches_the_listener() {
    let dir = TempDir::new("unix-connect-granted");
    let outside = TempDir::new("unix-connect-outside");
    let listener = unix_listener(&outside.join("real.sock"));
    // By its absolute path...
    let direct = format!("{}/real.sock", outside.as_str());
    let output = run(
        &["--allow-unix", dir.as_str()],
        "policy_unix_connect",
        &[&direct],
    );
    let line = line_starting(&output, "connect ");
    assert!(
        line.starts_with("connect error permission-denied"),
        "{line}"
    );
    assert_no_unix_connection(&listener, &output);
    // ...and through a symlinked socket file inside the granted directory.
    std::os::unix::fs::symlink(outside.join("real.sock"), dir.join("link.sock")).expect("symlink");
    let link = format!("{}/link.sock", dir.as_str());
    let output = run(
        &["--allow-unix", dir.as_str()],
        "policy_unix_connect",
        &[&link],
    );
    let line = line_starting(&output, "connect ");
    assert!(
        line.starts_with("connect error permission-denied"),
        "{line}"
    );
    assert!(
        stderr(&output).contains("symlink"),
        "{}",
        output_text(&output)
    );
    assert_no_unix_connection(&listener, &output);
}

// ---- socket limit and options ------------------------------------------------

#[test]
fn max_sockets_holds_and_the_guest_keeps_running() {
    let output = run(&["--max-sockets", "4"], "policy_max_sockets", &["4"]);
    assert_eq!(
        line_starting(&output, "opened "),
        "opened 4 refused 5",
        "{}",
        output_text(&output)
    );
    assert_eq!(line_starting(&output, "reopened"), "reopened ok");
}

#[test]
fn sandbox_escaping_option_needs_allow_raw() {
    // SOL_SOCKET / SO_MARK with the host's numbers.
    let (level, name) = (libc::SOL_SOCKET.to_string(), libc::SO_MARK.to_string());
    let output = run(&[], "policy_option", &[&level, &name, "1"]);
    let line = line_starting(&output, "set-option ");
    assert!(
        line.starts_with("set-option error permission-denied"),
        "{line}"
    );
    assert!(
        stderr(&output).contains("denied set option SO_MARK: needs --allow-raw"),
        "{}",
        output_text(&output)
    );
    // An ordinary option is fine: SO_REUSEADDR.
    let reuse = libc::SO_REUSEADDR.to_string();
    let output = run(&[], "policy_option", &[&level, &reuse, "1"]);
    assert_eq!(
        line_starting(&output, "set-option "),
        "set-option ok",
        "{}",
        output_text(&output)
    );
}

#[test]
fn denial_log_is_rate_limited() {
    const COUNT: usize = 200;
    let port = free_port();
    let output = run(
        &[],
        "policy_flood",
        &[&format!("127.0.0.1:{port}"), &COUNT.to_string()],
    );
    assert_eq!(
        line_starting(&output, "denied "),
        format!("denied {COUNT}"),
        "{}",
        output_text(&output)
    );
    let err = stderr(&output);
    let shown = err
        .lines()
        .filter(|line| line.starts_with("wasock: denied connect"))
        .count();
    let suppressed: usize = err
        .lines()
        .filter_map(|line| {
            line.strip_prefix("wasock: ")?
                .strip_suffix(" more denials suppressed")
        })
        .map(|n| n.parse::<usize>().expect("a count"))
        .sum();
    // Every denial is either shown or counted, and the log is not flooded.
    assert_eq!(shown + suppressed, COUNT, "{err}");
    assert!(shown < COUNT, "{err}");
}

// ---- std::net (wasi:sockets) under the same policy ---------------------------

#[test]
fn std_net_connect_denied_without_grant() {
    let (listener, address) = listener();
    let output = run(&[], "policy_std_net", &["connect", &address.to_string()]);
    let line = line_starting(&output, "connect ");
    assert!(
        line.starts_with("connect error PermissionDenied"),
        "{line}\n{}",
        output_text(&output)
    );
    let expected = format!("wasock: denied connect to {address}: no --allow-connect grant matches");
    assert!(
        stderr(&output).contains(&expected),
        "{}",
        output_text(&output)
    );
    assert_nothing_accepted(&listener, &output);
}

#[test]
fn std_net_connect_allowed_with_grant() {
    let (listener, address) = listener();
    let grant = address.to_string();
    let output = run(
        &["--allow-connect", &grant],
        "policy_std_net",
        &["connect", &grant],
    );
    assert_eq!(
        line_starting(&output, "connect "),
        "connect ok",
        "{}",
        output_text(&output)
    );
    assert_eq!(accept_and_read(&listener, &output), b"hello");
}

#[test]
fn std_net_bind_follows_allow_bind() {
    let port = free_port();
    let target = format!("127.0.0.1:{port}");
    let output = run(&[], "policy_std_net", &["bind", &target]);
    let line = line_starting(&output, "bind ");
    assert!(
        line.starts_with("bind error PermissionDenied"),
        "{line}\n{}",
        output_text(&output)
    );
    let output = run(
        &["--allow-bind", &target],
        "policy_std_net",
        &["bind", &target],
    );
    assert_eq!(
        line_starting(&output, "bind "),
        format!("bind ok {target}"),
        "{}",
        output_text(&output)
    );
    // An ephemeral-port grant lets it listen on the port the OS picks.
    let output = run(
        &["--allow-bind", "127.0.0.1:0"],
        "policy_std_net",
        &["bind", "127.0.0.1:0"],
    );
    let line = line_starting(&output, "bind ");
    assert!(
        line.starts_with("bind ok 127.0.0.1:") && !line.ends_with(":0"),
        "{line}\n{}",
        output_text(&output)
    );
    // ...but not on every interface.
    let output = run(
        &["--allow-bind", "127.0.0.1:0"],
        "policy_std_net",
        &["bind", "0.0.0.0:0"],
    );
    let line = line_starting(&output, "bind ");
    assert!(
        line.starts_with("bind error PermissionDenied"),
        "{line}\n{}",
        output_text(&output)
    );
}

#[test]
fn std_net_send_to_follows_allow_connect() {
    let receiver = UdpSocket::bind("127.0.0.1:0").expect("native udp socket");
    let address = receiver.local_addr().expect("udp address").to_string();
    receiver.set_nonblocking(true).expect("nonblocking");
    let output = run(&[], "policy_std_net", &["send-to", &address]);
    let line = line_starting(&output, "send-to ");
    assert!(
        line.starts_with("send-to error PermissionDenied"),
        "{line}\n{}",
        output_text(&output)
    );
    let mut buf = [0u8; 64];
    match receiver.recv_from(&mut buf) {
        Err(error) if error.kind() == ErrorKind::WouldBlock => {}
        other => panic!("the receiver got {other:?}\n{}", output_text(&output)),
    }
    let output = run(
        &["--allow-connect", &address],
        "policy_std_net",
        &["send-to", &address],
    );
    assert_eq!(
        line_starting(&output, "send-to "),
        "send-to ok 4",
        "{}",
        output_text(&output)
    );
    receiver.set_nonblocking(false).expect("blocking");
    receiver
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("read timeout");
    let (n, _) = receiver.recv_from(&mut buf).expect("the datagram");
    assert_eq!(&buf[..n], b"ping");
}

#[test]
fn std_net_resolution_follows_allow_dns() {
    let output = run(&[], "policy_std_net", &["resolve", "localhost"]);
    let line = line_starting(&output, "resolve ");
    assert!(
        line.starts_with("resolve error"),
        "resolved without --allow-dns: {line}"
    );
    let output = run(
        &["--allow-dns"],
        "policy_std_net",
        &["resolve", "localhost"],
    );
    let line = line_starting(&output, "resolve ");
    assert!(
        line.starts_with("resolve ok"),
        "{line}\n{}",
        output_text(&output)
    );
    assert!(
        line.contains("127.0.0.1:80") || line.contains("[::1]:80"),
        "{line}"
    );
}

// ---- the command line ------------------------------------------------------

#[test]
fn malformed_grant_exits_2_naming_the_bad_part() {
    let cases: [(&str, &str, &str); 5] = [
        ("--allow-connect", "10.0.0.1:99999", "port `99999`"),
        ("--allow-connect", "::1:80", "must be in brackets"),
        ("--allow-bind", "10.0.0.0/33:80", "prefix `/33`"),
        (
            "--allow-bind",
            "localhost:80",
            "`localhost` is not an IP address",
        ),
        (
            "--allow-unix",
            "/nonexistent/wasock-e2e-dir",
            "HOST_DIR `/nonexistent/wasock-e2e-dir`",
        ),
    ];
    for (flag, value, part) in cases {
        let output = run(&[flag, value], "policy_exit", &["0"]);
        assert_eq!(
            output.status.code(),
            Some(2),
            "{flag} {value}\n{}",
            output_text(&output)
        );
        assert!(
            stderr(&output).contains(part),
            "{flag} {value}: no {part:?}\n{}",
            output_text(&output)
        );
        assert!(
            !stdout(&output).contains("exiting"),
            "the guest ran despite {flag} {value}"
        );
    }
}

/// Unknown flags are usage errors naming the flag (not a component path);
/// wasmtime's spellings wasock serves work, the others are refused by
/// name; `wasock --version` prints the version.
#[test]
fn unknown_flags_exit_2_and_wasmtime_spellings_work() {
    for (flags, named) in [
        (&["--bogus"][..], "--bogus"),
        (&["--version"][..], "--version"),
        (&["-S", "http"][..], "-S http"),
        (&["-W", "fuel=1"][..], "-W fuel"),
    ] {
        let output = run(flags, "policy_exit", &["0"]);
        assert_eq!(
            output.status.code(),
            Some(2),
            "{flags:?}\n{}",
            output_text(&output)
        );
        assert!(
            stderr(&output).contains(named),
            "{flags:?}: no {named:?}\n{}",
            output_text(&output)
        );
        assert!(
            !stderr(&output).contains("cannot read component"),
            "{flags:?}"
        );
    }
    // -S inherit-network and -W max-memory-size as wasmtime spells them:
    // the guest runs.
    let output = run(
        &[
            "-S",
            "inherit-network,allow-ip-name-lookup",
            "-W",
            "max-memory-size=64M",
        ],
        "policy_exit",
        &["0"],
    );
    assert_eq!(output.status.code(), Some(0), "{}", output_text(&output));
    let version = std::process::Command::new(WASOCK)
        .arg("--version")
        .output()
        .expect("wasock --version");
    assert!(version.status.success());
    assert!(
        String::from_utf8_lossy(&version.stdout).starts_with("wasock "),
        "{}",
        output_text(&version)
    );
}

#[test]
fn guest_exit_code_propagates() {
    let output = run(&[], "policy_exit", &["0"]);
    assert_eq!(output.status.code(), Some(0), "{}", output_text(&output));
    let output = run(&[], "policy_exit", &["3"]);
    // WASI 0.2's `exit` carries success or failure (Rust's std reports any
    // non-zero code as failure, 1); `exit-with-code` would carry the 3.
    let code = output.status.code();
    assert!(
        code == Some(1) || code == Some(3),
        "{}",
        output_text(&output)
    );
    assert!(stdout(&output).contains("exiting with 3"));
}

#[test]
fn trapping_guest_exits_non_zero_with_the_trap() {
    let output = run(&[], "policy_trap", &[]);
    assert_eq!(output.status.code(), Some(134), "{}", output_text(&output));
    let err = stderr(&output);
    assert!(
        err.contains("policy_trap: deliberate panic"),
        "{}",
        output_text(&output)
    );
    assert!(
        err.contains("wasock: guest trapped"),
        "{}",
        output_text(&output)
    );
    assert!(err.contains("wasm trap"), "{}", output_text(&output));
}

#[test]
fn guest_arguments_follow_the_component() {
    // Flags after the component are the guest's, not wasock's.
    let output = run(&[], "policy_exit", &["0", "--allow-raw", "--max-sockets"]);
    assert_eq!(output.status.code(), Some(0), "{}", output_text(&output));
}

#[test]
fn env_and_dir_flags_reach_the_guest() {
    let dir = TempDir::new("dir");
    std::fs::write(dir.join("hello.txt"), "hello from the host\n").expect("write");
    let preopen = format!("{}::/data", dir.as_str());
    let output = Wasock::new(WASOCK, guest("policy_env_dir"))
        .flag("--env")
        .flag("GREETING=hi there")
        .flag("--dir")
        .flag(&preopen)
        .arg("GREETING")
        .arg("/data")
        .run(TIMEOUT);
    assert_eq!(
        line_starting(&output, "env "),
        "env GREETING=hi there",
        "{}",
        output_text(&output)
    );
    assert_eq!(line_starting(&output, "file "), "file hello from the host");
    // NAME alone inherits the host's value; nothing else is inherited.
    let output = Wasock::new(WASOCK, guest("policy_env_dir"))
        .host_env("WASOCK_E2E_INHERITED", "from-host")
        .flag("--env")
        .flag("WASOCK_E2E_INHERITED")
        .arg("WASOCK_E2E_INHERITED")
        .arg("/data")
        .run(TIMEOUT);
    assert_eq!(
        line_starting(&output, "env "),
        "env WASOCK_E2E_INHERITED=from-host"
    );
    assert!(
        line_starting(&output, "file ").starts_with("file error"),
        "no --dir, no file"
    );
    let output = Wasock::new(WASOCK, guest("policy_env_dir"))
        .host_env("WASOCK_E2E_INHERITED", "from-host")
        .arg("WASOCK_E2E_INHERITED")
        .arg("/data")
        .run(TIMEOUT);
    assert_eq!(
        line_starting(&output, "env "),
        "env WASOCK_E2E_INHERITED unset"
    );
}

#[test]
fn second_start_does_not_compile_again() {
    let cache = TempDir::new("cache");
    let start = |label: &str| {
        let output = run(
            &["--cache-dir", cache.as_str(), "--timings"],
            "policy_exit",
            &["0"],
        );
        assert!(output.status.success(), "{label}\n{}", output_text(&output));
        stderr(&output)
    };
    let first = start("first start");
    assert!(
        first.contains("(disk cache: 0 hits, 1 misses)"),
        "the first start compiles:\n{first}"
    );
    let second = start("second start");
    assert!(
        second.contains("(disk cache: 1 hits, 0 misses)"),
        "the second start compiled again:\n{second}"
    );
}

#[test]
fn a_file_that_is_not_a_component_exits_1_naming_it() {
    let dir = TempDir::new("not-a-component");
    let path = dir.join("garbage.wasm");
    std::fs::write(&path, b"this is not wasm").expect("write");
    let output = Wasock::new(WASOCK, &path).run(TIMEOUT);
    assert_eq!(output.status.code(), Some(1), "{}", output_text(&output));
    let err = stderr(&output);
    assert!(
        err.contains("wasock: error: cannot load component") && err.contains("garbage.wasm"),
        "{err}"
    );
    let missing = dir.join("missing.wasm");
    let output = Wasock::new(WASOCK, &missing).run(TIMEOUT);
    assert_eq!(output.status.code(), Some(1), "{}", output_text(&output));
    assert!(
        stderr(&output).contains("cannot read component"),
        "{}",
        output_text(&output)
    );
}

#[test]
fn help_lists_every_flag_with_examples() {
    let output = std::process::Command::new(WASOCK)
        .args(["run", "--help"])
        .output()
        .expect("wasock run --help");
    assert!(output.status.success(), "{}", output_text(&output));
    let help = stdout(&output);
    for flag in [
        "--allow-connect",
        "--allow-bind",
        "--allow-dns",
        "--allow-unix",
        "--allow-raw",
        "--inherit-network",
        "--max-sockets",
        "--dir",
        "--env",
    ] {
        assert!(
            help.matches(flag).count() >= 2,
            "{flag} lacks a line or an example:\n{help}"
        );
    }
}

// ---- the runner, in-process ---------------------------------------------------

/// One `Runner` (one engine, one linker) runs many guests at once, each
/// under its own policy: the allowed half reaches the listener, the denied
/// half does not, and the component is compiled once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_runner_runs_many_guests_at_once_each_under_its_own_policy() {
    use std::sync::Arc;
    use wasock_host::policy::Policy;
    use wasock_host::run::{CacheSetting, GuestConfig, Runner, RunnerConfig};

    const GUESTS: usize = 16;
    let runner = Runner::new(RunnerConfig {
        cache: CacheSetting::Disabled,
    })
    .expect("runner");
    let (listener, address) = listener();
    let grant = address.to_string().parse().expect("grant");
    let allowed = Arc::new(Policy::new().allow_connect(grant));
    let denied = Arc::new(Policy::new());
    let mut tasks = Vec::new();
    for index in 0..GUESTS {
        let policy = if index % 2 == 0 {
            allowed.clone()
        } else {
            denied.clone()
        };
        let (config, stdout, stderr) = GuestConfig::new()
            .arg(address.to_string())
            .capture_output(1 << 16);
        let runner = runner.clone();
        tasks.push(tokio::spawn(async move {
            let outcome = runner
                .run(Path::new(guest("policy_connect")), config, policy)
                .await;
            (index, outcome, stdout, stderr)
        }));
    }
    for task in tasks {
        let (index, outcome, stdout, stderr) = task.await.expect("guest task");
        let outcome = outcome.expect("the guest starts");
        let out = String::from_utf8_lossy(&stdout.contents()).into_owned();
        let err = String::from_utf8_lossy(&stderr.contents()).into_owned();
        assert_eq!(
            outcome.exit_code(),
            0,
            "guest {index}: {outcome:?}\n{out}{err}"
        );
        if index % 2 == 0 {
            assert_eq!(out.trim_end(), "connect ok", "guest {index}\n{err}");
        } else {
            assert!(
                out.starts_with("connect error permission-denied"),
                "guest {index}: {out}{err}"
            );
        }
    }
    listener.set_nonblocking(true).expect("nonblocking");
    let mut accepted = 0;
    for _ in 0..GUESTS * 2 {
        match listener.accept() {
            Ok(_) => accepted += 1,
            Err(error) if error.kind() == ErrorKind::WouldBlock => break,
            Err(error) => panic!("accept: {error}"),
        }
    }
    assert_eq!(accepted, GUESTS / 2, "only the allowed guests connect");
}

/// A guest spinning in pure computation does not hold its thread: on a
/// single-threaded runtime another guest runs to completion while the
/// spinner is still spinning (epoch ticks make running guests yield).
#[tokio::test(flavor = "current_thread")]
async fn a_spinning_guest_does_not_starve_the_others() {
    use std::sync::Arc;
    use wasock_host::policy::Policy;
    use wasock_host::run::{CacheSetting, GuestConfig, Runner, RunnerConfig};

    let runner = Runner::new(RunnerConfig {
        cache: CacheSetting::Disabled,
    })
    .expect("runner");
    let policy = Arc::new(Policy::new());
    // Compile both first, so the spinner is spinning while the other runs.
    runner
        .prepare(Path::new(guest("policy_spin")))
        .await
        .expect("spinner");
    runner
        .prepare(Path::new(guest("policy_exit")))
        .await
        .expect("policy_exit");
    let (spin_config, _, _) = GuestConfig::new().arg("60").capture_output(1024);
    let spinner = tokio::spawn({
        let runner = runner.clone();
        let policy = policy.clone();
        async move {
            runner
                .run(Path::new(guest("policy_spin")), spin_config, policy)
                .await
        }
    });
    tokio::task::yield_now().await;
    let (config, stdout, _) = GuestConfig::new().arg("0").capture_output(1024);
    let other = tokio::time::timeout(
        Duration::from_secs(50),
        runner.run(Path::new(guest("policy_exit")), config, policy),
    )
    .await
    .expect("the other guest was starved by the spinner")
    .expect("the other guest starts");
    assert_eq!(other.exit_code(), 0);
    assert_eq!(
        String::from_utf8_lossy(&stdout.contents()),
        "exiting with 0\n"
    );
    assert!(
        !spinner.is_finished(),
        "the spinner should still be spinning"
    );
    spinner.abort();
    assert!(spinner.await.expect_err("aborted").is_cancelled());
}
