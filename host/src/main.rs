//! `wasock run [OPTIONS] <COMPONENT.wasm> [ARGS]...`: runs a wasm32-wasip2
//! command component with BSD sockets under a deny-by-default policy.
//! See `wasock run --help` and [`wasock_host::cli`].

fn main() {
    std::process::exit(wasock_host::cli::main());
}
