// Shared by the two adapters, word for word: `adapter/src/options.rs` and
// `adapter-p3/src/options.rs` include it (`include!`), each with its own
// bindings in scope under the same names.

/// `IPV6_V6ONLY`: the spec's `ipv6-v6-only?`. Always on for inet6 sockets
/// (WASI IPv6 sockets take no IPv4 traffic); not an option of inet
/// ones.
pub(crate) fn v6_only(socket: &AdaptedSocket) -> Result<bool> {
    const OP: &str = "ipv6-v6-only?";
    inet6_only(socket, OP)?;
    Ok(true)
}

/// Sets `IPV6_V6ONLY`: on is what WASI does anyway; off (dual-stack) is
/// unsupported.
pub(crate) fn set_v6_only(socket: &AdaptedSocket, value: bool) -> Result<()> {
    const OP: &str = "set ipv6-v6-only?";
    inet6_only(socket, OP)?;
    if value {
        Ok(())
    } else {
        Err(types::unsupported(
            OP,
            ErrorCode::OptionNotSupported,
            "dual-stack sockets (ipv6/v6only off)",
        ))
    }
}

fn inet6_only(socket: &AdaptedSocket, operation: &str) -> Result<()> {
    socket.ensure_open(operation)?;
    if socket.family() == AddressFamily::Inet6 {
        Ok(())
    } else {
        Err(types::unsupported(
            operation,
            ErrorCode::OptionNotSupported,
            "ipv6/v6only on an inet socket",
        ))
    }
}

/// The options of the low-level interface the adapter serves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum LowLevel {
    KeepAlive,
    ReceiveBuffer,
    SendBuffer,
    ReuseAddress,
    Type,
    AcceptConnections,
    ReceiveTimeout,
    SendTimeout,
    KeepAliveIdle,
    TimeToLive,
    V6Only,
}

/// (level, name, option) by the spec's constant names.
const LOW_LEVEL: &[(&str, &str, LowLevel)] = &[
    ("sol/socket", "so/keepalive", LowLevel::KeepAlive),
    ("sol/socket", "so/rcvbuf", LowLevel::ReceiveBuffer),
    ("sol/socket", "so/sndbuf", LowLevel::SendBuffer),
    ("sol/socket", "so/reuseaddr", LowLevel::ReuseAddress),
    ("sol/socket", "so/type", LowLevel::Type),
    ("sol/socket", "so/acceptconn", LowLevel::AcceptConnections),
    ("sol/socket", "so/rcvtimeo", LowLevel::ReceiveTimeout),
    ("sol/socket", "so/sndtimeo", LowLevel::SendTimeout),
    ("ipproto/tcp", "tcp/keepalive", LowLevel::KeepAliveIdle),
    ("ipproto/ip", "ip/ttl", LowLevel::TimeToLive),
    ("ipproto/ipv6", "ipv6/v6only", LowLevel::V6Only),
];

/// The option at (`level`, `name`) in the host's numbers, or `unsupported`.
fn low_level(socket: &AdaptedSocket, operation: &str, level: i32, name: i32) -> Result<LowLevel> {
    socket.ensure_open(operation)?;
    LOW_LEVEL
        .iter()
        .find(|(at, called, _)| {
            constants::value(at) == Some(level) && constants::value(called) == Some(name)
        })
        .map(|(_, _, option)| *option)
        .ok_or_else(|| {
            types::unsupported(
                operation,
                ErrorCode::OptionNotSupported,
                &format!("level {level} name {name}"),
            )
        })
}

fn int_from_bool(value: bool) -> i32 {
    i32::from(value)
}

fn int_from_u32(value: u32) -> i32 {
    i32::try_from(value).unwrap_or(i32::MAX)
}

/// A timeout option read or set as an `int`: Linux wants the structure.
fn needs_timeval(operation: &str) -> types::Error {
    types::fatal(
        operation,
        ErrorCode::InvalidArgument,
        "so/rcvtimeo and so/sndtimeo take a struct timeval (16 bytes)",
    )
}

/// `getsockopt(2)` read as a C `int`: the spec's
/// `(get-socket-option s level name)`.
pub(crate) fn get_int(socket: &AdaptedSocket, level: i32, name: i32) -> Result<i32> {
    const OP: &str = "get-socket-option";
    match low_level(socket, OP, level, name)? {
        LowLevel::KeepAlive => keep_alive(socket).map(int_from_bool),
        LowLevel::ReceiveBuffer => receive_buffer(socket).map(int_from_u32),
        LowLevel::SendBuffer => send_buffer(socket).map(int_from_u32),
        LowLevel::ReuseAddress => reuse_address(socket).map(int_from_bool),
        LowLevel::Type => {
            let name = match socket.kind() {
                SocketType::Stream => "sock/stream",
                SocketType::Dgram => "sock/dgram",
                SocketType::Raw => "sock/raw",
            };
            constants::value(name).ok_or_else(|| {
                types::unsupported(OP, ErrorCode::OptionNotSupported, "so/type on this host")
            })
        }
        LowLevel::AcceptConnections => accept_connections(socket).map(int_from_bool),
        LowLevel::ReceiveTimeout | LowLevel::SendTimeout => Err(needs_timeval(OP)),
        LowLevel::KeepAliveIdle => keep_alive_idle(socket).map(int_from_u32),
        LowLevel::TimeToLive => time_to_live(socket).map(i32::from),
        LowLevel::V6Only => v6_only(socket).map(int_from_bool),
    }
}

/// `getsockopt(2)` into a buffer of `max_length` bytes: the spec's
/// `(get-socket-option s level name len)`; `int` options as the host's
/// native (little-endian) `int`.
pub(crate) fn get_bytes(
    socket: &AdaptedSocket,
    level: i32,
    name: i32,
    max_length: u32,
) -> Result<Vec<u8>> {
    const OP: &str = "get-socket-option";
    let limit = usize::try_from(max_length).unwrap_or(usize::MAX);
    let mut bytes = match low_level(socket, OP, level, name)? {
        LowLevel::ReceiveTimeout => socket.stored_timeouts.borrow().receive.to_vec(),
        LowLevel::SendTimeout => socket.stored_timeouts.borrow().send.to_vec(),
        _ => get_int(socket, level, name)?.to_le_bytes().to_vec(),
    };
    bytes.truncate(limit);
    Ok(bytes)
}

/// `setsockopt(2)` with a C `int`: the spec's
/// `(set-socket-option s level name int-or-bool)`.
pub(crate) fn set_int(socket: &AdaptedSocket, level: i32, name: i32, value: i32) -> Result<()> {
    const OP: &str = "set-socket-option";
    let non_negative = |value: i32| {
        u32::try_from(value).map_err(|_| {
            types::fatal(
                OP,
                ErrorCode::InvalidArgument,
                &format!("{value} is negative"),
            )
        })
    };
    match low_level(socket, OP, level, name)? {
        LowLevel::KeepAlive => set_keep_alive(socket, value != 0),
        LowLevel::ReceiveBuffer => set_receive_buffer(socket, non_negative(value)?),
        LowLevel::SendBuffer => set_send_buffer(socket, non_negative(value)?),
        LowLevel::ReuseAddress => set_reuse_address(socket, value != 0),
        // Linux answers ENOPROTOOPT to setting a read-only option.
        LowLevel::Type | LowLevel::AcceptConnections => Err(types::unsupported(
            OP,
            ErrorCode::OptionNotSupported,
            "setting a read-only option",
        )),
        LowLevel::ReceiveTimeout | LowLevel::SendTimeout => Err(needs_timeval(OP)),
        LowLevel::KeepAliveIdle => set_keep_alive_idle(socket, non_negative(value)?),
        LowLevel::TimeToLive => {
            let ttl = u8::try_from(value).map_err(|_| {
                types::fatal(
                    OP,
                    ErrorCode::InvalidArgument,
                    "the time-to-live must be 1 to 255",
                )
            })?;
            set_time_to_live(socket, ttl)
        }
        LowLevel::V6Only => set_v6_only(socket, value != 0),
    }
}

/// `setsockopt(2)` with raw bytes: the spec's
/// `(set-socket-option s level name blob)`; `int` options from the first
/// four bytes (little-endian, the host's order).
pub(crate) fn set_bytes(socket: &AdaptedSocket, level: i32, name: i32, value: &[u8]) -> Result<()> {
    const OP: &str = "set-socket-option";
    let option = low_level(socket, OP, level, name)?;
    if matches!(option, LowLevel::ReceiveTimeout | LowLevel::SendTimeout) {
        let Some(timeval) = value
            .get(..TIMEVAL_BYTES)
            .and_then(|bytes| <[u8; TIMEVAL_BYTES]>::try_from(bytes).ok())
        else {
            return Err(needs_timeval(OP));
        };
        let mut stored = socket.stored_timeouts.borrow_mut();
        if option == LowLevel::ReceiveTimeout {
            stored.receive = timeval;
        } else {
            stored.send = timeval;
        }
        return Ok(());
    }
    let Some(int) = value
        .get(..4)
        .and_then(|bytes| <[u8; 4]>::try_from(bytes).ok())
    else {
        return Err(types::fatal(
            OP,
            ErrorCode::InvalidArgument,
            "an int option needs at least 4 bytes",
        ));
    };
    set_int(socket, level, name, i32::from_le_bytes(int))
}
