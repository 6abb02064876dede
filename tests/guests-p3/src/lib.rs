//! The WASI 0.3 bindings the sandbox suite's 0.3 guests use: the
//! `wasi:cli@0.3.0` imports (`wasi:sockets@0.3.0` among them) and the
//! `wasi:cli/run@0.3.0` export, from the same WIT as the vendored wasmtime
//! programs.

wit_bindgen::generate!({
    path: "../wasmtime-programs/wit/p3",
    world: "wasmtime:test/testp3",
    default_bindings_module: "wasock_test_guests_p3",
    pub_export_macro: true,
    generate_all,
});

use wasi::sockets::types::{IpAddress, IpSocketAddress, Ipv4SocketAddress, Ipv6SocketAddress};

/// `text` (`A.B.C.D:PORT` or `[V6]:PORT`) as a WASI socket address.
pub fn parse_address(text: &str) -> IpSocketAddress {
    let address: std::net::SocketAddr = text
        .parse()
        .unwrap_or_else(|e| panic!("{text:?} is not an address: {e}"));
    match address {
        std::net::SocketAddr::V4(v4) => {
            let [a, b, c, d] = v4.ip().octets();
            IpSocketAddress::Ipv4(Ipv4SocketAddress {
                port: v4.port(),
                address: (a, b, c, d),
            })
        }
        std::net::SocketAddr::V6(v6) => {
            let s = v6.ip().segments();
            IpSocketAddress::Ipv6(Ipv6SocketAddress {
                port: v6.port(),
                flow_info: 0,
                address: (s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7]),
                scope_id: 0,
            })
        }
    }
}

/// `address` as text, as `std::net::SocketAddr` prints it.
pub fn show_address(address: &IpSocketAddress) -> String {
    match address {
        IpSocketAddress::Ipv4(v4) => {
            let (a, b, c, d) = v4.address;
            format!("{a}.{b}.{c}.{d}:{}", v4.port)
        }
        IpSocketAddress::Ipv6(v6) => {
            let (a, b, c, d, e, f, g, h) = v6.address;
            let ip = std::net::Ipv6Addr::new(a, b, c, d, e, f, g, h);
            format!("[{ip}]:{}", v6.port)
        }
    }
}

/// `address` as text.
pub fn show_ip(address: &IpAddress) -> String {
    match address {
        IpAddress::Ipv4((a, b, c, d)) => format!("{a}.{b}.{c}.{d}"),
        IpAddress::Ipv6((a, b, c, d, e, f, g, h)) => {
            std::net::Ipv6Addr::new(*a, *b, *c, *d, *e, *f, *g, *h).to_string()
        }
    }
}

/// The bindings of `wasock:socket@0.2.0`, wasock's contract for the
/// component model's async: every blocking call an `async func`, awaited
/// on wit-bindgen's executor beside every other async import.
#[allow(missing_docs)]
pub mod wasock_async {
    wit_bindgen::generate!({
        path: "../../wit-async",
        world: "wasock:socket/guest@0.2.0",
    });
}

/// `text` (`A.B.C.D:PORT` or `[V6]:PORT`) as a `wasock:socket@0.2.0`
/// address.
pub fn wasock_address(text: &str) -> wasock_async::wasock::socket::types::SocketAddress {
    use wasock_async::wasock::socket::types::{
        Ipv4SocketAddress, Ipv6SocketAddress, SocketAddress,
    };
    match parse_address(text) {
        IpSocketAddress::Ipv4(v4) => SocketAddress::Inet(Ipv4SocketAddress {
            port: v4.port,
            address: v4.address,
        }),
        IpSocketAddress::Ipv6(v6) => SocketAddress::Inet6(Ipv6SocketAddress {
            port: v6.port,
            flow_info: 0,
            address: v6.address,
            scope_id: 0,
        }),
    }
}
