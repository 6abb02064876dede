//! The `socket` interface: the `socket` resource over [`crate::tcp`] and
//! [`crate::udp`], the constants, and the checks every call makes before
//! it reaches `wasi:sockets` (closed, family, flags).
//!
//! The options are in [`crate::options`].

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use crate::bindings::exports::wasock::socket::socket::{
    Constant, Guest, GuestSocket, Interest, ReceiveFlags, ReceivedFrom, SendFlags, ShutdownHow,
    Socket,
};
use crate::bindings::exports::wasock::socket::types::{
    AddressFamily, Duration, Error, ErrorCode, Protocol, SocketAddress, SocketType,
};
use crate::bindings::wasi::io::poll::Pollable;
use crate::bindings::wasi::sockets::tcp::ShutdownType;
use crate::tcp::{self, TcpSocket};
use crate::types::{self, Result};
use crate::udp::UdpSocket;
use crate::wait::Deadline;
use crate::{Adapter, constants};

/// IANA protocol numbers (the same on every host).
const IPPROTO_TCP: Protocol = 6;
const IPPROTO_UDP: Protocol = 17;

/// The WASI socket behind a guest socket.
pub(crate) enum Inner {
    Tcp(TcpSocket),
    Udp(UdpSocket),
}

impl Inner {
    pub(crate) fn is_closed(&self) -> bool {
        match self {
            Inner::Tcp(tcp) => tcp.is_closed(),
            Inner::Udp(udp) => udp.is_closed(),
        }
    }
}

/// How many receive-side (receive, receive-from, accept) and send-side
/// (send, send-to, connect) calls the guest made on a socket: what an
/// edge-triggered registration of [`crate::poll_set`] re-arms on.
#[derive(Debug, Default)]
pub(crate) struct Activity {
    pub(crate) reads: Cell<u64>,
    pub(crate) writes: Cell<u64>,
}

impl Activity {
    fn read(&self) {
        self.reads.set(self.reads.get().wrapping_add(1));
    }

    fn wrote(&self) {
        self.writes.set(self.writes.get().wrapping_add(1));
    }
}

/// One guest socket: the spec's `socket` record.
pub(crate) struct AdaptedSocket {
    family: AddressFamily,
    kind: SocketType,
    protocol: Protocol,
    /// Shared with the poll sets the socket is in, which hold it weakly
    /// (a dropped socket leaves them).
    pub(crate) inner: Rc<RefCell<Inner>>,
    /// Shared with the poll sets the socket is in.
    pub(crate) activity: Rc<Activity>,
    /// `SO_RCVTIMEO` and `SO_SNDTIMEO` as the guest set them (emulated: see
    /// [`crate::options`]).
    pub(crate) stored_timeouts: RefCell<crate::options::StoredTimeouts>,
}

impl AdaptedSocket {
    fn new(family: AddressFamily, kind: SocketType, protocol: Protocol, inner: Inner) -> Self {
        AdaptedSocket {
            family,
            kind,
            protocol,
            inner: Rc::new(RefCell::new(inner)),
            activity: Rc::default(),
            stored_timeouts: RefCell::default(),
        }
    }

    /// The socket's family (inet or inet6).
    pub(crate) fn family(&self) -> AddressFamily {
        self.family
    }

    /// The socket's type.
    pub(crate) fn kind(&self) -> SocketType {
        self.kind
    }

    /// Fails with `closed` after close: every call but drop does, first.
    pub(crate) fn ensure_open(&self, operation: &str) -> Result<()> {
        if self.inner.borrow().is_closed() {
            Err(types::closed(operation))
        } else {
            Ok(())
        }
    }

    /// The guest's address as a `wasi:sockets` one, of this socket's family.
    fn address(
        &self,
        operation: &str,
        address: &SocketAddress,
    ) -> Result<crate::bindings::wasi::sockets::network::IpSocketAddress> {
        types::to_wasi(operation, self.family, address)
    }
}

include!("socket_common.rs");

impl Guest for Adapter {
    type Socket = AdaptedSocket;

    fn constant_value(name: String) -> Option<i32> {
        constants::value(&name)
    }

    fn constants() -> Vec<Constant> {
        constants::CONSTANTS
            .iter()
            .map(|(name, value)| Constant {
                name: (*name).to_owned(),
                value: *value,
            })
            .collect()
    }

    /// A stock host opens no listeners for its guest: `unsupported`.
    fn listeners() -> std::result::Result<Vec<Socket>, Error> {
        Err(types::unsupported(
            "listeners",
            ErrorCode::OperationNotSupported,
            "listeners the host opened (wasock run --listen)",
        ))
    }
}

impl GuestSocket for AdaptedSocket {
    fn create(
        family: AddressFamily,
        kind: SocketType,
        protocol: Protocol,
    ) -> std::result::Result<Socket, Error> {
        const OP: &str = "socket";
        let ip_family = match family {
            AddressFamily::Inet | AddressFamily::Inet6 => types::ip_family(family),
            AddressFamily::Unix => {
                return Err(types::unsupported(
                    OP,
                    ErrorCode::AddressFamilyNotSupported,
                    "af/unix (unix-domain sockets)",
                ));
            }
            AddressFamily::Unspec => None,
        };
        let Some(ip_family) = ip_family else {
            return Err(types::error(
                crate::bindings::exports::wasock::socket::types::ErrorClass::Unsupported,
                ErrorCode::AddressFamilyNotSupported,
                format!("{OP}: af/unspec is no socket family"),
            ));
        };
        let inner = match kind {
            SocketType::Stream if matches!(protocol, 0 | IPPROTO_TCP) => {
                Inner::Tcp(TcpSocket::create(ip_family)?)
            }
            SocketType::Dgram if matches!(protocol, 0 | IPPROTO_UDP) => {
                Inner::Udp(UdpSocket::create(ip_family)?)
            }
            SocketType::Stream | SocketType::Dgram => {
                return Err(types::unsupported(
                    OP,
                    ErrorCode::ProtocolNotSupported,
                    &format!("protocol {protocol} (only TCP streams and UDP datagrams)"),
                ));
            }
            SocketType::Raw => {
                return Err(types::unsupported(
                    OP,
                    ErrorCode::SocketTypeNotSupported,
                    "sock/raw (raw sockets)",
                ));
            }
        };
        Ok(Socket::new(AdaptedSocket::new(
            family, kind, protocol, inner,
        )))
    }

    fn family(&self) -> AddressFamily {
        self.family
    }

    fn socket_type(&self) -> SocketType {
        self.kind
    }

    fn protocol(&self) -> Protocol {
        self.protocol
    }

    fn connect(&self, address: SocketAddress, timeout: Option<Duration>) -> Result<()> {
        const OP: &str = "connect";
        self.ensure_open(OP)?;
        self.activity.wrote();
        let deadline = Deadline::after(timeout);
        let address = self.address(OP, &address)?;
        match &mut *self.inner.borrow_mut() {
            Inner::Tcp(tcp) => tcp.connect(address, deadline),
            Inner::Udp(udp) => udp.connect(address),
        }
    }

    fn bind(&self, address: SocketAddress) -> Result<()> {
        const OP: &str = "bind";
        self.ensure_open(OP)?;
        let address = self.address(OP, &address)?;
        match &mut *self.inner.borrow_mut() {
            Inner::Tcp(tcp) => tcp.bind(address),
            Inner::Udp(udp) => udp.bind(address),
        }
    }

    fn listen(&self, backlog: u32) -> Result<()> {
        const OP: &str = "listen";
        self.ensure_open(OP)?;
        match &mut *self.inner.borrow_mut() {
            Inner::Tcp(tcp) => tcp.listen(backlog),
            Inner::Udp(_) => Err(types::fatal(
                OP,
                ErrorCode::OperationNotSupported,
                "only stream sockets listen",
            )),
        }
    }

    fn accept(&self, timeout: Option<Duration>) -> Result<Socket> {
        const OP: &str = "accept";
        self.ensure_open(OP)?;
        self.activity.read();
        let deadline = Deadline::after(timeout);
        let accepted = match &mut *self.inner.borrow_mut() {
            Inner::Tcp(tcp) => tcp.accept(deadline)?,
            Inner::Udp(_) => {
                return Err(types::fatal(
                    OP,
                    ErrorCode::InvalidState,
                    "the socket is not listening",
                ));
            }
        };
        Ok(Socket::new(AdaptedSocket::new(
            self.family,
            self.kind,
            self.protocol,
            Inner::Tcp(accepted),
        )))
    }

    fn accept_ready(&self) -> Result<bool> {
        match &mut *self.inner.borrow_mut() {
            Inner::Tcp(tcp) => tcp.ready("accept-ready"),
            Inner::Udp(udp) => udp.receive_ready("accept-ready"),
        }
    }

    fn shutdown(&self, how: ShutdownHow) -> Result<()> {
        const OP: &str = "shutdown";
        self.ensure_open(OP)?;
        let how = match how {
            ShutdownHow::Receive => ShutdownType::Receive,
            ShutdownHow::Send => ShutdownType::Send,
            ShutdownHow::Both => ShutdownType::Both,
        };
        match &mut *self.inner.borrow_mut() {
            Inner::Tcp(tcp) => tcp.shutdown(how),
            Inner::Udp(_) => Err(types::unsupported(
                OP,
                ErrorCode::OperationNotSupported,
                "shutting down a datagram socket",
            )),
        }
    }

    fn close(&self) -> Result<()> {
        match &mut *self.inner.borrow_mut() {
            Inner::Tcp(tcp) => tcp.close(),
            Inner::Udp(udp) => udp.close(),
        }
    }

    fn name(&self) -> Result<Option<SocketAddress>> {
        let name = match &*self.inner.borrow() {
            Inner::Tcp(tcp) => tcp.name()?,
            Inner::Udp(udp) => udp.name()?,
        };
        Ok(name.map(types::from_wasi_address))
    }

    fn peer_name(&self) -> Result<Option<SocketAddress>> {
        let peer = match &*self.inner.borrow() {
            Inner::Tcp(tcp) => tcp.peer_name()?,
            Inner::Udp(udp) => udp.peer_name()?,
        };
        Ok(peer.map(types::from_wasi_address))
    }

    fn send(&self, data: Vec<u8>, flags: SendFlags, timeout: Option<Duration>) -> Result<u32> {
        const OP: &str = "send";
        self.ensure_open(OP)?;
        self.activity.wrote();
        let deadline = Deadline::after(timeout);
        let dont_wait = send_flags(OP, flags)?;
        match &mut *self.inner.borrow_mut() {
            Inner::Tcp(tcp) => tcp.send(&data, dont_wait, deadline),
            Inner::Udp(udp) => udp.send(&data, dont_wait, deadline),
        }
    }

    fn send_to(
        &self,
        data: Vec<u8>,
        address: SocketAddress,
        flags: SendFlags,
        timeout: Option<Duration>,
    ) -> Result<u32> {
        const OP: &str = "send-to";
        self.ensure_open(OP)?;
        self.activity.wrote();
        let deadline = Deadline::after(timeout);
        let address = self.address(OP, &address)?;
        let dont_wait = send_flags(OP, flags)?;
        match &mut *self.inner.borrow_mut() {
            Inner::Tcp(tcp) => tcp.send_to(),
            Inner::Udp(udp) => udp.send_to(&data, address, dont_wait, deadline),
        }
    }

    fn receive(
        &self,
        max_length: u32,
        flags: ReceiveFlags,
        timeout: Option<Duration>,
    ) -> Result<Vec<u8>> {
        const OP: &str = "receive";
        self.ensure_open(OP)?;
        self.activity.read();
        let deadline = Deadline::after(timeout);
        let (wait_all, dont_wait) = receive_flags(OP, flags)?;
        match &mut *self.inner.borrow_mut() {
            Inner::Tcp(tcp) => tcp.receive(OP, max_length, wait_all, dont_wait, deadline),
            Inner::Udp(udp) => Ok(udp.receive_from(OP, max_length, dont_wait, deadline)?.data),
        }
    }

    fn receive_from(
        &self,
        max_length: u32,
        flags: ReceiveFlags,
        timeout: Option<Duration>,
    ) -> Result<ReceivedFrom> {
        const OP: &str = "receive-from";
        self.ensure_open(OP)?;
        self.activity.read();
        let deadline = Deadline::after(timeout);
        let (wait_all, dont_wait) = receive_flags(OP, flags)?;
        match &mut *self.inner.borrow_mut() {
            // A connected stream reports no source address.
            Inner::Tcp(tcp) => Ok(ReceivedFrom {
                data: tcp.receive(OP, max_length, wait_all, dont_wait, deadline)?,
                address: None,
                truncated: false,
            }),
            Inner::Udp(udp) => {
                let received = udp.receive_from(OP, max_length, dont_wait, deadline)?;
                Ok(ReceivedFrom {
                    data: received.data,
                    address: Some(types::from_wasi_address(received.source)),
                    truncated: received.truncated,
                })
            }
        }
    }

    fn receive_ready(&self) -> Result<bool> {
        match &mut *self.inner.borrow_mut() {
            Inner::Tcp(tcp) => tcp.ready("receive-ready"),
            Inner::Udp(udp) => udp.receive_ready("receive-ready"),
        }
    }

    fn subscribe(&self, interest: Interest) -> Pollable {
        let interest = tcp::Interest {
            readable: crate::has!(interest, Interest::READABLE),
            writable: crate::has!(interest, Interest::WRITABLE),
        };
        match &mut *self.inner.borrow_mut() {
            Inner::Tcp(tcp) => tcp.subscribe(interest),
            Inner::Udp(udp) => udp.subscribe(interest),
        }
    }

    // Socket options get/set using SOL_SOCKET.

    fn so_accept_connections(&self) -> Result<bool> {
        crate::options::accept_connections(self)
    }

    fn so_broadcast(&self) -> Result<bool> {
        crate::options::missing(self, "so-broadcast?")
    }

    fn set_so_broadcast(&self, _value: bool) -> Result<()> {
        crate::options::missing(self, "set so-broadcast?")
    }

    fn so_debug(&self) -> Result<bool> {
        crate::options::missing(self, "so-debug?")
    }

    fn set_so_debug(&self, _value: bool) -> Result<()> {
        crate::options::missing(self, "set so-debug?")
    }

    fn so_dont_route(&self) -> Result<bool> {
        crate::options::missing(self, "so-dont-route?")
    }

    fn set_so_dont_route(&self, _value: bool) -> Result<()> {
        crate::options::missing(self, "set so-dont-route?")
    }

    fn so_error(&self) -> Result<Option<Error>> {
        match &mut *self.inner.borrow_mut() {
            Inner::Tcp(tcp) => tcp.take_error(),
            Inner::Udp(udp) => {
                udp.socket("so-error")?;
                Ok(None)
            }
        }
    }

    fn so_keep_alive(&self) -> Result<bool> {
        crate::options::keep_alive(self)
    }

    fn set_so_keep_alive(&self, value: bool) -> Result<()> {
        crate::options::set_keep_alive(self, value)
    }

    fn so_linger(&self) -> Result<Option<u32>> {
        crate::options::missing(self, "so-linger")
    }

    fn set_so_linger(&self, _value: Option<u32>) -> Result<()> {
        crate::options::missing(self, "set so-linger")
    }

    fn so_oob_inline(&self) -> Result<bool> {
        crate::options::missing(self, "so-oob-inline?")
    }

    fn set_so_oob_inline(&self, _value: bool) -> Result<()> {
        crate::options::missing(self, "set so-oob-inline?")
    }

    fn so_receive_buffer(&self) -> Result<u32> {
        crate::options::receive_buffer(self)
    }

    fn set_so_receive_buffer(&self, value: u32) -> Result<()> {
        crate::options::set_receive_buffer(self, value)
    }

    fn so_receive_low_water(&self) -> Result<u32> {
        crate::options::missing(self, "so-receive-low-water")
    }

    fn set_so_receive_low_water(&self, _value: u32) -> Result<()> {
        crate::options::missing(self, "set so-receive-low-water")
    }

    fn so_reuse_address(&self) -> Result<bool> {
        crate::options::reuse_address(self)
    }

    fn set_so_reuse_address(&self, value: bool) -> Result<()> {
        crate::options::set_reuse_address(self, value)
    }

    fn so_send_buffer(&self) -> Result<u32> {
        crate::options::send_buffer(self)
    }

    fn set_so_send_buffer(&self, value: u32) -> Result<()> {
        crate::options::set_send_buffer(self, value)
    }

    fn so_send_low_water(&self) -> Result<u32> {
        crate::options::missing(self, "so-send-low-water")
    }

    fn set_so_send_low_water(&self, _value: u32) -> Result<()> {
        crate::options::missing(self, "set so-send-low-water")
    }

    fn so_type(&self) -> Result<SocketType> {
        self.ensure_open("so-type")?;
        Ok(self.kind)
    }

    // Socket options get/set using IPPROTO_TCP.

    fn tcp_keep_alive(&self) -> Result<u32> {
        crate::options::keep_alive_idle(self)
    }

    fn set_tcp_keep_alive(&self, value: u32) -> Result<()> {
        crate::options::set_keep_alive_idle(self, value)
    }

    fn tcp_max_segment_size(&self) -> Result<u32> {
        crate::options::missing(self, "tcp-max-segment-size")
    }

    fn set_tcp_max_segment_size(&self, _value: u32) -> Result<()> {
        crate::options::missing(self, "set tcp-max-segment-size")
    }

    fn tcp_no_delay(&self) -> Result<bool> {
        crate::options::missing(self, "tcp-no-delay?")
    }

    fn set_tcp_no_delay(&self, _value: bool) -> Result<()> {
        crate::options::missing(self, "set tcp-no-delay?")
    }

    fn tcp_no_options(&self) -> Result<bool> {
        crate::options::missing(self, "tcp-no-options?")
    }

    fn set_tcp_no_options(&self, _value: bool) -> Result<()> {
        crate::options::missing(self, "set tcp-no-options?")
    }

    fn tcp_no_push(&self) -> Result<bool> {
        crate::options::missing(self, "tcp-no-push?")
    }

    fn set_tcp_no_push(&self, _value: bool) -> Result<()> {
        crate::options::missing(self, "set tcp-no-push?")
    }

    // Socket options get/set using IPPROTO_IP.

    fn ip_header_included(&self) -> Result<bool> {
        crate::options::missing(self, "ip-header-included?")
    }

    fn set_ip_header_included(&self, _value: bool) -> Result<()> {
        crate::options::missing(self, "set ip-header-included?")
    }

    fn ip_time_to_live(&self) -> Result<u8> {
        crate::options::time_to_live(self)
    }

    fn set_ip_time_to_live(&self, value: u8) -> Result<()> {
        crate::options::set_time_to_live(self, value)
    }

    fn ip_type_of_service(&self) -> Result<u8> {
        crate::options::missing(self, "ip-type-of-service")
    }

    fn set_ip_type_of_service(&self, _value: u8) -> Result<()> {
        crate::options::missing(self, "set ip-type-of-service")
    }

    // Socket options get/set using IPPROTO_IPV6.

    fn ipv6_v6_only(&self) -> Result<bool> {
        crate::options::v6_only(self)
    }

    fn set_ipv6_v6_only(&self, value: bool) -> Result<()> {
        crate::options::set_v6_only(self, value)
    }

    // The low-level interface.

    fn get_option_int(&self, level: i32, name: i32) -> Result<i32> {
        crate::options::get_int(self, level, name)
    }

    fn get_option_bytes(&self, level: i32, name: i32, max_length: u32) -> Result<Vec<u8>> {
        crate::options::get_bytes(self, level, name, max_length)
    }

    fn set_option_int(&self, level: i32, name: i32, value: i32) -> Result<()> {
        crate::options::set_int(self, level, name, value)
    }

    fn set_option_bytes(&self, level: i32, name: i32, value: Vec<u8>) -> Result<()> {
        crate::options::set_bytes(self, level, name, &value)
    }
}
