//! The `wasock:socket@0.2.0` interfaces (the contract for the component
//! model's async) implemented over the standard WASI 0.3 imports
//! (`wasi:sockets@0.3.0`, `wasi:clocks@0.3.0`), as a component.
//!
//! `wasock adapt IN.wasm -o OUT.wasm` composes this component into a guest
//! built with the SDK's `p3` feature: the guest's `wasock:socket/{types,
//! resolve,socket,poll-set}@0.2.0` imports are satisfied by this
//! component's exports, and what is left imports only `wasi:*`, so the
//! result runs under any host that serves WASI 0.3. (The adapter of the
//! blocking contract, `wasock:socket@0.1.0` over WASI 0.2, is the crate
//! `wasock-adapter`; a guest importing both gets both.)
//!
//! What `wasi:sockets@0.3.0` can do is mapped onto it:
//!
//! - inet / inet6 stream sockets onto `tcp-socket` (`tcp`): its async
//!   `connect`, its stream of accepted sockets, and one `stream<u8>` each
//!   way per connection, kept in the socket (bytes read and not yet
//!   received stay there); the guest's own `receive-stream` /
//!   `send-stream` are served from those by the socket's background task
//!   (`background`: a synchronous export cannot wait, and no adapter code
//!   runs unless a task does);
//! - datagram sockets onto `udp-socket` (`udp`);
//! - `address-information` onto `ip-name-lookup.resolve-addresses`
//!   (`resolve`);
//! - every per-call timeout onto `wasi:clocks/monotonic-clock.wait-for`,
//!   raced with the call (`wait`); work a lost race must not lose (a read
//!   that may hold bytes, an accept, a connect) stays in the socket for the
//!   next call;
//! - the options `wasi:sockets@0.3.0` has (`options`).
//!
//! Everything else answers an error of class `unsupported` naming the
//! call, never a trap: unix-domain and raw sockets, reverse lookups,
//! canonical and service names, `MSG_PEEK` / `MSG_OOB`, the options WASI
//! lacks (`tcp-no-delay` among them), the host's listeners, and readiness
//! (`receive-ready`, `accept-ready` and the `poll-set`'s registrations and
//! `wait`: WASI 0.3 has no pollables; a set can only be made and counted).
//!
//! The crate is a wasm component only: built for any other target (as
//! `cargo build --workspace` does) it is empty, but for its unit tests and
//! its documentation.

#![cfg(any(target_family = "wasm", test, doc))]
#![warn(unreachable_pub)]

/// The generated bindings of the adapter's world: the four wasock
/// interfaces of the async contract exported, the standard WASI 0.3
/// interfaces they are built on imported.
#[allow(unsafe_code, missing_docs, unreachable_pub, dead_code, clippy::all)]
mod bindings {
    wit_bindgen::generate!({
        path: [
            "../tests/wasmtime-programs/wit/p3/deps/clocks.wit",
            "../tests/wasmtime-programs/wit/p3/deps/sockets.wit",
            "../wit-async",
        ],
        inline: "
            package wasock:adapter-p3@0.2.0;

            world adapter {
                import wasi:clocks/monotonic-clock@0.3.0;
                import wasi:sockets/types@0.3.0;
                import wasi:sockets/ip-name-lookup@0.3.0;

                export wasock:socket/types@0.2.0;
                export wasock:socket/resolve@0.2.0;
                export wasock:socket/socket@0.2.0;
                export wasock:socket/poll-set@0.2.0;
            }
        ",
        world: "wasock:adapter-p3/adapter",
        generate_all,
    });
}

/// Whether every bit of `flag` is set in `flags` (the generated flags
/// types have no `contains`).
macro_rules! has {
    ($flags:expr, $flag:expr) => {
        ($flags.bits() & $flag.bits()) == $flag.bits()
    };
}
pub(crate) use has;

mod background;
#[path = "../../adapter/src/constants.rs"]
mod constants;
mod options;
mod poll_set;
mod resolve;
mod resolved;
mod socket;
mod tcp;
mod types;
mod udp;
mod wait;

/// The component: the exported interfaces are implemented on it.
struct Adapter;

bindings::export!(Adapter with_types_in bindings);
