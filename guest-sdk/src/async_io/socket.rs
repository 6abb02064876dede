//! [`AsyncSocket`]: a socket whose blocking calls are futures.

use std::future::poll_fn;
use std::rc::Rc;
use std::task::{Context, Poll};
use std::time::Duration;

use super::reactor::{self, Direction, Source};
use crate::addr::{Family, Protocol, SockAddr, SocketType};
use crate::error::{Error, ErrorCode, Result};
use crate::socket::{ReceivedFrom, RecvFlags, SendFlags, Shutdown, Socket};
use crate::tls::{TlsOptions, TlsSession};

/// A socket for async code: every call that can wait is a future, and a
/// task waiting on one lets the others run.
///
/// Each call is the blocking [`Socket`]'s with `MSG_DONTWAIT` (or a zero
/// timeout): when the host says it would block, the task waits for the
/// socket's next readiness event from the poll set of this thread, then
/// tries again. Async calls take no timeout of their own (the socket's
/// [`Timeouts`](crate::Timeouts) do not apply): put a limit on any of them
/// with [`timeout`](super::timeout).
///
/// Run them under [`block_on`](super::block_on) (or, with the `wstd`
/// feature, under `wstd::runtime::block_on`).
///
/// # One task receiving while another sends
///
/// One task may receive while another sends on the same socket at the
/// same time, as tokio documents for its split halves: the two directions
/// wait for readiness separately. The calls take `&self` and
/// `AsyncRead`/`AsyncWrite` are implemented for `&AsyncSocket`, so tasks
/// share the socket through an `Rc` (or borrow it inside one task's
/// `join`); [`AsyncSocket::into_split`] gives two owned halves for
/// spawned tasks. At most one task should wait in each direction at a
/// time: a second task receiving (or sending) on the same socket takes
/// the first one's wake-up over.
///
/// An accept loop goes on past transient errors: a connection that went
/// away before it was accepted, and the guest's socket limit
/// (`too-many-sockets`, which leaves the connection in the kernel's
/// backlog until a socket closes), as a std or tokio server does on
/// `EMFILE`:
///
/// ```no_run
/// use std::time::Duration;
/// use wasock::async_io::{AsyncSocket, block_on, sleep, spawn};
/// use wasock::{Family, Protocol, SockAddr, SocketType};
///
/// fn main() -> wasock::Result<()> {
///     block_on(async {
///         let listener = AsyncSocket::new(Family::Inet, SocketType::Stream, Protocol::DEFAULT)?;
///         listener.bind(&SockAddr::inet(Some("127.0.0.1"), 7000)?)?;
///         listener.listen(128)?;
///         loop {
///             let client = match listener.accept().await {
///                 Ok(client) => client,
///                 Err(error) if error.is_transient() => {
///                     // Back off: at the socket limit, retrying at once
///                     // would only spin.
///                     sleep(Duration::from_millis(100)).await;
///                     continue;
///                 }
///                 Err(error) => return Err(error),
///             };
///             spawn(async move {
///                 while let Ok(data) = client.receive(4096).await {
///                     if data.is_empty() || client.send_all(&data).await.is_err() {
///                         break;
///                     }
///                 }
///             });
///         }
///     })
/// }
/// ```
pub struct AsyncSocket {
    socket: Socket,
    source: Rc<Source>,
}

impl std::fmt::Debug for AsyncSocket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AsyncSocket")
            .field("socket", &self.socket)
            .finish_non_exhaustive()
    }
}

impl Drop for AsyncSocket {
    fn drop(&mut self) {
        reactor::deregister(&self.source);
    }
}

fn would_block(error: &Error) -> bool {
    error.code() == ErrorCode::WouldBlock
}

/// The listeners the host opened for this guest (`wasock run --listen`,
/// socket activation), as async sockets, in order; taken once, as
/// [`crate::listeners`].
pub fn listeners() -> Result<Vec<AsyncSocket>> {
    crate::listeners()?
        .into_iter()
        .map(AsyncSocket::from_socket)
        .collect()
}

impl AsyncSocket {
    /// `socket(2)`: a new socket, registered with this thread's reactor.
    pub fn new(family: Family, socket_type: SocketType, protocol: Protocol) -> Result<AsyncSocket> {
        AsyncSocket::from_socket(Socket::new(family, socket_type, protocol)?)
    }

    /// Makes `socket` async (registering it with this thread's reactor).
    pub fn from_socket(socket: Socket) -> Result<AsyncSocket> {
        let source = reactor::register(&socket)?;
        Ok(AsyncSocket { socket, source })
    }

    /// The blocking socket inside, for options, names and the calls that
    /// never wait.
    pub fn socket(&self) -> &Socket {
        &self.socket
    }

    /// Polls `operation` (a non-blocking call) until it does not say
    /// would-block, waiting for the socket's readiness in `direction`
    /// between tries.
    fn poll_io<T>(
        &self,
        cx: &mut Context<'_>,
        direction: Direction,
        mut operation: impl FnMut(&Socket) -> Result<T>,
    ) -> Poll<Result<T>> {
        // Bounded: every try that would block clears the readiness, and
        // only an event sets it again.
        for _ in 0..64 {
            if !self.source.is_ready(direction) {
                self.source.set_waker(direction, cx.waker());
                if !super::drive_elsewhere(&self.source, direction, cx) {
                    return Poll::Pending;
                }
                continue;
            }
            match operation(&self.socket) {
                Err(error) if would_block(&error) => self.source.clear(direction),
                other => return Poll::Ready(other),
            }
        }
        cx.waker().wake_by_ref();
        Poll::Pending
    }

    /// The spec's `socket-fileno` ([`Socket::fileno`]).
    pub fn fileno(&self) -> u32 {
        self.socket.fileno()
    }

    /// The spec's `socket-family`.
    pub fn family(&self) -> Family {
        self.socket.family()
    }

    /// The spec's `socket-type`.
    pub fn socket_type(&self) -> SocketType {
        self.socket.socket_type()
    }

    /// The spec's `socket-protocol`.
    pub fn protocol(&self) -> Protocol {
        self.socket.protocol()
    }

    /// `getsockname(2)`: the spec's `socket-name`.
    pub fn name(&self) -> Result<Option<SockAddr>> {
        self.socket.name()
    }

    /// `getpeername(2)`: the spec's `socket-peer-name`.
    pub fn peer_name(&self) -> Result<Option<SockAddr>> {
        self.socket.peer_name()
    }

    /// `SO_REUSEADDR`: the spec's `so-reuse-address?` (the options a
    /// `p3` build's `AsyncSocket` has too; the rest through
    /// [`AsyncSocket::socket`]).
    pub fn reuse_address(&self) -> Result<bool> {
        self.socket.reuse_address()
    }

    /// Sets `SO_REUSEADDR`: the spec's `(set! (so-reuse-address? s) value)`.
    pub fn set_reuse_address(&self, value: bool) -> Result<()> {
        self.socket.set_reuse_address(value)
    }

    /// `TCP_NODELAY`: the spec's `tcp-no-delay?`.
    pub fn tcp_no_delay(&self) -> Result<bool> {
        self.socket.tcp_no_delay()
    }

    /// Sets `TCP_NODELAY`: the spec's `(set! (tcp-no-delay? s) value)`.
    pub fn set_tcp_no_delay(&self, value: bool) -> Result<()> {
        self.socket.set_tcp_no_delay(value)
    }

    /// `getsockopt(2)` as a C `int` ([`Socket::get_option_int`]).
    pub fn get_option_int(&self, level: i32, name: i32) -> Result<i32> {
        self.socket.get_option_int(level, name)
    }

    /// `setsockopt(2)` with a C `int` ([`Socket::set_option_int`]).
    pub fn set_option_int(&self, level: i32, name: i32, value: i32) -> Result<()> {
        self.socket.set_option_int(level, name, value)
    }

    // Setup and teardown.

    /// `connect(2)`: the spec's `socket-connect`; completes when the
    /// connection is made. Refused or unreachable are class transient.
    pub async fn connect(&self, address: &SockAddr) -> Result<()> {
        let zero = Some(std::time::Duration::ZERO);
        // Starts the connect; a zero timeout returns at once while the OS
        // is still connecting (class timeout).
        match self.socket.connect_timeout(address, zero) {
            Ok(()) => return Ok(()),
            Err(error) if error.is_timeout() => self.source.clear(Direction::Write),
            Err(error) => return Err(error),
        }
        poll_fn(|cx| {
            self.poll_io(cx, Direction::Write, |socket| {
                // A connect on a connecting socket waits for it again: with
                // a zero timeout, finished or still going (would-block).
                match socket.connect_timeout(address, zero) {
                    Err(error) if error.is_timeout() => Err(Error::new(
                        crate::ErrorClass::Transient,
                        ErrorCode::WouldBlock,
                        "connect: in progress",
                    )),
                    other => other,
                }
            })
        })
        .await
    }

    /// `bind(2)`: the spec's `socket-bind`.
    pub fn bind(&self, address: &SockAddr) -> Result<()> {
        self.socket.bind(address)
    }

    /// `listen(2)`: the spec's `socket-listen`.
    pub fn listen(&self, backlog: u32) -> Result<()> {
        self.socket.listen(backlog)
    }

    /// `accept(2)`: the spec's `socket-accept`; completes when a connection
    /// comes.
    pub async fn accept(&self) -> Result<AsyncSocket> {
        let socket = poll_fn(|cx| {
            self.poll_io(cx, Direction::Read, |socket| {
                match socket.accept_timeout(Some(std::time::Duration::ZERO)) {
                    Err(error) if error.is_timeout() => Err(Error::new(
                        crate::ErrorClass::Transient,
                        ErrorCode::WouldBlock,
                        "accept: no connection waiting",
                    )),
                    other => other,
                }
            })
        })
        .await?;
        AsyncSocket::from_socket(socket)
    }

    /// `shutdown(2)`: the spec's `socket-shutdown`.
    ///
    /// Closing, as each call does it:
    ///
    /// - `futures::AsyncWriteExt::close` (`socket.close().await`, from
    ///   the `AsyncWrite` impl) is the half-close: `shutdown(2)` with
    ///   `SHUT_WR`; the peer reads end of file and may still send, and
    ///   this socket may still receive;
    /// - [`Socket::close`] (`socket.socket().close()`) is `close(2)`: both
    ///   directions end and the socket is released at once;
    /// - dropping the `AsyncSocket` closes it too.
    ///
    /// (`AsyncSocket` has no `close` of its own, so that
    /// `socket.close().await` is always the trait's half-close.)
    pub fn shutdown(&self, how: Shutdown) -> Result<()> {
        self.socket.shutdown(how)
    }

    // Receiving.

    pub(super) fn poll_receive(
        &self,
        cx: &mut Context<'_>,
        len: usize,
        flags: RecvFlags,
    ) -> Poll<Result<Vec<u8>>> {
        let flags = flags | RecvFlags::DONT_WAIT;
        self.poll_io(cx, Direction::Read, |socket| {
            socket.receive_with(len, flags)
        })
    }

    /// [`AsyncSocket::receive`] with flags.
    pub async fn receive_with_flags(&self, len: usize, flags: RecvFlags) -> Result<Vec<u8>> {
        poll_fn(|cx| self.poll_receive(cx, len, flags)).await
    }

    /// [`AsyncSocket::receive_from`] with flags.
    pub async fn receive_from_with_flags(
        &self,
        len: usize,
        flags: RecvFlags,
    ) -> Result<ReceivedFrom> {
        let flags = flags | RecvFlags::DONT_WAIT;
        poll_fn(|cx| {
            self.poll_io(cx, Direction::Read, |socket| {
                socket.receive_from_with(len, flags)
            })
        })
        .await
    }

    // Sending.

    pub(super) fn poll_send(
        &self,
        cx: &mut Context<'_>,
        data: &[u8],
        flags: SendFlags,
    ) -> Poll<Result<usize>> {
        let flags = flags | SendFlags::DONT_WAIT;
        let result = self.poll_io(cx, Direction::Write, |socket| socket.send_with(data, flags));
        if let Poll::Ready(Ok(sent)) = &result
            && *sent < data.len()
        {
            // The send buffer is full; room is a new event.
            self.source.clear(Direction::Write);
        }
        result
    }

    /// [`AsyncSocket::send`] with flags.
    pub async fn send_with_flags(&self, data: &[u8], flags: SendFlags) -> Result<usize> {
        poll_fn(|cx| self.poll_send(cx, data, flags)).await
    }

    /// [`AsyncSocket::send_to`] with flags.
    pub async fn send_to_with_flags(
        &self,
        data: &[u8],
        address: &SockAddr,
        flags: SendFlags,
    ) -> Result<usize> {
        let flags = flags | SendFlags::DONT_WAIT;
        poll_fn(|cx| {
            self.poll_io(cx, Direction::Write, |socket| {
                socket.send_to_with(data, address, flags)
            })
        })
        .await
    }
}

/// TLS on a connected stream socket (the WIT `wasock:socket/tls`; see
/// [`crate::tls`]), without blocking the executor.
///
/// Each handshake is driven in steps: the host call with a zero timeout
/// takes the handshake as far as it goes without waiting and says class
/// timeout while it is not finished; the task then waits for the socket's
/// next readable event (the peer's next handshake message), as a receive
/// waits, and takes the next step. The handshake's messages are small, so
/// the host sends each whole at once and a step never waits for room to
/// send.
///
/// The options' timeout, where set, limits the whole handshake with this
/// crate's timer; unset, the handshake has no limit (the socket's
/// [`Timeouts`](crate::Timeouts) do not apply to async calls), and
/// [`timeout`](super::timeout) limits it as any other call. A handshake
/// that timed out may be resumed by calling again.
///
/// ```no_run
/// use std::time::Duration;
/// use wasock::async_io::{AsyncSocket, block_on};
/// use wasock::tls::TlsOptions;
/// use wasock::{SockAddr, SocketType, Protocol};
///
/// fn main() -> wasock::Result<()> {
///     block_on(async {
///         let address: SockAddr = "127.0.0.1:8443".parse()?;
///         let socket = AsyncSocket::new(address.family(), SocketType::Stream, Protocol::DEFAULT)?;
///         socket.connect(&address).await?;
///         let options = TlsOptions::new().alpn(["http/1.1"]).timeout(Some(Duration::from_secs(10)));
///         let session = socket.tls_connect("localhost", &options).await?;
///         println!("{} {}", session.version, session.cipher_suite);
///         socket.send_all(b"GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n").await?;
///         Ok(())
///     })
/// }
/// ```
impl AsyncSocket {
    /// The WIT `tls.connect`: a client handshake for `server_name` (as
    /// [`Socket::tls_connect_with`], the same errors), completing when the
    /// handshake does.
    pub async fn tls_connect(&self, server_name: &str, options: &TlsOptions) -> Result<TlsSession> {
        let alpn = options.get_alpn();
        self.handshake(options, "tls connect", |socket| {
            socket.tls_connect_timeout(server_name, alpn, Some(Duration::ZERO))
        })
        .await
    }

    /// The WIT `tls.accept`: a server handshake presenting the identity
    /// named `identity` (as [`Socket::tls_accept_with`], the same
    /// errors), completing when the handshake does.
    pub async fn tls_accept(&self, identity: &str, options: &TlsOptions) -> Result<TlsSession> {
        let alpn = options.get_alpn();
        self.handshake(options, "tls accept", |socket| {
            socket.tls_accept_timeout(identity, alpn, Some(Duration::ZERO))
        })
        .await
    }

    /// The WIT `tls.session`: what this socket's handshake agreed; `None`
    /// without TLS (as [`Socket::tls_session`]).
    pub fn tls_session(&self) -> Option<TlsSession> {
        self.socket.tls_session()
    }

    /// Takes handshake steps (`step`: one host call with a zero timeout)
    /// until one finishes or fails, waiting for the socket to be readable
    /// between them, under the options' timeout where set.
    async fn handshake(
        &self,
        options: &TlsOptions,
        call: &'static str,
        mut step: impl FnMut(&Socket) -> Result<TlsSession>,
    ) -> Result<TlsSession> {
        let steps = poll_fn(|cx| {
            self.poll_io(cx, Direction::Read, |socket| match step(socket) {
                // Not finished: the peer's next message is awaited.
                Err(error) if error.is_timeout() => Err(Error::new(
                    crate::ErrorClass::Transient,
                    ErrorCode::WouldBlock,
                    format!("{call}: handshake in progress"),
                )),
                other => other,
            })
        });
        match options.get_timeout().flatten() {
            None => steps.await,
            Some(limit) => super::timeout(limit, steps).await.unwrap_or_else(|_| {
                Err(Error::new(
                    crate::ErrorClass::Timeout,
                    ErrorCode::TimedOut,
                    format!("{call}: timed out"),
                ))
            }),
        }
    }
}
