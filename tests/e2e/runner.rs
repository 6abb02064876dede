//! The embedder's API in-process (`wasock_host::run::Runner`): one runner
//! runs many guests at once, each under its own policy, and a guest that
//! spins does not starve the others.
//!
//! Run: `cargo test -p wasock-host --test e2e runner::`

use std::io::ErrorKind;
use std::path::Path;
use std::time::Duration;

use wasock_tests::guest;

use crate::common::listener;

/// One `Runner` (one engine, one linker) runs many guests at once, each
/// under its own policy: the allowed half reaches the listener, the denied
/// half does not, and the component is compiled once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_runner_runs_many_guests_at_once_each_under_its_own_policy() {
    use std::sync::Arc;
    use wasock_host::policy::Policy;
    use wasock_host::run::{CacheSetting, GuestConfig, Runner, RunnerConfig};

    const GUESTS: usize = 16;
    let runner = Runner::new(RunnerConfig {
        cache: CacheSetting::Disabled,
        ..RunnerConfig::default()
    })
    .expect("runner");
    let (listener, address) = listener();
    let grant = address.to_string().parse().expect("grant");
    let allowed = Arc::new(Policy::new().allow_connect(grant));
    let denied = Arc::new(Policy::new());
    let mut tasks = Vec::new();
    for index in 0..GUESTS {
        let policy = if index % 2 == 0 {
            allowed.clone()
        } else {
            denied.clone()
        };
        let (config, stdout, stderr) = GuestConfig::new()
            .arg(address.to_string())
            .capture_output(1 << 16);
        let runner = runner.clone();
        tasks.push(tokio::spawn(async move {
            let outcome = runner
                .run(Path::new(guest("policy_connect")), config, policy)
                .await;
            (index, outcome, stdout, stderr)
        }));
    }
    for task in tasks {
        let (index, outcome, stdout, stderr) = task.await.expect("guest task");
        let outcome = outcome.expect("the guest starts");
        let out = String::from_utf8_lossy(&stdout.contents()).into_owned();
        let err = String::from_utf8_lossy(&stderr.contents()).into_owned();
        assert_eq!(
            outcome.exit_code(),
            0,
            "guest {index}: {outcome:?}\n{out}{err}"
        );
        if index % 2 == 0 {
            assert_eq!(out.trim_end(), "connect ok", "guest {index}\n{err}");
        } else {
            assert!(
                out.starts_with("connect error permission-denied"),
                "guest {index}: {out}{err}"
            );
        }
    }
    listener.set_nonblocking(true).expect("nonblocking");
    let mut accepted = 0;
    for _ in 0..GUESTS * 2 {
        match listener.accept() {
            Ok(_) => accepted += 1,
            Err(error) if error.kind() == ErrorKind::WouldBlock => break,
            Err(error) => panic!("accept: {error}"),
        }
    }
    assert_eq!(accepted, GUESTS / 2, "only the allowed guests connect");
}

/// A guest spinning in pure computation does not hold its thread: on a
/// single-threaded runtime another guest runs to completion while the
/// spinner is still spinning (epoch ticks make running guests yield).
#[tokio::test(flavor = "current_thread")]
async fn a_spinning_guest_does_not_starve_the_others() {
    use std::sync::Arc;
    use wasock_host::policy::Policy;
    use wasock_host::run::{CacheSetting, GuestConfig, Runner, RunnerConfig};

    let runner = Runner::new(RunnerConfig {
        cache: CacheSetting::Disabled,
        ..RunnerConfig::default()
    })
    .expect("runner");
    let policy = Arc::new(Policy::new());
    // Compile both first, so the spinner is spinning while the other runs.
    runner
        .prepare(Path::new(guest("policy_spin")))
        .await
        .expect("spinner");
    runner
        .prepare(Path::new(guest("policy_exit")))
        .await
        .expect("policy_exit");
    let (spin_config, _, _) = GuestConfig::new().arg("60").capture_output(1024);
    let spinner = tokio::spawn({
        let runner = runner.clone();
        let policy = policy.clone();
        async move {
            runner
                .run(Path::new(guest("policy_spin")), spin_config, policy)
                .await
        }
    });
    tokio::task::yield_now().await;
    let (config, stdout, _) = GuestConfig::new().arg("0").capture_output(1024);
    let other = tokio::time::timeout(
        Duration::from_secs(50),
        runner.run(Path::new(guest("policy_exit")), config, policy),
    )
    .await
    .expect("the other guest was starved by the spinner")
    .expect("the other guest starts");
    assert_eq!(other.exit_code(), 0);
    assert_eq!(
        String::from_utf8_lossy(&stdout.contents()),
        "exiting with 0\n"
    );
    assert!(
        !spinner.is_finished(),
        "the spinner should still be spinning"
    );
    spinner.abort();
    assert!(spinner.await.expect_err("aborted").is_cancelled());
}
