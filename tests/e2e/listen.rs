//! Listeners the host opens for a guest (`wasock run --listen ADDR`, and
//! systemd's socket activation, `LISTEN_FDS`): the guest serves on them
//! with no bind grant, in the order given, within its socket limit; its
//! own binds still need a grant; a privileged port is bound before the
//! capabilities go, and none is kept.
//!
//! Run: `cargo test -p wasock-host --test e2e listen::`

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::process::CommandExt as _;
use std::process::{Command, Output, Stdio};

use wasock_tests::{Running, Wasock, guest, is_root, output_text, skip, stderr, stdout};

use crate::WASOCK;
use crate::common::{IO_TIMEOUT, TIMEOUT, closed_port};

/// Sends `message` to `address`, shuts the sending side and returns what
/// came back before the peer closed.
fn echo_through(address: SocketAddr, message: &[u8]) -> Vec<u8> {
    let mut stream = TcpStream::connect(address).expect("connect to the guest's listener");
    stream.set_read_timeout(Some(IO_TIMEOUT)).expect("timeout");
    stream.write_all(message).expect("send");
    stream.shutdown(Shutdown::Write).expect("shutdown");
    let mut reply = Vec::new();
    stream.read_to_end(&mut reply).expect("the echo");
    reply
}

/// `listen_echo` serving `connections` under `flags`, with `own_bind`
/// for its own bind when given.
fn listen_echo(flags: &[&str], connections: usize, own_bind: Option<&str>) -> Running {
    let mut command = Wasock::new(WASOCK, guest("listen_echo"))
        .flags(flags)
        .arg(connections.to_string());
    if let Some(address) = own_bind {
        command = command.arg(address);
    }
    command.spawn()
}

/// The guest serves on `--listen 127.0.0.1:PORT` with no grant at all:
/// the listener is handed over bound and listening, and taken once; a
/// `listen` again on it (another backlog) needs no grant; the guest's own
/// bind is still refused (`permission-denied`, reported by the host).
#[test]
fn a_guest_serves_on_a_host_listener_with_no_bind_grant() {
    let address = SocketAddr::from(([127, 0, 0, 1], closed_port()));
    let listen = address.to_string();
    let mut running = listen_echo(&["--listen", &listen], 2, Some("127.0.0.1:0"));
    assert_eq!(running.wait_for_listening(TIMEOUT), address);
    running.wait_for_line("own bind error permission-denied", TIMEOUT);
    for message in [&b"hello"[..], b"again"] {
        assert_eq!(echo_through(address, message), message);
    }
    let output = running.wait(TIMEOUT);
    let out = stdout(&output);
    assert!(output.status.success(), "{}", output_text(&output));
    assert!(out.contains("listeners: 1\n"), "{}", output_text(&output));
    assert!(out.contains("again: 0\n"), "{}", output_text(&output));
    assert!(
        out.contains("listen again ok\n"),
        "a listen again needs no grant\n{}",
        output_text(&output)
    );
    assert!(out.contains("served\n"), "{}", output_text(&output));
    assert!(
        stderr(&output).contains("wasock: denied bind"),
        "the own bind's denial is reported\n{}",
        output_text(&output)
    );
}

/// `async-echo-server -` serves on the host's listener with no grant,
/// built both ways: its `AsyncSocket` from `wasock::async_io::listeners`
/// (0.1.0's `listeners`, or in the WASI 0.3 build 0.2.0's).
#[test]
fn the_async_echo_server_serves_on_a_host_listener_built_both_ways() {
    for name in ["async-echo-server", "async-echo-server@p3"] {
        let address = SocketAddr::from(([127, 0, 0, 1], closed_port()));
        let mut running = Wasock::new(WASOCK, guest(name))
            .flag("--listen")
            .flag(address.to_string())
            .args(["-", "2"])
            .spawn();
        assert_eq!(running.wait_for_listening(TIMEOUT), address, "{name}");
        for message in [&b"hello"[..], b"again"] {
            assert_eq!(echo_through(address, message), message, "{name}");
        }
        let output = running.wait(TIMEOUT);
        assert!(output.status.success(), "{name}: {}", output_text(&output));
    }
}

/// A bind grant still covers the guest's own binds beside a listener.
#[test]
fn a_bind_grant_still_covers_the_guests_own_binds() {
    let address = SocketAddr::from(([127, 0, 0, 1], closed_port()));
    let listen = address.to_string();
    let mut running = listen_echo(
        &["--listen", &listen, "--allow-bind", "127.0.0.1:0"],
        1,
        Some("127.0.0.1:0"),
    );
    running.wait_for_line("own bind ok", TIMEOUT);
    assert_eq!(echo_through(address, b"hello"), b"hello");
    let output = running.wait(TIMEOUT);
    assert!(output.status.success(), "{}", output_text(&output));
}

/// Several `--listen` come in the order given; they count toward
/// `--max-sockets` from the start: at the limit the guest cannot make a
/// socket of its own (nor accept), and past it the host refuses to start
/// the guest.
#[test]
fn listeners_come_in_order_and_count_toward_max_sockets() {
    let first = SocketAddr::from(([127, 0, 0, 1], closed_port()));
    let second = SocketAddr::from(([127, 0, 0, 1], closed_port()));
    let (first_flag, second_flag) = (first.to_string(), second.to_string());
    let mut running = listen_echo(
        &[
            "--listen",
            &first_flag,
            "--listen",
            &second_flag,
            "--max-sockets",
            "2",
        ],
        0,
        Some("127.0.0.1:0"),
    );
    assert_eq!(running.wait_for_listening(TIMEOUT), first);
    assert_eq!(running.wait_for_listening(TIMEOUT), second);
    running.wait_for_line("own socket error too-many-sockets", TIMEOUT);
    let output = running.wait(TIMEOUT);
    assert!(output.status.success(), "{}", output_text(&output));

    let output = listen_echo(
        &[
            "--listen",
            &first_flag,
            "--listen",
            &second_flag,
            "--max-sockets",
            "1",
        ],
        0,
        None,
    )
    .wait(TIMEOUT);
    assert_eq!(output.status.code(), Some(1), "{}", output_text(&output));
    assert!(
        stderr(&output).contains("2 listeners are more than the guest's limit of 1"),
        "{}",
        output_text(&output)
    );
}

/// An address the host cannot listen on stops it before the guest runs,
/// naming the address.
#[test]
fn a_listen_that_fails_stops_the_host() {
    let taken = TcpListener::bind("127.0.0.1:0").expect("a listener");
    let address = taken.local_addr().expect("its address").to_string();
    let output = listen_echo(&["--listen", &address], 0, None).wait(TIMEOUT);
    assert_eq!(output.status.code(), Some(1), "{}", output_text(&output));
    assert!(
        stderr(&output).contains(&format!("cannot listen on {address} (--listen)")),
        "{}",
        output_text(&output)
    );
    assert!(!stdout(&output).contains("listeners:"));
}

/// A loopback port below 1024 nothing listens on (root binds it to see).
fn free_privileged_port() -> Option<u16> {
    (900..1000).find(|port| TcpListener::bind(("127.0.0.1", *port)).is_ok())
}

/// The effective capabilities of every thread of process `pid`.
fn effective_capabilities(pid: u32) -> Vec<u64> {
    let tasks = std::fs::read_dir(format!("/proc/{pid}/task")).expect("the host's threads");
    tasks
        .flatten()
        .filter_map(|task| std::fs::read_to_string(task.path().join("status")).ok())
        .filter_map(|status| {
            status
                .lines()
                .find_map(|line| line.strip_prefix("CapEff:"))
                .and_then(|bits| u64::from_str_radix(bits.trim(), 16).ok())
        })
        .collect()
}

/// As root, `--listen` on a port below 1024 binds it before the
/// capabilities go: the guest serves there, and no thread of the host
/// keeps any capability (no grant needs one), `CAP_NET_BIND_SERVICE`
/// included.
#[test]
fn a_privileged_port_through_listen_leaves_no_capability() {
    const TEST: &str = "listen::a_privileged_port_through_listen_leaves_no_capability";
    if !is_root() {
        skip(TEST, "not root: a port below 1024 cannot be bound");
        return;
    }
    let Some(port) = free_privileged_port() else {
        skip(TEST, "no free loopback port in 900-999");
        return;
    };
    let address = SocketAddr::from(([127, 0, 0, 1], port));
    let listen = address.to_string();
    let mut running = listen_echo(&["--listen", &listen], 1, None);
    assert_eq!(running.wait_for_listening(TIMEOUT), address);
    let capabilities = effective_capabilities(running.id());
    assert!(!capabilities.is_empty());
    assert!(
        capabilities.iter().all(|bits| *bits == 0),
        "effective capabilities left: {capabilities:x?}"
    );
    assert_eq!(echo_through(address, b"privileged"), b"privileged");
    let output = running.wait(TIMEOUT);
    assert!(output.status.success(), "{}", output_text(&output));
}

/// Starts `wasock run FLAGS listen_echo ARGS` as systemd's socket
/// activation would: `descriptor` as descriptor 3, `LISTEN_FDS=1` and
/// `LISTEN_PID` the host's own pid (a shell sets it to its pid, then
/// becomes the host with `exec`).
fn socket_activated(descriptor: RawFd, flags: &[&str], args: &[&str]) -> std::process::Child {
    let mut command = Command::new("sh");
    command
        .arg("-c")
        .arg(r#"export LISTEN_PID=$$ LISTEN_FDS=1; exec "$@""#)
        .arg("sh")
        .arg(WASOCK)
        .arg("run")
        .args(flags)
        .arg(guest("listen_echo"))
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    // SAFETY: between fork and exec only async-signal-safe calls (dup2,
    // fcntl) on descriptors this process owns.
    unsafe {
        command.pre_exec(move || {
            let moved = if descriptor == 3 {
                let flags = libc::fcntl(3, libc::F_GETFD);
                libc::fcntl(3, libc::F_SETFD, flags & !libc::FD_CLOEXEC)
            } else {
                libc::dup2(descriptor, 3)
            };
            if moved == -1 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    command.spawn().expect("start the host through sh")
}

/// Waits for `child` at most [`TIMEOUT`] (killing it past that).
fn finish(child: std::process::Child) -> Output {
    let id = child.id();
    let watchdog = std::thread::spawn(move || {
        std::thread::sleep(TIMEOUT);
        // SAFETY: kill(2) has no memory preconditions; the pid is the
        // child's (already reaped: ESRCH at worst).
        unsafe { libc::kill(id as i32, libc::SIGKILL) };
    });
    let output = child.wait_with_output().expect("the host's output");
    drop(watchdog);
    output
}

/// systemd's socket activation: a listener passed as descriptor 3 with
/// `LISTEN_FDS=1` and this process's `LISTEN_PID` is the guest's first,
/// before each `--listen`; the guest serves on it with no grant.
#[test]
fn an_inherited_listener_comes_first() {
    let inherited = TcpListener::bind("127.0.0.1:0").expect("a listener to pass");
    let inherited_address = inherited.local_addr().expect("its address");
    let listened = SocketAddr::from(([127, 0, 0, 1], closed_port()));
    let child = socket_activated(
        inherited.as_raw_fd(),
        &["--listen", &listened.to_string()],
        &["1"],
    );
    // The guest holds it now; connections wait in its queue meanwhile.
    drop(inherited);
    assert_eq!(echo_through(inherited_address, b"activated"), b"activated");
    let output = finish(child);
    assert!(output.status.success(), "{}", output_text(&output));
    let out = stdout(&output);
    let expected = format!(
        "listeners: 2\nlistening on {inherited_address}\nlistening on {listened}\nagain: 0\n"
    );
    assert!(out.starts_with(&expected), "{}", output_text(&output));
}

/// A descriptor that is no listening inet stream socket (here a UDP
/// socket) is refused by name before the guest runs.
#[test]
fn an_inherited_descriptor_that_is_no_listener_is_refused() {
    let datagram = UdpSocket::bind("127.0.0.1:0").expect("a UDP socket");
    let child = socket_activated(datagram.as_raw_fd(), &[], &["0"]);
    let output = finish(child);
    assert_eq!(output.status.code(), Some(1), "{}", output_text(&output));
    assert!(
        stderr(&output).contains("LISTEN_FDS: descriptor 3 is not a stream socket"),
        "{}",
        output_text(&output)
    );
    assert!(!stdout(&output).contains("listeners:"));
}

/// An embedder hands a guest listeners through the runner
/// (`GuestConfig::listeners`): the guest serves on one under a policy
/// with no grant at all.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_embedder_hands_listeners_through_the_runner() {
    use std::sync::Arc;
    use wasock_host::listeners::Listener;
    use wasock_host::policy::Policy;
    use wasock_host::run::{CacheSetting, GuestConfig, Runner, RunnerConfig};

    let runner = Runner::new(RunnerConfig {
        cache: CacheSetting::Disabled,
        ..RunnerConfig::default()
    })
    .expect("runner");
    let listener = Listener::bind("127.0.0.1:0".parse().expect("an address")).expect("listen");
    let address = listener.local_address();
    let (config, stdout, stderr) = GuestConfig::new()
        .arg("1")
        .listeners(vec![listener])
        .capture_output(1 << 16);
    // The connection waits in the listener's queue until the guest accepts.
    let client = tokio::task::spawn_blocking(move || echo_through(address, b"embedded"));
    let outcome = runner
        .run(
            std::path::Path::new(guest("listen_echo")),
            config,
            Arc::new(Policy::new()),
        )
        .await
        .expect("the guest starts");
    let out = String::from_utf8_lossy(&stdout.contents()).into_owned();
    let err = String::from_utf8_lossy(&stderr.contents()).into_owned();
    assert_eq!(outcome.exit_code(), 0, "{outcome:?}\n{out}{err}");
    assert!(
        out.starts_with(&format!("listeners: 1\nlistening on {address}\n")),
        "{out}{err}"
    );
    assert_eq!(client.await.expect("the client"), b"embedded");
}
