//! Builds the wasock adapter component (crate `wasock-adapter`, `adapter/`)
//! for `wasm32-wasip2` once per build of this crate, with a nested `cargo
//! build` into its own target directory (the outer build holds the lock on
//! the main one), and copies it to `OUT_DIR/wasock_adapter.wasm`, where
//! the `adapt` module embeds it: `wasock adapt` composes it into guests.

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

    for watched in ["adapter", "wit", "host/src/constants.rs", "Cargo.lock"] {
        println!(
            "cargo:rerun-if-changed={}",
            workspace.join(watched).display()
        );
    }

    ensure_wasm_target();

    // What is embedded into every adapted guest carries no debug info.
    build_for_wasm(
        &workspace,
        &target_dir,
        &["wasock-adapter"],
        "the wasock adapter",
        &[("CARGO_PROFILE_RELEASE_DEBUG", "false")],
        &[],
    );

    let built = target_dir
        .join(TARGET)
        .join("release")
        .join("wasock_adapter.wasm");
    copy(&built, &out_dir.join("wasock_adapter.wasm"));
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
