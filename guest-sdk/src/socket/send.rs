//! Sending: the spec's `socket-send`, `socket-send-to` and
//! `socket-send-all`.

use super::{SendFlags, SendOptions, Socket};
#[cfg(doc)]
use crate::Interest;
use crate::addr::SockAddr;
use crate::error::{Error, ErrorClass, ErrorCode, Result};
use crate::parameters::{self, timeout_to_wit};

impl Socket {
    /// `send(2)`: the spec's `socket-send`: waits until at least some data
    /// is sent and returns how many bytes were. Uses the socket's send
    /// timeout.
    #[doc(alias = "socket-send")]
    pub fn send(&self, data: &[u8]) -> Result<usize> {
        self.send_with(data, SendOptions::new())
    }

    /// [`Socket::send`] with this call's flags and timeout.
    ///
    /// ```no_run
    /// # fn main() -> wasock::Result<()> {
    /// # let socket = wasock::Socket::new(wasock::Family::Inet, wasock::SocketType::Stream, wasock::Protocol::DEFAULT)?;
    /// use std::time::Duration;
    /// use wasock::{SendFlags, SendOptions};
    /// socket.send_with(b"more to come", SendFlags::MORE)?;
    /// socket.send_with(b"bye", SendOptions::new().timeout(Some(Duration::from_millis(500))))?;
    /// # Ok(()) }
    /// ```
    #[doc(alias = "send_timeout")]
    pub fn send_with(&self, data: &[u8], options: impl Into<SendOptions>) -> Result<usize> {
        let options = options.into();
        let sent = self.inner.send(
            data,
            options.flags.into(),
            timeout_to_wit(options.timeout_or(self.timeouts().send)),
        )?;
        Ok(sent as usize)
    }

    /// `send(2)` with `MSG_DONTWAIT`: sends what the socket takes now and
    /// never waits. Fails with [`ErrorCode::WouldBlock`] (class transient)
    /// where it takes nothing; wait for [`Interest::WRITABLE`] (see
    /// [`poll`](crate::poll)) and try again. The way to write to many
    /// clients from one loop without one slow client stalling the others
    /// (a port's writer does the same in
    /// [non-blocking mode](crate::ports::SocketWriter::set_nonblocking)).
    ///
    /// ```no_run
    /// # fn main() -> wasock::Result<()> {
    /// # let socket = wasock::Socket::new(wasock::Family::Inet, wasock::SocketType::Stream, wasock::Protocol::DEFAULT)?;
    /// use wasock::poll::Subscription;
    /// use wasock::{ErrorCode, Interest};
    /// let mut pending: &[u8] = b"a reply the client may be slow to take";
    /// while !pending.is_empty() {
    ///     match socket.try_send(pending) {
    ///         Ok(sent) => pending = &pending[sent..],
    ///         Err(e) if e.code() == ErrorCode::WouldBlock => {
    ///             // A server keeps `pending` with the connection and polls
    ///             // this subscription among all the others.
    ///             let writable = Subscription::new(&socket, Interest::WRITABLE);
    ///             wasock::poll::wait_any(&[&writable], None)?;
    ///         }
    ///         Err(e) => return Err(e),
    ///     }
    /// }
    /// # Ok(()) }
    /// ```
    #[doc(alias = "try_write")]
    pub fn try_send(&self, data: &[u8]) -> Result<usize> {
        self.send_with(data, SendFlags::DONT_WAIT)
    }

    /// `sendto(2)`: the spec's `socket-send-to`: sends a datagram to
    /// `address`, returning how many bytes were sent.
    #[doc(alias = "socket-send-to")]
    pub fn send_to(&self, data: &[u8], address: &SockAddr) -> Result<usize> {
        self.send_to_with(data, address, SendOptions::new())
    }

    /// [`Socket::send_to`] with this call's flags and timeout.
    #[doc(alias = "send_to_timeout")]
    pub fn send_to_with(
        &self,
        data: &[u8],
        address: &SockAddr,
        options: impl Into<SendOptions>,
    ) -> Result<usize> {
        let options = options.into();
        let sent = self.inner.send_to(
            data,
            &address.into(),
            options.flags.into(),
            timeout_to_wit(options.timeout_or(self.timeouts().send)),
        )?;
        Ok(sent as usize)
    }

    /// The spec's `socket-send-all`: sends all of `data` by calling
    /// [`Socket::send`] as often as needed, in chunks of the program's
    /// `send_size` ([`ports::default_config`](crate::ports::default_config),
    /// 16384 unless changed); the last chunk may be smaller. Each `send`
    /// has the socket's send timeout.
    ///
    /// On a connected datagram socket each chunk is one datagram, so this
    /// divides a large buffer into `send_size`-byte datagrams. An empty
    /// `data` sends nothing. On an error, the chunks before it were sent.
    #[doc(alias = "socket-send-all")]
    pub fn send_all(&self, data: &[u8]) -> Result<()> {
        self.send_all_with(data, SendOptions::new())
    }

    /// [`Socket::send_all`] with this call's flags, timeout (for each
    /// `send`) and chunk size ([`SendOptions::send_size`]).
    pub fn send_all_with(&self, data: &[u8], options: impl Into<SendOptions>) -> Result<()> {
        let options = options.into();
        let send_size = options.send_size_or(parameters::default_config().send_size);
        let options = options.timeout(options.timeout_or(self.timeouts().send));
        send_all_chunked(data, send_size, |chunk| self.send_with(chunk, options))
            .map_err(|partial| partial.error)
    }
}

/// [`Socket::send`] as std [`Write`](std::io::Write) (`write_all` is then
/// [`Socket::send_all`] without chunking); `flush` does nothing.
impl std::io::Write for &Socket {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        Ok(Socket::send(self, buf)?)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// [`Socket::send`] as std [`Write`](std::io::Write); `flush` does nothing.
impl std::io::Write for Socket {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        Ok(Socket::send(self, buf)?)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A `send_all` that stopped at an error: how much went out before it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Partial {
    /// The bytes sent, from the start of the data, before `error`.
    pub(crate) sent: usize,
    pub(crate) error: Error,
}

/// The spec's `socket-send-all` loop: "Data is sent in chunks of size
/// (socket-send-size); the last chunk sent may be smaller than this. A #f
/// value for socket-send-size will attempt to send all remaining data with
/// each call to send()." Like the egg, the next chunk starts where the last
/// `send` stopped. On an error it says how much was sent before, so a
/// buffered writer keeps exactly the rest.
pub(crate) fn send_all_chunked(
    data: &[u8],
    send_size: Option<usize>,
    mut send: impl FnMut(&[u8]) -> Result<usize>,
) -> std::result::Result<(), Partial> {
    let mut start = 0;
    while start < data.len() {
        let remaining = data.len() - start;
        let count = send_size.map_or(remaining, |size| size.clamp(1, remaining));
        let sent =
            send(&data[start..start + count]).map_err(|error| Partial { sent: start, error })?;
        if sent == 0 || sent > count {
            return Err(Partial {
                sent: start + sent.min(count),
                error: Error::new(
                    ErrorClass::Fatal,
                    ErrorCode::Other,
                    format!("send-all: send reported {sent} bytes sent of {count}"),
                ),
            });
        }
        start += sent;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn send_all_chunks_by_send_size_last_chunk_smaller() {
        let data = vec![7u8; 40000];
        let mut sizes = Vec::new();
        let r = send_all_chunked(&data, Some(16384), |c| {
            sizes.push(c.len());
            Ok(c.len())
        });
        assert_eq!(r, Ok(()));
        assert_eq!(sizes, [16384, 16384, 7232]);
    }

    #[test]
    fn send_all_without_send_size_offers_everything_left() {
        let data = vec![1u8; 1000];
        let mut sizes = Vec::new();
        // A stream send that takes at most 300 bytes at a time.
        let r = send_all_chunked(&data, None, |c| {
            sizes.push(c.len());
            Ok(c.len().min(300))
        });
        assert_eq!(r, Ok(()));
        assert_eq!(sizes, [1000, 700, 400, 100]);
    }

    #[test]
    fn send_all_continues_where_a_partial_send_stopped() {
        let data: Vec<u8> = (0..=255).collect();
        let mut seen = Vec::new();
        let r = send_all_chunked(&data, Some(100), |c| {
            let n = c.len().min(60);
            seen.extend_from_slice(&c[..n]);
            Ok(n)
        });
        assert_eq!(r, Ok(()));
        assert_eq!(seen, data);
    }

    #[test]
    fn send_all_stops_at_the_first_error_and_on_zero_progress() {
        let data = [0u8; 10];
        let e = Error::new(ErrorClass::Fatal, ErrorCode::BrokenPipe, "x");
        assert_eq!(
            send_all_chunked(&data, Some(4), |_| Err(e.clone())),
            Err(Partial {
                sent: 0,
                error: e.clone()
            })
        );
        let zero =
            send_all_chunked(&data, Some(4), |_| Ok(0)).map_err(|p| (p.sent, p.error.code()));
        assert_eq!(zero, Err((0, ErrorCode::Other)));
        // The third chunk fails: the first two (8 bytes) went out.
        let mut calls = 0;
        let third = send_all_chunked(&data, Some(4), |chunk| {
            calls += 1;
            if calls == 3 {
                Err(e.clone())
            } else {
                Ok(chunk.len())
            }
        });
        assert_eq!(third.map_err(|p| p.sent), Err(8));
    }
}
