//! Receiving: the spec's `socket-receive`, `socket-receive!`,
//! `socket-receive-from`, `socket-receive-from!` and
//! `socket-receive-ready?`.

use super::{RecvOptions, Socket};
use crate::addr::SockAddr;
use crate::bindings::wasock::socket::socket as wit;
use crate::error::{Error, ErrorClass, ErrorCode, Result};
use crate::parameters::timeout_to_wit;

impl Socket {
    /// `recv(2)`: the spec's `socket-receive`: waits for data and returns
    /// up to `len` bytes (sized to fit); empty at end of file on a stream.
    /// Uses the socket's receive timeout.
    ///
    /// For datagrams, the rest of a datagram longer than `len` is lost
    /// without notice: [`Socket::receive_from`] says when that happened.
    #[doc(alias = "socket-receive")]
    pub fn receive(&self, len: usize) -> Result<Vec<u8>> {
        self.receive_with(len, RecvOptions::new())
    }

    /// [`Socket::receive`] with this call's flags and timeout.
    ///
    /// ```no_run
    /// # fn main() -> wasock::Result<()> {
    /// # let socket = wasock::Socket::new(wasock::Family::Inet, wasock::SocketType::Stream, wasock::Protocol::DEFAULT)?;
    /// use std::time::Duration;
    /// use wasock::{RecvFlags, RecvOptions};
    /// // Look at what is waiting without taking it (flags convert into options).
    /// let head = socket.receive_with(4, RecvFlags::PEEK)?;
    /// // Wait at most one second for this call.
    /// let data = socket.receive_with(4096, RecvOptions::new().timeout(Some(Duration::from_secs(1))))?;
    /// # Ok(()) }
    /// ```
    #[doc(alias = "receive_timeout")]
    pub fn receive_with(&self, len: usize, options: impl Into<RecvOptions>) -> Result<Vec<u8>> {
        let options = options.into();
        Ok(self.inner.receive(
            wit_len(len),
            options.flags.into(),
            timeout_to_wit(options.timeout_or(self.timeouts().receive)),
        )?)
    }

    /// The spec's `socket-receive!`: receives into `buf`, returning how
    /// many bytes were written (0 at end of file on a stream). As
    /// [`Socket::receive`], a longer datagram is cut to `buf` without
    /// notice; [`Socket::receive_from_into`] reports it.
    #[doc(alias = "socket-receive!")]
    pub fn receive_into(&self, buf: &mut [u8]) -> Result<usize> {
        self.receive_into_with(buf, RecvOptions::new())
    }

    /// [`Socket::receive_into`] with this call's flags and timeout.
    pub fn receive_into_with(
        &self,
        buf: &mut [u8],
        options: impl Into<RecvOptions>,
    ) -> Result<usize> {
        let data = self.receive_with(buf.len(), options)?;
        copy_received(buf, &data)
    }

    /// `recvfrom(2)`: the spec's `socket-receive-from`: up to `len` bytes,
    /// the source address (`None` where the OS reports none) and whether
    /// a datagram was longer than `len` and its rest discarded (the spec:
    /// "the rest of the data is irrevocably lost"). Uses the socket's
    /// receive timeout.
    ///
    /// ```no_run
    /// # fn main() -> wasock::Result<()> {
    /// use wasock::{Family, Protocol, SockAddr, Socket, SocketType};
    /// // UDP echo, one datagram.
    /// let socket = Socket::new(Family::Inet, SocketType::Dgram, Protocol::DEFAULT)?;
    /// socket.bind(&SockAddr::inet(Some("127.0.0.1"), 5353)?)?;
    /// let received = socket.receive_from(1500)?;
    /// if received.truncated {
    ///     eprintln!("a datagram longer than 1500 bytes was cut");
    /// }
    /// if let Some(from) = &received.address {
    ///     socket.send_to(&received.data, from)?;
    /// }
    /// # Ok(()) }
    /// ```
    #[doc(alias = "socket-receive-from")]
    pub fn receive_from(&self, len: usize) -> Result<ReceivedFrom> {
        self.receive_from_with(len, RecvOptions::new())
    }

    /// [`Socket::receive_from`] with this call's flags and timeout.
    #[doc(alias = "receive_from_timeout")]
    pub fn receive_from_with(
        &self,
        len: usize,
        options: impl Into<RecvOptions>,
    ) -> Result<ReceivedFrom> {
        let options = options.into();
        let received = self.inner.receive_from(
            wit_len(len),
            options.flags.into(),
            timeout_to_wit(options.timeout_or(self.timeouts().receive)),
        )?;
        Ok(ReceivedFrom::from(received))
    }

    /// The spec's `socket-receive-from!`: receives into `buf`, returning
    /// the byte count, the source address and whether a longer datagram
    /// was cut to fit `buf`.
    #[doc(alias = "socket-receive-from!")]
    pub fn receive_from_into(&self, buf: &mut [u8]) -> Result<ReceivedInto> {
        self.receive_from_into_with(buf, RecvOptions::new())
    }

    /// [`Socket::receive_from_into`] with this call's flags and timeout.
    pub fn receive_from_into_with(
        &self,
        buf: &mut [u8],
        options: impl Into<RecvOptions>,
    ) -> Result<ReceivedInto> {
        let received = self.receive_from_with(buf.len(), options)?;
        Ok(ReceivedInto {
            len: copy_received(buf, &received.data)?,
            address: received.address,
            truncated: received.truncated,
        })
    }

    /// The spec's `socket-receive-ready?`: whether data (or end of file) is
    /// waiting to be received (`poll(2)` with no wait).
    #[doc(alias = "socket-receive-ready?")]
    pub fn receive_ready(&self) -> Result<bool> {
        Ok(self.inner.receive_ready()?)
    }
}

fn wit_len(len: usize) -> u32 {
    // The host caps one call's buffer anyway (64 KiB); asking for more than
    // u32::MAX is asking for "as much as you will give".
    u32::try_from(len).unwrap_or(u32::MAX)
}

/// What [`Socket::receive_from`] received: the WIT's `received-from`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ReceivedFrom {
    /// The bytes received, at most the length asked for.
    pub data: Vec<u8>,
    /// The source address; `None` where the OS reports none (a connected
    /// stream).
    pub address: Option<SockAddr>,
    /// True where the datagram was longer than the length asked for and
    /// the rest was discarded (`MSG_TRUNC`).
    pub truncated: bool,
}

/// What [`Socket::receive_from_into`] received into the caller's buffer.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ReceivedInto {
    /// How many bytes were written to the start of the buffer.
    pub len: usize,
    /// The source address; `None` where the OS reports none (a connected
    /// stream).
    pub address: Option<SockAddr>,
    /// True where the datagram was longer than the buffer and the rest was
    /// discarded (`MSG_TRUNC`).
    pub truncated: bool,
}

impl From<wit::ReceivedFrom> for ReceivedFrom {
    fn from(r: wit::ReceivedFrom) -> Self {
        ReceivedFrom {
            data: r.data,
            address: r.address.map(SockAddr::from),
            truncated: r.truncated,
        }
    }
}

/// [`Socket::receive_into`] as std [`Read`](std::io::Read): 0 bytes is end
/// of file on a stream. Unbuffered: every `read` is one receive (see
/// [`ports`](crate::ports) for buffered reading).
impl std::io::Read for &Socket {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        Ok(self.receive_into(buf)?)
    }
}

/// [`Socket::receive_into`] as std [`Read`](std::io::Read).
impl std::io::Read for Socket {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        Ok(self.receive_into(buf)?)
    }
}

/// Copies a received buffer into the caller's, which it must fit.
fn copy_received(buf: &mut [u8], data: &[u8]) -> Result<usize> {
    let capacity = buf.len();
    let target = buf.get_mut(..data.len()).ok_or_else(|| {
        Error::new(
            ErrorClass::Fatal,
            ErrorCode::Other,
            format!(
                "receive: the host returned {} bytes for a {capacity}-byte buffer",
                data.len()
            ),
        )
    })?;
    target.copy_from_slice(data);
    Ok(data.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn received_from_keeps_data_source_and_truncation() {
        let source = SockAddr::inet(Some("127.0.0.1"), 5353).unwrap_or_else(|e| panic!("{e}"));
        let wit_record = wit::ReceivedFrom {
            data: vec![1, 2, 3],
            address: Some((&source).into()),
            truncated: true,
        };
        let r = ReceivedFrom::from(wit_record);
        assert_eq!(
            r,
            ReceivedFrom {
                data: vec![1, 2, 3],
                address: Some(source),
                truncated: true
            }
        );
        let stream = ReceivedFrom::from(wit::ReceivedFrom {
            data: Vec::new(),
            address: None,
            truncated: false,
        });
        assert_eq!((stream.address, stream.truncated), (None, false));
    }
}
