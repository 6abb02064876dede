//! `containerd-shim-wasock`: a containerd shim (runtime
//! `io.containerd.wasock.v1`, binary `containerd-shim-wasock-v1`) that runs
//! a container's wasm component under wasock, with the grants its
//! annotations give ([`annotations`]), on runwasi's `containerd-shim-wasm`.
//!
//! runwasi does the container: youki's libcontainer makes its namespaces
//! and cgroup, pivots into its root, and calls [`WasockSandbox::run_wasi`]
//! in the container's process; that runs the component through
//! [`wasock_host::run::Runner`] as `wasock run` does: the same policy from
//! the same flags, the same capability drop, the same limits and compile
//! cache rules, WASI 0.2 and 0.3 alike. The container's stdout and stderr
//! are the guest's; the host's own lines (denials, a trap's report,
//! errors) go to the container's stderr, each as `wasock run --log` writes
//! them to its file.

#![deny(unsafe_code)]

use std::io::Write as _;
use std::os::fd::AsFd as _;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use anyhow::{Context as _, Result};
use containerd_shim_wasm::sandbox::Sandbox;
use containerd_shim_wasm::sandbox::context::RuntimeContext;
use containerd_shim_wasm::shim::{Shim, Version, version};
use wasock_host::cli::{HOST_ERROR_EXIT_CODE, HOST_LINE_CAP, USAGE_EXIT_CODE, trap_report};
use wasock_host::policy::FileSink;
use wasock_host::policy::report::{escape_line, write_lines};
use wasock_host::run::{Outcome, Runner};

pub mod annotations;
pub mod bundle;

/// The shim: its name gives containerd's runtime `io.containerd.wasock.v1`.
#[derive(Debug)]
pub struct WasockShim;

impl Shim for WasockShim {
    fn name() -> &'static str {
        "wasock"
    }

    fn version() -> Version {
        version!()
    }

    type Sandbox = WasockSandbox;
}

/// Runs one container's component.
#[derive(Debug, Default)]
pub struct WasockSandbox;

impl Sandbox for WasockSandbox {
    async fn run_wasi(&self, ctx: &impl RuntimeContext) -> Result<i32> {
        // This process is the container's and ends with the guest: block
        // here rather than on runwasi's runtime, whose threads kept the
        // capabilities the guest's do not.
        Ok(run_container(ctx))
    }
}

/// The host's lines: the container's stderr, as `--log` writes its file.
type HostLog = Arc<Mutex<std::fs::File>>;

fn host_lines(log: &HostLog, lines: &[String]) {
    let mut file = log.lock().unwrap_or_else(|p| p.into_inner());
    write_lines(&mut *file, lines);
    let _ = file.flush();
}

fn host_error(log: &HostLog, message: &str) {
    host_lines(
        log,
        &[format!(
            "wasock: error: {}",
            escape_line(message, HOST_LINE_CAP)
        )],
    );
}

/// Runs the container's component and returns its exit code, as
/// `wasock run` would with the same flags: 2 for refused grants, 1 when the
/// host fails before the guest starts, 134 for a trap, else the guest's.
pub fn run_container(ctx: &impl RuntimeContext) -> i32 {
    let log: HostLog = match std::io::stderr().as_fd().try_clone_to_owned() {
        Ok(fd) => Arc::new(Mutex::new(std::fs::File::from(fd))),
        Err(error) => {
            eprintln!("wasock: error: cannot duplicate stderr: {error}");
            return HOST_ERROR_EXIT_CODE;
        }
    };
    let (flags, env) = bundle::take_flags(ctx.envs());
    let Some(flags) = flags else {
        host_error(
            &log,
            &format!(
                "the container's environment has no {} from the shim's start: its annotations were not read, so nothing runs",
                bundle::FLAGS_ENV
            ),
        );
        return HOST_ERROR_EXIT_CODE;
    };
    let args = match annotations::parse(&flags) {
        Ok(args) => args,
        Err(reason) => {
            host_error(&log, &format!("annotations: {reason}"));
            return USAGE_EXIT_CODE;
        }
    };
    let policy = match args.policy() {
        Ok(policy) => Arc::new(policy),
        Err(error) => {
            host_error(&log, &format!("annotations: {error}"));
            return USAGE_EXIT_CODE;
        }
    };
    let entrypoint = ctx.entrypoint();
    let program_name = entrypoint
        .arg0
        .and_then(|arg0| arg0.file_name())
        .map(|name| name.to_string_lossy().into_owned());
    let component = match component_file(&entrypoint.source) {
        Ok(component) => component,
        Err(error) => {
            host_error(&log, &format!("{error:#}"));
            return HOST_ERROR_EXIT_CODE;
        }
    };
    let mut guest = args.guest_config();
    guest.args = ctx.args().iter().skip(1).cloned().collect();
    guest.env = env;
    guest.program_name = program_name.clone();
    guest.name = program_name.or(entrypoint.name);
    guest.denials = Some(Arc::new(FileSink::new(log.clone())));
    guest.tls_identities = match args.tls_identities() {
        Ok(identities) => identities,
        Err(error) => {
            host_error(&log, &format!("{error:#}"));
            return HOST_ERROR_EXIT_CODE;
        }
    };
    // Least privilege, as `wasock run`: before the guest's threads start.
    let keep = wasock_host::privileges::needed(&policy, !args.dirs.is_empty());
    if let Err(error) = wasock_host::privileges::drop_capabilities(&keep) {
        host_error(
            &log,
            &format!("cannot drop the capabilities no grant needs: {error}"),
        );
        return HOST_ERROR_EXIT_CODE;
    }
    let runner_config = args.runner_config();
    let path = component.path.clone();
    let outcome = std::thread::Builder::new()
        .name("wasock-guest".into())
        .spawn(move || -> wasmtime::Result<Outcome> {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()
                .map_err(|error| {
                    wasmtime::format_err!("cannot start the tokio runtime: {error}")
                })?;
            // On a worker, beside the reactor, as `wasock run` does.
            let run = runtime.spawn(async move {
                let runner = Runner::new(runner_config)?;
                runner.run(&path, guest, policy).await
            });
            let outcome = runtime.block_on(run).unwrap_or_else(|join_error| {
                Err(wasmtime::format_err!(
                    "the guest's task ended abnormally: {join_error}"
                ))
            });
            runtime.shutdown_background();
            outcome
        })
        .map_err(|error| wasmtime::format_err!("cannot start the guest's thread: {error}"))
        .and_then(|thread| {
            thread
                .join()
                .unwrap_or_else(|_| Err(wasmtime::format_err!("the guest's thread panicked")))
        });
    drop(component);
    match outcome {
        Ok(Outcome::Exited(code)) => code,
        Ok(trapped @ Outcome::Trapped(_)) => {
            if let Outcome::Trapped(error) = &trapped {
                host_lines(&log, &trap_report(error));
            }
            trapped.exit_code()
        }
        Err(error) => {
            host_error(&log, &format!("{error:#}"));
            HOST_ERROR_EXIT_CODE
        }
    }
}

/// The component as a file the runner can open: the image's wasm layer in
/// an anonymous memory file (the container's root may have nowhere to
/// write), or the file the entrypoint names in the container's root.
struct ComponentFile {
    path: PathBuf,
    _memory: Option<std::os::fd::OwnedFd>,
}

fn component_file(
    source: &containerd_shim_wasm::sandbox::context::Source<'_>,
) -> Result<ComponentFile> {
    use containerd_shim_wasm::sandbox::context::Source;
    let bytes = match source {
        Source::File(path) if path.is_file() => {
            return Ok(ComponentFile {
                path: path.clone(),
                _memory: None,
            });
        }
        _ => source
            .as_bytes()
            .context("cannot read the container's component")?,
    };
    let fd = nix::sys::memfd::memfd_create(
        c"wasock-component",
        nix::sys::memfd::MemFdCreateFlag::empty(),
    )
    .context("cannot create a memory file for the component")?;
    let mut file = std::fs::File::from(fd.try_clone().context("memfd")?);
    file.write_all(&bytes)
        .context("cannot write the component to a memory file")?;
    use std::os::fd::AsRawFd as _;
    Ok(ComponentFile {
        path: PathBuf::from(format!("/proc/self/fd/{}", fd.as_raw_fd())),
        _memory: Some(fd),
    })
}

#[cfg(test)]
mod tests;
