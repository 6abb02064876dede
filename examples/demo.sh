#!/usr/bin/env bash
# The first thing to run on a fresh clone: builds the `wasock` host binary
# and the example guests, starts the echo-server guest on a free loopback
# port, runs the echo-client guest against it, and shows what each printed.
#
#   bash examples/demo.sh [MESSAGE]
#
# Both guests run sandboxed: the server may only bind an ephemeral port on
# 127.0.0.1, the client may only connect to that one address (numeric, so
# it is parsed, not looked up: no --allow-dns).
# Bounded in time; the server is stopped and temporary files removed on exit.
set -euo pipefail

cd "$(dirname "$0")/.."
message="${1:-hello from a wasock guest}"

# rustup installs rust-toolchain.toml's wasm32-wasip2 target only when it
# installs the toolchain itself; add it here when it is missing, so a
# machine that already had Rust 1.95.0 works too.
sysroot="$(rustc --print sysroot)"
if [ ! -d "$sysroot/lib/rustlib/wasm32-wasip2/lib" ]; then
    if command -v rustup >/dev/null 2>&1; then
        echo "==> the wasm32-wasip2 target is missing: rustup target add wasm32-wasip2"
        rustup target add wasm32-wasip2 || {
            echo "demo: adding the wasm32-wasip2 target failed; run \`rustup target add wasm32-wasip2\` and try again" >&2
            exit 1
        }
    else
        echo "demo: the wasm32-wasip2 target is not installed ($sysroot), and there is no rustup to add it: install the standard library for wasm32-wasip2" >&2
        exit 1
    fi
fi

# Cargo's own progress is shown: the first build compiles wasmtime, which
# takes several minutes on two cores; later ones are incremental.
echo "==> building the host (wasock; the first time compiles wasmtime: several minutes)"
cargo build -p wasock-host --bin wasock
echo "==> building the example guests (wasm32-wasip2)"
cargo build --release --target wasm32-wasip2 -p wasock-examples
target_dir="${CARGO_TARGET_DIR:-target}"
wasock="$target_dir/debug/wasock"
guests="$target_dir/wasm32-wasip2/release"

# Runs a command with a time limit where `timeout` exists (GNU coreutils).
bounded() {
    local seconds="$1"
    shift
    if command -v timeout >/dev/null 2>&1; then
        timeout "$seconds" "$@"
    else
        "$@"
    fi
}

work="$(mktemp -d)"
server_pid=""
cleanup() {
    if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

echo "==> starting: wasock run --allow-bind 127.0.0.1:0 echo-server.wasm 127.0.0.1:0 1"
"$wasock" run --allow-bind 127.0.0.1:0 "$guests/echo-server.wasm" 127.0.0.1:0 1 \
    >"$work/server.out" 2>"$work/server.err" &
server_pid=$!

address=""
for _ in $(seq 600); do # up to 60 s for the guest to compile and bind
    address="$(sed -n 's/^listening on //p' "$work/server.out")"
    [ -n "$address" ] && break
    if ! kill -0 "$server_pid" 2>/dev/null; then
        echo "echo-server exited early:" >&2
        cat "$work/server.out" "$work/server.err" >&2
        exit 1
    fi
    sleep 0.1
done
if [ -z "$address" ]; then
    echo "echo-server did not start listening within 60 s" >&2
    exit 1
fi
echo "    echo-server: listening on $address"

echo "==> running: wasock run --allow-connect $address echo-client.wasm $address \"$message\""
echo "    echo-client printed:"
bounded 60 "$wasock" run --allow-connect "$address" "$guests/echo-client.wasm" "$address" "$message" \
    | sed 's/^/      /'

# The server was told to serve one connection, so it ends by itself.
for _ in $(seq 100); do # up to 10 s
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.1
done
if kill -0 "$server_pid" 2>/dev/null; then
    echo "echo-server is still running after its one client; stopping it" >&2
    exit 1
fi
if wait "$server_pid"; then
    echo "==> echo-server served its client and exited cleanly"
else
    echo "echo-server failed:" >&2
    cat "$work/server.err" >&2
    exit 1
fi
server_pid=""
