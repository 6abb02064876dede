//! What an embedder holds per guest ([`WasockCtx`]), how the bindings reach
//! it ([`WasockView`]), and [`add_to_linker`].

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use wasmtime::component::{HasData, Linker, ResourceTable};
use wasmtime_wasi::sockets::WasiSocketsCtx;

use crate::accounting::{Slot, Slots};
use crate::bindings::wasock::socket::{poll_set, resolve, socket, tls, types};
use crate::error::{Error, ErrorClass, ErrorCode};
use crate::policy::{DenialSink, Policy, Reporter};

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

/// One guest's wasock state: its policy, where its denials go, and what it
/// holds of the host (sockets on both socket paths, resolutions).
///
/// Create one per `Store`, beside wasmtime-wasi's `WasiCtx`.
pub struct WasockCtx {
    pub(crate) policy: Arc<Policy>,
    pub(crate) reporter: Reporter,
    /// `--max-sockets`: one slot per open socket, wasock and `wasi:sockets`
    /// alike, held until the OS socket is gone (lingering closes included).
    pub(crate) sockets: Slots,
    /// Resolutions whose blocking thread is still running (including ones
    /// the guest's timeout abandoned).
    pub(crate) resolutions: Slots,
    /// wasmtime-wasi's sockets state, which the `wasi:sockets` wrappers
    /// hand off to.
    pub(crate) wasi_sockets: WasiSocketsCtx,
    /// What the `wasi:sockets` wrappers keep per resource.
    pub(crate) wasi: WasiSocketBook,
    /// What the WASI 0.3 `wasi:sockets` wrappers keep.
    pub(crate) wasi_p3: crate::wasi_sockets_p3::P3Book,
    /// What the guest's TLS connections trust (see `crate::tls`), when
    /// its runner said.
    pub(crate) tls_client: Option<Arc<rustls::ClientConfig>>,
    /// The identities the guest's TLS servers may present
    /// (`--tls-identity`).
    pub(crate) tls_identities: crate::tls::TlsIdentities,
    /// Bytes the guest's pending WASI 0.3 sends hold on the host (both
    /// 0.3 paths: `wasi:sockets` UDP and `wasock:socket@0.2.0`), bounded by
    /// [`crate::accounting::PENDING_SEND_BUDGET`].
    pub(crate) pending_sends: Arc<std::sync::atomic::AtomicUsize>,
    /// Calls of `wasock:socket@0.2.0` the guest has pending, bounded by
    /// `pending_call_limit`
    /// ([`crate::accounting::PENDING_CALLS_PER_SOCKET`] × `--max-sockets`).
    pub(crate) pending_calls: Arc<std::sync::atomic::AtomicUsize>,
    pub(crate) pending_call_limit: usize,
    /// The guest's poll sets and registrations, for their limits and for
    /// removing a closing socket from its sets.
    pub(crate) poll_sets: crate::poll_set::Memberships,
    /// The listeners the host opened for the guest, each with its socket
    /// slot, until the guest takes them (`listeners`).
    pub(crate) listeners: Vec<(crate::listeners::Listener, Slot)>,
}

/// The `wasi:sockets` wrappers' bookkeeping, by resource handle.
#[derive(Debug, Default)]
pub(crate) struct WasiSocketBook {
    /// Each open `tcp-socket` / `udp-socket`'s slot.
    pub(crate) slots: HashMap<u32, Slot>,
    /// UDP sockets bound under a bind grant (they hear from anyone).
    pub(crate) granted_udp: HashSet<u32>,
    /// Incoming datagram streams whose senders are filtered, and whether a
    /// drop was reported yet.
    pub(crate) filtered_incoming: HashMap<u32, bool>,
    /// Each name lookup's resolution slot, held until its thread is done.
    pub(crate) resolutions: HashMap<u32, Slot>,
}

impl std::fmt::Debug for WasockCtx {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WasockCtx")
            .field("policy", &self.policy)
            .field("reporter", &self.reporter)
            .field("sockets", &self.sockets)
            .field("resolutions", &self.resolutions)
            .finish_non_exhaustive()
    }
}

impl WasockCtx {
    /// A context under `policy`, holding nothing yet, reporting denials on
    /// stderr as the guest `guest`.
    pub fn new(policy: Arc<Policy>) -> Self {
        let sockets = Slots::new(policy.max_sockets());
        let reporter = Reporter::default();
        WasockCtx {
            resolutions: Slots::new(DEFAULT_MAX_RESOLUTIONS),
            wasi_sockets: crate::wasi_sockets::wasi_sockets_ctx(&policy),
            wasi: WasiSocketBook::default(),
            wasi_p3: crate::wasi_sockets_p3::P3Book::new(&policy, &reporter, &sockets),
            sockets,
            reporter,
            tls_client: None,
            tls_identities: Default::default(),
            pending_sends: Default::default(),
            pending_calls: Default::default(),
            pending_call_limit: policy
                .max_sockets()
                .saturating_mul(crate::accounting::PENDING_CALLS_PER_SOCKET),
            policy,
            poll_sets: Default::default(),
            listeners: Vec::new(),
        }
    }

    /// Gives the guest listening sockets the host opened
    /// ([`crate::listeners`]), handed out by the contract's `listeners`
    /// call in this order. Each takes one of the guest's socket slots at
    /// once; more listeners than the policy's socket limit is an error.
    pub fn with_listeners(
        mut self,
        listeners: Vec<crate::listeners::Listener>,
    ) -> Result<Self, Error> {
        let count = listeners.len();
        for listener in listeners {
            let slot = self.sockets.take().ok_or_else(|| {
                Error::new(
                    ErrorClass::Fatal,
                    ErrorCode::TooManySockets,
                    format!(
                        "{count} listeners are more than the guest's limit of {} open sockets (--max-sockets)",
                        self.sockets.limit()
                    ),
                )
            })?;
            self.listeners.push((listener, slot));
        }
        Ok(self)
    }

    /// Sends the guest's denials to `sink`, naming the guest `guest`.
    pub fn with_denial_sink(
        mut self,
        guest: impl Into<Arc<str>>,
        sink: Arc<dyn DenialSink>,
    ) -> Self {
        self.reporter = Reporter::new(guest, sink);
        // The WASI 0.3 address checks report to it too.
        self.wasi_p3 =
            crate::wasi_sockets_p3::P3Book::new(&self.policy, &self.reporter, &self.sockets);
        self
    }

    /// Has the guest's TLS connections trust what `config` trusts (see
    /// [`crate::tls::client_config`]).
    pub fn with_tls_client(mut self, config: Arc<rustls::ClientConfig>) -> Self {
        self.tls_client = Some(config);
        self
    }

    /// Lets the guest's TLS servers present `identities` (by name; their
    /// keys stay here). The caller keeps their files out of the guest's
    /// reach (`Runner::run` checks its directories).
    pub fn with_tls_identities(mut self, identities: crate::tls::TlsIdentities) -> Self {
        self.tls_identities = identities;
        self
    }

    /// Sets how many resolutions the guest may have in flight at once
    /// (default [`DEFAULT_MAX_RESOLUTIONS`]).
    pub fn with_max_resolutions(mut self, limit: usize) -> Self {
        self.resolutions = Slots::new(limit);
        self
    }

    /// How many of the guest's resolutions are still running on the host.
    pub fn resolutions_in_flight(&self) -> usize {
        self.resolutions.in_use()
    }

    /// Takes one resolution slot, or fails with `transient`/`would-block`
    /// at the limit. The slot is given back when it drops (the resolver
    /// thread holds it to its end).
    pub(crate) fn resolution_slot(&self, operation: &str) -> Result<Slot, Error> {
        self.resolutions.take().ok_or_else(|| {
            Error::new(
                ErrorClass::Transient,
                ErrorCode::WouldBlock,
                format!(
                    "{operation}: {} resolutions already in flight for this guest; retry later",
                    self.resolutions.limit()
                ),
            )
        })
    }

    /// Takes one socket slot, or fails with `too-many-sockets` at the
    /// guest's `--max-sockets` limit.
    pub(crate) fn socket_slot(&self, operation: &str) -> Result<Slot, Error> {
        self.sockets
            .take()
            .ok_or_else(|| Error::too_many_sockets(operation, self.sockets.limit()))
    }

    /// The policy the guest runs under.
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// Where the guest's denials go.
    pub fn reporter(&self) -> &Reporter {
        &self.reporter
    }

    /// How many sockets the guest holds open now, on both socket paths,
    /// lingering closes included.
    pub fn open_sockets(&self) -> usize {
        self.sockets.in_use()
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
/// wasock interfaces and of the sandboxed `wasi:sockets`.
pub(crate) struct HasWasock;

impl HasData for HasWasock {
    type Data<'a> = WasockCtxView<'a>;
}

/// Adds the `wasock:socket` interfaces (types, resolve, socket,
/// poll-set) to
/// `linker`, and replaces the `wasi:sockets` interfaces with ones under the
/// same policy and accounting.
///
/// Call it after `wasmtime_wasi::p2::add_to_linker_async` (which provides
/// `wasi:io/poll`, `wasi:clocks` and the rest of `wasi:cli`); it leaves
/// the linker's shadowing switched off. The store must be async (wasock
/// waits for sockets on the tokio reactor).
pub fn add_to_linker<T: WasockView + 'static>(linker: &mut Linker<T>) -> wasmtime::Result<()> {
    types::add_to_linker::<T, HasWasock>(linker, T::wasock)?;
    resolve::add_to_linker::<T, HasWasock>(linker, T::wasock)?;
    socket::add_to_linker::<T, HasWasock>(linker, T::wasock)?;
    poll_set::add_to_linker::<T, HasWasock>(linker, T::wasock)?;
    tls::add_to_linker::<T, HasWasock>(linker, T::wasock)?;
    crate::wasi_sockets::add_to_linker(linker)?;
    Ok(())
}

/// Adds wasmtime-wasi's WASI 0.3 interfaces (`wasi:cli@0.3.0` and what
/// it includes) to `linker`, with `wasi:sockets@0.3.0` under the same
/// policy and accounting as the 0.2 interfaces and wasock's, and
/// `wasock:socket@0.2.0` (every blocking call an `async func`) beside
/// `wasock:socket@0.1.0`.
///
/// Call it beside [`add_to_linker`], on an engine with the component
/// model's async on (`Config::wasm_component_model_async`, the default
/// when wasmtime's `component-model-async` feature is built in), and run
/// a 0.3 command's `run` inside `Store::run_concurrent`.
pub fn add_p3_to_linker<T>(linker: &mut Linker<T>) -> wasmtime::Result<()>
where
    T: WasockView + wasmtime_wasi::WasiView + 'static,
{
    wasmtime_wasi::p3::add_to_linker(linker)?;
    crate::wasi_sockets_p3::add_to_linker(linker)?;
    add_async_contract_to_linker(linker)
}

/// Adds `wasock:socket@0.2.0`, the contract for the component model's
/// async, over the same sockets, policy and accounting as 0.1.0.
fn add_async_contract_to_linker<T: WasockView + 'static>(
    linker: &mut Linker<T>,
) -> wasmtime::Result<()> {
    use crate::bindings_async::wasock::socket::{poll_set, resolve, socket};
    // The `types` interface has only types: an empty instance.
    linker.instance("wasock:socket/types@0.2.0")?;
    resolve::add_to_linker::<T, HasWasock>(linker, T::wasock)?;
    socket::add_to_linker::<T, HasWasock>(linker, T::wasock)?;
    poll_set::add_to_linker::<T, HasWasock>(linker, T::wasock)?;
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

    #[test]
    fn socket_slots_follow_max_sockets() {
        let ctx = WasockCtx::new(Arc::new(Policy::new().limit_sockets(1)));
        let held = ctx.socket_slot("socket").expect("one");
        let refused = ctx.socket_slot("socket").expect_err("over the limit");
        assert_eq!(refused.code, ErrorCode::TooManySockets);
        assert_eq!(ctx.open_sockets(), 1);
        drop(held);
        assert_eq!(ctx.open_sockets(), 0);
    }
}
