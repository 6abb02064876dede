//! Timeouts: the spec's `socket-connect-timeout`, `socket-accept-timeout`,
//! `socket-receive-timeout` and `socket-send-timeout` parameters.

use std::sync::Mutex;
use std::time::Duration;

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

static DEFAULTS: Mutex<Timeouts> = Mutex::new(Timeouts::SPEC);

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
    *DEFAULTS
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner()) = timeouts;
}

/// The whole program's default timeouts (initially [`Timeouts::SPEC`]).
pub fn default_timeouts() -> Timeouts {
    *DEFAULTS
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A duration as the WIT's nanoseconds, saturating at `u64::MAX` (about
/// 584 years, which is forever enough).
pub(crate) fn to_wit(timeout: Option<Duration>) -> Option<u64> {
    timeout.map(|d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
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
        assert_eq!(to_wit(None), None);
        assert_eq!(
            to_wit(Some(Duration::from_millis(1500))),
            Some(1_500_000_000)
        );
        assert_eq!(to_wit(Some(Duration::MAX)), Some(u64::MAX));
    }
}
