//! The embedding runner behind `wasock run`: one wasmtime [`Engine`] (async,
//! with the compiled-component cache) and one [`Linker`] serving
//! `wasi:cli` (through `wasmtime-wasi`, `wasi:sockets` included) and the
//! wasock interfaces, able to run many guests at once in one process.
//!
//! ```no_run
//! # async fn demo() -> anyhow::Result<()> {
//! use std::sync::Arc;
//! use wasock_host::policy::Policy;
//! use wasock_host::run::{GuestConfig, Runner, RunnerConfig};
//!
//! let runner = Runner::new(RunnerConfig::default())?;
//! let policy = Arc::new(Policy::new().allow_connect("127.0.0.1:7".parse()?));
//! let guest = GuestConfig::new().arg("127.0.0.1:7").arg("hello");
//! let outcome = runner.run("echo-client.wasm".as_ref(), guest, policy).await?;
//! std::process::exit(outcome.exit_code());
//! # }
//! ```
//!
//! `Runner` is cheap to clone (an `Arc` inside) and every `run` has its own
//! `Store`, so an embedder can `tokio::spawn` as many runs as it likes on
//! the same runner: they share the engine, the linker and each component's
//! compiled code (compiled once per process, and once per machine thanks
//! to wasmtime's on-disk cache).
//!
//! The `WasiCtx` of each guest is built from the same [`Policy`] as its
//! wasock context, so a guest using `std::net` (`wasi:sockets`) obeys the
//! same grants as one using the wasock SDK.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use anyhow::{Context as _, Result};
use wasmtime::component::{Component, Linker, ResourceTable};
use wasmtime::{Cache, CacheConfig, Config, Engine, Store};
use wasmtime_wasi::p2::bindings::CommandPre;
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::sockets::SocketAddrUse;
use wasmtime_wasi::{FsPerms, I32Exit, WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView};

use crate::policy::{Denied, Policy, report_denied};
use crate::{WasockCtx, WasockCtxView, WasockView};

/// Where compiled components are cached on disk.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum CacheSetting {
    /// wasmtime's default cache directory (`$XDG_CACHE_HOME/wasmtime` or
    /// `~/.cache/wasmtime` on Linux), or the directory named by the
    /// `WASOCK_CACHE_DIR` environment variable when it is set.
    #[default]
    Default,
    /// This directory (made absolute).
    Directory(PathBuf),
    /// No on-disk cache: every process compiles each component again.
    Disabled,
}

/// How to build a [`Runner`].
#[derive(Clone, Debug, Default)]
pub struct RunnerConfig {
    /// The compiled-component cache.
    pub cache: CacheSetting,
}

/// What one guest is started with (besides its component and policy).
#[derive(Clone, Debug, Default)]
pub struct GuestConfig {
    /// The guest's arguments after `argv[0]` (which is the component path).
    pub args: Vec<String>,
    /// The guest's environment (nothing is inherited unless listed).
    pub env: Vec<(String, String)>,
    /// Preopened directories: (host path, guest path), read-write.
    pub dirs: Vec<(PathBuf, String)>,
    /// `argv[0]`; the component path when `None`.
    pub program_name: Option<String>,
    /// Where the guest's stdout goes: the process's when `None`, else
    /// this in-memory pipe (keep a clone and read `contents()` after the
    /// run).
    pub stdout: Option<MemoryOutputPipe>,
    /// Where the guest's stderr goes: the process's when `None`.
    pub stderr: Option<MemoryOutputPipe>,
}

impl GuestConfig {
    /// An empty configuration: no arguments, no environment, no directories.
    pub fn new() -> Self {
        GuestConfig::default()
    }

    /// Appends one guest argument.
    pub fn arg(mut self, arg: impl Into<String>) -> Self {
        self.args.push(arg.into());
        self
    }

    /// Sets one environment variable.
    pub fn env(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.env.push((name.into(), value.into()));
        self
    }

    /// Preopens a host directory under the guest path `guest`.
    pub fn dir(mut self, host: impl Into<PathBuf>, guest: impl Into<String>) -> Self {
        self.dirs.push((host.into(), guest.into()));
        self
    }

    /// Captures the guest's stdout and stderr in memory (at most
    /// `capacity` bytes each) instead of writing them to the process's;
    /// returns the configuration and the (stdout, stderr) pipes to read
    /// after the run.
    pub fn capture_output(mut self, capacity: usize) -> (Self, MemoryOutputPipe, MemoryOutputPipe) {
        let stdout = MemoryOutputPipe::new(capacity);
        let stderr = MemoryOutputPipe::new(capacity);
        self.stdout = Some(stdout.clone());
        self.stderr = Some(stderr.clone());
        (self, stdout, stderr)
    }
}

/// How a guest ended.
#[derive(Debug)]
pub enum Outcome {
    /// `wasi:cli/run` returned, or the guest called `exit`: the exit code
    /// (0 for `Ok`, 1 for `Err` from `run`, else what `exit` was given).
    Exited(i32),
    /// The guest trapped (a Rust guest's panic is a trap); the error
    /// carries the trap and the wasm backtrace.
    Trapped(wasmtime::Error),
}

impl Outcome {
    /// The exit code a process should report: the guest's own, or 134
    /// (128 + SIGABRT, as the `wasmtime` CLI does) for a trap.
    pub fn exit_code(&self) -> i32 {
        match self {
            Outcome::Exited(code) => *code,
            Outcome::Trapped(_) => TRAP_EXIT_CODE,
        }
    }
}

/// The exit code of a trapped guest (128 + SIGABRT, as the wasmtime CLI).
pub const TRAP_EXIT_CODE: i32 = 134;

/// The store state of one guest: WASI, the shared resource table, wasock.
pub struct GuestState {
    wasi: WasiCtx,
    table: ResourceTable,
    wasock: WasockCtx,
}

impl std::fmt::Debug for GuestState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GuestState").finish_non_exhaustive()
    }
}

impl WasiView for GuestState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl WasockView for GuestState {
    fn wasock(&mut self) -> WasockCtxView<'_> {
        WasockCtxView {
            ctx: &mut self.wasock,
            table: &mut self.table,
        }
    }
}

/// Which file a cached compilation came from: its path and, so that a
/// rebuilt guest is recompiled, its size and modification time.
#[derive(Clone, Debug, Hash, PartialEq, Eq)]
struct ComponentKey {
    path: PathBuf,
    len: u64,
    modified: Option<SystemTime>,
}

type PreCell = Arc<tokio::sync::OnceCell<CommandPre<GuestState>>>;

struct RunnerInner {
    engine: Engine,
    linker: Linker<GuestState>,
    cache: Option<Cache>,
    components: Mutex<HashMap<ComponentKey, PreCell>>,
}

/// Runs wasock guests: one engine, one linker, any number of guests.
#[derive(Clone)]
pub struct Runner {
    inner: Arc<RunnerInner>,
}

impl std::fmt::Debug for Runner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Runner")
            .field(
                "cache",
                &self.inner.cache.as_ref().map(|c| c.directory().clone()),
            )
            .finish_non_exhaustive()
    }
}

impl Runner {
    /// Builds the engine (async, component model, on-disk cache as
    /// configured) and the linker (`wasi:cli` imports through
    /// `wasmtime_wasi::p2::add_to_linker_async`, then
    /// `wasock_host::add_to_linker`).
    pub fn new(config: RunnerConfig) -> Result<Runner> {
        let cache = match config.cache {
            CacheSetting::Disabled => None,
            CacheSetting::Default => {
                let mut cache_config = CacheConfig::new();
                if let Some(dir) = std::env::var_os("WASOCK_CACHE_DIR") {
                    cache_config.with_directory(absolute(Path::new(&dir))?);
                }
                Some(Cache::new(cache_config).map_err(anyhow_from)?)
            }
            CacheSetting::Directory(dir) => {
                let mut cache_config = CacheConfig::new();
                cache_config.with_directory(absolute(&dir)?);
                Some(
                    Cache::new(cache_config)
                        .map_err(anyhow_from)
                        .with_context(|| format!("cache directory {}", dir.display()))?,
                )
            }
        };
        let mut engine_config = Config::new();
        engine_config.wasm_component_model(true);
        engine_config.epoch_interruption(true);
        engine_config.cache(cache.clone());
        let engine = Engine::new(&engine_config).map_err(anyhow_from)?;
        start_epoch_ticker(&engine)?;
        let mut linker = Linker::<GuestState>::new(&engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker).map_err(anyhow_from)?;
        crate::add_to_linker(&mut linker)?;
        Ok(Runner {
            inner: Arc::new(RunnerInner {
                engine,
                linker,
                cache,
                components: Mutex::new(HashMap::new()),
            }),
        })
    }

    /// The shared engine.
    pub fn engine(&self) -> &Engine {
        &self.inner.engine
    }

    /// The on-disk cache's (hits, misses) so far in this process, when the
    /// cache is enabled.
    pub fn cache_stats(&self) -> Option<(usize, usize)> {
        self.inner
            .cache
            .as_ref()
            .map(|c| (c.cache_hits(), c.cache_misses()))
    }

    /// Compiles (or fetches from the caches) the component at `path` and
    /// pre-instantiates it against the linker. A component is compiled at
    /// most once per process, however many guests run it at once.
    pub async fn prepare(&self, path: &Path) -> Result<CommandPre<GuestState>> {
        let meta = std::fs::metadata(path)
            .with_context(|| format!("cannot read component {}", path.display()))?;
        let key = ComponentKey {
            path: path.canonicalize().unwrap_or_else(|_| path.to_path_buf()),
            len: meta.len(),
            modified: meta.modified().ok(),
        };
        let cell = {
            let mut map = self
                .inner
                .components
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            map.entry(key).or_default().clone()
        };
        let pre = cell
            .get_or_try_init(|| {
                let inner = self.inner.clone();
                let path = path.to_path_buf();
                async move {
                    tokio::task::spawn_blocking(move || -> Result<CommandPre<GuestState>> {
                        let component = Component::from_file(&inner.engine, &path)
                            .map_err(anyhow_from)
                            .with_context(|| format!("cannot load component {}", path.display()))?;
                        let instance_pre = inner
                            .linker
                            .instantiate_pre(&component)
                            .map_err(anyhow_from)
                            .with_context(|| format!("cannot link component {}", path.display()))?;
                        CommandPre::new(instance_pre)
                            .map_err(anyhow_from)
                            .with_context(|| {
                                format!("{} is not a wasi:cli command component", path.display())
                            })
                    })
                    .await
                    .context("component compilation task failed")?
                }
            })
            .await?;
        Ok(pre.clone())
    }

    /// Runs the `wasi:cli/run` export of the component at `path` under
    /// `policy`, with `guest`'s arguments, environment and directories and
    /// the process's stdio (or `guest`'s capture pipes), and returns how it
    /// ended.
    ///
    /// `Err` is for failures before the guest starts (unreadable or invalid
    /// component, missing imports, a directory that cannot be opened).
    pub async fn run(
        &self,
        path: &Path,
        guest: GuestConfig,
        policy: Arc<Policy>,
    ) -> Result<Outcome> {
        let pre = self.prepare(path).await?;
        let wasi = wasi_ctx(path, &guest, &policy)?;
        let state = GuestState {
            wasi,
            table: ResourceTable::new(),
            wasock: WasockCtx::new(policy.clone()),
        };
        let mut store = Store::new(&self.inner.engine, state);
        // A guest that computes without calling the host yields to the
        // executor at every epoch tick, so it cannot starve the others.
        store.epoch_deadline_async_yield_and_update(1);
        let outcome = async {
            let command = pre.instantiate_async(&mut store).await?;
            command.wasi_cli_run().call_run(&mut store).await
        }
        .await;
        crate::policy::flush_denied_reports();
        Ok(match outcome {
            Ok(Ok(())) => Outcome::Exited(0),
            Ok(Err(())) => Outcome::Exited(1),
            Err(error) => match error.downcast_ref::<I32Exit>() {
                Some(exit) => Outcome::Exited(exit.0),
                None => Outcome::Trapped(error),
            },
        })
    }
}

/// The guest's `WasiCtx`: stdio inherited, the given arguments, environment
/// and preopened directories, and `wasi:sockets` under `policy`.
fn wasi_ctx(path: &Path, guest: &GuestConfig, policy: &Arc<Policy>) -> Result<WasiCtx> {
    let mut builder = WasiCtxBuilder::new();
    builder.inherit_stdio();
    if let Some(stdout) = &guest.stdout {
        builder.stdout(stdout.clone());
    }
    if let Some(stderr) = &guest.stderr {
        builder.stderr(stderr.clone());
    }
    let program = guest
        .program_name
        .clone()
        .unwrap_or_else(|| path.display().to_string());
    builder.arg(program);
    builder.args(&guest.args);
    builder.envs(&guest.env);
    for (host, guest_path) in &guest.dirs {
        builder
            .preopened_dir(host, guest_path, FsPerms::ReadWrite)
            .map_err(anyhow_from)
            .with_context(|| format!("cannot open --dir {}", host.display()))?;
    }
    builder.allow_tcp(true);
    builder.allow_udp(true);
    builder.allow_ip_name_lookup(policy.dns_allowed());
    let check_policy = policy.clone();
    builder.socket_addr_check(move |addr, usage| {
        let verdict = wasi_socket_check(&check_policy, addr, usage);
        if let Err(denied) = &verdict {
            report_denied(denied);
        }
        Box::pin(std::future::ready(verdict.is_ok()))
    });
    Ok(builder.build())
}

/// The policy for one `wasi:sockets` address use, mirroring what the
/// wasock socket layer checks:
///
/// - connect and send-to (`TcpConnect`, `UdpSend`): `check_connect`;
/// - an explicit bind: `check_bind`. wasmtime-wasi also asks about the
///   implicit bind the OS does before an unbound socket connects or sends,
///   passing the wildcard address with port 0; that bind exposes nothing
///   (an ephemeral port for the replies of a connection the policy
///   allowed), so it is allowed, as it is for wasock sockets. A listen after
///   it is still checked below;
/// - listen (`TcpListen`, with the socket's local address): `check_bind` of
///   that address, or of its address with port 0 when the guest was
///   granted ephemeral binds there (`ADDR:0`);
/// - accepted clients and received datagrams (`TcpAccept`, `UdpReceive`):
///   allowed; the listening or bound socket they arrive on was granted.
fn wasi_socket_check(
    policy: &Policy,
    addr: SocketAddr,
    usage: SocketAddrUse,
) -> Result<(), Denied> {
    match usage {
        SocketAddrUse::TcpConnect | SocketAddrUse::UdpSend => policy.check_connect(&addr),
        SocketAddrUse::TcpBind | SocketAddrUse::UdpBind => {
            if addr.ip().is_unspecified() && addr.port() == 0 {
                // The implicit bind of a connecting/sending socket (or an
                // explicit bind to the same wildcard, which cannot listen
                // unless the listen check below allows it).
                Ok(())
            } else {
                policy.check_bind(&addr)
            }
        }
        SocketAddrUse::TcpListen => match policy.check_bind(&addr) {
            Ok(()) => Ok(()),
            Err(denied) => {
                let ephemeral = SocketAddr::new(addr.ip(), 0);
                if addr.port() != 0 && policy.check_bind(&ephemeral).is_ok() {
                    Ok(())
                } else {
                    Err(Denied {
                        message: denied.message.replacen("denied bind", "denied listen", 1),
                    })
                }
            }
        },
        SocketAddrUse::TcpAccept | SocketAddrUse::UdpReceive => Ok(()),
    }
}

/// How often running guests yield to the async executor (see
/// [`start_epoch_ticker`]).
pub const EPOCH_TICK: std::time::Duration = std::time::Duration::from_millis(10);

/// Starts the thread that advances `engine`'s epoch every [`EPOCH_TICK`];
/// every store yields at each tick (`epoch_deadline_async_yield_and_update`),
/// so a guest spinning in pure computation shares its thread with the other
/// guests instead of holding it. The thread ends when the engine is dropped.
fn start_epoch_ticker(engine: &Engine) -> Result<()> {
    let weak = engine.weak();
    std::thread::Builder::new()
        .name("wasock-epoch".into())
        .spawn(move || {
            loop {
                std::thread::sleep(EPOCH_TICK);
                match weak.upgrade() {
                    Some(engine) => engine.increment_epoch(),
                    None => break,
                }
            }
        })
        .context("cannot start the epoch thread")?;
    Ok(())
}

/// `path` made absolute against the current directory.
fn absolute(path: &Path) -> Result<PathBuf> {
    std::path::absolute(path).with_context(|| format!("cannot make {} absolute", path.display()))
}

/// A wasmtime error as an `anyhow` one (the chain and message kept).
fn anyhow_from(error: wasmtime::Error) -> anyhow::Error {
    anyhow::Error::from_boxed(error.into_boxed_dyn_error())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> Policy {
        Policy::new()
            .allow_connect("127.0.0.1:8080".parse().unwrap())
            .allow_bind("127.0.0.1:0".parse().unwrap())
            .allow_bind("[::1]:9000".parse().unwrap())
    }

    fn sa(s: &str) -> SocketAddr {
        s.parse().unwrap()
    }

    #[test]
    fn wasi_connect_and_send_follow_allow_connect() {
        let p = policy();
        assert!(wasi_socket_check(&p, sa("127.0.0.1:8080"), SocketAddrUse::TcpConnect).is_ok());
        assert!(wasi_socket_check(&p, sa("127.0.0.1:8081"), SocketAddrUse::TcpConnect).is_err());
        assert!(wasi_socket_check(&p, sa("127.0.0.1:8080"), SocketAddrUse::UdpSend).is_ok());
        let denied = wasi_socket_check(&p, sa("10.0.0.1:80"), SocketAddrUse::UdpSend).unwrap_err();
        assert_eq!(
            denied.message,
            "denied connect to 10.0.0.1:80: no --allow-connect grant matches"
        );
    }

    #[test]
    fn wasi_implicit_bind_allowed_explicit_checked() {
        let p = Policy::new();
        assert!(wasi_socket_check(&p, sa("0.0.0.0:0"), SocketAddrUse::TcpBind).is_ok());
        assert!(wasi_socket_check(&p, sa("[::]:0"), SocketAddrUse::UdpBind).is_ok());
        assert!(wasi_socket_check(&p, sa("0.0.0.0:80"), SocketAddrUse::TcpBind).is_err());
        assert!(wasi_socket_check(&p, sa("127.0.0.1:0"), SocketAddrUse::TcpBind).is_err());
        let g = policy();
        assert!(wasi_socket_check(&g, sa("127.0.0.1:0"), SocketAddrUse::TcpBind).is_ok());
        assert!(wasi_socket_check(&g, sa("[::1]:9000"), SocketAddrUse::UdpBind).is_ok());
        assert!(wasi_socket_check(&g, sa("[::1]:9001"), SocketAddrUse::UdpBind).is_err());
    }

    #[test]
    fn wasi_listen_needs_a_bind_grant() {
        let none = Policy::new();
        let denied =
            wasi_socket_check(&none, sa("0.0.0.0:0"), SocketAddrUse::TcpListen).unwrap_err();
        assert!(
            denied.message.starts_with("denied listen to 0.0.0.0:0"),
            "{denied}"
        );
        assert!(wasi_socket_check(&none, sa("0.0.0.0:41000"), SocketAddrUse::TcpListen).is_err());
        let g = policy();
        // Bound to an ephemeral port under a `127.0.0.1:0` grant.
        assert!(wasi_socket_check(&g, sa("127.0.0.1:41000"), SocketAddrUse::TcpListen).is_ok());
        assert!(wasi_socket_check(&g, sa("[::1]:9000"), SocketAddrUse::TcpListen).is_ok());
        assert!(wasi_socket_check(&g, sa("[::1]:9001"), SocketAddrUse::TcpListen).is_err());
        assert!(wasi_socket_check(&g, sa("0.0.0.0:41000"), SocketAddrUse::TcpListen).is_err());
    }

    #[test]
    fn wasi_accept_and_receive_allowed() {
        let p = Policy::new();
        assert!(wasi_socket_check(&p, sa("10.0.0.1:5"), SocketAddrUse::TcpAccept).is_ok());
        assert!(wasi_socket_check(&p, sa("10.0.0.1:5"), SocketAddrUse::UdpReceive).is_ok());
    }

    #[test]
    fn outcome_exit_codes() {
        assert_eq!(Outcome::Exited(0).exit_code(), 0);
        assert_eq!(Outcome::Exited(3).exit_code(), 3);
        let trap = Outcome::Trapped(wasmtime::Error::msg("boom"));
        assert_eq!(trap.exit_code(), TRAP_EXIT_CODE);
    }
}
