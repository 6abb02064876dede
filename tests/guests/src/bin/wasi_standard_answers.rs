//! `wasi_standard_answers`: through raw `wasi:sockets` calls, hands the
//! host the remote addresses the standard itself refuses with
//! `invalid-argument` (the unspecified address, port 0, the wrong family,
//! an IPv4-mapped IPv6 address, a TCP peer that is not unicast, a
//! datagram's address other than the connected peer's), on each path that
//! takes one: TCP's `start-connect`, UDP's `stream` and UDP's `send`; then
//! a well-formed address no grant covers (127.0.0.2:47) on each. Run with
//! `--allow-connect 127.0.0.1:47` (the connected peer). One line per call,
//! `CASE => ok` or `CASE => error-code`, then `standard answers done`.

use wasip2::sockets::network::{
    ErrorCode, IpAddressFamily, IpSocketAddress, Ipv4SocketAddress, Ipv6SocketAddress, Network,
};
use wasip2::sockets::udp::{OutgoingDatagram, OutgoingDatagramStream, UdpSocket};
use wasip2::sockets::{instance_network, tcp_create_socket, udp_create_socket};

fn v4(address: (u8, u8, u8, u8), port: u16) -> IpSocketAddress {
    IpSocketAddress::Ipv4(Ipv4SocketAddress { port, address })
}

fn v6(address: (u16, u16, u16, u16, u16, u16, u16, u16), port: u16) -> IpSocketAddress {
    IpSocketAddress::Ipv6(Ipv6SocketAddress {
        port,
        flow_info: 0,
        address,
        scope_id: 0,
    })
}

fn report(case: &str, result: Result<(), ErrorCode>) {
    match result {
        Ok(()) => println!("{case} => ok"),
        Err(e) => println!("{case} => {}", e.name()),
    }
}

/// `start-connect` of a fresh TCP socket of `family` to `remote`.
fn tcp_connect(
    network: &Network,
    family: IpAddressFamily,
    remote: IpSocketAddress,
) -> Result<(), ErrorCode> {
    let socket = tcp_create_socket::create_tcp_socket(family)?;
    socket.start_connect(network, remote)
}

/// A UDP socket of `family` bound to the unspecified address, port 0 (what
/// a guest may do without a grant).
fn udp_bound(network: &Network, family: IpAddressFamily) -> UdpSocket {
    let socket = udp_create_socket::create_udp_socket(family).expect("a UDP socket");
    let any = match family {
        IpAddressFamily::Ipv4 => v4((0, 0, 0, 0), 0),
        IpAddressFamily::Ipv6 => v6((0, 0, 0, 0, 0, 0, 0, 0), 0),
    };
    socket.start_bind(network, any).expect("start-bind");
    socket.finish_bind().expect("finish-bind");
    socket
}

/// `stream` of a fresh bound UDP socket of `family` with `remote`.
fn udp_stream(
    network: &Network,
    family: IpAddressFamily,
    remote: IpSocketAddress,
) -> Result<(), ErrorCode> {
    udp_bound(network, family).stream(Some(remote)).map(drop)
}

/// `send` of one datagram to `remote` on a fresh bound, unconnected UDP
/// socket of `family`.
fn udp_send(
    network: &Network,
    family: IpAddressFamily,
    remote: IpSocketAddress,
) -> Result<(), ErrorCode> {
    let socket = udp_bound(network, family);
    let (_incoming, outgoing) = socket.stream(None)?;
    send_one(&outgoing, remote)
}

/// `check-send`, then `send` of one datagram to `remote`.
fn send_one(outgoing: &OutgoingDatagramStream, remote: IpSocketAddress) -> Result<(), ErrorCode> {
    outgoing.subscribe().block();
    assert!(outgoing.check_send()? > 0, "check-send permits no datagram");
    let datagram = OutgoingDatagram {
        data: b"standard".to_vec(),
        remote_address: Some(remote),
    };
    outgoing.send(&[datagram]).map(drop)
}

/// `send` of one datagram to `remote` on a fresh IPv4 UDP socket
/// connected to `peer` (through `stream`).
fn udp_send_connected(
    network: &Network,
    peer: IpSocketAddress,
    remote: IpSocketAddress,
) -> Result<(), ErrorCode> {
    let socket = udp_bound(network, IpAddressFamily::Ipv4);
    let (_incoming, outgoing) = socket.stream(Some(peer))?;
    send_one(&outgoing, remote)
}

fn main() {
    use IpAddressFamily::{Ipv4, Ipv6};
    let network = instance_network::instance_network();
    let mapped_loopback = v6((0, 0, 0, 0, 0, 0xffff, 0x7f00, 1), 47);
    let invalid = [
        ("unspecified", Ipv4, v4((0, 0, 0, 0), 47)),
        ("port-0", Ipv4, v4((127, 0, 0, 1), 0)),
        ("unspecified-v6", Ipv6, v6((0, 0, 0, 0, 0, 0, 0, 0), 47)),
        ("wrong-family", Ipv4, v6((0, 0, 0, 0, 0, 0, 0, 1), 47)),
        ("mapped", Ipv6, mapped_loopback),
    ];
    for (case, family, remote) in invalid {
        report(
            &format!("tcp-connect {case}"),
            tcp_connect(&network, family, remote),
        );
        report(
            &format!("udp-stream {case}"),
            udp_stream(&network, family, remote),
        );
        report(
            &format!("udp-send {case}"),
            udp_send(&network, family, remote),
        );
    }
    report(
        "tcp-connect broadcast",
        tcp_connect(&network, Ipv4, v4((255, 255, 255, 255), 47)),
    );
    report(
        "tcp-connect multicast",
        tcp_connect(&network, Ipv4, v4((224, 0, 0, 1), 47)),
    );

    let connected = v4((127, 0, 0, 1), 47);
    let elsewhere = v4((127, 0, 0, 2), 47);
    report(
        "udp-send not-the-connected-peer",
        udp_send_connected(&network, connected, elsewhere),
    );

    report(
        "tcp-connect elsewhere",
        tcp_connect(&network, Ipv4, elsewhere),
    );
    report(
        "udp-stream elsewhere",
        udp_stream(&network, Ipv4, elsewhere),
    );
    report("udp-send elsewhere", udp_send(&network, Ipv4, elsewhere));
    println!("standard answers done");
}
