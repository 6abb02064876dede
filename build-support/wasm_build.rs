// Shared by the build scripts that build wasm components (`host/build.rs`
// for the adapter, `tests/build.rs` for the guests), through `include!`:
// the target's presence, and the nested `cargo build` for it.
//
// rustup installs a `rust-toolchain.toml` target only when it installs the
// toolchain itself: on a machine that already has Rust 1.95.0 without
// `wasm32-wasip2`, a nested `cargo build --target wasm32-wasip2` would fail
// minutes later with "can't find crate for `core`". So the target is added
// here, once, when it is missing (rustup is there wherever the pinned
// toolchain is), and where it cannot be, the build stops at once naming the
// command to run.

/// Makes sure the standard library for `wasm32-wasip2` is installed for the
/// toolchain running this build, adding it with rustup if not.
fn ensure_wasm_target() {
    const TARGET: &str = "wasm32-wasip2";
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let sysroot = std::process::Command::new(&rustc)
        .args(["--print", "sysroot"])
        .output()
        .ok()
        .filter(|output| output.status.success())
        .map(|output| {
            std::path::PathBuf::from(String::from_utf8_lossy(&output.stdout).trim())
        });
    // Where the sysroot cannot be asked for, the nested build reports it.
    let Some(sysroot) = sysroot else { return };
    let installed = || sysroot.join("lib").join("rustlib").join(TARGET).join("lib").is_dir();
    if installed() {
        return;
    }
    // Two build scripts may get here at once: one adds, the other waits.
    let lock_path = std::env::temp_dir().join("wasock-rustup-target-add.lock");
    let lock = std::fs::File::create(&lock_path).ok();
    if let Some(lock) = &lock {
        let _ = lock.lock();
    }
    if !installed() {
        let mut add = std::process::Command::new("rustup");
        add.args(["target", "add", TARGET]);
        // The toolchain this build runs on (cargo under rustup sets it).
        if let Some(toolchain) = std::env::var_os("RUSTUP_TOOLCHAIN") {
            add.arg("--toolchain").arg(toolchain);
        }
        match add.output() {
            Ok(output) if output.status.success() && installed() => {
                println!(
                    "cargo:warning=the {TARGET} target was missing: added it with `rustup target add {TARGET}`"
                );
            }
            Ok(output) => panic!(
                "the {TARGET} target is not installed for this toolchain ({}), and `rustup target add {TARGET}` failed:\n{}\nrun `rustup target add {TARGET}` and build again",
                sysroot.display(),
                String::from_utf8_lossy(&output.stderr)
            ),
            Err(error) => panic!(
                "the {TARGET} target is not installed for this toolchain ({}), and rustup could not be run ({error}): install the standard library for {TARGET} (with rustup: `rustup target add {TARGET}`) and build again",
                sysroot.display()
            ),
        }
    }
    if let Some(lock) = &lock {
        let _ = lock.unlock();
    }
}

/// Builds `packages` for `wasm32-wasip2` in release with a nested `cargo
/// build` into `target_dir` (the outer build holds the lock on the main
/// target dir), with `envs` set; panics with cargo's output when it fails.
/// The outer build's settings (flags, target, jobserver) are for the host,
/// so they are not passed on.
fn build_for_wasm(
    workspace: &std::path::Path,
    target_dir: &std::path::Path,
    packages: &[&str],
    what: &str,
    envs: &[(&str, &str)],
    args: &[&str],
) {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut build = std::process::Command::new(cargo);
    build
        .current_dir(workspace)
        .args(["build", "--release", "--target", "wasm32-wasip2", "--target-dir"])
        .arg(target_dir);
    for package in packages {
        build.args(["-p", package]);
    }
    build.args(args);
    for (name, value) in envs {
        build.env(name, value);
    }
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
        .unwrap_or_else(|error| panic!("running the nested cargo build of {what}: {error}"));
    if !output.status.success() {
        panic!(
            "building {what} for wasm32-wasip2 failed ({}):\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
    }
}
