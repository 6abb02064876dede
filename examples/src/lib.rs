//! What the example guests share: the poll loop of the stream echo
//! servers ([`echo_loop`], used by `echo-server` over TCP, `tls-echo-server`
//! over TLS and `unix-echo` over a unix-domain socket), what every stream
//! server does before it serves ([`server`]), and the HTTP client side of
//! `http-get`, `https-get` and `async-http-get` ([`http`]). The examples
//! themselves are the `src/bin/*.rs` programs.

pub mod echo_loop;
pub mod http;
pub mod server;
