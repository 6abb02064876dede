//! Builds every guest program (the bins of `wasock-examples`,
//! `wasock-test-guests` and `wasmtime-socket-programs`) for `wasm32-wasip2`,
//! and the examples a second time with their `p3` feature (`NAME@p3`),
//! once per build of this crate, with a nested `cargo build` into its own
//! target directory (the outer build holds the lock on the main one), and
//! writes `guests.rs` into `OUT_DIR`: one `(name, path)` entry per guest.

use std::env;
use std::fs;
use std::path::{Path, PathBuf};

include!("../build-support/wasm_build.rs");

const GUEST_PACKAGES: &[(&str, &str)] = &[
    ("wasock-examples", "examples"),
    ("wasock-test-guests", "tests/guests"),
    ("wasock-test-guests-p3", "tests/guests-p3"),
    ("wasmtime-socket-programs", "tests/wasmtime-programs"),
];

/// The test guests also built with the SDK's `p3` feature (the others
/// use what only the WASI 0.2 build has: `AsyncSocket::socket`, TLS,
/// wstd's executor).
const P3_TEST_GUESTS: [&str; 2] = ["poll_set_async", "poll_set_async_duplex"];

/// The WASI 0.3 guest (of `wasock-test-guests-p3`) that needs the SDK's
/// `p3` build: built only there (its `required-features`).
const SDK_P3_GUEST: &str = "sdk_mixed";

/// Their cargo arguments: the feature, and only those bins.
const P3_TEST_GUESTS_ARGS: [&str; 6] = [
    "--features",
    "wasock-test-guests/p3",
    "--bin",
    P3_TEST_GUESTS[0],
    "--bin",
    P3_TEST_GUESTS[1],
];

fn main() {
    let manifest_dir =
        PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"));
    let workspace = manifest_dir
        .parent()
        .expect("tests/ lives in the workspace")
        .to_path_buf();
    let out_dir = PathBuf::from(env::var_os("OUT_DIR").expect("OUT_DIR"));
    let target_dir = match env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => PathBuf::from(dir).join("guests"),
        None => workspace.join("target").join("guests"),
    };

    for watched in [
        "wit",
        "wit-async",
        "guest-sdk",
        "examples",
        "tests/guests",
        "tests/guests-p3",
        "tests/wasmtime-programs",
        "Cargo.lock",
    ] {
        println!(
            "cargo:rerun-if-changed={}",
            workspace.join(watched).display()
        );
    }

    ensure_wasm_target();

    let packages: Vec<&str> = GUEST_PACKAGES.iter().map(|(package, _)| *package).collect();
    build_for_wasm(
        &workspace,
        &target_dir,
        &packages,
        "the wasm guests",
        &[],
        &[],
    );
    // The examples again, built for WASI 0.3 (the SDK's `p3` feature), into
    // a target directory of their own (other features, the same names):
    // the guests `NAME@p3`.
    let p3_dir = target_dir.join("p3");
    build_for_wasm(
        &workspace,
        &p3_dir,
        &["wasock-examples"],
        "the examples for WASI 0.3",
        &[],
        &["--features", "wasock-examples/p3"],
    );
    build_for_wasm(
        &workspace,
        &p3_dir,
        &["wasock-test-guests"],
        "the async SDK's test guests for WASI 0.3",
        &[],
        &P3_TEST_GUESTS_ARGS,
    );
    build_for_wasm(
        &workspace,
        &p3_dir,
        &["wasock-test-guests-p3"],
        "the WASI 0.3 guests on the SDK's `p3` build",
        &[],
        &[
            "--features",
            "wasock-test-guests-p3/sdk-p3",
            "--bin",
            SDK_P3_GUEST,
        ],
    );

    let wasm_dir = target_dir.join("wasm32-wasip2").join("release");
    let mut guests = Vec::new();
    for (_, dir) in GUEST_PACKAGES {
        for name in bin_names(&workspace.join(dir).join("src").join("bin")) {
            if name == SDK_P3_GUEST {
                continue;
            }
            let path = wasm_dir.join(format!("{name}.wasm"));
            assert!(
                path.exists(),
                "guest {name} was not built at {}",
                path.display()
            );
            guests.push((name, path));
        }
    }
    let p3_wasm_dir = p3_dir.join("wasm32-wasip2").join("release");
    for name in bin_names(&workspace.join("examples").join("src").join("bin")) {
        let path = p3_wasm_dir.join(format!("{name}.wasm"));
        assert!(
            path.exists(),
            "example {name} was not built for WASI 0.3 at {}",
            path.display()
        );
        guests.push((format!("{name}@p3"), path));
    }
    guests.push((
        SDK_P3_GUEST.to_owned(),
        p3_wasm_dir.join(format!("{SDK_P3_GUEST}.wasm")),
    ));
    for name in P3_TEST_GUESTS {
        guests.push((
            format!("{name}@p3"),
            p3_wasm_dir.join(format!("{name}.wasm")),
        ));
    }
    guests.sort();

    let mut code = String::from(
        "/// Every guest: (bin name, path of its .wasm).\npub const GUESTS: &[(&str, &str)] = &[\n",
    );
    for (name, path) in &guests {
        code.push_str(&format!(
            "    ({name:?}, {:?}),\n",
            path.display().to_string()
        ));
    }
    code.push_str("];\n");
    fs::write(out_dir.join("guests.rs"), code).expect("writing guests.rs");
}

/// The bin targets cargo finds by itself: `src/bin/NAME.rs` and
/// `src/bin/NAME/main.rs`.
fn bin_names(bin_dir: &Path) -> Vec<String> {
    let Ok(entries) = fs::read_dir(bin_dir) else {
        return Vec::new();
    };
    let mut names = Vec::new();
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() && path.join("main.rs").exists() {
            names.push(entry.file_name().to_string_lossy().into_owned());
        } else if path.extension().is_some_and(|ext| ext == "rs")
            && let Some(stem) = path.file_stem()
        {
            names.push(stem.to_string_lossy().into_owned());
        }
    }
    names
}
