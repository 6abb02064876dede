//! `sandbox_lookups NAME COUNT [wait]`: starts COUNT `wasi:sockets` name
//! lookups of NAME (the `std::net` path), holding every stream; prints
//! `lookup I: started` or `lookup I: ERROR-CODE` for each, then drops
//! them all and prints `sandbox lookups done`. Without `wait` it waits for
//! none: with a resolver that never answers, the host's limit on
//! resolutions in flight must refuse the lookups past it at once. With
//! `wait` it reads each lookup's answer to the end (still holding the
//! stream): a finished lookup holds no slot, so none is refused. Needs
//! `--allow-dns`.
use wasip2::sockets::{instance_network, ip_name_lookup};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (Some(name), Some(count)) = (args.get(1), args.get(2)) else {
        eprintln!("usage: sandbox_lookups NAME COUNT");
        std::process::exit(2);
    };
    let count: usize = count.parse().unwrap_or(0).min(1000);
    let wait = args.get(3).is_some_and(|mode| mode == "wait");
    let network = instance_network::instance_network();
    let mut streams = Vec::new();
    for i in 0..count {
        match ip_name_lookup::resolve_addresses(&network, name) {
            Ok(stream) => {
                println!("lookup {i}: started");
                if wait {
                    stream.subscribe().block();
                    loop {
                        match stream.resolve_next_address() {
                            Ok(Some(_)) => {}
                            Ok(None) => break,
                            Err(code) => {
                                println!("lookup {i} answered: {}", code.name());
                                break;
                            }
                        }
                    }
                }
                streams.push(stream);
            }
            Err(code) => println!("lookup {i}: {}", code.name()),
        }
    }
    drop(streams);
    println!("sandbox lookups done");
}
