//! [`AsyncSocket`] on `wasock:socket@0.2.0`: every call that can wait is
//! one `async func` of the host's, awaited as a subtask.

use std::cell::RefCell;
use std::fmt;
use std::future::{Future, poll_fn};
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, ready};

use crate::addr::{Family, Protocol, SockAddr, SocketType};
use crate::error::{Error, ErrorCode, Result};
use crate::p3_bindings::wasock::socket::socket as wit;
use crate::socket::{ReceivedFrom, RecvFlags, SendFlags, Shutdown};

/// A host call in flight, owned by the socket rather than by the caller.
type Pending<T> = Pin<Box<dyn Future<Output = T>>>;

/// One call in flight that outlives the future that started it: a caller
/// that stops waiting (a `timeout`, a `select`) leaves it running, and the
/// next caller gets its result. A subtask cancelled just as the host
/// completed it would lose what it returned (the bytes received, the
/// connection accepted); kept here, nothing is lost.
struct Slot<T>(RefCell<Option<Pending<T>>>);

impl<T> Slot<T> {
    fn new() -> Slot<T> {
        Slot(RefCell::new(None))
    }

    /// Polls the call in flight, starting one with `start` if there is
    /// none.
    fn poll(&self, cx: &mut Context<'_>, start: impl FnOnce() -> Pending<T>) -> Poll<T> {
        let mut slot = self.0.borrow_mut();
        let pending = slot.get_or_insert_with(start);
        let output = ready!(pending.as_mut().poll(cx));
        *slot = None;
        Poll::Ready(output)
    }

    fn is_busy(&self) -> bool {
        self.0.borrow().is_some()
    }
}

/// A socket for async code: every call that can wait is a future, and a
/// task waiting on one lets the others run. In this build (the SDK's `p3`
/// feature) each such call is one `async func` of `wasock:socket@0.2.0`,
/// or one read or write of the socket's `stream<u8>`: the host completes
/// it when the socket is ready (no readiness events, no retries in the
/// guest), and the wait is wit-bindgen's, shared with every other async
/// import of the guest. A stream socket's receives and sends without
/// flags go through its `receive-stream` and `send-stream`, opened at the
/// first and kept: the host receives straight into the buffer the guest
/// posts and sends straight from the guest's bytes, one copy each way
/// (a `receive` call's list would be copied twice, through a host buffer).
///
/// The calls are those of the WASI 0.2 build, and behave the same:
/// they take no timeout of their own (the socket's
/// [`Timeouts`](crate::Timeouts) do not apply); put a limit on any of them
/// with [`timeout`](super::super::timeout). A receive (or accept, or
/// receive-from) whose caller stops waiting goes on in the socket, and the
/// next receive gets what it brought, so a `timeout` never loses bytes or
/// connections. A send whose caller stops waiting may have sent some of
/// its bytes.
///
/// What this build does not have: [`Socket`](crate::Socket) inside (the
/// blocking socket of `wasock:socket@0.1.0` is another resource; the
/// option calls below are this socket's own), and TLS (the 0.2.0 contract
/// has no TLS yet). What it has besides: [`AsyncSocket::receive_stream`]
/// and [`AsyncSocket::send_stream`], the socket's bytes as `stream<u8>`,
/// which the host reads into and writes from the guest's own buffers.
pub struct AsyncSocket {
    wit: Rc<wit::Socket>,
    /// A stream socket: its receives and sends go through the socket's
    /// `receive-stream` and `send-stream`, the host reading into and
    /// writing from the guest's buffers (one copy each way).
    stream: bool,
    /// The receive stream between receives, opened at the first one.
    incoming: Rc<RefCell<Option<Incoming>>>,
    /// The send stream between sends, opened at the first one.
    outgoing: Rc<RefCell<Option<Outgoing>>>,
    /// Bytes a receive brought beyond what its caller asked for (a
    /// receive resumed by a caller asking for fewer), and how many of them
    /// were taken.
    held: RefCell<(Vec<u8>, usize)>,
    receiving: Slot<Result<Vec<u8>>>,
    receiving_from: Slot<Result<ReceivedFrom>>,
    accepting: Slot<Result<wit::Socket>>,
    sending: Slot<Result<usize>>,
}

impl fmt::Debug for AsyncSocket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsyncSocket")
            .field("fileno", &self.wit.handle())
            .field("receiving", &self.receiving.is_busy())
            .field("sending", &self.sending.is_busy())
            .finish_non_exhaustive()
    }
}

/// A stream socket's `receive-stream`: the stream and what it ended with.
struct Incoming {
    reader: wit_bindgen::StreamReader<u8>,
    ended: Pending<Result<()>>,
}

/// A stream socket's `send-stream`: the writer and what it ended with.
struct Outgoing {
    writer: wit_bindgen::StreamWriter<u8>,
    ended: Pending<Result<()>>,
}

/// One read of up to `len` bytes from `socket`'s receive stream (opened
/// if none is open): the bytes, empty at end of file, or the error the
/// stream ended with. A stream that ended is not kept: the next receive
/// opens another, which ends at once the same way (end of file again),
/// or reads again once the socket can (a receive before connect).
async fn read_stream(
    wit: Rc<wit::Socket>,
    incoming: Rc<RefCell<Option<Incoming>>>,
    len: usize,
) -> Result<Vec<u8>> {
    let taken = incoming.borrow_mut().take();
    let mut stream = match taken {
        Some(stream) => stream,
        None => {
            let (reader, ended) = wit.receive_stream();
            Incoming {
                reader,
                ended: Box::pin(async move { Ok(ended.await?) }),
            }
        }
    };
    let (result, data) = stream.reader.read(Vec::with_capacity(len)).await;
    match result {
        wit_bindgen::StreamResult::Dropped => {
            // Ended, with nothing read: end of file or the error.
            stream.ended.await.map(|()| Vec::new())
        }
        wit_bindgen::StreamResult::Complete(_) | wit_bindgen::StreamResult::Cancelled => {
            *incoming.borrow_mut() = Some(stream);
            Ok(data)
        }
    }
}

/// One write of `data` into `socket`'s send stream (opened if none is
/// open): how many bytes the host sent (one `send(2)`), or the error the
/// stream ended with.
async fn write_stream(
    wit: Rc<wit::Socket>,
    outgoing: Rc<RefCell<Option<Outgoing>>>,
    data: Vec<u8>,
) -> Result<usize> {
    let taken = outgoing.borrow_mut().take();
    let mut stream = match taken {
        Some(stream) => stream,
        None => {
            let (writer, reader) = crate::p3_bindings::wit_stream::new();
            let ended = wit.send_stream(reader);
            Outgoing {
                writer,
                ended: Box::pin(async move { Ok(ended.await?) }),
            }
        }
    };
    let (result, _rest) = stream.writer.write(data).await;
    match result {
        wit_bindgen::StreamResult::Complete(sent) => {
            *outgoing.borrow_mut() = Some(stream);
            Ok(sent)
        }
        wit_bindgen::StreamResult::Cancelled => {
            *outgoing.borrow_mut() = Some(stream);
            Ok(0)
        }
        wit_bindgen::StreamResult::Dropped => {
            // The host took nothing more: the stream ended with an error.
            drop(stream.writer);
            match stream.ended.await {
                Err(error) => Err(error),
                Ok(()) => Err(Error::new(
                    crate::ErrorClass::Fatal,
                    ErrorCode::BrokenPipe,
                    "send: the socket's send stream ended",
                )),
            }
        }
    }
}

/// The most one read of a receive stream asks for (what the host's
/// `receive` brings at most too), so a `receive(usize::MAX)` does not
/// allocate that much.
const RECEIVE_MOST: usize = 64 * 1024;

/// A length as the WIT's `u32` (a longer request asks for the most a
/// call can bring).
fn length(len: usize) -> u32 {
    u32::try_from(len).unwrap_or(u32::MAX)
}

/// The listeners the host opened for this guest (`wasock run --listen`,
/// socket activation), as async sockets, in order; taken once, as
/// [`crate::listeners`] (whichever of the two takes them first).
pub fn listeners() -> Result<Vec<AsyncSocket>> {
    crate::require_wasm();
    Ok(wit::listeners()?
        .into_iter()
        .map(|socket| AsyncSocket::from_wit(socket, true))
        .collect())
}

impl AsyncSocket {
    fn from_wit(socket: wit::Socket, stream: bool) -> AsyncSocket {
        AsyncSocket {
            wit: Rc::new(socket),
            stream,
            incoming: Rc::default(),
            outgoing: Rc::default(),
            held: RefCell::new((Vec::new(), 0)),
            receiving: Slot::new(),
            receiving_from: Slot::new(),
            accepting: Slot::new(),
            sending: Slot::new(),
        }
    }

    /// `socket(2)`: a new socket.
    pub fn new(family: Family, socket_type: SocketType, protocol: Protocol) -> Result<AsyncSocket> {
        crate::require_wasm();
        let socket = wit::Socket::create(family.into(), socket_type.into(), protocol.0)?;
        Ok(AsyncSocket::from_wit(
            socket,
            socket_type == SocketType::Stream,
        ))
    }

    /// The spec's `socket-fileno`: the number that names this socket in
    /// this guest (its resource handle; not a host file descriptor).
    pub fn fileno(&self) -> u32 {
        self.wit.handle()
    }

    /// The spec's `socket-family`.
    pub fn family(&self) -> Family {
        self.wit.family().into()
    }

    /// The spec's `socket-type`.
    pub fn socket_type(&self) -> SocketType {
        self.wit.socket_type().into()
    }

    /// The spec's `socket-protocol`.
    pub fn protocol(&self) -> Protocol {
        Protocol(self.wit.protocol())
    }

    // Setup and teardown.

    /// `connect(2)`: the spec's `socket-connect`; completes when the
    /// connection is made. Refused or unreachable are class transient.
    /// A connect whose caller stops waiting goes on in the OS, and a later
    /// connect waits for it.
    pub async fn connect(&self, address: &SockAddr) -> Result<()> {
        Ok(self.wit.connect(address.into(), None).await?)
    }

    /// `bind(2)`: the spec's `socket-bind`.
    pub fn bind(&self, address: &SockAddr) -> Result<()> {
        Ok(self.wit.bind(&address.into())?)
    }

    /// `listen(2)`: the spec's `socket-listen`.
    pub fn listen(&self, backlog: u32) -> Result<()> {
        Ok(self.wit.listen(backlog)?)
    }

    /// `accept(2)`: the spec's `socket-accept`; completes when a connection
    /// comes.
    pub async fn accept(&self) -> Result<AsyncSocket> {
        let socket = poll_fn(|cx| {
            self.accepting.poll(cx, || {
                let wit = Rc::clone(&self.wit);
                Box::pin(async move { Ok(wit.accept(None).await?) })
            })
        })
        .await?;
        Ok(AsyncSocket::from_wit(socket, true))
    }

    /// `shutdown(2)`: the spec's `socket-shutdown`. Dropping the
    /// `AsyncSocket` closes it (`close(2)`, once the calls still in flight
    /// on it have ended).
    pub fn shutdown(&self, how: Shutdown) -> Result<()> {
        Ok(self.wit.shutdown(how.into())?)
    }

    /// `getsockname(2)`: the spec's `socket-name`.
    pub fn name(&self) -> Result<Option<SockAddr>> {
        Ok(self.wit.name()?.map(SockAddr::from))
    }

    /// `getpeername(2)`: the spec's `socket-peer-name`.
    pub fn peer_name(&self) -> Result<Option<SockAddr>> {
        Ok(self.wit.peer_name()?.map(SockAddr::from))
    }

    // Receiving.

    /// Takes up to `len` of the held bytes, if any are held.
    fn take_held(&self, len: usize) -> Option<Vec<u8>> {
        let mut held = self.held.borrow_mut();
        let (bytes, taken) = &mut *held;
        if *taken >= bytes.len() {
            return None;
        }
        let end = bytes.len().min(*taken + len.max(1));
        let out = bytes[*taken..end].to_vec();
        *taken = end;
        if *taken == bytes.len() {
            *held = (Vec::new(), 0);
        }
        Some(out)
    }

    pub(in crate::async_io) fn poll_receive(
        &self,
        cx: &mut Context<'_>,
        len: usize,
        flags: RecvFlags,
    ) -> Poll<Result<Vec<u8>>> {
        if let Some(bytes) = self.take_held(len) {
            return Poll::Ready(Ok(bytes));
        }
        let mut data = ready!(self.receiving.poll(cx, || {
            let wit = Rc::clone(&self.wit);
            if self.stream && flags.is_empty() && len > 0 {
                let incoming = Rc::clone(&self.incoming);
                Box::pin(read_stream(wit, incoming, len.min(RECEIVE_MOST)))
            } else {
                let max = length(len);
                Box::pin(async move { Ok(wit.receive(max, flags.into(), None).await?) })
            }
        }))?;
        if data.len() > len.max(1) {
            // A receive resumed by a caller that asks for fewer bytes.
            let rest = data.split_off(len.max(1));
            *self.held.borrow_mut() = (rest, 0);
        }
        Poll::Ready(Ok(data))
    }

    /// [`AsyncSocket::receive`] with flags. (A receive resumed after its
    /// caller stopped waiting keeps the flags it was started with.)
    pub async fn receive_with_flags(&self, len: usize, flags: RecvFlags) -> Result<Vec<u8>> {
        poll_fn(|cx| self.poll_receive(cx, len, flags)).await
    }

    /// [`AsyncSocket::receive_from`] with flags.
    pub async fn receive_from_with_flags(
        &self,
        len: usize,
        flags: RecvFlags,
    ) -> Result<ReceivedFrom> {
        poll_fn(|cx| {
            self.receiving_from.poll(cx, || {
                let wit = Rc::clone(&self.wit);
                let max = length(len);
                Box::pin(async move {
                    Ok(wit
                        .receive_from(max, flags.into(), None)
                        .await
                        .map(ReceivedFrom::from)?)
                })
            })
        })
        .await
    }

    // Sending.

    /// One send of `data` for `futures-io`'s `AsyncWrite`: a write that
    /// returned pending is finished by the next `poll_write`, whose `buf`
    /// the trait's contract makes the same.
    pub(in crate::async_io) fn poll_send(
        &self,
        cx: &mut Context<'_>,
        data: &[u8],
        flags: SendFlags,
    ) -> Poll<Result<usize>> {
        self.sending
            .poll(cx, || Box::pin(self.send_call(data.to_vec(), flags)))
    }

    /// [`AsyncSocket::send`] with flags.
    pub async fn send_with_flags(&self, data: &[u8], flags: SendFlags) -> Result<usize> {
        self.send_call(data.to_vec(), flags).await
    }

    /// One send of `data`: on a stream socket without flags a write into
    /// its send stream (sent by the host straight from the guest's
    /// buffer), else the `send` call.
    fn send_call(
        &self,
        data: Vec<u8>,
        flags: SendFlags,
    ) -> impl Future<Output = Result<usize>> + 'static {
        let wit = Rc::clone(&self.wit);
        let outgoing = (self.stream && flags.is_empty() && !data.is_empty())
            .then(|| Rc::clone(&self.outgoing));
        async move {
            match outgoing {
                Some(outgoing) => write_stream(wit, outgoing, data).await,
                None => Ok(wit.send(data, flags.into(), None).await? as usize),
            }
        }
    }

    /// [`AsyncSocket::send_to`] with flags.
    pub async fn send_to_with_flags(
        &self,
        data: &[u8],
        address: &SockAddr,
        flags: SendFlags,
    ) -> Result<usize> {
        let sent = self
            .wit
            .send_to(data.to_vec(), address.into(), flags.into(), None)
            .await?;
        Ok(sent as usize)
    }

    // The bytes as streams.

    /// The bytes the peer sends on this connected stream socket, as a
    /// `stream<u8>` (the WIT `receive-stream`): each read the guest posts
    /// is filled by one `recv(2)` straight into the guest's buffer. The
    /// future resolves when the stream ends: `Ok` at end of file, or the
    /// first error. A socket that is not a connected stream socket gives
    /// an empty stream and its error. The socket's own receives read a
    /// stream of their own, and two readers share the bytes as two
    /// `recv(2)` callers would: use this or the receive calls, not both.
    pub fn receive_stream(
        &self,
    ) -> (
        wit_bindgen::StreamReader<u8>,
        impl Future<Output = Result<()>> + 'static,
    ) {
        let (stream, done) = self.wit.receive_stream();
        (stream, async move { Ok(done.await?) })
    }

    /// Sends what the guest writes to the returned `stream<u8>` (the WIT
    /// `send-stream`): the host writes from the guest's buffer with one
    /// `send(2)` a write. Dropping the writer ends the stream (it does not
    /// shut the sending side down; [`AsyncSocket::shutdown`] does). The
    /// future resolves once everything written was sent (`Ok`), or at the
    /// first error.
    pub fn send_stream(
        &self,
    ) -> (
        wit_bindgen::StreamWriter<u8>,
        impl Future<Output = Result<()>> + 'static,
    ) {
        let (writer, reader) = crate::p3_bindings::wit_stream::new();
        let done = self.wit.send_stream(reader);
        (writer, async move { Ok(done.await?) })
    }

    // Options: the ones servers and clients set most, and every other by
    // level and name.

    /// `SO_REUSEADDR`: the spec's `so-reuse-address?`.
    pub fn reuse_address(&self) -> Result<bool> {
        Ok(self.wit.so_reuse_address()?)
    }

    /// Sets `SO_REUSEADDR`: the spec's `(set! (so-reuse-address? s) value)`.
    pub fn set_reuse_address(&self, value: bool) -> Result<()> {
        Ok(self.wit.set_so_reuse_address(value)?)
    }

    /// `TCP_NODELAY`: the spec's `tcp-no-delay?`.
    pub fn tcp_no_delay(&self) -> Result<bool> {
        Ok(self.wit.tcp_no_delay()?)
    }

    /// Sets `TCP_NODELAY`: the spec's `(set! (tcp-no-delay? s) value)`.
    pub fn set_tcp_no_delay(&self, value: bool) -> Result<()> {
        Ok(self.wit.set_tcp_no_delay(value)?)
    }

    /// `getsockopt(2)` as a C `int`: the spec's
    /// `(get-socket-option s level name)` (as [`crate::Socket::get_option_int`]).
    pub fn get_option_int(&self, level: i32, name: i32) -> Result<i32> {
        Ok(self.wit.get_option_int(level, name)?)
    }

    /// `setsockopt(2)` with a C `int`: the spec's
    /// `(set-socket-option s level name int)` (as [`crate::Socket::set_option_int`]).
    pub fn set_option_int(&self, level: i32, name: i32, value: i32) -> Result<()> {
        Ok(self.wit.set_option_int(level, name, value)?)
    }
}
