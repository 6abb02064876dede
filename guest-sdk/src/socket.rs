//! The socket: the spec's "Setup and teardown", "Status" and "Data
//! transfer" sections.

use std::cell::Cell;
use std::fmt;
use std::time::Duration;

use crate::addr::{Family, Protocol, SockAddr, SocketType};
use crate::bindings::wasock::socket::socket as wit;
use crate::error::{Error, ErrorClass, ErrorCode, Result};
use crate::timeouts::{self, Timeouts};

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

/// A socket: the spec's `socket` record, owning one host OS socket.
///
/// Created with [`Socket::new`] (the spec's `socket`), by
/// [`connect_any`](crate::connect_any) or by [`Socket::accept`]. Dropping it
/// closes the OS socket; [`Socket::close`] closes it earlier and reports
/// errors.
///
/// Blocking calls block only this guest (the host waits for readiness), and
/// take their timeouts from [`Socket::timeouts`] unless the call takes its
/// own.
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
    pub fn fileno(&self) -> u32 {
        self.inner.handle()
    }

    /// The spec's `socket-family`.
    pub fn family(&self) -> Family {
        self.inner.family().into()
    }

    /// The spec's `socket-type`.
    pub fn socket_type(&self) -> SocketType {
        self.inner.socket_type().into()
    }

    /// The spec's `socket-protocol`: the protocol given to [`Socket::new`]
    /// (the listener's for an accepted socket).
    pub fn protocol(&self) -> Protocol {
        Protocol(self.inner.protocol())
    }

    /// This socket's timeouts: its own if [`Socket::set_timeouts`] set
    /// them, else the program's [`default_timeouts`](crate::default_timeouts)
    /// as they are now.
    pub fn timeouts(&self) -> Timeouts {
        self.timeouts
            .get()
            .unwrap_or_else(timeouts::default_timeouts)
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
    pub fn connect(&self, address: &SockAddr) -> Result<()> {
        self.connect_timeout(address, self.timeouts().connect)
    }

    /// [`Socket::connect`] with this call's own timeout (`None`: forever).
    pub fn connect_timeout(&self, address: &SockAddr, timeout: Option<Duration>) -> Result<()> {
        Ok(self
            .inner
            .connect(&address.into(), timeouts::to_wit(timeout))?)
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
    pub fn bind(&self, address: &SockAddr) -> Result<()> {
        Ok(self.inner.bind(&address.into())?)
    }

    /// `listen(2)`: the spec's `socket-listen`, with a connection queue of
    /// `backlog`. Only valid for stream sockets.
    pub fn listen(&self, backlog: u32) -> Result<()> {
        Ok(self.inner.listen(backlog)?)
    }

    /// `accept(2)`: the spec's `socket-accept`, with the socket's accept
    /// timeout. The new socket starts with this one's own timeouts.
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
    ///     println!("connection from {:?}", conn.peer_name()?);
    ///     let data = conn.receive(4096)?;
    ///     conn.send_all(&data)?;
    ///     conn.close()?;
    /// }
    /// # }
    /// ```
    pub fn accept(&self) -> Result<Socket> {
        self.accept_timeout(self.timeouts().accept)
    }

    /// [`Socket::accept`] with this call's own timeout (`None`: forever).
    pub fn accept_timeout(&self, timeout: Option<Duration>) -> Result<Socket> {
        let inner = self.inner.accept(timeouts::to_wit(timeout))?;
        Ok(Socket::from_wit(inner, self.timeouts.get()))
    }

    /// The spec's `socket-accept-ready?`: whether a connection is waiting
    /// to be accepted (`poll(2)` with no wait).
    pub fn accept_ready(&self) -> Result<bool> {
        Ok(self.inner.accept_ready()?)
    }

    /// `shutdown(2)`: the spec's `socket-shutdown`.
    pub fn shutdown(&self, how: Shutdown) -> Result<()> {
        Ok(self.inner.shutdown(how.into())?)
    }

    /// `close(2)`: the spec's `socket-close`. The OS socket is closed now;
    /// every later call on this socket fails with [`ErrorCode::Closed`].
    /// (Dropping a socket also closes it, silently.)
    pub fn close(&self) -> Result<()> {
        Ok(self.inner.close()?)
    }

    /// The spec's `socket-close*`: [`Socket::close`] ignoring any error.
    pub fn close_quietly(&self) {
        let _ = self.inner.close();
    }

    // Status.

    /// `getsockname(2)`: the spec's `socket-name`; `None` when the socket
    /// is not bound.
    pub fn name(&self) -> Result<Option<SockAddr>> {
        Ok(self.inner.name()?.map(SockAddr::from))
    }

    /// `getpeername(2)`: the spec's `socket-peer-name`; `None` when no
    /// connection exists (datagram "connections" count).
    pub fn peer_name(&self) -> Result<Option<SockAddr>> {
        Ok(self.inner.peer_name()?.map(SockAddr::from))
    }

    // Receiving data.

    /// `recv(2)`: the spec's `socket-receive`: waits for data and returns
    /// up to `len` bytes (sized to fit); empty at end of file on a stream.
    /// For datagrams, the rest of a datagram longer than `len` is lost.
    /// Uses the socket's receive timeout.
    pub fn receive(&self, len: usize) -> Result<Vec<u8>> {
        self.receive_with(len, RecvFlags::empty(), self.timeouts().receive)
    }

    /// [`Socket::receive`] with flags.
    pub fn receive_with_flags(&self, len: usize, flags: RecvFlags) -> Result<Vec<u8>> {
        self.receive_with(len, flags, self.timeouts().receive)
    }

    /// [`Socket::receive`] with this call's own timeout (`None`: forever).
    pub fn receive_timeout(&self, len: usize, timeout: Option<Duration>) -> Result<Vec<u8>> {
        self.receive_with(len, RecvFlags::empty(), timeout)
    }

    /// [`Socket::receive`] with flags and this call's own timeout.
    pub fn receive_with(
        &self,
        len: usize,
        flags: RecvFlags,
        timeout: Option<Duration>,
    ) -> Result<Vec<u8>> {
        Ok(self
            .inner
            .receive(wit_len(len), flags.into(), timeouts::to_wit(timeout))?)
    }

    /// The spec's `socket-receive!`: receives into `buf`, returning how
    /// many bytes were written (0 at end of file on a stream).
    pub fn receive_into(&self, buf: &mut [u8]) -> Result<usize> {
        self.receive_into_with(buf, RecvFlags::empty(), self.timeouts().receive)
    }

    /// [`Socket::receive_into`] with flags.
    pub fn receive_into_with_flags(&self, buf: &mut [u8], flags: RecvFlags) -> Result<usize> {
        self.receive_into_with(buf, flags, self.timeouts().receive)
    }

    /// [`Socket::receive_into`] with flags and this call's own timeout.
    pub fn receive_into_with(
        &self,
        buf: &mut [u8],
        flags: RecvFlags,
        timeout: Option<Duration>,
    ) -> Result<usize> {
        let data = self.receive_with(buf.len(), flags, timeout)?;
        copy_received(buf, &data)
    }

    /// `recvfrom(2)`: the spec's `socket-receive-from`: up to `len` bytes
    /// and the source address (`None` where the OS reports none).
    ///
    /// ```no_run
    /// # fn main() -> wasock::Result<()> {
    /// use wasock::{Family, Protocol, SockAddr, Socket, SocketType};
    /// // UDP echo, one datagram.
    /// let socket = Socket::new(Family::Inet, SocketType::Dgram, Protocol::DEFAULT)?;
    /// socket.bind(&SockAddr::inet(Some("127.0.0.1"), 5353)?)?;
    /// let (data, from) = socket.receive_from(1500)?;
    /// if let Some(from) = from {
    ///     socket.send_to(&data, &from)?;
    /// }
    /// # Ok(()) }
    /// ```
    pub fn receive_from(&self, len: usize) -> Result<(Vec<u8>, Option<SockAddr>)> {
        self.receive_from_with(len, RecvFlags::empty(), self.timeouts().receive)
    }

    /// [`Socket::receive_from`] with flags.
    pub fn receive_from_with_flags(
        &self,
        len: usize,
        flags: RecvFlags,
    ) -> Result<(Vec<u8>, Option<SockAddr>)> {
        self.receive_from_with(len, flags, self.timeouts().receive)
    }

    /// [`Socket::receive_from`] with flags and this call's own timeout.
    pub fn receive_from_with(
        &self,
        len: usize,
        flags: RecvFlags,
        timeout: Option<Duration>,
    ) -> Result<(Vec<u8>, Option<SockAddr>)> {
        let r = self
            .inner
            .receive_from(wit_len(len), flags.into(), timeouts::to_wit(timeout))?;
        Ok((r.data, r.address.map(SockAddr::from)))
    }

    /// `recvfrom(2)` reporting truncation: [`Socket::receive_from`] that
    /// also says whether the datagram was longer than `len` and its rest
    /// was discarded (`MSG_TRUNC`; the spec: "the rest of the data is
    /// irrevocably lost"). Uses the socket's receive timeout.
    ///
    /// ```no_run
    /// # fn main() -> wasock::Result<()> {
    /// use wasock::{Family, Protocol, SockAddr, Socket, SocketType};
    /// let socket = Socket::new(Family::Inet, SocketType::Dgram, Protocol::DEFAULT)?;
    /// socket.bind(&SockAddr::inet(Some("127.0.0.1"), 5353)?)?;
    /// let received = socket.receive_datagram(512)?;
    /// if received.truncated {
    ///     eprintln!("a datagram longer than 512 bytes from {:?} was cut", received.address);
    /// }
    /// # Ok(()) }
    /// ```
    #[doc(alias = "socket-receive-from")]
    pub fn receive_datagram(&self, len: usize) -> Result<ReceivedFrom> {
        self.receive_datagram_with(len, RecvFlags::empty(), self.timeouts().receive)
    }

    /// [`Socket::receive_datagram`] with flags and this call's own timeout
    /// (`None`: forever).
    pub fn receive_datagram_with(
        &self,
        len: usize,
        flags: RecvFlags,
        timeout: Option<Duration>,
    ) -> Result<ReceivedFrom> {
        let r = self
            .inner
            .receive_from(wit_len(len), flags.into(), timeouts::to_wit(timeout))?;
        Ok(ReceivedFrom::from(r))
    }

    /// The spec's `socket-receive-from!`: receives into `buf`, returning
    /// the byte count and the source address.
    pub fn receive_from_into(&self, buf: &mut [u8]) -> Result<(usize, Option<SockAddr>)> {
        self.receive_from_into_with(buf, RecvFlags::empty(), self.timeouts().receive)
    }

    /// [`Socket::receive_from_into`] with flags.
    pub fn receive_from_into_with_flags(
        &self,
        buf: &mut [u8],
        flags: RecvFlags,
    ) -> Result<(usize, Option<SockAddr>)> {
        self.receive_from_into_with(buf, flags, self.timeouts().receive)
    }

    /// [`Socket::receive_from_into`] with flags and this call's own timeout.
    pub fn receive_from_into_with(
        &self,
        buf: &mut [u8],
        flags: RecvFlags,
        timeout: Option<Duration>,
    ) -> Result<(usize, Option<SockAddr>)> {
        let (data, from) = self.receive_from_with(buf.len(), flags, timeout)?;
        Ok((copy_received(buf, &data)?, from))
    }

    /// The spec's `socket-receive-ready?`: whether data (or end of file) is
    /// waiting to be received (`poll(2)` with no wait).
    pub fn receive_ready(&self) -> Result<bool> {
        Ok(self.inner.receive_ready()?)
    }

    // Sending data.

    /// `send(2)`: the spec's `socket-send`: waits until at least some data
    /// is sent and returns how many bytes were. Uses the socket's send
    /// timeout.
    pub fn send(&self, data: &[u8]) -> Result<usize> {
        self.send_with(data, SendFlags::empty(), self.timeouts().send)
    }

    /// [`Socket::send`] with flags.
    pub fn send_with_flags(&self, data: &[u8], flags: SendFlags) -> Result<usize> {
        self.send_with(data, flags, self.timeouts().send)
    }

    /// [`Socket::send`] with this call's own timeout (`None`: forever).
    pub fn send_timeout(&self, data: &[u8], timeout: Option<Duration>) -> Result<usize> {
        self.send_with(data, SendFlags::empty(), timeout)
    }

    /// [`Socket::send`] with flags and this call's own timeout.
    pub fn send_with(
        &self,
        data: &[u8],
        flags: SendFlags,
        timeout: Option<Duration>,
    ) -> Result<usize> {
        let sent = self
            .inner
            .send(data, flags.into(), timeouts::to_wit(timeout))?;
        Ok(sent as usize)
    }

    /// `sendto(2)`: the spec's `socket-send-to`: sends a datagram to
    /// `address`, returning how many bytes were sent.
    pub fn send_to(&self, data: &[u8], address: &SockAddr) -> Result<usize> {
        self.send_to_with(data, address, SendFlags::empty(), self.timeouts().send)
    }

    /// [`Socket::send_to`] with flags.
    pub fn send_to_with_flags(
        &self,
        data: &[u8],
        address: &SockAddr,
        flags: SendFlags,
    ) -> Result<usize> {
        self.send_to_with(data, address, flags, self.timeouts().send)
    }

    /// [`Socket::send_to`] with flags and this call's own timeout.
    pub fn send_to_with(
        &self,
        data: &[u8],
        address: &SockAddr,
        flags: SendFlags,
        timeout: Option<Duration>,
    ) -> Result<usize> {
        let sent = self.inner.send_to(
            data,
            &address.into(),
            flags.into(),
            timeouts::to_wit(timeout),
        )?;
        Ok(sent as usize)
    }

    /// The spec's `socket-send-all`: sends all of `data` by calling
    /// [`Socket::send`] as often as needed, in chunks of the program's
    /// `send_size` ([`ports::default_config`](crate::ports::default_config),
    /// 16384 unless changed); the last chunk may be smaller.
    ///
    /// On a connected datagram socket each chunk is one datagram, so this
    /// divides a large buffer into `send_size`-byte datagrams. An empty
    /// `data` sends nothing.
    pub fn send_all(&self, data: &[u8]) -> Result<()> {
        self.send_all_with(
            data,
            SendFlags::empty(),
            crate::ports::default_config().send_size,
        )
    }

    /// [`Socket::send_all`] with flags.
    pub fn send_all_with_flags(&self, data: &[u8], flags: SendFlags) -> Result<()> {
        self.send_all_with(data, flags, crate::ports::default_config().send_size)
    }

    /// [`Socket::send_all`] with flags and this call's own chunk size
    /// (`None`: "infinite": each `send` is offered all remaining data).
    pub fn send_all_with(
        &self,
        data: &[u8],
        flags: SendFlags,
        send_size: Option<usize>,
    ) -> Result<()> {
        let timeout = self.timeouts().send;
        send_all_chunked(data, send_size, |chunk| {
            self.send_with(chunk, flags, timeout)
        })
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

/// What [`Socket::receive_datagram`] received: the WIT's `received-from`.
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

/// The spec's `socket-send-all` loop: "Data is sent in chunks of size
/// (socket-send-size); the last chunk sent may be smaller than this. A #f
/// value for socket-send-size will attempt to send all remaining data with
/// each call to send()." Like the egg, the next chunk starts where the last
/// `send` stopped.
pub(crate) fn send_all_chunked(
    data: &[u8],
    send_size: Option<usize>,
    mut send: impl FnMut(&[u8]) -> Result<usize>,
) -> Result<()> {
    let mut start = 0;
    while start < data.len() {
        let remaining = data.len() - start;
        let count = send_size.map_or(remaining, |size| size.clamp(1, remaining));
        let sent = send(&data[start..start + count])?;
        if sent == 0 || sent > count {
            return Err(Error::new(
                ErrorClass::Fatal,
                ErrorCode::Other,
                format!("send-all: send reported {sent} bytes sent of {count}"),
            ));
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
        assert_eq!(send_all_chunked(&data, Some(4), |_| Err(e.clone())), Err(e));
        let zero = send_all_chunked(&data, Some(4), |_| Ok(0)).map_err(|e| e.code());
        assert_eq!(zero, Err(ErrorCode::Other));
    }
}
