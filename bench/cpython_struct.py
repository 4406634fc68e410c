#!/usr/bin/env python3
"""Times CPython's struct.Struct on the formats of bench/struct_bench.cpp.

Prints CPU ns per call (the median of --repeat timeit runs, each long enough to
take about 0.1 s; CPU time, like Google Benchmark's "CPU" column, so that other
jobs on the machine inflate it less than wall time) for Struct.pack, Struct.pack_into and Struct.unpack of
'<I2sf' and '!HHIQdd16s', in a table like Google Benchmark's.

The calls are as fast as Python allows: bound methods and arguments are local
variables of the timed function (timeit puts `setup` and `stmt` in one function),
and the arguments are passed directly, not through *args.

    python3 bench/cpython_struct.py [--repeat 5] [--json FILE]
"""

import argparse
import json
import platform
import statistics
import struct
import sys
import time
import timeit

FORMATS = {
    "<I2sf": (1, b"ab", 2.7),
    "!HHIQdd16s": (1, 0x8001, 1000, 0x0102030405060708, 0.0, -1.25, b"sensor-0042-east"),
}


def cases(fmt, values):
    s = struct.Struct(fmt)
    names = [f"a{k}" for k in range(len(values))]
    args = ", ".join(names)
    setup = {"s": s, "buffer": bytearray(s.size), "packed": s.pack(*values)}
    setup.update(zip(names, values))
    prelude = f"pack = s.pack; pack_into = s.pack_into; unpack = s.unpack; {args}, = values"
    return s.size, prelude, {
        "pack": f"pack({args})",
        "pack_into": f"pack_into(buffer, 0, {args})",
        "unpack": "unpack(packed)",
    }, setup


def time_ns(stmt, prelude, namespace, repeat, target_seconds=0.1):
    timer = timeit.Timer(stmt, setup=prelude, timer=time.process_time, globals=namespace)
    number = 1000
    while timer.timeit(number) < target_seconds / 4:
        number *= 4
    runs = timer.repeat(repeat=repeat, number=number)
    return [t / number * 1e9 for t in runs]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="timeit runs per call (the median is reported)")
    parser.add_argument("--json", help="also write the results to this file")
    options = parser.parse_args()

    print(f"CPython {platform.python_version()} ({sys.executable}), CPU time, median of {options.repeat} runs")
    print(f"{'Benchmark':<32}{'median ns':>12}{'min ns':>10}{'max ns':>10}")
    print("-" * 64)
    results = []
    for fmt, values in FORMATS.items():
        size, prelude, statements, setup = cases(fmt, values)
        setup["values"] = values
        for operation, stmt in statements.items():
            runs = time_ns(stmt, prelude, setup, options.repeat)
            median = statistics.median(runs)
            name = f"{operation}/{fmt}/CPython"
            print(f"{name:<32}{median:>12.1f}{min(runs):>10.1f}{max(runs):>10.1f}")
            results.append({"name": name, "operation": operation, "format": fmt, "ns": median, "runs": runs})
    if options.json:
        with open(options.json, "w") as out:
            json.dump({"python": platform.python_version(), "results": results}, out, indent=1)


if __name__ == "__main__":
    main()
