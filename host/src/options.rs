//! Socket options: every typed option of the spec, plus the low-level
//! `getsockopt(2)` / `setsockopt(2)` by level and name with an int or raw
//! bytes.
//!
//! Spec: "Socket option interface". Read-only options ("(r/o)") refuse to
//! be set with `read-only-option`; options Linux does not have (BSD's
//! `TCP_NOOPT`) fail with class `unsupported`. Policy checks on dangerous
//! options are the glue's, before it calls in here.

use std::io;
use std::mem::size_of;
use std::os::fd::AsRawFd;

use crate::error::{Error, ErrorClass, ErrorCode, Result};
use crate::socket::{Kind, Socket};
use crate::sys::{getsockopt as getsockopt_raw, setsockopt as setsockopt_raw};

/// The most bytes one low-level option call reads or writes.
pub const OPTION_BYTES_CAP: usize = 4096;

/// One typed option: its spec name, level and (where this host has one)
/// option number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SocketOption {
    /// The spec's procedure name, for messages (`so-reuse-address?`).
    pub name: &'static str,
    /// `SOL_SOCKET`, `IPPROTO_TCP`, `IPPROTO_IP`, `IPPROTO_IPV6`.
    pub level: libc::c_int,
    /// The option number; `None` where this host does not define it.
    pub number: Option<libc::c_int>,
    /// The spec's "(r/o)".
    pub read_only: bool,
}

const fn option(name: &'static str, level: libc::c_int, number: libc::c_int) -> SocketOption {
    SocketOption {
        name,
        level,
        number: Some(number),
        read_only: false,
    }
}

const fn read_only(name: &'static str, level: libc::c_int, number: libc::c_int) -> SocketOption {
    SocketOption {
        name,
        level,
        number: Some(number),
        read_only: true,
    }
}

const fn missing(name: &'static str, level: libc::c_int) -> SocketOption {
    SocketOption {
        name,
        level,
        number: None,
        read_only: false,
    }
}

// Socket options get/set using SOL_SOCKET.
/// `SO_ACCEPTCONN` (r/o).
pub const SO_ACCEPTCONN: SocketOption = read_only(
    "so-accept-connections?",
    libc::SOL_SOCKET,
    libc::SO_ACCEPTCONN,
);
/// `SO_BROADCAST`.
pub const SO_BROADCAST: SocketOption =
    option("so-broadcast?", libc::SOL_SOCKET, libc::SO_BROADCAST);
/// `SO_DEBUG`.
pub const SO_DEBUG: SocketOption = option("so-debug?", libc::SOL_SOCKET, libc::SO_DEBUG);
/// `SO_DONTROUTE`.
pub const SO_DONTROUTE: SocketOption =
    option("so-dont-route?", libc::SOL_SOCKET, libc::SO_DONTROUTE);
/// `SO_ERROR` (r/o).
pub const SO_ERROR: SocketOption = read_only("so-error", libc::SOL_SOCKET, libc::SO_ERROR);
/// `SO_KEEPALIVE`.
pub const SO_KEEPALIVE: SocketOption =
    option("so-keep-alive?", libc::SOL_SOCKET, libc::SO_KEEPALIVE);
/// `SO_LINGER` (a `struct linger`).
pub const SO_LINGER: SocketOption = option("so-linger", libc::SOL_SOCKET, libc::SO_LINGER);
/// `SO_OOBINLINE`.
pub const SO_OOBINLINE: SocketOption =
    option("so-oob-inline?", libc::SOL_SOCKET, libc::SO_OOBINLINE);
/// `SO_RCVBUF`.
pub const SO_RCVBUF: SocketOption = option("so-receive-buffer", libc::SOL_SOCKET, libc::SO_RCVBUF);
/// `SO_RCVLOWAT`.
pub const SO_RCVLOWAT: SocketOption =
    option("so-receive-low-water", libc::SOL_SOCKET, libc::SO_RCVLOWAT);
/// `SO_REUSEADDR`.
pub const SO_REUSEADDR: SocketOption =
    option("so-reuse-address?", libc::SOL_SOCKET, libc::SO_REUSEADDR);
/// `SO_SNDBUF`.
pub const SO_SNDBUF: SocketOption = option("so-send-buffer", libc::SOL_SOCKET, libc::SO_SNDBUF);
/// `SO_SNDLOWAT` (Linux refuses to set it: `ENOPROTOOPT`).
pub const SO_SNDLOWAT: SocketOption =
    option("so-send-low-water", libc::SOL_SOCKET, libc::SO_SNDLOWAT);
/// `SO_TYPE` (r/o).
pub const SO_TYPE: SocketOption = read_only("so-type", libc::SOL_SOCKET, libc::SO_TYPE);

// Socket options get/set using IPPROTO_TCP.
/// `TCP_KEEPIDLE` (BSD `TCP_KEEPALIVE`), seconds.
pub const TCP_KEEPALIVE: SocketOption =
    option("tcp-keep-alive", libc::IPPROTO_TCP, libc::TCP_KEEPIDLE);
/// `TCP_MAXSEG`.
pub const TCP_MAXSEG: SocketOption =
    option("tcp-max-segment-size", libc::IPPROTO_TCP, libc::TCP_MAXSEG);
/// `TCP_NODELAY`.
pub const TCP_NODELAY: SocketOption = option("tcp-no-delay?", libc::IPPROTO_TCP, libc::TCP_NODELAY);
/// `TCP_NOOPT`: BSD only, not on Linux.
pub const TCP_NOOPT: SocketOption = missing("tcp-no-options?", libc::IPPROTO_TCP);
/// `TCP_NOPUSH`, which is `TCP_CORK` on Linux.
pub const TCP_NOPUSH: SocketOption = option("tcp-no-push?", libc::IPPROTO_TCP, libc::TCP_CORK);

// Socket options get/set using IPPROTO_IP.
/// `IP_HDRINCL`.
pub const IP_HDRINCL: SocketOption =
    option("ip-header-included?", libc::IPPROTO_IP, libc::IP_HDRINCL);
/// `IP_TOS`.
pub const IP_TOS: SocketOption = option("ip-type-of-service", libc::IPPROTO_IP, libc::IP_TOS);
/// `IP_TTL`.
pub const IP_TTL: SocketOption = option("ip-time-to-live", libc::IPPROTO_IP, libc::IP_TTL);

// Socket options get/set using IPPROTO_IPV6.
/// `IPV6_V6ONLY`.
pub const IPV6_V6ONLY: SocketOption =
    option("ipv6-v6-only?", libc::IPPROTO_IPV6, libc::IPV6_V6ONLY);

impl SocketOption {
    pub(crate) fn number(&self) -> Result<libc::c_int> {
        self.number.ok_or_else(|| {
            Error::unsupported(
                self.name,
                ErrorCode::OptionNotSupported,
                "this option is not defined on this host",
            )
        })
    }

    pub(crate) fn writable(&self) -> Result<libc::c_int> {
        let number = self.number()?;
        if self.read_only {
            return Err(Error::new(
                ErrorClass::Fatal,
                ErrorCode::ReadOnlyOption,
                format!("set {}: the option is read-only", self.name),
            ));
        }
        Ok(number)
    }
}

/// An error of the low-level option interface: an unknown level makes
/// Linux answer `EOPNOTSUPP` (where an unknown name is `ENOPROTOOPT`); the
/// WIT promises class `unsupported` for both, so both are
/// `option-not-supported`.
fn option_error(operation: &str, err: &io::Error) -> Error {
    if err.raw_os_error() == Some(libc::EOPNOTSUPP) {
        return Error::unsupported(operation, ErrorCode::OptionNotSupported, err);
    }
    Error::io(operation, err)
}

fn getsockopt_int(
    fd: libc::c_int,
    level: libc::c_int,
    name: libc::c_int,
) -> io::Result<libc::c_int> {
    let mut bytes = [0u8; size_of::<libc::c_int>()];
    let written = getsockopt_raw(fd, level, name, &mut bytes)?;
    // Some options (IP_TOS / IP_TTL on some kernels) write one byte.
    Ok(match written {
        1 => libc::c_int::from(bytes[0]),
        _ => libc::c_int::from_ne_bytes(bytes),
    })
}

fn setsockopt_int(
    fd: libc::c_int,
    level: libc::c_int,
    name: libc::c_int,
    value: libc::c_int,
) -> io::Result<()> {
    setsockopt_raw(fd, level, name, &value.to_ne_bytes())
}

fn non_negative(operation: &str, value: u32) -> Result<libc::c_int> {
    libc::c_int::try_from(value)
        .map_err(|_| Error::invalid_argument(operation, format!("{value} is out of range")))
}

impl Socket {
    fn raw_fd(&self, operation: &str) -> Result<libc::c_int> {
        Ok(self.os_socket(operation)?.as_raw_fd())
    }

    /// `getsockopt(2)` of a typed option read as a C `int`.
    pub fn get_int_option(&self, option: &SocketOption) -> Result<i32> {
        // A closed socket says `closed` first, whatever the option.
        let fd = self.raw_fd(option.name)?;
        let number = option.number()?;
        getsockopt_int(fd, option.level, number).map_err(|e| Error::io(option.name, &e))
    }

    /// `setsockopt(2)` of a typed option with a C `int`.
    pub fn set_int_option(&self, option: &SocketOption, value: i32) -> Result<()> {
        let fd = self.raw_fd(option.name)?;
        let number = option.writable()?;
        setsockopt_int(fd, option.level, number, value)
            .map_err(|e| Error::io(&format!("set {}", option.name), &e))
    }

    /// A boolean option: any non-zero value is true.
    pub fn get_bool_option(&self, option: &SocketOption) -> Result<bool> {
        Ok(self.get_int_option(option)? != 0)
    }

    /// Sets a boolean option to 1 or 0.
    pub fn set_bool_option(&self, option: &SocketOption, value: bool) -> Result<()> {
        self.set_int_option(option, i32::from(value))
    }

    /// An unsigned option (sizes, counts, seconds).
    pub fn get_u32_option(&self, option: &SocketOption) -> Result<u32> {
        let value = self.get_int_option(option)?;
        u32::try_from(value).map_err(|_| {
            Error::new(
                ErrorClass::Fatal,
                ErrorCode::Other,
                format!("{}: the OS reported {value}", option.name),
            )
        })
    }

    /// Sets an unsigned option; values past `INT_MAX` are invalid.
    pub fn set_u32_option(&self, option: &SocketOption, value: u32) -> Result<()> {
        self.raw_fd(option.name)?; // `closed` first
        let value = non_negative(option.name, value)?;
        self.set_int_option(option, value)
    }

    /// A one-byte option (`IP_TTL`, `IP_TOS`).
    pub fn get_u8_option(&self, option: &SocketOption) -> Result<u8> {
        let value = self.get_int_option(option)?;
        u8::try_from(value).map_err(|_| {
            Error::new(
                ErrorClass::Fatal,
                ErrorCode::Other,
                format!("{}: the OS reported {value}", option.name),
            )
        })
    }

    /// `SO_LINGER` in whole seconds: `None` when lingering is off.
    pub fn linger(&self) -> Result<Option<u32>> {
        let bytes = self.get_option_bytes_as(
            SO_LINGER.name,
            libc::SOL_SOCKET,
            libc::SO_LINGER,
            size_of::<libc::linger>() as u32,
        )?;
        let (on, seconds) = decode_linger(&bytes);
        Ok((on != 0).then(|| u32::try_from(seconds).unwrap_or(0)))
    }

    /// Sets `SO_LINGER`: `Some(seconds)` turns lingering on, `None` off.
    ///
    /// A time above 0 is kept by the host, not the kernel: the kernel's
    /// close(2) would block the closing host thread for up to that long,
    /// so the host's close lingers on a timer instead (`socket::close`).
    /// The guest reads back what it set; the peer sees what close(2) with
    /// lingering would give it. `Some(0)` (an abortive close: a reset) and
    /// `None` go to the kernel, which does not block for them.
    pub fn set_linger(&self, seconds: Option<u32>) -> Result<()> {
        const OP: &str = "set so-linger";
        self.raw_fd(OP)?; // `closed` first
        let (on, time) = match seconds {
            Some(seconds) => (1, non_negative(OP, seconds)?),
            None => (0, 0),
        };
        self.set_option_bytes_as(
            OP,
            libc::SOL_SOCKET,
            libc::SO_LINGER,
            &encode_linger(on, time),
        )
    }

    /// `SO_LINGER` as the guest set it, where the host keeps it (see
    /// [`Socket::set_linger`]).
    fn host_linger_bytes(&self, level: i32, name: i32) -> Option<Vec<u8>> {
        if (level, name) != (libc::SOL_SOCKET, libc::SO_LINGER) {
            return None;
        }
        let seconds = self.host_linger()?.as_secs();
        Some(encode_linger(1, i32::try_from(seconds).unwrap_or(i32::MAX)))
    }

    /// Handles a set of `SO_LINGER` with a time above 0: the host keeps the
    /// time and the kernel's lingering stays off. Any other value of it
    /// clears the host's time and goes to the kernel (`false`).
    fn set_host_linger_from(
        &self,
        fd: libc::c_int,
        level: i32,
        name: i32,
        value: &[u8],
    ) -> Result<bool> {
        if (level, name) != (libc::SOL_SOCKET, libc::SO_LINGER) {
            return Ok(false);
        }
        let (on, seconds) = if value.len() < size_of::<libc::linger>() {
            (0, 0)
        } else {
            decode_linger(value)
        };
        if on == 0 || seconds <= 0 {
            self.set_host_linger(0);
            return Ok(false);
        }
        setsockopt_raw(fd, level, name, &encode_linger(0, 0))
            .map_err(|e| option_error("set so-linger", &e))?;
        self.set_host_linger(seconds.unsigned_abs());
        Ok(true)
    }

    /// `SO_ERROR`: reads and clears the pending error; `None` if none.
    /// A pending error is almost always a non-blocking connect's, so it
    /// is classed as connect's are.
    pub fn take_error(&self) -> Result<Option<Error>> {
        let errno = self.get_int_option(&SO_ERROR)?;
        Ok((errno != 0).then(|| Error::connect_errno("so-error", errno)))
    }

    /// `SO_TYPE`, as the OS reports it.
    pub fn os_type(&self) -> Result<Kind> {
        let raw = self.get_int_option(&SO_TYPE)?;
        Kind::from_raw(raw).ok_or_else(|| {
            Error::unsupported(
                "so-type",
                ErrorCode::SocketTypeNotSupported,
                format!("socket type {raw} has no name"),
            )
        })
    }

    /// `getsockopt(2)` read as a C `int`: the spec's
    /// `(get-socket-option s level name)`.
    pub fn get_option_int(&self, level: i32, name: i32) -> Result<i32> {
        const OP: &str = "get-socket-option";
        let fd = self.raw_fd(OP)?;
        getsockopt_int(fd, level, name).map_err(|e| option_error(OP, &e))
    }

    /// `getsockopt(2)` into `max_length` bytes (at most
    /// [`OPTION_BYTES_CAP`]), sized to what the OS wrote: the spec's
    /// `(get-socket-option s level name len)`.
    pub fn get_option_bytes(&self, level: i32, name: i32, max_length: u32) -> Result<Vec<u8>> {
        self.get_option_bytes_as("get-socket-option", level, name, max_length)
    }

    /// [`Self::get_option_bytes`], its errors naming `operation`.
    pub fn get_option_bytes_as(
        &self,
        operation: &str,
        level: i32,
        name: i32,
        max_length: u32,
    ) -> Result<Vec<u8>> {
        let fd = self.raw_fd(operation)?;
        let length = usize::try_from(max_length)
            .unwrap_or(OPTION_BYTES_CAP)
            .min(OPTION_BYTES_CAP);
        if let Some(mut kept) = self.host_linger_bytes(level, name) {
            kept.truncate(length);
            return Ok(kept);
        }
        let mut buffer = vec![0u8; length];
        let written = getsockopt_raw(fd, level, name, &mut buffer)
            .map_err(|e| option_error(operation, &e))?;
        buffer.truncate(written);
        Ok(buffer)
    }

    /// `setsockopt(2)` with a C `int`: the spec's
    /// `(set-socket-option s level name int-or-bool)`.
    pub fn set_option_int(&self, level: i32, name: i32, value: i32) -> Result<()> {
        const OP: &str = "set-socket-option";
        let fd = self.raw_fd(OP)?;
        setsockopt_int(fd, level, name, value).map_err(|e| option_error(OP, &e))
    }

    /// `setsockopt(2)` with raw bytes (at most [`OPTION_BYTES_CAP`]): the
    /// spec's `(set-socket-option s level name blob)`.
    pub fn set_option_bytes(&self, level: i32, name: i32, value: &[u8]) -> Result<()> {
        self.set_option_bytes_as("set-socket-option", level, name, value)
    }

    /// [`Self::set_option_bytes`], its errors naming `operation` (a typed
    /// setter's spec name).
    pub fn set_option_bytes_as(
        &self,
        operation: &str,
        level: i32,
        name: i32,
        value: &[u8],
    ) -> Result<()> {
        let fd = self.raw_fd(operation)?;
        if value.len() > OPTION_BYTES_CAP {
            return Err(Error::invalid_argument(
                operation,
                format!("{} bytes is more than {OPTION_BYTES_CAP}", value.len()),
            ));
        }
        if self.set_host_linger_from(fd, level, name, value)? {
            return Ok(());
        }
        setsockopt_raw(fd, level, name, value).map_err(|e| option_error(operation, &e))
    }
}

/// A C `int` option's value from the bytes `getsockopt(2)` wrote (some
/// options, `IP_TOS` / `IP_TTL` on some kernels, write one byte).
pub fn int_of_bytes(bytes: &[u8]) -> i32 {
    match bytes {
        [byte] => i32::from(*byte),
        [a, b, c, d, ..] => i32::from_ne_bytes([*a, *b, *c, *d]),
        _ => 0,
    }
}

/// `struct linger` as this host lays it out.
pub fn encode_linger(on: i32, seconds: i32) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(size_of::<libc::linger>());
    bytes.extend_from_slice(&on.to_ne_bytes());
    bytes.extend_from_slice(&seconds.to_ne_bytes());
    bytes
}

/// (l_onoff, l_linger) of a `struct linger`'s bytes.
pub fn decode_linger(bytes: &[u8]) -> (i32, i32) {
    let field = |at: usize| {
        bytes
            .get(at..at + 4)
            .and_then(|b| <[u8; 4]>::try_from(b).ok())
            .map_or(0, i32::from_ne_bytes)
    };
    (field(0), field(4))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linger_layout_matches_libc() {
        assert_eq!(size_of::<libc::linger>(), 8);
        assert_eq!(decode_linger(&encode_linger(1, 100)), (1, 100));
    }

    /// `SO_LINGER` with a time reads back as set, is kept by the host (the
    /// kernel's copy stays off, so no close(2) can block a thread), and an
    /// accepted socket inherits the listener's, as the kernel's
    /// inheritance would give it; an abortive linger (0 s) goes to the
    /// kernel.
    #[tokio::test]
    async fn linger_is_kept_by_the_host_and_inherited_on_accept() {
        use crate::socket::Family;
        let kernel_linger = |socket: &Socket| {
            socket2::SockRef::from(socket.os_socket("test").unwrap())
                .linger()
                .unwrap()
        };
        let mut listener = Socket::create(Family::Inet, Kind::Stream, 0).unwrap();
        // Past the ceiling: read back as set (the close lingers at most
        // the ceiling: `socket::close`).
        listener.set_linger(Some(100)).unwrap();
        assert_eq!(listener.linger().unwrap(), Some(100));
        let bytes = listener
            .get_option_bytes(libc::SOL_SOCKET, libc::SO_LINGER, 8)
            .unwrap();
        assert_eq!(decode_linger(&bytes), (1, 100));
        assert_eq!(kernel_linger(&listener), None, "the kernel holds no time");
        listener.set_linger(Some(9)).unwrap();
        assert_eq!(listener.linger().unwrap(), Some(9));
        assert_eq!(kernel_linger(&listener), None, "the kernel holds no time");
        let any: std::net::SocketAddr = "127.0.0.1:0".parse().unwrap();
        listener.bind(&any.into()).unwrap();
        listener.listen(8).unwrap();
        let address = listener.local_address().unwrap().as_socket().unwrap();
        let _client = std::net::TcpStream::connect(address).unwrap();
        let accepted = listener
            .accept(Some(std::time::Duration::from_secs(10)))
            .await
            .unwrap();
        assert_eq!(accepted.linger().unwrap(), Some(9), "inherited");
        assert_eq!(kernel_linger(&accepted), None);
        accepted.set_linger(Some(0)).unwrap();
        assert_eq!(accepted.linger().unwrap(), Some(0));
        assert_eq!(
            kernel_linger(&accepted),
            Some(std::time::Duration::ZERO),
            "an abortive close is the kernel's"
        );
    }
}
