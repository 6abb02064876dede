//! End-to-end tests: real wasm guests run under the real host (the `wasock`
//! binary, or the host library in-process) against native peers on loopback.
//!
//! One test binary, so each guest is compiled once per run. The modules are
//! by what they test: setting sockets up and down, moving data, options,
//! resolution, constants, readiness, poll sets and ports, the policy and
//! the sandbox, the command line, the runner in-process, hostile guests,
//! faults, the example programs, TLS, the adapter and wasmtime's own socket
//! test programs; what several of them use is in `common`. The tests here
//! check the harness.

use std::time::Duration;
use wasock_tests::{Wasock, guest, output_text};

const WASOCK: &str = env!("CARGO_BIN_EXE_wasock");

mod common;

mod adapter;
mod adapter_p3;
mod async_contract;
mod cli;
mod constants;
mod examples;
mod faults;
mod hostile;
mod listen;
mod options;
mod policy;
mod poll_and_ports;
mod resolve;
mod runner;
mod sandbox;
mod sandbox_p3;
mod setup;
mod tls;
mod transfer;
mod wasi_tls;
mod wasmtime_programs;

/// The harness itself: a guest is built, the binary runs it, output comes back.
#[test]
fn smoke_guest_runs_under_the_binary() {
    let output = Wasock::new(WASOCK, guest("smoke")).run(Duration::from_secs(60));
    assert!(output.status.success(), "{}", output_text(&output));
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        "hello from a wasock guest\n"
    );
}

/// Every guest in `tests/guests` and `examples` is run by some test (or the
/// benchmark): a guest nobody runs is a scenario nobody checks. Looks for
/// the guest's name as a string literal in the test sources.
#[test]
fn every_guest_is_run_by_a_test() {
    let workspace = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut sources = String::new();
    for dir in ["tests/e2e", "host/tests", "host/benches"] {
        let entries = std::fs::read_dir(workspace.join(dir)).expect("test sources");
        for entry in entries.flatten() {
            if entry.path().extension().is_some_and(|ext| ext == "rs") {
                sources.push_str(&std::fs::read_to_string(entry.path()).expect("a test source"));
            }
        }
    }
    let unused: Vec<&str> = wasock_tests::GUESTS
        .iter()
        .map(|(name, _)| *name)
        .filter(|name| !sources.contains(&format!("\"{name}\"")))
        .collect();
    assert!(unused.is_empty(), "guests no test runs: {unused:?}");
}

/// Every end-to-end test the docs name as `module::name` (in backticks or
/// not) is a test of `tests/e2e/MODULE.rs`, and every `tests/e2e/FILE.rs`
/// they name exists; so are the tests the comments of these sources name.
/// A test renamed or moved fails here, not silently in the docs. A path
/// that is no test but names a module or function of the same-named module
/// of the host, the SDK or the adapter (`policy::unix`, a module of the
/// host's policy; `constants::name_of`, a function of the SDK's) is theirs;
/// `module::name` itself is a placeholder, and `module::prefix_...` names
/// the tests that start so.
#[test]
fn every_test_named_in_the_docs_exists() {
    let workspace = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let e2e = workspace.join("tests/e2e");
    let mut modules = std::collections::HashMap::new();
    for entry in std::fs::read_dir(&e2e).expect("tests/e2e").flatten() {
        let path = entry.path();
        let Some(module) = path.file_stem().and_then(|stem| stem.to_str()) else {
            continue;
        };
        if path.extension().is_some_and(|ext| ext == "rs") && module != "main" {
            let source = std::fs::read_to_string(&path).expect("a test source");
            modules.insert(module.to_owned(), source);
        }
    }
    let mut texts = Vec::new();
    for doc in [
        "docs/parity.md",
        "SECURITY.md",
        "RELIABILITY.md",
        "README.md",
        "BENCHMARKS.md",
    ] {
        let text = std::fs::read_to_string(workspace.join(doc)).expect("a doc");
        texts.push((doc.to_owned(), text));
    }
    for (module, source) in &modules {
        let comments: String = source
            .lines()
            .map(|line| match line.trim_start().starts_with("//") {
                true => line,
                false => "",
            })
            .map(|line| format!("{line}\n"))
            .collect();
        texts.push((format!("tests/e2e/{module}.rs"), comments));
    }
    let mut stale = Vec::new();
    for (file, text) in &texts {
        for (number, line) in text.lines().enumerate() {
            let place = format!("{file}:{}", number + 1);
            for (module, name, prefix) in paths_in(line) {
                let Some(source) = modules.get(module) else {
                    continue;
                };
                if name == "name" {
                    continue;
                }
                // `module::sub` may name a submodule of the tests
                // (`tests/e2e/adapter/jco.rs`).
                let submodule = e2e.join(module).join(format!("{name}.rs")).is_file();
                if !is_test(source, name, prefix)
                    && !submodule
                    && !in_a_crate(&workspace, module, name)
                {
                    stale.push(format!("{place}: `{module}::{name}`"));
                }
            }
            for (at, _) in line.match_indices("tests/e2e/") {
                let rest = &line[at + "tests/e2e/".len()..];
                let stem: String = rest.chars().take_while(|c| is_ident(*c)).collect();
                if !stem.is_empty()
                    && rest[stem.len()..].starts_with(".rs")
                    && !e2e.join(format!("{stem}.rs")).is_file()
                {
                    stale.push(format!("{place}: tests/e2e/{stem}.rs"));
                }
            }
        }
    }
    assert!(
        stale.is_empty(),
        "named, but no such end-to-end test or file:\n{}",
        stale.join("\n")
    );
}

/// Whether `module` of the host, the SDK or the adapter (`CRATE/src/MODULE`)
/// has a module or a function `name`.
fn in_a_crate(workspace: &std::path::Path, module: &str, name: &str) -> bool {
    ["host", "guest-sdk", "adapter"].iter().any(|krate| {
        let dir = workspace.join(krate).join("src").join(module);
        let mut files = vec![dir.with_extension("rs")];
        if let Ok(entries) = std::fs::read_dir(&dir) {
            files.extend(entries.flatten().map(|entry| entry.path()));
        }
        dir.join(name).is_dir()
            || files.iter().any(|file| {
                let source = std::fs::read_to_string(file).unwrap_or_default();
                file.file_stem().is_some_and(|stem| stem == name)
                    || [
                        format!("fn {name}("),
                        format!("fn {name}<"),
                        format!("mod {name}"),
                    ]
                    .iter()
                    .any(|item| source.contains(item.as_str()))
            })
    })
}

fn is_ident(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// The `module::name` paths of two parts in `line` (not part of a longer
/// path), `name` lower case; with whether `name` is a prefix (`...` follows).
fn paths_in(line: &str) -> Vec<(&str, &str, bool)> {
    let mut paths = Vec::new();
    for (at, _) in line.match_indices("::") {
        let before = &line[..at];
        let after = &line[at + 2..];
        let module_start = before
            .char_indices()
            .rev()
            .take_while(|(_, c)| is_ident(*c))
            .last()
            .map_or(at, |(index, _)| index);
        let module = &before[module_start..];
        let name_end = after.find(|c| !is_ident(c)).unwrap_or(after.len());
        let name = &after[..name_end];
        let longer = before[..module_start].ends_with(':') || after[name_end..].starts_with(':');
        if !module.is_empty()
            && name.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
            && !longer
        {
            paths.push((module, name, after[name_end..].starts_with("...")));
        }
    }
    paths
}

/// Whether `source` has a test function `name` (`#[test]` or
/// `#[tokio::test]` among the lines above its `fn`), or, for a `prefix`,
/// one whose name starts with `name`.
fn is_test(source: &str, name: &str, prefix: bool) -> bool {
    let lines: Vec<&str> = source.lines().collect();
    lines.iter().enumerate().any(|(index, line)| {
        let line = line.trim_start();
        let line = line.strip_prefix("async ").unwrap_or(line);
        let Some(function) = line.strip_prefix("fn ") else {
            return false;
        };
        let function = &function[..function.find('(').unwrap_or(function.len())];
        (function == name || prefix && function.starts_with(name))
            && lines[..index]
                .iter()
                .rev()
                .map(|line| line.trim_start())
                .take_while(|line| line.starts_with("#[") || line.starts_with("//"))
                .any(|line| line.starts_with("#[test]") || line.starts_with("#[tokio::test"))
    })
}
