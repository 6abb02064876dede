//! Carrying a container's grants from its bundle to its guest.
//!
//! containerd runs `containerd-shim-wasock-v1 ... start` once for every
//! container, in the container's bundle directory, before it asks the shim
//! to create it. The guest itself runs later in the container's own root,
//! where neither the bundle nor its `config.json` can be seen, and
//! runwasi's `RuntimeContext` gives a sandbox the process's arguments and
//! environment but not the spec's annotations. So `start` reads the
//! annotations, refuses the container if one is malformed (containerd
//! shows the message), and writes the flags they stand for into the
//! process's environment as [`FLAGS_ENV`], replacing any value the image
//! or the pod gave it; the sandbox takes that variable out again before
//! the guest sees its environment.

use std::path::Path;

use serde_json::Value;

use crate::annotations::{self, AnnotationError};

/// The process environment variable that carries the flags (a JSON array
/// of strings) from `start` to the sandbox.
pub const FLAGS_ENV: &str = "WASOCK_SHIM_FLAGS";

/// Reads `bundle/config.json`'s annotations, checks them, and writes the
/// flags into its `process.env` as [`FLAGS_ENV`] (replacing the file
/// atomically). An error says which annotation is wrong.
pub fn stamp(bundle: &Path) -> Result<(), String> {
    let path = bundle.join("config.json");
    let text = std::fs::read_to_string(&path)
        .map_err(|error| format!("cannot read {}: {error}", path.display()))?;
    let mut spec: Value = serde_json::from_str(&text)
        .map_err(|error| format!("cannot parse {}: {error}", path.display()))?;
    let flags = flags_of(&spec).map_err(|error| error.to_string())?;
    set_flags_env(&mut spec, &flags)?;
    let temporary = bundle.join(".config.json.wasock");
    let written = serde_json::to_vec(&spec).map_err(|error| error.to_string())?;
    std::fs::write(&temporary, written)
        .and_then(|()| {
            let permissions = std::fs::metadata(&path)?.permissions();
            std::fs::set_permissions(&temporary, permissions)?;
            std::fs::rename(&temporary, &path)
        })
        .map_err(|error| format!("cannot rewrite {}: {error}", path.display()))
}

/// The flags a spec's annotations stand for.
pub fn flags_of(spec: &Value) -> Result<Vec<String>, AnnotationError> {
    let Some(map) = spec.get("annotations").and_then(Value::as_object) else {
        return Ok(Vec::new());
    };
    let mut pairs = Vec::new();
    for (key, value) in map {
        match value.as_str() {
            Some(text) => pairs.push((key.as_str(), text)),
            // The OCI spec says string values; a non-string of ours is refused.
            None if key.starts_with(annotations::PREFIX) => {
                return Err(AnnotationError {
                    annotation: key.clone(),
                    value: value.to_string(),
                    reason: "the value is not a string".into(),
                });
            }
            None => {}
        }
    }
    annotations::flags(pairs)
}

/// Puts `FLAGS_ENV=<flags as JSON>` into `process.env`, dropping any
/// earlier entry of that name.
fn set_flags_env(spec: &mut Value, flags: &[String]) -> Result<(), String> {
    let process = spec
        .get_mut("process")
        .and_then(Value::as_object_mut)
        .ok_or("config.json has no process")?;
    let env = process
        .entry("env")
        .or_insert_with(|| Value::Array(Vec::new()));
    let env = env
        .as_array_mut()
        .ok_or("config.json's process.env is not a list")?;
    let prefix = format!("{FLAGS_ENV}=");
    env.retain(|entry| {
        !entry
            .as_str()
            .is_some_and(|entry| entry.starts_with(&prefix))
    });
    let json = serde_json::to_string(flags).map_err(|error| error.to_string())?;
    env.push(Value::String(format!("{prefix}{json}")));
    Ok(())
}

/// Splits a process environment (`NAME=VALUE` entries) into the flags
/// [`stamp`] left and the guest's variables; `None` when `start` did not
/// run (or the value is not its JSON), which the sandbox refuses.
pub fn take_flags(env: &[String]) -> (Option<Vec<String>>, Vec<(String, String)>) {
    let mut flags = None;
    let mut guest = Vec::new();
    for entry in env {
        let (name, value) = entry.split_once('=').unwrap_or((entry, ""));
        if name == FLAGS_ENV {
            flags = serde_json::from_str::<Vec<String>>(value).ok();
        } else {
            guest.push((name.to_owned(), value.to_owned()));
        }
    }
    (flags, guest)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bundle_with(spec: &Value) -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "wasock-shim-bundle-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("config.json"), spec.to_string()).unwrap();
        dir
    }

    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

    use std::path::PathBuf;

    fn spec(annotations: Value, env: Value) -> Value {
        serde_json::json!({
            "ociVersion": "1.0.2",
            "process": { "args": ["/echo-client.wasm", "127.0.0.1:7000"], "env": env, "cwd": "/" },
            "root": { "path": "rootfs" },
            "annotations": annotations,
        })
    }

    fn env_after_stamp(dir: &Path) -> Vec<String> {
        let spec: Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join("config.json")).unwrap())
                .unwrap();
        spec["process"]["env"]
            .as_array()
            .unwrap()
            .iter()
            .map(|entry| entry.as_str().unwrap().to_owned())
            .collect()
    }

    #[test]
    fn start_writes_the_flags_and_the_sandbox_takes_them_out() {
        let dir = bundle_with(&spec(
            serde_json::json!({
                "io.wasock.allow-connect": "127.0.0.1:7000",
                "io.wasock.allow-dns": "true",
                "io.kubernetes.cri.sandbox-id": "abc",
            }),
            serde_json::json!(["PATH=/usr/bin", "GREETING=hi"]),
        ));
        stamp(&dir).unwrap();
        let env = env_after_stamp(&dir);
        assert_eq!(env.len(), 3);
        let (flags, guest) = take_flags(&env);
        assert_eq!(
            flags.unwrap(),
            ["--allow-connect", "127.0.0.1:7000", "--allow-dns"]
        );
        assert_eq!(
            guest,
            [
                ("PATH".to_owned(), "/usr/bin".to_owned()),
                ("GREETING".to_owned(), "hi".to_owned())
            ]
        );
        // The rest of the spec is as it was.
        let after: Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join("config.json")).unwrap())
                .unwrap();
        assert_eq!(after["process"]["args"][1], "127.0.0.1:7000");
        assert_eq!(after["annotations"]["io.kubernetes.cri.sandbox-id"], "abc");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_flags_variable_from_the_image_or_pod_is_replaced() {
        let dir = bundle_with(&spec(
            serde_json::json!({}),
            serde_json::json!([format!("{FLAGS_ENV}=[\"--inherit-network\"]")]),
        ));
        stamp(&dir).unwrap();
        let env = env_after_stamp(&dir);
        assert_eq!(env, [format!("{FLAGS_ENV}=[]")]);
        let (flags, guest) = take_flags(&env);
        assert_eq!(flags.unwrap(), Vec::<String>::new());
        assert!(guest.is_empty());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_malformed_annotation_refuses_start_and_leaves_the_spec() {
        let original = spec(
            serde_json::json!({ "io.wasock.allow-bind": "127.0.0.1" }),
            serde_json::json!(["PATH=/usr/bin"]),
        );
        let dir = bundle_with(&original);
        let error = stamp(&dir).unwrap_err();
        assert!(
            error.starts_with("annotation io.wasock.allow-bind=\"127.0.0.1\": "),
            "{error}"
        );
        let after: Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join("config.json")).unwrap())
                .unwrap();
        assert_eq!(after, original);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_non_string_annotation_of_ours_is_refused() {
        let error = flags_of(&serde_json::json!({
            "annotations": { "io.wasock.max-sockets": 8 }
        }))
        .unwrap_err();
        assert_eq!(error.annotation, "io.wasock.max-sockets");
    }

    #[test]
    fn without_start_there_are_no_flags() {
        let (flags, guest) = take_flags(&["PATH=/usr/bin".to_owned()]);
        assert!(flags.is_none());
        assert_eq!(guest.len(), 1);
        let (flags, _) = take_flags(&[format!("{FLAGS_ENV}=--inherit-network")]);
        assert!(flags.is_none(), "only start's JSON counts");
    }
}
