# Sourced by bench/net_run.sh and bench/udp_run.sh: what the two socket benchmarks
# share before they run. `socket_bench_setup TARGET NAME ARG...` reads the script's
# arguments (--quick, --diagnostics), makes a results directory /tmp/wirepack-NAME.*,
# configures a Release build there unless BUILD names one, builds TARGET, and sets:
#   quick        1 with --quick, else 0
#   extra        the arguments for the benchmark binary (--diagnostics)
#   cxx          the compiler (CXX, default g++)
#   out, build   the results directory and the build directory
#   quiet        seconds in all that runs may wait for other processes to pause (QUIET, default 30)
#   start, load_before   when the runs began ($SECONDS) and the load average then
socket_bench_setup() {
    local target=$1 name=$2
    shift 2
    quick=0
    extra=()
    local arg
    for arg in "$@"; do
        case "$arg" in
        --quick) quick=1 ;;
        --diagnostics) extra+=(--diagnostics) ;;
        *) echo "usage: $0 [--quick] [--diagnostics]" >&2; exit 2 ;;
        esac
    done
    cxx="${CXX:-g++}"

    out="$(mktemp -d "/tmp/wirepack-$name.XXXXXX")"
    build="${BUILD:-$out/build}"
    if [[ -z ${BUILD:-} ]]; then
        cmake -S "$root" -B "$build" -G Ninja -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_BUILD_TYPE=Release \
            -DWIREPACK_BUILD_TESTS=OFF -DWIREPACK_BUILD_EXAMPLES=OFF -DWIREPACK_BUILD_TOOLS=OFF \
            -DWIREPACK_INSTALL=OFF >"$out/configure.log"
    fi
    cmake --build "$build" --target "$target" >"$out/build.log"

    quiet="${QUIET:-30}"
    start=$SECONDS
    load_before="$(cut -d' ' -f1-3 /proc/loadavg)"
}
