//! BSD sockets for WebAssembly guests: the guest SDK of wasock.
//!
//! A guest compiled to `wasm32-wasip2` and run under the `wasock` host gets
//! the whole socket API of the CHICKEN `socket` egg, on real host sockets,
//! within what the host's policy allows. Names follow the egg's procedures
//! (the [last section](#the-eggs-names) lists them; rustdoc's search finds
//! each egg name too, `socket-receive-from` for example).
//!
//! # A guest crate
//!
//! ```toml
//! [dependencies]
//! wasock = { path = "../guest-sdk" }
//! ```
//!
//! Build with `cargo build --release --target wasm32-wasip2` and run under
//! the host with the grants the guest needs; it reaches nothing else:
//!
//! ```text
//! wasock run --allow-connect 127.0.0.1:7000 target/wasm32-wasip2/release/client.wasm
//! ```
//!
//! Every call returns [`Result`]; an [`Error`] has the spec's class, an
//! errno-like code and a message, and converts to and from
//! [`std::io::Error`], so `?` mixes the two in one function.
//!
//! # A client
//!
//! ```no_run
//! use wasock::{Family, Protocol, SockAddr, Socket, SocketType};
//!
//! fn main() -> wasock::Result<()> {
//!     let socket = Socket::new(Family::Inet, SocketType::Stream, Protocol::DEFAULT)?;
//!     socket.connect(&SockAddr::inet(Some("127.0.0.1"), 7000)?)?;
//!     socket.send_all(b"ping\n")?;
//!     let reply = socket.receive(4096)?; // empty at end of file
//!     println!("{}", String::from_utf8_lossy(&reply));
//!     Ok(())
//! }
//! ```
//!
//! By name, through the host's resolver (`--allow-dns`), trying each
//! address in turn ([`connect_any`], the spec's `socket-connect/ai`):
//!
//! ```no_run
//! # fn main() -> wasock::Result<()> {
//! use wasock::{address_information, connect_any, AddrInfoHints};
//! let addresses = address_information(Some("localhost"), Some("7000"), &AddrInfoHints::default())?;
//! let socket = connect_any(&addresses)?;
//! # drop(socket);
//! # Ok(()) }
//! ```
//!
//! # A server for many connections, without threads
//!
//! A guest has one thread. It serves many connections by waiting on all of
//! them at once ([`poll`]) and never blocking on one: it receives only
//! from a connection that is readable, and sends with [`Socket::try_send`]
//! (`MSG_DONTWAIT`), keeping what a slow client does not take yet until
//! its socket is writable.
//!
//! ```no_run
//! use wasock::poll::{wait_any, Subscription};
//! use wasock::{ErrorCode, Family, Interest, Protocol, SockAddr, Socket, SocketType};
//!
//! struct Client {
//!     socket: Socket,
//!     readable: Subscription,
//!     writable: Subscription,
//!     owed: Vec<u8>, // received, not yet echoed
//! }
//!
//! fn main() -> wasock::Result<()> {
//!     let listener = Socket::new(Family::Inet, SocketType::Stream, Protocol::DEFAULT)?;
//!     listener.bind(&SockAddr::inet(Some("127.0.0.1"), 7000)?)?;
//!     listener.listen(128)?;
//!     let incoming = Subscription::new(&listener, Interest::READABLE);
//!     let mut clients: Vec<Client> = Vec::new();
//!     loop {
//!         // A client that owes bytes waits to write, the others to read.
//!         let mut list: Vec<&Subscription> = clients
//!             .iter()
//!             .map(|c| if c.owed.is_empty() { &c.readable } else { &c.writable })
//!             .collect();
//!         list.push(&incoming);
//!         let mut gone = Vec::new();
//!         for i in wait_any(&list, None)? {
//!             if i == clients.len() {
//!                 let (socket, peer) = listener.accept_from()?;
//!                 println!("connection from {peer:?}");
//!                 let readable = Subscription::new(&socket, Interest::READABLE);
//!                 let writable = Subscription::new(&socket, Interest::WRITABLE);
//!                 clients.push(Client { socket, readable, writable, owed: Vec::new() });
//!                 continue;
//!             }
//!             let client = &mut clients[i];
//!             if client.owed.is_empty() {
//!                 let data = client.socket.receive(64 * 1024)?;
//!                 if data.is_empty() {
//!                     gone.push(i); // end of file
//!                     continue;
//!                 }
//!                 client.owed = data;
//!             }
//!             match client.socket.try_send(&client.owed) {
//!                 Ok(sent) => drop(client.owed.drain(..sent)),
//!                 Err(e) if e.code() == ErrorCode::WouldBlock => {} // later
//!                 Err(_) => gone.push(i),
//!             }
//!         }
//!         for i in gone.into_iter().rev() {
//!             clients.remove(i);
//!         }
//!     }
//! }
//! ```
//!
//! The [`ports`] module shows the same with buffered ports, whose writer
//! has a [non-blocking mode](ports::SocketWriter::set_nonblocking).
//!
//! # UDP
//!
//! [`Socket::receive_from`] says who sent a datagram and whether it was
//! longer than asked for (the rest is lost, as the spec says);
//! [`Socket::send_to`] answers.
//!
//! ```no_run
//! # fn main() -> wasock::Result<()> {
//! use wasock::{Family, Protocol, SockAddr, Socket, SocketType};
//! let socket = Socket::new(Family::Inet, SocketType::Dgram, Protocol::DEFAULT)?;
//! socket.bind(&SockAddr::inet(Some("127.0.0.1"), 5353)?)?;
//! let datagram = socket.receive_from(1500)?;
//! if datagram.truncated {
//!     eprintln!("a datagram longer than 1500 bytes was cut");
//! }
//! if let Some(sender) = &datagram.address {
//!     socket.send_to(&datagram.data, sender)?;
//! }
//! # Ok(()) }
//! ```
//!
//! # Unix-domain sockets
//!
//! Paths are the guest's names under a directory the host granted
//! (`--allow-unix HOST_DIR::/sockets`).
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
//!
//! # Timeouts
//!
//! The spec's four timeouts ([`Timeouts`]: connect and accept wait
//! forever, receive and send one minute) hold for the whole program
//! ([`set_default_timeouts`]), can be a socket's own
//! ([`Socket::set_timeouts`]), or one call's: [`Socket::connect_timeout`],
//! [`Socket::accept_timeout`], and every receive and send's `_with` form
//! with [`RecvOptions`] / [`SendOptions`] (which carry the flags too). A
//! timeout that expires is class [`ErrorClass::Timeout`]. `None` waits
//! forever; [`Duration::ZERO`](std::time::Duration::ZERO) tries once and
//! fails with class timeout where the call cannot go ahead at once (the
//! `DONT_WAIT` flags fail with [`ErrorCode::WouldBlock`] instead).
//!
//! ```no_run
//! # fn main() -> wasock::Result<()> {
//! # let socket = wasock::Socket::new(wasock::Family::Inet, wasock::SocketType::Stream, wasock::Protocol::DEFAULT)?;
//! use std::time::Duration;
//! use wasock::{RecvOptions, Timeouts};
//! wasock::set_default_timeouts(Timeouts { connect: Some(Duration::from_secs(5)), ..Timeouts::SPEC });
//! socket.set_timeouts(Timeouts { receive: None, ..Timeouts::default() });
//! let now = socket.receive_with(4096, RecvOptions::new().timeout(Some(Duration::ZERO)));
//! match now {
//!     Ok(data) => println!("{} bytes were waiting", data.len()),
//!     Err(e) if e.is_timeout() => println!("nothing waiting"),
//!     Err(e) => return Err(e),
//! }
//! # Ok(()) }
//! ```
//!
//! # Ports
//!
//! [`ports::io_ports`] turns a connected socket into a buffered reader
//! (std `BufRead`) and writer (std `Write`) that follow the spec's port
//! parameters ([`ports::PortConfig`]; the program's are set with
//! [`ports::set_default_config`] and taken when the ports are made).
//!
//! ```no_run
//! # fn main() -> wasock::Result<()> {
//! use std::io::{BufRead, Write};
//! use wasock::{Family, Protocol, SockAddr, Socket, SocketType};
//! let socket = Socket::new(Family::Inet, SocketType::Stream, Protocol::DEFAULT)?;
//! socket.connect(&SockAddr::inet(Some("127.0.0.1"), 8080)?)?;
//! let (reader, mut writer) = wasock::ports::io_ports(socket);
//! writer.write_all(b"GET / HTTP/1.0\r\n\r\n")?;
//! writer.flush()?;
//! for line in reader.lines() {
//!     println!("{}", line?);
//! }
//! # Ok(()) }
//! ```
//!
//! # TLS
//!
//! The host does TLS on the guest's own sockets ([`tls`]): a connected
//! stream socket becomes a TLS client with [`Socket::tls_connect`] or a
//! TLS server with [`Socket::tls_accept`], which presents an identity the
//! host loaded (`wasock run --tls-identity NAME=CERT:KEY`; the guest names
//! it, the key never enters the guest). Afterwards the socket sends and
//! receives plaintext as before, so [`Socket::send_all`], the [`ports`]
//! and the async sockets work on it unchanged. A certificate the client
//! does not trust (roots: the system's, or `--tls-roots FILE`) fails with
//! [`ErrorCode::TlsHandshakeFailed`].
//!
//! ```no_run
//! # fn main() -> wasock::Result<()> {
//! use std::io::{BufRead, Write};
//! use wasock::tls::TlsOptions;
//! use wasock::{AddrInfoHints, address_information, connect_any};
//! let addresses = address_information(Some("example.com"), Some("443"), &AddrInfoHints::default())?;
//! let socket = connect_any(&addresses)?;
//! socket.tls_connect_with("example.com", &TlsOptions::new().alpn(["http/1.1"]))?;
//! let (reader, mut writer) = wasock::ports::io_ports(socket);
//! writer.write_all(b"GET / HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\n\r\n")?;
//! writer.flush()?;
//! for line in reader.lines() {
//!     println!("{}", line?);
//! }
//! # Ok(()) }
//! ```
//!
//! # Errors
//!
//! [`Error::class`] is the spec's exception kind: [`ErrorClass::Transient`]
//! (worth retrying: refused, unreachable, would block),
//! [`ErrorClass::Timeout`], [`ErrorClass::Unsupported`] and
//! [`ErrorClass::Fatal`]; [`Error::code`] the precise cause.
//!
//! ```no_run
//! # fn main() -> wasock::Result<()> {
//! use wasock::{ErrorClass, ErrorCode, Family, Protocol, SockAddr, Socket, SocketType};
//! let target = SockAddr::inet(Some("127.0.0.1"), 7000)?;
//! for attempt in 1..=3 {
//!     let socket = Socket::new(Family::Inet, SocketType::Stream, Protocol::DEFAULT)?;
//!     match socket.connect(&target) {
//!         Ok(()) => break,
//!         Err(e) if e.class() == ErrorClass::Transient && attempt < 3 => {
//!             eprintln!("attempt {attempt}: {e}; again");
//!         }
//!         Err(e) if e.code() == ErrorCode::PermissionDenied => {
//!             eprintln!("the host did not grant this: {e}");
//!             return Err(e);
//!         }
//!         Err(e) => return Err(e),
//!     }
//! }
//! # Ok(()) }
//! ```
//!
//! # Cargo features: async code, and WASI 0.3
//!
//! - `async`: [`async_io`]: async sockets, a small executor on the host's
//!   poll set, `sleep` and `timeout`.
//! - `wstd`: the same async sockets also under `wstd::runtime::block_on`.
//! - `p3`: the guest is built for WASI 0.3 and the component model's
//!   async. [`async_io`] keeps its API and runs on wit-bindgen's executor
//!   over `wasock:socket@0.2.0`, every wait a subtask the host completes,
//!   so one executor serves the guest's wasock sockets and every other
//!   async import (`wasi:sockets@0.3.0`, `wasi:clocks@0.3.0`,
//!   `wasi:http`); [`async_main!`] exports `wasi:cli/run@0.3.0`. The
//!   blocking API is the same with or without it.
//!
//! # The egg's names
//!
//! | the egg | wasock |
//! | --- | --- |
//! | `socket`, `socket-fileno`, `socket-family`, `socket-type`, `socket-protocol` | [`Socket::new`], [`Socket::fileno`], [`Socket::family`], [`Socket::socket_type`], [`Socket::protocol`] |
//! | `inet-address`, `unix-address`, `sockaddr-family` / `-address` / `-port` / `-path`, `sockaddr->string` | [`SockAddr::inet`], [`SockAddr::unix`], [`SockAddr::family`], [`SockAddr::address`], [`SockAddr::port`], [`SockAddr::path`], [`SockAddr::to_spec_string`] |
//! | `address-information`, `name-information`, `socket-connect/ai` | [`address_information`], [`name_information`] (and [`name_information_of_str`]), [`connect_any`] |
//! | `socket-connect`, `socket-bind`, `socket-listen`, `socket-accept`, `socket-accept-ready?` | [`Socket::connect`], [`Socket::bind`], [`Socket::listen`], [`Socket::accept`] (and [`Socket::accept_from`]), [`Socket::accept_ready`] |
//! | `socket-shutdown`, `socket-close`, `socket-close*`, `socket-name`, `socket-peer-name` | [`Socket::shutdown`], [`Socket::close`], [`Socket::close_quietly`], [`Socket::name`], [`Socket::peer_name`] |
//! | `socket-receive`, `socket-receive!`, `socket-receive-from`, `socket-receive-from!`, `socket-receive-ready?` | [`Socket::receive`], [`Socket::receive_into`], [`Socket::receive_from`], [`Socket::receive_from_into`], [`Socket::receive_ready`] (flags and timeout: the `_with` forms) |
//! | `socket-send`, `socket-send-to`, `socket-send-all` | [`Socket::send`], [`Socket::send_to`], [`Socket::send_all`] (flags and timeout: the `_with` forms) |
//! | `socket-i/o-ports`, `socket-i/o-port->socket`, `socket-abandon-port` | [`ports::io_ports`], [`ports::SocketReader::socket`], [`ports::SocketWriter::abandon`] |
//! | `socket-connect-timeout` and the other timeout parameters | the fields of [`Timeouts`] |
//! | `socket-send-buffer-size`, `socket-send-size`, `socket-receive-buffer-size` | the fields of [`ports::PortConfig`] |
//! | `so-reuse-address?` and the other option accessors, `get-socket-option`, `set-socket-option` | [`Socket::reuse_address`] / [`Socket::set_reuse_address`] and the rest; [`Socket::get_option_int`], [`Socket::set_option_int`] and friends |
//! | the constants (`af/inet`, `so/reuseaddr`, ...), `integer->address-family` and friends | [`Family`], [`SocketType`], [`Protocol`], the [`constants`] module |
//! | the exceptions `(exn i/o net transient)`, `timeout`, `unsupported` | [`ErrorClass`] |
//! | (not in the egg) TLS on a connected stream socket: the WIT `tls` interface | [`Socket::tls_connect`], [`Socket::tls_accept`], [`Socket::tls_session`], [`tls::identities`], [`tls::TlsOptions`], [`tls::TlsSession`] |
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

/// The generated bindings of `wasock:socket@0.2.0` (the contract for the
/// component model's async) and the WASI 0.3 clock, for the `p3` build of
/// [`async_io`]. Its plain types are the 0.1.0 bindings' own (the two
/// versions define them alike), so every conversion above serves both.
#[cfg(feature = "p3")]
#[allow(
    unsafe_code,
    missing_docs,
    unreachable_pub,
    dead_code,
    missing_debug_implementations,
    clippy::all
)]
mod p3_bindings {
    wit_bindgen::generate!({
        path: ["../wit-async", "wit-p3"],
        world: "wasock:sdk/imports@0.2.0",
        with: {
            "wasock:socket/types@0.2.0": crate::bindings::wasock::socket::types,
            "wasock:socket/socket@0.2.0/shutdown-how": crate::bindings::wasock::socket::socket::ShutdownHow,
            "wasock:socket/socket@0.2.0/send-flags": crate::bindings::wasock::socket::socket::SendFlags,
            "wasock:socket/socket@0.2.0/receive-flags": crate::bindings::wasock::socket::socket::ReceiveFlags,
            "wasock:socket/socket@0.2.0/interest": crate::bindings::wasock::socket::socket::Interest,
            "wasock:socket/socket@0.2.0/received-from": crate::bindings::wasock::socket::socket::ReceivedFrom,
            "wasock:socket/socket@0.2.0/constant": crate::bindings::wasock::socket::socket::Constant,
            "wasock:socket/resolve@0.2.0/address-info-flags": crate::bindings::wasock::socket::resolve::AddressInfoFlags,
            "wasock:socket/resolve@0.2.0/address-info-hints": crate::bindings::wasock::socket::resolve::AddressInfoHints,
            "wasock:socket/resolve@0.2.0/address-info": crate::bindings::wasock::socket::resolve::AddressInfo,
            "wasock:socket/resolve@0.2.0/name-info-flags": crate::bindings::wasock::socket::resolve::NameInfoFlags,
            "wasock:socket/resolve@0.2.0/service-name": crate::bindings::wasock::socket::resolve::ServiceName,
            "wasock:socket/resolve@0.2.0/name-info": crate::bindings::wasock::socket::resolve::NameInfo,
        },
        generate_all,
    });
}

/// The `wasi:cli/run@0.3.0` export that [`async_main!`] puts in a guest
/// built with the `p3` feature.
#[cfg(feature = "p3")]
#[doc(hidden)]
#[allow(
    unsafe_code,
    missing_docs,
    unreachable_pub,
    dead_code,
    missing_debug_implementations,
    clippy::all
)]
pub mod __p3_run {
    wit_bindgen::generate!({
        path: ["../wit-async", "wit-p3"],
        world: "wasock:sdk/command@0.2.0",
        pub_export_macro: true,
        export_macro_name: "__export_run",
        default_bindings_module: "wasock::__p3_run",
    });
}

/// Called first by every SDK call that reaches the host on its own (a new
/// socket, poll set or lookup, the constants, the clock): a guest built
/// for the machine it was built on instead of `wasm32-wasip2` has no host
/// to reach, and the generated bindings would only say "entered
/// unreachable code". This says what to do instead.
#[inline]
#[track_caller]
pub(crate) fn require_wasm() {
    #[cfg(not(target_arch = "wasm32"))]
    panic!("{NOT_A_COMPONENT}");
}

/// What [`require_wasm`] says.
#[cfg(not(target_arch = "wasm32"))]
const NOT_A_COMPONENT: &str = "this is not a wasm32-wasip2 component: build with \
`--target wasm32-wasip2` (`cargo build --target wasm32-wasip2`) and run the .wasm under \
`wasock run`; the wasock SDK has no host to reach in a native build";

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
mod parameters;
pub mod poll;
pub mod ports;
mod resolve;
mod socket;
pub mod tls;

pub use addr::{Family, Port, Protocol, SockAddr, SocketType};
pub use error::{Error, ErrorClass, ErrorCode, Result};
pub use parameters::{Timeouts, default_timeouts, set_default_timeouts};
pub use resolve::{
    AddrInfo, AddrInfoFlags, AddrInfoHints, NameInfoFlags, Service, address_information,
    address_information_timeout, connect_any, name_information, name_information_of_str,
};
pub use socket::{
    Interest, ReceivedFrom, ReceivedInto, RecvFlags, RecvOptions, SendFlags, SendOptions, Shutdown,
    Socket, listeners,
};

/// A native build (the tests' own) says what to build instead of
/// "entered unreachable code".
#[cfg(all(test, not(target_arch = "wasm32")))]
mod native_build {
    use super::*;

    #[test]
    #[should_panic(expected = "this is not a wasm32-wasip2 component: build with \
                               `--target wasm32-wasip2`")]
    fn a_socket_in_a_native_build_says_how_to_build() {
        let _ = Socket::new(Family::Inet, SocketType::Stream, Protocol::DEFAULT);
    }

    #[test]
    #[should_panic(expected = "this is not a wasm32-wasip2 component")]
    fn a_lookup_in_a_native_build_says_how_to_build() {
        let _ = name_information(
            &SockAddr::inet(Some("127.0.0.1"), 80).expect("an address"),
            NameInfoFlags::empty(),
        );
    }
}
