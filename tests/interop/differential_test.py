#!/usr/bin/env python3
"""Differential test: wirepack against python3's own `struct` module.

Random formats (valid and malformed) and random values (in range, out of range,
of the wrong kind) go through two paths, and every result must match what
CPython's `struct` does:

* the `wirepack` tool (`calcsize`, `pack`, `unpack`, `iter-unpack`), one process
  per command, run from a thread pool;
* the compile-time API: a few hundred valid cases are written into generated
  translation units (`wirepack::pack<"FMT">(...)`, then `unpack` and a repack of
  the tuple), compiled with the given compiler and flags, and run.

wirepack follows *current* CPython. Where the python3 running this script (3.11
on Debian 12) still behaves differently, the oracle models the current
behaviour; each such place is marked "CPython 3.11:" below.

Usage (as ctest runs it):
    differential_test.py --tool build/wirepack --cxx g++ --include include \
        [--boost-include DIR] [--cxxflags="..."] [--seed N] [--cases N]

Standard library only. Deterministic for a given --seed.
"""

from __future__ import annotations

import argparse
import ast
import concurrent.futures
import math
import os
import random
import re
import shlex
import shutil
import struct
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field

DEFAULT_SEED = 20240607
DEFAULT_TOOL_CASES = 3000
DEFAULT_COMPILE_CASES = 400
MAX_SHOWN_DIFFERENCES = 20

ORDERS = ["", "@", "=", "<", ">", "!"]
STANDARD_CODES = "xcbB?hHiIlLqQefdsp"
NATIVE_ONLY_CODES = "nNP"
INTEGER_CODES = set("bBhHiIlLqQnNP")
SIGNED_CODES = set("bhilqn")
FLOAT_CODES = set("efd")
WHITESPACE = " \t\n\r\x0b\x0c"  # what CPython's struct skips between items
BAD_CHARS = "aAEFgGjJkKmMoOrRStTuUvVwWXyYzZ$%&*()[]{}-+./,;:#'\"`~^|_<>=!@"

# A struct larger than this is never packed: CPython would try to allocate it.
PACKABLE_SIZE = 1 << 16

# ---------------------------------------------------------------------------------------
# Formats
# ---------------------------------------------------------------------------------------


@dataclass
class Format:
    """A generated format string and, when CPython accepts it, its layout."""

    text: str
    order: str = ""
    items: list = field(default_factory=list)  # [(count or None, code)]; set by classify() when valid
    valid: bool = False  # according to CPython (struct.calcsize succeeded)
    size: int = 0
    error: str | None = None  # CPython's message when not valid
    value_count: int = 0

    @property
    def native(self) -> bool:
        return self.order in ("", "@")

    def slots(self):
        """One (code, string length or None) per value that pack takes."""
        result = []
        for count, code in self.items:
            n = 1 if count is None else count
            if code == "x":
                continue
            if code in "sp":
                result.append((code, n))
            else:
                result.extend([(code, None)] * n)
        return result

    def oracle_text(self) -> str:
        """The format CPython must be asked about to get current CPython's answer.

        CPython 3.11: `0p` writes a stray 0xff into the byte at its offset when
        packing (`struct.pack('0px', b'')` == b'\\xff') and raises SystemError
        when unpacking. Current behaviour (and wirepack's) is that of `0s`: no
        byte written, b'' unpacked. `0s` has the same layout and takes the same
        one bytes argument, so the oracle asks about `0s` instead.
        """
        if not self.valid or not any(count == 0 and code == "p" for count, code in self.items):
            return self.text
        return self.order + "".join(
            ("0s" if (count == 0 and code == "p") else (("" if count is None else str(count)) + code))
            for count, code in self.items
        )


def item_text(count, code) -> str:
    return ("" if count is None else str(count)) + code


def random_count(rng: random.Random, code: str):
    r = rng.random()
    if code in "sp" and r < 0.1:
        return 0
    if r < 0.55:
        return None
    if r < 0.90:
        return rng.randint(0, 5)
    if code in "sp":
        return rng.choice([rng.randint(6, 40), rng.randint(250, 300), 255, 256, 257])
    if code == "x":
        return rng.randint(6, 40)
    return rng.randint(6, 12)


def random_whitespace(rng: random.Random) -> str:
    return "".join(rng.choice(WHITESPACE) for _ in range(rng.randint(1, 2)))


def render(order: str, items, rng: random.Random, spaced: float) -> str:
    parts = [order]
    for k, (count, code) in enumerate(items):
        if rng.random() < spaced and (k > 0 or order):
            parts.append(random_whitespace(rng))
        parts.append(item_text(count, code))
    if rng.random() < spaced / 2 and (items or order):
        parts.append(random_whitespace(rng))
    return "".join(parts)


def random_valid_format(rng: random.Random, max_items: int = 6, spaced: float = 0.2) -> Format:
    order = rng.choice(ORDERS)
    codes = STANDARD_CODES + (NATIVE_ONLY_CODES if order in ("", "@") else "")
    n_items = min(rng.choice([0, 1, 1, 2, 2, 3, 3, 4, 5, 6]), max_items)
    items = [(random_count(rng, code), code) for code in (rng.choice(codes) for _ in range(n_items))]
    return Format(text=render(order, items, rng, spaced), order=order, items=items)


HUGE_FORMATS = [
    "9223372036854775807x", "9223372036854775808x", "9223372036854775807s", "<9223372036854775807p",
    "99999999999999999999h", "4611686018427387904h", "4611686018427387903h", "@b4611686018427387903h",
    "=b4611686018427387903h", "1152921504606846975q", "c1152921504606846975q", "<c1152921504606846975q",
    "9223372036854775807xc", "9223372036854775806xh", "<9223372036854775806xh", "2305843009213693951i",
    "!2305843009213693952i", "18446744073709551616x", "0x9223372036854775807x", "b9223372036854775806x",
]


def random_malformed_format(rng: random.Random) -> Format:
    """A format that is usually invalid (CPython has the last word)."""
    base = random_valid_format(rng)
    order, items = base.order, list(base.items)
    kind = rng.randrange(10)
    if kind == 0:  # a character that is not a format character
        bad = rng.choice(BAD_CHARS + "\u00e9\u20ac" if rng.random() < 0.05 else BAD_CHARS)
        items.insert(rng.randint(0, len(items)), (rng.choice([None, None, 2]), bad))
        return Format(text=render(order, items, rng, 0.2))
    if kind == 1:  # a repeat count with nothing after it
        return Format(text=render(order, items, rng, 0.2) + str(rng.randint(0, 20)))
    if kind == 2:  # whitespace before the byte-order character or the first item
        return Format(text=random_whitespace(rng) + render(order, items, rng, 0.2))
    if kind == 3:  # n, N or P outside native mode
        order = rng.choice("=<>!")
        items.insert(rng.randint(0, len(items)), (rng.choice([None, 0, 1, 3]), rng.choice(NATIVE_ONLY_CODES)))
        return Format(text=render(order, items, rng, 0.2))
    if kind == 4:  # whitespace between a count and its code
        code = rng.choice(STANDARD_CODES)
        text = render(order, items, rng, 0.2)
        return Format(text=text + str(rng.randint(0, 9)) + random_whitespace(rng) + code)
    if kind == 5:  # a byte-order character after the start
        text = render(order, items, rng, 0.2)
        k = rng.randint(0, len(text))
        return Format(text=text[:k] + rng.choice("@=<>!") + text[k:])
    if kind == 6:  # sizes at and beyond PY_SSIZE_T_MAX
        return Format(text=rng.choice(HUGE_FORMATS))
    if kind == 7:  # two byte-order characters, or nothing but one
        return Format(text=rng.choice(["", "@", "<", "<<h", "@=", "!>h", "<>", "= "]))
    if kind == 8:  # digits only, or a count before the byte-order character
        return Format(text=rng.choice(["0", "1", "12", "3<h", "2@i", "007"]) + render("", items, rng, 0.1))
    # A valid format with odd whitespace (\v, \f) and zero counts everywhere.
    items = [(0 if rng.random() < 0.5 else count, code) for count, code in items]
    return Format(text=render(order, items, rng, 0.9), order=order, items=items)


def classify(fmt: Format) -> Format:
    """Ask CPython whether `fmt` is valid, and how large it is."""
    try:
        fmt.size = struct.calcsize(fmt.text)
        fmt.valid = True
    except Exception as e:  # struct.error, UnicodeEncodeError for non-ASCII
        fmt.valid = False
        fmt.error = str(e) if isinstance(e, struct.error) else None
        fmt.items = []
        return fmt
    fmt.order = fmt.text[0] if fmt.text[:1] in ("@", "=", "<", ">", "!") else ""
    fmt.items = parse_items(fmt.text)
    fmt.value_count = count_values(fmt.items)
    return fmt


def parse_items(text: str):
    """The (count or None, code) items of a valid format."""
    body = text[1:] if text[:1] in ("@", "=", "<", ">", "!") else text
    return [(int(m.group(1)) if m.group(1) else None, m.group(2))
            for m in re.finditer(r"(\d*)([^\d\s])", body)]


def count_values(items) -> int:
    total = 0
    for count, code in items:
        if code in "sp":
            total += 1
        elif code != "x":
            total += 1 if count is None else count
    return total


# ---------------------------------------------------------------------------------------
# Values
# ---------------------------------------------------------------------------------------

NAN = float("nan")
NEG_NAN = -float("nan")
INF = float("inf")
FLT_MAX = struct.unpack("<f", b"\xff\xff\x7f\x7f")[0]
FLT_OVERFLOW = 3.4028235677973366e38  # halfway between FLT_MAX and 2**128: rounds to inf


def int_range(code: str, order: str):
    bits = 8 * struct.calcsize(order + code)
    if code == "P":  # CPython takes a negative address (two's complement) down to -2**63
        return -(1 << 63), (1 << bits) - 1
    if code in SIGNED_CODES:
        return -(1 << (bits - 1)), (1 << (bits - 1)) - 1
    return 0, (1 << bits) - 1


def half_value(bits: int) -> float:
    return struct.unpack("<e", bits.to_bytes(2, "little"))[0]


def float32_value(bits: int) -> float:
    return struct.unpack("<f", bits.to_bytes(4, "little"))[0]


def random_int(rng: random.Random, code: str, order: str):
    lo, hi = int_range(code, order)
    r = rng.random()
    if r < 0.85:
        return rng.choice([
            lo, hi, 0, 1, lo + 1, hi - 1, max(lo, -1), rng.randint(lo, hi), rng.randint(lo, hi),
            rng.randint(max(lo, -300), min(hi, 300)), 1 << rng.randrange(hi.bit_length()),
        ])
    if r < 0.96:
        return rng.choice([
            lo - 1, hi + 1, lo - rng.randint(1, 1 << 70), hi + rng.randint(1, 1 << 70),
            1 << 64, -(1 << 64), 1 << 63, -(1 << 63) - 1, (1 << 64) - 1, -(1 << 63),
            rng.choice([-1, 1]) * rng.getrandbits(rng.choice([65, 100, 200])),
        ])
    return rng.choice([True, False])


def random_float(rng: random.Random, code: str):
    r = rng.random()
    if r < 0.12:
        return rng.choice([0.0, -0.0, INF, -INF, NAN, NEG_NAN, 1.0, -1.5])
    if r < 0.24:  # at and around overflow
        return rng.choice([
            65504.0, -65504.0, 65519.99999999999, 65520.0, -65520.0, 65536.0, 1e5,
            FLT_MAX, -FLT_MAX, FLT_OVERFLOW, math.nextafter(FLT_OVERFLOW, 0.0), -FLT_OVERFLOW,
            1e39, -1e39, 1e300, -1e300, 1.7976931348623157e308,
        ])
    if r < 0.32:  # subnormals of every width, and ties to zero
        return rng.choice([
            5e-324, -5e-324, 2.2250738585072014e-308, 2.0 ** -149, 2.0 ** -150, 3 * 2.0 ** -150,
            2.0 ** -126, 2.0 ** -24, -(2.0 ** -24), 2.0 ** -25, 3 * 2.0 ** -25, 2.0 ** -14,
            math.nextafter(2.0 ** -25, 1.0), rng.randint(1, 1023) * 2.0 ** -24,
        ])
    if r < 0.50:  # half rounding midpoints, and a hair to either side
        k = rng.randrange(0x7c00 - 1)
        mid = (half_value(k) + half_value(k + 1)) / 2
        mid = rng.choice([mid, mid, math.nextafter(mid, INF), math.nextafter(mid, -INF)])
        return -mid if rng.random() < 0.3 else mid
    if r < 0.62:  # float rounding midpoints
        k = rng.randrange(0x7f800000 - 1)
        mid = (float32_value(k) + float32_value(k + 1)) / 2
        mid = rng.choice([mid, mid, math.nextafter(mid, INF), math.nextafter(mid, -INF)])
        return -mid if rng.random() < 0.3 else mid
    if r < 0.80:  # anything a double can hold, scaled to the format's range
        exponent = {"e": rng.randint(-26, 17), "f": rng.randint(-152, 129), "d": rng.randint(-1075, 1024)}[code]
        return math.ldexp(rng.uniform(-1.0, 1.0), exponent)
    if r < 0.86:
        x = struct.unpack("<d", rng.randbytes(8))[0]
        return x if math.isfinite(x) else 0.25
    if r < 0.96:  # Python ints for a float format
        return rng.choice([
            0, 1, -7, 65504, 65519, 65520, 70000, rng.randint(-(1 << 53), 1 << 53), 1 << 64,
            -(1 << 100), (1 << 128) - (1 << 103), 1 << 128, 1 << 1023, 1 << 1024,
        ])
    return rng.choice([True, False])


def random_bytes(rng: random.Random, length: int) -> bytes:
    n = rng.choice([0, max(length - 1, 0), length, length, length + 1, rng.randint(0, length + 3)])
    if rng.random() < 0.2:  # make sure every byte value turns up
        return bytes(rng.randrange(256) for _ in range(n))
    alphabet = b"\x00\x01\x7f\x80\xff'\"\\\n\r\t abcXYZ019\x07\x1b"
    return bytes(rng.choice(alphabet) if rng.random() < 0.6 else rng.randrange(256) for _ in range(n))


def wrong_kind(rng: random.Random, code: str):
    if code in INTEGER_CODES:
        return rng.choice([1.0, -0.5, NAN, INF, b"a", b""])
    if code in FLOAT_CODES:
        return rng.choice([b"a", b"", b"1.5"])
    if code == "c":
        return rng.choice([65, 0, b"", b"ab", 1.0, True])
    if code in "sp":
        return rng.choice([0, 5, 1.5, True, False, NAN])
    return b"x"  # '?' takes anything


def random_value(rng: random.Random, code: str, length, order: str):
    if rng.random() < 0.03:
        return wrong_kind(rng, code)
    if code in INTEGER_CODES:
        return random_int(rng, code, order)
    if code in FLOAT_CODES:
        return random_float(rng, code)
    if code == "?":
        return rng.choice([True, False, 0, 1, -1, 1 << 70, 0.0, -0.0, NAN, 0.5, b"", b"\x00", b"ab"])
    if code == "c":
        return bytes([rng.randrange(256)])
    return random_bytes(rng, length)


def random_values(rng: random.Random, fmt: Format):
    if fmt.valid and fmt.value_count <= 64:
        values = [random_value(rng, code, length, fmt.order) for code, length in fmt.slots()]
    else:
        values = [random_value(rng, rng.choice("bHdsc?"), 3, "<") for _ in range(rng.randint(0, 3))]
    r = rng.random()
    if r < 0.03:
        values.append(rng.choice([0, 1.0, b"a"]))
    elif r < 0.06 and values:
        del values[rng.randrange(len(values))]
    return values


# ---------------------------------------------------------------------------------------
# Python literals for the tool
# ---------------------------------------------------------------------------------------


def bytes_literal(rng: random.Random, b: bytes) -> str:
    if rng.random() < 0.7:
        return repr(b)
    quote = rng.choice("'\"")
    out = ["b", quote]
    for i, c in enumerate(b):
        nxt = b[i + 1] if i + 1 < len(b) else None
        ch = chr(c)
        if ch == quote or ch == "\\":
            out.append("\\" + ch)
        elif c == 0 and (nxt is None or not (0x30 <= nxt <= 0x37)) and rng.random() < 0.5:
            out.append("\\0")
        elif ch in "\n\r\t" and rng.random() < 0.7:
            out.append({"\n": "\\n", "\r": "\\r", "\t": "\\t"}[ch])
        elif 0x20 <= c < 0x7f and rng.random() < 0.8:
            out.append(ch)
        else:
            digits = "%02x" % c
            out.append("\\x" + (digits.upper() if rng.random() < 0.3 else digits))
    out.append(quote)
    text = "".join(out)
    assert ast.literal_eval(text) == b, text
    return text


def literal(rng: random.Random, v) -> str:
    """`v` written as a Python literal that the tool reads back to the same value."""
    if isinstance(v, bool):
        return "True" if v else "False"
    if isinstance(v, int):
        r = rng.random()
        if r < 0.15:
            return ("-" if v < 0 else "") + hex(abs(v))
        if r < 0.20 and v >= 0:
            return f"{v:_}"
        return str(v)
    if isinstance(v, float):
        if math.isnan(v):
            return "-nan" if math.copysign(1.0, v) < 0 else "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        if rng.random() < 0.1:
            return "%.17e" % v
        return repr(v)
    if isinstance(v, bytes):
        return bytes_literal(rng, v)
    raise TypeError(v)


# ---------------------------------------------------------------------------------------
# The oracle: CPython 3.11's struct, corrected to current CPython
# ---------------------------------------------------------------------------------------

# CPython 3.11 words integer range errors in several ways ("ubyte format requires
# 0 <= number <= 255", "short format requires ...", "argument out of range", "int
# too large to convert"); current CPython always says
# "'B' format requires 0 <= number <= 255", which is what wirepack says.
RANGE_MESSAGE_311 = re.compile(
    r"^(?:(?:u?byte|u?short) format requires .*|'.' format requires .*|argument out of range|int too large to convert)$")


@dataclass
class Outcome:
    ok: bool
    output: str = ""  # what the tool prints on stdout when ok
    message: str | None = None  # the expected error message; None: any message


def value_error(code: str, length, v, fmt: Format):
    """The error CPython raises for packing `v` as item `code`, or None."""
    single = fmt.order + ("" if length is None else str(length)) + code
    try:
        struct.pack(single, v)
    except Exception as e:
        message = str(e)
        if code in INTEGER_CODES and code != "P" and isinstance(e, struct.error) and RANGE_MESSAGE_311.match(message):
            lo, hi = int_range(code, fmt.order)
            message = f"'{code}' format requires {lo} <= number <= {hi}"
        return Outcome(False, message=message)
    if code == "f" and fmt.native:
        # CPython 3.11: native `f` casts to float and silently packs inf for a finite
        # value that overflows; current CPython (gh-145633) packs it through
        # PyFloat_Pack4 like the standard sizes, so it raises what `=f` raises.
        try:
            struct.pack("=f", v)
        except Exception as e:
            return Outcome(False, message=str(e))
    return None


def oracle_pack(fmt: Format, values) -> Outcome:
    if not fmt.valid:
        return Outcome(False, message=fmt.error)
    if len(values) != fmt.value_count:
        try:
            struct.pack(fmt.text, *values)
        except struct.error as e:
            return Outcome(False, message=str(e))
        raise AssertionError("CPython packed a wrong number of values")
    for (code, length), v in zip(fmt.slots(), values):
        failure = value_error(code, length, v, fmt)
        if failure:
            return failure
    return Outcome(True, struct.pack(fmt.oracle_text(), *values).hex())


def oracle_unpack(fmt: Format, data: bytes) -> Outcome:
    if not fmt.valid:
        return Outcome(False, message=fmt.error)
    try:
        # CPython 3.11: unpacking `0p` raises SystemError; see Format.oracle_text.
        return Outcome(True, str(struct.unpack(fmt.oracle_text(), data)))
    except struct.error as e:
        return Outcome(False, message=str(e))


def oracle_iter_unpack(fmt: Format, data: bytes) -> Outcome:
    if not fmt.valid:
        return Outcome(False, message=fmt.error)
    try:
        return Outcome(True, "".join(str(t) + "\n" for t in struct.iter_unpack(fmt.oracle_text(), data)))
    except struct.error as e:
        return Outcome(False, message=str(e))


def oracle_calcsize(fmt: Format) -> Outcome:
    if not fmt.valid:
        return Outcome(False, message=fmt.error)
    return Outcome(True, str(fmt.size))


# ---------------------------------------------------------------------------------------
# The tool path
# ---------------------------------------------------------------------------------------


@dataclass
class ToolCommand:
    case: int
    argv: list
    expected: Outcome
    note: str = ""  # what the values were, for the report


@dataclass
class Difference:
    where: str
    reproduce: str
    expected: str
    actual: str


def hex_text(rng: random.Random, data: bytes) -> str:
    text = data.hex()
    r = rng.random()
    if r < 0.1:
        return text.upper()
    if r < 0.2 and data:
        return " ".join(text[i:i + 2] for i in range(0, len(text), 2))
    return text


def tool_commands(rng: random.Random, case: int, fmt: Format) -> list:
    commands = []
    huge = fmt.valid and fmt.size > PACKABLE_SIZE

    if rng.random() < 0.5 or not fmt.valid:
        commands.append(ToolCommand(case, ["calcsize", fmt.text], oracle_calcsize(fmt)))

    if not huge or fmt.value_count > 64:  # a huge struct with few values would be allocated
        values = random_values(rng, fmt)
        expected = oracle_pack(fmt, values)
        commands.append(ToolCommand(case, ["pack", fmt.text] + [literal(rng, v) for v in values], expected,
                                    note="values " + repr(tuple(values))))
    else:
        expected = Outcome(False)

    # unpack: the bytes just packed, random bytes, or the wrong number of bytes
    if huge:
        data = rng.randbytes(rng.randint(0, 8))
    elif expected.ok and rng.random() < 0.5:
        data = bytes.fromhex(expected.output)
    else:
        data = rng.randbytes(fmt.size)
    if rng.random() < 0.1:
        data = data + rng.randbytes(rng.randint(1, 3)) if rng.random() < 0.5 or not data else data[:-1]
    commands.append(ToolCommand(case, ["unpack", fmt.text, hex_text(rng, data)], oracle_unpack(fmt, data)))

    if rng.random() < 0.35:
        if huge:
            data = rng.choice([b"", rng.randbytes(5)])
        else:
            data = rng.randbytes(fmt.size * rng.randint(0, 3))
            if rng.random() < 0.2:
                data += rng.randbytes(rng.randint(1, 3))
        commands.append(ToolCommand(case, ["iter-unpack", fmt.text, hex_text(rng, data)],
                                    oracle_iter_unpack(fmt, data)))
    return commands


def run_tool(tool: str, command: ToolCommand):
    try:
        p = subprocess.run([tool] + command.argv, capture_output=True, timeout=30)
    except subprocess.TimeoutExpired:
        return None
    return p.returncode, p.stdout.decode("utf-8", "backslashreplace"), p.stderr.decode("utf-8", "backslashreplace")


def message_matches(actual: str, expected: str) -> bool:
    # wirepack may say where in the format the problem is: "bad char in struct format (position 2)".
    return actual == expected or actual.startswith(expected + " (position ")


def judge_tool(tool: str, command: ToolCommand, result):
    """A Difference, or None when the tool did what CPython does."""
    reproduce = shlex.join([tool] + command.argv)
    exp = command.expected
    if exp.ok:
        expected_text = "exit 0, stdout " + repr(exp.output if command.argv[0] == "iter-unpack" else exp.output + "\n")
    else:
        expected_text = "exit 1, stderr 'error: %s'" % ("..." if exp.message is None else exp.message)
    if command.note:
        expected_text += "  [" + command.note + "]"
    if result is None:
        return Difference(f"case {command.case} {command.argv[0]}", reproduce, expected_text, "timed out (30 s)")
    rc, out, err = result
    actual_text = f"exit {rc}, stdout {out!r}, stderr {err!r}"
    if exp.ok:
        want = exp.output if command.argv[0] == "iter-unpack" else exp.output + "\n"
        good = rc == 0 and out == want
    else:
        lines = err.splitlines()
        good = (rc == 1 and out == "" and len(lines) == 1 and lines[0].startswith("error: ")
                and (exp.message is None or message_matches(lines[0][len("error: "):], exp.message)))
    return None if good else Difference(f"case {command.case} {command.argv[0]}", reproduce, expected_text,
                                        actual_text)


# ---------------------------------------------------------------------------------------
# The compile-time path
# ---------------------------------------------------------------------------------------

CXX_SUFFIXED = [  # (type, min, max, literal suffix)
    ("int", -(1 << 31), (1 << 31) - 1, ""),
    ("unsigned", 0, (1 << 32) - 1, "U"),
    ("long", -(1 << 63), (1 << 63) - 1, "L"),
    ("unsigned long", 0, (1 << 64) - 1, "UL"),
    ("long long", -(1 << 63), (1 << 63) - 1, "LL"),
    ("unsigned long long", 0, (1 << 64) - 1, "ULL"),
]
CXX_CAST = [
    ("std::int8_t", -(1 << 7), (1 << 7) - 1), ("std::uint8_t", 0, (1 << 8) - 1),
    ("std::int16_t", -(1 << 15), (1 << 15) - 1), ("std::uint16_t", 0, (1 << 16) - 1),
    ("std::int32_t", -(1 << 31), (1 << 31) - 1), ("std::uint32_t", 0, (1 << 32) - 1),
    ("std::int64_t", -(1 << 63), (1 << 63) - 1), ("std::uint64_t", 0, (1 << 64) - 1),
    ("short", -(1 << 15), (1 << 15) - 1), ("signed char", -(1 << 7), (1 << 7) - 1),
    ("std::size_t", 0, (1 << 64) - 1), ("std::ptrdiff_t", -(1 << 63), (1 << 63) - 1),
]


def cxx_integer(rng: random.Random, v: int, unsigned_only=False) -> str:
    """`v` as a C++ integer expression of a randomly chosen type that holds it."""
    if isinstance(v, bool):
        return "true" if v else "false"
    suffixed = [t for t in CXX_SUFFIXED if t[1] <= v <= t[2] and (not unsigned_only or t[1] == 0)]
    cast = [t for t in CXX_CAST if t[1] <= v <= t[2] and (not unsigned_only or t[1] == 0)]
    plain = f"{v}ULL" if v > (1 << 63) - 1 else (f"{v}LL" if v >= 0 else f"(-{-v - 1}LL - 1)")
    if cast and rng.random() < 0.4:
        return f"static_cast<{rng.choice(cast)[0]}>({plain})"
    _, _, _, suffix = rng.choice(suffixed)
    if v < 0:
        return f"(-{-v - 1}{suffix} - 1)"
    return (hex(v) if rng.random() < 0.2 else str(v)) + suffix


def cxx_double(v: float) -> str:
    if math.isnan(v):
        return ("-" if math.copysign(1.0, v) < 0 else "") + "std::numeric_limits<double>::quiet_NaN()"
    if math.isinf(v):
        return ("-" if v < 0 else "") + "std::numeric_limits<double>::infinity()"
    return float.hex(v)


def cxx_bytes(b: bytes) -> str:
    return 'std::string_view("' + "".join("\\%03o" % c for c in b) + f'", {len(b)})'


def is_float32(v: float) -> bool:
    """Whether a C++ float holds `v` exactly."""
    return math.isfinite(v) and abs(v) <= FLT_MAX and struct.unpack("<f", struct.pack("<f", v))[0] == v


def cxx_argument(rng: random.Random, code: str, v) -> str:
    if code in INTEGER_CODES:
        return cxx_integer(rng, v, unsigned_only=(code == "P"))
    if code in FLOAT_CODES:
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, int):
            return cxx_integer(rng, v)
        if code == "f" and is_float32(v) and rng.random() < 0.3:
            return f"static_cast<float>({cxx_double(v)})"
        return cxx_double(v)
    if code == "?":
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, int):
            return cxx_integer(rng, v)
        return cxx_double(v)
    if code == "c":
        c = v[0]
        return rng.choice([f"static_cast<char>({c})", f"std::byte{{{c}}}", f"static_cast<unsigned char>({c})"])
    if rng.random() < 0.15 and b"\0" not in v and all(0x20 <= c < 0x7f and c not in b'"\\?' for c in v):
        return '"' + v.decode() + '"'  # a string literal, converted to std::string_view
    return cxx_bytes(v)


def cxx_representable(code: str, v) -> bool:
    if isinstance(v, bool):
        return code != "c" and code not in "sp"
    if code in INTEGER_CODES:
        return isinstance(v, int) and (0 if code == "P" else -(1 << 63)) <= v <= (1 << 64) - 1
    if code in FLOAT_CODES:
        if isinstance(v, int):  # Python int: only where no overflow can make the messages differ
            return abs(v) <= (65504 if code == "e" else (1 << 62))
        return isinstance(v, float)
    if code == "?":
        return isinstance(v, float) or (isinstance(v, int) and -(1 << 63) <= v < (1 << 63))
    if code == "c":
        return isinstance(v, bytes) and len(v) == 1
    return isinstance(v, bytes)


def cxx_format_literal(text: str) -> str:
    escapes = {"\t": "\\t", "\n": "\\n", "\r": "\\r", "\x0b": "\\v", "\x0c": "\\f"}
    return '"' + "".join(escapes.get(c, c) for c in text) + '"'


def layout(fmt: Format):
    """(code, offset) of every element of a valid format."""
    result = []
    for k, (count, code) in enumerate(fmt.items):
        prefix = fmt.order + "".join(item_text(c, d) for c, d in fmt.items[:k])
        offset = struct.calcsize(prefix + "0" + code)  # a zero count still aligns
        n = 1 if count is None else count
        if code in "sp":
            result.append((code, offset))
        elif code != "x":
            size = struct.calcsize(fmt.order + code)
            result.extend((code, offset + j * size) for j in range(n))
    return result


def quiet_float_nans(fmt: Format, data: bytes) -> bytes:
    """Sets the quiet bit of every signalling NaN in the `f` fields of `data`.

    Python turns a float sNaN into a qNaN when it widens it to a double; a C++
    float keeps it, so the repacked bytes differ for reasons that are not
    wirepack's (CPython 3.14 keeps the payload too).
    """
    out = bytearray(data)
    big = fmt.order in (">", "!") or (fmt.order in ("", "@", "=") and sys.byteorder == "big")
    for code, offset in layout(fmt):
        if code != "f":
            continue
        bits = int.from_bytes(out[offset:offset + 4], "big" if big else "little")
        if (bits >> 23) & 0xff == 0xff and bits & 0x7fffff and not bits & 0x400000:
            out[offset:offset + 4] = (bits | 0x400000).to_bytes(4, "big" if big else "little")
    return bytes(out)


@dataclass
class CompileCase:
    index: int
    source: str  # the C++ function
    expected: list  # the lines it must print, without the leading index
    description: str


def compile_time_case(rng: random.Random, index: int) -> CompileCase:
    while True:
        fmt = classify(random_valid_format(rng, max_items=5, spaced=0.15))
        if fmt.valid and fmt.size <= 600 and fmt.value_count <= 16:
            break
    slots = fmt.slots()
    literal_fmt = cxx_format_literal(fmt.text)
    call_pack = f"wirepack::pack<{literal_fmt}>"
    lines = [f"    std::printf(\"{index} calcsize %zu\\n\", wirepack::calcsize<{literal_fmt}>());"]
    expected = [f"calcsize {fmt.size}"]
    repack = (f"wirepack::apply([](const auto&... v) {{ return {call_pack}(v...); }}, "
              f"wirepack::unpack<{literal_fmt}>(std::span<const std::byte>(bytes)))")

    if rng.random() < 0.15:  # unpack arbitrary bytes, then repack the tuple
        data = quiet_float_nans(fmt, rng.randbytes(fmt.size))
        init = ", ".join(f"std::byte{{{c}}}" for c in data)
        lines.append(f"    const std::array<std::byte, {len(data)}> bytes{{{init}}};")
        lines.append(f"    emit({index}, \"repack\", {repack});")
        expected.append("repack " + struct.pack(fmt.oracle_text(), *struct.unpack(fmt.oracle_text(), data)).hex())
        description = f"format {fmt.text!r}, unpack and repack {data.hex()}"
    else:
        values = []
        for code, length in slots:
            while True:
                v = random_value(rng, code, length, fmt.order)
                if cxx_representable(code, v) and value_error(code, length, v, fmt) is None:
                    break
            values.append(v)
        # Some cases carry one value out of range, which must throw at run time.
        candidates = [k for k, (code, _) in enumerate(slots) if code in INTEGER_CODES - {"P"} or code in "ef"]
        if candidates and rng.random() < 0.12:
            k = rng.choice(candidates)
            code = slots[k][0]
            if code in INTEGER_CODES:
                lo, hi = int_range(code, fmt.order)
                options = [x for x in (lo - 1, hi + 1, lo - 1000, hi + 1000, -1) if
                           -(1 << 63) <= x <= (1 << 64) - 1 and not lo <= x <= hi]
                values[k] = rng.choice(options) if options else values[k]
            else:
                values[k] = rng.choice([65520.0, -1e10, 1e300] if code == "e" else [1e39, -FLT_OVERFLOW, 1e300])
        outcome = oracle_pack(fmt, values)
        arguments = ", ".join(cxx_argument(rng, code, v) for (code, _), v in zip(slots, values))
        lines.append(f"    const auto bytes = {call_pack}({arguments});")
        lines.append(f"    emit({index}, \"pack\", bytes);")
        lines.append(f"    emit({index}, \"repack\", {repack});")
        if outcome.ok:
            packed = bytes.fromhex(outcome.output)
            again = struct.pack(fmt.oracle_text(), *struct.unpack(fmt.oracle_text(), packed)).hex()
            expected += [f"pack {outcome.output}", f"repack {again}"]
        else:
            expected.append(f"error {outcome.message}")
        description = f"format {fmt.text!r}, values {tuple(values)!r}"

    body = "\n".join(lines)
    source = (f"static void case_{index}() {{\n  try {{\n{body}\n  }} catch (const wirepack::error& e) {{\n"
              f"    std::printf(\"{index} error %s\\n\", e.what());\n  }}\n"
              f"  std::fflush(stdout);  // a crash in a later case keeps this one's lines\n}}\n")
    return CompileCase(index, source, expected, description)


CXX_PRELUDE = """// Generated by tests/interop/differential_test.py: do not edit.
#include <wirepack/struct.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <span>
#include <string_view>
#include <tuple>

namespace {

template <std::size_t N>
void emit(int index, const char* what, const std::array<std::byte, N>& bytes) {
    std::printf("%d %s ", index, what);
    for (std::byte b : bytes) std::printf("%02x", static_cast<unsigned>(b));
    std::printf("\\n");
}

"""


def write_translation_units(directory: str, cases, parts: int):
    sources = []
    for part in range(parts):
        chunk = cases[part::parts]
        text = CXX_PRELUDE + "".join(c.source for c in chunk) + "\n}  // namespace\n\n"
        text += f"void run_part_{part}() {{\n" + "".join(f"    case_{c.index}();\n" for c in chunk) + "}\n"
        path = os.path.join(directory, f"part{part}.cpp")
        with open(path, "w") as f:
            f.write(text)
        sources.append(path)
    main = "".join(f"void run_part_{p}();\n" for p in range(parts))
    main += "int main() {\n" + "".join(f"    run_part_{p}();\n" for p in range(parts)) + "}\n"
    path = os.path.join(directory, "main.cpp")
    with open(path, "w") as f:
        f.write(main)
    return sources + [path]


class CompileJob:
    """Compiles the generated translation units in the background."""

    def __init__(self, args, directory: str, sources):
        self.directory = directory
        flags = ["-std=c++20", "-O1", "-I", args.include] + (["-I", args.boost_include] if args.boost_include else [])
        self.cxxflags = shlex.split(args.cxxflags or "")
        self.objects = [s[:-4] + ".o" for s in sources]
        self.commands = [[args.cxx] + flags + self.cxxflags + ["-c", s, "-o", o] for s, o in zip(sources, self.objects)]
        self.link = [args.cxx] + self.cxxflags + self.objects + ["-o", os.path.join(directory, "compile_time_cases")]
        self.processes = [subprocess.Popen(c, stdout=subprocess.PIPE, stderr=subprocess.STDOUT) for c in self.commands]

    def cancel(self):
        for p in self.processes:
            if p.poll() is None:
                p.kill()
                p.wait()

    def finish(self):
        """The program's path, or raises RuntimeError with the compiler's output."""
        for command, p in zip(self.commands, self.processes):
            out, _ = p.communicate()
            if p.returncode != 0:
                raise RuntimeError(f"compiling failed: {shlex.join(command)}\n{out.decode(errors='replace')[:6000]}")
        p = subprocess.run(self.link, capture_output=True)
        if p.returncode != 0:
            raise RuntimeError(f"linking failed: {shlex.join(self.link)}\n{(p.stdout + p.stderr).decode(errors='replace')}")
        return self.link[-1]


def judge_compile_time(cases, parts: int, program: str, directory: str):
    differences = []
    try:
        p = subprocess.run([program], capture_output=True, timeout=300)
        stdout, stderr, returncode = p.stdout, p.stderr, p.returncode
    except subprocess.TimeoutExpired as e:
        stdout, stderr, returncode = e.stdout or b"", e.stderr or b"", "timed out (300 s)"
    actual = {}
    for line in stdout.decode("utf-8", "backslashreplace").splitlines():
        index, _, rest = line.partition(" ")
        if not index.isdigit():
            differences.append(Difference("compile-time program", program, "only case lines", repr(line)))
            continue
        actual.setdefault(int(index), []).append(rest.rstrip(" "))
    failed = set()
    if returncode != 0:
        # main() runs part 0, part 1, ... and each part its cases in order, so the
        # first case that printed nothing is the one that crashed or hung.
        in_order = [c.index for part in range(parts) for c in cases[part::parts]]
        silent = [i for i in in_order if i not in actual]
        differences.append(Difference(
            "compile-time program", program, "exit 0",
            f"exit {returncode} in case {silent[0] if silent else '?'}, "
            f"stderr {stderr.decode(errors='replace')[-2000:]!r}"))
    for case in cases:
        want = [e.rstrip(" ") for e in case.expected]
        got = actual.get(case.index, [])
        if got != want:
            failed.add(case.index)
            differences.append(Difference(
                f"compile-time case {case.index} ({case.description})",
                f"{program}  (source: case_{case.index} in {directory}/part*.cpp)",
                " | ".join(want), " | ".join(got) or "(nothing printed)"))
    return differences, failed


# ---------------------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------------------


def parse_arguments():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tool", help="the wirepack executable (omit with --no-tool)")
    parser.add_argument("--cxx", help="the C++ compiler for the compile-time cases")
    parser.add_argument("--include", help="wirepack's include directory")
    parser.add_argument("--boost-include", default="", help="Boost's include directory, if not a default one")
    parser.add_argument("--cxxflags", default="", help="extra compiler and linker flags, e.g. sanitizers")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--cases", type=int, default=DEFAULT_TOOL_CASES, help="tool cases")
    parser.add_argument("--compile-cases", type=int, default=DEFAULT_COMPILE_CASES, help="compile-time cases")
    parser.add_argument("--parts", type=int, default=4, help="translation units for the compile-time cases")
    parser.add_argument("--jobs", type=int, default=max(2, 2 * (os.cpu_count() or 1)), help="tool processes at once")
    parser.add_argument("--keep", action="store_true", help="keep the generated sources even when all pass")
    parser.add_argument("--no-tool", action="store_true", help="skip the tool path")
    parser.add_argument("--no-compile", action="store_true", help="skip the compile-time path")
    args = parser.parse_args()
    if not args.no_tool and not args.tool:
        parser.error("--tool is required (or --no-tool)")
    if not args.no_tool and not os.access(args.tool, os.X_OK):
        parser.error(f"--tool {args.tool}: not an executable file")
    if not args.no_compile and not (args.cxx and args.include):
        parser.error("--cxx and --include are required (or --no-compile)")
    if args.no_tool:
        args.cases = 0
    if args.no_compile:
        args.compile_cases = 0
    return args


def main() -> int:
    args = parse_arguments()
    started = time.monotonic()
    print(f"differential: seed {args.seed}, python {sys.version.split()[0]}", flush=True)

    # Generate everything first, from separate streams, so that the cases do not
    # depend on timing or on how many of the other kind there are.
    compile_cases = [compile_time_case(random.Random(f"{args.seed}/compile/{i}"), i)
                     for i in range(args.compile_cases)]
    tool_cases = []
    for i in range(args.cases):
        rng = random.Random(f"{args.seed}/tool/{i}")
        fmt = random_malformed_format(rng) if rng.random() < 0.2 else random_valid_format(rng)
        tool_cases.append(tool_commands(rng, i, classify(fmt)))

    directory = None
    job = None
    differences = []
    compile_differences = []
    failed_cases = set()
    failed_compile = set()
    try:
        if compile_cases:
            directory = tempfile.mkdtemp(prefix="wirepack-differential-")
            sources = write_translation_units(directory, compile_cases, max(1, args.parts))
            job = CompileJob(args, directory, sources)

        commands = [c for case in tool_cases for c in case]
        if commands:
            tool = os.path.abspath(args.tool)
            with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
                results = list(pool.map(lambda c: run_tool(tool, c), commands))
            for command, result in zip(commands, results):
                difference = judge_tool(tool, command, result)
                if difference:
                    differences.append(difference)
                    failed_cases.add(command.case)
            print(f"differential: {len(commands)} tool runs in {time.monotonic() - started:.1f} s", flush=True)

        if job:
            try:
                program = job.finish()
                compile_differences, failed_compile = judge_compile_time(compile_cases, max(1, args.parts),
                                                                         program, directory)
            except RuntimeError as e:
                compile_differences = [Difference("compile-time cases", str(e).splitlines()[0].split(": ", 1)[1],
                                                  "compiles and links", str(e))]
                failed_compile = {c.index for c in compile_cases}
            differences += compile_differences
            print(f"differential: compile-time cases done at {time.monotonic() - started:.1f} s", flush=True)
    finally:
        if job:
            job.cancel()  # only does something when the tool path failed early
        if directory and not compile_differences and not args.keep:
            shutil.rmtree(directory, ignore_errors=True)

    for d in differences[:MAX_SHOWN_DIFFERENCES]:
        print(f"\nDIFFERENCE in {d.where}\n  reproduce: {d.reproduce}\n  expected:  {d.expected}\n  actual:    {d.actual}")
    if len(differences) > MAX_SHOWN_DIFFERENCES:
        print(f"\n... and {len(differences) - MAX_SHOWN_DIFFERENCES} more differences")
    if directory and (compile_differences or args.keep):
        print(f"\ngenerated sources kept in {directory}")

    total = args.cases + args.compile_cases
    failed = len(failed_cases) + len(failed_compile)
    print(f"differential: finished in {time.monotonic() - started:.1f} s")
    print(f"differential: {args.cases} tool cases, {args.compile_cases} compile-time cases, "
          f"{len(differences)} differences")
    print(f"{total - failed} passed, {failed} failed")
    return 1 if differences else 0


if __name__ == "__main__":
    sys.exit(main())
