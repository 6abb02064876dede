//! What the fuzz targets share.

use std::path::PathBuf;

/// Where `os` (a `/proc/self/fd/N[/NAME]` address the policy made) really
/// is: the grant handle's directory, read back through `/proc`, and the
/// name in it.
pub fn real_path(os: &socket2::SockAddr) -> Option<PathBuf> {
    let path = os.as_pathname()?;
    let (fd_part, name) = match path.parent() {
        Some(parent) if parent.starts_with("/proc/self/fd/") && parent != std::path::Path::new("/proc/self/fd") => {
            (parent.to_path_buf(), path.file_name().map(PathBuf::from))
        }
        _ => (path.to_path_buf(), None),
    };
    let real = std::fs::read_link(fd_part).ok()?;
    Some(match name {
        Some(name) => real.join(name),
        None => real,
    })
}
