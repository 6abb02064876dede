//! Grants from OCI annotations: one annotation a `wasock run` flag, turned
//! into that flag and parsed by the command line's own parser
//! ([`wasock_host::cli::Cli`]), so a pod says exactly what `wasock run`
//! would be told, and is refused for exactly what it would refuse.
//!
//! | annotation | flag | value |
//! | --- | --- | --- |
//! | `io.wasock.allow-connect` | `--allow-connect` | SPECs, comma-separated |
//! | `io.wasock.allow-bind` | `--allow-bind` | SPECs, comma-separated |
//! | `io.wasock.allow-unix` | `--allow-unix` | `DIR[::GUEST_DIR]`s, comma-separated |
//! | `io.wasock.allow-multicast` | `--allow-multicast` | groups, comma-separated |
//! | `io.wasock.dir` | `--dir` | `DIR[::GUEST_DIR]`s, comma-separated |
//! | `io.wasock.allow-dns` | `--allow-dns` | `true` or `false` |
//! | `io.wasock.allow-raw` | `--allow-raw` | `true` or `false` |
//! | `io.wasock.inherit-network` | `--inherit-network` | `true` or `false` |
//! | `io.wasock.no-cache` | `--no-cache` | `true` or `false` |
//! | `io.wasock.max-sockets` | `--max-sockets` | N |
//! | `io.wasock.max-memory` | `--max-memory` | BYTES (`256M`) |
//! | `io.wasock.cache-dir` | `--cache-dir` | DIR |
//! | `io.wasock.wasi` | `-S` | wasmtime's `-S` options, comma-separated |
//! | `io.wasock.wasm` | `-W` | wasmtime's `-W` options, comma-separated |
//!
//! Paths (`allow-unix`, `dir`, `cache-dir`) are the container's: they are
//! resolved inside its root. Any other `io.wasock.` annotation is refused
//! by name (a misspelt grant is an error, not a silent denial); annotations
//! outside `io.wasock.` are not ours and are left alone.

use std::collections::BTreeMap;
use std::fmt;

use clap::Parser as _;
use wasock_host::cli::{Cli, CliCommand, RunArgs};

/// The prefix of wasock's annotations.
pub const PREFIX: &str = "io.wasock.";

/// How an annotation's value becomes arguments.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Shape {
    /// One flag per comma-separated item.
    List,
    /// A switch: `true` gives the flag, `false` leaves it out.
    Switch,
    /// One flag with the whole value (clap splits `-S` / `-W` itself).
    Value,
}

/// Every annotation: its name after [`PREFIX`], its flag, its shape.
const ANNOTATIONS: &[(&str, &str, Shape)] = &[
    ("allow-connect", "--allow-connect", Shape::List),
    ("allow-bind", "--allow-bind", Shape::List),
    ("allow-unix", "--allow-unix", Shape::List),
    ("allow-multicast", "--allow-multicast", Shape::List),
    ("dir", "--dir", Shape::List),
    ("allow-dns", "--allow-dns", Shape::Switch),
    ("allow-raw", "--allow-raw", Shape::Switch),
    ("inherit-network", "--inherit-network", Shape::Switch),
    ("no-cache", "--no-cache", Shape::Switch),
    ("max-sockets", "--max-sockets", Shape::Value),
    ("max-memory", "--max-memory", Shape::Value),
    ("cache-dir", "--cache-dir", Shape::Value),
    ("wasi", "-S", Shape::Value),
    ("wasm", "-W", Shape::Value),
];

/// The annotations wasock reads, full names, for messages and docs.
pub fn known() -> impl Iterator<Item = String> {
    ANNOTATIONS
        .iter()
        .map(|(name, _, _)| format!("{PREFIX}{name}"))
}

/// Why a container's annotations cannot be run: the annotation, its value
/// and what is wrong with it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AnnotationError {
    /// The annotation's full name (`io.wasock.allow-connect`), or empty
    /// when the fault is in the combination.
    pub annotation: String,
    /// Its value as given.
    pub value: String,
    /// What is wrong, in the command line's words.
    pub reason: String,
}

impl fmt::Display for AnnotationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.annotation.is_empty() {
            write!(f, "wasock annotations: {}", self.reason)
        } else {
            write!(
                f,
                "annotation {}={:?}: {}",
                self.annotation, self.value, self.reason
            )
        }
    }
}

impl std::error::Error for AnnotationError {}

/// The `wasock run` flags that `annotations` stand for, in a fixed order
/// (by annotation name), each annotation checked on its own by the
/// command line's parser so that a refusal names it.
pub fn flags<'a>(
    annotations: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Result<Vec<String>, AnnotationError> {
    let ours: BTreeMap<&str, &str> = annotations
        .into_iter()
        .filter(|(key, _)| key.starts_with(PREFIX))
        .collect();
    let mut all = Vec::new();
    for (key, value) in ours {
        let error = |reason: String| AnnotationError {
            annotation: key.to_owned(),
            value: value.to_owned(),
            reason,
        };
        let name = &key[PREFIX.len()..];
        let Some(&(_, flag, shape)) = ANNOTATIONS.iter().find(|(known, _, _)| *known == name)
        else {
            return Err(error(format!(
                "not an annotation wasock knows (it reads {})",
                known().collect::<Vec<_>>().join(", ")
            )));
        };
        let mut these = Vec::new();
        match shape {
            Shape::List => {
                for item in value.split(',').map(str::trim) {
                    if item.is_empty() {
                        return Err(error("an empty item in the comma-separated list".into()));
                    }
                    these.push(flag.to_owned());
                    these.push(item.to_owned());
                }
            }
            Shape::Switch => match value.trim() {
                "true" => these.push(flag.to_owned()),
                "false" => {}
                _ => return Err(error("the value is `true` or `false`".into())),
            },
            Shape::Value => {
                these.push(flag.to_owned());
                these.push(value.trim().to_owned());
            }
        }
        parse(&these).map_err(error)?;
        all.extend(these);
    }
    // Each was fine alone; together (`--cache-dir` with `--no-cache`) too?
    parse(&all).map_err(|reason| AnnotationError {
        annotation: String::new(),
        value: String::new(),
        reason,
    })?;
    Ok(all)
}

/// Parses `flags` as `wasock run FLAGS <component>` would; the error is
/// clap's message without its usage lines.
pub fn parse(flags: &[String]) -> Result<RunArgs, String> {
    let argv = ["wasock", "run"]
        .into_iter()
        .map(str::to_owned)
        .chain(flags.iter().cloned())
        // The component and its arguments come from the container's
        // process, not from here; a placeholder fills clap's slot.
        .chain(["--".to_owned(), "component.wasm".to_owned()]);
    match Cli::try_parse_from(argv) {
        Ok(Cli {
            command: CliCommand::Run(args),
        }) => Ok(args),
        Ok(_) => Err("not a `wasock run` command".into()),
        Err(error) => Err(clap_reason(&error)),
    }
}

/// clap's error as one line: its first, without `error: `.
fn clap_reason(error: &clap::Error) -> String {
    let text = error.render().to_string();
    let first = text.lines().next().unwrap_or("").trim();
    first.strip_prefix("error: ").unwrap_or(first).to_owned()
}

#[cfg(test)]
mod tests;
