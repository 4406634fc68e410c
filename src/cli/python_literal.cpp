#include "python_literal.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>

#include "python_repr.hpp"

namespace wirepack::cli {

namespace {

/// CPython refuses to read a decimal integer longer than this many digits
/// (`sys.int_info.default_max_str_digits`), even in source code; so do we,
/// which also keeps the decimal-to-binary conversion cheap.
constexpr std::size_t max_decimal_integer_digits = 4300;

/// Error messages quote at most this much of a bad argument.
constexpr std::size_t max_quoted_argument_length = 60;

bool is_decimal_digit(char character) { return character >= '0' && character <= '9'; }
bool is_octal_digit(char character) { return character >= '0' && character <= '7'; }
bool is_binary_digit(char character) { return character == '0' || character == '1'; }
bool is_hex_digit(char character) {
    return is_decimal_digit(character) || (character >= 'a' && character <= 'f') ||
           (character >= 'A' && character <= 'F');
}

unsigned digit_value(char digit) {
    if (is_decimal_digit(digit)) return static_cast<unsigned>(digit - '0');
    if (digit >= 'a' && digit <= 'f') return static_cast<unsigned>(digit - 'a' + 10);
    return static_cast<unsigned>(digit - 'A' + 10);
}

char ascii_lowercase(char character) {
    return (character >= 'A' && character <= 'Z') ? static_cast<char>(character - 'A' + 'a') : character;
}

bool equals_ignoring_case(std::string_view text, std::string_view lowercase_word) {
    if (text.size() != lowercase_word.size()) return false;
    for (std::size_t index = 0; index < text.size(); ++index) {
        if (ascii_lowercase(text[index]) != lowercase_word[index]) return false;
    }
    return true;
}

/// A non-negative integer as little-endian 32-bit limbs, without high zero limbs.
using magnitude_limbs = std::vector<std::uint32_t>;

void multiply_add(magnitude_limbs& limbs, std::uint32_t factor, std::uint32_t addend) {
    std::uint64_t carry = addend;
    for (std::uint32_t& limb : limbs) {
        const std::uint64_t product = std::uint64_t{limb} * factor + carry;
        limb = static_cast<std::uint32_t>(product);
        carry = product >> 32;
    }
    if (carry != 0) limbs.push_back(static_cast<std::uint32_t>(carry));
}

/// The magnitude written by `digits` (no underscores) in `base` (2, 8, 10 or 16).
magnitude_limbs magnitude_of(std::string_view digits, unsigned base) {
    magnitude_limbs limbs;
    if (base == 10) {
        // Nine decimal digits at a time still fit a 32-bit factor.
        std::size_t position = 0;
        while (position < digits.size()) {
            const std::size_t chunk_length = std::min<std::size_t>(9, digits.size() - position);
            std::uint32_t factor = 1;
            std::uint32_t chunk_value = 0;
            for (std::size_t index = 0; index < chunk_length; ++index) {
                factor *= 10;
                chunk_value = chunk_value * 10 + digit_value(digits[position + index]);
            }
            multiply_add(limbs, factor, chunk_value);
            position += chunk_length;
        }
    } else {
        // A power-of-two base: each digit is a fixed group of bits, placed directly.
        const std::size_t bits_per_digit = base == 16 ? 4 : base == 8 ? 3 : 1;
        limbs.assign(digits.size() * bits_per_digit / 32 + 2, 0);
        std::size_t bit = 0;
        for (auto digit = digits.rbegin(); digit != digits.rend(); ++digit, bit += bits_per_digit) {
            const std::uint64_t shifted = std::uint64_t{digit_value(*digit)} << (bit % 32);
            limbs[bit / 32] |= static_cast<std::uint32_t>(shifted);
            limbs[bit / 32 + 1] |= static_cast<std::uint32_t>(shifted >> 32);
        }
    }
    while (!limbs.empty() && limbs.back() == 0) limbs.pop_back();
    return limbs;
}

std::string hex_text_of(const magnitude_limbs& limbs) {
    constexpr std::string_view hex_digits = "0123456789abcdef";
    std::string text;
    for (auto limb = limbs.rbegin(); limb != limbs.rend(); ++limb) {
        for (int shift = 28; shift >= 0; shift -= 4) text += hex_digits[(*limb >> shift) & 0xf];
    }
    const std::size_t first_significant = text.find_first_not_of('0');
    return first_significant == std::string::npos ? "0" : text.substr(first_significant);
}

/// The narrowest of int64_t, uint64_t and big_integer that holds the integer.
literal integer_literal(bool negative, const magnitude_limbs& limbs) {
    if (limbs.size() <= 2) {
        std::uint64_t magnitude = 0;
        if (!limbs.empty()) magnitude = limbs[0];
        if (limbs.size() == 2) magnitude |= std::uint64_t{limbs[1]} << 32;

        constexpr auto largest_int64 = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
        if (!negative) {
            if (magnitude <= largest_int64) return static_cast<std::int64_t>(magnitude);
            return magnitude;
        }
        // -2^63 is the one negative value whose magnitude is above INT64_MAX;
        // C++20 defines the modular conversion used here.
        if (magnitude <= largest_int64 + 1) return static_cast<std::int64_t>(std::uint64_t{0} - magnitude);
    }
    return big_integer{negative, hex_text_of(limbs)};
}

/// Reads Python literal syntax from one argument, reporting problems with the
/// argument quoted.
class literal_reader {
public:
    explicit literal_reader(std::string_view argument) : argument_(argument) {}

    literal read() const {
        if (argument_.empty()) reject("an empty argument is not a value");
        if (argument_ == "True") return true;
        if (argument_ == "False") return false;

        const std::size_t quote = argument_.find_first_of("'\"");
        if (quote != std::string_view::npos && quote <= 2 && is_letters(argument_.substr(0, quote))) {
            return read_bytes(argument_.substr(0, quote), quote);
        }

        std::string_view number = argument_;
        bool negative = false;
        if (number.front() == '+' || number.front() == '-') {
            negative = number.front() == '-';
            number.remove_prefix(1);
        }
        return read_number(negative, number);
    }

private:
    [[noreturn]] void reject(const std::string& reason) const {
        const bool shortened = argument_.size() > max_quoted_argument_length;
        // Quoted like a Python str, with unprintable bytes escaped, so that an
        // empty or strange argument is still visible in the message.
        std::string quoted = bytes_repr(argument_.substr(0, max_quoted_argument_length)).substr(1);
        if (shortened) quoted += "...";
        throw std::invalid_argument("invalid literal " + quoted + ": " + reason);
    }

    static bool is_letters(std::string_view text) {
        for (const char character : text) {
            const char lower = ascii_lowercase(character);
            if (lower < 'a' || lower > 'z') return false;
        }
        return true;
    }

    // ---- numbers -------------------------------------------------------------

    literal read_number(bool negative, std::string_view number) const {
        if (number.empty()) reject("a sign must be followed by a number");
        if (equals_ignoring_case(number, "inf") || equals_ignoring_case(number, "infinity")) {
            return negative ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity();
        }
        if (equals_ignoring_case(number, "nan")) {
            return std::copysign(std::numeric_limits<double>::quiet_NaN(), negative ? -1.0 : 1.0);
        }
        if (number.size() >= 2 && number[0] == '0') {
            switch (ascii_lowercase(number[1])) {
            case 'x': return read_prefixed_integer(negative, number, 16, is_hex_digit, "hex");
            case 'o': return read_prefixed_integer(negative, number, 8, is_octal_digit, "octal");
            case 'b': return read_prefixed_integer(negative, number, 2, is_binary_digit, "binary");
            default: break;
            }
        }
        return read_decimal(negative, number);
    }

    /// Reads digits accepted by `is_digit` starting at `position`, which moves
    /// past them. Python allows one underscore between two digits, and with
    /// `underscore_may_lead` (after `0x`, `0o`, `0b`) also before the first digit.
    /// Returns the digits without underscores, empty when there are none.
    std::string read_digits(std::string_view text, std::size_t& position, bool (*is_digit)(char),
                            bool underscore_may_lead) const {
        std::string digits;
        while (position < text.size()) {
            const char character = text[position];
            if (is_digit(character)) {
                digits += character;
                ++position;
            } else if (character == '_' && (!digits.empty() || underscore_may_lead)) {
                if (position + 1 >= text.size() || !is_digit(text[position + 1])) {
                    reject("an underscore in a number must stand between two digits");
                }
                ++position;
            } else {
                break;
            }
        }
        return digits;
    }

    [[noreturn]] void reject_unexpected(std::string_view number, std::size_t position) const {
        const std::size_t position_in_argument = argument_.size() - number.size() + position;
        const char character = argument_[position_in_argument];
        const bool printable = character > ' ' && character < 0x7f;
        reject((printable ? "unexpected '" + std::string(1, character) + "'" : std::string("unexpected character")) +
               " at position " + std::to_string(position_in_argument));
    }

    literal read_prefixed_integer(bool negative, std::string_view number, unsigned base, bool (*is_digit)(char),
                                  const char* base_name) const {
        std::size_t position = 2;
        const std::string digits = read_digits(number, position, is_digit, true);
        if (digits.empty()) {
            if (position < number.size() && is_hex_digit(number[position])) reject_unexpected(number, position);
            reject(std::string(base_name) + " prefix " + std::string(number.substr(0, 2)) + " without digits");
        }
        if (position != number.size()) reject_unexpected(number, position);
        return integer_literal(negative, magnitude_of(digits, base));
    }

    /// Python's decimal integers and floats: `123`, `1_000`, `2.7`, `.5`, `5.`,
    /// `1e+300`, `1_000.5e-3`.
    literal read_decimal(bool negative, std::string_view number) const {
        std::size_t position = 0;
        const std::string integer_digits = read_digits(number, position, is_decimal_digit, false);
        bool is_float = false;
        std::string fraction_digits;
        if (position < number.size() && number[position] == '.') {
            is_float = true;
            ++position;
            fraction_digits = read_digits(number, position, is_decimal_digit, false);
            if (integer_digits.empty() && fraction_digits.empty()) {
                reject("expected an int, a float, True, False or a bytes literal such as b'\\x01'");
            }
        }
        if (integer_digits.empty() && !is_float) {
            reject("expected an int, a float, True, False or a bytes literal such as b'\\x01'");
        }
        std::string exponent;
        if (position < number.size() && (number[position] == 'e' || number[position] == 'E')) {
            is_float = true;
            ++position;
            if (position < number.size() && (number[position] == '+' || number[position] == '-')) {
                exponent += number[position];
                ++position;
            }
            const std::string exponent_digits = read_digits(number, position, is_decimal_digit, false);
            if (exponent_digits.empty()) reject("an exponent needs digits");
            exponent += exponent_digits;
        }
        if (position != number.size()) reject_unexpected(number, position);

        if (is_float) {
            // strtod rounds correctly; too large becomes inf and too small 0,
            // like a Python float literal.
            std::string text = negative ? "-" : "";
            text += integer_digits.empty() ? "0" : integer_digits;
            text += '.';
            text += fraction_digits;
            if (!exponent.empty()) text += 'e' + exponent;
            return std::strtod(text.c_str(), nullptr);
        }

        if (integer_digits.size() > 1 && integer_digits.front() == '0' &&
            integer_digits.find_first_not_of('0') != std::string::npos) {
            reject("leading zeros in decimal integer literals are not permitted; use an 0o prefix for octal integers");
        }
        if (integer_digits.size() > max_decimal_integer_digits) {
            reject("more than " + std::to_string(max_decimal_integer_digits) +
                   " decimal digits, Python's limit for integer string conversion (write it in hex)");
        }
        return integer_literal(negative, magnitude_of(integer_digits, 10));
    }

    // ---- bytes ---------------------------------------------------------------

    literal read_bytes(std::string_view prefix, std::size_t quote_position) const {
        std::string lower_prefix;
        for (const char character : prefix) lower_prefix += ascii_lowercase(character);
        if (lower_prefix.empty() || lower_prefix == "r" || lower_prefix == "u" || lower_prefix == "f" ||
            lower_prefix == "fr" || lower_prefix == "rf") {
            reject("a str literal; struct packs bytes, so write b'...'");
        }
        if (lower_prefix != "b" && lower_prefix != "br" && lower_prefix != "rb") {
            reject("unknown string prefix '" + std::string(prefix) + "'");
        }
        const bool raw = lower_prefix != "b";

        const char quote = argument_[quote_position];
        const std::string triple_quote(3, quote);
        const bool triple = argument_.substr(quote_position, 3) == triple_quote;
        const std::string_view closing = triple ? std::string_view(triple_quote) : argument_.substr(quote_position, 1);
        const std::size_t content_start = quote_position + closing.size();

        std::string bytes;
        std::size_t position = content_start;
        while (true) {
            if (position >= argument_.size()) reject("unterminated bytes literal (no closing quote)");
            if (argument_.substr(position, closing.size()) == closing) {
                position += closing.size();
                break;
            }
            const char character = argument_[position];
            check_literal_character(character, triple);
            if (character != '\\') {
                bytes += character;
                ++position;
                continue;
            }
            if (position + 1 >= argument_.size()) reject("unterminated bytes literal (no closing quote)");
            const char escaped = argument_[position + 1];
            if (raw) {
                // A raw literal keeps the backslash and the next character,
                // which therefore cannot close the literal.
                check_literal_character(escaped, true);
                bytes += character;
                bytes += escaped;
                position += 2;
                continue;
            }
            position = read_escape(position, content_start, bytes);
        }
        if (position != argument_.size()) reject("unexpected text after the closing quote");
        return bytes;
    }

    void check_literal_character(char character, bool line_breaks_allowed) const {
        if (static_cast<unsigned char>(character) >= 0x80) {
            reject("bytes literals can hold only ASCII characters; write other bytes as \\xNN");
        }
        if (!line_breaks_allowed && (character == '\n' || character == '\r')) {
            reject("unterminated bytes literal (a line break inside it must be written \\n)");
        }
    }

    /// Decodes the escape sequence whose backslash is at `backslash` into
    /// `bytes` and returns the position after it.
    std::size_t read_escape(std::size_t backslash, std::size_t content_start, std::string& bytes) const {
        const char escaped = argument_[backslash + 1];
        switch (escaped) {
        case '\n': return backslash + 2;  // a backslash at the end of a line joins the lines
        case '\r':
            return backslash + ((backslash + 2 < argument_.size() && argument_[backslash + 2] == '\n') ? 3 : 2);
        case '\\': bytes += '\\'; return backslash + 2;
        case '\'': bytes += '\''; return backslash + 2;
        case '"': bytes += '"'; return backslash + 2;
        case 'a': bytes += '\a'; return backslash + 2;
        case 'b': bytes += '\b'; return backslash + 2;
        case 'f': bytes += '\f'; return backslash + 2;
        case 'n': bytes += '\n'; return backslash + 2;
        case 'r': bytes += '\r'; return backslash + 2;
        case 't': bytes += '\t'; return backslash + 2;
        case 'v': bytes += '\v'; return backslash + 2;
        case 'x': {
            if (backslash + 3 >= argument_.size() || !is_hex_digit(argument_[backslash + 2]) ||
                !is_hex_digit(argument_[backslash + 3])) {
                reject("invalid \\x escape at position " + std::to_string(backslash - content_start) +
                       " (\\x takes exactly two hex digits)");
            }
            bytes += static_cast<char>(digit_value(argument_[backslash + 2]) * 16 +
                                       digit_value(argument_[backslash + 3]));
            return backslash + 4;
        }
        default: break;
        }
        if (is_octal_digit(escaped)) {
            // Up to three octal digits; like CPython, a value above 0o377 keeps its low 8 bits.
            unsigned octal_value = 0;
            std::size_t position = backslash + 1;
            while (position < argument_.size() && position < backslash + 4 && is_octal_digit(argument_[position])) {
                octal_value = octal_value * 8 + digit_value(argument_[position]);
                ++position;
            }
            bytes += static_cast<char>(octal_value & 0xff);
            return position;
        }
        // Python keeps an unknown escape such as \q as it is: a backslash, then
        // the character, which is read on its own.
        bytes += '\\';
        return backslash + 1;
    }

    std::string_view argument_;
};

// ---- conversion to struct values ----------------------------------------------

char byte_order_character(const Struct& layout) { return static_cast<char>(layout.order()); }

/// What CPython raises for an int that is outside 64 bits packed with an integer code.
[[noreturn]] void throw_big_integer_range_error(const big_integer& big, char code, char byte_order) {
    if (code == 'P') {
        // CPython converts with PyLong_AsVoidPtr and reports its OverflowError so.
        throw error(errc::integer_out_of_range, "int too large to convert");
    }
    // Let Struct word the error for the code: a 64-bit extreme of the same sign
    // is out of range for every code narrower than 64 bits.
    const Struct single_code(std::string{byte_order, code});
    const value stand_in = big.negative ? value{std::numeric_limits<std::int64_t>::min()}
                                        : value{std::numeric_limits<std::uint64_t>::max()};
    (void)single_code.pack(std::span<const value>(&stand_in, 1));

    // The stand-in fitted: a 64-bit code, whose range CPython states in full.
    const bool is_signed = code >= 'a' && code <= 'z';
    throw error(errc::integer_out_of_range,
                std::string("'") + code + "' format requires " +
                    (is_signed ? "-9223372036854775808 <= number <= 9223372036854775807"
                               : "0 <= number <= 18446744073709551615"));
}

/// A big integer as the double CPython converts it to for `e`, `f` and `d`.
double big_integer_as_double(const big_integer& big, char code, char byte_order) {
    // strtod reads hex exactly and rounds half to even, as CPython's int-to-float does.
    const std::string hex_text = (big.negative ? "-0x" : "0x") + big.magnitude_hex;
    const double rounded = std::strtod(hex_text.c_str(), nullptr);
    if (std::isinf(rounded)) {
        // CPython's float conversion fails with OverflowError, which struct
        // reports as a value that is not a float.
        throw error(errc::not_a_float, "required argument is not a float");
    }
    if (code != 'd') {
        // CPython words every overflow of an int argument the same way.
        try {
            const value as_double = rounded;
            (void)Struct(std::string{byte_order, code}).pack(std::span<const value>(&as_double, 1));
        } catch (const error& failure) {
            if (failure.code() == errc::float_overflow) throw error(errc::float_overflow, "int too large to convert");
            throw;
        }
    }
    return rounded;
}

/// A value every code accepts, standing in for values not converted yet.
value acceptable_value_for(char code) {
    if (code == '?') return false;
    if (is_float_code(code)) return 0.0;
    if (code == 'c') return std::string(1, '\0');
    if (code == 's' || code == 'p') return std::string();
    return std::int64_t{0};
}

/// The literal as a value without looking at a format code (a big integer
/// becomes 0): for when the count is wrong and Struct reports only that.
value value_ignoring_code(const literal& parsed) {
    return std::visit(
        [](const auto& held) -> value {
            if constexpr (std::is_same_v<std::decay_t<decltype(held)>, big_integer>) {
                return std::int64_t{0};
            } else {
                return held;
            }
        },
        parsed);
}

}  // namespace

literal parse_literal(std::string_view argument) { return literal_reader(argument).read(); }

value to_value(const literal& parsed, const Struct& layout, std::size_t value_index) {
    const auto* big = std::get_if<big_integer>(&parsed);
    if (big == nullptr) return value_ignoring_code(parsed);

    const char code = layout.code_at(value_index);
    if (is_integer_code(code)) {
        throw_big_integer_range_error(*big, code, byte_order_character(layout));
    }
    if (is_float_code(code)) {
        return big_integer_as_double(*big, code, byte_order_character(layout));
    }
    if (code == '?') return true;
    return std::int64_t{0};  // c, s and p refuse every int alike; Struct says how
}

packed_bytes pack_literals(const Struct& layout, std::span<const literal> arguments) {
    std::vector<value> converted;
    converted.reserve(arguments.size());
    if (arguments.size() != layout.value_count()) {
        // CPython checks the count before any value; Struct reports it.
        for (const literal& argument : arguments) converted.push_back(value_ignoring_code(argument));
        return layout.pack(converted);
    }
    for (std::size_t index = 0; index < arguments.size(); ++index) {
        try {
            converted.push_back(to_value(arguments[index], layout, index));
        } catch (const error&) {
            // CPython reports the leftmost bad value, which may come before this
            // one: pack the values so far with acceptable stand-ins for the rest.
            for (std::size_t rest = index; rest < arguments.size(); ++rest) {
                converted.push_back(acceptable_value_for(layout.code_at(rest)));
            }
            (void)layout.pack(converted);
            throw;
        }
    }
    return layout.pack(converted);
}

}  // namespace wirepack::cli
