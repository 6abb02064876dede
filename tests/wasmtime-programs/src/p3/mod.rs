// wasmtime's `crates/test-programs/src/p3/mod.rs` at v48.0.0, trimmed: the
// world is `wit/p3/world.wit` (wasi:tls and wasi:http left out), so the
// `http` module, the `service` bindings and the `Display` of
// `wasi::tls::types::Error` are gone; `default_bindings_module` names this
// crate.

pub mod sockets;

wit_bindgen::generate!({
    path: "wit/p3",
    world: "wasmtime:test/testp3",
    default_bindings_module: "wasmtime_socket_programs::p3",
    pub_export_macro: true,
    generate_all,
});
