//! Builds the wasock adapter component (crate `wasock-adapter`, `adapter/`)
//! for `wasm32-wasip2` once per build of this crate, with a nested `cargo
//! build` into its own target directory (the outer build holds the lock on
//! the main one), and copies it to `OUT_DIR/wasock_adapter.wasm`, where
//! `src/adapt.rs` embeds it: `wasock adapt` composes it into guests.

use std::env;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

const TARGET: &str = "wasm32-wasip2";

include!("../build-support/wasm_target.rs");

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

    let cargo = env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut build = Command::new(cargo);
    build
        .current_dir(&workspace)
        .args([
            "build",
            "--release",
            "--target",
            TARGET,
            "-p",
            "wasock-adapter",
        ])
        .arg("--target-dir")
        .arg(&target_dir)
        // What is embedded into every adapted guest carries no debug info.
        .env("CARGO_PROFILE_RELEASE_DEBUG", "false");
    // The outer build's settings are for the host target, not for the adapter.
    for var in [
        "CARGO_ENCODED_RUSTFLAGS",
        "RUSTFLAGS",
        "CARGO_BUILD_TARGET",
        "CARGO_TARGET_DIR",
        "CARGO_BUILD_RUSTFLAGS",
        "CARGO_MAKEFLAGS",
        "MAKEFLAGS",
        "MFLAGS",
        "RUSTC_WORKSPACE_WRAPPER",
    ] {
        build.env_remove(var);
    }
    let output = build
        .output()
        .expect("running the nested cargo build of the adapter");
    if !output.status.success() {
        panic!(
            "building the wasock adapter for {TARGET} failed ({}):\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
    }

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
