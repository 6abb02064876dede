//! The library of wasmtime's test programs (`crates/test-programs/src/lib.rs`
//! at v48.0.0), trimmed to what its socket programs use: the WASI 0.2
//! bindings (`wasi`, from `wit/p2`), their blocking helpers (`sockets`),
//! the WASI 0.3 bindings and helpers (`p3`, from `wit/p3`) and the raw
//! component-model intrinsics (`async_`). Changed from wasmtime's: the
//! worlds are the files `wit/*/world.wit` (wasi:http, wasi:config,
//! wasi:keyvalue and wasi:tls left out), so the `proxy` bindings, the
//! `cli-exit-with-code` and `tls` features and the `http`, `nn`,
//! `preview1` and `tls` modules are gone.

pub mod async_;
pub mod p3;
pub mod sockets;

wit_bindgen::generate!({
    path: "wit/p2",
    world: "wasmtime:test/test",
    generate_all,
});

impl std::fmt::Display for wasi::io::error::Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.to_debug_string())
    }
}

impl std::error::Error for wasi::io::error::Error {}
