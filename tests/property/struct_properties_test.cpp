// Properties of the struct core, checked on random values, buffers, offsets and
// format strings with rapidcheck: round trips, sizes, CPython's pack_into /
// unpack_from rules, and agreement between the compile-time and run-time paths.
//
// The cases are the same on every run (a fixed seed, unless RC_PARAMS sets one).

#include <wirepack/runtime_struct.hpp>
#include <wirepack/struct.hpp>

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

namespace {

using wirepack::errc;
using wirepack::Struct;
using wirepack::value;

// rapidcheck reads RC_PARAMS when the first property runs, after this.
[[maybe_unused]] const bool fixed_seed = [] { return ::setenv("RC_PARAMS", "seed=1729", 0) == 0; }();

constexpr double inf = std::numeric_limits<double>::infinity();
constexpr double nan = std::numeric_limits<double>::quiet_NaN();

// ---- Independent references ---------------------------------------------------------------

/// The value of binary16 `bits`, from the textbook formula.
double reference_half_value(std::uint16_t bits) {
    const int exponent = (bits >> 10) & 0x1f;
    const int fraction = bits & 0x3ff;
    double magnitude = 0;
    if (exponent == 0x1f) magnitude = fraction == 0 ? inf : nan;
    else if (exponent == 0) magnitude = std::ldexp(fraction, -24);
    else magnitude = std::ldexp(1024 + fraction, exponent - 25);
    return (bits & 0x8000u) != 0 ? -magnitude : magnitude;
}

/// The binary16 nearest to `x`, ties to even, found by searching the halves;
/// nothing when CPython would refuse it as too large.
std::optional<std::uint16_t> reference_half_bits(double x) {
    const auto sign = static_cast<std::uint16_t>(std::signbit(x) ? 0x8000u : 0u);
    if (std::isnan(x)) return static_cast<std::uint16_t>(sign | 0x7e00u);
    if (std::isinf(x)) return static_cast<std::uint16_t>(sign | 0x7c00u);
    const double a = std::fabs(x);
    if (a >= 65520.0) return std::nullopt;
    // The largest non-negative finite half not above a.
    std::uint16_t low = 0;
    std::uint16_t high = 0x7bff;
    while (low < high) {
        const auto mid = static_cast<std::uint16_t>((low + high + 1) / 2);
        if (reference_half_value(mid) <= a) low = mid;
        else high = static_cast<std::uint16_t>(mid - 1);
    }
    std::uint16_t result = low;
    if (reference_half_value(low) != a && low < 0x7bff) {
        const double midpoint = (reference_half_value(low) + reference_half_value(low + 1)) / 2;  // exact
        if (a > midpoint || (a == midpoint && low % 2 == 1)) result = static_cast<std::uint16_t>(low + 1);
    }
    return static_cast<std::uint16_t>(sign | result);
}

/// CPython's layout rules for a valid format, written out separately from the library.
struct reference_item {
    char code;
    std::size_t count;
    std::size_t offset;
    std::size_t bytes;
};
struct reference_layout {
    std::size_t size = 0;
    std::size_t values = 0;
    std::vector<reference_item> items;
};

std::pair<std::size_t, std::size_t> reference_size_and_alignment(char code, bool native) {
    if (!native) {
        switch (code) {
        case 'h': case 'H': case 'e': return {2, 1};
        case 'i': case 'I': case 'l': case 'L': case 'f': return {4, 1};
        case 'q': case 'Q': case 'd': return {8, 1};
        default: return {1, 1};
        }
    }
    switch (code) {
    case '?': return {sizeof(bool), alignof(bool)};
    case 'h': case 'H': case 'e': return {sizeof(short), alignof(short)};
    case 'i': case 'I': return {sizeof(int), alignof(int)};
    case 'l': case 'L': return {sizeof(long), alignof(long)};
    case 'q': case 'Q': return {sizeof(long long), alignof(long long)};
    case 'n': return {sizeof(std::ptrdiff_t), alignof(std::ptrdiff_t)};
    case 'N': return {sizeof(std::size_t), alignof(std::size_t)};
    case 'P': return {sizeof(void*), alignof(void*)};
    case 'f': return {sizeof(float), alignof(float)};
    case 'd': return {sizeof(double), alignof(double)};
    default: return {1, 1};
    }
}

reference_layout layout_of_valid_format(std::string_view format) {
    reference_layout layout;
    std::size_t at = 0;
    bool native = true;
    if (!format.empty() && std::string_view("@=<>!").find(format[0]) != std::string_view::npos) {
        native = format[0] == '@';
        at = 1;
    }
    while (at < format.size()) {
        if (format[at] == ' ' || format[at] == '\t') {
            ++at;
            continue;
        }
        std::size_t count = 1;
        if (format[at] >= '0' && format[at] <= '9') {
            count = 0;
            while (format[at] >= '0' && format[at] <= '9') count = count * 10 + static_cast<std::size_t>(format[at++] - '0');
        }
        const char code = format[at++];
        const auto [size, alignment] = reference_size_and_alignment(code, native);
        const std::size_t offset = (layout.size + alignment - 1) / alignment * alignment;
        const bool string = code == 's' || code == 'p';
        const std::size_t bytes = string ? count : count * size;
        layout.items.push_back({code, count, offset, bytes});
        layout.size = offset + bytes;
        layout.values += string ? 1 : (code == 'x' ? 0 : count);
    }
    return layout;
}

/// What CPython does for pack_into / unpack_from of `size` bytes at `offset` of a
/// `length`-byte buffer: where the struct goes, or the error and its message.
struct window_outcome {
    errc error{};
    std::size_t start = 0;
    std::string message;
};

window_outcome expected_window(bool packing, std::size_t length, std::ptrdiff_t offset, std::size_t size) {
    const auto len = static_cast<std::ptrdiff_t>(length);
    const auto n = static_cast<std::ptrdiff_t>(size);
    const std::string o = std::to_string(offset);
    const std::string s = std::to_string(size);
    std::ptrdiff_t start = offset;
    if (offset < 0) {
        if (offset + n > 0) {
            return {errc::buffer_too_small, 0,
                    packing ? "no space to pack " + s + " bytes at offset " + o
                            : "not enough data to unpack " + s + " bytes at offset " + o};
        }
        if (offset + len < 0) {
            return {errc::offset_out_of_range, 0, "offset " + o + " out of range for " + std::to_string(length) + "-byte buffer"};
        }
        start = offset + len;
    }
    if (len - start < n) {
        return {errc::buffer_too_small, 0,
                std::string(packing ? "pack_into" : "unpack_from") + " requires a buffer of at least " +
                    std::to_string(n + start) + " bytes for " + (packing ? "packing " : "unpacking ") + s +
                    " bytes at offset " + o + " (actual buffer size is " + std::to_string(length) + ")"};
    }
    return {errc{}, static_cast<std::size_t>(start), {}};
}

// ---- Generators ---------------------------------------------------------------------------

template <class T>
struct is_char_array : std::false_type {};
template <std::size_t N>
struct is_char_array<std::array<char, N>> : std::true_type {};

template <class T>
struct is_pascal : std::false_type {};
template <std::size_t N>
struct is_pascal<wirepack::pascal_string<N>> : std::true_type {};

template <class T>
T any_integer() {
    switch (*rc::gen::inRange(0, 3)) {
    case 0: return *rc::gen::arbitrary<T>();
    case 1: return static_cast<T>(*rc::gen::arbitrary<std::uint64_t>());  // every bit pattern
    default:
        return *rc::gen::element(std::numeric_limits<T>::min(), std::numeric_limits<T>::max(), T{0}, T{1},
                                 static_cast<T>(-1));
    }
}

double any_double() {
    switch (*rc::gen::inRange(0, 5)) {
    case 0: return std::bit_cast<double>(*rc::gen::arbitrary<std::uint64_t>());
    case 1: return *rc::gen::arbitrary<double>();
    case 2: {
        // Magnitudes around the half and float ranges, with all 53 bits in play.
        const auto mantissa = *rc::gen::inRange<std::int64_t>(-(std::int64_t{1} << 53), std::int64_t{1} << 53);
        return std::ldexp(static_cast<double>(mantissa), *rc::gen::inRange(-90, 80));
    }
    case 3: {
        // Right at, just below or just above a midpoint between two halves.
        const auto low = *rc::gen::inRange<int>(0, 0x7bff);
        const double mid = (reference_half_value(static_cast<std::uint16_t>(low)) +
                            reference_half_value(static_cast<std::uint16_t>(low + 1))) / 2;
        const double nudged = *rc::gen::element(mid, std::nextafter(mid, 0.0), std::nextafter(mid, inf));
        return *rc::gen::arbitrary<bool>() ? -nudged : nudged;
    }
    default:
        return *rc::gen::element(0.0, -0.0, inf, -inf, nan, -nan, 65504.0, 65520.0, 65519.99, 0x1p-24, 0x1p-25,
                                 static_cast<double>(std::numeric_limits<float>::max()), 0x1.ffffffp+127,
                                 std::nextafter(0x1.ffffffp+127, 0.0), std::numeric_limits<double>::max(),
                                 std::numeric_limits<double>::denorm_min(), -3.5e38);
    }
}

float any_float() {
    if (*rc::gen::inRange(0, 4) == 0) return static_cast<float>(*rc::gen::arbitrary<double>());
    return std::bit_cast<float>(*rc::gen::arbitrary<std::uint32_t>());
}

template <class T>
T any_value() {
    if constexpr (std::is_same_v<T, bool>) {
        return *rc::gen::arbitrary<bool>();
    } else if constexpr (std::is_integral_v<T>) {
        return any_integer<T>();
    } else if constexpr (std::is_same_v<T, float>) {
        return any_float();
    } else if constexpr (std::is_same_v<T, double>) {
        return any_double();
    } else if constexpr (is_char_array<T>::value) {
        T out{};
        for (char& c : out) c = *rc::gen::arbitrary<char>();
        return out;
    } else {
        static_assert(is_pascal<T>::value);
        std::string text(*rc::gen::inRange<std::size_t>(0, T::capacity() + 1), '\0');
        for (char& c : text) c = *rc::gen::arbitrary<char>();
        return T(text);
    }
}

template <class Tuple>
Tuple any_tuple() {
    return [&]<std::size_t... I>(std::index_sequence<I...>) {
        return Tuple{any_value<std::tuple_element_t<I, Tuple>>()...};  // braces: left to right
    }(std::make_index_sequence<std::tuple_size_v<Tuple>>{});
}

std::vector<std::byte> any_bytes(std::size_t size) {
    std::vector<std::byte> out(size);
    for (std::byte& b : out) b = static_cast<std::byte>(*rc::gen::arbitrary<std::uint8_t>());
    return out;
}

// ---- Comparisons --------------------------------------------------------------------------

template <class T>
bool same_value(const T& a, const T& b) {
    if constexpr (std::is_floating_point_v<T>) {
        if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b) && std::signbit(a) == std::signbit(b);
        return a == b && std::signbit(a) == std::signbit(b);
    } else {
        return a == b;
    }
}

template <class Tuple>
bool same_tuple(const Tuple& a, const Tuple& b) {
    return [&]<std::size_t... I>(std::index_sequence<I...>) {
        return (same_value(get<I>(a), get<I>(b)) && ...);
    }(std::make_index_sequence<std::tuple_size_v<Tuple>>{});
}

bool same_values(std::span<const value> a, std::span<const value> b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        const auto* x = std::get_if<double>(&a[i]);
        const auto* y = std::get_if<double>(&b[i]);
        if (x != nullptr && y != nullptr) {
            if (!same_value(*x, *y)) return false;
        } else if (a[i] != b[i]) {
            return false;
        }
    }
    return true;
}

bool has_nan(std::span<const value> unpacked) {
    return std::any_of(unpacked.begin(), unpacked.end(), [](const value& v) {
        const auto* d = std::get_if<double>(&v);
        return d != nullptr && std::isnan(*d);
    });
}

/// A compile-time unpacked value as the run-time Struct represents it.
template <class T>
value to_runtime(const T& x) {
    if constexpr (std::is_same_v<T, bool>) return x;
    else if constexpr (std::is_same_v<T, char>) return std::string(1, x);
    else if constexpr (std::is_integral_v<T> && std::is_signed_v<T>) return static_cast<std::int64_t>(x);
    else if constexpr (std::is_integral_v<T>) return static_cast<std::uint64_t>(x);
    else if constexpr (std::is_floating_point_v<T>) return static_cast<double>(x);
    else return std::string(x.begin(), x.end());
}

template <class Tuple>
wirepack::unpacked_values to_runtime_values(const Tuple& t) {
    return wirepack::apply([](const auto&... x) { return wirepack::unpacked_values{to_runtime(x)...}; }, t);
}

std::string bytes_text(std::span<const std::byte> bytes) {
    std::string out;
    for (const std::byte b : bytes) out += std::to_string(std::to_integer<unsigned>(b)) + " ";
    return out;
}

template <wirepack::fixed_string Format>
std::string name() {
    return "\"" + std::string(Format.view()) + "\"";
}

// ---- unpack(pack(v)) == v -----------------------------------------------------------------

template <wirepack::fixed_string Format>
void check_round_trip() {
    const auto values = any_tuple<wirepack::unpacked<Format>>();
    const auto bytes = wirepack::apply([](const auto&... v) { return wirepack::pack<Format>(v...); }, values);
    static_assert(std::tuple_size_v<decltype(bytes)> == wirepack::calcsize<Format>());
    if (!same_tuple(wirepack::unpack<Format>(bytes), values)) RC_FAIL("round trip differs for " + name<Format>());
}

RC_GTEST_PROP(StructRoundTrip, IntegersInEveryByteOrder, ()) {
    check_round_trip<"<bBhHiIlLqQ">();
    check_round_trip<">bBhHiIlLqQ">();
    check_round_trip<"!bBhHiIlLqQ">();
    check_round_trip<"=bBhHiIlLqQ">();
    check_round_trip<"@bBhHiIlLqQ">();
    check_round_trip<"@nNP">();
    check_round_trip<"3q2H">();
}

RC_GTEST_PROP(StructRoundTrip, BoolCharAndStringsInEveryByteOrder, ()) {
    check_round_trip<"<?c5s0s7p1p">();
    check_round_trip<">?c5s0s7p1p">();
    check_round_trip<"!?c5s0s7p1p">();
    check_round_trip<"=?c5s0s7p1p">();
    check_round_trip<"@?c5s0s7p1p">();
    check_round_trip<"<300p">();
}

RC_GTEST_PROP(StructRoundTrip, FloatsAndDoublesInEveryByteOrder, ()) {
    // A float argument goes to 'f' unchanged; every double goes to 'd' unchanged.
    check_round_trip<"<fdf">();
    check_round_trip<">fdf">();
    check_round_trip<"!fdf">();
    check_round_trip<"=fdf">();
    check_round_trip<"@bfbd">();
}

template <wirepack::fixed_string Format>
void check_half_round_trip() {
    // Every half is exactly a float; NaNs come back as NaN with their sign.
    const auto bits = *rc::gen::arbitrary<std::uint16_t>();
    const auto v = static_cast<float>(reference_half_value(bits));
    const auto [back] = wirepack::unpack<Format>(wirepack::pack<Format>(v));
    if (!same_value(back, v)) RC_FAIL("half " + std::to_string(bits) + " changed through " + name<Format>());
}

RC_GTEST_PROP(StructRoundTrip, HalvesInEveryByteOrder, ()) {
    check_half_round_trip<"<e">();
    check_half_round_trip<">e">();
    check_half_round_trip<"!e">();
    check_half_round_trip<"=e">();
    check_half_round_trip<"@e">();
}

// ---- e and f from any double: compared after rounding -----------------------------------

template <wirepack::fixed_string Format>
void check_half_rounding(double x) {
    const auto expected = reference_half_bits(x);
    try {
        const auto bytes = wirepack::pack<Format>(x);
        if (!expected) RC_FAIL(name<Format>() + " packed a value CPython refuses");
        const auto [back] = wirepack::unpack<Format>(bytes);
        RC_ASSERT(same_value(static_cast<double>(back), reference_half_value(*expected)));
        const auto b0 = std::to_integer<std::uint16_t>(bytes[0]);
        const auto b1 = std::to_integer<std::uint16_t>(bytes[1]);
        if (Format.view()[0] == '<') RC_ASSERT(static_cast<std::uint16_t>(b0 | b1 << 8) == *expected);
        if (Format.view()[0] == '>') RC_ASSERT(static_cast<std::uint16_t>(b1 | b0 << 8) == *expected);
    } catch (const wirepack::error& e) {
        if (expected) RC_FAIL(name<Format>() + " refused a value CPython packs: " + e.what());
        RC_ASSERT(e.code() == wirepack::make_error_code(errc::float_overflow));
        RC_ASSERT(std::string_view(e.what()) == "float too large to pack with e format");
    }
}

RC_GTEST_PROP(StructRounding, HalfIsNearestEvenFromTheDouble, ()) {
    const double x = any_double();
    check_half_rounding<"<e">(x);
    check_half_rounding<">e">(x);
    check_half_rounding<"!e">(x);
    check_half_rounding<"=e">(x);
    check_half_rounding<"@e">(x);
}

template <wirepack::fixed_string Format>
void check_float_rounding(double x) {
    const float expected = static_cast<float>(x);
    const bool overflows = std::isfinite(x) && std::isinf(expected);
    try {
        const auto [back] = wirepack::unpack<Format>(wirepack::pack<Format>(x));
        if (overflows) RC_FAIL(name<Format>() + " packed a finite value that overflows float");
        RC_ASSERT(same_value(back, expected));
    } catch (const wirepack::error& e) {
        if (!overflows) RC_FAIL(name<Format>() + " refused a value CPython packs: " + e.what());
        RC_ASSERT(std::string_view(e.what()) == "float too large to pack with f format");
    }
}

RC_GTEST_PROP(StructRounding, FloatRoundsLikeACastAndRefusesOverflow, ()) {
    const double x = any_double();
    check_float_rounding<"<f">(x);
    check_float_rounding<">f">(x);
    check_float_rounding<"!f">(x);
    check_float_rounding<"=f">(x);
    check_float_rounding<"@f">(x);
}

// ---- pack_into / unpack_from at random offsets ------------------------------------------

template <wirepack::fixed_string Format>
void check_windows() {
    const Struct runtime(Format.view());
    const std::size_t size = wirepack::calcsize<Format>();
    const auto values = any_tuple<wirepack::unpacked<Format>>();
    const auto packed = wirepack::apply([](const auto&... v) { return wirepack::pack<Format>(v...); }, values);
    const auto original = any_bytes(*rc::gen::inRange<std::size_t>(0, 41));
    const auto offset = *rc::gen::inRange<std::ptrdiff_t>(-50, 51);

    // pack_into, both paths.
    const auto packing = expected_window(true, original.size(), offset, size);
    for (const bool compile_time : {true, false}) {
        auto buffer = original;
        try {
            if (compile_time) {
                wirepack::apply([&](const auto&... v) { wirepack::pack_into<Format>(buffer, offset, v...); }, values);
            } else {
                runtime.pack_into(buffer, offset, to_runtime_values(values));
            }
            if (packing.error != errc{}) RC_FAIL(name<Format>() + " pack_into should fail: " + packing.message);
            auto expected = original;
            std::copy(packed.begin(), packed.end(), expected.begin() + static_cast<std::ptrdiff_t>(packing.start));
            RC_ASSERT(bytes_text(buffer) == bytes_text(expected));
        } catch (const wirepack::error& e) {
            if (packing.error == errc{}) RC_FAIL(name<Format>() + " pack_into failed: " + e.what());
            RC_ASSERT(e.code() == wirepack::make_error_code(packing.error));
            RC_ASSERT(std::string(e.what()) == packing.message);
            RC_ASSERT(buffer == original);
        }
    }

    // unpack_from and try_unpack_from, both paths.
    const auto unpacking = expected_window(false, original.size(), offset, size);
    const auto window = std::span<const std::byte>(original).subspan(std::min(unpacking.start, original.size()));
    const auto tried = wirepack::try_unpack_from<Format>(original, offset);
    const auto tried_runtime = runtime.try_unpack_from(original, offset);
    RC_ASSERT(tried.error() == unpacking.error);
    RC_ASSERT(tried_runtime.error() == unpacking.error);
    for (const bool compile_time : {true, false}) {
        try {
            if (compile_time) {
                const auto got = wirepack::unpack_from<Format>(original, offset);
                if (unpacking.error != errc{}) RC_FAIL(name<Format>() + " unpack_from should fail");
                RC_ASSERT(same_tuple(got, wirepack::unpack<Format>(window.first(size))));
                RC_ASSERT(same_tuple(*tried, got));
            } else {
                const auto got = runtime.unpack_from(original, offset);
                if (unpacking.error != errc{}) RC_FAIL(name<Format>() + " Struct::unpack_from should fail");
                RC_ASSERT(same_values(got, runtime.unpack(window.first(size))));
                RC_ASSERT(same_values(*tried_runtime, got));
            }
        } catch (const wirepack::error& e) {
            if (unpacking.error == errc{}) RC_FAIL(name<Format>() + " unpack_from failed: " + e.what());
            RC_ASSERT(e.code() == wirepack::make_error_code(unpacking.error));
            RC_ASSERT(std::string(e.what()) == unpacking.message);
        }
    }
}

RC_GTEST_PROP(StructWindows, PackIntoAndUnpackFromFollowCPython, ()) {
    check_windows<"<hIq">();
    check_windows<"@bi">();
    check_windows<">3s">();
    check_windows<"!?c">();
    check_windows<"">();
}

// ---- Compile-time path == run-time path --------------------------------------------------

template <wirepack::fixed_string Format>
void check_same_as_runtime() {
    const Struct runtime(Format.view());
    RC_ASSERT(runtime.size() == wirepack::calcsize<Format>());
    RC_ASSERT(runtime.value_count() == std::tuple_size_v<wirepack::unpacked<Format>>);

    // The same values give the same bytes, or the same error.
    const auto values = any_tuple<wirepack::unpacked<Format>>();
    std::string compile_time;
    std::string run_time;
    try {
        compile_time = bytes_text(wirepack::apply([](const auto&... v) { return wirepack::pack<Format>(v...); }, values));
    } catch (const wirepack::error& e) {
        compile_time = std::string("error: ") + e.what();
    }
    try {
        run_time = bytes_text(runtime.pack(to_runtime_values(values)));
    } catch (const wirepack::error& e) {
        run_time = std::string("error: ") + e.what();
    }
    if (compile_time != run_time) RC_FAIL(name<Format>() + ": " + compile_time + " vs " + run_time);

    // The same bytes give the same values.
    const auto bytes = any_bytes(runtime.size());
    RC_ASSERT(same_values(to_runtime_values(wirepack::unpack<Format>(bytes)), runtime.unpack(bytes)));
}

RC_GTEST_PROP(StructPaths, CompileTimeAndRunTimeAgree, ()) {
    check_same_as_runtime<"<bBhHiIlLqQ?c3s4pefd">();
    check_same_as_runtime<">bBhHiIlLqQ?c3s4pefd">();
    check_same_as_runtime<"!bBhHiIlLqQ?c3s4pefd">();
    check_same_as_runtime<"=bBhHiIlLqQ?c3s4pefd">();
    check_same_as_runtime<"@bBhHiIlLqQ?c3s4pefdnNP">();
    check_same_as_runtime<"@bhiqx0ic2e">();
    check_same_as_runtime<"< 2h x 0s 1p">();
}

// ---- Random valid formats ----------------------------------------------------------------

/// A valid format built from random items; `codes` chooses the characters.
std::string any_valid_format(bool with_bool_and_pascal) {
    const std::string order = *rc::gen::element<std::string>("", "@", "=", "<", ">", "!");
    const bool native = order.empty() || order == "@";
    std::string codes = native ? "xcbBhHiIlLqQnNefdsP" : "xcbBhHiIlLqQefds";
    if (with_bool_and_pascal) codes += "?p";
    std::string format = order;
    const int items = *rc::gen::inRange(0, 9);
    for (int i = 0; i < items; ++i) {
        if (*rc::gen::inRange(0, 4) == 0) format += *rc::gen::element<std::string>(" ", "\t", "  ");
        if (*rc::gen::arbitrary<bool>()) format += std::to_string(*rc::gen::inRange(0, 13));
        format += *rc::gen::elementOf(codes);
    }
    return format;
}

/// `bytes` with every byte that no value covers (pad bytes, alignment) set to zero.
std::vector<std::byte> zero_gaps(std::vector<std::byte> bytes, const reference_layout& layout) {
    std::vector<bool> covered(bytes.size(), false);
    for (const auto& item : layout.items) {
        if (item.code == 'x') continue;
        for (std::size_t k = 0; k < item.bytes; ++k) covered[item.offset + k] = true;
    }
    for (std::size_t i = 0; i < bytes.size(); ++i) {
        if (!covered[i]) bytes[i] = std::byte{0};
    }
    return bytes;
}

RC_GTEST_PROP(StructSizes, CalcsizeMatchesTheLayoutRulesAndThePackedSize, ()) {
    const std::string format = any_valid_format(true);
    RC_LOG() << "format \"" << format << "\"\n";
    const auto expected = layout_of_valid_format(format);
    const Struct s(format);
    RC_ASSERT(s.size() == expected.size);
    RC_ASSERT(s.value_count() == expected.values);
    const auto parsed = wirepack::parse_format(format);
    RC_ASSERT(parsed.valid());
    RC_ASSERT(parsed.size == expected.size);

    // Values that certainly fit: whatever unpacking random bytes gives.
    const auto values = s.unpack(any_bytes(s.size()));
    RC_ASSERT(values.size() == expected.values);
    RC_ASSERT(s.pack(values).size() == s.size());
}

RC_GTEST_PROP(StructBytes, UnpackThenPackReproducesTheBytes, ()) {
    // Not for '?' (any non-zero byte reads as true) or 'p' (the length byte is
    // clamped and bytes past it are lost), nor when a float value is a NaN.
    const std::string format = any_valid_format(false);
    RC_LOG() << "format \"" << format << "\"\n";
    const auto layout = layout_of_valid_format(format);
    const Struct s(format);
    const auto bytes = zero_gaps(any_bytes(s.size()), layout);
    const auto values = s.unpack(bytes);
    if (has_nan(values)) {
        RC_ASSERT(same_values(s.unpack(s.pack(values)), values));
    } else {
        RC_ASSERT(bytes_text(s.pack(values)) == bytes_text(bytes));
    }
}

RC_GTEST_PROP(StructBytes, UnpackThenPackIsStableForBoolAndPascal, ()) {
    // With '?' and 'p' one trip canonicalises the bytes; a second changes nothing.
    const std::string format = any_valid_format(true);
    RC_LOG() << "format \"" << format << "\"\n";
    const Struct s(format);
    const auto values = s.unpack(any_bytes(s.size()));
    const auto canonical = s.pack(values);
    const auto again = s.unpack(canonical);
    RC_ASSERT(same_values(again, values));
    if (!has_nan(values)) RC_ASSERT(bytes_text(s.pack(again)) == bytes_text(canonical));
}

template <wirepack::fixed_string Format>
void check_bytes_reproduced(const std::vector<std::byte>& mask_source) {
    const auto layout = layout_of_valid_format(Format.view());
    const auto bytes = zero_gaps(mask_source, layout);
    const auto values = wirepack::unpack<Format>(bytes);
    const auto runtime_values = to_runtime_values(values);
    if (has_nan(runtime_values)) return;
    const auto again = wirepack::apply([](const auto&... v) { return wirepack::pack<Format>(v...); }, values);
    if (bytes_text(again) != bytes_text(bytes)) RC_FAIL(name<Format>() + " did not reproduce its bytes");
}

RC_GTEST_PROP(StructBytes, CompileTimeUnpackThenPackReproducesTheBytes, ()) {
    check_bytes_reproduced<"<bBhHiIlLqQc3s0sxefd">(any_bytes(wirepack::calcsize<"<bBhHiIlLqQc3s0sxefd">()));
    check_bytes_reproduced<">bBhHiIlLqQc3s0sxefd">(any_bytes(wirepack::calcsize<">bBhHiIlLqQc3s0sxefd">()));
    check_bytes_reproduced<"!bBhHiIlLqQc3s0sxefd">(any_bytes(wirepack::calcsize<"!bBhHiIlLqQc3s0sxefd">()));
    check_bytes_reproduced<"=bBhHiIlLqQc3s0sxefd">(any_bytes(wirepack::calcsize<"=bBhHiIlLqQc3s0sxefd">()));
    check_bytes_reproduced<"@bhBiclqQnNPe3xfd">(any_bytes(wirepack::calcsize<"@bhBiclqQnNPe3xfd">()));
}

// ---- Random format strings ---------------------------------------------------------------

RC_GTEST_PROP(StructFormats, RandomStringsParseOrThrowWirepackError, ()) {
    static constexpr std::string_view alphabet = "xcbB?hHiIlLqQnNefdsPp0123456789 \t\n@=<>!zAZ";
    std::string format;
    const int length = *rc::gen::inRange(0, 16);
    for (int i = 0; i < length; ++i) {
        switch (*rc::gen::inRange(0, 10)) {
        case 0: format += static_cast<char>(*rc::gen::arbitrary<std::uint8_t>()); break;  // anything, NUL too
        case 1: format += "9999999999"; break;                                             // large counts
        default: format += alphabet[*rc::gen::inRange<std::size_t>(0, alphabet.size())];
        }
    }
    RC_LOG() << "format bytes: " << bytes_text(std::as_bytes(std::span(format.data(), format.size()))) << "\n";

    const auto tried = Struct::try_parse(format);
    std::optional<Struct> parsed;
    try {
        parsed.emplace(format);
    } catch (const wirepack::error& e) {
        RC_ASSERT(!tried);
        RC_ASSERT(e.code() == wirepack::make_error_code(tried.error()));
        RC_ASSERT(std::string_view(e.what()).find("(position ") != std::string_view::npos);
        return;
    }
    RC_ASSERT(tried.has_value());
    RC_ASSERT(tried->size() == parsed->size());
    RC_ASSERT(tried->value_count() == parsed->value_count());
    RC_ASSERT(parsed->format() == format);
    if (parsed->size() > 4096) return;  // valid, but too large to exercise

    const auto values = parsed->unpack(any_bytes(parsed->size()));
    RC_ASSERT(values.size() == parsed->value_count());
    RC_ASSERT(parsed->pack(values).size() == parsed->size());
    if (parsed->size() != 0) {
        const auto three = any_bytes(parsed->size() * 3);
        const auto rows = parsed->iter_unpack(three);
        RC_ASSERT(rows.size() == 3u);
        std::size_t seen = 0;
        for (const auto& row : rows) {
            RC_ASSERT(same_values(row, parsed->unpack(std::span(three).subspan(seen * parsed->size(), parsed->size()))));
            ++seen;
        }
        RC_ASSERT(seen == 3u);
    }
}

// ---- try_unpack on buffers of random sizes -----------------------------------------------

template <wirepack::fixed_string Format>
void check_try_unpack_sizes() {
    const std::size_t size = wirepack::calcsize<Format>();
    const auto bytes = any_bytes(*rc::gen::inRange<std::size_t>(0, 2 * size + 4));
    const auto result = wirepack::try_unpack<Format>(bytes);
    if (bytes.size() == size) {
        RC_ASSERT(result.has_value());
        RC_ASSERT(same_tuple(*result, wirepack::unpack<Format>(bytes)));
    } else {
        RC_ASSERT(!result.has_value());
        RC_ASSERT(result.error() == errc::buffer_size_mismatch);
    }
}

RC_GTEST_PROP(StructTryUnpack, ErrorsExactlyWhenTheSizeDiffers, ()) {
    check_try_unpack_sizes<"<I2sf">();
    check_try_unpack_sizes<"@bi">();
    check_try_unpack_sizes<"!HHIQdd16s">();
    check_try_unpack_sizes<"<?">();
    check_try_unpack_sizes<"">();

    const std::string format = any_valid_format(true);
    const Struct s(format);
    const auto bytes = any_bytes(*rc::gen::inRange<std::size_t>(0, 2 * s.size() + 4));
    const auto result = s.try_unpack(bytes);
    RC_ASSERT(result.has_value() == (bytes.size() == s.size()));
    if (!result) RC_ASSERT(result.error() == errc::buffer_size_mismatch);
}

}  // namespace
