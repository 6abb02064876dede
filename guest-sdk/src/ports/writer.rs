//! The output port: sends through `send_all`, unbuffered or in whole
//! blocks, and keeps exactly the bytes that did not go out.

use std::fmt;
use std::io::{self, Write};
use std::rc::Rc;

#[cfg(doc)]
use super::io_ports;
use super::transport::{Shared, Transport, close_port};
use crate::error::{ErrorCode, Result};
use crate::parameters::PortConfig;
use crate::socket::{Partial, Shutdown, Socket};

/// The output port of [`io_ports`]: std [`Write`] over a socket, sending
/// through `send_all` in `send_size` chunks, unbuffered or in whole
/// multiples of `send_buffer_size` (see the [module docs](super)).
/// [`Write::flush`] sends whatever is buffered.
///
/// After a failed send the buffer holds exactly the bytes that did not go
/// out: flushing, closing or dropping later never sends a byte twice.
pub struct SocketWriter {
    inner: Writer<Socket>,
}

impl SocketWriter {
    pub(super) fn new(inner: Writer<Socket>) -> SocketWriter {
        SocketWriter { inner }
    }

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
    /// 0 first. See the [module docs](super#serving-many-clients-without-stalling).
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

pub(super) struct Writer<T: Transport> {
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
    pub(super) abandoned: bool,
    closed: bool,
}

impl<T: Transport> Writer<T> {
    /// A writer over `shared` with `config`'s send parameters
    /// (`send_buffer_size` `Some(0)` is unbuffered).
    pub(super) fn new(shared: Rc<Shared<T>>, config: PortConfig) -> Writer<T> {
        Writer {
            shared,
            buf: Vec::new(),
            send_buffer_size: config.send_buffer_size.filter(|&n| n > 0),
            send_size: config.send_size,
            nonblocking: false,
            pending: None,
            abandoned: false,
            closed: false,
        }
    }

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

    pub(super) fn write(&mut self, data: &[u8]) -> Result<usize> {
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

    pub(super) fn close(&mut self) -> Result<()> {
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

#[cfg(test)]
mod tests;
