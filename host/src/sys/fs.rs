//! Files beneath a directory handle (unix-domain socket confinement).

use std::ffi::OsStr;
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};
use std::path::{Component, Path};

use super::{c_path, check, retry};

/// The identity and kind of a file, from `fstat(2)` / `fstatat(2)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FileStatus {
    /// `st_dev`.
    pub device: u64,
    /// `st_ino`.
    pub inode: u64,
    /// `st_mode & S_IFMT`.
    pub kind: u32,
    /// `st_nlink`.
    pub links: u64,
}

impl FileStatus {
    // The stat fields' types differ between systems (and the S_IF*
    // constants' too); the casts are the same-type no-ops clippy sees
    // only here.
    #[allow(clippy::unnecessary_cast)]
    fn from_stat(stat: &libc::stat) -> Self {
        FileStatus {
            device: stat.st_dev as u64,
            inode: stat.st_ino as u64,
            kind: (stat.st_mode as u32) & (libc::S_IFMT as u32),
            links: stat.st_nlink as u64,
        }
    }

    /// A socket file.
    #[allow(clippy::unnecessary_cast)]
    pub fn is_socket(&self) -> bool {
        self.kind == libc::S_IFSOCK as u32
    }

    /// A symbolic link.
    #[allow(clippy::unnecessary_cast)]
    pub fn is_symlink(&self) -> bool {
        self.kind == libc::S_IFLNK as u32
    }

    /// A directory.
    #[allow(clippy::unnecessary_cast)]
    pub fn is_directory(&self) -> bool {
        self.kind == libc::S_IFDIR as u32
    }

    /// The same file as `other` (device and inode).
    pub fn same_file(&self, other: &FileStatus) -> bool {
        self.device == other.device && self.inode == other.inode
    }
}

/// `fstat(2)`.
pub fn fstat(fd: BorrowedFd<'_>) -> io::Result<FileStatus> {
    let mut stat = std::mem::MaybeUninit::<libc::stat>::uninit();
    // SAFETY: `stat` is valid for one `struct stat`, which fstat fills on
    // success (and only then is it read).
    check(unsafe { libc::fstat(fd.as_raw_fd(), stat.as_mut_ptr()) })?;
    // SAFETY: fstat succeeded, so `stat` is initialised.
    Ok(FileStatus::from_stat(unsafe { stat.assume_init_ref() }))
}

/// `fstatat(2)` of `name` in `dir`, not following a symlink.
pub fn fstatat_nofollow(dir: BorrowedFd<'_>, name: &OsStr) -> io::Result<FileStatus> {
    let name = c_path(name)?;
    let mut stat = std::mem::MaybeUninit::<libc::stat>::uninit();
    // SAFETY: `name` is NUL-terminated; `stat` is valid for one `struct stat`.
    check(unsafe {
        libc::fstatat(
            dir.as_raw_fd(),
            name.as_ptr(),
            stat.as_mut_ptr(),
            libc::AT_SYMLINK_NOFOLLOW,
        )
    })?;
    // SAFETY: fstatat succeeded, so `stat` is initialised.
    Ok(FileStatus::from_stat(unsafe { stat.assume_init_ref() }))
}

/// `unlinkat(2)` of `name` in `dir` (a file, not a directory).
pub fn unlinkat(dir: BorrowedFd<'_>, name: &OsStr) -> io::Result<()> {
    let name = c_path(name)?;
    // SAFETY: `name` is NUL-terminated.
    check(unsafe { libc::unlinkat(dir.as_raw_fd(), name.as_ptr(), 0) }).map(drop)
}

/// Opens `path` itself (following symlinks: the operator named it) as an
/// `O_PATH` directory handle.
pub fn open_directory(path: &Path) -> io::Result<OwnedFd> {
    let name = c_path(path.as_os_str())?;
    retry(|| {
        // SAFETY: `name` is NUL-terminated; the flags ask for a new descriptor.
        let raw = check(unsafe {
            libc::open(
                name.as_ptr(),
                libc::O_PATH | libc::O_DIRECTORY | libc::O_CLOEXEC,
            )
        })?;
        // SAFETY: open returned a new descriptor that nothing else owns.
        Ok(unsafe { OwnedFd::from_raw_fd(raw) })
    })
}

/// What [`open_beneath`] opens.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Beneath {
    /// A directory (`O_DIRECTORY`).
    Directory,
    /// Any file, the last component not followed if it is a symlink.
    File,
}

/// Opens the relative `path` beneath `dir` as an `O_PATH` handle without
/// following any symlink and without leaving `dir`: `openat2(2)` with
/// `RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS` where
/// the kernel has it, else a walk of `openat(2)` with `O_NOFOLLOW` one
/// component at a time (`path` must then hold only normal components).
///
/// A symlink anywhere in `path` fails with `ELOOP` (or, for the last
/// component of a [`Beneath::File`] in the walk, yields the symlink
/// itself, which the caller's `fstat` sees as no socket).
pub fn open_beneath(dir: BorrowedFd<'_>, path: &Path, what: Beneath) -> io::Result<OwnedFd> {
    // A directory's last component is resolved like the others (a
    // symlink fails with ELOOP); a file's is opened itself, symlink or not.
    let flags = libc::O_PATH
        | libc::O_CLOEXEC
        | match what {
            Beneath::Directory => libc::O_DIRECTORY,
            Beneath::File => libc::O_NOFOLLOW,
        };
    #[cfg(any(target_os = "linux", target_os = "android"))]
    match openat2_beneath(dir, path, flags) {
        // An old kernel (or a seccomp filter) without openat2: walk instead.
        Err(e) if e.raw_os_error() == Some(libc::ENOSYS) => {}
        other => return other,
    }
    walk_beneath(dir, path, flags)
}

#[cfg(any(target_os = "linux", target_os = "android"))]
fn openat2_beneath(dir: BorrowedFd<'_>, path: &Path, flags: libc::c_int) -> io::Result<OwnedFd> {
    let name = c_path(if path.as_os_str().is_empty() {
        OsStr::new(".")
    } else {
        path.as_os_str()
    })?;
    // SAFETY: `open_how` is a plain C struct; all-zero is a valid value.
    let mut how: libc::open_how = unsafe { std::mem::zeroed() };
    how.flags = flags as u64;
    how.resolve = libc::RESOLVE_BENEATH | libc::RESOLVE_NO_SYMLINKS | libc::RESOLVE_NO_MAGICLINKS;
    retry(|| {
        // SAFETY: `name` is NUL-terminated, `how` valid for its size; the
        // syscall returns a new descriptor or -1.
        let raw = unsafe {
            libc::syscall(
                libc::SYS_openat2,
                dir.as_raw_fd(),
                name.as_ptr(),
                &how as *const libc::open_how,
                std::mem::size_of::<libc::open_how>(),
            )
        };
        let raw = check(libc::c_int::try_from(raw).unwrap_or(-1))?;
        // SAFETY: openat2 returned a new descriptor that nothing else owns.
        Ok(unsafe { OwnedFd::from_raw_fd(raw) })
    })
}

/// The portable fallback of [`open_beneath`]: one `openat(2)` per
/// component, each `O_NOFOLLOW`, the intermediate ones `O_DIRECTORY`.
fn walk_beneath(dir: BorrowedFd<'_>, path: &Path, flags: libc::c_int) -> io::Result<OwnedFd> {
    let mut parts = Vec::new();
    for component in path.components() {
        match component {
            Component::Normal(part) => parts.push(part),
            Component::CurDir => {}
            // Only lexically normal relative paths come here.
            _ => return Err(io::Error::from_raw_os_error(libc::EXDEV)),
        }
    }
    let open_at = |at: RawFd, name: &OsStr, flags: libc::c_int| -> io::Result<OwnedFd> {
        let name = c_path(name)?;
        retry(|| {
            // SAFETY: `name` is NUL-terminated; a new descriptor or -1.
            let raw = check(unsafe { libc::openat(at, name.as_ptr(), flags) })?;
            // SAFETY: openat returned a new descriptor that nothing else owns.
            Ok(unsafe { OwnedFd::from_raw_fd(raw) })
        })
    };
    let mut current = open_at(
        dir.as_raw_fd(),
        OsStr::new("."),
        libc::O_PATH | libc::O_CLOEXEC | libc::O_DIRECTORY,
    )?;
    for (index, part) in parts.iter().enumerate() {
        let last = index + 1 == parts.len();
        let next = open_at(
            current.as_raw_fd(),
            part,
            libc::O_PATH | libc::O_CLOEXEC | libc::O_NOFOLLOW,
        )?;
        let status = fstat(next.as_fd())?;
        let wants_directory = !last || flags & libc::O_DIRECTORY != 0;
        if wants_directory && status.is_symlink() {
            return Err(io::Error::from_raw_os_error(libc::ELOOP));
        }
        if wants_directory && !status.is_directory() {
            return Err(io::Error::from_raw_os_error(libc::ENOTDIR));
        }
        current = next;
    }
    Ok(current)
}

/// The path through procfs that names what the `O_PATH` handle `fd`
/// refers to (`/proc/self/fd/N`), for system calls that take a path:
/// `bind(2)` and `connect(2)` then use the object that was checked,
/// whatever happens to the names on the way to it.
pub fn proc_path(fd: BorrowedFd<'_>) -> std::path::PathBuf {
    std::path::PathBuf::from(format!("/proc/self/fd/{}", fd.as_raw_fd()))
}

/// The same path with this process's id for `self`: what a bind through
/// it leaves as the socket's name (`bind(2)` records the path as given),
/// so that the name says which process's descriptor it goes through and
/// another process cannot make one that reads as this process's.
pub fn proc_pid_path(fd: BorrowedFd<'_>) -> std::path::PathBuf {
    std::path::PathBuf::from(format!(
        "/proc/{}/fd/{}",
        std::process::id(),
        fd.as_raw_fd()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `openat2` and the portable walk agree on every path shape: plain
    /// directories and files are opened, a symlink anywhere is refused
    /// (or, as a file's last component, opened itself).
    #[test]
    fn open_beneath_and_the_walk_agree() {
        let root = std::env::temp_dir().join(format!("wasock-sys-beneath-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(root.join("sub/deeper")).unwrap();
        std::fs::write(root.join("sub/file"), b"").unwrap();
        std::os::unix::fs::symlink("/etc", root.join("out")).unwrap();
        std::os::unix::fs::symlink(root.join("sub"), root.join("alias")).unwrap();
        std::os::unix::fs::symlink("/etc/passwd", root.join("sub/link")).unwrap();
        let dir = open_directory(&root).unwrap();
        type Open = fn(BorrowedFd<'_>, &Path, libc::c_int) -> io::Result<OwnedFd>;
        let ways: [(&str, Open); 2] = [
            ("openat2", |d, p, f| {
                let what = if f & libc::O_DIRECTORY != 0 {
                    Beneath::Directory
                } else {
                    Beneath::File
                };
                open_beneath(d, p, what)
            }),
            ("walk", walk_beneath),
        ];
        let directory = libc::O_PATH | libc::O_CLOEXEC | libc::O_DIRECTORY;
        let file = libc::O_PATH | libc::O_CLOEXEC | libc::O_NOFOLLOW;
        for (way, open) in ways {
            let kind = |path: &str, flags| {
                open(dir.as_fd(), Path::new(path), flags).map(|fd| fstat(fd.as_fd()).unwrap())
            };
            let errno = |path: &str, flags| kind(path, flags).unwrap_err().raw_os_error();
            assert!(kind("", directory).unwrap().is_directory(), "{way}");
            assert!(
                kind("sub/deeper", directory).unwrap().is_directory(),
                "{way}"
            );
            assert!(!kind("sub/file", file).unwrap().is_directory(), "{way}");
            assert_eq!(errno("out", directory), Some(libc::ELOOP), "{way}");
            assert_eq!(errno("alias/deeper", directory), Some(libc::ELOOP), "{way}");
            assert_eq!(errno("out/passwd", file), Some(libc::ELOOP), "{way}");
            assert!(
                kind("sub/link", file).unwrap().is_symlink(),
                "{way}: the link itself"
            );
            assert_eq!(errno("sub/file/x", directory), Some(libc::ENOTDIR), "{way}");
            assert_eq!(errno("nothing", directory), Some(libc::ENOENT), "{way}");
        }
        let _ = std::fs::remove_dir_all(&root);
    }
}
