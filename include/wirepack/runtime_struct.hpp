#pragma once
/// \file
/// `wirepack::Struct`: Python's `struct.Struct`, for formats known only at run
/// time. It parses with the same `parse_format` as the compile-time packers, once,
/// and packs and unpacks dynamically typed `wirepack::value`s.
///
///     wirepack::Struct s("<I2sf");
///     std::vector<std::byte> b = s.pack({1, "ab", 2.7});
///     std::vector<wirepack::value> v = s.unpack(b);   // {uint64_t 1, "ab", 2.700000047683716}
///
/// For loops that pack or unpack many messages, `pack_into` and `unpack_into`
/// allocate nothing: they write into the caller's buffer and reuse the caller's
/// vector of values (and the capacity of the strings in it).
///
/// How it is fast: the constructor turns every parsed run (`4h`, `16s`, ...) into a
/// `detail::run` whose kind (`i16`, `u32`, `bytes`, ...) is resolved once from the
/// format character and the mode. Packing zeroes only the pad and alignment bytes,
/// then does one `switch` per run over that dense kind, with the byte order a
/// template argument chosen once per call. The table holds one entry per parsed
/// item (plus one per gap), so its size is bounded by the length of the format,
/// however large the repeat counts.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <iterator>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include <boost/endian/conversion.hpp>

#include <wirepack/error.hpp>
#include <wirepack/format.hpp>
#include <wirepack/result.hpp>
#include <wirepack/detail/codec.hpp>
#include <wirepack/detail/endian.hpp>
#include <wirepack/detail/half.hpp>

namespace wirepack {

/// A Python value as `struct` sees it: an int (as `int64_t` or `uint64_t`), a
/// float, a bool, or bytes (held in a `std::string`).
///
/// Unpacking yields `int64_t` for signed codes (`b h i l q n`), `uint64_t` for
/// unsigned ones (`B H I L Q N P`), `bool` for `?`, `double` for `e f d` and
/// `std::string` for `c s p`.
using value = std::variant<bool, std::int64_t, std::uint64_t, double, std::string>;

namespace detail {

// Indexes of the alternatives of `value`.
inline constexpr std::size_t bool_index = 0;
inline constexpr std::size_t int_index = 1;
inline constexpr std::size_t uint_index = 2;
inline constexpr std::size_t double_index = 3;
inline constexpr std::size_t bytes_index = 4;
static_assert(std::is_same_v<std::variant_alternative_t<bool_index, value>, bool> &&
              std::is_same_v<std::variant_alternative_t<int_index, value>, std::int64_t> &&
              std::is_same_v<std::variant_alternative_t<uint_index, value>, std::uint64_t> &&
              std::is_same_v<std::variant_alternative_t<double_index, value>, double> &&
              std::is_same_v<std::variant_alternative_t<bytes_index, value>, std::string>);

/// What one run of a format does with its value, resolved once from the format
/// character and the mode (native `l` is `i64` on LP64, standard `l` is `i32`).
enum class run_kind : std::uint8_t {
    i8, u8, i16, u16, i32, u32, i64, u64,
    pointer,    ///< `P`: unsigned, but a negative int is stored as its two's complement
    boolean,    ///< `?`
    character,  ///< `c`
    half,       ///< `e`
    single,     ///< `f`
    double_,    ///< `d`
    bytes,      ///< `s`
    pascal,     ///< `p`
    repeated,   ///< `count` values of kind `element` (`4h`), back to back
    pad,        ///< `x` and alignment gaps: `count` zero bytes, no value
};

/// One run of a format. Most runs hold one value, and pack or unpack with a single
/// `switch` on `kind`; a run with a repeat count has kind `repeated` and loops.
struct run {
    std::size_t offset;   ///< the first byte
    std::size_t count;    ///< values (`repeated`); bytes of the field (`bytes`, `pascal`, `pad`); else 1
    run_kind kind;
    run_kind element;     ///< the kind of each value; `kind` unless `repeated`
    char code;            ///< the format character, for error messages
    std::uint8_t stride;  ///< bytes per value of a `repeated` run

    [[nodiscard]] constexpr std::size_t value_count() const noexcept { return kind == run_kind::repeated ? count : 1; }
};

template <class Integer>
[[nodiscard]] constexpr run_kind integer_kind() noexcept {
    constexpr bool is_signed = std::is_signed_v<Integer>;
    switch (sizeof(Integer)) {
    case 1: return is_signed ? run_kind::i8 : run_kind::u8;
    case 2: return is_signed ? run_kind::i16 : run_kind::u16;
    case 4: return is_signed ? run_kind::i32 : run_kind::u32;
    default: static_assert(sizeof(Integer) <= 8); return is_signed ? run_kind::i64 : run_kind::u64;
    }
}

/// The kind of format character `code` (one `parse_format` accepted) in a mode.
template <bool Native>
[[nodiscard]] constexpr run_kind kind_of(char code) noexcept {
    switch (code) {
    case 'b': return integer_kind<integer_for_code_t<'b', Native>>();
    case 'B': return integer_kind<integer_for_code_t<'B', Native>>();
    case 'h': return integer_kind<integer_for_code_t<'h', Native>>();
    case 'H': return integer_kind<integer_for_code_t<'H', Native>>();
    case 'i': return integer_kind<integer_for_code_t<'i', Native>>();
    case 'I': return integer_kind<integer_for_code_t<'I', Native>>();
    case 'l': return integer_kind<integer_for_code_t<'l', Native>>();
    case 'L': return integer_kind<integer_for_code_t<'L', Native>>();
    case 'q': return integer_kind<integer_for_code_t<'q', Native>>();
    case 'Q': return integer_kind<integer_for_code_t<'Q', Native>>();
    case 'n': return integer_kind<integer_for_code_t<'n', Native>>();
    case 'N': return integer_kind<integer_for_code_t<'N', Native>>();
    case 'P': return run_kind::pointer;
    case '?': return run_kind::boolean;
    case 'c': return run_kind::character;
    case 'e': return run_kind::half;
    case 'f': return run_kind::single;
    case 'd': return run_kind::double_;
    case 's': return run_kind::bytes;
    case 'p': return run_kind::pascal;
    default: return run_kind::pad;
    }
}

/// The runs of parsed `items`: first every pad (`x` items and native alignment gaps,
/// adjacent ones merged), then the runs with values, in order. One run per item at
/// most, plus one per gap: the table never grows with the repeat counts.
/// `first_value_run` receives the index of the first run with values.
/// `size` is the struct's size: a zero-count item at the end (`"@c0i"`) still aligns,
/// and `parse_format` does not report it, so the gap before it is found here.
[[nodiscard]] inline std::vector<run> compile_runs(std::span<const format_item> items, byte_order order,
                                                   std::size_t size, std::size_t& first_value_run) {
    std::vector<run> runs;
    std::size_t end = 0;
    auto add_pad = [&](std::size_t offset, std::size_t count) {
        if (count == 0) return;
        if (!runs.empty() && runs.back().offset + runs.back().count == offset) runs.back().count += count;
        else runs.push_back({offset, count, run_kind::pad, run_kind::pad, 'x', 1});
    };
    for (const format_item& item : items) {
        add_pad(end, item.offset - end);
        if (item.code == 'x') add_pad(item.offset, item.count);
        end = item.offset + item.byte_size();
    }
    add_pad(end, size - end);
    first_value_run = runs.size();
    const bool native = order == byte_order::native;
    for (const format_item& item : items) {
        if (item.code == 'x') continue;
        const run_kind kind = native ? kind_of<true>(item.code) : kind_of<false>(item.code);
        const bool is_string = kind == run_kind::bytes || kind == run_kind::pascal;
        if (is_string || item.count == 1) {
            runs.push_back({item.offset, is_string ? item.count : 1, kind, kind, item.code, 1});
        } else {
            runs.push_back({item.offset, item.count, run_kind::repeated, kind, item.code,
                            static_cast<std::uint8_t>(item.element_size)});
        }
    }
    return runs;
}

// ---- Values to wire representations (one variant access each) ---------------------------

// The per-value helpers below are inlined into the run loops, whatever the
// optimiser's size heuristics say: one call per value would double the cost.
// Undefined again at the end of this header.
#if defined(__GNUC__) || defined(__clang__)
#define WIREPACK_DETAIL_ALWAYS_INLINE [[gnu::always_inline]] inline
#else
#define WIREPACK_DETAIL_ALWAYS_INLINE inline
#endif

/// Requires: never reached (a `switch` over kinds its caller excludes).
[[noreturn]] inline void unreachable() noexcept {
#if defined(__GNUC__) || defined(__clang__)
    __builtin_unreachable();
#elif defined(_MSC_VER)
    __assume(false);
#endif
}

[[noreturn]] inline void throw_not_an_integer() { throw error(errc::not_an_integer); }
[[noreturn]] inline void throw_not_a_float() { throw error(errc::not_a_float); }
[[noreturn]] inline void throw_char_not_one_byte() { throw error(errc::char_not_one_byte); }
[[noreturn]] inline void throw_not_bytes(char code) {
    throw error(errc::not_bytes, std::string("argument for '") + code + "' must be a bytes object");
}

/// `v` as the wire integer of `code`, with CPython's range and kind errors.
/// (`std::get` after a test of `index()`: the test is the only check left.)
template <class Wire>
[[nodiscard]] WIREPACK_DETAIL_ALWAYS_INLINE Wire integer_from_value(char code, const value& v) {
    constexpr std::size_t likely_index = std::is_signed_v<Wire> ? int_index : uint_index;
    constexpr std::size_t other_index = std::is_signed_v<Wire> ? uint_index : int_index;
    const std::size_t index = v.index();
    if (index == likely_index) [[likely]] return to_wire_integer<Wire>(code, std::get<likely_index>(v));
    if (index == other_index) return to_wire_integer<Wire>(code, std::get<other_index>(v));
    if (index == bool_index) return static_cast<Wire>(std::get<bool_index>(v));
    throw_not_an_integer();
}

/// `v` as the address `P` stores: Python accepts a negative address and stores its
/// two's complement.
[[nodiscard]] inline std::uintptr_t address_from_value(const value& v) {
    if (v.index() == int_index) return static_cast<std::uintptr_t>(std::get<int_index>(v));
    return integer_from_value<std::uintptr_t>('P', v);
}

/// A float argument: its value, and whether it was an int or a bool (which only
/// changes the wording of an overflow error, as in CPython).
struct float_argument {
    double x;
    bool from_integer;
};

[[nodiscard]] WIREPACK_DETAIL_ALWAYS_INLINE float_argument float_from_value(const value& v) {
    // Tests in order of likelihood rather than a `switch`, which clang lowers to a
    // second indirect jump per float.
    const std::size_t index = v.index();
    if (index == double_index) [[likely]] return {std::get<double_index>(v), false};
    if (index == int_index) return {static_cast<double>(std::get<int_index>(v)), true};
    if (index == uint_index) return {static_cast<double>(std::get<uint_index>(v)), true};
    if (index == bool_index) return {std::get<bool_index>(v) ? 1.0 : 0.0, true};
    throw_not_a_float();
}

[[nodiscard]] inline double double_from_value(const value& v) { return float_from_value(v).x; }

/// `to_wire_float`, with the common case (a magnitude below the overflow threshold)
/// decided by one comparison.
[[nodiscard]] WIREPACK_DETAIL_ALWAYS_INLINE float float_from_double(double x, bool from_integer) {
    if (x < float_overflow_threshold && x > -float_overflow_threshold) [[likely]] return static_cast<float>(x);
    return to_wire_float(x, from_integer);
}

/// Python's truth value.
[[nodiscard]] inline bool truth_of(const value& v) noexcept {
    switch (v.index()) {
    case bool_index: return std::get<bool_index>(v);
    case int_index: return std::get<int_index>(v) != 0;
    case uint_index: return std::get<uint_index>(v) != 0;
    case double_index: return std::get<double_index>(v) != 0;
    case bytes_index: return !std::get<bytes_index>(v).empty();
    default: return false;  // valueless_by_exception
    }
}

[[nodiscard]] WIREPACK_DETAIL_ALWAYS_INLINE const std::string& bytes_from_value(char code, const value& v) {
    if (v.index() == bytes_index) [[likely]] return std::get<bytes_index>(v);
    throw_not_bytes(code);
}

/// Copies `n` bytes, inline up to 16 (the fields of a typical header) instead of a
/// call to `memcpy`.
WIREPACK_DETAIL_ALWAYS_INLINE void copy_small(void* to, const void* from, std::size_t n) noexcept {
    auto* out = static_cast<unsigned char*>(to);
    const auto* in = static_cast<const unsigned char*>(from);
    if (n > 16) {
        std::memcpy(out, in, n);
    } else if (n >= 8) {  // two overlapping words
        std::uint64_t head, tail;
        std::memcpy(&head, in, 8);
        std::memcpy(&tail, in + n - 8, 8);
        std::memcpy(out, &head, 8);
        std::memcpy(out + n - 8, &tail, 8);
    } else if (n >= 4) {
        std::uint32_t head, tail;
        std::memcpy(&head, in, 4);
        std::memcpy(&tail, in + n - 4, 4);
        std::memcpy(out, &head, 4);
        std::memcpy(out + n - 4, &tail, 4);
    } else if (n != 0) {
        const unsigned char first = in[0], middle = in[n / 2], last = in[n - 1];
        out[0] = first;
        out[n / 2] = middle;
        out[n - 1] = last;
    }
}

/// `s`: the first `field` bytes of `bytes`, NUL-padded (`store_string`, inline).
WIREPACK_DETAIL_ALWAYS_INLINE void store_bytes(std::byte* at, std::size_t field, const std::string& bytes) noexcept {
    const std::size_t copied = bytes.size() < field ? bytes.size() : field;
    copy_small(at, bytes.data(), copied);
    if (copied != field) std::memset(at + copied, 0, field - copied);
}

/// Packs the one value `v` of kind `kind` (`r.kind`, or `r.element` in a repeated
/// run) at `at`. Requires: `kind` is neither `repeated` nor `pad`.
template <boost::endian::order Order>
WIREPACK_DETAIL_ALWAYS_INLINE void pack_value(run_kind kind, const run& r, std::byte* at, const value& v) {
    const char code = r.code;     // read only by the cases that need them
    const std::size_t field = r.count;
    switch (kind) {
    case run_kind::i8: store<Order>(at, integer_from_value<std::int8_t>(code, v)); return;
    case run_kind::u8: store<Order>(at, integer_from_value<std::uint8_t>(code, v)); return;
    case run_kind::i16: store<Order>(at, integer_from_value<std::int16_t>(code, v)); return;
    case run_kind::u16: store<Order>(at, integer_from_value<std::uint16_t>(code, v)); return;
    case run_kind::i32: store<Order>(at, integer_from_value<std::int32_t>(code, v)); return;
    case run_kind::u32: store<Order>(at, integer_from_value<std::uint32_t>(code, v)); return;
    case run_kind::i64: store<Order>(at, integer_from_value<std::int64_t>(code, v)); return;
    case run_kind::u64: store<Order>(at, integer_from_value<std::uint64_t>(code, v)); return;
    case run_kind::pointer: store<Order>(at, address_from_value(v)); return;
    case run_kind::boolean: *at = static_cast<std::byte>(truth_of(v)); return;
    case run_kind::character: {
        if (v.index() != bytes_index || std::get<bytes_index>(v).size() != 1) throw_char_not_one_byte();
        *at = static_cast<std::byte>(std::get<bytes_index>(v)[0]);
        return;
    }
    case run_kind::half: {
        const float_argument a = float_from_value(v);
        store<Order>(at, to_wire_half(a.x, a.from_integer));
        return;
    }
    case run_kind::single: {
        const float_argument a = float_from_value(v);
        store<Order>(at, float_from_double(a.x, a.from_integer));
        return;
    }
    case run_kind::double_: store<Order>(at, float_from_value(v).x); return;
    case run_kind::bytes: {
        store_bytes(at, field, bytes_from_value('s', v));
        return;
    }
    case run_kind::pascal: {
        const std::string& bytes = bytes_from_value('p', v);
        store_pascal(at, field, bytes.data(), bytes.size());
        return;
    }
    case run_kind::repeated:
    case run_kind::pad: break;
    }
    unreachable();
}

// ---- Wire representations to values (reusing what `v` already holds) ---------------------

/// Sets `v` to `x`, in place when `v` already holds that alternative.
template <std::size_t Index, class T>
WIREPACK_DETAIL_ALWAYS_INLINE void set_value(value& v, T x) noexcept {
    if (v.index() == Index) [[likely]] std::get<Index>(v) = x;
    else v.template emplace<Index>(x);
}

/// Sets `v` to the `length` bytes at `data`, reusing the capacity of a string it holds.
WIREPACK_DETAIL_ALWAYS_INLINE void set_bytes(value& v, const std::byte* data, std::size_t length) {
    const char* chars = reinterpret_cast<const char*>(data);
    if (v.index() == bytes_index) [[likely]] {
        std::string& held = std::get<bytes_index>(v);
        // A fixed-size `s` field unpacked again: overwrite in place.
        // resize-then-copy rather than assign(): g++ 12 at -O3 misreports assign's
        // internal memcpy as overlapping (-Wrestrict).
        if (held.size() != length) held.resize(length);
        copy_small(held.data(), chars, length);
    } else if (length == 0) {
        v.template emplace<bytes_index>();
    } else {
        v.template emplace<bytes_index>(chars, length);
    }
}

template <boost::endian::order Order, class Wire>
WIREPACK_DETAIL_ALWAYS_INLINE void unpack_integer(const std::byte* at, value& v) noexcept {
    const Wire x = load<Wire, Order>(at);
    if constexpr (std::is_signed_v<Wire>) set_value<int_index>(v, static_cast<std::int64_t>(x));
    else set_value<uint_index>(v, static_cast<std::uint64_t>(x));
}

/// Unpacks the one value of kind `kind` (`r.kind`, or `r.element` in a repeated run)
/// at `at` into `v`. Requires: `kind` is neither `repeated` nor `pad`.
template <boost::endian::order Order>
WIREPACK_DETAIL_ALWAYS_INLINE void unpack_value(run_kind kind, const run& r, const std::byte* at, value& v) {
    const std::size_t field = r.count;
    switch (kind) {
    case run_kind::i8: unpack_integer<Order, std::int8_t>(at, v); return;
    case run_kind::u8: unpack_integer<Order, std::uint8_t>(at, v); return;
    case run_kind::i16: unpack_integer<Order, std::int16_t>(at, v); return;
    case run_kind::u16: unpack_integer<Order, std::uint16_t>(at, v); return;
    case run_kind::i32: unpack_integer<Order, std::int32_t>(at, v); return;
    case run_kind::u32: unpack_integer<Order, std::uint32_t>(at, v); return;
    case run_kind::i64: unpack_integer<Order, std::int64_t>(at, v); return;
    case run_kind::u64: unpack_integer<Order, std::uint64_t>(at, v); return;
    case run_kind::pointer: unpack_integer<Order, std::uintptr_t>(at, v); return;
    case run_kind::boolean: set_value<bool_index>(v, *at != std::byte{0}); return;
    case run_kind::character: set_bytes(v, at, 1); return;
    case run_kind::half: set_value<double_index>(v, half_to_double(load<std::uint16_t, Order>(at))); return;
    case run_kind::single: set_value<double_index>(v, static_cast<double>(load<float, Order>(at))); return;
    case run_kind::double_: set_value<double_index>(v, load<double, Order>(at)); return;
    case run_kind::bytes: set_bytes(v, at, field); return;
    case run_kind::pascal: {
        const std::size_t length = pascal_length(at, field);
        set_bytes(v, length == 0 ? at : at + 1, length);
        return;
    }
    case run_kind::repeated:
    case run_kind::pad: break;
    }
    unreachable();
}

}  // namespace detail

/// A struct format parsed once at run time, like Python's `struct.Struct`.
///
///     wirepack::Struct header("!HI");
///     auto bytes = header.pack({7, 42});
///     auto fields = header.unpack(bytes);
class Struct {
public:
    /// Parses `format`. Throws `wirepack::error` naming the problem and its
    /// position, e.g. "bad char in struct format (position 2)".
    explicit Struct(std::string_view format) : format_(format) {
        summary_ = parse_format(format_, [this](const format_item& item) { items_.push_back(item); });
        if (!summary_.valid()) {
            throw error(summary_.error, std::string(describe(summary_.error)) + " (position " +
                                            std::to_string(summary_.error_position) + ")");
        }
        compile();
    }

    /// Like the constructor, but a malformed format gives its error code.
    ///
    ///     auto s = wirepack::Struct::try_parse(untrusted_format);
    ///     if (!s) return s.error();
    [[nodiscard]] static result<Struct> try_parse(std::string_view format) {
        Struct parsed;
        parsed.format_ = format;
        parsed.summary_ = parse_format(format, [&](const format_item& item) { parsed.items_.push_back(item); });
        if (!parsed.summary_.valid()) return parsed.summary_.error;
        parsed.compile();
        return parsed;
    }

    /// The format string, as given.
    [[nodiscard]] std::string_view format() const noexcept { return format_; }
    /// The packed size in bytes (Python's `calcsize`).
    [[nodiscard]] std::size_t size() const noexcept { return summary_.size; }
    /// How many values `pack` takes and `unpack` returns.
    [[nodiscard]] std::size_t value_count() const noexcept { return summary_.value_count; }
    [[nodiscard]] byte_order order() const noexcept { return summary_.order; }
    /// The parsed items (runs such as `4h`), in order.
    [[nodiscard]] std::span<const format_item> items() const noexcept { return items_; }

    /// The format character of value `index`. Requires: `index < value_count()`.
    [[nodiscard]] char code_at(std::size_t index) const noexcept {
        for (const format_item& item : items_) {
            if (index < item.value_count()) return item.code;
            index -= item.value_count();
        }
        return '\0';
    }

    /// Packs `values` into a new buffer of `size()` bytes. Throws `wirepack::error`
    /// with CPython's message for a wrong count, kind or range.
    ///
    ///     auto b = wirepack::Struct("<h").pack({-2});   // fe ff
    [[nodiscard]] std::vector<std::byte> pack(std::span<const value> values) const {
        std::vector<std::byte> out(checked_count(values, "pack"));  // zero-filled: pad bytes are done
        pack_unchecked<false>(out.data(), values.data());
        return out;
    }
    [[nodiscard]] std::vector<std::byte> pack(std::initializer_list<value> values) const {
        return pack(std::span<const value>(values.begin(), values.size()));
    }

    /// Packs `values` into `buffer` at `offset` (negative: from the end), without
    /// allocating. Pad and alignment bytes are written as zeros; bytes of `buffer`
    /// outside the struct are left alone. If a value is refused, the values before
    /// it are written and the rest of the struct is zero, as in CPython.
    ///
    ///     std::array<std::byte, 64> buffer;
    ///     wirepack::Struct("!H").pack_into(buffer, -2, {0xbeef});   // the last two bytes: be ef
    void pack_into(std::span<std::byte> buffer, std::ptrdiff_t offset, std::span<const value> values) const {
        checked_count(values, "pack_into");
        const auto where = detail::locate(buffer.size(), offset, size());
        if (where.error != errc{}) {
            detail::throw_window_error(where.error, detail::direction::packing, buffer.size(), offset, size());
        }
        pack_unchecked<true>(buffer.data() + where.start, values.data());
    }
    void pack_into(std::span<std::byte> buffer, std::ptrdiff_t offset, std::initializer_list<value> values) const {
        pack_into(buffer, offset, std::span<const value>(values.begin(), values.size()));
    }

    /// Unpacks exactly `size()` bytes. Throws `wirepack::error` for any other size.
    [[nodiscard]] std::vector<value> unpack(std::span<const std::byte> bytes) const {
        if (bytes.size() != size()) detail::throw_unpack_size(size());
        std::vector<value> values(value_count());
        unpack_unchecked(bytes.data(), values.data());
        return values;
    }

    /// Like `unpack`, but into `out`, which ends up with `value_count()` values.
    /// Reuses `out`'s storage and the capacity of the strings it holds, so once
    /// `out` has held a struct's values, unpacking another one allocates nothing.
    /// Throws `wirepack::error` for a size other than `size()`, leaving `out` alone.
    ///
    ///     const wirepack::Struct header("!HHIQdd16s");
    ///     std::vector<wirepack::value> fields;
    ///     for (std::span<const std::byte> message : messages) {
    ///         header.unpack_into(message, fields);      // fields[6] holds the 16-byte name
    ///         handle(fields);
    ///     }
    void unpack_into(std::span<const std::byte> bytes, std::vector<value>& out) const {
        if (bytes.size() != size()) detail::throw_unpack_size(size());
        out.resize(value_count());
        unpack_unchecked(bytes.data(), out.data());
    }

    /// Like `unpack`, but a wrong size gives `errc::buffer_size_mismatch`.
    [[nodiscard]] result<std::vector<value>> try_unpack(std::span<const std::byte> bytes) const {
        if (bytes.size() != size()) return errc::buffer_size_mismatch;
        std::vector<value> values(value_count());
        unpack_unchecked(bytes.data(), values.data());
        return values;
    }

    /// Unpacks the struct at `offset` (negative: from the end) of `buffer`.
    [[nodiscard]] std::vector<value> unpack_from(std::span<const std::byte> buffer, std::ptrdiff_t offset = 0) const {
        const auto where = detail::locate(buffer.size(), offset, size());
        if (where.error != errc{}) {
            detail::throw_window_error(where.error, detail::direction::unpacking, buffer.size(), offset, size());
        }
        std::vector<value> values(value_count());
        unpack_unchecked(buffer.data() + where.start, values.data());
        return values;
    }

    /// Like `unpack_from`, without exceptions for a struct that does not fit.
    [[nodiscard]] result<std::vector<value>> try_unpack_from(std::span<const std::byte> buffer,
                                                             std::ptrdiff_t offset = 0) const {
        const auto where = detail::locate(buffer.size(), offset, size());
        if (where.error != errc{}) return where.error;
        std::vector<value> values(value_count());
        unpack_unchecked(buffer.data() + where.start, values.data());
        return values;
    }

    /// Unpacks a buffer of whole structs back to back, one vector per struct.
    /// Throws `wirepack::error` when the size is zero or not a multiple.
    ///
    ///     for (const auto& point : wirepack::Struct("<hh").iter_unpack(bytes)) draw(point);
    [[nodiscard]] std::vector<std::vector<value>> iter_unpack(std::span<const std::byte> bytes) const {
        if (size() == 0 || bytes.size() % size() != 0) detail::throw_iter_unpack_size(size());
        std::vector<std::vector<value>> all;
        all.reserve(bytes.size() / size());
        for (std::size_t at = 0; at < bytes.size(); at += size()) {
            std::vector<value>& values = all.emplace_back(value_count());
            unpack_unchecked(bytes.data() + at, values.data());
        }
        return all;
    }

private:
    Struct() = default;

    void compile() {
        runs_ = detail::compile_runs(items_, summary_.order, summary_.size, first_value_run_);
        big_endian_ = detail::endian_of(summary_.order) == boost::endian::order::big;
    }

    /// `size()`, once `values` has the right count for `operation` (named in the error).
    std::size_t checked_count(std::span<const value> values, const char* operation) const {
        if (values.size() != value_count()) detail::throw_value_count(value_count(), values.size(), operation);
        return size();
    }

    /// Writes `values` (exactly `value_count()` of them) at `out` (`size()` bytes).
    /// `ZeroPads`: write the pad bytes too, and zero the rest of the struct from a
    /// refused value on, as CPython leaves it; otherwise `out` is already all zero.
    template <bool ZeroPads>
    void pack_unchecked(std::byte* out, const value* values) const {
        using boost::endian::order;
        if (big_endian_) pack_runs<order::big, ZeroPads>(out, values);
        else pack_runs<order::little, ZeroPads>(out, values);
    }

    template <boost::endian::order Order, bool ZeroPads>
    void pack_runs(std::byte* out, const value* v) const {
        using detail::run;
        // `end()` rather than `data() + size()`: clang divides and multiplies back by
        // `sizeof(run)` for the latter.
        const run* r = std::to_address(runs_.begin());
        const run* const first_value = r + first_value_run_;
        const run* const end = std::to_address(runs_.end());
        if constexpr (ZeroPads) {
            for (; r != first_value; ++r) detail::fill_zero(out + r->offset, r->count);
        }
        r = first_value;
        // No lambda or helper owns this loop, so `r` stays in a register and the
        // handler still sees which run refused its value.
        try {
            for (; r != end; ++r) {
                if (r->kind == detail::run_kind::repeated) [[unlikely]] {
                    pack_repeated<Order, ZeroPads>(out, *r, v);
                    v += r->count;
                } else {
                    detail::pack_value<Order>(r->kind, *r, out + r->offset, *v);
                    ++v;
                }
            }
        } catch (...) {
            if constexpr (ZeroPads) {
                // pack_repeated zeroes from its own refused value.
                if (r->kind != detail::run_kind::repeated) detail::fill_zero(out + r->offset, size() - r->offset);
            }
            throw;
        }
    }

    template <boost::endian::order Order, bool ZeroPads>
    void pack_repeated(std::byte* out, const detail::run& r, const value* v) const {
        std::size_t at = r.offset;
        try {
            for (std::size_t k = 0; k < r.count; ++k, at += r.stride) {
                detail::pack_value<Order>(r.element, r, out + at, v[k]);
            }
        } catch (...) {
            if constexpr (ZeroPads) detail::fill_zero(out + at, size() - at);
            throw;
        }
    }

    /// Reads the struct at `in` (`size()` bytes) into `out` (`value_count()` values).
    void unpack_unchecked(const std::byte* in, value* out) const {
        using boost::endian::order;
        if (big_endian_) unpack_runs<order::big>(in, out);
        else unpack_runs<order::little>(in, out);
    }

    template <boost::endian::order Order>
    void unpack_runs(const std::byte* in, value* v) const {
        using detail::run;
        const run* const end = std::to_address(runs_.end());  // see pack_runs
        for (const run* r = std::to_address(runs_.begin()) + first_value_run_; r != end; ++r, ++v) {
            if (r->kind == detail::run_kind::repeated) [[unlikely]] {
                unpack_repeated<Order>(in, *r, v);
                v += r->count - 1;  // at least 2: parse_format drops empty items
                continue;
            }
            detail::unpack_value<Order>(r->kind, *r, in + r->offset, *v);
        }
    }

    template <boost::endian::order Order>
    static void unpack_repeated(const std::byte* in, const detail::run& r, value* v) {
        const std::byte* at = in + r.offset;
        for (std::size_t k = 0; k < r.count; ++k, at += r.stride) detail::unpack_value<Order>(r.element, r, at, v[k]);
    }

    std::string format_;
    format_summary summary_;
    std::vector<format_item> items_;
    std::vector<detail::run> runs_;    ///< pads first, then the runs with values
    std::size_t first_value_run_ = 0;  ///< index in `runs_` of the first run with values
    bool big_endian_ = false;          ///< the byte order, native resolved
};

}  // namespace wirepack

#undef WIREPACK_DETAIL_ALWAYS_INLINE
