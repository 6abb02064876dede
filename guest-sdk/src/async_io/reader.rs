//! [`AsyncReader`]: the spec's buffered input port, for async code.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use super::AsyncSocket;
use crate::error::{Error, Result};
use crate::socket::RecvFlags;

/// A buffered reader over an [`AsyncSocket`]: `futures-io`'s `AsyncRead`
/// and `AsyncBufRead` (the async form of the spec's input port, receiving
/// up to `receive_buffer_size` bytes at a time), with `read_line`,
/// `read_exact` and `read_to_end` as async methods of its own.
pub struct AsyncReader<'a> {
    socket: &'a AsyncSocket,
    buffer: Vec<u8>,
    start: usize,
    receive_buffer_size: usize,
}

impl std::fmt::Debug for AsyncReader<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AsyncReader")
            .field("buffered", &(self.buffer.len() - self.start))
            .field("receive_buffer_size", &self.receive_buffer_size)
            .finish()
    }
}

impl<'a> AsyncReader<'a> {
    /// A reader receiving up to `receive_buffer_size` bytes at a time (the
    /// spec's default is 4096; 0 is taken as 1).
    pub fn new(socket: &'a AsyncSocket, receive_buffer_size: usize) -> Self {
        AsyncReader {
            socket,
            buffer: Vec::new(),
            start: 0,
            receive_buffer_size: receive_buffer_size.max(1),
        }
    }

    /// The bytes received and not yet read.
    pub fn buffer(&self) -> &[u8] {
        &self.buffer[self.start..]
    }

    fn poll_fill(&mut self, cx: &mut Context<'_>) -> Poll<Result<&[u8]>> {
        if self.start == self.buffer.len() {
            match self
                .socket
                .poll_receive(cx, self.receive_buffer_size, RecvFlags::empty())
            {
                Poll::Ready(Ok(data)) => {
                    self.buffer = data;
                    self.start = 0;
                }
                Poll::Ready(Err(error)) => return Poll::Ready(Err(error)),
                Poll::Pending => return Poll::Pending,
            }
        }
        Poll::Ready(Ok(&self.buffer[self.start..]))
    }

    fn consume_bytes(&mut self, amount: usize) {
        self.start = (self.start + amount).min(self.buffer.len());
    }

    /// Reads until `\n` (kept) or end of file into `line`; returns how many
    /// bytes were added (0: end of file). Fails with invalid-argument if
    /// the line is not UTF-8.
    pub async fn read_line(&mut self, line: &mut String) -> Result<usize> {
        let mut bytes = Vec::new();
        loop {
            let chunk =
                std::future::poll_fn(|cx| self.poll_fill(cx).map_ok(|data| data.to_vec())).await?;
            if chunk.is_empty() {
                break;
            }
            match chunk.iter().position(|&b| b == b'\n') {
                Some(end) => {
                    bytes.extend_from_slice(&chunk[..=end]);
                    self.consume_bytes(end + 1);
                    break;
                }
                None => {
                    bytes.extend_from_slice(&chunk);
                    self.consume_bytes(chunk.len());
                }
            }
        }
        let text = String::from_utf8(bytes).map_err(|_| Error::invalid("read-line: not UTF-8"))?;
        line.push_str(&text);
        Ok(text.len())
    }

    /// Reads exactly `buf.len()` bytes; end of file first is an error.
    pub async fn read_exact(&mut self, buf: &mut [u8]) -> Result<()> {
        let mut filled = 0;
        while filled < buf.len() {
            let n = self.read(&mut buf[filled..]).await?;
            if n == 0 {
                return Err(Error::new(
                    crate::ErrorClass::Fatal,
                    crate::ErrorCode::Other,
                    format!(
                        "read-exact: end of file after {filled} of {} bytes",
                        buf.len()
                    ),
                ));
            }
            filled += n;
        }
        Ok(())
    }

    /// Reads what is buffered, or one receive, into `buf`; 0 at end of
    /// file.
    pub async fn read(&mut self, buf: &mut [u8]) -> Result<usize> {
        let n = std::future::poll_fn(|cx| {
            self.poll_fill(cx).map_ok(|data| {
                let n = data.len().min(buf.len());
                buf[..n].copy_from_slice(&data[..n]);
                n
            })
        })
        .await?;
        self.consume_bytes(n);
        Ok(n)
    }

    /// Reads to end of file (at most `limit` bytes; past it, an error).
    pub async fn read_to_end(&mut self, out: &mut Vec<u8>, limit: usize) -> Result<usize> {
        let before = out.len();
        loop {
            let chunk =
                std::future::poll_fn(|cx| self.poll_fill(cx).map_ok(|data| data.to_vec())).await?;
            if chunk.is_empty() {
                return Ok(out.len() - before);
            }
            if out.len() - before + chunk.len() > limit {
                return Err(Error::invalid(format!(
                    "read-to-end: more than {limit} bytes"
                )));
            }
            out.extend_from_slice(&chunk);
            self.consume_bytes(chunk.len());
        }
    }
}

impl futures_io::AsyncRead for AsyncReader<'_> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let n = match this.poll_fill(cx) {
            Poll::Ready(Ok(data)) => {
                let n = data.len().min(buf.len());
                buf[..n].copy_from_slice(&data[..n]);
                n
            }
            Poll::Ready(Err(error)) => return Poll::Ready(Err(error.into())),
            Poll::Pending => return Poll::Pending,
        };
        this.consume_bytes(n);
        Poll::Ready(Ok(n))
    }
}

impl futures_io::AsyncBufRead for AsyncReader<'_> {
    fn poll_fill_buf(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<&[u8]>> {
        self.get_mut().poll_fill(cx).map_err(io::Error::from)
    }

    fn consume(self: Pin<&mut Self>, amount: usize) {
        self.get_mut().consume_bytes(amount);
    }
}
