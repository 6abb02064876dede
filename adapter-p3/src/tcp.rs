//! Stream sockets on `wasi:sockets@0.3.0`'s `tcp-socket`: the contract's
//! BSD-style calls over WASI 0.3's async `connect`, its stream of accepted
//! sockets and its byte streams.
//!
//! What differs from POSIX, and how it is bridged:
//!
//! - WASI 0.3 carries a connection's bytes as one `stream<u8>` each way,
//!   opened once: the adapter opens both when the connection is made and
//!   keeps them in the socket. A `receive` reads up to 64 KiB from the
//!   receive stream and keeps what the guest did not ask for; a read
//!   still going on when a call times out (or is cancelled) stays in the
//!   socket, so the next `receive` gets its bytes: none is lost.
//! - `shutdown` ends the streams: dropping the send stream is WASI's
//!   `shutdown(SHUT_WR)`, dropping the receive stream its `SHUT_RD`.
//! - A failed connect leaves the WASI socket closed for good, where POSIX
//!   lets the program connect again: the next `bind` / `connect` /
//!   `listen` starts on a fresh WASI socket.
//! - A connect whose call timed out goes on (it stays in the socket), and
//!   the next `connect` waits for it, as the WIT has it.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::future::poll_fn;
use std::ops::Deref;
use std::pin::pin;
use std::rc::{Rc, Weak};
use std::task::{Context, Poll, ready};

use wit_bindgen::{FutureReader, StreamReader, StreamResult, StreamWriter};

use crate::background::Background;
use crate::bindings::exports::wasock::socket::types::{Duration, ErrorCode};
use crate::bindings::wasi::sockets::types::{self as wasi, IpAddressFamily, IpSocketAddress};
use crate::bindings::{wit_future, wit_stream};
use crate::resolved::resolved;
use crate::types::{self, Result};
use crate::wait::{self, Closing, Pending};

/// The most one `receive` returns, as on the host (WIT: "64 KiB on a
/// stream (call again for more)").
pub(crate) const RECEIVE_CAP: usize = 64 * 1024;

/// How a WASI stream or `connect` ends.
type WasiResult = std::result::Result<(), wasi::ErrorCode>;

/// Where a stream socket is in its life.
enum State {
    /// Fresh, or bound (`bound`). → `Connecting` (connect), `Listening`
    /// (listen).
    Idle { bound: bool },
    /// A connect is going on: its call's timeout expired, or it is being
    /// waited for now. → `Connected`, `Failed`.
    Connecting(Pending<WasiResult>),
    /// Listening; `accept` is valid. Stays until close.
    Listening(Accepting),
    /// Connected: the streams are in `receiving` and `sending`.
    Connected,
    /// A connect failed and WASI closed the socket; the next bind, connect
    /// or listen starts on a fresh one.
    Failed,
    /// Closed by the guest. Stays.
    Closed,
}

/// What one read of the listener's stream brings: the stream back, the
/// socket accepted (if any), and whether the stream ended.
type AcceptRead = (StreamReader<wasi::TcpSocket>, Option<wasi::TcpSocket>, bool);

/// The listener's stream of accepted sockets, and the read of it going on.
struct Accepting {
    connections: Option<StreamReader<wasi::TcpSocket>>,
    pending: Option<Pending<AcceptRead>>,
}

/// WASI's receive stream with the future that tells how it ended.
struct ReceiveStream {
    bytes: StreamReader<u8>,
    end: FutureReader<WasiResult>,
}

/// What one read of the receive stream brought.
enum ReadOutcome {
    Data(ReceiveStream, Vec<u8>),
    Ended(WasiResult),
}

/// The receive side of a connection.
#[derive(Default)]
struct Receiving {
    /// WASI's stream, while no read of it is going on.
    stream: Option<ReceiveStream>,
    /// The read going on, owning the stream until it ends.
    pending: Option<Pending<ReadOutcome>>,
    /// Bytes read and not yet received by the guest.
    buffered: VecDeque<u8>,
    /// How the stream ended (an error is reported once, then end of file).
    ended: Option<Result<()>>,
}

/// The send side of a connection. WASI's `send` takes one stream per
/// socket, once: the adapter's, opened by the first `send` (or
/// `send-stream`, whose bytes go through `send`).
enum SendSide {
    /// No stream yet.
    NotOpen,
    /// The adapter's stream, which `send` writes into.
    Own(Sending),
    /// Shut down for sending (the adapter's stream ended).
    Shut,
}

/// The adapter's send stream: the guest's bytes go into `bytes`, which
/// WASI's `send` reads.
struct Sending {
    bytes: StreamWriter<u8>,
    end: Option<FutureReader<WasiResult>>,
    /// The error the stream ended with: every later send fails with it.
    failed: Option<types::Error>,
}

/// One stream socket, shared with the tasks that serve its streams
/// ([`drive`]); dropping the guest's socket closes it.
pub(crate) struct TcpSocket(Rc<Tcp>);

impl Deref for TcpSocket {
    type Target = Tcp;

    fn deref(&self) -> &Tcp {
        &self.0
    }
}

impl Drop for TcpSocket {
    fn drop(&mut self) {
        // (A synchronous call, `[dtor]socket`: what is pending goes to the
        // socket's background task to drop.)
        let _ = self.0.close();
    }
}

/// The state of one stream socket.
pub(crate) struct Tcp {
    /// Itself, for the connection's task.
    this: Weak<Tcp>,
    family: IpAddressFamily,
    /// `None` once closed (dropping it closes the OS socket).
    socket: RefCell<Option<Rc<wasi::TcpSocket>>>,
    state: RefCell<State>,
    receiving: RefCell<Receiving>,
    /// Held by one `send` for as long as it waits.
    sending: RefCell<SendSide>,
    /// Serves the streams the guest opens, drops what a close leaves.
    background: Background,
    /// How many `send-stream`s are being served.
    send_streams: Cell<usize>,
    /// How many `send-stream`s hold bytes the guest wrote and the socket
    /// has not sent yet.
    unsent: Cell<usize>,
    /// The `send-stream`s waiting for the guest's bytes, woken by a
    /// `shutdown`.
    send_streams_waiting: RefCell<Vec<std::task::Waker>>,
    /// A `shutdown` of sending waits for those bytes (the guest's write
    /// was done when the adapter took them, as a `send(2)` is when the
    /// kernel has them).
    shutdown_deferred: Cell<bool>,
    pub(crate) closing: Closing,
}

fn wasi_error(operation: &str) -> impl Fn(wasi::ErrorCode) -> types::Error + '_ {
    move |code| types::from_wasi(operation, code)
}

fn not_connected(operation: &str) -> types::Error {
    types::fatal(
        operation,
        ErrorCode::NotConnected,
        "the socket is not connected",
    )
}

impl TcpSocket {
    fn with_state(family: IpAddressFamily, socket: wasi::TcpSocket, state: State) -> TcpSocket {
        TcpSocket(Rc::new_cyclic(|this| Tcp {
            this: this.clone(),
            family,
            socket: RefCell::new(Some(Rc::new(socket))),
            state: RefCell::new(state),
            receiving: RefCell::default(),
            sending: RefCell::new(SendSide::NotOpen),
            background: Background::default(),
            send_streams: Cell::new(0),
            unsent: Cell::new(0),
            send_streams_waiting: RefCell::default(),
            shutdown_deferred: Cell::new(false),
            closing: Closing::default(),
        }))
    }

    /// `socket(2)` for a stream: a fresh WASI socket.
    pub(crate) fn create(family: IpAddressFamily) -> Result<TcpSocket> {
        let socket = wasi::TcpSocket::create(family).map_err(wasi_error("socket"))?;
        Ok(TcpSocket::with_state(
            family,
            socket,
            State::Idle { bound: false },
        ))
    }

    /// A socket `accept` returned: connected, its streams open.
    fn accepted(family: IpAddressFamily, socket: wasi::TcpSocket) -> TcpSocket {
        let accepted = TcpSocket::with_state(family, socket, State::Connected);
        accepted.open_streams();
        accepted
    }
}

impl Tcp {
    /// The WASI socket, or `closed`.
    pub(crate) fn socket(&self, operation: &str) -> Result<Rc<wasi::TcpSocket>> {
        match &*self.socket.borrow() {
            Some(socket) if !self.closing.is_closed() => Ok(Rc::clone(socket)),
            _ => Err(types::closed(operation)),
        }
    }

    /// After a failed connect: a fresh WASI socket, idle.
    fn renew(&self, operation: &str, state: &mut State) -> Result<()> {
        let socket = wasi::TcpSocket::create(self.family).map_err(wasi_error(operation))?;
        *self.socket.borrow_mut() = Some(Rc::new(socket));
        *state = State::Idle { bound: false };
        Ok(())
    }

    /// Opens WASI's receive stream of a connection (the send stream opens
    /// with the first `send` or `send-stream`).
    fn open_streams(&self) {
        let Ok(socket) = self.socket("connect") else {
            return;
        };
        let (bytes, end) = socket.receive();
        self.receiving.borrow_mut().stream = Some(ReceiveStream { bytes, end });
        // In the task of the call that made the connection (connect or
        // accept), if none runs yet.
        self.background.ensure();
    }

    /// Why a connection's stream cannot be opened now, if it cannot.
    fn stream_refused(&self, operation: &str) -> Option<types::Error> {
        if let Err(closed) = self.socket(operation) {
            return Some(closed);
        }
        if !matches!(*self.state.borrow(), State::Connected) {
            return Some(not_connected(operation));
        }
        None
    }

    /// `recv(2)` as a `stream<u8>`: a stream the connection's task fills
    /// from the socket's receive stream (bytes received by no call), with
    /// the future that tells how it ended.
    pub(crate) fn receive_stream(&self) -> (StreamReader<u8>, FutureReader<Result<()>>) {
        let (writer, reader) = wit_stream::new::<u8>();
        if let Some(refused) = self.stream_refused("receive-stream") {
            // WIT: "otherwise the stream is empty and the future resolves
            // to the error at once".
            drop(writer);
            return (reader, resolved(Err(refused)));
        }
        let (end, ended) = wit_future::new(|| Ok(()));
        let Some(tcp) = self.this.upgrade() else {
            return (reader, ended);
        };
        let serving = async move {
            let mut stream = writer;
            let result = tcp.pump_receive(&mut stream).await;
            drop(stream);
            // A guest that dropped the future does not want to know.
            let _ = end.write(result).await;
        };
        if let Err(serving) = self.background.spawn(serving) {
            // No task to serve it (and none to answer the future in).
            std::mem::forget(serving);
        }
        (reader, ended)
    }

    /// `send(2)` from a `stream<u8>`: the connection's task sends what the
    /// guest writes, as `send` calls would.
    pub(crate) fn send_stream(&self, data: StreamReader<u8>) -> FutureReader<Result<()>> {
        if let Some(refused) = self.stream_refused("send-stream") {
            drop(data);
            return resolved(Err(refused));
        }
        let Ok(socket) = self.socket("send-stream") else {
            return resolved(Err(types::closed("send-stream")));
        };
        // The send stream opens now, while the socket is: bytes the task
        // took go out even if the socket closes before it sends them.
        if let Ok(mut sending) = self.sending.try_borrow_mut()
            && matches!(*sending, SendSide::NotOpen)
        {
            let (writer, reader) = wit_stream::new::<u8>();
            let end = socket.send(reader);
            *sending = SendSide::Own(Sending {
                bytes: writer,
                end: Some(end),
                failed: None,
            });
        }
        let (end, ended) = wit_future::new(|| Ok(()));
        let Some(tcp) = self.this.upgrade() else {
            return ended;
        };
        self.send_streams.set(self.send_streams.get() + 1);
        let serving = async move {
            let mut stream = data;
            let result = tcp.pump_send(&mut stream).await;
            drop(stream);
            // The WASI socket lives until its bytes are sent.
            drop(socket);
            let _ = end.write(result).await;
        };
        if let Err(serving) = self.background.spawn(serving) {
            std::mem::forget(serving);
            self.send_streams.set(self.send_streams.get() - 1);
        }
        ended
    }

    /// What a `receive-stream` carries: every byte received by no call,
    /// until end of file, the first error or the close. Bytes the guest's
    /// read did not take (it read less, or dropped the stream) go back to
    /// the socket.
    async fn pump_receive(&self, stream: &mut StreamWriter<u8>) -> Result<()> {
        const OP: &str = "receive-stream";
        loop {
            let receive = poll_fn(|cx| self.poll_receive(cx, OP, RECEIVE_CAP));
            let received = match self.closing.unless_closed(receive).await {
                None => return Err(types::closed(OP)),
                Some(Ok(bytes)) if bytes.is_empty() => return Ok(()),
                Some(Ok(bytes)) => bytes,
                Some(Err(error)) => return Err(error),
            };
            let Some((result, rest)) = self.closing.unless_closed(stream.write(received)).await
            else {
                return Err(types::closed(OP));
            };
            let rest = rest.into_vec();
            if !rest.is_empty() {
                let mut receiving = self.receiving.borrow_mut();
                for byte in rest.into_iter().rev() {
                    receiving.buffered.push_front(byte);
                }
            }
            if result == StreamResult::Dropped {
                // The guest dropped the stream: the socket stays as it is.
                return Ok(());
            }
        }
    }

    /// What a `send-stream` carries: the guest's bytes sent as `send` calls
    /// would, until the guest ends the stream (`ok`), the first error or
    /// the close.
    /// (Counted in `send_streams` from when `send-stream` made it.)
    async fn pump_send(&self, stream: &mut StreamReader<u8>) -> Result<()> {
        let result = self.pump_send_until_end(stream).await;
        self.send_streams.set(self.send_streams.get() - 1);
        if self.closing.is_closed() {
            // The last stream drained: the send stream goes now (see
            // `close`).
            if self.send_streams.get() == 0
                && let Ok(mut sending) = self.sending.try_borrow_mut()
            {
                *sending = SendSide::NotOpen;
            }
        } else {
            let _ = self.shutdown_sending();
        }
        result
    }

    async fn pump_send_until_end(&self, stream: &mut StreamReader<u8>) -> Result<()> {
        const OP: &str = "send-stream";
        loop {
            let mut read = pin!(stream.read(Vec::with_capacity(RECEIVE_CAP)));
            // The guest's next write, or (after a `shutdown`) what its
            // last one brought.
            let next = poll_fn(|cx| {
                if let Poll::Ready(read) = read.as_mut().poll(cx) {
                    return Poll::Ready(read);
                }
                if self.shutdown_deferred.get() || self.closing.is_closed() {
                    return Poll::Ready(read.as_mut().cancel());
                }
                let mut waiting = self.send_streams_waiting.borrow_mut();
                if !waiting.iter().any(|waker| waker.will_wake(cx.waker())) {
                    waiting.push(cx.waker().clone());
                }
                Poll::Pending
            });
            let (result, bytes) = next.await;
            let draining = self.closing.is_closed();
            if !bytes.is_empty() {
                self.unsent.set(self.unsent.get() + 1);
                let sent = self.send_all(OP, &bytes, draining).await;
                self.unsent.set(self.unsent.get() - 1);
                sent?;
            }
            if draining {
                // WIT: "the socket's `close` ends it with `closed`".
                return Err(types::closed(OP));
            }
            if self.shutdown_deferred.get() {
                self.shutdown_sending()?;
            }
            if result == StreamResult::Dropped {
                return Ok(());
            }
        }
    }

    /// `bind(2)`.
    pub(crate) fn bind(&self, address: IpSocketAddress) -> Result<()> {
        const OP: &str = "bind";
        let socket = self.socket(OP)?;
        let mut state = self.state.borrow_mut();
        match &*state {
            State::Idle { bound: false } => {}
            State::Failed => self.renew(OP, &mut state)?,
            State::Closed => return Err(types::closed(OP)),
            _ => {
                return Err(types::fatal(
                    OP,
                    ErrorCode::InvalidArgument,
                    "the socket is already bound",
                ));
            }
        }
        let socket = self.socket(OP).unwrap_or(socket);
        socket.bind(address).map_err(wasi_error(OP))?;
        *state = State::Idle { bound: true };
        Ok(())
    }

    /// `connect(2)`: waits for the connect (one going on already, if a
    /// call's timeout left one) until `timeout`.
    pub(crate) async fn connect(
        &self,
        address: IpSocketAddress,
        timeout: Option<Duration>,
    ) -> Result<()> {
        const OP: &str = "connect";
        self.socket(OP)?;
        self.background.ensure();
        {
            let mut state = self.state.borrow_mut();
            match &*state {
                State::Idle { .. } | State::Connecting(_) => {}
                State::Failed => self.renew(OP, &mut state)?,
                State::Connected => {
                    return Err(types::fatal(
                        OP,
                        ErrorCode::AlreadyConnected,
                        "the socket is already connected",
                    ));
                }
                State::Listening(_) => {
                    return Err(types::fatal(
                        OP,
                        ErrorCode::InvalidArgument,
                        "the socket is listening",
                    ));
                }
                State::Closed => return Err(types::closed(OP)),
            }
            if !matches!(*state, State::Connecting(_)) {
                let socket = self.socket(OP)?;
                *state = State::Connecting(Box::pin(async move { socket.connect(address).await }));
            }
        }
        let connecting = poll_fn(|cx| self.poll_connecting(cx));
        match self
            .closing
            .unless_closed(wait::within(OP, timeout, connecting))
            .await
        {
            None => Err(types::closed(OP)),
            Some(Err(timed_out)) => Err(timed_out),
            Some(Ok(result)) => result.map_err(wasi_error(OP)),
        }
    }

    fn poll_connecting(&self, cx: &mut Context<'_>) -> Poll<WasiResult> {
        let mut state = self.state.borrow_mut();
        let State::Connecting(connecting) = &mut *state else {
            // Another call saw the connect end.
            return Poll::Ready(match &*state {
                State::Connected => Ok(()),
                _ => Err(wasi::ErrorCode::InvalidState),
            });
        };
        let result = ready!(connecting.as_mut().poll(cx));
        if result.is_ok() {
            *state = State::Connected;
            drop(state);
            self.open_streams();
        } else {
            *state = State::Failed;
        }
        Poll::Ready(result)
    }

    /// `listen(2)` (WASI binds an unbound socket itself, as POSIX does).
    pub(crate) fn listen(&self, backlog: u32) -> Result<()> {
        const OP: &str = "listen";
        self.socket(OP)?;
        let mut state = self.state.borrow_mut();
        match &*state {
            State::Idle { .. } => {}
            State::Failed => self.renew(OP, &mut state)?,
            // Listening again changes only the backlog (POSIX).
            State::Listening(_) => return Ok(()),
            State::Closed => return Err(types::closed(OP)),
            State::Connecting(_) | State::Connected => {
                return Err(types::fatal(
                    OP,
                    ErrorCode::InvalidArgument,
                    "the socket is connected",
                ));
            }
        }
        let socket = self.socket(OP)?;
        // WASI: "the value must be greater than 0"; POSIX takes 0.
        socket
            .set_listen_backlog_size(u64::from(backlog.max(1)))
            .map_err(wasi_error(OP))?;
        let connections = socket.listen().map_err(wasi_error(OP))?;
        *state = State::Listening(Accepting {
            connections: Some(connections),
            pending: None,
        });
        Ok(())
    }

    /// `accept(2)`: the next connection, or class `timeout` after
    /// `timeout` (the read of the listener's stream stays for the next
    /// call).
    pub(crate) async fn accept(&self, timeout: Option<Duration>) -> Result<TcpSocket> {
        const OP: &str = "accept";
        self.socket(OP)?;
        self.background.ensure();
        let accepting = poll_fn(|cx| self.poll_accept(cx));
        match self
            .closing
            .unless_closed(wait::within(OP, timeout, accepting))
            .await
        {
            // WIT: a pending accept ends "with `invalid-argument`".
            None => Err(types::fatal(
                OP,
                ErrorCode::InvalidArgument,
                "the socket was closed",
            )),
            Some(Err(timed_out)) => Err(timed_out),
            Some(Ok(accepted)) => Ok(TcpSocket::accepted(self.family, accepted?)),
        }
    }

    fn poll_accept(&self, cx: &mut Context<'_>) -> Poll<Result<wasi::TcpSocket>> {
        const OP: &str = "accept";
        let mut state = self.state.borrow_mut();
        let State::Listening(accepting) = &mut *state else {
            return Poll::Ready(Err(types::fatal(
                OP,
                ErrorCode::InvalidArgument,
                "the socket is not listening",
            )));
        };
        loop {
            if accepting.pending.is_none() {
                let Some(mut connections) = accepting.connections.take() else {
                    return Poll::Ready(Err(types::fatal(
                        OP,
                        ErrorCode::InvalidState,
                        "the host ended the listener's stream",
                    )));
                };
                accepting.pending = Some(Box::pin(async move {
                    let (result, mut accepted) = connections.read(Vec::with_capacity(1)).await;
                    (connections, accepted.pop(), result == StreamResult::Dropped)
                }));
            }
            let Some(pending) = accepting.pending.as_mut() else {
                continue;
            };
            let (connections, accepted, ended) = ready!(pending.as_mut().poll(cx));
            accepting.pending = None;
            if !ended {
                accepting.connections = Some(connections);
            }
            if let Some(accepted) = accepted {
                return Poll::Ready(Ok(accepted));
            }
        }
    }

    /// `shutdown(2)`: ends WASI's streams in the directions given.
    pub(crate) fn shutdown(&self, receive: bool, send: bool) -> Result<()> {
        const OP: &str = "shutdown";
        self.socket(OP)?;
        if !matches!(*self.state.borrow(), State::Connected) {
            return Err(not_connected(OP));
        }
        if receive {
            // WIT: dropping the receive stream "is equivalent to calling
            // `shutdown(SHUT_RD)`"; what was read and not received is
            // discarded, as the OS does.
            let mut receiving = self.receiving.borrow_mut();
            receiving.stream = None;
            receiving.pending = None;
            receiving.buffered.clear();
            receiving.ended = Some(Ok(()));
        }
        if send {
            self.shutdown_deferred.set(true);
            if self.send_streams.get() > 0 {
                // What the guest wrote into a send stream was written when
                // the adapter's read took it, which the adapter may not have
                // seen yet: each stream's task finishes its read and sends
                // it, then shuts down.
                for waker in std::mem::take(&mut *self.send_streams_waiting.borrow_mut()) {
                    waker.wake();
                }
                return Ok(());
            }
            self.shutdown_sending()?;
        }
        Ok(())
    }

    /// Shuts sending down once a `shutdown` asked for it and no bytes the
    /// guest sent wait to be: ending the send stream is WASI's
    /// `shutdown(SHUT_WR)`.
    fn shutdown_sending(&self) -> Result<()> {
        const OP: &str = "shutdown";
        if !self.shutdown_deferred.get() || self.unsent.get() > 0 {
            return Ok(());
        }
        // Each send stream's task first takes what the guest last wrote.
        if self.send_streams.get() > 1 {
            return Ok(());
        }
        // A send going on finishes first; the pump that waits for it
        // comes back here.
        let Ok(mut sending) = self.sending.try_borrow_mut() else {
            return Ok(());
        };
        self.shutdown_deferred.set(false);
        if matches!(*sending, SendSide::NotOpen) {
            let (writer, reader) = wit_stream::new::<u8>();
            drop(self.socket(OP)?.send(reader));
            drop(writer);
        }
        // Dropping the adapter's stream ends it.
        *sending = SendSide::Shut;
        Ok(())
    }

    /// `close(2)`: ends the calls pending on the socket and closes it.
    pub(crate) fn close(&self) -> Result<()> {
        const OP: &str = "close";
        self.socket(OP)?;
        self.closing.close();
        // Dropping a pending connect, accept or read may wait (close may
        // be `[dtor]socket`, a synchronous call): the background task
        // drops them. The rest goes now.
        match std::mem::replace(&mut *self.state.borrow_mut(), State::Closed) {
            State::Connecting(connecting) => self.background.bury(connecting),
            State::Listening(accepting) => {
                if let Some(pending) = accepting.pending {
                    self.background.bury(pending);
                }
            }
            _ => {}
        }
        let mut receiving = std::mem::take(&mut *self.receiving.borrow_mut());
        if let Some(pending) = receiving.pending.take() {
            self.background.bury(pending);
        }
        drop(receiving);
        // What send streams took from the guest goes out first: they drop
        // the send stream when they are done.
        if self.send_streams.get() == 0 {
            if let Ok(mut sending) = self.sending.try_borrow_mut() {
                *sending = SendSide::NotOpen;
            }
        } else {
            for waker in std::mem::take(&mut *self.send_streams_waiting.borrow_mut()) {
                waker.wake();
            }
        }
        *self.socket.borrow_mut() = None;
        self.background.end();
        Ok(())
    }

    /// Whether the socket listens (`SO_ACCEPTCONN`).
    pub(crate) fn is_listening(&self, operation: &str) -> Result<bool> {
        self.socket(operation)?;
        Ok(matches!(*self.state.borrow(), State::Listening(_)))
    }

    /// `getsockname(2)`: `None` where the socket is not bound.
    pub(crate) fn name(&self) -> Result<Option<IpSocketAddress>> {
        const OP: &str = "name";
        types::address_if_any(OP, self.socket(OP)?.get_local_address())
    }

    /// `getpeername(2)`: `None` where no connection exists.
    pub(crate) fn peer_name(&self) -> Result<Option<IpSocketAddress>> {
        const OP: &str = "peer-name";
        types::address_if_any(OP, self.socket(OP)?.get_remote_address())
    }

    /// `send(2)`: waits until WASI's send stream takes some of `data` (or
    /// `timeout` passes) and returns how much it took.
    pub(crate) async fn send(
        &self,
        operation: &str,
        data: Vec<u8>,
        dont_wait: bool,
        timeout: Option<Duration>,
    ) -> Result<u32> {
        let sent = self
            .send_once(operation, data, dont_wait, timeout, false)
            .await;
        // A `shutdown` that came while this send held the stream.
        let _ = self.shutdown_sending();
        sent
    }

    /// One send; `draining`: of bytes a `send-stream` took before the
    /// socket closed, which go out all the same (as the kernel sends what
    /// `send(2)` took before `close(2)`).
    // The send stream is held across the write on purpose: other sends
    // wait their turn (`try_borrow_mut`), and nothing borrows it otherwise
    // while it is held.
    #[allow(clippy::await_holding_refcell_ref)]
    async fn send_once(
        &self,
        operation: &str,
        data: Vec<u8>,
        dont_wait: bool,
        timeout: Option<Duration>,
        draining: bool,
    ) -> Result<u32> {
        if !draining {
            self.socket(operation)?;
        }
        // One send at a time takes the stream; others wait their turn.
        let mut sending = loop {
            match self.sending.try_borrow_mut() {
                Ok(sending) => break sending,
                Err(_) => wit_bindgen::yield_async().await,
            }
        };
        if matches!(*sending, SendSide::NotOpen) {
            if !matches!(*self.state.borrow(), State::Connected) {
                return Err(not_connected(operation));
            }
            let (writer, reader) = crate::bindings::wit_stream::new::<u8>();
            let end = self.socket(operation)?.send(reader);
            *sending = SendSide::Own(Sending {
                bytes: writer,
                end: Some(end),
                failed: None,
            });
        }
        let send = match &mut *sending {
            SendSide::Own(send) => send,
            SendSide::NotOpen => return Err(not_connected(operation)),
            SendSide::Shut => {
                return Err(types::fatal(
                    operation,
                    ErrorCode::BrokenPipe,
                    "the socket was shut down for sending",
                ));
            }
        };
        if let Some(failed) = &send.failed {
            return Err(failed.clone());
        }
        if data.is_empty() {
            return Ok(0);
        }
        let result = {
            let mut write = pin!(send.bytes.write(data));
            if dont_wait {
                let now = wait::now(write.as_mut()).await;
                match now {
                    Some((result, _)) => Some(result),
                    None => Some(write.as_mut().cancel().0),
                }
            } else {
                let waiting = wait::within(operation, timeout, write.as_mut());
                let outcome = if draining {
                    Some(waiting.await)
                } else {
                    self.closing.unless_closed(waiting).await
                };
                match outcome {
                    Some(Ok((result, _))) => Some(result),
                    Some(Err(timed_out)) => match write.as_mut().cancel().0 {
                        StreamResult::Complete(sent) if sent > 0 => {
                            Some(StreamResult::Complete(sent))
                        }
                        _ => return Err(timed_out),
                    },
                    None => None,
                }
            }
        };
        let Some(result) = result else {
            // Closed while this send waited: the stream goes with the
            // socket, and (WIT) a pending send ends "with `broken-pipe`".
            *sending = SendSide::NotOpen;
            return Err(types::fatal(
                operation,
                ErrorCode::BrokenPipe,
                "the socket was closed",
            ));
        };
        match result {
            StreamResult::Complete(sent) if sent > 0 => Ok(u32::try_from(sent).unwrap_or(u32::MAX)),
            StreamResult::Complete(_) | StreamResult::Cancelled => {
                Err(types::would_block(operation))
            }
            StreamResult::Dropped => {
                // WASI ended the stream: its future says why.
                let failed = match send.end.take() {
                    Some(end) => match end.await {
                        Err(code) => types::from_wasi(operation, code),
                        Ok(()) => types::fatal(
                            operation,
                            ErrorCode::BrokenPipe,
                            "the connection can take no more data",
                        ),
                    },
                    None => types::fatal(
                        operation,
                        ErrorCode::BrokenPipe,
                        "the connection can take no more data",
                    ),
                };
                send.failed = Some(failed.clone());
                Err(failed)
            }
        }
    }

    /// All of `data`, in as many sends as it takes.
    async fn send_all(&self, operation: &str, data: &[u8], draining: bool) -> Result<()> {
        let mut sent = 0;
        while sent < data.len() {
            let more = self
                .send_once(operation, data[sent..].to_vec(), false, None, draining)
                .await?;
            sent += usize::try_from(more).unwrap_or(usize::MAX);
        }
        Ok(())
    }

    /// `recv(2)`: up to `max_length` bytes (at most [`RECEIVE_CAP`]); with
    /// `wait_all`, waits for all of them (or end of file).
    pub(crate) async fn receive(
        &self,
        operation: &str,
        max_length: u32,
        wait_all: bool,
        dont_wait: bool,
        timeout: Option<Duration>,
    ) -> Result<Vec<u8>> {
        self.socket(operation)?;
        self.background.ensure();
        if max_length == 0 {
            // WIT: "A `max-length` of 0 is `invalid-argument`".
            return Err(types::fatal(
                operation,
                ErrorCode::InvalidArgument,
                "max-length 0 (an empty result means end of file)",
            ));
        }
        let wanted = usize::try_from(max_length)
            .unwrap_or(usize::MAX)
            .min(RECEIVE_CAP);
        if dont_wait {
            let mut receive = pin!(poll_fn(|cx| self.poll_receive(cx, operation, wanted)));
            return match wait::now(receive.as_mut()).await {
                Some(received) => received,
                None => Err(types::would_block(operation)),
            };
        }
        if !wait_all {
            let receive = poll_fn(|cx| self.poll_receive(cx, operation, wanted));
            return match self
                .closing
                .unless_closed(wait::within(operation, timeout, receive))
                .await
            {
                // WIT: a pending receive ends "with end of file".
                None => Ok(Vec::new()),
                Some(received) => received?,
            };
        }
        let mut received = Vec::new();
        let outcome = self
            .closing
            .unless_closed(wait::within(operation, timeout, async {
                while received.len() < wanted {
                    let left = wanted - received.len();
                    let chunk = poll_fn(|cx| self.poll_receive(cx, operation, left)).await?;
                    if chunk.is_empty() {
                        break;
                    }
                    received.extend(chunk);
                }
                Ok::<(), types::Error>(())
            }))
            .await;
        match outcome {
            None | Some(Ok(Ok(()))) => Ok(received),
            Some(Ok(Err(error))) if received.is_empty() => Err(error),
            Some(Ok(Err(_))) => Ok(received),
            Some(Err(timed_out)) => {
                // What arrived stays for the next receive.
                let mut receiving = self.receiving.borrow_mut();
                for byte in received.into_iter().rev() {
                    receiving.buffered.push_front(byte);
                }
                Err(timed_out)
            }
        }
    }

    fn poll_receive(
        &self,
        cx: &mut Context<'_>,
        operation: &str,
        wanted: usize,
    ) -> Poll<Result<Vec<u8>>> {
        let mut receiving = self.receiving.borrow_mut();
        loop {
            if !receiving.buffered.is_empty() {
                let count = wanted.min(receiving.buffered.len());
                return Poll::Ready(Ok(receiving.buffered.drain(..count).collect()));
            }
            if let Some(ended) = receiving.ended.take() {
                receiving.ended = Some(Ok(()));
                return Poll::Ready(ended.map(|()| Vec::new()));
            }
            if receiving.pending.is_none() {
                let Some(stream) = receiving.stream.take() else {
                    return Poll::Ready(Err(if self.closing.is_closed() {
                        types::closed(operation)
                    } else {
                        not_connected(operation)
                    }));
                };
                receiving.pending = Some(Box::pin(read_some(stream)));
            }
            let Some(pending) = receiving.pending.as_mut() else {
                continue;
            };
            let outcome = ready!(pending.as_mut().poll(cx));
            receiving.pending = None;
            match outcome {
                ReadOutcome::Data(stream, bytes) => {
                    receiving.stream = Some(stream);
                    receiving.buffered.extend(bytes);
                }
                ReadOutcome::Ended(result) => {
                    receiving.ended = Some(result.map_err(wasi_error(operation)));
                }
            }
        }
    }
}

/// One read of WASI's receive stream: up to [`RECEIVE_CAP`] bytes, or how
/// the stream ended.
async fn read_some(mut stream: ReceiveStream) -> ReadOutcome {
    let (result, bytes) = stream.bytes.read(Vec::with_capacity(RECEIVE_CAP)).await;
    match result {
        StreamResult::Complete(_) | StreamResult::Cancelled => ReadOutcome::Data(stream, bytes),
        StreamResult::Dropped => ReadOutcome::Ended(stream.end.await),
    }
}
