//! The thin glue between the generated bindings and the socket logic:
//! for each WIT function a table lookup, a policy check, and a hand-off to
//! `crate::socket` / `crate::options` / `crate::resolve`.
//!
//! - this module: the lookup and authorization helpers every interface
//!   uses;
//! - `convert`: every WIT ↔ host conversion (socket addresses, families, types, flags, the
//!   error record) and `types::Host`;
//! - `socket`: `socket::Host` and `socket::HostSocket`;
//! - `options`: the option calls, typed and low-level, through the
//!   allow-list;
//! - `resolve`: `resolve::Host`;
//! - `poll_set`: `poll-set` (persistent interest sets);
//! - `tls`: `tls` (TLS on wasock's own sockets);
//! - `async_contract`: `wasock:socket@0.2.0`, the same calls for the
//!   component model's async, on these helpers.
//!
//! A resource-table error traps (the guest broke the component model's
//! rules); an OS or policy error goes back to the guest as the WIT `error`
//! record. Every check runs before any syscall, and every refusal is
//! reported to the guest's denial sink once.

mod async_contract;
pub mod convert;
mod options;
pub(crate) mod poll_set;
mod resolve;
mod socket;
mod tls;

use std::sync::Arc;
use std::time::Duration;

use socket2::SockAddr;
use wasmtime::component::{Resource, ResourceTable};

use crate::bindings::wasock::socket::types;
use crate::error::{Error, ErrorClass, ErrorCode, HostError};
use crate::policy::{Denied, Policy, Reporter, UnixConnectTarget, UnixRefusal};
use crate::socket::{Family, InboundFilter, Socket};
use convert::GuestAddress;
use convert::family_name;

pub(crate) type HostResult<T> = Result<T, HostError>;

/// A timeout in nanoseconds (WIT `duration`) as a `Duration`.
fn timeout(nanos: Option<u64>) -> Option<Duration> {
    nanos.map(Duration::from_nanos)
}

/// Reports a refusal and makes it the guest's `permission-denied`.
fn denied(reporter: &Reporter, operation: &str, refusal: Denied) -> Error {
    reporter.denied(&refusal);
    Error::denied(operation, &refusal)
}

/// A unix path's refusal or OS answer as the guest's error.
fn unix_refusal(reporter: &Reporter, operation: &str, refusal: UnixRefusal) -> Error {
    match refusal {
        UnixRefusal::Denied(d) => denied(reporter, operation, d),
        UnixRefusal::Os(e) if operation == "connect" => Error::connect_io(operation, &e),
        UnixRefusal::Os(e) => Error::io(operation, &e),
    }
}

/// A guest's address checked against the socket's family: the WIT's
/// `address-family-not-supported` for a mismatch, before any check.
fn guest_address(
    operation: &str,
    socket_family: Family,
    address: types::SocketAddress,
) -> Result<GuestAddress, Error> {
    let guest = convert::from_wit(address);
    if guest.family() != socket_family {
        return Err(Error::new(
            ErrorClass::Fatal,
            ErrorCode::AddressFamilyNotSupported,
            format!(
                "{operation}: an {} address on an {} socket",
                family_name(guest.family()),
                family_name(socket_family)
            ),
        ));
    }
    if let GuestAddress::Unix(path) = &guest
        && path.is_empty()
    {
        return Err(Error::invalid_argument(operation, "an empty unix path"));
    }
    Ok(guest)
}

/// A destination (connect / send-to) checked by the policy.
struct Destination {
    /// The OS address to use.
    os: SockAddr,
    /// For a unix path: the checked socket inode, which `os` names through
    /// `/proc/self/fd` (so it must live until the call is made).
    unix: Option<UnixConnectTarget>,
}

/// A destination checked by the policy. No syscall has run yet.
fn destination(
    policy: &Policy,
    reporter: &Reporter,
    operation: &str,
    socket_family: Family,
    address: types::SocketAddress,
) -> Result<Destination, Error> {
    match guest_address(operation, socket_family, address)? {
        GuestAddress::Ip(ip) => {
            policy
                .check_connect(&ip)
                .map_err(|refusal| denied(reporter, operation, refusal))?;
            Ok(Destination {
                os: SockAddr::from(ip),
                unix: None,
            })
        }
        GuestAddress::Unix(path) => {
            let target = policy
                .unix_connect(&path)
                .map_err(|refusal| unix_refusal(reporter, operation, refusal))?;
            let os = target
                .os_address()
                .map_err(|e| Error::invalid_argument(operation, e))?;
            Ok(Destination {
                os,
                unix: Some(target),
            })
        }
    }
}

/// The open socket behind `this`, borrowing only the table (so the policy
/// in the context can be borrowed beside it).
fn open_in<'t>(
    table: &'t mut ResourceTable,
    this: &Resource<Socket>,
    operation: &str,
) -> HostResult<&'t mut Socket> {
    let socket = table.get_mut(this)?;
    ensure_open(socket, operation)?;
    Ok(socket)
}

/// Fails with `closed` for a closed socket: every call but drop does, before
/// any policy check.
fn ensure_open(socket: &Socket, operation: &str) -> Result<(), Error> {
    if socket.is_closed() {
        Err(Error::closed(operation))
    } else {
        Ok(())
    }
}

/// The filter of a datagram socket bound without a bind grant: it hears
/// only from peers a connect grant covers; the first drop is reported.
fn client_filter(policy: &Arc<Policy>, reporter: &Reporter) -> InboundFilter {
    let accept = policy.clone();
    let report = reporter.clone();
    InboundFilter::new(
        move |source| accept.check_inbound(source),
        move |source| report.denied(&crate::wasi_sockets::inbound_denial(source)),
    )
}
