//! `wasock run [OPTIONS] <COMPONENT.wasm> [ARGS]...`: runs a wasm32-wasip2
//! command component with BSD sockets under a deny-by-default policy.
//! See `wasock run --help`.

// The runner and the command line live in `run.rs` and `cli.rs`, written
// against `crate::{policy, WasockCtx, ...}` so that they compile both here
// and as `wasock_host::{run, cli}` once the library lists them.
pub use wasock_host::{WasockCtx, WasockCtxView, WasockView, add_to_linker, policy};

#[allow(dead_code)]
mod cli;
#[allow(dead_code)]
mod run;

fn main() {
    std::process::exit(cli::main());
}
