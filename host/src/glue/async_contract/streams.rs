//! `receive-stream` and `send-stream`: a connected stream socket's data
//! as `stream<u8>`, each read or write one syscall straight on the guest's
//! buffer (the shapes of wasmtime-wasi's WASI 0.3 TCP streams).

use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::sync::oneshot;
use wasmtime::StoreContextMut;
use wasmtime::component::{
    Access, Destination, FutureReader, Resource, Source, StreamConsumer, StreamProducer,
    StreamReader, StreamResult,
};

use super::super::convert::error_to_wit;
use crate::accounting::PendingCall;
use crate::bindings::wasock::socket::types;
use crate::ctx::{HasWasock, WasockView};
use crate::error::Error;
use crate::socket::{RECEIVE_CAP, Socket, StreamIo};

/// What the stream's future resolves to.
type Outcome = Result<(), types::Error>;

/// The socket's byte streams, held against the guest's limit of pending
/// calls for as long as the stream is open (a guest may open any number
/// of streams on a socket, each a task of the host's), or why it has
/// none.
fn stream_io<T: WasockView + 'static>(
    store: &mut Access<'_, T, HasWasock>,
    this: &Resource<Socket>,
    operation: &str,
) -> wasmtime::Result<Result<(StreamIo, PendingCall), Error>> {
    let view = store.get();
    let io = match view.table.get(this)?.stream_io(operation) {
        Ok(io) => io,
        Err(error) => return Ok(Err(error)),
    };
    Ok(super::hold_call(&view, operation).map(|call| (io, call)))
}

/// A future already resolved to `outcome`.
fn resolved<T: WasockView + 'static>(
    store: &mut Access<'_, T, HasWasock>,
    outcome: Outcome,
) -> wasmtime::Result<FutureReader<Outcome>> {
    FutureReader::new(
        store,
        async move { wasmtime::Result::<Outcome>::Ok(outcome) },
    )
}

/// One end of a stream and the sender of its future's outcome, sent once:
/// at the end of the stream, at its first error, or (`ok`) when the guest
/// drops it.
struct Ending(Option<oneshot::Sender<Outcome>>);

impl Ending {
    fn end(&mut self, outcome: Outcome) {
        if let Some(sender) = self.0.take() {
            let _ = sender.send(outcome);
        }
    }
}

impl Drop for Ending {
    fn drop(&mut self) {
        self.end(Ok(()));
    }
}

/// A pending poll as the stream machinery wants it: cancelled when the
/// guest asked to finish at once.
fn pending(finish: bool) -> Poll<wasmtime::Result<StreamResult>> {
    if finish {
        Poll::Ready(Ok(StreamResult::Cancelled))
    } else {
        Poll::Pending
    }
}

/// The producer of a `receive-stream`.
struct Receiver {
    io: StreamIo,
    ending: Ending,
    /// Held until the stream is dropped.
    _call: PendingCall,
}

impl<D> StreamProducer<D> for Receiver {
    type Item = u8;
    type Buffer = Option<u8>;

    fn poll_produce<'a>(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        mut store: StoreContextMut<'a, D>,
        destination: Destination<'a, Self::Item, Self::Buffer>,
        finish: bool,
    ) -> Poll<wasmtime::Result<StreamResult>> {
        let this = self.get_mut();
        if this.ending.0.is_none() {
            return Poll::Ready(Ok(StreamResult::Dropped));
        }
        // A read of no bytes is a readiness check (WIT: "waits until some
        // could be read, and takes none").
        if destination.remaining(&mut store) == Some(0) {
            return match this.io.poll_read_ready(cx) {
                Poll::Ready(Ok(())) => Poll::Ready(Ok(StreamResult::Completed)),
                Poll::Ready(Err(error)) => {
                    this.ending.end(Err(error_to_wit(error)));
                    Poll::Ready(Ok(StreamResult::Dropped))
                }
                Poll::Pending => pending(finish),
            };
        }
        let mut destination = destination.as_direct(store, RECEIVE_CAP);
        match this.io.poll_read(cx, destination.remaining()) {
            // End of file.
            Poll::Ready(Ok(0)) => {
                this.ending.end(Ok(()));
                Poll::Ready(Ok(StreamResult::Dropped))
            }
            Poll::Ready(Ok(length)) => {
                destination.mark_written(length);
                Poll::Ready(Ok(StreamResult::Completed))
            }
            Poll::Ready(Err(error)) => {
                this.ending.end(Err(error_to_wit(error)));
                Poll::Ready(Ok(StreamResult::Dropped))
            }
            Poll::Pending => pending(finish),
        }
    }
}

/// The consumer of a `send-stream`.
struct Sender {
    io: StreamIo,
    ending: Ending,
    /// Held until the stream is dropped.
    _call: PendingCall,
}

impl<D> StreamConsumer<D> for Sender {
    type Item = u8;

    fn poll_consume(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        store: StoreContextMut<D>,
        source: Source<Self::Item>,
        finish: bool,
    ) -> Poll<wasmtime::Result<StreamResult>> {
        let this = self.get_mut();
        if this.ending.0.is_none() {
            return Poll::Ready(Ok(StreamResult::Dropped));
        }
        let mut source = source.as_direct(store);
        // A write of no bytes is a readiness check.
        let result = if source.remaining().is_empty() {
            this.io.poll_write_ready(cx).map(|ready| ready.map(|()| 0))
        } else {
            this.io.poll_write(cx, source.remaining())
        };
        match result {
            Poll::Ready(Ok(length)) => {
                source.mark_read(length);
                Poll::Ready(Ok(StreamResult::Completed))
            }
            Poll::Ready(Err(error)) => {
                this.ending.end(Err(error_to_wit(error)));
                Poll::Ready(Ok(StreamResult::Dropped))
            }
            Poll::Pending => pending(finish),
        }
    }
}

/// `receive-stream`.
pub(super) fn receive_stream<T: WasockView + 'static>(
    mut store: Access<'_, T, HasWasock>,
    this: Resource<Socket>,
) -> wasmtime::Result<(StreamReader<u8>, FutureReader<Outcome>)> {
    match stream_io(&mut store, &this, "receive")? {
        Ok((io, call)) => {
            let (sender, outcome) = oneshot::channel();
            let receiver = Receiver {
                io,
                ending: Ending(Some(sender)),
                _call: call,
            };
            Ok((
                StreamReader::new(&mut store, receiver)?,
                FutureReader::new(&mut store, outcome)?,
            ))
        }
        Err(error) => Ok((
            StreamReader::new(&mut store, std::iter::empty())?,
            resolved(&mut store, Err(error_to_wit(error)))?,
        )),
    }
}

/// `send-stream`.
pub(super) fn send_stream<T: WasockView + 'static>(
    mut store: Access<'_, T, HasWasock>,
    this: Resource<Socket>,
    mut data: StreamReader<u8>,
) -> wasmtime::Result<FutureReader<Outcome>> {
    match stream_io(&mut store, &this, "send")? {
        Ok((io, call)) => {
            let (sender, outcome) = oneshot::channel();
            let consumer = Sender {
                io,
                ending: Ending(Some(sender)),
                _call: call,
            };
            data.pipe(&mut store, consumer)?;
            FutureReader::new(&mut store, outcome)
        }
        Err(error) => {
            data.close(&mut store)?;
            resolved(&mut store, Err(error_to_wit(error)))
        }
    }
}
