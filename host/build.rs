//! Builds the wasock adapter components for `wasm32-wasip2` once per build
//! of this crate, with nested `cargo build`s into their own target
//! directory (the outer build holds the lock on the main one), and copies
//! them to `OUT_DIR`, where the `adapt` module embeds them: `wasock adapt`
//! composes them into guests.
//!
//! - `wasock-adapter` (`adapter/`, `wasock:socket@0.1.0` over WASI 0.2):
//!   `OUT_DIR/wasock_adapter.wasm`;
//! - `wasock-adapter-p3` (`adapter-p3/`, `wasock:socket@0.2.0` over WASI
//!   0.3): `OUT_DIR/wasock_adapter_p3.wasm`.
//!
//! Each is its own `cargo build`: built together, cargo would unify their
//! `wit-bindgen` features, and the WASI 0.2 adapter would carry the async
//! runtime it does not use.

use std::env;
use std::fs;
use std::path::{Path, PathBuf};

const TARGET: &str = "wasm32-wasip2";

include!("../build-support/wasm_build.rs");

fn main() {
    let manifest_dir =
        PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"));
    let workspace = manifest_dir
        .parent()
        .expect("host/ lives in the workspace")
        .to_path_buf();
    let out_dir = PathBuf::from(env::var_os("OUT_DIR").expect("OUT_DIR"));
    let target_dir = match env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => PathBuf::from(dir).join("adapter"),
        None => workspace.join("target").join("adapter"),
    };

    for watched in [
        "adapter",
        "adapter-p3",
        "wit",
        "wit-async",
        "tests/wasmtime-programs/wit/p3/deps",
        "host/src/constants.rs",
        "Cargo.lock",
    ] {
        println!(
            "cargo:rerun-if-changed={}",
            workspace.join(watched).display()
        );
    }

    ensure_wasm_target();

    for (package, what, file) in [
        (
            "wasock-adapter",
            "the wasock adapter",
            "wasock_adapter.wasm",
        ),
        (
            "wasock-adapter-p3",
            "the wasock adapter for WASI 0.3",
            "wasock_adapter_p3.wasm",
        ),
    ] {
        // What is embedded into every adapted guest carries no debug info.
        build_for_wasm(
            &workspace,
            &target_dir,
            &[package],
            what,
            &[("CARGO_PROFILE_RELEASE_DEBUG", "false")],
            &[],
        );
        let built = target_dir.join(TARGET).join("release").join(file);
        copy(&built, &out_dir.join(file));
    }
}

fn copy(from: &Path, to: &Path) {
    if let Err(error) = fs::copy(from, to) {
        panic!(
            "copying the built adapter {} to {}: {error}",
            from.display(),
            to.display()
        );
    }
}
