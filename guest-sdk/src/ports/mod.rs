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

mod reader;
mod transport;
mod writer;

#[cfg(test)]
mod memory;

#[cfg(doc)]
use std::io::{self, BufRead, Read, Write};

use crate::socket::Socket;

pub use crate::parameters::{PortConfig, default_config, set_default_config};
pub use reader::SocketReader;
pub use writer::SocketWriter;

/// The spec's `socket-i/o-ports`: a reader and a writer over the connected
/// `socket` (stream or datagram), which they own together, with the
/// program's port parameters as they are now ([`default_config`]).
#[doc(alias = "socket-i/o-ports")]
pub fn io_ports(socket: Socket) -> (SocketReader, SocketWriter) {
    io_ports_with(socket, default_config())
}

/// [`io_ports`] with these port parameters instead of the program's.
pub fn io_ports_with(socket: Socket, config: PortConfig) -> (SocketReader, SocketWriter) {
    let (reader, writer) = transport::ports_over(socket, config);
    (SocketReader::new(reader), SocketWriter::new(writer))
}
