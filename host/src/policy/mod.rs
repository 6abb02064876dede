//! The deny-by-default sandbox policy: what a guest may reach, checked at
//! one place for both ways a guest touches the network (the wasock WIT and
//! the standard `wasi:sockets` that `std::net` uses).
//!
//! A guest reaches nothing unless the person running it said so. The
//! grants are the `wasock run` flags (see `SECURITY.md`):
//!
//! | grant | meaning |
//! | --- | --- |
//! | `--allow-connect SPEC` | connect / send-to these addresses and ports |
//! | `--allow-bind SPEC` | bind / listen on these addresses and ports |
//! | `--allow-multicast GROUP` | join these multicast groups |
//! | `--allow-dns` | address-information and name-information |
//! | `--allow-unix HOST_DIR[::GUEST_DIR]` | unix-domain sockets under that directory only |
//! | `--allow-raw` | raw sockets, other protocols, interface- and header-level options |
//! | `--inherit-network` | any inet / inet6 address and port, and DNS |
//! | `--max-sockets N` | how many sockets one guest may hold open at once |
//! | `--max-memory BYTES` | how much memory one guest may use |
//!
//! Every check is an allow-list: an address is reachable if a grant covers
//! it, an option if the option table ([`options`]) knows it as safe or as
//! covered by a grant, a protocol if it is the type's default. A refusal
//! is a [`Denied`] ([`report`]); the guest sees `permission-denied` with
//! its text, and the embedder's [`DenialSink`] gets it with the guest's
//! name.
//!
//! The rules that are easy to miss:
//!
//! - The unspecified address (`0.0.0.0`, `::`) is never a destination: the
//!   OS would take it for this host. A bind to it with port 0 is what a
//!   client does before it sends, so it needs no grant, but such a socket
//!   ([`BindGrant::ClientOnly`]) hears only from peers its connect grants
//!   cover ([`Policy::check_inbound`]) and cannot listen.
//! - A dual-stack IPv6 socket bound to `::` also receives IPv4, so it is
//!   checked as `[::]` and as `0.0.0.0`.
//! - IPv4-mapped IPv6 addresses are checked as the IPv4 address they carry.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

pub mod grant;
pub mod options;
pub mod report;
pub mod unix;

pub use grant::{AddrMatch, GrantError, GrantSpec, MulticastGrant, PortRange};
pub use options::{GetFilter, OptionRefusal, OptionTarget};
pub use report::{
    Denial, DenialSink, Denied, FileSink, MemorySink, Operation, RecordingSink, Reporter,
    StderrSink, Subject,
};
pub use unix::{
    BoundFile, UnixBindTarget, UnixConnectTarget, UnixGrantSpec, UnixRefusal, paths_overlap,
};

use crate::socket::{Family, Kind};
use grant::canonical_ip;
use unix::{UnixGrant, UnixGrants};

/// `--max-sockets` when the flag is not given.
pub const DEFAULT_MAX_SOCKETS: usize = 1024;

/// `--max-memory` when the flag is not given: 1 GiB of linear memory and
/// tables per guest.
pub const DEFAULT_MAX_MEMORY: usize = 1 << 30;

/// What a guest may reach. `Policy::default()` (and [`Policy::new`]) denies
/// everything, with the default limits.
///
/// Built with the `allow_*` builder methods, each one a `wasock run` flag:
///
/// ```
/// use wasock_host::policy::Policy;
/// let policy = Policy::new()
///     .allow_connect("127.0.0.1:8080".parse().unwrap())
///     .allow_bind("[::1]:*".parse().unwrap())
///     .allow_dns(true)
///     .limit_sockets(16);
/// assert!(policy.check_connect(&"127.0.0.1:8080".parse().unwrap()).is_ok());
/// assert!(policy.check_connect(&"127.0.0.1:8081".parse().unwrap()).is_err());
/// ```
#[derive(Clone, Debug)]
pub struct Policy {
    connect: Vec<GrantSpec>,
    bind: Vec<GrantSpec>,
    multicast: Vec<MulticastGrant>,
    dns: bool,
    raw: bool,
    inherit_network: bool,
    unix: UnixGrants,
    max_sockets: usize,
    max_memory: usize,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            connect: Vec::new(),
            bind: Vec::new(),
            multicast: Vec::new(),
            dns: false,
            raw: false,
            inherit_network: false,
            unix: UnixGrants::default(),
            max_sockets: DEFAULT_MAX_SOCKETS,
            max_memory: DEFAULT_MAX_MEMORY,
        }
    }
}

/// How a bind was allowed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BindGrant {
    /// A bind grant (or `--inherit-network`) covers the address: the socket
    /// may listen, and hears from anyone.
    Granted,
    /// The unspecified address with port 0, with no grant: a client's
    /// ephemeral port. The socket hears only from peers its connect grants
    /// cover, and may not listen.
    ClientOnly,
}

impl Policy {
    /// A policy that denies everything (the same as `Policy::default()`).
    pub fn new() -> Self {
        Policy::default()
    }

    /// `--allow-connect SPEC`: connect(2) and sendto(2) to addresses and
    /// ports the grant matches.
    pub fn allow_connect(mut self, grant: GrantSpec) -> Self {
        self.connect.push(grant);
        self
    }

    /// `--allow-bind SPEC`: bind(2) (and listen(2) on a socket so bound) to
    /// addresses and ports the grant matches.
    pub fn allow_bind(mut self, grant: GrantSpec) -> Self {
        self.bind.push(grant);
        self
    }

    /// `--allow-multicast GROUP`: joining the multicast groups the grant
    /// matches (`IP_ADD_MEMBERSHIP`, `IPV6_ADD_MEMBERSHIP`), and
    /// `SO_REUSEADDR` on datagram sockets (several receivers of a group on
    /// one port).
    pub fn allow_multicast(mut self, grant: MulticastGrant) -> Self {
        self.multicast.push(grant);
        self
    }

    /// `--allow-dns`: address-information (getaddrinfo) and
    /// name-information (getnameinfo).
    pub fn allow_dns(mut self, allow: bool) -> Self {
        self.dns = allow;
        self
    }

    /// `--allow-raw`: raw sockets, protocols other than the types'
    /// defaults, and the options the allow-list marks as raw (interfaces,
    /// routes, headers, marks, anycast).
    pub fn allow_raw(mut self, allow: bool) -> Self {
        self.raw = allow;
        self
    }

    /// `--inherit-network`: any inet / inet6 address and port, for connect
    /// and bind, and DNS. Unix sockets, multicast and raw access still need
    /// their own grants.
    pub fn inherit_network(mut self, inherit: bool) -> Self {
        self.inherit_network = inherit;
        self
    }

    /// `--allow-unix HOST_DIR[::GUEST_DIR]`: unix-domain sockets under that
    /// directory only.
    ///
    /// The host directory is opened now (a handle the checks resolve
    /// beneath), so it must exist; fails naming the directory when it
    /// does not.
    pub fn allow_unix(mut self, grant: UnixGrantSpec) -> Result<Self, GrantError> {
        self.unix.push(UnixGrant::open(grant)?);
        Ok(self)
    }

    /// Refuses a `--dir HOST_DIR` preopen that overlaps one of this
    /// policy's `--allow-unix` directories (see `UnixGrants`): through it a
    /// guest could move sockets into or out of its unix directory. The
    /// runner checks every preopen of a guest with it.
    pub fn check_dir_grant(&self, host_dir: &std::path::Path) -> Result<(), GrantError> {
        self.unix.check_dir_grant(host_dir)
    }

    /// Refuses `path`, a place the host itself writes (its log, its
    /// compile cache), where it overlaps one of this policy's
    /// `--allow-unix` directories or one of the guest's preopened
    /// `guest_dirs`; `what` names it and `why` says what a guest could do
    /// there.
    pub fn check_apart<'a>(
        &self,
        path: &std::path::Path,
        guest_dirs: impl IntoIterator<Item = &'a std::path::Path>,
        what: &str,
        why: &str,
    ) -> Result<(), GrantError> {
        self.unix.check_apart(path, what, why)?;
        match guest_dirs.into_iter().find(|dir| paths_overlap(dir, path)) {
            Some(dir) => Err(GrantError::new(
                &path.display().to_string(),
                format!(
                    "--dir `{}` overlaps {what}: {why}; keep them apart",
                    dir.display()
                ),
            )),
            None => Ok(()),
        }
    }

    /// `--max-sockets N`: how many sockets the guest may hold open at once
    /// (on both socket paths, lingering closes included).
    pub fn limit_sockets(mut self, limit: usize) -> Self {
        self.max_sockets = limit;
        self
    }

    /// `--max-memory BYTES`: how many bytes of linear memory (and table
    /// space) the guest may use.
    pub fn limit_memory(mut self, bytes: usize) -> Self {
        self.max_memory = bytes;
        self
    }

    /// `--max-sockets`: how many sockets the guest may hold open at once.
    pub fn max_sockets(&self) -> usize {
        self.max_sockets
    }

    /// `--max-memory`: how many bytes of memory the guest may use.
    pub fn max_memory(&self) -> usize {
        self.max_memory
    }

    /// Whether address resolution is granted (`--allow-dns` or
    /// `--inherit-network`): what `wasi:sockets/ip-name-lookup` follows.
    pub fn dns_allowed(&self) -> bool {
        self.dns || self.inherit_network
    }

    /// Whether `--allow-raw` was given.
    pub fn raw_allowed(&self) -> bool {
        self.raw
    }

    /// Whether any unix-domain directory is granted.
    pub fn unix_allowed(&self) -> bool {
        !self.unix.is_empty()
    }

    /// The bind grants, for [`crate::privileges`] (which keeps
    /// `CAP_NET_BIND_SERVICE` only when one covers a port below 1024).
    pub fn bind_grants(&self) -> &[GrantSpec] {
        &self.bind
    }

    /// Whether `--inherit-network` was given.
    pub fn inherits_network(&self) -> bool {
        self.inherit_network
    }

    /// `socket(2)`: raw sockets and any protocol other than the type's
    /// default (TCP for inet streams, UDP for inet datagrams, 0 for unix)
    /// need `--allow-raw`.
    pub fn check_create(&self, family: Family, kind: Kind, protocol: u16) -> Result<(), Denied> {
        if self.raw {
            return Ok(());
        }
        let deny = |reason: &str| {
            Denied::new(
                Operation::Create,
                format!("of type {} with protocol {protocol}", kind_name(kind)),
                reason,
            )
        };
        let default_protocol = match (family, kind) {
            (_, Kind::Raw) => return Err(deny("raw sockets need --allow-raw")),
            (Family::Unix, _) => 0,
            (_, Kind::Stream) => libc::IPPROTO_TCP as u16,
            (_, Kind::Dgram) => libc::IPPROTO_UDP as u16,
        };
        if protocol == 0 || protocol == default_protocol {
            Ok(())
        } else {
            Err(deny(
                "only the type's default protocol is allowed without --allow-raw",
            ))
        }
    }

    /// connect(2) and sendto(2) to `addr` (`--allow-connect`). The
    /// unspecified address is refused whatever the grants: the OS would
    /// take it for this host's loopback.
    pub fn check_connect(&self, addr: &SocketAddr) -> Result<(), Denied> {
        let deny = |reason: &str| Denied::new(Operation::Connect, addr.to_string(), reason);
        if canonical_ip(addr.ip()).is_unspecified() {
            return Err(deny(
                "the unspecified address is no destination (the OS would take it for this host); name the address",
            ));
        }
        if self.inherit_network || self.connect.iter().any(|g| g.matches(addr)) {
            Ok(())
        } else {
            Err(deny("no --allow-connect grant matches"))
        }
    }

    /// Whether a datagram from `source` may reach a socket bound without a
    /// bind grant ([`BindGrant::ClientOnly`]): only peers a connect grant
    /// covers.
    pub fn check_inbound(&self, source: &SocketAddr) -> bool {
        self.check_connect(source).is_ok()
    }

    /// bind(2) to `addr` (`--allow-bind`). `dual_stack` is set for an IPv6
    /// socket that also takes IPv4 (`IPV6_V6ONLY` off): bound to `::`, it
    /// is checked as `0.0.0.0` too.
    pub fn check_bind(&self, addr: &SocketAddr, dual_stack: bool) -> Result<BindGrant, Denied> {
        if self.bind_covered(addr, dual_stack) {
            return Ok(BindGrant::Granted);
        }
        if canonical_ip(addr.ip()).is_unspecified() && addr.port() == 0 {
            return Ok(BindGrant::ClientOnly);
        }
        Err(Denied::new(
            Operation::Bind,
            addr.to_string(),
            self.bind_refusal(addr, dual_stack),
        ))
    }

    /// listen(2) on a socket bound to `local`: a bind grant must cover the
    /// address, or (for a port the OS chose) the address with port 0.
    pub fn check_listen(&self, local: &SocketAddr, dual_stack: bool) -> Result<(), Denied> {
        let any_port = SocketAddr::new(local.ip(), 0);
        if self.bind_covered(local, dual_stack)
            || (local.port() != 0 && self.bind_covered(&any_port, dual_stack))
        {
            return Ok(());
        }
        // Explain the address a grant was meant for: the port the OS chose
        // if a grant names port 0 there.
        let matched = |a: &SocketAddr| self.bind.iter().any(|g| g.matches(a));
        let reason = if local.port() != 0 && !matched(local) && matched(&any_port) {
            self.bind_refusal(&any_port, dual_stack)
        } else if local.port() != 0 {
            let mut reason = self.bind_refusal(local, dual_stack);
            reason.push_str(" (port 0 in a grant covers any port the OS chose)");
            reason
        } else {
            self.bind_refusal(local, dual_stack)
        };
        Err(Denied::new(Operation::Listen, local.to_string(), reason))
    }

    /// Whether bind grants (or `--inherit-network`) cover `addr`, and, on
    /// a dual-stack socket bound to `::`, `0.0.0.0` on that port too.
    fn bind_covered(&self, addr: &SocketAddr, dual_stack: bool) -> bool {
        let covered =
            |a: &SocketAddr| self.inherit_network || self.bind.iter().any(|g| g.matches(a));
        covered(addr)
            && dual_stack_ipv4(addr, dual_stack)
                .as_ref()
                .is_none_or(covered)
    }

    /// Why no bind grant covers `addr`, naming the grants that would.
    fn bind_refusal(&self, addr: &SocketAddr, dual_stack: bool) -> String {
        let covered = |a: &SocketAddr| self.bind.iter().any(|g| g.matches(a));
        let ipv4 = dual_stack_ipv4(addr, dual_stack);
        if let Some(ipv4) = ipv4.filter(|_| covered(addr)) {
            return format!(
                "no --allow-bind grant matches: a dual-stack socket (ipv6/v6only off) bound to [::] also listens on IPv4, so it needs {} too (or set ipv6/v6only before the bind)",
                grant_for(&ipv4)
            );
        }
        let mut reason = format!(
            "no --allow-bind grant matches; {} would allow it",
            grant_for(addr)
        );
        if let Some(ipv4) = ipv4.filter(|ipv4| !covered(ipv4)) {
            reason.push_str(&format!(
                ", with {} too (the socket is dual-stack: set ipv6/v6only for IPv6 alone)",
                grant_for(&ipv4)
            ));
        }
        let ip = canonical_ip(addr.ip());
        let unspecified = match ip {
            IpAddr::V4(_) => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
            IpAddr::V6(_) => IpAddr::V6(std::net::Ipv6Addr::UNSPECIFIED),
        };
        if !ip.is_unspecified() && covered(&SocketAddr::new(unspecified, addr.port())) {
            reason.push_str(&format!(
                " (a grant for {unspecified} covers a bind to {unspecified} itself, not to each of the host's addresses)"
            ));
        }
        reason
    }
    /// address-information / name-information that looks names up
    /// (`--allow-dns`).
    pub fn check_dns(&self, operation: Operation, subject: &str) -> Result<(), Denied> {
        if self.dns_allowed() {
            Ok(())
        } else {
            Err(Denied::new(
                operation,
                Subject::quoted(subject),
                "no --allow-dns (or --inherit-network) grant",
            ))
        }
    }

    /// address-information (getaddrinfo) for `node`: a lookup that could
    /// leave the host needs `--allow-dns` (or `--inherit-network`); no node
    /// (the passive or loopback address), an IP address literal, or the
    /// `numerichost` flag (getaddrinfo then only parses) need no grant,
    /// since nothing is looked up. Service names come from the local
    /// services database and need no grant either.
    ///
    /// A zone naming an interface (`fe80::1%eth0`) would tell the guest
    /// the host's interfaces: only numeric zones (`%2`) are taken without
    /// `--allow-raw`, whatever the flags.
    ///
    /// Host names, `/etc/hosts` ones such as `localhost` included, need
    /// `--allow-dns`: whether a name is answered locally is the resolver's
    /// business, not the guest's.
    pub fn check_address_information(
        &self,
        node: Option<&str>,
        numeric_host: bool,
    ) -> Result<(), Denied> {
        let Some(text) = node else { return Ok(()) };
        if let Some((_, zone)) = text.split_once('%')
            && !zone.bytes().all(|b| b.is_ascii_digit())
            && !self.raw
        {
            return Err(Denied::new(
                Operation::AddressInformation,
                Subject::quoted(text),
                "a zone that names an interface is host information; use its number, or --allow-raw",
            ));
        }
        if numeric_host || text.parse::<IpAddr>().is_ok() {
            Ok(())
        } else {
            self.check_dns(Operation::AddressInformation, text)
        }
    }

    /// name-information (getnameinfo): with `numerichost` the address is
    /// only formatted (and the service name, if asked for, comes from the
    /// local services database), so no grant is needed; a reverse lookup
    /// needs `--allow-dns` (or `--inherit-network`).
    pub fn check_name_information(
        &self,
        address: &SocketAddr,
        numeric_host: bool,
    ) -> Result<(), Denied> {
        if numeric_host {
            Ok(())
        } else {
            self.check_dns(Operation::NameInformation, &address.ip().to_string())
        }
    }

    /// A unix-domain path as the guest names it, checked for bind(2) and
    /// resolved beneath its granted directory (see [`unix`]).
    pub fn unix_bind(&self, guest_path: &str) -> Result<UnixBindTarget, UnixRefusal> {
        self.unix.bind(guest_path)
    }

    /// A unix-domain path as the guest names it, checked for connect(2) /
    /// sendto(2) and resolved beneath its granted directory (see
    /// [`unix`]).
    pub fn unix_connect(&self, guest_path: &str) -> Result<UnixConnectTarget, UnixRefusal> {
        self.unix.connect(guest_path)
    }

    /// The guest's name for a unix address the OS reported (a datagram's
    /// source, a peer's), `None` outside every granted directory. Names of
    /// sockets this host bound (`/proc/PID/fd/N/NAME`) are unnamed here:
    /// their text could come from any process.
    pub fn guest_unix_name(&self, os_path: &std::path::Path) -> Option<String> {
        self.unix.guest_name(os_path, false)
    }

    /// [`Policy::guest_unix_name`] for the peer of a connection the kernel
    /// says is a socket of this very process (`SO_PEERCRED`): a name this
    /// host bound is then followed back to its directory.
    pub fn guest_unix_name_in_process(&self, os_path: &std::path::Path) -> Option<String> {
        self.unix.guest_name(os_path, true)
    }
}

/// `0.0.0.0` on `addr`'s port, for a dual-stack socket bound to `::`
/// (which also takes IPv4).
fn dual_stack_ipv4(addr: &SocketAddr, dual_stack: bool) -> Option<SocketAddr> {
    (dual_stack && addr.is_ipv6() && canonical_ip(addr.ip()).is_unspecified())
        .then(|| SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), addr.port()))
}

/// The `--allow-bind` flag that covers exactly `addr`.
fn grant_for(addr: &SocketAddr) -> String {
    format!(
        "--allow-bind {}",
        SocketAddr::new(canonical_ip(addr.ip()), addr.port())
    )
}

fn kind_name(kind: Kind) -> &'static str {
    match kind {
        Kind::Stream => "sock/stream",
        Kind::Dgram => "sock/dgram",
        Kind::Raw => "sock/raw",
    }
}

#[cfg(test)]
mod tests;
