//! The policy's checks, the option allow-list and unix confinement, on
//! native values and real files and sockets (no guest): addresses,
//! options and unix paths, one file each.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use super::*;
use crate::policy::options::{
    BUFFER_SIZE_CEILING, LINGER_CEILING_SECONDS, known_options, option_label,
};

fn grant(s: &str) -> GrantSpec {
    s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
}

fn sa(s: &str) -> SocketAddr {
    s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
}

mod addresses;
mod options;
mod unix;
