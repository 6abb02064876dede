//! The socket logic: one real, non-blocking OS socket per guest socket,
//! registered with the tokio reactor, with per-call timeouts.
//!
//! This module knows nothing of WIT or of the policy: the glue
//! (`crate::glue`) checks the policy, converts addresses and hands off
//! here. Every operation that can block first tries the syscall and waits
//! for readiness only when the OS says `EWOULDBLOCK`, so the hot path
//! costs one syscall; no task is spawned per call and no lock is held
//! across a syscall.

use std::future::Future;
use std::io;
use std::mem::MaybeUninit;
use std::os::fd::{AsRawFd, FromRawFd, IntoRawFd, RawFd};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use socket2::{Domain, Protocol, SockAddr, Socket, Type};
use tokio::io::Interest;
use tokio::io::unix::AsyncFd;

use crate::error::{Error, ErrorClass, ErrorCode, Result};

/// The most one `receive` / `receive-from` call allocates, whatever
/// `max-length` the guest asks for (WIT: "The host caps one call's buffer
/// (64 KiB)").
pub const RECEIVE_CAP: usize = 64 * 1024;

/// Address family of a socket (`socket(2)`'s domain).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Family {
    /// `AF_INET`.
    Inet,
    /// `AF_INET6`.
    Inet6,
    /// `AF_UNIX`.
    Unix,
}

impl Family {
    fn domain(self) -> Domain {
        match self {
            Family::Inet => Domain::IPV4,
            Family::Inet6 => Domain::IPV6,
            Family::Unix => Domain::UNIX,
        }
    }

    /// The family of an OS socket address, if it is one of ours.
    pub fn of(address: &SockAddr) -> Option<Family> {
        match i32::from(address.family()) {
            libc::AF_INET => Some(Family::Inet),
            libc::AF_INET6 => Some(Family::Inet6),
            libc::AF_UNIX => Some(Family::Unix),
            _ => None,
        }
    }
}

/// Socket type (`socket(2)`'s type).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    /// `SOCK_STREAM`.
    Stream,
    /// `SOCK_DGRAM`.
    Dgram,
    /// `SOCK_RAW`.
    Raw,
}

impl Kind {
    fn socket_type(self) -> Type {
        match self {
            Kind::Stream => Type::STREAM,
            Kind::Dgram => Type::DGRAM,
            Kind::Raw => Type::RAW,
        }
    }

    /// The kind of an OS `SOCK_*` number (as `SO_TYPE` reports it).
    pub fn from_raw(raw: i32) -> Option<Kind> {
        match raw {
            libc::SOCK_STREAM => Some(Kind::Stream),
            libc::SOCK_DGRAM => Some(Kind::Dgram),
            libc::SOCK_RAW => Some(Kind::Raw),
            _ => None,
        }
    }

    /// Message-oriented sockets, where `MSG_TRUNC` reports a datagram's
    /// real length.
    fn is_datagram(self) -> bool {
        matches!(self, Kind::Dgram | Kind::Raw)
    }
}

/// `how` of `shutdown(2)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ShutdownHow {
    /// `SHUT_RD`.
    Read,
    /// `SHUT_WR`.
    Write,
    /// `SHUT_RDWR`.
    Both,
}

/// `flags` of `send(2)` / `sendto(2)`; `MSG_NOSIGNAL` is always added.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SendFlags {
    /// `MSG_OOB`.
    pub oob: bool,
    /// `MSG_DONTROUTE`.
    pub dont_route: bool,
    /// `MSG_DONTWAIT`: fail with would-block rather than wait.
    pub dont_wait: bool,
    /// `MSG_EOR`.
    pub end_of_record: bool,
    /// `MSG_MORE`.
    pub more: bool,
}

impl SendFlags {
    fn bits(self) -> libc::c_int {
        let mut bits = libc::MSG_NOSIGNAL;
        if self.oob {
            bits |= libc::MSG_OOB;
        }
        if self.dont_route {
            bits |= libc::MSG_DONTROUTE;
        }
        if self.dont_wait {
            bits |= libc::MSG_DONTWAIT;
        }
        if self.end_of_record {
            bits |= libc::MSG_EOR;
        }
        if self.more {
            bits |= libc::MSG_MORE;
        }
        bits
    }
}

/// `flags` of `recv(2)` / `recvfrom(2)`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RecvFlags {
    /// `MSG_PEEK`.
    pub peek: bool,
    /// `MSG_OOB`.
    pub oob: bool,
    /// `MSG_WAITALL`: on a stream, wait for the whole length (the host
    /// loops, since the OS socket is non-blocking).
    pub wait_all: bool,
    /// `MSG_DONTWAIT`: fail with would-block rather than wait.
    pub dont_wait: bool,
}

impl RecvFlags {
    fn bits(self) -> libc::c_int {
        let mut bits = 0;
        if self.peek {
            bits |= libc::MSG_PEEK;
        }
        if self.oob {
            bits |= libc::MSG_OOB;
        }
        if self.dont_wait {
            bits |= libc::MSG_DONTWAIT;
        }
        bits
    }
}

/// What a readiness wait is for (WIT `interest`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Readiness {
    /// Data, end of file, a connection to accept or an error.
    pub readable: bool,
    /// Room to send, a completed connect or an error.
    pub writable: bool,
}

/// Where a socket is in its life. The OS keeps the real state; this one
/// lets the glue refuse calls that make no sense before any syscall, and
/// remembers a connect that timed out so the next `connect` finishes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    /// Fresh from `socket(2)` (or `accept` for `Connected`). → `Bound`
    /// (bind), `Connecting`/`Connected` (connect), `Listening` (listen).
    Created,
    /// `bind` succeeded. → `Listening`, `Connecting`, `Connected`.
    Bound,
    /// `listen` succeeded; `accept` is valid. Stays until close.
    Listening,
    /// A connect's timeout expired while the OS was still connecting. A
    /// later `connect` waits for it again. → `Connected`.
    Connecting,
    /// Connected (stream) or given a default peer (datagram). A datagram
    /// socket may connect again.
    Connected,
    /// `close` ran: the OS socket is gone, every call fails with `closed`.
    Closed,
}

/// One guest socket: the OS socket registered with the tokio reactor,
/// plus what `create` was told.
#[derive(Debug)]
pub struct HostSocket {
    family: Family,
    kind: Kind,
    protocol: u16,
    state: State,
    /// `None` once closed. An `Arc` so that a pollable can hold a `Weak`
    /// and never keep a closed socket's descriptor alive.
    fd: Option<Arc<AsyncFd<Socket>>>,
    /// What pollables hold: the current registration, updated when the
    /// socket is registered again (see [`HostSocket::register_again`]).
    watch: Arc<Mutex<Weak<AsyncFd<Socket>>>>,
}

/// What a pollable keeps of its socket: it follows the socket across
/// registrations and never keeps a closed socket's descriptor alive.
#[derive(Clone, Debug, Default)]
pub struct Watch(Weak<Mutex<Weak<AsyncFd<Socket>>>>);

impl Watch {
    /// The socket's current registration, if it is still open.
    fn current(&self) -> Option<Arc<AsyncFd<Socket>>> {
        let cell = self.0.upgrade()?;
        cell.lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .upgrade()
    }
}

/// Runs `future` under the call's own timeout; `None` waits forever.
async fn with_timeout<T>(
    operation: &str,
    timeout: Option<Duration>,
    future: impl Future<Output = Result<T>>,
) -> Result<T> {
    match timeout {
        None => future.await,
        Some(limit) => match tokio::time::timeout(limit, future).await {
            Ok(result) => result,
            Err(_) => Err(Error::timeout(operation)),
        },
    }
}

fn is_would_block(err: &io::Error) -> bool {
    err.kind() == io::ErrorKind::WouldBlock
}

/// `poll(2)` on one descriptor with no wait: which of `events` are ready
/// now (errors and hang-ups count as ready).
pub(crate) fn poll_now(fd: RawFd, events: libc::c_short) -> io::Result<bool> {
    let mut entry = libc::pollfd {
        fd,
        events,
        revents: 0,
    };
    loop {
        // SAFETY: one valid pollfd, count 1, no wait.
        let n = unsafe { libc::poll(&mut entry, 1, 0) };
        if n >= 0 {
            return Ok(n > 0
                && entry.revents & (events | libc::POLLERR | libc::POLLHUP | libc::POLLNVAL) != 0);
        }
        let err = io::Error::last_os_error();
        if err.kind() != io::ErrorKind::Interrupted {
            return Err(err);
        }
    }
}

/// Wraps an owned non-blocking OS socket for the reactor.
fn register(socket: Socket, operation: &str) -> Result<Arc<AsyncFd<Socket>>> {
    // SAFETY: the `Socket` owns its descriptor and the `AsyncFd` owns the
    // `Socket`, so the descriptor stays open and the same for as long as it
    // is registered (`close` takes it back out with `into_inner` first).
    unsafe { AsyncFd::register_with_interest(socket, Interest::READABLE | Interest::WRITABLE) }
        .map(Arc::new)
        .map_err(|e| Error::io(operation, &io::Error::from(e)))
}

impl HostSocket {
    /// `socket(2)`, non-blocking and close-on-exec: the spec's
    /// `(socket family type protocol)`.
    ///
    /// Must run inside a tokio runtime (the reactor registers the socket).
    pub fn create(family: Family, kind: Kind, protocol: u16) -> Result<HostSocket> {
        let protocol_arg = (protocol != 0).then(|| Protocol::from(i32::from(protocol)));
        let socket = Socket::new(
            family.domain(),
            kind.socket_type().nonblocking(),
            protocol_arg,
        )
        .map_err(|e| Error::io("socket", &e))?;
        Ok(HostSocket::new(
            family,
            kind,
            protocol,
            State::Created,
            register(socket, "socket")?,
        ))
    }

    fn new(
        family: Family,
        kind: Kind,
        protocol: u16,
        state: State,
        fd: Arc<AsyncFd<Socket>>,
    ) -> HostSocket {
        let watch = Arc::new(Mutex::new(Arc::downgrade(&fd)));
        HostSocket {
            family,
            kind,
            protocol,
            state,
            fd: Some(fd),
            watch,
        }
    }

    /// Registers a stream socket with the reactor again once it has become
    /// a connecting or listening one.
    ///
    /// Linux reports a stream socket that is neither connected nor
    /// listening as hung up (`EPOLLHUP`); tokio records that as "read
    /// closed" and never clears it, so after `connect` or `listen` every
    /// wait on the old registration would return at once, forever: a
    /// receive or accept would spin and its timeout never fire. A fresh
    /// registration starts from the socket's real state. (Tests:
    /// socket_logic `receive_timeout_fires_on_a_connected_stream_*`, e2e
    /// `sdk::timeouts_fire_with_class_timeout`.)
    fn register_again(&mut self, operation: &str) -> Result<()> {
        if self.kind != Kind::Stream {
            return Ok(());
        }
        let Some(fd) = self.fd.take() else {
            return Err(Error::closed(operation));
        };
        let fd = match Arc::try_unwrap(fd) {
            Ok(fd) => {
                register(fd.into_inner(), operation).inspect_err(|_| self.state = State::Closed)?
            }
            // A pollable is being awaited right now (only inside the
            // guest's `poll`, never during this call): keep it.
            Err(shared) => shared,
        };
        *self
            .watch
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = Arc::downgrade(&fd);
        self.fd = Some(fd);
        Ok(())
    }

    /// The spec's `socket-family`.
    pub fn family(&self) -> Family {
        self.family
    }

    /// The spec's `socket-type`.
    pub fn kind(&self) -> Kind {
        self.kind
    }

    /// The spec's `socket-protocol`.
    pub fn protocol(&self) -> u16 {
        self.protocol
    }

    /// Where the socket is in its life.
    pub fn state(&self) -> State {
        self.state
    }

    /// Whether `close` has run.
    pub fn is_closed(&self) -> bool {
        self.fd.is_none()
    }

    /// The open OS socket, or `closed`.
    fn open(&self, operation: &str) -> Result<&Arc<AsyncFd<Socket>>> {
        self.fd.as_ref().ok_or_else(|| Error::closed(operation))
    }

    /// The OS socket, for the option layer.
    pub(crate) fn os_socket(&self, operation: &str) -> Result<&Socket> {
        Ok(self.open(operation)?.get_ref())
    }

    /// A handle that a pollable may keep without keeping the socket open.
    pub fn watch(&self) -> Watch {
        Watch(Arc::downgrade(&self.watch))
    }

    /// `connect(2)`: the spec's `socket-connect`.
    ///
    /// Starts the connect, then (for `EINPROGRESS`) waits until the socket
    /// is writable and reads `SO_ERROR`. The call's `timeout` expiring is
    /// class `timeout` and leaves the connect going on: a later `connect`
    /// waits for it again.
    pub async fn connect(&mut self, address: &SockAddr, timeout: Option<Duration>) -> Result<()> {
        const OP: &str = "connect";
        let fd = self.open(OP)?.clone();
        if self.kind == Kind::Stream && self.state == State::Connected {
            // Linux answers 0 (not EISCONN) to the first connect(2) after a
            // non-blocking connect completed, since we learn of completion
            // from SO_ERROR rather than a second connect(2): say it here.
            return Err(Error::errno(OP, libc::EISCONN));
        }
        let before = self.state;
        let fresh = matches!(self.state, State::Created | State::Bound);
        match fd.get_ref().connect(address) {
            Ok(()) => {
                drop(fd);
                if fresh {
                    self.register_again(OP)?;
                }
            }
            Err(e)
                if e.raw_os_error() == Some(libc::EINPROGRESS)
                    || (self.state == State::Connecting
                        && e.raw_os_error() == Some(libc::EALREADY)) =>
            {
                self.state = State::Connecting;
                drop(fd);
                if fresh {
                    self.register_again(OP)?;
                }
                let fd = self.open(OP)?.clone();
                match with_timeout(OP, timeout, wait_connected(&fd)).await {
                    Ok(()) => {}
                    // The call's own timeout: the OS is still connecting.
                    Err(e) if e.class == ErrorClass::Timeout => return Err(e),
                    // Refused, unreachable, ...: the socket is unconnected
                    // again (the spec calls these transient, so a guest may
                    // retry on the same socket), and the OS now reports it
                    // hung up: the retry must register it afresh.
                    Err(e) => {
                        self.state = if before == State::Bound {
                            State::Bound
                        } else {
                            State::Created
                        };
                        return Err(e);
                    }
                }
            }
            Err(e)
                if self.state == State::Connecting && e.raw_os_error() == Some(libc::EISCONN) => {}
            Err(e) => return Err(Error::io(OP, &e)),
        }
        self.state = State::Connected;
        Ok(())
    }

    /// `bind(2)`: the spec's `socket-bind`.
    pub fn bind(&mut self, address: &SockAddr) -> Result<()> {
        self.os_socket("bind")?
            .bind(address)
            .map_err(|e| Error::io("bind", &e))?;
        if self.state == State::Created {
            self.state = State::Bound;
        }
        Ok(())
    }

    /// `listen(2)`: the spec's `socket-listen`. Only stream sockets listen.
    pub fn listen(&mut self, backlog: u32) -> Result<()> {
        const OP: &str = "listen";
        let socket = self.os_socket(OP)?;
        if self.kind != Kind::Stream {
            return Err(Error::new(
                ErrorClass::Fatal,
                ErrorCode::OperationNotSupported,
                "listen: only stream sockets listen",
            ));
        }
        let backlog = i32::try_from(backlog).unwrap_or(i32::MAX);
        socket.listen(backlog).map_err(|e| Error::io(OP, &e))?;
        let fresh = self.state != State::Listening;
        self.state = State::Listening;
        if fresh {
            self.register_again(OP)?;
        }
        Ok(())
    }

    /// `accept(2)`: the spec's `socket-accept`. The new socket is
    /// non-blocking and close-on-exec, of the listener's family, type and
    /// protocol.
    pub async fn accept(&mut self, timeout: Option<Duration>) -> Result<HostSocket> {
        const OP: &str = "accept";
        let fd = self.open(OP)?;
        if self.state != State::Listening {
            return Err(Error::invalid_state(OP, "the socket is not listening"));
        }
        let accepted = match accept_once(fd.get_ref()) {
            Ok(socket) => socket,
            Err(e) if is_would_block(&e) => {
                with_timeout(OP, timeout, async {
                    loop {
                        let mut guard = fd.readable().await.map_err(|e| Error::io(OP, &e))?;
                        let closed = is_closed(guard.ready());
                        match guard.try_io(|inner| accept_once(inner.get_ref())) {
                            Ok(result) => return result.map_err(|e| Error::io(OP, &e)),
                            Err(_would_block) => yield_if_stale(closed).await,
                        }
                    }
                })
                .await?
            }
            Err(e) => return Err(Error::io(OP, &e)),
        };
        Ok(HostSocket::new(
            self.family,
            self.kind,
            self.protocol,
            State::Connected,
            register(accepted, OP)?,
        ))
    }

    /// The spec's `socket-accept-ready?`: `poll(2)` for `POLLIN`, no wait.
    pub fn accept_ready(&self) -> Result<bool> {
        self.poll_in("accept-ready")
    }

    /// The spec's `socket-receive-ready?`: `poll(2)` for `POLLIN`, no wait.
    pub fn receive_ready(&self) -> Result<bool> {
        self.poll_in("receive-ready")
    }

    fn poll_in(&self, operation: &str) -> Result<bool> {
        let fd = self.open(operation)?;
        poll_now(fd.as_raw_fd(), libc::POLLIN).map_err(|e| Error::io(operation, &e))
    }

    /// `shutdown(2)`: the spec's `socket-shutdown`.
    pub fn shutdown(&mut self, how: ShutdownHow) -> Result<()> {
        let how = match how {
            ShutdownHow::Read => std::net::Shutdown::Read,
            ShutdownHow::Write => std::net::Shutdown::Write,
            ShutdownHow::Both => std::net::Shutdown::Both,
        };
        self.os_socket("shutdown")?
            .shutdown(how)
            .map_err(|e| Error::io("shutdown", &e))
    }

    /// `close(2)`: the spec's `socket-close`. The descriptor is closed now
    /// and its error, if any, returned; every later call fails with
    /// `closed`. Closing twice fails with `closed`.
    ///
    /// With `SO_LINGER` on, close(2) blocks (even on a non-blocking socket)
    /// until the unsent data is out or the linger time is up: that close
    /// runs on a blocking thread, so only this guest waits.
    pub async fn close(&mut self) -> Result<()> {
        const OP: &str = "close";
        let fd = self.fd.take().ok_or_else(|| Error::closed(OP))?;
        self.state = State::Closed;
        match Arc::try_unwrap(fd) {
            Ok(fd) => {
                // Deregister from the reactor, then close it ourselves so
                // that close(2)'s own error reaches the guest.
                let raw = fd.into_inner().into_raw_fd();
                let close = move || {
                    // SAFETY: we own `raw`: it came out of the socket above.
                    if unsafe { libc::close(raw) } == 0 {
                        Ok(())
                    } else {
                        Err(io::Error::last_os_error())
                    }
                };
                let result = if lingers(raw) {
                    tokio::task::spawn_blocking(close)
                        .await
                        .unwrap_or_else(|e| Err(io::Error::other(e)))
                } else {
                    close()
                };
                result.map_err(|e| Error::io(OP, &e))
            }
            // A pollable is being awaited right now (it only upgrades its
            // `Weak` while the guest is inside `poll`, so this does not
            // happen in practice); the descriptor closes when it lets go.
            Err(_shared) => Ok(()),
        }
    }

    /// `getsockname(2)`: the spec's `socket-name`, as the OS reports it.
    /// Whether that means "unbound" is the caller's business (`crate::addr`).
    pub fn local_address(&self) -> Result<SockAddr> {
        self.os_socket("name")?
            .local_addr()
            .map_err(|e| Error::io("name", &e))
    }

    /// `getpeername(2)`: the spec's `socket-peer-name`; `None` where no
    /// connection exists (`ENOTCONN`).
    pub fn peer_address(&self) -> Result<Option<SockAddr>> {
        match self.os_socket("peer-name")?.peer_addr() {
            Ok(address) => Ok(Some(address)),
            Err(e) if e.raw_os_error() == Some(libc::ENOTCONN) => Ok(None),
            Err(e) => Err(Error::io("peer-name", &e)),
        }
    }

    /// `send(2)`: the spec's `socket-send`. Waits until at least some data
    /// is sent and returns how much was.
    pub async fn send(
        &mut self,
        data: &[u8],
        flags: SendFlags,
        timeout: Option<Duration>,
    ) -> Result<usize> {
        const OP: &str = "send";
        let fd = self.open(OP)?;
        let bits = flags.bits();
        self.write_op(OP, fd, flags.dont_wait, timeout, |socket| {
            socket.send_with_flags(data, bits)
        })
        .await
    }

    /// `sendto(2)`: the spec's `socket-send-to`.
    pub async fn send_to(
        &mut self,
        data: &[u8],
        address: &SockAddr,
        flags: SendFlags,
        timeout: Option<Duration>,
    ) -> Result<usize> {
        const OP: &str = "send-to";
        let fd = self.open(OP)?;
        if self.kind == Kind::Stream && self.state == State::Connected {
            // WIT: send-to on a connected stream is invalid-state (Linux
            // would silently ignore the address).
            return Err(Error::invalid_state(
                OP,
                "the stream socket is connected; use send",
            ));
        }
        let bits = flags.bits();
        self.write_op(OP, fd, flags.dont_wait, timeout, |socket| {
            socket.send_to_with_flags(data, address, bits)
        })
        .await
    }

    async fn write_op(
        &self,
        operation: &str,
        fd: &AsyncFd<Socket>,
        dont_wait: bool,
        timeout: Option<Duration>,
        mut call: impl FnMut(&Socket) -> io::Result<usize>,
    ) -> Result<usize> {
        match call(fd.get_ref()) {
            Ok(n) => Ok(n),
            Err(e) if is_would_block(&e) && !dont_wait => {
                with_timeout(operation, timeout, async {
                    loop {
                        let mut guard =
                            fd.writable().await.map_err(|e| Error::io(operation, &e))?;
                        let closed = is_closed(guard.ready());
                        match guard.try_io(|inner| call(inner.get_ref())) {
                            Ok(result) => return result.map_err(|e| Error::io(operation, &e)),
                            Err(_would_block) => yield_if_stale(closed).await,
                        }
                    }
                })
                .await
            }
            Err(e) => Err(Error::io(operation, &e)),
        }
    }

    /// `recv(2)`: the spec's `socket-receive`. Returns up to `max_length`
    /// bytes (at most [`RECEIVE_CAP`]); empty is end of file on a stream.
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

    async fn receive_inner(
        &self,
        operation: &str,
        max_length: u32,
        flags: RecvFlags,
        timeout: Option<Duration>,
        want_source: bool,
    ) -> Result<(Vec<u8>, Option<SockAddr>, bool)> {
        let fd = self.open(operation)?;
        let capacity = usize::try_from(max_length)
            .unwrap_or(usize::MAX)
            .min(RECEIVE_CAP);
        let mut buffer: Vec<u8> = Vec::with_capacity(capacity);
        let datagram = self.kind.is_datagram();
        // MSG_TRUNC on a datagram socket makes recv(2) return the real
        // length; on a stream it would discard data, so never there.
        let bits = flags.bits() | if datagram { libc::MSG_TRUNC } else { 0 };
        let wait_all = flags.wait_all && !datagram;

        let mut source = None;
        let mut truncated = false;
        loop {
            let filled = buffer.len();
            let spare = &mut buffer.spare_capacity_mut()[..capacity - filled];
            let result = match recv_once(fd.get_ref(), spare, bits, want_source) {
                Err(e) if is_would_block(&e) && !flags.dont_wait => {
                    with_timeout(operation, timeout, async {
                        loop {
                            let mut guard =
                                fd.readable().await.map_err(|e| Error::io(operation, &e))?;
                            let spare = &mut buffer.spare_capacity_mut()[..capacity - filled];
                            let closed = is_closed(guard.ready());
                            match guard.try_io(|inner| {
                                recv_once(inner.get_ref(), spare, bits, want_source)
                            }) {
                                Ok(result) => return Ok(result),
                                Err(_would_block) => yield_if_stale(closed).await,
                            }
                        }
                    })
                    .await
                }
                other => Ok(other),
            };
            match result {
                Ok(Ok((n, from))) => {
                    let room = capacity - filled;
                    if n > room {
                        truncated = true;
                    }
                    let got = n.min(room);
                    // SAFETY: recv(2) initialised `got` bytes of the spare
                    // capacity (MSG_TRUNC may report more than it wrote;
                    // `got` is capped at what the buffer holds).
                    unsafe { buffer.set_len(filled + got) };
                    if source.is_none() {
                        source = from;
                    }
                    // MSG_WAITALL on a non-blocking stream returns what is
                    // there: loop until full or end of file.
                    if wait_all && got > 0 && buffer.len() < capacity && !flags.peek {
                        continue;
                    }
                    break;
                }
                // An error after part of a wait-all receive: return the part.
                Ok(Err(_)) | Err(_) if !buffer.is_empty() => break,
                Ok(Err(e)) => return Err(Error::io(operation, &e)),
                Err(e) => return Err(e),
            }
        }
        Ok((buffer, source, truncated))
    }

    /// Waits until the socket is ready for any of `interest`, confirming
    /// with `poll(2)` so a stale reactor event does not count. Returns at
    /// once for a closed socket (the next call will say `closed`).
    pub async fn wait_ready(watch: &Watch, interest: Readiness) {
        let mut events: libc::c_short = 0;
        let mut wanted: Option<Interest> = None;
        if interest.readable {
            events |= libc::POLLIN;
            wanted = Some(Interest::READABLE);
        }
        if interest.writable {
            events |= libc::POLLOUT;
            wanted = Some(wanted.map_or(Interest::WRITABLE, |w| w | Interest::WRITABLE));
        }
        let Some(wanted) = wanted else {
            // No interest: never ready.
            return std::future::pending().await;
        };
        let Some(fd) = watch.current() else { return };
        // A bounded number of stale wake-ups before trusting the reactor;
        // each iteration waits for a new edge, so this does not spin.
        loop {
            let mut guard = match fd.ready(wanted).await {
                Ok(guard) => guard,
                Err(_) => return,
            };
            match poll_now(fd.as_raw_fd(), events) {
                Ok(false) => {
                    let closed = is_closed(guard.ready());
                    guard.clear_ready();
                    yield_if_stale(closed).await;
                }
                Ok(true) | Err(_) => return,
            }
        }
    }
}

impl Drop for HostSocket {
    /// Dropping the guest's resource closes the OS socket; a lingering
    /// close (which blocks) is handed to a blocking thread.
    fn drop(&mut self) {
        let Some(fd) = self.fd.take() else { return };
        let Ok(fd) = Arc::try_unwrap(fd) else { return };
        let socket = fd.into_inner();
        if lingers(socket.as_raw_fd())
            && let Ok(runtime) = tokio::runtime::Handle::try_current()
        {
            runtime.spawn_blocking(move || drop(socket));
        }
    }
}

/// Whether close(2) on `fd` would block: `SO_LINGER` on with a time.
fn lingers(fd: RawFd) -> bool {
    let mut linger = libc::linger {
        l_onoff: 0,
        l_linger: 0,
    };
    let mut length = std::mem::size_of::<libc::linger>() as libc::socklen_t;
    // SAFETY: a `struct linger` and its length.
    let rc = unsafe {
        libc::getsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_LINGER,
            (&mut linger as *mut libc::linger).cast(),
            &mut length,
        )
    };
    rc == 0 && linger.l_onoff != 0 && linger.l_linger > 0
}

/// Whether a readiness carries tokio's "closed" bits, which it never
/// clears.
fn is_closed(ready: tokio::io::Ready) -> bool {
    ready.is_read_closed() || ready.is_write_closed()
}

/// After a wake-up whose syscall would still block: if the readiness was
/// "closed" (which tokio never clears, so the next wait returns at once),
/// yield to the runtime so timers and other guests run rather than spin
/// without yielding. Connect and listen register afresh, so this is a
/// safety net for states we did not foresee.
async fn yield_if_stale(closed: bool) {
    if closed {
        tokio::task::yield_now().await;
    }
}

/// Waits for a non-blocking connect to finish: writable, then `SO_ERROR`.
async fn wait_connected(fd: &AsyncFd<Socket>) -> Result<()> {
    const OP: &str = "connect";
    loop {
        let mut guard = fd.writable().await.map_err(|e| Error::io(OP, &e))?;
        if let Some(err) = fd.get_ref().take_error().map_err(|e| Error::io(OP, &e))? {
            return Err(Error::io(OP, &err));
        }
        match fd.get_ref().peer_addr() {
            Ok(_) => return Ok(()),
            Err(e) if e.raw_os_error() == Some(libc::ENOTCONN) => {
                // Still connecting: a stale writable edge.
                if poll_now(fd.as_raw_fd(), libc::POLLOUT).map_err(|e| Error::io(OP, &e))? {
                    // Writable but not connected and no error: the OS
                    // dropped the attempt; ask connect(2) itself.
                    return Err(Error::errno(OP, libc::ECONNREFUSED));
                }
                let closed = is_closed(guard.ready());
                guard.clear_ready();
                yield_if_stale(closed).await;
            }
            Err(e) => return Err(Error::io(OP, &e)),
        }
    }
}

/// `accept4(2)` with `SOCK_NONBLOCK | SOCK_CLOEXEC`, peer address unused.
fn accept_once(listener: &Socket) -> io::Result<Socket> {
    loop {
        // SAFETY: a valid listening descriptor; a null address is allowed.
        let raw = unsafe {
            libc::accept4(
                listener.as_raw_fd(),
                std::ptr::null_mut(),
                std::ptr::null_mut(),
                libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC,
            )
        };
        if raw >= 0 {
            // SAFETY: accept4 returned a new descriptor that we now own.
            return Ok(unsafe { Socket::from_raw_fd(raw) });
        }
        let err = io::Error::last_os_error();
        if err.kind() != io::ErrorKind::Interrupted {
            return Err(err);
        }
    }
}

/// One `recv(2)` / `recvfrom(2)` into `buffer`; the length is the OS's
/// (with `MSG_TRUNC`, possibly more than `buffer` holds).
fn recv_once(
    socket: &Socket,
    buffer: &mut [MaybeUninit<u8>],
    flags: libc::c_int,
    want_source: bool,
) -> io::Result<(usize, Option<SockAddr>)> {
    if want_source {
        let (n, from) = socket.recv_from_with_flags(buffer, flags)?;
        // A connected stream reports no address (length 0, AF_UNSPEC).
        let from = (from.len() > 0 && i32::from(from.family()) != libc::AF_UNSPEC).then_some(from);
        Ok((n, from))
    } else {
        Ok((socket.recv_with_flags(buffer, flags)?, None))
    }
}
