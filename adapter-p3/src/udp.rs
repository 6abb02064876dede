//! Datagram sockets on `wasi:sockets@0.3.0`'s `udp-socket`, whose `send`
//! and `receive` are async calls of their own.
//!
//! A datagram longer than the guest asked for is cut to its length and
//! reported `truncated` (`MSG_TRUNC`), the rest discarded, as `recv(2)`
//! does. A `receive` of WASI still going on when a call times out stays in
//! the socket, so a datagram it brings goes to the next receive.
//! `receive` on a socket never bound binds it first to the unspecified
//! address (WASI receives only on a bound socket; POSIX binds an unbound
//! one implicitly when it sends, and a receive before then gets nothing).

use std::cell::{Cell, RefCell};
use std::future::poll_fn;
use std::pin::pin;
use std::rc::Rc;
use std::task::{Context, Poll, ready};

use crate::background::Background;
use crate::bindings::exports::wasock::socket::types::Duration;
use crate::bindings::wasi::sockets::types::{self as wasi, IpAddressFamily, IpSocketAddress};
use crate::types::{self, Result};
use crate::wait::{self, Closing, Pending};

/// What one WASI `receive` brings.
type Datagram = std::result::Result<(Vec<u8>, IpSocketAddress), wasi::ErrorCode>;

/// A datagram as the guest receives it.
pub(crate) struct Received {
    pub(crate) data: Vec<u8>,
    pub(crate) source: IpSocketAddress,
    pub(crate) truncated: bool,
}

/// One datagram socket.
pub(crate) struct UdpSocket {
    family: IpAddressFamily,
    /// `None` once closed.
    socket: RefCell<Option<Rc<wasi::UdpSocket>>>,
    bound: Cell<bool>,
    /// The WASI receive going on, if a call left one.
    receiving: RefCell<Option<Pending<Datagram>>>,
    /// Drops the receive a close leaves (see [`crate::background`]).
    background: Background,
    pub(crate) closing: Closing,
}

impl Drop for UdpSocket {
    fn drop(&mut self) {
        let _ = self.close();
    }
}

fn wasi_error(operation: &str) -> impl Fn(wasi::ErrorCode) -> types::Error + '_ {
    move |code| types::from_wasi(operation, code)
}

impl UdpSocket {
    /// `socket(2)` for datagrams.
    pub(crate) fn create(family: IpAddressFamily) -> Result<UdpSocket> {
        let socket = wasi::UdpSocket::create(family).map_err(wasi_error("socket"))?;
        Ok(UdpSocket {
            family,
            socket: RefCell::new(Some(Rc::new(socket))),
            bound: Cell::new(false),
            receiving: RefCell::new(None),
            background: Background::default(),
            closing: Closing::default(),
        })
    }

    /// The WASI socket, or `closed`.
    pub(crate) fn socket(&self, operation: &str) -> Result<Rc<wasi::UdpSocket>> {
        match &*self.socket.borrow() {
            Some(socket) if !self.closing.is_closed() => Ok(Rc::clone(socket)),
            _ => Err(types::closed(operation)),
        }
    }

    /// `bind(2)`.
    pub(crate) fn bind(&self, address: IpSocketAddress) -> Result<()> {
        const OP: &str = "bind";
        self.socket(OP)?.bind(address).map_err(wasi_error(OP))?;
        self.bound.set(true);
        Ok(())
    }

    /// Binds a socket never bound to the unspecified address and a free
    /// port, as POSIX does implicitly.
    fn ensure_bound(&self, operation: &str) -> Result<()> {
        if self.bound.get() {
            return Ok(());
        }
        let socket = self.socket(operation)?;
        // A send may have bound it already (WASI binds implicitly there).
        if socket.get_local_address().is_err() {
            socket
                .bind(types::unspecified(self.family))
                .map_err(wasi_error(operation))?;
        }
        self.bound.set(true);
        Ok(())
    }

    /// `connect(2)` of a datagram socket: sets the default destination
    /// and the only source received from.
    pub(crate) fn connect(&self, address: IpSocketAddress) -> Result<()> {
        const OP: &str = "connect";
        self.ensure_bound(OP)?;
        self.socket(OP)?.connect(address).map_err(wasi_error(OP))
    }

    /// `close(2)`.
    pub(crate) fn close(&self) -> Result<()> {
        self.socket("close")?;
        self.closing.close();
        // Dropping a pending receive may wait (close may be
        // `[dtor]socket`, a synchronous call).
        if let Some(pending) = self.receiving.borrow_mut().take() {
            self.background.bury(pending);
        }
        *self.socket.borrow_mut() = None;
        self.background.end();
        Ok(())
    }

    /// `getsockname(2)`: `None` where the socket is not bound.
    pub(crate) fn name(&self) -> Result<Option<IpSocketAddress>> {
        const OP: &str = "name";
        types::address_if_any(OP, self.socket(OP)?.get_local_address())
    }

    /// `getpeername(2)`: `None` where the socket is not connected.
    pub(crate) fn peer_name(&self) -> Result<Option<IpSocketAddress>> {
        const OP: &str = "peer-name";
        types::address_if_any(OP, self.socket(OP)?.get_remote_address())
    }

    /// `send(2)` / `sendto(2)`: one datagram, to `address` or (`None`) the
    /// connected peer; returns its length.
    pub(crate) async fn send(
        &self,
        operation: &str,
        data: Vec<u8>,
        address: Option<IpSocketAddress>,
        dont_wait: bool,
        timeout: Option<Duration>,
    ) -> Result<u32> {
        let socket = self.socket(operation)?;
        let length = u32::try_from(data.len()).unwrap_or(u32::MAX);
        let mut sending = pin!(socket.send(data, address));
        let sent = if dont_wait {
            // A datagram send waits only for the host to take it.
            match wait::now(sending.as_mut()).await {
                Some(sent) => sent,
                None => return Err(types::would_block(operation)),
            }
        } else {
            match self
                .closing
                .unless_closed(wait::within(operation, timeout, sending.as_mut()))
                .await
            {
                Some(sent) => sent?,
                None => return Err(types::closed(operation)),
            }
        };
        sent.map_err(wasi_error(operation))?;
        self.bound.set(true);
        Ok(length)
    }

    /// `recvfrom(2)`: the next datagram, cut to `max_length`.
    pub(crate) async fn receive_from(
        &self,
        operation: &str,
        max_length: u32,
        dont_wait: bool,
        timeout: Option<Duration>,
    ) -> Result<Received> {
        self.ensure_bound(operation)?;
        self.background.ensure();
        let receive = poll_fn(|cx| self.poll_receive(cx, operation));
        let datagram = if dont_wait {
            let mut receive = pin!(receive);
            match wait::now(receive.as_mut()).await {
                Some(datagram) => datagram?,
                None => return Err(types::would_block(operation)),
            }
        } else {
            match self
                .closing
                .unless_closed(wait::within(operation, timeout, receive))
                .await
            {
                Some(datagram) => datagram??,
                // WIT: a pending receive ends with end of file.
                None => {
                    return Ok(Received {
                        data: Vec::new(),
                        source: types::unspecified(self.family),
                        truncated: false,
                    });
                }
            }
        };
        let (mut data, source) = datagram.map_err(wasi_error(operation))?;
        let wanted = usize::try_from(max_length).unwrap_or(usize::MAX);
        let truncated = data.len() > wanted;
        data.truncate(wanted);
        Ok(Received {
            data,
            source,
            truncated,
        })
    }

    fn poll_receive(&self, cx: &mut Context<'_>, operation: &str) -> Poll<Result<Datagram>> {
        let mut receiving = self.receiving.borrow_mut();
        if receiving.is_none() {
            let socket = match self.socket(operation) {
                Ok(socket) => socket,
                Err(error) => return Poll::Ready(Err(error)),
            };
            *receiving = Some(Box::pin(async move { socket.receive().await }));
        }
        let Some(pending) = receiving.as_mut() else {
            return Poll::Pending;
        };
        let datagram = ready!(pending.as_mut().poll(cx));
        *receiving = None;
        Poll::Ready(Ok(datagram))
    }
}
