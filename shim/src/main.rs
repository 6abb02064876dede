//! `containerd-shim-wasock-v1`: containerd's runtime `io.containerd.wasock.v1`.

use containerd_shim_wasm::shim::Cli as _;
use containerd_shim_wasock::WasockShim;

fn main() {
    // containerd runs `... start` in the container's bundle directory, once
    // a container: that is where its annotations become its grants.
    if std::env::args().next_back().as_deref() == Some("start")
        && let Err(error) = containerd_shim_wasock::bundle::stamp(std::path::Path::new("."))
    {
        eprintln!("containerd-shim-wasock: {error}");
        std::process::exit(1);
    }
    WasockShim::run(None);
}
