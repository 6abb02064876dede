//! `sandbox_unix_race PATH COUNT`: connects to the unix socket PATH COUNT
//! times (while the test swaps what PATH is underneath), and prints
//! `connected OK denied D other O`.
use wasock::{Family, Protocol, SockAddr, Socket, SocketType};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let path = args.first().cloned().unwrap_or_default();
    let count: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(0);
    let (mut ok, mut denied, mut other) = (0, 0, 0);
    for _ in 0..count {
        let Ok(s) = Socket::new(Family::Unix, SocketType::Stream, Protocol::DEFAULT) else {
            other += 1;
            continue;
        };
        match s.connect(&SockAddr::unix(path.clone())) {
            Ok(()) => ok += 1,
            Err(e) if e.code().as_str() == "permission-denied" => denied += 1,
            Err(_) => other += 1,
        }
    }
    println!("connected {ok} denied {denied} other {other}");
}
