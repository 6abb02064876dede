//! `policy_env_dir NAME DIR`: prints `env NAME=<value>` (or `env NAME unset`)
//! and `file <contents>` of DIR/hello.txt through wasi:filesystem (a
//! `--dir` preopen), or `file error <message>`.
fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [name, dir] = &args[..] else {
        eprintln!("usage: policy_env_dir NAME DIR");
        std::process::exit(2);
    };
    match std::env::var(name) {
        Ok(value) => println!("env {name}={value}"),
        Err(_) => println!("env {name} unset"),
    }
    match std::fs::read_to_string(format!("{dir}/hello.txt")) {
        Ok(text) => println!("file {}", text.trim_end()),
        Err(error) => println!("file error {error}"),
    }
}
