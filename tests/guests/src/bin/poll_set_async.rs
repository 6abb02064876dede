//! Async SDK e2e: [`wasock::async_io`] under its own executor against
//! native peers. Prints `ok NAME` after each check:
//!
//! - `connect-any`: `AsyncSocket::connect_any` moves past a refused
//!   address (REFUSED) to the echo peer (ECHO), and an echo comes back
//!   through `futures-io`'s traits and `AsyncReader::read_line`;
//! - `resume`: after a receive timed out with nothing sent, the echo of
//!   what is sent next comes back whole;
//! - `timeout`: a receive from the silent peer (SILENT) under
//!   `timeout(200 ms)` fails with class timeout after about that long;
//! - `datagram`: `send_to` / `receive_from` with the native UDP echo peer
//!   (UDP);
//! - `tasks`: spawned tasks run beside each other (of two sleeps of
//!   200 ms, each begins before the other ends) and `JoinHandle` gives
//!   their output.
//!
//! Usage: poll_set_async ECHO REFUSED SILENT UDP
use std::pin::Pin;
use std::task::Context;
use std::time::{Duration, Instant};

use wasock::async_io::{AsyncReader, AsyncSocket, sleep, spawn, timeout};
use wasock::{AddrInfo, ErrorClass, Family, Protocol, SockAddr, SocketType};

async fn start() {
    if let Err(e) = run().await {
        eprintln!("poll_set_async: {e}");
        std::process::exit(1);
    }
}

// `fn main`, and built with the `p3` feature the `wasi:cli/run@0.3.0`
// export too (which a host serving WASI 0.3 runs instead).
wasock::async_main!(start);

fn address(text: Option<String>) -> Result<SockAddr, String> {
    text.ok_or("usage: poll_set_async ECHO REFUSED SILENT UDP")?
        .parse()
        .map_err(|e: wasock::Error| e.to_string())
}

fn info(address: &SockAddr) -> AddrInfo {
    AddrInfo {
        family: address.family(),
        socket_type: SocketType::Stream,
        protocol: Protocol::DEFAULT,
        address: address.clone(),
        canonical_name: None,
        flags: Default::default(),
    }
}

async fn run() -> Result<(), String> {
    let mut args = std::env::args().skip(1);
    let echo = address(args.next())?;
    let refused = address(args.next())?;
    let silent = address(args.next())?;
    let udp = address(args.next())?;

    let socket = AsyncSocket::connect_any(&[info(&refused), info(&echo)])
        .await
        .map_err(|e| format!("connect-any: {e}"))?;
    // futures-io AsyncWrite, then AsyncBufRead through the reader.
    let mut writer = &socket;
    let message = b"hello async\n";
    let mut written = 0;
    while written < message.len() {
        written += std::future::poll_fn(|cx: &mut Context<'_>| {
            futures_io::AsyncWrite::poll_write(Pin::new(&mut writer), cx, &message[written..])
        })
        .await
        .map_err(|e| format!("write: {e}"))?;
    }
    let mut reader = AsyncReader::new(&socket, 4);
    let mut line = String::new();
    reader
        .read_line(&mut line)
        .await
        .map_err(|e| format!("read-line: {e}"))?;
    if line != "hello async\n" {
        return Err(format!("connect-any: echo {line:?}"));
    }
    println!("ok connect-any");

    // A receive whose caller stops waiting loses nothing: after one timed
    // out, the bytes sent next come back whole (in a `p3` build the
    // timed-out receive goes on in the socket and the next one takes it
    // over).
    drop(reader);
    match timeout(Duration::from_millis(50), socket.receive(64)).await {
        Err(e) if e.class() == ErrorClass::Timeout => {}
        other => {
            return Err(format!(
                "resume: a receive with nothing sent gave {other:?}"
            ));
        }
    }
    socket
        .send_all(b"after")
        .await
        .map_err(|e| format!("resume: send: {e}"))?;
    let mut echoed = Vec::new();
    while echoed.len() < b"after".len() {
        let data = timeout(Duration::from_secs(10), socket.receive(64))
            .await
            .map_err(|e| format!("resume: {e}"))?
            .map_err(|e| format!("resume: receive: {e}"))?;
        if data.is_empty() {
            break;
        }
        echoed.extend_from_slice(&data);
    }
    if echoed != b"after" {
        return Err(format!("resume: echo {echoed:?}"));
    }
    println!("ok resume");

    let quiet = AsyncSocket::new(silent.family(), SocketType::Stream, Protocol::DEFAULT)
        .map_err(|e| e.to_string())?;
    quiet
        .connect(&silent)
        .await
        .map_err(|e| format!("connect: {e}"))?;
    let start = Instant::now();
    match timeout(Duration::from_millis(200), quiet.receive(10)).await {
        Err(e) if e.class() == ErrorClass::Timeout => {}
        other => {
            return Err(format!(
                "timeout: a receive from a silent peer gave {other:?}"
            ));
        }
    }
    let took = start.elapsed();
    if took < Duration::from_millis(150) || took > Duration::from_secs(5) {
        return Err(format!("timeout: fired after {took:?}"));
    }
    println!("ok timeout");

    let datagram = AsyncSocket::new(Family::Inet, SocketType::Dgram, Protocol::DEFAULT)
        .map_err(|e| e.to_string())?;
    datagram
        .bind(
            &"127.0.0.1:0"
                .parse()
                .map_err(|e: wasock::Error| e.to_string())?,
        )
        .map_err(|e| format!("bind: {e}"))?;
    datagram
        .send_to(b"ping", &udp)
        .await
        .map_err(|e| format!("send-to: {e}"))?;
    let wasock::ReceivedFrom {
        data,
        address: from,
        truncated,
    } = timeout(Duration::from_secs(10), datagram.receive_from(100))
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| format!("receive-from: {e}"))?;
    if data != b"ping" || from.as_ref() != Some(&udp) || truncated {
        return Err(format!(
            "datagram: {data:?} from {from:?} (truncated: {truncated})"
        ));
    }
    println!("ok datagram");

    // Each task tells when its sleep began and ended. Beside each other,
    // each began before the other woke; one after the other, the second
    // would begin only once the first woke. (Their total time against a
    // bound, 380 ms, said so too, but load on the machine stretches it.)
    let nap = |id: u32| async move {
        let began = Instant::now();
        sleep(Duration::from_millis(200)).await;
        (id, began, Instant::now())
    };
    let first = spawn(nap(1));
    let second = spawn(nap(2));
    let (one, one_began, one_woke) = first.await;
    let (two, two_began, two_woke) = second.await;
    let slept = [one_woke - one_began, two_woke - two_began];
    if one + two != 3
        || two_began >= one_woke
        || one_began >= two_woke
        || slept.iter().any(|time| *time < Duration::from_millis(190))
    {
        return Err(format!(
            "tasks: ids {one} and {two}, slept {slept:?}, the second began {:?} after the first, which slept {:?}",
            two_began.saturating_duration_since(one_began),
            slept[0]
        ));
    }
    println!("ok tasks");
    Ok(())
}
