//! Async SDK e2e: a wasock [`AsyncSocket`] awaited inside
//! `wstd::runtime::block_on` (the WASI 0.2 async runtime), its waits
//! scheduled on wstd's reactor, beside a wstd timer in the same task.
//!
//! Connects to the native echo peer at ADDR; starts a receive, and beside
//! it (in the same task) sleeps 100 ms on wstd's clock and then sends
//! `hello`: the receive must wait and be woken by the echo. Then receives
//! again with nothing sent while a wstd timer of 200 ms races it (the
//! timer must win), and prints `ok wstd`.
//!
//! Usage: poll_set_wstd ADDR
use std::time::Duration;

use wasock::async_io::AsyncSocket;
use wasock::{Protocol, SockAddr, SocketType};

fn main() {
    let result = wstd::runtime::block_on(run());
    if let Err(e) = result {
        eprintln!("poll_set_wstd: {e}");
        std::process::exit(1);
    }
    println!("ok wstd");
}

async fn run() -> Result<(), String> {
    let address: SockAddr = std::env::args()
        .nth(1)
        .ok_or("usage: poll_set_wstd ADDR")?
        .parse()
        .map_err(|e| format!("ADDR: {e}"))?;
    let socket = AsyncSocket::new(address.family(), SocketType::Stream, Protocol::DEFAULT)
        .map_err(|e| e.to_string())?;
    socket
        .connect(&address)
        .await
        .map_err(|e| format!("connect: {e}"))?;
    // The receive starts first and must wait: only wstd's reactor, woken
    // by the poll set's pollable, can tell it the echo came.
    let receive = async {
        let mut echo = Vec::new();
        for _ in 0..10 {
            if echo.len() == 5 {
                break;
            }
            let data = socket
                .receive(5 - echo.len())
                .await
                .map_err(|e| format!("receive: {e}"))?;
            if data.is_empty() {
                return Err("end of file before the echo".to_string());
            }
            echo.extend(data);
        }
        Ok(echo)
    };
    let send = async {
        wstd::task::sleep(wstd::time::Duration::from_millis(100)).await;
        socket
            .send_all(b"hello")
            .await
            .map_err(|e| format!("send: {e}"))
    };
    let (echo, sent) = join(receive, send).await;
    sent?;
    let echo = echo?;
    if echo != b"hello" {
        return Err(format!("echo {echo:?}"));
    }
    // Nothing is coming: a wstd timer must win the race with a receive.
    let receive = async { Some(socket.receive(5).await) };
    let timer = async {
        wstd::task::sleep(wstd::time::Duration::from(Duration::from_millis(200))).await;
        None
    };
    let winner = race(receive, timer).await;
    if let Some(result) = winner {
        return Err(format!("a receive finished with nothing sent: {result:?}"));
    }
    Ok(())
}

/// Both futures' outputs, polled side by side.
async fn join<A, B>(
    a: impl std::future::Future<Output = A>,
    b: impl std::future::Future<Output = B>,
) -> (A, B) {
    let mut a = std::pin::pin!(a);
    let mut b = std::pin::pin!(b);
    let mut a_out = None;
    let mut b_out = None;
    std::future::poll_fn(|cx| {
        if a_out.is_none()
            && let std::task::Poll::Ready(v) = a.as_mut().poll(cx)
        {
            a_out = Some(v);
        }
        if b_out.is_none()
            && let std::task::Poll::Ready(v) = b.as_mut().poll(cx)
        {
            b_out = Some(v);
        }
        match (a_out.take(), b_out.take()) {
            (Some(a), Some(b)) => std::task::Poll::Ready((a, b)),
            (a, b) => {
                a_out = a;
                b_out = b;
                std::task::Poll::Pending
            }
        }
    })
    .await
}

/// The first of two futures to finish.
async fn race<T>(
    a: impl std::future::Future<Output = T>,
    b: impl std::future::Future<Output = T>,
) -> T {
    let mut a = std::pin::pin!(a);
    let mut b = std::pin::pin!(b);
    std::future::poll_fn(|cx| {
        if let std::task::Poll::Ready(v) = a.as_mut().poll(cx) {
            return std::task::Poll::Ready(v);
        }
        b.as_mut().poll(cx)
    })
    .await
}
