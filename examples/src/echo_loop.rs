//! A stream echo server for many clients at once in one thread, driven by
//! [`wasock::poll::Poller`] (`poll(2)` over the sockets' pollables).
//!
//! The loop is non-blocking in spirit: it receives only from a connection
//! the poller reported readable and sends only to one it reported writable,
//! so an idle or slow client never holds up the others. Each connection
//! keeps the bytes it received but could not send back yet, and while it
//! has any it waits to be writable instead of readable: that bounds its
//! memory to one receive and pushes back on a client that sends faster than
//! it reads.

use wasock::poll::{Poller, Token};
use wasock::{Interest, Socket};

/// The most one receive takes.
const RECEIVE_SIZE: usize = 64 * 1024;

/// The listener's token when it is registered.
const LISTENER: Token = Token(usize::MAX);

/// One client connection and the echo it still owes.
struct Connection {
    socket: Socket,
    /// Received bytes not yet sent back.
    pending: Vec<u8>,
    /// How much of `pending` has been sent.
    sent: usize,
    /// The client went away (end of stream or an error): drop it.
    done: bool,
}

impl Connection {
    fn new(socket: Socket) -> Self {
        Connection { socket, pending: Vec::new(), sent: 0, done: false }
    }

    /// What to wait for: room to send while an echo is owed, else data.
    fn interest(&self) -> Interest {
        if self.sent < self.pending.len() { Interest::WRITABLE } else { Interest::READABLE }
    }

    /// Called when the poller reports the socket ready for
    /// [`Connection::interest`]: one receive or one send, which therefore
    /// does not wait.
    fn on_ready(&mut self) -> wasock::Result<()> {
        if self.sent < self.pending.len() {
            self.sent += self.socket.send(&self.pending[self.sent..])?;
            return Ok(());
        }
        let data = self.socket.receive(RECEIVE_SIZE)?;
        if data.is_empty() {
            // End of stream, and everything received was echoed: close,
            // which also tells the client we are done.
            self.done = true;
            self.socket.close()?;
        } else {
            self.pending = data;
            self.sent = 0;
        }
        Ok(())
    }
}

/// Serves `listener` (bound and listening) until `max_connections` clients
/// have connected and gone, or forever with `None`.
///
/// A failure on one client's connection (a reset, say) ends only that
/// connection, with a line on stderr; a failure of the listener or of the
/// poller ends the loop with that error.
pub fn serve(listener: Socket, max_connections: Option<usize>) -> wasock::Result<()> {
    // `None` once the last connection allowed was accepted.
    let mut listener = Some(listener);
    let mut connections: Vec<Connection> = Vec::new();
    let mut accepted = 0usize;

    while listener.is_some() || !connections.is_empty() {
        // Wait until some socket can make progress. A poller borrows the
        // sockets it watches, so it lives for one round; a connection's
        // token is its index.
        let ready = {
            let mut poller = Poller::new();
            for (index, connection) in connections.iter().enumerate() {
                poller.register(&connection.socket, connection.interest(), Token(index));
            }
            if let Some(socket) = &listener {
                poller.register(socket, Interest::READABLE, LISTENER);
            }
            poller.wait(None)?
        };
        for Token(index) in ready {
            // (The listener's token matches no connection: accepting follows.)
            let Some(connection) = connections.get_mut(index) else { continue };
            if let Err(error) = connection.on_ready() {
                eprintln!("dropping a connection: {error}");
                connection.done = true;
                connection.socket.close_quietly();
            }
        }
        // Tokens are indexes, so finished connections go only between rounds.
        connections.retain(|connection| !connection.done);

        if let Some(socket) = &listener {
            let allowed = max_connections.map_or(usize::MAX, |max| max.saturating_sub(accepted));
            accepted += accept_waiting(socket, allowed, &mut connections)?;
            if max_connections.is_some_and(|max| accepted >= max)
                && let Some(socket) = listener.take()
            {
                socket.close_quietly();
            }
        }
    }
    Ok(())
}

/// Accepts the connections already waiting (`socket-accept-ready?` says so
/// without blocking), at most `allowed`; returns how many.
///
/// A connection that went away before it was accepted (a transient error)
/// is skipped; any other error ends the server.
fn accept_waiting(listener: &Socket, allowed: usize, connections: &mut Vec<Connection>) -> wasock::Result<usize> {
    let mut accepted = 0;
    while accepted < allowed && listener.accept_ready()? {
        match listener.accept() {
            Ok(socket) => {
                connections.push(Connection::new(socket));
                accepted += 1;
            }
            Err(error) if error.is_transient() => eprintln!("a connection went away before accept: {error}"),
            Err(error) => return Err(error),
        }
    }
    Ok(accepted)
}
