//! BSD sockets for WebAssembly guests: the guest SDK of wasock.
//!
//! A guest compiled to `wasm32-wasip2` and run under the `wasock` host gets
//! the whole socket API of the CHICKEN `socket` egg, on real host sockets,
//! within what the host's policy allows. Names follow the egg's procedures.
//!
//! # A short tour
//!
//! - [`Socket`]: `socket(2)` and every call on it: [`Socket::connect`],
//!   [`Socket::bind`], [`Socket::listen`], [`Socket::accept`],
//!   [`Socket::send`], [`Socket::send_all`], [`Socket::receive`],
//!   [`Socket::send_to`], [`Socket::receive_from`], [`Socket::shutdown`],
//!   [`Socket::close`], and typed socket options
//!   ([`Socket::set_reuse_address`], [`Socket::linger`], ...) with the
//!   low-level [`Socket::get_option_int`] family beside them.
//! - [`SockAddr`]: socket addresses ([`SockAddr::inet`] is the spec's
//!   `inet-address`, [`SockAddr::unix`] its `unix-address`).
//! - [`address_information`], [`name_information`] and [`connect_any`]:
//!   resolution through the host's resolver.
//! - [`Error`]: every failure, with the spec's class ([`ErrorClass`]), an
//!   errno-like [`ErrorCode`] and a message; converts into
//!   [`std::io::Error`].
//! - [`Timeouts`]: connect/accept/receive/send timeouts, for the program
//!   ([`set_default_timeouts`]), per socket, and per call.
//! - [`ports`]: buffered `Read`/`BufRead`/`Write` ports over a socket, the
//!   spec's `socket-i/o-ports`.
//! - [`poll::Registry`]: wait on many sockets (and a timeout) at once,
//!   through a persistent interest set on the host (mio-style: [`poll::Token`],
//!   [`Interest`], [`poll::Events`]); [`poll::Poller`] and
//!   [`poll::wait_any`] are simpler forms of it.
//! - [`constants`]: the host's numbers for the spec's constant names.
//! - `async_io` (cargo feature `async`): async sockets, a small executor
//!   and timers over the poll set; with the feature `wstd`, async sockets
//!   also run under `wstd::runtime::block_on`.
//!
//! # TCP client
//!
//! ```no_run
//! # fn main() -> wasock::Result<()> {
//! use wasock::{Family, Protocol, SockAddr, Socket, SocketType};
//! let socket = Socket::new(Family::Inet, SocketType::Stream, Protocol::DEFAULT)?;
//! socket.connect(&SockAddr::inet(Some("127.0.0.1"), 7)?)?;
//! socket.send_all(b"ping\n")?;
//! println!("{:?}", socket.receive(4096)?);
//! # Ok(()) }
//! ```
//!
//! # Unix-domain sockets
//!
//! ```no_run
//! # fn main() -> wasock::Result<()> {
//! use wasock::{Family, Protocol, SockAddr, Socket, SocketType};
//! let server = Socket::new(Family::Unix, SocketType::Stream, Protocol::DEFAULT)?;
//! server.bind(&SockAddr::unix("/sockets/echo.sock"))?;
//! server.listen(16)?;
//! let conn = server.accept()?;
//! let data = conn.receive(4096)?;
//! conn.send_all(&data)?;
//! # Ok(()) }
//! ```
#![deny(missing_docs, unsafe_code, missing_debug_implementations)]
#![warn(unreachable_pub)]

/// The generated bindings of the `wasock:socket/guest` world: private, so
/// the public API speaks only this crate's types.
#[allow(
    unsafe_code,
    missing_docs,
    unreachable_pub,
    dead_code,
    missing_debug_implementations,
    clippy::all
)]
mod bindings {
    wit_bindgen::generate!({
        path: "../wit",
        world: "wasock:socket/guest",
        generate_all,
    });
}

/// Defines a public flags type over a generated WIT flags type, with the
/// same flag names.
macro_rules! flags {
    (
        $(#[$meta:meta])*
        $name:ident : $wit:ty {
            $( $(#[$fmeta:meta])* $flag:ident, )*
        }
    ) => {
        $(#[$meta])*
        ///
        /// Combine flags with `|`; [`Default`] is no flags.
        #[derive(Clone, Copy, PartialEq, Eq, Hash)]
        pub struct $name($wit);

        impl $name {
            $( $(#[$fmeta])* pub const $flag: $name = $name(<$wit>::$flag); )*

            /// No flags.
            pub fn empty() -> $name {
                $name(<$wit>::empty())
            }

            /// Whether every flag of `other` is set in `self`.
            pub fn contains(self, other: $name) -> bool {
                (self.0.bits() & other.0.bits()) == other.0.bits()
            }

            /// Whether no flag is set.
            pub fn is_empty(self) -> bool {
                self.0.bits() == 0
            }
        }

        impl Default for $name {
            fn default() -> $name {
                $name::empty()
            }
        }

        impl ::std::ops::BitOr for $name {
            type Output = $name;
            fn bitor(self, other: $name) -> $name {
                $name(<$wit>::from_bits_retain(self.0.bits() | other.0.bits()))
            }
        }

        impl ::std::ops::BitOrAssign for $name {
            fn bitor_assign(&mut self, other: $name) {
                *self = *self | other;
            }
        }

        impl ::std::fmt::Debug for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                let mut set = f.debug_set();
                $( if self.contains($name::$flag) { set.entry(&format_args!(stringify!($flag))); } )*
                set.finish()
            }
        }

        impl From<$name> for $wit {
            fn from(flags: $name) -> $wit {
                flags.0
            }
        }

        impl From<$wit> for $name {
            fn from(flags: $wit) -> $name {
                $name(flags)
            }
        }
    };
}
pub(crate) use flags;

mod addr;
#[cfg(feature = "async")]
pub mod async_io;
pub mod constants;
mod error;
mod options;
pub mod poll;
pub mod ports;
mod resolve;
mod socket;
mod timeouts;

pub use addr::{Family, Port, Protocol, SockAddr, SocketType};
pub use error::{Error, ErrorClass, ErrorCode, Result};
pub use resolve::{
    AddrInfo, AddrInfoFlags, AddrInfoHints, NameInfoFlags, Service, address_information,
    address_information_timeout, connect_any, name_information, name_information_of_str,
};
pub use socket::{Interest, ReceivedFrom, RecvFlags, SendFlags, Shutdown, Socket};
pub use timeouts::{Timeouts, default_timeouts, set_default_timeouts};
