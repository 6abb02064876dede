//! `spec_nofqdn`: `ni/nofqdn` ("return only the hostname part of the fully
//! qualified domain name for local hosts") on names from the hosts file of
//! a network namespace the test makes: 127.0.0.2 is `box.wasock.test` in
//! the local domain (`wasock.test`, from `localhost.wasock.test`),
//! 127.0.0.3 is `far.example.org` in another.
//!
//! Prints `ADDRESS full: NODE` and `ADDRESS nofqdn: NODE` for both. Needs
//! `--allow-dns`.

use wasock::{NameInfoFlags, SockAddr, name_information};

fn fail(what: &str, e: impl std::fmt::Display) -> ! {
    eprintln!("spec_nofqdn: {what}: {e}");
    std::process::exit(1)
}

fn main() {
    for address in ["127.0.0.2", "127.0.0.3"] {
        let socket_address =
            SockAddr::inet(Some(address), 80).unwrap_or_else(|e| fail("address", e));
        for (label, flags) in [
            ("full", NameInfoFlags::NUMERICSERV),
            ("nofqdn", NameInfoFlags::NUMERICSERV | NameInfoFlags::NOFQDN),
        ] {
            let (node, _) = name_information(&socket_address, flags)
                .unwrap_or_else(|e| fail("name-information", e));
            println!("{address} {label}: {node}");
        }
    }
    println!("spec_nofqdn: ok");
}
