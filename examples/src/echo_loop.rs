//! A stream echo server for many clients at once in one thread, driven by
//! `wasi:io/poll` ([`wasock::poll::wait_any`] over standing
//! [`Subscription`]s).
//!
//! The loop never blocks on one client: it receives only from a connection
//! reported readable and sends back at once without waiting
//! (`MSG_DONTWAIT`); what the client's socket cannot take yet stays with
//! the connection, which then waits to be writable instead of readable.
//! That bounds each connection's memory to one receive and pushes back on a
//! client that sends faster than it reads. So an idle or slow client never
//! holds up the others.
//!
//! Each connection subscribes once (readable at accept, writable the first
//! time a send would block) and keeps its subscriptions for its life: a
//! round costs one `poll` plus the receive and send that do the work.

use std::time::Duration;

use wasock::poll::{Subscription, wait_any};
use wasock::{ErrorCode, Interest, RecvFlags, SendFlags, Socket};

/// The most one receive takes.
const RECEIVE_SIZE: usize = 64 * 1024;

/// How many full receives one connection may do in a row (see
/// [`Connection::on_ready`]).
const BURST: usize = 8;

/// One client connection and the echo it still owes.
struct Connection {
    /// Readiness to receive, subscribed at accept.
    readable: Subscription,
    /// Readiness to send, subscribed the first time a send would block.
    writable: Option<Subscription>,
    socket: Socket,
    /// Received bytes not yet sent back.
    pending: Vec<u8>,
    /// How much of `pending` has been sent.
    sent: usize,
    /// The client went away (end of stream or an error): drop it.
    done: bool,
}

fn would_block(error: &wasock::Error) -> bool {
    error.code() == ErrorCode::WouldBlock
}

impl Connection {
    fn new(socket: Socket) -> Self {
        let readable = Subscription::new(&socket, Interest::READABLE);
        Connection {
            readable,
            writable: None,
            socket,
            pending: Vec::new(),
            sent: 0,
            done: false,
        }
    }

    /// Whether an echo is owed (then the connection waits to be writable).
    fn owes(&self) -> bool {
        self.sent < self.pending.len()
    }

    /// What to wait for: room to send while an echo is owed, else data.
    /// (`None` only if owing without a writable subscription, which
    /// [`Connection::flush`] never leaves.)
    fn subscription(&self) -> Option<&Subscription> {
        if self.owes() {
            self.writable.as_ref()
        } else {
            Some(&self.readable)
        }
    }

    /// Sends what is owed without waiting; on would-block, subscribes to
    /// writability (once) so the loop waits for room.
    fn flush(&mut self) -> wasock::Result<()> {
        while self.owes() {
            match self
                .socket
                .send_with(&self.pending[self.sent..], SendFlags::DONT_WAIT)
            {
                Ok(n) => self.sent += n,
                Err(error) if would_block(&error) => {
                    if self.writable.is_none() {
                        self.writable = Some(Subscription::new(&self.socket, Interest::WRITABLE));
                    }
                    return Ok(());
                }
                Err(error) => return Err(error),
            }
        }
        self.pending.clear();
        self.sent = 0;
        Ok(())
    }

    /// Called when the poller reports the socket ready for what
    /// [`Connection::subscription`] watches: sends what is owed, or
    /// receives once and echoes at once.
    ///
    /// A receive that filled the whole buffer suggests more is waiting, so
    /// while the echoes go out at once it receives again, up to
    /// [`BURST`] times, before going back to the poll (fair to the other
    /// connections, and one `poll` fewer per chunk of a stream).
    fn on_ready(&mut self) -> wasock::Result<()> {
        if self.owes() {
            return self.flush();
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
            self.flush()?;
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
/// poll ends the loop with that error.
pub fn serve(listener: Socket, max_connections: Option<usize>) -> wasock::Result<()> {
    // `None` once the last connection allowed was accepted.
    let mut listener = Some((Subscription::new(&listener, Interest::READABLE), listener));
    let mut connections: Vec<Connection> = Vec::new();
    let mut accepted = 0usize;
    // Which connection each entry of the wait list is (the listener last).
    let mut owners: Vec<usize> = Vec::new();

    while listener.is_some() || !connections.is_empty() {
        // Wait until some socket can make progress.
        let ready = {
            owners.clear();
            let mut list: Vec<&Subscription> = Vec::with_capacity(connections.len() + 1);
            for (index, connection) in connections.iter().enumerate() {
                if let Some(subscription) = connection.subscription() {
                    list.push(subscription);
                    owners.push(index);
                }
            }
            if let Some((incoming, _)) = &listener {
                list.push(incoming);
            }
            wait_any(&list, None)?
        };
        let mut accept_now = false;
        for entry in ready {
            let Some(&index) = owners.get(entry) else {
                // The entry past the connections is the listener.
                accept_now = true;
                continue;
            };
            let connection = &mut connections[index];
            if let Err(error) = connection.on_ready() {
                eprintln!("dropping a connection: {error}");
                connection.done = true;
                connection.socket.close_quietly();
            }
        }
        // Wait-list entries are indexes, so finished connections go only
        // between rounds.
        connections.retain(|connection| !connection.done);

        if accept_now && let Some((_, socket)) = &listener {
            let allowed = max_connections.map_or(usize::MAX, |max| max.saturating_sub(accepted));
            accepted += accept_waiting(socket, allowed, &mut connections)?;
            if max_connections.is_some_and(|max| accepted >= max)
                && let Some((_, socket)) = listener.take()
            {
                socket.close_quietly();
            }
        }
    }
    Ok(())
}

/// Accepts the connections already waiting, at most `allowed`; returns how
/// many. Called when the listener was reported readable, so the first
/// accept goes ahead (with a zero timeout, so it cannot block even if the
/// connection went away meanwhile); then `socket-accept-ready?` says
/// without blocking whether another is waiting.
///
/// A connection that went away before it was accepted (a transient error)
/// is skipped; any other error ends the server.
fn accept_waiting(
    listener: &Socket,
    allowed: usize,
    connections: &mut Vec<Connection>,
) -> wasock::Result<usize> {
    let mut accepted = 0;
    let mut first = true;
    while accepted < allowed && (std::mem::take(&mut first) || listener.accept_ready()?) {
        match listener.accept_timeout(Some(Duration::ZERO)) {
            Ok(socket) => {
                connections.push(Connection::new(socket));
                accepted += 1;
            }
            // Nothing waiting after all (a stale wake-up).
            Err(error) if error.is_timeout() => break,
            Err(error) if error.is_transient() => {
                eprintln!("a connection went away before accept: {error}")
            }
            Err(error) => return Err(error),
        }
    }
    Ok(accepted)
}
