//! The poller: a registry that borrows the sockets it watches, made on
//! the host at each wait.

use std::cell::RefCell;
use std::collections::HashMap;
use std::marker::PhantomData;
use std::time::Duration;

use super::events::{Events, Token, interest_readiness, intersects};
use super::registry::Registry;
use crate::error::{Error, Result};
use crate::socket::{Interest, Socket};

/// Waits until any of several sockets is ready, or a timeout passes: a
/// [`Registry`] that borrows the sockets it watches, level-triggered.
///
/// Registrations are recorded at once and made on the host at the next
/// [`Poller::wait`] (only what changed since the last), so a poller kept
/// across rounds costs one host call per wait. One socket may be
/// registered with several tokens and interests.
pub struct Poller<'a> {
    /// (token, interest, socket), in registration order.
    entries: Vec<(Token, Interest, &'a Socket)>,
    /// The host set and what it holds, by socket handle: (interest, socket).
    registry: RefCell<Option<Registry>>,
    registered: RefCell<HashMap<u32, (Interest, &'a Socket)>>,
    sockets: PhantomData<&'a Socket>,
}

impl std::fmt::Debug for Poller<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let tokens: Vec<Token> = self.entries.iter().map(|(t, _, _)| *t).collect();
        f.debug_struct("Poller").field("tokens", &tokens).finish()
    }
}

impl Default for Poller<'_> {
    fn default() -> Self {
        Poller::new()
    }
}

impl<'a> Poller<'a> {
    /// A poller watching nothing yet.
    pub fn new() -> Self {
        Poller {
            entries: Vec::new(),
            registry: RefCell::new(None),
            registered: RefCell::new(HashMap::new()),
            sockets: PhantomData,
        }
    }

    /// Watches `socket` for `interest` ([`Interest::READABLE`]: data, end of
    /// file, a connection to accept, or an error; [`Interest::WRITABLE`]:
    /// room to send or a finished connect), reported as `token`.
    pub fn register(&mut self, socket: &'a Socket, interest: Interest, token: Token) {
        self.entries.push((token, interest, socket));
    }

    /// Stops watching every registration with `token`.
    pub fn deregister(&mut self, token: Token) {
        self.entries.retain(|(t, _, _)| *t != token);
    }

    /// How many registrations there are.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are no registrations.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Brings the host set in line with the entries.
    fn synchronise(&self, registry: &Registry) -> Result<()> {
        let mut wanted: HashMap<u32, (Interest, &'a Socket)> = HashMap::new();
        for (_, interest, socket) in &self.entries {
            let entry = wanted
                .entry(socket.fileno())
                .or_insert((Interest::empty(), *socket));
            entry.0 |= *interest;
        }
        let mut registered = self.registered.borrow_mut();
        registered.retain(|handle, (_, socket)| {
            if wanted.contains_key(handle) {
                true
            } else {
                // A socket closed meanwhile left by itself.
                let _ = registry.deregister(socket);
                false
            }
        });
        for (handle, (interest, socket)) in wanted {
            let token = Token(handle as usize);
            match registered.get(&handle) {
                Some((current, _)) if *current == interest => {}
                Some(_) => {
                    registry.reregister(socket, token, interest)?;
                    registered.insert(handle, (interest, socket));
                }
                None => {
                    registry.register(socket, token, interest)?;
                    registered.insert(handle, (interest, socket));
                }
            }
        }
        Ok(())
    }

    /// Waits until at least one registered socket is ready, or `timeout`
    /// passes (`None`: forever). Returns the tokens of the ready sockets,
    /// in registration order; an empty list means the timeout passed.
    ///
    /// Waiting forever on nothing fails with
    /// [`ErrorCode::InvalidArgument`](crate::ErrorCode::InvalidArgument).
    pub fn wait(&self, timeout: Option<Duration>) -> Result<Vec<Token>> {
        if self.entries.is_empty() && timeout.is_none() {
            return Err(Error::invalid("poll: nothing to wait for and no timeout"));
        }
        let mut registry = self.registry.borrow_mut();
        if registry.is_none() {
            *registry = Some(Registry::new()?);
        }
        let registry = registry
            .as_ref()
            .ok_or_else(|| Error::invalid("poll: no registry"))?;
        self.synchronise(registry)?;
        let mut events = Events::with_capacity(1024);
        registry.poll(&mut events, timeout)?;
        let mut tokens: Vec<Token> = Vec::new();
        for (token, interest, socket) in &self.entries {
            let handle = socket.fileno() as usize;
            let hit = events.iter().any(|event| {
                event.token().0 == handle
                    && intersects(event.readiness(), interest_readiness(*interest))
            });
            if hit && !tokens.contains(token) {
                tokens.push(*token);
            }
        }
        Ok(tokens)
    }
}
