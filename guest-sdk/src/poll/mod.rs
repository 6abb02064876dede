//! Waiting on many sockets at once.
//!
//! [`Registry`] is the way for many connections: a persistent interest set
//! on the host (the WIT `poll-set`, one `epoll(7)` instance), mio-style.
//! A socket is registered once with a [`Token`] and an [`Interest`];
//! [`Registry::poll`] fills [`Events`] with the tokens of the sockets that
//! are ready, at a cost proportional to those, not to the sockets
//! registered. Registrations are level-triggered unless made with
//! [`Trigger::Edge`] (see [`Trigger`]). Closing or dropping a socket
//! removes it from every registry it is in.
//!
//! ```no_run
//! # fn main() -> wasock::Result<()> {
//! use std::collections::HashMap;
//! use wasock::poll::{Events, Registry, Token};
//! use wasock::{Family, Interest, Protocol, SockAddr, Socket, SocketType};
//!
//! const LISTENER: Token = Token(usize::MAX);
//! let listener = Socket::new(Family::Inet, SocketType::Stream, Protocol::DEFAULT)?;
//! listener.bind(&SockAddr::inet(Some("127.0.0.1"), 8080)?)?;
//! listener.listen(128)?;
//! let registry = Registry::new()?;
//! registry.register(&listener, LISTENER, Interest::READABLE)?;
//! let mut clients: HashMap<usize, Socket> = HashMap::new();
//! let mut next = 0;
//! let mut events = Events::with_capacity(256);
//! for _round in 0..1000 {
//!     registry.poll(&mut events, None)?;
//!     for event in events.iter() {
//!         if event.token() == LISTENER {
//!             let client = listener.accept()?;
//!             registry.register(&client, Token(next), Interest::READABLE)?;
//!             clients.insert(next, client);
//!             next += 1;
//!         } else if let Some(client) = clients.get(&event.token().0) {
//!             let data = client.receive(4096)?;
//!             if data.is_empty() {
//!                 // Dropping the socket removes it from the registry.
//!                 clients.remove(&event.token().0);
//!             } else {
//!                 client.send_all(&data)?;
//!             }
//!         }
//!     }
//! }
//! # Ok(()) }
//! ```
//!
//! Two simpler forms are built on the same host sets:
//!
//! - [`Poller`] borrows the sockets it watches, for a loop that knows them
//!   all up front; its registrations are synchronised with the host set at
//!   each [`Poller::wait`].
//! - [`Subscription`] and [`wait_any`]: one socket's readiness for one
//!   interest, owned (it does not borrow the socket), waited on in any
//!   list. Subscriptions register their socket once, edge-triggered, in a
//!   set of this thread; [`wait_any`] asks the host only about the sockets
//!   that had an event or were ready last time, so standing subscriptions
//!   cost nothing per round.
//!
//! A registry's [`Registry::is_ready`] and its `wasi:io/poll` pollable let
//! it compose with timers and other pollables.

mod events;
mod poller;
mod registry;
mod subscription;

#[cfg(doc)]
use crate::socket::Interest;

pub use events::{Event, Events, Readiness, Token, Trigger};
pub use poller::Poller;
pub use registry::Registry;
pub use subscription::{Subscription, wait_any};
