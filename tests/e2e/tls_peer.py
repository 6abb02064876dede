"""Native TLS peers for the end-to-end tests (Python's `ssl`), on loopback.

    server CERT KEY MODE CONNECTIONS [--alpn P,Q] [--together]
        Listens on 127.0.0.1:0, prints the port, then serves CONNECTIONS
        connections (each on a thread of its own) and exits. MODE:
        `http`: reads a request head and answers 200 with `http_body()`;
        `echo`: sends back what comes, until end of file;
        `script`: obeys lines: `burst N` sends N bytes of `pattern(N)` in
        one call (one TLS record for N up to 16384), `echo TEXT` sends
        `TEXT` and a newline back, `close` ends the connection.
        `--together`: each connection, once its ClientHello has come, waits
        for all CONNECTIONS to have sent theirs before answering it (a
        client that finishes one handshake before starting the next is
        never answered).
        Prints, flushed, one line per event: `accepted`, `handshake ok
        PROTOCOL VERSION SNI`, `handshake failed: REASON`, `request LINE`,
        `end of file with close_notify` / `without close_notify` (`echo`
        and `script`), `together: broken`, `done`.

    client [--alpn P,Q] HOST PORT CA NAME MESSAGE...
        Connects, trusting only CA, for NAME; prints `handshake ok PROTOCOL
        VERSION`; sends each MESSAGE (a number N: `pattern(N)`; anything
        else: its text) while reading its echo (both at once, on one
        thread), and prints `echo N ok` or `echo N differs`; ends with
        close_notify. Exits 1 on an error, having printed `error: REASON`.

Every wait is bounded: 60 s to accept, 30 s per socket operation.
"""

import argparse
import os
import select
import socket
import ssl
import sys
import threading
import time

IO_TIMEOUT = 30
LIMIT = 16 << 20
print_lock = threading.Lock()


def say(line):
    with print_lock:
        print(line, flush=True)


def pattern(n):
    return bytes((i * 7 + 3) % 256 for i in range(n))


def http_body():
    lines = "".join("line %05d over tls\n" % i for i in range(3000))
    return (lines + "hello over tls\n").encode()


def serve_http(tls):
    head = b""
    while b"\r\n\r\n" not in head and len(head) < 65536:
        chunk = tls.recv(4096)
        if not chunk:
            return
        head += chunk
    say("request " + head.split(b"\r\n")[0].decode("latin-1"))
    body = http_body()
    tls.sendall(
        b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\nConnection: close\r\n\r\n"
        % len(body)
        + body
    )


def serve_echo(tls):
    total = 0
    while total < LIMIT:
        chunk = tls.recv(65536)
        if not chunk:
            say("end of file with close_notify")
            return
        total += len(chunk)
        tls.sendall(chunk)


def serve_script(tls):
    """Obeys the lines; "cut" where the connection must end without
    close_notify."""
    lines = tls.makefile("rb")
    for _ in range(1000):
        line = lines.readline(65536)
        if not line:
            say("end of file with close_notify")
            return None
        command, _, argument = line.rstrip(b"\n").partition(b" ")
        if command == b"burst":
            tls.sendall(pattern(int(argument)))
        elif command == b"echo":
            tls.sendall(argument + b"\n")
        elif command == b"cut":
            tls.shutdown(socket.SHUT_RDWR)
            return "cut"
        elif command == b"forge":
            # An application-data record of 32 bytes no key sealed.
            os.write(tls.fileno(), bytes([23, 3, 3, 0, 32]) + bytes(range(32)))
            return "cut"
        else:
            return None
    return None


def serve(connection, context, mode, barrier):
    connection.settimeout(IO_TIMEOUT)
    try:
        if barrier is not None:
            try:
                connection.recv(1, socket.MSG_PEEK)
                barrier.wait(IO_TIMEOUT)
            except threading.BrokenBarrierError:
                say("together: broken")
                return
        try:
            tls = context.wrap_socket(
                connection, server_side=True, suppress_ragged_eofs=False
            )
        except (ssl.SSLError, OSError) as error:
            say("handshake failed: %s" % error)
            return
        say(
            "handshake ok %s %s %s"
            % (tls.selected_alpn_protocol(), tls.version(), getattr(tls, "sni", None))
        )
        ended = {"http": serve_http, "echo": serve_echo, "script": serve_script}[mode](tls)
        if ended != "cut":
            try:
                tls.unwrap()
            except (ssl.SSLError, OSError):
                pass
    except ssl.SSLEOFError:
        say("end of file without close_notify")
    except (ssl.SSLError, OSError) as error:
        say("error: %s" % error)
    finally:
        connection.close()


def server(arguments):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(arguments.cert, arguments.key)
    if arguments.alpn:
        context.set_alpn_protocols(arguments.alpn.split(","))

    def remember_sni(tls, name, _context):
        tls.sni = name

    context.sni_callback = remember_sni
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    listener.settimeout(60)
    say(listener.getsockname()[1])
    barrier = threading.Barrier(arguments.connections) if arguments.together else None
    threads = []
    for _ in range(arguments.connections):
        try:
            connection, _ = listener.accept()
        except OSError:
            break
        say("accepted")
        thread = threading.Thread(
            target=serve, args=(connection, context, arguments.mode, barrier), daemon=True
        )
        thread.start()
        threads.append(thread)
    for thread in threads:
        thread.join(2 * IO_TIMEOUT)
    say("done")


def client(arguments):
    context = ssl.create_default_context(cafile=arguments.ca)
    if arguments.alpn:
        context.set_alpn_protocols(arguments.alpn.split(","))
    try:
        raw = socket.create_connection((arguments.host, arguments.port), IO_TIMEOUT)
        raw.settimeout(IO_TIMEOUT)
        tls = context.wrap_socket(raw, server_hostname=arguments.name)
        say("handshake ok %s %s" % (tls.selected_alpn_protocol(), tls.version()))
        for message in arguments.messages:
            data = pattern(int(message)) if message.isdigit() else message.encode()
            echo = exchange(tls, data)
            say("echo %s %s" % (message, "ok" if echo == data else "differs"))
        tls.unwrap()
        raw.close()
    except (ssl.SSLError, OSError) as error:
        say("error: %s" % error)
        sys.exit(1)


def exchange(tls, data):
    """Sends `data` while reading its echo, both at once on one thread (an
    SSL object serves one thread at a time), until as many bytes came
    back, end of file, or IO_TIMEOUT; what came back."""
    tls.setblocking(False)
    sent = 0
    echo = b""
    deadline = time.monotonic() + IO_TIMEOUT
    while len(echo) < len(data) and time.monotonic() < deadline:
        writing = [tls] if sent < len(data) else []
        select.select([tls], writing, [], 1.0)
        if writing:
            try:
                sent += tls.send(data[sent : sent + 16384])
            except (ssl.SSLWantReadError, ssl.SSLWantWriteError):
                pass
        try:
            while len(echo) < len(data):
                chunk = tls.recv(65536)
                if not chunk:
                    deadline = 0
                    break
                echo += chunk
        except (ssl.SSLWantReadError, ssl.SSLWantWriteError):
            pass
    tls.settimeout(IO_TIMEOUT)
    return echo


def main():
    parser = argparse.ArgumentParser()
    roles = parser.add_subparsers(dest="role", required=True)
    serving = roles.add_parser("server")
    serving.add_argument("cert")
    serving.add_argument("key")
    serving.add_argument("mode", choices=["http", "echo", "script"])
    serving.add_argument("connections", type=int)
    serving.add_argument("--alpn")
    serving.add_argument("--together", action="store_true")
    connecting = roles.add_parser("client")
    connecting.add_argument("host")
    connecting.add_argument("port", type=int)
    connecting.add_argument("ca")
    connecting.add_argument("name")
    connecting.add_argument("--alpn")
    connecting.add_argument("messages", nargs="*")
    arguments = parser.parse_args()
    server(arguments) if arguments.role == "server" else client(arguments)


main()
