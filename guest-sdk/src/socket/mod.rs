//! The socket: the spec's "Setup and teardown", "Status" and "Data
//! transfer" sections.
//!
//! This module holds the socket and its lifecycle; the receives are in
//! `receive`, the sends in `send`, their per-call flags and timeouts in
//! `call_options`, and the socket options in the crate's `options`.

mod call_options;
mod receive;
mod send;

use std::cell::Cell;
use std::fmt;
use std::time::Duration;

use crate::addr::{Family, Protocol, SockAddr, SocketType};
use crate::bindings::wasock::socket::socket as wit;
#[cfg(doc)]
use crate::error::ErrorClass;
use crate::error::{ErrorCode, Result};
use crate::parameters::{self, Timeouts, timeout_to_wit};

pub use call_options::{RecvFlags, RecvOptions, SendFlags, SendOptions};
pub use receive::{ReceivedFrom, ReceivedInto};
pub(crate) use send::{Partial, send_all_chunked};

/// `how` of `shutdown(2)`: the spec's `shut/rd`, `shut/wr`, `shut/rdwr`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Shutdown {
    /// `SHUT_RD` (`shut/rd`): disallow further receiving.
    Read,
    /// `SHUT_WR` (`shut/wr`): disallow further sending.
    Write,
    /// `SHUT_RDWR` (`shut/rdwr`): disallow further receiving and sending.
    Both,
}

impl From<Shutdown> for wit::ShutdownHow {
    fn from(how: Shutdown) -> Self {
        match how {
            Shutdown::Read => wit::ShutdownHow::Receive,
            Shutdown::Write => wit::ShutdownHow::Send,
            Shutdown::Both => wit::ShutdownHow::Both,
        }
    }
}

impl From<std::net::Shutdown> for Shutdown {
    fn from(how: std::net::Shutdown) -> Self {
        match how {
            std::net::Shutdown::Read => Shutdown::Read,
            std::net::Shutdown::Write => Shutdown::Write,
            std::net::Shutdown::Both => Shutdown::Both,
        }
    }
}

crate::flags! {
    /// What a [`Poller`](crate::poll::Poller) waits for on a socket.
    Interest: wit::Interest {
        /// Data or end of file to receive, a connection to accept, or an
        /// error pending.
        READABLE,
        /// Room to send, a connect that completed, or an error pending.
        WRITABLE,
    }
}

/// A socket: the spec's `socket` record, owning one host OS socket.
///
/// Created with [`Socket::new`] (the spec's `socket`), by
/// [`connect_any`](crate::connect_any) or by [`Socket::accept`]. Dropping it
/// closes the OS socket; [`Socket::close`] closes it earlier and reports
/// errors.
///
/// Blocking calls block only this guest (the host waits for readiness), and
/// take their timeouts from [`Socket::timeouts`] unless the call takes its
/// own: [`Socket::connect_timeout`] and [`Socket::accept_timeout`], and the
/// `_with` form of every receive and send ([`RecvOptions`],
/// [`SendOptions`], which carry the flags too). A timeout of
/// [`Duration::ZERO`] tries once: the call fails with class
/// [`ErrorClass::Timeout`] where it cannot go ahead at once (the
/// `DONT_WAIT` flags fail with [`ErrorCode::WouldBlock`], class transient,
/// instead).
///
/// ```no_run
/// # fn main() -> wasock::Result<()> {
/// use wasock::{Family, Protocol, SockAddr, Socket, SocketType};
/// // TCP client.
/// let socket = Socket::new(Family::Inet, SocketType::Stream, Protocol::DEFAULT)?;
/// socket.connect(&SockAddr::inet(Some("127.0.0.1"), 8080)?)?;
/// socket.send_all(b"hello\n")?;
/// let reply = socket.receive(1024)?;
/// println!("{}", String::from_utf8_lossy(&reply));
/// # Ok(()) }
/// ```
pub struct Socket {
    inner: wit::Socket,
    timeouts: Cell<Option<Timeouts>>,
}

/// The listening sockets the host opened for this guest before it
/// started (`wasock run --listen ADDR`, or systemd's `LISTEN_FDS`), in
/// order: the inherited ones first, then each `--listen` as given. Each is
/// an inet or inet6 stream socket, bound and listening, ready for
/// [`Socket::accept`]; the guest needs no bind grant for them (the
/// operator chose the address), and a socket accepted from one is an
/// ordinary socket.
///
/// The first call takes them; later calls return an empty list. Under
/// the adapter (a stock WASI host) the error is of class
/// [`ErrorClass::Unsupported`](crate::ErrorClass::Unsupported).
///
/// ```no_run
/// # fn main() -> wasock::Result<()> {
/// // wasock run --listen 0.0.0.0:80 server.wasm
/// let listener = wasock::listeners()?.into_iter().next().expect("--listen ADDR");
/// loop {
///     let connection = listener.accept()?;
///     connection.send_all(b"hello\n")?;
/// }
/// # }
/// ```
pub fn listeners() -> Result<Vec<Socket>> {
    crate::require_wasm();
    Ok(wit::listeners()?
        .into_iter()
        .map(|inner| Socket::from_wit(inner, None))
        .collect())
}

impl fmt::Debug for Socket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Socket")
            .field("fileno", &self.fileno())
            .finish_non_exhaustive()
    }
}

impl Socket {
    /// `socket(2)`: the spec's `(socket family type protocol)`. Use
    /// [`Protocol::DEFAULT`] unless you create raw sockets.
    ///
    /// Fails with [`ErrorCode::TooManySockets`] past the guest's socket
    /// limit and [`ErrorCode::PermissionDenied`] for raw sockets the host
    /// did not allow.
    #[doc(alias = "socket")]
    pub fn new(family: Family, socket_type: SocketType, protocol: Protocol) -> Result<Socket> {
        crate::require_wasm();
        let inner = wit::Socket::create(family.into(), socket_type.into(), protocol.0)?;
        Ok(Socket::from_wit(inner, None))
    }

    fn from_wit(inner: wit::Socket, timeouts: Option<Timeouts>) -> Socket {
        Socket {
            inner,
            timeouts: Cell::new(timeouts),
        }
    }

    pub(crate) fn wit(&self) -> &wit::Socket {
        &self.inner
    }

    /// The spec's `socket-fileno`: the number that names this socket in
    /// this guest (the handle of its WIT resource; not a host file
    /// descriptor).
    #[doc(alias = "socket-fileno")]
    pub fn fileno(&self) -> u32 {
        self.inner.handle()
    }

    /// The spec's `socket-family`.
    #[doc(alias = "socket-family")]
    pub fn family(&self) -> Family {
        self.inner.family().into()
    }

    /// The spec's `socket-type`.
    #[doc(alias = "socket-type")]
    pub fn socket_type(&self) -> SocketType {
        self.inner.socket_type().into()
    }

    /// The spec's `socket-protocol`: the protocol given to [`Socket::new`]
    /// (the listener's for an accepted socket).
    #[doc(alias = "socket-protocol")]
    pub fn protocol(&self) -> Protocol {
        Protocol(self.inner.protocol())
    }

    /// This socket's timeouts: its own if [`Socket::set_timeouts`] set
    /// them, else the program's [`default_timeouts`](crate::default_timeouts)
    /// as they are now.
    pub fn timeouts(&self) -> Timeouts {
        self.timeouts
            .get()
            .unwrap_or_else(parameters::default_timeouts)
    }

    /// Gives this socket its own timeouts (`None`: follow the program's
    /// defaults again). Sockets accepted from this one start with the same.
    pub fn set_timeouts(&self, timeouts: impl Into<Option<Timeouts>>) {
        self.timeouts.set(timeouts.into());
    }

    // Setup and teardown.

    /// `connect(2)`: the spec's `socket-connect`, with the socket's
    /// connect timeout.
    ///
    /// Refused, network down, unreachable and the system's own time-out
    /// are class [`ErrorClass::Transient`]; the timeout expiring is class
    /// [`ErrorClass::Timeout`]; anything else is fatal.
    #[doc(alias = "socket-connect")]
    pub fn connect(&self, address: &SockAddr) -> Result<()> {
        self.connect_timeout(address, self.timeouts().connect)
    }

    /// [`Socket::connect`] with this call's own timeout (`None`: forever).
    pub fn connect_timeout(&self, address: &SockAddr, timeout: Option<Duration>) -> Result<()> {
        Ok(self
            .inner
            .connect(&address.into(), timeout_to_wit(timeout))?)
    }

    /// `bind(2)`: the spec's `socket-bind`.
    ///
    /// ```no_run
    /// # fn main() -> wasock::Result<()> {
    /// use wasock::{Family, Protocol, SockAddr, Socket, SocketType};
    /// let socket = Socket::new(Family::Inet6, SocketType::Stream, Protocol::DEFAULT)?;
    /// socket.set_ipv6_v6_only(true)?;
    /// socket.bind(&SockAddr::inet(Some("::"), 8000)?)?;
    /// # Ok(()) }
    /// ```
    #[doc(alias = "socket-bind")]
    pub fn bind(&self, address: &SockAddr) -> Result<()> {
        Ok(self.inner.bind(&address.into())?)
    }

    /// `listen(2)`: the spec's `socket-listen`, with a connection queue of
    /// `backlog`. Only valid for stream sockets.
    #[doc(alias = "socket-listen")]
    pub fn listen(&self, backlog: u32) -> Result<()> {
        Ok(self.inner.listen(backlog)?)
    }

    /// `accept(2)`: the spec's `socket-accept`, with the socket's accept
    /// timeout. The new socket starts with this one's own timeouts.
    /// [`Socket::accept_from`] also returns the peer's address.
    ///
    /// ```no_run
    /// # fn main() -> wasock::Result<()> {
    /// use wasock::{Family, Protocol, SockAddr, Socket, SocketType};
    /// // TCP server: echo one line per connection.
    /// let listener = Socket::new(Family::Inet, SocketType::Stream, Protocol::DEFAULT)?;
    /// listener.set_reuse_address(true)?;
    /// listener.bind(&SockAddr::inet(Some("127.0.0.1"), 8080)?)?;
    /// listener.listen(128)?;
    /// loop {
    ///     let conn = listener.accept()?;
    ///     let data = conn.receive(4096)?;
    ///     conn.send_all(&data)?;
    ///     conn.close()?;
    /// }
    /// # }
    /// ```
    #[doc(alias = "socket-accept")]
    pub fn accept(&self) -> Result<Socket> {
        self.accept_timeout(self.timeouts().accept)
    }

    /// [`Socket::accept`] with this call's own timeout (`None`: forever).
    pub fn accept_timeout(&self, timeout: Option<Duration>) -> Result<Socket> {
        let inner = self.inner.accept(timeout_to_wit(timeout))?;
        Ok(Socket::from_wit(inner, self.timeouts.get()))
    }

    /// [`Socket::accept`] that also returns the peer's address (as
    /// [`Socket::peer_name`] reads it from the new socket): `None` where
    /// the OS reports none, as for a peer that already went away.
    ///
    /// ```no_run
    /// # fn main() -> wasock::Result<()> {
    /// use wasock::{Family, Protocol, SockAddr, Socket, SocketType};
    /// let listener = Socket::new(Family::Inet, SocketType::Stream, Protocol::DEFAULT)?;
    /// listener.bind(&SockAddr::inet(Some("127.0.0.1"), 8080)?)?;
    /// listener.listen(128)?;
    /// let (conn, peer) = listener.accept_from()?;
    /// if let Some(peer) = peer {
    ///     println!("connection from {peer}");
    /// }
    /// # drop(conn);
    /// # Ok(()) }
    /// ```
    pub fn accept_from(&self) -> Result<(Socket, Option<SockAddr>)> {
        self.accept_from_timeout(self.timeouts().accept)
    }

    /// [`Socket::accept_from`] with this call's own timeout (`None`:
    /// forever).
    pub fn accept_from_timeout(
        &self,
        timeout: Option<Duration>,
    ) -> Result<(Socket, Option<SockAddr>)> {
        let socket = self.accept_timeout(timeout)?;
        let peer = match socket.peer_name() {
            Ok(peer) => peer,
            // The peer reset the connection between accept and now: the
            // connection is still the caller's (its next call says so).
            Err(e) if e.code() == ErrorCode::NotConnected => None,
            Err(e) => return Err(e),
        };
        Ok((socket, peer))
    }

    /// The spec's `socket-accept-ready?`: whether a connection is waiting
    /// to be accepted (`poll(2)` with no wait).
    #[doc(alias = "socket-accept-ready?")]
    pub fn accept_ready(&self) -> Result<bool> {
        Ok(self.inner.accept_ready()?)
    }

    /// `shutdown(2)`: the spec's `socket-shutdown`.
    #[doc(alias = "socket-shutdown")]
    pub fn shutdown(&self, how: Shutdown) -> Result<()> {
        Ok(self.inner.shutdown(how.into())?)
    }

    /// `close(2)`: the spec's `socket-close`. The OS socket is closed now;
    /// every later call on this socket fails with [`ErrorCode::Closed`].
    /// (Dropping a socket also closes it, silently.)
    #[doc(alias = "socket-close")]
    pub fn close(&self) -> Result<()> {
        Ok(self.inner.close()?)
    }

    /// The spec's `socket-close*`: [`Socket::close`] ignoring any error.
    #[doc(alias = "socket-close*")]
    pub fn close_quietly(&self) {
        let _ = self.inner.close();
    }

    // Status.

    /// `getsockname(2)`: the spec's `socket-name`; `None` when the socket
    /// is not bound.
    #[doc(alias = "socket-name")]
    pub fn name(&self) -> Result<Option<SockAddr>> {
        Ok(self.inner.name()?.map(SockAddr::from))
    }

    /// `getpeername(2)`: the spec's `socket-peer-name`; `None` when no
    /// connection exists (datagram "connections" count).
    #[doc(alias = "socket-peer-name")]
    pub fn peer_name(&self) -> Result<Option<SockAddr>> {
        Ok(self.inner.peer_name()?.map(SockAddr::from))
    }

    /// A `wasi:io/poll` pollable ready when the socket is ready for any of
    /// `interest`. [`Poller`](crate::poll::Poller) is the easy way to wait.
    pub(crate) fn subscribe(
        &self,
        interest: Interest,
    ) -> crate::bindings::wasi::io::poll::Pollable {
        self.inner.subscribe(interest.into())
    }
}
