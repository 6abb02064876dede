//! What both builds of [`AsyncSocket`] share: the owned halves of
//! [`AsyncSocket::into_split`] and `futures-io`'s `AsyncRead` and
//! `AsyncWrite`, over each build's `poll_receive` and `poll_send`.

use std::io;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use super::AsyncSocket;
use crate::socket::{RecvFlags, SendFlags, Shutdown};

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
