//! What the ports need of a socket, and the socket the two ports share:
//! made together, closed one at a time, the socket with the last.

use std::cell::Cell;
use std::rc::Rc;

use super::reader::Reader;
use super::writer::Writer;
use crate::addr::SocketType;
use crate::error::{ErrorCode, Result};
use crate::parameters::PortConfig;
use crate::socket::{Partial, SendFlags, SendOptions, Shutdown, Socket, send_all_chunked};

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
pub(super) struct Shared<T: Transport> {
    pub(super) transport: T,
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
pub(super) fn close_port<T: Transport>(
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

/// The reader and the writer over one transport, which they share.
pub(super) fn ports_over<T: Transport>(transport: T, config: PortConfig) -> (Reader<T>, Writer<T>) {
    let datagram = transport.is_datagram();
    let shared = Rc::new(Shared {
        transport,
        open_ports: Cell::new(2),
    });
    let reader = Reader::new(Rc::clone(&shared), config.receive_buffer_size, datagram);
    let writer = Writer::new(shared, config);
    (reader, writer)
}

#[cfg(test)]
mod tests {
    use std::rc::Rc;

    use super::*;
    use crate::ports::memory::{Call, Memory, ok, ports};

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
        let memory = Rc::new(Memory {
            shutdown_error: Some(ErrorCode::NotConnected),
            ..Memory::default()
        });
        let (mut reader, mut writer) = ports(&memory, PortConfig::SPEC);
        assert_eq!(writer.close(), Ok(()));
        assert_eq!(reader.close(), Ok(()));
        assert_eq!(
            memory.calls(),
            [
                Call::Shutdown(Shutdown::Write),
                Call::Shutdown(Shutdown::Read),
                Call::Close
            ]
        );
    }

    #[test]
    fn closing_reports_other_shutdown_errors_and_still_closes_the_socket() {
        let memory = Rc::new(Memory {
            shutdown_error: Some(ErrorCode::Other),
            ..Memory::default()
        });
        let (mut reader, mut writer) = ports(&memory, PortConfig::SPEC);
        assert_eq!(writer.close().map_err(|e| e.code()), Err(ErrorCode::Other));
        assert_eq!(reader.close().map_err(|e| e.code()), Err(ErrorCode::Other));
        assert_eq!(
            memory.calls().last(),
            Some(&Call::Close),
            "the socket was closed anyway"
        );
    }
}
