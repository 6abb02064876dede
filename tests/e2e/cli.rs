//! The `wasock` command line: bad grants and unknown flags exit 2 naming
//! what is wrong, wasmtime's spellings wasock serves work, exit codes and
//! traps, guest arguments, `--env` and `--dir`, the compilation cache, a
//! file that is not a component (a native executable or a core module
//! named as such), and `--help`.
//!
//! Run: `cargo test -p wasock-host --test e2e cli::`

use wasock_tests::{TempDir, Wasock, guest, output_text, stderr, stdout};

use crate::WASOCK;
use crate::common::{TIMEOUT, line_starting, run};

#[test]
fn malformed_grant_exits_2_naming_the_bad_part() {
    let cases: [(&str, &str, &str); 5] = [
        ("--allow-connect", "10.0.0.1:99999", "port `99999`"),
        ("--allow-connect", "::1:80", "must be in brackets"),
        ("--allow-bind", "10.0.0.0/33:80", "prefix `/33`"),
        (
            "--allow-bind",
            "localhost:80",
            "`localhost` is not an IP address",
        ),
        (
            "--allow-unix",
            "/nonexistent/wasock-e2e-dir",
            "HOST_DIR `/nonexistent/wasock-e2e-dir`",
        ),
    ];
    for (flag, value, part) in cases {
        let output = run(&[flag, value], "policy_exit", &["0"]);
        assert_eq!(
            output.status.code(),
            Some(2),
            "{flag} {value}\n{}",
            output_text(&output)
        );
        assert!(
            stderr(&output).contains(part),
            "{flag} {value}: no {part:?}\n{}",
            output_text(&output)
        );
        assert!(
            !stdout(&output).contains("exiting"),
            "the guest ran despite {flag} {value}"
        );
    }
}

/// Unknown flags are usage errors naming the flag (not a component path);
/// wasmtime's spellings wasock serves work, the others are refused by
/// name; `wasock --version` prints the version.
#[test]
fn unknown_flags_exit_2_and_wasmtime_spellings_work() {
    for (flags, named) in [
        (&["--bogus"][..], "--bogus"),
        (&["--version"][..], "--version"),
        (&["-S", "http"][..], "-S http"),
        (&["-W", "fuel=1"][..], "-W fuel"),
    ] {
        let output = run(flags, "policy_exit", &["0"]);
        assert_eq!(
            output.status.code(),
            Some(2),
            "{flags:?}\n{}",
            output_text(&output)
        );
        assert!(
            stderr(&output).contains(named),
            "{flags:?}: no {named:?}\n{}",
            output_text(&output)
        );
        assert!(
            !stderr(&output).contains("cannot read component"),
            "{flags:?}"
        );
    }
    // -S inherit-network and -W max-memory-size as wasmtime spells them:
    // the guest runs.
    let output = run(
        &[
            "-S",
            "inherit-network,allow-ip-name-lookup",
            "-W",
            "max-memory-size=64M",
        ],
        "policy_exit",
        &["0"],
    );
    assert_eq!(output.status.code(), Some(0), "{}", output_text(&output));
    let version = std::process::Command::new(WASOCK)
        .arg("--version")
        .output()
        .expect("wasock --version");
    assert!(version.status.success());
    assert!(
        String::from_utf8_lossy(&version.stdout).starts_with("wasock "),
        "{}",
        output_text(&version)
    );
}

#[test]
fn guest_exit_code_propagates() {
    let output = run(&[], "policy_exit", &["0"]);
    assert_eq!(output.status.code(), Some(0), "{}", output_text(&output));
    let output = run(&[], "policy_exit", &["3"]);
    // WASI 0.2's `exit` carries success or failure (Rust's std reports any
    // non-zero code as failure, 1); `exit-with-code` would carry the 3.
    let code = output.status.code();
    assert!(
        code == Some(1) || code == Some(3),
        "{}",
        output_text(&output)
    );
    assert!(stdout(&output).contains("exiting with 3"));
}

#[test]
fn trapping_guest_exits_non_zero_with_the_trap() {
    let output = run(&[], "policy_trap", &[]);
    assert_eq!(output.status.code(), Some(134), "{}", output_text(&output));
    let err = stderr(&output);
    assert!(
        err.contains("policy_trap: deliberate panic"),
        "{}",
        output_text(&output)
    );
    assert!(
        err.contains("wasock: guest trapped"),
        "{}",
        output_text(&output)
    );
    assert!(err.contains("wasm trap"), "{}", output_text(&output));
}

#[test]
fn guest_arguments_follow_the_component() {
    // Flags after the component are the guest's, not wasock's.
    let output = run(&[], "policy_exit", &["0", "--allow-raw", "--max-sockets"]);
    assert_eq!(output.status.code(), Some(0), "{}", output_text(&output));
}

#[test]
fn env_and_dir_flags_reach_the_guest() {
    let dir = TempDir::new("dir");
    std::fs::write(dir.join("hello.txt"), "hello from the host\n").expect("write");
    let preopen = format!("{}::/data", dir.as_str());
    let output = Wasock::new(WASOCK, guest("policy_env_dir"))
        .flag("--env")
        .flag("GREETING=hi there")
        .flag("--dir")
        .flag(&preopen)
        .arg("GREETING")
        .arg("/data")
        .run(TIMEOUT);
    assert_eq!(
        line_starting(&output, "env "),
        "env GREETING=hi there",
        "{}",
        output_text(&output)
    );
    assert_eq!(line_starting(&output, "file "), "file hello from the host");
    // NAME alone inherits the host's value; nothing else is inherited.
    let output = Wasock::new(WASOCK, guest("policy_env_dir"))
        .host_env("WASOCK_E2E_INHERITED", "from-host")
        .flag("--env")
        .flag("WASOCK_E2E_INHERITED")
        .arg("WASOCK_E2E_INHERITED")
        .arg("/data")
        .run(TIMEOUT);
    assert_eq!(
        line_starting(&output, "env "),
        "env WASOCK_E2E_INHERITED=from-host"
    );
    assert!(
        line_starting(&output, "file ").starts_with("file error"),
        "no --dir, no file"
    );
    let output = Wasock::new(WASOCK, guest("policy_env_dir"))
        .host_env("WASOCK_E2E_INHERITED", "from-host")
        .arg("WASOCK_E2E_INHERITED")
        .arg("/data")
        .run(TIMEOUT);
    assert_eq!(
        line_starting(&output, "env "),
        "env WASOCK_E2E_INHERITED unset"
    );
}

#[test]
fn second_start_does_not_compile_again() {
    let cache = TempDir::new("cache");
    let start = |label: &str| {
        let output = run(
            &["--cache-dir", cache.as_str(), "--timings"],
            "policy_exit",
            &["0"],
        );
        assert!(output.status.success(), "{label}\n{}", output_text(&output));
        stderr(&output)
    };
    let first = start("first start");
    assert!(
        first.contains("(disk cache: 0 hits, 1 misses)"),
        "the first start compiles:\n{first}"
    );
    let second = start("second start");
    assert!(
        second.contains("(disk cache: 1 hits, 0 misses)"),
        "the second start compiled again:\n{second}"
    );
}

#[test]
fn a_file_that_is_not_a_component_exits_1_naming_it() {
    let dir = TempDir::new("not-a-component");
    let path = dir.join("garbage.wasm");
    std::fs::write(&path, b"this is not wasm").expect("write");
    let output = Wasock::new(WASOCK, &path).run(TIMEOUT);
    assert_eq!(output.status.code(), Some(1), "{}", output_text(&output));
    let err = stderr(&output);
    assert!(
        err.contains("wasock: error: cannot load component") && err.contains("garbage.wasm"),
        "{err}"
    );
    let missing = dir.join("missing.wasm");
    let output = Wasock::new(WASOCK, &missing).run(TIMEOUT);
    assert_eq!(output.status.code(), Some(1), "{}", output_text(&output));
    assert!(
        stderr(&output).contains("cannot read component"),
        "{}",
        output_text(&output)
    );
}

/// A program built for the wrong target (a native executable: this test's
/// own binary, or a core module as wasm32-wasip1 makes) exits 1 with one
/// line saying what it is and what to build instead, not wasmtime's
/// "magic header not detected" with escaped newlines.
#[test]
fn a_native_executable_or_core_module_says_build_for_wasm32_wasip2() {
    let dir = TempDir::new("wrong-target");
    let core = dir.join("core.wasm");
    std::fs::write(&core, b"\0asm\x01\0\0\0").expect("write");
    let native = std::env::current_exe().expect("the test binary");
    for (path, what) in [
        (native.as_path(), "a native executable (ELF)"),
        (core.as_path(), "a core WebAssembly module"),
    ] {
        let output = Wasock::new(WASOCK, path).run(TIMEOUT);
        assert_eq!(output.status.code(), Some(1), "{}", output_text(&output));
        let err = stderr(&output);
        assert!(
            err.contains("is not a wasm32-wasip2 component: build with `--target wasm32-wasip2`")
                && err.contains(what)
                && !err.contains("magic header")
                && !err.contains("\\n"),
            "{}: {err}",
            path.display()
        );
        assert_eq!(err.lines().count(), 1, "{err}");
    }
}

/// `wasock run --help` through the binary: exit 0, on stdout, and the very
/// text the command line's unit tests check (every flag with a line and
/// an example).
#[test]
fn help_lists_every_flag_with_examples() {
    let output = std::process::Command::new(WASOCK)
        .args(["run", "--help"])
        .output()
        .expect("wasock run --help");
    assert!(output.status.success(), "{}", output_text(&output));
    let mut command = <wasock_host::cli::Cli as clap::CommandFactory>::command();
    command.build();
    let run = command.find_subcommand_mut("run").expect("the run command");
    let checked = run.render_help().to_string();
    assert_eq!(stdout(&output).trim_end(), checked.trim_end());
}
