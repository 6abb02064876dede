//! SDK e2e: `connect_any` (the spec's `socket-connect/ai`). With REFUSED a
//! loopback port nothing listens on and OPEN the native peer's listener:
//!
//! 1. [REFUSED, OPEN]: the refusal (transient) moves on; connected to OPEN.
//! 2. [REFUSED, REFUSED]: fails with the last error, connection-refused,
//!    class transient, `io::ErrorKind::ConnectionRefused`.
//! 3. \[127.0.0.2:OPEN (not granted: permission-denied, fatal), OPEN]: stops
//!    at the fatal error without trying OPEN.
//!
//! Usage: sdk_connect_any REFUSED_PORT OPEN_PORT
use wasock::{
    AddrInfo, AddrInfoFlags, ErrorClass, ErrorCode, Family, Protocol, SockAddr, SocketType,
    connect_any,
};

fn main() {
    if let Err(e) = run() {
        eprintln!("sdk_connect_any: {e}");
        std::process::exit(1);
    }
}

fn ai(addr: &str, port: &str) -> Result<AddrInfo, String> {
    Ok(AddrInfo {
        family: Family::Inet,
        socket_type: SocketType::Stream,
        protocol: Protocol::TCP,
        address: SockAddr::inet(Some(addr), port).map_err(|e| e.to_string())?,
        canonical_name: None,
        flags: AddrInfoFlags::empty(),
    })
}

fn run() -> Result<(), String> {
    let args: Vec<String> = std::env::args().collect();
    let [_, refused, open] = args.as_slice() else {
        return Err("usage: sdk_connect_any REFUSED_PORT OPEN_PORT".into());
    };

    let socket = connect_any(&[ai("127.0.0.1", refused)?, ai("127.0.0.1", open)?])
        .map_err(|e| format!("[refused, open]: {e}"))?;
    let peer = socket.peer_name().map_err(|e| e.to_string())?;
    println!(
        "connected to {}",
        peer.map(|p| p.to_string()).unwrap_or_default()
    );
    socket.close().map_err(|e| e.to_string())?;

    match connect_any(&[ai("127.0.0.1", refused)?, ai("127.0.0.1", refused)?]) {
        Ok(_) => return Err("[refused, refused] connected".into()),
        Err(e) => {
            if e.class() != ErrorClass::Transient || e.code() != ErrorCode::ConnectionRefused {
                return Err(format!(
                    "[refused, refused]: expected a transient connection-refused, got {e}"
                ));
            }
            let io: std::io::Error = e.into();
            if io.kind() != std::io::ErrorKind::ConnectionRefused {
                return Err(format!("[refused, refused]: io kind {:?}", io.kind()));
            }
            println!("all refused: {io}");
        }
    }

    match connect_any(&[ai("127.0.0.2", open)?, ai("127.0.0.1", open)?]) {
        Ok(_) => return Err("[denied, open] connected: it went on after a fatal error".into()),
        Err(e) if e.code() == ErrorCode::PermissionDenied && e.class() == ErrorClass::Fatal => {
            println!("stopped at fatal: {e}");
        }
        Err(e) => {
            return Err(format!(
                "[denied, open]: expected permission-denied, got {e}"
            ));
        }
    }
    println!("sdk_connect_any: ok");
    Ok(())
}
