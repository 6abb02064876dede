//! A stream echo server for many clients at once in one thread, driven by
//! a persistent interest set on the host ([`wasock::poll::Registry`]).
//!
//! The loop never blocks on one client: it receives only from a connection
//! reported readable and sends back at once without waiting
//! (`MSG_DONTWAIT`); what the client's socket cannot take yet stays with
//! the connection, which then waits to be writable instead of readable.
//! That bounds each connection's memory to one receive and pushes back on a
//! client that sends faster than it reads. So an idle or slow client never
//! holds up the others.
//!
//! Each connection is registered once, at accept, for readable; only while
//! an echo is owed is it re-registered for writable. A round costs one
//! wait on the registry (whose cost is proportional to the ready
//! connections, not to the idle ones) plus the receive and send that do
//! the work; an idle connection costs nothing per round.
//!
//! With TLS ([`serve_tls`], for `tls-echo-server`), each connection first
//! does its server handshake in the same loop, one step per readiness
//! (the host's `tls.accept` with a zero timeout takes the handshake as far
//! as it goes without waiting), so a client slow to handshake stalls
//! nobody either; then it echoes as above, the host decrypting what it
//! receives and encrypting what it sends.
//!
//! At the guest's socket limit (`--max-sockets`), `accept` answers
//! `too-many-sockets`, class transient: the connection stays in the
//! kernel's backlog, the loop stops watching the listener and goes on
//! serving its clients, and accepts again once one of them leaves (or
//! after `FULL_REST`, in case a socket was freed elsewhere).

use std::time::{Duration, Instant};

use wasock::poll::{Events, Registry, Token};
use wasock::tls::{TlsOptions, TlsSession};
use wasock::{ErrorCode, Interest, RecvFlags, SendFlags, Socket};

/// The most one receive takes.
const RECEIVE_SIZE: usize = 64 * 1024;

/// How many full receives one connection may do in a row (see
/// [`Connection::on_ready`]).
const BURST: usize = 8;

/// The listener's token; connections are named by their slot.
const LISTENER: Token = Token(usize::MAX);

/// The most events one wait returns.
const EVENTS: usize = 1024;

/// How long the listener rests at the socket limit before the loop tries
/// to accept again, unless a connection closes first.
const FULL_REST: Duration = Duration::from_millis(100);

/// One client connection and the echo it still owes.
struct Connection {
    socket: Socket,
    /// Its slot, which is its token in the registry.
    token: Token,
    /// Registered for writable (an echo is owed) rather than readable.
    waiting_to_send: bool,
    /// Received bytes not yet sent back.
    pending: Vec<u8>,
    /// How much of `pending` has been sent.
    sent: usize,
    /// The client went away (end of stream or an error): drop it.
    done: bool,
    /// Under TLS, until the handshake is done: the identity to present
    /// and the peer's address, for the line said when it ends.
    handshake: Option<Handshake>,
}

/// A TLS server handshake under way on a connection.
struct Handshake {
    /// One step of the host's `tls.accept`: the identity, no ALPN, and a
    /// zero timeout (class timeout while the client's next message is
    /// awaited).
    options: TlsOptions,
    identity: String,
    /// The client's address as text, for the line said about it.
    peer: String,
}

impl Handshake {
    fn new(socket: &Socket, identity: &str) -> Handshake {
        let peer = match socket.peer_name() {
            Ok(Some(peer)) => peer.to_string(),
            _ => "an unknown peer".to_owned(),
        };
        Handshake {
            options: TlsOptions::new().timeout(Some(Duration::ZERO)),
            identity: identity.to_owned(),
            peer,
        }
    }
}

/// The line said when a connection's handshake succeeds.
fn describe(peer: &str, session: &TlsSession) -> String {
    format!(
        "tls from {peer}: {} {}, server name {}, protocol {}",
        session.version,
        session.cipher_suite,
        session.server_name.as_deref().unwrap_or("none"),
        session.protocol.as_deref().unwrap_or("none"),
    )
}

fn would_block(error: &wasock::Error) -> bool {
    error.code() == ErrorCode::WouldBlock
}

impl Connection {
    /// A connection registered for readable: with `tls_identity`, it
    /// first handshakes as a TLS server presenting that identity.
    fn new(
        socket: Socket,
        token: Token,
        registry: &Registry,
        tls_identity: Option<&str>,
    ) -> wasock::Result<Self> {
        registry.register(&socket, token, Interest::READABLE)?;
        let handshake = tls_identity.map(|identity| Handshake::new(&socket, identity));
        Ok(Connection {
            socket,
            token,
            waiting_to_send: false,
            pending: Vec::new(),
            sent: 0,
            done: false,
            handshake,
        })
    }

    /// One step of the TLS handshake, the connection being readable: says
    /// one line when it ends, either way. A failed handshake ends the
    /// connection (the server goes on).
    ///
    /// Readable is all a step waits for: the server's own handshake
    /// messages are a few kilobytes, which a fresh connection's send
    /// buffer takes at once.
    fn handshake_step(&mut self) -> wasock::Result<()> {
        let Some(handshake) = &self.handshake else {
            return Ok(());
        };
        match self
            .socket
            .tls_accept_with(&handshake.identity, &handshake.options)
        {
            Ok(session) => {
                eprintln!("{}", describe(&handshake.peer, &session));
                self.handshake = None;
            }
            // Not finished: the client's next message is awaited.
            Err(error) if error.is_timeout() => {}
            Err(error) => {
                eprintln!("tls handshake from {} failed: {error}", handshake.peer);
                self.done = true;
                self.socket.close_quietly();
            }
        }
        Ok(())
    }

    /// Whether an echo is owed (then the connection waits to be writable).
    fn owes(&self) -> bool {
        self.sent < self.pending.len()
    }

    /// Sends what is owed without waiting; on would-block, re-registers
    /// for writable so the loop waits for room, and once all is sent, for
    /// readable again.
    fn flush(&mut self, registry: &Registry) -> wasock::Result<()> {
        while self.owes() {
            match self
                .socket
                .send_with(&self.pending[self.sent..], SendFlags::DONT_WAIT)
            {
                Ok(n) => self.sent += n,
                Err(error) if would_block(&error) => {
                    if !self.waiting_to_send {
                        registry.reregister(&self.socket, self.token, Interest::WRITABLE)?;
                        self.waiting_to_send = true;
                    }
                    return Ok(());
                }
                Err(error) => return Err(error),
            }
        }
        self.pending.clear();
        self.sent = 0;
        if self.waiting_to_send {
            registry.reregister(&self.socket, self.token, Interest::READABLE)?;
            self.waiting_to_send = false;
        }
        Ok(())
    }

    /// Called when the registry reports the socket ready for what it is
    /// registered for: sends what is owed, or receives once and echoes at
    /// once.
    ///
    /// A receive that filled the whole buffer suggests more is waiting, so
    /// while the echoes go out at once it receives again, up to
    /// [`BURST`] times, before going back to the poll (fair to the other
    /// connections, and one `poll` fewer per chunk of a stream).
    fn on_ready(&mut self, registry: &Registry) -> wasock::Result<()> {
        if self.handshake.is_some() {
            return self.handshake_step();
        }
        if self.owes() {
            return self.flush(registry);
        }
        for _ in 0..BURST {
            let data = match self.socket.receive_with(RECEIVE_SIZE, RecvFlags::DONT_WAIT) {
                Ok(data) => data,
                // A stale wake-up, or the burst drained the socket.
                Err(error) if would_block(&error) => return Ok(()),
                Err(error) => return Err(error),
            };
            if data.is_empty() {
                // End of stream, and everything received was echoed:
                // close, which also tells the client we are done.
                self.done = true;
                self.socket.close()?;
                return Ok(());
            }
            let full = data.len() == RECEIVE_SIZE;
            self.pending = data;
            self.sent = 0;
            self.flush(registry)?;
            if !full || self.owes() {
                break;
            }
        }
        Ok(())
    }
}

/// Serves `listener` (bound and listening) until `max_connections` clients
/// have connected and gone, or forever with `None`.
///
/// A failure on one client's connection (a reset, say) ends only that
/// connection, with a line on stderr; a failure of the listener or of the
/// registry ends the loop with that error.
pub fn serve(listener: Socket, max_connections: Option<usize>) -> wasock::Result<()> {
    serve_with(listener, max_connections, None)
}

/// [`serve`] over TLS: each connection is first a TLS server handshake
/// presenting the identity named `identity` (one the host holds: `wasock
/// run --tls-identity NAME=CERT:KEY`), then echoes the plaintext.
///
/// Says one line on stderr per connection when its handshake ends:
/// `tls from PEER: VERSION CIPHER_SUITE, server name NAME, protocol
/// none`, or `tls handshake from PEER failed: ERROR` (the error names its
/// code, `tls-handshake-failed` for a client that refused the
/// certificate); a failed handshake ends only that connection.
/// `max_connections` counts every connection accepted, whether its
/// handshake succeeds or not.
pub fn serve_tls(
    listener: Socket,
    identity: &str,
    max_connections: Option<usize>,
) -> wasock::Result<()> {
    serve_with(listener, max_connections, Some(identity))
}

/// The loop of [`serve`] and [`serve_tls`].
fn serve_with(
    listener: Socket,
    max_connections: Option<usize>,
    tls_identity: Option<&str>,
) -> wasock::Result<()> {
    let registry = Registry::new()?;
    registry.register(&listener, LISTENER, Interest::READABLE)?;
    // `None` once the last connection allowed was accepted.
    let mut listener = Some(listener);
    // Connections by slot (their token); free slots are reused.
    let mut slots: Vec<Option<Connection>> = Vec::new();
    let mut free: Vec<usize> = Vec::new();
    let mut live = 0usize;
    let mut accepted = 0usize;
    let mut events = Events::with_capacity(EVENTS);
    // While at the socket limit: when to try accepting again, the
    // listener being out of the registry meanwhile.
    let mut resting_until: Option<Instant> = None;
    let mut freed = false;
    // Said once per stay at the limit.
    let mut at_limit = false;

    while listener.is_some() || live > 0 {
        let rest = resting_until.map(|until| until.saturating_duration_since(Instant::now()));
        registry.poll(&mut events, rest)?;
        let mut accept_now = false;
        for event in events.iter() {
            if event.token() == LISTENER {
                accept_now = true;
                continue;
            }
            let slot = event.token().0;
            let Some(connection) = slots.get_mut(slot).and_then(Option::as_mut) else {
                continue;
            };
            if let Err(error) = connection.on_ready(&registry) {
                eprintln!("dropping a connection: {error}");
                connection.done = true;
                connection.socket.close_quietly();
            }
            if connection.done {
                // Dropping (or closing) the socket took it out of the
                // registry.
                slots[slot] = None;
                free.push(slot);
                live -= 1;
                freed = true;
            }
        }

        if let (Some(until), Some(socket)) = (resting_until, &listener)
            && (std::mem::take(&mut freed) || Instant::now() >= until)
        {
            // Level-triggered: a connection waiting in the backlog is
            // reported at once.
            registry.register(socket, LISTENER, Interest::READABLE)?;
            resting_until = None;
        }

        if accept_now && let Some(socket) = &listener {
            let allowed = max_connections.map_or(usize::MAX, |max| max.saturating_sub(accepted));
            let (sockets, full) = accept_waiting(socket, allowed)?;
            if let Some(error) = full {
                if !std::mem::replace(&mut at_limit, true) {
                    eprintln!("accepting again when a connection closes: {error}");
                }
                // Still readable, so watching it would wake the loop at
                // once, again and again: rest it instead.
                registry.deregister(socket)?;
                resting_until = Some(Instant::now() + FULL_REST);
                freed = false;
            }
            if !sockets.is_empty() {
                at_limit = false;
            }
            for socket in sockets {
                let slot = free.pop().unwrap_or_else(|| {
                    slots.push(None);
                    slots.len() - 1
                });
                match Connection::new(socket, Token(slot), &registry, tls_identity) {
                    Ok(connection) => {
                        slots[slot] = Some(connection);
                        live += 1;
                    }
                    Err(error) => {
                        eprintln!("dropping a connection: {error}");
                        free.push(slot);
                    }
                }
                accepted += 1;
            }
            if max_connections.is_some_and(|max| accepted >= max)
                && let Some(socket) = listener.take()
            {
                socket.close_quietly();
            }
        }
    }
    Ok(())
}

/// Accepts the connections already waiting, at most `allowed`. Called when the listener was reported readable, so the first
/// accept goes ahead (with a zero timeout, so it cannot block even if the
/// connection went away meanwhile); then `socket-accept-ready?` says
/// without blocking whether another is waiting.
///
/// A connection that went away before it was accepted (a transient error)
/// is skipped; at the socket limit it stops with that error beside what it
/// accepted, the connection left waiting in the backlog; any other error
/// ends the server.
fn accept_waiting(
    listener: &Socket,
    allowed: usize,
) -> wasock::Result<(Vec<Socket>, Option<wasock::Error>)> {
    let mut accepted = Vec::new();
    let mut first = true;
    while accepted.len() < allowed && (std::mem::take(&mut first) || listener.accept_ready()?) {
        match listener.accept_timeout(Some(Duration::ZERO)) {
            Ok(socket) => accepted.push(socket),
            // Nothing waiting after all (a stale wake-up).
            Err(error) if error.is_timeout() => break,
            Err(error) if error.code() == ErrorCode::TooManySockets => {
                return Ok((accepted, Some(error)));
            }
            Err(error) if error.is_transient() => {
                eprintln!("a connection went away before accept: {error}")
            }
            Err(error) => return Err(error),
        }
    }
    Ok((accepted, None))
}
