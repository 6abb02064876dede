//! Socket options through guests under the real binary: the typed
//! options round trip (and those only the host layer tested before), the
//! low-level calls agree with them, and `so-error` reads a real pending
//! error and clears it.
//!
//! Run: `cargo test -p wasock-host --test e2e options::`

use std::thread;

use wasock_tests::{Wasock, guest, output_text, skip};

use crate::WASOCK;
use crate::common::{
    TIMEOUT, after, assert_success, connecting_to, listener, so_error_guest, succeeded,
};

/// The typed options only tested at the host layer, through the WIT:
/// `so-debug?` (a set gives ok or a typed error; get works), send and
/// receive buffers (at least the value set), `so-send-low-water` (reads;
/// set is class unsupported), `tcp-max-segment-size` (in (0, 1200] after
/// setting 1200, before and after connecting).
#[test]
fn typed_options_through_a_guest() {
    let (listener, address) = listener();
    let acceptor = thread::spawn(move || listener.accept().map(|(stream, _)| stream));
    let output = connecting_to("spec_options", address).run(TIMEOUT);
    let stdout = succeeded(&output, "spec_options: ok");
    let all = output_text(&output);
    let debug_set = after(&stdout, "so-debug set: ", &all);
    let debug_get = after(&stdout, "so-debug get: ", &all);
    if debug_set == "ok" {
        assert_eq!(debug_get, "true", "{all}");
    } else {
        // Without CAP_NET_ADMIN: a typed error of the OS's answer.
        assert!(
            debug_set.starts_with("fatal/") || debug_set.starts_with("unsupported/"),
            "{all}"
        );
        skip(
            "typed_options_through_a_guest",
            &format!("so-debug set refused here ({debug_set}); its round trip unchecked"),
        );
    }
    let low: u32 = after(&stdout, "so-send-low-water get: ", &all)
        .parse()
        .expect("a number");
    assert!(low > 0, "{all}");
    assert!(
        after(&stdout, "so-send-low-water set: ", &all)
            .starts_with("unsupported/option-not-supported"),
        "{all}"
    );
    let mss: u32 = after(&stdout, "tcp-max-segment-size connected: got ", &all)
        .parse()
        .expect("a number");
    assert!(mss > 0 && mss <= 1200, "{all}");
    acceptor
        .join()
        .expect("acceptor")
        .expect("the guest connected");
}

/// Typed options round trip, the low-level SO_LINGER example agrees with
/// the typed accessor, and the constants are the host's (Linux) numbers.
#[test]
fn options_round_trip_and_constants_come_from_the_host() {
    let output = Wasock::new(WASOCK, guest("sdk_options"))
        .flag("--allow-bind")
        .flag("127.0.0.1:*")
        .run(TIMEOUT);
    assert_success(&output, "sdk_options: ok");
    let stdout = String::from_utf8_lossy(&output.stdout);
    if cfg!(target_os = "linux") {
        for line in [
            "sol/socket=1",
            "so/reuseaddr=2",
            "ipproto/tcp=6",
            "tcp/nodelay=1",
            "so/linger=13",
            "af/inet=2 sock/dgram=2",
        ] {
            assert!(
                stdout.lines().any(|l| l == line),
                "no line {line:?}\n{}",
                output_text(&output)
            );
        }
    }
}

/// What the kernel holds stays within the host's ceiling when a guest
/// asks for more through an option that sizes kernel memory, typed or
/// low-level: `SO_RCVLOWAT` of 1 GiB (which would make Linux grow the
/// receive buffer to `tcp_rmem[2]`, 32 MiB on some hosts) leaves the mark
/// at the ceiling and the buffer at most twice it (Linux sizes a buffer
/// for a mark about twice the mark); `TCP_WINDOW_CLAMP` and
/// `TCP_NOTSENT_LOWAT` of `INT_MAX` read back at most the ceiling. (Where
/// `tcp_rmem[2]` is at most twice the ceiling, the kernel's own cap hides
/// the difference.) And `SO_LINGER` of 100 s reads back 100 s on both
/// paths, though the host lingers at most its 30 s (the guest checks).
#[test]
fn kernel_memory_options_stay_under_the_ceiling() {
    const CEILING: u64 = wasock_host::policy::options::BUFFER_SIZE_CEILING as u64;
    let output = Wasock::new(WASOCK, guest("sdk_options"))
        .flag("--allow-bind")
        .flag("127.0.0.1:*")
        .run(TIMEOUT);
    let stdout = succeeded(&output, "sdk_options: ok");
    let all = output_text(&output);
    let number = |text: &str| -> u64 { text.parse().unwrap_or_else(|_| panic!("{text}\n{all}")) };
    for path in ["typed", "low-level"] {
        let line = after(&stdout, &format!("rcvlowat 1 GiB {path}: "), &all);
        let fields: Vec<&str> = line.split_whitespace().collect();
        let (mark, buffer) = match fields.as_slice() {
            ["rcvlowat", mark, "rcvbuf", buffer] => (number(mark), number(buffer)),
            _ => panic!("{line}\n{all}"),
        };
        assert!(mark <= CEILING, "{path}: SO_RCVLOWAT {mark}\n{all}");
        assert!(
            buffer <= 2 * CEILING,
            "{path}: SO_RCVBUF grew to {buffer}\n{all}"
        );
    }
    for option in ["window-clamp", "notsent-lowat"] {
        let value = number(after(&stdout, &format!("{option} INT_MAX: "), &all));
        assert!(value <= CEILING, "{option}: {value}\n{all}");
    }
    assert!(stdout.contains("linger 100 s: typed set"), "{all}");
}

/// `so-error` (`Socket::take_error`) reads a real pending error and clears
/// it: fresh sockets have none; a connected UDP socket whose datagram drew
/// an ICMP port unreachable has `connection-refused` pending, a TCP
/// connection the peer reset has `connection-reset` pending, each once.
#[test]
fn so_error_reads_and_clears_a_real_pending_error() {
    let output = so_error_guest();
    let stdout = succeeded(&output, "spec_so_error: ok");
    let all = output_text(&output);
    for (line, expected) in [
        ("udp fresh: ", "none"),
        ("udp pending: ", "transient/connection-refused"),
        ("udp after: ", "none"),
        ("tcp fresh: ", "none"),
        ("tcp pending: ", "fatal/connection-reset"),
        ("tcp after: ", "none"),
    ] {
        assert_eq!(after(&stdout, line, &all), expected, "{line}");
    }
}
