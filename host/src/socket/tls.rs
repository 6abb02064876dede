//! TLS on a connected stream socket, done by the host (WIT `tls`).
//!
//! The guest's socket keeps its OS socket; after a handshake, the calls
//! that move data (`send`, `receive`) carry plaintext for the guest and
//! TLS records on the wire, through a rustls connection kept here. The
//! guest never sees a key or a record: only plaintext, and what the
//! handshake agreed ([`TlsSession`]).
//!
//! Three buffers sit between the guest and the OS, each bounded:
//!
//! - the inbox: records read from the OS and not yet given to rustls (at
//!   most [`INBOX_CAP`]; one `recv(2)` fills it, so a stream costs one
//!   syscall per 64 KiB, not one per rustls's 4 KiB reads);
//! - rustls's own: decrypted bytes not yet given to the guest (at most
//!   what one read of the inbox decrypts: rustls refuses more than
//!   16 KiB buffered, and the inbox is only read when none is), and a
//!   peek's copy of them;
//! - the outbox ([`Outbox`]): records rustls made and the OS had no room
//!   for yet. A send waits (or says `would-block`) while more than
//!   [`OUTBOX_LIMIT`] wait there; a task writes them out when the socket
//!   has room even if the guest makes no further call (so a guest that
//!   sent a request and then waits for the answer never leaves its request
//!   stuck here), and a close or `shutdown(send)` sends its `close_notify`
//!   after them.
//!
//! Readiness: decrypted bytes held here are invisible to the OS, so the
//! socket's [`WatchCell`] says when there are some, and `subscribe`, the
//! poll sets and `receive-ready` count them as readable.

use std::io::{self, Read, Write};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rustls::pki_types::ServerName;
use socket2::Socket as OsSocket;
use tokio::io::unix::AsyncFd;

use super::readiness::{WatchCell, wait_on};
use super::{Kind, Readiness, RecvFlags, SendFlags, Socket, State, is_would_block, with_timeout};
use crate::accounting::Slot;
use crate::error::{Error, ErrorClass, ErrorCode};

/// The most records read from the OS in one `recv(2)` and held until
/// rustls takes them.
pub(super) const INBOX_CAP: usize = 64 * 1024;

/// The most plaintext one `send` encrypts (a plain stream send may also
/// send less than it is given).
const SEND_CHUNK: usize = 64 * 1024;

/// The most records that may wait in the outbox before a send waits for
/// the OS to take some (a send's own records may add up to one chunk's
/// worth on top).
const OUTBOX_LIMIT: usize = 64 * 1024;

/// How long the outbox's task waits for the OS to take more records
/// before it gives up on a peer that reads nothing (the connection is
/// then failed, and a closed socket's descriptor let go).
const FLUSH_STALL_LIMIT: Duration = Duration::from_secs(30);

/// What a handshake agreed (WIT `session`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TlsSession {
    /// Client: the name the certificate was verified for. Server: the
    /// name the client asked for (SNI), if any.
    pub server_name: Option<String>,
    /// The application protocol both sides chose (ALPN), if any.
    pub protocol: Option<String>,
    /// `TLSv1_3` or `TLSv1_2`.
    pub version: String,
    /// The cipher suite's IANA name.
    pub cipher_suite: String,
}

/// Which side of a handshake the host takes, with what.
#[derive(Debug)]
pub enum Handshake {
    /// A client verifying the server's certificate for `name` against
    /// the configuration's roots (its ALPN list already set).
    Client {
        /// Roots and application protocols.
        config: Arc<rustls::ClientConfig>,
        /// The name the server's certificate must carry.
        name: ServerName<'static>,
    },
    /// A server presenting the configuration's identity (its ALPN list
    /// already set).
    Server {
        /// The identity and application protocols.
        config: Arc<rustls::ServerConfig>,
    },
}

impl Handshake {
    fn is_client(&self) -> bool {
        matches!(self, Handshake::Client { .. })
    }

    fn operation(&self) -> &'static str {
        if self.is_client() {
            "tls connect"
        } else {
            "tls accept"
        }
    }
}

/// Why a TLS call failed (WIT `tls-error`).
#[derive(Debug)]
pub enum TlsFailure {
    /// The handshake failed; rustls's reason.
    Handshake(String),
    /// Anything else, as every socket call reports it.
    Socket(Error),
}

impl From<Error> for TlsFailure {
    fn from(error: Error) -> Self {
        TlsFailure::Socket(error)
    }
}

/// Records on their way to the OS, shared with the task that writes them
/// out when the guest makes no call (see the module's documentation).
#[derive(Debug, Default)]
pub(super) struct Outbox {
    state: Mutex<OutboxState>,
}

#[derive(Debug, Default)]
struct OutboxState {
    bytes: Vec<u8>,
    /// How much of `bytes` the OS took.
    sent: usize,
    /// The errno a write failed with: every later write fails with it.
    failed: Option<i32>,
    /// A task is writing the records out.
    flushing: bool,
    /// `shutdown(2)` to make once the records are out (a `shutdown(send)`
    /// that came while some waited).
    then_shutdown: Option<std::net::Shutdown>,
    /// The socket's slot, once the guest closed it while records waited:
    /// given back when the task lets the descriptor go.
    slot: Option<Slot>,
}

impl Outbox {
    fn lock(&self) -> std::sync::MutexGuard<'_, OutboxState> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Takes the records rustls has made.
    fn take_from(&self, conn: &mut rustls::Connection) {
        if !conn.wants_write() {
            return;
        }
        let mut state = self.lock();
        while conn.wants_write() {
            // Writing into a `Vec` cannot fail.
            if conn.write_tls(&mut state.bytes).is_err() {
                break;
            }
        }
    }

    /// How many bytes of records wait.
    fn queued(&self) -> usize {
        let state = self.lock();
        state.bytes.len() - state.sent
    }

    /// Writes waiting records to the OS without waiting: `true` when none
    /// is left. A write error fails this and every later flush.
    fn flush(&self, socket: &OsSocket) -> io::Result<bool> {
        let mut state = self.lock();
        if let Some(errno) = state.failed {
            return Err(io::Error::from_raw_os_error(errno));
        }
        while state.sent < state.bytes.len() {
            match socket.send_with_flags(&state.bytes[state.sent..], libc::MSG_NOSIGNAL) {
                Ok(n) => state.sent += n,
                Err(e) if is_would_block(&e) => return Ok(false),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    state.failed = Some(e.raw_os_error().unwrap_or(libc::EIO));
                    return Err(e);
                }
            }
        }
        // Out: an idle connection holds no buffer of its own.
        state.bytes = Vec::new();
        state.sent = 0;
        if let Some(how) = state.then_shutdown.take() {
            let _ = socket.shutdown(how);
        }
        Ok(true)
    }

    /// Starts the task that writes the waiting records out as the OS takes
    /// them (one at a time per socket). It holds the descriptor until it
    /// is done, and gives back the slot a close left with it. Without a
    /// runtime, nothing is started (the records are lost with the socket).
    fn write_out(self: &Arc<Self>, fd: &Arc<AsyncFd<OsSocket>>) {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        {
            let mut state = self.lock();
            if state.flushing {
                return;
            }
            state.flushing = true;
        }
        let outbox = self.clone();
        let fd = fd.clone();
        runtime.spawn(async move {
            let writable = Readiness {
                readable: false,
                writable: true,
            };
            loop {
                let room = tokio::time::timeout(FLUSH_STALL_LIMIT, wait_on(&fd, writable)).await;
                if room.is_err() {
                    // The peer took nothing for that long: the connection
                    // is as good as gone.
                    outbox.lock().failed = Some(libc::ETIMEDOUT);
                    break;
                }
                match outbox.flush(fd.get_ref()) {
                    Ok(false) => continue,
                    Ok(true) | Err(_) => break,
                }
            }
            let slot = {
                let mut state = outbox.lock();
                state.flushing = false;
                state.slot.take()
            };
            // The descriptor closes here if the guest let go of it, then
            // its slot is given back.
            drop(fd);
            drop(slot);
        });
    }

    /// Keeps `slot` until the records are out (the guest closed the
    /// socket): `false` when no task is writing them, so the caller keeps
    /// it.
    fn adopt_slot(&self, slot: &mut Option<Slot>) -> bool {
        let mut state = self.lock();
        if !state.flushing {
            return false;
        }
        state.slot = slot.take();
        true
    }
}

/// `send(2)` as `io::Write`, for rustls's `write_tls`.
struct OsWriter<'a>(&'a OsSocket);

impl Write for OsWriter<'_> {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.0.send_with_flags(bytes, libc::MSG_NOSIGNAL)
    }

    fn write_vectored(&mut self, bytes: &[io::IoSlice<'_>]) -> io::Result<usize> {
        // One sendmsg(2) for every record rustls has ready.
        self.0.send_vectored_with_flags(bytes, libc::MSG_NOSIGNAL)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// The result of one step of reading plaintext.
enum Got {
    /// This many bytes were added.
    Data,
    /// End of file: `close_notify`, or the connection's own end.
    Eof,
    /// Nothing now: the OS has nothing either.
    WouldBlock,
}

/// A socket's TLS connection.
#[derive(Debug)]
pub(crate) struct TlsConnection {
    conn: rustls::Connection,
    /// Client: the name verified for. Server: none (SNI comes from rustls).
    client_name: Option<String>,
    outbox: Arc<Outbox>,
    /// Records read from the OS, from `inbox_at` on not yet given to
    /// rustls.
    inbox: Vec<u8>,
    inbox_at: usize,
    /// Decrypted bytes a peek took out of rustls, handed out first.
    peeked: Vec<u8>,
    /// Decrypted bytes rustls holds.
    pending: usize,
    /// The peer sent `close_notify`.
    peer_closed: bool,
    /// The OS socket reached end of file.
    eof: bool,
    /// Why the connection failed (a bad record, a failed handshake):
    /// every later call fails with it.
    failed: Option<String>,
    /// Set when the handshake completed.
    session: Option<TlsSession>,
    /// Counts the reads of records that brought decrypted bytes.
    arrivals: u64,
    /// Records rustls made that wait in it for the guest's next send
    /// (a TLS 1.3 server's session tickets): see `handshake_step`.
    hold_output: bool,
}

impl TlsConnection {
    fn start(handshake: &Handshake) -> Result<TlsConnection, TlsFailure> {
        let op = handshake.operation();
        let (conn, client_name) = match handshake {
            Handshake::Client { config, name } => {
                let conn = rustls::ClientConnection::new(config.clone(), name.clone())
                    .map_err(|e| Error::invalid_argument(op, e))?;
                (
                    rustls::Connection::Client(conn),
                    Some(name.to_str().into_owned()),
                )
            }
            Handshake::Server { config } => {
                let conn = rustls::ServerConnection::new(config.clone())
                    .map_err(|e| Error::invalid_argument(op, e))?;
                (rustls::Connection::Server(conn), None)
            }
        };
        Ok(TlsConnection {
            conn,
            client_name,
            outbox: Arc::default(),
            inbox: Vec::new(),
            inbox_at: 0,
            peeked: Vec::new(),
            pending: 0,
            peer_closed: false,
            eof: false,
            failed: None,
            session: None,
            arrivals: 0,
            hold_output: false,
        })
    }

    fn is_client(&self) -> bool {
        matches!(self.conn, rustls::Connection::Client(_))
    }

    /// The session, once the handshake completed.
    pub(crate) fn session(&self) -> Option<&TlsSession> {
        self.session.as_ref()
    }

    fn describe(&self) -> TlsSession {
        let server_name = match &self.conn {
            rustls::Connection::Client(_) => self.client_name.clone(),
            rustls::Connection::Server(conn) => conn.server_name().map(str::to_owned),
        };
        TlsSession {
            server_name,
            protocol: self
                .conn
                .alpn_protocol()
                .map(|p| String::from_utf8_lossy(p).into_owned()),
            version: self
                .conn
                .protocol_version()
                .map(|v| format!("{v:?}"))
                .unwrap_or_default(),
            cipher_suite: self
                .conn
                .negotiated_cipher_suite()
                .map(|s| format!("{:?}", s.suite()))
                .unwrap_or_default(),
        }
    }

    /// Whether decrypted bytes (or the peer's `close_notify`) wait here.
    fn holds(&self) -> bool {
        self.pending > 0 || !self.peeked.is_empty() || self.peer_closed
    }

    /// The error every call on a failed connection answers.
    fn failure(&self, operation: &str) -> Option<Error> {
        self.failed.as_ref().map(|why| {
            Error::new(
                ErrorClass::Fatal,
                ErrorCode::ConnectionAborted,
                format!("{operation}: the TLS connection failed: {why}"),
            )
        })
    }

    /// Writes what rustls made, as far as the OS takes it now.
    fn push_out(&mut self, socket: &OsSocket, operation: &str) -> Result<bool, Error> {
        if self.outbox.queued() == 0 {
            // Nothing waits: rustls writes its records straight to the OS
            // (no copy through the outbox), and only what the OS has no
            // room for goes there.
            let mut writer = OsWriter(socket);
            while self.conn.wants_write() {
                match self.conn.write_tls(&mut writer) {
                    Ok(_) => {}
                    Err(e) if is_would_block(&e) => break,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => {
                        self.outbox.lock().failed = Some(e.raw_os_error().unwrap_or(libc::EIO));
                        return Err(Error::io(operation, &e));
                    }
                }
            }
        }
        self.outbox.take_from(&mut self.conn);
        self.outbox
            .flush(socket)
            .map_err(|e| Error::io(operation, &e))
    }

    /// Gives rustls records from the inbox, reading the OS when it is
    /// empty (if `may_read_os`). `Ok(false)`: nothing new (the OS would
    /// block, or is at end of file: see `eof`).
    fn take_in(
        &mut self,
        socket: &OsSocket,
        operation: &str,
        may_read_os: bool,
    ) -> Result<bool, TlsFailure> {
        if self.inbox_at == self.inbox.len() {
            if !may_read_os || self.eof {
                return Ok(false);
            }
            self.inbox.clear();
            self.inbox_at = 0;
            match crate::sys::recv_append(socket, &mut self.inbox, INBOX_CAP, 0, false) {
                Ok((0, _)) => {
                    self.eof = true;
                    return Ok(false);
                }
                Ok(_) => {}
                Err(e) if is_would_block(&e) || e.kind() == io::ErrorKind::Interrupted => {
                    return Ok(false);
                }
                Err(e) => return Err(Error::io(operation, &e).into()),
            }
        }
        let mut unread = &self.inbox[self.inbox_at..];
        let taken = self
            .conn
            .read_tls(&mut unread)
            .map_err(|e| Error::io(operation, &e))?;
        self.inbox_at += taken;
        if self.inbox_at == self.inbox.len() {
            // Drained: an idle connection holds no buffer of its own.
            self.inbox = Vec::new();
            self.inbox_at = 0;
        }
        match self.conn.process_new_packets() {
            Ok(state) => {
                let pending = state.plaintext_bytes_to_read();
                if pending > self.pending {
                    self.arrivals += 1;
                }
                self.pending = pending;
                self.peer_closed |= state.peer_has_closed();
                // Answers rustls owes the peer (a key update, a session
                // ticket); the OS may take them later. Held, as the
                // handshake's tickets are, until the guest sends.
                if !self.hold_output && !(self.session.is_none() && self.ends_with_tickets()) {
                    self.push_out(socket, operation)?;
                }
                Ok(true)
            }
            Err(e) => {
                // rustls queued an alert saying why: send it if it goes.
                let _ = self.push_out(socket, operation);
                let why = e.to_string();
                self.failed = Some(why.clone());
                if self.session.is_none() {
                    Err(TlsFailure::Handshake(why))
                } else {
                    Err(self.failure(operation).expect("failed").into())
                }
            }
        }
    }

    /// Whether this is a TLS 1.3 server whose handshake is over: what
    /// rustls has to send then is only session tickets (see
    /// `handshake_step`).
    fn ends_with_tickets(&self) -> bool {
        !self.is_client()
            && !self.conn.is_handshaking()
            && self.conn.protocol_version() == Some(rustls::ProtocolVersion::TLSv1_3)
    }

    /// One step of a handshake without waiting: `None` when it is done,
    /// else what to wait for.
    fn handshake_step(
        &mut self,
        socket: &OsSocket,
        operation: &str,
    ) -> Result<Option<Readiness>, TlsFailure> {
        loop {
            let done = !self.conn.is_handshaking();
            // A TLS 1.3 server's handshake ends with nothing the client
            // waits for, only session tickets: they go out with the first
            // records the guest sends, in one segment. Sent on their own,
            // they would be unacknowledged data in flight when a small
            // first answer follows, and Nagle's algorithm would hold that
            // answer until the client's delayed acknowledgement (up to
            // 40 ms; measured in BENCHMARKS.md, "TLS").
            let hold = done && self.ends_with_tickets();
            if !hold && !self.push_out(socket, operation)? {
                return Ok(Some(Readiness {
                    readable: false,
                    writable: true,
                }));
            }
            if done {
                self.hold_output = hold;
                self.session = Some(self.describe());
                return Ok(None);
            }
            if !self.take_in(socket, operation, true)? {
                if self.eof {
                    let why = "the peer closed the connection during the handshake".to_owned();
                    self.failed = Some(why.clone());
                    return Err(TlsFailure::Handshake(why));
                }
                return Ok(Some(Readiness {
                    readable: true,
                    writable: false,
                }));
            }
        }
    }

    /// One step of a receive: hands out decrypted bytes (up to `room`,
    /// appended to `out`; copies only, for a peek), else gives rustls more
    /// records (reading the OS if `may_read_os`).
    fn read_step(
        &mut self,
        socket: &OsSocket,
        operation: &str,
        out: &mut Vec<u8>,
        room: usize,
        peek: bool,
        may_read_os: bool,
    ) -> Result<Got, TlsFailure> {
        loop {
            if !self.peeked.is_empty() {
                let n = room.min(self.peeked.len());
                out.extend_from_slice(&self.peeked[..n]);
                if !peek {
                    self.peeked.drain(..n);
                    if self.peeked.is_empty() {
                        self.peeked = Vec::new();
                    }
                }
                return Ok(Got::Data);
            }
            if self.pending > 0 {
                if peek {
                    let mut held = vec![0; self.pending];
                    let n = self.conn.reader().read(&mut held).unwrap_or(0);
                    held.truncate(n);
                    self.pending -= n;
                    self.peeked = held;
                    if n == 0 {
                        self.pending = 0;
                    }
                    continue;
                }
                let start = out.len();
                let want = room.min(self.pending);
                out.resize(start + want, 0);
                let n = self.conn.reader().read(&mut out[start..]).unwrap_or(0);
                out.truncate(start + n);
                if n == 0 {
                    // rustls holds less than it said: trust the reader.
                    self.pending = 0;
                    continue;
                }
                self.pending -= n;
                return Ok(Got::Data);
            }
            if self.peer_closed {
                return Ok(Got::Eof);
            }
            if !self.take_in(socket, operation, may_read_os)? {
                return Ok(if self.eof && self.inbox_at == self.inbox.len() {
                    // Without `close_notify` too (WIT: "also when the peer
                    // closes the connection without one").
                    Got::Eof
                } else {
                    Got::WouldBlock
                });
            }
        }
    }
}

impl Socket {
    fn tls_ready(&self, operation: &str) -> Result<&TlsConnection, Error> {
        let tls = self.tls.as_deref().expect("a TLS socket");
        if let Some(error) = tls.failure(operation) {
            return Err(error);
        }
        if tls.session.is_none() {
            return Err(Error::invalid_state(
                operation,
                "the TLS handshake is not finished (call tls connect or tls accept again)",
            ));
        }
        Ok(tls)
    }

    /// Whether a TLS handshake started on this socket.
    pub fn is_tls(&self) -> bool {
        self.tls.is_some()
    }

    /// What the handshake agreed, once it completed.
    pub fn tls_session(&self) -> Option<&TlsSession> {
        self.tls.as_deref().and_then(TlsConnection::session)
    }

    /// Tells the pollables whether decrypted bytes wait here, and whether
    /// new ones came since `arrivals_before` (an edge-triggered
    /// registration reports each arrival once).
    fn note_held(watch: &WatchCell, tls: &TlsConnection, arrivals_before: u64) {
        if tls.holds() && tls.arrivals != arrivals_before {
            watch.arrived();
        } else {
            watch.set_held(tls.holds());
        }
    }

    /// A TLS handshake on this connected stream (WIT `tls.connect`,
    /// `tls.accept`), waiting under `timeout`. A handshake the timeout
    /// interrupted goes on at the next call of the same side.
    pub async fn tls_handshake(
        &mut self,
        handshake: Handshake,
        timeout: Option<Duration>,
    ) -> Result<TlsSession, TlsFailure> {
        let operation = handshake.operation();
        let fd = self.open(operation)?.clone();
        if self.kind != Kind::Stream || self.state != State::Connected {
            return Err(
                Error::invalid_state(operation, "the socket is not a connected stream").into(),
            );
        }
        if !handshake.is_client() && !self.accepted {
            // An identity is presented to peers that came to the guest's
            // listeners, never to one the guest chose to connect to.
            return Err(Error::invalid_state(
                operation,
                "an identity is presented only on a connection a listener accepted",
            )
            .into());
        }
        match self.tls.as_deref() {
            None => self.tls = Some(Box::new(TlsConnection::start(&handshake)?)),
            Some(tls) if tls.is_client() != handshake.is_client() => {
                return Err(Error::invalid_state(
                    operation,
                    "a handshake of the other side is under way on this socket",
                )
                .into());
            }
            Some(tls) if tls.session.is_some() => {
                return Err(Error::invalid_state(operation, "TLS is on already").into());
            }
            Some(tls) => {
                if let Some(why) = &tls.failed {
                    return Err(TlsFailure::Handshake(why.clone()));
                }
            }
        }
        let tls = self.tls.as_deref_mut().expect("started");
        let steps = async {
            loop {
                match tls.handshake_step(fd.get_ref(), operation)? {
                    None => return Ok(()),
                    Some(interest) => wait_on(&fd, interest).await,
                }
            }
        };
        let result: Result<(), TlsFailure> = match timeout {
            None => steps.await,
            Some(limit) => tokio::time::timeout(limit, steps)
                .await
                .unwrap_or_else(|_| Err(Error::timeout(operation).into())),
        };
        Socket::note_held(&self.watch, tls, 0);
        result?;
        Ok(tls.session.clone().expect("done"))
    }

    /// `send` on a TLS socket: encrypts up to 64 KiB of `data` and hands
    /// the records to the OS, or to the outbox where the OS has no room.
    pub(super) async fn tls_send(
        &mut self,
        data: &[u8],
        flags: SendFlags,
        timeout: Option<Duration>,
    ) -> Result<usize, Error> {
        const OP: &str = "send";
        let fd = self.open(OP)?.clone();
        self.tls_ready(OP)?;
        if flags.oob {
            return Err(Error::unsupported(
                OP,
                ErrorCode::OperationNotSupported,
                "TLS carries no out-of-band data",
            ));
        }
        let tls = self.tls.as_deref_mut().expect("a TLS socket");
        let room = async {
            loop {
                tls.outbox
                    .flush(fd.get_ref())
                    .map_err(|e| Error::io(OP, &e))?;
                if tls.outbox.queued() < OUTBOX_LIMIT {
                    return Ok(());
                }
                if flags.dont_wait {
                    return Err(Error::errno(OP, libc::EWOULDBLOCK));
                }
                wait_on(
                    &fd,
                    Readiness {
                        readable: false,
                        writable: true,
                    },
                )
                .await;
            }
        };
        with_timeout(OP, timeout, room).await?;
        if data.is_empty() {
            return Ok(0);
        }
        let chunk = &data[..data.len().min(SEND_CHUNK)];
        let taken = tls
            .conn
            .writer()
            .write(chunk)
            .map_err(|e| Error::io(OP, &e))?;
        tls.hold_output = false;
        if !tls.push_out(fd.get_ref(), OP)? {
            tls.outbox.write_out(&fd);
        }
        Ok(taken)
    }

    /// `receive` / `receive-from` on a TLS socket: decrypted bytes, at
    /// most `limit`, waiting under `timeout` (the whole call).
    pub(super) async fn tls_receive(
        &mut self,
        operation: &str,
        limit: usize,
        flags: RecvFlags,
        timeout: Option<Duration>,
    ) -> Result<Vec<u8>, Error> {
        let fd = self.open(operation)?.clone();
        self.tls_ready(operation)?;
        if flags.oob {
            return Err(Error::unsupported(
                operation,
                ErrorCode::OperationNotSupported,
                "TLS carries no out-of-band data",
            ));
        }
        let watch = self.watch.clone();
        let tls = self.tls.as_deref_mut().expect("a TLS socket");
        let arrivals_before = tls.arrivals;
        let mut buffer = Vec::new();
        let mut step = |buffer: &mut Vec<u8>, may_read_os: bool| {
            tls.read_step(
                fd.get_ref(),
                operation,
                buffer,
                limit - buffer.len(),
                flags.peek,
                may_read_os,
            )
            .map_err(|failure| match failure {
                TlsFailure::Socket(error) => error,
                TlsFailure::Handshake(why) => Error::new(
                    ErrorClass::Fatal,
                    ErrorCode::ConnectionAborted,
                    format!("{operation}: the TLS connection failed: {why}"),
                ),
            })
        };
        let steps = async {
            loop {
                match step(&mut buffer, true)? {
                    Got::Data if flags.peek => return Ok(()),
                    Got::Data => {
                        // What else is decrypted or read already, without a
                        // syscall; with wait-all, until full or the end.
                        while buffer.len() < limit {
                            match step(&mut buffer, flags.wait_all)? {
                                Got::Data => {}
                                Got::Eof => return Ok(()),
                                Got::WouldBlock if flags.wait_all && !flags.dont_wait => break,
                                Got::WouldBlock => return Ok(()),
                            }
                        }
                        if buffer.len() >= limit {
                            return Ok(());
                        }
                    }
                    Got::Eof => return Ok(()),
                    Got::WouldBlock if flags.dont_wait => {
                        return if buffer.is_empty() {
                            Err(Error::errno(operation, libc::EWOULDBLOCK))
                        } else {
                            Ok(())
                        };
                    }
                    Got::WouldBlock => {}
                }
                wait_on(
                    &fd,
                    Readiness {
                        readable: true,
                        writable: false,
                    },
                )
                .await;
            }
        };
        let result = with_timeout(operation, timeout, steps).await;
        Socket::note_held(
            &watch,
            self.tls.as_deref().expect("a TLS socket"),
            arrivals_before,
        );
        match result {
            Ok(()) => Ok(buffer),
            // What a wait-all receive got before its timeout or an error.
            Err(_) if !buffer.is_empty() => Ok(buffer),
            Err(error) => Err(error),
        }
    }

    /// `shutdown(send)` / `shutdown(both)` on a TLS socket: `close_notify`
    /// first, after the records that wait; the OS's shutdown once they
    /// are out.
    pub(super) fn tls_shutdown(&mut self, how: std::net::Shutdown) -> Result<(), Error> {
        const OP: &str = "shutdown";
        let fd = self.open(OP)?.clone();
        let tls = self.tls.as_deref_mut().expect("a TLS socket");
        if how == std::net::Shutdown::Read {
            return fd.get_ref().shutdown(how).map_err(|e| Error::io(OP, &e));
        }
        if tls.session.is_some() && tls.failed.is_none() {
            tls.conn.send_close_notify();
        }
        tls.outbox.take_from(&mut tls.conn);
        tls.outbox.lock().then_shutdown = Some(how);
        match tls.outbox.flush(fd.get_ref()) {
            Ok(true) => Ok(()),
            Ok(false) => {
                tls.outbox.write_out(&fd);
                Ok(())
            }
            Err(e) => Err(Error::io(OP, &e)),
        }
    }

    /// Before the descriptor closes: `close_notify` after what waits, and
    /// when records are still waiting, the task that writes them out keeps
    /// the descriptor and `slot` until they are out.
    pub(super) fn tls_before_close(&mut self, slot: &mut Option<Slot>) {
        let (Some(tls), Some(fd)) = (self.tls.as_deref_mut(), self.fd.as_ref()) else {
            return;
        };
        if tls.session.is_some() && tls.failed.is_none() {
            tls.conn.send_close_notify();
        }
        tls.outbox.take_from(&mut tls.conn);
        if let Ok(false) = tls.outbox.flush(fd.get_ref()) {
            tls.outbox.write_out(fd);
            tls.outbox.adopt_slot(slot);
        }
    }
}
