#pragma once
/// \file
/// Python 3's `repr()` for the values `struct.unpack` returns, so the `wirepack`
/// tool prints exactly what `print(struct.unpack(fmt, data))` prints, and the
/// hex encoding the tool uses for bytes on the command line.
///
/// A value is a `wirepack::value`: a `std::variant` of `bool`, `std::int64_t`,
/// `std::uint64_t`, `double` and `wirepack::bytes`.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>
#include <vector>

#include <wirepack/value.hpp>

namespace wirepack::cli {

/// `repr(True)` / `repr(False)`.
///
///     bool_repr(true) == "True"
[[nodiscard]] std::string bool_repr(bool value);

/// `repr()` of a Python int, in decimal.
///
///     int_repr(std::int64_t{-5}) == "-5"
[[nodiscard]] std::string int_repr(std::int64_t value);
[[nodiscard]] std::string int_repr(std::uint64_t value);

/// `repr()` of a Python float: the shortest digits that read back as the same
/// double, in fixed notation when the decimal exponent is in [-4, 16) and in
/// scientific notation otherwise; `inf`, `-inf` and `nan` (never `-nan`).
///
///     float_repr(2.7f) == "2.700000047683716"
///     float_repr(1e16) == "1e+16"
///     float_repr(-0.0) == "-0.0"
[[nodiscard]] std::string float_repr(double value);

/// `repr()` of a Python bytes object: `b'...'` in single quotes unless the bytes
/// hold a `'` and no `"`; backslash escapes for the quote in use, `\\`, `\t`,
/// `\n`, `\r`, and `\xNN` (lowercase) for every other byte outside 0x20..0x7e.
///
///     bytes_repr("ab\0") == "b'ab\\x00'"
///     bytes_repr("it's") == "b\"it's\""
[[nodiscard]] std::string bytes_repr(std::string_view bytes);

/// `repr()` of one unpacked value: a variant of bool, int64, uint64, double and
/// `wirepack::bytes`.
///
///     value_repr(wirepack::value{std::uint64_t{1}}) == "1"
template <typename... Alternatives>
[[nodiscard]] std::string value_repr(const std::variant<Alternatives...>& value) {
    return std::visit(
        [](const auto& held) -> std::string {
            using held_type = std::decay_t<decltype(held)>;
            if constexpr (std::is_same_v<held_type, bool>) {
                return bool_repr(held);
            } else if constexpr (std::is_same_v<held_type, std::int64_t> ||
                                 std::is_same_v<held_type, std::uint64_t>) {
                return int_repr(held);
            } else if constexpr (std::is_same_v<held_type, double>) {
                return float_repr(held);
            } else {
                static_assert(std::is_same_v<held_type, wirepack::bytes>,
                              "wirepack::cli::value_repr: unsupported value alternative");
                return bytes_repr(held);
            }
        },
        value);
}

/// `repr()` of a tuple of values, as `print(struct.unpack(...))` shows it:
/// `()`, `(5,)`, `(1, b'ab', 2.700000047683716)`.
[[nodiscard]] inline std::string tuple_repr(std::span<const value> values) {
    std::string text = "(";
    for (std::size_t index = 0; index < values.size(); ++index) {
        if (index != 0) text += ", ";
        text += value_repr(values[index]);
    }
    if (values.size() == 1) text += ',';
    text += ')';
    return text;
}

/// Lowercase hex, two digits per byte, no separators (Python's `bytes.hex()`).
///
///     to_hex(bytes{0x01, 0xab}) == "01ab"
[[nodiscard]] std::string to_hex(std::span<const std::byte> bytes);

/// Reads hex text back into bytes, like Python's `bytes.fromhex()`: digits in
/// either case, two per byte; ASCII whitespace is allowed between bytes but not
/// inside one. Throws `std::invalid_argument` naming the offending position for
/// a non-hex character, a byte split by whitespace, or an odd number of digits.
///
///     from_hex("01 ab") == bytes{0x01, 0xab}
[[nodiscard]] std::vector<std::byte> from_hex(std::string_view text);

}  // namespace wirepack::cli
