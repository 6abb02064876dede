//! Adapted servers under load: many concurrent connections to the adapted
//! echo servers under the plain host, every one echoed, and an idle server
//! that does not spin.
//!
//! `wasi:io/poll` 0.2 takes the whole list of pollables on every call, so
//! an adapted guest's wait is O(registered) in the host whatever the
//! adapter does; what these tests hold the adapter to is that it neither
//! hangs, spins nor loses a byte as the connections grow (wasmtime's
//! runtime lets one task take at most 128 ready readinesses at a time),
//! and that an idle server costs no CPU.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::thread;
use std::time::{Duration, Instant};

use wasock_tests::{output_text, skip};

use super::{PlainHost, PlainRun, Runtime, adapt, assert_succeeded};
use crate::common::TIMEOUT;

/// How many connections the adapted echo servers hold at once.
pub(super) const CONNECTIONS: usize = 1000;

/// How long one connect, read or write of a client may take.
const CLIENT_TIMEOUT: Duration = Duration::from_secs(20);

/// How long the idle server is watched, and the CPU time it may use
/// meanwhile (a server that spins uses all of it).
const IDLE_WATCH: Duration = Duration::from_secs(2);
const IDLE_CPU: Duration = Duration::from_millis(200);

/// The CPU time (user and system) so far of this process's threads named
/// `name`, from `/proc/self/task/*/stat` (in clock ticks).
pub(super) fn cpu_time_of_threads(name: &str) -> Duration {
    // SAFETY: sysconf reads a configuration value.
    let ticks_per_second = u64::try_from(unsafe { libc::sysconf(libc::_SC_CLK_TCK) })
        .unwrap_or(100)
        .max(1);
    let mut ticks = 0u64;
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return Duration::ZERO;
    };
    for task in tasks.flatten() {
        let comm = std::fs::read_to_string(task.path().join("comm")).unwrap_or_default();
        if comm.trim_end() != name {
            continue;
        }
        let stat = std::fs::read_to_string(task.path().join("stat")).unwrap_or_default();
        // After the command's closing parenthesis: state is field 3,
        // utime and stime fields 14 and 15.
        let Some((_, rest)) = stat.rsplit_once(')') else {
            continue;
        };
        let fields: Vec<&str> = rest.split_whitespace().collect();
        for index in [11, 12] {
            ticks += fields
                .get(index)
                .and_then(|field| field.parse::<u64>().ok())
                .unwrap_or(0);
        }
    }
    Duration::from_millis(ticks * 1000 / ticks_per_second)
}

/// Raises this process's soft descriptor limit to the hard one (each
/// connection is two descriptors here, the host being in-process) and
/// says whether `needed` fit.
pub(super) fn descriptors_for(needed: usize) -> Result<(), String> {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit and setrlimit read and write the struct passed.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) != 0 {
            return Err("getrlimit failed".to_owned());
        }
        if limit.rlim_cur < limit.rlim_max {
            limit.rlim_cur = limit.rlim_max;
            libc::setrlimit(libc::RLIMIT_NOFILE, &limit);
            libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit);
        }
    }
    let soft = usize::try_from(limit.rlim_cur).unwrap_or(usize::MAX);
    if soft < needed {
        return Err(format!(
            "{needed} descriptors are needed and `ulimit -n` allows {soft} (hard limit {})",
            limit.rlim_max
        ));
    }
    Ok(())
}

/// What [`echo_on_every_connection`] measured.
#[derive(Debug)]
pub(super) struct Echoed {
    /// The clients, still connected.
    pub(super) clients: Vec<TcpStream>,
    /// How long connecting them all took.
    pub(super) connecting: Duration,
    /// How long each round (every client sends, then every echo is read)
    /// took.
    pub(super) rounds: Vec<Duration>,
    /// The mean of [`ROUND_TRIPS`] round trips of 64 bytes by one client
    /// after the rounds, the others connected and silent.
    pub(super) round_trip: Duration,
}

/// How many round trips [`Echoed::round_trip`] is the mean of.
const ROUND_TRIPS: u32 = 200;

/// The message of client `index` in `round`: its own bytes, so a byte
/// lost, doubled or crossed over to another connection shows.
fn message(round: usize, index: usize) -> Vec<u8> {
    format!(
        "round {round} client {index:04} {}\n",
        "x".repeat(index % 50)
    )
    .into_bytes()
}

/// Connects `count` clients to the echo server at `address` and holds them
/// all open; then, `rounds` times, each sends its own message and every
/// echo is read back and compared. The first failure, as text.
pub(super) fn echo_on_every_connection(
    address: SocketAddr,
    count: usize,
    rounds: usize,
) -> Result<Echoed, String> {
    let started = Instant::now();
    let mut clients = Vec::with_capacity(count);
    for index in 0..count {
        let client = TcpStream::connect_timeout(&address, CLIENT_TIMEOUT)
            .map_err(|error| format!("client {index} connecting: {error}"))?;
        client
            .set_read_timeout(Some(CLIENT_TIMEOUT))
            .and_then(|()| client.set_write_timeout(Some(CLIENT_TIMEOUT)))
            .map_err(|error| format!("client {index}: {error}"))?;
        clients.push(client);
    }
    let connecting = started.elapsed();
    let mut times = Vec::new();
    for round in 0..rounds {
        let started = Instant::now();
        for (index, client) in clients.iter_mut().enumerate() {
            client
                .write_all(&message(round, index))
                .map_err(|error| format!("round {round}: client {index} sending: {error}"))?;
        }
        for (index, client) in clients.iter_mut().enumerate() {
            let expected = message(round, index);
            let mut echo = vec![0u8; expected.len()];
            client.read_exact(&mut echo).map_err(|error| {
                format!(
                    "round {round}: the echo to client {index} of {count} \
                     (after {:?}): {error}",
                    started.elapsed()
                )
            })?;
            if echo != expected {
                return Err(format!(
                    "round {round}: client {index} got {:?}, sent {:?}",
                    String::from_utf8_lossy(&echo),
                    String::from_utf8_lossy(&expected)
                ));
            }
        }
        times.push(started.elapsed());
    }
    let started = Instant::now();
    let one = &mut clients[0];
    for trip in 0..ROUND_TRIPS {
        let mut echo = [0u8; 64];
        one.write_all(&[b'r'; 64])
            .and_then(|()| one.read_exact(&mut echo))
            .map_err(|error| format!("round trip {trip}: {error}"))?;
    }
    let round_trip = started.elapsed() / ROUND_TRIPS;
    Ok(Echoed {
        clients,
        connecting,
        rounds: times,
        round_trip,
    })
}

/// The adapted echo server `name` (with `ADDR CONNECTIONS`) under the
/// plain host on `runtime`: [`CONNECTIONS`] clients at once, each echoed
/// in two rounds; then, all connected and silent, the server uses at most
/// [`IDLE_CPU`] in [`IDLE_WATCH`]; then the clients close and the server
/// exits by itself.
fn holds_many_connections(name: &str, runtime: Runtime) {
    let test = format!("adapter::scale: {name} with {CONNECTIONS} connections");
    // Two descriptors a connection (the host is in this process), and
    // room for the other tests running beside this one.
    if let Err(why) = descriptors_for(2 * CONNECTIONS + 512) {
        skip(&test, &why);
        return;
    }
    let mut server = PlainHost::spawn_on(
        &adapt(name),
        &["127.0.0.1:0".to_owned(), CONNECTIONS.to_string()],
        runtime,
    );
    let address = server.wait_for_listening(TIMEOUT);
    let echoed = match echo_on_every_connection(address, CONNECTIONS, 2) {
        Ok(echoed) => echoed,
        Err(failure) => fail(server, &test, &failure),
    };
    eprintln!(
        "{test} on {runtime:?}: connected in {:?}, rounds {:?}, a round trip {:?}",
        echoed.connecting, echoed.rounds, echoed.round_trip
    );

    let before = server.cpu_time();
    thread::sleep(IDLE_WATCH);
    let idle = server.cpu_time().saturating_sub(before);
    eprintln!("{test} on {runtime:?}: {idle:?} of CPU in {IDLE_WATCH:?} idle");
    if idle > IDLE_CPU {
        fail(
            server,
            &test,
            &format!("idle, it used {idle:?} of CPU in {IDLE_WATCH:?}"),
        );
    }

    drop(echoed.clients);
    let output = server.wait(TIMEOUT);
    assert_succeeded(&output, &test);
}

/// Panics with `failure` and what the server printed, after stopping the
/// wait on it (the clients are gone, so it ends, or the panic says it hung).
fn fail(server: PlainRun, test: &str, failure: &str) -> ! {
    let so_far = output_text(&server.output_so_far(None));
    panic!("{test}: {failure}\n{so_far}");
}

/// `echo-server` adapted (a level-triggered `poll::Registry`, one thread)
/// holds a thousand connections on a multi-threaded runtime, as the
/// `wasmtime` CLI's: every one echoed twice, no CPU while idle.
#[test]
fn echo_server_adapted_holds_a_thousand_connections() {
    holds_many_connections("echo-server", Runtime::MultiThread);
}

/// `async-echo-server` adapted (a task per connection, an edge-triggered
/// reactor) holds a thousand connections likewise.
#[test]
fn async_echo_server_adapted_holds_a_thousand_connections() {
    holds_many_connections("async-echo-server", Runtime::MultiThread);
}

/// Both adapted echo servers hold a thousand connections on a
/// single-threaded runtime too, where the reactor runs only while the
/// guest waits.
#[test]
fn echo_servers_adapted_hold_a_thousand_connections_on_one_thread() {
    holds_many_connections("echo-server", Runtime::CurrentThread);
    holds_many_connections("async-echo-server", Runtime::CurrentThread);
}
