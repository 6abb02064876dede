//! `fault_resolve NAME COUNT TIMEOUT_MS`: COUNT address-information calls
//! for NAME, each with that timeout (0: none), one after another; prints
//! `resolve I: ok N` or `resolve I: class/code (message)` for each, then
//! `fault resolve done`. With a resolver that does not answer, the calls
//! time out but their resolver threads run on: past the host's limit on
//! resolutions in flight the calls fail at once with
//! `transient/would-block`. Needs `--allow-dns`.

use std::time::Duration;

use wasock::AddrInfoHints;

fn fail(what: &str, e: impl std::fmt::Display) -> ! {
    eprintln!("fault_resolve: {what}: {e}");
    std::process::exit(1)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 4 {
        fail("usage", "fault_resolve NAME COUNT TIMEOUT_MS");
    }
    let count: usize = args[2].parse().unwrap_or_else(|e| fail("count", e));
    let ms: u64 = args[3].parse().unwrap_or_else(|e| fail("timeout", e));
    let timeout = (ms > 0).then(|| Duration::from_millis(ms));
    for i in 0..count.min(1000) {
        match wasock::address_information_timeout(
            Some(&args[1]),
            Some("80"),
            &AddrInfoHints::default(),
            timeout,
        ) {
            Ok(list) => println!("resolve {i}: ok {}", list.len()),
            Err(e) => println!(
                "resolve {i}: {}/{} ({})",
                e.class(),
                e.code().as_str(),
                e.message()
            ),
        }
    }
    println!("fault resolve done");
}
