//! Async SDK e2e: one task receives while another sends on the same
//! [`AsyncSocket`], under `wasock::async_io::block_on` (built with the SDK's
//! `p3` feature: in the `wasi:cli/run@0.3.0` export's task).
//!
//! Against the native echo peer at ADDR, each case pushes 4 MiB through
//! the echo and reads every byte back; more than both sides' buffers
//! hold, so the sender waits for room while the receiver must keep
//! reading (a single task doing one then the other would stall):
//!
//! - `split`: the owned halves of [`AsyncSocket::into_split`] in two
//!   spawned tasks; dropping the sending half shuts the sending side down,
//!   so the echo peer ends the stream;
//! - `shared`: one socket in an `Rc`, a receiving and a sending task.
//!
//! Prints `ok split` and `ok shared`.
//!
//! Usage: poll_set_async_duplex ADDR
use std::rc::Rc;

use wasock::async_io::{AsyncSocket, spawn};
use wasock::{Protocol, Shutdown, SockAddr, SocketType};

const TOTAL: usize = 4 * 1024 * 1024;
const CHUNK: usize = 64 * 1024;

fn byte(i: usize) -> u8 {
    (i.wrapping_mul(31) % 251) as u8
}

async fn start() {
    if let Err(e) = run().await {
        eprintln!("poll_set_async_duplex: {e}");
        std::process::exit(1);
    }
}

// `fn main`, and built with the `p3` feature the `wasi:cli/run@0.3.0`
// export too (which a host serving WASI 0.3 runs instead).
wasock::async_main!(start);

async fn connect(address: &SockAddr) -> Result<AsyncSocket, String> {
    let socket = AsyncSocket::new(address.family(), SocketType::Stream, Protocol::DEFAULT)
        .map_err(|e| e.to_string())?;
    socket
        .connect(address)
        .await
        .map_err(|e| format!("connect: {e}"))?;
    Ok(socket)
}

/// Sends the whole pattern on `socket`.
async fn send_pattern(socket: &AsyncSocket) -> Result<(), String> {
    let data: Vec<u8> = (0..TOTAL).map(byte).collect();
    for chunk in data.chunks(CHUNK) {
        socket
            .send_all(chunk)
            .await
            .map_err(|e| format!("send: {e}"))?;
    }
    Ok(())
}

/// Receives until end of stream, checking every byte of the pattern.
async fn receive_pattern(socket: &AsyncSocket) -> Result<(), String> {
    let mut received = 0usize;
    loop {
        let data = socket
            .receive(CHUNK)
            .await
            .map_err(|e| format!("receive after {received} bytes: {e}"))?;
        if data.is_empty() {
            break;
        }
        if let Some(at) = (0..data.len()).find(|&i| data[i] != byte(received + i)) {
            return Err(format!("wrong byte at {}", received + at));
        }
        received += data.len();
        if received > TOTAL {
            return Err(format!("{received} bytes came back of {TOTAL}"));
        }
    }
    if received != TOTAL {
        return Err(format!("{received} bytes came back of {TOTAL}"));
    }
    Ok(())
}

async fn run() -> Result<(), String> {
    let address: SockAddr = std::env::args()
        .nth(1)
        .ok_or("usage: poll_set_async_duplex ADDR")?
        .parse()
        .map_err(|e| format!("ADDR: {e}"))?;

    let (reader, writer) = connect(&address).await?.into_split();
    let receiving = spawn(async move { receive_pattern(&reader).await });
    let sending = spawn(async move {
        let sent = send_pattern(&writer).await;
        drop(writer);
        sent
    });
    sending.await.map_err(|e| format!("split: {e}"))?;
    receiving.await.map_err(|e| format!("split: {e}"))?;
    println!("ok split");

    let socket = Rc::new(connect(&address).await?);
    let receiving = spawn({
        let socket = Rc::clone(&socket);
        async move { receive_pattern(&socket).await }
    });
    let sending = spawn({
        let socket = Rc::clone(&socket);
        async move {
            send_pattern(&socket).await?;
            socket
                .shutdown(Shutdown::Write)
                .map_err(|e| format!("shutdown: {e}"))
        }
    });
    sending.await.map_err(|e| format!("shared: {e}"))?;
    receiving.await.map_err(|e| format!("shared: {e}"))?;
    println!("ok shared");
    Ok(())
}
