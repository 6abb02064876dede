//! Every `unsafe` libc call of the host, each with its safety argument.
//!
//! The rest of the crate denies `unsafe_code`; what it needs from the OS
//! beyond `socket2` and `std` is here, as small safe functions that speak
//! `io::Result`, owned descriptors and plain Rust values.

#![allow(unsafe_code)]

use std::ffi::{CString, OsStr};
use std::io;
use std::os::unix::ffi::OsStrExt;

/// Retries `call` while it fails with `EINTR`.
fn retry<T>(mut call: impl FnMut() -> io::Result<T>) -> io::Result<T> {
    loop {
        match call() {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            other => return other,
        }
    }
}

/// `-1` → the last OS error; anything else → the value.
fn check(rc: libc::c_int) -> io::Result<libc::c_int> {
    if rc == -1 {
        Err(io::Error::last_os_error())
    } else {
        Ok(rc)
    }
}

fn c_path(path: &OsStr) -> io::Result<CString> {
    CString::new(path.as_bytes()).map_err(|_| io::Error::from_raw_os_error(libc::EINVAL))
}

mod capabilities;
mod fs;
mod resolve;
mod socket;

pub use capabilities::*;
pub use fs::*;
pub use resolve::*;
pub use socket::*;
