//! End-to-end tests: real wasm guests run under the real host (the `wasock`
//! binary, or the host library in-process) against native peers on loopback.
//!
//! One test binary, so each guest is compiled once per run; each concern is
//! one module, owned by the work that delivers it.
