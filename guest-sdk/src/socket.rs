//! The socket: the spec's "Setup and teardown", "Status" and "Data
//! transfer" sections.

use std::cell::Cell;
use std::fmt;
use std::time::Duration;

use crate::addr::{Family, Protocol, SockAddr, SocketType};
use crate::bindings::wasock::socket::socket as wit;
use crate::error::{Error, ErrorClass, ErrorCode, Result};
use crate::parameters::{self, Timeouts, timeout_to_wit};

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
    /// `flags` of `send(2)` / `sendto(2)` (the host always adds
    /// `MSG_NOSIGNAL`).
    SendFlags: wit::SendFlags {
        /// `MSG_OOB`: send out-of-band data.
        OOB,
        /// `MSG_DONTROUTE`: bypass routing, send only on the local network.
        DONT_ROUTE,
        /// `MSG_DONTWAIT`: fail with `would-block` (class transient) rather
        /// than wait.
        DONT_WAIT,
        /// `MSG_EOR`: end of record.
        END_OF_RECORD,
        /// `MSG_MORE`: more data follows (Linux).
        MORE,
    }
}

crate::flags! {
    /// `flags` of `recv(2)` / `recvfrom(2)`.
    RecvFlags: wit::ReceiveFlags {
        /// `MSG_PEEK`: return data without removing it from the queue.
        PEEK,
        /// `MSG_OOB`: receive out-of-band data.
        OOB,
        /// `MSG_WAITALL`: wait until the full amount is available (stream
        /// sockets; may still return less on end of file or error).
        WAIT_ALL,
        /// `MSG_DONTWAIT`: fail with `would-block` (class transient) rather
        /// than wait.
        DONT_WAIT,
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

/// The per-call options of the receive calls ([`Socket::receive_with`]
/// and the other `receive*_with`): flags and this call's own timeout.
///
/// [`RecvOptions::new`] (or [`Default`]) is no flags and the socket's
/// receive timeout, so only what is set differs from the plain call. A
/// [`RecvFlags`] converts into options with just those flags.
///
/// ```
/// use std::time::Duration;
/// use wasock::{RecvFlags, RecvOptions};
/// let options = RecvOptions::new()
///     .flags(RecvFlags::WAIT_ALL)
///     .timeout(Some(Duration::from_secs(5)));
/// assert_eq!(options.get_flags(), RecvFlags::WAIT_ALL);
/// assert_eq!(options.get_timeout(), Some(Some(Duration::from_secs(5))));
/// assert_eq!(RecvOptions::from(RecvFlags::PEEK).get_timeout(), None, "the socket's");
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct RecvOptions {
    flags: RecvFlags,
    timeout: Option<Option<Duration>>,
}

impl RecvOptions {
    /// No flags, the socket's receive timeout.
    pub fn new() -> RecvOptions {
        RecvOptions::default()
    }

    /// The `flags` of `recv(2)` for this call.
    pub fn flags(mut self, flags: RecvFlags) -> RecvOptions {
        self.flags = flags;
        self
    }

    /// This call's own timeout instead of the socket's: `None` waits
    /// forever; `Some(Duration::ZERO)` tries once and fails with class
    /// [`ErrorClass::Timeout`] where nothing is waiting.
    pub fn timeout(mut self, timeout: Option<Duration>) -> RecvOptions {
        self.timeout = Some(timeout);
        self
    }

    /// The flags set.
    pub fn get_flags(&self) -> RecvFlags {
        self.flags
    }

    /// The timeout set: `None` where the call takes the socket's.
    pub fn get_timeout(&self) -> Option<Option<Duration>> {
        self.timeout
    }

    fn timeout_or(&self, socket: Option<Duration>) -> Option<Duration> {
        self.timeout.unwrap_or(socket)
    }
}

impl From<RecvFlags> for RecvOptions {
    fn from(flags: RecvFlags) -> RecvOptions {
        RecvOptions::new().flags(flags)
    }
}

/// The per-call options of the send calls ([`Socket::send_with`],
/// [`Socket::send_to_with`], [`Socket::send_all_with`]): flags, this
/// call's own timeout, and for `send_all` the chunk size.
///
/// [`SendOptions::new`] (or [`Default`]) is no flags, the socket's send
/// timeout and the program's `send_size`. A [`SendFlags`] converts into
/// options with just those flags.
///
/// ```
/// use std::time::Duration;
/// use wasock::{SendFlags, SendOptions};
/// let options = SendOptions::new()
///     .flags(SendFlags::DONT_ROUTE)
///     .timeout(None)
///     .send_size(Some(512));
/// assert_eq!(options.get_timeout(), Some(None), "forever");
/// assert_eq!(options.get_send_size(), Some(Some(512)));
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct SendOptions {
    flags: SendFlags,
    timeout: Option<Option<Duration>>,
    send_size: Option<Option<usize>>,
}

impl SendOptions {
    /// No flags, the socket's send timeout, the program's `send_size`.
    pub fn new() -> SendOptions {
        SendOptions::default()
    }

    /// The `flags` of `send(2)` for this call.
    pub fn flags(mut self, flags: SendFlags) -> SendOptions {
        self.flags = flags;
        self
    }

    /// This call's own timeout instead of the socket's (for `send_all`,
    /// of each `send`): `None` waits forever; `Some(Duration::ZERO)` tries
    /// once and fails with class [`ErrorClass::Timeout`] where the socket
    /// takes nothing.
    pub fn timeout(mut self, timeout: Option<Duration>) -> SendOptions {
        self.timeout = Some(timeout);
        self
    }

    /// [`Socket::send_all_with`]'s chunk size instead of the program's
    /// (the spec's `socket-send-size`): `None` offers each `send` all that
    /// is left. The other send calls ignore it.
    pub fn send_size(mut self, send_size: Option<usize>) -> SendOptions {
        self.send_size = Some(send_size);
        self
    }

    /// The flags set.
    pub fn get_flags(&self) -> SendFlags {
        self.flags
    }

    /// The timeout set: `None` where the call takes the socket's.
    pub fn get_timeout(&self) -> Option<Option<Duration>> {
        self.timeout
    }

    /// The chunk size set: `None` where `send_all` takes the program's.
    pub fn get_send_size(&self) -> Option<Option<usize>> {
        self.send_size
    }

    fn timeout_or(&self, socket: Option<Duration>) -> Option<Duration> {
        self.timeout.unwrap_or(socket)
    }

    fn send_size_or(&self, program: Option<usize>) -> Option<usize> {
        self.send_size.unwrap_or(program)
    }
}

impl From<SendFlags> for SendOptions {
    fn from(flags: SendFlags) -> SendOptions {
        SendOptions::new().flags(flags)
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

impl fmt::Debug for Socket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Socket")
            .field("fileno", &self.fileno())
            .finish_non_exhaustive()
    }
}

fn wit_len(len: usize) -> u32 {
    // The host caps one call's buffer anyway (64 KiB); asking for more than
    // u32::MAX is asking for "as much as you will give".
    u32::try_from(len).unwrap_or(u32::MAX)
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

    // Receiving data.

    /// `recv(2)`: the spec's `socket-receive`: waits for data and returns
    /// up to `len` bytes (sized to fit); empty at end of file on a stream.
    /// Uses the socket's receive timeout.
    ///
    /// For datagrams, the rest of a datagram longer than `len` is lost
    /// without notice: [`Socket::receive_from`] says when that happened.
    #[doc(alias = "socket-receive")]
    pub fn receive(&self, len: usize) -> Result<Vec<u8>> {
        self.receive_with(len, RecvOptions::new())
    }

    /// [`Socket::receive`] with this call's flags and timeout.
    ///
    /// ```no_run
    /// # fn main() -> wasock::Result<()> {
    /// # let socket = wasock::Socket::new(wasock::Family::Inet, wasock::SocketType::Stream, wasock::Protocol::DEFAULT)?;
    /// use std::time::Duration;
    /// use wasock::{RecvFlags, RecvOptions};
    /// // Look at what is waiting without taking it (flags convert into options).
    /// let head = socket.receive_with(4, RecvFlags::PEEK)?;
    /// // Wait at most one second for this call.
    /// let data = socket.receive_with(4096, RecvOptions::new().timeout(Some(Duration::from_secs(1))))?;
    /// # Ok(()) }
    /// ```
    #[doc(alias = "receive_timeout")]
    pub fn receive_with(&self, len: usize, options: impl Into<RecvOptions>) -> Result<Vec<u8>> {
        let options = options.into();
        Ok(self.inner.receive(
            wit_len(len),
            options.flags.into(),
            timeout_to_wit(options.timeout_or(self.timeouts().receive)),
        )?)
    }

    /// The spec's `socket-receive!`: receives into `buf`, returning how
    /// many bytes were written (0 at end of file on a stream). As
    /// [`Socket::receive`], a longer datagram is cut to `buf` without
    /// notice; [`Socket::receive_from_into`] reports it.
    #[doc(alias = "socket-receive!")]
    pub fn receive_into(&self, buf: &mut [u8]) -> Result<usize> {
        self.receive_into_with(buf, RecvOptions::new())
    }

    /// [`Socket::receive_into`] with this call's flags and timeout.
    pub fn receive_into_with(
        &self,
        buf: &mut [u8],
        options: impl Into<RecvOptions>,
    ) -> Result<usize> {
        let data = self.receive_with(buf.len(), options)?;
        copy_received(buf, &data)
    }

    /// `recvfrom(2)`: the spec's `socket-receive-from`: up to `len` bytes,
    /// the source address (`None` where the OS reports none) and whether
    /// a datagram was longer than `len` and its rest discarded (the spec:
    /// "the rest of the data is irrevocably lost"). Uses the socket's
    /// receive timeout.
    ///
    /// ```no_run
    /// # fn main() -> wasock::Result<()> {
    /// use wasock::{Family, Protocol, SockAddr, Socket, SocketType};
    /// // UDP echo, one datagram.
    /// let socket = Socket::new(Family::Inet, SocketType::Dgram, Protocol::DEFAULT)?;
    /// socket.bind(&SockAddr::inet(Some("127.0.0.1"), 5353)?)?;
    /// let received = socket.receive_from(1500)?;
    /// if received.truncated {
    ///     eprintln!("a datagram longer than 1500 bytes was cut");
    /// }
    /// if let Some(from) = &received.address {
    ///     socket.send_to(&received.data, from)?;
    /// }
    /// # Ok(()) }
    /// ```
    #[doc(alias = "socket-receive-from")]
    pub fn receive_from(&self, len: usize) -> Result<ReceivedFrom> {
        self.receive_from_with(len, RecvOptions::new())
    }

    /// [`Socket::receive_from`] with this call's flags and timeout.
    #[doc(alias = "receive_from_timeout")]
    pub fn receive_from_with(
        &self,
        len: usize,
        options: impl Into<RecvOptions>,
    ) -> Result<ReceivedFrom> {
        let options = options.into();
        let received = self.inner.receive_from(
            wit_len(len),
            options.flags.into(),
            timeout_to_wit(options.timeout_or(self.timeouts().receive)),
        )?;
        Ok(ReceivedFrom::from(received))
    }

    /// The spec's `socket-receive-from!`: receives into `buf`, returning
    /// the byte count, the source address and whether a longer datagram
    /// was cut to fit `buf`.
    #[doc(alias = "socket-receive-from!")]
    pub fn receive_from_into(&self, buf: &mut [u8]) -> Result<ReceivedInto> {
        self.receive_from_into_with(buf, RecvOptions::new())
    }

    /// [`Socket::receive_from_into`] with this call's flags and timeout.
    pub fn receive_from_into_with(
        &self,
        buf: &mut [u8],
        options: impl Into<RecvOptions>,
    ) -> Result<ReceivedInto> {
        let received = self.receive_from_with(buf.len(), options)?;
        Ok(ReceivedInto {
            len: copy_received(buf, &received.data)?,
            address: received.address,
            truncated: received.truncated,
        })
    }

    /// The spec's `socket-receive-ready?`: whether data (or end of file) is
    /// waiting to be received (`poll(2)` with no wait).
    #[doc(alias = "socket-receive-ready?")]
    pub fn receive_ready(&self) -> Result<bool> {
        Ok(self.inner.receive_ready()?)
    }

    // Sending data.

    /// `send(2)`: the spec's `socket-send`: waits until at least some data
    /// is sent and returns how many bytes were. Uses the socket's send
    /// timeout.
    #[doc(alias = "socket-send")]
    pub fn send(&self, data: &[u8]) -> Result<usize> {
        self.send_with(data, SendOptions::new())
    }

    /// [`Socket::send`] with this call's flags and timeout.
    ///
    /// ```no_run
    /// # fn main() -> wasock::Result<()> {
    /// # let socket = wasock::Socket::new(wasock::Family::Inet, wasock::SocketType::Stream, wasock::Protocol::DEFAULT)?;
    /// use std::time::Duration;
    /// use wasock::{SendFlags, SendOptions};
    /// socket.send_with(b"more to come", SendFlags::MORE)?;
    /// socket.send_with(b"bye", SendOptions::new().timeout(Some(Duration::from_millis(500))))?;
    /// # Ok(()) }
    /// ```
    #[doc(alias = "send_timeout")]
    pub fn send_with(&self, data: &[u8], options: impl Into<SendOptions>) -> Result<usize> {
        let options = options.into();
        let sent = self.inner.send(
            data,
            options.flags.into(),
            timeout_to_wit(options.timeout_or(self.timeouts().send)),
        )?;
        Ok(sent as usize)
    }

    /// `send(2)` with `MSG_DONTWAIT`: sends what the socket takes now and
    /// never waits. Fails with [`ErrorCode::WouldBlock`] (class transient)
    /// where it takes nothing; wait for [`Interest::WRITABLE`] (see
    /// [`poll`](crate::poll)) and try again. The way to write to many
    /// clients from one loop without one slow client stalling the others
    /// (a port's writer does the same in
    /// [non-blocking mode](crate::ports::SocketWriter::set_nonblocking)).
    ///
    /// ```no_run
    /// # fn main() -> wasock::Result<()> {
    /// # let socket = wasock::Socket::new(wasock::Family::Inet, wasock::SocketType::Stream, wasock::Protocol::DEFAULT)?;
    /// use wasock::poll::Subscription;
    /// use wasock::{ErrorCode, Interest};
    /// let mut pending: &[u8] = b"a reply the client may be slow to take";
    /// while !pending.is_empty() {
    ///     match socket.try_send(pending) {
    ///         Ok(sent) => pending = &pending[sent..],
    ///         Err(e) if e.code() == ErrorCode::WouldBlock => {
    ///             // A server keeps `pending` with the connection and polls
    ///             // this subscription among all the others.
    ///             let writable = Subscription::new(&socket, Interest::WRITABLE);
    ///             wasock::poll::wait_any(&[&writable], None)?;
    ///         }
    ///         Err(e) => return Err(e),
    ///     }
    /// }
    /// # Ok(()) }
    /// ```
    #[doc(alias = "try_write")]
    pub fn try_send(&self, data: &[u8]) -> Result<usize> {
        self.send_with(data, SendFlags::DONT_WAIT)
    }

    /// `sendto(2)`: the spec's `socket-send-to`: sends a datagram to
    /// `address`, returning how many bytes were sent.
    #[doc(alias = "socket-send-to")]
    pub fn send_to(&self, data: &[u8], address: &SockAddr) -> Result<usize> {
        self.send_to_with(data, address, SendOptions::new())
    }

    /// [`Socket::send_to`] with this call's flags and timeout.
    #[doc(alias = "send_to_timeout")]
    pub fn send_to_with(
        &self,
        data: &[u8],
        address: &SockAddr,
        options: impl Into<SendOptions>,
    ) -> Result<usize> {
        let options = options.into();
        let sent = self.inner.send_to(
            data,
            &address.into(),
            options.flags.into(),
            timeout_to_wit(options.timeout_or(self.timeouts().send)),
        )?;
        Ok(sent as usize)
    }

    /// The spec's `socket-send-all`: sends all of `data` by calling
    /// [`Socket::send`] as often as needed, in chunks of the program's
    /// `send_size` ([`ports::default_config`](crate::ports::default_config),
    /// 16384 unless changed); the last chunk may be smaller. Each `send`
    /// has the socket's send timeout.
    ///
    /// On a connected datagram socket each chunk is one datagram, so this
    /// divides a large buffer into `send_size`-byte datagrams. An empty
    /// `data` sends nothing. On an error, the chunks before it were sent.
    #[doc(alias = "socket-send-all")]
    pub fn send_all(&self, data: &[u8]) -> Result<()> {
        self.send_all_with(data, SendOptions::new())
    }

    /// [`Socket::send_all`] with this call's flags, timeout (for each
    /// `send`) and chunk size ([`SendOptions::send_size`]).
    pub fn send_all_with(&self, data: &[u8], options: impl Into<SendOptions>) -> Result<()> {
        let options = options.into();
        let send_size = options.send_size_or(parameters::default_config().send_size);
        let options = options.timeout(options.timeout_or(self.timeouts().send));
        send_all_chunked(data, send_size, |chunk| self.send_with(chunk, options))
            .map_err(|partial| partial.error)
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

/// What [`Socket::receive_from`] received: the WIT's `received-from`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ReceivedFrom {
    /// The bytes received, at most the length asked for.
    pub data: Vec<u8>,
    /// The source address; `None` where the OS reports none (a connected
    /// stream).
    pub address: Option<SockAddr>,
    /// True where the datagram was longer than the length asked for and
    /// the rest was discarded (`MSG_TRUNC`).
    pub truncated: bool,
}

/// What [`Socket::receive_from_into`] received into the caller's buffer.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ReceivedInto {
    /// How many bytes were written to the start of the buffer.
    pub len: usize,
    /// The source address; `None` where the OS reports none (a connected
    /// stream).
    pub address: Option<SockAddr>,
    /// True where the datagram was longer than the buffer and the rest was
    /// discarded (`MSG_TRUNC`).
    pub truncated: bool,
}

impl From<wit::ReceivedFrom> for ReceivedFrom {
    fn from(r: wit::ReceivedFrom) -> Self {
        ReceivedFrom {
            data: r.data,
            address: r.address.map(SockAddr::from),
            truncated: r.truncated,
        }
    }
}

/// [`Socket::receive_into`] as std [`Read`](std::io::Read): 0 bytes is end
/// of file on a stream. Unbuffered: every `read` is one receive (see
/// [`ports`](crate::ports) for buffered reading).
impl std::io::Read for &Socket {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        Ok(self.receive_into(buf)?)
    }
}

/// [`Socket::receive_into`] as std [`Read`](std::io::Read).
impl std::io::Read for Socket {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        Ok(self.receive_into(buf)?)
    }
}

/// [`Socket::send`] as std [`Write`](std::io::Write) (`write_all` is then
/// [`Socket::send_all`] without chunking); `flush` does nothing.
impl std::io::Write for &Socket {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        Ok(Socket::send(self, buf)?)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// [`Socket::send`] as std [`Write`](std::io::Write); `flush` does nothing.
impl std::io::Write for Socket {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        Ok(Socket::send(self, buf)?)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Copies a received buffer into the caller's, which it must fit.
fn copy_received(buf: &mut [u8], data: &[u8]) -> Result<usize> {
    let capacity = buf.len();
    let target = buf.get_mut(..data.len()).ok_or_else(|| {
        Error::new(
            ErrorClass::Fatal,
            ErrorCode::Other,
            format!(
                "receive: the host returned {} bytes for a {capacity}-byte buffer",
                data.len()
            ),
        )
    })?;
    target.copy_from_slice(data);
    Ok(data.len())
}

/// A `send_all` that stopped at an error: how much went out before it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Partial {
    /// The bytes sent, from the start of the data, before `error`.
    pub(crate) sent: usize,
    pub(crate) error: Error,
}

/// The spec's `socket-send-all` loop: "Data is sent in chunks of size
/// (socket-send-size); the last chunk sent may be smaller than this. A #f
/// value for socket-send-size will attempt to send all remaining data with
/// each call to send()." Like the egg, the next chunk starts where the last
/// `send` stopped. On an error it says how much was sent before, so a
/// buffered writer keeps exactly the rest.
pub(crate) fn send_all_chunked(
    data: &[u8],
    send_size: Option<usize>,
    mut send: impl FnMut(&[u8]) -> Result<usize>,
) -> std::result::Result<(), Partial> {
    let mut start = 0;
    while start < data.len() {
        let remaining = data.len() - start;
        let count = send_size.map_or(remaining, |size| size.clamp(1, remaining));
        let sent =
            send(&data[start..start + count]).map_err(|error| Partial { sent: start, error })?;
        if sent == 0 || sent > count {
            return Err(Partial {
                sent: start + sent.min(count),
                error: Error::new(
                    ErrorClass::Fatal,
                    ErrorCode::Other,
                    format!("send-all: send reported {sent} bytes sent of {count}"),
                ),
            });
        }
        start += sent;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn received_from_keeps_data_source_and_truncation() {
        let source = SockAddr::inet(Some("127.0.0.1"), 5353).unwrap_or_else(|e| panic!("{e}"));
        let wit_record = wit::ReceivedFrom {
            data: vec![1, 2, 3],
            address: Some((&source).into()),
            truncated: true,
        };
        let r = ReceivedFrom::from(wit_record);
        assert_eq!(
            r,
            ReceivedFrom {
                data: vec![1, 2, 3],
                address: Some(source),
                truncated: true
            }
        );
        let stream = ReceivedFrom::from(wit::ReceivedFrom {
            data: Vec::new(),
            address: None,
            truncated: false,
        });
        assert_eq!((stream.address, stream.truncated), (None, false));
    }

    #[test]
    fn send_all_chunks_by_send_size_last_chunk_smaller() {
        let data = vec![7u8; 40000];
        let mut sizes = Vec::new();
        let r = send_all_chunked(&data, Some(16384), |c| {
            sizes.push(c.len());
            Ok(c.len())
        });
        assert_eq!(r, Ok(()));
        assert_eq!(sizes, [16384, 16384, 7232]);
    }

    #[test]
    fn send_all_without_send_size_offers_everything_left() {
        let data = vec![1u8; 1000];
        let mut sizes = Vec::new();
        // A stream send that takes at most 300 bytes at a time.
        let r = send_all_chunked(&data, None, |c| {
            sizes.push(c.len());
            Ok(c.len().min(300))
        });
        assert_eq!(r, Ok(()));
        assert_eq!(sizes, [1000, 700, 400, 100]);
    }

    #[test]
    fn send_all_continues_where_a_partial_send_stopped() {
        let data: Vec<u8> = (0..=255).collect();
        let mut seen = Vec::new();
        let r = send_all_chunked(&data, Some(100), |c| {
            let n = c.len().min(60);
            seen.extend_from_slice(&c[..n]);
            Ok(n)
        });
        assert_eq!(r, Ok(()));
        assert_eq!(seen, data);
    }

    #[test]
    fn send_all_stops_at_the_first_error_and_on_zero_progress() {
        let data = [0u8; 10];
        let e = Error::new(ErrorClass::Fatal, ErrorCode::BrokenPipe, "x");
        assert_eq!(
            send_all_chunked(&data, Some(4), |_| Err(e.clone())),
            Err(Partial {
                sent: 0,
                error: e.clone()
            })
        );
        let zero =
            send_all_chunked(&data, Some(4), |_| Ok(0)).map_err(|p| (p.sent, p.error.code()));
        assert_eq!(zero, Err((0, ErrorCode::Other)));
        // The third chunk fails: the first two (8 bytes) went out.
        let mut calls = 0;
        let third = send_all_chunked(&data, Some(4), |chunk| {
            calls += 1;
            if calls == 3 {
                Err(e.clone())
            } else {
                Ok(chunk.len())
            }
        });
        assert_eq!(third.map_err(|p| p.sent), Err(8));
    }
}
