#!/usr/bin/env bash
# What wirepack costs at compile time, with g++ -O2 -std=c++20 -c:
#  1. a translation unit packing and unpacking 50 distinct realistic formats (3-12
#     fields, mixed codes and byte orders; bench/generate_formats.py), against the
#     same 50 formats written by hand with Boost.Endian, and the headers alone;
#  2. growth with the number of fields: formats of 8, 16, 32, 64 and 128 fields,
#     each translation unit holding 256 fields in all (32 formats of 8, 16 of 16, ...,
#     2 of 128), so that linear growth shows as a flat cost per field.
# Times are CPU seconds (user + sys) of the compiler, the median of REPS runs, because
# other jobs on the machine inflate wall time; wall time is shown beside them.
#
# Usage: bench/compile_time.sh [--no-growth]
# Environment:
#   CXX=g++           the compiler
#   REPS=3            runs per measurement of part 1 (the median is reported)
#   GROWTH_REPS=1     runs per measurement of part 2
#   WIREPACK_INCLUDE  the include directory to measure (default: this checkout's include/)
#   RESULTS=file      also append the rows, tab-separated, to this file
# The target: the 50 formats in under 3 s, and a flat cost per field.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
include="${WIREPACK_INCLUDE:-$here/../include}"
cxx="${CXX:-g++}"
reps="${REPS:-3}"
growth_reps="${GROWTH_REPS:-1}"
growth=1
for arg in "$@"; do
    case "$arg" in
    --no-growth) growth=0 ;;
    *) echo "usage: $0 [--no-growth]" >&2; exit 2 ;;
    esac
done

work="$(mktemp -d /tmp/wirepack-compile.XXXXXX)"
trap 'rm -rf "$work"' EXIT

# Prints "cpu wall" in seconds, the medians of N compilations of FILE.
compile_seconds() {
    local file=$1 n=$2 cpu=() wall=() k line
    for ((k = 0; k < n; ++k)); do
        line=$( { TIMEFORMAT='%U %S %R'; time "$cxx" -std=c++20 -O2 -I"$include" -c "$file" -o "$work/out.o"; } 2>&1 )
        cpu+=("$(awk '{ printf "%.2f", $1 + $2 }' <<<"$line")")
        wall+=("$(awk '{ printf "%.2f", $3 }' <<<"$line")")
    done
    printf '%s %s\n' "$(printf '%s\n' "${cpu[@]}" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')" \
        "$(printf '%s\n' "${wall[@]}" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')"
}

record() {
    if [[ -n ${RESULTS:-} ]]; then printf 'compile\t%s\n' "$(IFS=$'\t'; echo "$*")" >>"$RESULTS"; fi
}

generate() {  # variant count min max file
    python3 "$here/generate_formats.py" "$1" "$2" "$3" "$4" >"$5"
}

echo "Compile time, $("$cxx" --version | head -1), -O2 -std=c++20 -c; CPU s (user+sys), median of $reps runs"
echo '#include <wirepack/struct.hpp>' >"$work/wirepack_headers.cpp"
printf '#include <%s>\n' algorithm array cstddef cstdint cstring span stdexcept string_view boost/endian/conversion.hpp \
    >"$work/hand_headers.cpp"
generate wirepack 50 3 12 "$work/wirepack_50.cpp"
generate hand 50 3 12 "$work/hand_50.cpp"

read -r wh_cpu wh_wall < <(compile_seconds "$work/wirepack_headers.cpp" "$reps")
read -r hh_cpu hh_wall < <(compile_seconds "$work/hand_headers.cpp" "$reps")
read -r w50_cpu w50_wall < <(compile_seconds "$work/wirepack_50.cpp" "$reps")
read -r h50_cpu h50_wall < <(compile_seconds "$work/hand_50.cpp" "$reps")

printf '%-44s %8s %8s %16s\n' "translation unit" "CPU s" "wall s" "per format (ms)"
printf '%-44s %8s %8s %16s\n' "wirepack headers only" "$wh_cpu" "$wh_wall" ""
printf '%-44s %8s %8s %16s\n' "hand-written headers only" "$hh_cpu" "$hh_wall" ""
per() { awk -v t="$1" -v b="$2" -v n="$3" 'BEGIN { printf "%.1f", (t - b) * 1000 / n }'; }
printf '%-44s %8s %8s %16s\n' "wirepack, 50 formats, pack + unpack" "$w50_cpu" "$w50_wall" "$(per "$w50_cpu" "$wh_cpu" 50)"
printf '%-44s %8s %8s %16s\n' "hand-written Boost.Endian, same 50 formats" "$h50_cpu" "$h50_wall" "$(per "$h50_cpu" "$hh_cpu" 50)"
ratio=$(awk -v a="$w50_cpu" -v b="$h50_cpu" 'BEGIN { printf "%.2f", a / b }')
verdict=$(awk -v a="$w50_cpu" 'BEGIN { print (a < 3) ? "under" : "OVER" }')
echo "wirepack / hand-written: ${ratio}x; 50 formats: ${w50_cpu} s CPU, ${verdict} the 3 s target"
record 50formats wirepack "$w50_cpu" "$w50_wall"
record 50formats hand "$h50_cpu" "$h50_wall"
record headers wirepack "$wh_cpu" "$wh_wall"
record headers hand "$hh_cpu" "$hh_wall"

if [[ $growth == 1 ]]; then
    echo
    echo "Growth with the number of fields: 256 fields per translation unit; CPU s, median of $growth_reps runs"
    printf '%-8s %-9s %10s %10s %14s %16s\n' fields formats "wirepack s" "hand s" "wirepack ms/field" "hand ms/field"
    base_w="" base_h=""
    for fields in 8 16 32 64 128; do
        count=$((256 / fields))
        generate wirepack "$count" "$fields" "$fields" "$work/wirepack_grow.cpp"
        generate hand "$count" "$fields" "$fields" "$work/hand_grow.cpp"
        read -r w_cpu _ < <(compile_seconds "$work/wirepack_grow.cpp" "$growth_reps")
        read -r h_cpu _ < <(compile_seconds "$work/hand_grow.cpp" "$growth_reps")
        w_field=$(per "$w_cpu" "$wh_cpu" 256)
        h_field=$(per "$h_cpu" "$hh_cpu" 256)
        [[ -n $base_w ]] || { base_w=$w_field; base_h=$h_field; }
        printf '%-8s %-9s %10s %10s %8s (%4sx) %10s (%4sx)\n' "$fields" "$count" "$w_cpu" "$h_cpu" \
            "$w_field" "$(awk -v a="$w_field" -v b="$base_w" 'BEGIN { printf "%.1f", a / b }')" \
            "$h_field" "$(awk -v a="$h_field" -v b="$base_h" 'BEGIN { printf "%.1f", a / b }')"
        record growth "$fields" "$w_cpu" "$h_cpu" "$w_field" "$h_field"
    done
    echo "(x: cost per field relative to 8-field formats; 1.0 everywhere is linear growth)"
fi
