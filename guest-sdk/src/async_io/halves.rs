//! What both builds of [`AsyncSocket`] share: the calls made of others
//! (`connect_any`, `accept_from`, `send_all`, the forms without flags),
//! the owned halves of [`AsyncSocket::into_split`] and `futures-io`'s
//! `AsyncRead` and `AsyncWrite`, over each build's own calls and its
//! `poll_receive` and `poll_send`.

use std::io;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use super::AsyncSocket;
use crate::addr::SockAddr;
use crate::error::{Error, ErrorCode, Result};
use crate::resolve::AddrInfo;
use crate::socket::{ReceivedFrom, RecvFlags, SendFlags, Shutdown};

/// The calls both builds make of their own.
impl AsyncSocket {
    /// The spec's `socket-connect/ai`: a new socket connected to the first
    /// of `addresses` that accepts, moving on past refused, unreachable
    /// and timed-out ones (the last such error if none accepts).
    pub async fn connect_any(addresses: &[AddrInfo]) -> Result<AsyncSocket> {
        let mut last = Error::invalid("socket-connect/ai: no addresses to connect to");
        for info in addresses {
            // A socket that cannot be made (the guest's socket limit) ends
            // the search: only the connect's own failures move on.
            let socket = AsyncSocket::new(info.family, info.socket_type, info.protocol)?;
            match socket.connect(&info.address).await {
                Ok(()) => return Ok(socket),
                Err(error) if error.is_transient() || error.is_timeout() => last = error,
                Err(error) => return Err(error),
            }
        }
        Err(last)
    }

    /// [`AsyncSocket::accept`] with the peer's address (`getpeername(2)`).
    pub async fn accept_from(&self) -> Result<(AsyncSocket, Option<SockAddr>)> {
        let socket = self.accept().await?;
        let peer = socket.peer_name()?;
        Ok((socket, peer))
    }

    /// `recv(2)`: the spec's `socket-receive`: up to `len` bytes, once some
    /// are there; empty at end of file on a stream.
    pub async fn receive(&self, len: usize) -> Result<Vec<u8>> {
        self.receive_with_flags(len, RecvFlags::empty()).await
    }

    /// The spec's `socket-receive!`: receives into `buf`; 0 at end of file.
    pub async fn receive_into(&self, buf: &mut [u8]) -> Result<usize> {
        let data = self.receive(buf.len()).await?;
        buf[..data.len()].copy_from_slice(&data);
        Ok(data.len())
    }

    /// `recvfrom(2)`: the spec's `socket-receive-from`: up to `len` bytes,
    /// the source address, and whether the rest of a longer datagram was
    /// discarded (as [`Socket::receive_from`](crate::Socket::receive_from)).
    pub async fn receive_from(&self, len: usize) -> Result<ReceivedFrom> {
        self.receive_from_with_flags(len, RecvFlags::empty()).await
    }

    /// `send(2)`: the spec's `socket-send`: sends some of `data` once
    /// there is room, returning how much.
    pub async fn send(&self, data: &[u8]) -> Result<usize> {
        self.send_with_flags(data, SendFlags::empty()).await
    }

    /// The spec's `socket-send-all`: sends all of `data`, waiting for room
    /// as often as needed, so a slow peer holds up only this task.
    pub async fn send_all(&self, data: &[u8]) -> Result<()> {
        let mut sent = 0;
        while sent < data.len() {
            let n = self.send(&data[sent..]).await?;
            if n == 0 {
                return Err(Error::new(
                    crate::ErrorClass::Fatal,
                    ErrorCode::Other,
                    "send-all: send reported 0 bytes sent",
                ));
            }
            sent += n;
        }
        Ok(())
    }

    /// `sendto(2)`: the spec's `socket-send-to`.
    pub async fn send_to(&self, data: &[u8], address: &SockAddr) -> Result<usize> {
        self.send_to_with_flags(data, address, SendFlags::empty())
            .await
    }
}

impl AsyncSocket {
    /// Splits the socket into a receiving half and a sending half that
    /// separate tasks may own (one receiving while the other sends). The
    /// socket closes when both halves are dropped; dropping the sending
    /// half shuts the sending side down first (`shutdown(2)` with
    /// `SHUT_WR`), so the peer reads end of file, as a dropped writer of
    /// this crate's ports does.
    pub fn into_split(self) -> (ReadHalf, WriteHalf) {
        let socket = Rc::new(self);
        (ReadHalf(Rc::clone(&socket)), WriteHalf(socket))
    }
}

/// The receiving half of an [`AsyncSocket`] ([`AsyncSocket::into_split`]):
/// `futures-io`'s `AsyncRead`, and the socket's receive calls through
/// `Deref`.
#[derive(Debug)]
pub struct ReadHalf(Rc<AsyncSocket>);

/// The sending half of an [`AsyncSocket`] ([`AsyncSocket::into_split`]):
/// `futures-io`'s `AsyncWrite`, and the socket's send calls through
/// `Deref`. Dropping it shuts the sending side down.
#[derive(Debug)]
pub struct WriteHalf(Rc<AsyncSocket>);

impl std::ops::Deref for ReadHalf {
    type Target = AsyncSocket;
    fn deref(&self) -> &AsyncSocket {
        &self.0
    }
}

impl std::ops::Deref for WriteHalf {
    type Target = AsyncSocket;
    fn deref(&self) -> &AsyncSocket {
        &self.0
    }
}

impl Drop for WriteHalf {
    fn drop(&mut self) {
        // Already shut down, closed, or never connected: nothing to say.
        let _ = self.0.shutdown(Shutdown::Write);
    }
}

impl futures_io::AsyncRead for ReadHalf {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let mut socket: &AsyncSocket = &self.get_mut().0;
        Pin::new(&mut socket).poll_read(cx, buf)
    }
}

impl futures_io::AsyncWrite for WriteHalf {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let mut socket: &AsyncSocket = &self.get_mut().0;
        Pin::new(&mut socket).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let mut socket: &AsyncSocket = &self.get_mut().0;
        Pin::new(&mut socket).poll_flush(cx)
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let mut socket: &AsyncSocket = &self.get_mut().0;
        Pin::new(&mut socket).poll_close(cx)
    }
}

/// `futures-io`'s `AsyncRead`: one receive per read (see
/// [`AsyncReader`](super::AsyncReader) for buffered reading).
impl futures_io::AsyncRead for &AsyncSocket {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        match self.poll_receive(cx, buf.len(), RecvFlags::empty()) {
            Poll::Ready(Ok(data)) => {
                buf[..data.len()].copy_from_slice(&data);
                Poll::Ready(Ok(data.len()))
            }
            Poll::Ready(Err(error)) => Poll::Ready(Err(error.into())),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl futures_io::AsyncRead for AsyncSocket {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let mut this: &AsyncSocket = self.get_mut();
        Pin::new(&mut this).poll_read(cx, buf)
    }
}

/// `futures-io`'s `AsyncWrite`: one send per write; `close` shuts the
/// sending side down (`shutdown(2)` with `SHUT_WR`).
impl futures_io::AsyncWrite for &AsyncSocket {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.poll_send(cx, buf, SendFlags::empty())
            .map_err(io::Error::from)
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_close(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(self.shutdown(Shutdown::Write).map_err(io::Error::from))
    }
}

impl futures_io::AsyncWrite for AsyncSocket {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let mut this: &AsyncSocket = self.get_mut();
        Pin::new(&mut this).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let mut this: &AsyncSocket = self.get_mut();
        Pin::new(&mut this).poll_flush(cx)
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let mut this: &AsyncSocket = self.get_mut();
        Pin::new(&mut this).poll_close(cx)
    }
}
