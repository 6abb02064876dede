//! Stream sockets on `wasi:sockets/tcp`: the contract's BSD-style calls
//! driven through WASI's start/finish state machine and its streams.
//!
//! What differs from POSIX, and how it is bridged:
//!
//! - `listen` on an unbound socket binds it first to the unspecified
//!   address and a free port (WASI insists on an explicit bind; POSIX does
//!   it implicitly).
//! - A failed connect leaves the WASI socket closed for good, where POSIX
//!   lets the program connect again: the next `bind` / `connect` / `listen`
//!   starts on a fresh WASI socket, bound where the old one was and with
//!   the options the guest had set.
//! - Bytes written to the output stream are sent by the host in the
//!   background; `send` returns once they are accepted, as `send(2)` does
//!   once they are in the kernel's buffer.

use std::rc::Rc;

use crate::bindings::exports::wasock::socket::types::ErrorCode;
use crate::bindings::wasi::io::poll::Pollable;
use crate::bindings::wasi::io::streams::{InputStream, OutputStream, StreamError};
use crate::bindings::wasi::sockets::instance_network::instance_network;
use crate::bindings::wasi::sockets::network::{self, IpAddressFamily, IpSocketAddress, Network};
use crate::bindings::wasi::sockets::tcp::{self, ShutdownType};
use crate::bindings::wasi::sockets::tcp_create_socket::create_tcp_socket;
use crate::poll_set::{Cached, Ready, Watch};
use crate::types::{self, Result};
use crate::wait::{self, Deadline};

/// The most one `receive` returns, as on the host (WIT: "The host caps one
/// call's buffer (64 KiB)").
pub(crate) const RECEIVE_CAP: usize = 64 * 1024;

thread_local! {
    /// The network every socket of this instance binds and connects on.
    static NETWORK: Network = instance_network();
}

/// Runs `f` with the instance's network.
pub(crate) fn with_network<T>(f: impl FnOnce(&Network) -> T) -> T {
    NETWORK.with(f)
}

/// Where a stream socket is in its life. Each variant owns the WASI
/// resources of that state; where there are several, children come first,
/// so that dropping the variant drops them in the order WASI requires.
enum State {
    /// Fresh, or bound (`bound`). → `Connecting` (connect), `Listening`
    /// (listen).
    Idle { socket: tcp::TcpSocket, bound: bool },
    /// A connect is going on: its call's timeout expired, or it is being
    /// waited for now. → `Connected`, `Failed`.
    Connecting(tcp::TcpSocket),
    /// Listening; `accept` is valid. Stays until close.
    Listening(tcp::TcpSocket),
    /// Connected, with the connection's streams.
    Connected(Connection),
    /// A connect failed and WASI closed the socket; the next bind, connect
    /// or listen starts on a fresh one.
    Failed(tcp::TcpSocket),
    /// `close` ran. What is kept here could not be dropped safely (see
    /// [`TcpSocket::retire`]).
    Closed { kept: Option<Box<State>> },
}

/// A connection and its two streams (children of the socket in WASI, so
/// declared first: they are dropped first), the poll sets' pollables of
/// the streams (children of those, so declared before them), and what was
/// read ahead.
struct Connection {
    watched_input: Cached,
    watched_output: Cached,
    input: InputStream,
    /// `None` once dropped to shut the write side down where the host's
    /// `shutdown` would end reads too (see [`host_shutdown_ends_reads`]).
    output: Option<OutputStream>,
    socket: tcp::TcpSocket,
    read_ahead: ReadAhead,
}

/// What a readiness check read from the input stream before the guest
/// asked for it (at most one byte), or the end it found: the next
/// `receive` returns it first.
///
/// A readiness the guest is told of is confirmed by reading: the input
/// stream's pollable can claim readable when nothing is there (wasmtime
/// reports a fresh connection readable before any data arrives), and a
/// guest that then receives without a timeout would wait for data that is
/// not coming, where `poll(2)` on the wasock host says "not ready". A read
/// that finds nothing also clears the stale claim, so the pollable handed
/// out after it is ready only when data or the end really is there.
#[derive(Default)]
struct ReadAhead {
    data: Vec<u8>,
    /// The stream ended (`None`: not yet): end of file, or the error of a
    /// failed read, reported once and then end of file.
    end: Option<Option<types::Error>>,
}

impl ReadAhead {
    fn is_empty(&self) -> bool {
        self.data.is_empty() && self.end.is_none()
    }

    /// What a poll set reports for what is here: readable, and hung up
    /// at the end (with an error if a read failed).
    fn readiness(&self) -> Ready {
        Ready {
            readable: !self.is_empty(),
            writable: false,
            hang_up: self.end.is_some(),
            error: matches!(self.end, Some(Some(_))),
        }
    }
}

/// What one non-blocking read gave.
enum Read {
    Data(Vec<u8>),
    Nothing,
    End,
    Failed(types::Error),
}

/// How much a readiness check reads: one byte tells data from a stale
/// claim, and leaves the rest in the stream, whose pollable stays ready.
const PROBE_BYTES: usize = 1;

impl Connection {
    fn new(input: InputStream, output: OutputStream, socket: tcp::TcpSocket) -> Connection {
        Connection {
            watched_input: Cached::default(),
            watched_output: Cached::default(),
            input,
            output: Some(output),
            socket,
            read_ahead: ReadAhead::default(),
        }
    }

    /// One non-blocking read of the stream, recording its end.
    fn read_stream(&mut self, operation: &str, wanted: usize) -> Read {
        match self.input.read(wanted as u64) {
            Ok(chunk) if chunk.is_empty() => Read::Nothing,
            Ok(chunk) => Read::Data(chunk),
            Err(StreamError::Closed) => {
                self.read_ahead.end = Some(None);
                Read::End
            }
            Err(StreamError::LastOperationFailed(error)) => {
                self.read_ahead.end = Some(None);
                Read::Failed(read_error(operation, &error))
            }
        }
    }

    /// Up to `wanted` bytes without waiting: what was read ahead, topped up
    /// from the stream, then the stream alone.
    fn read_now(&mut self, operation: &str, wanted: usize) -> Read {
        if !self.read_ahead.data.is_empty() {
            let mut data = std::mem::take(&mut self.read_ahead.data);
            if data.len() > wanted {
                self.read_ahead.data = data.split_off(wanted);
            } else if data.len() < wanted && self.read_ahead.end.is_none() {
                match self.read_stream(operation, wanted - data.len()) {
                    Read::Data(more) => data.extend_from_slice(&more),
                    Read::Nothing | Read::End => {}
                    // Reported on the next call, after the data before it.
                    Read::Failed(error) => self.read_ahead.end = Some(Some(error)),
                }
            }
            return Read::Data(data);
        }
        match &mut self.read_ahead.end {
            Some(failure @ Some(_)) => return Read::Failed(failure.take().expect("matched")),
            Some(None) => return Read::End,
            None => {}
        }
        self.read_stream(operation, wanted)
    }

    /// Whether a `receive` would not wait: something read ahead, or a read
    /// of [`PROBE_BYTES`] now finds data (kept for the receive) or the end.
    fn readable_now(&mut self, operation: &str) -> bool {
        if !self.read_ahead.is_empty() {
            return true;
        }
        match self.read_stream(operation, PROBE_BYTES) {
            Read::Nothing => false,
            Read::Data(data) => {
                self.read_ahead.data = data;
                true
            }
            Read::End => true,
            Read::Failed(error) => {
                self.read_ahead.end = Some(Some(error));
                true
            }
        }
    }

    /// After a receive that returned data: keeps the input stream's
    /// pollable truthful for the pollables the guest already holds
    /// (`subscribe`). A read that succeeds leaves the stream claiming
    /// readable even when it took the last byte (wasmtime clears the claim
    /// only when a read finds nothing), so a guest that read everything
    /// would be woken for nothing; one more read of at most a byte, kept
    /// for the next receive, either finds nothing (and clears the claim) or
    /// finds data the claim is then true of. Nothing to do while something
    /// is read ahead: the guest has data to receive.
    fn settle_readiness(&mut self, operation: &str) {
        if self.read_ahead.is_empty() {
            self.readable_now(operation);
        }
    }

    /// The pollable for readable: the input stream's, once its claim is
    /// confirmed (see [`ReadAhead`]); one ready at once where what is
    /// waiting is in the adapter and the stream's pollable does not say so
    /// (a host that reports only what is still in the stream). The flag
    /// says whether the pollable was made from the stream.
    fn readable_pollable(&mut self, operation: &str) -> (Pollable, bool) {
        if self.read_ahead.is_empty() {
            let probe = self.input.subscribe();
            if !probe.ready() {
                return (probe, true);
            }
            drop(probe);
            if !self.readable_now(operation) {
                // The claim was stale, and the read cleared it.
                return (self.input.subscribe(), true);
            }
        }
        let stream = self.input.subscribe();
        if stream.ready() {
            (stream, true)
        } else {
            (wait::ready_now(), false)
        }
    }
}

/// The options the guest set, applied again to a fresh WASI socket after a
/// failed connect.
#[derive(Clone, Copy, Default)]
pub(crate) struct Settings {
    pub(crate) keep_alive: Option<bool>,
    pub(crate) keep_alive_idle: Option<u64>,
    pub(crate) hop_limit: Option<u8>,
    pub(crate) receive_buffer: Option<u64>,
    pub(crate) send_buffer: Option<u64>,
}

/// One stream socket.
pub(crate) struct TcpSocket {
    family: IpAddressFamily,
    /// The poll sets' pollable of the WASI socket (listening or
    /// connecting), cleared before that socket is dropped.
    watched_socket: Cached,
    state: State,
    /// Where the guest bound it (for a fresh socket after a failed connect).
    bound_to: Option<IpSocketAddress>,
    /// The options the guest set.
    pub(crate) settings: Settings,
    /// Whether a pollable made from this socket's current WASI resources
    /// went to the guest. WASI forbids dropping a resource while a pollable
    /// made from it lives, and the adapter cannot see the guest drop the
    /// pollable; so such resources are never dropped (they are released
    /// from use, shut down on close, and kept until the guest ends) rather
    /// than risk a trap.
    subscribed: bool,
}

/// The guest's interest in a `subscribe`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Interest {
    pub(crate) readable: bool,
    pub(crate) writable: bool,
}

fn wasi_error(operation: &str) -> impl Fn(network::ErrorCode) -> crate::types::Error + '_ {
    move |code| types::from_wasi(operation, code)
}

/// An error reading the input stream (the connection failed).
fn read_error(operation: &str, error: &crate::bindings::wasi::io::error::Error) -> types::Error {
    types::fatal(
        operation,
        ErrorCode::ConnectionReset,
        &format!("the connection failed: {}", error.to_debug_string()),
    )
}

/// An error writing the output stream: closed (the write side was shut
/// down or the peer went away) or failed.
fn write_error(operation: &str, error: StreamError) -> types::Error {
    match error {
        StreamError::Closed => types::fatal(
            operation,
            ErrorCode::BrokenPipe,
            "the connection is closed for sending",
        ),
        StreamError::LastOperationFailed(error) => types::fatal(
            operation,
            ErrorCode::BrokenPipe,
            &format!("the connection failed: {}", error.to_debug_string()),
        ),
    }
}

/// `start-bind` then `finish-bind`, waiting while it is in progress.
fn bind_now(operation: &str, socket: &tcp::TcpSocket, address: IpSocketAddress) -> Result<()> {
    with_network(|network| socket.start_bind(network, address)).map_err(wasi_error(operation))?;
    loop {
        match socket.finish_bind() {
            Ok(()) => return Ok(()),
            Err(network::ErrorCode::WouldBlock) => {
                wait::wait(operation, &socket.subscribe(), Deadline::never())?
            }
            Err(code) => return Err(types::from_wasi(operation, code)),
        }
    }
}

/// A socket address's port.
fn port_of(address: &IpSocketAddress) -> u16 {
    match address {
        IpSocketAddress::Ipv4(v4) => v4.port,
        IpSocketAddress::Ipv6(v6) => v6.port,
    }
}

impl TcpSocket {
    /// A fresh stream socket of `family`: the spec's `socket`.
    pub(crate) fn create(family: IpAddressFamily) -> Result<TcpSocket> {
        let socket = create_tcp_socket(family).map_err(wasi_error("socket"))?;
        Ok(TcpSocket {
            family,
            watched_socket: Cached::default(),
            state: State::Idle {
                socket,
                bound: false,
            },
            bound_to: None,
            settings: Settings::default(),
            subscribed: false,
        })
    }

    fn accepted(
        family: IpAddressFamily,
        socket: tcp::TcpSocket,
        input: InputStream,
        output: OutputStream,
    ) -> TcpSocket {
        TcpSocket {
            family,
            watched_socket: Cached::default(),
            state: State::Connected(Connection::new(input, output, socket)),
            bound_to: None,
            settings: Settings::default(),
            subscribed: false,
        }
    }

    /// Whether `close` has run.
    pub(crate) fn is_closed(&self) -> bool {
        matches!(self.state, State::Closed { .. })
    }

    /// The WASI socket, for the options; `closed` after close.
    pub(crate) fn socket(&self, operation: &str) -> Result<&tcp::TcpSocket> {
        match &self.state {
            State::Idle { socket, .. }
            | State::Connecting(socket)
            | State::Listening(socket)
            | State::Failed(socket) => Ok(socket),
            State::Connected(connection) => Ok(&connection.socket),
            State::Closed { .. } => Err(types::closed(operation)),
        }
    }

    /// Lets go of WASI resources that are no longer used: dropped where
    /// that is safe, kept (never dropped) where it is not: a pollable of
    /// theirs went to the guest (see [`TcpSocket::subscribed`]), or the
    /// drop would block (see [`drop_would_block`]).
    fn retire(&mut self, state: State) {
        self.watched_socket.clear();
        if self.subscribed || drop_would_block(&state) {
            std::mem::forget(state);
        } else {
            drop(state);
        }
        self.subscribed = false;
    }

    /// After a failed connect, a fresh WASI socket in its place, bound
    /// where the old one was and with the guest's options.
    fn revive(&mut self, operation: &str) -> Result<()> {
        if !matches!(self.state, State::Failed(_)) {
            return Ok(());
        }
        let socket = create_tcp_socket(self.family).map_err(wasi_error(operation))?;
        apply(&socket, &self.settings).map_err(wasi_error(operation))?;
        if let Some(address) = self.bound_to {
            bind_now(operation, &socket, address)?;
        }
        let bound = self.bound_to.is_some();
        let old = std::mem::replace(&mut self.state, State::Idle { socket, bound });
        self.retire(old);
        Ok(())
    }

    /// `bind(2)`: the spec's `socket-bind`.
    pub(crate) fn bind(&mut self, address: IpSocketAddress) -> Result<()> {
        const OP: &str = "bind";
        self.revive(OP)?;
        match &mut self.state {
            State::Idle {
                socket,
                bound: bound @ false,
            } => {
                bind_now(OP, socket, address)?;
                *bound = true;
                self.bound_to = Some(address);
                Ok(())
            }
            State::Closed { .. } => Err(types::closed(OP)),
            _ => Err(types::fatal(
                OP,
                ErrorCode::InvalidArgument,
                "the socket is already bound",
            )),
        }
    }

    /// `connect(2)`: the spec's `socket-connect`. The call's timeout
    /// expiring leaves the connect going on; a later `connect` waits for it
    /// again.
    pub(crate) fn connect(&mut self, address: IpSocketAddress, deadline: Deadline) -> Result<()> {
        const OP: &str = "connect";
        self.revive(OP)?;
        match &self.state {
            State::Idle { socket, .. } => {
                let started = with_network(|network| socket.start_connect(network, address));
                if let Err(code) = started {
                    self.fail();
                    return Err(types::from_wasi(OP, code));
                }
                self.start_connecting();
            }
            State::Connecting(_) => {}
            State::Connected(_) => {
                return Err(types::fatal(
                    OP,
                    ErrorCode::AlreadyConnected,
                    "the socket is already connected",
                ));
            }
            State::Listening(_) => {
                return Err(types::fatal(
                    OP,
                    ErrorCode::InvalidState,
                    "the socket is listening",
                ));
            }
            State::Failed(_) => unreachable!("revived above"),
            State::Closed { .. } => return Err(types::closed(OP)),
        }
        loop {
            match self.finish_connect(OP) {
                Err(error) if error.code == ErrorCode::WouldBlock => {
                    let State::Connecting(socket) = &self.state else {
                        unreachable!("finish_connect keeps a connect that would block")
                    };
                    wait::wait(OP, &socket.subscribe(), deadline)?;
                }
                other => return other,
            }
        }
    }

    /// Moves `Idle` to `Connecting` once `start-connect` succeeded.
    fn start_connecting(&mut self) {
        let State::Idle { socket, .. } =
            std::mem::replace(&mut self.state, State::Closed { kept: None })
        else {
            unreachable!("called in the idle state")
        };
        self.state = State::Connecting(socket);
    }

    /// Moves the socket to `Failed` (WASI closed it after a failed connect).
    fn fail(&mut self) {
        let state = std::mem::replace(&mut self.state, State::Closed { kept: None });
        self.state = match state {
            State::Idle { socket, .. } | State::Connecting(socket) => State::Failed(socket),
            other => other,
        };
    }

    /// One `finish-connect`: connected, would-block (still going on) or the
    /// connect's error.
    fn finish_connect(&mut self, operation: &str) -> Result<()> {
        let State::Connecting(socket) = &self.state else {
            return Ok(());
        };
        match socket.finish_connect() {
            Ok((input, output)) => {
                let State::Connecting(socket) =
                    std::mem::replace(&mut self.state, State::Closed { kept: None })
                else {
                    unreachable!("matched above")
                };
                self.state = State::Connected(Connection::new(input, output, socket));
                Ok(())
            }
            Err(network::ErrorCode::WouldBlock) => Err(types::would_block(operation)),
            Err(code) => {
                self.fail();
                Err(types::from_wasi(operation, code))
            }
        }
    }

    /// `SO_ERROR`: the error of a connect that went on after its call's
    /// timeout and has failed since (reading it clears it: the socket may
    /// connect again); `None` otherwise.
    pub(crate) fn take_error(&mut self) -> Result<Option<types::Error>> {
        match &self.state {
            State::Closed { .. } => Err(types::closed("so-error")),
            State::Connecting(_) => match self.finish_connect("connect") {
                Ok(()) => Ok(None),
                Err(error) if error.code == ErrorCode::WouldBlock => Ok(None),
                Err(error) => Ok(Some(error)),
            },
            _ => Ok(None),
        }
    }

    /// `listen(2)`: the spec's `socket-listen`, binding an unbound socket
    /// first as POSIX does.
    pub(crate) fn listen(&mut self, backlog: u32) -> Result<()> {
        const OP: &str = "listen";
        self.revive(OP)?;
        // The backlog is a hint in POSIX as in WASI, and a host may refuse
        // to change it once listening: its refusal is not the guest's error.
        let backlog = u64::from(backlog.max(1));
        match &mut self.state {
            State::Idle { socket, bound } => {
                if !*bound {
                    bind_now(OP, socket, types::unspecified(self.family))?;
                    *bound = true;
                }
                let _ = socket.set_listen_backlog_size(backlog);
                socket.start_listen().map_err(wasi_error(OP))?;
                loop {
                    match socket.finish_listen() {
                        Ok(()) => break,
                        Err(network::ErrorCode::WouldBlock) => {
                            wait::wait(OP, &socket.subscribe(), Deadline::never())?
                        }
                        Err(code) => return Err(types::from_wasi(OP, code)),
                    }
                }
                let State::Idle { socket, .. } =
                    std::mem::replace(&mut self.state, State::Closed { kept: None })
                else {
                    unreachable!("matched above")
                };
                self.state = State::Listening(socket);
                Ok(())
            }
            State::Listening(socket) => {
                let _ = socket.set_listen_backlog_size(backlog);
                Ok(())
            }
            State::Connecting(_) | State::Connected(_) => Err(types::fatal(
                OP,
                ErrorCode::InvalidArgument,
                "the socket is connected",
            )),
            State::Failed(_) => unreachable!("revived above"),
            State::Closed { .. } => Err(types::closed(OP)),
        }
    }

    /// `accept(2)`: the spec's `socket-accept`.
    pub(crate) fn accept(&mut self, deadline: Deadline) -> Result<TcpSocket> {
        const OP: &str = "accept";
        let socket = match &self.state {
            State::Listening(socket) => socket,
            State::Closed { .. } => return Err(types::closed(OP)),
            _ => {
                return Err(types::fatal(
                    OP,
                    ErrorCode::InvalidState,
                    "the socket is not listening",
                ));
            }
        };
        loop {
            match socket.accept() {
                Ok((accepted, input, output)) => {
                    return Ok(TcpSocket::accepted(self.family, accepted, input, output));
                }
                Err(network::ErrorCode::WouldBlock) => {
                    wait::wait(OP, &socket.subscribe(), deadline)?
                }
                Err(code) => return Err(types::from_wasi(OP, code)),
            }
        }
    }

    /// The spec's `socket-accept-ready?` and `socket-receive-ready?`:
    /// whether an `accept` (listening) or a `receive` (connected) would not
    /// wait. Like `poll(2)` on Linux, a socket that is neither connected,
    /// connecting nor listening counts as ready (hung up).
    pub(crate) fn ready(&mut self, operation: &str) -> Result<bool> {
        match &mut self.state {
            State::Listening(socket) => Ok(socket.subscribe().ready()),
            State::Connected(connection) => Ok(connection.readable_now(operation)),
            State::Connecting(_) => Ok(false),
            State::Idle { .. } | State::Failed(_) => Ok(true),
            State::Closed { .. } => Err(types::closed(operation)),
        }
    }

    /// `shutdown(2)`: the spec's `socket-shutdown`.
    ///
    /// Where the host's `shutdown` ends reads whatever it is asked (see
    /// [`host_shutdown_ends_reads`]), the write side alone is shut down by
    /// dropping the output stream (such a host ends the stream, and the
    /// peer sees the end of it, after what was sent), and the read side
    /// alone in the adapter (receives then see the end of the stream);
    /// both ways, or a stream a pollable of the guest's refers to, go to
    /// the host.
    pub(crate) fn shutdown(&mut self, how: ShutdownType) -> Result<()> {
        const OP: &str = "shutdown";
        let subscribed = self.subscribed;
        match &mut self.state {
            State::Connected(connection)
                if !matches!(how, ShutdownType::Both) && host_shutdown_ends_reads() =>
            {
                if matches!(how, ShutdownType::Receive) {
                    connection.read_ahead.data.clear();
                    connection.read_ahead.end.get_or_insert(None);
                    return Ok(());
                }
                if subscribed {
                    return connection.socket.shutdown(how).map_err(wasi_error(OP));
                }
                connection.watched_output.clear();
                drop(connection.output.take());
                Ok(())
            }
            State::Connected(connection) => connection.socket.shutdown(how).map_err(wasi_error(OP)),
            State::Closed { .. } => Err(types::closed(OP)),
            _ => Err(types::fatal(
                OP,
                ErrorCode::NotConnected,
                "the socket is not connected",
            )),
        }
    }

    /// `close(2)`: the spec's `socket-close`. A connection is shut down both
    /// ways first: the peer sees the end of the stream after what was sent,
    /// even where the WASI resources must be kept (see [`TcpSocket::retire`]).
    pub(crate) fn close(&mut self) -> Result<()> {
        if self.is_closed() {
            return Err(types::closed("close"));
        }
        let state = std::mem::replace(&mut self.state, State::Closed { kept: None });
        shut_down(&state);
        self.watched_socket.clear();
        if self.subscribed || drop_would_block(&state) {
            self.state = State::Closed {
                kept: Some(Box::new(state)),
            };
        } else {
            drop(state);
        }
        Ok(())
    }

    /// `getsockname(2)`: the spec's `socket-name`; `None` where unbound.
    pub(crate) fn name(&self) -> Result<Option<IpSocketAddress>> {
        const OP: &str = "name";
        match self.socket(OP)?.local_address() {
            Ok(address) if port_of(&address) != 0 => Ok(Some(address)),
            Ok(_) | Err(network::ErrorCode::InvalidState) => Ok(None),
            Err(code) => Err(types::from_wasi(OP, code)),
        }
    }

    /// `getpeername(2)`: the spec's `socket-peer-name`; `None` where no
    /// connection exists.
    pub(crate) fn peer_name(&self) -> Result<Option<IpSocketAddress>> {
        const OP: &str = "peer-name";
        match &self.state {
            State::Connected(connection) => match connection.socket.remote_address() {
                Ok(address) => Ok(Some(address)),
                Err(network::ErrorCode::InvalidState) => Ok(None),
                Err(code) => Err(types::from_wasi(OP, code)),
            },
            State::Closed { .. } => Err(types::closed(OP)),
            _ => Ok(None),
        }
    }

    fn connection(&mut self, operation: &str) -> Result<&mut Connection> {
        match &mut self.state {
            State::Connected(connection) => Ok(connection),
            State::Closed { .. } => Err(types::closed(operation)),
            _ => Err(types::fatal(
                operation,
                ErrorCode::NotConnected,
                "the socket is not connected",
            )),
        }
    }

    /// `send(2)`: the spec's `socket-send`: waits until the output stream
    /// takes some of `data` and returns how much it took.
    pub(crate) fn send(&mut self, data: &[u8], dont_wait: bool, deadline: Deadline) -> Result<u32> {
        const OP: &str = "send";
        let connection = self.connection(OP)?;
        if data.is_empty() {
            return Ok(0);
        }
        let Some(output) = &connection.output else {
            return Err(write_error(OP, StreamError::Closed));
        };
        loop {
            match output.check_write() {
                Ok(0) if dont_wait => return Err(types::would_block(OP)),
                Ok(0) => wait::wait(OP, &output.subscribe(), deadline)?,
                Ok(room) => {
                    let take = usize::try_from(room).unwrap_or(usize::MAX).min(data.len());
                    output
                        .write(&data[..take])
                        .map_err(|error| write_error(OP, error))?;
                    return Ok(u32::try_from(take).unwrap_or(u32::MAX));
                }
                Err(error) => return Err(write_error(OP, error)),
            }
        }
    }

    /// `sendto(2)` on a stream: refused as on the host (WIT: "send-to on a
    /// connected stream" is invalid-state; unconnected, there is no peer).
    pub(crate) fn send_to(&self) -> Result<u32> {
        const OP: &str = "send-to";
        match &self.state {
            State::Connected(_) => Err(types::fatal(
                OP,
                ErrorCode::InvalidState,
                "the stream socket is connected; use send",
            )),
            State::Closed { .. } => Err(types::closed(OP)),
            _ => Err(types::fatal(
                OP,
                ErrorCode::NotConnected,
                "the socket is not connected",
            )),
        }
    }

    /// `recv(2)`: the spec's `socket-receive`: up to `max_length` bytes
    /// (at most [`RECEIVE_CAP`]), empty at end of file. With `wait_all` it
    /// waits for the whole length (or end of file, an error or the
    /// timeout, returning what came before it).
    pub(crate) fn receive(
        &mut self,
        operation: &str,
        max_length: u32,
        wait_all: bool,
        dont_wait: bool,
        deadline: Deadline,
    ) -> Result<Vec<u8>> {
        let connection = self.connection(operation)?;
        let capacity = usize::try_from(max_length)
            .unwrap_or(usize::MAX)
            .min(RECEIVE_CAP);
        let mut buffer: Vec<u8> = Vec::new();
        if capacity == 0 {
            return Ok(buffer);
        }
        loop {
            match connection.read_now(operation, capacity - buffer.len()) {
                Read::Data(chunk) => {
                    if buffer.is_empty() {
                        buffer = chunk;
                    } else {
                        buffer.extend_from_slice(&chunk);
                    }
                    if !wait_all || buffer.len() >= capacity {
                        connection.settle_readiness(operation);
                        return Ok(buffer);
                    }
                }
                Read::Nothing => {
                    if dont_wait {
                        return if buffer.is_empty() {
                            Err(types::would_block(operation))
                        } else {
                            Ok(buffer)
                        };
                    }
                    if let Err(error) =
                        wait::wait(operation, &connection.input.subscribe(), deadline)
                    {
                        return if buffer.is_empty() {
                            Err(error)
                        } else {
                            Ok(buffer)
                        };
                    }
                }
                // End of file (or the read side was shut down).
                Read::End => return Ok(buffer),
                Read::Failed(error) => {
                    if buffer.is_empty() {
                        return Err(error);
                    }
                    // Report it on the next call, after what came before it.
                    connection.read_ahead.end = Some(Some(error));
                    return Ok(buffer);
                }
            }
        }
    }

    /// The pollable for the guest's `subscribe`: the connection's input
    /// stream (readable), output stream (writable), the socket itself while
    /// connecting or listening; one ready at once where the socket cannot
    /// wait (closed, fresh, or both interests on a connection, which no one
    /// WASI pollable covers: a spurious wake-up is allowed, a missed one is
    /// not).
    pub(crate) fn subscribe(&mut self, interest: Interest) -> Pollable {
        if !interest.readable && !interest.writable {
            return wait::never_ready();
        }
        // (The pollable, and whether it was made from one of the socket's
        // WASI resources.)
        let (pollable, made_from_socket) = match &mut self.state {
            State::Connected(connection) => match (interest.readable, interest.writable) {
                (true, false) => connection.readable_pollable("subscribe"),
                (false, true) => match &connection.output {
                    Some(output) => (output.subscribe(), true),
                    // Shut down: a send fails at once.
                    None => (wait::ready_now(), false),
                },
                _ => (wait::ready_now(), false),
            },
            State::Listening(socket) if interest.readable => (socket.subscribe(), true),
            State::Listening(_) => (wait::never_ready(), false),
            State::Connecting(socket) => (socket.subscribe(), true),
            State::Idle { .. } | State::Failed(_) | State::Closed { .. } => {
                (wait::ready_now(), false)
            }
        };
        if made_from_socket {
            self.subscribed = true;
        }
        pollable
    }
}

impl TcpSocket {
    /// What a poll set watches for this socket with `interest` (see
    /// [`crate::poll_set`]): what is known now without waiting, and the
    /// WASI pollables to wait on, each with the readiness it stands for.
    /// The pollables are the poll sets' own, kept with the resources they
    /// are made from ([`Cached`]) and dropped before them, so unlike
    /// [`TcpSocket::subscribe`] they do not pin the socket's WASI
    /// resources.
    pub(crate) fn watch(&mut self, interest: Interest) -> Watch {
        let mut watch = Watch::default();
        let watched_socket = &mut self.watched_socket;
        match &mut self.state {
            // Like `poll(2)` on Linux: neither connected, connecting nor
            // listening is hung up; a failed connect also has an error.
            State::Idle { .. } => watch.now.hang_up = true,
            State::Failed(_) => {
                watch.now.hang_up = true;
                watch.now.error = true;
            }
            // The socket's pollable fires when the connect is done, either
            // way; the guest's next `connect` says which.
            State::Connecting(socket) if interest.writable => watch
                .pollables
                .push((watched_socket.get(|| socket.subscribe()), Ready::WRITABLE)),
            State::Connecting(_) => {}
            State::Listening(socket) if interest.readable => watch
                .pollables
                .push((watched_socket.get(|| socket.subscribe()), Ready::READABLE)),
            State::Listening(_) => {}
            State::Connected(connection) => {
                if interest.readable {
                    if connection.read_ahead.is_empty() {
                        let input = &connection.input;
                        let pollable = connection.watched_input.get(|| input.subscribe());
                        watch.pollables.push((pollable, Ready::READABLE));
                    } else {
                        watch.now = connection.read_ahead.readiness();
                    }
                }
                if interest.writable {
                    match &connection.output {
                        Some(output) => {
                            let pollable = connection.watched_output.get(|| output.subscribe());
                            watch.pollables.push((pollable, Ready::WRITABLE));
                        }
                        // Shut down: a send fails at once.
                        None => watch.now.writable = true,
                    }
                }
            }
            State::Closed { .. } => {}
        }
        watch
    }

    /// For an edge-triggered registration already reported readable: the
    /// input stream's pollable, which fires when more arrives, while the
    /// adapter can still take it in (the end not reached, less than
    /// [`RECEIVE_CAP`] read ahead); `None` otherwise.
    ///
    /// Never for a socket the guest subscribed to: a pollable of the input
    /// stream it holds must stay ready while data is unread, so what is in
    /// the stream stays there (beyond the one byte a readiness check
    /// reads).
    pub(crate) fn watch_arrivals(&mut self) -> Option<Rc<Pollable>> {
        if self.subscribed {
            return None;
        }
        match &mut self.state {
            State::Connected(connection)
                if connection.read_ahead.end.is_none()
                    && connection.read_ahead.data.len() < RECEIVE_CAP =>
            {
                let input = &connection.input;
                Some(connection.watched_input.get(|| input.subscribe()))
            }
            _ => None,
        }
    }

    /// Takes what arrived into the read-ahead (the next receives return
    /// it first) and says what is new: readable for new data, hung up (and
    /// an error if the read failed) for the end. So an arrival is told from
    /// data already reported: the emulated edge.
    pub(crate) fn take_arrivals(&mut self) -> Ready {
        let State::Connected(connection) = &mut self.state else {
            return Ready::default();
        };
        // See `watch_arrivals`.
        if self.subscribed {
            return Ready::default();
        }
        let room = RECEIVE_CAP.saturating_sub(connection.read_ahead.data.len());
        if room == 0 || connection.read_ahead.end.is_some() {
            return Ready::default();
        }
        match connection.read_stream("poll-set wait", room) {
            Read::Data(data) => {
                connection.read_ahead.data.extend_from_slice(&data);
                Ready::READABLE
            }
            Read::Nothing => Ready::default(),
            Read::End => connection.read_ahead.readiness(),
            Read::Failed(error) => {
                connection.read_ahead.end = Some(Some(error));
                connection.read_ahead.readiness()
            }
        }
    }

    /// A fresh pollable of the resource a poll set watches for
    /// `stands_for` (see [`TcpSocket::watch`]), for a set's `subscribe` to
    /// give the guest: the socket's WASI resources are then kept, as after
    /// [`TcpSocket::subscribe`].
    pub(crate) fn fresh_pollable(&mut self, stands_for: Ready) -> Option<Pollable> {
        let pollable = match &self.state {
            State::Connecting(socket) | State::Listening(socket) => socket.subscribe(),
            State::Connected(connection) if stands_for.readable => connection.input.subscribe(),
            State::Connected(connection) => connection.output.as_ref()?.subscribe(),
            _ => return None,
        };
        self.subscribed = true;
        Some(pollable)
    }

    /// What a fired readable pollable of [`TcpSocket::watch`] means: for a
    /// connection, confirmed by reading (see [`ReadAhead`]): data, the end
    /// (hang-up) or a failure (error), or nothing (a stale claim).
    pub(crate) fn confirm_readable(&mut self) -> Ready {
        match &mut self.state {
            State::Connected(connection) => {
                if connection.readable_now("poll-set wait") {
                    connection.read_ahead.readiness()
                } else {
                    Ready::default()
                }
            }
            _ => Ready::READABLE,
        }
    }
}

impl Drop for TcpSocket {
    /// Dropping the guest's socket closes it (if `close` did not).
    fn drop(&mut self) {
        let state = std::mem::replace(&mut self.state, State::Closed { kept: None });
        shut_down(&state);
        self.retire(state);
    }
}

/// Whether this host's `wasi:sockets` `shutdown` ends the connection both
/// ways whatever it is asked, as jco's shim for node does (it destroys the
/// node socket: a guest that shut its write side down to say "that is all"
/// then read nothing back). Such a host ends the write side alone when the
/// output stream is dropped (node's `end()`), which [`TcpSocket::shutdown`]
/// does instead.
///
/// Told by a fresh socket's hop limit, asked once: jco keeps placeholder
/// options and answers 1, where an OS gives its default (64 on Linux, 128
/// on Windows) and no system defaults to 1.
fn host_shutdown_ends_reads() -> bool {
    thread_local! {
        static ENDS_READS: bool = create_tcp_socket(IpAddressFamily::Ipv4)
            .ok()
            .and_then(|socket| socket.hop_limit().ok())
            == Some(1);
    }
    ENDS_READS.with(|ends| *ends)
}

/// Shuts a connection down both ways (the host sends what is still being
/// written, then the end of the stream).
fn shut_down(state: &State) {
    if let State::Connected(connection) = state {
        let _ = connection.socket.shutdown(ShutdownType::Both);
    }
}

/// Whether dropping `state` would block the guest: a host may wait, in the
/// drop of an output stream, for the bytes it took to be written (wasmtime
/// does, so that nothing the guest sent is lost), which is forever where
/// the peer never reads. `check-write` answering 0 is exactly "not done
/// yet". `close(2)` does not wait for that; neither does the adapter, which
/// keeps such a connection instead (the host still sends the rest, and the
/// end of the stream, in the background).
fn drop_would_block(state: &State) -> bool {
    match state {
        State::Connected(connection) => connection
            .output
            .as_ref()
            .is_some_and(|output| matches!(output.check_write(), Ok(0))),
        State::Closed { kept: Some(kept) } => drop_would_block(kept),
        _ => false,
    }
}

/// Applies the guest's options to a fresh WASI socket.
fn apply(
    socket: &tcp::TcpSocket,
    settings: &Settings,
) -> std::result::Result<(), network::ErrorCode> {
    if let Some(value) = settings.keep_alive {
        socket.set_keep_alive_enabled(value)?;
    }
    if let Some(value) = settings.keep_alive_idle {
        socket.set_keep_alive_idle_time(value)?;
    }
    if let Some(value) = settings.hop_limit {
        socket.set_hop_limit(value)?;
    }
    if let Some(value) = settings.receive_buffer {
        socket.set_receive_buffer_size(value)?;
    }
    if let Some(value) = settings.send_buffer {
        socket.set_send_buffer_size(value)?;
    }
    Ok(())
}
