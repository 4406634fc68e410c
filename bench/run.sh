#!/usr/bin/env bash
# Runs every wirepack benchmark and prints one summary table (Markdown) of
#   wirepack's compile-time API vs hand-written Boost.Endian: instructions (callgrind) and ns,
#   the run-time wirepack::Struct vs CPython's struct.Struct: speed-up,
#   compile seconds for 50 formats, and the growth with the number of fields.
# Timings run in 3 rounds, C++ and CPython in turn; each ratio is the median of its rounds.
#
# Usage: bench/run.sh [--quick]      (--quick: one round, fewer repetitions, no compile-time growth study)
# Needs: g++, clang++, libbenchmark-dev, libboost-dev, valgrind, python3.
# Keeps its raw results in a directory it prints at the end.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
quick=0
for arg in "$@"; do
    case "$arg" in
    --quick) quick=1 ;;
    *) echo "usage: $0 [--quick]" >&2; exit 2 ;;
    esac
done

out="$(mktemp -d /tmp/wirepack-bench.XXXXXX)"
export RESULTS="$out/results.tsv"
: >"$RESULTS"
repetitions=5
rounds=3
min_time=0.1
if [[ $quick == 1 ]]; then repetitions=3; rounds=1; min_time=0.05; fi
start=$SECONDS

for cxx in g++ clang++; do
    "$cxx" -std=c++20 -O2 -DNDEBUG -I"$root/include" "$here/struct_bench.cpp" -lbenchmark -pthread \
        -o "$out/struct_bench-$cxx"
done
# Rounds of every timing, C++ and CPython in turn, so that a slow spell of the machine
# falls on both sides of a ratio; the summary takes the median of each ratio's rounds.
for round in $(seq "$rounds"); do
    for cxx in g++ clang++; do
        echo "== round $round/$rounds: bench/struct_bench.cpp, $cxx (CPU time, median of $repetitions repetitions)"
        "$out/struct_bench-$cxx" --benchmark_repetitions="$repetitions" --benchmark_report_aggregates_only=true \
            --benchmark_min_time="$min_time" --benchmark_enable_random_interleaving=true \
            --benchmark_out="$out/bench-$cxx-$round.json" --benchmark_out_format=json 2>/dev/null |
            grep '_median' | sort
    done
    echo "== round $round/$rounds: bench/cpython_struct.py"
    python3 "$here/cpython_struct.py" --repeat "$repetitions" --json "$out/cpython-$round.json"
done

echo
echo "== callgrind: bench/callgrind.sh"
if [[ $quick == 1 ]]; then bash "$here/callgrind.sh" --quick; else bash "$here/callgrind.sh"; fi

echo
echo "== compile time: bench/compile_time.sh"
if [[ $quick == 1 ]]; then REPS=1 bash "$here/compile_time.sh" --no-growth; else bash "$here/compile_time.sh"; fi

echo
echo "== Summary ($(uname -m), $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg); ran in $((SECONDS - start)) s)"
echo
python3 "$here/summarize.py" "$out"
cat <<EOF

Reproduce (from the repository root):
    bash bench/run.sh
    g++ -std=c++20 -O2 -DNDEBUG -Iinclude bench/struct_bench.cpp -lbenchmark -pthread -o /tmp/struct_bench
    /tmp/struct_bench --benchmark_repetitions=5 --benchmark_report_aggregates_only=true --benchmark_enable_random_interleaving=true
    python3 bench/cpython_struct.py
    bash bench/callgrind.sh [--asm]
    bash bench/compile_time.sh
Raw results: $out
EOF
