//! The socket logic: one real, non-blocking OS socket per guest socket,
//! registered with the tokio reactor, with per-call timeouts.
//!
//! This module knows nothing of WIT or of the policy: the glue
//! (`crate::glue`) checks the policy, converts addresses and hands off
//! here. Every operation that can block first tries the syscall and waits
//! for readiness only when the OS says `EWOULDBLOCK` (`io`), so the hot
//! path costs one syscall; no task is spawned per call and no lock is held
//! across a syscall, but one: a TLS socket's outbox (`tls`) is locked
//! around its non-blocking `send(2)`s, since the task that writes out
//! what the OS had no room for and the guest's next call must not
//! interleave records (the lock is uncontended but while that task runs).
//!
//! What the sandbox needs of a socket is stored here but decided by the
//! glue: the guest's accounting slot (given back only when the OS
//! socket is really gone, lingering close included: `close`), an
//! [`InboundFilter`] for datagram sources, and the unix socket file the
//! socket bound ([`BoundFile`]).

use std::io as std_io;
use std::net::SocketAddr;
use std::os::fd::{AsRawFd, OwnedFd};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use socket2::{Protocol, SockAddr, Socket as OsSocket};
use tokio::io::Interest;
use tokio::io::unix::AsyncFd;

use crate::accounting::Slot;
use crate::error::{Error, ErrorClass, ErrorCode, Result};
use crate::policy::BoundFile;
use crate::sys;

mod close;
mod io;
mod readiness;
mod tls;
mod types;

pub use io::{DATAGRAM_RECEIVE_CAP, RECEIVE_CAP, SocketIo, StreamIo};
pub use readiness::Watch;
use readiness::WatchCell;
pub use tls::{Handshake, TlsFailure, TlsSession};
pub use types::{Family, Kind, Readiness, RecvFlags, SendFlags, ShutdownHow};

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

/// A connect the OS is still making ([`Socket::start_connect`]).
#[derive(Debug)]
pub struct PendingConnect {
    fd: Arc<AsyncFd<OsSocket>>,
    /// The state before the connect, to go back to if it fails.
    before: State,
}

impl PendingConnect {
    /// Waits, up to `timeout`, until the OS finished connecting: writable,
    /// then `SO_ERROR`.
    pub async fn wait(&self, timeout: Option<Duration>) -> Result<()> {
        with_timeout("connect", timeout, readiness::wait_connected(&self.fd)).await
    }
}

/// An accept waiting outside its listener ([`Socket::accepting`]).
#[derive(Debug)]
pub struct Accepting {
    fd: Arc<AsyncFd<OsSocket>>,
    family: Family,
    kind: Kind,
    protocol: u16,
    linger_seconds: u32,
}

impl Accepting {
    /// `accept(2)`, waiting up to `timeout` for a connection.
    pub async fn accept(&self, timeout: Option<Duration>) -> Result<OwnedFd> {
        const OP: &str = "accept";
        let accept = |socket: &OsSocket| sys::accept(socket.as_raw_fd());
        // A blocking accept(2) on a listener whose read side is shut down
        // answers EINVAL at once (Linux's unix_accept: "receive shutdown").
        let shut = || Err(std_io::Error::from_raw_os_error(libc::EINVAL));
        with_timeout(
            OP,
            timeout,
            io::try_then_wait(&self.fd, Interest::READABLE, OP, false, accept, shut),
        )
        .await
    }

    /// The accepted connection as a socket of the listener's family, type
    /// and protocol, registered with the reactor.
    pub fn socket(&self, accepted: OwnedFd) -> Result<Socket> {
        let mut accepted = Socket::new(
            self.family,
            self.kind,
            self.protocol,
            State::Connected,
            register(OsSocket::from(accepted), "accept")?,
        );
        accepted.accepted = true;
        // An accepted socket inherits the listener's options, lingering
        // included (the kernel's copy is off: see `linger_seconds`).
        accepted.set_host_linger(self.linger_seconds);
        Ok(accepted)
    }
}

/// The rest of a close ([`Socket::start_close`]): lingering, then
/// close(2), holding the socket's slot until the descriptor is gone.
#[derive(Debug)]
pub enum Closing {
    /// The socket was closed before: `close` fails with `closed`.
    AlreadyClosed,
    /// The descriptor to close, lingering first for `linger`.
    Close {
        /// The OS socket.
        socket: OsSocket,
        /// The host-side `SO_LINGER` time.
        linger: Option<Duration>,
        /// The guest's slot, given back once the descriptor is closed.
        slot: Option<Slot>,
    },
    /// Someone else still holds the descriptor; it closes when they let go.
    Shared,
}

impl Closing {
    /// Lingers (with `SO_LINGER` on) and closes; `closed` for a socket
    /// that was closed already.
    pub async fn finish(self) -> Result<()> {
        const OP: &str = "close";
        match self {
            Closing::AlreadyClosed => Err(Error::closed(OP)),
            Closing::Close {
                socket,
                linger,
                slot,
            } => close::close(socket, linger, slot)
                .await
                .map_err(|e| Error::io(OP, &e)),
            Closing::Shared => Ok(()),
        }
    }
}

/// What an [`InboundFilter`] calls at its first drop.
type OnDrop = Box<dyn FnOnce(&SocketAddr) + Send + Sync>;

/// Which datagram sources a socket hears: those `accept` takes. The rest
/// are read from the OS and dropped; the first drop is reported through
/// `on_drop` (once), and every drop counted.
pub struct InboundFilter {
    accept: Box<dyn Fn(&SocketAddr) -> bool + Send + Sync>,
    on_first_drop: Option<OnDrop>,
    dropped: u64,
}

impl InboundFilter {
    /// A filter that keeps datagrams whose source `accept` takes.
    pub fn new(
        accept: impl Fn(&SocketAddr) -> bool + Send + Sync + 'static,
        on_first_drop: impl FnOnce(&SocketAddr) + Send + Sync + 'static,
    ) -> Self {
        InboundFilter {
            accept: Box::new(accept),
            on_first_drop: Some(Box::new(on_first_drop)),
            dropped: 0,
        }
    }

    /// Whether a datagram from `source` is kept (a source the OS does not
    /// report, or one of another family, is dropped).
    pub(crate) fn keeps(&mut self, source: Option<&SockAddr>) -> bool {
        let ip = source.and_then(SockAddr::as_socket);
        if let Some(ip) = ip
            && (self.accept)(&ip)
        {
            return true;
        }
        self.dropped += 1;
        if let (Some(report), Some(ip)) = (self.on_first_drop.take(), ip) {
            report(&ip);
        }
        false
    }

    /// How many datagrams were dropped.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }
}

impl std::fmt::Debug for InboundFilter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InboundFilter")
            .field("dropped", &self.dropped)
            .finish_non_exhaustive()
    }
}

/// One guest socket: the OS socket registered with the tokio reactor,
/// plus what `create` was told and what the sandbox attached.
#[derive(Debug)]
pub struct Socket {
    family: Family,
    kind: Kind,
    protocol: u16,
    state: State,
    /// `None` once closed. An `Arc` so that a pollable can hold a `Weak`
    /// and never keep a closed socket's descriptor alive.
    fd: Option<Arc<AsyncFd<OsSocket>>>,
    /// What pollables hold: the current registration, updated when the
    /// socket is registered again (see [`Socket::register_again`]), and
    /// whether the host holds received bytes for it (TLS).
    watch: Arc<WatchCell>,
    /// The TLS connection this stream carries, once a handshake started
    /// (`tls`).
    tls: Option<Box<tls::TlsConnection>>,
    /// The socket came from `accept`: a TLS server handshake may present
    /// an identity on it.
    accepted: bool,
    /// The guest's accounting slot for this socket.
    slot: Option<Slot>,
    /// Which datagram sources the socket hears (`None`: every one); shared
    /// with the receives waiting outside the socket ([`SocketIo`]).
    inbound: Option<Arc<Mutex<InboundFilter>>>,
    /// The unix socket file this socket bound, removed when it closes.
    bound_file: Option<BoundFile>,
    /// The guest's name for the unix peer this socket connected to.
    unix_peer: Option<String>,
    /// `SO_LINGER`'s time in seconds when the guest turned lingering on
    /// with a time (0: no such lingering). The kernel never holds it: its
    /// close(2) would block the calling host thread for up to that long,
    /// so the host lingers on its own timer instead (`close` module) and
    /// keeps the kernel's lingering off.
    linger_seconds: AtomicU32,
}

/// Wraps an owned non-blocking OS socket for the reactor.
fn register(socket: OsSocket, operation: &str) -> Result<Arc<AsyncFd<OsSocket>>> {
    sys::register(socket)
        .map(Arc::new)
        .map_err(|e| Error::io(operation, &e))
}

/// Runs `future` under the call's own timeout; `None` waits forever.
pub(crate) async fn with_timeout<T>(
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

impl Socket {
    /// `socket(2)`, non-blocking and close-on-exec: the spec's
    /// `(socket family type protocol)`.
    ///
    /// Must run inside a tokio runtime (the reactor registers the socket).
    pub fn create(family: Family, kind: Kind, protocol: u16) -> Result<Socket> {
        let protocol_arg = (protocol != 0).then(|| Protocol::from(i32::from(protocol)));
        let socket = OsSocket::new(
            family.domain(),
            kind.socket_type().nonblocking(),
            protocol_arg,
        )
        .map_err(|e| Error::io("socket", &e))?;
        Ok(Socket::new(
            family,
            kind,
            protocol,
            State::Created,
            register(socket, "socket")?,
        ))
    }

    /// A socket that is already listening (opened by the host before the
    /// guest started: [`crate::listeners`]), non-blocking, registered
    /// with the reactor; of protocol 0, as a socket made with the default
    /// protocol.
    ///
    /// Must run inside a tokio runtime.
    pub fn listening(family: Family, socket: OsSocket) -> Result<Socket> {
        const OP: &str = "listeners";
        Ok(Socket::new(
            family,
            Kind::Stream,
            0,
            State::Listening,
            register(socket, OP)?,
        ))
    }

    fn new(
        family: Family,
        kind: Kind,
        protocol: u16,
        state: State,
        fd: Arc<AsyncFd<OsSocket>>,
    ) -> Socket {
        let watch = Arc::new(WatchCell::new(&fd));
        Socket {
            family,
            kind,
            protocol,
            state,
            fd: Some(fd),
            watch,
            tls: None,
            accepted: false,
            slot: None,
            inbound: None,
            bound_file: None,
            unix_peer: None,
            linger_seconds: AtomicU32::new(0),
        }
    }

    /// The lingering the host does for this socket's close (see
    /// [`Socket::set_linger`]); `None` when the close does not linger.
    pub(crate) fn host_linger(&self) -> Option<Duration> {
        match self.linger_seconds.load(Ordering::Relaxed) {
            0 => None,
            seconds => Some(Duration::from_secs(u64::from(seconds))),
        }
    }

    /// Sets the lingering the host does on close (0: none).
    pub(crate) fn set_host_linger(&self, seconds: u32) {
        self.linger_seconds.store(seconds, Ordering::Relaxed);
    }

    /// Gives the socket the guest's accounting slot: it is given back
    /// when the OS socket is gone (after a lingering close finishes).
    pub fn with_slot(mut self, slot: Slot) -> Self {
        self.slot = Some(slot);
        self
    }

    /// From now on the socket hears datagrams only from sources `filter`
    /// keeps (`None`: from every source).
    pub fn set_inbound_filter(&mut self, filter: Option<InboundFilter>) {
        self.inbound = filter.map(|filter| Arc::new(Mutex::new(filter)));
    }

    /// How many datagrams the inbound filter dropped, if the socket has one.
    pub fn inbound_dropped(&self) -> Option<u64> {
        self.inbound.as_ref().map(|filter| {
            filter
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .dropped()
        })
    }

    /// What a send or receive needs of the open socket, to wait without
    /// holding it (see [`SocketIo`]); `closed` for a closed socket.
    pub fn io(&self, operation: &str) -> Result<SocketIo> {
        Ok(SocketIo {
            fd: self.open(operation)?.clone(),
            kind: self.kind,
            inbound: self.inbound.clone(),
        })
    }

    /// Keeps the unix socket file a bind made, to remove it on close.
    pub fn attach_bound_file(&mut self, file: BoundFile) {
        self.bound_file = Some(file);
    }

    /// The unix socket file this socket bound, if any.
    pub fn bound_file(&self) -> Option<&BoundFile> {
        self.bound_file.as_ref()
    }

    /// Remembers the guest's name for the unix peer it connected to.
    pub fn set_unix_peer(&mut self, guest_path: String) {
        self.unix_peer = Some(guest_path);
    }

    /// The guest's name for the unix peer it connected to, if any.
    pub fn unix_peer(&self) -> Option<&str> {
        self.unix_peer.as_deref()
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
    /// `transfer::timeouts_fire_with_class_timeout`.)
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
        self.watch.set_fd(&fd);
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
    fn open(&self, operation: &str) -> Result<&Arc<AsyncFd<OsSocket>>> {
        self.fd.as_ref().ok_or_else(|| Error::closed(operation))
    }

    /// The OS socket's descriptor (to register it in a poll set).
    pub fn descriptor(&self) -> Result<std::os::fd::RawFd> {
        Ok(self.open("descriptor")?.as_raw_fd())
    }

    /// The OS socket, for the option layer.
    pub(crate) fn os_socket(&self, operation: &str) -> Result<&OsSocket> {
        Ok(self.open(operation)?.get_ref())
    }

    /// Whether an IPv6 socket also takes IPv4 (`IPV6_V6ONLY` off), as the
    /// bind check needs to know. False for other families.
    pub fn is_dual_stack(&self) -> Result<bool> {
        if self.family != Family::Inet6 {
            return Ok(false);
        }
        let only_v6 = self
            .os_socket("bind")?
            .only_v6()
            .map_err(|e| Error::io("bind", &e))?;
        Ok(!only_v6)
    }

    /// `connect(2)`: the spec's `socket-connect`.
    ///
    /// Starts the connect, then (for `EINPROGRESS`) waits until the socket
    /// is writable and reads `SO_ERROR`. The call's `timeout` expiring is
    /// class `timeout` and leaves the connect going on: a later `connect`
    /// waits for it again.
    pub async fn connect(&mut self, address: &SockAddr, timeout: Option<Duration>) -> Result<()> {
        match self.start_connect(address)? {
            None => Ok(()),
            Some(pending) => {
                let result = pending.wait(timeout).await;
                self.finish_connect(&pending, result)
            }
        }
    }

    /// The syscall half of [`Socket::connect`]: `connect(2)`, and `None`
    /// when that is all (connected), or the wait still to do, outside the
    /// socket, before [`Socket::finish_connect`].
    pub fn start_connect(&mut self, address: &SockAddr) -> Result<Option<PendingConnect>> {
        const OP: &str = "connect";
        let fd = self.open(OP)?.clone();
        if self.kind == Kind::Stream && self.state == State::Connected {
            // Linux answers 0 (not EISCONN) to the first connect(2) after a
            // non-blocking connect completed, since we learn of completion
            // from SO_ERROR rather than a second connect(2): say it here.
            return Err(Error::connect_errno(OP, libc::EISCONN));
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
                return Ok(Some(PendingConnect {
                    fd: self.open(OP)?.clone(),
                    before,
                }));
            }
            Err(e)
                if self.state == State::Connecting && e.raw_os_error() == Some(libc::EISCONN) => {}
            Err(e) => return Err(Error::connect_io(OP, &e)),
        }
        self.state = State::Connected;
        Ok(None)
    }

    /// The state after a connect's wait ended with `result`.
    pub fn finish_connect(&mut self, pending: &PendingConnect, result: Result<()>) -> Result<()> {
        match result {
            Ok(()) => {
                self.state = State::Connected;
                Ok(())
            }
            // The call's own timeout: the OS is still connecting.
            Err(e) if e.class == ErrorClass::Timeout => Err(e),
            // Refused, unreachable, ...: the socket is unconnected again
            // (the spec calls these transient, so a guest may retry on the
            // same socket), and the OS now reports it hung up: the retry
            // must register it afresh.
            Err(e) => {
                if self.state == State::Connecting {
                    self.state = if pending.before == State::Bound {
                        State::Bound
                    } else {
                        State::Created
                    };
                }
                Err(e)
            }
        }
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
    /// protocol; it has no accounting slot yet (see [`Self::with_slot`]).
    pub async fn accept(&mut self, timeout: Option<Duration>) -> Result<Socket> {
        let accepting = self.accepting()?;
        let accepted = accepting.accept(timeout).await?;
        accepting.socket(accepted)
    }

    /// The checks of [`Socket::accept`], before any syscall: what the
    /// accept needs of the listener, to wait without holding it.
    pub fn accepting(&self) -> Result<Accepting> {
        const OP: &str = "accept";
        let fd = self.open(OP)?.clone();
        if self.state != State::Listening {
            return Err(Error::invalid_state(OP, "the socket is not listening"));
        }
        Ok(Accepting {
            fd,
            family: self.family,
            kind: self.kind,
            protocol: self.protocol,
            linger_seconds: self.linger_seconds.load(Ordering::Relaxed),
        })
    }

    /// `shutdown(2)`: the spec's `socket-shutdown`.
    pub fn shutdown(&mut self, how: ShutdownHow) -> Result<()> {
        let how = match how {
            ShutdownHow::Read => std::net::Shutdown::Read,
            ShutdownHow::Write => std::net::Shutdown::Write,
            ShutdownHow::Both => std::net::Shutdown::Both,
        };
        if self.tls.is_some() {
            return self.tls_shutdown(how);
        }
        self.os_socket("shutdown")?
            .shutdown(how)
            .map_err(|e| Error::io("shutdown", &e))
    }

    /// `close(2)`: the spec's `socket-close`. Every later call fails with
    /// `closed`; closing twice fails with `closed`.
    ///
    /// With `SO_LINGER` on (and a time), close waits (this guest only; no
    /// host thread is held) until the data and the FIN are acknowledged or
    /// the linger time is up, as close(2) would: see the `close` module.
    pub async fn close(&mut self) -> Result<()> {
        self.start_close().finish().await
    }

    /// The first half of [`Socket::close`]: the socket is closed from now
    /// on (every later call fails with `closed`); what is left (lingering,
    /// close(2)) runs outside it.
    pub fn start_close(&mut self) -> Closing {
        let tls = self.tls.is_some();
        let mut slot = self.slot.take();
        self.tls_before_close(&mut slot);
        let Some(fd) = self.fd.take() else {
            return Closing::AlreadyClosed;
        };
        self.watch.close();
        self.state = State::Closed;
        self.bound_file = None;
        let linger = self.host_linger();
        match Arc::try_unwrap(fd) {
            Ok(fd) => Closing::Close {
                socket: fd.into_inner(),
                linger,
                slot,
            },
            // A TLS socket's records are still being written out (that
            // task holds the slot too): the descriptor closes when it
            // lets go.
            Err(_shared) if tls => Closing::Shared,
            // Calls of the async contract are waiting on it (or, never in
            // practice, a pollable: it holds the socket only inside the
            // guest's `poll`). They must not keep a descriptor the guest
            // no longer counts: shutdown(2) has them answer now, as a
            // blocking call would after it (a receive end of file, a send
            // broken-pipe, an accept invalid-argument), and the slot is
            // held until the last of them lets go and the descriptor is
            // really closed. (Test: e2e
            // `async_contract::close_ends_the_calls_waiting_on_the_socket`.)
            Err(shared) => {
                let _ = shared.get_ref().shutdown(std::net::Shutdown::Both);
                close::hold_slot_until_closed(Arc::downgrade(&shared), slot);
                Closing::Shared
            }
        }
    }

    /// `getsockname(2)`: the spec's `socket-name`, as the OS reports it.
    /// Whether that means "unbound" is the caller's business (`crate::glue::convert`).
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

    /// Whether the connected peer is a socket of this process: the pid of
    /// `SO_PEERCRED` (as this process's pid namespace sees it; 0 where it
    /// cannot) is this process's. False when it cannot be told.
    pub fn peer_in_this_process(&self) -> bool {
        let Ok(fd) = self.open("peer-name") else {
            return false;
        };
        let mut credentials = [0u8; 12];
        match sys::getsockopt(
            fd.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_PEERCRED,
            &mut credentials,
        ) {
            Ok(12) => {
                let pid = i32::from_ne_bytes([
                    credentials[0],
                    credentials[1],
                    credentials[2],
                    credentials[3],
                ]);
                u32::try_from(pid).is_ok_and(|pid| pid == std::process::id())
            }
            _ => false,
        }
    }

    /// The spec's `socket-accept-ready?`: `poll(2)` for `POLLIN`, no wait.
    pub fn accept_ready(&self) -> Result<bool> {
        self.poll_in("accept-ready")
    }

    /// The spec's `socket-receive-ready?`: `poll(2)` for `POLLIN`, no wait
    /// (or decrypted bytes the host holds, on a TLS socket).
    pub fn receive_ready(&self) -> Result<bool> {
        let ready = self.poll_in("receive-ready")?;
        Ok(ready || self.watch().held())
    }

    fn poll_in(&self, operation: &str) -> Result<bool> {
        let fd = self.open(operation)?;
        sys::poll_now(fd.as_raw_fd(), libc::POLLIN).map_err(|e| Error::io(operation, &e))
    }

    /// A handle that a pollable may keep without keeping the socket open.
    pub fn watch(&self) -> Watch {
        Watch::new(&self.watch)
    }
}

impl Drop for Socket {
    /// Dropping the guest's resource closes the OS socket; a lingering
    /// close finishes in the background, holding the socket's slot.
    fn drop(&mut self) {
        self.watch.close();
        let mut slot = self.slot.take();
        self.tls_before_close(&mut slot);
        let Some(fd) = self.fd.take() else { return };
        let Ok(fd) = Arc::try_unwrap(fd) else { return };
        close::close_in_background(fd.into_inner(), self.host_linger(), slot);
    }
}

/// `io::Error` for a would-block answer, shared by the waits.
pub(crate) fn is_would_block(err: &std_io::Error) -> bool {
    err.kind() == std_io::ErrorKind::WouldBlock
}
