//! The deny-by-default sandbox policy: which addresses, ports, unix
//! directories and capabilities a guest may use.
//!
//! A guest reaches nothing unless the person running it said so. The grants
//! are the `wasock run` flags (see `DESIGN.md`):
//!
//! | grant | meaning |
//! | --- | --- |
//! | `--allow-connect SPEC` | connect / send-to these addresses and ports |
//! | `--allow-bind SPEC` | bind / listen on these addresses and ports |
//! | `--allow-dns` | address-information and name-information |
//! | `--allow-unix HOST_DIR[::GUEST_DIR]` | unix-domain sockets under that directory only |
//! | `--allow-raw` | raw sockets and sandbox-escaping options |
//! | `--inherit-network` | any inet / inet6 address and port, and DNS |
//! | `--max-sockets N` | how many sockets one guest may hold open at once |
//!
//! SPEC is `ADDR[/PREFIX]:PORTS` ([`GrantSpec`]), PORTS one of `N`, `N-M`,
//! `*`; IPv6 in brackets (`[::1]:8080`, `[fd00::/8]:*`); `*:443` means any
//! address. IPv4-mapped IPv6 addresses (`::ffff:a.b.c.d`) are checked as the
//! IPv4 address they carry, both in grants and in the addresses checked, so
//! an IPv6 socket cannot reach an IPv4 peer that no IPv4 grant allows.
//!
//! The socket layer asks before every system call that could reach or
//! expose something (`check_connect`, `check_bind`, `check_dns`,
//! `check_raw`, `unix_path`, `check_option`); a refusal is a [`Denied`],
//! which the guest sees as `permission-denied` and the host logs once
//! through [`report_denied`].

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::{Component, Path, PathBuf};
use std::str::FromStr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// `--max-sockets` when the flag is not given.
pub const DEFAULT_MAX_SOCKETS: usize = 1024;

/// What a guest may reach. `Policy::default()` (and [`Policy::new`]) denies
/// everything, with the default socket limit ([`DEFAULT_MAX_SOCKETS`]).
///
/// Built with the `allow_*` builder methods, each one a `wasock run` flag:
///
/// ```
/// use wasock_host::policy::Policy;
/// let policy = Policy::new()
///     .allow_connect("127.0.0.1:8080".parse().unwrap())
///     .allow_bind("[::1]:*".parse().unwrap())
///     .allow_dns(true)
///     .max_sockets_limit(16);
/// assert!(policy.check_connect(&"127.0.0.1:8080".parse().unwrap()).is_ok());
/// assert!(policy.check_connect(&"127.0.0.1:8081".parse().unwrap()).is_err());
/// ```
#[derive(Clone, Debug)]
pub struct Policy {
    connect: Vec<GrantSpec>,
    bind: Vec<GrantSpec>,
    dns: bool,
    raw: bool,
    inherit_network: bool,
    unix: Vec<UnixGrant>,
    max_sockets: usize,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            connect: Vec::new(),
            bind: Vec::new(),
            dns: false,
            raw: false,
            inherit_network: false,
            unix: Vec::new(),
            max_sockets: DEFAULT_MAX_SOCKETS,
        }
    }
}

/// A refused operation: the guest sees `permission-denied`, the host logs
/// `Display` once (rate-limited) on stderr.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Denied {
    /// e.g. "denied connect to 10.0.0.1:80: no --allow-connect grant matches"
    pub message: String,
}

impl Denied {
    fn new(message: impl Into<String>) -> Self {
        Denied {
            message: message.into(),
        }
    }
}

impl std::fmt::Display for Denied {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Denied {}

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

    /// `--allow-dns`: address-information (getaddrinfo) and
    /// name-information (getnameinfo).
    pub fn allow_dns(mut self, allow: bool) -> Self {
        self.dns = allow;
        self
    }

    /// `--allow-raw`: raw sockets and the options that could escape the
    /// sandbox ([`Policy::check_option`]).
    pub fn allow_raw(mut self, allow: bool) -> Self {
        self.raw = allow;
        self
    }

    /// `--inherit-network`: any inet / inet6 address and port, for connect
    /// and bind, and DNS. Unix sockets and raw access still need their own
    /// grants.
    pub fn inherit_network(mut self, inherit: bool) -> Self {
        self.inherit_network = inherit;
        self
    }

    /// `--allow-unix HOST_DIR[::GUEST_DIR]`: unix-domain sockets under that
    /// directory only.
    ///
    /// The host directory is resolved (`canonicalize`) now, so it must
    /// exist; fails naming the directory when it does not.
    pub fn allow_unix(mut self, grant: UnixGrantSpec) -> Result<Self, GrantError> {
        self.unix.push(UnixGrant::resolve(grant)?);
        Ok(self)
    }

    /// `--max-sockets N`: how many sockets the guest may hold open at once.
    pub fn max_sockets_limit(mut self, limit: usize) -> Self {
        self.max_sockets = limit;
        self
    }

    /// Whether address resolution is granted (`--allow-dns` or
    /// `--inherit-network`): what `wasi:sockets/ip-name-lookup` follows.
    pub fn dns_allowed(&self) -> bool {
        self.dns || self.inherit_network
    }

    /// Whether any unix-domain directory is granted.
    pub fn unix_allowed(&self) -> bool {
        !self.unix.is_empty()
    }

    /// connect(2) and sendto(2) to `addr` (`--allow-connect`).
    pub fn check_connect(&self, addr: &SocketAddr) -> Result<(), Denied> {
        if self.inherit_network || self.connect.iter().any(|g| g.matches(addr)) {
            Ok(())
        } else {
            Err(Denied::new(format!(
                "denied connect to {addr}: no --allow-connect grant matches"
            )))
        }
    }

    /// bind(2) to `addr` (`--allow-bind`); listen on a socket bound to it.
    pub fn check_bind(&self, addr: &SocketAddr) -> Result<(), Denied> {
        if self.inherit_network || self.bind.iter().any(|g| g.matches(addr)) {
            Ok(())
        } else {
            Err(Denied::new(format!(
                "denied bind to {addr}: no --allow-bind grant matches"
            )))
        }
    }

    /// address-information / name-information (`--allow-dns`).
    ///
    /// Asks for the grant whatever the request; the socket layer should
    /// prefer [`Policy::check_address_information`] and
    /// [`Policy::check_name_information`], which let purely numeric
    /// requests (that look nothing up) through without it.
    pub fn check_dns(&self) -> Result<(), Denied> {
        if self.dns_allowed() {
            Ok(())
        } else {
            Err(Denied::new(
                "denied address resolution: no --allow-dns (or --inherit-network) grant",
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
    /// Host names, `/etc/hosts` ones such as `localhost` included, need
    /// `--allow-dns`: whether a name is answered locally is the resolver's
    /// business, not the guest's.
    pub fn check_address_information(
        &self,
        node: Option<&str>,
        numeric_host: bool,
    ) -> Result<(), Denied> {
        match node {
            None => Ok(()),
            Some(_) if numeric_host => Ok(()),
            Some(text) if text.parse::<IpAddr>().is_ok() => Ok(()),
            Some(_) => self.check_dns(),
        }
    }

    /// name-information (getnameinfo): with `numerichost` the address is
    /// only formatted (and the service name, if asked for, comes from the
    /// local services database), so no grant is needed; a reverse lookup
    /// needs `--allow-dns` (or `--inherit-network`).
    pub fn check_name_information(&self, numeric_host: bool) -> Result<(), Denied> {
        if numeric_host {
            Ok(())
        } else {
            self.check_dns()
        }
    }

    /// raw sockets and sandbox-escaping options (`--allow-raw`).
    pub fn check_raw(&self) -> Result<(), Denied> {
        if self.raw {
            Ok(())
        } else {
            Err(Denied::new("denied raw socket: no --allow-raw grant"))
        }
    }

    /// A unix-domain path as the guest names it, mapped onto the host path
    /// inside a granted `--allow-unix` directory; `operation` is "bind" or
    /// "connect" (for the message).
    ///
    /// The guest path is normalised lexically (`.` and `..` removed; a
    /// relative path is taken relative to the first grant's guest
    /// directory) and must lie strictly inside a granted guest directory
    /// (the most specific grant wins). It is then mapped onto the host
    /// directory, and the socket file's parent directory is resolved on the
    /// host (`canonicalize`): it must still lie inside the granted host
    /// directory, so a symlink cannot lead out. The socket file itself may
    /// not exist yet (bind); if it exists and is a symlink, its target must
    /// lie inside the directory too (connect(2) follows symlinks).
    ///
    /// Returns the resolved host path (the canonical parent joined with the
    /// file name) to hand to the OS.
    pub fn unix_path(&self, operation: &str, guest_path: &str) -> Result<PathBuf, Denied> {
        let deny =
            |why: &str| Denied::new(format!("denied unix {operation} to {guest_path:?}: {why}"));
        if self.unix.is_empty() {
            return Err(deny("no --allow-unix grant"));
        }
        if guest_path.is_empty() {
            return Err(deny("an empty path names no socket"));
        }
        if guest_path.contains('\0') {
            return Err(deny(
                "abstract-namespace and NUL-containing paths are outside every granted directory",
            ));
        }
        let path = Path::new(guest_path);
        let absolute = if path.is_absolute() {
            path.to_path_buf()
        } else {
            self.unix[0].guest_dir.join(path)
        };
        let normal = normalize_lexically(&absolute);
        let (grant, relative) = self
            .unix
            .iter()
            .filter_map(|g| {
                normal
                    .strip_prefix(&g.guest_dir)
                    .ok()
                    .map(|rel| (g, rel.to_path_buf()))
            })
            .max_by_key(|(g, _)| g.guest_dir.components().count())
            .ok_or_else(|| deny("outside every --allow-unix directory"))?;
        let file_name = match relative.file_name() {
            Some(name) => name.to_os_string(),
            None => {
                return Err(deny(
                    "names the granted directory itself, not a socket in it",
                ));
            }
        };
        let host_path = grant.host_dir.join(&relative);
        let host_parent = host_path
            .parent()
            .ok_or_else(|| deny("has no parent directory"))?;
        let real_parent = host_parent.canonicalize().map_err(|e| {
            deny(&format!(
                "cannot resolve its directory {}: {e}",
                host_parent.display()
            ))
        })?;
        if !real_parent.starts_with(&grant.host_dir) {
            return Err(deny(&format!(
                "a symlink leads out of the --allow-unix directory (to {})",
                real_parent.display()
            )));
        }
        let resolved = real_parent.join(&file_name);
        if let Ok(meta) = std::fs::symlink_metadata(&resolved)
            && meta.file_type().is_symlink()
        {
            let target = resolved.canonicalize().map_err(|e| {
                deny(&format!(
                    "cannot resolve the symlink {}: {e}",
                    resolved.display()
                ))
            })?;
            if !target.starts_with(&grant.host_dir) {
                return Err(deny(&format!(
                    "a symlink leads out of the --allow-unix directory (to {})",
                    target.display()
                )));
            }
        }
        Ok(resolved)
    }

    /// The guest's name for a host unix path (for name / peer-name), or
    /// `None` when it lies outside every granted directory.
    pub fn guest_unix_path(&self, host_path: &std::path::Path) -> Option<String> {
        let normal = normalize_lexically(host_path);
        let (grant, relative) = self
            .unix
            .iter()
            .filter_map(|g| {
                normal
                    .strip_prefix(&g.host_dir)
                    .ok()
                    .map(|rel| (g, rel.to_path_buf()))
            })
            .max_by_key(|(g, _)| g.host_dir.components().count())?;
        let guest = if relative.as_os_str().is_empty() {
            grant.guest_dir.clone()
        } else {
            grant.guest_dir.join(relative)
        };
        guest.to_str().map(str::to_owned)
    }

    /// A low-level option (level, name, host numbers) that may escape the
    /// sandbox (SO_BINDTODEVICE, SO_MARK, IP_TRANSPARENT, IP_HDRINCL, ...)
    /// needs `--allow-raw`; every other option is allowed.
    ///
    /// Guarded: binding to a device or interface (`SO_BINDTODEVICE`,
    /// `SO_BINDTOIFINDEX`, `IP_UNICAST_IF`, `IPV6_UNICAST_IF`), packet marks
    /// (`SO_MARK`), socket filters (`SO_ATTACH_FILTER`, `SO_ATTACH_BPF`,
    /// `SO_ATTACH_REUSEPORT_CBPF`/`EBPF`, `SO_DETACH_FILTER`,
    /// `SO_LOCK_FILTER`, `SO_DETACH_REUSEPORT_BPF`), transparent proxying
    /// and non-local binds (`IP_TRANSPARENT`, `IPV6_TRANSPARENT`,
    /// `IP_FREEBIND`, `IPV6_FREEBIND`), header inclusion (`IP_HDRINCL`,
    /// `IPV6_HDRINCL`), source routing (`IP_OPTIONS`, `IPV6_RTHDR`), router
    /// alerts, and every level other than `SOL_SOCKET`, `IPPROTO_IP`,
    /// `IPPROTO_IPV6`, `IPPROTO_TCP` and `IPPROTO_UDP`.
    pub fn check_option(&self, level: i32, name: i32) -> Result<(), Denied> {
        if self.raw {
            return Ok(());
        }
        match guarded_option(level, name) {
            None => Ok(()),
            Some(option) => Err(Denied::new(format!(
                "denied option {option}: needs --allow-raw"
            ))),
        }
    }

    /// `--max-sockets`: how many sockets the guest may hold open at once.
    pub fn max_sockets(&self) -> usize {
        self.max_sockets
    }
}

/// The name of a guarded option (see [`Policy::check_option`]), or `None`
/// when the option is free to use.
fn guarded_option(level: i32, name: i32) -> Option<String> {
    let table: &[(i32, &[(i32, &str)])] = &[
        (libc::SOL_SOCKET, SOL_SOCKET_GUARDED),
        (libc::IPPROTO_IP, IPPROTO_IP_GUARDED),
        (libc::IPPROTO_IPV6, IPPROTO_IPV6_GUARDED),
        (libc::IPPROTO_TCP, &[]),
        (libc::IPPROTO_UDP, &[]),
    ];
    match table.iter().find(|(l, _)| *l == level) {
        None => Some(format!("level {level} (name {name})")),
        Some((_, names)) => names
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, option)| (*option).to_owned()),
    }
}

#[cfg(any(target_os = "linux", target_os = "android"))]
const SOL_SOCKET_GUARDED: &[(i32, &str)] = &[
    (libc::SO_BINDTODEVICE, "SO_BINDTODEVICE"),
    (libc::SO_BINDTOIFINDEX, "SO_BINDTOIFINDEX"),
    (libc::SO_MARK, "SO_MARK"),
    (libc::SO_ATTACH_FILTER, "SO_ATTACH_FILTER"),
    (libc::SO_DETACH_FILTER, "SO_DETACH_FILTER"),
    (libc::SO_LOCK_FILTER, "SO_LOCK_FILTER"),
    (libc::SO_ATTACH_BPF, "SO_ATTACH_BPF"),
    (libc::SO_ATTACH_REUSEPORT_CBPF, "SO_ATTACH_REUSEPORT_CBPF"),
    (libc::SO_ATTACH_REUSEPORT_EBPF, "SO_ATTACH_REUSEPORT_EBPF"),
    (libc::SO_DETACH_REUSEPORT_BPF, "SO_DETACH_REUSEPORT_BPF"),
];
#[cfg(not(any(target_os = "linux", target_os = "android")))]
const SOL_SOCKET_GUARDED: &[(i32, &str)] = &[];

#[cfg(any(target_os = "linux", target_os = "android"))]
const IPPROTO_IP_GUARDED: &[(i32, &str)] = &[
    (libc::IP_HDRINCL, "IP_HDRINCL"),
    (libc::IP_OPTIONS, "IP_OPTIONS"),
    (libc::IP_ROUTER_ALERT, "IP_ROUTER_ALERT"),
    (libc::IP_FREEBIND, "IP_FREEBIND"),
    (libc::IP_TRANSPARENT, "IP_TRANSPARENT"),
    (libc::IP_UNICAST_IF, "IP_UNICAST_IF"),
];
#[cfg(not(any(target_os = "linux", target_os = "android")))]
const IPPROTO_IP_GUARDED: &[(i32, &str)] = &[
    (libc::IP_HDRINCL, "IP_HDRINCL"),
    (libc::IP_OPTIONS, "IP_OPTIONS"),
];

#[cfg(any(target_os = "linux", target_os = "android"))]
const IPPROTO_IPV6_GUARDED: &[(i32, &str)] = &[
    (libc::IPV6_HDRINCL, "IPV6_HDRINCL"),
    (libc::IPV6_RTHDR, "IPV6_RTHDR"),
    (libc::IPV6_ROUTER_ALERT, "IPV6_ROUTER_ALERT"),
    (libc::IPV6_FREEBIND, "IPV6_FREEBIND"),
    (libc::IPV6_TRANSPARENT, "IPV6_TRANSPARENT"),
    (libc::IPV6_UNICAST_IF, "IPV6_UNICAST_IF"),
];
#[cfg(not(any(target_os = "linux", target_os = "android")))]
const IPPROTO_IPV6_GUARDED: &[(i32, &str)] = &[];

/// Removes `.` and resolves `..` lexically (`/..` stays `/`), without
/// touching the filesystem.
fn normalize_lexically(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::Prefix(p) => out.push(p.as_os_str()),
            Component::RootDir => out.push(Component::RootDir.as_os_str()),
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            Component::Normal(part) => out.push(part),
        }
    }
    out
}

// ---------------------------------------------------------------------------
// Grant specs
// ---------------------------------------------------------------------------

/// A malformed grant: names the grant and its bad part.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GrantError {
    /// The grant as given on the command line.
    pub spec: String,
    /// What is wrong with it, naming the bad part.
    pub message: String,
}

impl GrantError {
    fn new(spec: &str, message: impl Into<String>) -> Self {
        GrantError {
            spec: spec.to_owned(),
            message: message.into(),
        }
    }
}

impl fmt::Display for GrantError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "bad grant `{}`: {}", self.spec, self.message)
    }
}

impl std::error::Error for GrantError {}

/// The address part of a [`GrantSpec`]: any address, or a network
/// (address and prefix length, host bits cleared).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AddrMatch {
    /// `*`: any inet or inet6 address.
    Any,
    /// `ADDR[/PREFIX]`: the addresses whose first `prefix` bits equal
    /// `addr`'s. IPv4-mapped IPv6 networks are stored as IPv4 ones.
    Net {
        /// The network address (host bits cleared).
        addr: IpAddr,
        /// The prefix length: 0..=32 for IPv4, 0..=128 for IPv6.
        prefix: u8,
    },
}

impl AddrMatch {
    /// Whether `ip` (IPv4-mapped IPv6 taken as IPv4) lies in this range.
    pub fn matches(&self, ip: IpAddr) -> bool {
        match *self {
            AddrMatch::Any => true,
            AddrMatch::Net { addr, prefix } => match (addr, canonical_ip(ip)) {
                (IpAddr::V4(net), IpAddr::V4(ip)) => {
                    mask_v4(u32::from(ip), prefix) == u32::from(net)
                }
                (IpAddr::V6(net), IpAddr::V6(ip)) => {
                    mask_v6(u128::from(ip), prefix) == u128::from(net)
                }
                _ => false,
            },
        }
    }
}

impl fmt::Display for AddrMatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AddrMatch::Any => f.write_str("*"),
            AddrMatch::Net {
                addr: IpAddr::V4(a),
                prefix,
            } => write!(f, "{a}/{prefix}"),
            AddrMatch::Net {
                addr: IpAddr::V6(a),
                prefix,
            } => write!(f, "[{a}/{prefix}]"),
        }
    }
}

/// The ports part of a [`GrantSpec`]: an inclusive range (`N` is `N-N`,
/// `*` is `0-65535`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PortRange {
    /// The lowest port allowed.
    pub low: u16,
    /// The highest port allowed.
    pub high: u16,
}

impl PortRange {
    /// Every port, 0 (an ephemeral port, for bind) included.
    pub const ANY: PortRange = PortRange {
        low: 0,
        high: u16::MAX,
    };

    /// Whether `port` lies in the range.
    pub fn contains(&self, port: u16) -> bool {
        self.low <= port && port <= self.high
    }
}

impl fmt::Display for PortRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if *self == PortRange::ANY {
            f.write_str("*")
        } else if self.low == self.high {
            write!(f, "{}", self.low)
        } else {
            write!(f, "{}-{}", self.low, self.high)
        }
    }
}

/// One `--allow-connect` / `--allow-bind` grant: `ADDR[/PREFIX]:PORTS`.
///
/// - ADDR: an IPv4 address (`10.0.0.1`), an IPv6 address in brackets with
///   the prefix inside them (`[::1]`, `[fd00::/8]`), or `*` for any address.
///   Host names are not accepted (grants are not resolved).
/// - PREFIX: 0..=32 (IPv4) or 0..=128 (IPv6); without it the address alone.
/// - PORTS: `N`, `N-M` (inclusive, N ≤ M) or `*`, each 0..=65535. Port 0
///   is what a bind to "any free port" asks for, so `127.0.0.1:0` (or `*`)
///   allows ephemeral binds.
///
/// Parsing errors name the bad part: `"10.0.0.1:99999".parse::<GrantSpec>()`
/// fails with "bad grant `10.0.0.1:99999`: port `99999` is not a number in
/// 0-65535".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GrantSpec {
    /// Which addresses.
    pub addr: AddrMatch,
    /// Which ports.
    pub ports: PortRange,
}

impl GrantSpec {
    /// Whether the grant covers `addr` (IPv4-mapped IPv6 taken as IPv4).
    pub fn matches(&self, addr: &SocketAddr) -> bool {
        self.addr.matches(addr.ip()) && self.ports.contains(addr.port())
    }
}

impl fmt::Display for GrantSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.addr, self.ports)
    }
}

impl FromStr for GrantSpec {
    type Err = GrantError;

    fn from_str(spec: &str) -> Result<Self, GrantError> {
        let err = |message: String| GrantError::new(spec, message);
        let text = spec.trim();
        if text.is_empty() {
            return Err(err(
                "empty; expected ADDR[/PREFIX]:PORTS, like 127.0.0.1:8080".into(),
            ));
        }
        let (addr_text, ports_text) = if let Some(rest) = text.strip_prefix('[') {
            let close = rest.find(']').ok_or_else(|| {
                err("IPv6 address has `[` but no closing `]` (write it like [::1]:8080)".into())
            })?;
            let inside = &rest[..close];
            let after = &rest[close + 1..];
            let ports = after.strip_prefix(':').ok_or_else(|| {
                if after.is_empty() {
                    err(format!("missing `:PORTS` after `[{inside}]` (N, N-M or *)"))
                } else {
                    err(format!(
                        "expected `:PORTS` after `[{inside}]`, found `{after}` (a prefix goes inside the brackets: [fd00::/8]:*)"
                    ))
                }
            })?;
            (AddrText::V6(inside), ports)
        } else {
            let (addr, ports) = text
                .rsplit_once(':')
                .ok_or_else(|| err(format!("missing `:PORTS` after `{text}` (N, N-M or *)")))?;
            if addr.contains(':') {
                return Err(err(format!(
                    "IPv6 address `{addr}` must be in brackets, like [::1]:8080"
                )));
            }
            if addr == "*" {
                (AddrText::Any, ports)
            } else if addr.starts_with('*') {
                return Err(err(format!(
                    "`{addr}`: `*` means any address and takes no prefix"
                )));
            } else {
                (AddrText::V4(addr), ports)
            }
        };
        let addr = match addr_text {
            AddrText::Any => AddrMatch::Any,
            AddrText::V4(text) => parse_net(spec, text, false)?,
            AddrText::V6(text) => parse_net(spec, text, true)?,
        };
        let ports = parse_ports(spec, ports_text)?;
        Ok(GrantSpec { addr, ports })
    }
}

enum AddrText<'a> {
    Any,
    V4(&'a str),
    V6(&'a str),
}

fn parse_net(spec: &str, text: &str, v6: bool) -> Result<AddrMatch, GrantError> {
    let err = |message: String| GrantError::new(spec, message);
    let (addr_text, prefix_text) = match text.split_once('/') {
        Some((a, p)) => (a, Some(p)),
        None => (text, None),
    };
    if addr_text.is_empty() {
        return Err(err(
            "missing address before `:` (use * for any address)".into()
        ));
    }
    let addr: IpAddr = if v6 {
        if addr_text == "*" {
            return Err(err(
                "`[*]` is not an address; write `*:PORTS` for any address".into(),
            ));
        }
        addr_text
            .parse::<Ipv6Addr>()
            .map(IpAddr::V6)
            .map_err(|_| err(format!("`{addr_text}` is not an IPv6 address")))?
    } else {
        addr_text.parse::<Ipv4Addr>().map(IpAddr::V4).map_err(|_| {
            if addr_text.chars().any(|c| c.is_ascii_alphabetic()) {
                err(format!(
                    "`{addr_text}` is not an IP address (host names are not resolved in grants; use 127.0.0.1, [::1] or *)"
                ))
            } else {
                err(format!("`{addr_text}` is not an IPv4 address"))
            }
        })?
    };
    let max = if v6 { 128 } else { 32 };
    let prefix = match prefix_text {
        None => max,
        Some(p) => match p.parse::<u8>() {
            Ok(n) if n <= max && !p.starts_with('+') => n,
            _ => {
                return Err(err(format!("prefix `/{p}` is not a number in 0-{max}")));
            }
        },
    };
    Ok(network(addr, prefix))
}

/// The network of `addr`/`prefix`, host bits cleared, IPv4-mapped IPv6
/// networks (prefix ≥ 96) stored as IPv4 ones.
fn network(addr: IpAddr, prefix: u8) -> AddrMatch {
    match addr {
        IpAddr::V4(a) => AddrMatch::Net {
            addr: IpAddr::V4(Ipv4Addr::from(mask_v4(u32::from(a), prefix))),
            prefix,
        },
        IpAddr::V6(a) => match a.to_ipv4_mapped() {
            Some(v4) if prefix >= 96 => network(IpAddr::V4(v4), prefix - 96),
            _ => AddrMatch::Net {
                addr: IpAddr::V6(Ipv6Addr::from(mask_v6(u128::from(a), prefix))),
                prefix,
            },
        },
    }
}

fn mask_v4(bits: u32, prefix: u8) -> u32 {
    if prefix == 0 {
        0
    } else {
        bits & (u32::MAX << (32 - u32::from(prefix.min(32))))
    }
}

fn mask_v6(bits: u128, prefix: u8) -> u128 {
    if prefix == 0 {
        0
    } else {
        bits & (u128::MAX << (128 - u32::from(prefix.min(128))))
    }
}

/// IPv4-mapped IPv6 (`::ffff:a.b.c.d`) as the IPv4 address it carries.
fn canonical_ip(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(v6),
        },
        v4 => v4,
    }
}

fn parse_ports(spec: &str, text: &str) -> Result<PortRange, GrantError> {
    let err = |message: String| GrantError::new(spec, message);
    if text == "*" {
        return Ok(PortRange::ANY);
    }
    if text.is_empty() {
        return Err(err("missing port after `:` (N, N-M or *)".into()));
    }
    let port = |p: &str| -> Result<u16, GrantError> {
        if p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()) {
            return Err(err(format!("port `{p}` is not a number in 0-65535")));
        }
        p.parse::<u16>()
            .map_err(|_| err(format!("port `{p}` is not a number in 0-65535")))
    };
    match text.split_once('-') {
        None => {
            let p = port(text)?;
            Ok(PortRange { low: p, high: p })
        }
        Some((low, high)) => {
            let (low, high) = (port(low)?, port(high)?);
            if low > high {
                return Err(err(format!(
                    "port range `{text}` runs backwards (write the low port first)"
                )));
            }
            Ok(PortRange { low, high })
        }
    }
}

/// One `--allow-unix HOST_DIR[::GUEST_DIR]` grant as written (not yet
/// resolved on the host; [`Policy::allow_unix`] does that).
///
/// Without GUEST_DIR the guest names sockets by their host path; with it,
/// the guest's `GUEST_DIR/x` is the host's `HOST_DIR/x`. GUEST_DIR must be
/// absolute.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnixGrantSpec {
    /// The host directory.
    pub host_dir: PathBuf,
    /// The guest's name for it, if different.
    pub guest_dir: Option<PathBuf>,
}

impl FromStr for UnixGrantSpec {
    type Err = GrantError;

    fn from_str(spec: &str) -> Result<Self, GrantError> {
        let err = |message: String| GrantError::new(spec, message);
        let (host, guest) = match spec.split_once("::") {
            Some((h, g)) => (h, Some(g)),
            None => (spec, None),
        };
        if host.is_empty() {
            return Err(err(
                "missing HOST_DIR (expected HOST_DIR[::GUEST_DIR])".into()
            ));
        }
        if host.contains('\0') {
            return Err(err("HOST_DIR contains a NUL byte".into()));
        }
        let guest_dir = match guest {
            None => None,
            Some("") => return Err(err("empty GUEST_DIR after `::`".into())),
            Some(g) if !g.starts_with('/') => {
                return Err(err(format!(
                    "GUEST_DIR `{g}` must be an absolute path, like /run"
                )));
            }
            Some(g) if g.contains('\0') => return Err(err("GUEST_DIR contains a NUL byte".into())),
            Some(g) => Some(normalize_lexically(Path::new(g))),
        };
        Ok(UnixGrantSpec {
            host_dir: PathBuf::from(host),
            guest_dir,
        })
    }
}

/// A resolved unix grant: the canonical host directory and the guest's
/// (lexically normal, absolute) name for it.
#[derive(Clone, Debug)]
struct UnixGrant {
    host_dir: PathBuf,
    guest_dir: PathBuf,
}

impl UnixGrant {
    fn resolve(spec: UnixGrantSpec) -> Result<Self, GrantError> {
        let shown = match &spec.guest_dir {
            Some(g) => format!("{}::{}", spec.host_dir.display(), g.display()),
            None => spec.host_dir.display().to_string(),
        };
        let err = |message: String| GrantError::new(&shown, message);
        let host_dir = spec
            .host_dir
            .canonicalize()
            .map_err(|e| err(format!("HOST_DIR `{}`: {e}", spec.host_dir.display())))?;
        if !host_dir.is_dir() {
            return Err(err(format!(
                "HOST_DIR `{}` is not a directory",
                spec.host_dir.display()
            )));
        }
        let guest_dir = match spec.guest_dir {
            Some(g) => g,
            None => {
                // The guest names the host directory as it was given, made
                // absolute; symlinks in it are resolved only on the host.
                let absolute = if spec.host_dir.is_absolute() {
                    spec.host_dir.clone()
                } else {
                    std::env::current_dir()
                        .map_err(|e| err(format!("cannot read the current directory: {e}")))?
                        .join(&spec.host_dir)
                };
                normalize_lexically(&absolute)
            }
        };
        Ok(UnixGrant {
            host_dir,
            guest_dir,
        })
    }
}

// ---------------------------------------------------------------------------
// Reporting
// ---------------------------------------------------------------------------

/// At most this many denial lines per [`REPORT_WINDOW`].
const REPORT_LINES_PER_WINDOW: u32 = 10;
/// The rate limiter's window.
const REPORT_WINDOW: Duration = Duration::from_secs(1);

/// The rate limiter behind [`report_denied`]: at most
/// `REPORT_LINES_PER_WINDOW` lines a window, then one
/// "N more denials suppressed" line when the next window starts.
#[derive(Debug)]
struct DenialLog {
    window_start: Option<Instant>,
    printed: u32,
    suppressed: u64,
}

impl DenialLog {
    const fn new() -> Self {
        DenialLog {
            window_start: None,
            printed: 0,
            suppressed: 0,
        }
    }

    /// The lines to print for one denial at `now`.
    fn report(&mut self, denied: &Denied, now: Instant) -> Vec<String> {
        let mut lines = Vec::new();
        let expired = match self.window_start {
            None => true,
            Some(start) => now.saturating_duration_since(start) >= REPORT_WINDOW,
        };
        if expired {
            lines.extend(self.flush());
            self.window_start = Some(now);
            self.printed = 0;
        }
        if self.printed < REPORT_LINES_PER_WINDOW {
            self.printed += 1;
            lines.push(format!("wasock: {denied}"));
        } else {
            self.suppressed += 1;
        }
        lines
    }

    /// The "N more denials suppressed" line, if any were.
    fn flush(&mut self) -> Option<String> {
        if self.suppressed == 0 {
            return None;
        }
        let n = std::mem::take(&mut self.suppressed);
        Some(format!(
            "wasock: {n} more denial{} suppressed",
            if n == 1 { "" } else { "s" }
        ))
    }
}

static DENIAL_LOG: Mutex<DenialLog> = Mutex::new(DenialLog::new());

/// Logs a refusal on stderr, at most a few lines a second per process, so a
/// looping guest cannot flood the log.
///
/// Prints `wasock: <message>`, at most 10 lines a second; past that, the
/// count of suppressed denials is printed once the next second starts (or by
/// [`flush_denied_reports`]).
pub fn report_denied(denied: &Denied) {
    let lines = {
        let mut log = DENIAL_LOG.lock().unwrap_or_else(|p| p.into_inner());
        log.report(denied, Instant::now())
    };
    write_lines(&lines);
}

/// Prints the pending "N more denials suppressed" line, if any (the runner
/// calls this when a guest ends).
pub fn flush_denied_reports() {
    let line = {
        let mut log = DENIAL_LOG.lock().unwrap_or_else(|p| p.into_inner());
        log.flush()
    };
    if let Some(line) = line {
        write_lines(&[line]);
    }
}

/// Writes the lines to stderr, ignoring failure: a closed stderr must not
/// turn a guest's refused call into a host panic (as `eprintln!` would).
fn write_lines(lines: &[String]) {
    use std::io::Write as _;
    let mut stderr = std::io::stderr().lock();
    for line in lines {
        let _ = writeln!(stderr, "{line}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grant(s: &str) -> GrantSpec {
        s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    fn sa(s: &str) -> SocketAddr {
        s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    fn bad(s: &str) -> String {
        match s.parse::<GrantSpec>() {
            Ok(g) => panic!("{s:?} parsed as {g:?}, expected an error"),
            Err(e) => e.to_string(),
        }
    }

    // ---- GrantSpec parsing -------------------------------------------------

    #[test]
    fn spec_single_ipv4_port() {
        let g = grant("10.0.0.1:80");
        assert_eq!(
            g,
            GrantSpec {
                addr: AddrMatch::Net {
                    addr: "10.0.0.1".parse().unwrap(),
                    prefix: 32
                },
                ports: PortRange { low: 80, high: 80 },
            }
        );
        assert!(g.matches(&sa("10.0.0.1:80")));
        assert!(!g.matches(&sa("10.0.0.1:81")));
        assert!(!g.matches(&sa("10.0.0.1:79")));
        assert!(!g.matches(&sa("10.0.0.2:80")));
        assert_eq!(g.to_string(), "10.0.0.1/32:80");
    }

    #[test]
    fn spec_port_edges() {
        let g0 = grant("127.0.0.1:0");
        assert!(g0.matches(&sa("127.0.0.1:0")));
        assert!(!g0.matches(&sa("127.0.0.1:1")));
        let g1 = grant("127.0.0.1:1");
        assert!(g1.matches(&sa("127.0.0.1:1")));
        assert!(!g1.matches(&sa("127.0.0.1:0")));
        assert!(!g1.matches(&sa("127.0.0.1:2")));
        let gmax = grant("127.0.0.1:65535");
        assert!(gmax.matches(&sa("127.0.0.1:65535")));
        assert!(!gmax.matches(&sa("127.0.0.1:65534")));
        assert!(bad("127.0.0.1:65536").contains("port `65536`"));
    }

    #[test]
    fn spec_port_ranges() {
        let g = grant("127.0.0.1:1000-2000");
        assert_eq!(
            g.ports,
            PortRange {
                low: 1000,
                high: 2000
            }
        );
        assert!(!g.matches(&sa("127.0.0.1:999")));
        assert!(g.matches(&sa("127.0.0.1:1000")));
        assert!(g.matches(&sa("127.0.0.1:1500")));
        assert!(g.matches(&sa("127.0.0.1:2000")));
        assert!(!g.matches(&sa("127.0.0.1:2001")));
        let full = grant("127.0.0.1:0-65535");
        assert_eq!(full.ports, PortRange::ANY);
        assert!(full.matches(&sa("127.0.0.1:0")));
        assert!(full.matches(&sa("127.0.0.1:65535")));
        let one = grant("127.0.0.1:7-7");
        assert!(one.matches(&sa("127.0.0.1:7")));
        assert!(!one.matches(&sa("127.0.0.1:8")));
        assert!(bad("127.0.0.1:2000-1000").contains("runs backwards"));
        assert!(bad("127.0.0.1:1-65536").contains("port `65536`"));
        assert!(bad("127.0.0.1:-5").contains("port ``"));
        assert!(bad("127.0.0.1:5-").contains("port ``"));
        assert!(bad("127.0.0.1:1-2-3").contains("port `2-3`"));
    }

    #[test]
    fn spec_any_port_and_any_address() {
        let g = grant("127.0.0.1:*");
        assert!(g.matches(&sa("127.0.0.1:0")));
        assert!(g.matches(&sa("127.0.0.1:65535")));
        assert!(!g.matches(&sa("127.0.0.2:80")));
        let any = grant("*:443");
        assert_eq!(any.addr, AddrMatch::Any);
        assert!(any.matches(&sa("1.2.3.4:443")));
        assert!(any.matches(&sa("[2001:db8::1]:443")));
        assert!(!any.matches(&sa("1.2.3.4:80")));
        let all = grant("*:*");
        assert!(all.matches(&sa("[::1]:1")));
        assert!(all.matches(&sa("0.0.0.0:0")));
        assert_eq!(all.to_string(), "*:*");
    }

    #[test]
    fn spec_ipv4_prefixes() {
        let all = grant("0.0.0.0/0:80");
        assert!(all.matches(&sa("255.255.255.255:80")));
        assert!(all.matches(&sa("1.2.3.4:80")));
        assert!(!all.matches(&sa("[::2]:80")), "an IPv4 /0 is not IPv6");
        let eight = grant("10.0.0.0/8:*");
        assert!(eight.matches(&sa("10.255.255.255:1")));
        assert!(eight.matches(&sa("10.0.0.0:1")));
        assert!(!eight.matches(&sa("11.0.0.0:1")));
        assert!(!eight.matches(&sa("9.255.255.255:1")));
        let host_bits = grant("10.1.2.3/8:*");
        assert_eq!(host_bits.addr, eight.addr, "host bits are cleared");
        let exact = grant("192.168.1.1/32:22");
        assert!(exact.matches(&sa("192.168.1.1:22")));
        assert!(!exact.matches(&sa("192.168.1.0:22")));
        let odd = grant("192.168.1.128/25:*");
        assert!(odd.matches(&sa("192.168.1.200:1")));
        assert!(!odd.matches(&sa("192.168.1.127:1")));
        assert!(bad("10.0.0.0/33:80").contains("prefix `/33`"));
        assert!(bad("10.0.0.0/:80").contains("prefix `/`"));
        assert!(bad("10.0.0.0/x:80").contains("prefix `/x`"));
        assert!(bad("10.0.0.0/-1:80").contains("prefix `/-1`"));
    }

    #[test]
    fn spec_ipv6_brackets_and_prefixes() {
        let lo = grant("[::1]:8080");
        assert!(lo.matches(&sa("[::1]:8080")));
        assert!(!lo.matches(&sa("[::2]:8080")));
        assert!(!lo.matches(&sa("127.0.0.1:8080")));
        assert_eq!(lo.to_string(), "[::1/128]:8080");
        let ula = grant("[fd00::/8]:*");
        assert!(ula.matches(&sa("[fd12:3456::1]:9")));
        assert!(ula.matches(&sa("[fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:9")));
        assert!(!ula.matches(&sa("[fe80::1]:9")));
        assert!(!ula.matches(&sa("[fc00::1]:9")));
        let all = grant("[::/0]:53");
        assert!(all.matches(&sa("[2001:db8::1]:53")));
        assert!(all.matches(&sa("[::]:53")));
        assert!(!all.matches(&sa("1.2.3.4:53")), "an IPv6 /0 is not IPv4");
        let exact = grant("[2001:db8::1/128]:1-2");
        assert!(exact.matches(&sa("[2001:db8::1]:2")));
        assert!(!exact.matches(&sa("[2001:db8::2]:2")));
        assert!(bad("[::1/129]:80").contains("prefix `/129`"));
        assert!(bad("[::1:80").contains("no closing `]`"));
        assert!(bad("[::1]").contains("missing `:PORTS`"));
        assert!(bad("[::1]80").contains("expected `:PORTS`"));
        assert!(bad("[fd00::]/8:*").contains("prefix goes inside"));
        assert!(bad("[nope]:80").contains("`nope` is not an IPv6 address"));
        assert!(bad("[1.2.3.4]:80").contains("not an IPv6 address"));
        assert!(bad("[*]:80").contains("`[*]`"));
        assert!(bad("::1:80").contains("must be in brackets"));
    }

    #[test]
    fn spec_ipv4_mapped_is_ipv4() {
        // A mapped address is checked against IPv4 grants...
        let v4 = grant("127.0.0.1:80");
        assert!(v4.matches(&sa("[::ffff:127.0.0.1]:80")));
        assert!(!v4.matches(&sa("[::ffff:127.0.0.2]:80")));
        let net = grant("10.0.0.0/8:*");
        assert!(net.matches(&sa("[::ffff:10.9.9.9]:1")));
        // ...never against IPv6 ones, even ::/0...
        let v6_all = grant("[::/0]:*");
        assert!(!v6_all.matches(&sa("[::ffff:10.9.9.9]:1")));
        // ...and a mapped grant is an IPv4 grant.
        let mapped = grant("[::ffff:10.0.0.0/104]:*");
        assert_eq!(mapped.addr, net.addr);
        assert!(mapped.matches(&sa("10.1.1.1:5")));
        assert!(mapped.matches(&sa("[::ffff:10.1.1.1]:5")));
        let mapped_host = grant("[::ffff:127.0.0.1]:80");
        assert!(mapped_host.matches(&sa("127.0.0.1:80")));
    }

    #[test]
    fn spec_malformed_names_the_bad_part() {
        assert!(bad("").contains("empty"));
        assert!(bad("   ").contains("empty"));
        assert!(bad("10.0.0.1").contains("missing `:PORTS` after `10.0.0.1`"));
        assert!(bad("10.0.0.1:").contains("missing port"));
        assert!(bad(":80").contains("missing address"));
        assert!(bad("10.0.0:80").contains("`10.0.0` is not an IPv4 address"));
        assert!(bad("256.0.0.1:80").contains("`256.0.0.1`"));
        assert!(bad("localhost:80").contains("host names are not resolved"));
        assert!(bad("10.0.0.1:http").contains("port `http`"));
        assert!(bad("10.0.0.1:+80").contains("port `+80`"));
        assert!(bad("10.0.0.1:**").contains("port `**`"));
        assert!(bad("*/8:80").contains("`*/8`"));
        let e = "10.0.0.1:99999".parse::<GrantSpec>().unwrap_err();
        assert_eq!(e.spec, "10.0.0.1:99999");
        assert_eq!(
            e.to_string(),
            "bad grant `10.0.0.1:99999`: port `99999` is not a number in 0-65535"
        );
    }

    // ---- Policy checks -----------------------------------------------------

    #[test]
    fn default_denies_everything() {
        let p = Policy::default();
        assert!(p.check_connect(&sa("127.0.0.1:80")).is_err());
        assert!(p.check_bind(&sa("127.0.0.1:0")).is_err());
        assert!(p.check_dns().is_err());
        assert!(p.check_raw().is_err());
        assert!(p.unix_path("bind", "/tmp/x.sock").is_err());
        assert_eq!(p.guest_unix_path(Path::new("/tmp/x.sock")), None);
        assert_eq!(p.max_sockets(), DEFAULT_MAX_SOCKETS);
        assert_eq!(p.max_sockets(), 1024);
    }

    #[test]
    fn denial_messages() {
        let p = Policy::new();
        assert_eq!(
            p.check_connect(&sa("10.0.0.1:80")).unwrap_err().to_string(),
            "denied connect to 10.0.0.1:80: no --allow-connect grant matches"
        );
        assert_eq!(
            p.check_bind(&sa("[::1]:8080")).unwrap_err().to_string(),
            "denied bind to [::1]:8080: no --allow-bind grant matches"
        );
        assert!(p.check_dns().unwrap_err().message.contains("--allow-dns"));
        assert!(p.check_raw().unwrap_err().message.contains("--allow-raw"));
    }

    #[test]
    fn connect_and_bind_grants_are_separate() {
        let p = Policy::new()
            .allow_connect(grant("127.0.0.1:8080"))
            .allow_bind(grant("127.0.0.1:0"));
        assert!(p.check_connect(&sa("127.0.0.1:8080")).is_ok());
        assert!(p.check_bind(&sa("127.0.0.1:8080")).is_err());
        assert!(p.check_bind(&sa("127.0.0.1:0")).is_ok());
        assert!(p.check_connect(&sa("127.0.0.1:0")).is_err());
        assert!(p.check_bind(&sa("0.0.0.0:0")).is_err());
    }

    #[test]
    fn several_grants_any_matches() {
        let p = Policy::new()
            .allow_connect(grant("127.0.0.1:80"))
            .allow_connect(grant("[::1]:443"));
        assert!(p.check_connect(&sa("127.0.0.1:80")).is_ok());
        assert!(p.check_connect(&sa("[::1]:443")).is_ok());
        assert!(p.check_connect(&sa("[::1]:80")).is_err());
        assert!(p.check_connect(&sa("[::ffff:127.0.0.1]:80")).is_ok());
    }

    #[test]
    fn inherit_network_allows_inet_and_dns_only() {
        let p = Policy::new().inherit_network(true);
        assert!(p.check_connect(&sa("8.8.8.8:53")).is_ok());
        assert!(p.check_connect(&sa("[2001:db8::1]:1")).is_ok());
        assert!(p.check_bind(&sa("0.0.0.0:0")).is_ok());
        assert!(p.check_dns().is_ok());
        assert!(p.dns_allowed());
        assert!(p.check_raw().is_err());
        assert!(p.check_option(libc::SOL_SOCKET, libc::SO_MARK).is_err());
        assert!(p.unix_path("connect", "/tmp/x").is_err());
    }

    #[test]
    fn numeric_resolution_needs_no_grant() {
        let p = Policy::new();
        assert!(p.check_address_information(None, false).is_ok());
        assert!(
            p.check_address_information(Some("127.0.0.1"), false)
                .is_ok()
        );
        assert!(p.check_address_information(Some("::1"), false).is_ok());
        assert!(
            p.check_address_information(Some("example.com"), true)
                .is_ok()
        );
        let e = p
            .check_address_information(Some("localhost"), false)
            .unwrap_err();
        assert!(e.message.contains("--allow-dns"), "{e}");
        assert!(
            p.check_address_information(Some("127.1"), false).is_err(),
            "only strict literals"
        );
        assert!(
            p.check_address_information(Some("fe80::1%eth0"), false)
                .is_err()
        );
        assert!(p.check_name_information(true).is_ok());
        assert!(p.check_name_information(false).is_err());
        let dns = Policy::new().allow_dns(true);
        assert!(
            dns.check_address_information(Some("localhost"), false)
                .is_ok()
        );
        assert!(dns.check_name_information(false).is_ok());
        let inherit = Policy::new().inherit_network(true);
        assert!(
            inherit
                .check_address_information(Some("localhost"), false)
                .is_ok()
        );
    }

    #[test]
    fn dns_and_raw_flags() {
        let p = Policy::new().allow_dns(true);
        assert!(p.check_dns().is_ok());
        assert!(p.check_raw().is_err());
        assert!(p.check_connect(&sa("127.0.0.1:1")).is_err());
        let r = Policy::new().allow_raw(true);
        assert!(r.check_raw().is_ok());
        assert!(r.check_dns().is_err());
    }

    #[test]
    fn max_sockets_limit() {
        assert_eq!(Policy::new().max_sockets_limit(3).max_sockets(), 3);
        assert_eq!(Policy::new().max_sockets_limit(0).max_sockets(), 0);
    }

    #[test]
    fn options_guarded_by_allow_raw() {
        let p = Policy::new();
        let guarded = [
            (libc::SOL_SOCKET, libc::SO_BINDTODEVICE, "SO_BINDTODEVICE"),
            (libc::SOL_SOCKET, libc::SO_MARK, "SO_MARK"),
            (libc::SOL_SOCKET, libc::SO_ATTACH_FILTER, "SO_ATTACH_FILTER"),
            (libc::SOL_SOCKET, libc::SO_ATTACH_BPF, "SO_ATTACH_BPF"),
            (
                libc::SOL_SOCKET,
                libc::SO_ATTACH_REUSEPORT_CBPF,
                "SO_ATTACH_REUSEPORT_CBPF",
            ),
            (libc::SOL_SOCKET, libc::SO_BINDTOIFINDEX, "SO_BINDTOIFINDEX"),
            (libc::IPPROTO_IP, libc::IP_TRANSPARENT, "IP_TRANSPARENT"),
            (libc::IPPROTO_IP, libc::IP_HDRINCL, "IP_HDRINCL"),
            (libc::IPPROTO_IP, libc::IP_FREEBIND, "IP_FREEBIND"),
            (
                libc::IPPROTO_IPV6,
                libc::IPV6_TRANSPARENT,
                "IPV6_TRANSPARENT",
            ),
            (libc::IPPROTO_IPV6, libc::IPV6_HDRINCL, "IPV6_HDRINCL"),
        ];
        let raw = Policy::new().allow_raw(true);
        for (level, name, label) in guarded {
            let e = p.check_option(level, name).unwrap_err();
            assert_eq!(
                e.message,
                format!("denied option {label}: needs --allow-raw")
            );
            assert!(
                raw.check_option(level, name).is_ok(),
                "{label} with --allow-raw"
            );
        }
        let free = [
            (libc::SOL_SOCKET, libc::SO_REUSEADDR),
            (libc::SOL_SOCKET, libc::SO_KEEPALIVE),
            (libc::SOL_SOCKET, libc::SO_RCVBUF),
            (libc::SOL_SOCKET, libc::SO_LINGER),
            (libc::IPPROTO_TCP, libc::TCP_NODELAY),
            (libc::IPPROTO_IP, libc::IP_TTL),
            (libc::IPPROTO_IPV6, libc::IPV6_V6ONLY),
            (libc::IPPROTO_UDP, 1),
        ];
        for (level, name) in free {
            assert!(
                p.check_option(level, name).is_ok(),
                "level {level} name {name}"
            );
        }
        // An unknown level needs --allow-raw too.
        assert!(
            p.check_option(libc::SOL_PACKET, 1)
                .unwrap_err()
                .message
                .contains("level")
        );
        assert!(raw.check_option(libc::SOL_PACKET, 1).is_ok());
    }

    // ---- Unix paths --------------------------------------------------------

    /// A fresh directory under the system temp dir, removed on drop.
    struct TempDir(PathBuf);

    impl TempDir {
        fn new(name: &str) -> Self {
            use std::sync::atomic::{AtomicU32, Ordering};
            static N: AtomicU32 = AtomicU32::new(0);
            let dir = std::env::temp_dir().join(format!(
                "wasock-policy-{name}-{}-{}",
                std::process::id(),
                N.fetch_add(1, Ordering::Relaxed)
            ));
            std::fs::create_dir_all(&dir).unwrap();
            TempDir(dir.canonicalize().unwrap())
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn unix_grant(s: &str) -> UnixGrantSpec {
        s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    fn s(p: &Path) -> &str {
        p.to_str().unwrap()
    }

    #[test]
    fn unix_spec_parsing() {
        assert_eq!(
            unix_grant("/tmp/a"),
            UnixGrantSpec {
                host_dir: "/tmp/a".into(),
                guest_dir: None
            }
        );
        assert_eq!(
            unix_grant("/tmp/a::/run/./x/"),
            UnixGrantSpec {
                host_dir: "/tmp/a".into(),
                guest_dir: Some("/run/x".into())
            }
        );
        let e = |s: &str| s.parse::<UnixGrantSpec>().unwrap_err().to_string();
        assert!(e("").contains("missing HOST_DIR"));
        assert!(e("::/run").contains("missing HOST_DIR"));
        assert!(e("/tmp::").contains("empty GUEST_DIR"));
        assert!(e("/tmp::run").contains("GUEST_DIR `run` must be an absolute path"));
    }

    #[test]
    fn unix_missing_host_dir_is_an_error() {
        let e = Policy::new()
            .allow_unix(unix_grant("/nonexistent/wasock-dir"))
            .unwrap_err();
        assert!(
            e.to_string().contains("HOST_DIR `/nonexistent/wasock-dir`"),
            "{e}"
        );
        let dir = TempDir::new("file");
        let file = dir.0.join("f");
        std::fs::write(&file, b"").unwrap();
        let e = Policy::new().allow_unix(unix_grant(s(&file))).unwrap_err();
        assert!(e.to_string().contains("is not a directory"), "{e}");
    }

    #[test]
    fn unix_inside_without_guest_dir() {
        let dir = TempDir::new("plain");
        let p = Policy::new().allow_unix(unix_grant(s(&dir.0))).unwrap();
        let guest = format!("{}/echo.sock", s(&dir.0));
        assert_eq!(
            p.unix_path("bind", &guest).unwrap(),
            dir.0.join("echo.sock")
        );
        // A subdirectory that exists is fine; `.` and `..` that stay inside too.
        std::fs::create_dir(dir.0.join("sub")).unwrap();
        let nested = format!("{}/sub/./x/../a.sock", s(&dir.0));
        assert_eq!(
            p.unix_path("bind", &nested).unwrap(),
            dir.0.join("sub/a.sock")
        );
        // Relative paths are relative to the grant's guest directory.
        assert_eq!(
            p.unix_path("connect", "r.sock").unwrap(),
            dir.0.join("r.sock")
        );
        // A subdirectory that does not exist cannot be resolved.
        let missing = format!("{}/nope/a.sock", s(&dir.0));
        assert!(
            p.unix_path("bind", &missing)
                .unwrap_err()
                .message
                .contains("cannot resolve")
        );
        // The reverse mapping.
        assert_eq!(
            p.guest_unix_path(&dir.0.join("echo.sock")).as_deref(),
            Some(guest.as_str())
        );
    }

    #[test]
    fn unix_dotdot_escape_refused() {
        let dir = TempDir::new("dotdot");
        let p = Policy::new().allow_unix(unix_grant(s(&dir.0))).unwrap();
        let escape = format!("{}/../escape.sock", s(&dir.0));
        let e = p.unix_path("bind", &escape).unwrap_err();
        assert!(e.message.starts_with("denied unix bind to "), "{e}");
        assert!(
            e.message.contains("outside every --allow-unix directory"),
            "{e}"
        );
        assert!(p.unix_path("connect", "../escape.sock").is_err());
        assert!(p.unix_path("connect", "a/../../escape.sock").is_err());
        // The directory itself is not a socket path.
        assert!(
            p.unix_path("bind", s(&dir.0))
                .unwrap_err()
                .message
                .contains("directory itself")
        );
        assert!(p.unix_path("bind", ".").is_err());
    }

    #[test]
    fn unix_absolute_outside_refused() {
        let dir = TempDir::new("abs");
        let p = Policy::new().allow_unix(unix_grant(s(&dir.0))).unwrap();
        for path in [
            "/etc/passwd",
            "/tmp/other.sock",
            "/",
            "/var/run/docker.sock",
        ] {
            let e = p.unix_path("connect", path).unwrap_err();
            assert!(
                e.message.contains("outside every --allow-unix directory"),
                "{path}: {e}"
            );
        }
        // A sibling whose name merely starts with the directory's name.
        let sibling = format!("{}-evil/x.sock", s(&dir.0));
        assert!(p.unix_path("connect", &sibling).is_err());
        assert!(p.unix_path("connect", "").is_err());
        assert!(
            p.unix_path("connect", "\0abstract")
                .unwrap_err()
                .message
                .contains("abstract")
        );
        assert_eq!(p.guest_unix_path(Path::new("/etc/passwd")), None);
    }

    #[test]
    fn unix_symlink_escape_refused() {
        let dir = TempDir::new("symlink");
        let outside = TempDir::new("outside");
        let p = Policy::new().allow_unix(unix_grant(s(&dir.0))).unwrap();
        // A symlinked directory leading out.
        std::os::unix::fs::symlink(&outside.0, dir.0.join("out")).unwrap();
        let through = format!("{}/out/x.sock", s(&dir.0));
        let e = p.unix_path("bind", &through).unwrap_err();
        assert!(e.message.contains("symlink leads out"), "{e}");
        // A symlinked socket file leading out (connect follows it).
        std::os::unix::fs::symlink(outside.0.join("target.sock"), dir.0.join("link.sock")).unwrap();
        std::fs::write(outside.0.join("target.sock"), b"").unwrap();
        let link = format!("{}/link.sock", s(&dir.0));
        let e = p.unix_path("connect", &link).unwrap_err();
        assert!(e.message.contains("symlink leads out"), "{e}");
        // `link/..` is resolved lexically: it names dir/x.sock, not outside.
        let dotdot = format!("{}/out/../x.sock", s(&dir.0));
        assert_eq!(p.unix_path("bind", &dotdot).unwrap(), dir.0.join("x.sock"));
        // A symlink that stays inside is fine.
        std::fs::create_dir(dir.0.join("real")).unwrap();
        std::os::unix::fs::symlink(dir.0.join("real"), dir.0.join("alias")).unwrap();
        let inside = format!("{}/alias/y.sock", s(&dir.0));
        assert_eq!(
            p.unix_path("bind", &inside).unwrap(),
            dir.0.join("real/y.sock")
        );
    }

    #[test]
    fn unix_guest_dir_mapping_both_ways() {
        let dir = TempDir::new("mapped");
        let spec = format!("{}::/run/socks", s(&dir.0));
        let p = Policy::new().allow_unix(unix_grant(&spec)).unwrap();
        assert_eq!(
            p.unix_path("bind", "/run/socks/a.sock").unwrap(),
            dir.0.join("a.sock")
        );
        assert_eq!(p.unix_path("bind", "a.sock").unwrap(), dir.0.join("a.sock"));
        assert_eq!(
            p.guest_unix_path(&dir.0.join("a.sock")).as_deref(),
            Some("/run/socks/a.sock")
        );
        // The host path itself is not a guest name when GUEST_DIR is given.
        let host_name = format!("{}/a.sock", s(&dir.0));
        assert!(p.unix_path("bind", &host_name).is_err());
        // Escapes from the guest directory.
        assert!(p.unix_path("bind", "/run/socks/../a.sock").is_err());
        assert!(p.unix_path("bind", "/run/a.sock").is_err());
        assert!(p.unix_path("bind", "/run/socksx/a.sock").is_err());
        assert_eq!(p.guest_unix_path(Path::new("/run/socks/a.sock")), None);
    }

    #[test]
    fn unix_most_specific_grant_wins() {
        let a = TempDir::new("outer");
        let b = TempDir::new("inner");
        let p = Policy::new()
            .allow_unix(unix_grant(&format!("{}::/srv", s(&a.0))))
            .unwrap()
            .allow_unix(unix_grant(&format!("{}::/srv/inner", s(&b.0))))
            .unwrap();
        assert_eq!(
            p.unix_path("bind", "/srv/x.sock").unwrap(),
            a.0.join("x.sock")
        );
        assert_eq!(
            p.unix_path("bind", "/srv/inner/x.sock").unwrap(),
            b.0.join("x.sock")
        );
        assert_eq!(
            p.guest_unix_path(&b.0.join("x.sock")).as_deref(),
            Some("/srv/inner/x.sock")
        );
    }

    // ---- Reporting ---------------------------------------------------------

    #[test]
    fn report_rate_limit() {
        let mut log = DenialLog::new();
        let d = Denied::new("denied connect to 10.0.0.1:80: no --allow-connect grant matches");
        let t0 = Instant::now();
        let mut lines = Vec::new();
        for i in 0..25u32 {
            lines.extend(log.report(&d, t0 + Duration::from_millis(u64::from(i))));
        }
        assert_eq!(lines.len(), 10);
        assert_eq!(
            lines[0],
            "wasock: denied connect to 10.0.0.1:80: no --allow-connect grant matches"
        );
        // The next window starts with the suppressed count, then the line.
        let next = log.report(&d, t0 + Duration::from_millis(1500));
        assert_eq!(next.len(), 2);
        assert_eq!(next[0], "wasock: 15 more denials suppressed");
        assert!(next[1].starts_with("wasock: denied connect"));
        assert_eq!(log.flush(), None);
        for i in 0..10u64 {
            log.report(&d, t0 + Duration::from_millis(1600 + i));
        }
        assert_eq!(
            log.flush().as_deref(),
            Some("wasock: 1 more denial suppressed")
        );
    }
}
