//! End-to-end test support for wasock.
//!
//! The build script compiles every guest (the example programs and the
//! one-scenario test guests) for `wasm32-wasip2` once; [`guest`] names their
//! files. [`Wasock`] runs one under the real `wasock` binary with a deadline,
//! and [`Running`] follows a guest that keeps running (a server) while native
//! peers talk to it.

use std::ffi::{OsStr, OsString};
use std::io::{BufRead, BufReader, Read};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

mod generated {
    include!(concat!(env!("OUT_DIR"), "/guests.rs"));
}

pub use generated::GUESTS;

/// The path of the built guest `name` (a bin of `wasock-examples` or
/// `wasock-test-guests`).
///
/// # Panics
/// If no guest has that name, listing the ones there are.
pub fn guest(name: &str) -> &'static str {
    match GUESTS.iter().find(|(guest, _)| *guest == name) {
        Some((_, path)) => path,
        None => {
            let known: Vec<&str> = GUESTS.iter().map(|(guest, _)| *guest).collect();
            panic!("no guest named {name:?}; the guests are {known:?}")
        }
    }
}

/// A `wasock run [host flags] GUEST.wasm [guest args]` command line.
#[derive(Debug, Clone)]
pub struct Wasock {
    binary: OsString,
    guest: PathBuf,
    flags: Vec<OsString>,
    args: Vec<OsString>,
    env: Vec<(OsString, OsString)>,
    namespace: Option<String>,
}

impl Wasock {
    /// Runs `guest` (a path, usually from [`guest`]) under the binary
    /// `binary` (`env!("CARGO_BIN_EXE_wasock")`).
    pub fn new(binary: impl AsRef<OsStr>, guest: impl AsRef<Path>) -> Self {
        Wasock {
            binary: binary.as_ref().to_owned(),
            guest: guest.as_ref().to_owned(),
            flags: Vec::new(),
            args: Vec::new(),
            env: Vec::new(),
            namespace: None,
        }
    }

    /// Runs it inside `namespace` (`ip netns exec`, which execs the
    /// binary: the process id is still wasock's).
    pub fn in_namespace(mut self, namespace: &Namespace) -> Self {
        self.namespace = Some(namespace.name().to_owned());
        self
    }

    /// Adds a host flag (or a flag's value), placed before the component.
    pub fn flag(mut self, flag: impl AsRef<OsStr>) -> Self {
        self.flags.push(flag.as_ref().to_owned());
        self
    }

    /// Adds an argument for the guest, placed after the component.
    pub fn arg(mut self, arg: impl AsRef<OsStr>) -> Self {
        self.args.push(arg.as_ref().to_owned());
        self
    }

    /// Adds host flags (or their values), in order.
    pub fn flags<I>(self, flags: I) -> Self
    where
        I: IntoIterator,
        I::Item: AsRef<OsStr>,
    {
        flags.into_iter().fold(self, Self::flag)
    }

    /// Adds arguments for the guest, in order.
    pub fn args<I>(self, args: I) -> Self
    where
        I: IntoIterator,
        I::Item: AsRef<OsStr>,
    {
        args.into_iter().fold(self, Self::arg)
    }

    /// Sets an environment variable of the host process.
    pub fn host_env(mut self, name: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> Self {
        self.env
            .push((name.as_ref().to_owned(), value.as_ref().to_owned()));
        self
    }

    /// The command this describes, with stdin closed and stdout/stderr piped.
    pub fn command(&self) -> Command {
        let mut command = match &self.namespace {
            Some(name) => {
                let mut command = Command::new("ip");
                command.args(["netns", "exec", name]).arg(&self.binary);
                command
            }
            None => Command::new(&self.binary),
        };
        command
            .arg("run")
            .args(&self.flags)
            .arg(&self.guest)
            .args(&self.args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (name, value) in &self.env {
            command.env(name, value);
        }
        command
    }

    /// Starts it; the process is killed when the [`Running`] is dropped.
    pub fn spawn(self) -> Running {
        let description = format!("{:?}", self.command());
        let child = self
            .command()
            .spawn()
            .unwrap_or_else(|error| panic!("starting {description}: {error}"));
        Running::new(child, description)
    }

    /// Runs it to the end and returns what it printed.
    ///
    /// # Panics
    /// If it is still running after `timeout` (it is killed first).
    pub fn run(self, timeout: Duration) -> Output {
        self.spawn().wait(timeout)
    }
}

/// A running `wasock` process whose stdout is read line by line.
#[derive(Debug)]
pub struct Running {
    child: Option<Child>,
    description: String,
    lines: mpsc::Receiver<String>,
    stdout: Arc<Mutex<Vec<u8>>>,
    stderr: Arc<Mutex<Vec<u8>>>,
    readers: Vec<thread::JoinHandle<()>>,
}

impl Running {
    fn new(mut child: Child, description: String) -> Self {
        let stdout = Arc::new(Mutex::new(Vec::new()));
        let stderr = Arc::new(Mutex::new(Vec::new()));
        let (sender, lines) = mpsc::channel();
        let mut readers = Vec::new();
        if let Some(pipe) = child.stdout.take() {
            let stdout = Arc::clone(&stdout);
            readers.push(thread::spawn(move || {
                let mut reader = BufReader::new(pipe);
                let mut line = Vec::new();
                while let Ok(n) = reader.read_until(b'\n', &mut line) {
                    if n == 0 {
                        break;
                    }
                    lock(&stdout).extend_from_slice(&line);
                    let _ = sender.send(String::from_utf8_lossy(&line).trim_end().to_owned());
                    line.clear();
                }
            }));
        }
        if let Some(mut pipe) = child.stderr.take() {
            let stderr = Arc::clone(&stderr);
            readers.push(thread::spawn(move || {
                let mut chunk = [0u8; 4096];
                while let Ok(n) = pipe.read(&mut chunk) {
                    if n == 0 {
                        break;
                    }
                    lock(&stderr).extend_from_slice(&chunk[..n]);
                }
            }));
        }
        Running {
            child: Some(child),
            description,
            lines,
            stdout,
            stderr,
            readers,
        }
    }

    /// The process id of the host process.
    pub fn id(&self) -> u32 {
        self.child.as_ref().map_or(0, Child::id)
    }

    /// Reads stdout until a line containing `needle` and returns that line.
    ///
    /// # Panics
    /// If the process ends or `timeout` passes first (with what it printed).
    pub fn wait_for_line(&mut self, needle: &str, timeout: Duration) -> String {
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) if line.contains(needle) => return line,
                Ok(_) => continue,
                Err(_) => {
                    let output = self.finish();
                    panic!(
                        "{}: no line containing {needle:?} within {timeout:?}\n{}",
                        self.description,
                        output_text(&output)
                    )
                }
            }
        }
    }

    /// Waits for the guest's `listening on ADDR` line and returns ADDR.
    pub fn wait_for_listening(&mut self, timeout: Duration) -> SocketAddr {
        let line = self.wait_for_line("listening on ", timeout);
        let text = line
            .rsplit("listening on ")
            .next()
            .unwrap_or_default()
            .trim();
        text.parse().unwrap_or_else(|error| {
            panic!("{}: bad address in {line:?}: {error}", self.description)
        })
    }

    /// Waits for the process to end by itself and returns what it printed.
    ///
    /// # Panics
    /// If it is still running after `timeout` (it is killed first).
    pub fn wait(mut self, timeout: Duration) -> Output {
        let deadline = Instant::now() + timeout;
        loop {
            let exited = match self.child.as_mut() {
                Some(child) => child.try_wait().ok().flatten().is_some(),
                None => true,
            };
            if exited {
                return self.finish();
            }
            if Instant::now() >= deadline {
                let output = self.finish();
                panic!(
                    "{}: still running after {timeout:?}, killed\n{}",
                    self.description,
                    output_text(&output)
                );
            }
            thread::sleep(Duration::from_millis(5));
        }
    }

    /// Kills the process (if still running) and returns what it printed.
    pub fn kill(mut self) -> Output {
        self.finish()
    }

    fn finish(&mut self) -> Output {
        let status = match self.child.take() {
            Some(mut child) => match child.try_wait() {
                Ok(Some(status)) => status,
                _ => {
                    let _ = child.kill();
                    child.wait().unwrap_or_else(|_| exit_status_unknown())
                }
            },
            None => exit_status_unknown(),
        };
        for reader in self.readers.drain(..) {
            let _ = reader.join();
        }
        Output {
            status,
            stdout: lock(&self.stdout).clone(),
            stderr: lock(&self.stderr).clone(),
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Runs guest `name` under the binary `wasock` with `flags` before it and
/// `args` after it, for at most `timeout`.
pub fn run_guest(
    wasock: impl AsRef<OsStr>,
    flags: &[&str],
    name: &str,
    args: &[&str],
    timeout: Duration,
) -> Output {
    Wasock::new(wasock, guest(name))
        .flags(flags)
        .args(args)
        .run(timeout)
}

/// What a run printed on stdout, as text.
pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// What a run printed on stderr, as text.
pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Status, stdout and stderr of a finished process, for assertion messages.
pub fn output_text(output: &Output) -> String {
    format!(
        "status: {}\n--- stdout ---\n{}\n--- stderr ---\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

fn lock(buffer: &Mutex<Vec<u8>>) -> std::sync::MutexGuard<'_, Vec<u8>> {
    buffer
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn exit_status_unknown() -> ExitStatus {
    use std::os::unix::process::ExitStatusExt;
    ExitStatus::from_raw(-1)
}

/// A loopback TCP listener whose accept queue is full and never drained:
/// Linux drops further SYNs, so a connect to [`FullBacklog::address`] waits
/// until its own timeout. Dropping it closes everything.
#[derive(Debug)]
pub struct FullBacklog {
    /// Where to connect.
    pub address: SocketAddr,
    _listener: socket2::Socket,
    _fillers: Vec<TcpStream>,
}

/// Listens on 127.0.0.1 with `backlog` and connects (never accepting) until
/// a connect times out; `None` if 64 connections fit, where this machine
/// does not drop SYNs for a full queue.
pub fn full_backlog(backlog: i32) -> Option<FullBacklog> {
    let listener =
        socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).expect("socket");
    let loopback: SocketAddr = "127.0.0.1:0".parse().expect("an address");
    listener.bind(&loopback.into()).expect("bind");
    listener.listen(backlog).expect("listen");
    let address = listener
        .local_addr()
        .ok()
        .and_then(|address| address.as_socket())
        .expect("an inet address");
    let mut fillers = Vec::new();
    for _ in 0..64 {
        match TcpStream::connect_timeout(&address, Duration::from_millis(300)) {
            Ok(stream) => fillers.push(stream),
            Err(_) => {
                return Some(FullBacklog {
                    address,
                    _listener: listener,
                    _fillers: fillers,
                });
            }
        }
    }
    None
}

/// Says on the test process's own stderr (which `cargo test` shows even
/// for a test that passes, unlike `eprintln!`, which it captures) that
/// `test` skipped a check, and why.
pub fn skip(test: &str, reason: &str) {
    use std::io::Write as _;
    let _ = writeln!(std::io::stderr(), "SKIPPED {test}: {reason}");
}

/// Whether the tests run as root (`/proc/self/status`'s effective uid).
pub fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|line| line.starts_with("Uid:"))
                .and_then(|line| line.split_whitespace().nth(2).map(|uid| uid == "0"))
        })
        .unwrap_or(false)
}

/// A network namespace of the test's own (only `lo`, up), with its own
/// files under `/etc/netns/NAME/` (which `ip netns exec` mounts over
/// `/etc`), all deleted on drop. Nothing in it reaches the host's network.
#[derive(Debug)]
pub struct Namespace {
    name: String,
}

impl Namespace {
    /// `ip netns add wasock-PID-N`, or `None` where that cannot be done
    /// here (not root, no `ip`), having said why through [`skip`].
    pub fn create(test: &str) -> Option<Namespace> {
        if !is_root() {
            skip(test, "not root: network namespaces need it");
            return None;
        }
        static COUNT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = COUNT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let name = format!("wasock-{}-{n}", std::process::id());
        match Command::new("ip").args(["netns", "add", &name]).output() {
            Ok(out) if out.status.success() => {}
            Ok(out) => {
                let reason = String::from_utf8_lossy(&out.stderr).trim().to_owned();
                skip(test, &format!("`ip netns add` failed: {reason}"));
                return None;
            }
            Err(e) => {
                skip(test, &format!("cannot run `ip`: {e}"));
                return None;
            }
        }
        let namespace = Namespace { name };
        if !namespace.ip(&["link", "set", "lo", "up"]) {
            skip(test, "cannot bring up lo in the namespace");
            return None;
        }
        Some(namespace)
    }

    /// The namespace's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    fn etc_dir(&self) -> PathBuf {
        Path::new("/etc/netns").join(&self.name)
    }

    /// Puts `contents` at `/etc/FILE` as the namespace's processes see it.
    pub fn etc_file(&self, file: &str, contents: &str) {
        let dir = self.etc_dir();
        std::fs::create_dir_all(&dir).expect("/etc/netns/NAME");
        std::fs::write(dir.join(file), contents).expect("a namespace file");
    }

    /// `ip netns exec NAME ip ARGS...`; whether it succeeded.
    pub fn ip(&self, args: &[&str]) -> bool {
        self.command("ip")
            .args(args)
            .output()
            .is_ok_and(|out| out.status.success())
    }

    /// `ip netns exec NAME PROGRAM`, to add arguments to.
    pub fn command(&self, program: impl AsRef<OsStr>) -> Command {
        let mut command = Command::new("ip");
        command
            .args(["netns", "exec", &self.name])
            .arg(program)
            .stdin(Stdio::null());
        command
    }

    /// Runs `wasock run FLAGS GUEST ARGS` (`wasock` the binary at
    /// `binary`, `guest_name` a built guest) inside the namespace, killed
    /// past `timeout`.
    pub fn run(
        &self,
        binary: &str,
        flags: &[&str],
        guest_name: &str,
        args: &[&str],
        timeout: Duration,
    ) -> Output {
        let mut child = self
            .command(binary)
            .arg("run")
            .args(flags)
            .arg(guest(guest_name))
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("ip netns exec wasock");
        let deadline = Instant::now() + timeout;
        while child.try_wait().expect("wait").is_none() {
            if Instant::now() > deadline {
                let _ = child.kill();
                let output = child.wait_with_output().expect("output");
                panic!(
                    "{guest_name} in {} still running after {timeout:?}: {}",
                    self.name,
                    output_text(&output)
                );
            }
            thread::sleep(Duration::from_millis(10));
        }
        child.wait_with_output().expect("output")
    }
}

impl Drop for Namespace {
    fn drop(&mut self) {
        let _ = Command::new("ip")
            .args(["netns", "delete", &self.name])
            .output();
        let _ = std::fs::remove_dir_all(self.etc_dir());
    }
}

/// A CA and a certificate it signed for `localhost` and 127.0.0.1: PEM
/// files (P-256 keys, valid for two days) in one directory.
#[derive(Debug, Clone)]
pub struct Certificates {
    /// The CA's certificate: what a client trusts to trust the leaf.
    pub ca: PathBuf,
    /// The CA's private key.
    pub ca_key: PathBuf,
    /// The leaf's certificate (`DNS:localhost`, `IP:127.0.0.1`).
    pub cert: PathBuf,
    /// The leaf's private key.
    pub key: PathBuf,
}

impl Certificates {
    /// Makes them with `openssl` in `dir` (`ca.pem`, `ca.key`, `cert.pem`,
    /// `key.pem`), the CA's subject `/CN=CA_NAME`; `None` where `openssl`
    /// cannot (not installed).
    pub fn make(dir: &Path, ca_name: &str) -> Option<Certificates> {
        const NEW_P256_KEY: &[&str] = &[
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
        ];
        let openssl = |args: &[&[&str]]| {
            Command::new("openssl")
                .args(args.concat())
                .current_dir(dir)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|status| status.success())
        };
        std::fs::write(
            dir.join("leaf.ext"),
            "subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n",
        )
        .ok()?;
        let subject = format!("/CN={ca_name}");
        let made = openssl(&[
            &["req", "-x509"],
            NEW_P256_KEY,
            &["-keyout", "ca.key", "-out", "ca.pem", "-days", "2"],
            &["-subj", &subject],
        ]) && openssl(&[
            &["req"],
            NEW_P256_KEY,
            &[
                "-keyout",
                "key.pem",
                "-out",
                "leaf.csr",
                "-subj",
                "/CN=localhost",
            ],
        ]) && openssl(&[
            &["x509", "-req", "-in", "leaf.csr", "-days", "2"],
            &["-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial"],
            &["-out", "cert.pem", "-extfile", "leaf.ext"],
        ]);
        made.then(|| Certificates {
            ca: dir.join("ca.pem"),
            ca_key: dir.join("ca.key"),
            cert: dir.join("cert.pem"),
            key: dir.join("key.pem"),
        })
    }
}

/// A fresh directory under the system temp dir (its canonical path, short
/// enough for unix socket addresses), removed with what it holds on drop.
pub struct TempDir(PathBuf);

impl TempDir {
    /// Creates `wasock-LABEL-PID-N` under the temp dir.
    pub fn new(label: &str) -> Self {
        static COUNT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "wasock-{label}-{}-{}",
            std::process::id(),
            COUNT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir)
            .unwrap_or_else(|error| panic!("creating {}: {error}", dir.display()));
        TempDir(dir.canonicalize().expect("canonical temp dir"))
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.0
    }

    /// `NAME` inside the directory.
    pub fn join(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }

    /// The directory as text (it is UTF-8: the temp dir's path and ASCII).
    pub fn as_str(&self) -> &str {
        self.0.to_str().expect("a UTF-8 temp dir")
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
