//! The sandbox refuses before anything runs when it cannot know the
//! container's grants (runwasi's `RuntimeContext` stood in for).

use std::path::Path;

use containerd_shim_wasm::sandbox::context::{Entrypoint, RuntimeContext, Source};

use super::*;

struct Context {
    args: Vec<String>,
    envs: Vec<String>,
}

impl RuntimeContext for Context {
    fn args(&self) -> &[String] {
        &self.args
    }

    fn envs(&self) -> &[String] {
        &self.envs
    }

    fn entrypoint(&self) -> Entrypoint<'_> {
        Entrypoint {
            func: "_start".into(),
            name: Some("guest".into()),
            arg0: self.args.first().map(Path::new),
            source: Source::File(PathBuf::from(&self.args[0])),
        }
    }
}

fn context(envs: &[&str]) -> Context {
    Context {
        args: vec!["/no-such-guest.wasm".into()],
        envs: envs.iter().map(|env| (*env).to_owned()).collect(),
    }
}

#[test]
fn a_container_whose_start_did_not_run_does_not_run() {
    assert_eq!(
        run_container(&context(&["PATH=/bin"])),
        HOST_ERROR_EXIT_CODE
    );
}

#[test]
fn flags_the_parser_refuses_do_not_run() {
    let envs = [format!(
        "{}=[\"--allow-connect\",\"127.0.0.1:99999\"]",
        bundle::FLAGS_ENV
    )];
    let envs: Vec<&str> = envs.iter().map(String::as_str).collect();
    assert_eq!(run_container(&context(&envs)), USAGE_EXIT_CODE);
}

#[test]
fn a_grant_that_cannot_be_resolved_in_the_container_does_not_run() {
    let envs = [format!(
        "{}=[\"--allow-unix\",\"/no/such/directory/for/wasock\"]",
        bundle::FLAGS_ENV
    )];
    let envs: Vec<&str> = envs.iter().map(String::as_str).collect();
    assert_eq!(run_container(&context(&envs)), USAGE_EXIT_CODE);
}

#[test]
fn a_missing_component_is_a_host_error() {
    let envs = [format!("{}=[]", bundle::FLAGS_ENV)];
    let envs: Vec<&str> = envs.iter().map(String::as_str).collect();
    assert_eq!(run_container(&context(&envs)), HOST_ERROR_EXIT_CODE);
}
