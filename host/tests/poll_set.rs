//! The poll-set logic (`wasock_host::poll_set`) on real sockets, without
//! WIT: registration, level and edge triggering, zero-timeout waits, the
//! timeout, the per-call cap, removal, and the per-guest accounting.

use std::io::Write;
use std::net::{TcpListener, TcpStream};
use std::os::fd::AsRawFd;
use std::time::{Duration, Instant};

use wasock_host::error::ErrorCode;
use wasock_host::poll_set::{
    MAX_EVENTS_PER_WAIT, MAX_SETS_PER_GUEST, Memberships, PollSet, Registration, Trigger,
};
use wasock_host::socket::Readiness;

const READABLE: Readiness = Readiness {
    readable: true,
    writable: false,
};

fn pair() -> (TcpStream, TcpStream) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("listener");
    let client = TcpStream::connect(listener.local_addr().expect("address")).expect("connect");
    let (server, _) = listener.accept().expect("accept");
    (client, server)
}

fn registration(trigger: Trigger, token: u64) -> Registration {
    Registration {
        interest: READABLE,
        trigger,
        token,
    }
}

fn tokens(set: &mut PollSet) -> Vec<u64> {
    set.wait_now(16)
        .expect("wait")
        .into_iter()
        .map(|e| e.token)
        .collect()
}

#[tokio::test]
async fn level_reports_while_unread_and_edge_once_per_arrival() {
    let mut set = PollSet::create().expect("set");
    let (mut level_peer, level) = pair();
    let (mut edge_peer, edge) = pair();
    set.add(level.as_raw_fd(), registration(Trigger::Level, 1))
        .expect("add level");
    set.add(edge.as_raw_fd(), registration(Trigger::Edge, 2))
        .expect("add edge");
    assert!(tokens(&mut set).is_empty(), "nothing written yet");
    level_peer.write_all(b"x").expect("write");
    edge_peer.write_all(b"x").expect("write");
    let ready = set
        .wait(Some(Duration::from_secs(10)), 16)
        .await
        .expect("wait");
    assert!(!ready.is_empty());
    // Both may not be in the first batch; collect until both were seen.
    let mut seen: Vec<u64> = ready.iter().map(|e| e.token).collect();
    for _ in 0..100 {
        if seen.contains(&1) && seen.contains(&2) {
            break;
        }
        seen.extend(tokens(&mut set));
        std::thread::sleep(Duration::from_millis(5));
    }
    assert!(seen.contains(&1) && seen.contains(&2), "{seen:?}");
    // Unread: level again, edge not.
    assert_eq!(tokens(&mut set), vec![1]);
    assert_eq!(tokens(&mut set), vec![1]);
    edge_peer.write_all(b"y").expect("write");
    let mut again = Vec::new();
    for _ in 0..100 {
        again = tokens(&mut set);
        if again.contains(&2) {
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    assert!(again.contains(&2), "new data re-arms an edge: {again:?}");
    let event = set.wait_now(16).expect("wait");
    assert!(event.iter().all(|e| e.token == 1));
    assert!(event.iter().all(|e| e.ready.readable && !e.ready.writable));
}

#[tokio::test]
async fn the_timeout_returns_no_events_and_zero_max_events_is_invalid() {
    let mut set = PollSet::create().expect("set");
    let (_peer, socket) = pair();
    set.add(socket.as_raw_fd(), registration(Trigger::Level, 7))
        .expect("add");
    let start = Instant::now();
    let ready = set
        .wait(Some(Duration::from_millis(100)), 16)
        .await
        .expect("wait");
    assert!(ready.is_empty());
    assert!(start.elapsed() >= Duration::from_millis(90));
    let error = set.wait(None, 0).await.expect_err("max-events 0");
    assert_eq!(error.code, ErrorCode::InvalidArgument);
}

#[tokio::test]
async fn one_wait_returns_at_most_the_cap() {
    let mut set = PollSet::create().expect("set");
    let mut pairs = Vec::new();
    for token in 0..(MAX_EVENTS_PER_WAIT as u64 + 10) {
        let (mut peer, socket) = pair();
        peer.write_all(b"x").expect("write");
        set.add(socket.as_raw_fd(), registration(Trigger::Level, token))
            .expect("add");
        pairs.push((peer, socket));
    }
    let ready = set.wait(None, usize::MAX).await.expect("wait");
    assert_eq!(ready.len(), MAX_EVENTS_PER_WAIT);
    assert_eq!(set.wait_now(3).expect("wait").len(), 3);
}

#[tokio::test]
async fn add_twice_modify_and_remove() {
    let mut set = PollSet::create().expect("set");
    let (mut peer, socket) = pair();
    let fd = socket.as_raw_fd();
    set.add(fd, registration(Trigger::Level, 1)).expect("add");
    let twice = set
        .add(fd, registration(Trigger::Level, 1))
        .expect_err("twice");
    assert_eq!(twice.code, ErrorCode::InvalidArgument);
    set.modify(fd, registration(Trigger::Level, 5))
        .expect("modify");
    peer.write_all(b"x").expect("write");
    let ready = set
        .wait(Some(Duration::from_secs(10)), 16)
        .await
        .expect("wait");
    assert_eq!(ready.iter().map(|e| e.token).collect::<Vec<_>>(), vec![5]);
    assert!(set.remove(fd).expect("remove"));
    assert!(!set.remove(fd).expect("remove again"));
    assert!(set.is_empty());
    assert!(tokens(&mut set).is_empty());
    let missing = set
        .modify(fd, registration(Trigger::Level, 1))
        .expect_err("modify after remove");
    assert_eq!(missing.code, ErrorCode::InvalidArgument);
}

#[test]
fn memberships_bound_sets_and_registrations_and_forget_a_closing_socket() {
    let mut members = Memberships::default();
    for _ in 0..MAX_SETS_PER_GUEST {
        members.reserve_set("create").expect("a set");
    }
    let over = members.reserve_set("create").expect_err("one too many");
    assert_eq!(over.code, ErrorCode::TooManySockets);
    members.check_room("add", 2).expect("room");
    members.joined(10, 1);
    members.joined(10, 2);
    let full = members.check_room("add", 2).expect_err("full");
    assert_eq!(full.code, ErrorCode::TooManySockets);
    assert_eq!(members.take(10), vec![1, 2]);
    assert_eq!(members.registrations(), 0);
    members.joined(11, 3);
    members.set_dropped(3, [11]);
    assert_eq!(
        (members.registrations(), members.sets()),
        (0, MAX_SETS_PER_GUEST - 1)
    );
}
