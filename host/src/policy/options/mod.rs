//! The socket-option allow-list: which (level, name) pairs a guest may get
//! or set, with which values, under which grant.
//!
//! Nothing reaches `getsockopt(2)` / `setsockopt(2)` unless this table
//! knows the pair. Every entry says, for reading and for writing:
//!
//! - **free**: any guest, the value checked (sizes, ranges) and, for
//!   every option that sizes the kernel's memory for the socket (buffer
//!   sizes, low-water marks, window clamp), capped at a ceiling;
//! - **a grant**: `--allow-raw` (options that choose interfaces, routes,
//!   headers or marks, or join anycast addresses) or `--allow-multicast`
//!   (group membership, for the groups granted);
//! - **never**: options that would open a descriptor in the host, reveal
//!   host processes or namespaces, pass the kernel's memory limits, load
//!   kernel modules or take over another process's connections;
//! - **read-only**: the spec's "(r/o)" options.
//!
//! A pair the table does not know answers class `unsupported`
//! (`option-not-supported`), as the WIT promises for unknown options; a
//! known pair the guest may not use answers `permission-denied` naming the
//! option and what would allow it. The table is Linux's; on other systems
//! it is empty and every option is unsupported.

use std::borrow::Cow;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::{Denied, Operation, Policy};
use crate::socket::{Family, Kind};

/// The largest value a guest may give an option that sizes the kernel's
/// memory for a socket: `SO_SNDBUF`, `SO_RCVBUF`, and those that make
/// Linux grow a buffer or hold data: `SO_RCVLOWAT` (on TCP it grows the
/// receive buffer to fit the mark, up to `tcp_rmem[2]`), `SO_SNDLOWAT`,
/// `TCP_WINDOW_CLAMP`, `TCP_NOTSENT_LOWAT`. Larger values are set to this,
/// and read back as the kernel holds them (as `getsockopt(2)` reports
/// them). Linux doubles a buffer size it is given (and sizes a buffer for
/// a low-water mark about twice the mark), so an option makes a socket
/// hold at most twice this in each direction.
pub const BUFFER_SIZE_CEILING: i32 = 4 * 1024 * 1024;

/// The longest the host lingers on a close (`SO_LINGER`), in seconds. The
/// guest's own time is kept and read back as it set it; the kernel never
/// holds it (see `Socket::set_linger`), and a lingering close holds its
/// socket slot (see `--max-sockets`) until its data is out or this time
/// (or the guest's, if shorter) is up.
pub const LINGER_CEILING_SECONDS: i32 = 30;

/// What a socket is, as far as the option rules care.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OptionTarget {
    /// The socket's family.
    pub family: Family,
    /// The socket's type.
    pub kind: Kind,
}

/// Why an option call may not reach the OS.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OptionRefusal {
    /// The pair is not in the allow-list: class `unsupported`.
    Unknown {
        /// The level asked for.
        level: i32,
        /// The name asked for.
        name: i32,
    },
    /// The option is read-only (set was asked).
    ReadOnly(&'static str),
    /// The option is known and refused: `permission-denied`.
    Denied(Denied),
    /// The value is malformed or out of range: `invalid-argument`.
    Invalid(String),
}

/// What the host does with what `getsockopt(2)` returned before the guest
/// sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GetFilter {
    /// Nothing.
    AsIs,
    /// A `struct ucred`: the process id is the host's, so it reads 0.
    HidePeerPid,
}

impl GetFilter {
    /// Applies the filter to the bytes the OS wrote.
    pub fn apply(self, bytes: &mut [u8]) {
        match self {
            GetFilter::AsIs => {}
            GetFilter::HidePeerPid => {
                // struct ucred { pid_t pid; uid_t uid; gid_t gid; }
                for byte in bytes.iter_mut().take(4) {
                    *byte = 0;
                }
            }
        }
    }
}

/// Who may read an option.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Get {
    Free,
    /// Free, with a filter on the result.
    Filtered(GetFilter),
    /// Free on inet sockets; on unix sockets it would show a host path.
    InetOnly,
    Raw,
    Never(&'static str),
}

/// Who may write an option, and with what value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Set {
    Free(Value),
    /// Free on stream sockets; on others it lets a socket share a port
    /// with another process's, so it needs `--allow-multicast` (its use
    /// there: several receivers of one group) or `--allow-raw`.
    StreamFree(Value),
    /// Free inside the value's range; outside it needs `--allow-raw`.
    FreeInRange(Value),
    Raw(Value),
    Membership(MembershipKind),
    ReadOnly,
    Never(&'static str),
}

/// The value rules of `Set`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Value {
    /// A C `int` in `min..=max` (4 bytes; 1 byte too where `byte` is set,
    /// as Linux takes for these options).
    Int { min: i32, max: i32, byte: bool },
    /// A C `int` that sizes kernel memory: below `min` invalid, above
    /// [`BUFFER_SIZE_CEILING`] set to it.
    Size { min: i32 },
    /// A `struct linger` with a time that is not negative (the host keeps
    /// it and lingers at most [`LINGER_CEILING_SECONDS`]).
    Linger,
    /// A `struct timeval`.
    Timeval,
    /// Bytes of at most this length, passed as they are.
    Bytes { max: usize },
}

/// Multicast membership structures.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum MembershipKind {
    /// `struct ip_mreq` (8 bytes) or `struct ip_mreqn` (12 bytes).
    Ipv4,
    /// `struct ipv6_mreq` (20 bytes).
    Ipv6,
}

const fn int(min: i32, max: i32) -> Value {
    Value::Int {
        min,
        max,
        byte: false,
    }
}

const fn int_or_byte(min: i32, max: i32) -> Value {
    Value::Int {
        min,
        max,
        byte: true,
    }
}

/// A size of kernel memory, at least `min` (see [`Value::Size`]).
const fn size(min: i32) -> Value {
    Value::Size { min }
}

const BOOL: Value = int(i32::MIN, i32::MAX);
const ANY_INT: Value = int(i32::MIN, i32::MAX);
const NON_NEGATIVE: Value = int(0, i32::MAX);
const HOPS: Value = int(-1, 255);

mod rules;

use rules::Rule;

fn find(level: i32, name: i32) -> Option<&'static Rule> {
    rules::all().find(|r| r.level == level && r.name == name)
}

/// The C name of an allow-listed option, for messages (`None` for a pair
/// the allow-list does not know).
pub fn option_label(level: i32, name: i32) -> Option<&'static str> {
    find(level, name).map(|r| r.label)
}

/// Every (level, name) pair the allow-list knows, in table order.
pub fn known_options() -> impl Iterator<Item = (i32, i32, &'static str)> {
    rules::all().map(|r| (r.level, r.name, r.label))
}

fn int_value(bytes: &[u8], byte: bool) -> Option<i32> {
    match bytes.len() {
        4 => Some(i32::from_ne_bytes([bytes[0], bytes[1], bytes[2], bytes[3]])),
        1 if byte => Some(i32::from(bytes[0])),
        _ => None,
    }
}

impl Policy {
    /// May the guest read `(level, name)` on `target`? Returns what to do
    /// with the result.
    pub fn check_get_option(
        &self,
        level: i32,
        name: i32,
        target: OptionTarget,
    ) -> Result<GetFilter, OptionRefusal> {
        let rule = find(level, name).ok_or(OptionRefusal::Unknown { level, name })?;
        let deny = |reason: String| {
            OptionRefusal::Denied(Denied::new(
                Operation::GetOption,
                format!("option {}", rule.label),
                reason,
            ))
        };
        match rule.get {
            Get::Free => Ok(GetFilter::AsIs),
            Get::Filtered(filter) => Ok(filter),
            Get::InetOnly if target.family == Family::Unix => Err(deny(
                "on a unix socket it would show a host path (use peer-name)".into(),
            )),
            Get::InetOnly => Ok(GetFilter::AsIs),
            Get::Raw if self.raw => Ok(GetFilter::AsIs),
            Get::Raw => Err(deny("needs --allow-raw".into())),
            Get::Never(why) => Err(deny(format!("never allowed: {why}"))),
        }
    }

    /// May the guest write `value` to `(level, name)` on `target`? Returns
    /// the bytes to hand on (a size of kernel memory past
    /// [`BUFFER_SIZE_CEILING`] is capped; a linger time is passed as set,
    /// for the socket to keep, see [`LINGER_CEILING_SECONDS`]).
    pub fn check_set_option<'v>(
        &self,
        level: i32,
        name: i32,
        target: OptionTarget,
        value: &'v [u8],
    ) -> Result<Cow<'v, [u8]>, OptionRefusal> {
        let rule = find(level, name).ok_or(OptionRefusal::Unknown { level, name })?;
        let deny = |reason: String| {
            OptionRefusal::Denied(Denied::new(
                Operation::SetOption,
                format!("option {}", rule.label),
                reason,
            ))
        };
        match rule.set {
            Set::ReadOnly => Err(OptionRefusal::ReadOnly(rule.label)),
            Set::Never(why) => Err(deny(format!("never allowed: {why}"))),
            Set::Free(rule_value) => checked_value(rule.label, rule_value, value),
            Set::StreamFree(rule_value) => {
                if target.kind != Kind::Stream && !self.raw && self.multicast.is_empty() {
                    return Err(deny(
                        "on a datagram socket it shares the port with other processes' sockets; needs --allow-multicast or --allow-raw".into(),
                    ));
                }
                checked_value(rule.label, rule_value, value)
            }
            Set::FreeInRange(rule_value) => {
                let Value::Int { min, max, byte } = rule_value else {
                    return checked_value(rule.label, rule_value, value);
                };
                let n =
                    int_value(value, byte).ok_or_else(|| size_error(rule.label, value, byte))?;
                if (min..=max).contains(&n) || self.raw {
                    Ok(Cow::Borrowed(value))
                } else {
                    Err(deny(format!(
                        "values outside {min}..={max} need --allow-raw"
                    )))
                }
            }
            Set::Raw(rule_value) => {
                if !self.raw {
                    return Err(deny("needs --allow-raw".into()));
                }
                checked_value(rule.label, rule_value, value)
            }
            Set::Membership(kind) => self.check_membership(rule.label, kind, value),
        }
    }

    /// A multicast join or leave: the group must be granted by
    /// `--allow-multicast`, and the interface left to the OS (choosing
    /// one needs `--allow-raw`).
    fn check_membership<'v>(
        &self,
        label: &'static str,
        kind: MembershipKind,
        value: &'v [u8],
    ) -> Result<Cow<'v, [u8]>, OptionRefusal> {
        let (group, interface_chosen) = match kind {
            MembershipKind::Ipv4 => {
                if value.len() != 8 && value.len() != 12 {
                    return Err(OptionRefusal::Invalid(format!(
                        "{label}: expected a struct ip_mreq (8 bytes) or ip_mreqn (12 bytes), got {} bytes",
                        value.len()
                    )));
                }
                let group = Ipv4Addr::new(value[0], value[1], value[2], value[3]);
                let chosen = value[4..].iter().any(|b| *b != 0);
                (IpAddr::V4(group), chosen)
            }
            MembershipKind::Ipv6 => {
                if value.len() != 20 {
                    return Err(OptionRefusal::Invalid(format!(
                        "{label}: expected a struct ipv6_mreq (20 bytes), got {} bytes",
                        value.len()
                    )));
                }
                let mut octets = [0u8; 16];
                octets.copy_from_slice(&value[..16]);
                let chosen = value[16..].iter().any(|b| *b != 0);
                (IpAddr::V6(Ipv6Addr::from(octets)), chosen)
            }
        };
        let deny = |reason: String| {
            OptionRefusal::Denied(Denied::new(
                Operation::SetOption,
                format!("option {label} for group {group}"),
                reason,
            ))
        };
        if !self.raw && !self.multicast.iter().any(|g| g.matches(group)) {
            return Err(deny("no --allow-multicast grant covers the group".into()));
        }
        if interface_chosen && !self.raw {
            return Err(deny(
                "choosing the interface needs --allow-raw (leave it 0 for the OS's choice)".into(),
            ));
        }
        Ok(Cow::Borrowed(value))
    }
}

fn size_error(label: &str, value: &[u8], byte: bool) -> OptionRefusal {
    OptionRefusal::Invalid(format!(
        "{label}: expected a C int (4 bytes{}), got {} bytes",
        if byte { " or 1" } else { "" },
        value.len()
    ))
}

/// Checks `value` against `rule_value`; returns the bytes to set.
fn checked_value<'v>(
    label: &'static str,
    rule_value: Value,
    value: &'v [u8],
) -> Result<Cow<'v, [u8]>, OptionRefusal> {
    match rule_value {
        Value::Int { min, max, byte } => {
            let n = int_value(value, byte).ok_or_else(|| size_error(label, value, byte))?;
            if (min..=max).contains(&n) {
                Ok(Cow::Borrowed(value))
            } else {
                Err(OptionRefusal::Invalid(format!(
                    "{label}: {n} is outside {min}..={max}"
                )))
            }
        }
        Value::Size { min } => {
            let n = int_value(value, false).ok_or_else(|| size_error(label, value, false))?;
            if n < min {
                return Err(OptionRefusal::Invalid(format!(
                    "{label}: {n} is less than {min}"
                )));
            }
            Ok(if n > BUFFER_SIZE_CEILING {
                Cow::Owned(BUFFER_SIZE_CEILING.to_ne_bytes().to_vec())
            } else {
                Cow::Borrowed(value)
            })
        }
        Value::Linger => {
            if value.len() != 8 {
                return Err(OptionRefusal::Invalid(format!(
                    "{label}: expected a struct linger (8 bytes), got {} bytes",
                    value.len()
                )));
            }
            let seconds = i32::from_ne_bytes([value[4], value[5], value[6], value[7]]);
            if seconds < 0 {
                return Err(OptionRefusal::Invalid(format!(
                    "{label}: a linger time of {seconds} s is negative"
                )));
            }
            // Passed as set: the socket keeps a time, never the kernel,
            // and its close lingers at most the ceiling (`socket::close`).
            Ok(Cow::Borrowed(value))
        }
        Value::Timeval => {
            let expected = std::mem::size_of::<libc::timeval>();
            if value.len() != expected {
                return Err(OptionRefusal::Invalid(format!(
                    "{label}: expected a struct timeval ({expected} bytes), got {} bytes",
                    value.len()
                )));
            }
            Ok(Cow::Borrowed(value))
        }
        Value::Bytes { max } => {
            if value.len() > max {
                return Err(OptionRefusal::Invalid(format!(
                    "{label}: at most {max} bytes, got {}",
                    value.len()
                )));
            }
            Ok(Cow::Borrowed(value))
        }
    }
}
