//! Fuzzes the policy's grant parsing (`GrantSpec` / `UnixGrantSpec`
//! `FromStr`, what `--allow-connect`, `--allow-bind` and `--allow-unix`
//! parse) and matching (`GrantSpec::matches`, `Policy::check_connect` /
//! `check_bind`).
//!
//! Invariants checked: no panic on any input; a parsed grant prints
//! (`Display`) as text that parses back to the same grant; the grant's own
//! network address at its lowest port matches it, a port outside its range
//! does not; an arbitrary address is matched without panicking, and the
//! policy agrees with the grant.
#![no_main]

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use arbitrary::{Arbitrary, Unstructured};
use libfuzzer_sys::fuzz_target;
use wasock_host::policy::{AddrMatch, GrantSpec, Policy, UnixGrantSpec};

#[derive(Debug, Arbitrary)]
struct Input<'a> {
    spec: &'a str,
    probe_v6: bool,
    probe_bits: u128,
    probe_port: u16,
}

fuzz_target!(|data: &[u8]| {
    // Raw text first (any bytes, lossily), then a structured input.
    let text = String::from_utf8_lossy(data);
    check_spec(&text, None);
    let _ = text.parse::<UnixGrantSpec>();
    let mut u = Unstructured::new(data);
    if let Ok(input) = Input::arbitrary(&mut u) {
        let probe_ip = if input.probe_v6 {
            IpAddr::V6(Ipv6Addr::from(input.probe_bits))
        } else {
            IpAddr::V4(Ipv4Addr::from(input.probe_bits as u32))
        };
        check_spec(input.spec, Some(SocketAddr::new(probe_ip, input.probe_port)));
        let _ = input.spec.parse::<UnixGrantSpec>();
    }
});

fn check_spec(text: &str, probe: Option<SocketAddr>) {
    let Ok(grant) = text.parse::<GrantSpec>() else { return };
    let printed = grant.to_string();
    let again: GrantSpec = printed
        .parse()
        .unwrap_or_else(|e| panic!("{text:?} parsed as {grant:?}, printed {printed:?}, which fails: {e}"));
    assert_eq!(again, grant, "{text:?} -> {printed:?} does not round-trip");
    assert!(grant.ports.low <= grant.ports.high, "{text:?}: inverted range {grant:?}");

    let network = match grant.addr {
        AddrMatch::Any => IpAddr::V4(Ipv4Addr::LOCALHOST),
        AddrMatch::Net { addr, prefix } => {
            let max = if addr.is_ipv4() { 32 } else { 128 };
            assert!(prefix <= max, "{text:?}: prefix {prefix} beyond {max}");
            addr
        }
    };
    let inside = SocketAddr::new(network, grant.ports.low);
    assert!(grant.matches(&inside), "{text:?}: {grant:?} does not match its own {inside}");
    let policy = Policy::new().allow_connect(grant).allow_bind(grant);
    // The unspecified address is no destination, whatever the grants.
    let unspecified = inside.ip().is_unspecified()
        || matches!(inside.ip(), std::net::IpAddr::V6(v6) if v6.to_ipv4_mapped().is_some_and(|v4| v4.is_unspecified()));
    assert_eq!(policy.check_connect(&inside).is_ok(), !unspecified, "{text:?}: policy on connect to {inside}");
    assert_eq!(
        policy.check_bind(&inside, false),
        Ok(wasock_host::policy::BindGrant::Granted),
        "{text:?}: policy refuses bind {inside}"
    );
    if let Some(above) = grant.ports.high.checked_add(1) {
        let outside = SocketAddr::new(network, above);
        assert!(!grant.matches(&outside), "{text:?}: {grant:?} matches {outside}");
        assert!(policy.check_connect(&outside).is_err(), "{text:?}: policy allows {outside}");
    }
    if let Some(probe) = probe {
        let matched = grant.matches(&probe);
        let unspecified = probe.ip().is_unspecified()
            || matches!(probe.ip(), std::net::IpAddr::V6(v6) if v6.to_ipv4_mapped().is_some_and(|v4| v4.is_unspecified()));
        assert_eq!(
            policy.check_connect(&probe).is_ok(),
            matched && !unspecified,
            "{text:?}: policy and grant disagree on {probe}"
        );
    }
}
