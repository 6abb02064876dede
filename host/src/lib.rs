//! wasock host: BSD sockets for sandboxed WebAssembly guests, served on
//! real OS sockets by a wasmtime embedding.
//!
//! A guest compiled to `wasm32-wasip2` with the `wasock` SDK imports the
//! `wasock:socket` interfaces (`wit/`): a `socket` resource with every
//! operation of the CHICKEN `socket` egg (connect, bind, listen, accept,
//! send, receive, options, ...), address resolution and the spec's
//! constants. This crate serves them.
//!
//! # Running guests from Rust: [`run::Runner`]
//!
//! [`run::Runner`] is what `wasock run` does, as a library: one engine and
//! linker, many guests at once, each with its own
//! [`Policy`](policy::Policy) for both socket APIs, the exit code as
//! [`run::Outcome::exit_code`], and denials to a sink of yours
//! ([`run::GuestConfig::denials`]) or kept as values
//! ([`run::GuestConfig::record_denials`], [`policy::Denial`]: operation,
//! subject, the grant that would allow it, guest).
//!
//! Your crate needs `wasock-host`, `tokio` (features `macros`,
//! `rt-multi-thread`) and, for this example, `anyhow`; not `wasmtime`:
//! this crate re-exports the wasmtime it is built with as [`wasmtime`]
//! (and [`wasmtime_wasi`]), so the versions always agree.
//!
//! ```no_run
//! use std::sync::Arc;
//! use wasock_host::policy::Policy;
//! use wasock_host::run::{GuestConfig, Runner, RunnerConfig};
//!
//! #[tokio::main]
//! async fn main() -> anyhow::Result<()> {
//!     // `Runner`'s errors are wasmtime 48's `wasock_host::wasmtime::Error`,
//!     // which is no `std::error::Error`. This crate turns on wasmtime's
//!     // `anyhow` feature, so `?` converts them to `anyhow::Error`; without
//!     // anyhow, `.map_err(|e| e.into_boxed_dyn_error())` gives a
//!     // `Box<dyn std::error::Error + Send + Sync>`.
//!     let runner = Runner::new(RunnerConfig::default())?;
//!     // Only loopback port 7; everything else is refused.
//!     let policy = Arc::new(Policy::new().allow_connect("127.0.0.1:7".parse()?));
//!     let (guest, denials) = GuestConfig::new()
//!         .arg("127.0.0.1:7")
//!         .arg("hello")
//!         .record_denials(100);
//!     let outcome = runner.run("echo-client.wasm".as_ref(), guest, policy).await?;
//!     for denial in denials.denials() {
//!         eprintln!("{denial:?}");
//!     }
//!     std::process::exit(outcome.exit_code())
//! }
//! ```
//!
//! # Adding wasock to your own wasmtime host
//!
//! Keep a [`WasockCtx`] beside wasmtime-wasi's `WasiCtx` in your store
//! data, sharing one `ResourceTable` (so socket pollables and timers mix in
//! one `wasi:io/poll.poll`), implement [`WasockView`], and add both to the
//! linker ([`add_to_linker`]; [`add_p3_to_linker`] for WASI 0.3 guests).
//! The store must be async, inside a tokio runtime.
//!
//! ```no_run
//! use std::sync::Arc;
//! use wasock_host::policy::Policy;
//! use wasock_host::wasmtime::component::{Component, Linker, ResourceTable};
//! use wasock_host::wasmtime::{Config, Engine, Store};
//! use wasock_host::wasmtime_wasi::p2::bindings::Command;
//! use wasock_host::wasmtime_wasi::{I32Exit, WasiCtx, WasiCtxView, WasiView};
//! use wasock_host::{WasockCtx, WasockCtxView, WasockView};
//!
//! struct MyState {
//!     wasi: WasiCtx,
//!     wasock: WasockCtx,
//!     table: ResourceTable,
//! }
//!
//! impl WasiView for MyState {
//!     fn ctx(&mut self) -> WasiCtxView<'_> {
//!         WasiCtxView { ctx: &mut self.wasi, table: &mut self.table }
//!     }
//! }
//!
//! impl WasockView for MyState {
//!     fn wasock(&mut self) -> WasockCtxView<'_> {
//!         WasockCtxView { ctx: &mut self.wasock, table: &mut self.table }
//!     }
//! }
//!
//! #[tokio::main]
//! async fn main() -> anyhow::Result<()> {
//!     let mut config = Config::new();
//!     config.wasm_component_model(true);
//!     let engine = Engine::new(&config)?;
//!
//!     let mut linker = Linker::<MyState>::new(&engine);
//!     wasock_host::wasmtime_wasi::p2::add_to_linker_async(&mut linker)?;
//!     wasock_host::add_to_linker(&mut linker)?;
//!
//!     // Only loopback port 8080 and DNS; everything else is refused.
//!     let policy = Policy::new()
//!         .allow_connect("127.0.0.1:8080".parse()?)
//!         .allow_dns(true);
//!     let state = MyState {
//!         wasi: WasiCtx::builder().inherit_stdio().build(),
//!         wasock: WasockCtx::new(Arc::new(policy)),
//!         table: ResourceTable::new(),
//!     };
//!     let mut store = Store::new(&engine, state);
//!     let component = Component::from_file(&engine, "guest.wasm")?;
//!     let command = Command::instantiate_async(&mut store, &component, &linker).await?;
//!     // `exit(N)` in the guest ends the call with an `I32Exit` error.
//!     let code = match command.wasi_cli_run().call_run(&mut store).await {
//!         Ok(result) => i32::from(result.is_err()),
//!         Err(error) => match error.downcast_ref::<I32Exit>() {
//!             Some(exit) => exit.0,
//!             None => return Err(error.into()),
//!         },
//!     };
//!     std::process::exit(code)
//! }
//! ```
//!
//! Several guests may share one engine and linker, each with its own
//! `Store`, `WasockCtx` and policy, and run concurrently on one runtime
//! (the in-process tests do: two guests in one engine, one parked in
//! `receive` while the other runs).
//!
//! # The modules
//!
//! - [`run`]: the runner above; [`cli`]: the `wasock` command line (its
//!   flags parsed as `wasock run` does, for embedders that take the same
//!   grants);
//! - [`policy`]: what a guest may reach (deny by default), checked before
//!   any syscall, and where denials go;
//! - [`socket`]: the host's socket (one non-blocking OS socket per guest
//!   socket, per-call timeouts); public for its family and type, which
//!   the policy's checks take;
//! - [`listeners`]: listening sockets the host opens for a guest
//!   (`--listen`, systemd's `LISTEN_FDS`), handed over through the
//!   runner; [`tls`]: what guests' TLS trusts, and `wasi:tls` (`-S tls`);
//! - [`error`], [`constants`]: the one error mapping and the spec's
//!   numbers; [`adapt`]: `wasock adapt`; [`privileges`]: the capabilities
//!   a runner drops before a guest runs.
//!
//! WASI 0.3 (`wasi:cli@0.3.0`, `wasi:sockets@0.3.0`) is served beside 0.2
//! by [`add_p3_to_linker`] under the same policy and socket pool; the
//! runner does so unless told not to (`run::RunnerConfig::wasi_p3`). With
//! it comes `wasock:socket@0.2.0`, the contract for the component model's
//! async (every blocking call an `async func`, `stream<u8>` on stream
//! sockets), over the same sockets as `wasock:socket@0.1.0`.
//!
//! The rest is no API. The socket pool's accounting and the `unsafe`
//! system calls are private; `bindings`, `convert`, `options`, `poll_set`
//! and `resolve` stay public, hidden from these docs, only because the
//! host's own integration tests (`host/tests/`) and the fuzz targets
//! (`fuzz/`, their own workspace) drive them directly.

#![warn(missing_docs)]
#![deny(unsafe_code)]

mod accounting;
pub mod adapt;
#[doc(hidden)]
pub mod bindings;
#[doc(hidden)]
pub mod bindings_async;
pub mod cli;
pub mod constants;
mod ctx;
pub mod error;
mod glue;
pub mod listeners;
#[doc(hidden)]
pub mod options;
pub mod policy;
#[doc(hidden)]
pub mod poll_set;
pub mod privileges;
#[doc(hidden)]
pub mod resolve;
pub mod run;
pub mod socket;
mod sys;
pub mod tls;
mod wasi_sockets;
mod wasi_sockets_p3;

/// The wasmtime this crate is built with (48, with the `anyhow` feature),
/// so an embedder's `Engine`, `Linker` and `Store` are the ones
/// [`add_to_linker`] and [`run::Runner`] take, with no version to match.
pub use wasmtime;
/// The wasmtime-wasi this crate is built with (`WasiCtx`, the
/// `wasi:cli` bindings a host of its own needs).
pub use wasmtime_wasi;

pub use ctx::{
    DEFAULT_MAX_RESOLUTIONS, WasockCtx, WasockCtxView, WasockView, add_p3_to_linker, add_to_linker,
};
pub use error::HostError;
#[doc(hidden)]
pub use glue::convert;
