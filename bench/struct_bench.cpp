// Google Benchmark: pack and unpack of "<I2sf" and "!HHIQdd16s" through
//   wirepack   the compile-time API (wirepack::pack<"...">, wirepack::unpack<"...">)
//   hand       hand-written Boost.Endian code (bench/codecs.hpp)
//   Struct     the run-time wirepack::Struct, values prepared once outside the loop
// Names are "<operation>/<format>/<variant>"; items_per_second counts calls.
//
//   g++ -std=c++20 -O2 -DNDEBUG -Iinclude bench/struct_bench.cpp -lbenchmark -pthread -o /tmp/struct_bench
//   /tmp/struct_bench --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
//
// The compile-time variants cycle through 16 distinct inputs (an index masked by
// 15), so nothing folds to a constant, and `DoNotOptimize` on the result keeps its
// bytes stored; its "memory" clobber makes every iteration read the input again.

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include <wirepack/runtime_struct.hpp>

#include "codecs.hpp"

namespace {

using bench::header_bytes;
using bench::header_values;
using bench::small_bytes;
using bench::small_values;

constexpr std::size_t ring = 16;  // distinct inputs per benchmark

template <class Values>
Values make(std::uint32_t k) {
    if constexpr (std::is_same_v<Values, small_values>) return bench::make_small(k);
    else return bench::make_header(k);
}

template <class Values>
std::array<Values, ring> inputs() {
    std::array<Values, ring> all;
    for (std::uint32_t k = 0; k < ring; ++k) all[k] = make<Values>(k);
    return all;
}

template <class Values>
auto packed_inputs() {
    const auto values = inputs<Values>();
    std::array<decltype(bench::hand::pack(values[0])), ring> all;
    for (std::size_t k = 0; k < ring; ++k) all[k] = bench::hand::pack(values[k]);
    return all;
}

void count(benchmark::State& state, std::size_t struct_size) {
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * struct_size));
}

// ---- Compile-time API and hand-written code ---------------------------------------------------

template <class Values, bool Wirepack>
void pack(benchmark::State& state) {
    const auto in = inputs<Values>();
    std::size_t k = 0;
    for (auto _ : state) {
        const Values& v = in[k++ % ring];
        if constexpr (Wirepack) {
            auto bytes = bench::wirepack_pack(v);
            benchmark::DoNotOptimize(bytes);
        } else {
            auto bytes = bench::hand::pack(v);
            benchmark::DoNotOptimize(bytes);
        }
    }
    count(state, sizeof(decltype(bench::hand::pack(in[0]))));
}

template <class Values, bool Wirepack>
void unpack(benchmark::State& state) {
    const auto in = packed_inputs<Values>();
    std::size_t k = 0;
    for (auto _ : state) {
        const auto& bytes = in[k++ % ring];
        Values out;
        if constexpr (Wirepack) bench::wirepack_unpack_into(bytes, out);
        else bench::hand::unpack_into(bytes, out);
        benchmark::DoNotOptimize(out);
    }
    count(state, sizeof(in[0]));
}

// ---- Run-time wirepack::Struct ------------------------------------------------------------------

wirepack::unpacked_values struct_values(const small_values& v) {
    return {std::uint64_t{v.id}, std::string(v.tag.data(), v.tag.size()), double{v.value}};
}
wirepack::unpacked_values struct_values(const header_values& v) {
    return {std::uint64_t{v.kind}, std::uint64_t{v.flags},  std::uint64_t{v.length},
            std::uint64_t{v.sequence}, v.x, v.y, std::string(v.name.data(), v.name.size())};
}
std::string_view format_of(const small_values&) { return bench::small_format.view(); }
std::string_view format_of(const header_values&) { return bench::header_format.view(); }

template <class Values>
void struct_pack(benchmark::State& state) {
    const Values v = make<Values>(0);
    const wirepack::Struct s(format_of(v));
    const wirepack::unpacked_values values = struct_values(v);
    for (auto _ : state) {
        wirepack::packed_bytes bytes = s.pack(values);  // new bytes, as Python's Struct.pack returns
        benchmark::DoNotOptimize(bytes.data());
        benchmark::ClobberMemory();
    }
    count(state, s.size());
}

template <class Values>
void struct_pack_into(benchmark::State& state) {
    const Values v = make<Values>(0);
    const wirepack::Struct s(format_of(v));
    const wirepack::unpacked_values values = struct_values(v);
    std::vector<std::byte> buffer(s.size());
    for (auto _ : state) {
        s.pack_into(buffer, 0, values);
        benchmark::DoNotOptimize(buffer.data());
        benchmark::ClobberMemory();
    }
    count(state, s.size());
}

template <class Values>
void struct_unpack(benchmark::State& state) {
    const wirepack::Struct s(format_of(Values{}));
    const auto in = packed_inputs<Values>();
    std::size_t k = 0;
    for (auto _ : state) {
        wirepack::unpacked_values values = s.unpack(in[k++ % ring]);
        benchmark::DoNotOptimize(values.data());
        benchmark::ClobberMemory();
    }
    count(state, s.size());
}

/// Unpacking into the same vector every time: its strings keep their capacity, so
/// nothing is allocated in the loop (the non-allocating twin of pack_into).
template <class Values>
void struct_unpack_into(benchmark::State& state) {
    const wirepack::Struct s(format_of(Values{}));
    const auto in = packed_inputs<Values>();
    wirepack::unpacked_values values;
    std::size_t k = 0;
    for (auto _ : state) {
        s.unpack_into(in[k++ % ring], values);
        benchmark::DoNotOptimize(values.data());
        benchmark::ClobberMemory();
    }
    count(state, s.size());
}

template <class Values>
void register_format(const std::string& format) {
    benchmark::RegisterBenchmark(("pack/" + format + "/wirepack").c_str(), pack<Values, true>);
    benchmark::RegisterBenchmark(("pack/" + format + "/hand").c_str(), pack<Values, false>);
    benchmark::RegisterBenchmark(("pack/" + format + "/Struct").c_str(), struct_pack<Values>);
    benchmark::RegisterBenchmark(("pack_into/" + format + "/Struct").c_str(), struct_pack_into<Values>);
    benchmark::RegisterBenchmark(("unpack/" + format + "/wirepack").c_str(), unpack<Values, true>);
    benchmark::RegisterBenchmark(("unpack/" + format + "/hand").c_str(), unpack<Values, false>);
    benchmark::RegisterBenchmark(("unpack/" + format + "/Struct").c_str(), struct_unpack<Values>);
    benchmark::RegisterBenchmark(("unpack_into/" + format + "/Struct").c_str(), struct_unpack_into<Values>);
}

}  // namespace

int main(int argc, char** argv) {
    register_format<small_values>(std::string(bench::small_format.view()));
    register_format<header_values>(std::string(bench::header_format.view()));
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
