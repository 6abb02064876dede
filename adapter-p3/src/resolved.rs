//! A `future<result<_, error>>` that resolves to a value known now, made
//! inside a synchronous export: the answer of `receive-stream` and
//! `send-stream` where they cannot work (WIT: "the future resolves to the
//! error at once").
//!
//! A synchronous export has no task, so the usual way to answer a future
//! (`FutureWriter::write`, waiting for the reader if need be, or its drop,
//! which writes the default the same way) is not open to it. The value is
//! written with the component model's `future.write` at once instead: the
//! write stays pending in the adapter until the guest reads the future,
//! and the guest gets the value then. The writable end and the lowered
//! value are left behind for that (a few dozen bytes per refused stream):
//! they must outlive the export's call, and no adapter code runs when the
//! read completes.

#![allow(unsafe_code)]

use std::alloc::{alloc, handle_alloc_error};

use wit_bindgen::FutureReader;

use crate::bindings::wit_future::FuturePayload;
use crate::types::Result;

/// A future whose reader gets `value`.
pub(crate) fn resolved(value: Result<()>) -> FutureReader<Result<()>> {
    let vtable = <Result<()> as FuturePayload>::VTABLE;
    // SAFETY: `new`, `lower` and `start_write` are the generated
    // intrinsics of this future type, used as wit-bindgen's own
    // `FutureWriter::write` uses them: `new` packs the readable end in the
    // low and the writable end in the high 32 bits; `buffer` is allocated
    // with the type's canonical layout and lowered into before the write
    // starts, and is never freed (nor is the writable end dropped), so it
    // is valid whenever the reader's read copies from it.
    unsafe {
        let handles = (vtable.new)();
        let reader = handles as u32;
        let writer = (handles >> 32) as u32;
        let buffer = alloc(vtable.layout);
        if buffer.is_null() {
            handle_alloc_error(vtable.layout);
        }
        (vtable.lower)(value, buffer);
        // BLOCKED until the guest reads: nothing to do with the code.
        let _blocked = (vtable.start_write)(writer, buffer);
        FutureReader::new(reader, vtable)
    }
}
