//! The annotations as `wasock run`'s flags: each shape, every refusal
//! naming its annotation, and the policy they give.

use std::net::SocketAddr;

use super::*;

fn flags_of(pairs: &[(&str, &str)]) -> Result<Vec<String>, AnnotationError> {
    flags(pairs.iter().copied())
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|item| (*item).to_owned()).collect()
}

fn addr(text: &str) -> SocketAddr {
    text.parse().unwrap()
}

#[test]
fn no_annotations_no_grants() {
    let flags = flags_of(&[]).unwrap();
    assert!(flags.is_empty());
    let policy = parse(&flags).unwrap().policy().unwrap();
    assert!(policy.check_connect(&addr("127.0.0.1:7000")).is_err());
    assert!(policy.check_bind(&addr("127.0.0.1:7000"), false).is_err());
    assert!(!policy.dns_allowed());
    assert!(!policy.raw_allowed());
    assert!(!policy.inherits_network());
}

#[test]
fn annotations_outside_ours_are_left_alone() {
    let flags = flags_of(&[
        ("io.kubernetes.cri.sandbox-id", "abc"),
        ("io.wasockx.allow-raw", "true"),
        ("org.opencontainers.image.title", "echo"),
    ])
    .unwrap();
    assert!(flags.is_empty());
}

#[test]
fn a_list_gives_one_flag_per_item() {
    let flags = flags_of(&[(
        "io.wasock.allow-connect",
        "127.0.0.1:7000, [::1]:7000,10.0.0.0/8:1000-2000",
    )])
    .unwrap();
    assert_eq!(
        flags,
        strings(&[
            "--allow-connect",
            "127.0.0.1:7000",
            "--allow-connect",
            "[::1]:7000",
            "--allow-connect",
            "10.0.0.0/8:1000-2000",
        ])
    );
    let policy = parse(&flags).unwrap().policy().unwrap();
    assert!(policy.check_connect(&addr("127.0.0.1:7000")).is_ok());
    assert!(policy.check_connect(&addr("[::1]:7000")).is_ok());
    assert!(policy.check_connect(&addr("10.1.2.3:1500")).is_ok());
    assert!(policy.check_connect(&addr("127.0.0.1:7001")).is_err());
    assert!(policy.check_connect(&addr("10.1.2.3:2001")).is_err());
}

#[test]
fn every_grant_annotation_reaches_its_flag() {
    let flags = flags_of(&[
        ("io.wasock.allow-bind", "127.0.0.1:0"),
        ("io.wasock.allow-connect", "127.0.0.1:7000"),
        ("io.wasock.allow-dns", "true"),
        ("io.wasock.allow-multicast", "239.255.0.0/16,[ff02::fb]"),
        ("io.wasock.allow-raw", "true"),
        ("io.wasock.inherit-network", "false"),
        ("io.wasock.max-memory", "256M"),
        ("io.wasock.max-sockets", "8"),
    ])
    .unwrap();
    let args = parse(&flags).unwrap();
    assert_eq!(args.allow_bind.len(), 1);
    assert_eq!(args.allow_connect.len(), 1);
    assert!(args.allow_dns);
    assert_eq!(args.allow_multicast.len(), 2);
    assert!(args.allow_raw);
    assert!(!args.inherit_network);
    assert_eq!(args.max_memory(), 256 << 20);
    assert_eq!(args.max_sockets, 8);
    let policy = args.policy().unwrap();
    assert!(policy.dns_allowed());
    assert!(policy.raw_allowed());
    assert_eq!(policy.max_sockets(), 8);
    assert_eq!(policy.max_memory(), 256 << 20);
    assert!(policy.check_bind(&addr("127.0.0.1:0"), false).is_ok());
}

#[test]
fn inherit_network_reaches_any_address() {
    let flags = flags_of(&[("io.wasock.inherit-network", "true")]).unwrap();
    let policy = parse(&flags).unwrap().policy().unwrap();
    assert!(policy.inherits_network());
    assert!(policy.check_connect(&addr("192.0.2.1:443")).is_ok());
}

#[test]
fn defaults_are_wasock_runs() {
    let args = parse(&[]).unwrap();
    assert_eq!(args.max_sockets, wasock_host::policy::DEFAULT_MAX_SOCKETS);
    assert_eq!(args.max_memory(), wasock_host::policy::DEFAULT_MAX_MEMORY);
    let config = args.runner_config();
    let defaults = wasock_host::run::RunnerConfig::default();
    assert_eq!(config.wasi_p3, defaults.wasi_p3);
    assert_eq!(config.component_model_async, defaults.component_model_async);
    assert!(matches!(
        config.cache,
        wasock_host::run::CacheSetting::Default
    ));
}

#[test]
fn wasi_and_wasm_options_and_the_cache() {
    let flags = flags_of(&[
        ("io.wasock.wasi", "p3=n,allow-ip-name-lookup"),
        ("io.wasock.wasm", "max-memory-size=64M"),
        ("io.wasock.no-cache", "true"),
    ])
    .unwrap();
    let args = parse(&flags).unwrap();
    let config = args.runner_config();
    assert!(!config.wasi_p3);
    assert!(matches!(
        config.cache,
        wasock_host::run::CacheSetting::Disabled
    ));
    assert_eq!(args.max_memory(), 64 << 20);
    assert!(args.policy().unwrap().dns_allowed());

    let flags = flags_of(&[("io.wasock.cache-dir", "/cache")]).unwrap();
    assert!(matches!(
        parse(&flags).unwrap().runner_config().cache,
        wasock_host::run::CacheSetting::Directory(dir) if dir.as_os_str() == "/cache"
    ));
}

#[test]
fn a_malformed_spec_is_refused_naming_the_annotation_and_the_part() {
    let error = flags_of(&[
        ("io.wasock.allow-bind", "127.0.0.1:0"),
        ("io.wasock.allow-connect", "127.0.0.1:7000,127.0.0.1:99999"),
    ])
    .unwrap_err();
    assert_eq!(error.annotation, "io.wasock.allow-connect");
    assert_eq!(error.value, "127.0.0.1:7000,127.0.0.1:99999");
    assert!(error.reason.contains("99999"), "{error}");
    assert!(error.reason.contains("--allow-connect"), "{error}");
    let text = error.to_string();
    assert!(
        text.starts_with("annotation io.wasock.allow-connect=\"127.0.0.1:7000,127.0.0.1:99999\": "),
        "{text}"
    );
    assert!(!text.contains('\n'), "{text}");
}

#[test]
fn malformed_values_of_each_shape_are_refused() {
    for (key, value, expect) in [
        ("io.wasock.allow-dns", "yes", "`true` or `false`"),
        ("io.wasock.allow-raw", "", "`true` or `false`"),
        (
            "io.wasock.allow-connect",
            "127.0.0.1:80,,[::1]:80",
            "empty item",
        ),
        ("io.wasock.allow-bind", "", "empty item"),
        ("io.wasock.max-sockets", "many", "many"),
        ("io.wasock.max-memory", "12X", "12X"),
        ("io.wasock.allow-multicast", "10.0.0.1", "10.0.0.1"),
        ("io.wasock.wasi", "preview1", "preview1"),
        ("io.wasock.wasm", "fuel=10", "fuel"),
    ] {
        let error = flags_of(&[(key, value)]).unwrap_err();
        assert_eq!(error.annotation, key);
        assert!(error.reason.contains(expect), "{key}={value}: {error}");
    }
}

#[test]
fn an_unknown_annotation_of_ours_is_refused_by_name() {
    let error = flags_of(&[("io.wasock.allow-conect", "127.0.0.1:80")]).unwrap_err();
    assert_eq!(error.annotation, "io.wasock.allow-conect");
    assert!(error.reason.contains("io.wasock.allow-connect"), "{error}");
    // Flags that are not grants have no annotation: the log is the
    // container's stderr, the environment the container's.
    for key in ["io.wasock.log", "io.wasock.env", "io.wasock.timings"] {
        assert_eq!(flags_of(&[(key, "x")]).unwrap_err().annotation, key);
    }
}

#[test]
fn a_conflict_between_annotations_is_refused() {
    let error = flags_of(&[
        ("io.wasock.cache-dir", "/cache"),
        ("io.wasock.no-cache", "true"),
    ])
    .unwrap_err();
    assert!(error.annotation.is_empty());
    assert!(error.reason.contains("--no-cache"), "{error}");
}

#[test]
fn the_order_of_annotations_does_not_matter() {
    let forward = flags_of(&[
        ("io.wasock.allow-dns", "true"),
        ("io.wasock.allow-bind", "127.0.0.1:0"),
    ])
    .unwrap();
    let backward = flags_of(&[
        ("io.wasock.allow-bind", "127.0.0.1:0"),
        ("io.wasock.allow-dns", "true"),
    ])
    .unwrap();
    assert_eq!(forward, backward);
}

#[test]
fn known_lists_every_annotation() {
    let known: Vec<String> = known().collect();
    for key in [
        "io.wasock.allow-connect",
        "io.wasock.allow-bind",
        "io.wasock.allow-dns",
        "io.wasock.allow-unix",
        "io.wasock.allow-multicast",
        "io.wasock.allow-raw",
        "io.wasock.inherit-network",
        "io.wasock.max-sockets",
        "io.wasock.max-memory",
    ] {
        assert!(known.iter().any(|k| k == key), "{key}");
    }
}
