//! Grant specs: `--allow-connect` / `--allow-bind` (`ADDR[/PREFIX]:PORTS`)
//! and `--allow-multicast` (`GROUP[/PREFIX]`), parsed and matched.
//!
//! Parsing errors name the grant and its bad part; matching takes
//! IPv4-mapped IPv6 addresses (`::ffff:a.b.c.d`) as the IPv4 address they
//! carry, in grants and in the addresses checked alike.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::str::FromStr;

/// A malformed grant: names the grant and its bad part.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GrantError {
    /// The grant as given on the command line.
    pub spec: String,
    /// What is wrong with it, naming the bad part.
    pub message: String,
}

impl GrantError {
    pub(crate) fn new(spec: &str, message: impl Into<String>) -> Self {
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
pub(crate) fn canonical_ip(ip: IpAddr) -> IpAddr {
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

/// One `--allow-multicast GROUP[/PREFIX]` grant: which multicast groups
/// the guest may join (`IP_ADD_MEMBERSHIP`, `IPV6_ADD_MEMBERSHIP`).
///
/// GROUP is an IPv4 multicast address (`239.1.2.3`, `239.0.0.0/8`) or an
/// IPv6 one in brackets (`[ff02::fb]`, `[ff05::/16]`); `*` is every group.
/// A network must lie inside the multicast ranges (224.0.0.0/4, ff00::/8),
/// so a grant cannot name a unicast address.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MulticastGrant {
    /// Which groups.
    pub groups: AddrMatch,
}

impl MulticastGrant {
    /// Whether the grant covers joining `group` (a multicast address).
    pub fn matches(&self, group: IpAddr) -> bool {
        canonical_ip(group).is_multicast() && self.groups.matches(group)
    }
}

impl fmt::Display for MulticastGrant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.groups.fmt(f)
    }
}

impl FromStr for MulticastGrant {
    type Err = GrantError;

    fn from_str(spec: &str) -> Result<Self, GrantError> {
        let text = spec.trim();
        if text == "*" {
            return Ok(MulticastGrant {
                groups: AddrMatch::Any,
            });
        }
        let groups = if let Some(inside) = text.strip_prefix('[') {
            let inside = inside.strip_suffix(']').ok_or_else(|| {
                GrantError::new(
                    spec,
                    "IPv6 group has `[` but no closing `]` (write it like [ff02::fb])",
                )
            })?;
            parse_net(spec, inside, true)?
        } else if text.contains(':') {
            return Err(GrantError::new(
                spec,
                "a multicast grant has no port; IPv6 groups go in brackets, like [ff02::fb]",
            ));
        } else {
            parse_net(spec, text, false)?
        };
        let (addr, prefix) = match groups {
            AddrMatch::Net { addr, prefix } => (addr, prefix),
            AddrMatch::Any => return Ok(MulticastGrant { groups }),
        };
        let inside_multicast = match addr {
            IpAddr::V4(v4) => v4.is_multicast() && prefix >= 4,
            IpAddr::V6(v6) => v6.is_multicast() && prefix >= 8,
        };
        if !inside_multicast {
            return Err(GrantError::new(
                spec,
                format!("`{groups}` is not inside the multicast ranges 224.0.0.0/4 and [ff00::/8]"),
            ));
        }
        Ok(MulticastGrant { groups })
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

    // ---- Multicast grants --------------------------------------------------

    #[test]
    fn multicast_grants() {
        let g = |s: &str| {
            s.parse::<MulticastGrant>()
                .unwrap_or_else(|e| panic!("{s}: {e}"))
        };
        let one = g("239.1.2.3");
        assert!(one.matches("239.1.2.3".parse().unwrap()));
        assert!(!one.matches("239.1.2.4".parse().unwrap()));
        let net = g("239.0.0.0/8");
        assert!(net.matches("239.255.0.1".parse().unwrap()));
        assert!(net.matches("::ffff:239.255.0.1".parse().unwrap()));
        assert!(!net.matches("224.0.0.251".parse().unwrap()));
        let v6 = g("[ff02::fb]");
        assert!(v6.matches("ff02::fb".parse().unwrap()));
        assert!(!v6.matches("ff02::fc".parse().unwrap()));
        let any = g("*");
        assert!(any.matches("224.0.0.1".parse().unwrap()));
        assert!(any.matches("ff05::1".parse().unwrap()));
        assert!(
            !any.matches("10.0.0.1".parse().unwrap()),
            "unicast is never a group"
        );
        let bad = |s: &str| s.parse::<MulticastGrant>().unwrap_err().to_string();
        assert!(bad("10.0.0.1").contains("not inside the multicast ranges"));
        assert!(bad("0.0.0.0/0").contains("not inside the multicast ranges"));
        assert!(bad("[::/0]").contains("not inside the multicast ranges"));
        assert!(bad("239.1.2.3:5353").contains("no port"));
        assert!(bad("[ff02::fb").contains("closing"));
        assert!(bad("ff02::fb").contains("brackets"));
    }
}
