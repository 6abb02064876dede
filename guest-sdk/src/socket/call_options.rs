//! The per-call options of the receives and sends: the flags of
//! `recv(2)` / `send(2)` and the call's own timeout.

use std::time::Duration;

use crate::bindings::wasock::socket::socket as wit;
#[cfg(doc)]
use crate::{ErrorClass, Socket};

crate::flags! {
    /// `flags` of `send(2)` / `sendto(2)` (the host always adds
    /// `MSG_NOSIGNAL`).
    SendFlags: wit::SendFlags {
        /// `MSG_OOB`: send out-of-band data.
        OOB,
        /// `MSG_DONTROUTE`: bypass routing, send only on the local network.
        DONT_ROUTE,
        /// `MSG_DONTWAIT`: fail with `would-block` (class transient) rather
        /// than wait.
        DONT_WAIT,
        /// `MSG_EOR`: end of record.
        END_OF_RECORD,
        /// `MSG_MORE`: more data follows (Linux).
        MORE,
    }
}

crate::flags! {
    /// `flags` of `recv(2)` / `recvfrom(2)`.
    RecvFlags: wit::ReceiveFlags {
        /// `MSG_PEEK`: return data without removing it from the queue.
        PEEK,
        /// `MSG_OOB`: receive out-of-band data.
        OOB,
        /// `MSG_WAITALL`: wait until the full amount is available (stream
        /// sockets; may still return less on end of file or error).
        WAIT_ALL,
        /// `MSG_DONTWAIT`: fail with `would-block` (class transient) rather
        /// than wait.
        DONT_WAIT,
    }
}

/// The per-call options of the receive calls ([`Socket::receive_with`]
/// and the other `receive*_with`): flags and this call's own timeout.
///
/// [`RecvOptions::new`] (or [`Default`]) is no flags and the socket's
/// receive timeout, so only what is set differs from the plain call. A
/// [`RecvFlags`] converts into options with just those flags.
///
/// ```
/// use std::time::Duration;
/// use wasock::{RecvFlags, RecvOptions};
/// let options = RecvOptions::new()
///     .flags(RecvFlags::WAIT_ALL)
///     .timeout(Some(Duration::from_secs(5)));
/// assert_eq!(options.get_flags(), RecvFlags::WAIT_ALL);
/// assert_eq!(options.get_timeout(), Some(Some(Duration::from_secs(5))));
/// assert_eq!(RecvOptions::from(RecvFlags::PEEK).get_timeout(), None, "the socket's");
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct RecvOptions {
    pub(super) flags: RecvFlags,
    timeout: Option<Option<Duration>>,
}

impl RecvOptions {
    /// No flags, the socket's receive timeout.
    pub fn new() -> RecvOptions {
        RecvOptions::default()
    }

    /// The `flags` of `recv(2)` for this call.
    pub fn flags(mut self, flags: RecvFlags) -> RecvOptions {
        self.flags = flags;
        self
    }

    /// This call's own timeout instead of the socket's: `None` waits
    /// forever; `Some(Duration::ZERO)` tries once and fails with class
    /// [`ErrorClass::Timeout`] where nothing is waiting.
    pub fn timeout(mut self, timeout: Option<Duration>) -> RecvOptions {
        self.timeout = Some(timeout);
        self
    }

    /// The flags set.
    pub fn get_flags(&self) -> RecvFlags {
        self.flags
    }

    /// The timeout set: `None` where the call takes the socket's.
    pub fn get_timeout(&self) -> Option<Option<Duration>> {
        self.timeout
    }

    pub(super) fn timeout_or(&self, socket: Option<Duration>) -> Option<Duration> {
        self.timeout.unwrap_or(socket)
    }
}

impl From<RecvFlags> for RecvOptions {
    fn from(flags: RecvFlags) -> RecvOptions {
        RecvOptions::new().flags(flags)
    }
}

/// The per-call options of the send calls ([`Socket::send_with`],
/// [`Socket::send_to_with`], [`Socket::send_all_with`]): flags, this
/// call's own timeout, and for `send_all` the chunk size.
///
/// [`SendOptions::new`] (or [`Default`]) is no flags, the socket's send
/// timeout and the program's `send_size`. A [`SendFlags`] converts into
/// options with just those flags.
///
/// ```
/// use std::time::Duration;
/// use wasock::{SendFlags, SendOptions};
/// let options = SendOptions::new()
///     .flags(SendFlags::DONT_ROUTE)
///     .timeout(None)
///     .send_size(Some(512));
/// assert_eq!(options.get_timeout(), Some(None), "forever");
/// assert_eq!(options.get_send_size(), Some(Some(512)));
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct SendOptions {
    pub(super) flags: SendFlags,
    timeout: Option<Option<Duration>>,
    send_size: Option<Option<usize>>,
}

impl SendOptions {
    /// No flags, the socket's send timeout, the program's `send_size`.
    pub fn new() -> SendOptions {
        SendOptions::default()
    }

    /// The `flags` of `send(2)` for this call.
    pub fn flags(mut self, flags: SendFlags) -> SendOptions {
        self.flags = flags;
        self
    }

    /// This call's own timeout instead of the socket's (for `send_all`,
    /// of each `send`): `None` waits forever; `Some(Duration::ZERO)` tries
    /// once and fails with class [`ErrorClass::Timeout`] where the socket
    /// takes nothing.
    pub fn timeout(mut self, timeout: Option<Duration>) -> SendOptions {
        self.timeout = Some(timeout);
        self
    }

    /// [`Socket::send_all_with`]'s chunk size instead of the program's
    /// (the spec's `socket-send-size`): `None` offers each `send` all that
    /// is left. The other send calls ignore it.
    pub fn send_size(mut self, send_size: Option<usize>) -> SendOptions {
        self.send_size = Some(send_size);
        self
    }

    /// The flags set.
    pub fn get_flags(&self) -> SendFlags {
        self.flags
    }

    /// The timeout set: `None` where the call takes the socket's.
    pub fn get_timeout(&self) -> Option<Option<Duration>> {
        self.timeout
    }

    /// The chunk size set: `None` where `send_all` takes the program's.
    pub fn get_send_size(&self) -> Option<Option<usize>> {
        self.send_size
    }

    pub(super) fn timeout_or(&self, socket: Option<Duration>) -> Option<Duration> {
        self.timeout.unwrap_or(socket)
    }

    pub(super) fn send_size_or(&self, program: Option<usize>) -> Option<usize> {
        self.send_size.unwrap_or(program)
    }
}

impl From<SendFlags> for SendOptions {
    fn from(flags: SendFlags) -> SendOptions {
        SendOptions::new().flags(flags)
    }
}
