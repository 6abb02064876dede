//! The generated bindings of `wasock:socket@0.2.0`, the contract for the
//! component model's async (`wit-async/`): only the `bindgen!` call.
//!
//! The WIT's `async func`s come out as concurrent host functions (an
//! `Accessor`, never the store held across a wait); `receive-stream` and
//! `send-stream` get the store (`Access`) to make their stream and
//! future. The `types` interface is the same as `wasock:socket@0.1.0`'s,
//! so it is mapped onto those bindings: one error record, one address
//! type, one conversion to the guest's error. The `socket` and
//! `poll-set` resources are the host's [`Socket`](crate::socket::Socket)
//! and [`PollSet`](crate::poll_set::PollSet), as in 0.1.0.

// The generated items carry the WIT's doc comments where it has them.
#![allow(missing_docs, missing_debug_implementations)]

wasmtime::component::bindgen!({
    path: "../wit-async",
    world: "wasock:socket/guest@0.2.0",
    imports: {
        "wasock:socket/socket.[static]socket.create": async | trappable,
        "wasock:socket/socket.[method]socket.receive-stream": store | trappable,
        "wasock:socket/socket.[method]socket.send-stream": store | trappable,
        default: trappable,
    },
    trappable_error_type: {
        "wasock:socket/types.error" => crate::error::HostError,
    },
    with: {
        "wasock:socket/types": crate::bindings::wasock::socket::types,
        "wasock:socket/socket.socket": crate::socket::Socket,
        "wasock:socket/poll-set.poll-set": crate::poll_set::PollSet,
    },
    additional_derives: [PartialEq, Eq],
    require_store_data_send: true,
});
