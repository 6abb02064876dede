//! `wasock adapt`: makes a wasock guest portable to any stock WASI host.
//!
//! A guest built against the `wasock` SDK imports the `wasock:socket`
//! interfaces, which only the wasock host serves. [`adapt`] composes into
//! it the adapter for each version of the contract it imports (built for
//! `wasm32-wasip2` by this crate's build script and embedded here), and
//! checks that what the result imports is only `wasi:*`:
//!
//! - `wasock:socket@0.1.0` (the SDK's blocking API, and its async API
//!   built without the `p3` feature): [`ADAPTER`] (crate `wasock-adapter`)
//!   exports `wasock:socket/{types,resolve,socket,poll-set,tls}@0.1.0`
//!   implemented over `wasi:sockets`, `wasi:io` and `wasi:clocks` 0.2 (a
//!   guest built with the current SDK imports the first four: `poll-set`
//!   backs `wasock::poll`; `tls` only where it uses TLS, whose handshakes
//!   the adapter answers with class `unsupported`: TLS on wasock sockets
//!   needs the wasock host, and `wasi:tls` is the portable way).
//! - `wasock:socket@0.2.0` (the contract for the component model's async,
//!   from the SDK's `p3` feature): [`ADAPTER_P3`] (crate
//!   `wasock-adapter-p3`) exports `wasock:socket/{types,resolve,socket,
//!   poll-set}@0.2.0` implemented over `wasi:sockets@0.3.0` and
//!   `wasi:clocks@0.3.0`. WASI 0.3 has no readiness to watch, so there
//!   `receive-ready`, `accept-ready` and the poll set's registrations and
//!   waits answer class `unsupported`; the result needs a host that
//!   serves WASI 0.3.
//!
//! A guest importing both versions (the `p3` build of a program that also
//! calls the blocking API) gets both adapters.
//!
//! The composition is done by `wac-graph` (the component-model tooling's
//! composition library). Imports of the same name are imported once, so
//! the guest and the 0.1 adapter share one `wasi:io/poll`: the pollables the
//! adapter's `socket.subscribe` returns are the very ones the guest's
//! `poll` takes, and a guest waits on adapted sockets and its own timers
//! at once.

use std::fmt;

use wac_graph::types::{Package, Types};
use wac_graph::{CompositionGraph, EncodeOptions, PlugError};

/// The adapter component of `wasock:socket@0.1.0` over WASI 0.2
/// (`adapter/`, built for `wasm32-wasip2`).
pub const ADAPTER: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/wasock_adapter.wasm"));

/// The adapter component of `wasock:socket@0.2.0`, the async contract,
/// over WASI 0.3 (`adapter-p3/`, built for `wasm32-wasip2`).
pub const ADAPTER_P3: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/wasock_adapter_p3.wasm"));

/// The version of `wasock:socket` each adapter implements, with its
/// bytes.
const ADAPTERS: [(&str, &[u8]); 2] = [("@0.1.0", ADAPTER), ("@0.2.0", ADAPTER_P3)];

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
    /// (an interface the adapters do not provide).
    NonWasiImports(Vec<String>),
}

impl fmt::Display for AdaptError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AdaptError::NotAComponent(why) => write!(f, "not a WebAssembly component: {why}"),
            AdaptError::NothingToAdapt => f.write_str(
                "the component imports no wasock:socket interface: there is nothing to adapt",
            ),
            AdaptError::Compose(why) => write!(f, "composing the adapter failed: {why}"),
            AdaptError::NonWasiImports(names) => write!(
                f,
                "the adapted component would still import {}, which stock WASI hosts do not \
                 provide and the adapters do not implement",
                names.join(", ")
            ),
        }
    }
}

impl std::error::Error for AdaptError {}

/// Composes the adapters `guest` needs into it (the bytes of a component:
/// [`ADAPTER`] for its `wasock:socket@0.1.0` imports, [`ADAPTER_P3`] for
/// its `@0.2.0` ones) and returns the adapted component, which imports
/// only `wasi:*`.
pub fn adapt(guest: &[u8]) -> Result<Vec<u8>, AdaptError> {
    let wasock_imports: Vec<String> = imports(guest)?
        .into_iter()
        .filter(|name| name.starts_with("wasock:socket/"))
        .collect();
    let mut graph = CompositionGraph::new();
    let mut adapters = Vec::new();
    for (version, bytes) in ADAPTERS {
        if !wasock_imports.iter().any(|name| name.ends_with(version)) {
            continue;
        }
        let name = format!("wasock:adapter{version}");
        let adapter =
            Package::from_bytes(&name, None, bytes, graph.types_mut()).map_err(|error| {
                AdaptError::Compose(format!("the embedded adapter {version}: {error:#}"))
            })?;
        adapters.push(
            graph
                .register_package(adapter)
                .map_err(|error| AdaptError::Compose(format!("{error:#}")))?,
        );
    }
    if adapters.is_empty() {
        return Err(AdaptError::NothingToAdapt);
    }
    let guest = Package::from_bytes("wasock:guest", None, guest, graph.types_mut())
        .map_err(|error| AdaptError::NotAComponent(format!("{error:#}")))?;
    let guest = graph
        .register_package(guest)
        .map_err(|error| AdaptError::Compose(format!("{error:#}")))?;

    match wac_graph::plug(&mut graph, adapters, guest) {
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

    /// The interfaces `component` exports and imports.
    fn world(component: &[u8]) -> (Vec<String>, Vec<String>) {
        (exports(component).unwrap(), imports(component).unwrap())
    }

    #[test]
    fn the_embedded_adapter_exports_every_wasock_interface_and_imports_only_wasi() {
        let (exports, imports) = world(ADAPTER);
        for interface in ["types", "resolve", "socket", "poll-set", "tls"] {
            let name = format!("wasock:socket/{interface}@0.1.0");
            assert!(exports.contains(&name), "{name} not in {exports:?}");
        }
        for import in imports {
            assert!(import.starts_with("wasi:"), "the adapter imports {import}");
        }
    }

    #[test]
    fn the_embedded_adapter_of_the_async_contract_exports_it_over_wasi_03() {
        let (exports, imports) = world(ADAPTER_P3);
        for interface in ["types", "resolve", "socket", "poll-set"] {
            let name = format!("wasock:socket/{interface}@0.2.0");
            assert!(exports.contains(&name), "{name} not in {exports:?}");
        }
        for import in &imports {
            assert!(import.starts_with("wasi:"), "the adapter imports {import}");
        }
        for import in [
            "wasi:sockets/types@0.3.0",
            "wasi:clocks/monotonic-clock@0.3.0",
        ] {
            assert!(
                imports.iter().any(|name| name == import),
                "{import} not in {imports:?}"
            );
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
        // The adapters themselves import only wasi:*.
        assert!(matches!(adapt(ADAPTER), Err(AdaptError::NothingToAdapt)));
        assert!(matches!(adapt(ADAPTER_P3), Err(AdaptError::NothingToAdapt)));
    }
}
