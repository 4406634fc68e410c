#!/usr/bin/env bash
# Runs bench/udp_bench.cpp (UDP datagrams received per second over 127.0.0.1, nothing
# lost, wirepack against hand-written loops) and prints the rates and the ratios with the
# targets (Markdown), through bench/summarize.py --udp.
#
# Usage: bench/udp_run.sh [--quick] [--diagnostics]
#   --quick         3 runs of 0.1 s per variant instead of 9 of 0.25 s (10 s instead of 40 s)
#   --diagnostics   also the variants that pair a wirepack side with a hand-written one
# Environment:
#   CXX=g++         the compiler (clang++ works too)
#   BUILD=dir       an existing build directory to use instead of a fresh one
#   QUIET=30        seconds in all that runs may wait for other processes to pause
# Needs: cmake, ninja, libbenchmark-dev, libboost-dev, python3, Linux (recvmmsg; UDP_SEGMENT
# and UDP_GRO are used where the kernel has them). Two cores or more: the sender and the
# receiver each want one. Runs wait for a quiet machine (QUIET), and the summary leaves
# out the runs other processes disturbed anyway; a run that lost a datagram is reported
# as such and never counted.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
source "$here/socket_bench_setup.sh"
socket_bench_setup udp_bench udp-bench "$@"

runs=9
seconds=0.25
if [[ $quick == 1 ]]; then runs=3; seconds=0.1; fi

echo "== bench/udp_bench.cpp ($cxx, real time, $runs runs of $seconds s per variant, shuffled)"
"$build/udp_bench" "${extra[@]}" --runs="$runs" --seconds_per_run="$seconds" --wait_for_quiet="$quiet" \
    --benchmark_out="$out/udp.json" --benchmark_out_format=json >"$out/console.txt" 2>&1
grep -c 'ERROR OCCURRED' "$out/console.txt" | sed 's/$/ run(s) failed (see the summary)/' | grep -v '^0 ' || true
echo
echo "== Summary ($(uname -m), Linux $(uname -r), $(nproc) cores, load average $load_before before," \
    "$(cut -d' ' -f1-3 /proc/loadavg) after; ran in $((SECONDS - start)) s)"
echo
python3 "$here/summarize.py" --udp "$out"
cat <<EOF

Reproduce (from the repository root):
    CXX=$cxx bash bench/udp_run.sh
    $build/udp_bench --benchmark_filter='^1400/' --runs=9 --benchmark_out=udp.json --benchmark_out_format=json
    python3 bench/summarize.py --udp .
Raw results: $out/udp.json (every run), $out/console.txt
EOF
