//! The wasock benchmark: one native load generator drives, side by side and
//! alternating over several rounds,
//!
//! - A: a native Rust echo server (std::net, blocking, a thread a connection),
//! - B: the `echo-server` example guest (wasock SDK) under the `wasock` binary,
//! - C: the same echo server written on `std::net` (wasi:sockets), compiled to
//!   wasm32-wasip2, under the same binary,
//!
//! and prints the median, min and max of each figure with the ratios B/A and
//! B/C, then each server's CPU time per operation (user + sys of the server
//! process over the measure, from `/proc/PID/stat`: on shared machines it
//! moves far less than the rates; A runs in a process of its own for it).
//!
//! Then the same rates and CPU for G, the echo server on the contract for
//! the component model's async (`bench_async_echo_server`,
//! `wasock:socket@0.2.0`), beside fresh A, B and C (and H with
//! `--p3-echo PATH`), each with its ratio to A.
//!
//! Then TLS, the same way: TLS-A, a native rustls echo server (A with
//! rustls around each connection, in a process of its own), against TLS-B,
//! the `tls-echo-server` example under `wasock run --tls-identity`, the
//! host doing TLS for the guest; the client is rustls in this process, and
//! the certificates are made with `openssl` for the run (`echo/tls.rs`).
//!
//! Then it measures scale: idle connections held by one B guest (host
//! memory per connection, latency of one active client meanwhile), and many
//! B guests in one host process (this one, through `wasock_host::run::Runner`
//! on a multi-thread tokio runtime like the `wasock` binary's: memory per
//! instance from VmRSS, every instance answering one echo).
//!
//! Full run (release):   cargo bench -p wasock-host --bench echo
//! Seconds-long smoke:   cargo test -p wasock-host --bench echo
//! (without `--bench` on its command line, as under `cargo test`, it runs the
//! smoke sizes). Options after `--`: `--rounds N`, `--smoke`, `--skip-scale`,
//! `--only-scale`, `--skip-tls`, `--only-tls`, `--tls-guest PATH` (also
//! measure TLS-C, a guest with rustls compiled in: `rustls-guest/`),
//! `--host-variants` (also measure B in this process with the guest spawned
//! on a runtime worker, and on a current-thread runtime: how much the
//! `wasock` binary's threading costs), `--only-async` (only the async
//! contract's table), `--p3-echo PATH` (also measure H, the wasm at PATH,
//! the examples' `async-echo-server` built with the SDK's `p3` feature, in
//! the async contract's table and the idle scale), and
//! `--round-trip-client ADDR SIZE COUNT` (only round trips against a
//! server already running, to profile it).
//! All traffic is on 127.0.0.1; every loop is bounded in count and time.

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::thread;
use std::time::{Duration, Instant};

use std::sync::Arc;

use wasock_host::policy::Policy;
use wasock_host::run::{GuestConfig, Runner, RunnerConfig};
use wasock_tests::{GUESTS, Running, Wasock, guest};

#[path = "echo/tls.rs"]
mod tls;

const WASOCK: &str = env!("CARGO_BIN_EXE_wasock");
const START_TIMEOUT: Duration = Duration::from_secs(120);
const IO_TIMEOUT: Duration = Duration::from_secs(30);

/// Sizes of one run.
#[derive(Clone, Copy, Debug)]
struct Sizes {
    rounds: usize,
    stream_bytes: usize,
    round_trips: usize,
    connections: usize,
    /// Full TLS handshakes per measure (each costs the server a signature).
    handshakes: usize,
    idle_counts: &'static [usize],
    instance_counts: &'static [usize],
}

const FULL: Sizes = Sizes {
    rounds: 5,
    stream_bytes: 256 << 20,
    round_trips: 20_000,
    connections: 2_000,
    handshakes: 500,
    idle_counts: &[100, 10_000, 100_000],
    instance_counts: &[100, 1_000],
};

const SMOKE: Sizes = Sizes {
    rounds: 1,
    stream_bytes: 4 << 20,
    round_trips: 200,
    connections: 50,
    handshakes: 20,
    idle_counts: &[50],
    instance_counts: &[5],
};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--serve-native") {
        serve_native();
    }
    if args.iter().any(|a| a == "--serve-native-tls") {
        tls::serve_native(&args);
    }
    if let Some(position) = args.iter().position(|a| a == "--round-trip-client") {
        round_trip_client(&args[position + 1..]);
    }
    let mut sizes = if args.iter().any(|a| a == "--bench") && !args.iter().any(|a| a == "--smoke") {
        FULL
    } else {
        SMOKE
    };
    if let Some(position) = args.iter().position(|a| a == "--rounds")
        && let Some(rounds) = args.get(position + 1).and_then(|r| r.parse().ok())
    {
        sizes.rounds = rounds;
    }
    let only_scale = args.iter().any(|a| a == "--only-scale");
    let only_tls = args.iter().any(|a| a == "--only-tls");
    let only_async = args.iter().any(|a| a == "--only-async");
    let skip_plain = only_scale || only_tls || only_async;
    let skip_async = only_scale || only_tls;
    let skip_tls = only_scale || only_async || args.iter().any(|a| a == "--skip-tls");
    let skip_scale = only_tls || only_async || args.iter().any(|a| a == "--skip-scale");
    // H: the examples' async-echo-server built with the SDK's `p3`
    // feature, from a path (it is not one of the guests the tests build).
    let p3_echo = args
        .iter()
        .position(|a| a == "--p3-echo")
        .and_then(|position| args.get(position + 1))
        .map(String::as_str);
    let host_variants = args.iter().any(|a| a == "--host-variants");
    let fd_limit = raise_fd_limit();

    println!("wasock benchmark ({sizes:?})");
    println!("machine: {} cores, {}", cores(), cpu_model());

    let servers: Vec<Server> = if skip_plain {
        Vec::new()
    } else {
        vec![
            Server::native("A native", &[]),
            Server::guest("B wasock guest", guest("echo-server"), &[], &[]),
            Server::guest("C std::net guest", guest("bench_std_echo_server"), &[], &[]),
        ]
    };
    for server in &servers {
        println!("{:<18} listening on {}", server.name, server.address);
    }

    let variants: Vec<(&str, SocketAddr)> = if host_variants && !skip_plain {
        let spawned = InProcess::multi_thread();
        let current = InProcess::current_thread();
        let list = vec![
            ("D B in-process, spawned", spawned.start_echo_server(None)),
            (
                "E B in-process, current-thread",
                current.start_echo_server(None),
            ),
        ];
        for (name, address) in &list {
            println!("{name:<18} listening on {address}");
        }
        // Both runtimes live until the process exits.
        std::mem::forget(spawned);
        std::mem::forget(current);
        list
    } else {
        Vec::new()
    };
    let variant_addresses: Vec<SocketAddr> = variants.iter().map(|(_, address)| *address).collect();

    let metrics = vec![
        Metric {
            name: "throughput",
            unit: "MiB/s",
            measure: Box::new(move |a| throughput(a, sizes.stream_bytes)),
            operations: sizes.stream_bytes as f64 / (1 << 20) as f64,
            per_operation: "µs/MiB",
        },
        Metric {
            name: "round trips 1 B",
            unit: "rt/s",
            measure: Box::new(move |a| round_trips(a, 1, sizes.round_trips)),
            operations: sizes.round_trips as f64,
            per_operation: "µs/rt",
        },
        Metric {
            name: "round trips 1 KiB",
            unit: "rt/s",
            measure: Box::new(move |a| round_trips(a, 1024, sizes.round_trips)),
            operations: sizes.round_trips as f64,
            per_operation: "µs/rt",
        },
        Metric {
            name: "connections",
            unit: "conn/s",
            measure: Box::new(move |a| connections(a, sizes.connections)),
            operations: sizes.connections as f64,
            per_operation: "µs/conn",
        },
    ];

    if !skip_plain {
        println!();
        print_header(&["A", "B", "C"], &["B/A", "B/C"]);
        let mut rows = Vec::new();
        for metric in &metrics {
            let row = measure_row(&servers, &variant_addresses, metric, sizes.rounds);
            let [a, b, c] = [0, 1, 2].map(|index| row.rates[index].median);
            print_row(metric.name, metric.unit, &row.rates, &[b / a, b / c]);
            rows.push(row);
        }

        println!();
        print_cpu_caption();
        print_header(&["A", "B", "C"], &["B/A", "C/A"]);
        for (metric, row) in metrics.iter().zip(&rows) {
            let [a, b, c] = [0, 1, 2].map(|index| row.cpu[index].median);
            print_row(metric.name, metric.per_operation, &row.cpu, &[b / a, c / a]);
        }

        if !variants.is_empty() {
            println!();
            println!(
                "host variants (B's guest, same measures): D in-process on a multi-thread runtime, spawned; E in-process, current-thread runtime"
            );
            print_header(&["D", "E"], &["D/B", "E/B"]);
            for (metric, row) in metrics.iter().zip(&rows) {
                let b = row.rates[1].median;
                let [d, e] = [0, 1].map(|index| row.variants[index].median);
                print_row(metric.name, metric.unit, &row.variants, &[d / b, e / b]);
            }
        }
    }

    if !skip_async {
        async_contract_rows(&metrics, sizes.rounds, p3_echo);
    }

    if !skip_tls {
        let tls_guest = args
            .iter()
            .position(|a| a == "--tls-guest")
            .and_then(|position| args.get(position + 1));
        measure_tls(sizes, tls_guest.map(String::as_str));
    }

    if !skip_scale {
        println!();
        println!(
            "scale: idle connections held by one guest (B: echo-server on a poll-set Registry; F: async-echo-server, a task per connection; G: bench_async_echo_server, wasock:socket@0.2.0 streams{})",
            if p3_echo.is_some() {
                "; H: --p3-echo"
            } else {
                ""
            }
        );
        println!(
            "{:<24} {:>8} | {:>16} | {:>22} | {:>10}",
            "guest", "idle", "host KiB / conn", "active rt median (µs)", "vs first"
        );
        let mut scaled = vec![
            ("echo-server", guest("echo-server")),
            ("async-echo-server", guest("async-echo-server")),
            ("bench_async_echo_server", guest("bench_async_echo_server")),
        ];
        if let Some(path) = p3_echo {
            scaled.push(("H p3 async-echo-server", path));
        }
        for (name, path) in scaled {
            let mut first: Option<f64> = None;
            for &count in sizes.idle_counts {
                // Both ends of every connection are in this machine's
                // descriptor tables: the guest's host and this process.
                let count = if count + 1_000 > fd_limit {
                    // The guest's host holds one end of every connection
                    // in one process: measure the most that fits.
                    let fits = fd_limit.saturating_sub(1_000) / 1_000 * 1_000;
                    println!(
                        "{name:<24} {count:>8} | does not fit: this process may hold {fd_limit} descriptors (raising the hard limit needs CAP_SYS_RESOURCE); measuring {fits} instead"
                    );
                    if fits <= 100 {
                        continue;
                    }
                    fits
                } else {
                    count
                };
                let (per_connection, latency) =
                    idle_scale(name, path, count, sizes.round_trips.min(2_000));
                let base = *first.get_or_insert(latency);
                println!(
                    "{name:<24} {count:>8} | {per_connection:>16.2} | {latency:>22.1} | {:>10.2}",
                    latency / base
                );
            }
        }
        println!();
        println!(
            "scale: B guests in one host process (this one, wasock_host::run::Runner, multi-thread runtime)"
        );
        println!(
            "{:>9} | {:>18} | {:>14} | {:>10}",
            "instances", "host KiB / guest", "start all (s)", "answering"
        );
        let host = InProcess::multi_thread();
        for &count in sizes.instance_counts {
            let (per_instance, start, answering) = instance_scale(&host, count);
            println!("{count:>9} | {per_instance:>18.1} | {start:>14.2} | {answering:>10}");
        }
    }
}

/// The async contract's table: G, the echo server on `wasock:socket@0.2.0`
/// (the contract for the component model's async: `bench_async_echo_server`,
/// a task per connection on wit-bindgen's executor, its receive stream
/// written into its send stream), and with `--p3-echo PATH` H (the
/// examples' `async-echo-server` built with the SDK's `p3` feature, run
/// as F is), beside fresh A, B and C over the same measures: each rate and
/// the server CPU per operation, with each one's ratio to A.
fn async_contract_rows(metrics: &[Metric], rounds: usize, p3_echo: Option<&str>) {
    let mut servers = vec![
        Server::native("A native", &[]),
        Server::guest("B wasock guest", guest("echo-server"), &[], &[]),
        Server::guest("C std::net guest", guest("bench_std_echo_server"), &[], &[]),
        Server::guest(
            "G async contract",
            guest("bench_async_echo_server"),
            &[],
            &[],
        ),
    ];
    if let Some(path) = p3_echo {
        servers.push(Server::guest("H p3 async-echo", path, &[], &[]));
    }
    let letters: Vec<&str> = servers.iter().map(|server| &server.name[..1]).collect();
    let ratios: Vec<String> = letters[1..]
        .iter()
        .map(|letter| format!("{letter}/A"))
        .collect();
    let ratios: Vec<&str> = ratios.iter().map(String::as_str).collect();
    println!();
    println!(
        "async contract: A = native, B = echo-server (poll set), C = std::net guest, G = bench_async_echo_server (wasock:socket@0.2.0, streams){}, alternating",
        if p3_echo.is_some() {
            ", H = async-echo-server with the SDK's p3 feature (--p3-echo)"
        } else {
            ""
        }
    );
    for server in &servers {
        println!(
            "{:<18} listening on {} (pid {})",
            server.name, server.address, server.pid
        );
    }
    print_header(&letters, &ratios);
    let to_a = |stats: &[Stats]| -> Vec<f64> {
        stats[1..]
            .iter()
            .map(|other| other.median / stats[0].median)
            .collect()
    };
    let mut rows = Vec::new();
    for metric in metrics {
        let row = measure_row(&servers, &[], metric, rounds);
        print_row(metric.name, metric.unit, &row.rates, &to_a(&row.rates));
        rows.push(row);
    }
    println!();
    print_cpu_caption();
    print_header(&letters, &ratios);
    for (metric, row) in metrics.iter().zip(&rows) {
        print_row(metric.name, metric.per_operation, &row.cpu, &to_a(&row.cpu));
    }
}

/// One figure of the side-by-side tables.
struct Metric {
    name: &'static str,
    /// The unit of the rate `measure` returns.
    unit: &'static str,
    measure: Measure,
    /// How many operations one measure does (for CPU time per operation).
    operations: f64,
    /// The unit of CPU time per operation.
    per_operation: &'static str,
}

/// One metric measured side by side.
struct Row {
    /// Each server's rates.
    rates: Vec<Stats>,
    /// Each server's CPU time per operation, µs.
    cpu: Vec<Stats>,
    /// Each variant's rates.
    variants: Vec<Stats>,
}

/// Measures `metric` against every server (reading each one's CPU time
/// around each measure) and every variant, alternating within each of
/// `rounds` rounds.
fn measure_row(servers: &[Server], variants: &[SocketAddr], metric: &Metric, rounds: usize) -> Row {
    let mut rates = vec![Vec::new(); servers.len()];
    let mut cpu = vec![Vec::new(); servers.len()];
    let mut variant_rates = vec![Vec::new(); variants.len()];
    for _ in 0..rounds {
        for (index, server) in servers.iter().enumerate() {
            let before = cpu_seconds(server.pid);
            rates[index].push((metric.measure)(server.address));
            let used = cpu_seconds(server.pid) - before;
            cpu[index].push(used * 1e6 / metric.operations);
        }
        for (index, address) in variants.iter().enumerate() {
            variant_rates[index].push((metric.measure)(*address));
        }
    }
    let stats = |samples: &[Vec<f64>]| samples.iter().map(|s| Stats::of(s)).collect();
    Row {
        rates: stats(&rates),
        cpu: stats(&cpu),
        variants: stats(&variant_rates),
    }
}

/// The header of a side-by-side table: median, min and max of each
/// server, then the ratios.
fn print_header(servers: &[&str], ratios: &[&str]) {
    let mut columns = vec![format!("{:<18} {:>7}", "metric", "unit")];
    for server in servers {
        columns.push(format!(
            "{:>10} {:>10} {:>10}",
            format!("{server} median"),
            format!("{server} min"),
            format!("{server} max")
        ));
    }
    let ratios: Vec<String> = ratios.iter().map(|ratio| format!("{ratio:>5}")).collect();
    columns.push(ratios.join(" "));
    println!("{}", columns.join(" | "));
}

/// One row of a side-by-side table.
fn print_row(name: &str, unit: &str, stats: &[Stats], ratios: &[f64]) {
    let mut columns = vec![format!("{name:<18} {unit:>7}")];
    columns.extend(stats.iter().map(Stats::to_string));
    let ratios: Vec<String> = ratios.iter().map(|ratio| format!("{ratio:>5.2}")).collect();
    columns.push(ratios.join(" "));
    println!("{}", columns.join(" | "));
}

fn print_cpu_caption() {
    println!(
        "server CPU per operation (user + sys of the server process over each measure; lower is better; {} ticks/s)",
        clock_ticks()
    );
}

/// The TLS part: TLS-A (native rustls) and, where the `tls-echo-server`
/// guest was built, TLS-B (that guest, the host doing its TLS), and with
/// `--tls-guest PATH` TLS-C (a guest with rustls and ring compiled in, on
/// `std::net`: `rustls-guest/`), measured side by side by a rustls client
/// in this process.
fn measure_tls(sizes: Sizes, tls_guest: Option<&str>) {
    println!();
    let Some(certificates) = tls::Certificates::generate() else {
        println!("TLS not measured: no openssl to make the certificates with");
        return;
    };
    let config = tls::client_config(&certificates.ca);
    let certificate = certificates.certificate.to_str().expect("a UTF-8 path");
    let key = certificates.key.to_str().expect("a UTF-8 path");
    let mut servers = vec![(
        "A",
        Server::native("TLS-A rustls", &["--serve-native-tls", certificate, key]),
    )];
    if GUESTS.iter().any(|(name, _)| *name == "tls-echo-server") {
        let identity = format!("{}={certificate}:{key}", tls::IDENTITY);
        let server = Server::guest(
            "TLS-B wasock guest",
            guest("tls-echo-server"),
            &["--tls-identity", &identity],
            &[tls::IDENTITY],
        );
        servers.push(("B", server));
    } else {
        println!("TLS-B not measured: this build has no tls-echo-server guest");
    }
    if let Some(path) = tls_guest {
        let pem = |path: &std::path::Path| std::fs::read_to_string(path).expect("a PEM file");
        let (certificate, key) = (pem(&certificates.certificate), pem(&certificates.key));
        let server = Server::guest("TLS-C rustls guest", path, &[], &[&certificate, &key]);
        servers.push(("C", server));
    }
    println!(
        "TLS: A = native rustls echo server (a thread a connection); B = tls-echo-server guest, TLS by the host (wasock run --tls-identity); C = a guest with rustls + ring compiled in (--tls-guest); client: rustls in this process, no session resumption"
    );
    for (_, server) in &servers {
        println!(
            "{:<18} listening on {}; negotiated {}",
            server.name,
            server.address,
            tls::negotiated(server.address, &config)
        );
    }

    let runtime = Arc::new(tls::client_runtime());
    let stream_config = config.clone();
    let small_config = config.clone();
    let large_config = config.clone();
    let handshake_config = config.clone();
    let metrics = vec![
        Metric {
            name: "TLS stream",
            unit: "MiB/s",
            measure: Box::new(move |a| {
                tls::throughput(&runtime, a, &stream_config, sizes.stream_bytes)
            }),
            operations: sizes.stream_bytes as f64 / (1 << 20) as f64,
            per_operation: "µs/MiB",
        },
        Metric {
            name: "TLS rt 1 B",
            unit: "rt/s",
            measure: Box::new(move |a| tls::round_trips(a, &small_config, 1, sizes.round_trips)),
            operations: sizes.round_trips as f64,
            per_operation: "µs/rt",
        },
        Metric {
            name: "TLS rt 1 KiB",
            unit: "rt/s",
            measure: Box::new(move |a| tls::round_trips(a, &large_config, 1024, sizes.round_trips)),
            operations: sizes.round_trips as f64,
            per_operation: "µs/rt",
        },
        Metric {
            name: "TLS handshakes",
            unit: "hs/s",
            measure: Box::new(move |a| {
                tls::handshakes(a, &handshake_config, sizes.handshakes, false)
            }),
            operations: sizes.handshakes as f64,
            per_operation: "µs/hs",
        },
        Metric {
            name: "TLS hs + 1 B echo",
            unit: "hs/s",
            measure: Box::new(move |a| tls::handshakes(a, &config, sizes.handshakes, true)),
            operations: sizes.handshakes as f64,
            per_operation: "µs/hs",
        },
    ];

    let letters: Vec<&str> = servers.iter().map(|(letter, _)| *letter).collect();
    // Each of the others against A, the first.
    let ratio_labels: Vec<String> = letters[1..].iter().map(|l| format!("{l}/A")).collect();
    let ratio_labels: Vec<&str> = ratio_labels.iter().map(String::as_str).collect();
    let ratios_of = |row: &[Stats]| -> Vec<f64> {
        row[1..]
            .iter()
            .map(|other| other.median / row[0].median)
            .collect()
    };
    let servers: Vec<Server> = servers.into_iter().map(|(_, server)| server).collect();
    println!();
    print_header(&letters, &ratio_labels);
    let mut rows = Vec::new();
    for metric in &metrics {
        let row = measure_row(&servers, &[], metric, sizes.rounds);
        print_row(metric.name, metric.unit, &row.rates, &ratios_of(&row.rates));
        rows.push(row);
    }
    println!();
    print_cpu_caption();
    print_header(&letters, &ratio_labels);
    for (metric, row) in metrics.iter().zip(&rows) {
        print_row(
            metric.name,
            metric.per_operation,
            &row.cpu,
            &ratios_of(&row.cpu),
        );
    }
}

/// A wasock host inside this process: a tokio runtime and a
/// `wasock_host::run::Runner`, with B's guest prepared (compiled) once.
struct InProcess {
    runtime: tokio::runtime::Runtime,
    runner: Runner,
    /// Current-thread: each guest runs on a thread of its own that drives
    /// a runtime of its own (`block_on`), so the guest and its reactor
    /// share one thread.
    current_thread: bool,
}

impl InProcess {
    /// The `wasock` binary's runtime (multi-thread); guests are spawned
    /// tasks, so they run on the worker that saw their socket's event.
    fn multi_thread() -> InProcess {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .expect("tokio runtime");
        InProcess::with_runtime(runtime, false)
    }

    /// Each guest on a thread of its own driving a current-thread runtime
    /// of its own (this runtime only prepares the component).
    fn current_thread() -> InProcess {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("tokio runtime");
        InProcess::with_runtime(runtime, true)
    }

    fn with_runtime(runtime: tokio::runtime::Runtime, current_thread: bool) -> InProcess {
        let runner = runtime
            .block_on(async {
                let runner = Runner::new(RunnerConfig::default())?;
                runner.prepare(guest("echo-server").as_ref()).await?;
                Ok::<_, wasmtime::Error>(runner)
            })
            .expect("wasock runner");
        InProcess {
            runtime,
            runner,
            current_thread,
        }
    }

    /// Starts one echo-server guest on 127.0.0.1:0 (ending after
    /// `max_connections` clients, if given) and returns its address.
    fn start_echo_server(&self, max_connections: Option<usize>) -> SocketAddr {
        let mut config = GuestConfig::new().arg("127.0.0.1:0");
        if let Some(max) = max_connections {
            config = config.arg(max.to_string());
        }
        let (config, stdout, _stderr) = config.capture_output(4096);
        let policy = Arc::new(
            Policy::new()
                .allow_bind("127.0.0.1:*".parse().expect("grant"))
                .limit_sockets(20_000),
        );
        let runner = self.runner.clone();
        let run = async move {
            match runner
                .run(guest("echo-server").as_ref(), config, policy)
                .await
            {
                Ok(outcome) if outcome.exit_code() == 0 => {}
                Ok(outcome) => eprintln!("in-process echo-server ended: {outcome:?}"),
                Err(error) => eprintln!("in-process echo-server did not start: {error:#}"),
            }
        };
        if self.current_thread {
            // Only `Runtime::block_on` drives a current-thread runtime's
            // reactor, so each such guest gets a runtime of its own.
            thread::spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("tokio runtime");
                runtime.block_on(run)
            });
        } else {
            self.runtime.spawn(run);
        }
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            let text = String::from_utf8_lossy(&stdout.contents()).into_owned();
            if let Some(line) = text.lines().find(|line| line.starts_with("listening on ")) {
                let address = line.trim_start_matches("listening on ").trim();
                return address
                    .parse()
                    .unwrap_or_else(|error| panic!("bad address in {line:?}: {error}"));
            }
            if Instant::now() > deadline {
                panic!(
                    "an in-process echo-server printed no address in {START_TIMEOUT:?}: {text:?}"
                );
            }
            thread::sleep(Duration::from_millis(1));
        }
    }
}

/// Starts `count` echo-server guests in `host` (each ends after one
/// client), measures this process's VmRSS growth per guest once all are
/// listening, then checks each answers one echo. Returns (KiB per guest,
/// seconds to start them all, how many answered).
fn instance_scale(host: &InProcess, count: usize) -> (f64, f64, usize) {
    let before = rss_kib(std::process::id());
    let start = Instant::now();
    let addresses: Vec<SocketAddr> = (0..count)
        .map(|_| host.start_echo_server(Some(1)))
        .collect();
    let started = start.elapsed().as_secs_f64();
    // Let the guests settle into their first wait before measuring.
    thread::sleep(Duration::from_millis(200));
    let after = rss_kib(std::process::id());
    let mut answering = 0;
    for address in &addresses {
        let mut stream = connect(*address);
        let mut byte = [0u8; 1];
        stream.write_all(b"s").expect("write");
        stream.read_exact(&mut byte).expect("read the echo");
        if byte == *b"s" {
            answering += 1;
        }
    }
    assert_eq!(answering, count, "every instance answers its echo");
    (
        after.saturating_sub(before) as f64 / count as f64,
        started,
        answering,
    )
}

/// One figure measured against a server's address.
type Measure = Box<dyn Fn(SocketAddr) -> f64>;

/// One echo server under test.
struct Server {
    name: &'static str,
    address: SocketAddr,
    /// The server's process, whose CPU time is read.
    pid: u32,
    _process: ServerProcess,
}

/// What keeps a server running until the benchmark ends (each is
/// stopped when dropped).
enum ServerProcess {
    Native(std::process::Child),
    Guest(#[allow(dead_code, reason = "held to be dropped at the end")] Running),
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        if let ServerProcess::Native(child) = self {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Server {
    /// A native server: this benchmark's own executable with `args`
    /// (`--serve-native` for A, `--serve-native-tls CERT KEY` for TLS-A),
    /// in a process of its own so that its CPU time is its own.
    fn native(name: &'static str, args: &[&str]) -> Server {
        let args = if args.is_empty() {
            &["--serve-native"][..]
        } else {
            args
        };
        let mut child = std::process::Command::new(std::env::current_exe().expect("this program"))
            .args(args)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("start the native echo server");
        let mut line = String::new();
        std::io::BufRead::read_line(
            &mut std::io::BufReader::new(child.stdout.take().expect("its stdout")),
            &mut line,
        )
        .expect("the native server's address");
        let address = line
            .trim()
            .trim_start_matches("listening on ")
            .parse()
            .expect("an address");
        Server {
            name,
            address,
            pid: child.id(),
            _process: ServerProcess::Native(child),
        }
    }

    /// A guest listening on 127.0.0.1, with host `flags` beside the bind
    /// grant and guest `args` after its address.
    fn guest(name: &'static str, path: &str, flags: &[&str], args: &[&str]) -> Server {
        let mut running = Wasock::new(WASOCK, path)
            .flag("--allow-bind")
            .flag("127.0.0.1:*")
            .flag("--max-sockets")
            .flag("110000")
            .flags(flags)
            .arg("127.0.0.1:0")
            .args(args)
            .spawn();
        let address = running.wait_for_listening(START_TIMEOUT);
        Server {
            name,
            address,
            pid: running.id(),
            _process: ServerProcess::Guest(running),
        }
    }
}

/// A (`--serve-native`): a blocking echo server, a thread a connection,
/// until its stdin (the benchmark's pipe) closes.
fn serve_native() -> ! {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind the native echo server");
    println!(
        "listening on {}",
        listener.local_addr().expect("native server address")
    );
    thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            thread::spawn(move || {
                let _ = stream.set_nodelay(true);
                let mut buffer = vec![0u8; 64 * 1024];
                while let Ok(n) = stream.read(&mut buffer) {
                    if n == 0 || stream.write_all(&buffer[..n]).is_err() {
                        break;
                    }
                }
            });
        }
    });
    let mut rest = Vec::new();
    let _ = std::io::stdin().read_to_end(&mut rest);
    std::process::exit(0)
}

/// The CPU time (user + sys) process `pid` has used so far, in seconds.
fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // The fields after the command's closing parenthesis: utime and stime
    // are the 12th and 13th of them.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest.split_whitespace().collect())
        .unwrap_or_default();
    let ticks: u64 = fields
        .get(11..13)
        .map(|both| both.iter().filter_map(|f| f.parse::<u64>().ok()).sum())
        .unwrap_or(0);
    ticks as f64 / clock_ticks() as f64
}

/// Clock ticks per second (`sysconf(_SC_CLK_TCK)`).
fn clock_ticks() -> u64 {
    // SAFETY: sysconf reads a constant of the system.
    let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if ticks > 0 { ticks as u64 } else { 100 }
}

fn connect(address: SocketAddr) -> TcpStream {
    let stream =
        TcpStream::connect_timeout(&address, IO_TIMEOUT).expect("connect to the echo server");
    stream.set_nodelay(true).expect("TCP_NODELAY");
    stream
        .set_read_timeout(Some(IO_TIMEOUT))
        .expect("read timeout");
    stream
        .set_write_timeout(Some(IO_TIMEOUT))
        .expect("write timeout");
    stream
}

/// MiB/s echoed: one writer thread sends `total` bytes in 64 KiB writes while
/// this thread reads them all back.
fn throughput(address: SocketAddr, total: usize) -> f64 {
    let stream = connect(address);
    let mut writer = stream.try_clone().expect("clone the stream");
    let start = Instant::now();
    let sender = thread::spawn(move || {
        let chunk = vec![0x5au8; 64 * 1024];
        let mut sent = 0;
        while sent < total {
            let n = chunk.len().min(total - sent);
            writer
                .write_all(&chunk[..n])
                .expect("write to the echo server");
            sent += n;
        }
    });
    let mut reader = stream;
    let mut buffer = vec![0u8; 64 * 1024];
    let mut received = 0;
    while received < total {
        match reader.read(&mut buffer) {
            Ok(0) => panic!("echo server closed after {received} of {total} bytes"),
            Ok(n) => received += n,
            Err(error) => panic!("reading the echo after {received} of {total} bytes: {error}"),
        }
    }
    let elapsed = start.elapsed();
    sender.join().expect("writer thread");
    let _ = reader.shutdown(Shutdown::Both);
    total as f64 / (1 << 20) as f64 / elapsed.as_secs_f64()
}

/// Round trips per second of `size`-byte messages on one connection.
fn round_trips(address: SocketAddr, size: usize, count: usize) -> f64 {
    let mut stream = connect(address);
    let message = vec![0x42u8; size];
    let mut buffer = vec![0u8; size];
    // Warm up the connection (and the guest's code paths) first.
    for _ in 0..10 {
        stream.write_all(&message).expect("write");
        stream.read_exact(&mut buffer).expect("read the echo");
    }
    let start = Instant::now();
    for _ in 0..count {
        stream.write_all(&message).expect("write");
        stream.read_exact(&mut buffer).expect("read the echo");
    }
    count as f64 / start.elapsed().as_secs_f64()
}

/// `--round-trip-client ADDR SIZE COUNT`: only round trips of `SIZE`
/// bytes (with `SIZE` 0: connections, each a 1-byte echo) against a
/// server already running at `ADDR` (for profiling a server with `perf`
/// or `strace` attached), then prints the rate and exits.
fn round_trip_client(args: &[String]) -> ! {
    let usage = "usage: echo --round-trip-client ADDR SIZE COUNT";
    let address: SocketAddr = args.first().and_then(|a| a.parse().ok()).expect(usage);
    let size: usize = args.get(1).and_then(|a| a.parse().ok()).expect(usage);
    let count: usize = args.get(2).and_then(|a| a.parse().ok()).expect(usage);
    // A size of 0: connections instead (connect, 1-byte echo, close).
    if size == 0 {
        let rate = connections(address, count);
        println!("{count} connections: {rate:.1} conn/s");
    } else {
        let rate = round_trips(address, size, count);
        println!("{count} round trips of {size} B: {rate:.1} rt/s");
    }
    std::process::exit(0)
}

/// Connections per second: connect, 1-byte echo, close.
fn connections(address: SocketAddr, count: usize) -> f64 {
    let start = Instant::now();
    for _ in 0..count {
        let mut stream = connect(address);
        stream.write_all(b"x").expect("write");
        let mut byte = [0u8; 1];
        stream.read_exact(&mut byte).expect("read the echo");
    }
    count as f64 / start.elapsed().as_secs_f64()
}

/// A connection to `address` from the `index`-th source address: loopback
/// addresses 127.0.0.1, .2, ... take 25,000 connections each, so that
/// 100,000 fit in the ephemeral port range.
fn connect_from(address: SocketAddr, index: usize) -> TcpStream {
    if index < 25_000 {
        return connect(address);
    }
    let source = std::net::Ipv4Addr::new(127, 0, 0, 1 + (index / 25_000) as u8);
    let socket =
        socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).expect("socket");
    // IP_BIND_ADDRESS_NO_PORT: the port is chosen at connect, per
    // destination, so ports in TIME_WAIT from earlier runs do not count.
    let on: libc::c_int = 1;
    // SAFETY: one c_int option value and its length.
    unsafe {
        libc::setsockopt(
            std::os::fd::AsRawFd::as_raw_fd(&socket),
            libc::IPPROTO_IP,
            libc::IP_BIND_ADDRESS_NO_PORT,
            (&on as *const libc::c_int).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        );
    }
    socket
        .bind(&SocketAddr::from((source, 0)).into())
        .expect("bind a loopback source address");
    socket
        .connect_timeout(&address.into(), IO_TIMEOUT)
        .expect("connect to the echo server");
    let stream: TcpStream = socket.into();
    stream.set_nodelay(true).expect("TCP_NODELAY");
    stream
        .set_read_timeout(Some(IO_TIMEOUT))
        .expect("read timeout");
    stream
}

/// Host memory per idle connection held by a fresh guest `name`, and the
/// median round trip of one active client while they are held.
fn idle_scale(name: &'static str, path: &str, count: usize, round_trips: usize) -> (f64, f64) {
    // Guest memory up to wasm32's 4 GiB: a guest that keeps a 64 KiB read
    // buffer posted on every connection (G) needs 1.2 GiB for 19,000,
    // past the default 1 GiB. (The host's memory per connection is
    // measured either way: VmRSS counts the pages touched.)
    let server = Server::guest(name, path, &["--max-memory", "4G"], &[]);
    let pid = server.pid;
    // A connection that has echoed once: the guest has accepted it.
    let mut active = connect(server.address);
    let mut byte = [0u8; 1];
    active.write_all(b"x").expect("write");
    active.read_exact(&mut byte).expect("read the echo");
    let before = rss_kib(pid);
    let deadline = Instant::now() + Duration::from_secs(300);
    let mut idle = Vec::with_capacity(count);
    for index in 0..count {
        if Instant::now() > deadline {
            panic!("opening {count} idle connections took over 300 s");
        }
        idle.push(connect_from(server.address, index));
    }
    // Every idle connection is accepted once a probe on each has echoed.
    for stream in &mut idle {
        stream.write_all(b"i").expect("write");
        stream.read_exact(&mut byte).expect("read the echo");
    }
    let after = rss_kib(pid);
    let mut samples = Vec::with_capacity(round_trips);
    for _ in 0..round_trips {
        let start = Instant::now();
        active.write_all(b"x").expect("write");
        active.read_exact(&mut byte).expect("read the echo");
        samples.push(start.elapsed().as_secs_f64() * 1e6);
    }
    drop(idle);
    let latency = Stats::of(&samples).median;
    (
        (after.saturating_sub(before)) as f64 / count as f64,
        latency,
    )
}

/// Median, min and max of a set of samples.
#[derive(Clone, Copy)]
struct Stats {
    median: f64,
    min: f64,
    max: f64,
}

impl Stats {
    fn of(samples: &[f64]) -> Stats {
        let mut sorted = samples.to_vec();
        sorted.sort_by(|a, b| a.total_cmp(b));
        let median = if sorted.is_empty() {
            f64::NAN
        } else if sorted.len() % 2 == 1 {
            sorted[sorted.len() / 2]
        } else {
            (sorted[sorted.len() / 2 - 1] + sorted[sorted.len() / 2]) / 2.0
        };
        Stats {
            median,
            min: sorted.first().copied().unwrap_or(f64::NAN),
            max: sorted.last().copied().unwrap_or(f64::NAN),
        }
    }
}

impl std::fmt::Display for Stats {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{:>10.1} {:>10.1} {:>10.1}",
            self.median, self.min, self.max
        )
    }
}

/// Resident set size of a process, KiB (Linux /proc).
fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|kib| kib.parse().ok())
        .unwrap_or(0)
}

/// The most descriptors this benchmark asks for: 100,000 idle connections
/// and their peers, plus room.
const FD_CEILING: u64 = 220_000;

/// Raises this process's descriptor limit (inherited by the `wasock`
/// processes it starts) towards [`FD_CEILING`]: the soft limit to the hard
/// one, and, where the process may (root), the hard one too, never past
/// the kernel's `fs.nr_open`. Returns the soft limit in force.
fn raise_fd_limit() -> usize {
    let nr_open: u64 = std::fs::read_to_string("/proc/sys/fs/nr_open")
        .ok()
        .and_then(|text| text.trim().parse().ok())
        .unwrap_or(1 << 20);
    let wanted = FD_CEILING.min(nr_open);
    // SAFETY: getrlimit/setrlimit only read and write the struct we pass.
    unsafe {
        let mut limit = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) != 0 {
            return 1024;
        }
        if limit.rlim_max < wanted {
            let raised = libc::rlimit {
                rlim_cur: wanted,
                rlim_max: wanted,
            };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &raised) == 0 {
                return wanted as usize;
            }
        }
        limit.rlim_cur = limit.rlim_max.min(wanted.max(limit.rlim_cur));
        libc::setrlimit(libc::RLIMIT_NOFILE, &limit);
        libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit);
        limit.rlim_cur as usize
    }
}

fn cores() -> usize {
    thread::available_parallelism().map_or(1, |n| n.get())
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .unwrap_or_default()
        .lines()
        .find_map(|line| line.strip_prefix("model name"))
        .map(|rest| rest.trim_start_matches([' ', '\t', ':']).to_owned())
        .unwrap_or_else(|| "unknown CPU".to_owned())
}
