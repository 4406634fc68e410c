#!/usr/bin/env python3
"""Prints the summary table of bench/run.sh (Markdown, for the README) from the
results it collected in DIR:

    bench-<compiler>.json   Google Benchmark output of struct_bench (aggregates only)
    cpython.json            bench/cpython_struct.py --json
    results.tsv             rows appended by bench/callgrind.sh and bench/compile_time.sh

    summarize.py DIR
"""

import json
import os
import sys

COMPILERS = ["g++", "clang++"]
FORMATS = ["!HHIQdd16s", "<I2sf"]


def load_benchmarks(directory):
    medians = {}
    for cxx in COMPILERS:
        path = os.path.join(directory, f"bench-{cxx}.json")
        if not os.path.exists(path):
            continue
        with open(path) as f:
            data = json.load(f)
        for b in data["benchmarks"]:
            if b.get("aggregate_name") == "median":
                scale = {"ns": 1, "us": 1e3, "ms": 1e6}[b["time_unit"]]
                medians[(cxx, b["run_name"])] = b["cpu_time"] * scale
    return medians


def load_rows(directory):
    rows = []
    path = os.path.join(directory, "results.tsv")
    if os.path.exists(path):
        with open(path) as f:
            rows = [line.rstrip("\n").split("\t") for line in f if line.strip()]
    return rows


def main():
    directory = sys.argv[1]
    ns = load_benchmarks(directory)
    rows = load_rows(directory)
    cpython = {}
    path = os.path.join(directory, "cpython.json")
    if os.path.exists(path):
        with open(path) as f:
            data = json.load(f)
        python_version = data["python"]
        cpython = {(r["operation"], r["format"]): r["ns"] for r in data["results"]}
    else:
        python_version = "?"
    instructions = {(r[1], r[2], r[3]): (float(r[4]), float(r[5])) for r in rows if r[0] == "callgrind"}
    compile_rows = [r for r in rows if r[0] == "compile"]

    def cell_ratio(a, b, digits=1, unit=""):
        if a is None or b is None:
            return "n/a"
        return f"{a:.{digits}f}{unit} / {b:.{digits}f}{unit} = **{a / b:.2f}**"

    out = []
    out.append("| What is compared | g++ 12 -O2 | clang++ 14 -O2 | Target |")
    out.append("|---|---|---|---|")
    for fmt in FORMATS:
        for op in ["pack", "unpack"]:
            cells = []
            for cxx in COMPILERS:
                wp_hand = instructions.get((cxx, fmt, op))
                cells.append(cell_ratio(*wp_hand, digits=0) if wp_hand else "n/a")
            out.append(f"| `\"{fmt}\"` {op}: instructions per call, wirepack / hand-written (callgrind) | "
                       f"{cells[0]} | {cells[1]} | ≤ 1.05 |")
        for op in ["pack", "unpack"]:
            cells = [cell_ratio(ns.get((cxx, f"{op}/{fmt}/wirepack")), ns.get((cxx, f"{op}/{fmt}/hand")), 2, " ns")
                     for cxx in COMPILERS]
            out.append(f"| `\"{fmt}\"` {op}: ns per call, wirepack / hand-written (Google Benchmark) | "
                       f"{cells[0]} | {cells[1]} | ≈ 1 |")
    for fmt in FORMATS:
        # CPython's pack allocates new bytes and its unpack a new tuple; Struct's
        # pack/unpack allocate likewise, pack_into/unpack_into reuse the caller's storage.
        for op, struct_op in [("pack", "pack"), ("pack", "pack_into"), ("unpack", "unpack"),
                              ("unpack", "unpack_into")]:
            py = cpython.get((op, fmt))
            cells = []
            for cxx in COMPILERS:
                ours = ns.get((cxx, f"{struct_op}/{fmt}/Struct"))
                cells.append(f"{py:.0f} ns / {ours:.1f} ns = **{py / ours:.1f}x**" if py and ours else "n/a")
            target = "≥ 10x"
            out.append(f"| `\"{fmt}\"` CPython {python_version} `Struct.{op}` / `wirepack::Struct::{struct_op}`, speed-up | "
                       f"{cells[0]} | {cells[1]} | {target} |")
    c = {(r[1], r[2]): r for r in compile_rows}
    if ("50formats", "wirepack") in c:
        w, h = c[("50formats", "wirepack")], c[("50formats", "hand")]
        out.append(f"| Compile a TU packing + unpacking 50 formats, CPU s: wirepack / hand-written | "
                   f"{float(w[3]):.2f} s / {float(h[3]):.2f} s = **{float(w[3]) / float(h[3]):.2f}** | | < 3 s |")
    growth = [r for r in compile_rows if r[1] == "growth"]
    if growth:
        # compile growth FIELDS WIREPACK_S HAND_S WIREPACK_MS_PER_FIELD HAND_MS_PER_FIELD
        first = float(growth[0][5])
        text = ", ".join(f"{r[2]}: {float(r[5]):.1f}" for r in growth)
        worst = max(float(r[5]) / first for r in growth)
        out.append(f"| Compile cost per field (ms), wirepack, by fields per format | {text} "
                   f"(max {worst:.1f}x the 8-field cost) | | flat (linear) |")
    print("\n".join(out))


if __name__ == "__main__":
    main()
