//! What several test guests share: small helpers over the SDK that give
//! a failure as text, which the guest prints before exiting with status 1.

use std::time::Duration;

use wasock::Socket;
use wasock::poll::{Events, Registry, Token};

/// Names a failed call: `context: error`.
pub fn err(context: &str) -> impl Fn(wasock::Error) -> String + '_ {
    move |e| format!("{context}: {e}")
}

/// The tokens of one poll of `registry` (64 events at most).
pub fn tokens(registry: &Registry, timeout: Option<Duration>) -> Result<Vec<Token>, String> {
    let mut events = Events::with_capacity(64);
    registry.poll(&mut events, timeout).map_err(err("poll"))?;
    Ok(events.iter().map(|e| e.token()).collect())
}

/// Receives exactly `len` bytes from a stream socket, in 1000 receives at
/// most.
pub fn receive_exact(socket: &Socket, len: usize) -> Result<Vec<u8>, String> {
    let mut data = Vec::new();
    for _ in 0..1000 {
        if data.len() == len {
            return Ok(data);
        }
        let chunk = socket.receive(len - data.len()).map_err(err("receive"))?;
        if chunk.is_empty() {
            return Err(format!("end of file after {} of {len} bytes", data.len()));
        }
        data.extend(chunk);
    }
    Err(format!("{len} bytes did not come"))
}
