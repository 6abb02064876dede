//! Sockets: readiness, the reactor, epoll, accept, close, options, receive, TCP state.

use std::io;
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};

use super::{check, retry};

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

/// Whether the socket's read side is shut down (`shutdown(2)` with
/// `SHUT_RD` or `SHUT_RDWR`, or the peer's end of a stream), by `poll(2)`
/// with no wait: Linux reports `POLLRDHUP` exactly then. Hang-ups that do
/// not shut the read side (an unconnected stream) do not count.
#[cfg(any(target_os = "linux", target_os = "android"))]
pub fn read_side_shut(fd: RawFd) -> io::Result<bool> {
    let mut entry = libc::pollfd {
        fd,
        events: libc::POLLRDHUP,
        revents: 0,
    };
    retry(|| {
        // SAFETY: one valid, initialised pollfd; count 1; no wait.
        check(unsafe { libc::poll(&mut entry, 1, 0) })
    })
    .map(|n| n > 0 && entry.revents & libc::POLLRDHUP != 0)
}

/// Elsewhere `POLLRDHUP` does not exist: never known to be shut.
#[cfg(not(any(target_os = "linux", target_os = "android")))]
pub fn read_side_shut(_fd: RawFd) -> io::Result<bool> {
    Ok(false)
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

/// Takes ownership of a descriptor this process inherited at `raw`
/// (systemd's socket activation passes listeners from descriptor 3 on),
/// after `fcntl(2)` says it is open, and marks it close-on-exec.
///
/// Call it once per descriptor, before anything else in the process
/// could own `raw`: the process's start-up inherited it and nothing
/// opened it since.
pub fn take_inherited(raw: RawFd) -> io::Result<OwnedFd> {
    // SAFETY: no pointers; a closed descriptor is EBADF.
    let flags = check(unsafe { libc::fcntl(raw, libc::F_GETFD) })?;
    // SAFETY: as above.
    check(unsafe { libc::fcntl(raw, libc::F_SETFD, flags | libc::FD_CLOEXEC) })?;
    // SAFETY: open (above), and inherited: nothing else in the process
    // owns it (this function's contract).
    Ok(unsafe { OwnedFd::from_raw_fd(raw) })
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
