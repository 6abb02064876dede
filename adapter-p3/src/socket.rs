//! The `socket` interface: the `socket` resource over [`crate::tcp`] and
//! [`crate::udp`], the constants, and the checks every call makes before
//! it reaches `wasi:sockets` (closed, family, flags).
//!
//! The options are in [`crate::options`].

use std::cell::RefCell;

use wit_bindgen::{FutureReader, StreamReader};

use crate::bindings::exports::wasock::socket::socket::{
    Constant, Guest, GuestSocket, ReceiveFlags, ReceivedFrom, SendFlags, ShutdownHow, Socket,
};
use crate::bindings::exports::wasock::socket::types::{
    AddressFamily, Duration, Error, ErrorClass, ErrorCode, Protocol, SocketAddress, SocketType,
};
use crate::bindings::wasi::sockets::types::IpSocketAddress;
use crate::options;
use crate::resolved::resolved;
use crate::tcp::TcpSocket;
use crate::types::{self, Result};
use crate::udp::UdpSocket;
use crate::{Adapter, constants};

/// IANA protocol numbers (the same on every host).
const IPPROTO_TCP: Protocol = 6;
const IPPROTO_UDP: Protocol = 17;

/// The WASI socket behind a guest socket.
pub(crate) enum Inner {
    Tcp(TcpSocket),
    Udp(UdpSocket),
}

/// One guest socket: the spec's `socket` record.
pub(crate) struct AdaptedSocket {
    family: AddressFamily,
    kind: SocketType,
    protocol: Protocol,
    pub(crate) inner: Inner,
    /// `SO_RCVTIMEO` and `SO_SNDTIMEO` as the guest set them (emulated: see
    /// [`crate::options`]).
    pub(crate) stored_timeouts: RefCell<options::StoredTimeouts>,
}

impl AdaptedSocket {
    fn new(family: AddressFamily, kind: SocketType, protocol: Protocol, inner: Inner) -> Self {
        AdaptedSocket {
            family,
            kind,
            protocol,
            inner,
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
        let closed = match &self.inner {
            Inner::Tcp(tcp) => tcp.closing.is_closed(),
            Inner::Udp(udp) => udp.closing.is_closed(),
        };
        if closed {
            Err(types::closed(operation))
        } else {
            Ok(())
        }
    }

    /// The guest's address as a `wasi:sockets` one, of this socket's family.
    fn address(&self, operation: &str, address: &SocketAddress) -> Result<IpSocketAddress> {
        types::to_wasi(operation, self.family, address)
    }
}

include!("../../adapter/src/socket_common.rs");

/// WIT: "A `max-length` of 0 is `invalid-argument`: an empty result means
/// end of file."
fn ensure_length(operation: &str, max_length: u32) -> Result<()> {
    if max_length == 0 {
        Err(types::fatal(
            operation,
            ErrorCode::InvalidArgument,
            "max-length 0 (an empty result means end of file)",
        ))
    } else {
        Ok(())
    }
}

/// A readiness check (`poll(2)` with no wait): WASI 0.3 has no readiness
/// to ask, only calls to wait on.
fn no_readiness(operation: &str) -> Error {
    types::unsupported(
        operation,
        ErrorCode::OperationNotSupported,
        "readiness without waiting (WASI 0.3 has no pollables)",
    )
}

/// The answer of `receive-stream` and `send-stream` on a datagram socket.
fn no_byte_stream(operation: &str) -> Result<()> {
    Err(types::fatal(
        operation,
        ErrorCode::OperationNotSupported,
        "a datagram socket has no byte stream",
    ))
}

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
                ErrorClass::Unsupported,
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

    async fn connect(&self, address: SocketAddress, timeout: Option<Duration>) -> Result<()> {
        const OP: &str = "connect";
        self.ensure_open(OP)?;
        let address = self.address(OP, &address)?;
        match &self.inner {
            Inner::Tcp(tcp) => tcp.connect(address, timeout).await,
            Inner::Udp(udp) => udp.connect(address),
        }
    }

    fn bind(&self, address: SocketAddress) -> Result<()> {
        const OP: &str = "bind";
        self.ensure_open(OP)?;
        let address = self.address(OP, &address)?;
        match &self.inner {
            Inner::Tcp(tcp) => tcp.bind(address),
            Inner::Udp(udp) => udp.bind(address),
        }
    }

    fn listen(&self, backlog: u32) -> Result<()> {
        const OP: &str = "listen";
        self.ensure_open(OP)?;
        match &self.inner {
            Inner::Tcp(tcp) => tcp.listen(backlog),
            Inner::Udp(_) => Err(types::fatal(
                OP,
                ErrorCode::OperationNotSupported,
                "only stream sockets listen",
            )),
        }
    }

    async fn accept(&self, timeout: Option<Duration>) -> Result<Socket> {
        const OP: &str = "accept";
        self.ensure_open(OP)?;
        let accepted = match &self.inner {
            Inner::Tcp(tcp) => tcp.accept(timeout).await?,
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
        const OP: &str = "accept-ready";
        self.ensure_open(OP)?;
        Err(no_readiness(OP))
    }

    fn shutdown(&self, how: ShutdownHow) -> Result<()> {
        const OP: &str = "shutdown";
        self.ensure_open(OP)?;
        let (receive, send) = match how {
            ShutdownHow::Receive => (true, false),
            ShutdownHow::Send => (false, true),
            ShutdownHow::Both => (true, true),
        };
        match &self.inner {
            Inner::Tcp(tcp) => tcp.shutdown(receive, send),
            Inner::Udp(_) => Err(types::unsupported(
                OP,
                ErrorCode::OperationNotSupported,
                "shutting down a datagram socket",
            )),
        }
    }

    async fn close(&self) -> Result<()> {
        match &self.inner {
            Inner::Tcp(tcp) => tcp.close(),
            Inner::Udp(udp) => udp.close(),
        }
    }

    fn name(&self) -> Result<Option<SocketAddress>> {
        let name = match &self.inner {
            Inner::Tcp(tcp) => tcp.name()?,
            Inner::Udp(udp) => udp.name()?,
        };
        Ok(name.map(types::from_wasi_address))
    }

    fn peer_name(&self) -> Result<Option<SocketAddress>> {
        let peer = match &self.inner {
            Inner::Tcp(tcp) => tcp.peer_name()?,
            Inner::Udp(udp) => udp.peer_name()?,
        };
        Ok(peer.map(types::from_wasi_address))
    }

    async fn send(
        &self,
        data: Vec<u8>,
        flags: SendFlags,
        timeout: Option<Duration>,
    ) -> Result<u32> {
        const OP: &str = "send";
        self.ensure_open(OP)?;
        let dont_wait = send_flags(OP, flags)?;
        match &self.inner {
            Inner::Tcp(tcp) => tcp.send(OP, data, dont_wait, timeout).await,
            Inner::Udp(udp) => udp.send(OP, data, None, dont_wait, timeout).await,
        }
    }

    async fn send_to(
        &self,
        data: Vec<u8>,
        address: SocketAddress,
        flags: SendFlags,
        timeout: Option<Duration>,
    ) -> Result<u32> {
        const OP: &str = "send-to";
        self.ensure_open(OP)?;
        let address = self.address(OP, &address)?;
        let dont_wait = send_flags(OP, flags)?;
        match &self.inner {
            // POSIX ignores the address of a connected stream socket.
            Inner::Tcp(tcp) => tcp.send(OP, data, dont_wait, timeout).await,
            Inner::Udp(udp) => udp.send(OP, data, Some(address), dont_wait, timeout).await,
        }
    }

    async fn receive(
        &self,
        max_length: u32,
        flags: ReceiveFlags,
        timeout: Option<Duration>,
    ) -> Result<Vec<u8>> {
        const OP: &str = "receive";
        self.ensure_open(OP)?;
        ensure_length(OP, max_length)?;
        let (wait_all, dont_wait) = receive_flags(OP, flags)?;
        match &self.inner {
            Inner::Tcp(tcp) => {
                tcp.receive(OP, max_length, wait_all, dont_wait, timeout)
                    .await
            }
            Inner::Udp(udp) => Ok(udp
                .receive_from(OP, max_length, dont_wait, timeout)
                .await?
                .data),
        }
    }

    async fn receive_from(
        &self,
        max_length: u32,
        flags: ReceiveFlags,
        timeout: Option<Duration>,
    ) -> Result<ReceivedFrom> {
        const OP: &str = "receive-from";
        self.ensure_open(OP)?;
        ensure_length(OP, max_length)?;
        let (wait_all, dont_wait) = receive_flags(OP, flags)?;
        match &self.inner {
            // A connected stream reports no source address.
            Inner::Tcp(tcp) => Ok(ReceivedFrom {
                data: tcp
                    .receive(OP, max_length, wait_all, dont_wait, timeout)
                    .await?,
                address: None,
                truncated: false,
            }),
            Inner::Udp(udp) => {
                let received = udp.receive_from(OP, max_length, dont_wait, timeout).await?;
                Ok(ReceivedFrom {
                    data: received.data,
                    address: Some(types::from_wasi_address(received.source)),
                    truncated: received.truncated,
                })
            }
        }
    }

    fn receive_ready(&self) -> Result<bool> {
        const OP: &str = "receive-ready";
        self.ensure_open(OP)?;
        Err(no_readiness(OP))
    }

    fn receive_stream(&self) -> (StreamReader<u8>, FutureReader<Result<()>>) {
        const OP: &str = "receive-stream";
        match &self.inner {
            Inner::Tcp(tcp) => tcp.receive_stream(),
            Inner::Udp(udp) => {
                let refused = udp.socket(OP).and_then(|_| no_byte_stream(OP));
                // WIT: "otherwise the stream is empty and the future
                // resolves to the error at once".
                let (_ended, empty) = crate::bindings::wit_stream::new::<u8>();
                (empty, resolved(refused))
            }
        }
    }

    fn send_stream(&self, data: StreamReader<u8>) -> FutureReader<Result<()>> {
        const OP: &str = "send-stream";
        match &self.inner {
            Inner::Tcp(tcp) => tcp.send_stream(data),
            Inner::Udp(udp) => {
                drop(data);
                resolved(udp.socket(OP).and_then(|_| no_byte_stream(OP)))
            }
        }
    }

    // Socket options get/set using SOL_SOCKET.

    fn so_accept_connections(&self) -> Result<bool> {
        options::accept_connections(self)
    }

    fn so_broadcast(&self) -> Result<bool> {
        options::missing(self, "so-broadcast?")
    }

    fn set_so_broadcast(&self, _value: bool) -> Result<()> {
        options::missing(self, "set so-broadcast?")
    }

    fn so_debug(&self) -> Result<bool> {
        options::missing(self, "so-debug?")
    }

    fn set_so_debug(&self, _value: bool) -> Result<()> {
        options::missing(self, "set so-debug?")
    }

    fn so_dont_route(&self) -> Result<bool> {
        options::missing(self, "so-dont-route?")
    }

    fn set_so_dont_route(&self, _value: bool) -> Result<()> {
        options::missing(self, "set so-dont-route?")
    }

    fn so_error(&self) -> Result<Option<Error>> {
        // WASI 0.3 reports a connection's errors on the call that meets
        // them (and the streams' futures): nothing is left pending.
        self.ensure_open("so-error")?;
        Ok(None)
    }

    fn so_keep_alive(&self) -> Result<bool> {
        options::keep_alive(self)
    }

    fn set_so_keep_alive(&self, value: bool) -> Result<()> {
        options::set_keep_alive(self, value)
    }

    fn so_linger(&self) -> Result<Option<u32>> {
        options::missing(self, "so-linger")
    }

    fn set_so_linger(&self, _value: Option<u32>) -> Result<()> {
        options::missing(self, "set so-linger")
    }

    fn so_oob_inline(&self) -> Result<bool> {
        options::missing(self, "so-oob-inline?")
    }

    fn set_so_oob_inline(&self, _value: bool) -> Result<()> {
        options::missing(self, "set so-oob-inline?")
    }

    fn so_receive_buffer(&self) -> Result<u32> {
        options::receive_buffer(self)
    }

    fn set_so_receive_buffer(&self, value: u32) -> Result<()> {
        options::set_receive_buffer(self, value)
    }

    fn so_receive_low_water(&self) -> Result<u32> {
        options::missing(self, "so-receive-low-water")
    }

    fn set_so_receive_low_water(&self, _value: u32) -> Result<()> {
        options::missing(self, "set so-receive-low-water")
    }

    fn so_reuse_address(&self) -> Result<bool> {
        options::reuse_address(self)
    }

    fn set_so_reuse_address(&self, value: bool) -> Result<()> {
        options::set_reuse_address(self, value)
    }

    fn so_send_buffer(&self) -> Result<u32> {
        options::send_buffer(self)
    }

    fn set_so_send_buffer(&self, value: u32) -> Result<()> {
        options::set_send_buffer(self, value)
    }

    fn so_send_low_water(&self) -> Result<u32> {
        options::missing(self, "so-send-low-water")
    }

    fn set_so_send_low_water(&self, _value: u32) -> Result<()> {
        options::missing(self, "set so-send-low-water")
    }

    fn so_type(&self) -> Result<SocketType> {
        self.ensure_open("so-type")?;
        Ok(self.kind)
    }

    // Socket options get/set using IPPROTO_TCP.

    fn tcp_keep_alive(&self) -> Result<u32> {
        options::keep_alive_idle(self)
    }

    fn set_tcp_keep_alive(&self, value: u32) -> Result<()> {
        options::set_keep_alive_idle(self, value)
    }

    fn tcp_max_segment_size(&self) -> Result<u32> {
        options::missing(self, "tcp-max-segment-size")
    }

    fn set_tcp_max_segment_size(&self, _value: u32) -> Result<()> {
        options::missing(self, "set tcp-max-segment-size")
    }

    fn tcp_no_delay(&self) -> Result<bool> {
        options::missing(self, "tcp-no-delay?")
    }

    fn set_tcp_no_delay(&self, _value: bool) -> Result<()> {
        options::missing(self, "set tcp-no-delay?")
    }

    fn tcp_no_options(&self) -> Result<bool> {
        options::missing(self, "tcp-no-options?")
    }

    fn set_tcp_no_options(&self, _value: bool) -> Result<()> {
        options::missing(self, "set tcp-no-options?")
    }

    fn tcp_no_push(&self) -> Result<bool> {
        options::missing(self, "tcp-no-push?")
    }

    fn set_tcp_no_push(&self, _value: bool) -> Result<()> {
        options::missing(self, "set tcp-no-push?")
    }

    // Socket options get/set using IPPROTO_IP.

    fn ip_header_included(&self) -> Result<bool> {
        options::missing(self, "ip-header-included?")
    }

    fn set_ip_header_included(&self, _value: bool) -> Result<()> {
        options::missing(self, "set ip-header-included?")
    }

    fn ip_time_to_live(&self) -> Result<u8> {
        options::time_to_live(self)
    }

    fn set_ip_time_to_live(&self, value: u8) -> Result<()> {
        options::set_time_to_live(self, value)
    }

    fn ip_type_of_service(&self) -> Result<u8> {
        options::missing(self, "ip-type-of-service")
    }

    fn set_ip_type_of_service(&self, _value: u8) -> Result<()> {
        options::missing(self, "set ip-type-of-service")
    }

    // Socket options get/set using IPPROTO_IPV6.

    fn ipv6_v6_only(&self) -> Result<bool> {
        options::v6_only(self)
    }

    fn set_ipv6_v6_only(&self, value: bool) -> Result<()> {
        options::set_v6_only(self, value)
    }

    // The low-level interface.

    fn get_option_int(&self, level: i32, name: i32) -> Result<i32> {
        options::get_int(self, level, name)
    }

    fn get_option_bytes(&self, level: i32, name: i32, max_length: u32) -> Result<Vec<u8>> {
        options::get_bytes(self, level, name, max_length)
    }

    fn set_option_int(&self, level: i32, name: i32, value: i32) -> Result<()> {
        options::set_int(self, level, name, value)
    }

    fn set_option_bytes(&self, level: i32, name: i32, value: Vec<u8>) -> Result<()> {
        options::set_bytes(self, level, name, &value)
    }
}
