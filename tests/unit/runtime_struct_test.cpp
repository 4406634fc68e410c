// wirepack::Struct (wirepack/runtime_struct.hpp): a format parsed at run time,
// packing and unpacking dynamically typed values. Golden bytes and messages are
// CPython's (`struct.Struct(fmt).pack(...)` on x86-64 Linux, current wording).

#include <wirepack/runtime_struct.hpp>
#include <wirepack/struct.hpp>

#include <array>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "hex_bytes.hpp"

namespace {

using wirepack::errc;
using wirepack::Struct;
using wirepack::value;
using values = wirepack::unpacked_values;
using namespace std::string_literals;

constexpr bool native_is_x86_64_like =
    std::endian::native == std::endian::little && sizeof(long) == 8 && sizeof(void*) == 8;

using wirepack::test::from_hex;
using wirepack::test::to_hex;

template <class F>
void expect_error(F&& f, errc code, std::string_view message) {
    try {
        std::invoke(std::forward<F>(f));
        ADD_FAILURE() << "expected wirepack::error \"" << message << "\", nothing was thrown";
    } catch (const wirepack::error& e) {
        EXPECT_EQ(e.code(), wirepack::make_error_code(code)) << e.what();
        EXPECT_EQ(std::string_view(e.what()), message);
    }
}

value i64(std::int64_t x) { return x; }
value u64(std::uint64_t x) { return x; }

// ---- Parsing --------------------------------------------------------------------------------

TEST(RuntimeStruct, ReportsSizeFormatAndValueCount) {
    const Struct s("<I2sf");
    EXPECT_EQ(s.size(), 10u);
    EXPECT_EQ(s.format(), "<I2sf");
    EXPECT_EQ(s.value_count(), 3u);
    EXPECT_EQ(s.order(), wirepack::byte_order::little);
    EXPECT_EQ(s.code_at(0), 'I');
    EXPECT_EQ(s.code_at(1), 's');
    EXPECT_EQ(s.code_at(2), 'f');
}

TEST(RuntimeStruct, SameLayoutsAsCPython) {
    struct sample {
        std::string_view format;
        std::size_t size;
        std::size_t values;
    };
    for (const auto& [format, size, count] : std::array<sample, 14>{{
             {"@bi", 8, 2}, {"@ib", 5, 2}, {"@c0i", 4, 1}, {"< 2h", 4, 2}, {"0s", 0, 1}, {"0i", 0, 0},
             {"3x", 3, 0}, {"4h", 8, 4}, {"!HHIQdd16s", 48, 7}, {"=bi", 5, 2}, {"@bhiq", 16, 4}, {"", 0, 0},
             {"<10p", 10, 1}, {"9223372036854775807x", 9223372036854775807u, 0},
         }}) {
        const Struct s(format);
        EXPECT_EQ(s.size(), size) << format;
        EXPECT_EQ(s.value_count(), count) << format;
        EXPECT_EQ(s.format(), format);
    }
}

TEST(RuntimeStruct, CodeAtWalksRepeatCounts) {
    const Struct s("<3h0ix2s?");
    ASSERT_EQ(s.value_count(), 5u);
    const std::string expected = "hhhs?";
    for (std::size_t i = 0; i < expected.size(); ++i) EXPECT_EQ(s.code_at(i), expected[i]) << i;
    EXPECT_EQ(s.code_at(5), '\0');
}

TEST(RuntimeStruct, ItemsAreTheParsedRuns) {
    const Struct s("<4h3x0i5s");
    const auto items = s.items();
    ASSERT_EQ(items.size(), 3u);
    EXPECT_EQ(items[0].code, 'h');
    EXPECT_EQ(items[0].count, 4u);
    EXPECT_EQ(items[1].code, 'x');
    EXPECT_EQ(items[1].offset, 8u);
    EXPECT_EQ(items[2].code, 's');
    EXPECT_EQ(items[2].offset, 11u);
}

TEST(RuntimeStructParse, ErrorsNameTheProblemAndPosition) {
    expect_error([] { Struct s("<HzI"); }, errc::bad_char, "bad char in struct format (position 2)");
    expect_error([] { Struct s(" <2h"); }, errc::bad_char, "bad char in struct format (position 1)");
    expect_error([] { Struct s("2 h"); }, errc::bad_char, "bad char in struct format (position 1)");
    expect_error([] { Struct s("<n"); }, errc::bad_char, "bad char in struct format (position 1)");
    expect_error([] { Struct s("!hP"); }, errc::bad_char, "bad char in struct format (position 2)");
    expect_error([] { Struct s("<2"); }, errc::repeat_count_without_format,
                 "repeat count given without format specifier (position 1)");
    expect_error([] { Struct s("9223372036854775808x"); }, errc::struct_size_too_long,
                 "total struct size too long (position 0)");
    expect_error([] { Struct s("4611686018427387904h"); }, errc::struct_size_too_long,
                 "total struct size too long (position 0)");
    expect_error([] { Struct s(std::string_view("<h\0h", 4)); }, errc::embedded_null,
                 "embedded null character (position 2)");
}

TEST(RuntimeStructParse, TryParseGivesTheCode) {
    const auto ok = Struct::try_parse("<I2sf");
    ASSERT_TRUE(ok);
    EXPECT_EQ(ok->size(), 10u);
    EXPECT_EQ(ok->format(), "<I2sf");
    EXPECT_EQ(to_hex(ok->pack({i64(1), "ab"s, 2.7})), "010000006162cdcc2c40");

    EXPECT_EQ(Struct::try_parse("<HzI").error(), errc::bad_char);
    EXPECT_EQ(Struct::try_parse("<2").error(), errc::repeat_count_without_format);
    EXPECT_EQ(Struct::try_parse("99999999999999999999").error(), errc::struct_size_too_long);
    EXPECT_EQ(Struct::try_parse(std::string_view("\0", 1)).error(), errc::embedded_null);
    EXPECT_FALSE(Struct::try_parse("=N"));
}

TEST(RuntimeStruct, CopiesOwnTheirFormat) {
    auto original = std::make_unique<Struct>(std::string("!HI") + "h");
    const Struct copy = *original;
    Struct moved = std::move(*original);
    original.reset();
    EXPECT_EQ(copy.format(), "!HIh");
    EXPECT_EQ(moved.format(), "!HIh");
    EXPECT_EQ(to_hex(copy.pack({i64(1), i64(2), i64(-1)})), "000100000002ffff");
    EXPECT_EQ(to_hex(moved.pack({i64(1), i64(2), i64(-1)})), "000100000002ffff");
}

// ---- Packing --------------------------------------------------------------------------------

TEST(RuntimeStructPack, GoldenBytes) {
    EXPECT_EQ(to_hex(Struct("<I2sf").pack({i64(1), "ab"s, 2.7})), "010000006162cdcc2c40");
    EXPECT_EQ(to_hex(Struct("!HHIQdd16s").pack({i64(1), i64(2), i64(3), i64(4), 1.5, -2.25, "hello"s})),
              "000100020000000300000000000000043ff8000000000000c00200000000000068656c6c6f0000000000000000000000");
    EXPECT_EQ(to_hex(Struct(">4h").pack({i64(1), i64(-1), i64(2), i64(-2)})), "0001ffff0002fffe");
    EXPECT_EQ(to_hex(Struct("<bh3sc5p?e").pack({i64(-3), i64(1234), "xyz"s, "q"s, "pas"s, true, 0.5})),
              "fdd20478797a710370617300010038");
    EXPECT_EQ(to_hex(Struct("<q").pack({i64(-81985529216486896)})), "1032547698badcfe");
    EXPECT_EQ(to_hex(Struct(">Q").pack({u64(0x0123456789abcdef)})), "0123456789abcdef");
    EXPECT_EQ(to_hex(Struct("<Q").pack({u64(std::numeric_limits<std::uint64_t>::max())})), "ffffffffffffffff");
    EXPECT_EQ(to_hex(Struct(">d").pack({1e300})), "7e37e43c8800759c");
    EXPECT_EQ(to_hex(Struct(">e").pack({-2.7})), "c166");
    EXPECT_EQ(to_hex(Struct("<2sx5p?").pack({"ok"s, "wire"s, true})), "6f6b00047769726501");
}

TEST(RuntimeStructPack, NativeGoldenBytes) {
    if constexpr (!native_is_x86_64_like) GTEST_SKIP() << "golden bytes for x86-64";
    EXPECT_EQ(to_hex(Struct("@bhiq").pack({i64(1), i64(2), i64(3), i64(4)})), "01000200030000000400000000000000");
    EXPECT_EQ(to_hex(Struct("@ci").pack({"a"s, i64(5)})), "6100000005000000");
    EXPECT_EQ(to_hex(Struct("@c0i").pack({"a"s})), "61000000");
    EXPECT_EQ(to_hex(Struct("@?l").pack({true, i64(-1)})), "0100000000000000ffffffffffffffff");
    EXPECT_EQ(to_hex(Struct("@n").pack({i64(-5)})), "fbffffffffffffff");
    EXPECT_EQ(to_hex(Struct("@N").pack({u64(5)})), "0500000000000000");
    EXPECT_EQ(to_hex(Struct("@P").pack({i64(0x1234)})), "3412000000000000");
    // Python accepts a negative address for 'P'.
    EXPECT_EQ(to_hex(Struct("P").pack({i64(-1)})), "ffffffffffffffff");
    EXPECT_EQ(to_hex(Struct("@lL").pack({i64(-3), u64(std::numeric_limits<std::uint64_t>::max())})),
              "fdffffffffffffffffffffffffffffff");
}

TEST(RuntimeStructPack, StringsTruncatePadAndCountLength) {
    EXPECT_EQ(to_hex(Struct("<2s").pack({"abc"s})), "6162");
    EXPECT_EQ(to_hex(Struct("<4s").pack({"a"s})), "61000000");
    EXPECT_EQ(to_hex(Struct("<0s").pack({"abc"s})), "");
    EXPECT_EQ(to_hex(Struct("<3s").pack({std::string("\0\1\2", 3)})), "000102");
    EXPECT_EQ(to_hex(Struct("<5p").pack({"abc"s})), "0361626300");
    EXPECT_EQ(to_hex(Struct("<4p").pack({"abcdef"s})), "03616263");
    EXPECT_EQ(to_hex(Struct("<1p").pack({"abc"s})), "00");
    EXPECT_EQ(to_hex(Struct("<0pb").pack({"abc"s, i64(1)})), "01");

    const auto long_pascal = Struct("300p").pack({std::string(280, 'y')});
    ASSERT_EQ(long_pascal.size(), 300u);
    EXPECT_EQ(long_pascal[0], std::byte{0xff});
    EXPECT_EQ(long_pascal[280], std::byte{'y'});
    EXPECT_EQ(long_pascal[281], std::byte{0});
}

TEST(RuntimeStructPack, BoolUsesPythonTruth) {
    const Struct s("<?");
    EXPECT_EQ(to_hex(s.pack({i64(5)})), "01");
    EXPECT_EQ(to_hex(s.pack({i64(0)})), "00");
    EXPECT_EQ(to_hex(s.pack({u64(256)})), "01");
    EXPECT_EQ(to_hex(s.pack({0.5})), "01");
    EXPECT_EQ(to_hex(s.pack({0.0})), "00");
    EXPECT_EQ(to_hex(s.pack({""s})), "00");
    EXPECT_EQ(to_hex(s.pack({"x"s})), "01");
    EXPECT_EQ(to_hex(s.pack({true})), "01");
}

TEST(RuntimeStructPack, BoolsAndIntegersConvertLikePython) {
    EXPECT_EQ(to_hex(Struct("<i").pack({true})), "01000000");
    EXPECT_EQ(to_hex(Struct("<d").pack({true})), "000000000000f03f");
    EXPECT_EQ(to_hex(Struct(">f").pack({i64(1)})), "3f800000");
    EXPECT_EQ(to_hex(Struct(">d").pack({u64(std::numeric_limits<std::uint64_t>::max())})), "43f0000000000000");
    EXPECT_EQ(to_hex(Struct(">e").pack({i64(2)})), "4000");
}

TEST(RuntimeStructPack, HalfRoundingAndOverflow) {
    const Struct s(">e");
    EXPECT_EQ(to_hex(s.pack({2049.0})), "6800");
    EXPECT_EQ(to_hex(s.pack({2051.0})), "6802");
    EXPECT_EQ(to_hex(s.pack({65519.99})), "7bff");
    EXPECT_EQ(to_hex(s.pack({0x1p-25})), "0000");
    EXPECT_EQ(to_hex(s.pack({0x1p-24})), "0001");
    EXPECT_EQ(to_hex(s.pack({std::numeric_limits<double>::infinity()})), "7c00");
    EXPECT_EQ(to_hex(s.pack({-std::numeric_limits<double>::quiet_NaN()})), "fe00");
    expect_error([&] { (void)s.pack({65520.0}); }, errc::float_overflow, "float too large to pack with e format");
    // CPython rewords an overflow while packing an int.
    expect_error([&] { (void)s.pack({i64(65520)}); }, errc::float_overflow, "int too large to convert");
}

TEST(RuntimeStructPack, FloatOverflowInEveryByteOrder) {
    for (const char* format : {"<f", ">f", "!f", "=f", "@f", "f"}) {
        expect_error([&] { (void)Struct(format).pack({3.5e38}); }, errc::float_overflow,
                     "float too large to pack with f format");
        expect_error([&] { (void)Struct(format).pack({-1e300}); }, errc::float_overflow,
                     "float too large to pack with f format");
        EXPECT_NO_THROW((void)Struct(format).pack({std::numeric_limits<double>::infinity()})) << format;
        EXPECT_NO_THROW((void)Struct(format).pack({3.4028234663852886e+38})) << format;
    }
}

TEST(RuntimeStructPack, IntegerRangeMessages) {
    expect_error([] { (void)Struct("B").pack({i64(256)}); }, errc::integer_out_of_range,
                 "'B' format requires 0 <= number <= 255");
    expect_error([] { (void)Struct("<b").pack({i64(-129)}); }, errc::integer_out_of_range,
                 "'b' format requires -128 <= number <= 127");
    expect_error([] { (void)Struct("<h").pack({i64(40000)}); }, errc::integer_out_of_range,
                 "'h' format requires -32768 <= number <= 32767");
    expect_error([] { (void)Struct(">H").pack({i64(-1)}); }, errc::integer_out_of_range,
                 "'H' format requires 0 <= number <= 65535");
    expect_error([] { (void)Struct("<i").pack({u64(std::uint64_t{1} << 31)}); }, errc::integer_out_of_range,
                 "'i' format requires -2147483648 <= number <= 2147483647");
    expect_error([] { (void)Struct("<I").pack({i64(std::int64_t{1} << 32)}); }, errc::integer_out_of_range,
                 "'I' format requires 0 <= number <= 4294967295");
    expect_error([] { (void)Struct("<l").pack({i64(std::int64_t{1} << 31)}); }, errc::integer_out_of_range,
                 "'l' format requires -2147483648 <= number <= 2147483647");
    expect_error([] { (void)Struct("<L").pack({i64(-1)}); }, errc::integer_out_of_range,
                 "'L' format requires 0 <= number <= 4294967295");
    expect_error([] { (void)Struct("<q").pack({u64(std::uint64_t{1} << 63)}); }, errc::integer_out_of_range,
                 "'q' format requires -9223372036854775808 <= number <= 9223372036854775807");
    expect_error([] { (void)Struct("<Q").pack({i64(-1)}); }, errc::integer_out_of_range,
                 "'Q' format requires 0 <= number <= 18446744073709551615");
    if constexpr (sizeof(long) == 8) {
        EXPECT_NO_THROW((void)Struct("@l").pack({i64(std::int64_t{1} << 31)}));
        expect_error([] { (void)Struct("@L").pack({i64(-1)}); }, errc::integer_out_of_range,
                     "'L' format requires 0 <= number <= 18446744073709551615");
        expect_error([] { (void)Struct("@n").pack({u64(std::uint64_t{1} << 63)}); }, errc::integer_out_of_range,
                     "'n' format requires -9223372036854775808 <= number <= 9223372036854775807");
        expect_error([] { (void)Struct("@N").pack({i64(-1)}); }, errc::integer_out_of_range,
                     "'N' format requires 0 <= number <= 18446744073709551615");
    }
}

TEST(RuntimeStructPack, WrongKindMessages) {
    expect_error([] { (void)Struct("<i").pack({1.5}); }, errc::not_an_integer, "required argument is not an integer");
    expect_error([] { (void)Struct("<Q").pack({"1"s}); }, errc::not_an_integer, "required argument is not an integer");
    expect_error([] { (void)Struct("P").pack({0.0}); }, errc::not_an_integer, "required argument is not an integer");
    expect_error([] { (void)Struct("<f").pack({"x"s}); }, errc::not_a_float, "required argument is not a float");
    expect_error([] { (void)Struct("<d").pack({""s}); }, errc::not_a_float, "required argument is not a float");
    expect_error([] { (void)Struct("<e").pack({"x"s}); }, errc::not_a_float, "required argument is not a float");
    expect_error([] { (void)Struct("<4s").pack({i64(1)}); }, errc::not_bytes, "argument for 's' must be a bytes object");
    expect_error([] { (void)Struct("<4p").pack({1.0}); }, errc::not_bytes, "argument for 'p' must be a bytes object");
    expect_error([] { (void)Struct("<0s").pack({true}); }, errc::not_bytes, "argument for 's' must be a bytes object");
    expect_error([] { (void)Struct("<c").pack({"ab"s}); }, errc::char_not_one_byte,
                 "char format requires a bytes object of length 1");
    expect_error([] { (void)Struct("<c").pack({""s}); }, errc::char_not_one_byte,
                 "char format requires a bytes object of length 1");
    expect_error([] { (void)Struct("<c").pack({i64(97)}); }, errc::char_not_one_byte,
                 "char format requires a bytes object of length 1");
}

TEST(RuntimeStructPack, WrongCountMessages) {
    expect_error([] { (void)Struct("<hh").pack({i64(1)}); }, errc::wrong_value_count,
                 "pack expected 2 items for packing (got 1)");
    expect_error([] { (void)Struct("<3x").pack({i64(1)}); }, errc::wrong_value_count,
                 "pack expected 0 items for packing (got 1)");
    expect_error([] { (void)Struct("<0s0s").pack({}); }, errc::wrong_value_count,
                 "pack expected 2 items for packing (got 0)");
    std::array<std::byte, 8> buffer{};
    // CPython names the function: "pack_into expected ...".
    expect_error([&] { Struct("<hh").pack_into(buffer, 0, {i64(1), i64(2), i64(3)}); }, errc::wrong_value_count,
                 "pack_into expected 2 items for packing (got 3)");
}

TEST(RuntimeStructPack, SpanOfValues) {
    const values v{i64(1), i64(-1)};
    EXPECT_EQ(to_hex(Struct(">hh").pack(v)), "0001ffff");
    EXPECT_EQ(to_hex(Struct(">hh").pack(std::span<const value>(v))), "0001ffff");
}

// ---- Unpacking ------------------------------------------------------------------------------

TEST(RuntimeStructUnpack, ValueTypesFollowTheCode) {
    const Struct s("<bBhHiIqQ?cefd3s4p");
    const auto bytes =
        from_hex("ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff0241003c0000c03f000000000000f03f6162630278797"
                 "8");
    ASSERT_EQ(bytes.size(), s.size());
    const values expected{i64(-1), u64(255), i64(-1), u64(65535), i64(-1), u64(4294967295u), i64(-1),
                          u64(std::numeric_limits<std::uint64_t>::max()), true, "A"s, 1.0, 1.5, 1.0, "abc"s, "xy"s};
    EXPECT_EQ(s.unpack(bytes), expected);
}

TEST(RuntimeStructUnpack, NativeIntegersAreSignedOrUnsignedLikeTheirCode) {
    const Struct s("@lLnNP");
    std::vector<std::byte> bytes(s.size(), std::byte{0xff});
    const auto v = s.unpack(bytes);
    ASSERT_EQ(v.size(), 5u);
    EXPECT_EQ(v[0], i64(-1));
    EXPECT_EQ(v[1], u64(std::numeric_limits<unsigned long>::max()));
    EXPECT_EQ(v[2], i64(-1));
    EXPECT_EQ(v[3], u64(std::numeric_limits<std::size_t>::max()));
    EXPECT_EQ(v[4], u64(std::numeric_limits<std::uintptr_t>::max()));
}

TEST(RuntimeStructUnpack, AnyNonZeroByteIsTrue) {
    for (const char* format : {"<?", "@?"}) {
        const Struct s(format);
        for (unsigned b = 0; b < 256; ++b) {
            const std::array<std::byte, 1> byte{static_cast<std::byte>(b)};
            EXPECT_EQ(s.unpack(byte), values{b != 0}) << format << " " << b;
        }
    }
}

TEST(RuntimeStructUnpack, StringsAndPascalStrings) {
    EXPECT_EQ(Struct("<0sb0s").unpack(from_hex("05")), (values{""s, i64(5), ""s}));
    EXPECT_EQ(Struct("5p").unpack(from_hex("0961626364")), values{"abcd"s});
    EXPECT_EQ(Struct("<0pB").unpack(from_hex("07")), (values{""s, u64(7)}));
    EXPECT_EQ(Struct("4s").unpack(from_hex("610062ff")), values{std::string("a\0b\xff", 4)});
    const auto long_pascal = Struct("300p").unpack(Struct("300p").pack({std::string(280, 'y')}));
    EXPECT_EQ(long_pascal, values{std::string(255, 'y')});
}

TEST(RuntimeStructUnpack, FloatsWiden) {
    const auto v = Struct("<I2sf").unpack(from_hex("010000006162cdcc2c40"));
    EXPECT_EQ(v, (values{u64(1), "ab"s, 2.700000047683716}));
    const auto nan = Struct(">e").unpack(from_hex("7e00"));
    ASSERT_TRUE(std::holds_alternative<double>(nan[0]));
    EXPECT_TRUE(std::isnan(std::get<double>(nan[0])));
    EXPECT_EQ(Struct(">e").unpack(from_hex("0001")), values{0x1p-24});
}

TEST(RuntimeStructUnpack, PadBytesAreSkipped) {
    EXPECT_EQ(Struct("<bxh").unpack(from_hex("01ff0200")), (values{i64(1), i64(2)}));
    if constexpr (native_is_x86_64_like) {
        EXPECT_EQ(Struct("@bi").unpack(from_hex("01eeeeee02000000")), (values{i64(1), i64(2)}));
    }
}

TEST(RuntimeStructUnpack, WrongSize) {
    const Struct s("<I");
    expect_error([&] { (void)s.unpack(from_hex("010203")); }, errc::buffer_size_mismatch,
                 "unpack requires a buffer of 4 bytes");
    expect_error([&] { (void)s.unpack(from_hex("0102030405")); }, errc::buffer_size_mismatch,
                 "unpack requires a buffer of 4 bytes");
    EXPECT_EQ(Struct("").unpack({}), values{});
}

TEST(RuntimeStructTryUnpack, ErrorsOnlyOnSizeMismatch) {
    const Struct s(">HH");
    const auto ok = s.try_unpack(from_hex("12345678"));
    ASSERT_TRUE(ok);
    EXPECT_EQ(*ok, (values{u64(0x1234), u64(0x5678)}));
    EXPECT_EQ(s.try_unpack(from_hex("123456")).error(), errc::buffer_size_mismatch);
    EXPECT_EQ(s.try_unpack(from_hex("1234567890")).error(), errc::buffer_size_mismatch);
    EXPECT_EQ(s.try_unpack({}).error(), errc::buffer_size_mismatch);
}

// ---- pack_into / unpack_from ------------------------------------------------------------

TEST(RuntimeStructPackInto, OffsetsAndZeroedPadding) {
    std::array<std::byte, 8> buffer{};
    buffer.fill(std::byte{0xee});
    Struct("!H").pack_into(buffer, 2, {i64(0x1234)});
    EXPECT_EQ(to_hex(buffer), "eeee1234eeeeeeee");
    Struct("!H").pack_into(buffer, -2, {i64(0x5678)});
    EXPECT_EQ(to_hex(buffer), "eeee1234eeee5678");
    Struct("<bxh").pack_into(buffer, -8, {i64(1), i64(2)});
    EXPECT_EQ(to_hex(buffer), "01000200eeee5678");
    const values v{i64(-1)};
    Struct("<h").pack_into(buffer, 4, std::span<const value>(v));
    EXPECT_EQ(to_hex(buffer), "01000200ffff5678");
}

TEST(RuntimeStructPackInto, CPythonMessages) {
    std::array<std::byte, 10> buffer{};
    const Struct s("<6s");
    expect_error([&] { s.pack_into(buffer, 6, {"abcdef"s}); }, errc::buffer_too_small,
                 "pack_into requires a buffer of at least 12 bytes for packing 6 bytes at offset 6 "
                 "(actual buffer size is 10)");
    expect_error([&] { s.pack_into(buffer, -3, {"abcdef"s}); }, errc::buffer_too_small,
                 "no space to pack 6 bytes at offset -3");
    expect_error([&] { s.pack_into(buffer, -11, {"abcdef"s}); }, errc::offset_out_of_range,
                 "offset -11 out of range for 10-byte buffer");
    EXPECT_EQ(to_hex(buffer), "00000000000000000000");
}

TEST(RuntimeStructUnpackFrom, OffsetsAndMessages) {
    const auto buffer = from_hex("00010203040506070809");
    const Struct s("!H");
    EXPECT_EQ(s.unpack_from(buffer), values{u64(0x0001)});
    EXPECT_EQ(s.unpack_from(buffer, 4), values{u64(0x0405)});
    EXPECT_EQ(s.unpack_from(buffer, -2), values{u64(0x0809)});
    const Struct i("<I");
    expect_error([&] { (void)i.unpack_from(buffer, -3); }, errc::buffer_too_small,
                 "not enough data to unpack 4 bytes at offset -3");
    expect_error([&] { (void)i.unpack_from(buffer, -11); }, errc::offset_out_of_range,
                 "offset -11 out of range for 10-byte buffer");
    expect_error([&] { (void)i.unpack_from(buffer, 8); }, errc::buffer_too_small,
                 "unpack_from requires a buffer of at least 12 bytes for unpacking 4 bytes at offset 8 "
                 "(actual buffer size is 10)");
}

TEST(RuntimeStructTryUnpackFrom, ErrorCodes) {
    const auto buffer = from_hex("00010203040506070809");
    const Struct s("!H");
    const auto ok = s.try_unpack_from(buffer, -10);
    ASSERT_TRUE(ok);
    EXPECT_EQ(*ok, values{u64(0x0001)});
    EXPECT_EQ(s.try_unpack_from(buffer, 9).error(), errc::buffer_too_small);
    EXPECT_EQ(s.try_unpack_from(buffer, -1).error(), errc::buffer_too_small);
    EXPECT_EQ(s.try_unpack_from(buffer, -11).error(), errc::offset_out_of_range);
    EXPECT_TRUE(Struct("").try_unpack_from(buffer, 10));
    EXPECT_EQ(Struct("").try_unpack_from(buffer, 11).error(), errc::buffer_too_small);
}

// ---- iter_unpack ------------------------------------------------------------------------

TEST(RuntimeStructIterUnpack, EveryStructInOrder) {
    const Struct point("<hh");
    const auto bytes = from_hex("0100ffff2c01d4feff7f0080");
    const auto view = point.iter_unpack(bytes);
    EXPECT_EQ(view.size(), 3u);
    std::vector<values> all;
    for (const values& record : view) all.push_back(record);
    const std::vector<values> expected{{i64(1), i64(-1)}, {i64(300), i64(-300)}, {i64(32767), i64(-32768)}};
    EXPECT_EQ(all, expected);
    EXPECT_TRUE(point.iter_unpack({}).empty());
    EXPECT_TRUE(point.iter_unpack({}).begin() == std::default_sentinel);
}

TEST(RuntimeStructIterUnpack, UnpacksLazilyIntoOneVector) {
    const Struct point("<hh");
    auto bytes = from_hex("0100020003000400");
    const auto view = point.iter_unpack(bytes);
    bytes[4] = std::byte{7};  // before the iterator reaches the second struct: seen
    auto it = view.begin();
    EXPECT_EQ(*it, (values{i64(1), i64(2)}));
    const value* storage = (*it).data();
    ++it;
    EXPECT_EQ(*it, (values{i64(7), i64(4)}));
    EXPECT_EQ((*it).data(), storage);  // one vector per iterator, refilled
    it++;
    EXPECT_TRUE(it == std::default_sentinel);
}

TEST(RuntimeStructIterUnpack, Errors) {
    expect_error([] { const Struct s("<I"); (void)s.iter_unpack(from_hex("0102030405")); }, errc::not_a_multiple,
                 "iterative unpacking requires a buffer of a multiple of 4 bytes");
    expect_error([] { const Struct s(""); (void)s.iter_unpack({}); }, errc::zero_size_struct,
                 "cannot iteratively unpack with a struct of length 0");
    expect_error([] { const Struct s("<0s0i"); (void)s.iter_unpack(from_hex("00")); }, errc::zero_size_struct,
                 "cannot iteratively unpack with a struct of length 0");
}

// ---- The compile-time and run-time paths agree ------------------------------------------

TEST(RuntimeStructMatchesCompileTime, SameBytesForTheSameValues) {
    EXPECT_EQ(to_hex(wirepack::pack<"<I2sf">(1, "ab", 2.7)), to_hex(Struct("<I2sf").pack({i64(1), "ab"s, 2.7})));
    EXPECT_EQ(to_hex(wirepack::pack<"!HHIQdd16s">(1, 2, 3, 4, 1.5, -2.25, "hello")),
              to_hex(Struct("!HHIQdd16s").pack({i64(1), i64(2), i64(3), i64(4), 1.5, -2.25, "hello"s})));
    EXPECT_EQ(to_hex(wirepack::pack<"@bhiq">(1, 2, 3, 4)),
              to_hex(Struct("@bhiq").pack({i64(1), i64(2), i64(3), i64(4)})));
    EXPECT_EQ(to_hex(wirepack::pack<"@c0i">('a')), to_hex(Struct("@c0i").pack({"a"s})));
    EXPECT_EQ(to_hex(wirepack::pack<"=lLqQ">(-1, 2u, -3, 4u)),
              to_hex(Struct("=lLqQ").pack({i64(-1), u64(2), i64(-3), u64(4)})));
    EXPECT_EQ(to_hex(wirepack::pack<"@lLnN">(-1, 2u, -3, 4u)),
              to_hex(Struct("@lLnN").pack({i64(-1), u64(2), i64(-3), u64(4)})));
    EXPECT_EQ(to_hex(wirepack::pack<">e?cxs3p">(-2.7, true, 'z', "", "hey")),
              to_hex(Struct(">e?cxs3p").pack({-2.7, true, "z"s, ""s, "hey"s})));
    EXPECT_EQ(to_hex(wirepack::pack<"<f">(std::numeric_limits<double>::infinity())),
              to_hex(Struct("<f").pack({std::numeric_limits<double>::infinity()})));
}

TEST(RuntimeStructMatchesCompileTime, SameValuesFromTheSameBytes) {
    const auto bytes = from_hex("fe7f0080efbeaddecdcc2c40");
    const auto [b, c, h, i, f] = wirepack::unpack<"<bchIf">(bytes);
    const values expected{i64(b), std::string(1, c), i64(h), u64(i), static_cast<double>(f)};
    EXPECT_EQ(Struct("<bchIf").unpack(bytes), expected);
}

// ---- New values (unpack) and reused ones (unpack_into) ---------------------------------------
//
// unpack makes each value in place (its own handlers, or the general code for long
// runs, `e`, `p`, and formats past 64 steps), or fills `false` values when a value
// may need an allocation; unpack_into overwrites values that may hold anything.
// All of them must give the same values.

/// Bytes 0x01, 0x08, 0x0f, ...: for the formats below, no float among them is a
/// NaN (which would equal nothing, and fail the comparisons).
std::vector<std::byte> counting_bytes(std::size_t size) {
    std::vector<std::byte> out(size);
    for (std::size_t i = 0; i < size; ++i) out[i] = static_cast<std::byte>(i * 7 + 1);
    return out;
}

TEST(RuntimeStructNewAndReusedValues, AgreeOnEveryPath) {
    const std::vector<std::string> formats = {
        "<I2sf",             // the handlers of each kind
        "<20h17e",           // repeated runs past 16: the general code
        "<70B",              // more steps than the chain takes: the rest in a loop
        "<17s24s?c",         // the longest bytes held inline
        "<25p",              // a `p` of at most 24 bytes: made in place
        ">26p",              // one of up to 25: filled into false values
        "@bq3xhP",           // native alignment
    };
    for (const std::string& format : formats) {
        SCOPED_TRACE(format);
        const Struct s(format);
        auto bytes = counting_bytes(s.size());
        if (format.ends_with("p")) bytes[0] = std::byte{0xff};  // the longest the field allows
        const values fresh = s.unpack(bytes);
        ASSERT_EQ(fresh.size(), s.value_count());

        // Over values of every other alternative, inline and on the heap.
        values reused(s.value_count());
        for (std::size_t k = 0; k < reused.size(); ++k) {
            const value others[] = {i64(-1), u64(2), 3.5, true, std::string(40, 'h'), std::string("ab")};
            reused[k] = others[k % 6];
        }
        s.unpack_into(bytes, reused);
        EXPECT_EQ(reused, fresh);

        values fewer{std::string(30, 'x')};  // another count: resized, then unpacked into
        s.unpack_into(bytes, fewer);
        EXPECT_EQ(fewer, fresh);
    }
}

TEST(RuntimeStructNewAndReusedValues, GiveTheValuesOfTheBytes) {
    const auto seventy = counting_bytes(70);
    const values bytes70 = Struct("<70B").unpack(seventy);
    for (std::size_t k = 0; k < 70; ++k) EXPECT_EQ(bytes70[k], u64(std::to_integer<std::uint64_t>(seventy[k]))) << k;

    std::vector<std::byte> pascal(26, std::byte{'q'});
    pascal[0] = std::byte{25};
    EXPECT_EQ(Struct("26p").unpack(pascal), values{std::string(25, 'q')});
    pascal[0] = std::byte{24};
    EXPECT_EQ(Struct("25p").unpack(std::span(pascal).first(25)), values{std::string(24, 'q')});
}

TEST(RuntimeStructMatchesCompileTime, SameErrors) {
    std::string compile_time;
    std::string run_time;
    try {
        (void)wirepack::pack<"<h">(40000);
    } catch (const wirepack::error& e) {
        compile_time = e.what();
    }
    try {
        (void)Struct("<h").pack({i64(40000)});
    } catch (const wirepack::error& e) {
        run_time = e.what();
    }
    EXPECT_FALSE(compile_time.empty());
    EXPECT_EQ(compile_time, run_time);
}

}  // namespace
