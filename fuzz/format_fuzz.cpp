// format_fuzz: the input is a struct format string (every byte of it, NULs included).
//
// For every input it checks that
//  - wirepack::parse_format does not crash and agrees with `reference_parse` below, a
//    transcription of CPython's prepare_s() (Modules/_struct.c) with wirepack's error
//    positions: same validity, error code and position, byte order, size, value count, and
//    the same items (code, count, offset, element size) in the same order;
//  - the items are in order, do not overlap, lie within size(), have their code's size, and
//    are aligned to it under '@';
//  - Struct::try_parse and the Struct constructor agree with parse_format: valid <-> no throw,
//    the same error code, a message with CPython's words and the position, the same layout.
// For a valid format of at most 4096 bytes and 4096 values (nothing larger is allocated):
//  - zero values (0, 0.0, false, b"\0" for c, b"" for s and p) pack to size() zero bytes and
//    unpack back (an `Ns` to N NULs); iter_unpack of two copies gives two records;
//  - a varied set of in-range values (integer extremes, bool and cross-signedness arguments,
//    halves and floats at their limits, infinities and NaNs, strings longer and shorter than
//    their field) packs to size() bytes and unpacks to the values CPython would give back;
//  - pack_into and unpack_from at positive and negative offsets write and read the same
//    bytes, leave the rest of the buffer alone, and fail exactly where CPython does;
//  - one wrong argument (count, kind, range) throws wirepack::error with the expected code.
// A violated invariant aborts with the failed condition; any exception other than
// wirepack::error escapes, and libFuzzer reports it.

#include <wirepack/runtime_struct.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "fuzz_check.hpp"
#include "value_checks.hpp"

namespace {

using wirepack::byte_order;
using wirepack::errc;
using wirepack::format_item;
using wirepack::is_integer_code;
using wirepack::value;
using wirepack::fuzz::expect_error;
using wirepack::fuzz::same_values;

constexpr std::size_t max_packed_size = 4096;
constexpr std::size_t max_packed_values = 4096;
constexpr std::size_t max_alignment =
    std::max({alignof(bool), alignof(short), alignof(int), alignof(long), alignof(long long), alignof(float),
              alignof(double), alignof(std::ptrdiff_t), alignof(std::size_t), alignof(void*)});

// ---- Reference parser: CPython's prepare_s(), written independently of format.hpp ----------

struct reference_layout {
    errc error{};
    std::size_t position{};
    char order = '@';
    std::size_t size{};
    std::size_t value_count{};
    std::vector<format_item> items;  // at most one per character of the format
};

bool is_format_space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

// CPython's native_table and the standard tables (bigendian_table, lilendian_table).
bool reference_entry(char code, bool native, std::ptrdiff_t& size, std::ptrdiff_t& alignment) {
    auto set = [&](std::size_t s, std::size_t a) {
        size = static_cast<std::ptrdiff_t>(s);
        alignment = native ? static_cast<std::ptrdiff_t>(a) : 1;
        return true;
    };
    switch (code) {
    case 'x': case 'c': case 'b': case 'B': case 's': case 'p': return set(1, 1);
    case '?': return native ? set(sizeof(bool), alignof(bool)) : set(1, 1);
    case 'h': case 'H': return native ? set(sizeof(short), alignof(short)) : set(2, 1);
    case 'e': return native ? set(sizeof(short), alignof(short)) : set(2, 1);
    case 'i': case 'I': return native ? set(sizeof(int), alignof(int)) : set(4, 1);
    case 'l': case 'L': return native ? set(sizeof(long), alignof(long)) : set(4, 1);
    case 'q': case 'Q': return native ? set(sizeof(long long), alignof(long long)) : set(8, 1);
    case 'f': return native ? set(sizeof(float), alignof(float)) : set(4, 1);
    case 'd': return native ? set(sizeof(double), alignof(double)) : set(8, 1);
    case 'n': return native && set(sizeof(std::ptrdiff_t), alignof(std::ptrdiff_t));
    case 'N': return native && set(sizeof(std::size_t), alignof(std::size_t));
    case 'P': return native && set(sizeof(void*), alignof(void*));
    default: return false;
    }
}

reference_layout reference_parse(std::string_view format) {
    reference_layout r;
    auto fail = [&](errc error, std::size_t position) {
        r.error = error;
        r.position = position;
        r.items.clear();
        return r;
    };
    for (std::size_t k = 0; k < format.size(); ++k) {
        if (format[k] == '\0') return fail(errc::embedded_null, k);
    }
    std::size_t i = 0;
    if (!format.empty() && std::string_view("@=<>!").find(format[0]) != std::string_view::npos) {
        r.order = format[0];
        i = 1;
    }
    const bool native = r.order == '@';
    constexpr std::ptrdiff_t max = std::numeric_limits<std::ptrdiff_t>::max();
    std::ptrdiff_t size = 0;
    while (i < format.size()) {
        char c = format[i];
        if (is_format_space(c)) {
            ++i;
            continue;
        }
        const std::size_t start = i;
        std::ptrdiff_t num = 1;
        if (c >= '0' && c <= '9') {
            num = c - '0';
            for (++i; i < format.size() && format[i] >= '0' && format[i] <= '9'; ++i) {
                const int digit = format[i] - '0';
                if (num >= max / 10 && (num > max / 10 || digit > max % 10)) {
                    return fail(errc::struct_size_too_long, start);
                }
                num = num * 10 + digit;
            }
            if (i == format.size()) return fail(errc::repeat_count_without_format, start);
            c = format[i];
        }
        std::ptrdiff_t item_size = 0;
        std::ptrdiff_t alignment = 1;
        if (!reference_entry(c, native, item_size, alignment)) return fail(errc::bad_char, i);
        ++i;
        if (alignment > 1 && size > 0) {  // CPython's align()
            const std::ptrdiff_t extra = (alignment - 1) - (size - 1) % alignment;
            if (extra > max - size) return fail(errc::struct_size_too_long, start);
            size += extra;
        }
        if (num > (max - size) / item_size) return fail(errc::struct_size_too_long, start);
        const auto count = static_cast<std::size_t>(num);
        const auto offset = static_cast<std::size_t>(size);
        if (c == 's' || c == 'p') {
            r.items.push_back({c, count, offset, count});
            r.value_count += 1;
        } else if (c == 'x') {
            if (count != 0) r.items.push_back({c, count, offset, 1});
        } else if (count != 0) {
            r.items.push_back({c, count, offset, static_cast<std::size_t>(item_size)});
            r.value_count += count;
        }
        size += num * item_size;
    }
    r.size = static_cast<std::size_t>(size);
    return r;
}

bool same_item(const format_item& a, const format_item& b) {
    return a.code == b.code && a.count == b.count && a.offset == b.offset && a.element_size == b.element_size;
}

bool same_items(std::span<const format_item> a, std::span<const format_item> b) {
    if (a.size() != b.size()) return false;
    for (std::size_t k = 0; k < a.size(); ++k) {
        if (!same_item(a[k], b[k])) return false;
    }
    return true;
}

// The layout invariants that hold whatever the reference says.
void check_layout(const wirepack::format_summary& summary, std::span<const format_item> items) {
    std::size_t end = 0;
    std::size_t values = 0;
    for (const format_item& item : items) {
        const auto layout = wirepack::layout_of(item.code, summary.order);
        WIREPACK_FUZZ_CHECK(layout.has_value());
        if (item.code == 's' || item.code == 'p') {
            WIREPACK_FUZZ_CHECK(item.element_size == item.count);
        } else {
            WIREPACK_FUZZ_CHECK(item.element_size == layout->size);
            WIREPACK_FUZZ_CHECK(item.count != 0);  // a zero-count item is not reported
        }
        WIREPACK_FUZZ_CHECK(item.offset >= end);                                        // in order, no overlap
        WIREPACK_FUZZ_CHECK(item.offset % layout->alignment == 0);                      // native alignment
        WIREPACK_FUZZ_CHECK(summary.order == byte_order::native || layout->alignment == 1);
        WIREPACK_FUZZ_CHECK(item.byte_size() <= summary.size - item.offset);            // within size
        // A gap is alignment only: none outside native mode, less than the largest alignment in it.
        if (summary.order == byte_order::native) WIREPACK_FUZZ_CHECK(item.offset - end < max_alignment);
        else WIREPACK_FUZZ_CHECK(item.offset == end);
        end = item.offset + item.byte_size();
        values += item.value_count();
    }
    WIREPACK_FUZZ_CHECK(end <= summary.size);
    WIREPACK_FUZZ_CHECK(values == summary.value_count);
    WIREPACK_FUZZ_CHECK(items.size() == summary.item_count);
    if (summary.order != byte_order::native) WIREPACK_FUZZ_CHECK(end == summary.size);  // no padding anywhere
}

// ---- Values to pack, and what unpacking them gives back --------------------------------------

bool is_signed_code(char code) {
    switch (code) {
    case 'b': case 'h': case 'i': case 'l': case 'q': case 'n': return true;
    default: return false;
    }
}
struct int_range {
    std::int64_t min;   // signed codes
    std::int64_t max;   // signed codes
    std::uint64_t umax; // unsigned codes
};

int_range range_of(std::size_t bytes) {
    if (bytes >= 8) {
        return {std::numeric_limits<std::int64_t>::min(), std::numeric_limits<std::int64_t>::max(),
                std::numeric_limits<std::uint64_t>::max()};
    }
    const unsigned bits = static_cast<unsigned>(bytes * 8);
    const std::int64_t half = std::int64_t{1} << (bits - 1);
    return {-half, half - 1, (std::uint64_t{1} << bits) - 1};
}

struct packed_case {
    std::vector<value> arguments;
    std::vector<value> expected;  // what unpack gives back
};

value expected_integer(char code, std::int64_t v) {
    if (is_signed_code(code)) return v;
    return static_cast<std::uint64_t>(v);
}

std::string text_of_length(std::size_t length, std::size_t seed) {
    std::string s(length, '\0');
    for (std::size_t k = 0; k < length; ++k) s[k] = static_cast<char>((seed * 31 + k * 7 + 1) & 0xff);
    return s;
}

// One value for code `code` (item `item`), the `k`-th value of the whole struct.
void add_varied(packed_case& c, const format_item& item, byte_order order, std::size_t k) {
    const char code = item.code;
    // Each value is built in place: moving a std::variant<..., std::string> makes g++ 12
    // warn "may be used uninitialized" at -O2.
    auto add = [&](auto argument, auto expected) {
        c.arguments.emplace_back(std::move(argument));
        c.expected.emplace_back(std::move(expected));
    };
    if (is_integer_code(code)) {
        const int_range r = range_of(wirepack::layout_of(code, order)->size);
        const bool is_signed = is_signed_code(code);
        const auto small = static_cast<std::int64_t>(k & 0x7f);
        switch (k % 6) {
        case 0:
            if (is_signed) add(r.min, r.min);
            else add(std::uint64_t{0}, std::uint64_t{0});
            return;
        case 1:
            if (is_signed) add(r.max, r.max);
            else add(r.umax, r.umax);
            return;
        case 2: add(true, expected_integer(code, 1)); return;
        case 3:
            if (code == 'P') {
                // Python stores a negative address as its two's complement.
                add(std::int64_t{-1}, static_cast<std::uint64_t>(static_cast<std::uintptr_t>(-1)));
            } else if (is_signed) {
                add(std::int64_t{-1}, std::int64_t{-1});
            } else {
                add(std::int64_t{1}, std::uint64_t{1});
            }
            return;
        case 4: add(static_cast<std::uint64_t>(small), expected_integer(code, small)); return;
        default: add(small, expected_integer(code, small)); return;
        }
    }
    constexpr double inf = std::numeric_limits<double>::infinity();
    constexpr double nan = std::numeric_limits<double>::quiet_NaN();
    switch (code) {
    case '?': {
        switch (k % 6) {
        case 0: add(false, false); return;
        case 1: add(true, true); return;
        case 2: add(std::int64_t{2}, true); return;
        case 3: add(0.5, true); return;
        case 4: add(std::string(), false); return;
        default: add(std::string("\0", 1), true); return;  // any non-empty bytes is true
        }
    }
    case 'e': {
        // Every expected value is exact in binary16, or a rounding CPython documents.
        static const double in[] = {0.0, -0.0, 65504.0, -65504.0, 65519.99, 1.5, 2049.0, 1.0 + 0x1p-11,
                                    0x1p-14, 0x1p-24, 0x1p-25, 0x1.8p-25, inf, -inf, nan, -nan};
        static const double out[] = {0.0, -0.0, 65504.0, -65504.0, 65504.0, 1.5, 2048.0, 1.0,
                                     0x1p-14, 0x1p-24, 0.0, 0x1p-24, inf, -inf, nan, -nan};
        const std::size_t n = k % std::size(in);
        if (k % 17 == 3) add(std::int64_t{-3}, -3.0);
        else add(in[n], out[n]);
        return;
    }
    case 'f': {
        static const double in[] = {0.0, -0.0, 0.1, 0x1.fffffefffffffp+127, -0x1.fffffep+127, 0x1p-149,
                                    0x1p-150, 1e-46, inf, -inf, nan, -nan};
        const std::size_t n = k % std::size(in);
        if (k % 13 == 5) add(std::uint64_t{16777217}, 16777216.0);
        else add(in[n], static_cast<double>(static_cast<float>(in[n])));
        return;
    }
    case 'd': {
        static const double in[] = {0.0, -0.0, 0.1, std::numeric_limits<double>::max(),
                                    std::numeric_limits<double>::denorm_min(), -inf, nan};
        const double d = in[k % std::size(in)];
        add(d, d);
        return;
    }
    case 'c': {
        const std::string one(1, static_cast<char>(k * 37 & 0xff));
        add(one, one);
        return;
    }
    case 's': {
        const std::size_t length = (k * 7) % (item.count + 3);
        const std::string text = text_of_length(length, k);
        std::string expected = text.substr(0, item.count);
        expected.resize(item.count, '\0');
        add(text, expected);
        return;
    }
    case 'p': {
        const std::size_t length = (k * 7) % (item.count + 3);
        const std::string text = text_of_length(length, k);
        const std::size_t kept =
            item.count == 0 ? 0 : std::min({length, item.count - 1, std::size_t{255}});
        add(text, text.substr(0, kept));
        return;
    }
    default: WIREPACK_FUZZ_CHECK(false);
    }
}

void add_zero(packed_case& c, const format_item& item) {
    const char code = item.code;
    // Built in place, as in add_varied.
    auto add = [&](auto argument, auto expected) {
        c.arguments.emplace_back(std::move(argument));
        c.expected.emplace_back(std::move(expected));
    };
    if (is_integer_code(code)) {
        for (std::size_t k = 0; k < item.count; ++k) add(std::int64_t{0}, expected_integer(code, 0));
        return;
    }
    switch (code) {
    case 'x': return;
    case 's': add(std::string(), std::string(item.count, '\0')); return;
    case 'p': add(std::string(), std::string()); return;
    default: break;
    }
    for (std::size_t k = 0; k < item.count; ++k) {
        switch (code) {
        case '?': add(false, false); break;
        case 'e': case 'f': case 'd': add(0.0, 0.0); break;
        case 'c': add(std::string(1, '\0'), std::string(1, '\0')); break;
        default: WIREPACK_FUZZ_CHECK(false);
        }
    }
}

// CPython's window check for pack_into and unpack_from, in unsigned arithmetic.
errc reference_window(std::size_t buffer, std::ptrdiff_t offset, std::size_t size) {
    std::size_t start = static_cast<std::size_t>(offset);
    if (offset < 0) {
        const std::size_t back = std::size_t{0} - static_cast<std::size_t>(offset);  // |offset|
        if (size > back) return errc::buffer_too_small;
        if (back > buffer) return errc::offset_out_of_range;
        start = buffer - back;
    }
    if (start > buffer || buffer - start < size) return errc::buffer_too_small;
    return errc{};
}

void check_round_trip(const wirepack::Struct& s, const packed_case& c, bool all_zero) {
    const std::size_t size = s.size();
    const wirepack::packed_bytes packed = s.pack(c.arguments);
    WIREPACK_FUZZ_CHECK(packed.size() == size);
    if (all_zero) {
        for (std::byte b : packed) WIREPACK_FUZZ_CHECK(b == std::byte{0});
    }
    WIREPACK_FUZZ_CHECK(same_values(s.unpack(packed), c.expected));
    {
        const auto r = s.try_unpack(packed);
        WIREPACK_FUZZ_CHECK(r.has_value() && same_values(*r, c.expected));
    }

    // pack_into and unpack_from in a larger buffer, at every kind of offset.
    const std::size_t buffer_size = size + 3;
    const auto signed_size = static_cast<std::ptrdiff_t>(size);
    const std::ptrdiff_t offsets[] = {0, 1, 3, 4, -signed_size, -signed_size - 1, -signed_size - 3,
                                      -signed_size - 4, -signed_size + 1, -1, signed_size + 4};
    for (const std::ptrdiff_t offset : offsets) {
        std::vector<std::byte> buffer(buffer_size, std::byte{0xa5});
        const errc expected = reference_window(buffer_size, offset, size);
        if (expected != errc{}) {
            expect_error(expected, [&] { s.pack_into(buffer, offset, c.arguments); });
            for (std::byte b : buffer) WIREPACK_FUZZ_CHECK(b == std::byte{0xa5});
            expect_error(expected, [&] { (void)s.unpack_from(buffer, offset); });
            const auto r = s.try_unpack_from(buffer, offset);
            WIREPACK_FUZZ_CHECK(!r.has_value() && r.error() == expected);
            continue;
        }
        s.pack_into(buffer, offset, c.arguments);
        const std::size_t start = offset < 0 ? static_cast<std::size_t>(offset + static_cast<std::ptrdiff_t>(buffer_size))
                                             : static_cast<std::size_t>(offset);
        for (std::size_t k = 0; k < buffer_size; ++k) {
            if (k >= start && k - start < size) WIREPACK_FUZZ_CHECK(buffer[k] == packed[k - start]);
            else WIREPACK_FUZZ_CHECK(buffer[k] == std::byte{0xa5});
        }
        WIREPACK_FUZZ_CHECK(same_values(s.unpack_from(buffer, offset), c.expected));
        const auto r = s.try_unpack_from(buffer, offset);
        WIREPACK_FUZZ_CHECK(r.has_value() && same_values(*r, c.expected));
    }

    // Two structs back to back.
    std::vector<std::byte> twice(packed.begin(), packed.end());
    twice.insert(twice.end(), packed.begin(), packed.end());
    if (size == 0) {
        expect_error(errc::zero_size_struct, [&] { (void)s.iter_unpack(twice); });
    } else {
        const auto records = s.iter_unpack(twice);
        WIREPACK_FUZZ_CHECK(records.size() == 2);
        for (const auto& record : records) WIREPACK_FUZZ_CHECK(same_values(record, c.expected));
        std::vector<std::byte> ragged(twice.begin(), twice.end() - 1);
        if (ragged.size() % size != 0) expect_error(errc::not_a_multiple, [&] { (void)s.iter_unpack(ragged); });
    }
}

// One wrong argument at a time: each must be refused with CPython's error.
void check_bad_arguments(const wirepack::Struct& s, const packed_case& c) {
    const wirepack::packed_bytes good = s.pack(c.arguments);
    std::vector<value> arguments = c.arguments;
    arguments.push_back(std::int64_t{0});
    expect_error(errc::wrong_value_count, [&] { (void)s.pack(arguments); });
    arguments.pop_back();
    if (!arguments.empty()) {
        arguments.pop_back();
        expect_error(errc::wrong_value_count, [&] { (void)s.pack(arguments); });
    }

    bool seen[128] = {};
    std::size_t index = 0;
    for (const format_item& item : s.items()) {
        const char code = item.code;
        const std::size_t first = index;
        index += item.value_count();
        if (item.value_count() == 0 || seen[static_cast<unsigned char>(code) & 0x7f]) continue;
        seen[static_cast<unsigned char>(code) & 0x7f] = true;
        WIREPACK_FUZZ_CHECK(s.code_at(first) == code);
        WIREPACK_FUZZ_CHECK(s.code_at(index - 1) == code);

        bool tried_pack_into = false;  // once per code: throwing is what makes fuzzing slow
        auto refused = [&](errc expected, value bad) {
            std::vector<value> with_bad = c.arguments;
            with_bad[first] = std::move(bad);
            expect_error(expected, [&] { (void)s.pack(with_bad); });
            if (std::exchange(tried_pack_into, true)) return;
            // pack_into, like CPython, zeroes the struct and writes the values before the
            // refused one; the bytes around the struct are left alone.
            std::vector<std::byte> buffer(s.size() + 2, std::byte{0xa5});
            expect_error(expected, [&] { s.pack_into(buffer, 1, with_bad); });
            WIREPACK_FUZZ_CHECK(buffer.front() == std::byte{0xa5} && buffer.back() == std::byte{0xa5});
            for (std::size_t k = 0; k < s.size(); ++k) {
                WIREPACK_FUZZ_CHECK(buffer[1 + k] == (k < item.offset ? good[k] : std::byte{0}));
            }
        };
        if (is_integer_code(code)) {
            refused(errc::not_an_integer, std::string("1"));
            refused(errc::not_an_integer, 1.0);
            const int_range r = range_of(wirepack::layout_of(code, s.order())->size);
            if (code == 'P') continue;  // every int64 and uint64 is an address (two's complement)
            if (!is_signed_code(code)) {
                refused(errc::integer_out_of_range, std::int64_t{-1});
                if (r.umax != std::numeric_limits<std::uint64_t>::max()) refused(errc::integer_out_of_range, r.umax + 1);
            } else if (r.max != std::numeric_limits<std::int64_t>::max()) {
                refused(errc::integer_out_of_range, r.max + 1);
                refused(errc::integer_out_of_range, r.min - 1);
            } else {
                refused(errc::integer_out_of_range, static_cast<std::uint64_t>(r.max) + 1);
            }
            continue;
        }
        switch (code) {
        case 'e':
            refused(errc::not_a_float, std::string("1"));
            refused(errc::float_overflow, 65520.0);
            refused(errc::float_overflow, -1e300);
            break;
        case 'f':
            refused(errc::not_a_float, std::string("1"));
            refused(errc::float_overflow, 0x1.ffffffp+127);
            refused(errc::float_overflow, -std::numeric_limits<double>::max());
            break;
        case 'd': refused(errc::not_a_float, std::string("1")); break;
        case 'c':
            refused(errc::char_not_one_byte, std::string("ab"));
            refused(errc::char_not_one_byte, std::string());
            refused(errc::char_not_one_byte, std::int64_t{65});
            break;
        case 's': case 'p':
            refused(errc::not_bytes, std::int64_t{0});
            refused(errc::not_bytes, false);
            break;
        default: break;  // '?' takes anything
        }
    }
}

void check_struct(const wirepack::Struct& s, std::string_view format, const reference_layout& ref) {
    WIREPACK_FUZZ_CHECK(s.format() == format);
    WIREPACK_FUZZ_CHECK(s.size() == ref.size);
    WIREPACK_FUZZ_CHECK(s.value_count() == ref.value_count);
    WIREPACK_FUZZ_CHECK(static_cast<char>(s.order()) == ref.order);
    WIREPACK_FUZZ_CHECK(same_items(s.items(), ref.items));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view format(reinterpret_cast<const char*>(data), size);
    const reference_layout ref = reference_parse(format);

    std::vector<format_item> items;
    const wirepack::format_summary summary =
        wirepack::parse_format(format, [&](const format_item& item) { items.push_back(item); });
    WIREPACK_FUZZ_CHECK(summary.error == ref.error);
    if (!summary.valid()) {
        WIREPACK_FUZZ_CHECK(summary.error_position == ref.position);
        WIREPACK_FUZZ_CHECK(summary.error_position < format.size());
    } else {
        WIREPACK_FUZZ_CHECK(static_cast<char>(summary.order) == ref.order);
        WIREPACK_FUZZ_CHECK(summary.size == ref.size);
        WIREPACK_FUZZ_CHECK(summary.value_count == ref.value_count);
        WIREPACK_FUZZ_CHECK(same_items(items, ref.items));
        check_layout(summary, items);
    }
    // The parser is the same without a callback.
    const wirepack::format_summary bare = wirepack::parse_format(format);
    WIREPACK_FUZZ_CHECK(bare.error == summary.error && bare.error_position == summary.error_position);
    WIREPACK_FUZZ_CHECK(bare.size == summary.size && bare.value_count == summary.value_count);
    WIREPACK_FUZZ_CHECK(bare.item_count == summary.item_count && bare.order == summary.order);

    const auto parsed = wirepack::Struct::try_parse(format);
    WIREPACK_FUZZ_CHECK(parsed.has_value() == summary.valid());
    WIREPACK_FUZZ_CHECK(parsed.error() == (summary.valid() ? errc{} : summary.error));
    std::optional<wirepack::Struct> constructed;
    try {
        constructed.emplace(format);
        WIREPACK_FUZZ_CHECK(summary.valid());
    } catch (const wirepack::error& e) {
        WIREPACK_FUZZ_CHECK(!summary.valid());
        WIREPACK_FUZZ_CHECK(e.code() == summary.error);
        // CPython's words, then where: "bad char in struct format (position 2)".
        const std::string_view message = e.what();
        WIREPACK_FUZZ_CHECK(message.starts_with(wirepack::describe(summary.error)));
        WIREPACK_FUZZ_CHECK(message.find("position " + std::to_string(summary.error_position)) != std::string_view::npos);
    }
    if (!summary.valid()) return 0;
    check_struct(*parsed, format, ref);
    check_struct(*constructed, format, ref);

    if (summary.size > max_packed_size || summary.value_count > max_packed_values) return 0;
    const wirepack::Struct& s = *constructed;

    packed_case zeros;
    packed_case varied;
    std::size_t k = 0;
    for (const format_item& item : s.items()) {
        add_zero(zeros, item);
        if (item.code == 's' || item.code == 'p') {
            add_varied(varied, item, s.order(), k++);
        } else if (item.code != 'x') {
            for (std::size_t n = 0; n < item.count; ++n) add_varied(varied, item, s.order(), k++);
        }
    }
    WIREPACK_FUZZ_CHECK(zeros.arguments.size() == s.value_count());
    WIREPACK_FUZZ_CHECK(varied.arguments.size() == s.value_count());

    check_round_trip(s, zeros, true);
    check_round_trip(s, varied, false);
    check_bad_arguments(s, varied);
    return 0;
}
