"""What the interop scripts share: checks, the tool as a running process, probes of the
host, multicast peers in Python, and the runner that ctest starts.

net_interop_test.py, udp_interop_test.py and multicast_netns_test.py import this file
from their own directory. Each script's tests are functions `test_NAME(..., rng)`; the
runner calls those that `--only` selects, prints "ok    NAME" or "FAIL  NAME: why",
and the script exits 0 (all passed), 1 (one failed) or SKIPPED (77, ctest's
SKIP_RETURN_CODE: could not run here).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import re
import select
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import time
from typing import Callable, Iterator

WAIT = 10.0  # seconds: the longest any single step may wait before it counts as a failure
SKIPPED = 77  # ctest's SKIP_RETURN_CODE

IP_RECVTTL = getattr(socket, "IP_RECVTTL", 12)  # Linux's value; not in every Python's socket module

_tool = ""  # the wirepack executable, as an absolute path: see set_tool


class Failure(Exception):
    """A check that did not hold."""


def check(condition: bool, message: str) -> None:
    if not condition:
        raise Failure(message)


def set_tool(path: str) -> None:
    global _tool
    _tool = os.path.abspath(path)


def tool() -> str:
    return _tool


# ---------------------------------------------------------------------------------------
# Running the tool
# ---------------------------------------------------------------------------------------


def run_tool(arguments: list[str], stdin: bytes = b"", timeout: float = 30.0,
             prefix: tuple[str, ...] = ()) -> subprocess.CompletedProcess:
    """`wirepack ARGUMENTS` to completion; `prefix` runs it through e.g. `ip netns exec NS`."""
    return subprocess.run([*prefix, _tool, *arguments], input=stdin, capture_output=True, timeout=timeout)


class Running:
    """A `wirepack` subcommand that announces `listening on ADDRESS` and keeps running
    (echo-server, listen); its stdout is read line by line, its stderr goes to a file.

    `prefix` runs it through another command (`ip netns exec NS`); `program` replaces the
    tool by a peer that announces itself the same way; `shell_prefix` runs shell words
    first (e.g. "ulimit -n 32;"), through `sh -c '... exec COMMAND'` so that the pid stays
    the command's."""

    def __init__(self, directory: str, arguments: list[str], prefix: tuple[str, ...] = (),
                 program: tuple[str, ...] = (), shell_prefix: str = ""):
        self.stderr_path = os.path.join(directory, f"stderr-{time.monotonic_ns()}.txt")
        self.pending = b""
        command = [*prefix, *(program or (_tool,)), *arguments]
        if shell_prefix:
            quoted = " ".join("'" + part.replace("'", "'\\''") + "'" for part in command)
            command = ["sh", "-c", f"{shell_prefix} exec {quoted}"]
        with open(self.stderr_path, "wb") as stderr:
            self.process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=stderr)
        try:
            line = self.read_line()
            if line is None:
                status = self.process.wait(WAIT)
                raise Failure(f"{arguments}: exited ({status}) before listening; stderr: {self.stderr()!r}")
            match = re.fullmatch(r"listening on (\S+)", line)
            check(match is not None, f"{arguments}: first line {line!r}, not 'listening on ADDRESS'; "
                                     f"stderr: {self.stderr()!r}")
            self.address = match.group(1)
        except BaseException:
            self.kill()
            raise

    def read_line(self, timeout: float = WAIT) -> str | None:
        """The next line of stdout; None once it is closed."""
        deadline = time.monotonic() + timeout
        while b"\n" not in self.pending:
            left = deadline - time.monotonic()
            check(left > 0, f"no line on stdout within {timeout} s; stderr: {self.stderr()!r}")
            ready, _, _ = select.select([self.process.stdout], [], [], left)
            if ready:
                chunk = os.read(self.process.stdout.fileno(), 65536)
                if not chunk:
                    if not self.pending:
                        return None
                    self.pending += b"\n"
                self.pending += chunk
        line, self.pending = self.pending.split(b"\n", 1)
        return line.decode()

    def finish(self, timeout: float = WAIT) -> tuple[int, list[str]]:
        """Waits for the process to exit by itself: its status and the rest of its lines."""
        lines = []
        deadline = time.monotonic() + timeout
        try:
            while (line := self.read_line(max(deadline - time.monotonic(), 0.001))) is not None:
                lines.append(line)
        except Failure:
            raise Failure(f"still running after {timeout} s, having printed {lines}; "
                          f"stderr: {self.stderr()!r}") from None
        try:
            return self.process.wait(max(deadline - time.monotonic(), 0.001)), lines
        except subprocess.TimeoutExpired:
            raise Failure(f"still running {timeout} s after closing stdout") from None

    def stderr(self) -> str:
        with open(self.stderr_path, "rb") as f:
            return f.read().decode(errors="replace")

    def wait_for_report(self, *fragments: str, timeout: float = WAIT) -> str:
        """The stderr line holding every fragment, once the process has written it."""
        deadline = time.monotonic() + timeout
        while True:
            for line in self.stderr().splitlines():
                if all(fragment in line for fragment in fragments):
                    return line
            check(time.monotonic() < deadline, f"no stderr line with {fragments}; stderr: {self.stderr()!r}")
            time.sleep(0.02)

    def stop(self, signal_number: int = signal.SIGTERM, timeout: float = WAIT) -> int:
        """Sends the signal and returns the exit status."""
        self.process.send_signal(signal_number)
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            raise Failure(f"still running {timeout} s after signal {signal_number}") from None

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(WAIT)
        self.process.stdout.close()

    def cpu_seconds(self) -> float:
        """User and system CPU time the process has used so far."""
        with open(f"/proc/{self.process.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.kill()
        return False


def check_command_lines(usage: list[list[str]], errors: list[tuple[list[str], bytes]]) -> None:
    """Each command line of `usage` exits 2 with its subcommand's usage line; each of
    `errors` exits 1 with an "error: " line holding the message paired with it."""
    for arguments in usage:
        result = run_tool(arguments)
        check(result.returncode == 2, f"{arguments}: exit {result.returncode}, not 2; {result.stderr!r}")
        check(result.stderr.startswith(b"usage: wirepack " + arguments[0].encode()), f"{arguments}: {result.stderr!r}")
    for arguments, message in errors:
        result = run_tool(arguments, timeout=WAIT)
        check(result.returncode == 1, f"{arguments}: exit {result.returncode}, not 1; {result.stderr!r}")
        check(result.stderr.startswith(b"error: ") and message in result.stderr, f"{arguments}: {result.stderr!r}")


# Formats `send --format` is tried with: FMT, the values as a command line spells them,
# and the same values in Python.
SEND_FORMATS = [
    ("<hd2s", ["-5", "2.5", "b'ab'"], [-5, 2.5, b"ab"]),
    ("!Q?f", ["18446744073709551615", "True", "2.7"], [18446744073709551615, True, 2.7]),
    ("@bxi3sc", ["-128", "0x7fffffff", "b'\\x00\\n\\''", "b'z'"], [-128, 0x7FFFFFFF, b"\x00\n'", b"z"]),
    ("", [], []),
]


def send_each_format(option: str, address: str) -> Iterator[tuple[str, bytes]]:
    """`wirepack send OPTION ADDRESS --format FMT VALUES...` for each of SEND_FORMATS,
    checking that it prints what Python's struct makes of the reply; yields FMT and the
    payload, for the caller to check what its server received."""
    for fmt, arguments, values in SEND_FORMATS:
        result = run_tool(["send", option, address, "--format", fmt, *arguments])
        check(result.returncode == 0, f"send {fmt}: exit {result.returncode}, stderr {result.stderr!r}")
        payload = struct.pack(fmt, *values)
        expected = repr(struct.unpack(fmt, payload))
        check(result.stdout.decode() == expected + "\n", f"send {fmt}: printed {result.stdout!r}, not {expected!r}")
        yield fmt, payload


# ---------------------------------------------------------------------------------------
# The host
# ---------------------------------------------------------------------------------------


def ipv6_loopback_works(kind: int = socket.SOCK_STREAM) -> bool:
    """Whether a socket of `kind` can bind ::1 here."""
    if not socket.has_ipv6:
        return False
    try:
        with socket.socket(socket.AF_INET6, kind) as probe:
            probe.bind(("::1", 0))
        return True
    except OSError:
        return False


# ---------------------------------------------------------------------------------------
# Multicast peers in Python
# ---------------------------------------------------------------------------------------


def multicast_sender(family: int, iface: str, hops: int = 1) -> socket.socket:
    """A Python socket sending to groups out of `iface` (an IPv4 address for IPv4, an
    interface name for IPv6)."""
    sock = socket.socket(family, socket.SOCK_DGRAM)
    if family == socket.AF_INET:
        sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(iface))
        sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, hops)
    else:
        sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_IF, socket.if_nametoindex(iface))
        sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_HOPS, hops)
    return sock


def multicast_receiver(family: int, group: str, iface: str, port: int = 0) -> socket.socket:
    """A Python socket bound to `group` and joined on `iface` (an IPv4 address for IPv4,
    an interface name for IPv6), reporting the TTL / hop limit of what it receives."""
    sock = socket.socket(family, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if family == socket.AF_INET:
        sock.bind((group, port))
        sock.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, socket.inet_aton(group) + socket.inet_aton(iface))
        sock.setsockopt(socket.IPPROTO_IP, IP_RECVTTL, 1)
    else:
        index = socket.if_nametoindex(iface)
        sock.bind((group, port, 0, index))
        sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_JOIN_GROUP,
                        socket.inet_pton(socket.AF_INET6, group) + struct.pack("@I", index))
        sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_RECVHOPLIMIT, 1)
    return sock


def receive_with_hops(sock: socket.socket, timeout: float = WAIT) -> tuple[bytes, int]:
    """A datagram and the TTL / hop limit it arrived with."""
    ready, _, _ = select.select([sock], [], [], timeout)
    check(bool(ready), f"no multicast datagram within {timeout} s")
    data, ancillary, _, _ = sock.recvmsg(1 << 17, socket.CMSG_SPACE(4))
    hops = [struct.unpack("@i", item[2][:4])[0] for item in ancillary
            if (item[0], item[1]) in ((socket.IPPROTO_IP, socket.IP_TTL), (socket.IPPROTO_IPV6, socket.IPV6_HOPLIMIT))]
    check(len(hops) == 1, f"no TTL / hop limit with the datagram: {ancillary!r}")
    return data, hops[0]


# ---------------------------------------------------------------------------------------
# The runner
# ---------------------------------------------------------------------------------------


def parse_arguments(doc: str, seed: int,
                    more: Callable[[argparse.ArgumentParser], None] | None = None) -> argparse.Namespace:
    """--tool (which set_tool records), --only and --seed; `more` adds a script's own."""
    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    parser.add_argument("--tool", required=True, help="the wirepack executable")
    parser.add_argument("--only", nargs="*", default=[], help="run only the tests with these names")
    parser.add_argument("--seed", type=int, default=seed)
    if more is not None:
        more(parser)
    arguments = parser.parse_args()
    set_tool(arguments.tool)
    return arguments


def name_of(test: Callable) -> str:
    return test.__name__.removeprefix("test_")


def selected(tests: list, arguments: argparse.Namespace) -> list:
    """The tests that `--only` names (all of them without it)."""
    return [test for test in tests if not arguments.only or name_of(test) in arguments.only]


def run_tests(tests: list, arguments: argparse.Namespace, *context) -> int:
    """Runs the tests `--only` selects as `test(*context, rng)`, with a generator seeded
    from `--seed` and the test's name; returns how many failed."""
    failures = 0
    for test in selected(tests, arguments):
        name = name_of(test)
        began = time.monotonic()
        try:
            test(*context, random.Random(f"{arguments.seed}/{name}"))
            print(f"ok    {name} ({time.monotonic() - began:.1f} s)", flush=True)
        except (Failure, OSError, subprocess.SubprocessError) as e:
            failures += 1
            print(f"FAIL  {name} ({time.monotonic() - began:.1f} s): {e}", flush=True)
    return failures


@contextlib.contextmanager
def scratch_directory(prefix: str) -> Iterator[str]:
    """A new temporary directory, removed with all it holds at the end."""
    directory = tempfile.mkdtemp(prefix=prefix)
    try:
        yield directory
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def summarize(failures: int, started: float, skipped: bool = False) -> int:
    """Prints the tally and returns the exit status: 1 if any failed, else SKIPPED if a
    part could not run, else 0."""
    print(f"{failures} failed, {time.monotonic() - started:.1f} s in all", flush=True)
    if failures:
        return 1
    return SKIPPED if skipped else 0
