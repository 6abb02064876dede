//! The port argument of the spec's `inet-address`: a number, a numeric
//! string, or unspecified.

#[cfg(doc)]
use super::SockAddr;
#[cfg(doc)]
use crate::error::ErrorCode;
use crate::error::{Error, Result};

/// A port for [`SockAddr::inet`]: a number, a numeric string, or
/// unspecified (`None`, the spec's `#f`, meaning port 0).
///
/// Built with `From` from integers, strings and `Option`s of them; a number
/// out of 0..=65535 or a string that is not a decimal number fails in
/// [`SockAddr::inet`] with [`ErrorCode::InvalidArgument`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Port(PortSpec);

#[derive(Clone, Debug, PartialEq, Eq)]
enum PortSpec {
    Unspecified,
    Number(i128),
    Text(String),
}

impl Port {
    /// The unspecified port (the spec's `#f`): port 0.
    pub const UNSPECIFIED: Port = Port(PortSpec::Unspecified);

    pub(super) fn is_unspecified(&self) -> bool {
        matches!(self.0, PortSpec::Unspecified)
    }

    /// The port number, or an `invalid-argument` error.
    pub(super) fn resolve(&self) -> Result<u16> {
        match &self.0 {
            PortSpec::Unspecified => Ok(0),
            PortSpec::Number(n) => u16::try_from(*n).map_err(|_| {
                Error::invalid(format!("inet-address: port {n} is out of range 0-65535"))
            }),
            PortSpec::Text(s) => {
                let t = s.trim();
                if t.is_empty() || !t.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(Error::invalid(format!(
                        "inet-address: port {s:?} is not a number"
                    )));
                }
                t.parse::<u16>().map_err(|_| {
                    Error::invalid(format!("inet-address: port {s:?} is out of range 0-65535"))
                })
            }
        }
    }
}

macro_rules! port_from_int {
    ($($t:ty),*) => {$(
        impl From<$t> for Port {
            fn from(n: $t) -> Self {
                Port(PortSpec::Number(n as i128))
            }
        }
    )*};
}
port_from_int!(u8, u16, u32, u64, usize, i8, i16, i32, i64, isize);

impl From<&str> for Port {
    fn from(s: &str) -> Self {
        Port(PortSpec::Text(s.to_owned()))
    }
}

impl From<String> for Port {
    fn from(s: String) -> Self {
        Port(PortSpec::Text(s))
    }
}

impl From<&String> for Port {
    fn from(s: &String) -> Self {
        Port(PortSpec::Text(s.clone()))
    }
}

impl<T: Into<Port>> From<Option<T>> for Port {
    fn from(p: Option<T>) -> Self {
        p.map_or(Port::UNSPECIFIED, Into::into)
    }
}
