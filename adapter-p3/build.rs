//! Writes the spec's constants with this build machine's numbers into
//! `OUT_DIR/constants.rs`, from the host's own table
//! (`host/src/constants.rs`), so that an adapted guest sees the same numbers
//! as under `wasock run` and the two tables cannot drift apart.

use std::env;
use std::fmt::Write as _;
use std::fs;
use std::path::PathBuf;

#[allow(dead_code)]
#[path = "../host/src/constants.rs"]
mod host_constants;

fn main() {
    println!("cargo:rerun-if-changed=../host/src/constants.rs");
    let mut code = String::from(
        "/// Every constant of the spec, in the spec's order, with the numbers of\n\
         /// the `wasock` host built on the same machine (`host/src/constants.rs`).\n\
         pub(crate) const CONSTANTS: &[(&str, Option<i32>)] = &[\n",
    );
    for (name, value) in host_constants::CONSTANTS {
        writeln!(code, "    ({name:?}, {value:?}),").expect("writing to a String");
    }
    code.push_str("];\n");
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("OUT_DIR"));
    fs::write(out.join("constants.rs"), code).expect("writing constants.rs");
}
