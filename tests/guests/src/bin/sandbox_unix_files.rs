//! `sandbox_unix_files DIR COUNT KEEP`: binds COUNT unix sockets at
//! `DIR/fN.sock` and closes each (each bind's file goes with its socket),
//! then binds KEEP more and exits holding them (their files go when the
//! guest ends). Prints `bound COUNT closed` and `kept KEEP`.
use wasock::{Family, Protocol, SockAddr, Socket, SocketType};

fn fail(what: &str, e: impl std::fmt::Display) -> ! {
    eprintln!("sandbox_unix_files: {what}: {e}");
    std::process::exit(1)
}

fn bind(dir: &str, i: usize) -> Socket {
    let s = Socket::new(Family::Unix, SocketType::Stream, Protocol::DEFAULT)
        .unwrap_or_else(|e| fail("socket", e));
    s.bind(&SockAddr::unix(format!("{dir}/f{i}.sock")))
        .unwrap_or_else(|e| fail(&format!("bind {i}"), e));
    s
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let dir = args
        .first()
        .cloned()
        .unwrap_or_else(|| fail("usage", "DIR COUNT KEEP"));
    let count: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(0);
    let keep: usize = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(0);
    for i in 0..count {
        bind(&dir, i).close().unwrap_or_else(|e| fail("close", e));
    }
    println!("bound {count} closed");
    let kept: Vec<Socket> = (count..count + keep).map(|i| bind(&dir, i)).collect();
    println!("kept {}", kept.len());
}
