//! An in-memory transport for the ports' tests: the buffering rules are
//! checked natively, call by call.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::rc::Rc;

use super::reader::Reader;
use super::transport::{Transport, ports_over};
use super::writer::Writer;
use crate::error::{Error, ErrorClass, ErrorCode, Result};
use crate::parameters::PortConfig;
use crate::socket::{Partial, Shutdown, send_all_chunked};

/// What the in-memory transport was asked to do, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Call {
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
pub(super) struct Memory {
    pub(super) incoming: RefCell<VecDeque<Vec<u8>>>,
    /// Receives are datagrams (and report truncation).
    pub(super) datagram: bool,
    pub(super) sent: RefCell<Vec<u8>>,
    pub(super) calls: RefCell<Vec<Call>>,
    /// At most this many bytes per `send`, like a full stream.
    pub(super) send_limit: Option<usize>,
    /// How many more bytes the peer takes before sends fail (`None`:
    /// no end), like a peer that stops reading: a blocking send then
    /// times out, a non-blocking one would block.
    pub(super) room: Cell<Option<usize>>,
    /// Whether each send was non-blocking.
    pub(super) nonblocking_sends: RefCell<Vec<bool>>,
    /// What every shutdown fails with once recorded (`None`: it succeeds),
    /// like a connection the peer already finished or reset.
    pub(super) shutdown_error: Option<ErrorCode>,
}

impl Memory {
    pub(super) fn calls(&self) -> Vec<Call> {
        self.calls.borrow().clone()
    }
    pub(super) fn sends(&self) -> Vec<usize> {
        self.calls()
            .into_iter()
            .filter_map(|c| if let Call::Send(n) = c { Some(n) } else { None })
            .collect()
    }
    pub(super) fn send_alls(&self) -> Vec<usize> {
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
    pub(super) fn sent(&self) -> Vec<u8> {
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
        match self.shutdown_error {
            None => Ok(()),
            Some(code) => Err(Error::new(ErrorClass::Fatal, code, "shutdown")),
        }
    }
    fn close(&self) -> Result<()> {
        self.calls.borrow_mut().push(Call::Close);
        Ok(())
    }
}

pub(super) fn ports(
    memory: &Rc<Memory>,
    config: PortConfig,
) -> (Reader<Rc<Memory>>, Writer<Rc<Memory>>) {
    ports_over(Rc::clone(memory), config)
}

pub(super) fn ok<T>(r: Result<T>) -> T {
    r.unwrap_or_else(|e| panic!("{e}"))
}
