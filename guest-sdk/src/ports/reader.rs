//! The input port: a buffer refilled by one receive whenever it is empty.

use std::fmt;
use std::io::{self, BufRead, Read};
use std::rc::Rc;

#[cfg(doc)]
use super::io_ports;
use super::transport::{Shared, Transport, close_port};
use crate::error::Result;
use crate::socket::{Shutdown, Socket};

/// The input port of [`io_ports`]: std [`Read`] and [`BufRead`] over a
/// socket, with a buffer of `receive_buffer_size` bytes refilled by exactly
/// one receive whenever it is empty. Reads fail as the receive does (class
/// timeout after the socket's receive timeout, as
/// [`io::ErrorKind::TimedOut`]); 0 bytes is end of file.
pub struct SocketReader {
    inner: Reader<Socket>,
}

impl SocketReader {
    pub(super) fn new(inner: Reader<Socket>) -> SocketReader {
        SocketReader { inner }
    }

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

pub(super) struct Reader<T: Transport> {
    pub(super) shared: Rc<Shared<T>>,
    buf: Box<[u8]>,
    pos: usize,
    filled: usize,
    /// Receives are datagrams: ask the host whether each was truncated.
    datagram: bool,
    /// The datagram in the buffer was longer than the buffer.
    truncated: bool,
    pub(super) abandoned: bool,
    closed: bool,
}

impl<T: Transport> Reader<T> {
    /// A reader over `shared` with a buffer of `receive_buffer_size` bytes
    /// (at least 1: input is always buffered).
    pub(super) fn new(
        shared: Rc<Shared<T>>,
        receive_buffer_size: usize,
        datagram: bool,
    ) -> Reader<T> {
        Reader {
            shared,
            buf: vec![0; receive_buffer_size.max(1)].into_boxed_slice(),
            pos: 0,
            filled: 0,
            datagram,
            truncated: false,
            abandoned: false,
            closed: false,
        }
    }

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

    pub(super) fn close(&mut self) -> Result<()> {
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

#[cfg(test)]
mod tests {
    use std::rc::Rc;

    use super::*;
    use crate::error::{Error, ErrorClass, ErrorCode};
    use crate::parameters::PortConfig;
    use crate::ports::memory::{Call, Memory, ok, ports};

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
