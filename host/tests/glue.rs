//! Tests of the glue (the generated `Host` traits on `WasockCtxView`)
//! called natively, without a wasm guest: policy checks before any
//! syscall, `--max-sockets`, `closed`, traps for stale handles, names and
//! socket pollables.

use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::time::Duration;

use wasmtime::component::{Resource, ResourceTable};
use wasmtime_wasi_io::bindings::wasi::io::poll::HostPollable;

use wasock_host::bindings::wasock::socket::resolve::{self as wit_resolve, Host as _};
use wasock_host::bindings::wasock::socket::socket::{
    self as wit_socket, Host as _, HostSocket as _,
};
use wasock_host::bindings::wasock::socket::types::{
    AddressFamily, ErrorClass, ErrorCode, Host as _, SocketAddress, SocketType,
};
use wasock_host::policy::Policy;
use wasock_host::socket::Socket;
use wasock_host::{HostError, WasockCtx, WasockCtxView};

const GENEROUS: Option<u64> = Some(20_000_000_000);

struct Guest {
    ctx: WasockCtx,
    table: ResourceTable,
}

impl Guest {
    fn new(policy: Policy) -> Self {
        Guest {
            ctx: WasockCtx::new(Arc::new(policy)),
            table: ResourceTable::new(),
        }
    }

    fn view(&mut self) -> WasockCtxView<'_> {
        WasockCtxView {
            ctx: &mut self.ctx,
            table: &mut self.table,
        }
    }
}

/// The WIT error a call returned to the guest (not a trap).
fn guest_error<T: std::fmt::Debug>(
    view: &mut WasockCtxView<'_>,
    result: Result<T, HostError>,
) -> (ErrorClass, ErrorCode, String) {
    let err = result.expect_err("the call should fail");
    let wit = view
        .convert_error(err)
        .expect("an error for the guest, not a trap");
    (wit.class, wit.code, wit.message)
}

fn inet(address: SocketAddr) -> SocketAddress {
    wasock_host::convert::ip_to_wit(address)
}

fn open_network() -> Policy {
    Policy::new().inherit_network(true)
}

async fn tcp(view: &mut WasockCtxView<'_>) -> Result<Resource<Socket>, HostError> {
    view.create(AddressFamily::Inet, SocketType::Stream, 0)
        .await
}

#[tokio::test]
async fn max_sockets_counts_create_close_and_drop() {
    let mut guest = Guest::new(open_network().limit_sockets(2));
    let mut view = guest.view();
    let first = tcp(&mut view).await.expect("first");
    let second = tcp(&mut view).await.expect("second");
    let refused = tcp(&mut view).await;
    let (class, code, _) = guest_error(&mut view, refused);
    // Transient: it works again once a socket closes, as below.
    assert_eq!(
        (class, code),
        (ErrorClass::Transient, ErrorCode::TooManySockets)
    );
    view.close(Resource::new_borrow(first.rep()))
        .await
        .expect("close");
    let third = tcp(&mut view).await.expect("close released one");
    wit_socket::HostSocket::drop(&mut view, second).expect("drop");
    let fourth = tcp(&mut view).await.expect("drop released one");
    // Dropping a closed socket does not release twice.
    wit_socket::HostSocket::drop(&mut view, first).expect("drop closed");
    let refused = tcp(&mut view).await;
    assert_eq!(guest_error(&mut view, refused).1, ErrorCode::TooManySockets);
    assert_eq!(view.ctx.open_sockets(), 2);
    let _ = (third, fourth);
}

#[tokio::test]
async fn accept_counts_against_max_sockets() {
    let mut guest = Guest::new(open_network().limit_sockets(1));
    let mut view = guest.view();
    let listener = tcp(&mut view).await.expect("listener");
    view.bind(
        Resource::new_borrow(listener.rep()),
        inet("127.0.0.1:0".parse().unwrap()),
    )
    .expect("bind");
    view.listen(Resource::new_borrow(listener.rep()), 4)
        .expect("listen");
    let accepted = view
        .accept(Resource::new_borrow(listener.rep()), Some(1_000_000))
        .await;
    let (class, code, _) = guest_error(&mut view, accepted);
    assert_eq!(
        (class, code),
        (ErrorClass::Transient, ErrorCode::TooManySockets),
        "checked before waiting"
    );
}

/// An accept refused at the limit takes nothing from the kernel: the
/// connection stays in the backlog, and the retry after a socket closes
/// accepts that very connection.
#[tokio::test]
async fn accept_at_the_limit_leaves_the_connection_in_the_backlog() {
    let mut guest = Guest::new(open_network().limit_sockets(2));
    let mut view = guest.view();
    let listener = tcp(&mut view).await.expect("listener");
    let filler = tcp(&mut view).await.expect("the second socket");
    view.bind(
        Resource::new_borrow(listener.rep()),
        inet("127.0.0.1:0".parse().unwrap()),
    )
    .expect("bind");
    view.listen(Resource::new_borrow(listener.rep()), 4)
        .expect("listen");
    let Some(SocketAddress::Inet(bound)) = view
        .name(Resource::new_borrow(listener.rep()))
        .expect("name")
    else {
        panic!("no inet name");
    };
    let client = std::net::TcpStream::connect(("127.0.0.1", bound.port)).expect("connect");
    let refused = view
        .accept(Resource::new_borrow(listener.rep()), GENEROUS)
        .await;
    let (class, code, _) = guest_error(&mut view, refused);
    assert_eq!(
        (class, code),
        (ErrorClass::Transient, ErrorCode::TooManySockets)
    );
    view.close(Resource::new_borrow(filler.rep()))
        .await
        .expect("close");
    let accepted = view
        .accept(Resource::new_borrow(listener.rep()), Some(1_000_000_000))
        .await
        .expect("the connection waited in the backlog");
    let peer = view
        .peer_name(Resource::new_borrow(accepted.rep()))
        .expect("peer name");
    assert_eq!(
        peer,
        Some(inet(client.local_addr().expect("client address"))),
        "the accepted connection is the client's"
    );
}

#[tokio::test]
async fn connect_without_a_grant_is_denied_before_any_syscall() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("std listener");
    listener.set_nonblocking(true).expect("nonblocking");
    let target = listener.local_addr().expect("address");
    let mut guest = Guest::new(Policy::new());
    let mut view = guest.view();
    let socket = tcp(&mut view)
        .await
        .expect("creating a socket needs no grant");
    let result = view
        .connect(Resource::new_borrow(socket.rep()), inet(target), GENEROUS)
        .await;
    let (class, code, message) = guest_error(&mut view, result);
    assert_eq!(
        (class, code),
        (ErrorClass::Fatal, ErrorCode::PermissionDenied),
        "{message}"
    );
    std::thread::sleep(Duration::from_millis(50));
    assert!(listener.accept().is_err(), "nothing reached the listener");
    // send-to needs the connect grant too.
    let udp = view
        .create(AddressFamily::Inet, SocketType::Dgram, 0)
        .await
        .expect("udp");
    let result = view
        .send_to(
            Resource::new_borrow(udp.rep()),
            b"x".to_vec(),
            inet(target),
            Default::default(),
            GENEROUS,
        )
        .await;
    assert_eq!(
        guest_error(&mut view, result).1,
        ErrorCode::PermissionDenied
    );
}

#[tokio::test]
async fn connect_with_a_grant_reaches_the_peer() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("std listener");
    let target = listener.local_addr().expect("address");
    let grant = format!("127.0.0.1:{}", target.port())
        .parse()
        .expect("grant");
    let mut guest = Guest::new(Policy::new().allow_connect(grant));
    let mut view = guest.view();
    let socket = tcp(&mut view).await.expect("socket");
    view.connect(Resource::new_borrow(socket.rep()), inet(target), GENEROUS)
        .await
        .expect("granted connect");
    let peer = view
        .peer_name(Resource::new_borrow(socket.rep()))
        .expect("peer-name");
    assert_eq!(peer, Some(inet(target)));
    listener.accept().expect("the listener sees it");
}

#[tokio::test]
async fn bind_listen_and_raw_need_their_grants() {
    let mut guest = Guest::new(Policy::new());
    let mut view = guest.view();
    let socket = tcp(&mut view).await.expect("socket");
    let result = view.bind(
        Resource::new_borrow(socket.rep()),
        inet("127.0.0.1:0".parse().unwrap()),
    );
    assert_eq!(
        guest_error(&mut view, result).1,
        ErrorCode::PermissionDenied
    );
    // listen on an unbound socket would bind it to the unspecified address.
    let result = view.listen(Resource::new_borrow(socket.rep()), 1);
    assert_eq!(
        guest_error(&mut view, result).1,
        ErrorCode::PermissionDenied
    );
    let result = view.create(AddressFamily::Inet, SocketType::Raw, 1).await;
    assert_eq!(
        guest_error(&mut view, result).1,
        ErrorCode::PermissionDenied
    );
    let result = view
        .address_information(Some("localhost".into()), None, hints(), GENEROUS)
        .await;
    assert_eq!(
        guest_error(&mut view, result).1,
        ErrorCode::PermissionDenied
    );
    // A dangerous option needs --allow-raw; a harmless one does not.
    let result = view.set_option_int(
        Resource::new_borrow(socket.rep()),
        libc::SOL_SOCKET,
        libc::SO_MARK,
        1,
    );
    assert_eq!(
        guest_error(&mut view, result).1,
        ErrorCode::PermissionDenied
    );
    view.set_option_int(
        Resource::new_borrow(socket.rep()),
        libc::IPPROTO_TCP,
        libc::TCP_NODELAY,
        1,
    )
    .expect("harmless");
    let result = view.set_ip_header_included(Resource::new_borrow(socket.rep()), true);
    assert_eq!(
        guest_error(&mut view, result).1,
        ErrorCode::PermissionDenied
    );
}

fn hints() -> wit_resolve::AddressInfoHints {
    wit_resolve::AddressInfoHints {
        family: None,
        socket_type: Some(SocketType::Stream),
        protocol: None,
        flags: wit_resolve::AddressInfoFlags::empty(),
    }
}

#[tokio::test]
async fn resolution_through_the_glue() {
    let mut guest = Guest::new(Policy::new().allow_dns(true));
    let mut view = guest.view();
    let results = view
        .address_information(
            Some("127.0.0.1".into()),
            Some("80".into()),
            hints(),
            GENEROUS,
        )
        .await
        .expect("resolves");
    assert_eq!(results.len(), 1);
    assert_eq!(results[0].address, inet("127.0.0.1:80".parse().unwrap()));
    assert_eq!(results[0].family, AddressFamily::Inet);
    let empty = view
        .address_information(None, None, hints(), GENEROUS)
        .await
        .expect("both none");
    assert!(empty.is_empty());
    let info = view
        .name_information(
            inet("127.0.0.1:80".parse().unwrap()),
            wit_resolve::NameInfoFlags::NUMERICSERV,
            GENEROUS,
        )
        .await
        .expect("name-information");
    assert_eq!(info.service, wit_resolve::ServiceName::Port(80));
}

#[tokio::test]
async fn names_none_until_bound_and_connected() {
    let mut guest = Guest::new(open_network());
    let mut view = guest.view();
    let socket = view
        .create(AddressFamily::Inet6, SocketType::Dgram, 0)
        .await
        .expect("udp6");
    assert_eq!(
        view.name(Resource::new_borrow(socket.rep())).expect("name"),
        None
    );
    assert_eq!(
        view.peer_name(Resource::new_borrow(socket.rep()))
            .expect("peer-name"),
        None
    );
    view.bind(
        Resource::new_borrow(socket.rep()),
        inet("[::1]:0".parse().unwrap()),
    )
    .expect("bind");
    match view.name(Resource::new_borrow(socket.rep())).expect("name") {
        Some(SocketAddress::Inet6(bound)) => assert_ne!(bound.port, 0),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn address_of_the_wrong_family_is_refused() {
    let mut guest = Guest::new(open_network());
    let mut view = guest.view();
    let socket = view
        .create(AddressFamily::Inet6, SocketType::Stream, 0)
        .await
        .expect("tcp6");
    let result = view.bind(
        Resource::new_borrow(socket.rep()),
        inet("127.0.0.1:0".parse().unwrap()),
    );
    assert_eq!(
        guest_error(&mut view, result).1,
        ErrorCode::AddressFamilyNotSupported
    );
    let result = view
        .create(AddressFamily::Unspec, SocketType::Stream, 0)
        .await;
    assert_eq!(guest_error(&mut view, result).0, ErrorClass::Unsupported);
}

#[tokio::test]
async fn closed_sockets_fail_with_closed_and_stale_handles_trap() {
    let mut guest = Guest::new(open_network());
    let mut view = guest.view();
    let socket = tcp(&mut view).await.expect("socket");
    view.close(Resource::new_borrow(socket.rep()))
        .await
        .expect("close");
    let result = view.bind(
        Resource::new_borrow(socket.rep()),
        inet("127.0.0.1:0".parse().unwrap()),
    );
    assert_eq!(guest_error(&mut view, result).1, ErrorCode::Closed);
    let result = view.tcp_no_delay(Resource::new_borrow(socket.rep()));
    assert_eq!(guest_error(&mut view, result).1, ErrorCode::Closed);
    let result = view.close(Resource::new_borrow(socket.rep())).await;
    assert_eq!(guest_error(&mut view, result).1, ErrorCode::Closed);
    let rep = socket.rep();
    wit_socket::HostSocket::drop(&mut view, socket).expect("drop");
    let stale = view.receive_ready(Resource::new_borrow(rep));
    assert!(
        matches!(stale, Err(HostError::Trap(_))),
        "a stale handle traps"
    );
}

#[tokio::test]
async fn constants_through_the_glue() {
    let mut guest = Guest::new(Policy::new());
    let mut view = guest.view();
    assert_eq!(
        view.constant_value("so/reuseaddr".into())
            .expect("constant"),
        Some(libc::SO_REUSEADDR)
    );
    let all = view.constants().expect("constants");
    assert!(
        all.iter()
            .any(|c| c.name == "ipv6/v6only" && c.value == Some(libc::IPV6_V6ONLY))
    );
}

#[tokio::test]
async fn socket_pollable_is_ready_when_data_arrives() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("std listener");
    let target = listener.local_addr().expect("address");
    let mut guest = Guest::new(open_network());
    let mut view = guest.view();
    let socket = tcp(&mut view).await.expect("socket");
    view.connect(Resource::new_borrow(socket.rep()), inet(target), GENEROUS)
        .await
        .expect("connect");
    let (mut peer, _) = listener.accept().expect("accept");
    let readable = view
        .subscribe(
            Resource::new_borrow(socket.rep()),
            wit_socket::Interest::READABLE,
        )
        .expect("subscribe");
    let writable = view
        .subscribe(
            Resource::new_borrow(socket.rep()),
            wit_socket::Interest::WRITABLE,
        )
        .expect("subscribe");
    assert!(
        !HostPollable::ready(view.table, Resource::new_borrow(readable.rep()))
            .await
            .expect("ready"),
        "nothing to read yet"
    );
    tokio::time::timeout(
        Duration::from_secs(20),
        HostPollable::block(view.table, Resource::new_borrow(writable.rep())),
    )
    .await
    .expect("a connected socket is writable")
    .expect("block");
    std::io::Write::write_all(&mut peer, b"x").expect("peer writes");
    tokio::time::timeout(
        Duration::from_secs(20),
        HostPollable::block(view.table, Resource::new_borrow(readable.rep())),
    )
    .await
    .expect("readable once data arrives")
    .expect("block");
    HostPollable::drop(view.table, readable).expect("drop pollable");
    HostPollable::drop(view.table, writable).expect("drop pollable");
    let data = view
        .receive(
            Resource::new_borrow(socket.rep()),
            16,
            Default::default(),
            GENEROUS,
        )
        .await
        .expect("receive");
    assert_eq!(data, b"x");
}

#[tokio::test]
async fn unix_paths_go_through_the_grant_both_ways() {
    let dir = std::env::temp_dir().join(format!("wasock-glue-unix-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let grant = format!("{}::/run", dir.display())
        .parse()
        .expect("unix grant");
    let mut guest = Guest::new(Policy::new().allow_unix(grant).expect("grant"));
    let mut view = guest.view();
    let server = view
        .create(AddressFamily::Unix, SocketType::Stream, 0)
        .await
        .expect("unix socket");
    assert_eq!(
        view.name(Resource::new_borrow(server.rep())).expect("name"),
        None,
        "unbound"
    );
    let path = SocketAddress::Unix("/run/echo.sock".into());
    view.bind(Resource::new_borrow(server.rep()), path.clone())
        .expect("bind inside the grant");
    assert!(
        dir.join("echo.sock").exists(),
        "the socket lives in the host directory"
    );
    assert_eq!(
        view.name(Resource::new_borrow(server.rep())).expect("name"),
        Some(path.clone()),
        "the guest's name"
    );
    view.listen(Resource::new_borrow(server.rep()), 4)
        .expect("listen");
    let client = view
        .create(AddressFamily::Unix, SocketType::Stream, 0)
        .await
        .expect("client");
    view.connect(Resource::new_borrow(client.rep()), path.clone(), GENEROUS)
        .await
        .expect("connect");
    assert_eq!(
        view.peer_name(Resource::new_borrow(client.rep()))
            .expect("peer-name"),
        Some(path.clone())
    );
    let accepted = view
        .accept(Resource::new_borrow(server.rep()), GENEROUS)
        .await
        .expect("accept");
    assert_eq!(
        view.peer_name(Resource::new_borrow(accepted.rep()))
            .expect("peer-name"),
        Some(SocketAddress::Unix(String::new())),
        "an unbound client is the unnamed address"
    );
    // A client bound in the grant: the kernel says it is this process's
    // (SO_PEERCRED), so its name comes back as the guest's.
    let bound_client = view
        .create(AddressFamily::Unix, SocketType::Stream, 0)
        .await
        .expect("client");
    let client_path = SocketAddress::Unix("/run/client.sock".into());
    view.bind(
        Resource::new_borrow(bound_client.rep()),
        client_path.clone(),
    )
    .expect("bind the client");
    view.connect(
        Resource::new_borrow(bound_client.rep()),
        path.clone(),
        GENEROUS,
    )
    .await
    .expect("connect");
    let accepted_bound = view
        .accept(Resource::new_borrow(server.rep()), GENEROUS)
        .await
        .expect("accept");
    assert_eq!(
        view.peer_name(Resource::new_borrow(accepted_bound.rep()))
            .expect("peer-name"),
        Some(client_path),
        "a bound client of this process has the guest's name"
    );
    let outside = view
        .create(AddressFamily::Unix, SocketType::Stream, 0)
        .await
        .expect("socket");
    let result = view.bind(
        Resource::new_borrow(outside.rep()),
        SocketAddress::Unix("/tmp/escape.sock".into()),
    );
    assert_eq!(
        guest_error(&mut view, result).1,
        ErrorCode::PermissionDenied
    );
    let result = view
        .connect(
            Resource::new_borrow(outside.rep()),
            SocketAddress::Unix("/run/../etc/x".into()),
            GENEROUS,
        )
        .await;
    assert_eq!(
        guest_error(&mut view, result).1,
        ErrorCode::PermissionDenied
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn timeouts_are_per_call() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("std listener");
    let target = listener.local_addr().expect("address");
    let mut guest = Guest::new(open_network());
    let mut view = guest.view();
    let socket = tcp(&mut view).await.expect("socket");
    view.connect(Resource::new_borrow(socket.rep()), inet(target), GENEROUS)
        .await
        .expect("connect");
    let (mut peer, _) = listener.accept().expect("accept");
    // 1 ms: class timeout. The same socket then receives under its own timeout.
    let result = view
        .receive(
            Resource::new_borrow(socket.rep()),
            8,
            Default::default(),
            Some(1_000_000),
        )
        .await;
    let (class, code, _) = guest_error(&mut view, result);
    assert_eq!((class, code), (ErrorClass::Timeout, ErrorCode::TimedOut));
    std::io::Write::write_all(&mut peer, b"later").expect("peer writes");
    let data = view
        .receive(
            Resource::new_borrow(socket.rep()),
            8,
            wit_socket::ReceiveFlags::empty(),
            GENEROUS,
        )
        .await;
    let data = data.expect("a later call with a longer timeout waits for the data");
    assert!(!data.is_empty() && b"later".starts_with(&data));
}
