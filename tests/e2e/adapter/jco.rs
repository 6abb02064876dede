//! Adapted guests under jco (`jco run`, node's WASI 0.2 host), a second
//! stock host beside the plain wasmtime one: the echo servers hold a
//! thousand connections and use no CPU while idle, and `echo-client`'s
//! half-close works although jco's `shutdown` ends reads too.
//!
//! jco is installed into `tests/jco/node_modules` by `.ci/install-jco.sh`;
//! without it these tests print a `SKIPPED` line and pass.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use wasock_tests::skip;

use super::scale::{CONNECTIONS, descriptors_for, echo_on_every_connection};
use super::{adapt, native_echo_server};
use crate::common::TIMEOUT;

/// jco as `.ci/install-jco.sh` installs it, if it is there.
fn jco() -> Option<PathBuf> {
    let jco = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/jco/node_modules/.bin/jco");
    jco.exists().then_some(jco)
}

/// How long jco may take to translate and start a component.
const START: Duration = Duration::from_secs(120);

/// The CPU time a server may use in [`IDLE_WATCH`] with every client
/// connected and silent.
const IDLE_WATCH: Duration = Duration::from_secs(2);
const IDLE_CPU: Duration = Duration::from_millis(200);

/// An adapted guest under `jco run`, in a process group of its own (jco
/// runs the guest in a child node process), its stdout read line by line.
struct JcoRun {
    child: Child,
    lines: mpsc::Receiver<String>,
    _dir: wasock_tests::TempDir,
}

impl JcoRun {
    fn spawn(jco: &Path, name: &str, args: &[String]) -> JcoRun {
        let dir = wasock_tests::TempDir::new("jco-run");
        let mut child = Command::new(jco)
            .arg("run")
            .arg("--jco-dir")
            .arg(dir.join("out"))
            .arg(adapt(name))
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .process_group(0)
            .spawn()
            .expect("running jco");
        let stdout = child.stdout.take().expect("jco's stdout");
        let (sender, lines) = mpsc::channel();
        thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if sender.send(line).is_err() {
                    break;
                }
            }
        });
        JcoRun {
            child,
            lines,
            _dir: dir,
        }
    }

    fn wait_for_listening(&self) -> SocketAddr {
        let deadline = Instant::now() + START;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    if let Some(address) = line.strip_prefix("listening on ") {
                        return address.trim().parse().expect("the address listened on");
                    }
                }
                Err(_) => panic!("jco: no `listening on` line within {START:?}"),
            }
        }
    }

    /// The CPU time so far of jco's processes (its own and the node
    /// process that runs the guest), from `/proc`.
    fn cpu_time(&self) -> Duration {
        let mut pids = vec![self.child.id()];
        let mut ticks = 0u64;
        while let Some(pid) = pids.pop() {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
            if let Some((_, rest)) = stat.rsplit_once(')') {
                let fields: Vec<&str> = rest.split_whitespace().collect();
                for index in [11, 12] {
                    ticks += fields
                        .get(index)
                        .and_then(|field| field.parse::<u64>().ok())
                        .unwrap_or(0);
                }
            }
            let children = std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children"))
                .unwrap_or_default();
            pids.extend(
                children
                    .split_whitespace()
                    .filter_map(|p| p.parse::<u32>().ok()),
            );
        }
        // SAFETY: sysconf reads a configuration value.
        let per_second = u64::try_from(unsafe { libc::sysconf(libc::_SC_CLK_TCK) })
            .unwrap_or(100)
            .max(1);
        Duration::from_millis(ticks * 1000 / per_second)
    }

    /// Waits for jco to end by itself; false if it did not within
    /// `timeout`.
    fn ended_within(&mut self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return true;
            }
            thread::sleep(Duration::from_millis(50));
        }
        false
    }
}

impl Drop for JcoRun {
    /// Ends the process group this run started, if it is still there.
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait()
            && let Ok(group) = i32::try_from(self.child.id())
        {
            // SAFETY: kill sends a signal to the process group this run
            // created (process_group(0) made the child its leader).
            unsafe {
                libc::kill(-group, libc::SIGKILL);
            }
            let _ = self.child.wait();
        }
    }
}

/// The adapted echo server `name` under `jco run`: [`CONNECTIONS`] clients
/// at once, each echoed twice; idle with all connected, it uses at most
/// [`IDLE_CPU`] in [`IDLE_WATCH`]; it exits once they have gone.
fn holds_many_connections_under_jco(name: &str) {
    let test = format!("adapter::jco: {name} with {CONNECTIONS} connections");
    let Some(jco) = jco() else {
        skip(&test, "jco is not installed (run .ci/install-jco.sh)");
        return;
    };
    if let Err(why) = descriptors_for(CONNECTIONS + 512) {
        skip(&test, &why);
        return;
    }
    let mut server = JcoRun::spawn(
        &jco,
        name,
        &["127.0.0.1:0".to_owned(), CONNECTIONS.to_string()],
    );
    let address = server.wait_for_listening();
    let echoed = echo_on_every_connection(address, CONNECTIONS, 2)
        .unwrap_or_else(|failure| panic!("{test}: {failure}"));
    eprintln!(
        "{test}: connected in {:?}, rounds {:?}, a round trip {:?}",
        echoed.connecting, echoed.rounds, echoed.round_trip
    );
    let before = server.cpu_time();
    thread::sleep(IDLE_WATCH);
    let idle = server.cpu_time().saturating_sub(before);
    eprintln!("{test}: {idle:?} of CPU in {IDLE_WATCH:?} idle");
    assert!(
        idle <= IDLE_CPU,
        "{test}: idle, it used {idle:?} of CPU in {IDLE_WATCH:?}"
    );
    drop(echoed.clients);
    assert!(
        server.ended_within(TIMEOUT),
        "{test}: still running after its clients left"
    );
}

#[test]
fn echo_server_adapted_holds_a_thousand_connections_under_jco() {
    holds_many_connections_under_jco("echo-server");
}

#[test]
fn async_echo_server_adapted_holds_a_thousand_connections_under_jco() {
    holds_many_connections_under_jco("async-echo-server");
}

/// `echo-client` adapted under jco: it sends, shuts its write side down
/// and reads the echo to the end. jco's `shutdown` destroys the node
/// socket whatever it is asked (reads end too: before the adapter dropped
/// the output stream instead, the client printed "the server closed after
/// 0 of 13 bytes").
#[test]
fn echo_client_adapted_half_closes_under_jco() {
    let test = "adapter::jco: echo-client's half-close";
    let Some(jco) = jco() else {
        skip(test, "jco is not installed (run .ci/install-jco.sh)");
        return;
    };
    let server = native_echo_server(1);
    let mut client = JcoRun::spawn(
        &jco,
        "echo-client",
        &[server.to_string(), "hello, world!".to_owned()],
    );
    let line = client
        .lines
        .recv_timeout(START)
        .unwrap_or_else(|_| panic!("{test}: no echo within {START:?}"));
    assert_eq!(line, "hello, world!", "{test}");
    assert!(client.ended_within(TIMEOUT), "{test}: still running");
    assert_eq!(client.child.wait().ok().and_then(|s| s.code()), Some(0));
}
