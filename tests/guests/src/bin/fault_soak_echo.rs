//! `fault_soak_echo ADDR ROUNDS SEED`: one connection to the echo server at
//! ADDR, then ROUNDS round trips of messages of 1 to 1024 bytes (sizes and
//! contents derived from SEED and the round), each read back in full and
//! compared. Prints `soak ok ROUNDS BYTES` (bytes sent, equal to bytes
//! received) or exits 1 naming the first mismatch. Needs
//! `--allow-connect ADDR`.

use std::time::Duration;

use wasock::{Family, Protocol, SockAddr, Socket, SocketType, Timeouts};

fn fail(what: &str, e: impl std::fmt::Display) -> ! {
    eprintln!("fault_soak_echo: {what}: {e}");
    std::process::exit(1)
}

/// xorshift: deterministic sizes and bytes.
fn next(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 4 {
        fail("usage", "fault_soak_echo ADDR ROUNDS SEED");
    }
    let target: SockAddr = args[1].parse().unwrap_or_else(|e| fail("address", e));
    let rounds: u64 = args[2].parse().unwrap_or_else(|e| fail("rounds", e));
    let mut state: u64 = args[3].parse::<u64>().unwrap_or_else(|e| fail("seed", e)) | 1;

    let socket = Socket::new(Family::Inet, SocketType::Stream, Protocol::DEFAULT)
        .unwrap_or_else(|e| fail("socket", e));
    let limit = Some(Duration::from_secs(60));
    socket.set_timeouts(Timeouts {
        connect: limit,
        accept: limit,
        receive: limit,
        send: limit,
    });
    socket
        .connect(&target)
        .unwrap_or_else(|e| fail("connect", e));
    let mut total = 0u64;
    let mut received = Vec::with_capacity(1024);
    for round in 0..rounds {
        let len = (next(&mut state) % 1024 + 1) as usize;
        let message: Vec<u8> = (0..len).map(|_| next(&mut state) as u8).collect();
        socket
            .send_all(&message)
            .unwrap_or_else(|e| fail(&format!("send, round {round}"), e));
        received.clear();
        while received.len() < len {
            let chunk = socket
                .receive(len - received.len())
                .unwrap_or_else(|e| fail(&format!("receive, round {round}"), e));
            if chunk.is_empty() {
                fail(
                    &format!("receive, round {round}"),
                    format!("end of file after {} of {len} bytes", received.len()),
                );
            }
            received.extend_from_slice(&chunk);
        }
        if received != message {
            fail(
                &format!("round {round}"),
                "the echo differs from what was sent",
            );
        }
        total += len as u64;
    }
    socket.close().unwrap_or_else(|e| fail("close", e));
    println!("soak ok {rounds} {total}");
}
