#!/usr/bin/env python3
"""Multicast between hosts: network namespaces joined by veth pairs.

The test builds three namespaces, named after its pid, and two veth pairs, made
inside them (the host's own interfaces are never touched):

    ns1 "sender"  vA 10.213.1.1  fd00:213:1::1  <-->  vB 10.213.1.2  fd00:213:1::2  ns2 "receiver"
                  vC 10.213.2.1  fd00:213:2::1  <-->  vD 10.213.2.2  fd00:213:2::2  ns3 "elsewhere"

and checks, over IPv4 (239.1.2.3) and IPv6 (ff12::1234 and ff02::1:3):
* `wirepack send --multicast` from ns1 reaches two `wirepack listen` receivers in
  ns2, and arrives with the TTL / hop limit given (default 1: one hop is enough);
* a receiver in ns2 joined on lo gets nothing of what arrives on vB;
* --iface picks the link: out of vC reaches ns3 and not ns2, and the reverse;
* python3 peers interoperate in both directions.

Usage (as ctest runs it):
    multicast_netns_test.py --tool build/wirepack [--only NAME...]

Needs root and `ip`; exits 77 (skipped) with the reason when it cannot build the
namespaces. Everything it made is deleted whatever happens. Every wait is bounded.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import socket
import struct
import subprocess
import sys
import time

sys.dont_write_bytecode = True  # importing the harness leaves no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tool_harness as harness  # noqa: E402
from tool_harness import SKIPPED, WAIT, Failure, Running, check, run_tool  # noqa: E402

SEED = 20240613
QUIET = 1.0  # seconds a receiver that must get nothing is given


class Skip(Exception):
    """The namespaces cannot be made here."""


# ---------------------------------------------------------------------------------------
# The network
# ---------------------------------------------------------------------------------------


def ip(*arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run(["ip", *arguments], capture_output=True, text=True, timeout=WAIT)


def must(result: subprocess.CompletedProcess) -> None:
    if result.returncode != 0:
        raise Failure(f"{' '.join(result.args)}: {result.stderr.strip()}")


class Host:
    """One namespace, with the addresses of its veth end."""

    def __init__(self, namespace: str, link: str, ipv4: str, ipv6: str):
        self.namespace = namespace
        self.link = link  # the veth end toward the other host
        self.ipv4 = ipv4
        self.ipv6 = ipv6

    @property
    def prefix(self) -> tuple[str, ...]:
        """Runs a command inside this namespace."""
        return ("ip", "netns", "exec", self.namespace)

    def address(self, family: int) -> str:
        return self.ipv4 if family == socket.AF_INET else self.ipv6


class Network:
    """The namespaces and veth pairs of the module docstring; `delete` removes them all."""

    def __init__(self):
        tag = str(os.getpid())
        self.namespaces = [f"wirepack-{tag}-{n}" for n in (1, 2, 3)]
        ns1, ns2, ns3 = self.namespaces
        self.sender = Host(ns1, f"wpA{tag}", "10.213.1.1", "fd00:213:1::1")
        self.sender_other = Host(ns1, f"wpC{tag}", "10.213.2.1", "fd00:213:2::1")  # the same host's other link
        self.receiver = Host(ns2, f"wpB{tag}", "10.213.1.2", "fd00:213:1::2")
        self.elsewhere = Host(ns3, f"wpD{tag}", "10.213.2.2", "fd00:213:2::2")
        self.made: list[str] = []

    def create(self) -> None:
        for namespace in self.namespaces:
            result = ip("netns", "add", namespace)
            if result.returncode != 0:
                raise Skip(f"ip netns add: {result.stderr.strip()}")
            self.made.append(namespace)
            for setting in ("all", "default"):  # no duplicate address detection: addresses work at once
                must(ip("netns", "exec", namespace, "sysctl", "-q", "-w", f"net.ipv6.conf.{setting}.accept_dad=0"))
            must(ip("-n", namespace, "link", "set", "lo", "up"))
            must(ip("-n", namespace, "link", "set", "lo", "multicast", "on"))
        for one, other in ((self.sender, self.receiver), (self.sender_other, self.elsewhere)):
            result = ip("link", "add", "name", one.link, "netns", one.namespace, "type", "veth",
                        "peer", "name", other.link, "netns", other.namespace)
            if result.returncode != 0:
                raise Skip(f"cannot make a veth pair: {result.stderr.strip()}")
            for host in (one, other):
                must(ip("-n", host.namespace, "addr", "add", host.ipv4 + "/24", "dev", host.link))
                must(ip("-n", host.namespace, "-6", "addr", "add", host.ipv6 + "/64", "dev", host.link, "nodad"))
                must(ip("-n", host.namespace, "link", "set", host.link, "multicast", "on", "up"))
        for host in (self.sender, self.sender_other, self.receiver, self.elsewhere):
            self.wait_until_up(host)

    @staticmethod
    def wait_until_up(host: Host) -> None:
        """Until the link is up and no IPv6 address of it is tentative."""
        deadline = time.monotonic() + WAIT
        while True:
            link = ip("-n", host.namespace, "link", "show", host.link).stdout
            addresses = ip("-n", host.namespace, "-6", "addr", "show", "dev", host.link).stdout
            if "LOWER_UP" in link and "tentative" not in addresses and host.ipv6 in addresses:
                return
            check(time.monotonic() < deadline, f"{host.link} in {host.namespace} not ready: {link} {addresses}")
            time.sleep(0.05)

    def delete(self) -> None:
        for namespace in self.made:
            result = ip("netns", "del", namespace)
            if result.returncode != 0:
                print(f"warning: ip netns del {namespace}: {result.stderr.strip()}", flush=True)
        self.made = []


# ---------------------------------------------------------------------------------------
# Peers
# ---------------------------------------------------------------------------------------

GROUPS = {socket.AF_INET: ["239.1.2.3"], socket.AF_INET6: ["ff12::1234", "ff02::1:3"]}
FAMILIES = {socket.AF_INET: "IPv4", socket.AF_INET6: "IPv6"}


def group_address(group: str, port: int) -> str:
    return f"[{group}]:{port}" if ":" in group else f"{group}:{port}"


def group_port(address: str) -> int:
    """The port of "GROUP:PORT" as `listen` prints it (an IPv6 group may carry "%SCOPE",
    which names an interface of the receiver's namespace only)."""
    return int(address.rsplit(":", 1)[1])


def listen(directory: str, host: Host, group: str, port: int, *options: str, iface: str | None = None) -> Running:
    """`wirepack listen` in `host`'s namespace, joined on its link (or on `iface`)."""
    return Running(directory, ["listen", "--multicast", group_address(group, port), "--iface", iface or host.link,
                               *options], prefix=host.prefix)


def send(host: Host, address: str, *options: str, iface: str | None = None) -> None:
    """`wirepack send --multicast` from `host`'s namespace, out of its link (or `iface`)."""
    result = run_tool(["send", "--multicast", address, "--iface", iface or host.link, *options], prefix=host.prefix,
                      timeout=WAIT)
    check(result.returncode == 0 and result.stdout == b"", f"send {address} {options}: {result!r}")


def expect_nothing(listener: Running, what: str) -> None:
    """A `listen --count 1 --timeout QUIET` that must run out of time."""
    status, lines = listener.finish(QUIET + WAIT)
    check(status == 1 and lines == [] and "0 of 1 datagrams" in listener.stderr(),
          f"{what}: the receiver got {lines} (exit {status}; {listener.stderr()!r})")


def peer_program() -> tuple[str, ...]:
    return (sys.executable, os.path.abspath(__file__), "--peer")


def python_send(host: Host, family: int, group: str, port: int, datagrams: list[bytes], hops: int = 1) -> None:
    """A python3 sender in `host`'s namespace, out of its link."""
    iface = host.ipv4 if family == socket.AF_INET else host.link
    command = [*host.prefix, *peer_program(), "send", str(int(family)), group, str(port), iface, str(hops),
               *(data.hex() for data in datagrams)]
    result = subprocess.run(command, capture_output=True, timeout=WAIT)
    check(result.returncode == 0, f"python3 sender: {result!r}")


def python_receiver(directory: str, host: Host, family: int, group: str, count: int) -> Running:
    """A python3 receiver in `host`'s namespace, joined on its link, that prints
    `listening on GROUP:PORT` and then "HEX HOPS" for each of `count` datagrams."""
    iface = host.ipv4 if family == socket.AF_INET else host.link
    return Running(directory, ["receive", str(int(family)), group, iface, str(count)], prefix=host.prefix,
                   program=peer_program())


def peer(arguments: list[str]) -> int:
    """The python3 peers above, run as `multicast_netns_test.py --peer ...` inside a namespace."""
    role, family, group = arguments[0], socket.AddressFamily(int(arguments[1])), arguments[2]
    if role == "send":
        port, iface, hops = int(arguments[3]), arguments[4], int(arguments[5])
        scope = socket.if_nametoindex(iface) if family == socket.AF_INET6 else 0
        destination = (group, port) if family == socket.AF_INET else (group, port, 0, scope)
        with harness.multicast_sender(family, iface, hops) as sender:
            for data in arguments[6:]:
                sender.sendto(bytes.fromhex(data), destination)
        return 0
    iface, count = arguments[3], int(arguments[4])
    with harness.multicast_receiver(family, group, iface) as receiver:
        print("listening on " + group_address(group, receiver.getsockname()[1]), flush=True)
        for _ in range(count):
            data, hops = harness.receive_with_hops(receiver)
            print(data.hex(), hops, flush=True)
    return 0


# ---------------------------------------------------------------------------------------
# Tests
# ---------------------------------------------------------------------------------------


def test_two_receivers(network: Network, directory: str, rng: random.Random) -> None:
    """One sender in ns1, two `wirepack listen` in ns2, every group of both families."""
    fmt = "!HQ"
    for family, groups in GROUPS.items():
        for group in groups:
            messages = [(index, rng.randrange(1 << 64)) for index in range(3)]
            with listen(directory, network.receiver, group, 0, "--format", fmt, "--count", "3",
                        "--timeout", str(WAIT)) as first:
                port = group_port(first.address)
                # The second joins by address for IPv4 (by name is the first).
                iface = network.receiver.ipv4 if family == socket.AF_INET else network.receiver.link
                with listen(directory, network.receiver, group, port, "--count", "3", iface=iface) as second:
                    for number, message in enumerate(messages):
                        # The sender's interface by address once, for IPv4.
                        sender_iface = network.sender.ipv4 if family == socket.AF_INET and number == 1 else None
                        send(network.sender, group_address(group, port), "--format", fmt, *map(str, message),
                             iface=sender_iface)
                    status, lines = first.finish()
                    check(status == 0 and lines == [repr(m) for m in messages],
                          f"{group}: first receiver: exit {status}, {lines}; {first.stderr()!r}")
                    status, lines = second.finish()
                    check(status == 0 and lines == [struct.pack(fmt, *m).hex() for m in messages],
                          f"{group}: second receiver: exit {status}, {lines}; {second.stderr()!r}")


def test_ttl(network: Network, directory: str, rng: random.Random) -> None:
    """A datagram crosses the link to the directly attached host with the default TTL /
    hop limit of 1, and arrives with the one given."""
    for family, groups in GROUPS.items():
        group = groups[0]
        with python_receiver(directory, network.receiver, family, group, 3) as receiver:
            address = group_address(group, group_port(receiver.address))
            for options, hops in (([], 1), (["--ttl", "1"], 1), (["--ttl", "64"], 64)):
                send(network.sender, address, *options, "--format", "<H", str(hops))
                line = receiver.read_line()
                check(line == f"{struct.pack('<H', hops).hex()} {hops}",
                      f"{FAMILIES[family]} {options}: the python3 receiver printed {line!r}")
            check(receiver.finish() == (0, []), "python3 receiver's exit")


def test_membership_interface(network: Network, directory: str, rng: random.Random) -> None:
    """A receiver in ns2 joined on lo gets nothing of what arrives on vB, although vB has
    joined the group for another receiver (so IP_MULTICAST_ALL must be off)."""
    for family, groups in GROUPS.items():
        group = groups[0]
        with listen(directory, network.receiver, group, 0, "--count", "1", "--timeout", str(WAIT)) as joined:
            with listen(directory, network.receiver, group, 0, "--count", "1", "--timeout", str(QUIET),
                        iface="lo") as on_lo:
                send(network.sender, group_address(group, group_port(on_lo.address)), "--format", "<H", "6")
                send(network.sender, group_address(group, group_port(joined.address)), "--format", "<H", "5")
                check(joined.finish() == (0, ["0500"]), f"{FAMILIES[family]}: the receiver joined on the link")
                expect_nothing(on_lo, f"{FAMILIES[family]}: a receiver joined on lo")


def test_interface_choice(network: Network, directory: str, rng: random.Random) -> None:
    """Out of vA reaches ns2 and not ns3; out of vC reaches ns3 and not ns2."""
    for family, groups in GROUPS.items():
        for via, reached, missed in ((network.sender, network.receiver, network.elsewhere),
                                     (network.sender_other, network.elsewhere, network.receiver)):
            group = groups[0]
            with listen(directory, reached, group, 0, "--count", "1", "--timeout", str(WAIT)) as hit:
                port = group_port(hit.address)
                with listen(directory, missed, group, port, "--count", "1", "--timeout", str(QUIET)) as miss:
                    send(via, group_address(group, port), "--format", "<H", "9", iface=via.link)
                    what = f"{FAMILIES[family]} out of {via.link}"
                    check(hit.finish() == (0, ["0900"]), f"{what}: {reached.namespace} got nothing")
                    expect_nothing(miss, f"{what}: {missed.namespace}")


def test_python_interop(network: Network, directory: str, rng: random.Random) -> None:
    """python3 sender in ns1 -> `wirepack listen` in ns2, `wirepack send` in ns2 -> python3
    receiver in ns1, for each group."""
    for family, groups in GROUPS.items():
        for group in groups:
            datagrams = [rng.randbytes(size) for size in (0, 1, 1400, 8000)]
            with listen(directory, network.receiver, group, 0, "--count", str(len(datagrams)),
                        "--timeout", str(WAIT)) as listener:
                python_send(network.sender, family, group, group_port(listener.address), datagrams)
                status, lines = listener.finish()
                check(status == 0 and lines == [data.hex() for data in datagrams],
                      f"python3 -> wirepack {group}: exit {status}, {lines}; {listener.stderr()!r}")

            with python_receiver(directory, network.sender, family, group, 1) as receiver:
                send(network.receiver, receiver.address, "--format", "<hd2s", "-7", "1.5", "b'ok'")
                status, lines = receiver.finish()
                expected = f"{struct.pack('<hd2s', -7, 1.5, b'ok').hex()} 1"
                check(status == 0 and lines == [expected],
                      f"wirepack -> python3 {group}: exit {status}, {lines}; {receiver.stderr()!r}")


TESTS = [test_two_receivers, test_ttl, test_membership_interface, test_interface_choice, test_python_interop]


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "--peer":
        return peer(sys.argv[2:])

    arguments = harness.parse_arguments(__doc__, SEED)

    if os.geteuid() != 0:
        print("skip: only root can make network namespaces and veth pairs", flush=True)
        return SKIPPED
    if shutil.which("ip") is None:
        print("skip: no 'ip' command (iproute2)", flush=True)
        return SKIPPED

    # ctest's timeout and ^C end the test through `finally`, which deletes the namespaces.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("stopped by SIGTERM"))
    network = Network()
    started = time.monotonic()
    with harness.scratch_directory("wirepack-netns-") as directory:
        try:
            try:
                network.create()
            except Skip as reason:
                print(f"skip: {reason}", flush=True)
                return SKIPPED
            print(f"network ready ({time.monotonic() - started:.1f} s)", flush=True)
            failures = harness.run_tests(TESTS, arguments, network, directory)
        finally:
            network.delete()
    return harness.summarize(failures, started)


if __name__ == "__main__":
    sys.exit(main())
