//! Every conversion between the WIT's types and the host's: address
//! families, socket types, send and receive flags, and the error record
//! (whose codes come from the one list in `crate::error`).

use crate::bindings::wasock::socket::{socket, types};
use crate::ctx::WasockCtxView;
use crate::error::{Error, ErrorClass, ErrorCode, HostError, with_error_codes};
use crate::socket::{Family, Kind, RecvFlags, SendFlags};

/// `None` for `unspec`.
pub(super) fn family_from_wit(family: types::AddressFamily) -> Option<Family> {
    match family {
        types::AddressFamily::Unspec => None,
        types::AddressFamily::Inet => Some(Family::Inet),
        types::AddressFamily::Inet6 => Some(Family::Inet6),
        types::AddressFamily::Unix => Some(Family::Unix),
    }
}

pub(super) fn family_to_wit(family: Family) -> types::AddressFamily {
    match family {
        Family::Inet => types::AddressFamily::Inet,
        Family::Inet6 => types::AddressFamily::Inet6,
        Family::Unix => types::AddressFamily::Unix,
    }
}

/// The spec's name of a family, for messages.
pub(super) fn family_name(family: Family) -> &'static str {
    match family {
        Family::Inet => "af/inet",
        Family::Inet6 => "af/inet6",
        Family::Unix => "af/unix",
    }
}

pub(super) fn kind_from_wit(kind: types::SocketType) -> Kind {
    match kind {
        types::SocketType::Stream => Kind::Stream,
        types::SocketType::Dgram => Kind::Dgram,
        types::SocketType::Raw => Kind::Raw,
    }
}

pub(super) fn kind_to_wit(kind: Kind) -> types::SocketType {
    match kind {
        Kind::Stream => types::SocketType::Stream,
        Kind::Dgram => types::SocketType::Dgram,
        Kind::Raw => types::SocketType::Raw,
    }
}

pub(super) fn error_to_wit(error: Error) -> types::Error {
    use types::ErrorClass as C;
    let class = match error.class {
        ErrorClass::Transient => C::Transient,
        ErrorClass::Timeout => C::Timeout,
        ErrorClass::Unsupported => C::Unsupported,
        ErrorClass::Fatal => C::Fatal,
    };
    macro_rules! code_to_wit {
        ($($code:ident),* $(,)?) => {
            match error.code {
                $(ErrorCode::$code => types::ErrorCode::$code,)*
            }
        };
    }
    let code = with_error_codes!(code_to_wit);
    types::Error {
        class,
        code,
        message: error.message,
    }
}

impl types::Host for WasockCtxView<'_> {
    fn convert_error(&mut self, err: HostError) -> wasmtime::Result<types::Error> {
        match err {
            HostError::Guest(error) => Ok(error_to_wit(error)),
            HostError::Trap(trap) => Err(trap),
        }
    }
}

pub(super) fn send_flags(flags: socket::SendFlags) -> SendFlags {
    SendFlags {
        oob: flags.contains(socket::SendFlags::OOB),
        dont_route: flags.contains(socket::SendFlags::DONT_ROUTE),
        dont_wait: flags.contains(socket::SendFlags::DONT_WAIT),
        end_of_record: flags.contains(socket::SendFlags::END_OF_RECORD),
        more: flags.contains(socket::SendFlags::MORE),
    }
}

pub(super) fn receive_flags(flags: socket::ReceiveFlags) -> RecvFlags {
    RecvFlags {
        peek: flags.contains(socket::ReceiveFlags::PEEK),
        oob: flags.contains(socket::ReceiveFlags::OOB),
        wait_all: flags.contains(socket::ReceiveFlags::WAIT_ALL),
        dont_wait: flags.contains(socket::ReceiveFlags::DONT_WAIT),
    }
}
