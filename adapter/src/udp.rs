//! Datagram sockets on `wasi:sockets/udp`: bind, then the
//! `incoming-datagram-stream` / `outgoing-datagram-stream` pair that
//! `stream` gives (connected to one peer, or not).
//!
//! What differs from POSIX, and how it is bridged:
//!
//! - WASI sends and receives only on a bound socket; POSIX binds an unbound
//!   one implicitly on its first send. The adapter binds it to the
//!   unspecified address and a free port the first time it sends, receives
//!   or is subscribed to.
//! - Streams are made when first needed and made again by `connect` (WASI
//!   sets the peer when it makes them).
//! - WASI returns whole datagrams; one longer than the guest asked for is
//!   cut, and reported `truncated` (`MSG_TRUNC`), as on the host.

use crate::bindings::exports::wasock::socket::types::ErrorCode;
use crate::bindings::wasi::io::poll::Pollable;
use crate::bindings::wasi::sockets::network::{self, IpAddressFamily, IpSocketAddress};
use crate::bindings::wasi::sockets::udp::{
    self, IncomingDatagramStream, OutgoingDatagram, OutgoingDatagramStream,
};
use crate::bindings::wasi::sockets::udp_create_socket::create_udp_socket;
use crate::poll_set::{Cached, Ready, Watch};
use crate::tcp::{Interest, RECEIVE_CAP, with_network};
use crate::types::{self, Result};
use crate::wait::{self, Deadline};

/// The streams of a bound socket (children of the socket in WASI), and
/// the poll sets' pollables of them (children of those, so declared
/// first: they are dropped first).
struct Streams {
    watched_incoming: Cached,
    watched_outgoing: Cached,
    incoming: IncomingDatagramStream,
    outgoing: OutgoingDatagramStream,
}

/// Where a datagram socket is in its life; children are declared before
/// their parent, so dropping a variant drops them in the order WASI
/// requires.
enum State {
    /// Not bound yet.
    Unbound(udp::UdpSocket),
    /// Bound, with its streams once made.
    Bound {
        streams: Option<Streams>,
        socket: udp::UdpSocket,
    },
    /// `close` ran; what is kept here could not be dropped safely (a
    /// pollable the guest holds may refer to it, or the drop would block).
    Closed { kept: Option<Box<State>> },
}

/// One datagram socket.
pub(crate) struct UdpSocket {
    family: IpAddressFamily,
    state: State,
    /// The peer given to `connect`, if any.
    peer: Option<IpSocketAddress>,
    /// Whether a pollable made from the current streams went to the guest
    /// (see `TcpSocket::subscribed`: such resources are never dropped).
    subscribed: bool,
}

/// What `receive-from` returns: the bytes, the source, and whether the
/// datagram was cut.
pub(crate) struct Received {
    pub(crate) data: Vec<u8>,
    pub(crate) source: IpSocketAddress,
    pub(crate) truncated: bool,
}

fn wasi_error(operation: &str) -> impl Fn(network::ErrorCode) -> crate::types::Error + '_ {
    move |code| types::from_wasi(operation, code)
}

impl UdpSocket {
    /// A fresh datagram socket of `family`: the spec's `socket`.
    pub(crate) fn create(family: IpAddressFamily) -> Result<UdpSocket> {
        let socket = create_udp_socket(family).map_err(wasi_error("socket"))?;
        Ok(UdpSocket {
            family,
            state: State::Unbound(socket),
            peer: None,
            subscribed: false,
        })
    }

    /// Whether `close` has run.
    pub(crate) fn is_closed(&self) -> bool {
        matches!(self.state, State::Closed { .. })
    }

    /// The WASI socket, for the options; `closed` after close.
    pub(crate) fn socket(&self, operation: &str) -> Result<&udp::UdpSocket> {
        match &self.state {
            State::Unbound(socket) | State::Bound { socket, .. } => Ok(socket),
            State::Closed { .. } => Err(types::closed(operation)),
        }
    }

    /// `bind(2)`: the spec's `socket-bind`.
    pub(crate) fn bind(&mut self, address: IpSocketAddress) -> Result<()> {
        const OP: &str = "bind";
        match &self.state {
            State::Unbound(_) => self.bind_now(OP, address),
            State::Bound { .. } => Err(types::fatal(
                OP,
                ErrorCode::InvalidArgument,
                "the socket is already bound",
            )),
            State::Closed { .. } => Err(types::closed(OP)),
        }
    }

    fn bind_now(&mut self, operation: &str, address: IpSocketAddress) -> Result<()> {
        let State::Unbound(socket) = &self.state else {
            return Ok(());
        };
        with_network(|network| socket.start_bind(network, address))
            .map_err(wasi_error(operation))?;
        loop {
            match socket.finish_bind() {
                Ok(()) => break,
                Err(network::ErrorCode::WouldBlock) => {
                    wait::wait(operation, &socket.subscribe(), Deadline::never())?
                }
                Err(code) => return Err(types::from_wasi(operation, code)),
            }
        }
        let State::Unbound(socket) =
            std::mem::replace(&mut self.state, State::Closed { kept: None })
        else {
            unreachable!("matched above")
        };
        self.state = State::Bound {
            streams: None,
            socket,
        };
        Ok(())
    }

    /// The streams, binding the socket and making them first if need be.
    fn streams(&mut self, operation: &str) -> Result<&Streams> {
        if matches!(self.state, State::Unbound(_)) {
            self.bind_now(operation, types::unspecified(self.family))?;
        }
        match &mut self.state {
            State::Bound { streams, socket } => {
                if streams.is_none() {
                    let (incoming, outgoing) =
                        socket.stream(self.peer).map_err(wasi_error(operation))?;
                    *streams = Some(Streams {
                        watched_incoming: Cached::default(),
                        watched_outgoing: Cached::default(),
                        incoming,
                        outgoing,
                    });
                }
                Ok(streams.as_ref().expect("made above"))
            }
            State::Closed { .. } => Err(types::closed(operation)),
            State::Unbound(_) => unreachable!("bound above"),
        }
    }

    /// `connect(2)` on a datagram socket: sets the default peer (and the
    /// only source `receive` accepts), binding first if need be.
    pub(crate) fn connect(&mut self, address: IpSocketAddress) -> Result<()> {
        const OP: &str = "connect";
        if matches!(self.state, State::Unbound(_)) {
            self.bind_now(OP, types::unspecified(self.family))?;
        }
        match &mut self.state {
            State::Bound { streams, .. } => {
                if self.subscribed && streams.is_some() {
                    // WASI makes the streams again to change the peer, and
                    // a pollable the guest holds may still refer to the old
                    // ones, which then cannot be dropped.
                    return Err(types::unsupported(
                        OP,
                        ErrorCode::OperationNotSupported,
                        "connecting a datagram socket after subscribing to it",
                    ));
                }
                drop(streams.take());
            }
            State::Closed { .. } => return Err(types::closed(OP)),
            State::Unbound(_) => unreachable!("bound above"),
        }
        self.peer = Some(address);
        if let Err(error) = self.streams(OP) {
            self.peer = None;
            return Err(error);
        }
        Ok(())
    }

    /// `getsockname(2)`: the spec's `socket-name`; `None` where unbound.
    pub(crate) fn name(&self) -> Result<Option<IpSocketAddress>> {
        const OP: &str = "name";
        match self.socket(OP)?.local_address() {
            Ok(address) => Ok(Some(address)),
            Err(network::ErrorCode::InvalidState) => Ok(None),
            Err(code) => Err(types::from_wasi(OP, code)),
        }
    }

    /// `getpeername(2)`: the connected peer, if any.
    pub(crate) fn peer_name(&self) -> Result<Option<IpSocketAddress>> {
        self.socket("peer-name")?;
        Ok(self.peer)
    }

    /// `send(2)` to the connected peer.
    pub(crate) fn send(&mut self, data: &[u8], dont_wait: bool, deadline: Deadline) -> Result<u32> {
        const OP: &str = "send";
        self.socket(OP)?;
        if self.peer.is_none() {
            return Err(types::fatal(
                OP,
                ErrorCode::InvalidArgument,
                "the datagram socket is not connected; use send-to",
            ));
        }
        self.send_datagram(OP, data, None, dont_wait, deadline)
    }

    /// `sendto(2)`: the spec's `socket-send-to`.
    pub(crate) fn send_to(
        &mut self,
        data: &[u8],
        address: IpSocketAddress,
        dont_wait: bool,
        deadline: Deadline,
    ) -> Result<u32> {
        self.send_datagram("send-to", data, Some(address), dont_wait, deadline)
    }

    fn send_datagram(
        &mut self,
        operation: &str,
        data: &[u8],
        remote_address: Option<IpSocketAddress>,
        dont_wait: bool,
        deadline: Deadline,
    ) -> Result<u32> {
        let streams = self.streams(operation)?;
        let datagram = [OutgoingDatagram {
            data: data.to_vec(),
            remote_address,
        }];
        loop {
            match streams.outgoing.check_send() {
                Ok(0) if dont_wait => return Err(types::would_block(operation)),
                Ok(0) => wait::wait(operation, &streams.outgoing.subscribe(), deadline)?,
                Ok(_) => match streams.outgoing.send(&datagram) {
                    Ok(0) if dont_wait => return Err(types::would_block(operation)),
                    Ok(0) => wait::wait(operation, &streams.outgoing.subscribe(), deadline)?,
                    Ok(_) => return Ok(u32::try_from(data.len()).unwrap_or(u32::MAX)),
                    Err(code) => return Err(types::from_wasi(operation, code)),
                },
                Err(code) => return Err(types::from_wasi(operation, code)),
            }
        }
    }

    /// `recvfrom(2)`: the spec's `socket-receive-from`: one datagram, cut
    /// to `max_length` (at most 64 KiB).
    pub(crate) fn receive_from(
        &mut self,
        operation: &str,
        max_length: u32,
        dont_wait: bool,
        deadline: Deadline,
    ) -> Result<Received> {
        let streams = self.streams(operation)?;
        let capacity = usize::try_from(max_length)
            .unwrap_or(usize::MAX)
            .min(RECEIVE_CAP);
        loop {
            let mut datagrams = streams.incoming.receive(1).map_err(wasi_error(operation))?;
            if let Some(datagram) = datagrams.pop() {
                let mut data = datagram.data;
                let truncated = data.len() > capacity;
                data.truncate(capacity);
                return Ok(Received {
                    data,
                    source: datagram.remote_address,
                    truncated,
                });
            }
            if dont_wait {
                return Err(types::would_block(operation));
            }
            wait::wait(operation, &streams.incoming.subscribe(), deadline)?;
        }
    }

    /// The spec's `socket-receive-ready?`: whether a datagram is waiting.
    pub(crate) fn receive_ready(&self, operation: &str) -> Result<bool> {
        match &self.state {
            State::Bound {
                streams: Some(streams),
                ..
            } => Ok(streams.incoming.subscribe().ready()),
            // Nothing can have arrived for a socket without streams: WASI
            // delivers datagrams only through them. (A bound socket without
            // streams is made to have them on its first receive.)
            State::Bound { streams: None, .. } | State::Unbound(_) => Ok(false),
            State::Closed { .. } => Err(types::closed(operation)),
        }
    }

    /// The pollable for the guest's `subscribe`: the incoming stream
    /// (readable) or the outgoing one (writable); one ready at once for
    /// both (no one WASI pollable covers them) or after close.
    pub(crate) fn subscribe(&mut self, interest: Interest) -> Pollable {
        if !interest.readable && !interest.writable {
            return wait::never_ready();
        }
        if self.is_closed() || (interest.readable && interest.writable) {
            return wait::ready_now();
        }
        let pollable = match self.streams("subscribe") {
            Ok(streams) if interest.readable => streams.incoming.subscribe(),
            Ok(streams) => streams.outgoing.subscribe(),
            // The next call on the socket reports what failed here.
            Err(_) => return wait::ready_now(),
        };
        self.subscribed = true;
        pollable
    }

    /// What a poll set watches for this socket with `interest` (see
    /// [`crate::poll_set`] and `TcpSocket::watch`): an unbound socket may
    /// send at once (the send binds it) and has nothing to receive; a
    /// bound one has its streams made if need be, and is watched through
    /// them.
    pub(crate) fn watch(&mut self, interest: Interest) -> Watch {
        let mut watch = Watch::default();
        match &self.state {
            State::Unbound(_) => {
                watch.now.writable = interest.writable;
                return watch;
            }
            State::Closed { .. } => return watch,
            State::Bound { .. } => {}
        }
        if !interest.readable && !interest.writable {
            return watch;
        }
        if self.streams("poll-set wait").is_err() {
            // The next call on the socket reports what failed here.
            watch.now.error = true;
            return watch;
        }
        if let State::Bound {
            streams: Some(streams),
            ..
        } = &mut self.state
        {
            if interest.readable {
                let incoming = &streams.incoming;
                let pollable = streams.watched_incoming.get(|| incoming.subscribe());
                watch.pollables.push((pollable, Ready::READABLE));
            }
            if interest.writable {
                let outgoing = &streams.outgoing;
                let pollable = streams.watched_outgoing.get(|| outgoing.subscribe());
                watch.pollables.push((pollable, Ready::WRITABLE));
            }
        }
        watch
    }

    /// A fresh pollable of the stream a poll set watches for `stands_for`
    /// (readable: the incoming stream; writable: the outgoing one), for
    /// a set's `subscribe` to give the guest: the streams are then kept
    /// as after the socket's own [`UdpSocket::subscribe`].
    pub(crate) fn fresh_pollable(&mut self, stands_for: Ready) -> Option<Pollable> {
        let State::Bound {
            streams: Some(streams),
            ..
        } = &self.state
        else {
            return None;
        };
        let pollable = if stands_for.readable {
            streams.incoming.subscribe()
        } else {
            streams.outgoing.subscribe()
        };
        self.subscribed = true;
        Some(pollable)
    }

    /// `close(2)`: the spec's `socket-close`.
    pub(crate) fn close(&mut self) -> Result<()> {
        if self.is_closed() {
            return Err(types::closed("close"));
        }
        let state = std::mem::replace(&mut self.state, State::Closed { kept: None });
        if self.subscribed || drop_would_block(&state) {
            self.state = State::Closed {
                kept: Some(Box::new(state)),
            };
        } else {
            drop(state);
        }
        Ok(())
    }
}

impl Drop for UdpSocket {
    /// Dropping the guest's socket closes it (if `close` did not): the WASI
    /// resources are dropped where that is safe, kept where it is not (as
    /// for stream sockets: a pollable of theirs went to the guest, or the
    /// drop would block).
    fn drop(&mut self) {
        let state = std::mem::replace(&mut self.state, State::Closed { kept: None });
        if self.subscribed || drop_would_block(&state) {
            std::mem::forget(state);
        }
    }
}

/// Whether dropping `state` would block the guest: a host may wait, in the
/// drop of an outgoing datagram stream, for a send it took to finish
/// (wasmtime does); `check-send` answering 0 is "not done yet".
fn drop_would_block(state: &State) -> bool {
    match state {
        State::Bound {
            streams: Some(streams),
            ..
        } => matches!(streams.outgoing.check_send(), Ok(0)),
        State::Closed { kept: Some(kept) } => drop_would_block(kept),
        _ => false,
    }
}
