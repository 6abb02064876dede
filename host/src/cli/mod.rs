//! The `wasock` command line: `wasock run [OPTIONS] <COMPONENT.wasm> [ARGS]...`.
//!
//! Every sandbox grant of [`crate::policy`] is a flag; a malformed grant
//! stops the program before anything runs, naming the bad part, with exit
//! code 2 (clap's usage-error code). The guest's exit code becomes the
//! process's; a trap exits with 134 and prints the trap.

use std::path::PathBuf;
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use clap::{CommandFactory as _, Parser, Subcommand};

use crate::policy::report::{escape_line, write_lines};
use crate::policy::{
    DEFAULT_MAX_MEMORY, DEFAULT_MAX_SOCKETS, FileSink, GrantError, GrantSpec, MulticastGrant,
    Policy, UnixGrantSpec,
};
use crate::run::{CacheSetting, GuestConfig, Outcome, Runner, RunnerConfig};

/// Exit code for a usage error (malformed flag or grant), as clap uses.
pub const USAGE_EXIT_CODE: i32 = 2;
/// Exit code when the host fails before the guest starts (unreadable or
/// invalid component, missing import, unopenable directory).
pub const HOST_ERROR_EXIT_CODE: i32 = 1;

const RUN_EXAMPLES: &str = "\
SPEC is ADDR[/PREFIX]:PORTS: ADDR an IPv4 address, an IPv6 address in brackets
(the prefix inside them), or * for any address; PORTS one of N, N-M or *.
Nothing is allowed unless granted; IPv4-mapped IPv6 addresses are checked as IPv4.

Examples:
  --allow-connect 127.0.0.1:8080         connect to one address and port
  --allow-connect '10.0.0.0/8:1000-2000' a network and a port range
  --allow-connect '[::1]:*'              IPv6 loopback, any port
  --allow-connect '[fd00::/8]:443'       an IPv6 network
  --allow-connect '*:443'                any address, port 443
  --allow-bind 127.0.0.1:0               bind to an ephemeral port on loopback
  --allow-bind '0.0.0.0:8000-8099'       bind / listen on every interface, ports 8000-8099
  --allow-dns                            address-information / name-information
  --allow-unix /tmp/socks                unix sockets under /tmp/socks (guest names /tmp/socks/x)
  --allow-unix /tmp/socks::/run          the same directory, named /run in the guest
  --allow-multicast 239.255.0.0/16       join multicast groups in 239.255/16
  --allow-multicast '[ff02::fb]'         join one IPv6 group
  --allow-raw                            raw sockets, other protocols, options like SO_BINDTODEVICE
  --inherit-network                      any inet / inet6 address and port, and DNS
  --listen 0.0.0.0:443                   listen there before the guest starts; the guest
                                         takes the socket (wasock::listeners()), no grant
  --max-sockets 64                       at most 64 sockets open at once
  --max-memory 256M                      at most 256 MiB of guest memory
  --dir ./data::/data                    preopen ./data as /data (wasi:filesystem)
  --env RUST_LOG=debug --env HOME        set a variable; inherit HOME from the host
  --log wasock.log                       denials and trap reports to wasock.log, not stderr
  -S tls --tls-roots ca.pem              wasi:tls for the guest, trusting only ca.pem

  wasock run --allow-bind 127.0.0.1:7000 echo-server.wasm 127.0.0.1:7000
  wasock run --allow-connect 127.0.0.1:7000 echo-client.wasm 127.0.0.1:7000 hello

The guest's exit code is wasock's; a trap exits 134, a malformed flag 2.";

/// `wasock`: BSD sockets for sandboxed WebAssembly guests.
#[derive(Debug, Parser)]
#[command(name = "wasock", version, about, long_about = None)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: CliCommand,
}

/// The subcommands.
// Parsed once per process: the size of the larger variant costs nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum CliCommand {
    /// Runs a wasm32-wasip2 command component under a deny-by-default
    /// socket policy.
    #[command(after_help = RUN_EXAMPLES)]
    Run(RunArgs),
    /// Composes the wasock adapter into a guest, so that it imports only
    /// standard WASI 0.2 (`wasi:sockets` instead of `wasock:socket`) and
    /// runs under any WASI 0.2 host.
    #[command(after_help = ADAPT_EXAMPLES)]
    Adapt(AdaptArgs),
}

/// `wasock run`'s flags and arguments.
#[derive(Debug, clap::Args)]
#[command(override_usage = "wasock run [OPTIONS] <COMPONENT.wasm> [ARGS]...")]
pub struct RunArgs {
    /// Allow connect / send-to to SPEC (repeatable).
    #[arg(long = "allow-connect", value_name = "SPEC")]
    pub allow_connect: Vec<GrantSpec>,

    /// Allow bind / listen on SPEC (repeatable).
    #[arg(long = "allow-bind", value_name = "SPEC")]
    pub allow_bind: Vec<GrantSpec>,

    /// Allow address-information and name-information (DNS).
    #[arg(long = "allow-dns")]
    pub allow_dns: bool,

    /// Allow unix-domain sockets under HOST_DIR only, named GUEST_DIR in
    /// the guest (default: HOST_DIR as written, made absolute from `/`) (repeatable).
    #[arg(long = "allow-unix", value_name = "HOST_DIR[::GUEST_DIR]")]
    pub allow_unix: Vec<UnixGrantSpec>,

    /// Allow joining the multicast groups GROUP[/PREFIX] covers (and
    /// SO_REUSEADDR on datagram sockets) (repeatable).
    #[arg(long = "allow-multicast", value_name = "GROUP")]
    pub allow_multicast: Vec<MulticastGrant>,

    /// Allow raw sockets, protocols other than TCP/UDP, and the options that
    /// choose interfaces, routes or headers (the OS still asks for its own
    /// privilege: CAP_NET_RAW is kept only with this grant).
    #[arg(long = "allow-raw")]
    pub allow_raw: bool,

    /// Allow any inet / inet6 address and port, and DNS.
    #[arg(long = "inherit-network")]
    pub inherit_network: bool,

    /// Listen on ADDR (an inet address and port; IPv6 in brackets) before
    /// the guest starts and before the host drops its capabilities, and
    /// hand the guest the listening socket (`wasock::listeners()`): it
    /// serves there with no bind grant, a port below 1024 included
    /// (repeatable; after any inherited through LISTEN_FDS, in order).
    #[arg(long = "listen", value_name = "ADDR")]
    pub listen: Vec<std::net::SocketAddr>,

    /// How many sockets the guest may hold open at once (both socket APIs,
    /// lingering closes included).
    #[arg(long = "max-sockets", value_name = "N", default_value_t = DEFAULT_MAX_SOCKETS)]
    pub max_sockets: usize,

    /// How much memory the guest may use, in bytes or with a K, M or G
    /// suffix (default 1G).
    #[arg(long = "max-memory", value_name = "BYTES", value_parser = parse_bytes, default_value_t = DEFAULT_MAX_MEMORY)]
    pub max_memory: usize,

    /// Preopen a host directory for wasi:filesystem, named GUEST_DIR in the
    /// guest (default: HOST_DIR itself) (repeatable).
    #[arg(long = "dir", value_name = "HOST_DIR[::GUEST_DIR]")]
    pub dirs: Vec<DirSpec>,

    /// Set an environment variable for the guest; NAME alone inherits the
    /// host's value (repeatable).
    #[arg(long = "env", value_name = "NAME[=VALUE]")]
    pub envs: Vec<EnvSpec>,

    /// Cache compiled components in DIR (default: wasmtime's cache
    /// directory, or $WASOCK_CACHE_DIR).
    #[arg(long = "cache-dir", value_name = "DIR", conflicts_with = "no_cache")]
    pub cache_dir: Option<PathBuf>,

    /// Do not cache compiled components on disk.
    #[arg(long = "no-cache")]
    pub no_cache: bool,

    /// Print how long loading the component took, and the cache's hits and
    /// misses, on stderr.
    #[arg(long = "timings")]
    pub timings: bool,

    /// Write the host's own lines (denials, a trap's report, errors while
    /// running) to FILE, appended, instead of stderr. The guest writes to
    /// stderr too, so a line there may be the guest's imitating the host's;
    /// FILE holds only the host's.
    #[arg(long = "log", value_name = "FILE")]
    pub log: Option<PathBuf>,

    /// Trust only the certificates in FILE (PEM) for the guest's TLS
    /// connections (`-S tls`, wasock's TLS), instead of the system's roots.
    #[arg(long = "tls-roots", value_name = "FILE")]
    pub tls_roots: Option<PathBuf>,

    /// Hold a certificate chain and its private key (PEM files) for the
    /// guest's TLS servers, under NAME: the guest's `tls accept` names it
    /// and never reads the key. Read before the guest starts; no --dir may
    /// hold the files. Repeatable.
    #[arg(long = "tls-identity", value_name = "NAME=CERT:KEY", value_parser = parse_tls_identity)]
    pub tls_identities: Vec<(String, PathBuf, PathBuf)>,

    /// wasmtime's spelling of the WASI options wasock has:
    /// `-S inherit-network`, `-S allow-ip-name-lookup` (= --allow-dns),
    /// `-S tcp`, `-S udp`, `-S network` (on, as in wasmtime; reach still
    /// needs grants), `-S p3[=n]` (WASI 0.3, on by default), `-S tls`
    /// (`wasi:tls`, off by default); comma-separated or repeated. Others
    /// are refused by name.
    #[arg(short = 'S', value_name = "OPTION[=y|n]", value_delimiter = ',', value_parser = parse_wasi_option)]
    pub wasi_options: Vec<WasiOption>,

    /// wasmtime's spelling of the wasm options wasock has:
    /// `-W max-memory-size=BYTES` (= --max-memory),
    /// `-W component-model-async[=n]` (on by default; WASI 0.3 needs it).
    /// Others are refused by name.
    #[arg(short = 'W', value_name = "OPTION=VALUE", value_delimiter = ',', value_parser = parse_wasm_option)]
    pub wasm_options: Vec<WasmOption>,

    /// The component (a wasm32-wasip2 command), then the guest's arguments
    /// (after the component, every argument is the guest's, flags too).
    #[arg(
        value_name = "COMPONENT.wasm",
        required = true,
        num_args = 1..,
        trailing_var_arg = true
    )]
    pub component_and_args: Vec<String>,
}

/// One `-S` option in wasmtime's spelling that wasock serves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WasiOption {
    /// `-S inherit-network[=y|n]`: `--inherit-network`.
    InheritNetwork(bool),
    /// `-S allow-ip-name-lookup[=y|n]`: `--allow-dns`.
    AllowIpNameLookup(bool),
    /// `-S tcp`, `-S udp`, `-S network`: on, as by default in wasmtime
    /// (what a guest reaches is still the grants').
    Enabled,
    /// `-S p3[=y|n]`: serve WASI 0.3 (on by default, as in wasmtime 48).
    P3(bool),
    /// `-S tls[=y|n]`: serve `wasi:tls` (off by default, as in wasmtime).
    Tls(bool),
}

/// One `-W` option in wasmtime's spelling that wasock serves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WasmOption {
    /// `-W max-memory-size=BYTES`: `--max-memory`.
    MaxMemorySize(usize),
    /// `-W component-model-async[=y|n]`: the component model's async (on
    /// by default, as in wasmtime 48; WASI 0.3 needs it).
    ComponentModelAsync(bool),
}

const SERVED_WASM_OPTIONS: &str = "-W max-memory-size=BYTES, -W component-model-async[=y|n]";

fn yes_no(option: &str, value: Option<&str>) -> Result<bool, String> {
    match value {
        None | Some("y" | "yes" | "true") => Ok(true),
        Some("n" | "no" | "false") => Ok(false),
        Some(other) => Err(format!("-S {option}={other}: the value is y or n")),
    }
}

/// Parses one `-S` option (wasmtime's `-S KEY[=VALUE]`).
pub fn parse_wasi_option(text: &str) -> Result<WasiOption, String> {
    let (key, value) = match text.split_once('=') {
        Some((key, value)) => (key, Some(value)),
        None => (text, None),
    };
    match key {
        "inherit-network" => Ok(WasiOption::InheritNetwork(yes_no(key, value)?)),
        "p3" => Ok(WasiOption::P3(yes_no(key, value)?)),
        "tls" => Ok(WasiOption::Tls(yes_no(key, value)?)),
        "allow-ip-name-lookup" => Ok(WasiOption::AllowIpNameLookup(yes_no(key, value)?)),
        "tcp" | "udp" | "network" | "cli" => {
            if yes_no(key, value)? {
                Ok(WasiOption::Enabled)
            } else {
                Err(format!(
                    "-S {key}=n: wasock cannot switch {key} off; a guest reaches no address unless granted, so leave out the --allow-* grants instead"
                ))
            }
        }
        _ => Err(format!(
            "wasmtime's `-S {key}` is not supported by wasock (it serves -S inherit-network, -S allow-ip-name-lookup, -S tcp, -S udp, -S network, -S p3, -S tls; see --help for wasock's grants)"
        )),
    }
}

/// Parses one `-W` option (wasmtime's `-W KEY=VALUE`).
pub fn parse_wasm_option(text: &str) -> Result<WasmOption, String> {
    let (key, value) = match text.split_once('=') {
        Some((key, value)) => (key, Some(value)),
        None => (text, None),
    };
    match (key, value) {
        ("max-memory-size", Some(value)) => Ok(WasmOption::MaxMemorySize(parse_bytes(value)?)),
        ("max-memory-size", None) => {
            Err("-W max-memory-size needs a value: -W max-memory-size=BYTES".to_owned())
        }
        ("component-model-async", value) => Ok(WasmOption::ComponentModelAsync(
            yes_no(key, value).map_err(|e| e.replacen("-S", "-W", 1))?,
        )),
        _ => Err(format!(
            "wasmtime's `-W {key}` is not supported by wasock (it serves {SERVED_WASM_OPTIONS})"
        )),
    }
}

impl RunArgs {
    /// The grants as a [`Policy`]; fails when an `--allow-unix` directory
    /// cannot be resolved.
    pub fn policy(&self) -> Result<Policy, GrantError> {
        let mut inherit_network = self.inherit_network;
        let mut allow_dns = self.allow_dns;
        for option in &self.wasi_options {
            match *option {
                WasiOption::InheritNetwork(on) => inherit_network |= on,
                WasiOption::AllowIpNameLookup(on) => allow_dns |= on,
                WasiOption::Enabled | WasiOption::P3(_) | WasiOption::Tls(_) => {}
            }
        }
        let mut policy = Policy::new()
            .allow_dns(allow_dns)
            .allow_raw(self.allow_raw)
            .inherit_network(inherit_network)
            .limit_sockets(self.max_sockets)
            .limit_memory(self.max_memory());
        for grant in &self.allow_multicast {
            policy = policy.allow_multicast(*grant);
        }
        for grant in &self.allow_connect {
            policy = policy.allow_connect(*grant);
        }
        for grant in &self.allow_bind {
            policy = policy.allow_bind(*grant);
        }
        for grant in &self.allow_unix {
            policy = policy.allow_unix(grant.clone())?;
        }
        for dir in &self.dirs {
            policy.check_dir_grant(&dir.host)?;
        }
        if let Some(log) = &self.log {
            policy.check_apart(
                log,
                self.dirs.iter().map(|dir| dir.host.as_path()),
                &format!("--log `{}`", log.display()),
                "a guest could write lines there that look like the host's",
            )?;
        }
        Ok(policy)
    }

    /// The memory limit: `-W max-memory-size` where given (the last one),
    /// else `--max-memory`.
    pub fn max_memory(&self) -> usize {
        self.wasm_options
            .iter()
            .rev()
            .find_map(|option| match option {
                WasmOption::MaxMemorySize(bytes) => Some(*bytes),
                _ => None,
            })
            .unwrap_or(self.max_memory)
    }

    /// The guest's arguments, environment and directories.
    pub fn guest_config(&self) -> GuestConfig {
        let mut guest = GuestConfig::new();
        guest.args = self.component_and_args.iter().skip(1).cloned().collect();
        for env in &self.envs {
            match &env.value {
                Some(value) => guest.env.push((env.name.clone(), value.clone())),
                None => {
                    if let Ok(value) = std::env::var(&env.name) {
                        guest.env.push((env.name.clone(), value));
                    }
                }
            }
        }
        for dir in &self.dirs {
            guest.dirs.push((dir.host.clone(), dir.guest.clone()));
        }
        guest
    }

    /// The identities of `--tls-identity`, read from their files.
    pub fn tls_identities(&self) -> wasmtime::Result<crate::tls::TlsIdentities> {
        let identities = self
            .tls_identities
            .iter()
            .map(|(name, cert, key)| crate::tls::TlsIdentity::load(name, cert, key))
            .collect::<wasmtime::Result<Vec<_>>>()?;
        crate::tls::TlsIdentities::new(identities)
    }

    /// The runner configuration (the cache, WASI 0.3 and the component
    /// model's async; the last `-S p3` / `-W component-model-async` wins).
    pub fn runner_config(&self) -> RunnerConfig {
        let defaults = RunnerConfig::default();
        let wasi_p3 = self
            .wasi_options
            .iter()
            .rev()
            .find_map(|option| match option {
                WasiOption::P3(on) => Some(*on),
                _ => None,
            })
            .unwrap_or(defaults.wasi_p3);
        let component_model_async = self
            .wasm_options
            .iter()
            .rev()
            .find_map(|option| match option {
                WasmOption::ComponentModelAsync(on) => Some(*on),
                _ => None,
            })
            .unwrap_or(defaults.component_model_async);
        let wasi_tls = self
            .wasi_options
            .iter()
            .rev()
            .find_map(|option| match option {
                WasiOption::Tls(on) => Some(*on),
                _ => None,
            })
            .unwrap_or(defaults.wasi_tls);
        let tls_roots = match &self.tls_roots {
            Some(file) => crate::tls::TlsRoots::File(file.clone()),
            None => defaults.tls_roots,
        };
        let cache = if self.no_cache {
            CacheSetting::Disabled
        } else if let Some(dir) = &self.cache_dir {
            CacheSetting::Directory(dir.clone())
        } else {
            CacheSetting::Default
        };
        RunnerConfig {
            cache,
            wasi_p3,
            component_model_async,
            wasi_tls,
            tls_roots,
        }
    }
}

/// `--tls-identity NAME=CERT:KEY`.
fn parse_tls_identity(spec: &str) -> Result<(String, PathBuf, PathBuf), String> {
    crate::tls::TlsIdentity::parse_spec(spec)
}

/// A size in bytes: `N`, or `N` with a `K`, `M` or `G` suffix (powers of
/// 1024).
pub fn parse_bytes(text: &str) -> Result<usize, String> {
    let bad = || format!("`{text}` is not a size (N, or N with K, M or G, like 256M)");
    let (digits, shift) = match text.trim().char_indices().last() {
        Some((at, 'k' | 'K')) => (&text[..at], 10),
        Some((at, 'm' | 'M')) => (&text[..at], 20),
        Some((at, 'g' | 'G')) => (&text[..at], 30),
        Some(_) => (text.trim(), 0),
        None => return Err(bad()),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let n: usize = digits.parse().map_err(|_| bad())?;
    n.checked_mul(1usize << shift).ok_or_else(bad)
}

/// `--dir HOST_DIR[::GUEST_DIR]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DirSpec {
    /// The host directory.
    pub host: PathBuf,
    /// Its name in the guest.
    pub guest: String,
}

impl FromStr for DirSpec {
    type Err = String;

    fn from_str(spec: &str) -> Result<Self, String> {
        let (host, guest) = match spec.split_once("::") {
            Some((host, guest)) => (host, guest),
            None => (spec, spec),
        };
        if host.is_empty() {
            return Err(format!("bad --dir `{spec}`: missing HOST_DIR"));
        }
        if guest.is_empty() {
            return Err(format!("bad --dir `{spec}`: empty GUEST_DIR after `::`"));
        }
        Ok(DirSpec {
            host: PathBuf::from(host),
            guest: guest.to_owned(),
        })
    }
}

/// `--env NAME[=VALUE]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnvSpec {
    /// The variable's name.
    pub name: String,
    /// Its value; `None` inherits the host's.
    pub value: Option<String>,
}

impl FromStr for EnvSpec {
    type Err = String;

    fn from_str(spec: &str) -> Result<Self, String> {
        let (name, value) = match spec.split_once('=') {
            Some((name, value)) => (name, Some(value.to_owned())),
            None => (spec, None),
        };
        if name.is_empty() {
            return Err(format!("bad --env `{spec}`: missing NAME"));
        }
        Ok(EnvSpec {
            name: name.to_owned(),
            value,
        })
    }
}

/// Parses the process's arguments and runs the command on a tokio
/// multi-thread runtime; returns the process exit code.
pub fn main() -> i32 {
    let cli = Cli::parse();
    match cli.command {
        CliCommand::Run(args) => run_command(args),
        CliCommand::Adapt(args) => adapt_command(&args),
    }
}

/// `wasock run`: builds the policy (exit 2 on a bad grant), the runtime and
/// the runner, runs the guest, and maps how it ended to an exit code.
pub fn run_command(args: RunArgs) -> i32 {
    // First, before this process opens a descriptor of its own: systemd
    // passes its listeners from descriptor 3 on.
    let inherited = match crate::listeners::from_socket_activation() {
        Ok(inherited) => inherited,
        Err(error) => {
            report(format_args!("wasock: error: {error}"));
            return HOST_ERROR_EXIT_CODE;
        }
    };
    let policy = match args.policy() {
        Ok(policy) => Arc::new(policy),
        Err(error) => {
            Cli::command()
                .error(clap::error::ErrorKind::ValueValidation, error.to_string())
                .print()
                .ok();
            return USAGE_EXIT_CODE;
        }
    };
    // Keys are read before the capabilities go, and before the guest
    // starts (a file it cannot read then is an error now, not later).
    let tls_identities = match args.tls_identities() {
        Ok(identities) => identities,
        Err(error) => {
            report(format_args!("wasock: error: {error:#}"));
            return HOST_ERROR_EXIT_CODE;
        }
    };
    // Opened before the capabilities go (root may need them to reach it).
    let log = match args.log.as_deref().map(open_log).transpose() {
        Ok(log) => log,
        Err(error) => {
            Cli::command()
                .error(clap::error::ErrorKind::Io, error)
                .print()
                .ok();
            return USAGE_EXIT_CODE;
        }
    };
    let host_lines = HostLines(log.clone());
    // Listeners, while the host still has the privileges a port below
    // 1024 needs: those systemd passed (taken above, before the log
    // could take a descriptor number), then each --listen.
    let mut listeners = inherited;
    for address in &args.listen {
        match crate::listeners::Listener::bind(*address) {
            Ok(listener) => listeners.push(listener),
            Err(error) => {
                report(format_args!(
                    "wasock: error: cannot listen on {address} (--listen): {error}"
                ));
                return HOST_ERROR_EXIT_CODE;
            }
        }
    }
    // Least privilege, before any thread starts (capabilities belong to
    // threads, and the runtime's inherit this one's).
    let keep = crate::privileges::needed(&policy, !args.dirs.is_empty());
    if let Err(error) = crate::privileges::drop_capabilities(&keep) {
        report(format_args!(
            "wasock: error: cannot drop the capabilities no grant needs: {error}"
        ));
        return HOST_ERROR_EXIT_CODE;
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            report(format_args!(
                "wasock: error: cannot start the tokio runtime: {error}"
            ));
            return HOST_ERROR_EXIT_CODE;
        }
    };
    let component = PathBuf::from(&args.component_and_args[0]);
    let mut guest = args.guest_config().listeners(listeners);
    guest.tls_identities = tls_identities;
    if let Some(log) = &log {
        guest.denials = Some(Arc::new(FileSink::new(log.clone())));
    }
    // The guest runs on a worker thread, beside the reactor, not on this
    // one: from here every readiness event would be a cross-thread wake-up
    // (measured in BENCHMARKS.md: variant D).
    let timings = args.timings;
    let runner_config = args.runner_config();
    let guest_run = runtime.spawn(async move {
        let start = Instant::now();
        let runner = Runner::new(runner_config)?;
        let engine_ms = start.elapsed().as_secs_f64() * 1000.0;
        runner.prepare(&component).await?;
        if timings {
            let (hits, misses) = runner.cache_stats().unwrap_or((0, 0));
            report(format_args!(
                "wasock: engine ready in {engine_ms:.1} ms, component ready in {:.1} ms (disk cache: {hits} hits, {misses} misses)",
                start.elapsed().as_secs_f64() * 1000.0 - engine_ms
            ));
        }
        runner.run(&component, guest, policy).await
    });
    let outcome = runtime.block_on(guest_run).unwrap_or_else(|join_error| {
        Err(wasmtime::format_err!(
            "the guest's task ended abnormally: {join_error}"
        ))
    });
    // Guests may leave tasks (timers, sockets) behind; do not wait for them.
    runtime.shutdown_background();
    match outcome {
        Ok(Outcome::Exited(code)) => code,
        Ok(trapped @ Outcome::Trapped(_)) => {
            if let Outcome::Trapped(error) = &trapped {
                host_lines.write(&trap_report(error));
            }
            trapped.exit_code()
        }
        Err(error) => {
            host_lines.write(&[format!(
                "wasock: error: {}",
                escape_line(&format!("{error:#}"), HOST_LINE_CAP)
            )]);
            HOST_ERROR_EXIT_CODE
        }
    }
}

/// `--log FILE`, opened to append (and created if missing).
fn open_log(path: &std::path::Path) -> Result<Arc<Mutex<std::fs::File>>, String> {
    std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(path)
        .map(|file| Arc::new(Mutex::new(file)))
        .map_err(|error| format!("cannot open --log {}: {error}", path.display()))
}

/// Where the host's own lines about a run go: the `--log` file, or stderr.
struct HostLines(Option<Arc<Mutex<std::fs::File>>>);

impl HostLines {
    fn write(&self, lines: &[String]) {
        match &self.0 {
            Some(file) => {
                let mut file = file.lock().unwrap_or_else(|p| p.into_inner());
                write_lines(&mut *file, lines);
            }
            None => write_lines(&mut std::io::stderr().lock(), lines),
        }
    }
}

/// The most bytes of one line the host writes about a guest.
pub const HOST_LINE_CAP: usize = 1024;
/// The most backtrace frames a trap report lists.
const TRAP_FRAMES: usize = 32;

/// A trap as lines for the host's log: the trap's messages, then one line
/// a wasm frame. The guest names its own modules and functions (the name
/// section), so every name is escaped and cut on its own: a name with a
/// newline or a terminal escape cannot start a line of its own or look
/// like the host's. (The containerd shim reports traps with it too.)
pub fn trap_report(error: &wasmtime::Error) -> Vec<String> {
    let backtrace = error.downcast_ref::<wasmtime::WasmBacktrace>();
    // The backtrace is a context of the error: its text is one of the
    // chain's, left out here and listed frame by frame below.
    let backtrace_text = backtrace.map(|backtrace| backtrace.to_string());
    let messages: Vec<String> = error
        .chain()
        .map(|cause| cause.to_string())
        .filter(|message| Some(message) != backtrace_text.as_ref())
        .collect();
    let mut lines = vec![format!(
        "wasock: guest trapped: {}",
        escape_line(&messages.join(": "), HOST_LINE_CAP)
    )];
    if let Some(backtrace) = backtrace {
        let frames = backtrace.frames();
        for (index, frame) in frames.iter().enumerate().take(TRAP_FRAMES) {
            let module = frame.module().name().unwrap_or("<module>");
            let function = frame.func_name().map_or("<function>".to_owned(), |name| {
                format!("{:#}", rustc_demangle::demangle(name))
            });
            let offset = frame
                .module_offset()
                .map_or(String::new(), |offset| format!(" at 0x{offset:x}"));
            lines.push(format!(
                "wasock:   {index}: {}{offset}",
                escape_line(&format!("{module}!{function}"), 256)
            ));
        }
        if frames.len() > TRAP_FRAMES {
            lines.push(format!(
                "wasock:   ... {} more frames",
                frames.len() - TRAP_FRAMES
            ));
        }
    }
    lines
}

/// One line on stderr, ignoring failure (a closed stderr must not change
/// the exit code into a panic's).
fn report(line: std::fmt::Arguments<'_>) {
    use std::io::Write as _;
    let _ = writeln!(std::io::stderr().lock(), "{line}");
}

const ADAPT_EXAMPLES: &str = "\
What wasi:sockets cannot do (unix and raw sockets, reverse lookups, service names,
MSG_PEEK / MSG_OOB, most options) answers an `unsupported` error in the adapted
guest; docs/parity.md lists every item.

Example:
  wasock adapt echo-client.wasm -o echo-client.portable.wasm
  wasmtime run -S inherit-network echo-client.portable.wasm 127.0.0.1:7000 hello";

/// `wasock adapt`'s arguments.
#[derive(Debug, clap::Args)]
pub struct AdaptArgs {
    /// The guest component (built against the wasock SDK).
    #[arg(value_name = "IN.wasm")]
    pub input: PathBuf,

    /// Where to write the adapted component.
    #[arg(short = 'o', long = "output", value_name = "OUT.wasm")]
    pub output: PathBuf,
}

/// `wasock adapt`: reads the guest, composes the adapter into it and writes
/// the result; exit 1 with one line on stderr if any of that fails.
pub fn adapt_command(args: &AdaptArgs) -> i32 {
    let outcome = std::fs::read(&args.input)
        .map_err(|error| format!("reading {}: {error}", args.input.display()))
        .and_then(|guest| {
            crate::adapt::adapt(&guest)
                .map_err(|error| format!("adapting {}: {error}", args.input.display()))
        })
        .and_then(|adapted| {
            write_whole(&args.output, &adapted)
                .map_err(|error| format!("writing {}: {error}", args.output.display()))
        });
    match outcome {
        Ok(()) => 0,
        Err(message) => {
            // The component names its own imports and exports, which the
            // errors quote.
            report(format_args!(
                "wasock: error: {}",
                escape_line(&message, HOST_LINE_CAP)
            ));
            HOST_ERROR_EXIT_CODE
        }
    }
}

/// Writes `bytes` to `path` so that a reader sees the old file or the
/// whole new one, never part of it: into a file of this process's own
/// beside it, then renamed over it (a test host loading an adapted guest
/// while it was rewritten in place read a half-written file).
fn write_whole(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(format!(".{}.partial", std::process::id()));
    let partial = path.with_file_name(name);
    std::fs::write(&partial, bytes)?;
    std::fs::rename(&partial, path).inspect_err(|_| {
        let _ = std::fs::remove_file(&partial);
    })
}

#[cfg(test)]
mod tests;
