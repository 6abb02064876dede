#!/usr/bin/env python3
"""Sums a `perf record` profile of an echo server by component: the
kernel's wake-up and scheduling path, its socket work, wasmtime's
component-model async machinery, the rest of wasmtime, tokio, wasock's
own code, the guest's compiled code, malloc. usage: categories.py PERF.DATA

Without a PMU (this VM) perf samples on a timer, and a sample taken with
interrupts off lands where they are turned back on: the kernel's wake-up
share is where its time is spent with interrupts off, not exact."""
import collections
import re
import subprocess
import sys

report = subprocess.run(
    ["perf", "report", "-i", sys.argv[1], "--no-children", "--sort", "dso,sym",
     "-g", "none", "-q", "--percent-limit", "0"],
    capture_output=True, text=True, check=True).stdout
WAKE = r"irqrestore|unlock_irq\b|finish_task_switch|schedule|try_to_wake|ttwu|enqueue|dequeue|update_curr|pick_next|select_task|psi_|switch_mm|__switch_to|hrtimer|ep_poll|do_epoll|ep_|tick|clockevent|native_write_msr|sched"
# wasmtime keeps its host futures in a futures_util FuturesUnordered.
ASYNC = r"^wasmtime::runtime::component::concurrent|futures_and_streams|concurrent_state|Waitable|GuestTask|fiber|handle_guest_call|tls::get|futures_unordered|atomic_waker|PollFn"
totals = collections.Counter()
for line in report.splitlines():
    m = re.match(r"\s*([\d.]+)%\s+(\[JIT\] tid \d+|\S+)\s+\[(.)\]\s+(.*)", line)
    if not m:
        continue
    share, dso, sym = float(m[1]), m[2], m[4].strip()
    if dso.startswith("[kernel"):
        key = "kernel: wake-ups, scheduling, epoll" if re.search(WAKE, sym) else "kernel: socket, TCP, syscall entry"
    elif dso.startswith("[JIT"):
        key = "guest (compiled wasm)"
    elif re.search(r"malloc|free|realloc|calloc|memalign|_int_|__rust_(de)?alloc", sym):
        key = "malloc/free"
    elif re.search(r"memcpy|memmove|memset", sym):
        key = "memcpy/memset"
    elif "libc" in dso or "libm" in dso or dso == "[vdso]" or re.search(r"^<?&?socket2|std::io|Instant|Timespec", sym):
        key = "libc, socket2 (syscall wrappers), clock"
    elif re.search(ASYNC, sym):
        key = "wasmtime: component-model async (tasks, streams, waitables)"
    elif re.search(r"wasmtime|cranelift|core::any|type_id", sym):
        key = "wasmtime: other (host calls, lift/lower, store)"
    elif "tokio" in sym or "mio::" in sym:
        key = "tokio (scheduler, reactor, wakers)"
    elif "wasock_host" in sym:
        key = "wasock_host"
    else:
        key = f"other ({dso})"
    totals[key] += share
for key, share in totals.most_common():
    print(f"{share:6.2f}%  {key}")
