//! Reliability tests in-process, through the host library:
//!
//! - [`fds_return_to_baseline_after_trapping_guests`]: 1,000 guests open
//!   sockets, connect to a native listener, send, and trap mid-connection;
//!   the host's open descriptors (`/proc/self/fd`) return to their
//!   baseline.
//! - [`soak_echo_round_trips`]: one runner, many guests, each doing many
//!   echo round trips against a native echo server; every byte accounted
//!   for, no descriptor growth, a hard time limit. Reduced size by
//!   default; `WASOCK_SOAK_FULL=1` for 200 guests × 1,000 round trips.
//! - Regression tests for host bugs found by the hostile-guest tests.
//!
//! All traffic is on 127.0.0.1, ports from 0; every loop is bounded in
//! count and time. See RELIABILITY.md.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use wasock_host::error::ErrorCode;
use wasock_host::policy::Policy;
use wasock_host::run::{GuestConfig, Outcome, Runner, RunnerConfig};
use wasock_host::socket::{Family, Kind, Socket};
use wasock_tests::guest;

/// The tests count the whole process's descriptors, so they run one at a
/// time.
/// (An async mutex: the guard is held across the tests' awaits. It is not
/// poisoned when a test fails.)
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

async fn serial() -> tokio::sync::MutexGuard<'static, ()> {
    SERIAL.lock().await
}

/// The host process's open descriptors.
fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd")
        .expect("/proc/self/fd")
        .count()
}

/// Waits (bounded) for the descriptor count to come back to at most
/// `baseline`; returns the last count seen.
async fn settle_fds(baseline: usize, limit: Duration) -> usize {
    let start = Instant::now();
    loop {
        let now = open_fds();
        if now <= baseline || start.elapsed() > limit {
            return now;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn runner() -> Runner {
    Runner::new(RunnerConfig::default()).expect("runner")
}

/// A native listener that accepts connections and reads each to its end
/// (EOF or reset); counts the connections that ended.
async fn draining_listener() -> (SocketAddr, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("listener");
    let address = listener.local_addr().expect("address");
    let ended = Arc::new(AtomicUsize::new(0));
    let counter = ended.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut stream, _)) = listener.accept().await else {
                return;
            };
            let counter = counter.clone();
            tokio::spawn(async move {
                let mut buffer = [0u8; 4096];
                loop {
                    match tokio::time::timeout(Duration::from_secs(30), stream.read(&mut buffer))
                        .await
                    {
                        Ok(Ok(0)) | Ok(Err(_)) | Err(_) => break,
                        Ok(Ok(_)) => continue,
                    }
                }
                counter.fetch_add(1, Ordering::SeqCst);
            });
        }
    });
    (address, ended)
}

/// 1,000 guests (or `WASOCK_TRAP_GUESTS`) each open three sockets, connect
/// one to a native listener, send, bind another, and trap. Four run at a
/// time. Afterwards every connection was ended by the host (the listener
/// saw EOF or a reset on each) and the host's descriptors are back at the
/// baseline measured after a warm-up guest.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fds_return_to_baseline_after_trapping_guests() {
    let _serial = serial().await;
    let guests = env_usize("WASOCK_TRAP_GUESTS", 1000);
    let runner = runner();
    let (address, ended) = draining_listener().await;
    let component = std::path::PathBuf::from(guest("fault_trap_mid_connection"));
    let policy = Arc::new(
        Policy::new()
            .allow_connect(
                format!("127.0.0.1:{}", address.port())
                    .parse()
                    .expect("grant"),
            )
            .allow_bind("127.0.0.1:0".parse().expect("grant")),
    );
    let run_one = move |runner: Runner, policy: Arc<Policy>, component: std::path::PathBuf| async move {
        let (config, _out, err) = GuestConfig::new()
            .arg(address.to_string())
            .capture_output(4096);
        match runner
            .run(&component, config, policy)
            .await
            .expect("the guest starts")
        {
            Outcome::Trapped(_) => {}
            Outcome::Exited(code) => panic!(
                "the guest exited {code} instead of trapping: {}",
                String::from_utf8_lossy(&err.contents())
            ),
        }
    };

    // Warm-up: compiles the component, starts the runtime's threads.
    run_one(runner.clone(), policy.clone(), component.clone()).await;
    let warm_deadline = Instant::now() + Duration::from_secs(10);
    while ended.load(Ordering::SeqCst) < 1 && Instant::now() < warm_deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let baseline = open_fds();

    let start = Instant::now();
    let next = Arc::new(AtomicUsize::new(0));
    let mut workers = Vec::new();
    for _ in 0..4 {
        let (runner, policy, component, next) = (
            runner.clone(),
            policy.clone(),
            component.clone(),
            next.clone(),
        );
        workers.push(tokio::spawn(async move {
            while next.fetch_add(1, Ordering::SeqCst) < guests {
                run_one(runner.clone(), policy.clone(), component.clone()).await;
            }
        }));
    }
    for worker in workers {
        tokio::time::timeout(Duration::from_secs(300), worker)
            .await
            .expect("the guests finish within 300 s")
            .expect("a guest run panicked");
    }
    let elapsed = start.elapsed();

    let deadline = Instant::now() + Duration::from_secs(30);
    while ended.load(Ordering::SeqCst) < guests + 1 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(
        ended.load(Ordering::SeqCst),
        guests + 1,
        "the listener saw every trapped guest's connection end"
    );
    let after = settle_fds(baseline, Duration::from_secs(10)).await;
    eprintln!(
        "{guests} trapping guests in {elapsed:?}; descriptors: {baseline} before, {after} after"
    );
    assert!(
        after <= baseline,
        "descriptors leaked: {baseline} before {guests} trapping guests, {after} after"
    );
}

/// A native echo server: echoes every byte back; counts the bytes.
async fn echo_server() -> (SocketAddr, Arc<AtomicU64>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("listener");
    let address = listener.local_addr().expect("address");
    let echoed = Arc::new(AtomicU64::new(0));
    let counter = echoed.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut stream, _)) = listener.accept().await else {
                return;
            };
            let counter = counter.clone();
            tokio::spawn(async move {
                let mut buffer = vec![0u8; 16 * 1024];
                loop {
                    let n = match tokio::time::timeout(
                        Duration::from_secs(120),
                        stream.read(&mut buffer),
                    )
                    .await
                    {
                        Ok(Ok(n)) if n > 0 => n,
                        _ => break,
                    };
                    if stream.write_all(&buffer[..n]).await.is_err() {
                        break;
                    }
                    counter.fetch_add(n as u64, Ordering::SeqCst);
                }
            });
        }
    });
    (address, echoed)
}

/// The soak: `WASOCK_SOAK_FULL=1` runs 200 guests × 1,000 round trips
/// (the size) under a 120 s hard limit; by default 20 × 200.
/// All guests run at once in one runner against one native echo server.
/// Each guest checks every echoed byte and reports its total; the totals
/// must equal what the server echoed, and the descriptors come back to
/// the baseline.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn soak_echo_round_trips() {
    let _serial = serial().await;
    let full = std::env::var_os("WASOCK_SOAK_FULL").is_some_and(|v| v == "1");
    let (guests, rounds, limit) = if full {
        (200, 1000, 120)
    } else {
        (20, 200, 120)
    };
    let guests = env_usize("WASOCK_SOAK_GUESTS", guests);
    let rounds = env_usize("WASOCK_SOAK_ROUNDS", rounds);
    let runner = runner();
    let (address, echoed) = echo_server().await;
    let component = std::path::PathBuf::from(guest("fault_soak_echo"));
    let policy = Arc::new(
        Policy::new().allow_connect(
            format!("127.0.0.1:{}", address.port())
                .parse()
                .expect("grant"),
        ),
    );
    // Warm-up: one short guest (compiles the component and lets the
    // engine and runtime make their lazily created descriptors).
    let (config, out, _) = GuestConfig::new()
        .arg(address.to_string())
        .arg("1")
        .arg("1")
        .capture_output(4096);
    let warm = runner
        .run(&component, config, policy.clone())
        .await
        .expect("the soak guest starts");
    assert!(
        matches!(warm, Outcome::Exited(0)),
        "warm-up: {warm:?} {}",
        String::from_utf8_lossy(&out.contents())
    );
    tokio::time::sleep(Duration::from_millis(200)).await;
    let baseline = open_fds();
    let echoed_before = echoed.load(Ordering::SeqCst);

    let start = Instant::now();
    let mut runs = Vec::new();
    for seed in 0..guests {
        let (runner, policy, component) = (runner.clone(), policy.clone(), component.clone());
        runs.push(tokio::spawn(async move {
            let (config, out, err) = GuestConfig::new()
                .arg(address.to_string())
                .arg(rounds.to_string())
                .arg((seed as u64 * 7919 + 1).to_string())
                .capture_output(4096);
            let outcome = runner
                .run(&component, config, policy)
                .await
                .expect("the guest starts");
            let stdout = String::from_utf8_lossy(&out.contents()).into_owned();
            let stderr = String::from_utf8_lossy(&err.contents()).into_owned();
            match outcome {
                Outcome::Exited(0) => {}
                other => panic!("soak guest {seed} ended with {other:?}: {stdout}{stderr}"),
            }
            let line = stdout
                .lines()
                .find(|l| l.starts_with("soak ok"))
                .unwrap_or_else(|| panic!("guest {seed}: {stdout}"));
            let fields: Vec<u64> = line
                .split_whitespace()
                .skip(2)
                .filter_map(|f| f.parse().ok())
                .collect();
            assert_eq!(fields.len(), 2, "guest {seed}: {line}");
            assert_eq!(fields[0], rounds as u64, "guest {seed}: {line}");
            fields[1]
        }));
    }
    let mut sent = 0u64;
    let all = async {
        for run in runs {
            sent += run.await.expect("a soak guest failed");
        }
    };
    tokio::time::timeout(Duration::from_secs(limit), all)
        .await
        .unwrap_or_else(|_| panic!("the soak took longer than its {limit} s hard limit"));
    let elapsed = start.elapsed();
    // The server counts a chunk once written back; the guest has read it,
    // so the count is final.
    let server_echoed = echoed.load(Ordering::SeqCst) - echoed_before;
    assert_eq!(
        server_echoed, sent,
        "bytes echoed by the server vs bytes the guests sent and got back"
    );
    let after = settle_fds(baseline, Duration::from_secs(10)).await;
    eprintln!(
        "soak: {guests} guests x {rounds} round trips, {sent} bytes each way, in {elapsed:?} ({:.0} round trips/s); descriptors {baseline} before, {after} after",
        (guests * rounds) as f64 / elapsed.as_secs_f64()
    );
    assert!(
        after <= baseline,
        "descriptors grew: {baseline} before the soak, {after} after"
    );
}

/// Regression: a second `connect` on a connected stream succeeded.
/// Linux answers 0 to the first connect(2) after a non-blocking connect
/// completed (the host learns of completion from `SO_ERROR`), so the host
/// returned success where POSIX says `EISCONN`; it now fails with
/// `already-connected`, on a connected socket and on an accepted one. A
/// datagram socket may still connect again.
#[tokio::test]
async fn connect_twice_on_a_stream_is_already_connected() {
    let _serial = serial().await;
    let target = socket2::SockAddr::from("127.0.0.1:0".parse::<SocketAddr>().expect("address"));
    let mut listener = Socket::create(Family::Inet, Kind::Stream, 0).expect("socket");
    listener.bind(&target).expect("bind");
    listener.listen(4).expect("listen");
    let address = listener.local_address().expect("name");
    let mut client = Socket::create(Family::Inet, Kind::Stream, 0).expect("socket");
    client
        .connect(&address, Some(Duration::from_secs(10)))
        .await
        .expect("connect");
    let mut accepted = listener
        .accept(Some(Duration::from_secs(10)))
        .await
        .expect("accept");
    let again = client
        .connect(&address, Some(Duration::from_secs(10)))
        .await
        .expect_err("a second connect");
    assert_eq!(again.code, ErrorCode::AlreadyConnected, "{again}");
    let on_accepted = accepted
        .connect(&address, Some(Duration::from_secs(10)))
        .await
        .expect_err("connect on an accepted socket");
    assert_eq!(
        on_accepted.code,
        ErrorCode::AlreadyConnected,
        "{on_accepted}"
    );

    let mut udp = Socket::create(Family::Inet, Kind::Dgram, 0).expect("socket");
    udp.connect(&address, None)
        .await
        .expect("a datagram socket connects");
    udp.connect(&address, None)
        .await
        .expect("and connects again");
}

/// CPU time this thread has used so far.
fn thread_cpu() -> Duration {
    // SAFETY: an all-zero rusage is valid, and getrusage fills it.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: a valid out-pointer for RUSAGE_THREAD.
    let rc = unsafe { libc::getrusage(libc::RUSAGE_THREAD, &mut usage) };
    assert_eq!(rc, 0, "getrusage");
    let micros = |t: libc::timeval| {
        Duration::from_secs(t.tv_sec as u64) + Duration::from_micros(t.tv_usec as u64)
    };
    micros(usage.ru_utime) + micros(usage.ru_stime)
}

/// Regression: waiting was a busy loop. `create` registers a stream
/// socket with the reactor while it is unconnected, epoll reports
/// `EPOLLHUP` for it then, and tokio keeps that "closed" readiness for
/// good, so every later wait (a receive with no data, a connect to a peer
/// that never answers) returned at once and spun a core (the connect could
/// even spin past its timeout). Waits now use a fresh registration. This
/// waits 600 ms in a receive (and in a pollable) on a current-thread
/// runtime, where all the work happens on this thread, and checks that the
/// thread used far less CPU than that (a busy loop uses all of it).
#[test]
fn a_blocked_receive_does_not_spin() {
    let _serial = SERIAL.blocking_lock();
    // On its own thread, so that a busy loop that never returns fails the
    // test instead of hanging it.
    let (done, finished) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        runtime.block_on(blocked_receive_cpu());
        let _ = done.send(());
    });
    finished
        .recv_timeout(Duration::from_secs(30))
        .expect("the waiting thread failed (its panic is above) or never finished within 30 s (a busy loop that never yields to its timeout)");
}

async fn blocked_receive_cpu() {
    {
        let native = std::net::TcpListener::bind("127.0.0.1:0").expect("listener");
        let address = socket2::SockAddr::from(native.local_addr().expect("address"));
        let mut client = Socket::create(Family::Inet, Kind::Stream, 0).expect("socket");
        // Let the reactor see the unconnected socket (as it does between
        // two guest calls), with its EPOLLHUP.
        tokio::time::sleep(Duration::from_millis(20)).await;
        client
            .connect(&address, Some(Duration::from_secs(10)))
            .await
            .expect("connect");
        let (_peer, _) = native.accept().expect("accept");

        let before = thread_cpu();
        let waited = client
            .receive(16, Default::default(), Some(Duration::from_millis(600)))
            .await
            .expect_err("nothing to receive");
        assert_eq!(waited.code, ErrorCode::TimedOut, "{waited}");
        let watch = client.watch();
        let readable = wasock_host::socket::Readiness {
            readable: true,
            writable: false,
        };
        let pollable = tokio::time::timeout(
            Duration::from_millis(600),
            Socket::wait_ready(&watch, readable),
        )
        .await;
        assert!(
            pollable.is_err(),
            "the pollable was ready with nothing to read"
        );
        let used = thread_cpu() - before;
        assert!(
            used < Duration::from_millis(400),
            "1.2 s of waiting used {used:?} of CPU: a busy loop"
        );
    }
}

/// Regression (found by the `host_ops` fuzz target): on a closed socket a
/// typed option this host does not define (`TCP_NOOPT`) or cannot set
/// (read-only `SO_TYPE`), or a value out of range, answered
/// `option-not-supported` / `read-only` / `invalid-argument` from the
/// socket layer instead of `closed`, which every call but drop must say
/// first.
#[tokio::test]
async fn typed_options_on_a_closed_socket_say_closed() {
    let _serial = serial().await;
    let mut socket = Socket::create(Family::Inet, Kind::Stream, 0).expect("socket");
    socket.close().await.expect("close");
    use wasock_host::options::{SO_TYPE, TCP_NOOPT};
    for result in [
        socket.get_bool_option(&TCP_NOOPT).map(|_| ()),
        socket.set_bool_option(&TCP_NOOPT, true),
        socket.set_u32_option(&SO_TYPE, 1),
        // Out of range too: still `closed` first.
        socket.set_u32_option(&SO_TYPE, u32::MAX),
        socket.set_linger(Some(u32::MAX)),
    ] {
        let error = result.expect_err("a closed socket");
        assert_eq!(error.code, ErrorCode::Closed, "{error}");
    }
}
