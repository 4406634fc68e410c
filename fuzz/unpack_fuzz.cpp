// unpack_fuzz: arbitrary bytes unpacked with an arbitrary format.
//
// The input is FORMAT '|' BUFFER: the format is every byte before the first '|' (a character
// no valid format contains), the buffer every byte after it. Without a '|' the whole input is
// the format and the buffer is empty. The buffer is copied to an allocation of its own size,
// so that AddressSanitizer sees a read before its start as well as one past its end.
//
// With a valid format, wirepack::Struct must
//  - unpack with try_unpack / unpack, try_unpack_from / unpack_from at positive, negative and
//    extreme offsets, and iter_unpack, failing exactly where CPython does (same error code;
//    nothing but wirepack::error is thrown) and otherwise giving what `reference_unpack`
//    below reads from the bytes (types as documented: int64 for signed codes, uint64 for
//    unsigned ones, bool, double, bytes);
//  - pack the unpacked values again without an error, to the same bytes except, exactly:
//      pad bytes (`x` and native alignment) become 0;
//      a `?` byte becomes 0 or 1 (any non-zero byte unpacks as true);
//      a `p` field becomes length byte L = min(byte 0, count - 1) (L <= 255 always), the L
//        data bytes, then NULs (the bytes after the string are not unpacked);
//      an `e` NaN becomes the quiet NaN 0x7e00 with its sign (binary16 payloads are dropped);
//      an `f` NaN gets its quiet bit (0x00400000) set: the float widens to a double and back,
//        which quiets a signalling NaN and keeps the payload (as CPython <= 3.13 does).
//    `d`, `c`, `s`, every integer code and every other `e` and `f` value round-trip exactly.
// The whole raw input (separator included) also goes through the compile-time
// wirepack::try_unpack_from / unpack_from / try_unpack / iter_unpack for "!HHIQdd16s", a
// native format with every code and alignment, and a big-endian one, which must agree with the
// run-time Struct value for value and repack with wirepack::pack to the same bytes (the same
// exceptions, except that the compile-time path keeps `f` bits exactly: a float is stored
// as it was loaded).
// Finally the last eight bytes of the input, read as a double and as an integer, are packed
// with 'e', 'f' and an integer code they choose, at run time and (e, f) at compile time: the
// bytes must be CPython's (half rounding checked against a bisection over all halves), or the
// error must be CPython's OverflowError / range error.
// Allocations stay bounded by the input: a Struct unpacks only when its size fits the buffer,
// and iter_unpack runs on at most 65536 values' worth of the buffer (a format of zero-byte
// strings such as "b0s0s0s" multiplies the values per byte).

#include <wirepack/runtime_struct.hpp>
#include <wirepack/struct.hpp>

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <vector>

#include "fuzz_check.hpp"
#include "value_checks.hpp"

namespace {

using wirepack::byte_order;
using wirepack::errc;
using wirepack::format_item;
using wirepack::value;
using wirepack::fuzz::expect_error;
using wirepack::fuzz::same_values;

constexpr std::size_t max_iter_values = std::size_t{1} << 16;

// ---- Reading the bytes without wirepack -------------------------------------------------------

bool is_big_endian(byte_order order) {
    switch (order) {
    case byte_order::big:
    case byte_order::network: return true;
    case byte_order::little: return false;
    case byte_order::native:
    case byte_order::native_standard: break;
    }
    return std::endian::native == std::endian::big;
}

std::uint64_t load_bits(const std::byte* at, std::size_t size, bool big) {
    std::uint64_t bits = 0;
    for (std::size_t k = 0; k < size; ++k) {
        bits = (bits << 8) | std::to_integer<std::uint64_t>(at[big ? k : size - 1 - k]);
    }
    return bits;
}

void store_bits(std::byte* at, std::size_t size, bool big, std::uint64_t bits) {
    for (std::size_t k = 0; k < size; ++k) {
        at[big ? size - 1 - k : k] = static_cast<std::byte>(bits & 0xff);
        bits >>= 8;
    }
}

bool is_signed_code(char code) {
    return std::string_view("bhilqn").find(code) != std::string_view::npos;
}

double half_value(std::uint64_t half) {
    const int exponent = static_cast<int>((half >> 10) & 0x1f);
    const auto fraction = static_cast<double>(half & 0x3ff);
    double magnitude = 0;
    if (exponent == 0) magnitude = std::ldexp(fraction, -24);
    else if (exponent == 0x1f) magnitude = fraction == 0 ? HUGE_VAL : std::numeric_limits<double>::quiet_NaN();
    else magnitude = std::ldexp(fraction + 1024, exponent - 25);
    return (half & 0x8000) != 0 ? -magnitude : magnitude;
}

// Python's struct.unpack of the `s.size()` bytes at `in`.
std::vector<value> reference_unpack(const wirepack::Struct& s, const std::byte* in) {
    const bool big = is_big_endian(s.order());
    std::vector<value> out;
    out.reserve(s.value_count());
    for (const format_item& item : s.items()) {
        const std::byte* at = in + item.offset;
        const char* chars = reinterpret_cast<const char*>(at);
        switch (item.code) {
        case 'x': continue;
        case 's': out.emplace_back(item.count == 0 ? std::string() : std::string(chars, item.count)); continue;
        case 'p': {
            std::size_t length = 0;
            if (item.count != 0) length = std::min(std::to_integer<std::size_t>(at[0]), item.count - 1);
            out.emplace_back(length == 0 ? std::string() : std::string(chars + 1, length));
            continue;
        }
        default: break;
        }
        for (std::size_t k = 0; k < item.count; ++k) {
            const std::byte* p = at + k * item.element_size;
            const std::uint64_t bits = load_bits(p, item.element_size, big);
            switch (item.code) {
            case '?': out.emplace_back(bits != 0); break;
            case 'c': out.emplace_back(std::string(1, static_cast<char>(bits))); break;
            case 'e': out.emplace_back(half_value(bits)); break;
            case 'f': out.emplace_back(static_cast<double>(std::bit_cast<float>(static_cast<std::uint32_t>(bits)))); break;
            case 'd': out.emplace_back(std::bit_cast<double>(bits)); break;
            default:
                if (is_signed_code(item.code)) {
                    const unsigned bit_count = static_cast<unsigned>(item.element_size * 8);
                    std::uint64_t extended = bits;
                    if (bit_count < 64 && ((bits >> (bit_count - 1)) & 1) != 0) extended |= ~std::uint64_t{0} << bit_count;
                    out.emplace_back(static_cast<std::int64_t>(extended));
                } else {
                    out.emplace_back(bits);
                }
            }
        }
    }
    return out;
}

// What packing the values unpacked from `in` must give (see the list at the top).
std::vector<std::byte> expected_repack(const wirepack::Struct& s, const std::byte* in, bool quiet_float_nans) {
    const bool big = is_big_endian(s.order());
    std::vector<std::byte> out(s.size(), std::byte{0});
    for (const format_item& item : s.items()) {
        const std::byte* from = in + item.offset;
        std::byte* to = out.data() + item.offset;
        switch (item.code) {
        case 'x': break;
        case '?':
            for (std::size_t k = 0; k < item.count; ++k) to[k] = static_cast<std::byte>(from[k] != std::byte{0});
            break;
        case 'p':
            if (item.count != 0) {
                const std::size_t length = std::min(std::to_integer<std::size_t>(from[0]), item.count - 1);
                to[0] = static_cast<std::byte>(length);
                std::copy_n(from + 1, length, to + 1);
            }
            break;
        case 'e':
            for (std::size_t k = 0; k < item.count; ++k) {
                std::uint64_t half = load_bits(from + 2 * k, 2, big);
                if ((half & 0x7c00) == 0x7c00 && (half & 0x3ff) != 0) half = (half & 0x8000) | 0x7e00;
                store_bits(to + 2 * k, 2, big, half);
            }
            break;
        case 'f':
            for (std::size_t k = 0; k < item.count; ++k) {
                std::uint64_t single = load_bits(from + 4 * k, 4, big);
                if (quiet_float_nans && (single & 0x7f800000) == 0x7f800000 && (single & 0x7fffff) != 0) {
                    single |= 0x00400000;
                }
                store_bits(to + 4 * k, 4, big, single);
            }
            break;
        default: std::copy_n(from, item.byte_size(), to);
        }
    }
    return out;
}

// CPython's window check for unpack_from, in unsigned arithmetic.
errc reference_window(std::size_t buffer, std::ptrdiff_t offset, std::size_t size, std::size_t& start) {
    start = static_cast<std::size_t>(offset);
    if (offset < 0) {
        const std::size_t back = std::size_t{0} - static_cast<std::size_t>(offset);  // |offset|
        if (size > back) return errc::buffer_too_small;
        if (back > buffer) return errc::offset_out_of_range;
        start = buffer - back;
    }
    if (start > buffer || buffer - start < size) return errc::buffer_too_small;
    return errc{};
}

std::vector<std::ptrdiff_t> offsets_for(std::size_t buffer_size, std::size_t struct_size, std::span<const std::byte> buffer) {
    const auto n = static_cast<std::ptrdiff_t>(buffer_size);
    const auto s = static_cast<std::ptrdiff_t>(struct_size);
    constexpr auto min = std::numeric_limits<std::ptrdiff_t>::min();
    constexpr auto max = std::numeric_limits<std::ptrdiff_t>::max();
    std::vector<std::ptrdiff_t> offsets = {0, 1, 2, 7, n / 2, n - s, n - s + 1, -s, -s - 1, -1, -n, -n - 1,
                                           n, n + 1, s, min, min + 1, max, max - 1};
    if (s != max) offsets.push_back(-s + 1);  // -s - 1 already covers s == max
    if (!buffer.empty()) offsets.push_back(static_cast<std::int8_t>(buffer[0]));  // one chosen by the input
    return offsets;
}

// Throwing costs far more than the rest of an iteration under the sanitizers: the throwing
// variants run once per error code and format, the `try_` ones at every offset.
class first_of_each_error {
public:
    [[nodiscard]] bool operator()(errc code) {
        const auto index = static_cast<std::size_t>(code);
        if (index >= seen_.size() || seen_[index]) return false;
        seen_[index] = true;
        return true;
    }

private:
    std::array<bool, 32> seen_{};
};

// Packing what was unpacked from `window` must work and give the expected bytes, through
// pack and through pack_into at the same place of a copy of the whole buffer.
void check_repack(const wirepack::Struct& s, std::span<const value> values, std::span<const std::byte> buffer,
                  std::size_t start) {
    const std::vector<std::byte> expected = expected_repack(s, buffer.data() + start, true);
    std::vector<std::byte> copy(buffer.begin(), buffer.end());
    try {
        WIREPACK_FUZZ_CHECK(std::ranges::equal(s.pack(values), expected));
        s.pack_into(copy, static_cast<std::ptrdiff_t>(start), values);
    } catch (const wirepack::error& e) {
        std::fprintf(stderr, "repacking unpacked values failed: %s\n", e.what());
        std::abort();
    }
    for (std::size_t k = 0; k < copy.size(); ++k) {
        if (k >= start && k - start < s.size()) WIREPACK_FUZZ_CHECK(copy[k] == expected[k - start]);
        else WIREPACK_FUZZ_CHECK(copy[k] == buffer[k]);
    }
}

void check_runtime(const wirepack::Struct& s, std::span<const std::byte> buffer) {
    const std::size_t size = s.size();
    const std::size_t n = buffer.size();

    // The whole buffer.
    if (n == size) {
        const std::vector<value> reference = reference_unpack(s, buffer.data());
        const auto r = s.try_unpack(buffer);
        WIREPACK_FUZZ_CHECK(r.has_value() && r.error() == errc{});
        WIREPACK_FUZZ_CHECK(same_values(*r, reference, true));
        WIREPACK_FUZZ_CHECK(same_values(s.unpack(buffer), *r));
        check_repack(s, *r, buffer, 0);
    } else {
        const auto r = s.try_unpack(buffer);
        WIREPACK_FUZZ_CHECK(!r.has_value() && r.error() == errc::buffer_size_mismatch);
        expect_error(errc::buffer_size_mismatch, [&] { (void)s.unpack(buffer); });
    }

    // Windows of it.
    bool repacked = n == size;
    first_of_each_error first;
    for (const std::ptrdiff_t offset : offsets_for(n, size, buffer)) {
        std::size_t start = 0;
        const errc expected = reference_window(n, offset, size, start);
        const auto r = s.try_unpack_from(buffer, offset);
        WIREPACK_FUZZ_CHECK(r.error() == expected);
        if (expected != errc{}) {
            WIREPACK_FUZZ_CHECK(!r.has_value());
            if (first(expected)) expect_error(expected, [&] { (void)s.unpack_from(buffer, offset); });
            continue;
        }
        WIREPACK_FUZZ_CHECK(r.has_value());
        WIREPACK_FUZZ_CHECK(same_values(*r, reference_unpack(s, buffer.data() + start), true));
        WIREPACK_FUZZ_CHECK(same_values(s.unpack_from(buffer, offset), *r));
        if (!repacked) {
            check_repack(s, *r, buffer, start);
            repacked = true;
        }
    }

    // Back-to-back structs.
    if (size == 0) {
        expect_error(errc::zero_size_struct, [&] { (void)s.iter_unpack(buffer); });
    } else if (n % size != 0) {
        expect_error(errc::not_a_multiple, [&] { (void)s.iter_unpack(buffer); });
    } else {
        const std::size_t per_struct = std::max<std::size_t>(s.value_count(), 1);
        const std::size_t records = std::min(n / size, std::max<std::size_t>(max_iter_values / per_struct, 1));
        const auto all = s.iter_unpack(buffer.first(records * size));
        WIREPACK_FUZZ_CHECK(all.size() == records);
        std::size_t k = 0;
        for (const auto& record : all) {
            WIREPACK_FUZZ_CHECK(k < records);
            WIREPACK_FUZZ_CHECK(same_values(record, reference_unpack(s, buffer.data() + k * size), true));
            ++k;
        }
        WIREPACK_FUZZ_CHECK(k == records);
    }

    // An empty span, whose data() is null.
    const std::span<const std::byte> none;
    if (size == 0) {
        const auto r = s.try_unpack(none);
        WIREPACK_FUZZ_CHECK(r.has_value() && r->size() == s.value_count());
        WIREPACK_FUZZ_CHECK(s.try_unpack_from(none, 0).has_value());
        expect_error(errc::zero_size_struct, [&] { (void)s.iter_unpack(none); });
    } else {
        WIREPACK_FUZZ_CHECK(s.try_unpack(none).error() == errc::buffer_size_mismatch);
        WIREPACK_FUZZ_CHECK(s.try_unpack_from(none, 0).error() == errc::buffer_too_small);
        WIREPACK_FUZZ_CHECK(s.iter_unpack(none).empty());
    }
}

// ---- Compile-time formats against the run-time Struct ---------------------------------------

template <class T>
value to_value(const T& x) {
    if constexpr (std::is_same_v<T, bool>) return x;
    else if constexpr (std::is_same_v<T, char>) return std::string(1, x);
    else if constexpr (std::is_integral_v<T> && std::is_signed_v<T>) return static_cast<std::int64_t>(x);
    else if constexpr (std::is_integral_v<T>) return static_cast<std::uint64_t>(x);
    else if constexpr (std::is_floating_point_v<T>) return static_cast<double>(x);
    else if constexpr (requires { x.view(); }) return std::string(x.view());      // pascal_string
    else return std::string(x.data(), x.size());                                  // std::array<char, N>
}

template <class Tuple>
std::vector<value> to_values(const Tuple& t) {
    return wirepack::apply([](const auto&... x) { return std::vector<value>{to_value(x)...}; }, t);
}

template <wirepack::fixed_string Format>
void check_fixed(std::span<const std::byte> raw) {
    static const wirepack::Struct runtime(Format.view());
    constexpr std::size_t size = wirepack::calcsize<Format>();
    WIREPACK_FUZZ_CHECK(runtime.size() == size);
    const std::size_t n = raw.size();

    auto check_unpacked = [&](const wirepack::unpacked<Format>& fixed, std::span<const value> dynamic, std::size_t start) {
        WIREPACK_FUZZ_CHECK(same_values(to_values(fixed), dynamic));
        const auto repacked = wirepack::apply([](const auto&... x) { return wirepack::pack<Format>(x...); }, fixed);
        const std::vector<std::byte> expected = expected_repack(runtime, raw.data() + start, false);
        WIREPACK_FUZZ_CHECK(std::equal(repacked.begin(), repacked.end(), expected.begin(), expected.end()));
    };

    first_of_each_error first;
    for (const std::ptrdiff_t offset : offsets_for(n, size, raw)) {
        std::size_t start = 0;
        const errc expected = reference_window(n, offset, size, start);
        const auto fixed = wirepack::try_unpack_from<Format>(raw, offset);
        const auto dynamic = runtime.try_unpack_from(raw, offset);
        WIREPACK_FUZZ_CHECK(fixed.error() == expected && dynamic.error() == expected);
        WIREPACK_FUZZ_CHECK(fixed.has_value() == (expected == errc{}) && dynamic.has_value() == (expected == errc{}));
        if (expected != errc{}) {
            if (first(expected)) expect_error(expected, [&] { (void)wirepack::unpack_from<Format>(raw, offset); });
            continue;
        }
        check_unpacked(*fixed, *dynamic, start);
        WIREPACK_FUZZ_CHECK(same_values(to_values(wirepack::unpack_from<Format>(raw, offset)), *dynamic));
    }

    const auto fixed = wirepack::try_unpack<Format>(raw);
    if (n == size) {
        WIREPACK_FUZZ_CHECK(fixed.has_value());
        check_unpacked(*fixed, runtime.unpack(raw), 0);
        WIREPACK_FUZZ_CHECK(same_values(to_values(wirepack::unpack<Format>(raw)), to_values(*fixed)));
    } else {
        WIREPACK_FUZZ_CHECK(fixed.error() == errc::buffer_size_mismatch);
        expect_error(errc::buffer_size_mismatch, [&] { (void)wirepack::unpack<Format>(raw); });
    }

    if (n % size != 0) expect_error(errc::not_a_multiple, [&] { (void)wirepack::iter_unpack<Format>(raw); });
    const auto whole = raw.first(n - n % size);
    const auto dynamic = runtime.iter_unpack(whole);
    auto dynamic_record = dynamic.begin();
    std::size_t k = 0;
    for (const auto& record : wirepack::iter_unpack<Format>(whole)) {
        WIREPACK_FUZZ_CHECK(dynamic_record != std::default_sentinel);
        if (k < 4) check_unpacked(record, *dynamic_record, k * size);  // and repacks: the first few are enough
        else WIREPACK_FUZZ_CHECK(same_values(to_values(record), *dynamic_record));
        ++dynamic_record;
        ++k;
    }
    WIREPACK_FUZZ_CHECK(dynamic_record == std::default_sentinel);
    WIREPACK_FUZZ_CHECK(k == dynamic.size() && k == n / size);
}

// ---- Values taken from the input, packed ---------------------------------------------------

// The binary16 bits CPython's PyFloat_Pack2 makes of `x` (nearest, ties to even; NaN 0x7e00
// and infinities with their sign), or nothing for its OverflowError. Found by bisection over
// the finite halves, independently of half.hpp.
std::optional<std::uint16_t> reference_half(double x) {
    const std::uint16_t sign = std::signbit(x) ? 0x8000 : 0;
    if (std::isnan(x)) return static_cast<std::uint16_t>(sign | 0x7e00);
    if (std::isinf(x)) return static_cast<std::uint16_t>(sign | 0x7c00);
    const double magnitude = std::fabs(x);
    if (magnitude >= 65520.0) return std::nullopt;  // the tie between 65504 and 65536 goes up
    std::uint16_t below = 0;      // the largest half <= magnitude
    std::uint16_t top = 0x7bff;   // 65504
    while (below < top) {
        const auto middle = static_cast<std::uint16_t>((below + top + 1) / 2);
        if (half_value(middle) <= magnitude) below = middle;
        else top = static_cast<std::uint16_t>(middle - 1);
    }
    std::uint16_t nearest = below;
    if (below != 0x7bff) {
        const double midpoint = (half_value(below) + half_value(below + 1u)) / 2;  // exact
        if (magnitude > midpoint || (magnitude == midpoint && (below & 1) != 0)) ++nearest;
    }
    return static_cast<std::uint16_t>(sign | nearest);
}

std::vector<std::byte> bytes_of(std::size_t size, std::uint64_t bits, bool big) {
    std::vector<std::byte> out(size);
    store_bits(out.data(), size, big, bits);
    return out;
}

template <class F>
void expect_bytes_or_error(const std::optional<std::vector<std::byte>>& expected, errc failure, F&& pack) {
    try {
        const auto packed = pack();
        WIREPACK_FUZZ_CHECK(expected.has_value());
        WIREPACK_FUZZ_CHECK(std::equal(packed.begin(), packed.end(), expected->begin(), expected->end()));
    } catch (const wirepack::error& e) {
        WIREPACK_FUZZ_CHECK(!expected.has_value());
        WIREPACK_FUZZ_CHECK(e.code() == failure);
    }
}

// `bits` as a double packed with 'e' and 'f', at run time and at compile time, and as an
// integer packed with an integer code chosen by its low byte.
void check_value_packing(std::uint64_t bits) {
    // The raw double is mostly far outside binary16 and float; these keep sign and fraction
    // and move the exponent where rounding, subnormals and overflow happen.
    const std::uint64_t kept = bits & 0x800fffffffffffffu;
    const std::uint64_t exponent = (bits >> 52) & 0x7ff;
    const double raw = std::bit_cast<double>(bits);
    const double near_half = std::bit_cast<double>(kept | ((1023 - 26 + exponent % 44) << 52));
    const double near_float = std::bit_cast<double>(kept | ((1023 - 152 + exponent % 284) << 52));

    static const wirepack::Struct little_half("<e");
    for (const double x : {raw, near_half}) {
        std::optional<std::vector<std::byte>> expected;
        if (const auto half = reference_half(x)) expected = bytes_of(2, *half, false);
        expect_bytes_or_error(expected, errc::float_overflow, [&] { return little_half.pack({x}); });
        expect_bytes_or_error(expected, errc::float_overflow, [&] { return wirepack::pack<"<e">(x); });
    }

    static const wirepack::Struct big_float(">f");
    static const double float_overflow = std::ldexp(1.0, 128) - std::ldexp(1.0, 103);  // FLT_MAX..2^128, tie up
    for (const double x : {raw, near_float}) {
        std::optional<std::vector<std::byte>> expected;
        if (!std::isfinite(x) || std::fabs(x) < float_overflow) {
            expected = bytes_of(4, std::bit_cast<std::uint32_t>(static_cast<float>(x)), true);
        }
        expect_bytes_or_error(expected, errc::float_overflow, [&] { return big_float.pack({x}); });
        expect_bytes_or_error(expected, errc::float_overflow, [&] { return wirepack::pack<">f">(x); });
    }

    static const wirepack::Struct integers[] = {
        wirepack::Struct("<b"), wirepack::Struct("<B"), wirepack::Struct("<h"), wirepack::Struct("<H"),
        wirepack::Struct(">i"), wirepack::Struct(">I"), wirepack::Struct(">q"), wirepack::Struct(">Q"),
        wirepack::Struct("@l"), wirepack::Struct("@L"), wirepack::Struct("@n"), wirepack::Struct("@N")};
    const wirepack::Struct& s = integers[bits % std::size(integers)];
    const char code = s.items()[0].code;
    const std::size_t width = s.size();
    const bool big = is_big_endian(s.order());
    const unsigned shift = static_cast<unsigned>((bits >> 8) % 64);
    const auto as_signed = static_cast<std::int64_t>(bits) >> shift;  // arithmetic shift (C++20)
    const std::uint64_t as_unsigned = bits >> shift;
    const std::uint64_t half_range = std::uint64_t{1} << (width * 8 - 1);  // 2^(bits - 1)
    const auto signed_half = static_cast<std::int64_t>(half_range);      // only used below 8 bytes
    const bool signed_fits = is_signed_code(code)
                                 ? width == 8 || (as_signed >= -signed_half && as_signed < signed_half)
                                 : as_signed >= 0 && (width == 8 || static_cast<std::uint64_t>(as_signed) < 2 * half_range);
    const bool unsigned_fits = is_signed_code(code) ? as_unsigned < half_range : width == 8 || as_unsigned < 2 * half_range;
    auto expected_for = [&](std::uint64_t v, bool fits) {
        std::optional<std::vector<std::byte>> out;
        if (fits) {
            out.emplace(width);
            store_bits(out->data(), width, big, v);  // the low `width` bytes
        }
        return out;
    };
    expect_bytes_or_error(expected_for(static_cast<std::uint64_t>(as_signed), signed_fits), errc::integer_out_of_range,
                          [&] { return s.pack({as_signed}); });
    expect_bytes_or_error(expected_for(as_unsigned, unsigned_fits), errc::integer_out_of_range,
                          [&] { return s.pack({as_unsigned}); });
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto* bytes = reinterpret_cast<const std::byte*>(data);
    const std::span<const std::byte> raw(bytes, size);
    check_fixed<"!HHIQdd16s">(raw);
    check_fixed<"@c?hbiBqHlIeLnxNfPd2s0s5p0i300p?0p">(raw);
    check_fixed<">e?3pxfbh1p0s">(raw);
    const std::size_t tail = std::min<std::size_t>(size, 8);
    check_value_packing(load_bits(bytes + size - tail, tail, false));  // the last eight bytes, little-endian

    const auto* separator = std::find(bytes, bytes + size, std::byte{'|'});
    const std::string_view format(reinterpret_cast<const char*>(data), static_cast<std::size_t>(separator - bytes));
    const std::vector<std::byte> buffer(separator == bytes + size ? separator : separator + 1, bytes + size);

    const auto parsed = wirepack::Struct::try_parse(format);
    if (!parsed) {
        WIREPACK_FUZZ_CHECK(parsed.error() != errc{});
        expect_error(parsed.error(), [&] { wirepack::Struct unused(format); });
        return 0;
    }
    check_runtime(*parsed, buffer);
    return 0;
}
