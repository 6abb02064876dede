//! The `wasock:socket` interfaces implemented over the standard WASI 0.2
//! imports (`wasi:sockets`, `wasi:io`, `wasi:clocks`), as a component.
//!
//! `wasock adapt IN.wasm -o OUT.wasm` composes this component into a guest
//! built against the `wasock` SDK: the guest's `wasock:socket/{types,
//! resolve,socket,poll-set,tls}` imports are satisfied by this component's
//! exports, and what is left imports only `wasi:*@0.2`, so the result runs
//! under any WASI 0.2 host (`wasmtime run -S inherit-network`, jco, ...).
//!
//! What `wasi:sockets` can do is mapped onto it:
//!
//! - inet / inet6 stream sockets onto `wasi:sockets/tcp` (`tcp`) and
//!   datagram sockets onto `wasi:sockets/udp` (`udp`), with their
//!   start/finish state machines and streams;
//! - `address-information` onto `wasi:sockets/ip-name-lookup` (`resolve`);
//! - every per-call timeout onto `wasi:clocks/monotonic-clock` and
//!   `wasi:io/poll` (`wait`);
//! - `subscribe` onto the pollables of the underlying socket or stream,
//!   so a guest's `poll` mixes adapted sockets with its own timers;
//! - the `poll-set` resource onto one `wasi:io/poll` of every
//!   registration's pollables per wait, with edge triggering emulated
//!   (`poll_set`);
//! - the options `wasi:sockets` has (`options`).
//!
//! Everything else (unix-domain and raw sockets, reverse lookups, canonical
//! names, service names, `MSG_PEEK` / `MSG_OOB`, the options `wasi:sockets`
//! lacks, TLS on wasock sockets: `tls`) answers an error of class
//! `unsupported` naming the spec's procedure, never a trap.
//! `docs/parity.md` lists every item.
//!
//! Each WIT interface is one module: `types` (the error record and
//! address conversions; the interface itself has no functions),
//! `resolve`, `socket`, `poll_set` and `tls` (whose handshakes are all
//! `unsupported`: TLS on wasock sockets is the wasock host's; under
//! another host a guest uses `wasi:tls`).
//!
//! The crate is a wasm component only: built for any other target (as
//! `cargo build --workspace` does) it is empty, but for its unit tests and
//! its documentation.

#![cfg(any(target_family = "wasm", test, doc))]
#![warn(unreachable_pub)]

/// The generated bindings of the adapter's world: the five wasock
/// interfaces exported, the standard WASI 0.2 interfaces they are built on
/// imported.
#[allow(unsafe_code, missing_docs, unreachable_pub, dead_code, clippy::all)]
mod bindings {
    wit_bindgen::generate!({
        path: "../wit",
        inline: "
            package wasock:adapter@0.1.0;

            world adapter {
                import wasi:io/poll@0.2.12;
                import wasi:io/streams@0.2.12;
                import wasi:clocks/monotonic-clock@0.2.12;
                import wasi:sockets/network@0.2.12;
                import wasi:sockets/instance-network@0.2.12;
                import wasi:sockets/tcp@0.2.12;
                import wasi:sockets/tcp-create-socket@0.2.12;
                import wasi:sockets/udp@0.2.12;
                import wasi:sockets/udp-create-socket@0.2.12;
                import wasi:sockets/ip-name-lookup@0.2.12;

                export wasock:socket/types@0.1.0;
                export wasock:socket/resolve@0.1.0;
                export wasock:socket/socket@0.1.0;
                export wasock:socket/poll-set@0.1.0;
                export wasock:socket/tls@0.1.0;
            }
        ",
        world: "wasock:adapter/adapter",
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

mod constants;
mod options;
mod poll_set;
mod resolve;
mod socket;
mod tcp;
mod tls;
mod types;
mod udp;
mod wait;

/// The component: the exported interfaces are implemented on it.
struct Adapter;

bindings::export!(Adapter with_types_in bindings);
