// The functions whose instructions `callgrind.sh` counts. This file is compiled
// twice, with -DBENCH_WIREPACK=1 (wirepack's compile-time API) and with
// -DBENCH_WIREPACK=0 (hand-written Boost.Endian), into two objects, so that no
// identical-code folding can merge a wirepack function with its hand-written twin.
// `callgrind_driver.cpp` calls them.

#include "callgrind_measured.hpp"

#if BENCH_WIREPACK
#define BENCH_CALL(name) bench::wirepack_##name
#else
#define BENCH_CALL(name) bench::hand::name
#endif

BENCH_MEASURED bench::small_bytes BENCH_NAME(pack_small)(const bench::small_values& v) { return BENCH_CALL(pack)(v); }
BENCH_MEASURED void BENCH_NAME(unpack_small)(const bench::small_bytes& b, bench::small_values& out) {
    BENCH_CALL(unpack_into)(b, out);
}
BENCH_MEASURED BENCH_UNPACKED(small) BENCH_NAME(unpack_return_small)(const bench::small_bytes& b) {
    return BENCH_CALL(unpack)(b);
}

BENCH_MEASURED bench::header_bytes BENCH_NAME(pack_header)(const bench::header_values& v) { return BENCH_CALL(pack)(v); }
BENCH_MEASURED void BENCH_NAME(unpack_header)(const bench::header_bytes& b, bench::header_values& out) {
    BENCH_CALL(unpack_into)(b, out);
}
BENCH_MEASURED BENCH_UNPACKED(header) BENCH_NAME(unpack_return_header)(const bench::header_bytes& b) {
    return BENCH_CALL(unpack)(b);
}

BENCH_MEASURED bench::header_bytes BENCH_NAME(pack_text)(const bench::header_text_values& v) {
    return BENCH_CALL(pack)(v);
}
