#!/usr/bin/env bash
# Runs bench/net_bench.cpp (frames per second over a Unix socketpair and TCP loopback,
# wirepack against hand-written loops) and prints the wirepack / raw ratios with the
# targets (Markdown), through bench/summarize.py --net.
#
# Usage: bench/net_run.sh [--quick] [--diagnostics]
#   --quick         3 repetitions of 0.1 s instead of 7 of 0.25 s (about 15 s instead of 80 s)
#   --diagnostics   also the variants that pair a wirepack side with a hand-written one
# Environment:
#   CXX=g++         the compiler (clang++ works too)
#   BUILD=dir       an existing build directory to use instead of a fresh one
#   QUIET=30        seconds in all that runs may wait for other processes to pause
# Needs: cmake, ninja, libbenchmark-dev, libboost-dev, python3. Two cores or more: the
# sender and the receiver each want one. Other busy processes skew the ratios: runs
# wait for a pause (QUIET), and the summary leaves out the runs they disturbed anyway.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
source "$here/socket_bench_setup.sh"
socket_bench_setup net_bench net-bench "$@"

repetitions=7
seconds=0.25
if [[ $quick == 1 ]]; then repetitions=3; seconds=0.1; fi

echo "== bench/net_bench.cpp ($cxx, real time, $repetitions runs of $seconds s; medians over every run)"
"$build/net_bench" "${extra[@]}" --seconds_per_run="$seconds" --wait_for_quiet="$quiet" \
    --benchmark_repetitions="$repetitions" --benchmark_display_aggregates_only=true \
    --benchmark_enable_random_interleaving=true \
    --benchmark_out="$out/net.json" --benchmark_out_format=json 2>/dev/null |
    grep '_median' | sed -E 's#/iterations:1/real_time_median##' |
    awk '{ line = $1; for (i = 2; i <= NF; ++i) if ($i ~ /^(items_per_second|others_cores)=/) line = line "  " $i; print line }'

echo
echo "== Summary ($(uname -m), $(nproc) cores, load average $load_before before," \
    "$(cut -d' ' -f1-3 /proc/loadavg) after; ran in $((SECONDS - start)) s)"
echo
python3 "$here/summarize.py" --net "$out"
cat <<EOF

Reproduce (from the repository root):
    CXX=$cxx bash bench/net_run.sh
    $build/net_bench --benchmark_filter='unix/16/' --benchmark_repetitions=7 --benchmark_report_aggregates_only=true
Raw results: $out/net.json
EOF
