//! wasock host: BSD sockets for sandboxed WebAssembly guests, served on
//! real OS sockets by a wasmtime embedding.

pub mod policy;
