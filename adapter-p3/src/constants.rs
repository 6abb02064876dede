//! The spec's constants with the numbers the `wasock` host uses, generated
//! from its table (`host/src/constants.rs`) by `build.rs`.
//!
//! An adapted guest has no socket options to pass the numbers to, but the
//! low-level option calls take them, so they must be the host's: the same
//! program gives the same answers under both.

include!(concat!(env!("OUT_DIR"), "/constants.rs"));

/// The number of the spec's constant `name`; `None` where the host does not
/// define it or the name is unknown.
pub(crate) fn value(name: &str) -> Option<i32> {
    CONSTANTS
        .iter()
        .find(|(known, _)| *known == name)
        .and_then(|(_, value)| *value)
}
