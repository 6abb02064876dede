//! Buffered i/o ports over a connected socket: the spec's
//! `socket-i/o-ports`, `socket-i/o-port->socket` and `socket-abandon-port`,
//! with the `socket-receive-buffer-size`, `socket-send-buffer-size` and
//! `socket-send-size` parameters as [`PortConfig`].
//!
//! [`io_ports`] gives a [`SocketReader`] (std [`Read`] + [`BufRead`]) and a
//! [`SocketWriter`] (std [`Write`]). They follow the spec exactly:
//!
//! - Input is always buffered in a buffer of `receive_buffer_size` bytes.
//!   "Whenever the buffer is empty, socket-receive! is called once to read up
//!   to that many bytes": one receive, no more, so on a datagram socket the
//!   buffer holds one datagram, and a datagram larger than the buffer is
//!   truncated.
//! - Output goes out through `send_all`, in chunks of `send_size`. Unbuffered
//!   (`send_buffer_size` `None`, the default), every write is sent at once.
//!   With `send_buffer_size` N, "only multiples of the buffer size are sent
//!   (any overage is kept in the buffer)": a 512-byte buffer holding 500
//!   bytes, given 526 more, sends 1024 bytes in one `send_all` and keeps 2.
//!   [`Write::flush`] sends what is left.
//! - Closing the reader (dropping it, or [`SocketReader::close`]) shuts the
//!   read side down, closing the writer shuts the write side down, unless
//!   that port was [abandoned](SocketReader::abandon); the socket is closed
//!   when both ports are, abandoned or not.
//!
//! ```no_run
//! # fn main() -> std::io::Result<()> {
//! use std::io::{BufRead, Write};
//! use wasock::ports::{io_ports, PortConfig};
//! use wasock::{Family, Protocol, SockAddr, Socket, SocketType};
//!
//! let socket = Socket::new(Family::Inet, SocketType::Stream, Protocol::DEFAULT)?;
//! socket.connect(&SockAddr::inet(Some("127.0.0.1"), 8080)?)?;
//! let config = PortConfig { send_buffer_size: Some(1024), ..PortConfig::default() };
//! let (reader, mut writer) = io_ports(socket, config);
//! write!(writer, "GET / HTTP/1.0\r\n\r\n")?;
//! writer.flush()?;
//! for line in reader.lines() {
//!     println!("{}", line?);
//! }
//! # Ok(()) }
//! ```

use std::cell::Cell;
use std::fmt;
use std::io::{self, BufRead, Read, Write};
use std::rc::Rc;
use std::sync::Mutex;

use crate::error::{ErrorCode, Result};
use crate::socket::{Shutdown, Socket, send_all_chunked};

/// The spec's port parameters; they take effect when the ports are made.
///
/// [`PortConfig::default`] is the spec's defaults ([`PortConfig::SPEC`]);
/// [`default_config`] is the program's, which [`set_default_config`]
/// changes (and which [`Socket::send_all`] takes its `send_size` from).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PortConfig {
    /// `socket-receive-buffer-size` (default 4096): the input buffer, and
    /// the most one receive asks for. Input buffering cannot be disabled: 0
    /// is taken as 1.
    pub receive_buffer_size: usize,
    /// `socket-send-buffer-size` (default `None`: unbuffered): output is
    /// sent in whole multiples of this many bytes. `Some(0)` is unbuffered.
    pub send_buffer_size: Option<usize>,
    /// `socket-send-size` (default `Some(16384)`): the most one `send` of
    /// `send_all` is given; `None` is "infinite": every `send` is offered
    /// all remaining data.
    pub send_size: Option<usize>,
}

impl PortConfig {
    /// The spec's defaults: 4096-byte input buffer, unbuffered output,
    /// 16384-byte send chunks.
    pub const SPEC: PortConfig = PortConfig {
        receive_buffer_size: 4096,
        send_buffer_size: None,
        send_size: Some(16384),
    };
}

impl Default for PortConfig {
    fn default() -> Self {
        PortConfig::SPEC
    }
}

static DEFAULTS: Mutex<PortConfig> = Mutex::new(PortConfig::SPEC);

/// The program's default port parameters (initially [`PortConfig::SPEC`]).
pub fn default_config() -> PortConfig {
    *DEFAULTS
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Sets the program's default port parameters, as `parameterize` of the
/// spec's parameters would for the whole program.
pub fn set_default_config(config: PortConfig) {
    *DEFAULTS
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner()) = config;
}

/// The spec's `socket-i/o-ports`: a reader and a writer over the connected
/// `socket` (stream or datagram), which they own together.
pub fn io_ports(socket: Socket, config: PortConfig) -> (SocketReader, SocketWriter) {
    let (reader, writer) = ports_over(socket, config);
    (
        SocketReader { inner: reader },
        SocketWriter { inner: writer },
    )
}

/// What the ports need of a socket; a seam so the buffering rules are
/// tested natively against an in-memory transport.
pub(crate) trait Transport {
    /// One receive of at most `buf.len()` bytes (`socket-receive!`).
    fn receive_into(&self, buf: &mut [u8]) -> Result<usize>;
    /// One send (`socket-send`).
    fn send(&self, data: &[u8]) -> Result<usize>;
    /// `socket-send-all` in `send_size` chunks.
    fn send_all(&self, data: &[u8], send_size: Option<usize>) -> Result<()> {
        send_all_chunked(data, send_size, |chunk| self.send(chunk))
    }
    /// `socket-shutdown`.
    fn shutdown(&self, how: Shutdown) -> Result<()>;
    /// `socket-close`.
    fn close(&self) -> Result<()>;
}

impl Transport for Socket {
    fn receive_into(&self, buf: &mut [u8]) -> Result<usize> {
        Socket::receive_into(self, buf)
    }
    fn send(&self, data: &[u8]) -> Result<usize> {
        Socket::send(self, data)
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
    let shared = Rc::new(Shared {
        transport,
        open_ports: Cell::new(2),
    });
    let reader = Reader {
        shared: Rc::clone(&shared),
        buf: vec![0; config.receive_buffer_size.max(1)].into_boxed_slice(),
        pos: 0,
        filled: 0,
        abandoned: false,
        closed: false,
    };
    let writer = Writer {
        shared,
        buf: Vec::new(),
        send_buffer_size: config.send_buffer_size.filter(|&n| n > 0),
        send_size: config.send_size,
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
    abandoned: bool,
    closed: bool,
}

impl<T: Transport> Reader<T> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.pos >= self.filled {
            // The spec: "Whenever the buffer is empty, socket-receive! is
            // called once to read up to that many bytes."
            let n = self.shared.transport.receive_into(&mut self.buf)?;
            self.pos = 0;
            self.filled = n.min(self.buf.len());
        }
        Ok(&self.buf[self.pos..self.filled])
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
    buf: Vec<u8>,
    send_buffer_size: Option<usize>,
    send_size: Option<usize>,
    abandoned: bool,
    closed: bool,
}

impl<T: Transport> Writer<T> {
    fn write(&mut self, data: &[u8]) -> Result<usize> {
        let Some(block) = self.send_buffer_size else {
            // Unbuffered: "socket-send-all is called as soon as data is
            // written to the port."
            self.shared.transport.send_all(data, self.send_size)?;
            return Ok(data.len());
        };
        let before = self.buf.len();
        self.buf.extend_from_slice(data);
        // "Only multiples of the buffer size are sent (any overage is kept
        // in the buffer)", in a single call to send-all.
        let whole = self.buf.len() / block * block;
        if whole > 0 {
            if let Err(e) = self
                .shared
                .transport
                .send_all(&self.buf[..whole], self.send_size)
            {
                self.buf.truncate(before);
                return Err(e);
            }
            self.buf.drain(..whole);
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> Result<()> {
        if !self.buf.is_empty() {
            self.shared.transport.send_all(&self.buf, self.send_size)?;
            self.buf.clear();
        }
        Ok(())
    }

    fn close(&mut self) -> Result<()> {
        if std::mem::replace(&mut self.closed, true) {
            return Ok(());
        }
        let flushed = self.flush();
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
    pub fn socket(&self) -> &Socket {
        &self.inner.shared.transport
    }

    /// The spec's `socket-abandon-port`: closing this port will not shut
    /// the read side down (the socket is still closed once both ports are).
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
            .field("buffered", &(self.inner.filled - self.inner.pos))
            .field("capacity", &self.inner.buf.len())
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
pub struct SocketWriter {
    inner: Writer<Socket>,
}

impl SocketWriter {
    /// The spec's `socket-i/o-port->socket`: the socket of this port.
    pub fn socket(&self) -> &Socket {
        &self.inner.shared.transport
    }

    /// The spec's `socket-abandon-port`: closing this port will not shut
    /// the write side down (the socket is still closed once both ports are).
    pub fn abandon(&mut self) {
        self.inner.abandoned = true;
    }

    /// How many bytes wait in the buffer for a whole block or a flush.
    pub fn buffered(&self) -> usize {
        self.inner.buf.len()
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
        sent: RefCell<Vec<u8>>,
        calls: RefCell<Vec<Call>>,
        /// At most this many bytes per `send`, like a full stream.
        send_limit: Option<usize>,
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
    }

    impl Transport for Rc<Memory> {
        fn receive_into(&self, buf: &mut [u8]) -> Result<usize> {
            self.calls.borrow_mut().push(Call::Receive(buf.len()));
            // One datagram per receive; the rest of a longer one is lost.
            let Some(datagram) = self.incoming.borrow_mut().pop_front() else {
                return Ok(0);
            };
            let n = datagram.len().min(buf.len());
            buf[..n].copy_from_slice(&datagram[..n]);
            Ok(n)
        }
        fn send(&self, data: &[u8]) -> Result<usize> {
            let n = self
                .send_limit
                .map_or(data.len(), |limit| data.len().min(limit));
            self.calls.borrow_mut().push(Call::Send(n));
            self.sent.borrow_mut().extend_from_slice(&data[..n]);
            Ok(n)
        }
        fn send_all(&self, data: &[u8], send_size: Option<usize>) -> Result<()> {
            self.calls.borrow_mut().push(Call::SendAll(data.len()));
            send_all_chunked(data, send_size, |chunk| self.send(chunk))
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
        let (_reader, mut writer) = ports(&memory, PortConfig::default());
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

    #[test]
    fn datagram_larger_than_the_buffer_is_truncated() {
        let memory = Rc::new(Memory::default());
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
        reader.consume(4);
        assert_eq!(
            ok(reader.fill_buf().map(<[u8]>::to_vec).map_err(io_to_error)),
            b"next"
        );
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
            fn receive_into(&self, _: &mut [u8]) -> Result<usize> {
                Ok(0)
            }
            fn send(&self, data: &[u8]) -> Result<usize> {
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
            fn receive_into(&self, _: &mut [u8]) -> Result<usize> {
                Ok(0)
            }
            fn send(&self, data: &[u8]) -> Result<usize> {
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
    fn failed_buffered_write_keeps_the_buffer_as_it_was() {
        struct Failing;
        impl Transport for Failing {
            fn receive_into(&self, _: &mut [u8]) -> Result<usize> {
                Ok(0)
            }
            fn send(&self, _: &[u8]) -> Result<usize> {
                Err(Error::new(ErrorClass::Fatal, ErrorCode::BrokenPipe, "send"))
            }
            fn shutdown(&self, _: Shutdown) -> Result<()> {
                Ok(())
            }
            fn close(&self) -> Result<()> {
                Ok(())
            }
        }
        let config = PortConfig {
            send_buffer_size: Some(4),
            ..PortConfig::SPEC
        };
        let (_reader, mut writer) = ports_over(Failing, config);
        ok(writer.write(b"ab"));
        let e = writer.write(b"cdef").map_err(|e| e.code());
        assert_eq!(e, Err(ErrorCode::BrokenPipe));
        assert_eq!(writer.buf, b"ab");
    }
}
