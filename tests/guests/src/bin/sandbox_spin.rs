//! `sandbox_spin DIR`: waits, with a 2 s timeout each, on sockets whose
//! read side is shut down, which the OS reports readable and hung up for
//! good while the non-blocking call says "would block": a UDP socket bound
//! to `0.0.0.0:0` after `shutdown(read)` and after `shutdown(both)`, a
//! unix datagram socket after `shutdown(read)`, a unix listener after
//! `shutdown(both)` (the unix ones bound in DIR).
//!
//! Prints `start`, then one `CASE: OUTCOME` line per wait (`empty`, or
//! the error as `CLASS/CODE`), then `end`, and exits 1 s later (so that
//! the host's CPU time can be read between `start` and `end`).

use std::time::Duration;

use wasock::{Family, Protocol, RecvOptions, Shutdown, SockAddr, Socket, SocketType};

const WAIT: Duration = Duration::from_secs(2);

fn fail(what: &str, e: impl std::fmt::Display) -> ! {
    eprintln!("sandbox_spin: {what}: {e}");
    std::process::exit(1)
}

fn outcome<T>(result: wasock::Result<T>, empty: impl Fn(&T) -> bool) -> String {
    match result {
        Ok(got) if empty(&got) => "empty".into(),
        Ok(_) => "data".into(),
        Err(e) => format!("{}/{}", e.class(), e.code()),
    }
}

fn socket(family: Family, kind: SocketType) -> Socket {
    Socket::new(family, kind, Protocol::DEFAULT).unwrap_or_else(|e| fail("socket", e))
}

fn main() {
    let dir = std::env::args()
        .nth(1)
        .unwrap_or_else(|| fail("usage", "sandbox_spin DIR"));
    let wait = || RecvOptions::new().timeout(Some(WAIT));

    let udp_read = socket(Family::Inet, SocketType::Dgram);
    let any = SockAddr::inet(Some("0.0.0.0"), 0).unwrap_or_else(|e| fail("address", e));
    udp_read.bind(&any).unwrap_or_else(|e| fail("bind", e));
    // Linux says not-connected for an unconnected UDP socket, and shuts
    // the read side down all the same.
    let _ = udp_read.shutdown(Shutdown::Read);
    let udp_both = socket(Family::Inet, SocketType::Dgram);
    udp_both.bind(&any).unwrap_or_else(|e| fail("bind", e));
    let _ = udp_both.shutdown(Shutdown::Both);
    let unix_dgram = socket(Family::Unix, SocketType::Dgram);
    unix_dgram
        .bind(&SockAddr::unix(format!("{dir}/spin-dgram.sock")))
        .unwrap_or_else(|e| fail("bind unix datagram", e));
    let _ = unix_dgram.shutdown(Shutdown::Read);
    let listener = socket(Family::Unix, SocketType::Stream);
    listener
        .bind(&SockAddr::unix(format!("{dir}/spin-listener.sock")))
        .unwrap_or_else(|e| fail("bind unix listener", e));
    listener.listen(8).unwrap_or_else(|e| fail("listen", e));
    let _ = listener.shutdown(Shutdown::Both);

    println!("start");
    println!(
        "udp shut read: {}",
        outcome(udp_read.receive_with(64, wait()), Vec::is_empty)
    );
    println!(
        "udp shut both: {}",
        outcome(udp_both.receive_from_with(64, wait()), |got| got
            .data
            .is_empty())
    );
    println!(
        "unix datagram shut read: {}",
        outcome(unix_dgram.receive_with(64, wait()), Vec::is_empty)
    );
    println!(
        "unix listener shut both: {}",
        outcome(listener.accept_timeout(Some(WAIT)), |_| false)
    );
    println!("end");
    std::thread::sleep(Duration::from_secs(1));
}
