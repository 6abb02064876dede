//! Portability: `wasock adapt` and adapted guests under a stock WASI 0.2
//! host.
//!
//! `wasock adapt` (the real binary) composes the adapter into each guest;
//! the result runs under [`PlainHost`], a host made in this file from
//! `wasmtime` and `wasmtime-wasi` alone (no wasock in its linker:
//! `wasi:sockets` allowed on loopback, as `wasmtime run -S inherit-network`
//! would), against native peers on loopback, and prints what it prints
//! under `wasock run`. What `wasi:sockets` cannot do answers `unsupported`.
//!
//! Run: `cargo test -p wasock-host --test e2e adapter::`

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream, UdpSocket};
use std::os::fd::OwnedFd;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Output};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, OnceLock};
use std::thread;
use std::time::{Duration, Instant};

use wasmtime::component::{Component, Linker, ResourceTable};
use wasmtime::{Config, Engine, Store};
use wasmtime_wasi::cli::OutputFile;
use wasmtime_wasi::p2::bindings::Command as WasiCommand;
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::{I32Exit, WasiCtx, WasiCtxView, WasiView};
use wasock_tests::{TempDir, Wasock, guest, output_text, stdout};

use crate::WASOCK;
use crate::common::{
    ERRORS_CHECKS, IO_TIMEOUT, SEMANTICS_CHECKS, TIMEOUT, assert_ok_lines, async_peers,
    closed_address, connect, echo_in_rounds, hello_in_turn, hold_connections, listener,
    native_echo, one_never_reads_the_others_are_served, scripted_peer, small_buffer_listener,
};

/// `wasock adapt GUEST -o OUT` with the real binary, once per test run
/// for each guest; panics unless it succeeds. The output goes to this test
/// target's scratch directory.
///
/// Tests run in parallel and several adapt the same guest (and other test
/// processes share the directory), while `wasock adapt` writes its output
/// in place: a test compiling the file while another rewrote it read it
/// half written (`adapter::http_get_adapted_fetches_the_body` failed so
/// under load, beside `adapter::every_example_adapts_to_wasi_imports_only`).
/// So each guest is adapted once in this process, under a name of this
/// process's own, and renamed into place: a reader sees a whole file.
pub(crate) fn adapt(name: &str) -> PathBuf {
    static ADAPTED: OnceLock<Mutex<HashMap<String, Arc<OnceLock<PathBuf>>>>> = OnceLock::new();
    let cell = Arc::clone(
        ADAPTED
            .get_or_init(Mutex::default)
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .entry(name.to_owned())
            .or_default(),
    );
    // Other tests wait here for the same guest, not for others.
    cell.get_or_init(|| {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("adapted");
        std::fs::create_dir_all(&dir).expect("the scratch directory");
        let out = dir.join(format!("{name}.wasm"));
        let partial = dir.join(format!(".{name}.{}.partial", std::process::id()));
        let output = Command::new(WASOCK)
            .arg("adapt")
            .arg(guest(name))
            .arg("-o")
            .arg(&partial)
            .output()
            .expect("running wasock adapt");
        assert!(
            output.status.success(),
            "wasock adapt {name} failed\n{}",
            output_text(&output)
        );
        std::fs::rename(&partial, &out)
            .unwrap_or_else(|error| panic!("renaming {} into place: {error}", partial.display()));
        out
    })
    .clone()
}

mod jco;
mod scale;

// The plain host.

/// A stock WASI 0.2 host: `wasmtime` + `wasmtime-wasi`'s `wasi:cli` imports
/// (`wasi:sockets` included), nothing of wasock. `wasi:sockets` may use
/// loopback and the unspecified address (for binds) only, and look names
/// up.
struct PlainHost;

struct PlainState {
    wasi: WasiCtx,
    table: ResourceTable,
}

impl WasiView for PlainState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl PlainHost {
    fn engine() -> &'static Engine {
        static ENGINE: OnceLock<Engine> = OnceLock::new();
        ENGINE.get_or_init(|| {
            let mut config = Config::new();
            config.wasm_component_model(true);
            Engine::new(&config).expect("a wasmtime engine")
        })
    }

    /// The compiled component (each file is compiled once per test run).
    fn component(path: &Path) -> Component {
        static COMPILED: OnceLock<Mutex<HashMap<PathBuf, Component>>> = OnceLock::new();
        let mut compiled = COMPILED
            .get_or_init(Mutex::default)
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        compiled
            .entry(path.to_owned())
            .or_insert_with(|| {
                Component::from_file(Self::engine(), path)
                    .unwrap_or_else(|e| panic!("compiling {}: {e:?}", path.display()))
            })
            .clone()
    }

    /// Starts `component` with `args` (after the program name) on a thread
    /// of its own, with its own single-threaded tokio runtime: the
    /// strictest embedding, where the reactor runs only when the guest
    /// waits.
    fn spawn(component: &Path, args: &[String]) -> PlainRun {
        Self::spawn_on(component, args, Runtime::CurrentThread)
    }

    /// [`PlainHost::spawn`] on a runtime of this flavour.
    fn spawn_on(component: &Path, args: &[String], runtime: Runtime) -> PlainRun {
        let description = format!("plain WASI host: {} {args:?}", component.display());
        let component = Self::component(component);
        let (reader, writer) = std::io::pipe().expect("a pipe for stdout");
        let stderr = MemoryOutputPipe::new(1 << 20);
        let mut builder = WasiCtx::builder();
        builder
            .stdout(OutputFile::new(File::from(OwnedFd::from(writer))))
            .stderr(stderr.clone())
            .arg("guest.wasm")
            .args(args)
            .allow_tcp(true)
            .allow_udp(true)
            .allow_ip_name_lookup(true)
            .socket_addr_check(|addr, _use| {
                let ip = addr.ip();
                Box::pin(std::future::ready(ip.is_loopback() || ip.is_unspecified()))
            });
        let wasi = builder.build();

        // Every thread of this run (the guest's, the runtime's) has this
        // name, so that its CPU time can be told from other tests'.
        static RUNS: AtomicUsize = AtomicUsize::new(0);
        let threads = format!("plain-{}", RUNS.fetch_add(1, Ordering::Relaxed));
        let (exit_sender, exit) = mpsc::channel();
        let named = threads.clone();
        thread::Builder::new()
            .name(threads.clone())
            .spawn(move || {
                let mut builder = match runtime {
                    Runtime::CurrentThread => tokio::runtime::Builder::new_current_thread(),
                    Runtime::MultiThread => tokio::runtime::Builder::new_multi_thread(),
                };
                let ended = match builder.enable_all().thread_name(named).build() {
                    Ok(runtime) => runtime.block_on(Self::run(component, wasi)),
                    Err(error) => Err(format!("no tokio runtime: {error}")),
                };
                let _ = exit_sender.send(ended);
            })
            .expect("a thread for the guest");
        PlainRun::new(description, threads, reader, stderr, exit)
    }

    /// Instantiates and runs the command; its exit code, or the trap.
    async fn run(component: Component, wasi: WasiCtx) -> Result<i32, String> {
        let engine = Self::engine();
        let mut linker = Linker::<PlainState>::new(engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker).map_err(|e| format!("{e:?}"))?;
        let mut store = Store::new(
            engine,
            PlainState {
                wasi,
                table: ResourceTable::new(),
            },
        );
        let command = WasiCommand::instantiate_async(&mut store, &component, &linker)
            .await
            .map_err(|e| format!("instantiating: {e:?}"))?;
        match command.wasi_cli_run().call_run(&mut store).await {
            Ok(Ok(())) => Ok(0),
            Ok(Err(())) => Ok(1),
            Err(error) => match error.downcast_ref::<I32Exit>() {
                Some(exit) => Ok(exit.0),
                None => Err(format!("trapped: {error:?}")),
            },
        }
    }
}

/// The tokio runtime a [`PlainHost`] runs its guest on.
#[derive(Clone, Copy, Debug)]
enum Runtime {
    /// One thread: the reactor notices readiness only when the guest
    /// waits in the host.
    CurrentThread,
    /// Worker threads, as wasmtime-wasi's own runtime for synchronous
    /// embeddings has (`wasmtime_wasi::runtime`): the reactor also runs while
    /// the guest computes, so a guest that checks readiness in a loop
    /// (`receive-ready`) without waiting sees data arrive.
    MultiThread,
}

/// A guest running under the [`PlainHost`], its stdout read line by line.
struct PlainRun {
    description: String,
    /// The name of every thread of this run.
    threads: String,
    lines: mpsc::Receiver<String>,
    stdout: Arc<Mutex<Vec<u8>>>,
    stderr: MemoryOutputPipe,
    /// The exit code, or why the guest did not finish (a trap).
    exit: mpsc::Receiver<Result<i32, String>>,
    reader: Option<thread::JoinHandle<()>>,
}

impl PlainRun {
    fn new(
        description: String,
        threads: String,
        pipe: std::io::PipeReader,
        stderr: MemoryOutputPipe,
        exit: mpsc::Receiver<Result<i32, String>>,
    ) -> PlainRun {
        let stdout = Arc::new(Mutex::new(Vec::new()));
        let (sender, lines) = mpsc::channel();
        let collected = Arc::clone(&stdout);
        let reader = thread::spawn(move || {
            let mut pipe = BufReader::new(pipe);
            let mut line = Vec::new();
            while let Ok(n) = pipe.read_until(b'\n', &mut line) {
                if n == 0 {
                    break;
                }
                collected
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner())
                    .extend_from_slice(&line);
                let _ = sender.send(String::from_utf8_lossy(&line).trim_end().to_owned());
                line.clear();
            }
        });
        PlainRun {
            description,
            threads,
            lines,
            stdout,
            stderr,
            exit,
            reader: Some(reader),
        }
    }

    /// Waits for the guest's `listening on ADDR` line and returns ADDR.
    fn wait_for_listening(&mut self, timeout: Duration) -> SocketAddr {
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    if let Some(address) = line.strip_prefix("listening on ") {
                        return address.trim().parse().unwrap_or_else(|error| {
                            panic!("{}: bad address in {line:?}: {error}", self.description)
                        });
                    }
                }
                Err(_) => panic!(
                    "{}: no `listening on` line within {timeout:?}\n{}",
                    self.description,
                    output_text(&self.output_so_far(None))
                ),
            }
        }
    }

    /// Waits for the guest to end by itself and returns what it printed.
    fn wait(mut self, timeout: Duration) -> Output {
        match self.exit.recv_timeout(timeout) {
            Ok(ended) => {
                if let Some(reader) = self.reader.take() {
                    let _ = reader.join();
                }
                match ended {
                    Ok(code) => self.output_so_far(Some(code)),
                    Err(trap) => {
                        let mut output = self.output_so_far(Some(134));
                        output.stderr.extend_from_slice(trap.as_bytes());
                        output
                    }
                }
            }
            Err(_) => panic!(
                "{}: still running after {timeout:?}\n{}",
                self.description,
                output_text(&self.output_so_far(None))
            ),
        }
    }

    /// The CPU time the run's threads (the guest's and its runtime's)
    /// have used so far, from `/proc/self/task/*/stat`.
    fn cpu_time(&self) -> Duration {
        scale::cpu_time_of_threads(&self.threads)
    }

    fn output_so_far(&self, code: Option<i32>) -> Output {
        Output {
            // A wait status: the exit code in the second byte; -1 unknown.
            status: ExitStatus::from_raw(code.map_or(-1, |code| (code & 0xff) << 8)),
            stdout: self
                .stdout
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .clone(),
            stderr: self.stderr.contents().to_vec(),
        }
    }
}

/// Runs the adapted `name` under the plain host to its end.
fn run_plain(name: &str, args: &[String]) -> Output {
    PlainHost::spawn(&adapt(name), args).wait(TIMEOUT)
}

fn assert_succeeded(output: &Output, what: &str) {
    assert!(
        output.status.success(),
        "{what} failed\n{}",
        output_text(output)
    );
}

// Native peers.

/// A native TCP echo server for `connections` clients, one after another:
/// echoes until the client's end of stream, then closes.
fn native_echo_server(connections: usize) -> SocketAddr {
    let (listener, address) = listener();
    thread::spawn(move || {
        for _ in 0..connections {
            let Ok((mut stream, _)) = listener.accept() else {
                return;
            };
            let _ = stream.set_read_timeout(Some(IO_TIMEOUT));
            let mut data = Vec::new();
            if stream.read_to_end(&mut data).is_ok() {
                let _ = stream.write_all(&data);
            }
        }
    });
    address
}

/// A native HTTP/1.1 server answering `connections` GETs with `body`.
fn native_http_server(connections: usize, body: Arc<Vec<u8>>) -> SocketAddr {
    let (listener, address) = listener();
    thread::spawn(move || {
        for _ in 0..connections {
            let Ok((stream, _)) = listener.accept() else {
                return;
            };
            let _ = stream.set_read_timeout(Some(IO_TIMEOUT));
            let mut request = BufReader::new(&stream);
            let mut line = String::new();
            // The request line and headers, up to the empty line.
            for _ in 0..100 {
                line.clear();
                match request.read_line(&mut line) {
                    Ok(n) if n > 0 && line != "\r\n" => continue,
                    _ => break,
                }
            }
            let mut out = &stream;
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = out.write_all(head.as_bytes());
            let _ = out.write_all(&body);
        }
    });
    address
}

/// A native client of a TCP echo server: sends `message`, half-closes,
/// reads the echo to its end.
fn echo_through(address: SocketAddr, message: &[u8]) -> Vec<u8> {
    let mut stream = connect(address);
    stream.write_all(message).expect("send");
    stream.shutdown(Shutdown::Write).expect("half-close");
    let mut echo = Vec::new();
    stream.read_to_end(&mut echo).expect("the echo");
    echo
}

/// `listening on ADDR` lines name whatever port the OS gave: the same
/// output from two runs differs only there.
fn without_addresses(text: &str, addresses: &[SocketAddr]) -> String {
    let mut text = text.to_owned();
    for address in addresses {
        text = text.replace(&address.to_string(), "ADDR");
    }
    text
}

/// The server example `name` with `ADDR 3` (port 0 on 127.0.0.1, three
/// clients), under `wasock run` with host `flags` and adapted under the
/// plain host, each served by `serve` at the address it listens on: both
/// exit 0 and print the same but for that address.
fn serves_as_under_wasock(name: &str, flags: &[&str], serve: impl Fn(SocketAddr)) {
    let args = ["127.0.0.1:0".to_owned(), "3".to_owned()];
    let mut server = Wasock::new(WASOCK, guest(name))
        .flags(flags)
        .args(&args)
        .spawn();
    let wasock_address = server.wait_for_listening(TIMEOUT);
    serve(wasock_address);
    let under_wasock = server.wait(TIMEOUT);
    assert_succeeded(&under_wasock, &format!("{name} under wasock run"));

    let mut adapted = PlainHost::spawn(&adapt(name), &args);
    let adapted_address = adapted.wait_for_listening(TIMEOUT);
    serve(adapted_address);
    let adapted = adapted.wait(TIMEOUT);
    assert_succeeded(&adapted, &format!("{name} adapted"));
    assert_eq!(
        without_addresses(&stdout(&adapted), &[adapted_address]),
        without_addresses(&stdout(&under_wasock), &[wasock_address]),
    );
}

// `wasock adapt` itself.

/// The example programs (`examples/src/bin/*.rs`).
fn examples() -> Vec<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/src/bin");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .expect("examples/src/bin")
        .flatten()
        .filter_map(|entry| {
            let path = entry.path();
            (path.extension()? == "rs").then(|| path.file_stem()?.to_str().map(str::to_owned))?
        })
        .collect();
    names.sort();
    names
}

/// Every example adapts, and what comes out imports only `wasi:*` (and
/// `wasi:io/poll` once: the guest and the adapter share it).
#[test]
fn every_example_adapts_to_wasi_imports_only() {
    let names = examples();
    assert!(names.len() >= 6, "examples found: {names:?}");
    for name in names {
        let adapted = std::fs::read(adapt(&name)).expect("the adapted component");
        let imports = wasock_host::adapt::imports(&adapted).expect("a component");
        assert!(
            imports.iter().all(|import| import.starts_with("wasi:")),
            "{name}: {imports:?}"
        );
        let polls = imports
            .iter()
            .filter(|import| import.starts_with("wasi:io/poll@"))
            .count();
        assert_eq!(polls, 1, "{name}: {imports:?}");
        assert!(
            imports
                .iter()
                .any(|import| import.starts_with("wasi:sockets/tcp@")),
            "{name}: {imports:?}"
        );
    }
}

/// A WASI 0.3 guest (it exports `wasi:cli/run@0.3.0`) on the SDK's
/// blocking API, `wasock:socket@0.1.0`, adapts as a 0.2 one does: what
/// comes out imports only `wasi:*`, and exports the 0.3 `run` still.
#[test]
fn a_wasi_03_guest_on_the_blocking_api_adapts() {
    let original = std::fs::read(guest("p3_sandbox")).expect("the guest");
    let before = wasock_host::adapt::imports(&original).expect("a component");
    assert!(
        before
            .iter()
            .any(|import| import.ends_with("@0.1.0") && import.starts_with("wasock:socket/")),
        "p3_sandbox should import wasock:socket@0.1.0: {before:?}"
    );
    let adapted = std::fs::read(adapt("p3_sandbox")).expect("the adapted component");
    let imports = wasock_host::adapt::imports(&adapted).expect("a component");
    assert!(
        imports.iter().all(|import| import.starts_with("wasi:")),
        "{imports:?}"
    );
    assert!(
        imports
            .iter()
            .any(|import| import.starts_with("wasi:sockets/tcp@0.2")),
        "the adapter's wasi:sockets 0.2: {imports:?}"
    );
    let exports = wasock_host::adapt::exports(&adapted).expect("a component");
    assert!(
        exports.iter().any(|name| name == "wasi:cli/run@0.3.0"),
        "{exports:?}"
    );
}

/// A component whose one import (an empty instance) is named `name`:
/// the smallest file `wasock adapt` reads far enough to quote the name.
fn component_importing(name: &[u8]) -> Vec<u8> {
    fn leb(mut n: usize, out: &mut Vec<u8>) {
        loop {
            let byte = (n & 0x7f) as u8;
            n >>= 7;
            out.push(if n == 0 { byte } else { byte | 0x80 });
            if n == 0 {
                return;
            }
        }
    }
    fn section(id: u8, body: &[u8], out: &mut Vec<u8>) {
        out.push(id);
        leb(body.len(), out);
        out.extend_from_slice(body);
    }
    let mut file = b"\0asm\x0d\x00\x01\x00".to_vec();
    // One type: an instance with no exports.
    section(7, &[0x01, 0x42, 0x00], &mut file);
    let mut import = vec![0x01, 0x00];
    leb(name.len(), &mut import);
    import.extend_from_slice(name);
    import.extend_from_slice(&[0x05, 0x00]);
    section(10, &import, &mut file);
    file
}

/// What cannot be adapted is refused with a clear message and exit 1: a
/// file that is no component, a component with no wasock imports (a guest
/// on `std::net` alone), and a component whose import name would forge a
/// host line (a newline, a terminal escape, a line separator), which the
/// message quotes escaped, on one line.
#[test]
fn adapt_refuses_what_it_cannot_adapt() {
    // This process's own: another test process writing the same files
    // would have this one read them half written.
    let dir = TempDir::new("adapt-refused");
    let text = dir.join("not-a-component.wasm");
    std::fs::write(&text, "hello").expect("a scratch file");
    let forged = dir.join("forged-name.wasm");
    std::fs::write(
        &forged,
        component_importing(
            "url=X\nwasock: denied connect 192.0.2.1:22: forged\u{1b}[31m\u{2028}wasock: x"
                .as_bytes(),
        ),
    )
    .expect("a scratch file");
    for (input, expected) in [
        (text.clone(), "not a WebAssembly component"),
        (
            PathBuf::from(guest("bench_std_echo_server")),
            "imports no wasock:socket interface",
        ),
        (forged.clone(), "not a WebAssembly component"),
    ] {
        let out = dir.join("refused.wasm");
        let output = Command::new(WASOCK)
            .arg("adapt")
            .arg(&input)
            .arg("-o")
            .arg(&out)
            .output()
            .expect("running wasock adapt");
        assert_eq!(output.status.code(), Some(1), "{}", output_text(&output));
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(expected), "{}", output_text(&output));
        assert_eq!(stderr.lines().count(), 1, "one line: {stderr:?}");
        assert!(
            !stderr.contains(['\u{1b}', '\u{2028}']),
            "raw component text: {stderr:?}"
        );
        assert!(!out.exists(), "nothing is written on failure");
    }
}

// The examples, adapted, under the plain host.

/// `echo-client` adapted: resolves (numeric), connects, sends, half-closes
/// and prints the echo, as under `wasock run`.
#[test]
fn echo_client_adapted_prints_what_it_prints_under_wasock() {
    let message = "hello from an adapted guest";
    let address = native_echo_server(2);
    let under_wasock = Wasock::new(WASOCK, guest("echo-client"))
        .flag("--allow-dns")
        .flag("--allow-connect")
        .flag(address.to_string())
        .arg(address.to_string())
        .arg(message)
        .run(TIMEOUT);
    assert_succeeded(&under_wasock, "echo-client under wasock run");
    let adapted = run_plain("echo-client", &[address.to_string(), message.to_owned()]);
    assert_succeeded(&adapted, "echo-client adapted");
    assert_eq!(stdout(&adapted), format!("{message}\n"));
    assert_eq!(stdout(&adapted), stdout(&under_wasock));
}

/// `echo-server` adapted: binds port 0, serves three native clients (two
/// of them connected at once, so its poll loop waits on several sockets),
/// and exits after them, as under `wasock run`.
#[test]
fn echo_server_adapted_serves_native_clients() {
    let serve = |address: SocketAddr| {
        // Two connections open at once: the idle one must not hold up the
        // other.
        let mut idle = connect(address);
        let big: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        assert_eq!(echo_through(address, &big), big, "the big echo");
        idle.write_all(b"late").expect("send");
        idle.shutdown(Shutdown::Write).expect("half-close");
        let mut echo = Vec::new();
        idle.read_to_end(&mut echo).expect("the echo");
        assert_eq!(echo, b"late");
        assert_eq!(echo_through(address, b"third"), b"third");
    };
    serves_as_under_wasock("echo-server", &["--allow-bind", "127.0.0.1:0"], serve);
}

/// `udp-echo` adapted: binds port 0 and sends each datagram back to its
/// sender, as under `wasock run`.
#[test]
fn udp_echo_adapted_echoes_native_datagrams() {
    let serve = |address: SocketAddr| {
        let client = UdpSocket::bind("127.0.0.1:0").expect("a native UDP socket");
        client
            .set_read_timeout(Some(IO_TIMEOUT))
            .expect("read timeout");
        for message in [&b"one"[..], &[7u8; 1200], b"three"] {
            client.send_to(message, address).expect("send");
            let mut echo = [0u8; 2048];
            let (length, from) = client.recv_from(&mut echo).expect("the echo");
            assert_eq!(&echo[..length], message);
            assert_eq!(from, address);
        }
    };
    serves_as_under_wasock(
        "udp-echo",
        &[
            "--allow-bind",
            "127.0.0.1:0",
            "--allow-connect",
            "127.0.0.1:*",
        ],
        serve,
    );
}

/// `http-get` adapted: a GET through the buffered ports against a native
/// server, a body of several hundred KiB, byte for byte as under
/// `wasock run`.
#[test]
fn http_get_adapted_fetches_the_body() {
    let body: Arc<Vec<u8>> = Arc::new(
        (0..300_000u32)
            .map(|i| b"abcdefghijklmnopqrstuvwxyz\n"[(i % 27) as usize])
            .collect(),
    );
    let address = native_http_server(2, Arc::clone(&body));
    let url = format!("http://{address}/index.html");
    let under_wasock = Wasock::new(WASOCK, guest("http-get"))
        .flag("--allow-dns")
        .flag("--allow-connect")
        .flag(address.to_string())
        .arg(&url)
        .run(TIMEOUT);
    assert_succeeded(&under_wasock, "http-get under wasock run");
    let adapted = run_plain("http-get", std::slice::from_ref(&url));
    assert_succeeded(&adapted, "http-get adapted");
    assert!(adapted.stdout == *body, "the body differs");
    assert!(adapted.stdout == under_wasock.stdout);
}

// The contract through the adapter.

/// What `wasi:sockets` cannot do answers class `unsupported` with a code
/// that says what (never a trap), beside what it can do.
#[test]
fn what_wasi_sockets_lacks_is_unsupported() {
    let (_listener, address) = listener();
    let output = run_plain(
        "adapter_unsupported",
        &[address.to_string(), closed_address().to_string()],
    );
    assert_succeeded(&output, "adapter_unsupported adapted");
    let expected = "\
unix socket: unsupported/address-family-not-supported
raw socket: unsupported/socket-type-not-supported
name-information: unsupported/operation-not-supported
name-information numeric: ok (\"127.0.0.1\", Port(80))
name-information namereqd: unsupported/operation-not-supported
service name: unsupported/service-not-found
canonical name: unsupported/operation-not-supported
numeric address-information: ok 1
listeners: unsupported/operation-not-supported
socket: Inet Stream 0
connect refused: transient/connection-refused
connect again: ok ()
peek: unsupported/operation-not-supported
receive oob: unsupported/operation-not-supported
send oob: unsupported/operation-not-supported
tcp-no-delay: unsupported/option-not-supported
so-debug?: unsupported/option-not-supported
so-dont-route?: unsupported/option-not-supported
so-broadcast?: unsupported/option-not-supported
so-oob-inline?: unsupported/option-not-supported
so-send-low-water: unsupported/option-not-supported
so-receive-low-water: unsupported/option-not-supported
tcp-no-push?: unsupported/option-not-supported
tcp-no-options?: unsupported/option-not-supported
tcp-max-segment-size: unsupported/option-not-supported
ip-header-included?: unsupported/option-not-supported
ip-type-of-service: unsupported/option-not-supported
so-error: ok true
peer-name: ok true
low-level so/debug: unsupported/option-not-supported
so-keep-alive: ok ()
so-keep-alive?: ok true
ip-time-to-live: ok ()
ip-time-to-live?: ok 64
so-reuse-address?: ok true
so-reuse-address off: unsupported/option-not-supported
so-linger: unsupported/option-not-supported
ipv6-v6-only? on inet: unsupported/option-not-supported
so-accept-connections?: ok false
so-type: ok Stream
so-send-buffer: ok true
so-receive-buffer: ok true
tcp-keep-alive: ok 30s
low-level so/keepalive: ok 1
low-level set so/type: unsupported/option-not-supported
low-level so/rcvtimeo: ok true
nothing to receive: transient/would-block
after close: fatal/closed
datagram shutdown: unsupported/operation-not-supported
ipv6-v6-only?: ok true
ipv6-v6-only off: unsupported/option-not-supported
ip-time-to-live? on inet6: unsupported/option-not-supported
done
";
    assert_eq!(stdout(&output), expected, "{}", output_text(&output));
}

/// Per-call, per-socket and program-wide receive timeouts and the accept
/// timeout fire with class timeout through the adapter (`wasi:clocks` and
/// `wasi:io/poll`), as on the host (the SDK's own timeout guest).
#[test]
fn timeouts_fire_with_class_timeout_through_the_adapter() {
    let (_silent, address) = listener();
    let output = run_plain("sdk_timeouts", &[address.to_string()]);
    assert_succeeded(&output, "sdk_timeouts adapted");
    assert!(
        stdout(&output).contains("sdk_timeouts: ok"),
        "{}",
        output_text(&output)
    );
}

/// The spec's send timeout (the socket's own, then the program's default,
/// 300 ms) fires with class timeout through the adapter against a native
/// peer that never reads: the output stream stops taking data and the wait
/// for it ends at the deadline. And the guest ends: dropping a connection
/// whose peer never reads does not wait for it (as `close(2)` does not).
#[test]
fn send_timeout_fires_through_the_adapter() {
    let (listener, address) = small_buffer_listener(4);
    // Accepts and holds the connections, never reading, until told to stop
    // (bounded by the deadline).
    let (stop, holder) = hold_connections(listener);
    let output = run_plain("spec_timeouts", &["send".to_owned(), address.to_string()]);
    let _ = stop.send(());
    let held = holder.join().expect("the holder");
    assert_succeeded(&output, "spec_timeouts send adapted");
    assert_eq!(held.len(), 2, "{}", output_text(&output));
    let text = stdout(&output);
    for case in ["send socket default: ", "send program default: "] {
        let line = text
            .lines()
            .find_map(|line| line.strip_prefix(case))
            .unwrap_or_else(|| panic!("no {case:?} line\n{}", output_text(&output)));
        assert!(
            line.starts_with("timeout/timed-out after "),
            "{case}{line}\n{}",
            output_text(&output)
        );
    }
}

/// The spec's connect timeout (the socket's own, then the program's
/// default, 500 ms) fires with class timeout through the adapter against a
/// native listener whose backlog is full. Skips, saying so, where this
/// machine does not drop SYNs to a full queue.
#[test]
fn connect_timeout_fires_through_the_adapter() {
    let Some(backlog) = wasock_tests::full_backlog(1) else {
        eprintln!(
            "SKIPPED adapter::connect_timeout_fires_through_the_adapter: 64 connections fitted in a backlog-1 queue (this machine does not drop SYNs)"
        );
        return;
    };
    let output = run_plain(
        "spec_timeouts",
        &["connect".to_owned(), backlog.address.to_string()],
    );
    assert_succeeded(&output, "spec_timeouts connect adapted");
    let text = stdout(&output);
    for case in ["connect socket default: ", "connect program default: "] {
        let line = text
            .lines()
            .find_map(|line| line.strip_prefix(case))
            .unwrap_or_else(|| panic!("no {case:?} line\n{}", output_text(&output)));
        if line == "ok" {
            eprintln!("SKIPPED {case}the connect succeeded (the queue had room again)");
        } else {
            assert!(
                line.starts_with("timeout/timed-out"),
                "{case}{line}\n{}",
                output_text(&output)
            );
        }
    }
    drop(backlog);
}

/// `async-echo-server` adapted (tasks on the SDK's executor, its reactor
/// an edge-triggered `poll-set` the adapter emulates over `wasi:io/poll`):
/// three native clients at once, each echoed in turn for twenty rounds
/// while the others stay connected and idle, then a large echo; the
/// server exits by itself after the last.
#[test]
fn async_echo_server_adapted_serves_native_clients() {
    let mut server = PlainHost::spawn(
        &adapt("async-echo-server"),
        &["127.0.0.1:0".to_owned(), "4".to_owned()],
    );
    let address = server.wait_for_listening(TIMEOUT);
    let mut clients: Vec<TcpStream> = (0..3).map(|_| connect(address)).collect();
    echo_in_rounds(&mut clients, || output_text(&server.output_so_far(None)));
    let big: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
    assert_eq!(echo_through(address, &big), big, "the big echo");
    drop(clients);
    let output = server.wait(TIMEOUT);
    assert_succeeded(&output, "async-echo-server adapted");
}

/// `async-echo-server` adapted serves two clients while a third never
/// reads its echoes: the task sending to it waits for room (an
/// edge-triggered writable re-armed by its would-block send) while the
/// others' tasks run; once the third reads, every byte comes back; the
/// server exits after the three.
#[test]
fn async_echo_server_adapted_serves_others_while_one_client_never_reads() {
    let mut server = PlainHost::spawn(
        &adapt("async-echo-server"),
        &["127.0.0.1:0".to_owned(), "3".to_owned()],
    );
    let address = server.wait_for_listening(TIMEOUT);
    one_never_reads_the_others_are_served("async-echo-server adapted", address);
    let output = server.wait(TIMEOUT);
    assert_succeeded(&output, "async-echo-server adapted");
}

/// A wasock async socket awaited inside `wstd::runtime::block_on`, adapted:
/// the SDK's reactor is driven from wstd's through the poll set's
/// `subscribe` pollable (as `poll_and_ports::async_socket_runs_under_wstd_block_on`).
#[test]
fn async_socket_adapted_runs_under_wstd_block_on() {
    let echo = native_echo();
    let output = run_plain("poll_set_wstd", &[echo.to_string()]);
    assert_succeeded(&output, "poll_set_wstd adapted");
    assert!(
        stdout(&output).contains("ok wstd"),
        "{}",
        output_text(&output)
    );
}

/// `Subscription` / `wait_any` over the thread's edge-triggered set keep
/// `poll(2)`'s level-triggered contract through the adapter too (as
/// `poll_and_ports::subscriptions_and_wait_any_are_level_triggered`).
#[test]
fn subscriptions_and_wait_any_adapted_are_level_triggered() {
    let peer = scripted_peer(2);
    let output = run_plain("poll_set_subscriptions", &[peer.to_string()]);
    assert_succeeded(&output, "poll_set_subscriptions adapted");
    assert!(
        stdout(&output).contains("ok subscriptions"),
        "{}",
        output_text(&output)
    );
}

/// The async SDK adapted, under its own executor: `connect_any` past a
/// refused address, `futures-io` writes and `read_line`, a per-call
/// `timeout` against a silent peer, UDP `send_to` / `receive_from`, and
/// spawned tasks sleeping side by side (as
/// `poll_and_ports::async_sockets_timeouts_datagrams_and_tasks_under_block_on`).
#[test]
fn async_sockets_timeouts_datagrams_and_tasks_through_the_adapter() {
    let peers = async_peers();
    let output = run_plain("poll_set_async", &peers.args);
    drop(peers);
    assert_succeeded(&output, "poll_set_async adapted");
    assert_ok_lines(&output, &["connect-any", "timeout", "datagram", "tasks"]);
}

/// The poll set's refusals and bounds through the adapter, as under
/// `wasock run` (`poll_and_ports::refusals_max_events_fresh_hang_up_and_closed`):
/// add twice, a socket not in the set, `max-events` 1 (the rest in turn),
/// a fresh stream socket hung up, a closed socket.
#[test]
fn poll_set_refusals_through_the_adapter() {
    let output = run_plain("poll_set_errors", &[]);
    assert_succeeded(&output, "poll_set_errors adapted");
    assert_ok_lines(&output, ERRORS_CHECKS);
}

/// The `poll-set` semantics guest adapted, against the scripted native
/// peer of `poll_and_ports::level_edge_zero_timeout_timer_hang_up_removal_and_bounds`:
/// level, edge (new data is a new edge, reported once), zero timeout,
/// the set's pollable with a timer, hang-up and removal behave as on the
/// host, and so does the limit of 64 sets; the limit of registrations
/// (twice `--max-sockets`) does not exist in the adapter, which knows no
/// socket limit, so the guest's `bounds` check stops there.
#[test]
fn poll_set_semantics_through_the_adapter() {
    let peer = scripted_peer(2);
    // The guest checks `receive-ready` in a loop without waiting in the
    // host (its `zero-timeout` check), which only a runtime whose reactor
    // runs meanwhile can answer.
    let output = PlainHost::spawn_on(
        &adapt("poll_set_semantics"),
        &[peer.to_string()],
        Runtime::MultiThread,
    )
    .wait(TIMEOUT);
    assert_ok_lines(&output, SEMANTICS_CHECKS);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("bounds: a ninth registration gave Ok(())"),
        "{}",
        output_text(&output)
    );
}

/// The SDK's `Poller` over adapted sockets: a wait with nothing ready
/// times out (a socket pollable and a timer in one `poll`), then three
/// clients are served, the last first, from one thread.
#[test]
fn poller_mixes_adapted_sockets_and_timers() {
    let mut server = PlainHost::spawn(&adapt("sdk_poll"), &["3".to_owned()]);
    let address = server.wait_for_listening(TIMEOUT);
    let mut clients: Vec<TcpStream> = (0..3).map(|_| connect(address)).collect();
    if let Err(failed) = hello_in_turn(&mut clients) {
        drop(clients);
        let output = server.wait(TIMEOUT);
        panic!("{failed}\n{}", output_text(&output));
    }
    drop(clients);
    let output = server.wait(TIMEOUT);
    assert_succeeded(&output, "sdk_poll adapted");
    assert!(
        stdout(&output).contains("sdk_poll: ok, served 3 clients"),
        "{}",
        output_text(&output)
    );
}

/// Datagram truncation through the adapter, through every receive the
/// spec's own truncation guest makes: a 100-byte datagram received with
/// length 10 gives its first 10 bytes and `truncated`, with the sender's
/// address; 5 bytes with length 10 are whole; `receive_from_into` with a
/// 10-byte buffer and a port reader with a 10-byte buffer report the cut
/// the same way.
#[test]
fn datagram_truncation_through_the_adapter() {
    let mut running = PlainHost::spawn(&adapt("spec_datagram"), &[]);
    let address = running.wait_for_listening(TIMEOUT);
    let sender = UdpSocket::bind("127.0.0.1:0").expect("a native UDP socket");
    let long: Vec<u8> = (0u8..100).collect();
    // What the guest reads, in order: long, short (receive_from), long
    // (receive_from_into), long, short (the port reader).
    for datagram in [&long[..], b"short", &long[..], &long[..], b"short"] {
        let sent = sender.send_to(datagram, address).expect("send");
        assert_eq!(sent, datagram.len());
    }
    let output = running.wait(TIMEOUT);
    assert_succeeded(&output, "spec_datagram adapted");
    let from = sender.local_addr().expect("the sender's address");
    let text = stdout(&output);
    for line in [
        format!("long: 10 bytes truncated=true from {from}"),
        "short: 5 bytes truncated=false".to_owned(),
        format!("into: 10 bytes truncated=true from {from}"),
        "port long: 10 bytes truncated=true".to_owned(),
        "port short: 5 bytes truncated=false".to_owned(),
        "spec_datagram: ok".to_owned(),
    ] {
        assert!(
            text.lines().any(|l| l == line),
            "no {line:?}\n{}",
            output_text(&output)
        );
    }
}

/// The constants an adapted guest sees are the host's, number for number.
#[test]
fn constants_are_the_hosts() {
    let under_wasock = Wasock::new(WASOCK, guest("spec_constants")).run(TIMEOUT);
    assert_succeeded(&under_wasock, "spec_constants under wasock run");
    let adapted = run_plain("spec_constants", &[]);
    assert_succeeded(&adapted, "spec_constants adapted");
    assert_eq!(stdout(&adapted), stdout(&under_wasock));
}

/// A refused connect is class transient through the adapter, as the spec
/// and the host have it (the `wasi:sockets` error code mapped onto the
/// contract's classes).
#[test]
fn a_refused_connect_is_transient_through_the_adapter() {
    let refused = closed_address();
    let output = run_plain("echo-client", &[refused.to_string(), "x".to_owned()]);
    assert_eq!(output.status.code(), Some(1), "{}", output_text(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("connection-refused, transient error"),
        "{}",
        output_text(&output)
    );
}
