//! The allow-list's table: one [`Rule`] per (level, name) pair, one file
//! per group of levels, and the reasons given for options never allowed.

#[cfg(any(target_os = "linux", target_os = "android"))]
mod ip;
#[cfg(any(target_os = "linux", target_os = "android"))]
mod socket;
#[cfg(any(target_os = "linux", target_os = "android"))]
mod transport;

use super::{Get, Set};

/// One allow-list entry.
#[derive(Clone, Copy, Debug)]
pub(super) struct Rule {
    pub(super) level: i32,
    pub(super) name: i32,
    /// The option's C name, for messages.
    pub(super) label: &'static str,
    pub(super) get: Get,
    pub(super) set: Set,
}

pub(super) const fn rule(level: i32, name: i32, label: &'static str, get: Get, set: Set) -> Rule {
    Rule {
        level,
        name,
        label,
        get,
        set,
    }
}

/// Levels (the same numbers on every Linux).
pub(super) mod level {
    pub const SOL_SOCKET: i32 = 1;
    pub const IPPROTO_IP: i32 = 0;
    pub const IPPROTO_IPV6: i32 = 41;
    pub const IPPROTO_TCP: i32 = 6;
    pub const IPPROTO_UDP: i32 = 17;
    pub const IPPROTO_ICMPV6: i32 = 58;
    pub const SOL_RAW: i32 = 255;
}

pub(super) const OPENS_DESCRIPTOR: &str = "it would open a descriptor in the host";
pub(super) const HOST_IDENTITY: &str =
    "it would show the host's processes, security labels or namespaces";
pub(super) const MEMORY_LIMITS: &str =
    "it would pass the kernel's memory limits (the plain option is capped instead)";
pub(super) const TAKES_CONNECTIONS: &str =
    "it would let the guest take over connections of other processes";
pub(super) const KERNEL_STATE: &str =
    "it changes the host's kernel state (IPsec policy, encapsulation, kernel modules)";
pub(super) const FILTERS: &str = "socket filters and BPF programs are not available to guests";

/// Every table, searched in order.
#[cfg(any(target_os = "linux", target_os = "android"))]
pub(super) const TABLES: &[&[Rule]] = &[socket::SOCKET, ip::IP, transport::TRANSPORT];

/// No table: on other systems every option is unsupported.
#[cfg(not(any(target_os = "linux", target_os = "android")))]
pub(super) const TABLES: &[&[Rule]] = &[];

/// Every rule, in table order.
pub(super) fn all() -> impl Iterator<Item = &'static Rule> {
    TABLES.iter().flat_map(|table| table.iter())
}
