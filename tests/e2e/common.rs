//! What several of the end-to-end modules share: running a guest under the
//! binary and reading what it printed, the assertions on that (a clean run,
//! a denial), native listeners and peers on loopback (TLS ones too), and
//! the clients of the echo servers.

use std::ffi::OsStr;
use std::io::{BufRead, BufReader, ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use wasock_tests::{
    Certificates, Namespace, TempDir, Wasock, guest, output_text, skip, stderr, stdout,
};

use crate::WASOCK;

/// How long a guest may run, or a native peer wait for it.
pub const TIMEOUT: Duration = Duration::from_secs(60);
/// How long one native read or write may take.
pub const IO_TIMEOUT: Duration = Duration::from_secs(30);

// ---- Running guests and reading their output ---------------------------------

/// Runs guest `name` with host `flags` before it and `args` after it, for
/// at most [`TIMEOUT`].
pub fn run(flags: &[&str], name: &str, args: &[&str]) -> Output {
    wasock_tests::run_guest(WASOCK, flags, name, args, TIMEOUT)
}

/// Guest `name` with a native peer at `peer`: a connect to it granted, its
/// address the guest's first argument.
pub fn connecting_to(name: &str, peer: impl std::fmt::Display) -> Wasock {
    let peer = peer.to_string();
    Wasock::new(WASOCK, guest(name))
        .flag("--allow-connect")
        .flag(&peer)
        .arg(&peer)
}

/// Runs `command` for at most [`TIMEOUT`] and asserts it exited 0 and
/// nothing panicked; returns its stdout and the whole output as text.
pub fn run_ok(command: Wasock) -> (String, String) {
    let output = command.run(TIMEOUT);
    let text = output_text(&output);
    assert!(output.status.success(), "{text}");
    assert!(!text.contains("panicked"), "the host panicked: {text}");
    (String::from_utf8_lossy(&output.stdout).into_owned(), text)
}

/// The output's text, after asserting the guest succeeded, printed its
/// final `ok_line`, and the host did not panic.
pub fn succeeded(output: &Output, ok_line: &str) -> String {
    let text = output_text(output);
    assert!(output.status.success(), "guest failed\n{text}");
    assert!(!text.contains("panicked"), "a panic\n{text}");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        stdout.lines().any(|l| l == ok_line),
        "no {ok_line:?} line\n{text}"
    );
    stdout
}

/// Asserts the guest exited 0 and printed `last_line` (somewhere in its
/// stdout).
pub fn assert_success(output: &Output, last_line: &str) {
    assert!(
        output.status.success(),
        "guest failed\n{}",
        output_text(output)
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains(last_line),
        "no {last_line:?} in the output\n{}",
        output_text(output)
    );
}

/// The text after `prefix` on the first stdout line starting with it, or a
/// panic showing the whole output.
pub fn after<'a>(stdout: &'a str, prefix: &str, all: &str) -> &'a str {
    stdout
        .lines()
        .find_map(|l| l.strip_prefix(prefix))
        .unwrap_or_else(|| panic!("no line starting with {prefix:?}\n{all}"))
}

/// Asserts the guest ran to a clean exit and printed a line starting with
/// `prefix`; returns that line.
pub fn line_starting(output: &Output, prefix: &str) -> String {
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

/// Asserts that the policy refused a call and both sides said so: the
/// guest ran to a clean exit and its line for the call (the first starting
/// with the first word of `guest_says` and a space) starts with
/// `guest_says` (`connect error permission-denied` from the SDK, `connect
/// error PermissionDenied` from `std::net`, `raw: fatal/permission-denied`),
/// and the host's stderr holds each of `host_says` (its `wasock: denied
/// ...` line, or the part of it that matters).
pub fn assert_denied(output: &Output, guest_says: &str, host_says: &[&str]) {
    let call = guest_says.split(' ').next().unwrap_or_default();
    let line = line_starting(output, &format!("{call} "));
    assert!(
        line.starts_with(guest_says),
        "{line}\n{}",
        output_text(output)
    );
    let stderr = stderr(output);
    for said in host_says {
        assert!(
            stderr.contains(said),
            "no {said:?} on stderr\n{}",
            output_text(output)
        );
    }
}

// ---- Native listeners -------------------------------------------------------

/// A native listener on an ephemeral loopback port.
pub fn listener() -> (TcpListener, SocketAddr) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("native listener");
    let address = listener.local_addr().expect("listener address");
    (listener, address)
}

/// A loopback address nothing listens on (a probe listener's, closed
/// again).
pub fn closed_address() -> SocketAddr {
    listener().1
}

/// The port of a [`closed_address`].
pub fn closed_port() -> u16 {
    closed_address().port()
}

/// A native listener on an ephemeral loopback port with `backlog`, whose
/// connections get a 4096-byte receive buffer (set before listening, so
/// the accepted sockets inherit it): a sender to a peer that stops reading
/// stalls soon.
pub fn small_buffer_listener(backlog: i32) -> (TcpListener, SocketAddr) {
    let listener =
        socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).expect("socket");
    listener.set_recv_buffer_size(4096).expect("SO_RCVBUF");
    let loopback: SocketAddr = "127.0.0.1:0".parse().expect("address");
    listener.bind(&loopback.into()).expect("bind");
    listener.listen(backlog).expect("listen");
    let listener: TcpListener = listener.into();
    let address = listener.local_addr().expect("address");
    (listener, address)
}

/// Accepts `listener`'s connections on a thread and holds them, never
/// reading, until told to stop through the sender (or [`TIMEOUT`] has
/// passed); the thread yields them, blocking again.
pub fn hold_connections(
    listener: TcpListener,
) -> (mpsc::Sender<()>, thread::JoinHandle<Vec<TcpStream>>) {
    let (stop, stopped) = mpsc::channel::<()>();
    let holder = thread::spawn(move || {
        listener
            .set_nonblocking(true)
            .expect("nonblocking listener");
        let mut held = Vec::new();
        let deadline = Instant::now() + TIMEOUT;
        // Bounded: until told to stop, or the deadline.
        while Instant::now() < deadline && stopped.try_recv().is_err() {
            match listener.accept() {
                Ok((stream, _)) => {
                    stream.set_nonblocking(false).expect("blocking stream");
                    held.push(stream);
                }
                Err(_) => thread::sleep(Duration::from_millis(10)),
            }
        }
        held
    });
    (stop, holder)
}

/// Accepts one connection within `timeout` (the listener is made
/// non-blocking so a guest that never connects fails the test, not hangs
/// it), blocking again, with `io_timeout` on its reads and writes.
pub fn accept_within(
    listener: &TcpListener,
    timeout: Duration,
    io_timeout: Duration,
) -> Option<TcpStream> {
    listener
        .set_nonblocking(true)
        .expect("nonblocking listener");
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        match listener.accept() {
            Ok((stream, _)) => {
                stream.set_nonblocking(false).expect("blocking stream");
                stream
                    .set_read_timeout(Some(io_timeout))
                    .expect("read timeout");
                stream
                    .set_write_timeout(Some(io_timeout))
                    .expect("write timeout");
                return Some(stream);
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => thread::sleep(Duration::from_millis(10)),
            Err(e) => panic!("accept: {e}"),
        }
    }
    None
}

/// The next connection of `listener`, within [`TIMEOUT`], with 10 s i/o
/// timeouts.
pub fn accepted(listener: &TcpListener) -> TcpStream {
    accept_within(listener, TIMEOUT, Duration::from_secs(10))
        .unwrap_or_else(|| panic!("the guest did not connect within {TIMEOUT:?}"))
}

/// How many connections wait in `listener`'s queue now.
pub fn queued_connections(listener: &TcpListener) -> usize {
    listener
        .set_nonblocking(true)
        .expect("nonblocking listener");
    (0..100).take_while(|_| listener.accept().is_ok()).count()
}

// ---- Native peers -------------------------------------------------------------

/// A native TCP echo peer (a thread per connection).
pub fn native_echo() -> SocketAddr {
    let (listener, address) = listener();
    thread::spawn(move || {
        for stream in listener.incoming().take(16) {
            let Ok(mut stream) = stream else { continue };
            thread::spawn(move || {
                let _ = stream.set_read_timeout(Some(TIMEOUT));
                let mut buffer = [0u8; 4096];
                while let Ok(n) = stream.read(&mut buffer) {
                    if n == 0 || stream.write_all(&buffer[..n]).is_err() {
                        break;
                    }
                }
            });
        }
    });
    address
}

/// A native peer for one connection on a loopback port: a thread that
/// accepts it, sets [`IO_TIMEOUT`] on its reads and hands it to `serve`.
/// Returns the port's address and the thread, which yields what `serve`
/// returned.
pub fn one_peer<T: Send + 'static>(
    serve: impl FnOnce(TcpStream) -> T + Send + 'static,
) -> (SocketAddr, thread::JoinHandle<T>) {
    let (listener, address) = listener();
    let peer = thread::spawn(move || {
        let (stream, _) = listener.accept().expect("the guest connects");
        stream.set_read_timeout(Some(IO_TIMEOUT)).expect("timeout");
        serve(stream)
    });
    (address, peer)
}

/// A native peer for `poll_set_semantics`: on each of `connections`
/// connections writes `abcd`, then obeys one-byte commands (`m`: write
/// `more`, `b`: write `x`, `c`: close).
pub fn scripted_peer(connections: usize) -> SocketAddr {
    let (listener, address) = listener();
    thread::spawn(move || {
        for _ in 0..connections {
            let Ok((mut stream, _)) = listener.accept() else {
                return;
            };
            thread::spawn(move || {
                let _ = stream.set_read_timeout(Some(TIMEOUT));
                if stream.write_all(b"abcd").is_err() {
                    return;
                }
                let mut command = [0u8; 1];
                // Bounded by the commands the guest sends (a few hundred).
                for _ in 0..10_000 {
                    if stream.read_exact(&mut command).is_err() {
                        return;
                    }
                    let reply: &[u8] = match &command {
                        b"m" => b"more",
                        b"b" => b"x",
                        _ => return,
                    };
                    if stream.write_all(reply).is_err() {
                        return;
                    }
                }
            });
        }
    });
    address
}

/// The native peers of `poll_set_async`, named by [`AsyncPeers::args`] in
/// the order the guest takes them: an echo peer, a port nothing listens
/// on, a listener that never accepts (silent while this lives) and a UDP
/// socket that sends one datagram back.
pub struct AsyncPeers {
    /// The guest's arguments.
    pub args: Vec<String>,
    _silent: TcpListener,
}

/// Starts the [`AsyncPeers`].
pub fn async_peers() -> AsyncPeers {
    let echo = native_echo();
    let refused = closed_address();
    let (silent_listener, silent) = listener();
    let udp = UdpSocket::bind("127.0.0.1:0").expect("udp");
    let udp_address = udp.local_addr().expect("address");
    udp.set_read_timeout(Some(TIMEOUT)).expect("timeout");
    thread::spawn(move || {
        let mut buffer = [0u8; 1500];
        if let Ok((n, from)) = udp.recv_from(&mut buffer) {
            let _ = udp.send_to(&buffer[..n], from);
        }
    });
    AsyncPeers {
        args: [echo, refused, silent, udp_address]
            .iter()
            .map(SocketAddr::to_string)
            .collect(),
        _silent: silent_listener,
    }
}

/// Runs `spec_so_error` against a closed loopback port (UDP) and a native
/// peer that resets the guest's TCP connection as soon as it is made.
pub fn so_error_guest() -> Output {
    let closed = closed_address();
    let (listener, resetting) = listener();
    let (connected, reset_now) = mpsc::channel::<()>();
    let resetter = thread::spawn(move || {
        let stream = accepted(&listener);
        // Only after the guest's connect has completed: a reset during it
        // would fail the connect instead of leaving an error pending.
        let _ = reset_now.recv_timeout(TIMEOUT);
        let socket = socket2::Socket::from(stream);
        socket
            .set_linger(Some(Duration::ZERO))
            .expect("SO_LINGER 0");
        drop(socket); // close(2) with linger 0: RST
    });
    let mut running = Wasock::new(WASOCK, guest("spec_so_error"))
        .flag("--allow-connect")
        .flag(closed.to_string())
        .flag("--allow-connect")
        .flag(resetting.to_string())
        .arg(closed.to_string())
        .arg(resetting.to_string())
        .spawn();
    running.wait_for_line("tcp connected", TIMEOUT);
    let _ = connected.send(());
    let output = running.wait(TIMEOUT);
    resetter.join().expect("the resetting peer");
    output
}

// ---- Clients of the echo servers ------------------------------------------------

/// A TCP client of `address` with [`IO_TIMEOUT`] on its reads and writes.
pub fn connect(address: SocketAddr) -> TcpStream {
    connect_within(address, IO_TIMEOUT)
}

/// A TCP client of `address`, `timeout` bounding the connect and each read
/// and write.
pub fn connect_within(address: SocketAddr, timeout: Duration) -> TcpStream {
    let stream = TcpStream::connect_timeout(&address, timeout)
        .unwrap_or_else(|error| panic!("connecting to {address}: {error}"));
    stream
        .set_read_timeout(Some(timeout))
        .expect("read timeout");
    stream
        .set_write_timeout(Some(timeout))
        .expect("write timeout");
    stream
}

/// Each of three `clients` of an echo server, the last first, sends a line
/// and reads it back; the first echo that does not come, as text.
pub fn hello_in_turn(clients: &mut [TcpStream]) -> Result<(), String> {
    for i in [2, 0, 1] {
        let message = format!("hello from client {i}\n");
        clients[i].write_all(message.as_bytes()).expect("send");
        let mut echo = vec![0u8; message.len()];
        if let Err(e) = clients[i].read_exact(&mut echo) {
            return Err(format!("echo to client {i}: {e}"));
        }
        assert_eq!(echo, message.as_bytes());
    }
    Ok(())
}

/// Twenty rounds over three `clients` of an echo server: in each, every
/// client in turn, the last first, sends 1000 bytes (its own for each
/// round) and reads them back while the others wait, connected. A failed
/// read panics with `context()` (what the server printed so far, say).
pub fn echo_in_rounds(clients: &mut [TcpStream], context: impl Fn() -> String) {
    for round in 0..20u32 {
        for index in [2usize, 0, 1] {
            let message: Vec<u8> = (0..1000u32)
                .map(|i| (i * 7 + round + index as u32) as u8)
                .collect();
            clients[index].write_all(&message).expect("send");
            let mut echo = vec![0u8; message.len()];
            if let Err(e) = clients[index].read_exact(&mut echo) {
                panic!(
                    "echo to client {index} in round {round}: {e}\n{}",
                    context()
                );
            }
            assert_eq!(echo, message, "client {index} round {round}");
        }
    }
}

/// The clients of an echo server `name` at `address` of which one never
/// reads: three connections, the first (the hog) sends until the server's
/// socket to it is full both ways and is closed last; meanwhile the two
/// others keep getting their echoes, and once the hog reads, every byte
/// comes back to it.
pub fn one_never_reads_the_others_are_served(name: &str, address: SocketAddr) {
    // A small receive buffer, so the server's echoes to the hog fill it
    // and the server's sends to it would block soon.
    let hog =
        socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).expect("socket");
    hog.set_recv_buffer_size(4096).expect("SO_RCVBUF");
    hog.connect_timeout(&address.into(), IO_TIMEOUT)
        .expect("connect");
    let mut hog: TcpStream = hog.into();
    hog.set_nonblocking(true).expect("non-blocking");
    let chunk = vec![0x5au8; 64 * 1024];
    let mut pushed = 0usize;
    let mut stalled_since: Option<Instant> = None;
    let start = Instant::now();
    // Write until the writes have been refused for half a second: the
    // server's echo to the hog can go nowhere (the hog never reads), so
    // it stopped receiving from it. Bounded: 256 MiB, 60 s.
    while pushed < 256 << 20 && start.elapsed() < TIMEOUT {
        match hog.write(&chunk) {
            Ok(n) => {
                pushed += n;
                stalled_since = None;
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => {
                let since = *stalled_since.get_or_insert_with(Instant::now);
                if since.elapsed() > Duration::from_millis(500) {
                    break;
                }
                thread::sleep(Duration::from_millis(5));
            }
            Err(e) => panic!("{name}: the never-reading client's write failed: {e}"),
        }
    }
    assert!(
        stalled_since.is_some(),
        "{name}: {pushed} bytes went in and the server still took more"
    );
    let mut others: Vec<TcpStream> = (0..2).map(|_| connect(address)).collect();
    for round in 0..100u32 {
        for (index, other) in others.iter_mut().enumerate() {
            let message = format!("round {round} client {index}\n");
            other.write_all(message.as_bytes()).expect("write");
            let mut echo = vec![0u8; message.len()];
            other.read_exact(&mut echo).unwrap_or_else(|e| {
                panic!("{name}: client {index} got no echo in round {round} while one client never reads: {e}")
            });
            assert_eq!(echo, message.as_bytes());
        }
    }
    // The hog is still served: once it reads, every byte comes back.
    hog.set_nonblocking(false).expect("blocking");
    hog.set_read_timeout(Some(IO_TIMEOUT)).expect("timeout");
    let mut echoed = 0usize;
    let mut buffer = vec![0u8; 1 << 20];
    while echoed < pushed {
        match hog.read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => echoed += n,
            Err(e) => {
                panic!("{name}: the hog's echo stopped after {echoed} of {pushed} bytes: {e}")
            }
        }
    }
    assert_eq!(echoed, pushed, "{name}: the hog's echo");
    drop(others);
    drop(hog);
}

// ---- Guests that check things themselves -----------------------------------------

/// The checks `poll_set_semantics` makes, but for its `bounds` (which
/// depend on the host's socket limit).
pub const SEMANTICS_CHECKS: &[&str] = &[
    "level",
    "edge",
    "zero-timeout",
    "timer",
    "hang-up",
    "removal",
];

/// The checks `poll_set_errors` makes.
pub const ERRORS_CHECKS: &[&str] = &["add-twice", "not-in-set", "max-events", "hang-up", "closed"];

/// The guest printed a line `ok CHECK` for each of `checks` (it prints one
/// for each check that passed).
pub fn assert_ok_lines(output: &Output, checks: &[&str]) {
    let stdout = String::from_utf8_lossy(&output.stdout);
    for check in checks {
        assert!(
            stdout.lines().any(|line| line == format!("ok {check}")),
            "no `ok {check}`\n{}",
            output_text(output)
        );
    }
}

/// A network namespace of the test's own whose resolver never answers: its
/// `resolv.conf` names 192.0.2.53 (a documentation address), routed to
/// `lo`, where nothing is and packets are dropped without a word. A lookup
/// there runs until the resolver's own time-out (seconds). `None` where
/// the test cannot make namespaces (having said why).
pub fn silent_resolver_namespace(test: &str) -> Option<Namespace> {
    let namespace = Namespace::create(test)?;
    namespace.etc_file("resolv.conf", "nameserver 192.0.2.53\n");
    assert!(
        namespace.ip(&["route", "add", "192.0.2.53/32", "dev", "lo"]),
        "a route for the silent name server"
    );
    Some(namespace)
}

// ---- The inbound filter on datagram sockets -------------------------------

/// The guest heard the granted peer (`good`) and not the other (`evil`);
/// returns how many inbound denials the host reported.
pub fn heard_only_the_granted(output: &Output) -> usize {
    let text = stdout(output);
    assert!(text.contains(": good"), "{}", output_text(output));
    assert!(
        !text.contains("evil"),
        "an ungranted peer got through\n{}",
        output_text(output)
    );
    stderr(output)
        .lines()
        .filter(|l| l.contains("denied datagram from"))
        .count()
}

/// Waits for `running`'s `bound PORT` line, sends `evil` three times from
/// an ungranted socket, then `good` and `stop` from `granted`, to
/// 127.0.0.1:PORT; returns the guest's output once it ends.
pub fn inbound_exchange(mut running: wasock_tests::Running, granted: &UdpSocket) -> Output {
    let line = running.wait_for_line("bound ", TIMEOUT);
    let port: u16 = line
        .trim_start_matches("bound ")
        .trim()
        .parse()
        .expect("a port");
    let target: SocketAddr = format!("127.0.0.1:{port}").parse().expect("target");
    let evil = UdpSocket::bind("127.0.0.1:0").expect("evil socket");
    for _ in 0..3 {
        evil.send_to(b"evil", target).expect("evil send");
    }
    thread::sleep(Duration::from_millis(100));
    granted.send_to(b"good", target).expect("good send");
    thread::sleep(Duration::from_millis(50));
    granted.send_to(b"stop", target).expect("stop send");
    running.wait(TIMEOUT)
}

// ---- Native TLS peers (openssl's certificates, Python's `ssl`) -------------

/// The native TLS peers, a Python program (its docstring says what each
/// does).
const TLS_PEER: &str = include_str!("tls_peer.py");

/// The body the `http` [`TlsServer`] answers with (`http_body()` of
/// `tls_peer.py`): 3000 numbered lines (many TLS records), then `hello
/// over tls`.
pub fn tls_http_body() -> String {
    let lines: String = (0..3000)
        .map(|i| format!("line {i:05} over tls\n"))
        .collect();
    lines + "hello over tls\n"
}

/// Starts `tls_peer.py ARGS` with stdout piped; `None` (said through
/// [`skip`]) without `python3`.
fn spawn_tls_peer(test: &str, args: &[&OsStr], stderr: Stdio) -> Option<Child> {
    let spawned = Command::new("python3")
        .args(["-c", TLS_PEER])
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(stderr)
        .spawn();
    if spawned.is_err() {
        skip(test, "python3 is not here to be a native TLS peer");
    }
    spawned.ok()
}

/// A fresh temp dir with [`Certificates`] in its subdirectory `keys`;
/// `None` (said through [`skip`]) without `openssl`.
pub fn temp_certificates(test: &str) -> Option<(TempDir, Certificates)> {
    let dir = TempDir::new("tls");
    let keys = dir.join("keys");
    std::fs::create_dir_all(&keys).expect("a directory for the keys");
    let Some(certificates) = Certificates::make(&keys, "wasock test CA") else {
        skip(test, "openssl cannot make the test certificates here");
        return None;
    };
    Some((dir, certificates))
}

/// [`temp_certificates`] and a [`TlsServer`] with them (the arguments of
/// [`TlsServer::start`]); `None` (said through [`skip`]) without `openssl`
/// or `python3`.
pub fn tls_server(
    test: &str,
    mode: TlsMode,
    connections: usize,
    options: &[&str],
) -> Option<(TempDir, Certificates, TlsServer)> {
    let (dir, certificates) = temp_certificates(test)?;
    let server = TlsServer::start(test, &certificates, mode, connections, options)?;
    Some((dir, certificates, server))
}

/// What a [`TlsServer`] does with each connection after the handshake.
#[derive(Clone, Copy, Debug)]
pub enum TlsMode {
    /// Reads a request head, answers 200 with [`tls_http_body`].
    Http,
    /// Echoes until end of file.
    Echo,
    /// Obeys `burst N`, `echo TEXT`, `close`, `cut` and `forge` lines
    /// (`tls_peer.py` says what each does).
    Script,
}

/// A native TLS server (`tls_peer.py server`) on an ephemeral loopback
/// port, with the certificate and key of [`Certificates`]; killed on drop.
pub struct TlsServer {
    child: Child,
    /// Its address (127.0.0.1).
    pub address: SocketAddr,
    lines: mpsc::Receiver<String>,
    seen: Vec<String>,
}

impl TlsServer {
    /// Starts one serving `connections` connections as `mode` says, with
    /// `options` (`--alpn P,Q`, `--together`); `None` (said through
    /// [`skip`]) without `python3`.
    fn start(
        test: &str,
        certificates: &Certificates,
        mode: TlsMode,
        connections: usize,
        options: &[&str],
    ) -> Option<TlsServer> {
        let mode = match mode {
            TlsMode::Http => "http",
            TlsMode::Echo => "echo",
            TlsMode::Script => "script",
        };
        let mut args: Vec<&OsStr> = vec![
            "server".as_ref(),
            certificates.cert.as_ref(),
            certificates.key.as_ref(),
            mode.as_ref(),
        ];
        let connections = connections.to_string();
        args.push(connections.as_ref());
        args.extend(options.iter().map(OsStr::new));
        let mut child = spawn_tls_peer(test, &args, Stdio::null())?;
        let (sender, lines) = mpsc::channel();
        let stdout = child.stdout.take().expect("stdout");
        thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if sender.send(line).is_err() {
                    break;
                }
            }
        });
        let port = lines
            .recv_timeout(TIMEOUT)
            .ok()
            .and_then(|line| line.parse::<u16>().ok())
            .expect("the TLS server's port");
        Some(TlsServer {
            child,
            address: SocketAddr::from(([127, 0, 0, 1], port)),
            lines,
            seen: Vec::new(),
        })
    }

    /// Waits (at most [`TIMEOUT`]) for a line containing `needle` and
    /// returns it; panics with every line so far if none comes.
    pub fn wait_for_line(&mut self, needle: &str) -> String {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    self.seen.push(line.clone());
                    if line.contains(needle) {
                        return line;
                    }
                }
                Err(_) => panic!(
                    "the TLS server said no {needle:?} within {TIMEOUT:?}; it said:\n{}",
                    self.seen.join("\n")
                ),
            }
        }
    }

    /// Every line it printed (after its port) up to now, without waiting.
    pub fn lines(&mut self) -> Vec<String> {
        self.seen.extend(self.lines.try_iter());
        self.seen.clone()
    }
}

impl Drop for TlsServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs a native TLS client (`tls_peer.py client`) of `address`, trusting
/// `ca` for `name`, offering `alpn` (`P,Q`), sending `messages` and reading
/// their echoes; killed past [`TIMEOUT`]. `None` (said through [`skip`])
/// without `python3`.
pub fn tls_client(
    test: &str,
    address: SocketAddr,
    ca: &Path,
    name: &str,
    alpn: Option<&str>,
    messages: &[&str],
) -> Option<Output> {
    // Options first: after the positionals, every word is a message.
    let mut args: Vec<&OsStr> = vec!["client".as_ref()];
    if let Some(alpn) = alpn {
        args.extend([OsStr::new("--alpn"), OsStr::new(alpn)]);
    }
    let ip = address.ip().to_string();
    let port = address.port().to_string();
    args.extend([ip.as_ref(), port.as_ref(), ca.as_os_str(), name.as_ref()]);
    args.extend(messages.iter().map(OsStr::new));
    let mut child = spawn_tls_peer(test, &args, Stdio::piped())?;
    let deadline = Instant::now() + TIMEOUT;
    // Bounded: the client's own socket timeouts end it sooner.
    while child.try_wait().expect("wait").is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            break;
        }
        thread::sleep(Duration::from_millis(10));
    }
    Some(child.wait_with_output().expect("the client's output"))
}

/// Asserts the guest exited 0, nothing panicked, and it printed `line`.
pub fn printed(output: &Output, line: &str) {
    let text = output_text(output);
    assert!(output.status.success(), "guest failed\n{text}");
    assert!(!text.contains("panicked"), "a panic\n{text}");
    assert!(
        stdout(output).lines().any(|l| l == line),
        "no {line:?}\n{text}"
    );
}

/// The host's denial lines that contain `needle`.
pub fn denials(output: &Output, needle: &str) -> usize {
    stderr(output)
        .lines()
        .filter(|l| l.starts_with("wasock: denied") && l.contains(needle))
        .count()
}

/// A guest's `connect ADDR` (`guest(flags, args)`) is refused without a
/// connect grant, printing `connect ADDR: error REFUSED`, and the host
/// reports it once; with the grant it connects, and nothing is reported.
pub fn connect_needs_a_grant(guest: impl Fn(&[&str], &[&str]) -> Output, refused: &str) {
    let (_listener, address) = listener();
    let target = address.to_string();
    let output = guest(&[], &["connect", &target]);
    printed(&output, &format!("connect {target}: error {refused}"));
    assert_eq!(
        denials(&output, &format!("connect to {target}")),
        1,
        "{}",
        output_text(&output)
    );

    let output = guest(&["--allow-connect", &target], &["connect", &target]);
    printed(&output, &format!("connect {target}: ok"));
    assert_eq!(denials(&output, ""), 0, "{}", output_text(&output));
}
