#!/usr/bin/env python3
"""Interop test of the tool's datagram subcommands against plain python3 peers.

* `wirepack echo-server --udp` is driven by clients written with `socket` and
  `struct` only, over 127.0.0.1 and ::1: every size up to the family's largest
  datagram, several clients at once, SIGINT and SIGTERM.
* `wirepack send --udp` talks to UDP echo servers written in Python: packed
  values and stdin, replies that do not fit the format, a silent server (the
  timeout), nobody listening, a message too large for one datagram.
* Multicast over the loopback interface: a Python sender to two
  `wirepack listen --multicast` receivers, `wirepack send --multicast` to a
  Python receiver (which also reads the TTL it was sent with), datagrams that
  do not fit --format, --count, --timeout and the stop signals.

Usage (as ctest runs it):
    udp_interop_test.py --tool build/wirepack [--only NAME...] [--seed N]

Loopback only. The multicast tests run on this host's `lo` when IPv4 multicast
sent out of 127.0.0.1 comes back on it; otherwise the script runs them again
inside a network namespace of its own (`unshare -n`, root only: the host's
interfaces are never changed). Exit status 77 (skipped) when they can run
nowhere. Every wait has a timeout, and every process the test starts is
killed whatever happens.
"""

from __future__ import annotations

import argparse
import os
import random
import select
import shutil
import signal
import socket
import struct
import subprocess
import sys
import threading
import time

sys.dont_write_bytecode = True  # importing the harness leaves no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tool_harness as harness  # noqa: E402
from tool_harness import (SKIPPED, WAIT, Failure, Running, check, multicast_receiver,  # noqa: E402
                          multicast_sender, receive_with_hops, run_tool)

SEED = 20240612

MAX_IPV4 = 65507  # the largest UDP payload over IPv4
MAX_IPV6 = 65527  # and over IPv6


# ---------------------------------------------------------------------------------------
# Python peers
# ---------------------------------------------------------------------------------------


def split_address(address: str) -> tuple[int, tuple]:
    """"HOST:PORT" or "[V6]:PORT" (as the tool prints them) as a family and a sockaddr."""
    host, port = address.rsplit(":", 1)
    if host.startswith("["):
        host = host[1:-1]
        scope = 0
        if "%" in host:
            host, name = host.split("%", 1)
            scope = socket.if_nametoindex(name)
        return socket.AF_INET6, (host, int(port), 0, scope)
    return socket.AF_INET, (host, int(port))


def spell(family: int, host: str, port: int) -> str:
    return f"[{host}]:{port}" if family == socket.AF_INET6 else f"{host}:{port}"


def loopback_hosts() -> list[tuple[int, str]]:
    """127.0.0.1, and ::1 where this host has it."""
    hosts = [(socket.AF_INET, "127.0.0.1")]
    if harness.ipv6_loopback_works(socket.SOCK_DGRAM):
        hosts.append((socket.AF_INET6, "::1"))
    else:
        print("note: no ::1 here, IPv6 parts skipped", flush=True)
    return hosts


def receive(sock: socket.socket, timeout: float = WAIT) -> tuple[bytes, tuple]:
    sock.settimeout(timeout)
    try:
        return sock.recvfrom(1 << 17)
    except socket.timeout:
        raise Failure(f"no datagram within {timeout} s") from None


def nothing_arrives(sock: socket.socket, timeout: float) -> bool:
    ready, _, _ = select.select([sock], [], [], timeout)
    return not ready


class PythonEchoServer:
    """A UDP server in Python recording what it receives; it echoes each datagram, or
    sends `reply` instead, or (silent=True) never answers."""

    def __init__(self, family: int, host: str, reply: bytes | None = None, silent: bool = False):
        self.sock = socket.socket(family, socket.SOCK_DGRAM)
        self.sock.bind((host, 0))
        self.address = spell(family, host, self.sock.getsockname()[1])
        self.reply = reply
        self.silent = silent
        self.received: list[bytes] = []
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        self.sock.settimeout(0.1)
        while not self.stopping.is_set():
            try:
                data, sender = self.sock.recvfrom(1 << 17)
            except socket.timeout:
                continue
            except OSError:
                return
            self.received.append(data)
            if not self.silent:
                self.sock.sendto(data if self.reply is None else self.reply, sender)

    def close(self) -> None:
        self.stopping.set()
        self.thread.join(WAIT)
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


def random_group(rng: random.Random) -> str:
    """An IPv4 group in the organization-local scope 239.0.0.0/8, unlikely to be in use."""
    return "239.%d.%d.%d" % (rng.randrange(1, 255), rng.randrange(256), rng.randrange(1, 255))


# ---------------------------------------------------------------------------------------
# Unicast
# ---------------------------------------------------------------------------------------


def test_command_lines(directory: str, rng: random.Random) -> None:
    """Wrong command lines exit 2 with a usage line; impossible requests exit 1."""
    usage = [
        ["echo-server", "--udp"],
        ["echo-server", "--udp", "127.0.0.1:0", "--frame", "!I"],
        ["echo-server", "--udp", "127.0.0.1:0", "--tcp", "127.0.0.1:0"],
        ["echo-server", "--udp", "127.0.0.1:0", "--timeout", "1"],
        ["send", "--udp", "127.0.0.1:1", "--ttl", "2"],
        ["send", "--udp", "127.0.0.1:1", "--frame", "!I"],
        ["send", "--udp", "127.0.0.1:1", "--timeout", "0"],
        ["send", "--udp", "127.0.0.1:1", "--multicast", "239.1.2.3:1"],
        ["send", "--multicast", "239.1.2.3:1", "--timeout", "1"],
        ["send", "--multicast", "239.1.2.3:1", "--ttl", "256"],
        ["send", "--multicast", "239.1.2.3:1", "--ttl", "-1"],
        ["send", "--multicast", "239.1.2.3:1", "--ttl", "one"],
        ["send", "--tcp", "127.0.0.1:1", "--iface", "lo"],
        ["listen"],
        ["listen", "--udp", "127.0.0.1:0"],
        ["listen", "--multicast", "239.1.2.3:1", "--count", "0"],
        ["listen", "--multicast", "239.1.2.3:1", "--count", "x"],
        ["listen", "--multicast", "239.1.2.3:1", "--timeout", "-1"],
        ["listen", "--multicast", "239.1.2.3:1", "extra"],
        ["listen", "--multicast", "239.1.2.3:1", "--format"],
    ]
    errors = [
        (["send", "--multicast", "10.1.2.3:5000", "--format", "<I", "1"], b"not a multicast group"),
        (["send", "--multicast", "[2001:db8::1]:5000", "--format", "<I", "1"], b"not a multicast group"),
        (["listen", "--multicast", "127.0.0.1:5000"], b"not a multicast group"),
        (["listen", "--multicast", "239.1.2.3:5000", "--iface", "no-such-if0"], b"no such interface"),
        (["listen", "--multicast", "[ff02::1:3]:5000"], b"link-local group: name the interface with --iface"),
        (["listen", "--multicast", "239.1.2.3:5000", "--format", "<Iz"], b"bad char in struct format"),
        (["send", "--multicast", "239.1.2.3:5000", "--iface", "no-such-if0", "--format", "<I", "1"],
         b"no such interface"),
        (["send", "--udp", "127.0.0.1:1", "--format", "<I", "x"], b"error: "),
        (["echo-server", "--udp", "256.0.0.1:0"], b"error: "),
    ]
    harness.check_command_lines(usage, errors)

    result = run_tool(["listen", "--help"])
    check(result.returncode == 0 and b"wirepack listen --multicast GROUP:PORT" in result.stdout, "listen --help")


def test_echo_server(directory: str, rng: random.Random) -> None:
    """Python clients against `wirepack echo-server --udp`."""
    for family, host in loopback_hosts():
        largest = MAX_IPV4 if family == socket.AF_INET else MAX_IPV6
        with Running(directory, ["echo-server", "--udp", spell(family, host, 0)]) as server:
            server_family, server_address = split_address(server.address)
            check(server_family == family and server_address[1] != 0, f"listening on {server.address}")

            with socket.socket(family, socket.SOCK_DGRAM) as client:
                for size in [0, 1, 2, 100, 1400, 1473, 9000, 65000, largest]:
                    payload = rng.randbytes(size)
                    client.sendto(payload, server_address)
                    data, sender = receive(client)
                    check(data == payload, f"{server.address}: echo of {size} bytes came back as {len(data)} "
                                           "different bytes")
                    check(sender[:2] == server_address[:2], f"echo from {sender}, not {server.address}")

            # Several clients at once, each getting its own datagrams back, in windows
            # small enough for the socket buffers.
            clients = [socket.socket(family, socket.SOCK_DGRAM) for _ in range(4)]
            try:
                for window in range(5):
                    sent = {}
                    for number, client in enumerate(clients):
                        for index in range(10):
                            payload = struct.pack("!BBH", number, window, index) + rng.randbytes(rng.randrange(900))
                            sent.setdefault(number, []).append(payload)
                            client.sendto(payload, server_address)
                    for number, client in enumerate(clients):
                        echoes = [receive(client)[0] for _ in range(10)]
                        check(sorted(echoes) == sorted(sent[number]),
                              f"client {number}: its echoes are not what it sent")
            finally:
                for client in clients:
                    client.close()

            check(server.stderr() == "", f"reports: {server.stderr()!r}")
            check(server.stop(signal.SIGTERM) == 0, "exit status after SIGTERM")

    with Running(directory, ["echo-server", "--udp", "127.0.0.1:0"]) as server:
        check(server.stop(signal.SIGINT) == 0, "exit status after SIGINT")


def test_send(directory: str, rng: random.Random) -> None:
    """`wirepack send --udp` against Python servers."""
    for family, host in loopback_hosts():
        largest = MAX_IPV4 if family == socket.AF_INET else MAX_IPV6
        with PythonEchoServer(family, host) as server:
            for fmt, expected in harness.send_each_format("--udp", server.address):
                check(server.received[-1] == expected, f"send {fmt}: sent {server.received[-1]!r}")

            for size in [0, 1, 1400, largest]:
                data = rng.randbytes(size)
                result = run_tool(["send", "--udp=" + server.address, "--timeout=3"], stdin=data)
                check(result.returncode == 0, f"{size} bytes from stdin: exit {result.returncode}, {result.stderr!r}")
                check(result.stdout.decode() == data.hex() + "\n", f"{size} bytes from stdin: printed the wrong hex")
                check(server.received[-1] == data, f"{size} bytes from stdin: sent other bytes")

            # Too large for one datagram: refused before anything is sent.
            count = len(server.received)
            result = run_tool(["send", "--udp", server.address], stdin=bytes(largest + 1))
            check(result.returncode == 1 and b"does not fit in a UDP datagram" in result.stderr
                  and str(largest).encode() in result.stderr, f"{largest + 1} bytes: {result!r}")
            time.sleep(0.2)
            check(len(server.received) == count, "a refused message was sent anyway")

    # A reply that does not fit the format.
    with PythonEchoServer(socket.AF_INET, "127.0.0.1", reply=b"\x01\x02") as server:
        result = run_tool(["send", "--udp", server.address, "--format", "<I", "7"])
        check(result.returncode == 1 and b"unpack requires a buffer of 4 bytes" in result.stderr, f"{result!r}")

    # A server that never replies: the timeout, within a little slack.
    with PythonEchoServer(socket.AF_INET, "127.0.0.1", silent=True) as silent:
        started = time.monotonic()
        result = run_tool(["send", "--udp", silent.address, "--timeout", "1", "--format", "<I", "1"])
        elapsed = time.monotonic() - started
        check(result.returncode == 1, f"timeout: exit {result.returncode}")
        check(result.stderr.startswith(b"error: ") and b"timed out after 1 s" in result.stderr,
              f"timeout: {result.stderr!r}")
        check(0.9 <= elapsed < 4.0, f"timeout of 1 s took {elapsed:.2f} s")
        check(silent.received == [struct.pack("<I", 1)], f"the silent server got {silent.received!r}")

    # Nobody listening: the ICMP error ends the wait at once.
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        unused = "127.0.0.1:%d" % probe.getsockname()[1]
    result = run_tool(["send", "--udp", unused, "--timeout", "5", "--format", "<I", "1"], timeout=4.0)
    check(result.returncode == 1 and b"refused" in result.stderr, f"nobody listening: {result!r}")

    # send and echo-server together.
    with Running(directory, ["echo-server", "--udp", "127.0.0.1:0"]) as echo:
        result = run_tool(["send", "--udp", echo.address, "--format", "!HI", "7", "42"])
        check(result.stdout == b"(7, 42)\n", f"send through echo-server: {result!r}")
        check(echo.stop() == 0, "exit status")


# ---------------------------------------------------------------------------------------
# Multicast over lo
# ---------------------------------------------------------------------------------------


def test_listen(directory: str, rng: random.Random) -> None:
    """A Python sender to two `wirepack listen` receivers: both print every datagram."""
    group = random_group(rng)
    fmt = "!HId"
    messages = [(index, rng.randrange(1 << 32), rng.random()) for index in range(6)]
    first = Running(directory, ["listen", "--multicast", f"{group}:0", "--iface", "127.0.0.1", "--format", fmt,
                                "--count", str(len(messages)), "--timeout", str(WAIT)])
    try:
        check(first.address.startswith(group + ":"), f"listening on {first.address}")
        port = int(first.address.rsplit(":", 1)[1])
        with Running(directory, ["listen", "--multicast", first.address, "--iface", "lo",
                                 "--count", str(len(messages))]) as second:
            check(second.address == first.address, f"second receiver on {second.address}")
            with multicast_sender(socket.AF_INET, "127.0.0.1") as sender:
                for message in messages:
                    sender.sendto(struct.pack(fmt, *message), (group, port))
            status, lines = first.finish()
            check(status == 0, f"first receiver: exit {status}; {first.stderr()!r}")
            check(lines == [repr(message) for message in messages], f"first receiver printed {lines}")
            status, lines = second.finish()
            check(status == 0, f"second receiver: exit {status}; {second.stderr()!r}")
            check(lines == [struct.pack(fmt, *message).hex() for message in messages],
                  f"second receiver printed {lines}")
    finally:
        first.kill()


def test_send_multicast(directory: str, rng: random.Random) -> None:
    """`wirepack send --multicast` to a Python receiver, which checks the bytes and the TTL."""
    group = random_group(rng)
    with multicast_receiver(socket.AF_INET, group, "127.0.0.1") as receiver:
        address = f"{group}:{receiver.getsockname()[1]}"
        for options, hops in [([], 1), (["--ttl", "7"], 7), (["--ttl=0"], 0)]:
            result = run_tool(["send", "--multicast", address, "--iface", "127.0.0.1", *options,
                               "--format", "<hd", "-3", "0.5"])
            check(result.returncode == 0 and result.stdout == b"", f"send {options}: {result!r}")
            data, received_hops = receive_with_hops(receiver)
            check(data == struct.pack("<hd", -3, 0.5), f"send {options}: received {data!r}")
            check(received_hops == hops, f"send {options}: TTL {received_hops}, not {hops}")

        data = rng.randbytes(1000)
        result = run_tool(["send", "--multicast", address, "--iface", "lo"], stdin=data)
        check(result.returncode == 0, f"send from stdin: {result!r}")
        check(receive_with_hops(receiver)[0] == data, "send from stdin: other bytes arrived")

        result = run_tool(["send", "--multicast", address, "--iface", "127.0.0.1"], stdin=bytes(MAX_IPV4))
        check(result.returncode == 0, f"send {MAX_IPV4} bytes: {result!r}")
        check(receive_with_hops(receiver)[0] == bytes(MAX_IPV4), f"{MAX_IPV4} bytes: other bytes arrived")
        result = run_tool(["send", "--multicast", address, "--iface", "127.0.0.1"], stdin=bytes(MAX_IPV4 + 1))
        check(result.returncode == 1 and b"does not fit in a UDP datagram" in result.stderr, f"too large: {result!r}")
        check(nothing_arrives(receiver, 0.2), "a refused message was sent anyway")

    # The tool at both ends.
    with Running(directory, ["listen", "--multicast", f"{group}:0", "--iface", "127.0.0.1", "--format", "!H",
                             "--count", "1"]) as listener:
        result = run_tool(["send", "--multicast", listener.address, "--iface", "127.0.0.1", "--format", "!H", "513"])
        check(result.returncode == 0, f"send: {result!r}")
        check(listener.finish() == (0, ["(513,)"]), "listen did not print (513,)")


def test_listen_skips(directory: str, rng: random.Random) -> None:
    """Datagrams that do not fit --format are reported and skipped, not counted."""
    group = random_group(rng)
    with Running(directory, ["listen", "--multicast", f"{group}:0", "--iface", "127.0.0.1", "--format", "<I",
                             "--count", "2", "--timeout", str(WAIT)]) as listener:
        port = int(listener.address.rsplit(":", 1)[1])
        with multicast_sender(socket.AF_INET, "127.0.0.1") as sender:
            for data in [b"abc", struct.pack("<I", 1), b"", b"12345", struct.pack("<I", 2), struct.pack("<I", 3)]:
                sender.sendto(data, (group, port))
                time.sleep(0.01)
        status, lines = listener.finish()
        check(status == 0 and lines == ["(1,)", "(2,)"], f"exit {status}, printed {lines}")
        reports = [line for line in listener.stderr().splitlines() if line.startswith("listen: skipped")]
        check(len(reports) == 3, f"reports: {listener.stderr()!r}")
        check("of 3 bytes from 127.0.0.1:" in reports[0] and "unpack requires a buffer of 4 bytes" in reports[0],
              f"report: {reports[0]!r}")


def test_listen_ends(directory: str, rng: random.Random) -> None:
    """--timeout, SIGINT and SIGTERM."""
    group = random_group(rng)
    started = time.monotonic()
    result = run_tool(["listen", "--multicast", f"{group}:0", "--iface", "127.0.0.1", "--count", "1",
                       "--timeout", "0.5"], timeout=WAIT)
    elapsed = time.monotonic() - started
    check(result.returncode == 1 and b"error: timed out after 0.5 s with 0 of 1" in result.stderr, f"{result!r}")
    check(result.stdout.startswith(b"listening on " + group.encode()), f"{result.stdout!r}")
    check(0.4 <= elapsed < 4.0, f"a timeout of 0.5 s took {elapsed:.2f} s")

    result = run_tool(["listen", "--multicast", f"{group}:0", "--iface", "127.0.0.1", "--timeout", "0.3"],
                      timeout=WAIT)
    check(result.returncode == 0, f"--timeout without --count: {result!r}")

    for signal_number in (signal.SIGINT, signal.SIGTERM):
        with Running(directory, ["listen", "--multicast", f"{group}:0", "--iface", "127.0.0.1"]) as listener:
            check(listener.stop(signal_number) == 0, f"exit status after signal {signal_number}")


UNICAST_TESTS = [test_command_lines, test_echo_server, test_send]
MULTICAST_TESTS = [test_listen, test_send_multicast, test_listen_skips, test_listen_ends]


def loopback_multicast_works() -> bool:
    """Whether an IPv4 datagram sent to a group out of 127.0.0.1 comes back on lo."""
    try:
        group = "239.255.%d.%d" % (os.getpid() % 250 + 1, 77)
        with multicast_receiver(socket.AF_INET, group, "127.0.0.1") as receiver:
            with multicast_sender(socket.AF_INET, "127.0.0.1") as sender:
                sender.sendto(b"probe", (group, receiver.getsockname()[1]))
            return not nothing_arrives(receiver, 1.0)
    except OSError as e:
        print(f"note: multicast on lo: {e}", flush=True)
        return False


def run_in_namespace(arguments: argparse.Namespace) -> int:
    """Runs the multicast tests again inside a new network namespace, whose lo this test
    may configure; the exit status is theirs, or SKIPPED when there can be none."""
    if os.geteuid() != 0:
        print("skip  multicast: lo does not loop multicast back here, and only root can make a namespace "
              "where it does", flush=True)
        return SKIPPED
    if shutil.which("unshare") is None or shutil.which("ip") is None:
        print("skip  multicast: lo does not loop multicast back here, and unshare or ip is missing", flush=True)
        return SKIPPED
    names = [harness.name_of(test) for test in harness.selected(MULTICAST_TESTS, arguments)]
    command = ["unshare", "--net", sys.executable, os.path.abspath(__file__), "--tool", harness.tool(), "--seed",
               str(arguments.seed), "--inside-namespace", "--only", *names]
    print("note: lo does not loop multicast back here: running the multicast tests in a new network namespace",
          flush=True)
    try:
        status = subprocess.run(command, timeout=150).returncode
    except subprocess.TimeoutExpired:
        print("FAIL  multicast: the namespace run took over 150 s", flush=True)
        return 1
    return status


def prepare_namespace() -> None:
    """Inside the namespace of `run_in_namespace`: lo up, with multicast."""
    for command in (["ip", "link", "set", "lo", "up"], ["ip", "link", "set", "lo", "multicast", "on"]):
        subprocess.run(command, check=True, timeout=WAIT)


def main() -> int:
    arguments = harness.parse_arguments(__doc__, SEED, lambda parser: parser.add_argument(
        "--inside-namespace", action="store_true", help=argparse.SUPPRESS))
    started = time.monotonic()
    with harness.scratch_directory("wirepack-udp-") as directory:
        if arguments.inside_namespace:
            prepare_namespace()
            return 1 if harness.run_tests(MULTICAST_TESTS, arguments, directory) else 0

        failures = harness.run_tests(UNICAST_TESTS, arguments, directory)
        multicast_status = 0
        if harness.selected(MULTICAST_TESTS, arguments):
            if loopback_multicast_works():
                failures += harness.run_tests(MULTICAST_TESTS, arguments, directory)
            else:
                multicast_status = run_in_namespace(arguments)
                if multicast_status not in (0, SKIPPED):
                    failures += 1
        return harness.summarize(failures, started, skipped=multicast_status == SKIPPED)


if __name__ == "__main__":
    sys.exit(main())
