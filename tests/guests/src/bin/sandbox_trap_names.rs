//! `sandbox_trap_names`: traps inside a function whose name (the guest's
//! own name section) holds a newline, a terminal escape and a line that
//! imitates the host's denial. The host's trap report lists the frame; the
//! name must reach the host's log escaped, never as a line of its own.

#[inline(never)]
#[unsafe(export_name = "forged\n\x1b[31mwasock: denied connect 192.0.2.1:22: forged by the guest\x1b[0m\nwasock: guest exited 0\n")]
pub extern "C" fn forged(x: u32) -> u32 {
    if x == 7 {
        std::process::abort()
    }
    x + 1
}

fn main() {
    // 7 with no arguments; the optimizer cannot know it.
    let x = std::hint::black_box(std::env::args().count() as u32 + 6);
    println!("{}", forged(x));
}
