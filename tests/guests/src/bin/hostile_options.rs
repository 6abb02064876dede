//! `hostile_options`: option calls with the wrong size, too much data,
//! unknown levels and names and out-of-range values. Prints one `case: ok`
//! or `case: class/code (message)` line per case, then `hostile options
//! done`. Unknown levels are guarded: permission-denied without
//! `--allow-raw`, the OS's answer with it.

use std::time::Duration;

use wasock::constants::{IPPROTO_TCP, SO_REUSEADDR, SO_TYPE, SOL_SOCKET};
use wasock::{Family, Protocol, Socket, SocketType};

fn report<T>(case: &str, result: wasock::Result<T>) {
    match result {
        Ok(_) => println!("{case}: ok"),
        Err(e) => println!(
            "{case}: {}/{} ({})",
            e.class(),
            e.code().as_str(),
            e.message()
        ),
    }
}

fn fail(what: &str, e: impl std::fmt::Display) -> ! {
    eprintln!("hostile_options: {what}: {e}");
    std::process::exit(1)
}

fn main() {
    let sol_socket = SOL_SOCKET.get().unwrap_or_else(|e| fail("SOL_SOCKET", e));
    let tcp_level = IPPROTO_TCP.get().unwrap_or_else(|e| fail("IPPROTO_TCP", e));
    let reuse = SO_REUSEADDR
        .get()
        .unwrap_or_else(|e| fail("SO_REUSEADDR", e));
    let so_type = SO_TYPE.get().unwrap_or_else(|e| fail("SO_TYPE", e));
    let s = Socket::new(Family::Inet, SocketType::Stream, Protocol::DEFAULT)
        .unwrap_or_else(|e| fail("socket", e));

    report(
        "bytes_one_for_int",
        s.set_option_bytes(sol_socket, reuse, &[1]),
    );
    report(
        "bytes_one_mib",
        s.set_option_bytes(sol_socket, reuse, &vec![1u8; 1 << 20]),
    );
    report("bytes_empty", s.set_option_bytes(sol_socket, reuse, &[]));
    report("unknown_level_get", s.get_option_int(9999, 1));
    report("unknown_level_set", s.set_option_int(9999, 1, 1));
    report("unknown_level_bytes", s.get_option_bytes(-5, 1, 16));
    report("unknown_name_get", s.get_option_int(sol_socket, 9999));
    report("unknown_name_set", s.set_option_int(sol_socket, 9999, 1));
    report("unknown_tcp_name", s.get_option_int(tcp_level, 9999));
    report("read_only_set", s.set_option_int(sol_socket, so_type, 1));
    report(
        "receive_buffer_u32_max",
        s.set_receive_buffer_size(u32::MAX),
    );
    report("ttl_zero", s.set_ip_time_to_live(0));
    report(
        "linger_huge",
        s.set_linger(Some(Duration::from_secs(u64::from(u32::MAX) + 1))),
    );
    report("send_low_water_set", s.set_send_low_water(1));
    report("tcp_no_options", s.tcp_no_options());
    // Still usable after all that.
    report("reuse_after", s.set_reuse_address(true));
    println!("hostile options done");
}
