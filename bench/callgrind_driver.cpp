// Runs one measured function N times, for `callgrind.sh` to count its instructions
// with `valgrind --tool=callgrind --toggle-collect='measured_<case>_<variant>*'`.
// Built from this file and callgrind_measured.cpp compiled twice (see callgrind.sh).
//
// Usage: callgrind_driver CASE VARIANT N
//   CASE     pack_small unpack_small unpack_return_small pack_header unpack_header
//            unpack_return_header pack_text
//   VARIANT  wirepack or hand
//   N        calls; the inputs cycle through 16 distinct values

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "callgrind_measured.hpp"

namespace {

template <class Values, class Function>
void run(long n, Values (*make)(std::uint32_t), Function f) {
    std::array<Values, 16> inputs;
    std::array<decltype(bench::hand::pack(inputs[0])), 16> packed;
    for (std::uint32_t k = 0; k < 16; ++k) {
        inputs[k] = make(k);
        packed[k] = bench::hand::pack(inputs[k]);
    }
    for (long k = 0; k < n; ++k) {
        const std::size_t at = static_cast<std::size_t>(k) & 15;
        f(inputs[at], packed[at]);
    }
}

template <class T>
void use(const T& result) {
    asm volatile("" : : "r"(&result) : "memory");
}

#define BENCH_CASES(variant)                                                                                 \
    if (which == "pack_small")                                                                               \
        return run(n, bench::make_small, [](auto& v, auto&) { use(measured_pack_small_##variant(v)); }), 0; \
    if (which == "unpack_small")                                                                             \
        return run(n, bench::make_small, [](auto&, auto& b) {                             \
            bench::small_values out;                                                                         \
            measured_unpack_small_##variant(b, out);                                                         \
            use(out);                                                                                        \
        }), 0;                                                                                               \
    if (which == "unpack_return_small")                                                                      \
        return run(n, bench::make_small, [](auto&, auto& b) { use(measured_unpack_return_small_##variant(b)); }), 0; \
    if (which == "pack_header")                                                                              \
        return run(n, bench::make_header, [](auto& v, auto&) { use(measured_pack_header_##variant(v)); }), 0; \
    if (which == "unpack_header")                                                                            \
        return run(n, bench::make_header, [](auto&, auto& b) {                            \
            bench::header_values out;                                                                        \
            measured_unpack_header_##variant(b, out);                                                        \
            use(out);                                                                                        \
        }), 0;                                                                                               \
    if (which == "unpack_return_header")                                                                     \
        return run(n, bench::make_header, [](auto&, auto& b) { use(measured_unpack_return_header_##variant(b)); }), 0; \
    if (which == "pack_text")                                                                                \
        return run(n, bench::make_header_text, [](auto& v, auto&) { use(measured_pack_text_##variant(v)); }), 0;

int dispatch(std::string_view which, std::string_view variant, long n) {
    if (variant == "wirepack") {
        BENCH_CASES(wirepack)
    } else if (variant == "hand") {
        BENCH_CASES(hand)
    }
    return 2;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 4 || dispatch(argv[1], argv[2], std::atol(argv[3])) != 0) {
        std::fprintf(stderr, "usage: callgrind_driver CASE wirepack|hand N\n");
        return 2;
    }
    return 0;
}
