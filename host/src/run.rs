//! The embedding runner behind `wasock run`: one wasmtime [`Engine`] (async,
//! with the compiled-component cache) and one [`Linker`] serving
//! `wasi:cli` (through `wasmtime-wasi`, `wasi:sockets` included) and the
//! wasock interfaces, able to run many guests at once in one process.
//!
//! A whole program, in an `anyhow::Result` function (dependencies:
//! `wasock-host`, `tokio` with `macros` and `rt-multi-thread`, `anyhow`;
//! no `wasmtime` of your own: this crate re-exports the one it is built
//! with as [`crate::wasmtime`]):
//!
//! ```no_run
//! use std::sync::Arc;
//! use wasock_host::policy::Policy;
//! use wasock_host::run::{GuestConfig, Runner, RunnerConfig};
//!
//! #[tokio::main]
//! async fn main() -> anyhow::Result<()> {
//!     // wasmtime 48's error type (`wasock_host::wasmtime::Error`, what
//!     // `Runner` returns) is no `std::error::Error`; this crate turns on
//!     // wasmtime's `anyhow` feature, so `?` converts it to
//!     // `anyhow::Error`. Elsewhere: `.map_err(|e| e.into_boxed_dyn_error())`.
//!     let runner = Runner::new(RunnerConfig::default())?;
//!     let policy = Arc::new(Policy::new().allow_connect("127.0.0.1:7".parse()?));
//!     // The denials as values (operation, subject, the grant that would
//!     // allow it, guest) rather than the host's lines.
//!     let (guest, denials) = GuestConfig::new()
//!         .arg("127.0.0.1:7")
//!         .arg("hello")
//!         .record_denials(100);
//!     let outcome = runner.run("echo-client.wasm".as_ref(), guest, policy).await?;
//!     for denial in denials.denials() {
//!         eprintln!(
//!             "{} was refused {:?} of {} (grant: {})",
//!             denial.guest,
//!             denial.operation,
//!             denial.subject,
//!             denial.grant.unwrap_or("none")
//!         );
//!     }
//!     std::process::exit(outcome.exit_code());
//! }
//! ```
//!
//! An embedder's own [`DenialSink`] (given with [`GuestConfig::denials`])
//! receives each refusal as it happens;
//! [`Denial::new`](crate::policy::Denial::new) makes the same values of
//! it.
//!
//! `Runner` is cheap to clone (an `Arc` inside) and every `run` has its own
//! `Store`, so an embedder can `tokio::spawn` as many runs as it likes on
//! the same runner: they share the engine, the linker and each component's
//! compiled code (compiled once per process, and once per machine thanks
//! to wasmtime's on-disk cache).
//!
//! The linker serves `wasi:sockets` through wasock's wrappers (see
//! `crate::add_to_linker`), so a guest using `std::net` obeys the same
//! grants, limits and accounting as one using the wasock SDK. Each guest
//! also gets the policy's memory limit (wasmtime's store limits) and a
//! bound on its resource table.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use wasmtime::Result;
use wasmtime::component::{Component, Linker, ResourceTable};
use wasmtime::error::Context as _;
use wasmtime::{Cache, CacheConfig, Config, Engine, Store};
use wasmtime_wasi::p2::bindings::CommandPre;
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::{FsPerms, I32Exit, WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView};

use crate::listeners::{Listener, Listeners};
use crate::policy::{DenialSink, MemorySink, Policy, RecordingSink, StderrSink};
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
#[derive(Clone, Debug)]
pub struct RunnerConfig {
    /// The compiled-component cache.
    pub cache: CacheSetting,
    /// Serve WASI 0.3 (`wasi:cli@0.3.0`, `wasi:sockets@0.3.0` under the
    /// same policy): a component exporting `wasi:cli/run@0.3.0` runs
    /// through it. On by default (`-S p3`), as in wasmtime 48.
    pub wasi_p3: bool,
    /// The component model's async (`-W component-model-async`): async
    /// functions, streams and futures. On by default, as in wasmtime 48;
    /// WASI 0.3 needs it.
    pub component_model_async: bool,
    /// Serve `wasi:tls` (`-S tls`, off by default as in wasmtime): TLS
    /// with the host's crypto over streams of the guest's own sockets.
    pub wasi_tls: bool,
    /// What guests' TLS connections trust (`--tls-roots FILE`, else the
    /// system's roots): `wasi:tls` and wasock's own TLS alike.
    pub tls_roots: crate::tls::TlsRoots,
}

impl Default for RunnerConfig {
    fn default() -> Self {
        RunnerConfig {
            cache: CacheSetting::Default,
            wasi_p3: true,
            component_model_async: true,
            wasi_tls: false,
            tls_roots: crate::tls::TlsRoots::System,
        }
    }
}

/// A component compiled and linked, ready to instantiate: a WASI 0.3
/// command (its `wasi:cli/run@0.3.0` export, preferred where the runner
/// serves 0.3) or a WASI 0.2 one.
#[derive(Clone)]
pub enum Prepared {
    /// Exports `wasi:cli/run@0.2.x`.
    P2(CommandPre<GuestState>),
    /// Exports `wasi:cli/run@0.3.0`.
    P3(wasmtime_wasi::p3::bindings::CommandPre<GuestState>),
}

impl std::fmt::Debug for Prepared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Prepared::P2(_) => "Prepared::P2",
            Prepared::P3(_) => "Prepared::P3",
        })
    }
}

impl Prepared {
    /// The WASI version whose `run` the guest exports: 2 or 3.
    pub fn wasi_version(&self) -> u32 {
        match self {
            Prepared::P2(_) => 2,
            Prepared::P3(_) => 3,
        }
    }
}

/// What one guest is started with (besides its component and policy).
#[derive(Clone, Debug, Default)]
pub struct GuestConfig {
    /// The guest's arguments after `argv[0]` (the component's file name).
    pub args: Vec<String>,
    /// The guest's environment (nothing is inherited unless listed).
    pub env: Vec<(String, String)>,
    /// Preopened directories: (host path, guest path), read-write.
    pub dirs: Vec<(PathBuf, String)>,
    /// `argv[0]`; the component's file name (never its host path) when
    /// `None`.
    pub program_name: Option<String>,
    /// Where the guest's stdout goes: the process's when `None`, else
    /// this in-memory pipe (keep a clone and read `contents()` after the
    /// run).
    pub stdout: Option<MemoryOutputPipe>,
    /// Where the guest's stderr goes: the process's when `None`.
    pub stderr: Option<MemoryOutputPipe>,
    /// The guest's name in denial reports; the component's file name when
    /// `None`.
    pub name: Option<String>,
    /// Where the guest's denials go: a [`StderrSink`] of its own when
    /// `None`.
    pub denials: Option<Arc<dyn DenialSink>>,
    /// Listening sockets the host opened for the guest (`--listen`,
    /// `LISTEN_FDS`), handed out by the contract's `listeners` call; the
    /// first run of this configuration (or of a clone) takes them.
    pub listeners: Listeners,
    /// The identities the guest's TLS servers may present
    /// (`--tls-identity`); no directory of `dirs` may hold their files.
    pub tls_identities: crate::tls::TlsIdentities,
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

    /// Names the guest in denial reports.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Gives the guest these listening sockets (see
    /// [`crate::listeners`]), in this order. They count toward the
    /// policy's socket limit; the guest serves on them with no bind grant.
    pub fn listeners(mut self, listeners: Vec<Listener>) -> Self {
        self.listeners = Listeners::new(listeners);
        self
    }

    /// Sends the guest's denials to `sink`.
    pub fn denials(mut self, sink: Arc<dyn DenialSink>) -> Self {
        self.denials = Some(sink);
        self
    }

    /// Keeps the guest's denial reports in memory (at most `capacity`
    /// lines, as `wasock run` would print them) instead of printing them;
    /// returns the configuration and the sink to read after the run.
    pub fn capture_denials(self, capacity: usize) -> (Self, Arc<MemorySink>) {
        let sink = Arc::new(MemorySink::new(capacity));
        (self.denials(sink.clone()), sink)
    }

    /// Keeps the guest's denials as values
    /// ([`Denial`](crate::policy::Denial): operation,
    /// subject, the grant that would allow it, guest), at most
    /// `capacity`, instead of printing them; returns the configuration and
    /// the sink to read after (or during) the run.
    pub fn record_denials(self, capacity: usize) -> (Self, Arc<RecordingSink>) {
        let sink = Arc::new(RecordingSink::new(capacity));
        (self.denials(sink.clone()), sink)
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

/// The store state of one guest: WASI, the shared resource table, wasock,
/// and the store's limits.
pub struct GuestState {
    wasi: WasiCtx,
    tls: wasmtime_wasi_tls::WasiTlsCtx,
    table: ResourceTable,
    wasock: WasockCtx,
    limits: GuestLimits,
}

/// How many entries a guest's resource table may hold, for a guest allowed
/// `max_sockets` sockets: room for each socket and a few pollables and
/// streams of its own, and for the guest's other resources.
pub fn resource_table_limit(max_sockets: usize) -> usize {
    max_sockets.saturating_mul(4).saturating_add(64 * 1024)
}

/// The most linear memories, tables and instances one guest may create:
/// far above what a compiled program has (one or two of each per core
/// module), and a bound on what the engine keeps per guest.
pub const MAX_GUEST_MEMORIES: usize = 64;
/// See [`MAX_GUEST_MEMORIES`].
pub const MAX_GUEST_TABLES: usize = 256;
/// See [`MAX_GUEST_MEMORIES`].
pub const MAX_GUEST_INSTANCES: usize = 256;
/// The most table elements one guest may hold, all its tables together.
pub const MAX_GUEST_TABLE_ELEMENTS: usize = 1 << 20;

/// The store limits of one guest: `max_memory` bytes for all its linear
/// memories together (not each: a component may have many), a bound on
/// table elements, all tables together, and on how many memories, tables
/// and instances there are.
///
/// A memory or table is never freed before its store, so the totals only
/// grow; growth past them fails inside the guest (`memory.grow` returns
/// -1, the allocator reports out of memory), it does not touch the host.
#[derive(Debug)]
pub struct GuestLimits {
    max_memory: usize,
    memory_used: usize,
    table_elements_used: usize,
}

impl GuestLimits {
    /// Limits for a guest allowed `max_memory` bytes of linear memory.
    pub fn new(max_memory: usize) -> Self {
        GuestLimits {
            max_memory,
            memory_used: 0,
            table_elements_used: 0,
        }
    }

    /// Bytes of linear memory the guest holds, all memories together.
    pub fn memory_used(&self) -> usize {
        self.memory_used
    }
}

/// Adds the growth from `current` to `desired` to `used` if the sum stays
/// within `limit`; says whether it did.
fn grow_within(used: &mut usize, limit: usize, current: usize, desired: usize) -> bool {
    match used.checked_add(desired.saturating_sub(current)) {
        Some(total) if total <= limit => {
            *used = total;
            true
        }
        _ => false,
    }
}

impl wasmtime::ResourceLimiter for GuestLimits {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(grow_within(
            &mut self.memory_used,
            self.max_memory,
            current,
            desired,
        ))
    }

    fn table_growing(
        &mut self,
        current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(grow_within(
            &mut self.table_elements_used,
            MAX_GUEST_TABLE_ELEMENTS,
            current,
            desired,
        ))
    }

    fn instances(&self) -> usize {
        MAX_GUEST_INSTANCES
    }

    fn tables(&self) -> usize {
        MAX_GUEST_TABLES
    }

    fn memories(&self) -> usize {
        MAX_GUEST_MEMORIES
    }
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

impl wasmtime_wasi_tls::WasiTlsView for GuestState {
    fn tls(&mut self) -> wasmtime_wasi_tls::WasiTlsCtxView<'_> {
        wasmtime_wasi_tls::WasiTlsCtxView {
            ctx: &mut self.tls,
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

type PreCell = Arc<tokio::sync::OnceCell<Prepared>>;

struct RunnerInner {
    engine: Engine,
    linker: Linker<GuestState>,
    wasi_p3: bool,
    /// `wasi:tls` with the roots guests trust.
    tls: crate::tls::HostTlsProvider,
    /// The same roots, for wasock's own TLS.
    tls_client: Arc<rustls::ClientConfig>,
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
    /// Builds the engine (async, component model and its async, on-disk
    /// cache as configured) and the linker (`wasi:cli` imports through
    /// `wasmtime_wasi::p2::add_to_linker_async`, then
    /// `wasock_host::add_to_linker`, and for WASI 0.3
    /// `wasock_host::add_p3_to_linker`).
    pub fn new(config: RunnerConfig) -> Result<Runner> {
        let cache = match config.cache {
            CacheSetting::Disabled => None,
            CacheSetting::Default => {
                let mut cache_config = CacheConfig::new();
                if let Some(dir) = std::env::var_os("WASOCK_CACHE_DIR") {
                    cache_config.with_directory(absolute(Path::new(&dir))?);
                }
                Some(Cache::new(cache_config)?)
            }
            CacheSetting::Directory(dir) => {
                let mut cache_config = CacheConfig::new();
                cache_config.with_directory(absolute(&dir)?);
                Some(
                    Cache::new(cache_config)
                        .with_context(|| format!("cache directory {}", dir.display()))?,
                )
            }
        };
        let mut engine_config = Config::new();
        engine_config.wasm_component_model(true);
        engine_config.wasm_component_model_async(config.component_model_async);
        engine_config.epoch_interruption(true);
        engine_config.cache(cache.clone());
        let engine = Engine::new(&engine_config)?;
        start_epoch_ticker(&engine)?;
        let mut linker = Linker::<GuestState>::new(&engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker)?;
        crate::add_to_linker(&mut linker)?;
        let wasi_p3 = config.wasi_p3 && config.component_model_async;
        if wasi_p3 {
            crate::add_p3_to_linker(&mut linker)?;
        }
        let tls_client = crate::tls::client_config(config.tls_roots.load()?)?;
        if config.wasi_tls {
            let mut options = wasmtime_wasi_tls::p2::LinkOptions::default();
            options.tls(true);
            wasmtime_wasi_tls::p2::add_to_linker(&mut linker, &options)?;
            if wasi_p3 {
                wasmtime_wasi_tls::p3::add_to_linker(&mut linker)?;
            }
        }
        Ok(Runner {
            inner: Arc::new(RunnerInner {
                engine,
                linker,
                wasi_p3,
                tls: crate::tls::HostTlsProvider::new(tls_client.clone()),
                tls_client,
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
    pub async fn prepare(&self, path: &Path) -> Result<Prepared> {
        let meta = std::fs::metadata(path)
            .with_context(|| format!("cannot read component {}", path.display()))?;
        check_not_native(path)?;
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
                    tokio::task::spawn_blocking(move || -> Result<Prepared> {
                        let component = Component::from_file(&inner.engine, &path)
                            .with_context(|| format!("cannot load component {}", path.display()))?;
                        let instance_pre = inner
                            .linker
                            .instantiate_pre(&component)
                            .with_context(|| format!("cannot link component {}", path.display()))?;
                        // As wasmtime's CLI: a 0.3 `run` where 0.3 is served,
                        // else a 0.2 one.
                        if inner.wasi_p3
                            && let Ok(pre) =
                                wasmtime_wasi::p3::bindings::CommandPre::new(instance_pre.clone())
                        {
                            return Ok(Prepared::P3(pre));
                        }
                        let pre = CommandPre::new(instance_pre).with_context(|| {
                            format!("{} is not a wasi:cli command component", path.display())
                        })?;
                        Ok(Prepared::P2(pre))
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
        for (host_dir, _) in &guest.dirs {
            policy.check_dir_grant(host_dir)?;
        }
        if let Some(cache) = &self.inner.cache {
            // Its entries are native code the engine loads without checking
            // their contents: a guest that can write there runs code here.
            let cache_dir = cache.directory();
            policy.check_apart(
                cache_dir,
                guest.dirs.iter().map(|(host_dir, _)| host_dir.as_path()),
                &format!("the compile cache `{}`", cache_dir.display()),
                "a guest could replace compiled code that the host runs (or use --no-cache)",
            )?;
        }
        for identity in guest.tls_identities.iter() {
            for file in identity.files() {
                // A hard link is the same file by another name, which no
                // path comparison sees: one inside a --dir would show the
                // key to the guest.
                let links = std::os::unix::fs::MetadataExt::nlink(
                    &std::fs::metadata(file)
                        .with_context(|| format!("--tls-identity {}", identity.name()))?,
                );
                if links > 1 && !guest.dirs.is_empty() {
                    wasmtime::bail!(
                        "--tls-identity {}: `{}` has {links} hard links, and a link inside a --dir would show it to the guest; give the host a copy of its own (one link)",
                        identity.name(),
                        file.display()
                    );
                }
                // A guest that could read the key would hold the identity
                // itself, and one that could write the files would choose it.
                policy.check_apart(
                    file,
                    guest.dirs.iter().map(|(host_dir, _)| host_dir.as_path()),
                    &format!(
                        "the --tls-identity {} file `{}`",
                        identity.name(),
                        file.display()
                    ),
                    "the guest could read the private key the host holds for it",
                )?;
            }
        }
        let wasi = wasi_ctx(path, &guest)?;
        let name = guest.name.clone().unwrap_or_else(|| {
            path.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| "guest".to_owned())
        });
        let sink = guest
            .denials
            .clone()
            .unwrap_or_else(|| Arc::new(StderrSink::new()));
        let mut table = ResourceTable::new();
        table.set_max_capacity(resource_table_limit(policy.max_sockets()));
        let state = GuestState {
            wasi,
            tls: self.inner.tls.context(),
            table,
            wasock: WasockCtx::new(policy.clone())
                .with_denial_sink(name, sink)
                .with_tls_client(self.inner.tls_client.clone())
                .with_tls_identities(guest.tls_identities.clone())
                .with_listeners(guest.listeners.take())?,
            limits: GuestLimits::new(policy.max_memory()),
        };
        let mut store = Store::new(&self.inner.engine, state);
        store.limiter(|state| &mut state.limits);
        // The component model's own tables (handles, and with its async the
        // tasks, streams and futures a guest has in flight, each holding
        // host memory) get the same bound as the resource table.
        let handles = resource_table_limit(policy.max_sockets());
        store.set_max_component_handles(handles);
        if let Some(table) = store.concurrent_resource_table() {
            table.set_max_capacity(handles);
        }
        // A guest that computes without calling the host yields to the
        // executor at every epoch tick, so it cannot starve the others.
        store.epoch_deadline_async_yield_and_update(1);
        let outcome = async {
            match &pre {
                Prepared::P2(pre) => {
                    let command = pre.instantiate_async(&mut store).await?;
                    command.wasi_cli_run().call_run(&mut store).await
                }
                Prepared::P3(pre) => {
                    let command = pre.instantiate_async(&mut store).await?;
                    store
                        .run_concurrent(async |store| command.wasi_cli_run().call_run(store).await)
                        .await?
                }
            }
        }
        .await;
        store.data().wasock.reporter().finish();
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

/// The guest's `WasiCtx`: stdio inherited, the given arguments,
/// environment and preopened directories. (Its own `wasi:sockets` state is
/// unused: the linker serves `wasi:sockets` through wasock's wrappers.)
fn wasi_ctx(path: &Path, guest: &GuestConfig) -> Result<WasiCtx> {
    let mut builder = WasiCtxBuilder::new();
    builder.inherit_stdio();
    if let Some(stdout) = &guest.stdout {
        builder.stdout(stdout.clone());
    }
    if let Some(stderr) = &guest.stderr {
        builder.stderr(stderr.clone());
    }
    // The file name only: where the component lies is the host's business.
    let program = guest.program_name.clone().unwrap_or_else(|| {
        path.file_name().map_or_else(
            || "guest".to_owned(),
            |name| name.to_string_lossy().into_owned(),
        )
    });
    builder.arg(program);
    builder.args(&guest.args);
    builder.envs(&guest.env);
    for (host, guest_path) in &guest.dirs {
        builder
            .preopened_dir(host, guest_path, FsPerms::ReadWrite)
            .with_context(|| format!("cannot open --dir {}", host.display()))?;
    }
    Ok(builder.build())
}

/// How often running guests yield to the async executor (see
/// `start_epoch_ticker`).
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

/// What the first bytes of a file say it is, when that is something
/// wasmtime would refuse with only "magic header not detected" or
/// "expected a component": a program built for the wrong target.
fn wrong_target(header: &[u8]) -> Option<&'static str> {
    const WASM: &[u8] = b"\0asm";
    // The version and layer after `\0asm`: 1, 0 for a core module (a
    // component's layer is 1).
    const CORE: &[u8] = &[1, 0, 0, 0];
    match header {
        [0x7f, b'E', b'L', b'F', ..] => Some("a native executable (ELF)"),
        [0xfe, 0xed, 0xfa, 0xce | 0xcf, ..]
        | [0xce | 0xcf, 0xfa, 0xed, 0xfe, ..]
        | [0xca, 0xfe, 0xba, 0xbe, ..] => Some("a native executable (Mach-O)"),
        [b'M', b'Z', ..] => Some("a native executable (PE)"),
        [b'#', b'!', ..] => Some("a script"),
        _ if header.starts_with(WASM) && header.get(4..8) == Some(CORE) => Some(
            "a core WebAssembly module, not a component (built for wasm32-wasip1 or wasm32-unknown-unknown?)",
        ),
        _ => None,
    }
}

/// Refuses, with what to do, a file that is no wasm32-wasip2 component
/// by its first bytes (a file it cannot read is left to the compiler's
/// own error).
fn check_not_native(path: &Path) -> Result<()> {
    use std::io::Read as _;
    let mut header = [0u8; 8];
    let mut read = 0;
    if let Ok(mut file) = std::fs::File::open(path) {
        while read < header.len() {
            match file.read(&mut header[read..]) {
                Ok(0) | Err(_) => break,
                Ok(n) => read += n,
            }
        }
    }
    match wrong_target(&header[..read]) {
        Some(what) => Err(wasmtime::format_err!(
            "{} is not a wasm32-wasip2 component: build with `--target wasm32-wasip2` (it is {what})",
            path.display()
        )),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcome_exit_codes() {
        assert_eq!(Outcome::Exited(0).exit_code(), 0);
        assert_eq!(Outcome::Exited(3).exit_code(), 3);
        let trap = Outcome::Trapped(wasmtime::Error::msg("boom"));
        assert_eq!(trap.exit_code(), TRAP_EXIT_CODE);
    }

    /// The memory limit is for all of a guest's memories together: a
    /// component with many memories cannot have the limit in each, and a
    /// real engine instance proves the limiter is the one in use.
    #[test]
    fn memory_limit_is_for_all_memories_together() {
        use wasmtime::ResourceLimiter;
        let mut limits = GuestLimits::new(10 << 20);
        assert!(limits.memory_growing(0, 6 << 20, None).unwrap());
        assert!(
            !limits.memory_growing(0, 6 << 20, None).unwrap(),
            "a second memory past the total"
        );
        assert!(limits.memory_growing(0, 4 << 20, None).unwrap());
        assert_eq!(limits.memory_used(), 10 << 20);
        assert!(
            !limits
                .memory_growing(4 << 20, (4 << 20) + 65536, None)
                .unwrap()
        );

        // Through the engine: a module with two 6 MiB memories does not
        // instantiate under a 10 MiB limit; with one it does.
        let mut config = Config::new();
        config.wasm_multi_memory(true);
        let engine = Engine::new(&config).unwrap();
        // (module (memory 96) (memory 96)) and (module (memory 96)), in
        // binary (96 pages of 64 KiB: 6 MiB).
        let header = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
        let two_memories = [&header[..], &[0x05, 0x05, 0x02, 0x00, 0x60, 0x00, 0x60]].concat();
        let one_memory = [&header[..], &[0x05, 0x03, 0x01, 0x00, 0x60]].concat();
        let two = wasmtime::Module::new(&engine, &two_memories).unwrap();
        let one = wasmtime::Module::new(&engine, &one_memory).unwrap();
        let mut store = Store::new(&engine, GuestLimits::new(10 << 20));
        store.limiter(|limits| limits);
        assert!(wasmtime::Instance::new(&mut store, &two, &[]).is_err());
        let mut store = Store::new(&engine, GuestLimits::new(10 << 20));
        store.limiter(|limits| limits);
        assert!(wasmtime::Instance::new(&mut store, &one, &[]).is_ok());
    }
}
