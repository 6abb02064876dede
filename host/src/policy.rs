//! The deny-by-default sandbox policy: which addresses, ports, unix
//! directories and capabilities a guest may use.
//!
//! OWNED BY: the policy/CLI work (issue 5). This file currently holds the
//! agreed API with placeholder bodies; the socket layer calls exactly these.

use std::net::SocketAddr;
use std::path::PathBuf;

/// What a guest may reach. `Policy::default()` denies everything.
#[derive(Clone, Debug, Default)]
pub struct Policy {
    _private: (),
}

/// A refused operation: the guest sees `permission-denied`, the host logs
/// `Display` once (rate-limited) on stderr.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Denied {
    /// e.g. "denied connect to 10.0.0.1:80: no --allow-connect grant matches"
    pub message: String,
}

impl std::fmt::Display for Denied {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Denied {}

impl Policy {
    /// connect(2) and sendto(2) to `addr` (`--allow-connect`).
    pub fn check_connect(&self, _addr: &SocketAddr) -> Result<(), Denied> {
        todo!("policy: check_connect")
    }
    /// bind(2) to `addr` (`--allow-bind`); listen on a socket bound to it.
    pub fn check_bind(&self, _addr: &SocketAddr) -> Result<(), Denied> {
        todo!("policy: check_bind")
    }
    /// address-information / name-information (`--allow-dns`).
    pub fn check_dns(&self) -> Result<(), Denied> {
        todo!("policy: check_dns")
    }
    /// raw sockets and sandbox-escaping options (`--allow-raw`).
    pub fn check_raw(&self) -> Result<(), Denied> {
        todo!("policy: check_raw")
    }
    /// A unix-domain path as the guest names it, mapped onto the host path
    /// inside a granted `--allow-unix` directory; `operation` is "bind" or
    /// "connect" (for the message).
    pub fn unix_path(&self, _operation: &str, _guest_path: &str) -> Result<PathBuf, Denied> {
        todo!("policy: unix_path")
    }
    /// The guest's name for a host unix path (for name / peer-name), or
    /// `None` when it lies outside every granted directory.
    pub fn guest_unix_path(&self, _host_path: &std::path::Path) -> Option<String> {
        todo!("policy: guest_unix_path")
    }
    /// A low-level option (level, name, host numbers) that may escape the
    /// sandbox (SO_BINDTODEVICE, SO_MARK, IP_TRANSPARENT, IP_HDRINCL, ...)
    /// needs `--allow-raw`; every other option is allowed.
    pub fn check_option(&self, _level: i32, _name: i32) -> Result<(), Denied> {
        todo!("policy: check_option")
    }
    /// `--max-sockets`: how many sockets the guest may hold open at once.
    pub fn max_sockets(&self) -> usize {
        todo!("policy: max_sockets")
    }
}

/// Logs a refusal on stderr, at most a few lines a second per process, so a
/// looping guest cannot flood the log.
pub fn report_denied(_denied: &Denied) {
    todo!("policy: report_denied")
}
