//! Data transfer: send, send-to, receive, receive-from, and the one
//! try-then-wait loop every blocking call uses.
//!
//! The waiting part of each call runs on a [`SocketIo`]: what the I/O needs
//! of a socket (its registration, type and inbound filter), taken out of
//! it, so a call of the async contract waits without holding the socket
//! (the store's resource table) across the wait. The `Socket` methods do
//! the state checks and hand off to it, so both contracts run one path.

use std::future::Future;
use std::io;
use std::os::fd::AsRawFd;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use socket2::{SockAddr, Socket as OsSocket};
use tokio::io::Interest;
use tokio::io::unix::{AsyncFd, AsyncFdReadyGuard};
use tokio::time::Instant;

use super::readiness::{StaleWakes, Watch, is_closed};
use super::{InboundFilter, Kind, RecvFlags, SendFlags, Socket, State, is_would_block};
use crate::error::{Error, Result};
use crate::sys;

/// The most one `receive` / `receive-from` on a stream socket returns,
/// whatever `max-length` the guest asks for (WIT: "The host caps one
/// call's buffer"). A stream may return less than asked at any time.
pub const RECEIVE_CAP: usize = 64 * 1024;

/// The most one `receive` / `receive-from` on a datagram socket returns:
/// more than any UDP datagram (64 KiB) and than a unix datagram can carry
/// with a send buffer at the host's ceiling (`SO_SNDBUF` 4 MiB, which
/// Linux doubles). Up to it, a datagram is returned whole when the guest
/// asked for that much, and marked truncated when it asked for less.
pub const DATAGRAM_RECEIVE_CAP: usize = 16 * 1024 * 1024;

/// The instant a call's `timeout` runs out, from now.
pub(crate) fn deadline_after(timeout: Option<Duration>) -> Option<Instant> {
    timeout.map(|limit| Instant::now() + limit)
}

/// Waits for `interest` and retries `call` until it does not would-block.
///
/// A socket whose read side is shut down (`shutdown(2)`) with nothing
/// queued is reported readable and hung up for good, while the
/// non-blocking call keeps saying `EAGAIN` where the blocking one would
/// return at once: `recv(2)` on a datagram socket with 0 bytes, `accept(2)`
/// on a unix listener with `EINVAL`. A readable wait then answers what the
/// blocking call would (`at_read_shutdown`) instead of waiting for what
/// never comes. (Streams answer by themselves: end of file.)
async fn until_ready<T>(
    fd: &AsyncFd<OsSocket>,
    interest: Interest,
    operation: &str,
    mut call: impl FnMut(&OsSocket) -> io::Result<T>,
    at_read_shutdown: impl FnOnce() -> io::Result<T>,
) -> Result<T> {
    let mut stale = StaleWakes::new();
    loop {
        let mut guard = fd
            .ready(interest)
            .await
            .map_err(|e| Error::io(operation, &e))?;
        let closed = is_closed(guard.ready());
        match guard.try_io(|inner| call(inner.get_ref())) {
            Ok(result) => return result.map_err(|e| Error::io(operation, &e)),
            Err(_would_block) => {
                if closed
                    && interest.is_readable()
                    && sys::read_side_shut(fd.as_raw_fd()).unwrap_or(false)
                {
                    return at_read_shutdown().map_err(|e| Error::io(operation, &e));
                }
                stale.after(closed).await;
            }
        }
    }
}

/// Tries `call` once; when the OS would block (and the caller may wait),
/// waits for `interest` and tries again (see [`until_ready`], which also
/// says what `at_read_shutdown` is for). The hot path is the one syscall.
///
/// Where the reactor still marks the socket ready for `interest` (a call
/// that succeeded leaves the mark: only a would-block clears it), the try
/// is made under the mark's guard, so a would-block clears it and the
/// wait that follows waits for the next event, instead of trying the
/// syscall once more in vain on the stale mark: one syscall fewer for
/// every call that must wait (`accept` made three `accept4(2)` per
/// connection, two of them would-block). Where there is no mark, the
/// event may not have reached the reactor yet: the syscall is tried all
/// the same. A call that may not wait (`dont_wait`) has no wait to save
/// and makes its syscall at once: looking for the mark costs a little
/// (2 % of a round trip of the 0.1.0 `echo-server`, which receives and
/// sends with `MSG_DONTWAIT`).
pub(super) async fn try_then_wait<T>(
    fd: &AsyncFd<OsSocket>,
    interest: Interest,
    operation: &str,
    dont_wait: bool,
    mut call: impl FnMut(&OsSocket) -> io::Result<T>,
    at_read_shutdown: impl FnOnce() -> io::Result<T>,
) -> Result<T> {
    let marked = if dont_wait {
        None
    } else {
        marked_ready(fd, interest)
    };
    let first = match marked {
        Some(mut guard) => match guard.try_io(|inner| call(inner.get_ref())) {
            Ok(result) => result,
            Err(_would_block) => Err(io::ErrorKind::WouldBlock.into()),
        },
        None => call(fd.get_ref()),
    };
    match first {
        Err(e) if is_would_block(&e) && !dont_wait => {
            until_ready(fd, interest, operation, call, at_read_shutdown).await
        }
        other => other.map_err(|e| Error::io(operation, &e)),
    }
}

/// The reactor's guard for `interest` on `fd` if it marks the socket
/// ready now, without waiting (nor leaving a waker behind).
fn marked_ready(
    fd: &AsyncFd<OsSocket>,
    interest: Interest,
) -> Option<AsyncFdReadyGuard<'_, OsSocket>> {
    let ready = std::pin::pin!(fd.ready(interest));
    match ready.poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(Ok(guard)) => Some(guard),
        Poll::Ready(Err(_)) | Poll::Pending => None,
    }
}

/// [`try_then_wait`] bounded by `deadline`.
async fn try_until<T>(
    fd: &AsyncFd<OsSocket>,
    interest: Interest,
    operation: &str,
    dont_wait: bool,
    deadline: Option<Instant>,
    call: impl FnMut(&OsSocket) -> io::Result<T>,
    at_read_shutdown: impl FnOnce() -> io::Result<T>,
) -> Result<T> {
    let attempt = try_then_wait(fd, interest, operation, dont_wait, call, at_read_shutdown);
    match deadline {
        None => attempt.await,
        Some(deadline) => tokio::time::timeout_at(deadline, attempt)
            .await
            .unwrap_or_else(|_| Err(Error::timeout(operation))),
    }
}

/// What one receive got.
struct Received {
    /// The length the OS reported (a datagram's real length).
    length: usize,
    source: Option<SockAddr>,
    /// Nothing, because the read side is shut down: what a blocking
    /// `recv(2)` answers then (0 bytes, no source).
    at_shutdown: bool,
}

/// A send waits for writable only, never for a shut-down read side.
fn write_only<T>() -> io::Result<T> {
    Err(io::Error::from_raw_os_error(libc::EAGAIN))
}

/// What a send or receive needs of a socket, taken out of it
/// ([`Socket::io`]): the reactor registration, the type, and the shared
/// inbound filter. It keeps the descriptor open while a call waits.
#[derive(Clone, Debug)]
pub struct SocketIo {
    pub(super) fd: Arc<AsyncFd<OsSocket>>,
    pub(super) kind: Kind,
    pub(super) inbound: Option<Arc<Mutex<InboundFilter>>>,
}

impl Socket {
    /// `send(2)`: the spec's `socket-send`. Waits until at least some data
    /// is sent and returns how much was.
    pub async fn send(
        &mut self,
        data: &[u8],
        flags: SendFlags,
        timeout: Option<Duration>,
    ) -> Result<usize> {
        const OP: &str = "send";
        if self.tls.is_some() {
            return self.tls_send(data, flags, timeout).await;
        }
        self.io(OP)?.send(data, flags, timeout).await
    }

    /// `sendto(2)`: the spec's `socket-send-to`.
    ///
    /// On a connected socket it fails before any syscall: a connected
    /// stream with `invalid-state` (Linux would ignore the address), a
    /// connected datagram socket with `already-connected` (Linux would
    /// send to the address, other systems fail with `EISCONN`: one answer
    /// on every host).
    pub async fn send_to(
        &mut self,
        data: &[u8],
        address: &SockAddr,
        flags: SendFlags,
        timeout: Option<Duration>,
    ) -> Result<usize> {
        self.send_to_io()?
            .send_to(data, address, flags, timeout)
            .await
    }

    /// The checks of `send_to`, before any syscall: the I/O of a socket
    /// that may send to an address.
    pub fn send_to_io(&self) -> Result<SocketIo> {
        const OP: &str = "send-to";
        let io = self.io(OP)?;
        if self.tls.is_some() {
            return Err(Error::invalid_state(
                OP,
                "the socket carries TLS to its peer; use send",
            ));
        }
        if self.state == State::Connected {
            return Err(match self.kind {
                Kind::Stream => {
                    Error::invalid_state(OP, "the stream socket is connected; use send")
                }
                Kind::Dgram | Kind::Raw => Error::errno(OP, libc::EISCONN),
            });
        }
        Ok(io)
    }

    /// `recv(2)`: the spec's `socket-receive`. Returns up to `max_length`
    /// bytes (at most [`RECEIVE_CAP`] on a stream, [`DATAGRAM_RECEIVE_CAP`]
    /// on a datagram socket); empty is end of file on a stream.
    pub async fn receive(
        &mut self,
        max_length: u32,
        flags: RecvFlags,
        timeout: Option<Duration>,
    ) -> Result<Vec<u8>> {
        let (data, _, _) = self
            .receive_inner("receive", max_length, flags, timeout, false)
            .await?;
        Ok(data)
    }

    /// `recvfrom(2)`: the spec's `socket-receive-from`. Returns the bytes,
    /// the source address (`None` where the OS reports none) and whether a
    /// datagram was longer than asked for (`MSG_TRUNC`).
    pub async fn receive_from(
        &mut self,
        max_length: u32,
        flags: RecvFlags,
        timeout: Option<Duration>,
    ) -> Result<(Vec<u8>, Option<SockAddr>, bool)> {
        self.receive_inner("receive-from", max_length, flags, timeout, true)
            .await
    }

    /// Both receives. One timeout bounds the whole call, `MSG_WAITALL`'s
    /// loop and dropped datagrams included; what a wait-all receive got
    /// before its timeout or an error is returned, not lost.
    async fn receive_inner(
        &mut self,
        operation: &str,
        max_length: u32,
        flags: RecvFlags,
        timeout: Option<Duration>,
        want_source: bool,
    ) -> Result<(Vec<u8>, Option<SockAddr>, bool)> {
        let io = self.receive_io(operation, max_length)?;
        if self.tls.is_some() {
            let limit = usize::try_from(max_length)
                .unwrap_or(usize::MAX)
                .min(RECEIVE_CAP);
            let data = self.tls_receive(operation, limit, flags, timeout).await?;
            return Ok((data, None, false));
        }
        io.receive(operation, want_source, max_length, flags, timeout)
            .await
    }

    /// The checks of both receives, before any syscall: the I/O of an
    /// open socket asked for at least one byte.
    pub fn receive_io(&self, operation: &str, max_length: u32) -> Result<SocketIo> {
        let io = self.io(operation)?;
        if max_length == 0 {
            // An empty result means end of file: a zero-length receive
            // could only say that falsely, or wait for nothing.
            return Err(Error::invalid_argument(
                operation,
                "a length of 0 receives nothing (and an empty result means end of file)",
            ));
        }
        Ok(io)
    }
}

impl SocketIo {
    /// `send(2)` (see [`Socket::send`]), on a socket without TLS.
    pub async fn send(
        &self,
        data: &[u8],
        flags: SendFlags,
        timeout: Option<Duration>,
    ) -> Result<usize> {
        let bits = flags.bits();
        try_until(
            &self.fd,
            Interest::WRITABLE,
            "send",
            flags.dont_wait,
            deadline_after(timeout),
            |socket| socket.send_with_flags(data, bits),
            write_only,
        )
        .await
    }

    /// `sendto(2)` (see [`Socket::send_to`]), after [`Socket::send_to_io`].
    pub async fn send_to(
        &self,
        data: &[u8],
        address: &SockAddr,
        flags: SendFlags,
        timeout: Option<Duration>,
    ) -> Result<usize> {
        let bits = flags.bits();
        try_until(
            &self.fd,
            Interest::WRITABLE,
            "send-to",
            flags.dont_wait,
            deadline_after(timeout),
            |socket| socket.send_to_with_flags(data, address, bits),
            write_only,
        )
        .await
    }

    /// Both receives (see [`Socket::receive_from`]), after
    /// [`Socket::receive_io`], on a socket without TLS; the source address
    /// is read only when `want_source`.
    pub async fn receive(
        &self,
        operation: &str,
        want_source: bool,
        max_length: u32,
        flags: RecvFlags,
        timeout: Option<Duration>,
    ) -> Result<(Vec<u8>, Option<SockAddr>, bool)> {
        let fd = &self.fd;
        let datagram = self.kind.is_datagram();
        let cap = if datagram {
            DATAGRAM_RECEIVE_CAP
        } else {
            RECEIVE_CAP
        };
        let limit = usize::try_from(max_length).unwrap_or(usize::MAX).min(cap);
        // MSG_TRUNC on a datagram socket makes recv(2) return the real
        // length; on a stream it would discard data, so never there.
        let bits = flags.bits() | if datagram { libc::MSG_TRUNC } else { 0 };
        let wait_all = flags.wait_all && !datagram;
        let filtering = datagram && self.inbound.is_some();
        let deadline = deadline_after(timeout);

        let mut buffer: Vec<u8> = Vec::new();
        let mut source = None;
        let mut truncated = false;
        loop {
            let filled = buffer.len();
            let result = try_until(
                fd,
                Interest::READABLE,
                operation,
                flags.dont_wait,
                deadline,
                |socket| {
                    let room = if datagram && limit > RECEIVE_CAP {
                        // Allocate what the next datagram needs, not the cap.
                        let mut probe = Vec::new();
                        let (pending, _) = sys::recv_append(
                            socket,
                            &mut probe,
                            0,
                            libc::MSG_PEEK | libc::MSG_TRUNC,
                            false,
                        )?;
                        pending.clamp(1, limit)
                    } else {
                        limit - filled
                    };
                    sys::recv_append(socket, &mut buffer, room, bits, want_source || filtering).map(
                        |(length, source)| Received {
                            length,
                            source,
                            at_shutdown: false,
                        },
                    )
                },
                || {
                    Ok(Received {
                        length: 0,
                        source: None,
                        at_shutdown: true,
                    })
                },
            )
            .await;
            match result {
                // The read side is shut down: nothing more (what a wait-all
                // receive got so far is returned).
                Ok(got) if got.at_shutdown => break,
                Ok(got) => {
                    if filtering
                        && let Some(filter) = &self.inbound
                        && !filter
                            .lock()
                            .unwrap_or_else(|poisoned| poisoned.into_inner())
                            .keeps(got.source.as_ref())
                    {
                        if flags.peek {
                            // The peeked datagram is still queued: take it out.
                            let mut discard = Vec::new();
                            let _ = sys::recv_append(
                                fd.get_ref(),
                                &mut discard,
                                0,
                                libc::MSG_TRUNC | libc::MSG_DONTWAIT,
                                false,
                            );
                        }
                        buffer.clear();
                        continue;
                    }
                    let kept = buffer.len() - filled;
                    if datagram && got.length > kept {
                        truncated = true;
                    }
                    if source.is_none() && want_source {
                        source = got.source;
                    }
                    // MSG_WAITALL on a non-blocking stream returns what is
                    // there: loop until full or end of file.
                    if wait_all && kept > 0 && buffer.len() < limit && !flags.peek {
                        continue;
                    }
                    break;
                }
                // An error (or the timeout) after part of a wait-all
                // receive: return the part.
                Err(_) if !buffer.is_empty() => break,
                Err(e) => return Err(e),
            }
        }
        Ok((buffer, source, truncated))
    }
}

/// The data path of a connected stream socket as polled byte streams (the
/// async contract's `receive-stream` and `send-stream`): each read or
/// write is one `recv(2)` / `send(2)` on the caller's buffer, tried when
/// the reactor says the socket is ready.
///
/// It keeps only a [`Watch`], so it never keeps a closed socket's
/// descriptor open: once the socket is closed every poll answers
/// `closed`, and a poll that was pending is woken to say so.
#[derive(Debug)]
pub struct StreamIo {
    watch: Watch,
    /// This stream's name among the socket's, for its close waker.
    id: u64,
}

/// The ids of byte streams, unique in the process.
static STREAM_IDS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

impl Drop for StreamIo {
    fn drop(&mut self) {
        self.watch.forget_stream(self.id);
    }
}

impl Socket {
    /// The byte streams of a connected stream socket without TLS:
    /// `closed`, `operation-not-supported` (not a stream), `not-connected`,
    /// or `invalid-state` (TLS) otherwise.
    pub fn stream_io(&self, operation: &str) -> Result<StreamIo> {
        self.open(operation)?;
        if self.kind != Kind::Stream {
            return Err(Error::errno(operation, libc::EOPNOTSUPP));
        }
        if self.state != State::Connected {
            return Err(Error::errno(operation, libc::ENOTCONN));
        }
        if self.tls.is_some() {
            return Err(Error::invalid_state(
                operation,
                "the socket carries TLS to its peer; use receive and send",
            ));
        }
        Ok(StreamIo {
            watch: self.watch(),
            id: STREAM_IDS.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
        })
    }
}

impl StreamIo {
    /// `poll` as it is, having the task woken when the socket closes too
    /// while it is pending (the reactor does not say so).
    fn or_on_close<T>(&self, cx: &mut Context<'_>, poll: Poll<T>) -> Poll<T> {
        if poll.is_pending() {
            self.watch.wake_on_close(self.id, cx.waker());
        }
        poll
    }

    /// Ready when a read would not block (data, end of file or an error).
    pub fn poll_read_ready(&self, cx: &mut Context<'_>) -> Poll<Result<()>> {
        let Some(fd) = self.watch.current() else {
            return Poll::Ready(Err(Error::closed("receive")));
        };
        let ready = fd
            .poll_read_ready(cx)
            .map(|ready| ready.map(drop).map_err(|e| Error::io("receive", &e)));
        self.or_on_close(cx, ready)
    }

    /// Ready when a write would not block (room, or an error).
    pub fn poll_write_ready(&self, cx: &mut Context<'_>) -> Poll<Result<()>> {
        let Some(fd) = self.watch.current() else {
            return Poll::Ready(Err(Error::closed("send")));
        };
        let ready = fd
            .poll_write_ready(cx)
            .map(|ready| ready.map(drop).map_err(|e| Error::io("send", &e)));
        self.or_on_close(cx, ready)
    }

    /// `recv(2)` into `buffer` once the socket is readable: how many bytes
    /// came, 0 at end of file.
    pub fn poll_read(&self, cx: &mut Context<'_>, buffer: &mut [u8]) -> Poll<Result<usize>> {
        const OP: &str = "receive";
        let Some(fd) = self.watch.current() else {
            return Poll::Ready(Err(Error::closed(OP)));
        };
        loop {
            let mut guard = match fd.poll_read_ready(cx) {
                Poll::Ready(Ok(guard)) => guard,
                Poll::Ready(Err(e)) => return Poll::Ready(Err(Error::io(OP, &e))),
                Poll::Pending => return self.or_on_close(cx, Poll::Pending),
            };
            let closed = is_closed(guard.ready());
            let read = |fd: &AsyncFd<OsSocket>| {
                let mut socket: &OsSocket = fd.get_ref();
                io::Read::read(&mut socket, &mut *buffer)
            };
            match guard.try_io(read) {
                Ok(result) => return Poll::Ready(result.map_err(|e| Error::io(OP, &e))),
                // A hung-up registration whose recv(2) would block never
                // becomes ready again (see `StaleWakes`): a connected
                // stream answers end of file or an error, so this is only
                // the net under states not foreseen.
                Err(_would_block) if closed => {
                    return Poll::Ready(Err(Error::errno(OP, libc::ENOTCONN)));
                }
                Err(_would_block) => continue,
            }
        }
    }

    /// `send(2)` (with `MSG_NOSIGNAL`) of `data` once the socket is
    /// writable: how many bytes were sent.
    pub fn poll_write(&self, cx: &mut Context<'_>, data: &[u8]) -> Poll<Result<usize>> {
        const OP: &str = "send";
        let Some(fd) = self.watch.current() else {
            return Poll::Ready(Err(Error::closed(OP)));
        };
        loop {
            let mut guard = match fd.poll_write_ready(cx) {
                Poll::Ready(Ok(guard)) => guard,
                Poll::Ready(Err(e)) => return Poll::Ready(Err(Error::io(OP, &e))),
                Poll::Pending => return self.or_on_close(cx, Poll::Pending),
            };
            let send =
                |fd: &AsyncFd<OsSocket>| fd.get_ref().send_with_flags(data, libc::MSG_NOSIGNAL);
            match guard.try_io(send) {
                Ok(result) => return Poll::Ready(result.map_err(|e| Error::io(OP, &e))),
                Err(_would_block) => continue,
            }
        }
    }
}
