#!/bin/bash
# Profiles one echo server while the echo benchmark's client drives it
# (BENCHMARKS.md, "Where the time goes"). Build first:
#   cargo bench -p wasock-host --bench echo --no-run
#
# usage: server.sh SERVER SIZE COUNT MODE [OUT]
#   SERVER  A (the benchmark's native server) or a guest .wasm for `wasock run`
#   SIZE    bytes per round trip; 0: connections (connect, 1-byte echo, close)
#   COUNT   round trips (or connections), after 2,000 of warm-up
#   MODE    stat    perf stat: task-clock, context switches, syscalls by kind
#           record  perf record -g (then: categories.py OUT.data)
#           dwarf   perf record --call-graph dwarf
#           strace  strace -c -f
#           none    only the server's utime + stime
#   OUT     output prefix (default /tmp/echo-profile)
# SERVER_CPU / CLIENT_CPU (optional) pin the server and the client with
# taskset: the same CPU for both, or two, gives the two wake-up modes.
set -eu
SERVER=$1 SIZE=$2 COUNT=$3 MODE=$4 OUT=${5:-/tmp/echo-profile}
ROOT=$(cd "$(dirname "$0")/../../.." && pwd)
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
BENCH=$(ls -t "$TARGET"/release/deps/echo-* | grep -v '\.d$' | head -1)
WASOCK=$TARGET/release/wasock
pin() { if [ -n "${1:-}" ]; then echo "taskset -c $1"; fi; }
if [ "$SERVER" = A ]; then
  coproc NATIVE { exec $(pin "${SERVER_CPU:-}") "$BENCH" --serve-native; }
  read -r line <&"${NATIVE[0]}"
  ADDRESS=${line#listening on }
  PID=$NATIVE_PID
else
  rm -f "$OUT.server"
  $(pin "${SERVER_CPU:-}") "$WASOCK" run --allow-bind '127.0.0.1:*' "$SERVER" 127.0.0.1:0 >"$OUT.server" 2>&1 &
  PID=$!
  for _ in $(seq 200); do grep -q listening "$OUT.server" 2>/dev/null && break; sleep 0.1; done
  ADDRESS=$(sed -n 's/^listening on //p' "$OUT.server" | head -1)
fi
"$BENCH" --round-trip-client "$ADDRESS" "$SIZE" 2000 >/dev/null
SYSCALLS=raw_syscalls:sys_enter,syscalls:sys_enter_recvfrom,syscalls:sys_enter_sendto,syscalls:sys_enter_epoll_wait,syscalls:sys_enter_futex,syscalls:sys_enter_accept4,syscalls:sys_enter_epoll_ctl
case $MODE in
  stat) perf stat -e task-clock,context-switches,$SYSCALLS -p "$PID" -o "$OUT.stat" & TOOL=$! ;;
  record) perf record -g -o "$OUT.data" -p "$PID" 2>/dev/null & TOOL=$! ;;
  dwarf) perf record --call-graph dwarf,16384 -F 2000 -o "$OUT.data" -p "$PID" 2>/dev/null & TOOL=$! ;;
  strace) strace -c -f -p "$PID" -o "$OUT.strace" & TOOL=$! ;;
  none) TOOL= ;;
esac
sleep 0.5
BEFORE=$(awk '{print $14 + $15}' /proc/"$PID"/stat)
$(pin "${CLIENT_CPU:-}") "$BENCH" --round-trip-client "$ADDRESS" "$SIZE" "$COUNT"
AFTER=$(awk '{print $14 + $15}' /proc/"$PID"/stat)
echo "server utime + stime: $((AFTER - BEFORE)) ticks for $COUNT operations"
if [ -n "$TOOL" ]; then kill -INT "$TOOL"; wait "$TOOL" || true; fi
kill "$PID"; wait "$PID" 2>/dev/null || true
if [ "$MODE" = stat ]; then
  awk -v n="$COUNT" '/task-clock/ {gsub(",", "", $1); printf "task-clock %.2f us/op\n", $1 * 1000 / n}
    /context-switches|sys_enter/ {gsub(",", "", $1); printf "%s %.2f /op\n", $2, $1 / n}' "$OUT.stat"
fi
