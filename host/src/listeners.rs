//! Listeners the host opens for a guest before it starts: `wasock run
//! --listen ADDR` and systemd's socket activation (`LISTEN_FDS`).
//!
//! The operator chose these addresses, so the guest serves on them with
//! no bind grant; they are bound while the host still has its
//! privileges (a port below 1024 as root), before
//! [`crate::privileges::drop_capabilities`], so a guest serves a
//! privileged port from a host that keeps no capability. The guest takes
//! them with the contract's `listeners` call, in the order they were
//! opened: the inherited ones first, then each `--listen` as given.

use std::io;
use std::net::SocketAddr;
use std::os::fd::OwnedFd;
use std::sync::{Arc, Mutex};

use socket2::{Domain, Socket as OsSocket, Type};

use crate::socket::Family;
use crate::sys;

/// The backlog of a listener the host opens (`listen(2)`'s, which Linux
/// caps at `net.core.somaxconn`).
pub const LISTEN_BACKLOG: i32 = 1024;

/// One listening inet or inet6 stream socket, opened or inherited by the
/// host.
#[derive(Debug)]
pub struct Listener {
    socket: OsSocket,
    family: Family,
    local: SocketAddr,
}

impl Listener {
    /// `socket(2)`, `bind(2)` to `address` (with `SO_REUSEADDR`, as
    /// servers do) and `listen(2)`: what `--listen ADDR` does. An inet6
    /// address listens on IPv6 only (`IPV6_V6ONLY`), so `[::]:80` and
    /// `0.0.0.0:80` can be two listeners.
    pub fn bind(address: SocketAddr) -> io::Result<Listener> {
        let socket = OsSocket::new(Domain::for_address(address), Type::STREAM.cloexec(), None)?;
        if address.is_ipv6() {
            socket.set_only_v6(true)?;
        }
        socket.set_reuse_address(true)?;
        socket.bind(&address.into())?;
        socket.listen(LISTEN_BACKLOG)?;
        Listener::checked(socket)
    }

    /// A descriptor this process was given (systemd's socket activation),
    /// if it is a listening inet or inet6 stream socket; anything else is
    /// refused with what it is.
    pub fn inherited(descriptor: OwnedFd) -> Result<Listener, String> {
        Listener::checked(OsSocket::from(descriptor)).map_err(|error| error.to_string())
    }

    /// `socket` if it is a listening inet or inet6 stream socket.
    fn checked(socket: OsSocket) -> io::Result<Listener> {
        let refuse = |what: &str| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("{what}: wasock hands guests only listening inet or inet6 stream sockets"),
            )
        };
        let domain = socket.domain().map_err(|error| {
            if error.raw_os_error() == Some(libc::ENOTSOCK) {
                refuse("not a socket")
            } else {
                error
            }
        })?;
        let family = if domain == Domain::IPV4 {
            Family::Inet
        } else if domain == Domain::IPV6 {
            Family::Inet6
        } else {
            return Err(refuse("a socket of another family (unix?)"));
        };
        if socket.r#type()? != Type::STREAM {
            return Err(refuse("not a stream socket"));
        }
        if !socket.is_listener()? {
            return Err(refuse("a stream socket that is not listening"));
        }
        let local = socket
            .local_addr()?
            .as_socket()
            .ok_or_else(|| refuse("a socket with no inet address"))?;
        Ok(Listener {
            socket,
            family,
            local,
        })
    }

    /// The address it listens on.
    pub fn local_address(&self) -> SocketAddr {
        self.local
    }

    /// Its family.
    pub fn family(&self) -> Family {
        self.family
    }

    /// The OS socket, non-blocking, for the socket logic.
    pub(crate) fn into_socket(self) -> io::Result<OsSocket> {
        self.socket.set_nonblocking(true)?;
        Ok(self.socket)
    }
}

/// The listeners systemd's socket activation passed to this process:
/// `LISTEN_FDS` descriptors from 3 on, when `LISTEN_PID` is this
/// process's id (otherwise they were meant for another process, and none
/// are taken), as `sd_listen_fds(3)` and wasmtime's `listenfd` read them.
/// A descriptor that is no listening inet or inet6 stream socket is an
/// error naming it.
///
/// Call it once, first thing in `main`, before the process opens any
/// descriptor of its own.
pub fn from_socket_activation() -> Result<Vec<Listener>, String> {
    let (Some(pid), Some(count)) = (
        std::env::var_os("LISTEN_PID"),
        std::env::var_os("LISTEN_FDS"),
    ) else {
        return Ok(Vec::new());
    };
    if pid.to_str().and_then(|pid| pid.parse::<u32>().ok()) != Some(std::process::id()) {
        return Ok(Vec::new());
    }
    let count = count
        .to_str()
        .and_then(|count| count.parse::<u16>().ok())
        .ok_or_else(|| format!("LISTEN_FDS={count:?} is not a number of descriptors"))?;
    const FIRST: i32 = 3;
    (0..i32::from(count))
        .map(|index| {
            let raw = FIRST + index;
            let descriptor = sys::take_inherited(raw)
                .map_err(|error| format!("LISTEN_FDS: descriptor {raw}: {error}"))?;
            Listener::inherited(descriptor)
                .map_err(|error| format!("LISTEN_FDS: descriptor {raw} is {error}"))
        })
        .collect()
}

/// The listeners given to one guest ([`crate::run::GuestConfig`]): shared
/// by the configuration's clones, taken by the first run.
#[derive(Clone, Default)]
pub struct Listeners(Arc<Mutex<Vec<Listener>>>);

impl Listeners {
    /// These listeners, for one guest.
    pub fn new(listeners: Vec<Listener>) -> Self {
        Listeners(Arc::new(Mutex::new(listeners)))
    }

    /// Takes them all, leaving none.
    pub fn take(&self) -> Vec<Listener> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(|p| p.into_inner()))
    }

    /// How many are left to take.
    pub fn len(&self) -> usize {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).len()
    }

    /// Whether none are left.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl std::fmt::Debug for Listeners {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Listeners").field(&self.len()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bind_listens_and_reports_its_address() {
        let listener = Listener::bind("127.0.0.1:0".parse().unwrap()).expect("listen");
        assert_eq!(listener.family(), Family::Inet);
        assert_ne!(listener.local_address().port(), 0);
        let address = listener.local_address();
        std::net::TcpStream::connect(address).expect("connect to it");
        let six = Listener::bind("[::1]:0".parse().unwrap());
        if let Ok(six) = six {
            assert_eq!(six.family(), Family::Inet6);
        }
    }

    /// Only a listening inet or inet6 stream socket is handed to a guest.
    #[test]
    fn inherited_descriptors_must_be_listening_inet_streams() {
        let listening = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        assert!(Listener::inherited(OwnedFd::from(listening)).is_ok());
        let datagram = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let refused = Listener::inherited(OwnedFd::from(datagram)).unwrap_err();
        assert!(refused.contains("not a stream socket"), "{refused}");
        let unlistening = OsSocket::new(Domain::IPV4, Type::STREAM, None).unwrap();
        let refused = Listener::inherited(OwnedFd::from(unlistening)).unwrap_err();
        assert!(refused.contains("not listening"), "{refused}");
        let (unix, _) = std::os::unix::net::UnixStream::pair().unwrap();
        let refused = Listener::inherited(OwnedFd::from(unix)).unwrap_err();
        assert!(refused.contains("another family"), "{refused}");
        let file = std::fs::File::open("/proc/self/status").unwrap();
        let refused = Listener::inherited(OwnedFd::from(file)).unwrap_err();
        assert!(refused.contains("not a socket"), "{refused}");
    }

    #[test]
    fn listeners_are_taken_once() {
        let listeners = Listeners::new(vec![
            Listener::bind("127.0.0.1:0".parse().unwrap()).unwrap(),
        ]);
        let clone = listeners.clone();
        assert_eq!(clone.take().len(), 1);
        assert!(listeners.is_empty());
    }
}
