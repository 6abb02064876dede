//! Every `unsafe` libc call of the host, each with its safety argument.
//!
//! The rest of the crate denies `unsafe_code`; what it needs from the OS
//! beyond `socket2` and `std` is here, as small safe functions that speak
//! `io::Result`, owned descriptors and plain Rust values.

#![allow(unsafe_code)]

use std::ffi::{CString, OsStr};
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Component, Path};

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

// ---------------------------------------------------------------------------
// Sockets
// ---------------------------------------------------------------------------

/// `poll(2)` on one descriptor with no wait: whether any of `events` is
/// ready now (errors and hang-ups count as ready).
pub fn poll_now(fd: RawFd, events: libc::c_short) -> io::Result<bool> {
    let mut entry = libc::pollfd {
        fd,
        events,
        revents: 0,
    };
    retry(|| {
        // SAFETY: one valid, initialised pollfd; count 1; no wait.
        check(unsafe { libc::poll(&mut entry, 1, 0) })
    })
    .map(|n| {
        n > 0 && entry.revents & (events | libc::POLLERR | libc::POLLHUP | libc::POLLNVAL) != 0
    })
}

/// Registers an owned socket with the tokio reactor for reading and
/// writing.
pub fn register(socket: socket2::Socket) -> io::Result<tokio::io::unix::AsyncFd<socket2::Socket>> {
    let interest = tokio::io::Interest::READABLE | tokio::io::Interest::WRITABLE;
    // SAFETY: the `Socket` owns its descriptor and the `AsyncFd` owns the
    // `Socket`, so the descriptor stays open and the same for as long as it
    // is registered (closing takes it back out with `into_inner` first).
    unsafe { tokio::io::unix::AsyncFd::register_with_interest(socket, interest) }
        .map_err(io::Error::from)
}

/// `epoll_create1(2)` with `EPOLL_CLOEXEC`, registered with the tokio
/// reactor for reading (an epoll descriptor is readable while any of its
/// watched descriptors is ready).
pub fn epoll_create() -> io::Result<tokio::io::unix::AsyncFd<OwnedFd>> {
    // SAFETY: no pointers; returns a new descriptor or -1.
    let raw = check(unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) })?;
    // SAFETY: epoll_create1 returned a descriptor that nothing else owns.
    let owned = unsafe { OwnedFd::from_raw_fd(raw) };
    // SAFETY: the `AsyncFd` owns the descriptor, which stays open and the
    // same for as long as it is registered.
    unsafe {
        tokio::io::unix::AsyncFd::register_with_interest(owned, tokio::io::Interest::READABLE)
    }
    .map_err(io::Error::from)
}

/// `epoll_ctl(2)`: `op` (`EPOLL_CTL_ADD`, `_MOD`, `_DEL`) for `fd` with
/// `events` and the user data `token`.
pub fn epoll_ctl(
    epoll: BorrowedFd<'_>,
    op: libc::c_int,
    fd: RawFd,
    events: u32,
    token: u64,
) -> io::Result<()> {
    let mut event = libc::epoll_event { events, u64: token };
    // SAFETY: a borrowed (so open) descriptor and one initialised
    // epoll_event, which the kernel only reads. A bad `fd` is EBADF.
    check(unsafe { libc::epoll_ctl(epoll.as_raw_fd(), op, fd, &mut event) }).map(drop)
}

/// `epoll_wait(2)` with no wait into `buffer` (at most `c_int::MAX`
/// entries used): how many entries it filled.
pub fn epoll_wait_now(
    epoll: BorrowedFd<'_>,
    buffer: &mut [libc::epoll_event],
) -> io::Result<usize> {
    let max = buffer.len().min(libc::c_int::MAX as usize) as libc::c_int;
    retry(|| {
        // SAFETY: `buffer` holds at least `max` initialised entries the
        // kernel may write; no wait.
        check(unsafe { libc::epoll_wait(epoll.as_raw_fd(), buffer.as_mut_ptr(), max, 0) })
    })
    .map(|n| n as usize)
}

/// `accept4(2)` with `SOCK_NONBLOCK | SOCK_CLOEXEC`; the peer address is
/// not asked for.
pub fn accept(listener: RawFd) -> io::Result<OwnedFd> {
    retry(|| {
        // SAFETY: null address and length pointers are allowed by accept4.
        let raw = check(unsafe {
            libc::accept4(
                listener,
                std::ptr::null_mut(),
                std::ptr::null_mut(),
                libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC,
            )
        })?;
        // SAFETY: accept4 returned a new descriptor that nothing else owns.
        Ok(unsafe { OwnedFd::from_raw_fd(raw) })
    })
}

/// `close(2)`, returning its error (dropping an `OwnedFd` ignores it).
pub fn close(fd: OwnedFd) -> io::Result<()> {
    let raw = std::os::fd::IntoRawFd::into_raw_fd(fd);
    // SAFETY: `raw` was owned by `fd`, which gave it up; it is closed once.
    // EINTR is not retried: the descriptor is gone after close(2) either way.
    check(unsafe { libc::close(raw) }).map(drop)
}

/// `getsockopt(2)` into `buffer`; returns the length the OS wrote.
pub fn getsockopt(
    fd: RawFd,
    level: libc::c_int,
    name: libc::c_int,
    buffer: &mut [u8],
) -> io::Result<usize> {
    let mut length = libc::socklen_t::try_from(buffer.len()).unwrap_or(libc::socklen_t::MAX);
    // SAFETY: `buffer` is valid for writing `length` bytes; the OS writes at
    // most that many and reports the count in `length`.
    check(unsafe { libc::getsockopt(fd, level, name, buffer.as_mut_ptr().cast(), &mut length) })?;
    Ok(usize::try_from(length).unwrap_or(0).min(buffer.len()))
}

/// `setsockopt(2)` with `value`'s bytes.
pub fn setsockopt(
    fd: RawFd,
    level: libc::c_int,
    name: libc::c_int,
    value: &[u8],
) -> io::Result<()> {
    let length = libc::socklen_t::try_from(value.len())
        .map_err(|_| io::Error::from_raw_os_error(libc::EINVAL))?;
    // SAFETY: `value` is valid for reading `length` bytes.
    check(unsafe { libc::setsockopt(fd, level, name, value.as_ptr().cast(), length) }).map(drop)
}

/// One `recv(2)` / `recvfrom(2)` appending at most `room` bytes to
/// `buffer`; returns the length the OS reported (with `MSG_TRUNC` on a
/// datagram socket, the datagram's real length, which may be more than was
/// kept) and, when asked for, the source address (`None` where the OS
/// reports none, as on a connected stream).
pub fn recv_append(
    socket: &socket2::Socket,
    buffer: &mut Vec<u8>,
    room: usize,
    flags: libc::c_int,
    want_source: bool,
) -> io::Result<(usize, Option<socket2::SockAddr>)> {
    buffer.reserve(room);
    let filled = buffer.len();
    let spare = &mut buffer.spare_capacity_mut()[..room];
    let (n, from) = if want_source {
        let (n, from) = socket.recv_from_with_flags(spare, flags)?;
        let from = (from.len() > 0 && i32::from(from.family()) != libc::AF_UNSPEC).then_some(from);
        (n, from)
    } else {
        (socket.recv_with_flags(spare, flags)?, None)
    };
    let kept = n.min(room);
    // SAFETY: recv(2) initialised the first `kept` bytes of the spare
    // capacity (MSG_TRUNC may report more than it wrote; `kept` is capped
    // at the room it was given).
    unsafe { buffer.set_len(filled + kept) };
    Ok((n, from))
}

/// How many bytes of a stream socket's send queue the peer has not yet
/// acknowledged (`TIOCOUTQ`, alias `SIOCOUTQ`).
#[cfg(any(target_os = "linux", target_os = "android"))]
pub fn unsent_bytes(fd: RawFd) -> io::Result<usize> {
    let mut queued: libc::c_int = 0;
    // SAFETY: TIOCOUTQ on a socket writes one int.
    check(unsafe { libc::ioctl(fd, libc::TIOCOUTQ, &mut queued) })?;
    Ok(usize::try_from(queued).unwrap_or(0))
}

/// Whether a TCP socket still has a close in progress that close(2) with
/// `SO_LINGER` would wait for: its state (`TCP_INFO`'s `tcpi_state`) is
/// FIN-WAIT-1, CLOSING or LAST-ACK (data or the FIN not yet acknowledged).
#[cfg(any(target_os = "linux", target_os = "android"))]
pub fn closing_in_progress(fd: RawFd) -> io::Result<bool> {
    // include/net/tcp_states.h
    const FIN_WAIT1: u8 = 4;
    const LAST_ACK: u8 = 9;
    const CLOSING: u8 = 11;
    let mut info = [0u8; 8];
    let written = getsockopt(fd, libc::IPPROTO_TCP, libc::TCP_INFO, &mut info)?;
    Ok(written > 0 && matches!(info[0], FIN_WAIT1 | LAST_ACK | CLOSING))
}

/// Whether a TCP socket has a close in progress: not known on this OS.
#[cfg(not(any(target_os = "linux", target_os = "android")))]
pub fn closing_in_progress(_fd: RawFd) -> io::Result<bool> {
    Ok(false)
}

/// How many bytes of a stream socket's send queue are unsent: not known
/// on this OS, so nothing is assumed queued.
#[cfg(not(any(target_os = "linux", target_os = "android")))]
pub fn unsent_bytes(_fd: RawFd) -> io::Result<usize> {
    Ok(0)
}

// ---------------------------------------------------------------------------
// Files beneath a directory handle (unix-domain socket confinement)
// ---------------------------------------------------------------------------

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
    fn from_stat(stat: &libc::stat) -> Self {
        FileStatus {
            device: stat.st_dev as u64,
            inode: stat.st_ino as u64,
            kind: (stat.st_mode as u32) & (libc::S_IFMT as u32),
            links: stat.st_nlink as u64,
        }
    }

    /// A socket file.
    pub fn is_socket(&self) -> bool {
        self.kind == libc::S_IFSOCK as u32
    }

    /// A symbolic link.
    pub fn is_symlink(&self) -> bool {
        self.kind == libc::S_IFLNK as u32
    }

    /// A directory.
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

// ---------------------------------------------------------------------------
// The system resolver
// ---------------------------------------------------------------------------

/// glibc's `EAI_ADDRFAMILY` (not in every libc's bindings): the node has
/// no address of the family asked for.
pub const EAI_ADDRFAMILY: libc::c_int = -9;

/// One result of [`getaddrinfo`].
#[derive(Clone, Debug)]
pub struct AddrInfoEntry {
    /// `ai_socktype`.
    pub socket_type: libc::c_int,
    /// `ai_protocol`.
    pub protocol: libc::c_int,
    /// `ai_addr`.
    pub address: socket2::SockAddr,
    /// `ai_canonname`, where the resolver gave one.
    pub canonical_name: Option<String>,
}

/// `getaddrinfo(3)` with hints of (family, type, protocol, flags); the
/// `EAI_*` code on failure.
pub fn getaddrinfo(
    node: Option<&std::ffi::CStr>,
    service: Option<&std::ffi::CStr>,
    hints: (libc::c_int, libc::c_int, libc::c_int, libc::c_int),
) -> Result<Vec<AddrInfoEntry>, libc::c_int> {
    // SAFETY: an all-zero addrinfo is a valid "no hints" value.
    let mut c_hints: libc::addrinfo = unsafe { std::mem::zeroed() };
    (
        c_hints.ai_family,
        c_hints.ai_socktype,
        c_hints.ai_protocol,
        c_hints.ai_flags,
    ) = hints;
    let mut list: *mut libc::addrinfo = std::ptr::null_mut();
    // SAFETY: valid C strings or null, valid hints, and an out-pointer.
    let rc = unsafe {
        libc::getaddrinfo(
            node.map_or(std::ptr::null(), std::ffi::CStr::as_ptr),
            service.map_or(std::ptr::null(), std::ffi::CStr::as_ptr),
            &c_hints,
            &mut list,
        )
    };
    if rc != 0 {
        return Err(rc);
    }
    let mut results = Vec::new();
    let mut entry = list;
    while !entry.is_null() {
        // SAFETY: `entry` is a node of the list getaddrinfo returned, not
        // yet freed.
        let info = unsafe { &*entry };
        entry = info.ai_next;
        let Some(address) = sockaddr_of(info) else {
            continue;
        };
        let canonical_name = (!info.ai_canonname.is_null()).then(|| {
            // SAFETY: a NUL-terminated string owned by the list.
            unsafe { std::ffi::CStr::from_ptr(info.ai_canonname) }
                .to_string_lossy()
                .into_owned()
        });
        results.push(AddrInfoEntry {
            socket_type: info.ai_socktype,
            protocol: info.ai_protocol,
            address,
            canonical_name,
        });
    }
    // SAFETY: the list came from getaddrinfo and is freed once.
    unsafe { libc::freeaddrinfo(list) };
    Ok(results)
}

/// The `ai_addr` of one result as an owned address.
fn sockaddr_of(info: &libc::addrinfo) -> Option<socket2::SockAddr> {
    if info.ai_addr.is_null() {
        return None;
    }
    let length = usize::try_from(info.ai_addrlen).ok()?;
    if length > std::mem::size_of::<libc::sockaddr_storage>() {
        return None;
    }
    // SAFETY: `ai_addr` points at `ai_addrlen` bytes of a socket address,
    // which fit the zeroed storage we copy them into.
    let (_, address) = unsafe {
        socket2::SockAddr::try_init(|storage, len| {
            std::ptr::copy_nonoverlapping(info.ai_addr.cast::<u8>(), storage.cast::<u8>(), length);
            *len = info.ai_addrlen;
            Ok(())
        })
    }
    .ok()?;
    Some(address)
}

/// `getnameinfo(3)`: (node, service); the `EAI_*` code on failure.
pub fn getnameinfo(
    address: &socket2::SockAddr,
    flags: libc::c_int,
) -> Result<(String, String), libc::c_int> {
    let mut host = [0 as libc::c_char; libc::NI_MAXHOST as usize];
    let mut service = [0 as libc::c_char; 64];
    // SAFETY: a valid socket address and two buffers of the lengths given.
    let rc = unsafe {
        libc::getnameinfo(
            address.as_ptr().cast(),
            address.len(),
            host.as_mut_ptr(),
            host.len() as libc::socklen_t,
            service.as_mut_ptr(),
            service.len() as libc::socklen_t,
            flags,
        )
    };
    if rc != 0 {
        return Err(rc);
    }
    // SAFETY: getnameinfo NUL-terminates both buffers on success.
    let host = unsafe { std::ffi::CStr::from_ptr(host.as_ptr()) };
    // SAFETY: as above.
    let service = unsafe { std::ffi::CStr::from_ptr(service.as_ptr()) };
    Ok((
        host.to_string_lossy().into_owned(),
        service.to_string_lossy().into_owned(),
    ))
}

/// `gai_strerror(3)`.
pub fn gai_strerror(rc: libc::c_int) -> String {
    // SAFETY: gai_strerror returns a static NUL-terminated string.
    unsafe { std::ffi::CStr::from_ptr(libc::gai_strerror(rc)) }
        .to_string_lossy()
        .into_owned()
}

// ---------------------------------------------------------------------------
// Capabilities
// ---------------------------------------------------------------------------

/// A Linux capability number (`CAP_*`).
pub type Capability = u32;

/// `CAP_CHOWN`.
pub const CAP_CHOWN: Capability = 0;
/// `CAP_DAC_OVERRIDE`.
pub const CAP_DAC_OVERRIDE: Capability = 1;
/// `CAP_DAC_READ_SEARCH`.
pub const CAP_DAC_READ_SEARCH: Capability = 2;
/// `CAP_FOWNER`.
pub const CAP_FOWNER: Capability = 3;
/// `CAP_NET_BIND_SERVICE`.
pub const CAP_NET_BIND_SERVICE: Capability = 10;
/// `CAP_NET_ADMIN`.
pub const CAP_NET_ADMIN: Capability = 12;
/// `CAP_NET_RAW`.
pub const CAP_NET_RAW: Capability = 13;
/// `CAP_SETPCAP`: needed to drop capabilities from the bounding set.
pub const CAP_SETPCAP: Capability = 8;
/// One past the highest capability number the kernels we know define.
pub const CAP_COUNT: Capability = 64;

/// The three capability sets of the calling thread, one bit per
/// capability.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CapabilitySets {
    /// Effective.
    pub effective: u64,
    /// Permitted.
    pub permitted: u64,
    /// Inheritable.
    pub inheritable: u64,
}

#[cfg(any(target_os = "linux", target_os = "android"))]
mod caps {
    use super::*;

    const LINUX_CAPABILITY_VERSION_3: u32 = 0x2008_0522;

    #[repr(C)]
    struct Header {
        version: u32,
        pid: libc::c_int,
    }

    #[repr(C)]
    #[derive(Clone, Copy, Default)]
    struct Data {
        effective: u32,
        permitted: u32,
        inheritable: u32,
    }

    fn split(bits: u64) -> (u32, u32) {
        (bits as u32, (bits >> 32) as u32)
    }

    /// `capget(2)` of the calling thread.
    pub fn get() -> io::Result<CapabilitySets> {
        let mut header = Header {
            version: LINUX_CAPABILITY_VERSION_3,
            pid: 0,
        };
        let mut data = [Data::default(); 2];
        // SAFETY: a version-3 header and two data records, as capget expects.
        let rc = unsafe { libc::syscall(libc::SYS_capget, &mut header, data.as_mut_ptr()) };
        if rc != 0 {
            return Err(io::Error::last_os_error());
        }
        let join = |low: u32, high: u32| u64::from(low) | (u64::from(high) << 32);
        Ok(CapabilitySets {
            effective: join(data[0].effective, data[1].effective),
            permitted: join(data[0].permitted, data[1].permitted),
            inheritable: join(data[0].inheritable, data[1].inheritable),
        })
    }

    /// `capset(2)` of the calling thread.
    pub fn set(sets: CapabilitySets) -> io::Result<()> {
        let mut header = Header {
            version: LINUX_CAPABILITY_VERSION_3,
            pid: 0,
        };
        let (e0, e1) = split(sets.effective);
        let (p0, p1) = split(sets.permitted);
        let (i0, i1) = split(sets.inheritable);
        let data = [
            Data {
                effective: e0,
                permitted: p0,
                inheritable: i0,
            },
            Data {
                effective: e1,
                permitted: p1,
                inheritable: i1,
            },
        ];
        // SAFETY: a version-3 header and two data records, as capset expects.
        let rc = unsafe { libc::syscall(libc::SYS_capset, &mut header, data.as_ptr()) };
        if rc != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }

    /// `prctl(PR_CAPBSET_READ, cap)`: whether `cap` is in the bounding set
    /// (`None` when the kernel does not know the capability).
    pub fn in_bounding_set(cap: Capability) -> Option<bool> {
        // SAFETY: PR_CAPBSET_READ takes the capability number and no pointer.
        let rc = unsafe { libc::prctl(libc::PR_CAPBSET_READ, libc::c_ulong::from(cap), 0, 0, 0) };
        match rc {
            1 => Some(true),
            0 => Some(false),
            _ => None,
        }
    }

    /// `prctl(PR_CAPBSET_DROP, cap)`.
    pub fn drop_from_bounding_set(cap: Capability) -> io::Result<()> {
        // SAFETY: PR_CAPBSET_DROP takes the capability number and no pointer.
        check(unsafe { libc::prctl(libc::PR_CAPBSET_DROP, libc::c_ulong::from(cap), 0, 0, 0) })
            .map(drop)
    }

    /// `prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL)`.
    pub fn clear_ambient() -> io::Result<()> {
        // SAFETY: no pointers.
        check(unsafe {
            libc::prctl(
                libc::PR_CAP_AMBIENT,
                libc::PR_CAP_AMBIENT_CLEAR_ALL as libc::c_ulong,
                0,
                0,
                0,
            )
        })
        .map(drop)
    }

    /// `prctl(PR_SET_NO_NEW_PRIVS, 1)`: no later `execve` can gain
    /// privileges (set-user-ID bits or file capabilities).
    pub fn set_no_new_privileges() -> io::Result<()> {
        // SAFETY: no pointers.
        check(unsafe { libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) }).map(drop)
    }
}

#[cfg(any(target_os = "linux", target_os = "android"))]
pub use caps::{
    clear_ambient, drop_from_bounding_set, get as capabilities, in_bounding_set,
    set as set_capabilities, set_no_new_privileges,
};

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
