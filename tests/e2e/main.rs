//! End-to-end tests: real wasm guests run under the real host (the `wasock`
//! binary, or the host library in-process) against native peers on loopback.
//!
//! One test binary, so each guest is compiled once per run; each concern is
//! one module, owned by the work that delivers it.

use std::time::Duration;
use wasock_tests::{Wasock, guest, output_text};

const WASOCK: &str = env!("CARGO_BIN_EXE_wasock");

mod adapter;
mod examples;
mod faults;
mod host_ops;
mod hostile;
mod policy;
mod poll_set;
mod sandbox;
mod sdk;
mod spec;

/// The harness itself: a guest is built, the binary runs it, output comes back.
#[test]
fn smoke_guest_runs_under_the_binary() {
    let output = Wasock::new(WASOCK, guest("smoke")).run(Duration::from_secs(60));
    assert!(output.status.success(), "{}", output_text(&output));
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        "hello from a wasock guest\n"
    );
}

/// Every guest in `tests/guests` and `examples` is run by some test (or the
/// benchmark): a guest nobody runs is a scenario nobody checks. Looks for
/// the guest's name as a string literal in the test sources.
#[test]
fn every_guest_is_run_by_a_test() {
    let workspace = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut sources = String::new();
    for dir in ["tests/e2e", "host/tests", "host/benches"] {
        let entries = std::fs::read_dir(workspace.join(dir)).expect("test sources");
        for entry in entries.flatten() {
            if entry.path().extension().is_some_and(|ext| ext == "rs") {
                sources.push_str(&std::fs::read_to_string(entry.path()).expect("a test source"));
            }
        }
    }
    let unused: Vec<&str> = wasock_tests::GUESTS
        .iter()
        .map(|(name, _)| *name)
        .filter(|name| !sources.contains(&format!("\"{name}\"")))
        .collect();
    assert!(unused.is_empty(), "guests no test runs: {unused:?}");
}
