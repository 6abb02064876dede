// Shared by the two adapters, word for word: `adapter/src/socket.rs` and
// `adapter-p3/src/socket.rs` include it (`include!`), each with its own
// bindings in scope under the same names.

/// Refuses the send flags `wasi:sockets` has no counterpart for; returns
/// `dont-wait`. `more` (`MSG_MORE`) is a hint the host's stream makes
/// moot, so it is accepted and has no effect.
fn send_flags(operation: &str, flags: SendFlags) -> Result<bool> {
    for (flag, name) in [
        (SendFlags::OOB, "MSG_OOB (send-flags oob)"),
        (
            SendFlags::DONT_ROUTE,
            "MSG_DONTROUTE (send-flags dont-route)",
        ),
        (
            SendFlags::END_OF_RECORD,
            "MSG_EOR (send-flags end-of-record)",
        ),
    ] {
        if crate::has!(flags, flag) {
            return Err(types::unsupported(
                operation,
                ErrorCode::OperationNotSupported,
                name,
            ));
        }
    }
    Ok(crate::has!(flags, SendFlags::DONT_WAIT))
}

/// Refuses the receive flags `wasi:sockets` has no counterpart for;
/// returns (`wait-all`, `dont-wait`).
fn receive_flags(operation: &str, flags: ReceiveFlags) -> Result<(bool, bool)> {
    for (flag, name) in [
        (ReceiveFlags::PEEK, "MSG_PEEK (receive-flags peek)"),
        (ReceiveFlags::OOB, "MSG_OOB (receive-flags oob)"),
    ] {
        if crate::has!(flags, flag) {
            return Err(types::unsupported(
                operation,
                ErrorCode::OperationNotSupported,
                name,
            ));
        }
    }
    Ok((
        crate::has!(flags, ReceiveFlags::WAIT_ALL),
        crate::has!(flags, ReceiveFlags::DONT_WAIT),
    ))
}
