//! Socket options: the spec's "Socket option interface": a typed getter and
//! setter per option (read-only options have no setter), and the low-level
//! `get-socket-option` / `set-socket-option` by level and name.
//!
//! Options the host does not define or support fail with class
//! [`ErrorClass::Unsupported`](crate::ErrorClass::Unsupported).

use std::time::Duration;

use crate::addr::SocketType;
use crate::error::{Error, Result};
use crate::socket::Socket;

/// A getter and setter pair whose values pass through unchanged, with a
/// compiled example on the setter.
macro_rules! option {
    (
        $c:literal, $spec:literal, $ty:ty, $example:literal,
        $get:ident => $wget:ident, $set:ident => $wset:ident,
        $(#[$setdoc:meta])*
    ) => {
        #[doc = concat!("`", $c, "`: the spec's `(", $spec, " s)`. See [`Socket::", stringify!($set), "`].")]
        #[doc(alias = $spec)]
        pub fn $get(&self) -> Result<$ty> {
            Ok(self.wit().$wget()?)
        }

        #[doc = concat!("Sets `", $c, "`: the spec's `(set! (", $spec, " s) value)`.")]
        #[doc = ""]
        $(#[$setdoc])*
        #[doc = ""]
        #[doc = "```no_run"]
        #[doc = "# fn main() -> wasock::Result<()> {"]
        #[doc = "# use wasock::{Family, Protocol, Socket, SocketType};"]
        #[doc = "let socket = Socket::new(Family::Inet, SocketType::Stream, Protocol::DEFAULT)?;"]
        #[doc = concat!("socket.", stringify!($set), "(", $example, ")?;")]
        #[doc = concat!("println!(\"", $c, " = {:?}\", socket.", stringify!($get), "()?);")]
        #[doc = "# Ok(()) }"]
        #[doc = "```"]
        pub fn $set(&self, value: $ty) -> Result<()> {
            Ok(self.wit().$wset(value)?)
        }
    };
}

/// Socket options get/set using `SOL_SOCKET` (the spec's "Socket-level").
impl Socket {
    /// `SO_ACCEPTCONN` (read-only): the spec's `so-accept-connections?`:
    /// whether the socket is listening.
    ///
    /// ```no_run
    /// # fn main() -> wasock::Result<()> {
    /// # use wasock::{Family, Protocol, SockAddr, Socket, SocketType};
    /// let socket = Socket::new(Family::Inet, SocketType::Stream, Protocol::DEFAULT)?;
    /// socket.bind(&SockAddr::inet(Some("127.0.0.1"), 0)?)?;
    /// socket.listen(8)?;
    /// assert!(socket.accept_connections()?);
    /// # Ok(()) }
    /// ```
    #[doc(alias = "so-accept-connections?")]
    pub fn accept_connections(&self) -> Result<bool> {
        Ok(self.wit().so_accept_connections()?)
    }

    option! {
        "SO_BROADCAST", "so-broadcast?", bool, "true",
        broadcast => so_broadcast, set_broadcast => set_so_broadcast,
        /// Permits sending to broadcast addresses (datagram sockets).
    }

    option! {
        "SO_DEBUG", "so-debug?", bool, "false",
        debug => so_debug, set_debug => set_so_debug,
        /// Kernel debugging; turning it on needs `CAP_NET_ADMIN` on Linux.
    }

    option! {
        "SO_DONTROUTE", "so-dont-route?", bool, "true",
        dont_route => so_dont_route, set_dont_route => set_so_dont_route,
        /// Sends only to directly connected hosts.
    }

    /// `SO_ERROR` (read-only): the spec's `so-error`: reads and clears the
    /// pending error; `None` where there is none.
    ///
    /// ```no_run
    /// # fn main() -> wasock::Result<()> {
    /// # let socket = wasock::Socket::new(wasock::Family::Inet, wasock::SocketType::Stream, wasock::Protocol::DEFAULT)?;
    /// if let Some(pending) = socket.take_error()? {
    ///     eprintln!("pending error: {pending}");
    /// }
    /// # Ok(()) }
    /// ```
    #[doc(alias = "so-error")]
    pub fn take_error(&self) -> Result<Option<Error>> {
        Ok(self.wit().so_error()?.map(Error::from))
    }

    option! {
        "SO_KEEPALIVE", "so-keep-alive?", bool, "true",
        keep_alive => so_keep_alive, set_keep_alive => set_so_keep_alive,
        /// Sends keep-alive probes on a connection.
    }

    /// `SO_LINGER`: how long `close` waits for unsent data, in whole
    /// seconds; `None` when lingering is off. See [`Socket::set_linger`].
    #[doc(alias = "so/linger")]
    pub fn linger(&self) -> Result<Option<Duration>> {
        Ok(self
            .wit()
            .so_linger()?
            .map(|s| Duration::from_secs(u64::from(s))))
    }

    /// Sets `SO_LINGER`: with `Some(duration)`, close waits up to that long
    /// (whole seconds, rounded down) for unsent data; `None` turns
    /// lingering off. The spec has no typed accessor for it (only the
    /// low-level example, see [`Socket::set_option_bytes`]).
    ///
    /// ```no_run
    /// # fn main() -> wasock::Result<()> {
    /// # use std::time::Duration;
    /// # let socket = wasock::Socket::new(wasock::Family::Inet, wasock::SocketType::Stream, wasock::Protocol::DEFAULT)?;
    /// socket.set_linger(Some(Duration::from_secs(100)))?;
    /// assert_eq!(socket.linger()?, Some(Duration::from_secs(100)));
    /// # Ok(()) }
    /// ```
    pub fn set_linger(&self, linger: Option<Duration>) -> Result<()> {
        let seconds = linger
            .map(|d| {
                u32::try_from(d.as_secs())
                    .map_err(|_| Error::invalid(format!("so/linger: {d:?} is too long")))
            })
            .transpose()?;
        Ok(self.wit().set_so_linger(seconds)?)
    }

    option! {
        "SO_OOBINLINE", "so-oob-inline?", bool, "true",
        oob_inline => so_oob_inline, set_oob_inline => set_so_oob_inline,
        /// Out-of-band data arrives in the normal data stream.
    }

    option! {
        "SO_RCVBUF", "so-receive-buffer", u32, "65536",
        receive_buffer_size => so_receive_buffer, set_receive_buffer_size => set_so_receive_buffer,
        /// The kernel's receive buffer size in bytes (Linux doubles the
        /// value and reports the doubled size).
    }

    option! {
        "SO_RCVLOWAT", "so-receive-low-water", u32, "1",
        receive_low_water => so_receive_low_water, set_receive_low_water => set_so_receive_low_water,
        /// The minimum byte count a receive waits for.
    }

    option! {
        "SO_REUSEADDR", "so-reuse-address?", bool, "true",
        reuse_address => so_reuse_address, set_reuse_address => set_so_reuse_address,
        /// Allows binding to an address still in `TIME_WAIT`; set it before
        /// [`Socket::bind`].
    }

    option! {
        "SO_SNDBUF", "so-send-buffer", u32, "65536",
        send_buffer_size => so_send_buffer, set_send_buffer_size => set_so_send_buffer,
        /// The kernel's send buffer size in bytes (Linux doubles the value
        /// and reports the doubled size).
    }

    option! {
        "SO_SNDLOWAT", "so-send-low-water", u32, "1",
        send_low_water => so_send_low_water, set_send_low_water => set_so_send_low_water,
        /// The minimum byte count a send waits for room for (read-only on
        /// Linux, where setting it fails with class unsupported).
    }

    /// `SO_TYPE` (read-only): the spec's `so-type`: the socket type as the
    /// OS reports it.
    ///
    /// ```no_run
    /// # fn main() -> wasock::Result<()> {
    /// # use wasock::{Family, Protocol, Socket, SocketType};
    /// let socket = Socket::new(Family::Inet, SocketType::Dgram, Protocol::DEFAULT)?;
    /// assert_eq!(socket.so_type()?, SocketType::Dgram);
    /// # Ok(()) }
    /// ```
    #[doc(alias = "so-type")]
    pub fn so_type(&self) -> Result<SocketType> {
        Ok(self.wit().so_type()?.into())
    }
}

/// Socket options get/set using `IPPROTO_TCP` (the spec's "TCP-level").
impl Socket {
    /// `TCP_KEEPIDLE` (`TCP_KEEPALIVE` on BSDs): the spec's
    /// `tcp-keep-alive`: idle time before keep-alive probes start. See
    /// [`Socket::set_tcp_keep_alive`].
    #[doc(alias = "tcp-keep-alive")]
    pub fn tcp_keep_alive(&self) -> Result<Duration> {
        Ok(Duration::from_secs(u64::from(self.wit().tcp_keep_alive()?)))
    }

    /// Sets the idle time before keep-alive probes start (whole seconds,
    /// rounded down; at least one): the spec's `(set! (tcp-keep-alive s) n)`.
    ///
    /// ```no_run
    /// # fn main() -> wasock::Result<()> {
    /// # use std::time::Duration;
    /// # let socket = wasock::Socket::new(wasock::Family::Inet, wasock::SocketType::Stream, wasock::Protocol::DEFAULT)?;
    /// socket.set_keep_alive(true)?;
    /// socket.set_tcp_keep_alive(Duration::from_secs(30))?;
    /// assert_eq!(socket.tcp_keep_alive()?, Duration::from_secs(30));
    /// # Ok(()) }
    /// ```
    pub fn set_tcp_keep_alive(&self, idle: Duration) -> Result<()> {
        let seconds = u32::try_from(idle.as_secs())
            .map_err(|_| Error::invalid(format!("tcp/keepalive: {idle:?} is too long")))?;
        Ok(self.wit().set_tcp_keep_alive(seconds)?)
    }

    option! {
        "TCP_MAXSEG", "tcp-max-segment-size", u32, "1200",
        tcp_max_segment_size => tcp_max_segment_size, set_tcp_max_segment_size => set_tcp_max_segment_size,
        /// The maximum segment size of outgoing TCP packets.
    }

    option! {
        "TCP_NODELAY", "tcp-no-delay?", bool, "true",
        tcp_no_delay => tcp_no_delay, set_tcp_no_delay => set_tcp_no_delay,
        /// Disables Nagle's algorithm: small writes go out at once.
    }

    option! {
        "TCP_NOOPT", "tcp-no-options?", bool, "true",
        tcp_no_options => tcp_no_options, set_tcp_no_options => set_tcp_no_options,
        /// Do not use TCP options (BSDs; class unsupported on Linux).
    }

    option! {
        "TCP_NOPUSH", "tcp-no-push?", bool, "true",
        tcp_no_push => tcp_no_push, set_tcp_no_push => set_tcp_no_push,
        /// Holds back partial segments (`TCP_CORK` on Linux).
    }
}

/// Socket options get/set using `IPPROTO_IP` (the spec's "IP-level").
impl Socket {
    option! {
        "IP_HDRINCL", "ip-header-included?", bool, "true",
        ip_header_included => ip_header_included, set_ip_header_included => set_ip_header_included,
        /// The guest supplies IP headers (raw sockets; needs the host's
        /// `--allow-raw`).
    }

    option! {
        "IP_TTL", "ip-time-to-live", u8, "64",
        ip_time_to_live => ip_time_to_live, set_ip_time_to_live => set_ip_time_to_live,
        /// The time-to-live of outgoing packets (1 to 255).
    }

    option! {
        "IP_TOS", "ip-type-of-service", u8, "0x10",
        ip_type_of_service => ip_type_of_service, set_ip_type_of_service => set_ip_type_of_service,
        /// The type-of-service byte of outgoing packets.
    }
}

/// Socket options get/set using `IPPROTO_IPV6` (the spec's "IPv6-level").
impl Socket {
    /// `IPV6_V6ONLY`: the spec's `ipv6-v6-only?`. See
    /// [`Socket::set_ipv6_v6_only`].
    #[doc(alias = "ipv6-v6-only?")]
    pub fn ipv6_v6_only(&self) -> Result<bool> {
        Ok(self.wit().ipv6_v6_only()?)
    }

    /// Sets `IPV6_V6ONLY`: an inet6 socket handles IPv6 only. Set it before
    /// [`Socket::bind`].
    ///
    /// ```no_run
    /// # fn main() -> wasock::Result<()> {
    /// use wasock::{Family, Protocol, SockAddr, Socket, SocketType};
    /// let socket = Socket::new(Family::Inet6, SocketType::Stream, Protocol::DEFAULT)?;
    /// socket.set_ipv6_v6_only(true)?;
    /// socket.bind(&SockAddr::inet(Some("::"), 8000)?)?;
    /// # Ok(()) }
    /// ```
    pub fn set_ipv6_v6_only(&self, value: bool) -> Result<()> {
        Ok(self.wit().set_ipv6_v6_only(value)?)
    }
}

/// The low-level interface (the spec's "Low-level socket option
/// interface"): `level` and `name` are the host's numbers, from
/// [`crate::constants`]. Unknown levels and names fail with class
/// unsupported; options that could escape the sandbox need the host's
/// `--allow-raw`.
impl Socket {
    /// `getsockopt(2)` read as a C `int`: the spec's
    /// `(get-socket-option s level name)`. Booleans come back as some
    /// non-zero number for true.
    ///
    /// ```no_run
    /// # fn main() -> wasock::Result<()> {
    /// use wasock::constants::{IPPROTO_TCP, TCP_NODELAY};
    /// # let socket = wasock::Socket::new(wasock::Family::Inet, wasock::SocketType::Stream, wasock::Protocol::DEFAULT)?;
    /// let no_delay = socket.get_option_int(IPPROTO_TCP.get()?, TCP_NODELAY.get()?)? != 0;
    /// # Ok(()) }
    /// ```
    pub fn get_option_int(&self, level: i32, name: i32) -> Result<i32> {
        Ok(self.wit().get_option_int(level, name)?)
    }

    /// `getsockopt(2)` into a buffer of `len` bytes (at most 4096),
    /// returned sized to what the OS wrote: the spec's
    /// `(get-socket-option s level name len)`.
    ///
    /// The spec's `SO_LINGER` low-level example, reading a `struct linger`
    /// (two C `int`s: `l_onoff`, `l_linger`; the host's byte order, little
    /// endian on x86-64 and AArch64):
    ///
    /// ```no_run
    /// # fn main() -> wasock::Result<()> {
    /// use wasock::constants::{SOL_SOCKET, SO_LINGER};
    /// # let socket = wasock::Socket::new(wasock::Family::Inet, wasock::SocketType::Stream, wasock::Protocol::DEFAULT)?;
    /// fn decode_linger(blob: &[u8]) -> Option<(bool, i32)> {
    ///     let on = i32::from_le_bytes(blob.get(0..4)?.try_into().ok()?);
    ///     let seconds = i32::from_le_bytes(blob.get(4..8)?.try_into().ok()?);
    ///     Some((on != 0, seconds))
    /// }
    /// let blob = socket.get_option_bytes(SOL_SOCKET.get()?, SO_LINGER.get()?, 8)?;
    /// println!("{:?}", decode_linger(&blob)); // Some((true, 100))
    /// # Ok(()) }
    /// ```
    pub fn get_option_bytes(&self, level: i32, name: i32, len: usize) -> Result<Vec<u8>> {
        let len = u32::try_from(len)
            .map_err(|_| Error::invalid(format!("get-socket-option: length {len} is too large")))?;
        Ok(self.wit().get_option_bytes(level, name, len)?)
    }

    /// `setsockopt(2)` with a C `int`: the spec's
    /// `(set-socket-option s level name int)`.
    ///
    /// ```no_run
    /// # fn main() -> wasock::Result<()> {
    /// use wasock::constants::{IPPROTO_TCP, TCP_NODELAY};
    /// # let socket = wasock::Socket::new(wasock::Family::Inet, wasock::SocketType::Stream, wasock::Protocol::DEFAULT)?;
    /// socket.set_option_int(IPPROTO_TCP.get()?, TCP_NODELAY.get()?, 1)?;
    /// # Ok(()) }
    /// ```
    pub fn set_option_int(&self, level: i32, name: i32, value: i32) -> Result<()> {
        Ok(self.wit().set_option_int(level, name, value)?)
    }

    /// `setsockopt(2)` with a boolean as a C `int` (1 or 0): the spec's
    /// `(set-socket-option s level name #t)`.
    pub fn set_option_bool(&self, level: i32, name: i32, value: bool) -> Result<()> {
        self.set_option_int(level, name, i32::from(value))
    }

    /// `setsockopt(2)` with raw bytes (at most 4096), for structures: the
    /// spec's `(set-socket-option s level name blob)`.
    ///
    /// The spec's `SO_LINGER` low-level example, writing a `struct linger`
    /// (prefer the typed [`Socket::set_linger`]):
    ///
    /// ```no_run
    /// # fn main() -> wasock::Result<()> {
    /// use wasock::constants::{SOL_SOCKET, SO_LINGER};
    /// # let socket = wasock::Socket::new(wasock::Family::Inet, wasock::SocketType::Stream, wasock::Protocol::DEFAULT)?;
    /// fn encode_linger(on: bool, seconds: i32) -> Vec<u8> {
    ///     [i32::from(on).to_le_bytes(), seconds.to_le_bytes()].concat()
    /// }
    /// socket.set_option_bytes(SOL_SOCKET.get()?, SO_LINGER.get()?, &encode_linger(true, 100))?;
    /// # Ok(()) }
    /// ```
    pub fn set_option_bytes(&self, level: i32, name: i32, value: &[u8]) -> Result<()> {
        Ok(self.wit().set_option_bytes(level, name, value)?)
    }
}
