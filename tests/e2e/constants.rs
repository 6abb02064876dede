//! The spec's constants as a guest sees them under the real binary: the
//! host's table, name for name and number for number.
//!
//! Run: `cargo test -p wasock-host --test e2e constants::`

use std::collections::HashMap;

use wasock_tests::{Wasock, guest, output_text};

use crate::WASOCK;
use crate::common::{TIMEOUT, after, succeeded};

/// Every spec constant as a guest sees it is the host's: the guest's list
/// (`wasock::constants::ALL`) has the names of the host's table
/// (`wasock_host::constants::CONSTANTS`) in its order, each with the
/// host's number (`libc`'s, with the Linux equivalents the host documents:
/// `tcp/nopush` is `TCP_CORK`, `tcp/keepalive` `TCP_KEEPIDLE`,
/// `ip/recvretopts` `IP_RETOPTS`), and the names Linux lacks are absent
/// (`Constant::get` on one is class unsupported).
#[test]
fn constants_seen_by_a_guest_are_libcs_and_linux_lacks_are_absent() {
    let expected = wasock_host::constants::CONSTANTS;
    let output = Wasock::new(WASOCK, guest("spec_constants")).run(TIMEOUT);
    let stdout = succeeded(&output, &format!("count {}", expected.len()));
    let all = output_text(&output);
    let seen: Vec<(&str, &str)> = stdout.lines().filter_map(|l| l.split_once('=')).collect();
    let names: Vec<&str> = seen.iter().map(|(name, _)| *name).collect();
    let host_names: Vec<&str> = expected.iter().map(|(name, _)| *name).collect();
    assert_eq!(names, host_names, "the SDK's names, in order\n{all}");
    for ((name, number), (_, shown)) in expected.iter().zip(&seen) {
        let want = number.map_or("absent".to_owned(), |n| n.to_string());
        assert_eq!(*shown, want, "{name}\n{all}");
    }
    let seen: HashMap<&str, &str> = seen.into_iter().collect();
    // A few by hand, so a wrong table cannot hide them.
    for (name, number) in [
        ("so/reuseaddr", "2"),
        ("tcp/nodelay", "1"),
        ("ipproto/tcp", "6"),
        ("af/inet6", "10"),
        ("sol/socket", "1"),
        // The Linux equivalents.
        ("tcp/nopush", "3"),
        ("tcp/keepalive", "4"),
        ("ip/recvretopts", "7"),
        ("tcp/noopt", "absent"),
    ] {
        assert_eq!(seen.get(name).copied(), Some(number), "{name}\n{all}");
    }
    assert_eq!(
        after(&stdout, "get so/useloopback: ", &all),
        "unsupported/option-not-supported"
    );
}
