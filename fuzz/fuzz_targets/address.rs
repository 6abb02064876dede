//! Fuzzes address parsing and conversion on both sides of the sandbox:
//!
//! - the guest SDK's `SockAddr` (`FromStr`, `SockAddr::inet` with text and
//!   numeric ports, `Display`), compiled natively: no panic; an inet
//!   address prints as text that parses back to the same address;
//! - the host's WIT address ↔ OS address conversion (`wasock_host::convert`):
//!   `from_wit` / `ip_to_wit` round-trip every inet / inet6 address (flow
//!   info and scope id included), and unix paths go through the policy's
//!   confinement (`Policy::unix_path` under one `--allow-unix` temporary
//!   directory) and `unix_sockaddr`: a path the policy accepts always lies
//!   inside the granted directory.
#![no_main]

#[path = "common.rs"]
mod common;
use common::real_path;

use std::path::PathBuf;
use std::sync::OnceLock;

use arbitrary::{Arbitrary, Unstructured};
use libfuzzer_sys::fuzz_target;
use wasock::SockAddr;
use wasock_host::convert::{self, GuestAddress};
use wasock_host::bindings::wasock::socket::types::{Ipv4SocketAddress, Ipv6SocketAddress, SocketAddress};
use wasock_host::policy::Policy;

#[derive(Debug, Arbitrary)]
enum WitAddress {
    Inet { port: u16, address: (u8, u8, u8, u8) },
    Inet6 { port: u16, flow_info: u32, address: (u16, u16, u16, u16, u16, u16, u16, u16), scope_id: u32 },
    Unix(String),
}

#[derive(Debug, Arbitrary)]
struct Input<'a> {
    text: &'a str,
    host: Option<&'a str>,
    port_text: &'a str,
    port_number: i64,
    wit: WitAddress,
}

/// A temporary directory granted with `--allow-unix DIR::/sockets`.

fn sandbox() -> &'static (PathBuf, Policy) {
    static SANDBOX: OnceLock<(PathBuf, Policy)> = OnceLock::new();
    SANDBOX.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("wasock-fuzz-address-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("sub")).expect("temporary directory");
        let dir = dir.canonicalize().expect("canonical temporary directory");
        let spec = format!("{}::/sockets", dir.display()).parse().expect("unix grant");
        let policy = Policy::new().allow_unix(spec).expect("grant the temporary directory");
        (dir, policy)
    })
}

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    let Ok(input) = Input::arbitrary(&mut u) else { return };

    // The SDK side.
    if let Ok(parsed) = input.text.parse::<SockAddr>() {
        let printed = parsed.to_string();
        if !matches!(parsed, SockAddr::Unix(_)) {
            let again: SockAddr = printed
                .parse()
                .unwrap_or_else(|e| panic!("{:?} parsed as {parsed:?}, printed {printed:?}, which fails: {e}", input.text));
            assert_eq!(again, parsed, "{:?} -> {printed:?} does not round-trip", input.text);
        }
        let _ = (parsed.family(), parsed.address(), parsed.port(), parsed.path(), parsed.as_socket_addr());
    }
    let by_text = SockAddr::inet(input.host, input.port_text);
    let by_number = SockAddr::inet(input.host, input.port_number);
    if let Ok(address) = &by_number {
        assert!((0..=65535).contains(&input.port_number), "port {} accepted", input.port_number);
        assert_eq!(address.port().ok(), u16::try_from(input.port_number).ok());
    }
    if let Ok(address) = by_text {
        let _ = address.to_string();
    }

    // The host side.
    let wit = match &input.wit {
        WitAddress::Inet { port, address } => SocketAddress::Inet(Ipv4SocketAddress { port: *port, address: *address }),
        WitAddress::Inet6 { port, flow_info, address, scope_id } => SocketAddress::Inet6(Ipv6SocketAddress {
            port: *port,
            flow_info: *flow_info,
            address: *address,
            scope_id: *scope_id,
        }),
        WitAddress::Unix(path) => SocketAddress::Unix(path.clone()),
    };
    match convert::from_wit(wit.clone()) {
        GuestAddress::Ip(ip) => {
            assert_eq!(convert::ip_to_wit(ip), wit, "{ip} does not round-trip");
            let os = socket2::SockAddr::from(ip);
            let (_, policy) = sandbox();
            assert_eq!(convert::to_wit(&os, policy), Some(wit.clone()));
        }
        GuestAddress::Unix(path) => {
            let (dir, policy) = sandbox();
            let bind = policy.unix_bind(&path).ok().and_then(|t| t.os_address().ok().map(|os| (os, Some(t), None)));
            let connect = policy.unix_connect(&path).ok().and_then(|t| t.os_address().ok().map(|os| (os, None, Some(t))));
            for (os, _bind_keep, _connect_keep) in bind.into_iter().chain(connect) {
                // The OS address goes through the grant's directory handle;
                // where that really is must be inside the granted directory.
                if let Some(real) = real_path(&os) {
                    assert!(real.starts_with(dir), "{path:?} escapes to {} (granted {})", real.display(), dir.display());
                    if let Ok(os) = convert::unix_sockaddr(&real) {
                        // The guest's name for it comes back inside /sockets.
                        if let Some(SocketAddress::Unix(guest)) = convert::to_wit(&os, policy) {
                            assert!(guest.is_empty() || guest.starts_with("/sockets"), "{path:?} -> {guest:?}");
                        }
                    }
                }
            }
        }
    }
});
