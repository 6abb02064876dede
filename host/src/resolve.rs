//! Forward and reverse resolution through the system resolver:
//! `getaddrinfo(3)` and `getnameinfo(3)`, run on tokio's blocking threads
//! (they block) under the call's timeout.
//!
//! Spec: "Address resolution". The policy check (`--allow-dns`) is the
//! glue's, before it calls in here.

use std::ffi::{CStr, CString};
use std::net::SocketAddr;
use std::time::Duration;

use socket2::SockAddr;

use crate::error::{Error, ErrorClass, ErrorCode, Result};
use crate::socket::{Family, Kind};
use crate::sys;

/// `ai_flags` of `getaddrinfo(3)`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AddrInfoFlags {
    /// `AI_NUMERICHOST`.
    pub numerichost: bool,
    /// `AI_PASSIVE`.
    pub passive: bool,
    /// `AI_CANONNAME`.
    pub canonname: bool,
}

impl AddrInfoFlags {
    fn bits(self) -> libc::c_int {
        let mut bits = 0;
        if self.numerichost {
            bits |= libc::AI_NUMERICHOST;
        }
        if self.passive {
            bits |= libc::AI_PASSIVE;
        }
        if self.canonname {
            bits |= libc::AI_CANONNAME;
        }
        bits
    }
}

/// The hints of `address-information`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AddrInfoHints {
    /// `ai_family`; `None` is `AF_UNSPEC`.
    pub family: Option<Family>,
    /// `ai_socktype`; `None` for any.
    pub kind: Option<Kind>,
    /// `ai_protocol`; `None` for any.
    pub protocol: Option<u16>,
    /// `ai_flags`.
    pub flags: AddrInfoFlags,
}

/// One result of `getaddrinfo(3)`: the spec's `addrinfo` record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AddrInfo {
    /// `ai_family`.
    pub family: Family,
    /// `ai_socktype`.
    pub kind: Kind,
    /// `ai_protocol`.
    pub protocol: u16,
    /// `ai_addr`.
    pub address: SocketAddr,
    /// `ai_canonname`, on the result the resolver put it on.
    pub canonical_name: Option<String>,
}

/// `ni_flags` of `getnameinfo(3)`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NameInfoFlags {
    /// `NI_NUMERICHOST`.
    pub numerichost: bool,
    /// `NI_NUMERICSERV`.
    pub numericserv: bool,
    /// `NI_DGRAM`.
    pub dgram: bool,
    /// `NI_NAMEREQD`.
    pub namereqd: bool,
    /// `NI_NOFQDN`.
    pub nofqdn: bool,
}

impl NameInfoFlags {
    fn bits(self) -> libc::c_int {
        let mut bits = 0;
        if self.numerichost {
            bits |= libc::NI_NUMERICHOST;
        }
        if self.numericserv {
            bits |= libc::NI_NUMERICSERV;
        }
        if self.dgram {
            bits |= libc::NI_DGRAM;
        }
        if self.namereqd {
            bits |= libc::NI_NAMEREQD;
        }
        if self.nofqdn {
            bits |= libc::NI_NOFQDN;
        }
        bits
    }
}

/// The service half of a `getnameinfo(3)` result.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Service {
    /// A service name ("http").
    Name(String),
    /// A port: no name was found, or `numericserv` was given.
    Port(u16),
}

/// Runs a blocking resolver call off the async threads, under `timeout`.
///
/// `slot` is held by the blocking thread until the resolver returns, even
/// when the timeout gave up on it first (the per-guest limit on
/// resolutions in flight counts those threads).
async fn off_thread<T: Send + 'static, S: Send + 'static>(
    operation: &'static str,
    timeout: Option<Duration>,
    slot: S,
    call: impl FnOnce() -> Result<T> + Send + 'static,
) -> Result<T> {
    let task = tokio::task::spawn_blocking(move || {
        let result = call();
        drop(slot);
        result
    });
    let joined = match timeout {
        None => task.await,
        // The resolver thread runs on to its own end; its result is dropped.
        Some(limit) => tokio::time::timeout(limit, task)
            .await
            .map_err(|_| Error::timeout(operation))?,
    };
    joined.map_err(|e| {
        Error::new(
            ErrorClass::Fatal,
            ErrorCode::Other,
            format!("{operation}: {e}"),
        )
    })?
}

/// The longest host or service name handed to the resolver:
/// `NI_MAXHOST` (1025) less its NUL. A DNS name has at most 253 bytes, a
/// service name far fewer; a longer text names nothing, and is refused
/// before the host copies it or starts a resolver thread for it.
pub const NAME_BYTES_MAX: usize = 1024;

/// Refuses a `what` (node, service) longer than [`NAME_BYTES_MAX`].
pub(crate) fn check_name_length(operation: &str, what: &str, text: &str) -> Result<()> {
    if text.len() > NAME_BYTES_MAX {
        return Err(Error::invalid_argument(
            operation,
            format!(
                "the {what} is {} bytes long; names have at most {NAME_BYTES_MAX}",
                text.len()
            ),
        ));
    }
    Ok(())
}

fn c_string(operation: &str, what: &str, text: Option<String>) -> Result<Option<CString>> {
    text.map(|text| {
        check_name_length(operation, what, &text)?;
        CString::new(text).map_err(|_| {
            Error::invalid_argument(operation, format!("the {what} contains a NUL byte"))
        })
    })
    .transpose()
}

/// `getaddrinfo(3)`: the spec's `address-information`.
///
/// `node` `None` is the loopback address (the unspecified address with
/// `passive`); `service` `None` is port 0; both `None` is the empty list,
/// as the spec shows (`(address-information #f #f) ; => ()`).
pub async fn address_information(
    node: Option<String>,
    service: Option<String>,
    hints: AddrInfoHints,
    timeout: Option<Duration>,
) -> Result<Vec<AddrInfo>> {
    address_information_with_slot(node, service, hints, timeout, ()).await
}

/// [`address_information`], with `slot` held by the resolver thread to its
/// end (for the per-guest limit on resolutions in flight).
pub(crate) async fn address_information_with_slot<S: Send + 'static>(
    node: Option<String>,
    service: Option<String>,
    hints: AddrInfoHints,
    timeout: Option<Duration>,
    slot: S,
) -> Result<Vec<AddrInfo>> {
    const OP: &str = "address-information";
    if node.is_none() && service.is_none() {
        return Ok(Vec::new());
    }
    let node = c_string(OP, "node", node)?;
    let service = c_string(OP, "service", service)?;
    off_thread(OP, timeout, slot, move || {
        getaddrinfo(node.as_deref(), service.as_deref(), hints)
    })
    .await
}

fn getaddrinfo(
    node: Option<&CStr>,
    service: Option<&CStr>,
    hints: AddrInfoHints,
) -> Result<Vec<AddrInfo>> {
    const OP: &str = "address-information";
    let family = match hints.family {
        None => libc::AF_UNSPEC,
        Some(Family::Inet) => libc::AF_INET,
        Some(Family::Inet6) => libc::AF_INET6,
        Some(Family::Unix) => libc::AF_UNIX,
    };
    let socket_type = match hints.kind {
        None => 0,
        Some(Kind::Stream) => libc::SOCK_STREAM,
        Some(Kind::Dgram) => libc::SOCK_DGRAM,
        Some(Kind::Raw) => libc::SOCK_RAW,
    };
    let protocol = hints.protocol.map_or(0, libc::c_int::from);
    let entries = sys::getaddrinfo(
        node,
        service,
        (family, socket_type, protocol, hints.flags.bits()),
    )
    .map_err(|rc| Error::resolver(OP, rc))?;
    Ok(entries
        .into_iter()
        .filter_map(|entry| {
            let family = Family::of(&entry.address)?;
            let kind = Kind::from_raw(entry.socket_type)?;
            let address = entry.address.as_socket()?;
            Some(AddrInfo {
                family,
                kind,
                protocol: u16::try_from(entry.protocol).unwrap_or(0),
                address,
                canonical_name: entry.canonical_name,
            })
        })
        .collect())
}

/// `getnameinfo(3)`: the spec's `name-information`. The node is the host
/// name, or the numeric address where none was found (unless `namereqd`);
/// the service is a name, or the port where none was found.
pub async fn name_information(
    address: SocketAddr,
    flags: NameInfoFlags,
    timeout: Option<Duration>,
) -> Result<(String, Service)> {
    name_information_with_slot(address, flags, timeout, ()).await
}

/// [`name_information`], with `slot` held by the resolver thread to its
/// end (for the per-guest limit on resolutions in flight).
pub(crate) async fn name_information_with_slot<S: Send + 'static>(
    address: SocketAddr,
    flags: NameInfoFlags,
    timeout: Option<Duration>,
    slot: S,
) -> Result<(String, Service)> {
    const OP: &str = "name-information";
    off_thread(OP, timeout, slot, move || getnameinfo(address, flags)).await
}

fn getnameinfo(address: SocketAddr, flags: NameInfoFlags) -> Result<(String, Service)> {
    const OP: &str = "name-information";
    let (host, service) = sys::getnameinfo(&SockAddr::from(address), flags.bits())
        .map_err(|rc| Error::resolver(OP, rc))?;
    // Spec: "If service number lookup fails, it is returned as an integer."
    let service = match service.parse::<u16>() {
        Ok(port) => Service::Port(port),
        Err(_) => Service::Name(service),
    };
    Ok((numeric_zone(host, address), service))
}

/// A node with an IPv6 zone (`fe80::1%lo`) as the guest gave the address:
/// with the scope id's number (`fe80::1%1`), so the host's interface
/// names never reach the guest.
fn numeric_zone(node: String, address: SocketAddr) -> String {
    match (node.split_once('%'), address) {
        (Some((head, _)), SocketAddr::V6(v6)) => format!("{head}%{}", v6.scope_id()),
        _ => node,
    }
}
