#include "python_repr.hpp"

#include <array>
#include <charconv>
#include <cmath>
#include <stdexcept>

namespace wirepack::cli {

namespace {

constexpr std::string_view lowercase_hex_digits = "0123456789abcdef";

/// Decimal text of any integer, through `std::to_chars`.
template <typename Integer>
std::string decimal_text(Integer value) {
    std::array<char, 24> buffer{};
    const auto result = std::to_chars(buffer.data(), buffer.data() + buffer.size(), value);
    return std::string(buffer.data(), result.ptr);
}

/// The value of a hex digit in either case, or -1.
int hex_digit_value(char digit) {
    if (digit >= '0' && digit <= '9') return digit - '0';
    if (digit >= 'a' && digit <= 'f') return digit - 'a' + 10;
    if (digit >= 'A' && digit <= 'F') return digit - 'A' + 10;
    return -1;
}

/// The whitespace `bytes.fromhex()` skips between bytes.
bool is_ascii_whitespace(char character) {
    return character == ' ' || character == '\t' || character == '\n' || character == '\r' ||
           character == '\f' || character == '\v';
}

/// How a finite, non-negative double is written with the fewest significant
/// digits that still read back as the same double: `digits` are the significant
/// digits without a decimal point (no trailing zeros unless the value is 0) and
/// the value is 0.d1d2d3... x 10^(decimal_exponent + 1), i.e. d1.d2d3... x 10^decimal_exponent.
struct shortest_decimal {
    std::string digits;
    int decimal_exponent = 0;
};

shortest_decimal shortest_digits_of(double magnitude) {
    // chars_format::scientific without a precision yields the shortest
    // round-trip form "d[.ddd]e[+-]XX" (the digits Python's repr also uses).
    std::array<char, 64> buffer{};
    const auto result = std::to_chars(buffer.data(), buffer.data() + buffer.size(), magnitude,
                                      std::chars_format::scientific);
    const std::string_view scientific(buffer.data(), static_cast<std::size_t>(result.ptr - buffer.data()));

    const std::size_t exponent_marker = scientific.find('e');
    shortest_decimal decimal;
    decimal.digits += scientific.front();
    if (exponent_marker > 2) decimal.digits += scientific.substr(2, exponent_marker - 2);

    std::string_view exponent_text = scientific.substr(exponent_marker + 1);
    const bool negative_exponent = exponent_text.front() == '-';
    exponent_text.remove_prefix(1);  // to_chars always writes the exponent's sign
    std::from_chars(exponent_text.data(), exponent_text.data() + exponent_text.size(),
                    decimal.decimal_exponent);
    if (negative_exponent) decimal.decimal_exponent = -decimal.decimal_exponent;
    return decimal;
}

}  // namespace

std::string bool_repr(bool value) { return value ? "True" : "False"; }

std::string int_repr(std::int64_t value) { return decimal_text(value); }

std::string int_repr(std::uint64_t value) { return decimal_text(value); }

std::string float_repr(double value) {
    if (std::isnan(value)) return "nan";
    if (std::isinf(value)) return value < 0 ? "-inf" : "inf";

    std::string text = std::signbit(value) ? "-" : "";
    const shortest_decimal decimal = shortest_digits_of(std::fabs(value));
    const std::string& digits = decimal.digits;
    const int exponent = decimal.decimal_exponent;

    // Python's float repr switches to scientific notation outside [1e-4, 1e16).
    if (exponent < -4 || exponent >= 16) {
        text += digits.front();
        if (digits.size() > 1) {
            text += '.';
            text.append(digits, 1);
        }
        text += exponent < 0 ? "e-" : "e+";
        const int exponent_magnitude = exponent < 0 ? -exponent : exponent;
        if (exponent_magnitude < 10) text += '0';
        text += decimal_text(exponent_magnitude);
        return text;
    }

    if (exponent < 0) {
        text += "0.";
        text.append(static_cast<std::size_t>(-exponent - 1), '0');
        text += digits;
        return text;
    }

    const auto integer_digit_count = static_cast<std::size_t>(exponent) + 1;
    if (digits.size() <= integer_digit_count) {
        text += digits;
        text.append(integer_digit_count - digits.size(), '0');
        text += ".0";
    } else {
        text.append(digits, 0, integer_digit_count);
        text += '.';
        text.append(digits, integer_digit_count);
    }
    return text;
}

std::string bytes_repr(std::string_view bytes) {
    const bool has_single_quote = bytes.find('\'') != std::string_view::npos;
    const bool has_double_quote = bytes.find('"') != std::string_view::npos;
    const char quote = (has_single_quote && !has_double_quote) ? '"' : '\'';

    std::string text = "b";
    text += quote;
    for (const char character : bytes) {
        const auto byte = static_cast<unsigned char>(character);
        if (character == quote || character == '\\') {
            text += '\\';
            text += character;
        } else if (character == '\t') {
            text += "\\t";
        } else if (character == '\n') {
            text += "\\n";
        } else if (character == '\r') {
            text += "\\r";
        } else if (byte < 0x20 || byte >= 0x7f) {
            text += "\\x";
            text += lowercase_hex_digits[byte >> 4];
            text += lowercase_hex_digits[byte & 0x0f];
        } else {
            text += character;
        }
    }
    text += quote;
    return text;
}

std::string to_hex(std::span<const std::byte> bytes) {
    std::string text;
    text.reserve(bytes.size() * 2);
    for (const std::byte byte : bytes) {
        const auto bits = std::to_integer<unsigned>(byte);
        text += lowercase_hex_digits[bits >> 4];
        text += lowercase_hex_digits[bits & 0x0f];
    }
    return text;
}

std::vector<std::byte> from_hex(std::string_view text) {
    std::vector<std::byte> bytes;
    bytes.reserve(text.size() / 2);
    std::size_t position = 0;
    while (position < text.size()) {
        if (is_ascii_whitespace(text[position])) {
            ++position;
            continue;
        }
        const int high = hex_digit_value(text[position]);
        if (high < 0) {
            throw std::invalid_argument("invalid hex: non-hexadecimal character at position " +
                                        std::to_string(position));
        }
        if (position + 1 == text.size()) {
            throw std::invalid_argument("invalid hex: odd number of hex digits");
        }
        const int low = hex_digit_value(text[position + 1]);
        if (low < 0) {
            throw std::invalid_argument(
                "invalid hex: non-hexadecimal character at position " + std::to_string(position + 1) +
                (is_ascii_whitespace(text[position + 1]) ? " (whitespace inside a byte)" : ""));
        }
        bytes.push_back(static_cast<std::byte>(high * 16 + low));
        position += 2;
    }
    return bytes;
}

}  // namespace wirepack::cli
