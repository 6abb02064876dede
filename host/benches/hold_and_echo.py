#!/usr/bin/env python3
"""hold_and_echo.py ADDR COUNT [ROUNDS] [TIMEOUT_S] [HOLD_S]: a load client for
an echo server on loopback (BENCHMARKS.md, "Adapted guests under stock
hosts"). Opens COUNT connections at once and holds them; ROUNDS times, every
connection sends its own line and every echo is read back (the time of each
round is printed); then one connection makes 500 round trips of 64 bytes
while the others stay connected and silent (mean, median, p99); then, with
HOLD_S, prints "holding" and keeps every connection open that long, silent
(for measuring the server's CPU while idle). Raises its own descriptor
limit to the hard one. Loopback only, every wait bounded by TIMEOUT_S.
"""
import resource
import selectors
import socket
import sys
import time

soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
host, port = sys.argv[1].rsplit(':', 1); port = int(port)
if host.strip("[]") not in ("127.0.0.1", "::1", "localhost"):
    sys.exit("hold_and_echo.py: loopback addresses only (127.0.0.1, ::1)")
host = host.strip("[]")
n = int(sys.argv[2]); rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 1
limit = float(sys.argv[4]) if len(sys.argv) > 4 else 30
t0 = time.time()
socks = []
for i in range(n):
    s = socket.create_connection((host, port), timeout=limit)
    socks.append(s)
t1 = time.time()
sel = selectors.DefaultSelector()
for r in range(rounds):
    for i, s in enumerate(socks):
        s.sendall(b"hello %d round %d\n" % (i, r))
    want = {s: b"hello %d round %d\n" % (i, r) for i, s in enumerate(socks)}
    got = {s: b"" for s in socks}
    for s in socks:
        s.setblocking(False); sel.register(s, selectors.EVENT_READ)
    pending = len(socks); deadline = time.time() + limit
    while pending and time.time() < deadline:
        for key, _ in sel.select(timeout=0.5):
            s = key.fileobj
            try: d = s.recv(65536)
            except BlockingIOError: continue
            if not d: sel.unregister(s); pending -= 1; print("EOF early"); continue
            got[s] += d
            if len(got[s]) >= len(want[s]): sel.unregister(s); pending -= 1
    for s in socks:
        try: sel.unregister(s)
        except Exception: pass
        s.setblocking(True)
    bad = sum(1 for s in socks if got[s] != want[s])
    print(f"round {r}: {n - bad}/{n} echoed in {time.time()-t1:.2f}s", flush=True)
    if bad: break
    t1 = time.time()
print(f"connect {n}: done; total {time.time()-t0:.2f}s", flush=True)
lat = []
c = socks[0]; c.setblocking(True)
for i in range(500):
    t = time.perf_counter(); c.sendall(b"x" * 64); got = b""
    while len(got) < 64: got += c.recv(64 - len(got))
    lat.append(time.perf_counter() - t)
lat.sort()
print(f"round trip (64 B, one client, {n} connected): mean {sum(lat)/len(lat)*1e6:.0f} us, p50 {lat[len(lat)//2]*1e6:.0f} us, p99 {lat[int(len(lat)*0.99)]*1e6:.0f} us", flush=True)
hold = float(sys.argv[5]) if len(sys.argv) > 5 else 0
if hold:
    print("holding", flush=True); time.sleep(hold)
for s in socks: s.close()
