//! SDK e2e: typed socket options round trip through the real host, the
//! spec's low-level SO_LINGER example agrees with the typed `linger`, and
//! the constants come from the host (printed as `NAME=VALUE` lines for the
//! native test to compare with Linux's numbers).
//!
//! Usage: sdk_options
use std::time::Duration;

use wasock::constants::{
    self, IPPROTO_TCP, SO_LINGER, SO_RCVBUF, SO_RCVLOWAT, SO_REUSEADDR, SOL_SOCKET, TCP_NODELAY,
};
use wasock::{Family, Protocol, SockAddr, Socket, SocketType};

fn main() {
    if let Err(e) = run() {
        eprintln!("sdk_options: {e}");
        std::process::exit(1);
    }
}

macro_rules! round_trip {
    ($socket:expr, $set:ident, $get:ident, $value:expr) => {{
        let value = $value;
        $socket
            .$set(value)
            .map_err(|e| format!("{}: {e}", stringify!($set)))?;
        let back = $socket
            .$get()
            .map_err(|e| format!("{}: {e}", stringify!($get)))?;
        if back != value {
            return Err(format!(
                "{}: set {:?}, read back {:?}",
                stringify!($get),
                value,
                back
            ));
        }
        println!("{} = {:?}", stringify!($get), back);
    }};
}

fn run() -> Result<(), String> {
    let tcp = Socket::new(Family::Inet, SocketType::Stream, Protocol::DEFAULT)
        .map_err(|e| e.to_string())?;
    round_trip!(tcp, set_reuse_address, reuse_address, true);
    round_trip!(tcp, set_reuse_address, reuse_address, false);
    round_trip!(tcp, set_keep_alive, keep_alive, true);
    round_trip!(tcp, set_dont_route, dont_route, true);
    round_trip!(tcp, set_oob_inline, oob_inline, true);
    round_trip!(tcp, set_tcp_no_delay, tcp_no_delay, true);
    round_trip!(tcp, set_tcp_no_push, tcp_no_push, true);
    round_trip!(
        tcp,
        set_tcp_keep_alive,
        tcp_keep_alive,
        Duration::from_secs(30)
    );
    round_trip!(tcp, set_receive_low_water, receive_low_water, 16);
    round_trip!(tcp, set_ip_time_to_live, ip_time_to_live, 33);
    round_trip!(tcp, set_ip_type_of_service, ip_type_of_service, 0x10);
    // A linger time past the host's ceiling (30 s) reads back as set, on
    // the typed path and the low-level one (the host lingers at most 30 s).
    round_trip!(tcp, set_linger, linger, Some(Duration::from_secs(100)));
    let linger_bytes = |socket: &Socket| -> Result<(Option<i32>, Option<i32>), String> {
        let blob = socket
            .get_option_bytes(
                SOL_SOCKET.get().map_err(|e| e.to_string())?,
                SO_LINGER.get().map_err(|e| e.to_string())?,
                8,
            )
            .map_err(|e| format!("get so/linger bytes: {e}"))?;
        let field = |at: usize| {
            blob.get(at..at + 4)
                .and_then(|b| b.try_into().ok())
                .map(i32::from_le_bytes)
        };
        Ok((field(0), field(4)))
    };
    let typed_set = linger_bytes(&tcp)?;
    let long: Vec<u8> = [1i32.to_le_bytes(), 100i32.to_le_bytes()].concat();
    tcp.set_linger(None)
        .map_err(|e| format!("set linger off: {e}"))?;
    tcp.set_option_bytes(
        SOL_SOCKET.get().map_err(|e| e.to_string())?,
        SO_LINGER.get().map_err(|e| e.to_string())?,
        &long,
    )
    .map_err(|e| format!("set so/linger bytes 100 s: {e}"))?;
    let low_set = linger_bytes(&tcp)?;
    let typed_back = tcp.linger().map_err(|e| e.to_string())?;
    println!(
        "linger 100 s: typed set, bytes read {typed_set:?}; bytes set, bytes read {low_set:?}, typed read {typed_back:?}"
    );
    if typed_set != (Some(1), Some(100))
        || low_set != (Some(1), Some(100))
        || typed_back != Some(Duration::from_secs(100))
    {
        return Err("linger 100 s does not read back as set".into());
    }

    // Options that size the kernel's memory are capped at the host's
    // ceiling (4 MiB), typed and low-level: SO_RCVLOWAT of 1 GiB would
    // make Linux grow a TCP receive buffer to `tcp_rmem[2]`.
    let gib: u32 = 1 << 30;
    let sol_socket = SOL_SOCKET.get().map_err(|e| e.to_string())?;
    let rcvbuf = SO_RCVBUF.get().map_err(|e| e.to_string())?;
    let rcvlowat = SO_RCVLOWAT.get().map_err(|e| e.to_string())?;
    for path in ["typed", "low-level"] {
        let fresh = Socket::new(Family::Inet, SocketType::Stream, Protocol::DEFAULT)
            .map_err(|e| e.to_string())?;
        if path == "typed" {
            fresh
                .set_receive_low_water(gib)
                .map_err(|e| format!("set receive-low-water 1 GiB: {e}"))?;
        } else {
            fresh
                .set_option_int(sol_socket, rcvlowat, gib as i32)
                .map_err(|e| format!("set so/rcvlowat int 1 GiB: {e}"))?;
        }
        let low = fresh.receive_low_water().map_err(|e| e.to_string())?;
        let buffer = fresh
            .get_option_int(sol_socket, rcvbuf)
            .map_err(|e| e.to_string())?;
        println!("rcvlowat 1 GiB {path}: rcvlowat {low} rcvbuf {buffer}");
    }
    let tcp_level = IPPROTO_TCP.get().map_err(|e| e.to_string())?;
    for (label, name) in [("window-clamp", 10), ("notsent-lowat", 25)] {
        let fresh = Socket::new(Family::Inet, SocketType::Stream, Protocol::DEFAULT)
            .map_err(|e| e.to_string())?;
        fresh
            .set_option_int(tcp_level, name, i32::MAX)
            .map_err(|e| format!("set {label} INT_MAX: {e}"))?;
        let back = fresh
            .get_option_int(tcp_level, name)
            .map_err(|e| e.to_string())?;
        println!("{label} INT_MAX: {back}");
    }
    round_trip!(tcp, set_linger, linger, Some(Duration::from_secs(20)));

    // The spec's SO_LINGER low-level example reads what the typed setter wrote.
    let blob = tcp
        .get_option_bytes(
            SOL_SOCKET.get().map_err(|e| e.to_string())?,
            SO_LINGER.get().map_err(|e| e.to_string())?,
            8,
        )
        .map_err(|e| format!("get so/linger bytes: {e}"))?;
    let field = |at: usize| {
        blob.get(at..at + 4)
            .and_then(|b| b.try_into().ok())
            .map(i32::from_le_bytes)
    };
    if (field(0), field(4)) != (Some(1), Some(20)) {
        return Err(format!(
            "so/linger bytes {blob:?}, expected l_onoff 1, l_linger 20"
        ));
    }
    // ... and the typed getter reads what the low-level setter writes.
    let off: Vec<u8> = [0i32.to_le_bytes(), 0i32.to_le_bytes()].concat();
    tcp.set_option_bytes(
        SOL_SOCKET.get().map_err(|e| e.to_string())?,
        SO_LINGER.get().map_err(|e| e.to_string())?,
        &off,
    )
    .map_err(|e| format!("set so/linger bytes: {e}"))?;
    if tcp.linger().map_err(|e| e.to_string())?.is_some() {
        return Err("linger is still on after the low-level set".into());
    }
    round_trip!(tcp, set_linger, linger, None);

    let level = IPPROTO_TCP.get().map_err(|e| e.to_string())?;
    let name = TCP_NODELAY.get().map_err(|e| e.to_string())?;
    tcp.set_option_int(level, name, 0)
        .map_err(|e| format!("set tcp/nodelay int: {e}"))?;
    if tcp.tcp_no_delay().map_err(|e| e.to_string())? {
        return Err("tcp/nodelay still on after the low-level set".into());
    }
    if tcp.get_option_int(level, name).map_err(|e| e.to_string())? != 0 {
        return Err("low-level tcp/nodelay is not 0".into());
    }

    if tcp.so_type().map_err(|e| e.to_string())? != SocketType::Stream {
        return Err("so/type of a stream socket".into());
    }
    if tcp.accept_connections().map_err(|e| e.to_string())? {
        return Err("a fresh socket accepts connections".into());
    }
    tcp.bind(&SockAddr::inet(Some("127.0.0.1"), 0).map_err(|e| e.to_string())?)
        .map_err(|e| format!("bind: {e}"))?;
    tcp.listen(4).map_err(|e| format!("listen: {e}"))?;
    if !tcp.accept_connections().map_err(|e| e.to_string())? {
        return Err("a listening socket does not accept connections".into());
    }
    if tcp.take_error().map_err(|e| e.to_string())?.is_some() {
        return Err("a pending error on a fresh listener".into());
    }

    let udp = Socket::new(Family::Inet, SocketType::Dgram, Protocol::DEFAULT)
        .map_err(|e| e.to_string())?;
    round_trip!(udp, set_broadcast, broadcast, true);
    if udp.so_type().map_err(|e| e.to_string())? != SocketType::Dgram {
        return Err("so/type of a datagram socket".into());
    }
    let v6 = Socket::new(Family::Inet6, SocketType::Stream, Protocol::DEFAULT)
        .map_err(|e| e.to_string())?;
    round_trip!(v6, set_ipv6_v6_only, ipv6_v6_only, true);

    for c in [
        SOL_SOCKET,
        SO_REUSEADDR,
        IPPROTO_TCP,
        TCP_NODELAY,
        SO_LINGER,
    ] {
        println!("{}={}", c.name(), c.get().map_err(|e| e.to_string())?);
    }
    let inet = constants::address_family_to_integer(Family::Inet).ok_or("af/inet has no number")?;
    if constants::integer_to_address_family(inet) != Some(Family::Inet) {
        return Err("integer->address-family of af/inet".into());
    }
    let dgram =
        constants::socket_type_to_integer(SocketType::Dgram).ok_or("sock/dgram has no number")?;
    if constants::integer_to_socket_type(dgram) != Some(SocketType::Dgram) {
        return Err("integer->socket-type of sock/dgram".into());
    }
    if constants::protocol_type_to_integer(Protocol::UDP) != Some(17)
        || constants::integer_to_protocol_type(6) != Some(Protocol::TCP)
    {
        return Err("ipproto numbers".into());
    }
    if constants::name_of("so/", SO_REUSEADDR.get().map_err(|e| e.to_string())?)
        != Some("so/reuseaddr")
    {
        return Err("name_of so/reuseaddr".into());
    }
    println!("af/inet={inet} sock/dgram={dgram}");
    println!("sdk_options: ok");
    Ok(())
}
