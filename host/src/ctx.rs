//! What an embedder holds per guest ([`WasockCtx`]), how the bindings reach
//! it ([`WasockView`]), and [`add_to_linker`].

use std::sync::Arc;

use wasmtime::component::{HasData, Linker, ResourceTable};

use crate::bindings::wasock::socket::{resolve, socket, types};
use crate::policy::Policy;

/// One guest's wasock state: its policy and how many sockets it holds.
///
/// Create one per `Store`, beside wasmtime-wasi's `WasiCtx`.
#[derive(Debug)]
pub struct WasockCtx {
    pub(crate) policy: Arc<Policy>,
    /// Sockets created or accepted and not yet closed or dropped, for
    /// `--max-sockets`.
    pub(crate) open_sockets: usize,
}

impl WasockCtx {
    /// A context under `policy`, holding no sockets yet.
    pub fn new(policy: Arc<Policy>) -> Self {
        WasockCtx { policy, open_sockets: 0 }
    }

    /// The policy the guest runs under.
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// How many sockets the guest holds open now.
    pub fn open_sockets(&self) -> usize {
        self.open_sockets
    }
}

/// What the wasock bindings borrow from the store for one call: the
/// guest's [`WasockCtx`] and the store's resource table (shared with
/// wasmtime-wasi, so socket pollables live beside its own).
#[derive(Debug)]
pub struct WasockCtxView<'a> {
    /// The guest's wasock state.
    pub ctx: &'a mut WasockCtx,
    /// The store's resource table.
    pub table: &'a mut ResourceTable,
}

/// Implemented by an embedder's store data to give the bindings a
/// [`WasockCtxView`].
pub trait WasockView: Send {
    /// The guest's wasock context and the store's resource table.
    fn wasock(&mut self) -> WasockCtxView<'_>;
}

/// The [`HasData`] marker that makes [`WasockCtxView`] the host of the
/// wasock interfaces.
struct HasWasock;

impl HasData for HasWasock {
    type Data<'a> = WasockCtxView<'a>;
}

/// Adds the `wasock:socket` interfaces (types, resolve, socket) to
/// `linker`.
///
/// Only those: `wasi:io/poll` and `wasi:clocks` (what socket pollables and
/// poll timeouts are made of) come from
/// `wasmtime_wasi::p2::add_to_linker_async`, which the embedder also calls.
/// The store must be async (wasock waits for sockets on the tokio reactor).
pub fn add_to_linker<T: WasockView + 'static>(linker: &mut Linker<T>) -> anyhow::Result<()> {
    let to_anyhow = |e: wasmtime::Error| anyhow::anyhow!("{e:?}");
    types::add_to_linker::<T, HasWasock>(linker, T::wasock).map_err(to_anyhow)?;
    resolve::add_to_linker::<T, HasWasock>(linker, T::wasock).map_err(to_anyhow)?;
    socket::add_to_linker::<T, HasWasock>(linker, T::wasock).map_err(to_anyhow)?;
    Ok(())
}
