#pragma once
// Declarations of the measured functions of `callgrind.sh` (see callgrind_measured.cpp):
// measured_<case>_wirepack and measured_<case>_hand, where <case> is
//   pack_small, unpack_small, unpack_return_small    "<I2sf"
//   pack_header, unpack_header, unpack_return_header "!HHIQdd16s"
//   pack_text                                        "!HHIQdd16s", the name as a std::string_view
// "unpack" writes into the caller's struct; "unpack_return" returns by value
// (wirepack: the std::tuple of its API; hand-written: a plain struct).

#include "codecs.hpp"

#if defined(__clang__)
#define BENCH_MEASURED __attribute__((noinline))
#else
#define BENCH_MEASURED __attribute__((noinline, noipa))
#endif

#define BENCH_DECLARE(variant, unpacked_small, unpacked_header)                                              \
    bench::small_bytes measured_pack_small_##variant(const bench::small_values&);                             \
    void measured_unpack_small_##variant(const bench::small_bytes&, bench::small_values&);                    \
    unpacked_small measured_unpack_return_small_##variant(const bench::small_bytes&);                          \
    bench::header_bytes measured_pack_header_##variant(const bench::header_values&);                          \
    void measured_unpack_header_##variant(const bench::header_bytes&, bench::header_values&);                 \
    unpacked_header measured_unpack_return_header_##variant(const bench::header_bytes&);                       \
    bench::header_bytes measured_pack_text_##variant(const bench::header_text_values&);

BENCH_DECLARE(wirepack, wirepack::unpacked<bench::small_format>, wirepack::unpacked<bench::header_format>)
BENCH_DECLARE(hand, bench::small_values, bench::header_values)

#if defined(BENCH_WIREPACK)
#if BENCH_WIREPACK
#define BENCH_NAME(name) measured_##name##_wirepack
#define BENCH_UNPACKED(format) wirepack::unpacked<bench::format##_format>
#else
#define BENCH_NAME(name) measured_##name##_hand
#define BENCH_UNPACKED(format) bench::format##_values
#endif
#endif
