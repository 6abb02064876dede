//! wasock host: BSD sockets for sandboxed WebAssembly guests, served on
//! real OS sockets by a wasmtime embedding.

pub mod addr;
pub mod bindings;
pub mod cli;
pub mod constants;
mod ctx;
pub mod error;
mod glue;
pub mod options;
pub mod policy;
pub mod resolve;
pub mod run;
pub mod socket;

pub use ctx::{add_to_linker, WasockCtx, WasockCtxView, WasockView};
pub use glue::HostError;
