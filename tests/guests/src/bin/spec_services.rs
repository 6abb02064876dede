//! `spec_services UNNAMED_PORT`: the service half of `name-information`
//! (`getnameinfo(3)` looking the port up in the system's services), for
//! 127.0.0.1 with `ni/numerichost`:
//!
//! - `ni/dgram` looks the port up as a datagram service: ports 512 and
//!   514 have different names for TCP and UDP (`exec`/`biff`,
//!   `shell`/`syslog` in the usual services file);
//! - a port without a service name comes back as its number (the spec:
//!   "If service number lookup fails, it is returned as an integer"),
//!   while port 80 comes back named, so the lookup did take place.
//!
//! Prints `service PORT stream: S` and `service PORT dgram: S` for 80,
//! 512, 514 and UNNAMED_PORT, where S is `name NAME` or `port N`. Needs
//! `--allow-dns`.

use wasock::{NameInfoFlags, Service, SockAddr, name_information};

fn fail(what: &str, e: impl std::fmt::Display) -> ! {
    eprintln!("spec_services: {what}: {e}");
    std::process::exit(1)
}

fn main() {
    let unnamed: u16 = std::env::args()
        .nth(1)
        .unwrap_or_else(|| fail("usage", "spec_services UNNAMED_PORT"))
        .parse()
        .unwrap_or_else(|e| fail("port", e));
    for port in [80, 512, 514, unnamed] {
        let address =
            SockAddr::inet(Some("127.0.0.1"), port).unwrap_or_else(|e| fail("address", e));
        for (kind, flags) in [
            ("stream", NameInfoFlags::NUMERICHOST),
            ("dgram", NameInfoFlags::NUMERICHOST | NameInfoFlags::DGRAM),
        ] {
            let (node, service) =
                name_information(&address, flags).unwrap_or_else(|e| fail("name-information", e));
            if node != "127.0.0.1" {
                fail("ni/numerichost", node);
            }
            match service {
                Service::Name(name) => println!("service {port} {kind}: name {name}"),
                Service::Port(number) => println!("service {port} {kind}: port {number}"),
            }
        }
    }
    println!("spec_services: ok");
}
