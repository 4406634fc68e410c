#!/usr/bin/env bash
# Counts the instructions of one pack or unpack call with callgrind: wirepack's
# compile-time API against hand-written Boost.Endian code (bench/codecs.hpp), built
# with g++ -O2 and clang++ -O2, and prints the wirepack / hand-written ratio.
#
# The measured functions (bench/callgrind_measured.cpp) are not inlined; the file is
# compiled twice, once calling wirepack and once calling the hand-written code, into
# separate objects (so no identical-code folding can merge the two), and linked with
# bench/callgrind_driver.cpp, which calls one of them N times. callgrind counts only
# inside that function (--toggle-collect), so Ir/call = collected / N (its `ret`
# included, the caller's loop not).
#
# Usage: bench/callgrind.sh [--asm] [--quick]
#   --asm     also keep the disassembly of every measured function (objdump -d) and print where
#   --quick   only "!HHIQdd16s" pack and unpack (the acceptance rows)
# Environment:
#   CXXS="g++ clang++"    compilers to compare
#   CALLS=1000000         calls per run
#   WIREPACK_INCLUDE=...  the include directory to measure (default: this checkout's include/)
#   RESULTS=file          also append the rows, tab-separated, to this file
# The target: every ratio <= 1.05.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
include="${WIREPACK_INCLUDE:-$here/../include}"
cxxs="${CXXS:-g++ clang++}"
calls="${CALLS:-1000000}"
keep_asm=0
quick=0
for arg in "$@"; do
    case "$arg" in
    --asm) keep_asm=1 ;;
    --quick) quick=1 ;;
    *) echo "usage: $0 [--asm] [--quick]" >&2; exit 2 ;;
    esac
done
command -v valgrind >/dev/null || { echo "callgrind.sh: valgrind is not installed (apt-get install valgrind)" >&2; exit 1; }

work="$(mktemp -d /tmp/wirepack-callgrind.XXXXXX)"
[[ $keep_asm == 1 ]] || trap 'rm -rf "$work"' EXIT

# case, format label, operation label
cases=(
    "pack_header !HHIQdd16s pack"
    "unpack_header !HHIQdd16s unpack"
)
if [[ $quick == 0 ]]; then
    cases+=(
        "unpack_return_header !HHIQdd16s unpack->return"
        "pack_small <I2sf pack"
        "unpack_small <I2sf unpack"
        "unpack_return_small <I2sf unpack->return"
        "pack_text !HHIQdd16s(string_view) pack"
    )
fi

for cxx in $cxxs; do
    flags=(-std=c++20 -O2 -DNDEBUG -I"$include")
    "$cxx" "${flags[@]}" -DBENCH_WIREPACK=1 -c "$here/callgrind_measured.cpp" -o "$work/$cxx-wirepack.o" &
    "$cxx" "${flags[@]}" -DBENCH_WIREPACK=0 -c "$here/callgrind_measured.cpp" -o "$work/$cxx-hand.o"
    wait $!
    "$cxx" "${flags[@]}" "$here/callgrind_driver.cpp" "$work/$cxx-wirepack.o" "$work/$cxx-hand.o" -o "$work/$cxx-driver"
    if [[ $keep_asm == 1 ]]; then
        objdump -d --no-show-raw-insn -C "$work/$cxx-driver" | awk '/^[0-9a-f]+ <measured_/,/^$/' >"$work/$cxx.s"
    fi
done

instructions_per_call() {
    local binary=$1 which=$2 variant=$3 collected
    collected=$(valgrind --tool=callgrind --toggle-collect="measured_${which}_${variant}*" \
        --callgrind-out-file=/dev/null "$binary" "$which" "$variant" "$calls" 2>&1 |
        sed -n 's/.*Collected : \([0-9]*\).*/\1/p')
    awk -v c="$collected" -v n="$calls" 'BEGIN { printf "%.2f", c / n }'
}

printf '%-9s %-26s %-15s %9s %9s %7s\n' compiler format operation wirepack hand ratio
printf '%-9s %-26s %-15s %9s %9s %7s\n' "" "" "" "Ir/call" "Ir/call" ""
worst=0
for cxx in $cxxs; do
    for c in "${cases[@]}"; do
        read -r which label op_label <<<"$c"
        wp=$(instructions_per_call "$work/$cxx-driver" "$which" wirepack)
        hand=$(instructions_per_call "$work/$cxx-driver" "$which" hand)
        ratio=$(awk -v a="$wp" -v b="$hand" 'BEGIN { printf "%.3f", a / b }')
        mark=""
        if awk -v r="$ratio" 'BEGIN { exit !(r > 1.05) }'; then mark="  > 1.05"; fi
        # "unpack->return" shows the ABI of the returned type, not the codec: informational.
        if [[ $op_label != *return ]]; then worst=$(awk -v a="$worst" -v r="$ratio" 'BEGIN { print (r > a) ? r : a }'); fi
        printf '%-9s %-26s %-15s %9s %9s %7s%s\n' "$cxx" "$label" "$op_label" "$wp" "$hand" "$ratio" "$mark"
        if [[ -n ${RESULTS:-} ]]; then
            printf 'callgrind\t%s\t%s\t%s\t%s\t%s\t%s\n' "$cxx" "$label" "$op_label" "$wp" "$hand" "$ratio" >>"$RESULTS"
        fi
    done
done
echo
echo "worst pack/unpack ratio: $worst (target <= 1.05; 'unpack->return' rows are informational)"
if [[ $keep_asm == 1 ]]; then
    echo "disassembly of every measured function: $work/<compiler>.s"
fi
