//! `hostile_create`: sockets nobody can have. `af/unspec`, unknown
//! protocols for stream and datagram sockets (9999, and TCP for a
//! datagram), raw sockets without `--allow-raw`, and more sockets than
//! `--max-sockets` (run with `--max-sockets 4`): the fifth fails with
//! `too-many-sockets`, and after one is closed a new one succeeds, so the
//! guest keeps running. Prints one `case: ok` or `case: class/code
//! (message)` line per case, then `hostile create done`.

use wasock::{Family, Protocol, Socket, SocketType};

fn report<T>(case: &str, result: wasock::Result<T>) {
    match result {
        Ok(_) => println!("{case}: ok"),
        Err(e) => println!(
            "{case}: {}/{} ({})",
            e.class(),
            e.code().as_str(),
            e.message()
        ),
    }
}

fn main() {
    report(
        "family_unspec",
        Socket::new(Family::Unspec, SocketType::Stream, Protocol::DEFAULT),
    );
    report(
        "stream_protocol_9999",
        Socket::new(Family::Inet, SocketType::Stream, Protocol(9999)),
    );
    report(
        "dgram_protocol_9999",
        Socket::new(Family::Inet6, SocketType::Dgram, Protocol(9999)),
    );
    report(
        "dgram_protocol_tcp",
        Socket::new(Family::Inet, SocketType::Dgram, Protocol::TCP),
    );
    report(
        "unix_protocol_1",
        Socket::new(Family::Unix, SocketType::Stream, Protocol(1)),
    );
    report(
        "raw_without_grant",
        Socket::new(Family::Inet, SocketType::Raw, Protocol::ICMP),
    );
    report(
        "unix_raw_without_grant",
        Socket::new(Family::Unix, SocketType::Raw, Protocol::DEFAULT),
    );

    // --max-sockets 4.
    let mut held = Vec::new();
    for i in 0..4 {
        match Socket::new(Family::Inet, SocketType::Dgram, Protocol::DEFAULT) {
            Ok(socket) => held.push(socket),
            Err(e) => {
                eprintln!("hostile_create: socket {i} of 4: {e}");
                std::process::exit(1);
            }
        }
    }
    report(
        "over_max_sockets",
        Socket::new(Family::Inet, SocketType::Dgram, Protocol::DEFAULT),
    );
    report(
        "over_max_sockets_unix",
        Socket::new(Family::Unix, SocketType::Stream, Protocol::DEFAULT),
    );
    report("close_one", held[0].close());
    report(
        "after_close_one",
        Socket::new(Family::Inet, SocketType::Stream, Protocol::DEFAULT),
    );
    println!("hostile create done");
}
