//! Fuzzes random sequences of host socket operations through the host
//! library's socket-logic layer (`wasock_host::socket::Socket` and its
//! options), with arbitrary arguments, on loopback only.
//!
//! Every address is forced onto 127.0.0.1 / ::1 (port 0, or the port of a
//! socket this input created, so no traffic reaches anyone else's server)
//! or onto a unix path confined by the policy to a temporary directory
//! (which holds symlinks leading in and out, a hard link to a socket
//! outside, and subdirectories, so arbitrary path shapes meet them). Raw
//! sockets only with ICMP protocols. Low-level options (any level and
//! name) go through the policy's allow-list first, as the glue does, and
//! the bytes it returns are what is set. At most
//! [`MAX_OPS`] operations and [`MAX_SOCKETS`] sockets per input, every
//! blocking call with a timeout of at most 20 ms.
//!
//! Invariants checked: no panic; a closed socket fails every call with
//! `closed`; a receive returns at most what was asked and at most its cap;
//! a send reports at most what it was given; an option read returns at
//! most `OPTION_BYTES_CAP` bytes; an option the allow-list lets through is
//! one it knows; a unix path the policy accepts resolves to a directory or
//! socket beneath the granted directory, never a symlink; every socket file
//! a bind made is gone once its socket is; socket descriptors do not leak
//! across inputs.
#![no_main]

#[path = "common.rs"]
mod common;
use common::real_path;

use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::Duration;

use arbitrary::{Arbitrary, Unstructured};
use libfuzzer_sys::fuzz_target;
use wasock_host::error::ErrorCode;
use wasock_host::options::{self, OPTION_BYTES_CAP};
use wasock_host::policy::options::known_options;
use wasock_host::policy::{OptionTarget, Policy, UnixBindTarget, UnixConnectTarget};
use wasock_host::socket::{Family, Socket, Kind, RecvFlags, SendFlags, ShutdownHow, DATAGRAM_RECEIVE_CAP, RECEIVE_CAP};

const MAX_OPS: usize = 48;
const MAX_SOCKETS: usize = 8;
const MAX_TIMEOUT_MS: u64 = 20;
const MAX_SEND: usize = 70_000;

#[derive(Debug, Arbitrary)]
enum Fam {
    Inet,
    Inet6,
    Unix,
}

#[derive(Debug, Arbitrary)]
enum SockKind {
    Stream,
    Dgram,
    Raw,
}

#[derive(Debug, Arbitrary)]
enum Target {
    /// The local address of this input's socket number N (or port 0).
    Own(u8),
    /// 127.0.0.1 / ::1, port 0.
    Loopback,
    /// A unix path as a guest would name it, through the policy.
    Unix(String),
    /// One of a few unix names in the sandbox, so binds and connects meet.
    UnixSlot(u8),
}

#[derive(Debug, Arbitrary)]
enum Level {
    Socket,
    Ip,
    Ipv6,
    Tcp,
    Udp,
    Other(i32),
}

#[derive(Debug, Arbitrary)]
enum Op {
    Create { family: Fam, kind: SockKind, protocol: u16, odd_protocol: bool },
    Bind { socket: u8, target: Target },
    Listen { socket: u8, backlog: u32 },
    Connect { socket: u8, target: Target, timeout_ms: u8 },
    Accept { socket: u8, timeout_ms: u8 },
    Send { socket: u8, len: u32, byte: u8, flags: u8, timeout_ms: u8 },
    SendTo { socket: u8, len: u32, byte: u8, target: Target, flags: u8, timeout_ms: u8 },
    Receive { socket: u8, max: u32, flags: u8, timeout_ms: u8 },
    ReceiveFrom { socket: u8, max: u32, flags: u8, timeout_ms: u8 },
    Shutdown { socket: u8, how: u8 },
    Close { socket: u8 },
    Drop { socket: u8 },
    Names { socket: u8 },
    Ready { socket: u8 },
    GetInt { socket: u8, level: Level, name: i32 },
    GetBytes { socket: u8, level: Level, name: i32, max: u32 },
    SetInt { socket: u8, level: Level, name: i32, value: i32 },
    SetBytes { socket: u8, level: Level, name: i32, value: Vec<u8> },
    Typed { socket: u8, which: u8, value: u32, set: bool },
    Linger { socket: u8, value: Option<u32> },
    /// A unix path shape checked by the policy, for bind or connect.
    UnixPath { path: String, bind: bool },
}

struct Sandbox {
    runtime: tokio::runtime::Runtime,
    dir: PathBuf,
    policy: Policy,
    baseline_fds: usize,
    baseline_list: Vec<String>,
}

/// Open socket descriptors (other descriptors come and go with the
/// fuzzing machinery itself: libFuzzer and the sanitizer open pipes).
fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd")
        .map(|d| {
            d.flatten()
                .filter(|e| std::fs::read_link(e.path()).is_ok_and(|p| p.to_string_lossy().starts_with("socket:")))
                .count()
        })
        .unwrap_or(0)
}

/// What each open descriptor is, for a failure message.
fn fd_list() -> Vec<String> {
    std::fs::read_dir("/proc/self/fd")
        .map(|d| {
            d.flatten()
                .map(|e| format!("{}->{}", e.file_name().to_string_lossy(), std::fs::read_link(e.path()).map(|p| p.display().to_string()).unwrap_or_default()))
                .collect()
        })
        .unwrap_or_default()
}

fn sandbox() -> &'static Sandbox {
    static SANDBOX: OnceLock<Sandbox> = OnceLock::new();
    SANDBOX.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        let dir = std::env::temp_dir().join(format!("wasock-fuzz-ops-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temporary directory");
        let dir = dir.canonicalize().expect("canonical temporary directory");
        // Path shapes to meet: subdirectories, symlinks in and out, a
        // hard link to a socket outside, a socket outside.
        let outside = dir.with_extension("outside");
        let _ = std::fs::create_dir_all(&outside);
        let _ = std::fs::create_dir_all(dir.join("sub/deeper"));
        let _ = std::os::unix::fs::symlink(&outside, dir.join("out"));
        let _ = std::os::unix::fs::symlink(dir.join("sub"), dir.join("in"));
        let outside_socket = outside.join("real.sock");
        let _ = std::fs::remove_file(&outside_socket);
        if let Ok(listener) = std::os::unix::net::UnixListener::bind(&outside_socket) {
            std::mem::forget(listener);
            let _ = std::fs::hard_link(&outside_socket, dir.join("sub/hard.sock"));
            let _ = std::os::unix::fs::symlink(&outside_socket, dir.join("sub/link.sock"));
        }
        let spec = format!("{}::/s", dir.display()).parse().expect("unix grant");
        let policy = Policy::new().allow_unix(spec).expect("grant");
        let baseline_fds = open_fds();
        let baseline_list = fd_list();
        Sandbox { runtime, dir, policy, baseline_fds, baseline_list }
    })
}

fn timeout(ms: u8) -> Option<Duration> {
    Some(Duration::from_millis(u64::from(ms) % (MAX_TIMEOUT_MS + 1)))
}

fn send_flags(bits: u8) -> SendFlags {
    SendFlags {
        oob: bits & 1 != 0,
        dont_route: bits & 2 != 0,
        dont_wait: bits & 4 != 0,
        end_of_record: bits & 8 != 0,
        more: bits & 16 != 0,
    }
}

fn recv_flags(bits: u8) -> RecvFlags {
    RecvFlags { peek: bits & 1 != 0, oob: bits & 2 != 0, wait_all: bits & 4 != 0, dont_wait: bits & 8 != 0 }
}

fn level(level: &Level) -> i32 {
    match level {
        Level::Socket => libc::SOL_SOCKET,
        Level::Ip => libc::IPPROTO_IP,
        Level::Ipv6 => libc::IPPROTO_IPV6,
        Level::Tcp => libc::IPPROTO_TCP,
        Level::Udp => libc::IPPROTO_UDP,
        Level::Other(n) => *n,
    }
}

/// What a unix address was checked into: it must live until the
/// syscall that uses it is made.
enum Keep {
    Nothing,
    Bind(UnixBindTarget),
    Connect(#[allow(dead_code)] UnixConnectTarget),
}


/// The OS address for `target` on a socket of `family`, loopback or
/// sandboxed only; `None` where the policy refuses the unix path.
fn address(
    sb: &Sandbox,
    sockets: &[Option<Socket>],
    family: Family,
    target: &Target,
    binding: bool,
) -> Option<(socket2::SockAddr, Keep)> {
    let loopback = |port: u16| match family {
        Family::Inet6 => socket2::SockAddr::from(SocketAddr::from((Ipv6Addr::LOCALHOST, port))),
        _ => socket2::SockAddr::from(SocketAddr::from((Ipv4Addr::LOCALHOST, port))),
    };
    let unix = |path: &str| -> Option<(socket2::SockAddr, Keep)> {
        if binding {
            let target = sb.policy.unix_bind(path).ok()?;
            let os = target.os_address().ok()?;
            let real = real_path(&os)?;
            assert!(real.starts_with(&sb.dir), "{path:?} would bind at {}", real.display());
            Some((os, Keep::Bind(target)))
        } else {
            let target = sb.policy.unix_connect(path).ok()?;
            let os = target.os_address().ok()?;
            let real = real_path(&os)?;
            assert!(real.starts_with(&sb.dir), "{path:?} would connect to {}", real.display());
            Some((os, Keep::Connect(target)))
        }
    };
    match target {
        Target::Loopback => Some((loopback(0), Keep::Nothing)),
        Target::Own(n) => {
            let own = sockets.get(usize::from(*n) % MAX_SOCKETS)?.as_ref()?;
            if let Some(file) = own.bound_file() {
                return unix(file.guest_path());
            }
            let local = own.local_address().ok()?;
            if let Some(ip) = local.as_socket() {
                // Only ever loopback, whatever the socket is bound to.
                return Some((loopback(ip.port()), Keep::Nothing));
            }
            Some((loopback(0), Keep::Nothing))
        }
        Target::Unix(path) => unix(path),
        Target::UnixSlot(n) => unix(&format!("/s/slot{}", n % 4)),
    }
}

/// What one receive may return on a socket of `kind`.
fn receive_cap(kind: Kind) -> usize {
    match kind {
        Kind::Stream => RECEIVE_CAP,
        Kind::Dgram | Kind::Raw => DATAGRAM_RECEIVE_CAP,
    }
}

fn is_known(level: i32, name: i32) -> bool {
    known_options().any(|(l, n, _)| (l, n) == (level, name))
}

/// The allow-list's verdict on reading (level, name) from `s`; what it lets
/// through must be a pair it knows.
fn allowed_get(sb: &Sandbox, s: &Socket, level: i32, name: i32) -> Option<wasock_host::policy::GetFilter> {
    let target = OptionTarget { family: s.family(), kind: s.kind() };
    let filter = sb.policy.check_get_option(level, name, target).ok()?;
    assert!(is_known(level, name), "get {level}/{name} passed but is not in the allow-list");
    Some(filter)
}

/// The allow-list's verdict on writing `value` to (level, name) on `s`:
/// the bytes to set.
fn allowed_set(sb: &Sandbox, s: &Socket, level: i32, name: i32, value: &[u8]) -> Option<Vec<u8>> {
    let target = OptionTarget { family: s.family(), kind: s.kind() };
    let bytes = sb.policy.check_set_option(level, name, target, value).ok()?.into_owned();
    assert!(is_known(level, name), "set {level}/{name} passed but is not in the allow-list");
    Some(bytes)
}

fn check_closed<T: std::fmt::Debug>(closed: bool, result: &wasock_host::error::Result<T>) {
    if closed {
        match result {
            Err(e) if e.code == ErrorCode::Closed => {}
            other => panic!("a call on a closed socket gave {other:?}"),
        }
    }
}

async fn run(sb: &Sandbox, ops: Vec<Op>) {
    let mut sockets: Vec<Option<Socket>> = (0..MAX_SOCKETS).map(|_| None).collect();
    let mut next = 0usize;
    for op in ops.into_iter().take(MAX_OPS) {
        let pick = |n: u8| usize::from(n) % MAX_SOCKETS;
        match op {
            Op::Create { family, kind, protocol, odd_protocol } => {
                let family = match family {
                    Fam::Inet => Family::Inet,
                    Fam::Inet6 => Family::Inet6,
                    Fam::Unix => Family::Unix,
                };
                let (kind, protocol) = match kind {
                    SockKind::Stream => (Kind::Stream, if odd_protocol { protocol } else { 0 }),
                    SockKind::Dgram => (Kind::Dgram, if odd_protocol { protocol } else { 0 }),
                    // Raw only as ICMP: nothing that could reach others' traffic.
                    SockKind::Raw => (Kind::Raw, if family == Family::Inet6 { 58 } else { 1 }),
                };
                // Unusual protocols for stream/dgram are kept to ones that
                // fail or stay on this host (no SCTP associations etc. can
                // reach other hosts: every address is loopback).
                if let Ok(socket) = Socket::create(family, kind, protocol) {
                    sockets[next % MAX_SOCKETS] = Some(socket);
                }
                next += 1;
            }
            Op::Bind { socket, target } => {
                let Some(s) = sockets[pick(socket)].as_ref() else { continue };
                let Some((to, keep)) = address(sb, &sockets, s.family(), &target, true) else { continue };
                let s = sockets[pick(socket)].as_mut().expect("present");
                let closed = s.is_closed();
                let result = s.bind(&to);
                check_closed(closed, &result);
                if let (Ok(()), Keep::Bind(target)) = (&result, keep) {
                    s.attach_bound_file(target.into_bound_file());
                }
            }
            Op::Listen { socket, backlog } => {
                let Some(s) = sockets[pick(socket)].as_mut() else { continue };
                let closed = s.is_closed();
                let result = s.listen(backlog);
                check_closed(closed, &result);
            }
            Op::Connect { socket, target, timeout_ms } => {
                let Some(s) = sockets[pick(socket)].as_ref() else { continue };
                let Some((to, keep)) = address(sb, &sockets, s.family(), &target, false) else { continue };
                let s = sockets[pick(socket)].as_mut().expect("present");
                let closed = s.is_closed();
                let result = s.connect(&to, timeout(timeout_ms)).await;
                check_closed(closed, &result);
                drop(keep);
            }
            Op::Accept { socket, timeout_ms } => {
                let Some(s) = sockets[pick(socket)].as_mut() else { continue };
                let closed = s.is_closed();
                let result = s.accept(timeout(timeout_ms)).await;
                check_closed(closed, &result);
                if let Ok(accepted) = result {
                    sockets[next % MAX_SOCKETS] = Some(accepted);
                    next += 1;
                }
            }
            Op::Send { socket, len, byte, flags, timeout_ms } => {
                let Some(s) = sockets[pick(socket)].as_mut() else { continue };
                let data = vec![byte; (len as usize) % MAX_SEND];
                let closed = s.is_closed();
                let result = s.send(&data, send_flags(flags), timeout(timeout_ms)).await;
                check_closed(closed, &result);
                if let Ok(n) = result {
                    assert!(n <= data.len(), "sent {n} of {}", data.len());
                }
            }
            Op::SendTo { socket, len, byte, target, flags, timeout_ms } => {
                let Some(s) = sockets[pick(socket)].as_ref() else { continue };
                let Some((to, keep)) = address(sb, &sockets, s.family(), &target, false) else { continue };
                let s = sockets[pick(socket)].as_mut().expect("present");
                let data = vec![byte; (len as usize) % MAX_SEND];
                let closed = s.is_closed();
                let result = s.send_to(&data, &to, send_flags(flags), timeout(timeout_ms)).await;
                check_closed(closed, &result);
                drop(keep);
                if let Ok(n) = result {
                    assert!(n <= data.len(), "sent {n} of {}", data.len());
                }
            }
            Op::Receive { socket, max, flags, timeout_ms } => {
                let Some(s) = sockets[pick(socket)].as_mut() else { continue };
                let cap = receive_cap(s.kind());
                let closed = s.is_closed();
                let result = s.receive(max, recv_flags(flags), timeout(timeout_ms)).await;
                check_closed(closed, &result);
                if let Ok(data) = result {
                    assert!(data.len() <= max as usize && data.len() <= cap, "{} bytes for {max}", data.len());
                }
            }
            Op::ReceiveFrom { socket, max, flags, timeout_ms } => {
                let Some(s) = sockets[pick(socket)].as_mut() else { continue };
                let cap = receive_cap(s.kind());
                let closed = s.is_closed();
                let result = s.receive_from(max, recv_flags(flags), timeout(timeout_ms)).await;
                check_closed(closed, &result);
                if let Ok((data, from, _truncated)) = result {
                    assert!(data.len() <= max as usize && data.len() <= cap, "{} bytes for {max}", data.len());
                    if let Some(from) = from {
                        let _ = wasock_host::convert::to_wit(&from, &sb.policy);
                    }
                }
            }
            Op::Shutdown { socket, how } => {
                let Some(s) = sockets[pick(socket)].as_mut() else { continue };
                let how = match how % 3 {
                    0 => ShutdownHow::Read,
                    1 => ShutdownHow::Write,
                    _ => ShutdownHow::Both,
                };
                let closed = s.is_closed();
                let result = s.shutdown(how);
                check_closed(closed, &result);
            }
            Op::Close { socket } => {
                let Some(s) = sockets[pick(socket)].as_mut() else { continue };
                let closed = s.is_closed();
                let result = s.close().await;
                check_closed(closed, &result);
                assert!(s.is_closed());
            }
            Op::Drop { socket } => {
                sockets[pick(socket)] = None;
            }
            Op::Names { socket } => {
                let Some(s) = sockets[pick(socket)].as_ref() else { continue };
                let closed = s.is_closed();
                let local = s.local_address();
                check_closed(closed, &local);
                if let Ok(local) = local {
                    let _ = wasock_host::convert::bound_name(&local, &sb.policy);
                    let _ = wasock_host::convert::to_wit(&local, &sb.policy);
                }
                let peer = s.peer_address();
                check_closed(closed, &peer);
                let _ = (s.family(), s.kind(), s.protocol(), s.state());
            }
            Op::Ready { socket } => {
                let Some(s) = sockets[pick(socket)].as_ref() else { continue };
                let closed = s.is_closed();
                let a = s.accept_ready();
                check_closed(closed, &a);
                let r = s.receive_ready();
                check_closed(closed, &r);
            }
            Op::GetInt { socket, level: l, name } => {
                let Some(s) = sockets[pick(socket)].as_ref() else { continue };
                let l = level(&l);
                let Some(filter) = allowed_get(sb, s, l, name) else { continue };
                let closed = s.is_closed();
                let result = s.get_option_bytes(l, name, 4);
                check_closed(closed, &result);
                if let Ok(mut bytes) = result {
                    filter.apply(&mut bytes);
                }
            }
            Op::GetBytes { socket, level: l, name, max } => {
                let Some(s) = sockets[pick(socket)].as_ref() else { continue };
                let l = level(&l);
                let Some(filter) = allowed_get(sb, s, l, name) else { continue };
                let closed = s.is_closed();
                let result = s.get_option_bytes(l, name, max);
                check_closed(closed, &result);
                if let Ok(mut bytes) = result {
                    assert!(bytes.len() <= max as usize && bytes.len() <= OPTION_BYTES_CAP);
                    filter.apply(&mut bytes);
                }
            }
            Op::SetInt { socket, level: l, name, value } => {
                let Some(s) = sockets[pick(socket)].as_ref() else { continue };
                let l = level(&l);
                let Some(bytes) = allowed_set(sb, s, l, name, &value.to_ne_bytes()) else { continue };
                let closed = s.is_closed();
                let result = s.set_option_bytes(l, name, &bytes);
                check_closed(closed, &result);
            }
            Op::SetBytes { socket, level: l, name, value } => {
                let Some(s) = sockets[pick(socket)].as_ref() else { continue };
                let l = level(&l);
                let Some(bytes) = allowed_set(sb, s, l, name, &value) else { continue };
                let closed = s.is_closed();
                let result = s.set_option_bytes(l, name, &bytes);
                check_closed(closed, &result);
            }
            Op::Typed { socket, which, value, set } => {
                let Some(s) = sockets[pick(socket)].as_ref() else { continue };
                const TYPED: [options::SocketOption; 19] = [
                    options::SO_ACCEPTCONN,
                    options::SO_BROADCAST,
                    options::SO_DEBUG,
                    options::SO_DONTROUTE,
                    options::SO_ERROR,
                    options::SO_KEEPALIVE,
                    options::SO_OOBINLINE,
                    options::SO_RCVBUF,
                    options::SO_RCVLOWAT,
                    options::SO_REUSEADDR,
                    options::SO_SNDBUF,
                    options::SO_SNDLOWAT,
                    options::SO_TYPE,
                    options::TCP_KEEPALIVE,
                    options::TCP_MAXSEG,
                    options::TCP_NODELAY,
                    options::TCP_NOOPT,
                    options::TCP_NOPUSH,
                    options::IPV6_V6ONLY,
                ];
                let option = &TYPED[usize::from(which) % TYPED.len()];
                let closed = s.is_closed();
                if set {
                    let result = s.set_u32_option(option, value);
                    check_closed(closed, &result);
                    if option.read_only {
                        assert!(result.is_err(), "{} is read-only but was set", option.name);
                    }
                } else {
                    let result = s.get_u32_option(option);
                    check_closed(closed, &result);
                    let _ = s.take_error();
                    let _ = s.os_type();
                    let _ = s.get_u8_option(&options::IP_TTL);
                }
            }
            Op::UnixPath { path, bind } => {
                // `address` asserts where an accepted path resolves.
                let target = if bind { Target::UnixSlot(0) } else { Target::Unix(path.clone()) };
                if bind {
                    if let Ok(t) = sb.policy.unix_bind(&path) {
                        let real = t.os_address().ok().as_ref().and_then(real_path);
                        assert!(real.is_none_or(|r| r.starts_with(&sb.dir)), "{path:?} escaped");
                    }
                } else {
                    let _ = address(sb, &sockets, Family::Unix, &target, false);
                }
            }
            Op::Linger { socket, value } => {
                // A lingering close waits (on the reactor): keep it short.
                let value = value.map(|v| v % 2);
                let Some(s) = sockets[pick(socket)].as_ref() else { continue };
                let closed = s.is_closed();
                let result = s.set_linger(value);
                check_closed(closed, &result);
                let got = s.linger();
                check_closed(closed, &got);
            }
        }
    }
    drop(sockets);
}

fuzz_target!(|data: &[u8]| {
    let sb = sandbox();
    let mut u = Unstructured::new(data);
    let mut ops = Vec::new();
    while ops.len() < MAX_OPS {
        match Op::arbitrary(&mut u) {
            Ok(op) => ops.push(op),
            Err(_) => break,
        }
    }
    let described = format!("{ops:?}");
    sb.runtime.block_on(run(sb, ops));
    // Every socket file a bind made went with its socket.
    let left: Vec<_> = std::fs::read_dir(&sb.dir)
        .map(|entries| {
            entries
                .flatten()
                .filter(|e| e.file_type().is_ok_and(|t| {
                    use std::os::unix::fs::FileTypeExt;
                    t.is_socket()
                }))
                .map(|e| e.file_name())
                .collect()
        })
        .unwrap_or_default();
    assert!(left.is_empty(), "socket files left behind: {left:?} after {described}");
    // A lingering close finishes on the reactor (for at most the linger
    // time, here 1 s): give those a bounded moment.
    let mut now = open_fds();
    for _ in 0..300 {
        if now <= sb.baseline_fds {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
        now = open_fds();
    }
    assert!(
        now <= sb.baseline_fds,
        "socket descriptors leak: {now} open ({:?}), {} at the start ({:?}), after {described}",
        fd_list(),
        sb.baseline_fds,
        sb.baseline_list
    );
});
