//! Buffered i/o ports over a connected socket: the spec's
//! `socket-i/o-ports`, `socket-i/o-port->socket` and `socket-abandon-port`,
//! with the `socket-receive-buffer-size`, `socket-send-buffer-size` and
//! `socket-send-size` parameters as [`PortConfig`].
//!
//! [`io_ports`] gives a [`SocketReader`] (std [`Read`] + [`BufRead`]) and a
//! [`SocketWriter`] (std [`Write`]), with the program's port parameters as
//! they are when the ports are made ([`default_config`]; the spec: they
//! "take effect when the ports are created"); [`io_ports_with`] takes its
//! own. They follow the spec exactly:
//!
//! - Input is always buffered in a buffer of `receive_buffer_size` bytes.
//!   "Whenever the buffer is empty, socket-receive! is called once to read up
//!   to that many bytes": one receive, no more, so on a datagram socket the
//!   buffer holds one datagram, and a datagram larger than the buffer is
//!   truncated ([`SocketReader::truncated`] says so).
//! - Output goes out through `send_all`, in chunks of `send_size`. Unbuffered
//!   (`send_buffer_size` `None`, the default), every write is sent at once.
//!   With `send_buffer_size` N, "only multiples of the buffer size are sent
//!   (any overage is kept in the buffer)": a 512-byte buffer holding 500
//!   bytes, given 526 more, sends 1024 bytes in one `send_all` and keeps 2.
//!   [`Write::flush`] sends what is left.
//! - A send that fails (its timeout, a reset) leaves in the buffer exactly
//!   the bytes not sent, so nothing goes out twice: a later flush, close or
//!   drop sends only what never left. [`Write::write`] returns the bytes it
//!   took; where it took some before the failure, it returns their count
//!   and the next call reports the error.
//! - Closing the reader (dropping it, or [`SocketReader::close`]) shuts the
//!   read side down, closing the writer flushes it and shuts the write side
//!   down, unless that port was [abandoned](SocketReader::abandon); the
//!   socket is closed when both ports are, abandoned or not.
//!
//! ```no_run
//! # fn main() -> wasock::Result<()> {
//! use std::io::{BufRead, Write};
//! use wasock::ports::{io_ports_with, PortConfig};
//! use wasock::{Family, Protocol, SockAddr, Socket, SocketType};
//!
//! let socket = Socket::new(Family::Inet, SocketType::Stream, Protocol::DEFAULT)?;
//! socket.connect(&SockAddr::inet(Some("127.0.0.1"), 8080)?)?;
//! // A 1024-byte output buffer; the other parameters are the program's.
//! let config = PortConfig { send_buffer_size: Some(1024), ..PortConfig::default() };
//! let (reader, mut writer) = io_ports_with(socket, config);
//! write!(writer, "GET / HTTP/1.0\r\n\r\n")?;
//! writer.flush()?;
//! for line in reader.lines() {
//!     println!("{}", line?);
//! }
//! # Ok(()) }
//! ```
//!
//! # Serving many clients without stalling
//!
//! A server that polls many connections must not block on one slow
//! client. A writer in [non-blocking mode](SocketWriter::set_nonblocking)
//! never waits: it takes every byte written, what the socket does not take
//! stays in the buffer, and [`Write::flush`] fails with
//! [`io::ErrorKind::WouldBlock`] until it is out; the loop flushes again
//! when the socket is writable. A reader receives only when
//! its buffer is empty ([`SocketReader::buffer`] shows what is there), so
//! it never blocks when the loop receives only while the socket is
//! readable and takes whole lines out of the buffer itself.
//!
//! ```no_run
//! # fn main() -> wasock::Result<()> {
//! use std::io::{self, BufRead, Write};
//! use wasock::poll::{wait_any, Subscription};
//! use wasock::ports::{io_ports, SocketReader, SocketWriter};
//! use wasock::{Interest, Socket};
//!
//! struct Client {
//!     reader: SocketReader,
//!     writer: SocketWriter,
//!     readable: Subscription,
//!     writable: Subscription,
//!     line: Vec<u8>, // the start of a line whose end has not come yet
//!     done: bool,
//! }
//!
//! /// Answers every whole line that has come, and never waits.
//! fn serve(client: &mut Client) -> io::Result<()> {
//!     loop {
//!         if client.reader.buffer().is_empty() {
//!             if !client.readable.is_ready() {
//!                 break; // nothing more for now
//!             }
//!             if client.reader.fill_buf()?.is_empty() {
//!                 client.done = true; // end of file
//!                 break;
//!             }
//!         }
//!         let buffer = client.reader.buffer();
//!         let end = buffer.iter().position(|&b| b == b'\n');
//!         let taken = end.map_or(buffer.len(), |i| i + 1);
//!         client.line.extend_from_slice(&buffer[..taken]);
//!         client.reader.consume(taken);
//!         if end.is_some() {
//!             client.writer.write_all(b"echo: ")?;
//!             client.writer.write_all(&client.line)?;
//!             client.line.clear();
//!         }
//!     }
//!     match client.writer.flush() {
//!         Err(e) if e.kind() == io::ErrorKind::WouldBlock => Ok(()), // when writable
//!         other => other,
//!     }
//! }
//!
//! # let listener = Socket::new(wasock::Family::Inet, wasock::SocketType::Stream, wasock::Protocol::DEFAULT)?;
//! let mut clients: Vec<Client> = Vec::new();
//! let socket = listener.accept()?;
//! let readable = Subscription::new(&socket, Interest::READABLE);
//! let writable = Subscription::new(&socket, Interest::WRITABLE);
//! let (reader, mut writer) = io_ports(socket);
//! writer.set_nonblocking(true);
//! clients.push(Client { reader, writer, readable, writable, line: Vec::new(), done: false });
//! // Each round: wait for a client that can read, or can write what it owes.
//! let list: Vec<&Subscription> = clients
//!     .iter()
//!     .map(|c| if c.writer.buffered() > 0 { &c.writable } else { &c.readable })
//!     .collect();
//! for i in wait_any(&list, None)? {
//!     serve(&mut clients[i])?;
//! }
//! clients.retain(|c| !c.done);
//! # Ok(()) }
//! ```

use std::cell::Cell;
use std::fmt;
use std::io::{self, BufRead, Read, Write};
use std::rc::Rc;

use crate::addr::SocketType;
use crate::error::{ErrorCode, Result};
pub use crate::parameters::{PortConfig, default_config, set_default_config};
use crate::socket::{Partial, SendFlags, SendOptions, Shutdown, Socket, send_all_chunked};

/// The spec's `socket-i/o-ports`: a reader and a writer over the connected
/// `socket` (stream or datagram), which they own together, with the
/// program's port parameters as they are now ([`default_config`]).
#[doc(alias = "socket-i/o-ports")]
pub fn io_ports(socket: Socket) -> (SocketReader, SocketWriter) {
    io_ports_with(socket, default_config())
}

/// [`io_ports`] with these port parameters instead of the program's.
pub fn io_ports_with(socket: Socket, config: PortConfig) -> (SocketReader, SocketWriter) {
    let (reader, writer) = ports_over(socket, config);
    (
        SocketReader { inner: reader },
        SocketWriter { inner: writer },
    )
}

/// What the ports need of a socket; a seam so the buffering rules are
/// tested natively against an in-memory transport.
pub(crate) trait Transport {
    /// Whether each receive is one datagram (which may be truncated).
    fn is_datagram(&self) -> bool;
    /// One receive of at most `buf.len()` bytes (`socket-receive!`):
    /// the byte count, and whether a longer datagram was cut to fit.
    fn receive_into(&self, buf: &mut [u8], datagram: bool) -> Result<(usize, bool)>;
    /// One send (`socket-send`); with `nonblocking`, `MSG_DONTWAIT`.
    fn send(&self, data: &[u8], nonblocking: bool) -> Result<usize>;
    /// `socket-send-all` in `send_size` chunks, saying how much went out
    /// before an error.
    fn send_all(
        &self,
        data: &[u8],
        send_size: Option<usize>,
        nonblocking: bool,
    ) -> std::result::Result<(), Partial> {
        send_all_chunked(data, send_size, |chunk| self.send(chunk, nonblocking))
    }
    /// `socket-shutdown`.
    fn shutdown(&self, how: Shutdown) -> Result<()>;
    /// `socket-close`.
    fn close(&self) -> Result<()>;
}

impl Transport for Socket {
    fn is_datagram(&self) -> bool {
        self.socket_type() != SocketType::Stream
    }
    fn receive_into(&self, buf: &mut [u8], datagram: bool) -> Result<(usize, bool)> {
        if datagram {
            let received = Socket::receive_from_into(self, buf)?;
            Ok((received.len, received.truncated))
        } else {
            Ok((Socket::receive_into(self, buf)?, false))
        }
    }
    fn send(&self, data: &[u8], nonblocking: bool) -> Result<usize> {
        let flags = match nonblocking {
            true => SendFlags::DONT_WAIT,
            false => SendFlags::empty(),
        };
        Socket::send_with(self, data, SendOptions::new().flags(flags))
    }
    fn shutdown(&self, how: Shutdown) -> Result<()> {
        Socket::shutdown(self, how)
    }
    fn close(&self) -> Result<()> {
        Socket::close(self)
    }
}

/// The socket both ports share, and how many of them are still open.
struct Shared<T: Transport> {
    transport: T,
    open_ports: Cell<u8>,
}

impl<T: Transport> Shared<T> {
    /// One port is closed; the last one closes the socket.
    fn release(&self) -> Result<()> {
        let left = self.open_ports.get().saturating_sub(1);
        self.open_ports.set(left);
        if left == 0 {
            self.transport.close()
        } else {
            Ok(())
        }
    }
}

/// Closes one port: shuts its direction down unless abandoned, then
/// releases the socket. Both steps happen; the first error is returned.
fn close_port<T: Transport>(
    shared: &Shared<T>,
    abandoned: bool,
    how: Shutdown,
    before: Result<()>,
) -> Result<()> {
    let shutdown = match abandoned {
        true => Ok(()),
        // Already down: the peer reset the connection, or both directions
        // are shut (shutting down the read side after the write side on a
        // finished connection). The port's aim is met; not an error.
        false => match shared.transport.shutdown(how) {
            Err(e) if e.code() == ErrorCode::NotConnected => Ok(()),
            other => other,
        },
    };
    let release = shared.release();
    before.and(shutdown).and(release)
}

fn ports_over<T: Transport>(transport: T, config: PortConfig) -> (Reader<T>, Writer<T>) {
    let datagram = transport.is_datagram();
    let shared = Rc::new(Shared {
        transport,
        open_ports: Cell::new(2),
    });
    let reader = Reader {
        shared: Rc::clone(&shared),
        buf: vec![0; config.receive_buffer_size.max(1)].into_boxed_slice(),
        pos: 0,
        filled: 0,
        datagram,
        truncated: false,
        abandoned: false,
        closed: false,
    };
    let writer = Writer {
        shared,
        buf: Vec::new(),
        send_buffer_size: config.send_buffer_size.filter(|&n| n > 0),
        send_size: config.send_size,
        nonblocking: false,
        pending: None,
        abandoned: false,
        closed: false,
    };
    (reader, writer)
}

struct Reader<T: Transport> {
    shared: Rc<Shared<T>>,
    buf: Box<[u8]>,
    pos: usize,
    filled: usize,
    /// Receives are datagrams: ask the host whether each was truncated.
    datagram: bool,
    /// The datagram in the buffer was longer than the buffer.
    truncated: bool,
    abandoned: bool,
    closed: bool,
}

impl<T: Transport> Reader<T> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.pos >= self.filled {
            // The spec: "Whenever the buffer is empty, socket-receive! is
            // called once to read up to that many bytes."
            let (n, truncated) = self
                .shared
                .transport
                .receive_into(&mut self.buf, self.datagram)?;
            self.pos = 0;
            self.filled = n.min(self.buf.len());
            self.truncated = truncated;
        }
        Ok(&self.buf[self.pos..self.filled])
    }

    fn buffer(&self) -> &[u8] {
        &self.buf[self.pos..self.filled]
    }

    fn consume(&mut self, amount: usize) {
        self.pos = (self.pos + amount).min(self.filled);
    }

    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if out.is_empty() {
            return Ok(0);
        }
        let available = self.fill_buf()?;
        let n = available.len().min(out.len());
        out[..n].copy_from_slice(&available[..n]);
        self.consume(n);
        Ok(n)
    }

    fn close(&mut self) -> Result<()> {
        if std::mem::replace(&mut self.closed, true) {
            return Ok(());
        }
        close_port(&self.shared, self.abandoned, Shutdown::Read, Ok(()))
    }
}

impl<T: Transport> Drop for Reader<T> {
    fn drop(&mut self) {
        let _ = self.close();
    }
}

struct Writer<T: Transport> {
    shared: Rc<Shared<T>>,
    /// Bytes taken by `write` and not sent yet: after any failure, exactly
    /// the ones that did not go out.
    buf: Vec<u8>,
    send_buffer_size: Option<usize>,
    send_size: Option<usize>,
    nonblocking: bool,
    /// An error met after part of a `write` went out: that `write` reported
    /// the part, the next call reports this.
    pending: Option<crate::Error>,
    abandoned: bool,
    closed: bool,
}

impl<T: Transport> Writer<T> {
    fn send_all(&self, data: &[u8]) -> std::result::Result<(), Partial> {
        self.shared
            .transport
            .send_all(data, self.send_size, self.nonblocking)
    }

    /// Keeps an error for the next call, once a `write` has reported the
    /// bytes that went out before it. A would-block is not kept: the next
    /// call finds out for itself whether the socket has room again.
    fn keep(&mut self, error: crate::Error) {
        if error.code() != ErrorCode::WouldBlock {
            self.pending = Some(error);
        }
    }

    fn write(&mut self, data: &[u8]) -> Result<usize> {
        if let Some(error) = self.pending.take() {
            return Err(error);
        }
        if data.is_empty() {
            return Ok(0);
        }
        if self.nonblocking {
            return Ok(self.write_nonblocking(data));
        }
        let Some(block) = self.send_buffer_size else {
            // Unbuffered: "socket-send-all is called as soon as data is
            // written to the port."
            return match self.send_all(data) {
                Ok(()) => Ok(data.len()),
                Err(Partial { sent: 0, error }) => Err(error),
                Err(Partial { sent, error }) => {
                    self.keep(error);
                    Ok(sent)
                }
            };
        };
        let before = self.buf.len();
        self.buf.extend_from_slice(data);
        // "Only multiples of the buffer size are sent (any overage is kept
        // in the buffer)", in a single call to send-all.
        let whole = self.buf.len() / block * block;
        if whole == 0 {
            return Ok(data.len());
        }
        match self.send_all(&self.buf[..whole]) {
            Ok(()) => {
                self.buf.drain(..whole);
                Ok(data.len())
            }
            // Only bytes buffered before went out: `data` is not taken, and
            // the buffer keeps what of the earlier bytes did not go out.
            Err(Partial { sent, error }) if sent <= before => {
                self.buf.truncate(before);
                self.buf.drain(..sent);
                Err(error)
            }
            // The earlier bytes and the start of `data` went out: this
            // write took that start, and nothing is left buffered.
            Err(Partial { sent, error }) => {
                self.buf.clear();
                self.keep(error);
                Ok(sent - before)
            }
        }
    }

    /// Non-blocking mode: takes all of `data`, then sends what the socket
    /// takes now of what is due (everything unbuffered, the whole blocks
    /// buffered); the rest stays buffered.
    fn write_nonblocking(&mut self, data: &[u8]) -> usize {
        self.buf.extend_from_slice(data);
        let due = match self.send_buffer_size {
            None => self.buf.len(),
            Some(block) => self.buf.len() / block * block,
        };
        if due > 0 {
            match self.send_all(&self.buf[..due]) {
                Ok(()) => {
                    self.buf.drain(..due);
                }
                Err(Partial { sent, error }) => {
                    self.buf.drain(..sent);
                    self.keep(error);
                }
            }
        }
        data.len()
    }

    fn flush(&mut self) -> Result<()> {
        if let Some(error) = self.pending.take() {
            return Err(error);
        }
        self.flush_buffer()
    }

    /// Sends what is buffered; on an error the buffer keeps what did not go
    /// out.
    fn flush_buffer(&mut self) -> Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        match self.send_all(&self.buf) {
            Ok(()) => {
                self.buf.clear();
                Ok(())
            }
            Err(Partial { sent, error }) => {
                self.buf.drain(..sent);
                Err(error)
            }
        }
    }

    fn close(&mut self) -> Result<()> {
        if std::mem::replace(&mut self.closed, true) {
            return Ok(());
        }
        // A kept error is reported, and what is still buffered (which
        // never went out) is sent all the same.
        let pending = self.pending.take();
        let flushed = self.flush_buffer();
        let flushed = pending.map_or(flushed, Err);
        close_port(&self.shared, self.abandoned, Shutdown::Write, flushed)
    }
}

impl<T: Transport> Drop for Writer<T> {
    fn drop(&mut self) {
        let _ = self.close();
    }
}

/// The input port of [`io_ports`]: std [`Read`] and [`BufRead`] over a
/// socket, with a buffer of `receive_buffer_size` bytes refilled by exactly
/// one receive whenever it is empty. Reads fail as the receive does (class
/// timeout after the socket's receive timeout, as
/// [`io::ErrorKind::TimedOut`]); 0 bytes is end of file.
pub struct SocketReader {
    inner: Reader<Socket>,
}

impl SocketReader {
    /// The spec's `socket-i/o-port->socket`: the socket of this port.
    #[doc(alias = "socket-i/o-port->socket")]
    pub fn socket(&self) -> &Socket {
        &self.inner.shared.transport
    }

    /// What is buffered and not read yet, without receiving (as
    /// [`std::io::BufReader::buffer`]): a loop that must not block can
    /// look here for a whole line before it reads one.
    pub fn buffer(&self) -> &[u8] {
        self.inner.buffer()
    }

    /// Whether the datagram in the buffer was longer than the buffer and
    /// its rest discarded (the spec: "Any datagram exceeding the buffer
    /// size will be truncated"). Always false on a stream.
    pub fn truncated(&self) -> bool {
        self.inner.truncated
    }

    /// The spec's `socket-abandon-port`: closing this port will not shut
    /// the read side down (the socket is still closed once both ports are).
    #[doc(alias = "socket-abandon-port")]
    pub fn abandon(&mut self) {
        self.inner.abandoned = true;
    }

    /// Closes this port now, reporting errors (dropping it does the same,
    /// silently): shuts the read side down unless abandoned, and closes
    /// the socket if the writer is closed too.
    pub fn close(mut self) -> Result<()> {
        self.inner.close()
    }
}

impl fmt::Debug for SocketReader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SocketReader")
            .field("socket", self.socket())
            .field("buffered", &self.inner.buffer().len())
            .field("capacity", &self.inner.buf.len())
            .field("truncated", &self.inner.truncated)
            .field("abandoned", &self.inner.abandoned)
            .finish()
    }
}

impl Read for SocketReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.read(buf)
    }
}

impl BufRead for SocketReader {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        self.inner.fill_buf()
    }

    fn consume(&mut self, amount: usize) {
        self.inner.consume(amount)
    }
}

/// The output port of [`io_ports`]: std [`Write`] over a socket, sending
/// through `send_all` in `send_size` chunks, unbuffered or in whole
/// multiples of `send_buffer_size` (see the [module docs](self)).
/// [`Write::flush`] sends whatever is buffered.
///
/// After a failed send the buffer holds exactly the bytes that did not go
/// out: flushing, closing or dropping later never sends a byte twice.
pub struct SocketWriter {
    inner: Writer<Socket>,
}

impl SocketWriter {
    /// The spec's `socket-i/o-port->socket`: the socket of this port.
    #[doc(alias = "socket-i/o-port->socket")]
    pub fn socket(&self) -> &Socket {
        &self.inner.shared.transport
    }

    /// The spec's `socket-abandon-port`: closing this port will not shut
    /// the write side down (the socket is still closed once both ports are).
    #[doc(alias = "socket-abandon-port")]
    pub fn abandon(&mut self) {
        self.inner.abandoned = true;
    }

    /// How many bytes wait in the buffer: for a whole block or a flush, or
    /// (in non-blocking mode) for room in the socket.
    pub fn buffered(&self) -> usize {
        self.inner.buf.len()
    }

    /// Non-blocking mode: every send is `MSG_DONTWAIT`, so writing never
    /// waits for a slow peer. [`Write::write`] takes every byte, sends what
    /// the socket takes now of what is due (all of it unbuffered, the whole
    /// blocks buffered) and keeps the rest; [`Write::flush`] fails with
    /// [`io::ErrorKind::WouldBlock`] while bytes remain. Wait until the
    /// socket is writable ([`Interest::WRITABLE`](crate::Interest::WRITABLE),
    /// see [`poll`](crate::poll)) and flush again; to bound memory, stop
    /// reading from a client while [`SocketWriter::buffered`] is large.
    /// Closing or dropping a non-blocking writer does not wait either: what
    /// the socket does not take then is lost, so flush until `buffered` is
    /// 0 first. See the [module docs](self#serving-many-clients-without-stalling).
    pub fn set_nonblocking(&mut self, nonblocking: bool) {
        self.inner.nonblocking = nonblocking;
    }

    /// Whether the writer is in non-blocking mode.
    pub fn is_nonblocking(&self) -> bool {
        self.inner.nonblocking
    }

    /// Closes this port now, reporting errors (dropping it does the same,
    /// silently): sends what is buffered, shuts the write side down unless
    /// abandoned, and closes the socket if the reader is closed too.
    pub fn close(mut self) -> Result<()> {
        self.inner.close()
    }
}

impl fmt::Debug for SocketWriter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SocketWriter")
            .field("socket", self.socket())
            .field("buffered", &self.inner.buf.len())
            .field("send_buffer_size", &self.inner.send_buffer_size)
            .field("send_size", &self.inner.send_size)
            .field("nonblocking", &self.inner.nonblocking)
            .field("abandoned", &self.inner.abandoned)
            .finish()
    }
}

impl Write for SocketWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        Ok(self.inner.write(buf)?)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(self.inner.flush()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::{Error, ErrorClass};
    use std::cell::RefCell;
    use std::collections::VecDeque;

    /// What the in-memory transport was asked to do, in order.
    #[derive(Clone, Debug, PartialEq, Eq)]
    enum Call {
        /// `send_all` of this many bytes.
        SendAll(usize),
        /// One `send` of this many bytes.
        Send(usize),
        /// One receive asking for this many bytes.
        Receive(usize),
        Shutdown(Shutdown),
        Close,
    }

    /// An in-memory socket: incoming datagrams (or stream pieces), the bytes
    /// sent, and every call.
    #[derive(Default)]
    struct Memory {
        incoming: RefCell<VecDeque<Vec<u8>>>,
        /// Receives are datagrams (and report truncation).
        datagram: bool,
        sent: RefCell<Vec<u8>>,
        calls: RefCell<Vec<Call>>,
        /// At most this many bytes per `send`, like a full stream.
        send_limit: Option<usize>,
        /// How many more bytes the peer takes before sends fail (`None`:
        /// no end), like a peer that stops reading: a blocking send then
        /// times out, a non-blocking one would block.
        room: Cell<Option<usize>>,
        /// Whether each send was non-blocking.
        nonblocking_sends: RefCell<Vec<bool>>,
    }

    impl Memory {
        fn calls(&self) -> Vec<Call> {
            self.calls.borrow().clone()
        }
        fn sends(&self) -> Vec<usize> {
            self.calls()
                .into_iter()
                .filter_map(|c| if let Call::Send(n) = c { Some(n) } else { None })
                .collect()
        }
        fn send_alls(&self) -> Vec<usize> {
            self.calls()
                .into_iter()
                .filter_map(|c| {
                    if let Call::SendAll(n) = c {
                        Some(n)
                    } else {
                        None
                    }
                })
                .collect()
        }
        fn sent(&self) -> Vec<u8> {
            self.sent.borrow().clone()
        }
    }

    impl Transport for Rc<Memory> {
        fn is_datagram(&self) -> bool {
            self.datagram
        }
        fn receive_into(&self, buf: &mut [u8], datagram: bool) -> Result<(usize, bool)> {
            assert_eq!(datagram, self.datagram, "the reader asks as the socket is");
            self.calls.borrow_mut().push(Call::Receive(buf.len()));
            // One datagram per receive; the rest of a longer one is lost.
            let Some(datagram) = self.incoming.borrow_mut().pop_front() else {
                return Ok((0, false));
            };
            let n = datagram.len().min(buf.len());
            buf[..n].copy_from_slice(&datagram[..n]);
            Ok((n, self.datagram && datagram.len() > n))
        }
        fn send(&self, data: &[u8], nonblocking: bool) -> Result<usize> {
            self.nonblocking_sends.borrow_mut().push(nonblocking);
            let mut n = self
                .send_limit
                .map_or(data.len(), |limit| data.len().min(limit));
            if let Some(room) = self.room.get() {
                if room == 0 {
                    return Err(match nonblocking {
                        true => Error::new(ErrorClass::Transient, ErrorCode::WouldBlock, "send"),
                        false => Error::new(ErrorClass::Timeout, ErrorCode::TimedOut, "send"),
                    });
                }
                n = n.min(room);
                self.room.set(Some(room - n));
            }
            self.calls.borrow_mut().push(Call::Send(n));
            self.sent.borrow_mut().extend_from_slice(&data[..n]);
            Ok(n)
        }
        fn send_all(
            &self,
            data: &[u8],
            send_size: Option<usize>,
            nonblocking: bool,
        ) -> std::result::Result<(), Partial> {
            self.calls.borrow_mut().push(Call::SendAll(data.len()));
            send_all_chunked(data, send_size, |chunk| self.send(chunk, nonblocking))
        }
        fn shutdown(&self, how: Shutdown) -> Result<()> {
            self.calls.borrow_mut().push(Call::Shutdown(how));
            Ok(())
        }
        fn close(&self) -> Result<()> {
            self.calls.borrow_mut().push(Call::Close);
            Ok(())
        }
    }

    fn ports(memory: &Rc<Memory>, config: PortConfig) -> (Reader<Rc<Memory>>, Writer<Rc<Memory>>) {
        ports_over(Rc::clone(memory), config)
    }

    fn ok<T>(r: Result<T>) -> T {
        r.unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn spec_example_500_buffered_plus_526_sends_1024_in_one_send_all_keeps_2() {
        let memory = Rc::new(Memory::default());
        let config = PortConfig {
            send_buffer_size: Some(512),
            ..PortConfig::SPEC
        };
        let (_reader, mut writer) = ports(&memory, config);
        assert_eq!(ok(writer.write(&[1; 500])), 500);
        assert_eq!(
            memory.send_alls(),
            Vec::<usize>::new(),
            "500 < 512: nothing sent yet"
        );
        assert_eq!(ok(writer.write(&[2; 526])), 526);
        assert_eq!(
            memory.send_alls(),
            [1024],
            "two blocks in a single send-all"
        );
        assert_eq!(writer.buf.len(), 2, "the last 2 bytes are retained");
        assert_eq!(memory.sent.borrow().len(), 1024);
    }

    #[test]
    fn unbuffered_write_is_one_send_all_at_once() {
        let memory = Rc::new(Memory::default());
        let (_reader, mut writer) = ports(&memory, PortConfig::SPEC);
        assert_eq!(ok(writer.write(b"hello")), 5);
        assert_eq!(memory.send_alls(), [5]);
        assert_eq!(ok(writer.write(b", world")), 7);
        assert_eq!(memory.send_alls(), [5, 7]);
        assert_eq!(memory.sent.borrow().as_slice(), b"hello, world");
    }

    #[test]
    fn send_all_chunks_by_send_size_last_chunk_smaller() {
        let memory = Rc::new(Memory::default());
        let config = PortConfig {
            send_size: Some(512),
            ..PortConfig::SPEC
        };
        let (_reader, mut writer) = ports(&memory, config);
        ok(writer.write(&[0; 1300]));
        assert_eq!(memory.send_alls(), [1300]);
        assert_eq!(memory.sends(), [512, 512, 276]);
    }

    #[test]
    fn default_send_size_is_16384() {
        let memory = Rc::new(Memory::default());
        let (_reader, mut writer) = ports(&memory, PortConfig::SPEC);
        ok(writer.write(&[0; 40000]));
        assert_eq!(memory.sends(), [16384, 16384, 7232]);
    }

    #[test]
    fn send_size_none_offers_the_whole_rest_each_send() {
        let memory = Rc::new(Memory {
            send_limit: Some(3000),
            ..Memory::default()
        });
        let config = PortConfig {
            send_size: None,
            ..PortConfig::SPEC
        };
        let (_reader, mut writer) = ports(&memory, config);
        ok(writer.write(&[0; 7000]));
        assert_eq!(memory.send_alls(), [7000]);
        assert_eq!(memory.sends(), [3000, 3000, 1000]);
    }

    #[test]
    fn buffered_chunks_by_send_size_like_the_datagram_example() {
        // The spec's datagram example: buffer 128, send size 512.
        let memory = Rc::new(Memory::default());
        let config = PortConfig {
            receive_buffer_size: 4096,
            send_buffer_size: Some(128),
            send_size: Some(512),
        };
        let (_reader, mut writer) = ports(&memory, config);
        ok(writer.write(&[0; 700]));
        assert_eq!(memory.send_alls(), [640]);
        assert_eq!(memory.sends(), [512, 128]);
        assert_eq!(writer.buf.len(), 60);
    }

    #[test]
    fn flush_sends_the_remainder() {
        let memory = Rc::new(Memory::default());
        let config = PortConfig {
            send_buffer_size: Some(512),
            ..PortConfig::SPEC
        };
        let (_reader, mut writer) = ports(&memory, config);
        ok(writer.write(&[0; 100]));
        assert_eq!(memory.send_alls(), Vec::<usize>::new());
        ok(writer.flush());
        assert_eq!(memory.send_alls(), [100]);
        assert!(writer.buf.is_empty());
        ok(writer.flush());
        assert_eq!(memory.send_alls(), [100], "an empty buffer sends nothing");
    }

    #[test]
    fn reader_refills_with_exactly_one_receive_only_when_empty() {
        let memory = Rc::new(Memory::default());
        memory
            .incoming
            .borrow_mut()
            .extend([b"hello\nwor".to_vec(), b"ld\n".to_vec()]);
        let config = PortConfig {
            receive_buffer_size: 64,
            ..PortConfig::SPEC
        };
        let (mut reader, _writer) = ports(&memory, config);
        let mut out = [0u8; 3];
        assert_eq!(reader.read(&mut out).ok(), Some(3));
        assert_eq!(&out, b"hel");
        assert_eq!(
            memory.calls(),
            [Call::Receive(64)],
            "one receive of the buffer size"
        );
        assert_eq!(reader.read(&mut out).ok(), Some(3));
        assert_eq!(reader.read(&mut out).ok(), Some(3));
        assert_eq!(&out, b"wor");
        assert_eq!(
            memory.calls(),
            [Call::Receive(64)],
            "no receive while the buffer has data"
        );
        let mut big = [0u8; 100];
        assert_eq!(
            reader.read(&mut big).ok(),
            Some(3),
            "no second receive to fill a large read"
        );
        assert_eq!(&big[..3], b"ld\n");
        assert_eq!(memory.calls(), [Call::Receive(64), Call::Receive(64)]);
        assert_eq!(reader.read(&mut big).ok(), Some(0), "end of file");
    }

    #[test]
    fn reader_lines_over_pieces() {
        let memory = Rc::new(Memory::default());
        memory
            .incoming
            .borrow_mut()
            .extend([b"one\ntw".to_vec(), b"o\nthree".to_vec()]);
        let (reader, _writer) = ports(&memory, PortConfig::SPEC);
        let lines: Vec<String> = SocketReaderForTest(reader)
            .lines()
            .map(|l| l.unwrap_or_default())
            .collect();
        assert_eq!(lines, ["one", "two", "three"]);
    }

    /// `BufRead` over the generic reader, as `SocketReader` does it.
    struct SocketReaderForTest(Reader<Rc<Memory>>);
    impl Read for SocketReaderForTest {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            self.0.read(buf)
        }
    }
    impl BufRead for SocketReaderForTest {
        fn fill_buf(&mut self) -> io::Result<&[u8]> {
            self.0.fill_buf()
        }
        fn consume(&mut self, amount: usize) {
            self.0.consume(amount)
        }
    }

    fn io_to_error(e: io::Error) -> Error {
        Error::new(ErrorClass::Fatal, ErrorCode::Other, e.to_string())
    }

    #[test]
    fn closing_ports_shuts_each_side_and_closes_the_socket_once_both_are() {
        let memory = Rc::new(Memory::default());
        let (mut reader, mut writer) = ports(&memory, PortConfig::SPEC);
        ok(reader.close());
        assert_eq!(memory.calls(), [Call::Shutdown(Shutdown::Read)]);
        ok(writer.close());
        assert_eq!(
            memory.calls(),
            [
                Call::Shutdown(Shutdown::Read),
                Call::Shutdown(Shutdown::Write),
                Call::Close
            ]
        );
        drop((reader, writer));
        assert_eq!(
            memory.calls().len(),
            3,
            "dropping closed ports does nothing more"
        );
    }

    #[test]
    fn dropping_ports_closes_them() {
        let memory = Rc::new(Memory::default());
        let config = PortConfig {
            send_buffer_size: Some(512),
            ..PortConfig::SPEC
        };
        let (reader, mut writer) = ports(&memory, config);
        ok(writer.write(b"tail"));
        drop(writer);
        assert_eq!(
            memory.calls(),
            [
                Call::SendAll(4),
                Call::Send(4),
                Call::Shutdown(Shutdown::Write)
            ]
        );
        drop(reader);
        assert_eq!(
            memory.calls()[3..],
            [Call::Shutdown(Shutdown::Read), Call::Close]
        );
    }

    #[test]
    fn abandoned_ports_skip_the_shutdown_but_the_socket_still_closes() {
        let memory = Rc::new(Memory::default());
        let (mut reader, mut writer) = ports(&memory, PortConfig::SPEC);
        reader.abandoned = true;
        writer.abandoned = true;
        ok(reader.close());
        assert_eq!(memory.calls(), []);
        ok(writer.close());
        assert_eq!(memory.calls(), [Call::Close]);
    }

    #[test]
    fn closing_a_port_of_a_finished_connection_is_not_an_error() {
        struct Finished(RefCell<Vec<Call>>);
        impl Transport for Finished {
            fn is_datagram(&self) -> bool {
                false
            }
            fn receive_into(&self, _: &mut [u8], _: bool) -> Result<(usize, bool)> {
                Ok((0, false))
            }
            fn send(&self, data: &[u8], _: bool) -> Result<usize> {
                Ok(data.len())
            }
            fn shutdown(&self, how: Shutdown) -> Result<()> {
                self.0.borrow_mut().push(Call::Shutdown(how));
                Err(Error::new(
                    ErrorClass::Fatal,
                    ErrorCode::NotConnected,
                    "shutdown",
                ))
            }
            fn close(&self) -> Result<()> {
                self.0.borrow_mut().push(Call::Close);
                Ok(())
            }
        }
        let (mut reader, mut writer) = ports_over(Finished(RefCell::default()), PortConfig::SPEC);
        assert_eq!(writer.close(), Ok(()));
        assert_eq!(reader.close(), Ok(()));
        let calls = reader.shared.transport.0.borrow().clone();
        assert_eq!(
            calls,
            [
                Call::Shutdown(Shutdown::Write),
                Call::Shutdown(Shutdown::Read),
                Call::Close
            ]
        );
    }

    #[test]
    fn closing_reports_other_shutdown_errors_and_still_closes_the_socket() {
        struct Broken(Cell<bool>);
        impl Transport for Broken {
            fn is_datagram(&self) -> bool {
                false
            }
            fn receive_into(&self, _: &mut [u8], _: bool) -> Result<(usize, bool)> {
                Ok((0, false))
            }
            fn send(&self, data: &[u8], _: bool) -> Result<usize> {
                Ok(data.len())
            }
            fn shutdown(&self, _: Shutdown) -> Result<()> {
                Err(Error::new(ErrorClass::Fatal, ErrorCode::Other, "shutdown"))
            }
            fn close(&self) -> Result<()> {
                self.0.set(true);
                Ok(())
            }
        }
        let (mut reader, mut writer) = ports_over(Broken(Cell::new(false)), PortConfig::SPEC);
        assert_eq!(writer.close().map_err(|e| e.code()), Err(ErrorCode::Other));
        assert_eq!(reader.close().map_err(|e| e.code()), Err(ErrorCode::Other));
        assert!(
            reader.shared.transport.0.get(),
            "the socket was closed anyway"
        );
    }

    #[test]
    fn a_failed_unbuffered_write_reports_what_went_out_and_the_error_next() {
        let memory = Rc::new(Memory {
            room: Cell::new(Some(1000)),
            ..Memory::default()
        });
        let config = PortConfig {
            send_size: Some(512),
            ..PortConfig::SPEC
        };
        let data: Vec<u8> = (0..3000u32).map(|i| (i % 251) as u8).collect();
        let (_reader, mut writer) = ports(&memory, config);
        assert_eq!(ok(writer.write(&data)), 1000, "the bytes that went out");
        assert!(writer.buf.is_empty());
        assert_eq!(
            writer.write(b"more").map_err(|e| e.class()),
            Err(ErrorClass::Timeout),
            "the next call reports the send's error"
        );
        memory.room.set(None);
        drop(writer);
        assert_eq!(
            memory.sent(),
            data[..1000],
            "nothing sent twice, nothing more"
        );
    }

    #[test]
    fn a_failed_buffered_write_keeps_exactly_the_unsent_bytes() {
        let memory = Rc::new(Memory {
            room: Cell::new(Some(1)),
            ..Memory::default()
        });
        let config = PortConfig {
            send_buffer_size: Some(4),
            ..PortConfig::SPEC
        };
        let (_reader, mut writer) = ports(&memory, config);
        assert_eq!(ok(writer.write(b"ab")), 2);
        let e = writer.write(b"cdef").map_err(|e| e.code());
        assert_eq!(e, Err(ErrorCode::TimedOut), "none of cdef was taken");
        assert_eq!(writer.buf, b"b", "a went out; b did not");
        memory.room.set(None);
        ok(writer.flush());
        assert_eq!(ok(writer.write(b"cdef")), 4);
        assert_eq!(memory.sent(), b"abcdef");
    }

    #[test]
    fn a_buffered_write_that_got_partly_out_takes_that_part() {
        let memory = Rc::new(Memory {
            room: Cell::new(Some(3)),
            send_limit: Some(2),
            ..Memory::default()
        });
        let config = PortConfig {
            send_buffer_size: Some(4),
            ..PortConfig::SPEC
        };
        let (_reader, mut writer) = ports(&memory, config);
        assert_eq!(ok(writer.write(b"ab")), 2);
        assert_eq!(ok(writer.write(b"cdef")), 1, "ab and c went out");
        assert!(writer.buf.is_empty(), "d, e, f were not taken");
        assert_eq!(
            writer.flush().map_err(|e| e.code()),
            Err(ErrorCode::TimedOut),
            "the error comes with the next call"
        );
        memory.room.set(None);
        assert_eq!(ok(writer.write(b"def")), 3);
        ok(writer.flush());
        assert_eq!(memory.sent(), b"abcdef");
    }

    #[test]
    fn a_failed_flush_keeps_exactly_the_unsent_bytes() {
        let memory = Rc::new(Memory {
            room: Cell::new(Some(3)),
            ..Memory::default()
        });
        let config = PortConfig {
            send_buffer_size: Some(64),
            ..PortConfig::SPEC
        };
        let (_reader, mut writer) = ports(&memory, config);
        ok(writer.write(b"abcdefgh"));
        assert_eq!(
            writer.flush().map_err(|e| e.code()),
            Err(ErrorCode::TimedOut)
        );
        assert_eq!(writer.buf, b"defgh");
        assert_eq!(
            writer.flush().map_err(|e| e.code()),
            Err(ErrorCode::TimedOut)
        );
        assert_eq!(writer.buf, b"defgh", "a flush that sent nothing keeps all");
        memory.room.set(None);
        drop(writer);
        assert_eq!(memory.sent(), b"abcdefgh");
    }

    /// Every buffer size, every point where the peer stops taking bytes:
    /// what went out is always a prefix of what the writes took (nothing
    /// twice), and once the peer takes bytes again, closing sends exactly
    /// the rest.
    #[test]
    fn after_any_failure_nothing_is_sent_twice_and_close_sends_exactly_the_rest() {
        for block in [None, Some(1), Some(3), Some(7), Some(16)] {
            for send_size in [Some(2), Some(5), None] {
                for room in 0..60 {
                    let memory = Rc::new(Memory {
                        room: Cell::new(Some(room)),
                        ..Memory::default()
                    });
                    let config = PortConfig {
                        receive_buffer_size: 16,
                        send_buffer_size: block,
                        send_size,
                    };
                    let (reader, mut writer) = ports(&memory, config);
                    let mut next = 0u8;
                    let mut taken = Vec::new();
                    for i in 0..12 {
                        let chunk: Vec<u8> = (0..(i * 5 % 11) + 1)
                            .map(|_| {
                                next = next.wrapping_add(1);
                                next
                            })
                            .collect();
                        if let Ok(n) = writer.write(&chunk) {
                            taken.extend_from_slice(&chunk[..n]);
                        }
                        if i % 4 == 3 {
                            let _ = writer.flush();
                        }
                        let sent = memory.sent();
                        let case = format!("block {block:?} send size {send_size:?} room {room}");
                        assert!(
                            taken.starts_with(&sent),
                            "{case}: sent {sent:?} taken {taken:?}"
                        );
                        assert_eq!(sent.len() + writer.buf.len(), taken.len(), "{case}");
                    }
                    memory.room.set(None);
                    drop(writer);
                    drop(reader);
                    assert_eq!(memory.sent(), taken, "block {block:?} room {room}");
                }
            }
        }
    }

    #[test]
    fn a_nonblocking_writer_takes_everything_and_flushes_when_there_is_room() {
        let memory = Rc::new(Memory {
            room: Cell::new(Some(5)),
            ..Memory::default()
        });
        let (_reader, mut writer) = ports(&memory, PortConfig::SPEC);
        writer.nonblocking = true;
        assert_eq!(ok(writer.write(b"hello ")), 6, "every byte is taken");
        assert_eq!(ok(writer.write(b"world")), 5);
        assert_eq!(memory.sent(), b"hello");
        assert_eq!(writer.buf, b" world");
        let flushed = writer.flush().map_err(|e| e.code());
        assert_eq!(flushed, Err(ErrorCode::WouldBlock));
        assert!(
            memory.nonblocking_sends.borrow().iter().all(|&n| n),
            "no send waited"
        );
        memory.room.set(None);
        ok(writer.flush());
        assert_eq!(memory.sent(), b"hello world");
        assert!(writer.buf.is_empty());
    }

    #[test]
    fn a_nonblocking_buffered_writer_sends_only_whole_blocks() {
        let memory = Rc::new(Memory::default());
        let config = PortConfig {
            send_buffer_size: Some(4),
            ..PortConfig::SPEC
        };
        let (_reader, mut writer) = ports(&memory, config);
        writer.nonblocking = true;
        assert_eq!(ok(writer.write(b"abcdef")), 6);
        assert_eq!(memory.sent(), b"abcd");
        assert_eq!(writer.buf, b"ef");
        ok(writer.flush());
        assert_eq!(memory.sent(), b"abcdef");
    }

    #[test]
    fn the_reader_reports_a_truncated_datagram() {
        let memory = Rc::new(Memory {
            datagram: true,
            ..Memory::default()
        });
        memory
            .incoming
            .borrow_mut()
            .extend([vec![b'a'; 10], b"next".to_vec()]);
        let config = PortConfig {
            receive_buffer_size: 4,
            ..PortConfig::SPEC
        };
        let (mut reader, _writer) = ports(&memory, config);
        assert_eq!(
            ok(reader.fill_buf().map(<[u8]>::to_vec).map_err(io_to_error)),
            b"aaaa"
        );
        assert!(reader.truncated, "10 bytes into a 4-byte buffer");
        reader.consume(4);
        assert_eq!(
            ok(reader.fill_buf().map(<[u8]>::to_vec).map_err(io_to_error)),
            b"next"
        );
        assert!(!reader.truncated, "4 bytes fit");
    }

    #[test]
    fn buffer_shows_what_is_buffered_without_receiving() {
        let memory = Rc::new(Memory::default());
        memory.incoming.borrow_mut().push_back(b"one\ntw".to_vec());
        let (reader, _writer) = ports(&memory, PortConfig::SPEC);
        let mut reader = SocketReaderForTest(reader);
        assert!(reader.0.buffer().is_empty());
        assert_eq!(memory.calls(), [], "looking receives nothing");
        let mut line = String::new();
        assert_eq!(reader.read_line(&mut line).ok(), Some(4));
        assert_eq!(reader.0.buffer(), b"tw", "a partial line is still there");
        assert!(!reader.0.buffer().contains(&b'\n'));
        assert_eq!(memory.calls(), [Call::Receive(4096)], "one receive");
    }
}
