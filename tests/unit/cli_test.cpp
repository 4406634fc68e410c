// Tests for the wirepack tool's Python literal reader and repr printer.
// Every expected string below was printed by python3 (3.11): repr() of the same
// value, or the exception struct.pack raised.

#include <gtest/gtest.h>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <wirepack/error.hpp>
#include <wirepack/runtime_struct.hpp>

#include "python_literal.hpp"
#include "python_repr.hpp"

namespace {

using wirepack::cli::big_integer;
using wirepack::cli::literal;
using wirepack::cli::parse_literal;

/// The message of the exception `action` throws, or a marker when it throws none.
template <typename Action>
std::string message_thrown_by(Action&& action) {
    try {
        action();
    } catch (const std::exception& failure) {
        return failure.what();
    }
    return "<no exception>";
}

std::vector<std::byte> bytes_of(std::initializer_list<unsigned> values) {
    std::vector<std::byte> bytes;
    for (const unsigned value : values) bytes.push_back(static_cast<std::byte>(value));
    return bytes;
}

std::vector<std::byte> pack_arguments(std::string_view format, std::initializer_list<std::string_view> arguments) {
    std::vector<literal> parsed;
    for (const std::string_view argument : arguments) parsed.push_back(parse_literal(argument));
    const wirepack::packed_bytes packed = wirepack::cli::pack_literals(wirepack::Struct(format), parsed);
    return {packed.begin(), packed.end()};
}

std::string pack_error(std::string_view format, std::initializer_list<std::string_view> arguments) {
    return message_thrown_by([&] { (void)pack_arguments(format, arguments); });
}

literal big(bool negative, std::string magnitude_hex) {
    return big_integer{negative, std::move(magnitude_hex)};
}

double parsed_double(std::string_view argument) { return std::get<double>(parse_literal(argument)); }

}  // namespace

// ---- PythonRepr: floats --------------------------------------------------------------

TEST(PythonRepr, FloatSwitchesToScientificAtOneE16) {
    using wirepack::cli::float_repr;
    EXPECT_EQ(float_repr(1e16), "1e+16");
    EXPECT_EQ(float_repr(0x1.1c37937e07fffp+53), "9999999999999998.0");
    EXPECT_EQ(float_repr(1e15), "1000000000000000.0");
    EXPECT_EQ(float_repr(1234567890123456.0), "1234567890123456.0");
    EXPECT_EQ(float_repr(0x1.5ee2a2eb5a5c4p+53), "1.2345678901234568e+16");
    EXPECT_EQ(float_repr(0x1.0000000000001p+53), "9007199254740994.0");
    EXPECT_EQ(float_repr(0x1.b69b4ba630f35p+56), "1.2345678901234568e+17");
    EXPECT_EQ(float_repr(1e22), "1e+22");
    EXPECT_EQ(float_repr(1e23), "1e+23");
    EXPECT_EQ(float_repr(1e100), "1e+100");
}

TEST(PythonRepr, FloatSwitchesToScientificBelowOneEMinus4) {
    using wirepack::cli::float_repr;
    EXPECT_EQ(float_repr(1e-4), "0.0001");
    EXPECT_EQ(float_repr(0x1.a36e2eb1c432cp-14), "9.999999999999999e-05");
    EXPECT_EQ(float_repr(1e-5), "1e-05");
    EXPECT_EQ(float_repr(0.00011), "0.00011");
    EXPECT_EQ(float_repr(-1.5e-05), "-1.5e-05");
}

TEST(PythonRepr, FloatSubnormalsAndExtremes) {
    using wirepack::cli::float_repr;
    EXPECT_EQ(float_repr(std::numeric_limits<double>::denorm_min()), "5e-324");
    EXPECT_EQ(float_repr(0x0.0000000000005p-1022), "2.5e-323");
    EXPECT_EQ(float_repr(std::numeric_limits<double>::min()), "2.2250738585072014e-308");
    EXPECT_EQ(float_repr(std::numeric_limits<double>::max()), "1.7976931348623157e+308");
    EXPECT_EQ(float_repr(-std::numeric_limits<double>::max()), "-1.7976931348623157e+308");
}

TEST(PythonRepr, FloatIntegralValuesKeepPointZero) {
    using wirepack::cli::float_repr;
    EXPECT_EQ(float_repr(0.0), "0.0");
    EXPECT_EQ(float_repr(-0.0), "-0.0");
    EXPECT_EQ(float_repr(2.0), "2.0");
    EXPECT_EQ(float_repr(100.0), "100.0");
    EXPECT_EQ(float_repr(-3.0), "-3.0");
    EXPECT_EQ(float_repr(9007199254740992.0), "9007199254740992.0");
}

TEST(PythonRepr, FloatShortestDigitsThatRoundTrip) {
    using wirepack::cli::float_repr;
    EXPECT_EQ(float_repr(0.1), "0.1");
    EXPECT_EQ(float_repr(1.5), "1.5");
    EXPECT_EQ(float_repr(1.0 / 3.0), "0.3333333333333333");
    // Single-precision values widened to double, as unpacking 'f' yields them.
    EXPECT_EQ(float_repr(static_cast<double>(2.7f)), "2.700000047683716");
    EXPECT_EQ(float_repr(static_cast<double>(0.1f)), "0.10000000149011612");
}

TEST(PythonRepr, FloatInfinityAndNan) {
    using wirepack::cli::float_repr;
    EXPECT_EQ(float_repr(std::numeric_limits<double>::infinity()), "inf");
    EXPECT_EQ(float_repr(-std::numeric_limits<double>::infinity()), "-inf");
    EXPECT_EQ(float_repr(std::numeric_limits<double>::quiet_NaN()), "nan");
    EXPECT_EQ(float_repr(std::copysign(std::numeric_limits<double>::quiet_NaN(), -1.0)), "nan");
}

// ---- PythonRepr: ints, bools, bytes, tuples ------------------------------------------------

TEST(PythonRepr, IntegersAndBools) {
    using wirepack::cli::int_repr;
    EXPECT_EQ(int_repr(std::int64_t{0}), "0");
    EXPECT_EQ(int_repr(std::int64_t{-5}), "-5");
    EXPECT_EQ(int_repr(std::numeric_limits<std::int64_t>::min()), "-9223372036854775808");
    EXPECT_EQ(int_repr(std::numeric_limits<std::uint64_t>::max()), "18446744073709551615");
    EXPECT_EQ(wirepack::cli::bool_repr(true), "True");
    EXPECT_EQ(wirepack::cli::bool_repr(false), "False");
}

TEST(PythonRepr, BytesQuoteChoice) {
    using wirepack::cli::bytes_repr;
    EXPECT_EQ(bytes_repr(""), "b''");
    EXPECT_EQ(bytes_repr("ab"), "b'ab'");
    EXPECT_EQ(bytes_repr("'"), "b\"'\"");
    EXPECT_EQ(bytes_repr("it's"), "b\"it's\"");
    EXPECT_EQ(bytes_repr("\""), "b'\"'");
    // Both quote kinds: single quotes, and the single quote escaped.
    EXPECT_EQ(bytes_repr("'\""), "b'\\'\"'");
}

TEST(PythonRepr, BytesEscapes) {
    using wirepack::cli::bytes_repr;
    EXPECT_EQ(bytes_repr("a\\b"), "b'a\\\\b'");
    EXPECT_EQ(bytes_repr(std::string("\t\n\r\x00\x1f\x7f\x80\xff", 8)), "b'\\t\\n\\r\\x00\\x1f\\x7f\\x80\\xff'");
    EXPECT_EQ(bytes_repr("\x0b\x0c"), "b'\\x0b\\x0c'");
    EXPECT_EQ(bytes_repr(" ~"), "b' ~'");
    EXPECT_EQ(bytes_repr("\xab\xcd"), "b'\\xab\\xcd'");
}

TEST(PythonRepr, TuplesOfUnpackedValues) {
    using wirepack::cli::tuple_repr;
    using wirepack::value;
    const std::vector<value> none;
    EXPECT_EQ(tuple_repr(std::span<const value>(none)), "()");
    const std::vector<value> one{std::int64_t{5}};
    EXPECT_EQ(tuple_repr(std::span<const value>(one)), "(5,)");
    const std::vector<value> article{std::uint64_t{1}, std::string("ab"), static_cast<double>(2.7f)};
    EXPECT_EQ(tuple_repr(std::span<const value>(article)), "(1, b'ab', 2.700000047683716)");
    const std::vector<value> mixed{true, false, std::int64_t{-1}, -0.0, std::string("")};
    EXPECT_EQ(tuple_repr(std::span<const value>(mixed)), "(True, False, -1, -0.0, b'')");
}

TEST(PythonRepr, UnpackedTupleMatchesPythonPrint) {
    const wirepack::Struct layout("<I2sf");
    const std::vector<std::byte> data = wirepack::cli::from_hex("010000006162cdcc2c40");
    EXPECT_EQ(wirepack::cli::tuple_repr(layout.unpack(data)), "(1, b'ab', 2.700000047683716)");
}

// ---- PythonRepr: hex ---------------------------------------------------------------------

TEST(PythonRepr, HexEncodesLowercase) {
    EXPECT_EQ(wirepack::cli::to_hex(bytes_of({0x01, 0xab, 0x00, 0xff})), "01ab00ff");
    EXPECT_EQ(wirepack::cli::to_hex({}), "");
}

TEST(PythonRepr, HexDecodesEitherCaseAndWhitespaceBetweenBytes) {
    EXPECT_EQ(wirepack::cli::from_hex("01aB"), bytes_of({0x01, 0xab}));
    EXPECT_EQ(wirepack::cli::from_hex(" 01 02\t0A\n"), bytes_of({0x01, 0x02, 0x0a}));
    EXPECT_EQ(wirepack::cli::from_hex(""), bytes_of({}));
}

TEST(PythonRepr, HexRejectsBadInput) {
    EXPECT_THROW((void)wirepack::cli::from_hex("0"), std::invalid_argument);
    EXPECT_THROW((void)wirepack::cli::from_hex("012"), std::invalid_argument);
    EXPECT_THROW((void)wirepack::cli::from_hex("0 1"), std::invalid_argument);
    EXPECT_THROW((void)wirepack::cli::from_hex("0x01"), std::invalid_argument);
    EXPECT_EQ(message_thrown_by([] { (void)wirepack::cli::from_hex("00zz"); }),
              "invalid hex: non-hexadecimal character at position 2");
}

// ---- PythonLiteral: integers ------------------------------------------------------------------

TEST(PythonLiteral, DecimalIntegersWithSigns) {
    EXPECT_EQ(parse_literal("0"), literal{std::int64_t{0}});
    EXPECT_EQ(parse_literal("-5"), literal{std::int64_t{-5}});
    EXPECT_EQ(parse_literal("+7"), literal{std::int64_t{7}});
    EXPECT_EQ(parse_literal("-0"), literal{std::int64_t{0}});
    EXPECT_EQ(parse_literal("1_000_000"), literal{std::int64_t{1000000}});
    EXPECT_EQ(parse_literal("00"), literal{std::int64_t{0}});
    EXPECT_EQ(parse_literal("0_0"), literal{std::int64_t{0}});
}

TEST(PythonLiteral, PrefixedIntegers) {
    EXPECT_EQ(parse_literal("0x1f"), literal{std::int64_t{31}});
    EXPECT_EQ(parse_literal("0X1F"), literal{std::int64_t{31}});
    EXPECT_EQ(parse_literal("-0x10"), literal{std::int64_t{-16}});
    EXPECT_EQ(parse_literal("0o17"), literal{std::int64_t{15}});
    EXPECT_EQ(parse_literal("0O17"), literal{std::int64_t{15}});
    EXPECT_EQ(parse_literal("0b101"), literal{std::int64_t{5}});
    EXPECT_EQ(parse_literal("0B101"), literal{std::int64_t{5}});
    EXPECT_EQ(parse_literal("0x_ff_ff"), literal{std::int64_t{0xffff}});
    EXPECT_EQ(parse_literal("0b_1_0"), literal{std::int64_t{2}});
}

TEST(PythonLiteral, IntegersAtThe64BitBoundaries) {
    EXPECT_EQ(parse_literal("9223372036854775807"), literal{std::numeric_limits<std::int64_t>::max()});
    EXPECT_EQ(parse_literal("9223372036854775808"), literal{std::uint64_t{9223372036854775808u}});
    EXPECT_EQ(parse_literal("18446744073709551615"), literal{std::numeric_limits<std::uint64_t>::max()});
    EXPECT_EQ(parse_literal("0xffffffffffffffff"), literal{std::numeric_limits<std::uint64_t>::max()});
    EXPECT_EQ(parse_literal("-9223372036854775808"), literal{std::numeric_limits<std::int64_t>::min()});
    EXPECT_EQ(parse_literal("-0x8000000000000000"), literal{std::numeric_limits<std::int64_t>::min()});
}

TEST(PythonLiteral, IntegersBeyond64BitsBecomeBigIntegers) {
    EXPECT_EQ(parse_literal("18446744073709551616"), big(false, "10000000000000000"));
    EXPECT_EQ(parse_literal("-9223372036854775809"), big(true, "8000000000000001"));
    EXPECT_EQ(parse_literal("1000000000000000000000000000000"), big(false, "c9f2c9cd04674edea40000000"));
    EXPECT_EQ(parse_literal("0o2000000000000000000000"), big(false, "10000000000000000"));
    EXPECT_EQ(parse_literal("0b1" + std::string(64, '0')), big(false, "10000000000000000"));
    EXPECT_EQ(parse_literal("-0x000ABCDEF0123456789"), big(true, "abcdef0123456789"));
}

TEST(PythonLiteral, RejectsMalformedIntegers) {
    for (const char* bad : {"007", "0_7", "1__0", "1_", "_1", "0x", "0x_", "0b2", "0o8", "0x1g", "1j", "1L", "--5",
                            "-", "+", "2**64", "1 ", " 1", "0xx1"}) {
        EXPECT_THROW((void)parse_literal(bad), std::invalid_argument) << bad;
    }
    EXPECT_EQ(message_thrown_by([] { (void)parse_literal("007"); }),
              "invalid literal '007': leading zeros in decimal integer literals are not permitted; "
              "use an 0o prefix for octal integers");
}

TEST(PythonLiteral, RefusesDecimalIntegersLongerThanPythonsLimit) {
    EXPECT_NO_THROW((void)parse_literal(std::string(4300, '9')));
    EXPECT_THROW((void)parse_literal(std::string(4301, '9')), std::invalid_argument);
    // Hex has no such limit, in Python as here.
    EXPECT_NO_THROW((void)parse_literal("0x" + std::string(20000, 'f')));
}

// ---- PythonLiteral: floats, bools ------------------------------------------------------------------

TEST(PythonLiteral, Floats) {
    EXPECT_EQ(parsed_double("2.7"), 2.7);
    EXPECT_EQ(parsed_double("1e+300"), 1e300);
    EXPECT_EQ(parsed_double("1E5"), 1e5);
    EXPECT_EQ(parsed_double(".5"), 0.5);
    EXPECT_EQ(parsed_double("5."), 5.0);
    EXPECT_EQ(parsed_double("5.e3"), 5000.0);
    EXPECT_EQ(parsed_double("1_000.5"), 1000.5);
    EXPECT_EQ(parsed_double("1e1_0"), 1e10);
    EXPECT_EQ(parsed_double("-2.5e-3"), -0.0025);
    EXPECT_EQ(parsed_double("007.5"), 7.5);
    EXPECT_EQ(parsed_double("4.9406564584124654e-324"), std::numeric_limits<double>::denorm_min());
    // Like Python's float literals: overflow to inf, underflow to zero.
    EXPECT_EQ(parsed_double("1e400"), std::numeric_limits<double>::infinity());
    EXPECT_EQ(parsed_double("-1e400"), -std::numeric_limits<double>::infinity());
    EXPECT_EQ(parsed_double("1e-400"), 0.0);
}

TEST(PythonLiteral, NegativeZeroKeepsItsSign) {
    const double negative_zero = parsed_double("-0.0");
    EXPECT_EQ(negative_zero, 0.0);
    EXPECT_TRUE(std::signbit(negative_zero));
    EXPECT_FALSE(std::signbit(parsed_double("0.0")));
}

TEST(PythonLiteral, InfinityAndNan) {
    constexpr double infinity = std::numeric_limits<double>::infinity();
    EXPECT_EQ(parsed_double("inf"), infinity);
    EXPECT_EQ(parsed_double("+inf"), infinity);
    EXPECT_EQ(parsed_double("-inf"), -infinity);
    EXPECT_EQ(parsed_double("Infinity"), infinity);
    EXPECT_TRUE(std::isnan(parsed_double("nan")));
    EXPECT_FALSE(std::signbit(parsed_double("nan")));
    EXPECT_TRUE(std::isnan(parsed_double("-nan")));
    EXPECT_TRUE(std::signbit(parsed_double("-nan")));
}

TEST(PythonLiteral, RejectsMalformedFloats) {
    for (const char* bad : {"1.2.3", ".", "1e", "1e+", "1_.5", "1._5", "1.5_", ".e5", "e5", "infinite", "nanx", "1,5"}) {
        EXPECT_THROW((void)parse_literal(bad), std::invalid_argument) << bad;
    }
    EXPECT_EQ(message_thrown_by([] { (void)parse_literal("1.2.3"); }),
              "invalid literal '1.2.3': unexpected '.' at position 3");
}

TEST(PythonLiteral, Bools) {
    EXPECT_EQ(parse_literal("True"), literal{true});
    EXPECT_EQ(parse_literal("False"), literal{false});
    EXPECT_THROW((void)parse_literal("true"), std::invalid_argument);
    EXPECT_THROW((void)parse_literal("-True"), std::invalid_argument);
}

// ---- PythonLiteral: bytes ---------------------------------------------------------------------

TEST(PythonLiteral, BytesInEitherQuote) {
    EXPECT_EQ(parse_literal("b'ab'"), literal{std::string("ab")});
    EXPECT_EQ(parse_literal("b\"ab\""), literal{std::string("ab")});
    EXPECT_EQ(parse_literal("B'ab'"), literal{std::string("ab")});
    EXPECT_EQ(parse_literal("b''"), literal{std::string()});
    EXPECT_EQ(parse_literal("b\"it's\""), literal{std::string("it's")});
    EXPECT_EQ(parse_literal("b'say \"hi\"'"), literal{std::string("say \"hi\"")});
    EXPECT_EQ(parse_literal("b'''a'b\nc'''"), literal{std::string("a'b\nc")});
}

TEST(PythonLiteral, BytesEscapes) {
    EXPECT_EQ(parse_literal(R"(b'\x41\xff\x00')"), literal{std::string("A\xff\x00", 3)});
    EXPECT_EQ(parse_literal(R"(b'\\ \' \"')"), literal{std::string("\\ ' \"")});
    EXPECT_EQ(parse_literal(R"(b'\n\r\t\0')"), literal{std::string("\n\r\t\0", 4)});
    EXPECT_EQ(parse_literal(R"(b'\a\b\f\v')"), literal{std::string("\a\b\f\v")});
    EXPECT_EQ(parse_literal(R"(b'\101\7\08')"), literal{std::string("A\a\0" "8", 4)});
    // Above 0o377 the octal value keeps its low eight bits, as in CPython.
    EXPECT_EQ(parse_literal(R"(b'\777\400')"), literal{std::string("\xff\x00", 2)});
    // A backslash before a line break joins the lines.
    EXPECT_EQ(parse_literal("b'a\\\nb'"), literal{std::string("ab")});
}

TEST(PythonLiteral, UnknownEscapesKeepTheBackslash) {
    EXPECT_EQ(parse_literal(R"(b'\q')"), literal{std::string("\\q")});
    EXPECT_EQ(parse_literal(R"(b'\N{DASH}\u0041')"), literal{std::string("\\N{DASH}\\u0041")});
}

TEST(PythonLiteral, RawBytesKeepBackslashes) {
    EXPECT_EQ(parse_literal(R"(rb'\n\x41')"), literal{std::string("\\n\\x41")});
    EXPECT_EQ(parse_literal(R"(Br'\'')"), literal{std::string("\\'")});
}

TEST(PythonLiteral, RejectsMalformedBytes) {
    for (const char* bad : {"b'ab", "b\"ab'", "b'\\'", R"(b'\x4')", R"(b'\x')", R"(b'\xg0')", "b'caf\xc3\xa9'",
                            "b'a\nb'", "b'ab'c", "b'''ab''", "bb'x'", "x'ab'"}) {
        EXPECT_THROW((void)parse_literal(bad), std::invalid_argument) << bad;
    }
    EXPECT_EQ(message_thrown_by([] { (void)parse_literal(R"(b'\x4')"); }),
              "invalid literal \"b'\\\\x4'\": invalid \\x escape at position 0 (\\x takes exactly two hex digits)");
}

TEST(PythonLiteral, RejectsStrLiteralsWithAHint) {
    EXPECT_EQ(message_thrown_by([] { (void)parse_literal("'abc'"); }),
              "invalid literal \"'abc'\": a str literal; struct packs bytes, so write b'...'");
    EXPECT_THROW((void)parse_literal("u'abc'"), std::invalid_argument);
    EXPECT_THROW((void)parse_literal("r\"abc\""), std::invalid_argument);
}

TEST(PythonLiteral, ErrorsQuoteTheArgument) {
    EXPECT_EQ(message_thrown_by([] { (void)parse_literal(""); }), "invalid literal '': an empty argument is not a value");
    EXPECT_EQ(message_thrown_by([] { (void)parse_literal("None"); }),
              "invalid literal 'None': expected an int, a float, True, False or a bytes literal such as b'\\x01'");
    // Long arguments are shortened, unprintable bytes escaped.
    const std::string long_argument = "1" + std::string(100, 'z');
    EXPECT_EQ(message_thrown_by([&] { (void)parse_literal(long_argument); }),
              "invalid literal '1" + std::string(59, 'z') + "'...: unexpected 'z' at position 1");
    EXPECT_EQ(message_thrown_by([] { (void)parse_literal("\x01"); }),
              "invalid literal '\\x01': expected an int, a float, True, False or a bytes literal such as b'\\x01'");
}

// ---- PythonLiteral: packing, with CPython's errors -------------------------------------------

TEST(PythonLiteral, PacksTheArticleExample) {
    EXPECT_EQ(wirepack::cli::to_hex(pack_arguments("<I2sf", {"1", "b'ab'", "2.7"})), "010000006162cdcc2c40");
    EXPECT_EQ(wirepack::cli::to_hex(pack_arguments("<hd?", {"-0x10", "True", "b'x'"})), "f0ff000000000000f03f01");
}

TEST(PythonLiteral, BigIntegerForIntegerCodeRaisesTheRangeError) {
    EXPECT_EQ(pack_error("<Q", {"18446744073709551616"}), "'Q' format requires 0 <= number <= 18446744073709551615");
    EXPECT_EQ(pack_error("@Q", {"-18446744073709551616"}), "'Q' format requires 0 <= number <= 18446744073709551615");
    EXPECT_EQ(pack_error(">q", {"-9223372036854775809"}),
              "'q' format requires -9223372036854775808 <= number <= 9223372036854775807");
    EXPECT_EQ(pack_error("<q", {"0x" + std::string(40, 'f')}),
              "'q' format requires -9223372036854775808 <= number <= 9223372036854775807");
    EXPECT_EQ(pack_error("<b", {"1000000000000000000000000000000"}), "'b' format requires -128 <= number <= 127");
    EXPECT_EQ(pack_error("<H", {"-1000000000000000000000000000000"}), "'H' format requires 0 <= number <= 65535");
    EXPECT_EQ(pack_error("@P", {"18446744073709551616"}), "int too large to convert");
}

TEST(PythonLiteral, BigIntegerForFloatCodeRoundsCorrectly) {
    // 2^64 + 2^11 lies halfway between two doubles: ties go to the even one, 2^64.
    EXPECT_EQ(wirepack::cli::to_hex(pack_arguments("<Qd", {"5", "0x10000000000000800"})),
              "0500000000000000000000000000f043");
    EXPECT_EQ(wirepack::cli::to_hex(pack_arguments("<d", {"0x10000000000000801"})), "010000000000f043");
    EXPECT_EQ(wirepack::cli::to_hex(pack_arguments("<d", {"-1000000000000000000000000000000"})),
              "ea8ca039593e29c6");
    // Just below the point where rounding reaches 2^1024: the largest double.
    EXPECT_EQ(wirepack::cli::to_hex(pack_arguments("<d", {"0xfffffffffffffb" + std::string(242, 'f')})),
              "ffffffffffffef7f");
}

TEST(PythonLiteral, BigIntegerTooLargeForAFloat) {
    EXPECT_EQ(pack_error("<d", {"0xfffffffffffffc" + std::string(242, '0')}), "required argument is not a float");
    EXPECT_EQ(pack_error("<e", {"0x1" + std::string(300, '0')}), "required argument is not a float");
    // Fits a double but not the format: CPython words it as an int conversion.
    EXPECT_EQ(pack_error("<f", {"0x1" + std::string(50, '0')}), "int too large to convert");
    EXPECT_EQ(pack_error(">e", {"0x1" + std::string(20, '0')}), "int too large to convert");
}

TEST(PythonLiteral, BigIntegerIsTrueAndNotBytes) {
    EXPECT_EQ(wirepack::cli::to_hex(pack_arguments("<?", {"-0x1" + std::string(30, '0')})), "01");
    EXPECT_EQ(pack_error("<s", {"0x1" + std::string(30, '0')}), "argument for 's' must be a bytes object");
}

TEST(PythonLiteral, ReportsTheCountBeforeAnyValue) {
    EXPECT_EQ(pack_error("<hd", {"1", "0x1" + std::string(300, '0'), "3"}), "pack expected 2 items for packing (got 3)");
    EXPECT_EQ(pack_error("<h", {}), "pack expected 1 items for packing (got 0)");
}

TEST(PythonLiteral, ReportsTheLeftmostBadValue) {
    // CPython: struct.pack('<hq', 40000, 10**30) complains about the 'h' value.
    EXPECT_EQ(pack_error("<hq", {"40000", "1000000000000000000000000000000"}),
              "'h' format requires -32768 <= number <= 32767");
    EXPECT_EQ(pack_error("<sq", {"1", "1000000000000000000000000000000"}), "argument for 's' must be a bytes object");
    EXPECT_EQ(pack_error("<qh", {"1000000000000000000000000000000", "40000"}),
              "'q' format requires -9223372036854775808 <= number <= 9223372036854775807");
}

TEST(PythonLiteral, ToValuePassesSmallValuesThrough) {
    const wirepack::Struct layout("<h?ds");
    EXPECT_EQ(wirepack::cli::to_value(parse_literal("-5"), layout, 0), wirepack::value{std::int64_t{-5}});
    EXPECT_EQ(wirepack::cli::to_value(parse_literal("True"), layout, 1), wirepack::value{true});
    EXPECT_EQ(wirepack::cli::to_value(parse_literal("2.5"), layout, 2), wirepack::value{2.5});
    EXPECT_EQ(wirepack::cli::to_value(parse_literal("b'x'"), layout, 3), wirepack::value{std::string("x")});
    EXPECT_EQ(wirepack::cli::to_value(parse_literal("18446744073709551616"), layout, 2),
              wirepack::value{18446744073709551616.0});
}
