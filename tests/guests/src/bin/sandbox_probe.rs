//! `sandbox_probe OP...`: tries what an attacker would, one operation per
//! argument, on one socket made by the first `socket=` operation, and
//! prints `OP => ok [HEX]` or `OP => class/code: message` for each.
//!
//! Operations (numbers are the host's, levels and names included):
//! - `socket=FAMILY,TYPE,PROTOCOL` (`inet`/`inet6`/`unix`,
//!   `stream`/`dgram`/`raw`): the socket the next operations use;
//! - `bind=ADDR`, `connect=ADDR`, `listen`, `send-to=ADDR`: with `ADDR`
//!   `IP:PORT`, `[IPV6]:PORT` or `unix:PATH`;
//! - `get=LEVEL,NAME,LEN`, `set=LEVEL,NAME,INT`, `bytes=LEVEL,NAME,HEX`;
//! - `v6only=0|1`;
//! - `walk`: get (64 bytes) and set (int 1) every name in 0..=300 at
//!   SOL_SOCKET, IP, IPv6, TCP, UDP, raw and several unknown levels, on a
//!   TCP and a UDP socket of their own; prints one summary line;
//! - `resolve=NODE`, `resolve-numeric=NODE`, `name=ADDR` (numeric
//!   name-information of an inet address, scope ids kept).
use std::str::FromStr;

use wasock::{
    AddrInfoFlags, AddrInfoHints, Family, NameInfoFlags, Protocol, SockAddr, Socket, SocketType,
};

fn outcome<T>(result: wasock::Result<T>, show: impl FnOnce(T) -> String) -> String {
    match result {
        Ok(value) => {
            let shown = show(value);
            if shown.is_empty() {
                "ok".to_owned()
            } else {
                format!("ok {shown}")
            }
        }
        Err(e) => format!("{}/{}: {}", e.class(), e.code().as_str(), e.message()),
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Vec<u8> {
    (0..text.len() / 2)
        .filter_map(|i| u8::from_str_radix(text.get(2 * i..2 * i + 2)?, 16).ok())
        .collect()
}

fn address(text: &str) -> wasock::Result<SockAddr> {
    match text.strip_prefix("unix:") {
        Some(path) => Ok(SockAddr::unix(path)),
        None => SockAddr::from_str(text),
    }
}

fn numbers(text: &str) -> Vec<i32> {
    text.split(',').filter_map(|n| n.parse().ok()).collect()
}

fn socket(spec: &str) -> wasock::Result<Socket> {
    let parts: Vec<&str> = spec.split(',').collect();
    let family = match parts.first().copied() {
        Some("inet6") => Family::Inet6,
        Some("unix") => Family::Unix,
        _ => Family::Inet,
    };
    let kind = match parts.get(1).copied() {
        Some("dgram") => SocketType::Dgram,
        Some("raw") => SocketType::Raw,
        _ => SocketType::Stream,
    };
    let protocol = parts
        .get(2)
        .and_then(|p| p.parse::<u16>().ok())
        .unwrap_or(0);
    Socket::new(family, kind, Protocol::from(protocol))
}

/// Every pair, get and set, on a TCP and a UDP socket.
fn walk() -> String {
    let levels = [1, 0, 41, 6, 17, 255, 58, 136, 263, 9999, -1];
    let (mut calls, mut ok, mut unsupported, mut denied, mut other) = (0, 0, 0, 0, 0);
    for kind in [SocketType::Stream, SocketType::Dgram] {
        let Ok(s) = Socket::new(Family::Inet, kind, Protocol::DEFAULT) else {
            return "walk: no socket".into();
        };
        for level in levels {
            for name in 0..=300 {
                for result in [
                    s.get_option_bytes(level, name, 64).map(drop),
                    s.set_option_int(level, name, 1),
                ] {
                    calls += 1;
                    match result {
                        Ok(()) => ok += 1,
                        Err(e) if e.code().as_str() == "option-not-supported" => unsupported += 1,
                        Err(e) if e.code().as_str() == "permission-denied" => denied += 1,
                        Err(_) => other += 1,
                    }
                }
            }
        }
    }
    format!("{calls} calls: {ok} ok, {unsupported} unsupported, {denied} denied, {other} other")
}

fn main() {
    let mut current: Option<Socket> = None;
    for op in std::env::args().skip(1) {
        let (verb, arg) = op.split_once('=').unwrap_or((op.as_str(), ""));
        let result = match (verb, &current) {
            ("socket", _) => match socket(arg) {
                Ok(s) => {
                    current = Some(s);
                    "ok".to_owned()
                }
                Err(e) => outcome::<()>(Err(e), |_| String::new()),
            },
            ("walk", _) => walk(),
            ("resolve", _) | ("resolve-numeric", _) => {
                let hints = AddrInfoHints {
                    flags: if verb == "resolve" {
                        AddrInfoFlags::empty()
                    } else {
                        AddrInfoFlags::NUMERICHOST
                    },
                    ..AddrInfoHints::default()
                };
                outcome(
                    wasock::address_information(Some(arg), None, &hints),
                    |found| {
                        found
                            .iter()
                            .map(|info| info.address.to_string())
                            .collect::<Vec<_>>()
                            .join(" ")
                    },
                )
            }
            ("name", _) => outcome(
                address(arg).and_then(|a| {
                    wasock::name_information(
                        &a,
                        NameInfoFlags::NUMERICHOST | NameInfoFlags::NUMERICSERV,
                    )
                }),
                |(node, _)| node,
            ),
            (_, None) => "no socket yet".to_owned(),
            ("bind", Some(s)) => outcome(address(arg).and_then(|a| s.bind(&a)), |_| String::new()),
            ("connect", Some(s)) => {
                outcome(address(arg).and_then(|a| s.connect(&a)), |_| String::new())
            }
            ("send-to", Some(s)) => {
                outcome(address(arg).and_then(|a| s.send_to(b"probe", &a)), |n| {
                    n.to_string()
                })
            }
            ("listen", Some(s)) => outcome(s.listen(4), |_| String::new()),
            ("v6only", Some(s)) => outcome(s.set_ipv6_v6_only(arg == "1"), |_| String::new()),
            ("get", Some(s)) => match numbers(arg)[..] {
                [level, name, len] => outcome(
                    s.get_option_bytes(level, name, usize::try_from(len).unwrap_or(0)),
                    |bytes| hex(&bytes),
                ),
                _ => "bad get".to_owned(),
            },
            ("set", Some(s)) => match numbers(arg)[..] {
                [level, name, value] => {
                    outcome(s.set_option_int(level, name, value), |_| String::new())
                }
                _ => "bad set".to_owned(),
            },
            ("bytes", Some(s)) => {
                let parts: Vec<&str> = arg.split(',').collect();
                match (parts.first(), parts.get(1), parts.get(2)) {
                    (Some(level), Some(name), Some(value)) => match (level.parse(), name.parse()) {
                        (Ok(level), Ok(name)) => {
                            outcome(s.set_option_bytes(level, name, &unhex(value)), |_| {
                                String::new()
                            })
                        }
                        _ => "bad bytes".to_owned(),
                    },
                    _ => "bad bytes".to_owned(),
                }
            }
            _ => format!("unknown operation {verb}"),
        };
        println!("{op} => {result}");
    }
    println!("probe done");
}
