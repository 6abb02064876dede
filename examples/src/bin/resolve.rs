//! `resolve NODE [SERVICE]`: prints what the host's resolver says about a
//! name: every `address-information` result, then the `name-information`
//! of each address.
//!
//! Shows the spec's address resolution: [`wasock::address_information`]
//! (`getaddrinfo`, here with `ai/canonname` so the canonical name comes
//! back) and [`wasock::name_information`] (`getnameinfo`), and the
//! accessors of the results.
//!
//! ```text
//! wasock run --allow-dns target/wasm32-wasip2/release/resolve.wasm localhost http
//! ```
//!
//! Without `--allow-dns` both calls are refused (permission denied): the
//! program prints that on stderr and exits with status 1.

use std::error::Error;

use wasock::{AddrInfoFlags, AddrInfoHints, NameInfoFlags};

fn main() {
    if let Err(error) = run() {
        eprintln!("resolve: {error}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), Box<dyn Error>> {
    let mut args = std::env::args().skip(1);
    let (Some(node), service, None) = (args.next(), args.next(), args.next()) else {
        return Err("usage: resolve NODE [SERVICE]".into());
    };

    // The spec's defaults (any family, sock/stream), plus ai/canonname.
    let hints = AddrInfoHints {
        flags: AddrInfoFlags::CANONNAME,
        ..AddrInfoHints::default()
    };
    let results = wasock::address_information(Some(&node), service.as_deref(), &hints)
        .map_err(|error| format!("{node}: {error}"))?;
    println!(
        "address-information {node} {}: {} result(s)",
        service.as_deref().unwrap_or("-"),
        results.len()
    );
    for info in &results {
        // family, type, protocol, address, and the canonical name where the
        // resolver put it (on the first result).
        print!(
            "  {} {} {} {}",
            info.family, info.socket_type, info.protocol, info.address
        );
        if let Some(name) = &info.canonical_name {
            print!(" canonical-name {name}");
        }
        println!();
    }

    for info in &results {
        let (node, service) = wasock::name_information(&info.address, NameInfoFlags::empty())
            .map_err(|error| format!("{}: {error}", info.address))?;
        println!(
            "name-information {}: node {node} service {service}",
            info.address
        );
    }
    Ok(())
}
