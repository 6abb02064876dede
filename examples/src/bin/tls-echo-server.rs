//! `tls-echo-server ADDR IDENTITY [MAX_CONNECTIONS]`: a TLS echo server
//! for many clients at once, in one thread, the TLS done by the host.
//!
//! Shows the server side of TLS on wasock's own sockets
//! ([`wasock::tls`]): each accepted connection does a server handshake
//! presenting the identity named IDENTITY, which the host loaded from
//! `wasock run --tls-identity IDENTITY=CERT:KEY` (the guest names it; the
//! certificate's key never enters the guest), then echoes what the client
//! sends until it closes. The loop is `echo-server`'s (module `echo_loop`,
//! [`serve_tls`](wasock_examples::echo_loop::serve_tls)): handshakes are
//! taken a step at a time as each connection becomes readable, so a slow
//! client holds up nobody; no threads.
//!
//! ADDR is the address to bind and listen on, or `-` for the first
//! listener the host opened (`wasock run --listen ADDR`, which needs no
//! bind grant). Prints `listening on ADDR` once listening, with the real
//! address, so ADDR may use port 0. On stderr, one line per connection
//! when its handshake ends: `tls from PEER: TLSv1_3 TLS13_AES_256_GCM_SHA384,
//! server name localhost, protocol none`, or `tls handshake from PEER
//! failed: ...` naming the code (`tls-handshake-failed` where the client
//! refused the certificate); a failed handshake ends only that
//! connection. With MAX_CONNECTIONS it exits after that many clients have
//! come and gone (failed handshakes count); otherwise it runs until
//! killed.
//!
//! ```text
//! wasock run --tls-identity site=cert.pem:key.pem --allow-bind 127.0.0.1:8443 \
//!     target/wasm32-wasip2/release/tls-echo-server.wasm 127.0.0.1:8443 site
//! openssl s_client -connect 127.0.0.1:8443 -servername localhost -CAfile cert.pem
//! ```
//!
//! An IDENTITY the host does not hold is refused before listening: one
//! line on stderr listing the ones it holds, exit status 1.

use std::error::Error;

use wasock::SockAddr;
use wasock_examples::{echo_loop, server};

fn main() {
    if let Err(error) = run() {
        eprintln!("tls-echo-server: {error}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), Box<dyn Error>> {
    let mut args = std::env::args().skip(1);
    let (Some(addr), Some(identity), max_connections, None) =
        (args.next(), args.next(), args.next(), args.next())
    else {
        return Err("usage: tls-echo-server ADDR|- IDENTITY [MAX_CONNECTIONS]".into());
    };
    let max_connections = server::max_connections(max_connections)?;

    let held = wasock::tls::identities();
    if !held.contains(&identity) {
        return Err(format!(
            "no TLS identity {identity:?}: the host holds {} (wasock run --tls-identity {identity}=CERT:KEY)",
            match held.as_slice() {
                [] => "none".to_owned(),
                names => names.join(", "),
            }
        )
        .into());
    }

    let listener = match addr.as_str() {
        "-" => wasock::listeners()?
            .into_iter()
            .next()
            .ok_or("ADDR is '-' but the host opened no listener (wasock run --listen ADDR)")?,
        _ => {
            let addr: SockAddr = addr.parse().map_err(|error| format!("{addr:?}: {error}"))?;
            server::listen(&addr)?
        }
    };
    server::announce(&listener)?;
    echo_loop::serve_tls(listener, &identity, max_connections)?;
    Ok(())
}
