//! `spec_constants`: every constant of the spec with the host's number, as
//! the guest sees it (`wasock::constants::ALL`, `Constant::value`): one
//! `name=number` or `name=absent` line each, then `count N`. The e2e test
//! compares them with the native `libc` numbers.

use wasock::constants::ALL;

fn main() {
    for constant in ALL {
        match constant.value() {
            Some(n) => println!("{}={n}", constant.name()),
            None => println!("{}=absent", constant.name()),
        }
    }
    // Constant::get on an absent name is class unsupported.
    if let Some(absent) = ALL.iter().find(|c| c.value().is_none()) {
        match absent.get() {
            Ok(n) => println!("get {}: ok {n}", absent.name()),
            Err(e) => println!("get {}: {}/{}", absent.name(), e.class(), e.code().as_str()),
        }
    }
    println!("count {}", ALL.len());
}
