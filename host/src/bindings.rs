//! The generated bindings of the `wasock:socket/host` world: only the
//! `bindgen!` call.
//!
//! Every `wasi:*` interface is mapped onto wasmtime-wasi's own bindings, so
//! `wasi:io/poll` pollables made here mix with wasmtime-wasi's (timers,
//! stdin) in one `poll`, and the `socket` resource is the host's
//! [`Socket`](crate::socket::Socket). The calls that can wait are
//! `async`; every function may trap (a resource-table error) and the
//! guest-visible error is the WIT `error` record, produced from
//! [`HostError`](crate::error::HostError).

// The generated items carry the WIT's doc comments where it has them.
#![allow(missing_docs, missing_debug_implementations)]

wasmtime::component::bindgen!({
    path: "../wit",
    world: "wasock:socket/host",
    imports: {
        "wasock:socket/socket.[static]socket.create": async | trappable,
        "wasock:socket/socket.[method]socket.connect": async | trappable,
        "wasock:socket/socket.[method]socket.accept": async | trappable,
        "wasock:socket/socket.[method]socket.close": async | trappable,
        "wasock:socket/socket.[method]socket.send": async | trappable,
        "wasock:socket/socket.[method]socket.send-to": async | trappable,
        "wasock:socket/socket.[method]socket.receive": async | trappable,
        "wasock:socket/socket.[method]socket.receive-from": async | trappable,
        "wasock:socket/resolve.address-information": async | trappable,
        "wasock:socket/resolve.name-information": async | trappable,
        "wasock:socket/poll-set.[method]poll-set.wait": async | trappable,
        "wasock:socket/tls.connect": async | trappable,
        "wasock:socket/tls.accept": async | trappable,
        default: trappable,
    },
    exports: { default: async },
    trappable_error_type: {
        "wasock:socket/types.error" => crate::error::HostError,
    },
    with: {
        "wasi": wasmtime_wasi::p2::bindings,
        "wasock:socket/socket.socket": crate::socket::Socket,
        "wasock:socket/poll-set.poll-set": crate::poll_set::PollSet,
    },
    additional_derives: [PartialEq, Eq],
    require_store_data_send: true,
});
