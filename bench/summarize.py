#!/usr/bin/env python3
"""Prints the summary table of bench/run.sh (Markdown, for the README) from the
results it collected in DIR:

    bench-<compiler>-<round>.json   Google Benchmark output of struct_bench (aggregates only)
    cpython-<round>.json            bench/cpython_struct.py --json, in the same round
    results.tsv                     rows appended by bench/callgrind.sh and bench/compile_time.sh

Every time is a median of repetitions within a round; a ratio is taken within each
round and the summary shows the median over the rounds (with the times of that round).

    summarize.py DIR

With --net, the table of bench/net_run.sh instead, from DIR/net.json (net_bench's
Google Benchmark output, every run):

    summarize.py --net DIR

With --udp, the tables of bench/udp_run.sh, from DIR/udp.json (udp_bench's output):

    summarize.py --udp DIR
"""

import json
import os
import statistics
import sys

COMPILERS = ["g++", "clang++"]
FORMATS = ["!HHIQdd16s", "<I2sf"]


def round_numbers(directory):
    """The rounds of which bench/run.sh left any timing, in order; exits if there are none."""
    found = set()
    for name in os.listdir(directory):
        stem, extension = os.path.splitext(name)
        if extension == ".json" and (stem.startswith("cpython-") or stem.startswith("bench-")):
            number = stem.rsplit("-", 1)[-1]
            if number.isdigit():
                found.add(int(number))
    if not found:
        sys.exit(f"summarize.py: no timings (cpython-<round>.json, bench-<compiler>-<round>.json) in {directory}")
    return sorted(found)


def load_benchmarks(directory, round_number):
    """{(compiler, benchmark name): CPU ns} of one round, the median of its repetitions;
    empty if the round has none."""
    medians = {}
    for cxx in COMPILERS:
        path = os.path.join(directory, f"bench-{cxx}-{round_number}.json")
        if not os.path.exists(path):
            continue
        with open(path) as f:
            data = json.load(f)
        for b in data["benchmarks"]:
            if b.get("aggregate_name") == "median":
                scale = {"ns": 1, "us": 1e3, "ms": 1e6}[b["time_unit"]]
                medians[(cxx, b["run_name"])] = b["cpu_time"] * scale
    return medians


def load_cpython(directory, round_number):
    """(Python version, {(operation, format): ns}) of one round; (None, {}) if it has none."""
    path = os.path.join(directory, f"cpython-{round_number}.json")
    if not os.path.exists(path):
        return None, {}
    with open(path) as f:
        data = json.load(f)
    return data["python"], {(r["operation"], r["format"]): r["ns"] for r in data["results"]}


def median_round(pairs):
    """Of (numerator, denominator) pairs, one per round, the pair whose ratio is the
    median, over the rounds that have both numbers (for an even count, the one of the
    two middle pairs whose ratio is nearer 1); None if no round has both."""
    present = sorted(((a, b) for a, b in pairs if a and b), key=lambda pair: pair[0] / pair[1])
    if not present:
        return None
    lower, upper = present[(len(present) - 1) // 2], present[len(present) // 2]
    return min(lower, upper, key=lambda pair: abs(pair[0] / pair[1] - 1))


def load_rows(directory):
    rows = []
    path = os.path.join(directory, "results.tsv")
    if os.path.exists(path):
        with open(path) as f:
            rows = [line.rstrip("\n").split("\t") for line in f if line.strip()]
    return rows


NET_TRANSPORTS = [("unix", "Unix socketpair"), ("tcp", "TCP 127.0.0.1")]
NET_SIZES = [16, 256, 4096, 65536]
NET_BATCHED_RAW = ["raw_writev", "raw_copy"]
NET_OTHERS_LIMIT = 0.25  # cores


def size_name(size):
    return f"{size // 1024} KiB" if size >= 1024 else f"{size} B"


def rate_name(rate):
    return f"{rate / 1e6:.2f}M" if rate >= 1e6 else f"{rate / 1e3:.0f}k"


def undisturbed_rates(runs):
    """From {key: [(rate, others_cores), ...]}: the median rate of each key and its
    coefficient of variation over the runs during which other processes kept less than
    NET_OTHERS_LIMIT of a core busy (all runs, and the key marked disturbed, when that
    leaves fewer than 3); also how many runs were left out of how many."""
    rate, spread, disturbed = {}, {}, set()
    dropped = total = 0
    for key, measured in runs.items():
        clean = [r for r, others in measured if others < NET_OTHERS_LIMIT]
        total += len(measured)
        if len(clean) < 3:
            clean = [r for r, _ in measured]
            disturbed.add(key)
        else:
            dropped += len(measured) - len(clean)
        rate[key] = statistics.median(clean)
        spread[key] = statistics.pstdev(clean) / statistics.mean(clean)
    return rate, spread, disturbed, dropped, total


def net_table(directory):
    """wirepack / raw frames per second, each against the baseline its target names:
    send_frame against one sendmsg per frame; frame_batch against the faster batched raw
    loop (writev or one copy) at 16 B and 256 B, and against the fastest raw loop at all
    at 4 KiB and 64 KiB."""
    with open(os.path.join(directory, "net.json")) as f:
        data = json.load(f)
    runs = {}
    for b in data["benchmarks"]:
        if b.get("run_type") == "iteration" and "items_per_second" in b:
            transport, size, variant = b["run_name"].split("/")[:3]
            runs.setdefault((transport, int(size), variant), []).append(
                (b["items_per_second"], b.get("others_cores", 0.0)))
    rate, spread, disturbed, dropped, total = undisturbed_rates(runs)

    def ratio(transport, size, ours, baselines, target):
        theirs = [(rate[(transport, size, v)], v) for v in baselines if (transport, size, v) in rate]
        mine = rate.get((transport, size, ours))
        if mine is None or not theirs:
            return "n/a", None
        best, which = max(theirs)
        value = mine / best
        met = "met" if value >= target else "**missed**"
        if {(transport, size, ours), (transport, size, which)} & disturbed:
            met += ", disturbed"
        # Runs that vary more than the gap (the coefficient of variation of either side)
        # make a miss a matter of luck: say so rather than hide it.
        noise = max(spread.get((transport, size, ours), 0), spread.get((transport, size, which), 0))
        if value < target and noise > 1 - value:
            met += f", runs vary by {noise:.0%}"
        return f"{rate_name(mine)} / {rate_name(best)} `{which}` = **{value:.2f}** ({met})", value >= target

    out = ["| Transport | Payload | `send_frame` / `raw_sendmsg` (target ≥ 0.90) | "
           "`frame_batch` / best raw (target) |", "|---|---|---|---|"]
    misses = 0
    for transport, transport_label in NET_TRANSPORTS:
        for size in NET_SIZES:
            one, one_met = ratio(transport, size, "wp_frame", ["raw_sendmsg"], 0.90)
            if size < 4096:
                batch, batch_met = ratio(transport, size, "wp_batch", NET_BATCHED_RAW, 0.70)
                batch += " ≥ 0.70 of the best batched"
            else:
                batch, batch_met = ratio(transport, size, "wp_batch", ["raw_sendmsg"] + NET_BATCHED_RAW, 0.90)
                batch += " ≥ 0.90 of the best"
            misses += (one_met is False) + (batch_met is False)
            out.append(f"| {transport_label} | {size_name(size)} | {one} | {batch} |")
    out.append("")
    out.append(f"Frames per second, median of the runs; {misses} target(s) missed. "
               f"{dropped} of {total} runs left out: other processes used ≥ {NET_OTHERS_LIMIT} core meanwhile"
               + (f"; {len(disturbed)} results had fewer than 3 undisturbed runs (\"disturbed\")." if disturbed else "."))
    print("\n".join(out))


UDP_SIZES = [64, 1400]
UDP_RAW = ["raw_sendto", "raw_mmsg", "raw_gso", "raw_gso_gro"]
UDP_WIREPACK = ["wp_message", "wp_batch", "wp_segments"]
UDP_TWINS = [("wp_message", "raw_sendto"), ("wp_batch", "raw_mmsg"), ("wp_segments", "raw_gso_gro")]
UDP_BATCH_GAIN = 2.5      # wirepack batched / wirepack per message
UDP_OF_BEST_RAW = 0.90    # wirepack's best batched / the best raw loop


def udp_tables(directory):
    """Datagrams received per second (medians), then the ratios the targets name:
    wirepack's best batched path / its per-message path and / the best raw loop; then
    sendmmsg alone against one call per datagram (wirepack and raw), and each wirepack path / its
    raw twin; then the CPU time per datagram of each side. A run that lost a datagram (or
    failed otherwise) carries an error instead of a rate: it is listed, never counted."""
    with open(os.path.join(directory, "udp.json")) as f:
        data = json.load(f)
    runs, lost, counters = {}, {}, {}
    for b in data["benchmarks"]:
        if b.get("run_type") != "iteration":
            continue
        size, variant = b["run_name"].split("/")[:2]
        key = (int(size), variant)
        if b.get("error_occurred"):
            lost.setdefault(key, []).append(b.get("error_message", "?"))
        elif "items_per_second" in b:
            runs.setdefault(key, []).append((b["items_per_second"], b.get("others_cores", 0.0)))
            counters.setdefault(key, []).append(b)
    rate, spread, disturbed, dropped, total = undisturbed_rates(runs)

    # CPU ns per datagram, from the same runs as the rates: the sender's work (without
    # spinning on the window) and the receiver's time.
    cpu = {}
    for key, measured in counters.items():
        used = [b for b in measured if key in disturbed or b.get("others_cores", 0.0) < NET_OTHERS_LIMIT]
        cpu[key] = {
            "work": statistics.median(b["tx_user_ns"] + b["tx_sys_ns"] - b["tx_wait_ns"] for b in used),
            "spin": statistics.median(b["tx_wait_ns"] for b in used),
            "rx": statistics.median(b["rx_user_ns"] + b["rx_sys_ns"] for b in used),
            "per_call": statistics.median(b["rx_per_call"] for b in used),
        }

    def rate_cell(size, variant):
        key = (size, variant)
        if key not in rate:
            return "lost" if key in lost else "n/a"
        cell = f"{rate_name(rate[key])} ±{spread[key]:.0%}"
        if key in lost:
            cell += f" ({len(lost[key])} lost)"
        return cell

    variants = UDP_RAW + UDP_WIREPACK
    out = ["| Payload | " + " | ".join(f"`{v}`" for v in variants) + " |",
           "|---|" + "---|" * len(variants)]
    for size in UDP_SIZES:
        out.append(f"| {size:,} B | " + " | ".join(rate_cell(size, v) for v in variants) + " |")
    out.append("")
    out.append("Datagrams received per second, median of the runs ± their coefficient of variation.")
    out.append("")

    def best(size, candidates):
        found = [(rate[(size, v)], v) for v in candidates if (size, v) in rate]
        return max(found) if found else (None, None)

    def ratio(size, ours, theirs, target=None):
        """`ours` and `theirs` are variant names or (rate, name) pairs of a best-of."""
        mine, mine_name = ours if isinstance(ours, tuple) else (rate.get((size, ours)), ours)
        other, other_name = theirs if isinstance(theirs, tuple) else (rate.get((size, theirs)), theirs)
        if mine is None or other is None:
            return "n/a", None
        value = mine / other
        text = f"{rate_name(mine)} `{mine_name}` / {rate_name(other)} `{other_name}` = **{value:.2f}**"
        if target is None:
            return text, None
        met = value >= target
        notes = ["met" if met else "**missed**"]
        if {(size, mine_name), (size, other_name)} & disturbed:
            notes.append("disturbed")
        noise = max(spread.get((size, mine_name), 0), spread.get((size, other_name), 0))
        if not met and noise > abs(1 - value / target):
            notes.append(f"runs vary by {noise:.0%}")
        return f"{text} ({', '.join(notes)})", met

    # (label, target text, target or None, size -> (ours, theirs))
    rows = [
        ("wirepack's best batched / `wp_message`", f"≥ {UDP_BATCH_GAIN}", UDP_BATCH_GAIN,
         lambda size: (best(size, UDP_WIREPACK[1:]), "wp_message")),
        ("wirepack's best batched / the best raw loop", f"≥ {UDP_OF_BEST_RAW:.2f}", UDP_OF_BEST_RAW,
         lambda size: (best(size, UDP_WIREPACK[1:]), best(size, UDP_RAW))),
        ("sendmmsg alone: `wp_batch` / `wp_message`", "", None, lambda size: ("wp_batch", "wp_message")),
        ("raw loops alike: `raw_mmsg` / `raw_sendto`", "", None, lambda size: ("raw_mmsg", "raw_sendto")),
        ("raw loops alike: `raw_gso_gro` / `raw_sendto`", "", None, lambda size: ("raw_gso_gro", "raw_sendto")),
    ]
    rows += [(f"twins: `{ours}` / `{twin}`", "", None, lambda size, o=ours, t=twin: (o, t)) for ours, twin in UDP_TWINS]

    def cpu_ratio(size, ours, theirs):
        """The twins' CPU per datagram, which other processes disturb less than the rates."""
        a, b = cpu.get((size, ours)), cpu.get((size, theirs))
        if not a or not b or not b["work"] or not b["rx"]:
            return ""
        return f"; CPU per datagram: sender {a['work'] / b['work']:.2f}, receiver {a['rx'] / b['rx']:.2f}"

    out.append("| What is compared | " + " | ".join(f"{s:,} B" for s in UDP_SIZES) + " | Target |")
    out.append("|---|" + "---|" * len(UDP_SIZES) + "---|")
    misses = 0
    for label, target_text, target, pair in rows:
        cells = []
        for size in UDP_SIZES:
            ours, theirs = pair(size)
            text, met = ratio(size, ours, theirs, target)
            misses += met is False
            if label.startswith("twins"):
                text += cpu_ratio(size, ours, theirs)
            cells.append(text)
        out.append(f"| {label} | " + " | ".join(cells) + f" | {target_text} |")
    out.append("")
    out.append(f"{misses} target(s) missed. {dropped} of {total} runs left out: other processes used "
               f"≥ {NET_OTHERS_LIMIT} core meanwhile"
               + (f"; {len(disturbed)} results had fewer than 3 undisturbed runs (\"disturbed\")." if disturbed
                  else "."))
    failed = sum(len(v) for v in lost.values())
    if failed:
        out.append(f"{failed} run(s) lost datagrams or failed, and were not counted:")
        for (size, variant), messages in sorted(lost.items()):
            out.append(f"- `{size}/{variant}`: {len(messages)} run(s), e.g. {messages[0]}")
    else:
        out.append("No run lost a datagram.")

    # Where the time goes: CPU per datagram of each side, medians of the runs the rates used.
    out.append("")
    out.append("| CPU per datagram | " + " | ".join(f"{s:,} B" for s in UDP_SIZES) + " |")
    out.append("|---|" + "---|" * len(UDP_SIZES))
    seen = {v for _, v in cpu}
    for variant in [v for v in variants if v in seen] + sorted(seen - set(variants)):
        cells = []
        for size in UDP_SIZES:
            c = cpu.get((size, variant))
            cells.append(f"{c['work']:.0f} (+{c['spin']:.0f}) / {c['rx']:.0f}; {c['per_call']:.1f}" if c else "n/a")
        out.append(f"| `{variant}` | " + " | ".join(cells) + " |")
    out.append("")
    out.append("Sender's CPU ns of work (+ spinning on the window: the receiver set the pace) / receiver's "
               "CPU ns; datagrams per receive call. Loopback delivers within the send call, so the kernel's "
               "receive path counts for the sender. Other processes change these less than the rates.")
    print("\n".join(out))


def main():
    if sys.argv[1] == "--net":
        net_table(sys.argv[2])
        return
    if sys.argv[1] == "--udp":
        udp_tables(sys.argv[2])
        return
    directory = sys.argv[1]
    rounds = round_numbers(directory)
    ns_rounds = [load_benchmarks(directory, r) for r in rounds]
    cpython_rounds = [load_cpython(directory, r) for r in rounds]
    python_version = next((version for version, _ in cpython_rounds if version), "?")
    rows = load_rows(directory)
    instructions = {(r[1], r[2], r[3]): (float(r[4]), float(r[5])) for r in rows if r[0] == "callgrind"}
    compile_rows = [r for r in rows if r[0] == "compile"]

    def cell_ratio(a, b, digits=1, unit=""):
        if a is None or b is None:
            return "n/a"
        return f"{a:.{digits}f}{unit} / {b:.{digits}f}{unit} = **{a / b:.2f}**"

    def cell_speedup(pairs):
        """CPython ns / wirepack ns of the median round."""
        pair = median_round(pairs)
        if pair is None:
            return "n/a"
        py, ours = pair
        return f"{py:.0f} ns / {ours:.1f} ns = **{py / ours:.1f}x**"

    out = []
    out.append(f"Times: each ratio is the median of {len(rounds)} round(s), C++ and CPython timed in turn; "
               "instruction counts and compile times are not taken in rounds.")
    out.append("")
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
            cells = []
            for cxx in COMPILERS:
                pair = median_round([(ns.get((cxx, f"{op}/{fmt}/wirepack")), ns.get((cxx, f"{op}/{fmt}/hand")))
                                     for ns in ns_rounds])
                cells.append(cell_ratio(*pair, 2, " ns") if pair else "n/a")
            out.append(f"| `\"{fmt}\"` {op}: ns per call, wirepack / hand-written (Google Benchmark) | "
                       f"{cells[0]} | {cells[1]} | ≈ 1 |")
    for fmt in FORMATS:
        # CPython's pack makes new bytes and its unpack a new tuple; Struct's pack and
        # unpack return new containers too, pack_into/unpack_into reuse the caller's storage.
        for op, struct_op in [("pack", "pack"), ("pack", "pack_into"), ("unpack", "unpack"),
                              ("unpack", "unpack_into")]:
            cells = [cell_speedup([(py.get((op, fmt)), ns.get((cxx, f"{struct_op}/{fmt}/Struct")))
                                   for (_, py), ns in zip(cpython_rounds, ns_rounds)])
                     for cxx in COMPILERS]
            out.append(f"| `\"{fmt}\"` CPython {python_version} `Struct.{op}` / `wirepack::Struct::{struct_op}`, "
                       f"speed-up | {cells[0]} | {cells[1]} | ≥ 10x |")
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
