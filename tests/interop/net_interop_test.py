#!/usr/bin/env python3
"""Interop test of the tool's network subcommands against plain python3 peers.

* `wirepack echo-server` is driven by clients written with `socket` and `struct`
  only: over TCP on 127.0.0.1 and ::1 and over a Unix socket; frames cut into
  every kind of chunk; many clients at once; hostile clients (huge length,
  garbage, a disconnect inside a frame, a sender that never reads) next to a
  well-behaved one that must keep getting prompt replies; other frame headers;
  SIGINT and SIGTERM; a stale Unix socket file; running out of descriptors.
* `wirepack send` talks to echo servers written in Python.

Usage (as ctest runs it):
    net_interop_test.py --tool build/wirepack [--only NAME...] [--seed N]

Loopback and Unix sockets only. Every wait has a timeout, and every server the
test starts is killed and its files removed whatever happens.
"""

from __future__ import annotations

import os
import random
import re
import select
import signal
import socket
import struct
import sys
import threading
import time

sys.dont_write_bytecode = True  # importing the harness leaves no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tool_harness as harness  # noqa: E402
from tool_harness import WAIT, Failure, Running, check, run_tool  # noqa: E402

SEED = 20240611


# ---------------------------------------------------------------------------------------
# Peers
# ---------------------------------------------------------------------------------------


def connect(address: str, timeout: float = WAIT) -> socket.socket:
    """A connected socket to "HOST:PORT", "[V6]:PORT" or a Unix path."""
    if address.startswith("/"):
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(timeout)
        sock.connect(address)
        return sock
    host, port = address.rsplit(":", 1)
    sock = socket.create_connection((host.strip("[]"), int(port)), timeout=timeout)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def local_name(sock: socket.socket) -> str:
    """The client's own address as the server's reports spell its peer."""
    name = sock.getsockname()
    return f"[{name[0]}]:{name[1]}" if sock.family == socket.AF_INET6 else f"{name[0]}:{name[1]}"


def recv_exact(sock: socket.socket, count: int) -> bytes:
    parts = []
    while count:
        chunk = sock.recv(min(count, 1 << 20))
        if not chunk:
            raise Failure(f"connection closed with {count} bytes of a reply missing")
        parts.append(chunk)
        count -= len(chunk)
    return b"".join(parts)


def frame(payload: bytes) -> bytes:
    return struct.pack("!I", len(payload)) + payload


def read_frame(sock: socket.socket) -> bytes:
    (length,) = struct.unpack("!I", recv_exact(sock, 4))
    return recv_exact(sock, length)


def round_trip(sock: socket.socket, payload: bytes) -> None:
    sock.sendall(frame(payload))
    reply = read_frame(sock)
    check(reply == payload, f"echo of {len(payload)} bytes came back as {len(reply)} different bytes")


def closed_by_server(sock: socket.socket, timeout: float = WAIT) -> bool:
    """Whether the server closes `sock` within `timeout` (reading and dropping what comes)."""
    sock.settimeout(timeout)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            if not sock.recv(1 << 16):
                return True
    except (ConnectionResetError, BrokenPipeError):
        return True
    except socket.timeout:
        return False
    return False


def split_randomly(rng: random.Random, data: bytes, pieces: int) -> list[bytes]:
    if len(data) < 2:
        return [data]
    cuts = sorted(rng.sample(range(1, len(data)), min(pieces, len(data) - 1)))
    return [data[a:b] for a, b in zip([0] + cuts, cuts + [len(data)])]


def run_in_thread(target, *arguments) -> tuple[threading.Thread, dict]:
    """Starts `target(*arguments)` in a daemon thread; the dict gets "result" or "error"."""
    outcome: dict = {}

    def body():
        try:
            outcome["result"] = target(*arguments)
        except BaseException as e:  # reported by join_thread
            outcome["error"] = e

    thread = threading.Thread(target=body, daemon=True)
    thread.start()
    return thread, outcome


def join_thread(thread: threading.Thread, outcome: dict, what: str, timeout: float = 60.0):
    thread.join(timeout)
    check(not thread.is_alive(), f"{what}: still running after {timeout} s")
    if "error" in outcome:
        raise Failure(f"{what}: {outcome['error']!r}")
    return outcome.get("result")


# ---------------------------------------------------------------------------------------
# The server under test
# ---------------------------------------------------------------------------------------


class EchoServer(Running):
    """`wirepack echo-server` running, with its address parsed from "listening on ..."."""

    def __init__(self, directory: str, listen: list[str], *options: str, shell_prefix: str = ""):
        super().__init__(directory, ["echo-server", *listen, *options], shell_prefix=shell_prefix)


def listen_options(kind: str, directory: str) -> list[str]:
    if kind == "tcp4":
        return ["--tcp", "127.0.0.1:0"]
    if kind == "tcp6":
        return ["--tcp", "[::1]:0"]
    return ["--unix", os.path.join(directory, f"echo-{time.monotonic_ns()}.sock")]


# ---------------------------------------------------------------------------------------
# echo-server tests
# ---------------------------------------------------------------------------------------

CHUNK_SIZES = [0, 1, 2, 3, 4, 5, 7, 100, 255, 256, 1000, 4095, 4096, 65535, 65536, 65537, 100_000, 256 << 10]


def test_chunking(directory: str, rng: random.Random) -> None:
    """Frames of 0..256 KiB, sent byte by byte, in random pieces, and all in one sendall."""
    kinds = ["tcp4", "unix"] + (["tcp6"] if harness.ipv6_loopback_works() else [])
    if "tcp6" not in kinds:
        print("  (no IPv6 loopback: ::1 skipped)")
    for kind in kinds:
        with EchoServer(directory, listen_options(kind, directory)) as server:
            if kind == "tcp6":
                check(server.address.startswith("[::1]:"), f"listening on {server.address}")
            elif kind == "tcp4":
                check(re.fullmatch(r"127\.0\.0\.1:[1-9]\d*", server.address) is not None, server.address)
            payloads = [rng.randbytes(size) for size in CHUNK_SIZES]

            with connect(server.address) as sock:  # byte by byte: the small frames
                for payload in payloads[:10]:
                    for byte in frame(payload):
                        sock.sendall(bytes([byte]))
                    check(read_frame(sock) == payload, f"{kind}: byte-by-byte frame of {len(payload)} bytes")

            with connect(server.address) as sock:  # random pieces, each frame cut up to 20 ways
                for payload in payloads:
                    for piece in split_randomly(rng, frame(payload), rng.randint(1, 20)):
                        sock.sendall(piece)
                    check(read_frame(sock) == payload, f"{kind}: frame of {len(payload)} bytes in pieces")

            with connect(server.address) as sock:  # every frame in one sendall, read concurrently
                stream = b"".join(frame(p) for p in payloads)
                reader, outcome = run_in_thread(lambda: [read_frame(sock) for _ in payloads])
                sock.sendall(stream)
                replies = join_thread(reader, outcome, f"{kind}: reading the batch")
                check(replies == payloads, f"{kind}: a batch of {len(payloads)} frames came back different")

                # Pieces that cut across frame boundaries.
                reader, outcome = run_in_thread(lambda: [read_frame(sock) for _ in payloads])
                for piece in split_randomly(rng, stream, 200):
                    sock.sendall(piece)
                replies = join_thread(reader, outcome, f"{kind}: reading the cut-up batch")
                check(replies == payloads, f"{kind}: a cut-up batch came back different")
            check(server.stop() == 0, f"{kind}: exit status after SIGTERM")
            check("closed" not in server.stderr(), f"{kind}: unexpected report: {server.stderr()!r}")


def test_many_clients(directory: str, rng: random.Random) -> None:
    """32 clients at once, 50 frames each, over TCP and over a Unix socket."""
    for kind in ["tcp4", "unix"]:
        with EchoServer(directory, listen_options(kind, directory)) as server:

            def client(seed: int) -> int:
                own = random.Random(seed)
                with connect(server.address) as sock:
                    for _ in range(50):
                        size = own.choice([0, 1, own.randint(2, 512), own.randint(512, 8192), own.randint(8192, 70000)])
                        round_trip(sock, own.randbytes(size))
                return 50

            threads = [run_in_thread(client, rng.random()) for _ in range(32)]
            total = sum(join_thread(t, o, f"{kind}: client {i}") for i, (t, o) in enumerate(threads))
            check(total == 32 * 50, f"{kind}: {total} round trips")
            check(server.stop() == 0, f"{kind}: exit status after SIGTERM")


class SteadyClient:
    """A well-behaved client that keeps round-tripping and records its slowest reply."""

    def __init__(self, address: str):
        self.sock = connect(address)
        self.name = local_name(self.sock)
        self.slowest = 0.0
        self.count = 0
        self.stopping = threading.Event()
        self.thread, self.outcome = run_in_thread(self._run)

    def _run(self) -> None:
        own = random.Random(7)
        while not self.stopping.is_set():
            payload = own.randbytes(own.randint(0, 2048))
            started = time.monotonic()
            round_trip(self.sock, payload)
            self.slowest = max(self.slowest, time.monotonic() - started)
            self.count += 1
            time.sleep(0.002)

    def finish(self) -> None:
        self.stopping.set()
        join_thread(self.thread, self.outcome, "the well-behaved client")
        self.sock.close()


def stall(address: str, limit: int) -> int:
    """Sends frames and never reads, until the server stops taking bytes for 0.5 s;
    returns how many bytes it took (failing past `limit`). The socket stays open."""
    sock = connect(address)
    sock.setblocking(False)
    chunk = frame(bytes(256 << 10))
    sent = 0
    pending = memoryview(chunk)
    last_progress = time.monotonic()
    while time.monotonic() - last_progress < 0.5:
        check(sent <= limit, f"a client that never reads got {sent} bytes in: no backpressure")
        try:
            count = sock.send(pending)
        except BlockingIOError:
            select.select([], [sock], [], 0.1)
            continue
        sent += count
        last_progress = time.monotonic()
        pending = pending[count:] or memoryview(chunk)
    STALLED.append(sock)
    return sent


STALLED: list[socket.socket] = []


def test_hostile_peers(directory: str, rng: random.Random) -> None:
    """Bad and stalled clients are closed or held back; a good client is not slowed down."""
    with EchoServer(directory, listen_options("tcp4", directory), "--max-frame", "1000000") as server:
        steady = SteadyClient(server.address)
        try:
            time.sleep(0.1)

            huge = connect(server.address)  # length 0xffffffff
            huge.sendall(b"\xff\xff\xff\xff" + b"x" * 100)
            check(closed_by_server(huge), "a 4 GiB length did not close the connection")
            server.wait_for_report(f"closed {local_name(huge)}: ", "larger than the maximum of 1000000 bytes")

            garbage = connect(server.address)  # random bytes whose length field is over 16 MiB
            garbage.sendall(bytes([rng.randint(1, 255)]) + rng.randbytes(2000))
            check(closed_by_server(garbage), "garbage did not close the connection")
            server.wait_for_report(f"closed {local_name(garbage)}: ", "larger than the maximum")

            cut = connect(server.address)  # disconnects 990 bytes into a frame of 1000
            cut.sendall(struct.pack("!I", 1000) + bytes(10))
            cut_name = local_name(cut)
            cut.close()
            server.wait_for_report(f"closed {cut_name}: ", "disconnected 990 bytes short of a complete frame")

            # Three clients that send and never read, at the same time: each is held back
            # (its sends stop being taken), and nothing else notices.
            stallers = [run_in_thread(stall, server.address, 96 << 20) for _ in range(3)]
            taken = [join_thread(t, o, "a stalling client") for t, o in stallers]
            print(f"  stalled senders got {', '.join(f'{n >> 20} MiB' for n in taken)} in before being held back")

            before = steady.count
            time.sleep(0.5)
            check(steady.count > before, "the well-behaved client made no progress while others stalled")

            # A new client is still served at once, next to the stalled ones.
            with connect(server.address) as late:
                started = time.monotonic()
                round_trip(late, rng.randbytes(100_000))
                check(time.monotonic() - started < 2.0, "a new client waited behind stalled ones")

            for sock in (huge, garbage):
                sock.close()
        finally:
            steady.finish()
            for sock in STALLED:
                sock.close()
            STALLED.clear()

        print(f"  well-behaved client: {steady.count} round trips, slowest {steady.slowest * 1000:.0f} ms")
        check(steady.slowest < 2.0, f"the well-behaved client waited {steady.slowest:.2f} s for a reply")
        check(f" {steady.name}: " not in server.stderr(), f"the well-behaved client was reported: {server.stderr()!r}")
        check(server.stop() == 0, "exit status after SIGTERM")


def test_frame_options(directory: str, rng: random.Random) -> None:
    """--frame '!HI', --frame varint and --max-frame."""
    with EchoServer(directory, listen_options("tcp4", directory), "--frame", "!HI") as server:
        with connect(server.address) as sock:
            for kind, size in [(7, 0), (0xFFFF, 5), (1, 70000)]:
                payload = rng.randbytes(size)
                sock.sendall(struct.pack("!HI", kind, size) + payload)
                reply_kind, reply_size = struct.unpack("!HI", recv_exact(sock, 6))
                check((reply_kind, reply_size) == (kind, size), f"'!HI' header came back as {reply_kind}, {reply_size}")
                check(recv_exact(sock, size) == payload, "'!HI' payload")
        check(server.stop() == 0, "exit status ('!HI')")

    def varint(value: int) -> bytes:
        out = bytearray()
        while True:
            low, value = value & 0x7F, value >> 7
            out.append(low | (0x80 if value else 0))
            if not value:
                return bytes(out)

    with EchoServer(directory, listen_options("unix", directory), "--frame", "varint") as server:
        with connect(server.address) as sock:
            for size in [0, 1, 127, 128, 300, 16383, 16384, 200_000]:
                payload = rng.randbytes(size)
                sock.sendall(varint(size) + payload)
                header = varint(size)
                check(recv_exact(sock, len(header)) == header, f"varint header of {size}")
                check(recv_exact(sock, size) == payload, f"varint payload of {size}")
            sock.sendall(b"\x85\x80\x00hello")  # 5, spelled in three bytes: echoed as spelled
            check(recv_exact(sock, 8) == b"\x85\x80\x00hello", "a non-minimal varint was not echoed as sent")
        with connect(server.address) as bad:
            bad.sendall(b"\xff" * 11)
            check(closed_by_server(bad), "an 11-byte varint did not close the connection")
        server.wait_for_report("varint length prefix longer than 10 bytes")
        check(server.stop() == 0, "exit status (varint)")

    with EchoServer(directory, listen_options("tcp4", directory), "--max-frame", "1000") as server:
        with connect(server.address) as sock:
            round_trip(sock, bytes(1000))
            sock.sendall(frame(bytes(1001)))
            check(closed_by_server(sock), "a 1001-byte frame did not close the connection (--max-frame 1000)")
        server.wait_for_report("larger than the maximum of 1000 bytes")
        check(server.stop() == 0, "exit status (--max-frame)")


def test_signals(directory: str, rng: random.Random) -> None:
    """SIGTERM and SIGINT: exit 0 at once, with clients connected, and no socket file left."""
    for signal_number in (signal.SIGTERM, signal.SIGINT):
        options = listen_options("unix", directory)
        with EchoServer(directory, options) as server:
            path = options[1]
            check(server.address == path, f"listening on {server.address}, not {path}")
            check(os.path.exists(path), "no socket file while listening")
            idle = connect(server.address)
            busy = connect(server.address)
            busy.sendall(struct.pack("!I", 100_000) + bytes(500))  # inside a frame
            round_trip(idle, b"ping")
            started = time.monotonic()
            status = server.stop(signal_number, timeout=5)
            check(status == 0, f"exit status {status} after signal {signal_number}")
            check(time.monotonic() - started < 2.0, f"took {time.monotonic() - started:.2f} s to stop")
            check(not os.path.exists(path), "the socket file is still there after the server stopped")
            check(closed_by_server(idle, 2.0), "a client was not disconnected when the server stopped")
            idle.close()
            busy.close()


def test_stale_socket_file(directory: str, rng: random.Random) -> None:
    """A server killed with SIGKILL leaves its socket file; the next one on that path starts."""
    path = os.path.join(directory, "stale.sock")
    with EchoServer(directory, ["--unix", path]) as first:
        with connect(first.address) as sock:
            round_trip(sock, b"first")
        first.process.kill()
        first.process.wait(WAIT)
    check(os.path.exists(path), "SIGKILL left no socket file behind (nothing to test)")
    with EchoServer(directory, ["--unix", path]) as second:
        with connect(second.address) as sock:
            round_trip(sock, b"second")
        check(second.stop() == 0, "exit status of the second server")
    check(not os.path.exists(path), "the socket file is still there")


def test_out_of_descriptors(directory: str, rng: random.Random) -> None:
    """With 24 descriptors, 40 clients: the server reports EMFILE once, does not spin,
    serves the clients it has, and takes the others as descriptors free up."""
    with EchoServer(directory, listen_options("tcp4", directory), shell_prefix="ulimit -n 24;") as server:
        clients = [connect(server.address) for _ in range(40)]  # the kernel completes them all
        try:
            server.wait_for_report("cannot accept a connection", "Too many open files")
            cpu_before = server.cpu_seconds()
            time.sleep(1.0)
            cpu_used = server.cpu_seconds() - cpu_before
            check(cpu_used < 0.5, f"the server used {cpu_used:.2f} s of CPU in 1 s out of descriptors: spinning")
            round_trip(clients[0], b"accepted early")
            for sock in clients[:20]:
                sock.close()
            for index, sock in enumerate(clients[20:], start=20):  # each close lets one more in
                round_trip(sock, b"accepted late %d" % index)
                sock.close()
        finally:
            for sock in clients:
                sock.close()
        check(server.stop() == 0, "exit status")
        reports = [line for line in server.stderr().splitlines() if "cannot accept" in line]
        check(len(reports) <= 2, f"{len(reports)} reports of the same trouble")


# ---------------------------------------------------------------------------------------
# send tests
# ---------------------------------------------------------------------------------------


class PythonServer:
    """A frame echo server in Python ("!I" or "!HI"), recording what it received; with
    reply=False it reads and never answers."""

    def __init__(self, directory: str, unix: bool = False, header: str = "!I", reply: bool = True):
        self.header = header
        self.reply = reply
        self.received: list[tuple[tuple, bytes]] = []
        if unix:
            self.address = os.path.join(directory, f"py-{time.monotonic_ns()}.sock")
            self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.listener.bind(self.address)
        else:
            self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            self.listener.bind(("127.0.0.1", 0))
            self.address = "127.0.0.1:%d" % self.listener.getsockname()[1]
        self.listener.listen(8)
        self.listener.settimeout(0.2)
        self.stopping = threading.Event()
        self.connections: list[socket.socket] = []
        self.thread, self.outcome = run_in_thread(self._serve)

    def _serve(self) -> None:
        size = struct.calcsize(self.header)
        while not self.stopping.is_set():
            try:
                conn, _ = self.listener.accept()
            except socket.timeout:
                continue
            self.connections.append(conn)
            conn.settimeout(WAIT)
            try:
                while True:
                    head = conn.recv(size, socket.MSG_WAITALL)
                    if len(head) < size:
                        break
                    fields = struct.unpack(self.header, head)
                    payload = recv_exact(conn, fields[-1])
                    self.received.append((fields, payload))
                    if self.reply:
                        conn.sendall(head + payload)
            except (OSError, Failure):
                pass

    def close(self) -> None:
        self.stopping.set()
        self.thread.join(WAIT)
        self.listener.close()
        for conn in self.connections:
            conn.close()
        if isinstance(self.address, str) and self.address.startswith("/") and os.path.exists(self.address):
            os.unlink(self.address)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


def test_send(directory: str, rng: random.Random) -> None:
    """`wirepack send` against python3 servers."""
    with PythonServer(directory) as server:
        for fmt, expected in harness.send_each_format("--tcp", server.address):
            fields, payload = server.received[-1]
            check(payload == expected, f"send {fmt}: sent {payload!r}")
            check(fields == (len(payload),), f"send {fmt}: header {fields}")

        data = rng.randbytes(3000)
        result = run_tool(["send", "--tcp", server.address], stdin=data)
        check(result.returncode == 0, f"send from stdin: exit {result.returncode}, {result.stderr!r}")
        check(result.stdout.decode() == data.hex() + "\n", "send from stdin: the hex printed is not the payload")
        result = run_tool(["send", "--tcp=" + server.address, "--timeout=3"], stdin=b"")
        check(result.returncode == 0 and result.stdout == b"\n", f"empty payload: {result!r}")

        result = run_tool(["send", "--tcp", server.address, "--format", "<I", "5"])
        check(result.returncode == 0, "send <I")
        result = run_tool(["send", "--tcp", server.address, "--format", "<I", "-1"])
        check(result.returncode == 1 and b"error: " in result.stderr, f"a value out of range: {result!r}")

    with PythonServer(directory, unix=True, header="!HI") as server:
        result = run_tool(["send", "--unix", server.address, "--frame", "!HI", "--format", "!H", "513"])
        check(result.stdout == b"(513,)\n", f"send over Unix with '!HI': {result!r}")
        check(server.received[-1] == ((0, 2), b"\x02\x01"), f"received {server.received[-1]}")

    # send and echo-server together, with a varint header.
    with EchoServer(directory, listen_options("unix", directory), "--frame", "varint") as echo:
        data = rng.randbytes(300)
        result = run_tool(["send", "--unix", echo.address, "--frame", "varint"], stdin=data)
        check(result.stdout.decode() == data.hex() + "\n", f"send varint through echo-server: {result!r}")
        check(echo.stop() == 0, "exit status")

    # A reply of the wrong size for FMT.
    with EchoServer(directory, listen_options("tcp4", directory)) as echo:
        result = run_tool(["send", "--tcp", echo.address, "--format", "<I", "7"])
        check(result.stdout == b"(7,)\n", f"send through echo-server: {result!r}")
        check(echo.stop() == 0, "exit status")

    # A server that never replies: the timeout, within a little slack.
    with PythonServer(directory, reply=False) as silent:
        started = time.monotonic()
        result = run_tool(["send", "--tcp", silent.address, "--timeout", "1", "--format", "<I", "1"])
        elapsed = time.monotonic() - started
        check(result.returncode == 1, f"timeout: exit {result.returncode}")
        check(result.stderr.startswith(b"error: ") and b"timed out" in result.stderr, f"timeout: {result.stderr!r}")
        check(0.9 <= elapsed < 4.0, f"timeout of 1 s took {elapsed:.2f} s")

    # Nobody listening.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        unused = "127.0.0.1:%d" % probe.getsockname()[1]
    result = run_tool(["send", "--tcp", unused, "--format", "<I", "1"])
    check(result.returncode == 1 and result.stderr.startswith(b"error: "), f"connection refused: {result!r}")


def test_command_lines(directory: str, rng: random.Random) -> None:
    """Wrong command lines exit 2 with a usage line; wrong frame formats exit 1."""
    usage = [
        ["send"],
        ["send", "--format", "<I", "1"],
        ["send", "--tcp"],
        ["send", "--tcp", "127.0.0.1:1", "--unix", "/tmp/x"],
        ["send", "--tcp", "127.0.0.1:1", "--timeout", "0"],
        ["send", "--tcp", "127.0.0.1:1", "--timeout", "soon"],
        ["send", "--tcp", "127.0.0.1:1", "--bogus", "1"],
        ["send", "--tcp", "127.0.0.1:1", "--tcp", "127.0.0.1:2"],
        ["send", "--tcp", "127.0.0.1:1", "--format"],
        ["send", "--tcp", "127.0.0.1:1", "<I", "1"],
        ["echo-server"],
        ["echo-server", "--tcp", "127.0.0.1:0", "extra"],
        ["echo-server", "--tcp", "127.0.0.1:0", "--max-frame", "lots"],
        ["echo-server", "--tcp", "127.0.0.1:0", "--max-frame", "-1"],
        ["echo-server", "--tcp", "127.0.0.1:0", "--timeout", "1"],
    ]
    errors = [
        (["echo-server", "--tcp", "127.0.0.1:0", "--frame", "!Hz"], b"bad char in struct format"),
        (["echo-server", "--tcp", "127.0.0.1:0", "--frame", "4x"], b"no field"),
        (["echo-server", "--tcp", "127.0.0.1:0", "--frame", "!If"], b"integer code"),
        (["echo-server", "--unix", os.path.join(directory, "no", "such", "dir.sock")], b"error: "),
        (["send", "--tcp", "127.0.0.1:1", "--frame", "!B", "--format", "300s", "b''"], b"does not fit the length"),
        (["send", "--tcp", "127.0.0.1:1", "--format", "<I", "x"], b"error: "),
    ]
    harness.check_command_lines(usage, errors)

    result = run_tool(["echo-server", "--help"])
    check(result.returncode == 0 and b"LAST value is the payload length" in result.stdout, "echo-server --help")


TESTS = [
    test_command_lines,
    test_chunking,
    test_many_clients,
    test_hostile_peers,
    test_frame_options,
    test_signals,
    test_stale_socket_file,
    test_out_of_descriptors,
    test_send,
]


def main() -> int:
    arguments = harness.parse_arguments(__doc__, SEED)
    started = time.monotonic()
    with harness.scratch_directory("wirepack-net-") as directory:
        failures = harness.run_tests(TESTS, arguments, directory)
    return harness.summarize(failures, started)


if __name__ == "__main__":
    sys.exit(main())
