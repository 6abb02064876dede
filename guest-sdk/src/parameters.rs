//! The spec's program-wide parameters: the timeouts
//! (`socket-connect-timeout`, `socket-accept-timeout`,
//! `socket-receive-timeout`, `socket-send-timeout`) and the port parameters
//! (`socket-receive-buffer-size`, `socket-send-buffer-size`,
//! `socket-send-size`). Each is one value for the whole program, read where
//! it is used; this module depends on no socket, so the socket and the
//! ports both read it.

use std::sync::{Mutex, PoisonError};
use std::time::Duration;

/// One program-wide value, read at each use. The setter only assigns a
/// whole value, so a lock poisoned by a panic elsewhere still holds one
/// and is read through.
struct Parameter<T>(Mutex<T>);

impl<T: Copy> Parameter<T> {
    const fn new(value: T) -> Parameter<T> {
        Parameter(Mutex::new(value))
    }

    fn get(&self) -> T {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn set(&self, value: T) {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) = value;
    }
}

/// The timeouts of the blocking calls; `None` waits forever (the spec's
/// `#f`: "the operation never times out, unless the system forces it to").
///
/// The whole program's defaults are [`default_timeouts`] and
/// [`set_default_timeouts`]; a socket may have its own
/// ([`Socket::set_timeouts`](crate::Socket::set_timeouts)), and every
/// blocking call has a form taking its own timeout
/// ([`Socket::connect_timeout`](crate::Socket::connect_timeout),
/// [`Socket::accept_timeout`](crate::Socket::accept_timeout), and the
/// `_with` forms of the receives and sends with
/// [`RecvOptions::timeout`](crate::RecvOptions::timeout) /
/// [`SendOptions::timeout`](crate::SendOptions::timeout)). When a timeout
/// expires the call fails with class
/// [`ErrorClass::Timeout`](crate::ErrorClass::Timeout).
///
/// A timeout of [`Duration::ZERO`] tries once: where the call cannot go
/// ahead at once it fails with class timeout (a connect then goes on in
/// the background, and the next `connect` waits for it).
///
/// [`Timeouts::default`] is the program's defaults as they are now
/// ([`default_timeouts`]), so `Timeouts { receive: None,
/// ..Timeouts::default() }` changes one and keeps the program's others;
/// the spec's own are [`Timeouts::SPEC`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Timeouts {
    /// `socket-connect-timeout`: for `connect` (default `None`).
    #[doc(alias = "socket-connect-timeout")]
    pub connect: Option<Duration>,
    /// `socket-accept-timeout`: for `accept` (default `None`).
    #[doc(alias = "socket-accept-timeout")]
    pub accept: Option<Duration>,
    /// `socket-receive-timeout`: for every receive (default 60 s).
    #[doc(alias = "socket-receive-timeout")]
    pub receive: Option<Duration>,
    /// `socket-send-timeout`: for every send (default 60 s).
    #[doc(alias = "socket-send-timeout")]
    pub send: Option<Duration>,
}

impl Timeouts {
    /// The spec's defaults: connect and accept wait forever, receive and
    /// send time out after one minute.
    pub const SPEC: Timeouts = Timeouts {
        connect: None,
        accept: None,
        receive: Some(Duration::from_secs(60)),
        send: Some(Duration::from_secs(60)),
    };

    /// No timeouts at all: every call waits forever.
    pub const NONE: Timeouts = Timeouts {
        connect: None,
        accept: None,
        receive: None,
        send: None,
    };
}

/// The program's defaults as they are now ([`default_timeouts`]).
impl Default for Timeouts {
    fn default() -> Self {
        default_timeouts()
    }
}

static TIMEOUTS: Parameter<Timeouts> = Parameter::new(Timeouts::SPEC);

/// Sets the timeouts of every socket that has none of its own, for the
/// whole program (the spec's timeout parameters). Takes effect at the next
/// call.
///
/// ```no_run
/// use std::time::Duration;
/// wasock::set_default_timeouts(wasock::Timeouts {
///     connect: Some(Duration::from_secs(5)),
///     ..wasock::Timeouts::SPEC
/// });
/// ```
pub fn set_default_timeouts(timeouts: Timeouts) {
    TIMEOUTS.set(timeouts);
}

/// The whole program's default timeouts (initially [`Timeouts::SPEC`]).
pub fn default_timeouts() -> Timeouts {
    TIMEOUTS.get()
}

/// A timeout as the WIT's nanoseconds, saturating at `u64::MAX` (about
/// 584 years, which is forever enough).
pub(crate) fn timeout_to_wit(timeout: Option<Duration>) -> Option<u64> {
    timeout.map(|d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
}

/// The spec's port parameters; they take effect when the ports are made.
///
/// [`PortConfig::default`] is the program's parameters as they are now
/// ([`default_config`], which [`set_default_config`] changes, and from
/// which [`Socket::send_all`](crate::Socket::send_all) takes its `send_size`); the spec's own
/// defaults are [`PortConfig::SPEC`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PortConfig {
    /// `socket-receive-buffer-size` (default 4096): the input buffer, and
    /// the most one receive asks for. Input buffering cannot be disabled: 0
    /// is taken as 1.
    #[doc(alias = "socket-receive-buffer-size")]
    pub receive_buffer_size: usize,
    /// `socket-send-buffer-size` (default `None`: unbuffered): output is
    /// sent in whole multiples of this many bytes. `Some(0)` is unbuffered.
    #[doc(alias = "socket-send-buffer-size")]
    pub send_buffer_size: Option<usize>,
    /// `socket-send-size` (default `Some(16384)`): the most one `send` of
    /// `send_all` is given; `None` is "infinite": every `send` is offered
    /// all remaining data.
    #[doc(alias = "socket-send-size")]
    pub send_size: Option<usize>,
}

impl PortConfig {
    /// The spec's defaults: 4096-byte input buffer, unbuffered output,
    /// 16384-byte send chunks.
    pub const SPEC: PortConfig = PortConfig {
        receive_buffer_size: 4096,
        send_buffer_size: None,
        send_size: Some(16384),
    };
}

/// The program's port parameters as they are now ([`default_config`]), so
/// `PortConfig { send_buffer_size: Some(1024), ..PortConfig::default() }`
/// changes one parameter and keeps the program's others, as the spec's
/// `parameterize` of one parameter would.
impl Default for PortConfig {
    fn default() -> Self {
        default_config()
    }
}

static PORT_CONFIG: Parameter<PortConfig> = Parameter::new(PortConfig::SPEC);

/// The program's port parameters (initially [`PortConfig::SPEC`]): what
/// [`io_ports`](crate::ports::io_ports) gives new ports and [`Socket::send_all`](crate::Socket::send_all) chunks by.
pub fn default_config() -> PortConfig {
    PORT_CONFIG.get()
}

/// Sets the program's port parameters, as `parameterize` of the spec's
/// parameters would for the whole program: ports made afterwards by
/// [`io_ports`](crate::ports::io_ports) take them, and [`Socket::send_all`](crate::Socket::send_all) chunks by the new
/// `send_size`. Ports already made keep theirs.
pub fn set_default_config(config: PortConfig) {
    PORT_CONFIG.set(config);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_defaults() {
        let t = Timeouts::SPEC;
        assert_eq!(t.connect, None);
        assert_eq!(t.accept, None);
        assert_eq!(t.receive, Some(Duration::from_secs(60)));
        assert_eq!(t.send, Some(Duration::from_secs(60)));
    }

    #[test]
    fn default_is_the_programs_current_timeouts() {
        // The only test that changes the program's timeouts.
        assert_eq!(Timeouts::default(), Timeouts::SPEC, "initially the spec's");
        let program = Timeouts {
            receive: Some(Duration::from_millis(1)),
            ..Timeouts::NONE
        };
        set_default_timeouts(program);
        let seen = (Timeouts::default(), default_timeouts());
        set_default_timeouts(Timeouts::SPEC);
        assert_eq!(seen, (program, program));
    }

    #[test]
    fn durations_become_nanoseconds() {
        assert_eq!(timeout_to_wit(None), None);
        assert_eq!(
            timeout_to_wit(Some(Duration::from_millis(1500))),
            Some(1_500_000_000)
        );
        assert_eq!(timeout_to_wit(Some(Duration::MAX)), Some(u64::MAX));
    }

    #[test]
    fn port_config_default_is_the_programs_current_parameters() {
        // The only test that changes the program's parameters; the others
        // use `PortConfig::SPEC`.
        let program = PortConfig {
            receive_buffer_size: 100,
            send_buffer_size: Some(10),
            send_size: None,
        };
        set_default_config(program);
        let seen = (PortConfig::default(), default_config());
        set_default_config(PortConfig::SPEC);
        assert_eq!(seen, (program, program));
        assert_eq!(PortConfig::default(), PortConfig::SPEC);
    }
}
