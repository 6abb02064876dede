//! End-to-end tests: real wasm guests run under the real host (the `wasock`
//! binary, or the host library in-process) against native peers on loopback.
//!
//! One test binary, so each guest is compiled once per run; each concern is
//! one module, owned by the work that delivers it.

use std::time::Duration;
use wasock_tests::{guest, output_text, Wasock};

const WASOCK: &str = env!("CARGO_BIN_EXE_wasock");

mod sdk;

/// The harness itself: a guest is built, the binary runs it, output comes back.
#[test]
fn smoke_guest_runs_under_the_binary() {
    let output = Wasock::new(WASOCK, guest("smoke")).run(Duration::from_secs(60));
    assert!(output.status.success(), "{}", output_text(&output));
    assert_eq!(String::from_utf8_lossy(&output.stdout), "hello from a wasock guest\n");
}
mod policy;
mod host_ops;
mod examples;
mod hostile;
mod faults;
mod spec;
