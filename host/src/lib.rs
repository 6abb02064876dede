//! wasock host: BSD sockets for sandboxed WebAssembly guests, served on
//! real OS sockets by a wasmtime embedding.
//!
//! A guest compiled to `wasm32-wasip2` with the `wasock` SDK imports the
//! `wasock:socket` interfaces (`wit/`): a `socket` resource with every
//! operation of the CHICKEN `socket` egg (connect, bind, listen, accept,
//! send, receive, options, ...), address resolution and the spec's
//! constants. This crate serves them:
//!
//! - [`socket`]: one non-blocking OS socket (socket2) per guest socket,
//!   registered with the tokio reactor, with per-call timeouts, so a guest
//!   blocked in `receive` blocks only itself;
//! - [`options`], [`resolve`], [`constants`], [`error`]: options,
//!   `getaddrinfo`/`getnameinfo`, the spec's numbers and the one error
//!   mapping;
//! - [`convert`]: every conversion between the WIT's types and the host's
//!   (addresses, with unix paths through the policy both ways);
//! - [`poll_set`]: persistent interest sets over sockets (one `epoll(7)`
//!   instance per set), whose wait costs O(ready), not O(registered);
//! - [`policy`]: what a guest may reach (deny by default), checked before
//!   any syscall;
//! - [`add_to_linker`], [`WasockCtx`], [`WasockView`]: how an embedder adds
//!   all this to its own wasmtime host, beside wasmtime-wasi;
//! - [`run`] and [`cli`]: the `wasock run` runner and command line.
//!
//! # Running guests from Rust
//!
//! The simplest way is [`run::Runner`]: what `wasock run` does, as a
//! library (one engine and linker, many guests at once, each with its own
//! [`Policy`](policy::Policy) for both socket APIs, the exit code as
//! [`run::Outcome::exit_code`], denials to a sink of yours through
//! [`run::GuestConfig`]); its module documentation has the example.
//!
//! # Adding wasock to your own wasmtime host
//!
//! Keep a [`WasockCtx`] beside wasmtime-wasi's `WasiCtx` in your store
//! data, sharing one `ResourceTable` (so socket pollables and timers mix in
//! one `wasi:io/poll.poll`), implement [`WasockView`], and add both to the
//! linker. The store must be async, inside a tokio runtime.
//!
//! ```no_run
//! use std::sync::Arc;
//! use wasmtime::component::{Component, Linker, ResourceTable};
//! use wasmtime::{Config, Engine, Store};
//! use wasmtime_wasi::p2::bindings::Command;
//! use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};
//! use wasock_host::policy::Policy;
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
//! async fn main() -> wasmtime::Result<()> {
//!     let mut config = Config::new();
//!     config.wasm_component_model(true);
//!     let engine = Engine::new(&config)?;
//!
//!     let mut linker = Linker::<MyState>::new(&engine);
//!     wasmtime_wasi::p2::add_to_linker_async(&mut linker)?;
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
//!     let command = Command::instantiate_async(&mut store, &component, &linker)
//!         .await
//!         ?;
//!     // `exit(N)` in the guest ends the call with an `I32Exit` error.
//!     let code = match command.wasi_cli_run().call_run(&mut store).await {
//!         Ok(result) => i32::from(result.is_err()),
//!         Err(error) => match error.downcast_ref::<wasmtime_wasi::I32Exit>() {
//!             Some(exit) => exit.0,
//!             None => return Err(error),
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

#![warn(missing_docs)]
#![deny(unsafe_code)]

pub mod accounting;
pub mod adapt;
pub mod bindings;
pub mod cli;
pub mod constants;
mod ctx;
pub mod error;
mod glue;
pub mod listeners;
pub mod options;
pub mod policy;
pub mod poll_set;
pub mod privileges;
pub mod resolve;
pub mod run;
pub mod socket;
pub mod sys;
mod wasi_sockets;
mod wasi_sockets_p3;

pub use ctx::{
    DEFAULT_MAX_RESOLUTIONS, WasockCtx, WasockCtxView, WasockView, add_p3_to_linker, add_to_linker,
};
pub use error::HostError;
pub use glue::convert;
