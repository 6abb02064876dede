//! What an embedder holds per guest ([`WasockCtx`]), how the bindings reach
//! it ([`WasockView`]), and [`add_to_linker`].

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use wasmtime::component::{HasData, Linker, ResourceTable};

use crate::bindings::wasock::socket::{poll_set, resolve, socket, types};
use crate::error::{Error, ErrorClass, ErrorCode};
use crate::policy::Policy;

/// How many resolutions (`address-information` / `name-information`) one
/// guest may have in flight at once, by default.
///
/// A resolution runs on a blocking thread; when the guest's timeout
/// expires first, the guest moves on but the thread runs on to the
/// resolver's own end. Without a limit, a guest calling with tiny timeouts
/// against a slow resolver could pile up the host's blocking threads. Past
/// the limit a resolution fails at once with class `transient`, code
/// `would-block`; the guest may retry once earlier ones finish.
pub const DEFAULT_MAX_RESOLUTIONS: usize = 16;

/// One guest's wasock state: its policy and how many sockets it holds.
///
/// Create one per `Store`, beside wasmtime-wasi's `WasiCtx`.
#[derive(Debug)]
pub struct WasockCtx {
    pub(crate) policy: Arc<Policy>,
    /// Sockets created or accepted and not yet closed or dropped, for
    /// `--max-sockets`.
    pub(crate) open_sockets: usize,
    /// Resolutions whose blocking thread is still running (including ones
    /// the guest's timeout abandoned).
    resolutions: Arc<AtomicUsize>,
    /// The limit on `resolutions`.
    max_resolutions: usize,
    /// The guest's poll sets and registrations, for their limits and for
    /// removing a closing socket from its sets.
    pub(crate) poll_sets: crate::poll_set::Memberships,
}

impl WasockCtx {
    /// A context under `policy`, holding no sockets yet.
    pub fn new(policy: Arc<Policy>) -> Self {
        WasockCtx {
            policy,
            open_sockets: 0,
            resolutions: Arc::new(AtomicUsize::new(0)),
            max_resolutions: DEFAULT_MAX_RESOLUTIONS,
            poll_sets: Default::default(),
        }
    }

    /// Sets how many resolutions the guest may have in flight at once
    /// (default [`DEFAULT_MAX_RESOLUTIONS`]).
    pub fn with_max_resolutions(mut self, limit: usize) -> Self {
        self.max_resolutions = limit;
        self
    }

    /// How many of the guest's resolutions are still running on the host.
    pub fn resolutions_in_flight(&self) -> usize {
        self.resolutions.load(Ordering::SeqCst)
    }

    /// Takes one resolution slot, or fails with `transient`/`would-block`
    /// at the limit. The slot is given back when the returned guard drops
    /// (the resolver thread holds it to its end).
    pub(crate) fn resolution_slot(&self, operation: &str) -> Result<ResolutionSlot, Error> {
        let limit = self.max_resolutions;
        self.resolutions
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| (n < limit).then_some(n + 1))
            .map_err(|_| {
                Error::new(
                    ErrorClass::Transient,
                    ErrorCode::WouldBlock,
                    format!("{operation}: {limit} resolutions already in flight for this guest; retry later"),
                )
            })?;
        Ok(ResolutionSlot(self.resolutions.clone()))
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

/// One resolution in flight; gives its slot back on drop.
#[derive(Debug)]
pub(crate) struct ResolutionSlot(Arc<AtomicUsize>);

impl Drop for ResolutionSlot {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
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

/// Adds the `wasock:socket` interfaces (types, resolve, socket, poll-set) to
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
    poll_set::add_to_linker::<T, HasWasock>(linker, T::wasock).map_err(to_anyhow)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolution_slots_are_limited_and_given_back() {
        let ctx = WasockCtx::new(Arc::new(Policy::new())).with_max_resolutions(2);
        let first = ctx
            .resolution_slot("address-information")
            .expect("first slot");
        let second = ctx
            .resolution_slot("address-information")
            .expect("second slot");
        let refused = ctx
            .resolution_slot("address-information")
            .expect_err("a third is over the limit");
        assert_eq!(
            (refused.class, refused.code),
            (ErrorClass::Transient, ErrorCode::WouldBlock)
        );
        assert_eq!(ctx.resolutions_in_flight(), 2);
        drop(first);
        assert_eq!(ctx.resolutions_in_flight(), 1);
        let third = ctx
            .resolution_slot("name-information")
            .expect("a slot was given back");
        drop((second, third));
        assert_eq!(ctx.resolutions_in_flight(), 0);
    }
}
