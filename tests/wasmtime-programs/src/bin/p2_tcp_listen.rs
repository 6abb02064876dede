// From wasmtime v48.0.0: crates/test-programs/src/bin/p2_tcp_listen.rs
// (Apache-2.0 WITH LLVM-exception, see ../../LICENSE).
// Changed: the crate path `test_programs` is `wasmtime_socket_programs`.

use wasmtime_socket_programs::sockets::supports_ipv6;
use wasmtime_socket_programs::wasi::sockets::network::{ErrorCode, IpAddressFamily};
use wasmtime_socket_programs::wasi::sockets::tcp::TcpSocket;

/// Socket must be explicitly bound before listening.
fn test_tcp_listen_without_bind(family: IpAddressFamily) {
    let sock = TcpSocket::new(family).unwrap();

    assert!(matches!(
        sock.blocking_listen(),
        Err(ErrorCode::InvalidState)
    ));
}

fn main() {
    test_tcp_listen_without_bind(IpAddressFamily::Ipv4);

    if supports_ipv6() {
        test_tcp_listen_without_bind(IpAddressFamily::Ipv6);
    }
}
