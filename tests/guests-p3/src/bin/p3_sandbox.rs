//! `p3_sandbox MODE [ARGS]`: a WASI 0.3 guest (it exports
//! `wasi:cli/run@0.3.0`) that tries one thing through `wasi:sockets@0.3.0`
//! and prints what it got, for the sandbox suite:
//!
//! - `connect ADDR`: `connect ADDR: ok` or `connect ADDR: error CODE`;
//! - `listen ADDR|unbound`: binds (unless `unbound`), listens: `bind: …`,
//!   `listen: …`;
//! - `lookup NAME`: `lookup NAME: ok N` (N addresses) or `… error CODE`;
//! - `sockets N`: creates TCP sockets until N or an error: `created K`,
//!   then `error CODE` if one stopped it;
//! - `buffer BYTES`: sets a TCP socket's receive buffer, prints
//!   `receive-buffer VALUE` as read back;
//! - `udp-inbound`: binds UDP `0.0.0.0:0` (no grant needed), prints
//!   `bound PORT`, then `from ADDR: TEXT` for each datagram until `stop`
//!   (or 20 s);
//! - `accept ADDR`: listens on ADDR, prints `listening PORT` and
//!   `accepted K` as connections come; when the first connection's peer
//!   closes it drops that connection (`dropped 1`), and it ends at the
//!   third accepted connection (`done`);
//! - `lookups NAME N [seq]`: starts N lookups of NAME at once (or one
//!   after another with `seq`); prints `lookup I: …` for each as it
//!   answered at once, or `started` if it was still running 2 s later;
//!   then `lookups done`;
//! - `lookup-long BYTES`: looks up a name of BYTES control characters:
//!   `lookup-long: ok` or `lookup-long: error CODE`, then waits (120 s at
//!   most) for the test to measure the host and kill it;
//! - `receives N`: starts N receives at once on one UDP socket, prints
//!   `receiving N`, then waits (120 s at most) for the test to measure the
//!   host and kill it;
//! - `mixed A B`: holds A wasock sockets and B `std::net` sockets, then
//!   creates 0.3 TCP sockets until one is refused: `wasock A std B p3 K`,
//!   then `error CODE`; then tries one more wasock socket: `wasock then
//!   CODE`.

use std::cell::RefCell;
use std::rc::Rc;
use std::task::Poll;

use futures::FutureExt as _;
use wasock_test_guests_p3::wasi::clocks::monotonic_clock;
use wasock_test_guests_p3::wasi::sockets::ip_name_lookup;
use wasock_test_guests_p3::wasi::sockets::types::{
    IpAddressFamily, IpSocketAddress, TcpSocket, UdpSocket,
};
use wasock_test_guests_p3::{parse_address, show_address};
use wit_bindgen::StreamResult;

struct Guest;

wasock_test_guests_p3::export!(Guest);

fn family(address: &IpSocketAddress) -> IpAddressFamily {
    match address {
        IpSocketAddress::Ipv4(_) => IpAddressFamily::Ipv4,
        IpSocketAddress::Ipv6(_) => IpAddressFamily::Ipv6,
    }
}

fn arg(args: &[String], index: usize) -> &str {
    args.get(index).map(String::as_str).unwrap_or_else(|| {
        eprintln!("p3_sandbox: missing argument {index}");
        std::process::exit(2)
    })
}

async fn connect(text: &str) {
    let address = parse_address(text);
    let socket = TcpSocket::create(family(&address)).expect("create");
    match socket.connect(address).await {
        Ok(()) => println!("connect {text}: ok"),
        Err(code) => println!("connect {text}: error {code:?}"),
    }
}

fn listen(text: &str) {
    let socket = if text == "unbound" {
        TcpSocket::create(IpAddressFamily::Ipv4).expect("create")
    } else {
        let address = parse_address(text);
        let socket = TcpSocket::create(family(&address)).expect("create");
        match socket.bind(address) {
            Ok(()) => println!("bind: ok"),
            Err(code) => {
                println!("bind: error {code:?}");
                return;
            }
        }
        socket
    };
    match socket.listen() {
        Ok(_stream) => println!("listen: ok"),
        Err(code) => println!("listen: error {code:?}"),
    }
}

async fn lookup(name: &str) {
    match ip_name_lookup::resolve_addresses(name.to_owned()).await {
        Ok(addresses) => println!("lookup {name}: ok {}", addresses.len()),
        Err(code) => println!("lookup {name}: error {code:?}"),
    }
}

fn sockets(count: usize) -> Vec<TcpSocket> {
    let mut held = Vec::new();
    while held.len() < count {
        match TcpSocket::create(IpAddressFamily::Ipv4) {
            Ok(socket) => held.push(socket),
            Err(code) => {
                println!("created {}", held.len());
                println!("error {code:?}");
                return held;
            }
        }
    }
    println!("created {}", held.len());
    held
}

fn buffer(bytes: u64) {
    let socket = TcpSocket::create(IpAddressFamily::Ipv4).expect("create");
    match socket.set_receive_buffer_size(bytes) {
        Ok(()) => println!(
            "receive-buffer {}",
            socket.get_receive_buffer_size().expect("get")
        ),
        Err(code) => println!("receive-buffer error {code:?}"),
    }
}

async fn udp_inbound() {
    let socket = UdpSocket::create(IpAddressFamily::Ipv4).expect("create");
    socket
        .bind(parse_address("0.0.0.0:0"))
        .expect("bind 0.0.0.0:0");
    let port = match socket.get_local_address().expect("local address") {
        IpSocketAddress::Ipv4(v4) => v4.port,
        IpSocketAddress::Ipv6(v6) => v6.port,
    };
    println!("bound {port}");
    let hear = async {
        loop {
            match socket.receive().await {
                Ok((data, from)) => {
                    let text = String::from_utf8_lossy(&data).into_owned();
                    println!("from {}: {text}", show_address(&from));
                    if text == "stop" {
                        return;
                    }
                }
                Err(code) => {
                    println!("receive: error {code:?}");
                    return;
                }
            }
        }
    };
    futures::select! {
        () = hear.fuse() => {}
        () = monotonic_clock::wait_for(20_000_000_000).fuse() => println!("no stop"),
    }
}

async fn accept(text: &str) {
    let address = parse_address(text);
    let listener = TcpSocket::create(family(&address)).expect("create");
    listener.bind(address).expect("bind");
    let mut connections = listener.listen().expect("listen");
    let port = match listener.get_local_address().expect("local address") {
        IpSocketAddress::Ipv4(v4) => v4.port,
        IpSocketAddress::Ipv6(v6) => v6.port,
    };
    println!("listening {port}");
    let first: Rc<RefCell<Option<TcpSocket>>> = Rc::default();
    let mut others = Vec::new();
    let mut accepted = 0;
    let mut watching = None;
    while accepted < 3 {
        let event = {
            let next = connections.next().fuse();
            futures::pin_mut!(next);
            let dropped = async {
                match watching.as_mut() {
                    Some(rx) => {
                        // The first connection's peer closing ends its stream.
                        loop {
                            let (result, _) =
                                wit_bindgen::StreamReader::read(rx, Vec::with_capacity(64)).await;
                            if matches!(result, StreamResult::Dropped) {
                                return;
                            }
                        }
                    }
                    None => futures::future::pending::<()>().await,
                }
            }
            .fuse();
            futures::pin_mut!(dropped);
            futures::select! {
                socket = next => Some(socket),
                () = dropped => None,
            }
        };
        match event {
            Some(None) => {
                println!("listen stream ended");
                return;
            }
            Some(Some(socket)) => {
                accepted += 1;
                println!("accepted {accepted}");
                if accepted == 1 {
                    let (rx, _result) = socket.receive();
                    watching = Some(rx);
                    *first.borrow_mut() = Some(socket);
                } else {
                    others.push(socket);
                }
            }
            None => {
                watching = None;
                first.borrow_mut().take();
                println!("dropped 1");
            }
        }
    }
    println!("done");
}

async fn lookups(name: &str, count: usize, sequential: bool) {
    if sequential {
        for i in 0..count {
            match ip_name_lookup::resolve_addresses(name.to_owned()).await {
                Ok(_) => println!("lookup {i}: ok"),
                Err(code) => println!("lookup {i}: error {code:?}"),
            }
        }
        println!("lookups done");
        return;
    }
    let mut pending = Vec::new();
    for i in 0..count {
        let mut lookup = Box::pin(ip_name_lookup::resolve_addresses(name.to_owned()));
        match futures::poll!(lookup.as_mut()) {
            Poll::Ready(Ok(_)) => println!("lookup {i}: ok"),
            Poll::Ready(Err(code)) => println!("lookup {i}: error {code:?}"),
            Poll::Pending => pending.push((i, lookup)),
        }
    }
    monotonic_clock::wait_for(2_000_000_000).await;
    for (i, mut lookup) in pending {
        match futures::poll!(lookup.as_mut()) {
            Poll::Pending => println!("lookup {i}: started"),
            Poll::Ready(Ok(_)) => println!("lookup {i}: ok later"),
            Poll::Ready(Err(code)) => println!("lookup {i}: error later {code:?}"),
        }
    }
    println!("lookups done");
}

async fn lookup_long(bytes: usize) {
    let name = "\u{1}".repeat(bytes);
    match ip_name_lookup::resolve_addresses(name).await {
        Ok(_) => println!("lookup-long: ok"),
        Err(code) => println!("lookup-long: error {code:?}"),
    }
    // Alive, so the host can be measured, until the test kills it.
    monotonic_clock::wait_for(120_000_000_000).await;
}

async fn receives(count: usize) {
    let socket = UdpSocket::create(IpAddressFamily::Ipv4).expect("create");
    socket
        .bind(parse_address("0.0.0.0:0"))
        .expect("bind 0.0.0.0:0");
    let mut pending = Vec::new();
    for _ in 0..count {
        let mut receive = Box::pin(socket.receive());
        if futures::poll!(receive.as_mut()).is_pending() {
            pending.push(receive);
        }
    }
    println!("receiving {}", pending.len());
    // Alive, so the host can be measured, until the test kills it.
    monotonic_clock::wait_for(120_000_000_000).await;
}

async fn mixed(wasock_count: usize, std_count: usize) {
    let mut wasock_sockets = Vec::new();
    for _ in 0..wasock_count {
        wasock_sockets.push(
            wasock::Socket::new(
                wasock::Family::Inet,
                wasock::SocketType::Stream,
                wasock::Protocol::DEFAULT,
            )
            .expect("wasock socket"),
        );
    }
    let mut std_sockets = Vec::new();
    for _ in 0..std_count {
        std_sockets.push(std::net::UdpSocket::bind("0.0.0.0:0").expect("std::net socket"));
    }
    let mut p3 = Vec::new();
    let error = loop {
        match TcpSocket::create(IpAddressFamily::Ipv4) {
            Ok(socket) => p3.push(socket),
            Err(code) => break code,
        }
        if p3.len() > 100_000 {
            println!("no limit");
            return;
        }
    };
    println!(
        "wasock {} std {} p3 {}",
        wasock_sockets.len(),
        std_sockets.len(),
        p3.len()
    );
    println!("error {error:?}");
    match wasock::Socket::new(
        wasock::Family::Inet,
        wasock::SocketType::Stream,
        wasock::Protocol::DEFAULT,
    ) {
        Ok(_) => println!("wasock then ok"),
        Err(e) => println!("wasock then {:?}", e.code()),
    }
    p3.pop();
    match wasock::Socket::new(
        wasock::Family::Inet,
        wasock::SocketType::Stream,
        wasock::Protocol::DEFAULT,
    ) {
        Ok(_) => println!("after a 0.3 drop: ok"),
        Err(e) => println!("after a 0.3 drop: {:?}", e.code()),
    }
}

impl wasock_test_guests_p3::exports::wasi::cli::run::Guest for Guest {
    async fn run() -> Result<(), ()> {
        let args: Vec<String> = std::env::args().collect();
        match arg(&args, 1) {
            "connect" => connect(arg(&args, 2)).await,
            "listen" => listen(arg(&args, 2)),
            "lookup" => lookup(arg(&args, 2)).await,
            "sockets" => drop(sockets(arg(&args, 2).parse().expect("a count"))),
            "buffer" => buffer(arg(&args, 2).parse().expect("a size")),
            "udp-inbound" => udp_inbound().await,
            "accept" => accept(arg(&args, 2)).await,
            "lookups" => {
                lookups(
                    arg(&args, 2),
                    arg(&args, 3).parse().expect("a count"),
                    args.get(4).is_some_and(|a| a == "seq"),
                )
                .await
            }
            "lookup-long" => lookup_long(arg(&args, 2).parse().expect("a size")).await,
            "receives" => receives(arg(&args, 2).parse().expect("a count")).await,
            "mixed" => {
                mixed(
                    arg(&args, 2).parse().expect("a count"),
                    arg(&args, 3).parse().expect("a count"),
                )
                .await
            }
            other => {
                eprintln!("p3_sandbox: unknown mode {other}");
                return Err(());
            }
        }
        Ok(())
    }
}

/// What a host that does not serve WASI 0.3 runs (std's
/// `wasi:cli/run@0.2` export).
fn main() {
    eprintln!("p3_sandbox: ran as a WASI 0.2 command; it needs a host serving WASI 0.3");
    std::process::exit(3);
}
