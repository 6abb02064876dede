//! `policy_resolve NODE`: address-information for NODE (port 80) and
//! name-information (a reverse lookup: no numeric flags) for 127.0.0.1:80,
//! each printed as
//! `address-information ok <addresses>` / `name-information ok <node>` or
//! `<call> error <code>: <message>`.
use wasock::{AddrInfoHints, NameInfoFlags, SockAddr, address_information, name_information};

fn main() {
    let Some(node) = std::env::args().nth(1) else {
        eprintln!("usage: policy_resolve NODE");
        std::process::exit(2);
    };
    match address_information(Some(&node), Some("80"), &AddrInfoHints::default()) {
        Ok(infos) => {
            let addresses: Vec<String> = infos.iter().map(|i| i.address.to_string()).collect();
            println!("address-information ok {}", addresses.join(" "));
        }
        Err(error) => println!(
            "address-information error {}: {error}",
            error.code().as_str()
        ),
    }
    let address = match SockAddr::inet(Some("127.0.0.1"), 80) {
        Ok(address) => address,
        Err(error) => {
            eprintln!("policy_resolve: {error}");
            std::process::exit(1);
        }
    };
    match name_information(&address, NameInfoFlags::NUMERICSERV) {
        Ok((node, service)) => println!("name-information ok {node} {service:?}"),
        Err(error) => println!("name-information error {}: {error}", error.code().as_str()),
    }
}
