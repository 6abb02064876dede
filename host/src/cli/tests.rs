//! The command line's parsing: every flag, its errors, wasmtime's spellings.

use super::*;

fn parse(args: &[&str]) -> Result<RunArgs, clap::Error> {
    let mut argv = vec!["wasock", "run"];
    argv.extend_from_slice(args);
    Cli::try_parse_from(argv).map(|cli| match cli.command {
        CliCommand::Run(args) => args,
        CliCommand::Adapt(_) => unreachable!("parsed `run`"),
    })
}

#[test]
fn unknown_flags_are_usage_errors_naming_the_flag() {
    for flag in ["--bogus", "--version", "-x", "--fuel"] {
        let error = parse(&[flag, "g.wasm"]).unwrap_err();
        assert_eq!(error.exit_code(), USAGE_EXIT_CODE, "{flag}");
        assert!(error.to_string().contains(flag), "{flag}: {error}");
    }
    // `wasock --version` itself prints the version.
    let version = Cli::try_parse_from(["wasock", "--version"]).unwrap_err();
    assert_eq!(version.kind(), clap::error::ErrorKind::DisplayVersion);
}

#[test]
fn wasmtime_spellings() {
    let args = parse(&["-S", "inherit-network", "g.wasm"]).unwrap();
    assert!(args.policy().unwrap().inherits_network());
    let args = parse(&["-S", "allow-ip-name-lookup,tcp,udp=y", "g.wasm"]).unwrap();
    let policy = args.policy().unwrap();
    assert!(policy.dns_allowed());
    assert!(!policy.inherits_network());
    let args = parse(&["-S", "inherit-network=n", "g.wasm"]).unwrap();
    assert!(!args.policy().unwrap().inherits_network());
    let args = parse(&["-W", "max-memory-size=1048576", "g.wasm"]).unwrap();
    assert_eq!(args.policy().unwrap().max_memory(), 1 << 20);
    let args = parse(&["--max-memory", "8M", "-W", "max-memory-size=2M", "g.wasm"]).unwrap();
    assert_eq!(args.max_memory(), 2 << 20);
    for (flag, value, named) in [
        ("-S", "http", "-S http"),
        ("-S", "tcp=n", "-S tcp=n"),
        ("-S", "inherit-network=maybe", "inherit-network=maybe"),
        ("-W", "fuel=10", "-W fuel"),
        ("-W", "max-memory-size=lots", "lots"),
        ("-S", "p3=later", "-S p3=later"),
        (
            "-W",
            "component-model-async=soon",
            "-W component-model-async=soon",
        ),
    ] {
        let error = parse(&[flag, value, "g.wasm"]).unwrap_err();
        assert_eq!(error.exit_code(), USAGE_EXIT_CODE, "{flag} {value}");
        assert!(error.to_string().contains(named), "{flag} {value}: {error}");
    }
}

/// WASI 0.3 and the component model's async are on unless switched off,
/// the last of each flag winning, as in wasmtime 48.
#[test]
fn wasi_p3_and_component_model_async() {
    let config = parse(&["g.wasm"]).unwrap().runner_config();
    assert!(config.wasi_p3 && config.component_model_async);
    let config = parse(&["-S", "p3=n", "g.wasm"]).unwrap().runner_config();
    assert!(!config.wasi_p3 && config.component_model_async);
    let config = parse(&["-S", "p3=n,p3", "g.wasm"]).unwrap().runner_config();
    assert!(config.wasi_p3);
    let config = parse(&[
        "-W",
        "component-model-async=n",
        "-W",
        "max-memory-size=2M",
        "g.wasm",
    ])
    .unwrap();
    assert_eq!(config.max_memory(), 2 << 20);
    let config = config.runner_config();
    assert!(config.wasi_p3 && !config.component_model_async);
    // They are engine settings, not grants: the policy is the same.
    let policy = parse(&["-S", "p3=n", "g.wasm"]).unwrap().policy().unwrap();
    assert!(!policy.inherits_network() && !policy.dns_allowed());
}

#[test]
fn cli_definition_is_valid() {
    Cli::command().debug_assert();
}

#[test]
fn every_grant_flag() {
    let dir = std::env::temp_dir();
    let unix = format!("{}::/run", dir.display());
    let args = parse(&[
        "--allow-connect",
        "127.0.0.1:80",
        "--allow-connect",
        "[::1]:*",
        "--allow-bind",
        "0.0.0.0:8000-8099",
        "--allow-dns",
        "--allow-unix",
        &unix,
        "--allow-raw",
        "--allow-multicast",
        "239.1.0.0/16",
        "--inherit-network",
        "--max-sockets",
        "7",
        "--max-memory",
        "64M",
        "guest.wasm",
    ])
    .unwrap();
    assert_eq!(args.allow_connect.len(), 2);
    assert_eq!(args.allow_bind[0].ports.low, 8000);
    assert!(args.allow_dns && args.allow_raw && args.inherit_network);
    assert_eq!(args.max_sockets, 7);
    let policy = args.policy().unwrap();
    assert_eq!(policy.max_sockets(), 7);
    assert_eq!(policy.max_memory(), 64 << 20);
    assert!(policy.raw_allowed());
    assert!(policy.unix_bind("/run/x.sock").is_ok());
}

/// `--listen` is repeatable, IPv6 in brackets, a numeric address only; it
/// grants nothing: no bind grant, no capability kept for it.
#[test]
fn listen_flags_grant_nothing() {
    let args = parse(&[
        "--listen",
        "127.0.0.1:80",
        "--listen",
        "[::1]:443",
        "guest.wasm",
    ])
    .unwrap();
    let expected: [std::net::SocketAddr; 2] = [
        "127.0.0.1:80".parse().unwrap(),
        "[::1]:443".parse().unwrap(),
    ];
    assert_eq!(args.listen, expected);
    let policy = args.policy().unwrap();
    assert!(policy.bind_grants().is_empty());
    assert!(crate::privileges::needed(&policy, false).is_empty());
    assert!(parse(&["--listen", "localhost:80", "guest.wasm"]).is_err());
    assert!(parse(&["--listen", "127.0.0.1", "guest.wasm"]).is_err());
}

#[test]
fn defaults_deny() {
    let args = parse(&["guest.wasm"]).unwrap();
    assert_eq!(args.max_sockets, DEFAULT_MAX_SOCKETS);
    let policy = args.policy().unwrap();
    assert!(
        policy
            .check_connect(&"127.0.0.1:1".parse().unwrap())
            .is_err()
    );
    assert!(!policy.dns_allowed());
    assert_eq!(policy.max_memory(), DEFAULT_MAX_MEMORY);
}

#[test]
fn sizes() {
    assert_eq!(parse_bytes("4096"), Ok(4096));
    assert_eq!(parse_bytes("64K"), Ok(64 << 10));
    assert_eq!(parse_bytes("256m"), Ok(256 << 20));
    assert_eq!(parse_bytes("2G"), Ok(2 << 30));
    for bad in ["", "G", "-1", "1.5G", "12T", "99999999999999999999G"] {
        assert!(parse_bytes(bad).is_err(), "{bad}");
    }
    let error = parse(&["--max-memory", "lots", "g.wasm"]).unwrap_err();
    assert_eq!(error.exit_code(), USAGE_EXIT_CODE);
    let error = parse(&["--allow-multicast", "10.0.0.1", "g.wasm"]).unwrap_err();
    assert!(error.to_string().contains("multicast ranges"), "{error}");
}

#[test]
fn guest_args_follow_the_component() {
    let args = parse(&["--allow-dns", "g.wasm", "a", "--allow-raw", "-x", "--", "b"]).unwrap();
    assert_eq!(
        args.component_and_args,
        ["g.wasm", "a", "--allow-raw", "-x", "--", "b"]
    );
    assert!(!args.allow_raw, "flags after the component are the guest's");
    assert_eq!(
        args.guest_config().args,
        ["a", "--allow-raw", "-x", "--", "b"]
    );
}

#[test]
fn malformed_grant_is_a_usage_error_naming_the_part() {
    let error = parse(&["--allow-connect", "10.0.0.1:99999", "g.wasm"]).unwrap_err();
    assert_eq!(error.exit_code(), USAGE_EXIT_CODE);
    let text = error.to_string();
    assert!(text.contains("port `99999`"), "{text}");
    let error = parse(&["--allow-bind", "::1:80", "g.wasm"]).unwrap_err();
    assert!(error.to_string().contains("must be in brackets"));
    let error = parse(&["--allow-unix", "/tmp::rel", "g.wasm"]).unwrap_err();
    assert!(error.to_string().contains("GUEST_DIR `rel`"));
    let error = parse(&["--max-sockets", "many", "g.wasm"]).unwrap_err();
    assert_eq!(error.exit_code(), USAGE_EXIT_CODE);
    assert!(parse(&[]).is_err(), "the component is required");
}

#[test]
fn dir_and_env_specs() {
    let args = parse(&[
        "--dir",
        "/tmp::/data",
        "--dir",
        "/srv",
        "--env",
        "A=1",
        "--env",
        "B=",
        "--env",
        "WASOCK_CLI_TEST_UNSET_VAR",
        "g.wasm",
    ])
    .unwrap();
    assert_eq!(
        args.dirs[0],
        DirSpec {
            host: "/tmp".into(),
            guest: "/data".into()
        }
    );
    assert_eq!(
        args.dirs[1],
        DirSpec {
            host: "/srv".into(),
            guest: "/srv".into()
        }
    );
    let guest = args.guest_config();
    assert_eq!(
        guest.env,
        [
            ("A".to_owned(), "1".to_owned()),
            ("B".to_owned(), String::new())
        ]
    );
    assert!(parse(&["--env", "=x", "g.wasm"]).is_err());
    assert!(parse(&["--dir", "::/x", "g.wasm"]).is_err());
}

#[test]
fn help_lists_every_flag_with_an_example() {
    let mut command = Cli::command();
    let run = command.find_subcommand_mut("run").unwrap();
    let help = run.render_long_help().to_string();
    for flag in [
        "--allow-connect",
        "--allow-bind",
        "--allow-dns",
        "--allow-unix",
        "--allow-raw",
        "--allow-multicast",
        "--inherit-network",
        "--max-sockets",
        "--max-memory",
        "--dir",
        "--env",
        "--log",
    ] {
        assert!(
            help.matches(flag).count() >= 2,
            "{flag} needs a flag line and an example:\n{help}"
        );
    }
}

#[test]
fn tls_identities_are_named_files() {
    let args = parse(&[
        "--tls-identity",
        "web=certs/web.pem:keys/web.key",
        "--tls-identity",
        "api.v2_x-1=/a/b.pem:/a/b.key",
        "g.wasm",
    ])
    .unwrap();
    assert_eq!(
        args.tls_identities,
        vec![
            (
                "web".to_owned(),
                PathBuf::from("certs/web.pem"),
                PathBuf::from("keys/web.key")
            ),
            (
                "api.v2_x-1".to_owned(),
                PathBuf::from("/a/b.pem"),
                PathBuf::from("/a/b.key")
            ),
        ]
    );
    for bad in [
        "web",
        "=c.pem:k.pem",
        "web=c.pem",
        "web=:k.pem",
        "web=c.pem:",
        "we b=c.pem:k.pem",
        "w/eb=c.pem:k.pem",
        &format!("{}=c.pem:k.pem", "n".repeat(65)),
    ] {
        let error = parse(&["--tls-identity", bad, "g.wasm"]).unwrap_err();
        assert_eq!(error.exit_code(), USAGE_EXIT_CODE, "{bad}");
        assert!(
            error.to_string().contains("--tls-identity"),
            "{bad}: {error}"
        );
    }
    // Files that cannot be read are an error before the guest starts.
    let args = parse(&[
        "--tls-identity",
        "web=/nonexistent/c.pem:/nonexistent/k.pem",
        "g.wasm",
    ])
    .unwrap();
    let error = args.tls_identities().unwrap_err();
    assert!(
        format!("{error:#}").contains("--tls-identity web"),
        "{error:#}"
    );
}
