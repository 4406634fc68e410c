#!/usr/bin/env python3
"""Writes a translation unit that packs and unpacks COUNT distinct struct formats,
for bench/compile_time.sh.

    generate_formats.py wirepack|hand COUNT MIN_FIELDS MAX_FIELDS [--seed N] > tu.cpp

Each format has a random byte order (@ = < > !) and MIN_FIELDS..MAX_FIELDS value
fields drawn from the integer, bool, char, float and string codes (b B ? h H i I l
L q Q c f d Ns, plus n N P under @), with an occasional pad ("Nx") and an
occasional repeat count ("3h"). `e` and `p` are left out because they have no
one-line hand-written equivalent.

`wirepack`: one `pack_K(...)` calling `wirepack::pack<"...">` and one `unpack_K(span)`
calling `wirepack::unpack<"...">`, arguments of the exact wire types.
`hand`: the same two functions written with Boost.Endian: endian_store/endian_load
at offsets computed here, memcpy/memset for strings, a struct for the values.
Both are real (non-inline) functions, so every format is generated and optimized.
"""

import argparse
import random

# code: (standard size, C++ type under standard sizes)
STANDARD = {
    "b": (1, "std::int8_t"), "B": (1, "std::uint8_t"), "?": (1, "bool"), "c": (1, "char"),
    "h": (2, "std::int16_t"), "H": (2, "std::uint16_t"), "i": (4, "std::int32_t"), "I": (4, "std::uint32_t"),
    "l": (4, "std::int32_t"), "L": (4, "std::uint32_t"), "q": (8, "std::int64_t"), "Q": (8, "std::uint64_t"),
    "f": (4, "float"), "d": (8, "double"),
}
# Native sizes and alignments on x86-64 Linux (what `@` means there).
NATIVE = dict(STANDARD)
NATIVE.update({"l": (8, "long"), "L": (8, "unsigned long"), "n": (8, "std::ptrdiff_t"), "N": (8, "std::size_t"),
               "P": (8, "std::uintptr_t")})
ORDERS = {"@": "native", "=": "native", "<": "little", ">": "big", "!": "big"}
# Weighted like real protocol headers: mostly unsigned integers, some floats and strings.
WEIGHTS = {"B": 6, "H": 8, "I": 8, "Q": 5, "b": 2, "h": 3, "i": 4, "q": 2, "l": 1, "L": 1, "?": 2, "c": 1,
           "f": 3, "d": 4, "s": 4, "n": 1, "N": 1, "P": 1}


def random_format(rng, fields):
    order = rng.choice(list(ORDERS))
    codes = [c for c in WEIGHTS if c not in "nNP" or order == "@"]
    weights = [WEIGHTS[c] for c in codes]
    items = []  # (code, count)
    n = 0
    while n < fields:
        if rng.random() < 0.08:
            items.append(("x", rng.randint(1, 3)))
        code = rng.choices(codes, weights)[0]
        if code == "s":
            items.append(("s", rng.choice([2, 4, 6, 8, 12, 16, 32])))
            n += 1
        else:
            count = rng.randint(2, 4) if rng.random() < 0.1 else 1
            count = min(count, fields - n)
            items.append((code, count))
            n += count
    text = order + "".join((str(c) if c != 1 or code in "sx" else "") + code for code, c in items)
    return order, items, text


def layout(order, items):
    """Every value as (code, offset, size), every pad as ('x', offset, size), and the total size."""
    table = NATIVE if order == "@" else STANDARD
    out, offset = [], 0
    for code, count in items:
        if code in "sx":
            out.append((code, offset, count))
            offset += count
            continue
        size = table[code][0]
        if order == "@" and offset % size:
            out.append(("x", offset, size - offset % size))
            offset += size - offset % size
        for _ in range(count):
            out.append((code, offset, size))
            offset += size
    return out, offset


def cxx_type(order, code, size):
    if code == "s":
        return f"std::array<char, {size}>"
    return (NATIVE if order == "@" else STANDARD)[code][1]


def argument_type(order, code, size):
    return "std::string_view" if code == "s" else cxx_type(order, code, size)


def wirepack_functions(k, order, items, text):
    fields, size = layout(order, items)
    values = [(c, o, s) for c, o, s in fields if c != "x"]
    params = ", ".join(f"{argument_type(order, c, s)} a{j}" for j, (c, o, s) in enumerate(values))
    args = ", ".join(f"a{j}" for j in range(len(values)))
    return (f'std::array<std::byte, {size}> pack_{k}({params}) {{ return wirepack::pack<"{text}">({args}); }}\n'
            f'wirepack::unpacked<"{text}"> unpack_{k}(std::span<const std::byte> b) '
            f'{{ return wirepack::unpack<"{text}">(b); }}\n')


def hand_functions(k, order, items, text):
    fields, size = layout(order, items)
    endian = f"boost::endian::order::{ORDERS[order]}"
    values = [(c, o, s) for c, o, s in fields if c != "x"]
    lines = [f"// {text}", f"struct values_{k} {{"]
    lines += [f"    {cxx_type(order, c, s)} f{j};" for j, (c, o, s) in enumerate(values)]
    lines.append("};")
    params = ", ".join(f"{argument_type(order, c, s)} a{j}" for j, (c, o, s) in enumerate(values))
    lines.append(f"std::array<std::byte, {size}> pack_{k}({params}) {{")
    lines.append(f"    std::array<std::byte, {size}> out;")
    lines.append("    unsigned char* p = reinterpret_cast<unsigned char*>(out.data());")
    j = 0
    for c, o, s in fields:
        if c == "x":
            lines.append(f"    std::memset(p + {o}, 0, {s});")
            continue
        a = f"a{j}"
        j += 1
        if c == "s":
            lines.append(f"    {{ const std::size_t n = std::min<std::size_t>({a}.size(), {s}); "
                         f"std::memcpy(p + {o}, {a}.data(), n); std::memset(p + {o} + n, 0, {s} - n); }}")
        elif c in "?c":
            lines.append(f"    p[{o}] = static_cast<unsigned char>({a});")
        else:
            lines.append(f"    boost::endian::endian_store<{cxx_type(order, c, s)}, {s}, {endian}>(p + {o}, {a});")
    lines.append("    return out;")
    lines.append("}")
    lines.append(f"values_{k} unpack_{k}(std::span<const std::byte> b) {{")
    lines.append(f"    if (b.size() != {size}) throw std::runtime_error(\"unpack requires a buffer of {size} bytes\");")
    lines.append("    const unsigned char* p = reinterpret_cast<const unsigned char*>(b.data());")
    lines.append(f"    values_{k} v;")
    for j, (c, o, s) in enumerate(values):
        if c == "s":
            lines.append(f"    std::memcpy(v.f{j}.data(), p + {o}, {s});")
        elif c == "?":
            lines.append(f"    v.f{j} = p[{o}] != 0;")
        elif c == "c":
            lines.append(f"    v.f{j} = static_cast<char>(p[{o}]);")
        else:
            lines.append(f"    v.f{j} = boost::endian::endian_load<{cxx_type(order, c, s)}, {s}, {endian}>(p + {o});")
    lines.append("    return v;")
    lines.append("}")
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("variant", choices=["wirepack", "hand"])
    parser.add_argument("count", type=int)
    parser.add_argument("min_fields", type=int)
    parser.add_argument("max_fields", type=int)
    parser.add_argument("--seed", type=int, default=2024)
    options = parser.parse_args()

    rng = random.Random(options.seed)
    seen = set()
    formats = []
    while len(formats) < options.count:
        order, items, text = random_format(rng, rng.randint(options.min_fields, options.max_fields))
        if text not in seen:
            seen.add(text)
            formats.append((order, items, text))

    if options.variant == "wirepack":
        print("#include <wirepack/struct.hpp>\n")
        for k, f in enumerate(formats):
            print(wirepack_functions(k, *f))
    else:
        print("#include <algorithm>\n#include <array>\n#include <cstddef>\n#include <cstdint>\n#include <cstring>\n"
              "#include <span>\n#include <stdexcept>\n#include <string_view>\n\n"
              "#include <boost/endian/conversion.hpp>\n")
        for k, f in enumerate(formats):
            print(hand_functions(k, *f))


if __name__ == "__main__":
    main()
