//! `policy_option LEVEL NAME VALUE`: the low-level `set-option-int` with the
//! host's numbers (e.g. `1 36 1` is SOL_SOCKET SO_MARK on Linux). Prints
//! `set-option ok` or `set-option error <code>: <message>`.
use wasock::{Family, Protocol, Socket, SocketType};

fn main() {
    let numbers: Vec<i32> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let [level, name, value] = numbers[..] else {
        eprintln!("usage: policy_option LEVEL NAME VALUE");
        std::process::exit(2);
    };
    let socket = match Socket::new(Family::Inet, SocketType::Stream, Protocol::DEFAULT) {
        Ok(socket) => socket,
        Err(error) => {
            eprintln!("policy_option: socket: {error}");
            std::process::exit(1);
        }
    };
    match socket.set_option_int(level, name, value) {
        Ok(()) => println!("set-option ok"),
        Err(error) => println!("set-option error {}: {error}", error.code().as_str()),
    }
}
