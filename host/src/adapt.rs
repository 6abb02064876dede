//! `wasock adapt`: makes a wasock guest portable to any WASI 0.2 host.
//!
//! A guest built against the `wasock` SDK imports the `wasock:socket`
//! interfaces, which only the wasock host serves. [`adapt`] composes the
//! wasock adapter into it (crate `wasock-adapter`, built for
//! `wasm32-wasip2` by this crate's build script and embedded here as
//! [`ADAPTER`]): the adapter exports
//! `wasock:socket/{types,resolve,socket,poll-set,tls}` implemented over
//! the standard `wasi:sockets`, `wasi:io` and `wasi:clocks`, and the
//! guest's wasock imports are wired to those exports (a guest built with
//! the current SDK imports the first four: `poll-set` backs
//! `wasock::poll`; `tls` only where it uses TLS, whose handshakes the
//! adapter answers with class `unsupported`: TLS on wasock sockets needs
//! the wasock host, and `wasi:tls` is the portable way). What the result
//! imports is only `wasi:*@0.2`, which [`adapt`] checks.
//!
//! A WASI 0.3 guest (one exporting `wasi:cli/run@0.3.0`) adapts the same
//! way when its wasock imports are `@0.1.0` (the SDK's blocking API, and
//! its async API built without the `p3` feature). One importing
//! `wasock:socket@0.2.0`, the contract for the component model's async, is
//! refused with [`AdaptError::AsyncContract`], saying so: the adapter
//! implements 0.1.0 over `wasi:sockets@0.2.0`'s pollables, and an adapter
//! for 0.2.0 (async exports and `stream<u8>` over `wasi:sockets@0.3.0`)
//! is not written yet.
//!
//! The composition is done by `wac-graph` (the component-model tooling's
//! composition library). Imports of the same name are imported once, so
//! the guest and the adapter share one `wasi:io/poll`: the pollables the
//! adapter's `socket.subscribe` returns are the very ones the guest's
//! `poll` takes, and a guest waits on adapted sockets and its own timers
//! at once.

use std::fmt;

use wac_graph::types::{Package, Types};
use wac_graph::{CompositionGraph, EncodeOptions, PlugError};

/// The adapter component (`adapter/`, built for `wasm32-wasip2`).
pub const ADAPTER: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/wasock_adapter.wasm"));

/// The interfaces an adapted component may import: the standard WASI ones.
pub const ALLOWED_IMPORT_PREFIX: &str = "wasi:";

/// Why a guest could not be adapted.
#[derive(Debug)]
pub enum AdaptError {
    /// The input is not a WebAssembly component (a core module, say, or
    /// not wasm at all).
    NotAComponent(String),
    /// The component imports no `wasock:socket` interface.
    NothingToAdapt,
    /// The composition failed.
    Compose(String),
    /// The composed component still imports something other than `wasi:*`
    /// (an interface the adapter does not provide).
    NonWasiImports(Vec<String>),
    /// The component imports `wasock:socket@0.2.0`, the contract for the
    /// component model's async (a guest built with the SDK's `p3`
    /// feature), which the adapter does not implement.
    AsyncContract(Vec<String>),
}

impl fmt::Display for AdaptError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AdaptError::NotAComponent(why) => write!(f, "not a WebAssembly component: {why}"),
            AdaptError::NothingToAdapt => f.write_str(
                "the component imports no wasock:socket interface: there is nothing to adapt",
            ),
            AdaptError::Compose(why) => write!(f, "composing the adapter failed: {why}"),
            AdaptError::AsyncContract(names) => write!(
                f,
                "the component imports {} (wasock's contract for the component model's async, \
                 from the SDK's `p3` feature), which the adapter does not implement yet: \
                 build the guest without the `p3` feature to adapt it (its blocking and async \
                 APIs then use wasock:socket@0.1.0, which the adapter implements over \
                 wasi:sockets@0.2.0), or run it under `wasock run`",
                names.join(", ")
            ),
            AdaptError::NonWasiImports(names) => write!(
                f,
                "the adapted component would still import {}, which stock WASI 0.2 hosts do not \
                 provide and the adapter does not implement",
                names.join(", ")
            ),
        }
    }
}

impl std::error::Error for AdaptError {}

/// Composes the adapter into `guest` (the bytes of a component) and
/// returns the adapted component, which imports only `wasi:*`.
pub fn adapt(guest: &[u8]) -> Result<Vec<u8>, AdaptError> {
    let async_contract: Vec<String> = imports(guest)?
        .into_iter()
        .filter(|name| name.starts_with("wasock:socket/") && !name.ends_with("@0.1.0"))
        .collect();
    if !async_contract.is_empty() {
        return Err(AdaptError::AsyncContract(async_contract));
    }
    let mut graph = CompositionGraph::new();
    let adapter = Package::from_bytes("wasock:adapter", None, ADAPTER, graph.types_mut())
        .map_err(|error| AdaptError::Compose(format!("the embedded adapter: {error:#}")))?;
    let adapter = graph
        .register_package(adapter)
        .map_err(|error| AdaptError::Compose(format!("{error:#}")))?;
    let guest = Package::from_bytes("wasock:guest", None, guest, graph.types_mut())
        .map_err(|error| AdaptError::NotAComponent(format!("{error:#}")))?;
    let guest = graph
        .register_package(guest)
        .map_err(|error| AdaptError::Compose(format!("{error:#}")))?;

    match wac_graph::plug(&mut graph, vec![adapter], guest) {
        Ok(()) => {}
        Err(PlugError::NoPlugHappened) => return Err(AdaptError::NothingToAdapt),
        Err(error) => {
            return Err(AdaptError::Compose(format!(
                "{}",
                anyhow::Error::from(error).context("plugging the adapter into the guest")
            )));
        }
    }
    let adapted = graph
        .encode(EncodeOptions::default())
        .map_err(|error| AdaptError::Compose(format!("{:#}", anyhow::Error::from(error))))?;

    let foreign: Vec<String> = imports(&adapted)?
        .into_iter()
        .filter(|name| !name.starts_with(ALLOWED_IMPORT_PREFIX))
        .collect();
    if !foreign.is_empty() {
        return Err(AdaptError::NonWasiImports(foreign));
    }
    Ok(adapted)
}

/// The names of what a component imports (`wasi:io/poll@0.2.12`, ...).
pub fn imports(component: &[u8]) -> Result<Vec<String>, AdaptError> {
    let mut types = Types::default();
    let package = Package::from_bytes("component", None, component, &mut types)
        .map_err(|error| AdaptError::NotAComponent(format!("{error:#}")))?;
    Ok(types[package.ty()].imports.keys().cloned().collect())
}

/// The names of what a component exports (`wasi:cli/run@0.3.0`, ...).
pub fn exports(component: &[u8]) -> Result<Vec<String>, AdaptError> {
    let mut types = Types::default();
    let package = Package::from_bytes("component", None, component, &mut types)
        .map_err(|error| AdaptError::NotAComponent(format!("{error:#}")))?;
    Ok(types[package.ty()].exports.keys().cloned().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_adapter_exports_every_wasock_interface_and_imports_only_wasi() {
        let mut types = Types::default();
        let adapter = Package::from_bytes("adapter", None, ADAPTER, &mut types).unwrap();
        let world = &types[adapter.ty()];
        let exports: Vec<&String> = world.exports.keys().collect();
        for interface in ["types", "resolve", "socket", "poll-set", "tls"] {
            let name = format!("wasock:socket/{interface}@0.1.0");
            assert!(exports.contains(&&name), "{name} not in {exports:?}");
        }
        for import in world.imports.keys() {
            assert!(import.starts_with("wasi:"), "the adapter imports {import}");
        }
    }

    #[test]
    fn what_is_not_a_component_is_refused() {
        let core_module = b"\0asm\x01\0\0\0";
        assert!(matches!(
            adapt(core_module),
            Err(AdaptError::NotAComponent(_))
        ));
        assert!(matches!(adapt(b"hello"), Err(AdaptError::NotAComponent(_))));
    }

    #[test]
    fn a_component_without_wasock_imports_has_nothing_to_adapt() {
        // The adapter itself imports only wasi:*.
        assert!(matches!(adapt(ADAPTER), Err(AdaptError::NothingToAdapt)));
    }
}
