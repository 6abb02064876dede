//! Least privilege: before a guest runs, give up the Linux capabilities no
//! grant needs, so that a gap in the sandbox could not use them.
//!
//! A host often runs as root, with every capability. What the guests of a
//! policy can need:
//!
//! - `CAP_NET_RAW`, for `--allow-raw` (raw sockets);
//! - `CAP_NET_BIND_SERVICE`, when a bind grant (or `--inherit-network`)
//!   covers a port below 1024;
//! - `CAP_DAC_OVERRIDE`, `CAP_DAC_READ_SEARCH` and `CAP_FOWNER`, when the
//!   guest is given directories (`--dir`, `--allow-unix`), so root keeps
//!   root's access inside them.
//!
//! Everything else is dropped from the effective, permitted, inheritable,
//! ambient and bounding sets, `CAP_NET_ADMIN` always; and no later
//! `execve` may gain privileges (`PR_SET_NO_NEW_PRIVS`). Capabilities
//! belong to threads: call [`drop_capabilities`] before any other thread
//! starts (the `wasock` binary does, before its runtime), so every thread
//! the host starts later inherits the reduced sets.
//!
//! A process without capabilities (not root, no file capabilities) has
//! nothing to drop; the call then changes nothing but `NO_NEW_PRIVS`.

use std::io;

use crate::policy::Policy;
use crate::sys::{self, Capability};

/// The capabilities the guests of `policy` can need; `directories` says
/// whether they are given any (`--dir` or `--allow-unix`).
pub fn needed(policy: &Policy, directories: bool) -> Vec<Capability> {
    let mut keep = Vec::new();
    if policy.raw_allowed() {
        keep.push(sys::CAP_NET_RAW);
    }
    let low_port = policy.inherits_network()
        || policy
            .bind_grants()
            .iter()
            .any(|grant| grant.ports.low < 1024);
    if low_port {
        keep.push(sys::CAP_NET_BIND_SERVICE);
    }
    if directories || policy.unix_allowed() {
        keep.extend([
            sys::CAP_DAC_OVERRIDE,
            sys::CAP_DAC_READ_SEARCH,
            sys::CAP_FOWNER,
        ]);
    }
    keep
}

/// What [`drop_capabilities`] did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Dropped {
    /// The effective set before, one bit per capability.
    pub effective_before: u64,
    /// The effective set after.
    pub effective_after: u64,
    /// Whether the bounding set could be reduced too (it needs
    /// `CAP_SETPCAP`, which a process without it does not have).
    pub bounding_reduced: bool,
}

/// Drops every capability but `keep` from this thread's sets (and the
/// process's bounding set), clears the ambient set and sets
/// `PR_SET_NO_NEW_PRIVS`. Call it before starting any thread.
#[cfg(any(target_os = "linux", target_os = "android"))]
pub fn drop_capabilities(keep: &[Capability]) -> io::Result<Dropped> {
    let keep_bits = keep
        .iter()
        .filter(|cap| **cap < sys::CAP_COUNT)
        .fold(0u64, |bits, cap| bits | (1 << cap));
    let before = sys::capabilities()?;
    let mut bounding_reduced = before.effective & (1 << sys::CAP_SETPCAP) != 0;
    for cap in 0..sys::CAP_COUNT {
        if keep_bits & (1 << cap) != 0 {
            continue;
        }
        // Not in the set, or a number this kernel does not know: nothing.
        if sys::in_bounding_set(cap) == Some(true) && sys::drop_from_bounding_set(cap).is_err() {
            bounding_reduced = false;
        }
    }
    sys::clear_ambient()?;
    sys::set_no_new_privileges()?;
    sys::set_capabilities(sys::CapabilitySets {
        effective: before.effective & keep_bits,
        permitted: before.permitted & keep_bits,
        inheritable: 0,
    })?;
    let after = sys::capabilities()?;
    Ok(Dropped {
        effective_before: before.effective,
        effective_after: after.effective,
        bounding_reduced,
    })
}

/// Capabilities are Linux's; elsewhere there is nothing to drop.
#[cfg(not(any(target_os = "linux", target_os = "android")))]
pub fn drop_capabilities(_keep: &[Capability]) -> io::Result<Dropped> {
    Ok(Dropped::default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grants_decide_what_is_kept() {
        assert!(needed(&Policy::new(), false).is_empty());
        assert_eq!(
            needed(&Policy::new().allow_raw(true), false),
            [sys::CAP_NET_RAW]
        );
        let low = Policy::new().allow_bind("127.0.0.1:80".parse().unwrap());
        assert_eq!(needed(&low, false), [sys::CAP_NET_BIND_SERVICE]);
        let high = Policy::new().allow_bind("127.0.0.1:8080".parse().unwrap());
        assert!(needed(&high, false).is_empty());
        let any = Policy::new().allow_bind("127.0.0.1:*".parse().unwrap());
        assert_eq!(needed(&any, false), [sys::CAP_NET_BIND_SERVICE]);
        assert!(
            needed(&Policy::new().inherit_network(true), false)
                .contains(&sys::CAP_NET_BIND_SERVICE)
        );
        assert!(needed(&Policy::new(), true).contains(&sys::CAP_DAC_OVERRIDE));
        let widest = Policy::new().allow_raw(true).inherit_network(true);
        assert!(!needed(&widest, true).contains(&sys::CAP_NET_ADMIN));
    }
}
