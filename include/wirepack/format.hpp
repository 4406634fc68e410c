#pragma once
/// \file
/// The struct format parser: one `constexpr` function used by the compile-time
/// packers (`wirepack::pack<"<I2sf">`) and by the run-time `wirepack::Struct`.
///
/// A format is an optional byte-order character followed by items, exactly as in
/// Python's `struct` module:
///
///     format     := [order] item*
///     order      := '@' | '=' | '<' | '>' | '!'
///     item       := whitespace | [count] code
///     code       := 'x' 'c' 'b' 'B' '?' 'h' 'H' 'i' 'I' 'l' 'L' 'q' 'Q'
///                   'n' 'N' 'e' 'f' 'd' 's' 'p' 'P'
///
/// `@` (the default) uses the machine's sizes, byte order and alignment; the others
/// use the standard sizes and no alignment. `n`, `N` and `P` exist only under `@`.
/// A count repeats a code (`4h` is four shorts) except for `s` and `p`, where it is
/// the length of one string, and `x`, where it is a number of pad bytes.

#include <cstddef>
#include <limits>
#include <optional>
#include <string_view>

#include <wirepack/error.hpp>

namespace wirepack {

/// The byte-order character of a format.
enum class byte_order : char {
    native = '@',           ///< native order, native sizes and alignment (the default)
    native_standard = '=',  ///< native order, standard sizes, no alignment
    little = '<',           ///< little-endian, standard sizes
    big = '>',              ///< big-endian, standard sizes
    network = '!',          ///< big-endian, standard sizes
};

/// One run of a format: `"4h"` is one item with `code == 'h'` and `count == 4`.
struct format_item {
    char code;                 ///< the format character
    std::size_t count;         ///< the repeat count (string length for `s`/`p`, pad bytes for `x`)
    std::size_t offset;        ///< where the item starts, after native alignment
    std::size_t element_size;  ///< bytes of one value (`s` and `p`: the whole string)

    /// How many values the item packs and unpacks: one string for `s`/`p`, none for `x`.
    [[nodiscard]] constexpr std::size_t value_count() const noexcept {
        if (code == 's' || code == 'p') return 1;
        if (code == 'x') return 0;
        return count;
    }
    /// How many bytes the item covers.
    [[nodiscard]] constexpr std::size_t byte_size() const noexcept {
        return (code == 's' || code == 'p') ? count : count * element_size;
    }
};

/// What parsing a format found: its layout, or the first error and where it is.
struct format_summary {
    errc error{};                   ///< `errc{}` when the format is valid
    std::size_t error_position{};   ///< index of the offending character
    byte_order order = byte_order::native;
    std::size_t size{};             ///< Python's `calcsize`
    std::size_t item_count{};       ///< items reported to the callback
    std::size_t value_count{};      ///< values `pack` takes and `unpack` returns

    [[nodiscard]] constexpr bool valid() const noexcept { return error == errc{}; }
};

/// Size and alignment of one format character in one mode.
struct code_layout {
    std::size_t size;
    std::size_t alignment;  ///< 1 outside native mode
};

/// The size and alignment of `code` under `order`, or nothing if `code` is not a
/// format character there (`n`, `N` and `P` exist only in native mode).
///
///     static_assert(wirepack::layout_of('i', wirepack::byte_order::little)->size == 4);
[[nodiscard]] constexpr std::optional<code_layout> layout_of(char code, byte_order order) noexcept {
    if (order != byte_order::native) {
        switch (code) {
        case 'x': case 'c': case 'b': case 'B': case '?': case 's': case 'p': return code_layout{1, 1};
        case 'h': case 'H': case 'e': return code_layout{2, 1};
        case 'i': case 'I': case 'l': case 'L': case 'f': return code_layout{4, 1};
        case 'q': case 'Q': case 'd': return code_layout{8, 1};
        default: return std::nullopt;
        }
    }
    switch (code) {
    case 'x': case 'c': case 'b': case 'B': case 's': case 'p': return code_layout{1, 1};
    case '?': return code_layout{sizeof(bool), alignof(bool)};
    case 'h': case 'H': case 'e': return code_layout{sizeof(short), alignof(short)};
    case 'i': case 'I': return code_layout{sizeof(int), alignof(int)};
    case 'l': case 'L': return code_layout{sizeof(long), alignof(long)};
    case 'q': case 'Q': return code_layout{sizeof(long long), alignof(long long)};
    case 'n': return code_layout{sizeof(std::ptrdiff_t), alignof(std::ptrdiff_t)};
    case 'N': return code_layout{sizeof(std::size_t), alignof(std::size_t)};
    case 'P': return code_layout{sizeof(void*), alignof(void*)};
    case 'f': return code_layout{sizeof(float), alignof(float)};
    case 'd': return code_layout{sizeof(double), alignof(double)};
    default: return std::nullopt;
    }
}

/// Whether `code` is an integer format character (`b B h H i I l L q Q n N P`): one
/// that packs an integer with a range check and unpacks to an integer type.
///
///     static_assert(wirepack::is_integer_code('H') && !wirepack::is_integer_code('?'));
[[nodiscard]] constexpr bool is_integer_code(char code) noexcept {
    switch (code) {
    case 'b': case 'B': case 'h': case 'H': case 'i': case 'I': case 'l': case 'L':
    case 'q': case 'Q': case 'n': case 'N': case 'P': return true;
    default: return false;
    }
}

/// Whether `code` is a floating-point format character (`e f d`).
///
///     static_assert(wirepack::is_float_code('e'));
[[nodiscard]] constexpr bool is_float_code(char code) noexcept { return code == 'e' || code == 'f' || code == 'd'; }

/// Whether `code` is a string format character (`s p`), whose repeat count is a length.
///
///     static_assert(wirepack::is_string_code('p') && !wirepack::is_string_code('c'));
[[nodiscard]] constexpr bool is_string_code(char code) noexcept { return code == 's' || code == 'p'; }

namespace detail {

/// Python's limit on a struct's size (`PY_SSIZE_T_MAX`).
inline constexpr std::size_t max_struct_size = static_cast<std::size_t>(std::numeric_limits<std::ptrdiff_t>::max());

[[nodiscard]] constexpr bool is_space(char c) noexcept {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}
[[nodiscard]] constexpr bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }

/// Callback for callers that need only the summary.
struct ignore_items {
    constexpr void operator()(const format_item&) const noexcept {}
};

}  // namespace detail

/// Parses `format` with Python's `struct` rules, calls `on_item(format_item)` for
/// every item that has bytes or values, and returns the summary. Never throws and
/// never allocates: the caller decides what to keep.
///
///     constexpr auto s = wirepack::parse_format("<I2sf");
///     static_assert(s.valid() && s.size == 10 && s.value_count == 3);
template <class OnItem = detail::ignore_items>
[[nodiscard]] constexpr format_summary parse_format(std::string_view format, OnItem&& on_item = {}) {
    format_summary summary;
    auto fail = [&](errc error, std::size_t position) {
        summary.error = error;
        summary.error_position = position;
        return summary;
    };

    // CPython refuses an embedded NUL before it looks at anything else.
    if (auto nul = format.find('\0'); nul != std::string_view::npos) return fail(errc::embedded_null, nul);

    std::size_t i = 0;
    if (!format.empty()) {
        switch (format[0]) {
        case '@': case '=': case '<': case '>': case '!':
            summary.order = static_cast<byte_order>(format[0]);
            i = 1;
            break;
        default: break;
        }
    }

    std::size_t size = 0;
    while (i < format.size()) {
        if (detail::is_space(format[i])) {
            ++i;
            continue;
        }
        const std::size_t item_start = i;
        std::size_t count = 1;
        if (detail::is_digit(format[i])) {
            count = 0;
            for (; i < format.size() && detail::is_digit(format[i]); ++i) {
                const auto digit = static_cast<std::size_t>(format[i] - '0');
                if (count > (detail::max_struct_size - digit) / 10) return fail(errc::struct_size_too_long, item_start);
                count = count * 10 + digit;
            }
            if (i == format.size()) return fail(errc::repeat_count_without_format, item_start);
        }
        const char code = format[i];
        const auto layout = layout_of(code, summary.order);
        if (!layout) return fail(errc::bad_char, i);
        ++i;

        // Native mode aligns every item, even one with a zero count: "@c0i" is 4 bytes.
        if (const std::size_t misalignment = size % layout->alignment; misalignment != 0) {
            const std::size_t padding = layout->alignment - misalignment;
            if (padding > detail::max_struct_size - size) return fail(errc::struct_size_too_long, item_start);
            size += padding;
        }
        const bool is_string = code == 's' || code == 'p';
        const std::size_t element_size = is_string ? count : layout->size;
        const std::size_t repeats = is_string ? 1 : count;
        if (element_size != 0 && repeats > (detail::max_struct_size - size) / element_size) {
            return fail(errc::struct_size_too_long, item_start);
        }

        const format_item item{code, count, size, element_size};
        size += item.byte_size();
        if (item.byte_size() != 0 || item.value_count() != 0) {
            on_item(item);
            ++summary.item_count;
            summary.value_count += item.value_count();
        }
    }
    summary.size = size;
    return summary;
}

/// Splits a struct's bytes into values and padding. Hand it the items that
/// `parse_format` reports, in order, then call `finish` with the struct's size. It
/// calls `on_values(item)` for every item that holds values, and
/// `on_padding(offset, size)` for every run of pad bytes: an `x` item, and each gap
/// that native alignment leaves before an item or at the end (as in `"@c0i"`).
/// Runs are reported as they come, adjacent ones separately.
///
///     wirepack::layout_walker walk{on_values, on_padding};
///     const auto summary = wirepack::parse_format("@bxi", walk);   // values at 0 and 4
///     walk.finish(summary.size);                                   // padding: (1, 1), (2, 2)
template <class OnValues, class OnPadding>
struct layout_walker {
    OnValues on_values;
    OnPadding on_padding;
    std::size_t end = 0;  ///< where the previous item stopped

    constexpr void operator()(const format_item& item) {
        pad_up_to(item.offset);
        if (item.code == 'x') on_padding(item.offset, item.count);
        else on_values(item);
        end = item.offset + item.byte_size();
    }
    /// Reports the alignment after the last item. Requires: `size` is the struct's size.
    constexpr void finish(std::size_t size) { pad_up_to(size); }

private:
    constexpr void pad_up_to(std::size_t offset) {
        if (offset != end) on_padding(end, offset - end);
    }
};
template <class OnValues, class OnPadding>
layout_walker(OnValues, OnPadding) -> layout_walker<OnValues, OnPadding>;

}  // namespace wirepack
