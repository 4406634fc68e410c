// The struct format parser (wirepack/format.hpp): byte orders, sizes, native
// alignment, whitespace, value counts and every error with its position. The
// expected numbers are CPython's (`struct.calcsize`) on x86-64 Linux.

#include <wirepack/format.hpp>

#include <array>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

namespace {

using wirepack::byte_order;
using wirepack::errc;
using wirepack::format_item;
using wirepack::format_summary;
using wirepack::layout_of;
using wirepack::parse_format;
using namespace std::string_view_literals;

/// What parse_format reports, items included, in a form a constant expression can hold.
struct parsed {
    format_summary summary{};
    std::array<format_item, 16> items{};
    std::size_t reported = 0;  // how many times the callback ran
};

constexpr parsed parse_all(std::string_view format) {
    parsed out;
    out.summary = parse_format(format, [&](const format_item& item) {
        if (out.reported < out.items.size()) out.items[out.reported] = item;
        ++out.reported;
    });
    return out;
}

constexpr std::size_t size_of(std::string_view format) { return parse_format(format).size; }
constexpr errc error_of(std::string_view format) { return parse_format(format).error; }
constexpr std::size_t position_of(std::string_view format) { return parse_format(format).error_position; }

// ---- The parser runs at compile time ----------------------------------------------------

static_assert(parse_format("<I2sf").valid());
static_assert(parse_format("<I2sf").size == 10);
static_assert(parse_format("<I2sf").value_count == 3);
static_assert(parse_format("<I2sf").order == byte_order::little);
static_assert(size_of("@bi") == 8);
static_assert(size_of("@ib") == 5);
static_assert(size_of("@c0i") == 4);
static_assert(error_of("<HzI") == errc::bad_char && position_of("<HzI") == 2);
static_assert(error_of("<2") == errc::repeat_count_without_format);
static_assert(error_of("9223372036854775808x") == errc::struct_size_too_long);
static_assert(error_of("<n") == errc::bad_char);
static_assert(error_of("<h\0h"sv) == errc::embedded_null && position_of("<h\0h"sv) == 2);
static_assert(layout_of('q', byte_order::big)->size == 8);
static_assert(!layout_of('P', byte_order::little).has_value());
static_assert(parse_all("@bhiq").items[3].offset == 8);
static_assert(parse_all("0s").summary.value_count == 1 && parse_all("0i").summary.value_count == 0);

// ---- Byte orders --------------------------------------------------------------------------

TEST(FormatByteOrder, EveryPrefixCharacterIsRecognised) {
    EXPECT_EQ(parse_format("@h").order, byte_order::native);
    EXPECT_EQ(parse_format("=h").order, byte_order::native_standard);
    EXPECT_EQ(parse_format("<h").order, byte_order::little);
    EXPECT_EQ(parse_format(">h").order, byte_order::big);
    EXPECT_EQ(parse_format("!h").order, byte_order::network);
}

TEST(FormatByteOrder, NoPrefixMeansNative) {
    EXPECT_EQ(parse_format("h").order, byte_order::native);
    EXPECT_EQ(parse_format("").order, byte_order::native);
    EXPECT_EQ(size_of("bi"), size_of("@bi"));
}

TEST(FormatByteOrder, PrefixAloneIsAnEmptyStruct) {
    for (std::string_view format : {"@", "=", "<", ">", "!"}) {
        const auto s = parse_format(format);
        EXPECT_TRUE(s.valid()) << format;
        EXPECT_EQ(s.size, 0u) << format;
        EXPECT_EQ(s.value_count, 0u) << format;
        EXPECT_EQ(s.order, static_cast<byte_order>(format[0])) << format;
    }
}

TEST(FormatByteOrder, OnlyTheFirstCharacterCanBeAPrefix) {
    EXPECT_EQ(error_of("<<"), errc::bad_char);
    EXPECT_EQ(position_of("<<"), 1u);
    EXPECT_EQ(error_of("@="), errc::bad_char);
    EXPECT_EQ(error_of("h<"), errc::bad_char);
    EXPECT_EQ(position_of("h<"), 1u);
    EXPECT_EQ(error_of("<h!h"), errc::bad_char);
    EXPECT_EQ(position_of("<h!h"), 2u);
}

// ---- Sizes of every format character -----------------------------------------------------

struct standard_size {
    char code;
    std::size_t size;
};

constexpr std::array<standard_size, 18> standard_sizes{{
    {'x', 1}, {'c', 1}, {'b', 1}, {'B', 1}, {'?', 1}, {'h', 2}, {'H', 2}, {'i', 4}, {'I', 4},
    {'l', 4}, {'L', 4}, {'q', 8}, {'Q', 8}, {'e', 2}, {'f', 4}, {'d', 8}, {'s', 1}, {'p', 1},
}};

constexpr std::array<byte_order, 4> standard_orders{byte_order::native_standard, byte_order::little,
                                                    byte_order::big, byte_order::network};

TEST(FormatLayout, StandardSizesInEveryStandardOrder) {
    for (const byte_order order : standard_orders) {
        for (const auto [code, size] : standard_sizes) {
            const auto layout = layout_of(code, order);
            ASSERT_TRUE(layout.has_value()) << code << " in " << static_cast<char>(order);
            EXPECT_EQ(layout->size, size) << code << " in " << static_cast<char>(order);
            EXPECT_EQ(layout->alignment, 1u) << code << " in " << static_cast<char>(order);
        }
    }
}

TEST(FormatLayout, StandardSizesThroughTheParser) {
    for (const byte_order order : standard_orders) {
        for (const auto [code, size] : standard_sizes) {
            std::string format{static_cast<char>(order)};
            format += "3";
            format += code;
            const auto s = parse_format(format);
            ASSERT_TRUE(s.valid()) << format;
            EXPECT_EQ(s.size, 3 * size) << format;
        }
    }
}

TEST(FormatLayout, NativeOnlyCodesExistOnlyUnderNative) {
    for (const char code : {'n', 'N', 'P'}) {
        EXPECT_TRUE(layout_of(code, byte_order::native).has_value()) << code;
        for (const byte_order order : standard_orders) {
            EXPECT_FALSE(layout_of(code, order).has_value()) << code << " in " << static_cast<char>(order);
        }
    }
}

TEST(FormatLayout, NativeSizesAndAlignmentsMatchTheCompiler) {
    struct native {
        char code;
        std::size_t size;
        std::size_t alignment;
    };
    const std::array<native, 21> expected{{
        {'x', 1, 1}, {'c', 1, 1}, {'b', 1, 1}, {'B', 1, 1}, {'s', 1, 1}, {'p', 1, 1},
        {'?', sizeof(bool), alignof(bool)},
        {'h', sizeof(short), alignof(short)}, {'H', sizeof(unsigned short), alignof(unsigned short)},
        {'e', sizeof(short), alignof(short)},
        {'i', sizeof(int), alignof(int)}, {'I', sizeof(unsigned), alignof(unsigned)},
        {'l', sizeof(long), alignof(long)}, {'L', sizeof(unsigned long), alignof(unsigned long)},
        {'q', sizeof(long long), alignof(long long)}, {'Q', sizeof(unsigned long long), alignof(unsigned long long)},
        {'n', sizeof(std::ptrdiff_t), alignof(std::ptrdiff_t)}, {'N', sizeof(std::size_t), alignof(std::size_t)},
        {'P', sizeof(void*), alignof(void*)},
        {'f', sizeof(float), alignof(float)}, {'d', sizeof(double), alignof(double)},
    }};
    for (const auto& [code, size, alignment] : expected) {
        const auto layout = layout_of(code, byte_order::native);
        ASSERT_TRUE(layout.has_value()) << code;
        EXPECT_EQ(layout->size, size) << code;
        EXPECT_EQ(layout->alignment, alignment) << code;
    }
}

TEST(FormatLayout, NativeSizesMatchCPythonOnLp64) {
    if constexpr (sizeof(long) != 8 || sizeof(void*) != 8) GTEST_SKIP() << "the numbers below are for LP64";
    // struct.calcsize('@' + code) and struct.calcsize('@c' + code) on x86-64 Linux.
    struct sample {
        std::string_view format;
        std::size_t size;
    };
    const std::array<sample, 38> expected{{
        {"@x", 1}, {"@c", 1}, {"@b", 1}, {"@B", 1}, {"@?", 1}, {"@h", 2}, {"@H", 2}, {"@i", 4}, {"@I", 4},
        {"@l", 8}, {"@L", 8}, {"@q", 8}, {"@Q", 8}, {"@n", 8}, {"@N", 8}, {"@e", 2}, {"@f", 4}, {"@d", 8},
        {"@P", 8},
        {"@cx", 2}, {"@cc", 2}, {"@cb", 2}, {"@c?", 2}, {"@ch", 4}, {"@cH", 4}, {"@ci", 8}, {"@cI", 8},
        {"@cl", 16}, {"@cL", 16}, {"@cq", 16}, {"@cQ", 16}, {"@cn", 16}, {"@cN", 16}, {"@ce", 4},
        {"@cf", 8}, {"@cd", 16}, {"@cP", 16}, {"@cs", 2},
    }};
    for (const auto& [format, size] : expected) {
        EXPECT_EQ(size_of(format), size) << format;
    }
}

// ---- Native alignment ---------------------------------------------------------------------

TEST(FormatAlignment, PaddingGoesBeforeAnItemNeverAtTheEnd) {
    EXPECT_EQ(size_of("@bi"), 8u);
    EXPECT_EQ(size_of("@ib"), 5u);
    EXPECT_EQ(size_of("@hc"), 3u);
    EXPECT_EQ(size_of("@ihc"), 7u);
    EXPECT_EQ(size_of("@bq"), 16u);
    EXPECT_EQ(size_of("@bhiq"), 16u);
    EXPECT_EQ(size_of("@3ci"), 8u);
    EXPECT_EQ(size_of("@hci"), 8u);
    EXPECT_EQ(size_of("@cxi"), 8u);
    EXPECT_EQ(size_of("@?i"), 8u);
}

TEST(FormatAlignment, ZeroCountStillAligns) {
    EXPECT_EQ(size_of("@c0i"), 4u);
    EXPECT_EQ(size_of("@b0q"), 8u);
    EXPECT_EQ(size_of("@2c0l"), 8u);
    EXPECT_EQ(size_of("@c4x0i"), 8u);
    EXPECT_EQ(size_of("@x0h"), 2u);
}

TEST(FormatAlignment, StringsAndPadBytesHaveNoAlignment) {
    EXPECT_EQ(size_of("@c0s"), 1u);
    EXPECT_EQ(size_of("@c0p"), 1u);
    EXPECT_EQ(size_of("@c3s"), 4u);
    EXPECT_EQ(size_of("@c3x"), 4u);
    EXPECT_EQ(size_of("@c5p"), 6u);
}

TEST(FormatAlignment, OnlyNativeModeAligns) {
    for (std::string_view format : {"=bi", "<bi", ">bi", "!bi"}) {
        EXPECT_EQ(size_of(format), 5u) << format;
    }
    EXPECT_EQ(size_of("<c0i"), 1u);
    EXPECT_EQ(size_of("=bq"), 9u);
}

TEST(FormatAlignment, ItemOffsetsIncludeThePadding) {
    constexpr parsed p = parse_all("@bhiq");
    static_assert(p.reported == 4);
    EXPECT_EQ(p.items[0].offset, 0u);
    EXPECT_EQ(p.items[1].offset, 2u);
    EXPECT_EQ(p.items[2].offset, 4u);
    EXPECT_EQ(p.items[3].offset, 8u);
    EXPECT_EQ(p.summary.size, 16u);

    const parsed standard = parse_all("<bhiq");
    EXPECT_EQ(standard.items[1].offset, 1u);
    EXPECT_EQ(standard.items[2].offset, 3u);
    EXPECT_EQ(standard.items[3].offset, 7u);
    EXPECT_EQ(standard.summary.size, 15u);
}

// ---- Items and value counts --------------------------------------------------------------

TEST(FormatItems, RepeatCountMakesOneItem) {
    const parsed p = parse_all("<4h");
    ASSERT_EQ(p.reported, 1u);
    EXPECT_EQ(p.items[0].code, 'h');
    EXPECT_EQ(p.items[0].count, 4u);
    EXPECT_EQ(p.items[0].element_size, 2u);
    EXPECT_EQ(p.items[0].byte_size(), 8u);
    EXPECT_EQ(p.items[0].value_count(), 4u);
    EXPECT_EQ(p.summary.value_count, 4u);
    EXPECT_EQ(p.summary.size, 8u);
}

TEST(FormatItems, StringCountIsItsLength) {
    const parsed p = parse_all("<10s5p");
    ASSERT_EQ(p.reported, 2u);
    EXPECT_EQ(p.items[0].code, 's');
    EXPECT_EQ(p.items[0].count, 10u);
    EXPECT_EQ(p.items[0].element_size, 10u);
    EXPECT_EQ(p.items[0].byte_size(), 10u);
    EXPECT_EQ(p.items[0].value_count(), 1u);
    EXPECT_EQ(p.items[1].code, 'p');
    EXPECT_EQ(p.items[1].offset, 10u);
    EXPECT_EQ(p.items[1].byte_size(), 5u);
    EXPECT_EQ(p.summary.value_count, 2u);
    EXPECT_EQ(p.summary.size, 15u);
}

TEST(FormatItems, ValueCounts) {
    struct sample {
        std::string_view format;
        std::size_t values;
        std::size_t size;
    };
    for (const auto& [format, values, size] : std::array<sample, 12>{{
             {"0s", 1, 0},   {"0p", 1, 0},  {"0i", 0, 0},   {"3x", 0, 3},     {"4h", 4, 8},     {"<I2sf", 3, 10},
             {"10s", 1, 10}, {"0x", 0, 0},  {"<2?3c", 5, 5}, {"<0s0s0s", 3, 0}, {"<x0ix", 0, 2}, {"", 0, 0},
         }}) {
        const auto s = parse_format(format);
        ASSERT_TRUE(s.valid()) << format;
        EXPECT_EQ(s.value_count, values) << format;
        EXPECT_EQ(s.size, size) << format;
    }
}

TEST(FormatItems, EmptyItemsAreNotReportedButEmptyStringsAre) {
    EXPECT_EQ(parse_all("<0i").reported, 0u);
    EXPECT_EQ(parse_all("<0x").reported, 0u);
    const parsed s = parse_all("<0s");
    ASSERT_EQ(s.reported, 1u);
    EXPECT_EQ(s.items[0].code, 's');
    EXPECT_EQ(s.items[0].count, 0u);
    EXPECT_EQ(s.items[0].byte_size(), 0u);
    EXPECT_EQ(s.summary.item_count, 1u);
    const parsed x = parse_all("<3x");
    ASSERT_EQ(x.reported, 1u);
    EXPECT_EQ(x.items[0].code, 'x');
    EXPECT_EQ(x.items[0].value_count(), 0u);
    EXPECT_EQ(x.items[0].byte_size(), 3u);
}

TEST(FormatItems, ItemCountMatchesCallbacks) {
    for (std::string_view format : {"<I2sf", "@bhiq", "<0i3x0s", "!HHIQdd16s", ""}) {
        const parsed p = parse_all(format);
        EXPECT_EQ(p.summary.item_count, p.reported) << format;
    }
}

TEST(FormatItems, ArticleFormatLayout) {
    const parsed p = parse_all("<I2sf");
    ASSERT_EQ(p.reported, 3u);
    EXPECT_EQ(p.items[0].code, 'I');
    EXPECT_EQ(p.items[0].offset, 0u);
    EXPECT_EQ(p.items[1].code, 's');
    EXPECT_EQ(p.items[1].offset, 4u);
    EXPECT_EQ(p.items[2].code, 'f');
    EXPECT_EQ(p.items[2].offset, 6u);
}

// ---- Values and padding (layout_walker) ------------------------------------------------------

/// "values@offset" and "pad@offset+size" in the order layout_walker reports them.
std::vector<std::string> walk(std::string_view format) {
    std::vector<std::string> seen;
    wirepack::layout_walker walker{
        [&](const format_item& item) { seen.push_back(std::string(1, item.code) + "@" + std::to_string(item.offset)); },
        [&](std::size_t offset, std::size_t size) {
            seen.push_back("pad@" + std::to_string(offset) + "+" + std::to_string(size));
        }};
    const format_summary summary = parse_format(format, walker);
    walker.finish(summary.size);
    return seen;
}

TEST(FormatLayoutWalker, PadItemsAndAlignmentGapsAreSeparateRuns) {
    EXPECT_EQ(walk("@bxi"), (std::vector<std::string>{"b@0", "pad@1+1", "pad@2+2", "i@4"}));
    EXPECT_EQ(walk("<bxi"), (std::vector<std::string>{"b@0", "pad@1+1", "i@2"}));
    EXPECT_EQ(walk("<3x2s"), (std::vector<std::string>{"pad@0+3", "s@3"}));
}

TEST(FormatLayoutWalker, AlignmentAtTheEndComesFromFinish) {
    // A zero-count item is not reported, but still aligns the struct's end.
    EXPECT_EQ(walk("@c0i"), (std::vector<std::string>{"c@0", "pad@1+3"}));
    EXPECT_EQ(walk("@ib"), (std::vector<std::string>{"i@0", "b@4"}));
    EXPECT_EQ(walk(""), std::vector<std::string>{});
}

// ---- Whitespace ---------------------------------------------------------------------------

TEST(FormatWhitespace, AllowedBetweenItemsAndAfterThePrefix) {
    EXPECT_EQ(size_of("< 2h"), 4u);
    EXPECT_EQ(size_of("<2h 3i"), 16u);
    EXPECT_EQ(size_of("<2h "), 4u);
    EXPECT_EQ(size_of("  "), 0u);
    EXPECT_EQ(size_of("c\t\n\r i"), 8u);
    EXPECT_EQ(size_of("@c\v\fi"), 8u);
    EXPECT_TRUE(parse_format("< 2h").valid());
}

TEST(FormatWhitespace, NotBeforeThePrefix) {
    EXPECT_EQ(error_of(" <2h"), errc::bad_char);
    EXPECT_EQ(position_of(" <2h"), 1u);
    EXPECT_EQ(error_of("\v<h"), errc::bad_char);
    EXPECT_EQ(position_of("\v<h"), 1u);
}

TEST(FormatWhitespace, NotBetweenCountAndCode) {
    EXPECT_EQ(error_of("2 h"), errc::bad_char);
    EXPECT_EQ(position_of("2 h"), 1u);
    EXPECT_EQ(error_of("< 2 h"), errc::bad_char);
    EXPECT_EQ(position_of("< 2 h"), 3u);
}

// ---- Errors and where they are -----------------------------------------------------------

TEST(FormatErrors, BadCharacter) {
    struct sample {
        std::string_view format;
        std::size_t position;
    };
    for (const auto& [format, position] : std::array<sample, 8>{{
             {"<HzI", 2}, {"z", 0}, {"<-1h", 1}, {"<+1h", 1}, {"<1.5h", 2}, {"hhhhA", 4}, {"<h\xe9", 2}, {"<h!", 2},
         }}) {
        const auto s = parse_format(format);
        EXPECT_EQ(s.error, errc::bad_char) << format;
        EXPECT_EQ(s.error_position, position) << format;
        EXPECT_FALSE(s.valid()) << format;
    }
}

TEST(FormatErrors, EveryUnknownAsciiCharacterIsRefused) {
    const std::string_view known = "xcbB?hHiIlLqQnNefdsPp";
    for (int c = 1; c < 128; ++c) {
        const char ch = static_cast<char>(c);
        const bool digit = ch >= '0' && ch <= '9';
        const bool space = ch == ' ' || (ch >= '\t' && ch <= '\r');
        if (digit || space) continue;
        std::string format = "@";
        format += ch;
        const auto s = parse_format(format);
        if (known.find(ch) != std::string_view::npos) {
            EXPECT_TRUE(s.valid()) << format;
        } else {
            EXPECT_EQ(s.error, errc::bad_char) << "character " << c;
            EXPECT_EQ(s.error_position, 1u) << "character " << c;
        }
    }
}

TEST(FormatErrors, NativeOnlyCodesOutsideNativeMode) {
    for (const char prefix : {'=', '<', '>', '!'}) {
        for (const char code : {'n', 'N', 'P'}) {
            const std::string format{prefix, 'h', code};
            EXPECT_EQ(error_of(format), errc::bad_char) << format;
            EXPECT_EQ(position_of(format), 2u) << format;
            EXPECT_TRUE(parse_format(std::string{'@', 'h', code}).valid()) << code;
            EXPECT_TRUE(parse_format(std::string{code}).valid()) << code;
        }
    }
}

TEST(FormatErrors, RepeatCountWithoutFormatSpecifier) {
    struct sample {
        std::string_view format;
        std::size_t position;
    };
    for (const auto& [format, position] : std::array<sample, 5>{{
             {"<2", 1}, {"0", 0}, {"<h2", 2}, {"<h 2", 3}, {"9223372036854775807", 0},
         }}) {
        EXPECT_EQ(error_of(format), errc::repeat_count_without_format) << format;
        EXPECT_EQ(position_of(format), position) << format;
    }
}

TEST(FormatErrors, SizeOverflow) {
    // A count that does not fit in Py_ssize_t.
    EXPECT_EQ(error_of("9223372036854775808x"), errc::struct_size_too_long);
    EXPECT_EQ(position_of("9223372036854775808x"), 0u);
    EXPECT_EQ(error_of("999999999999999999999999999999"), errc::struct_size_too_long);
    EXPECT_EQ(error_of("<h999999999999999999999999999999"), errc::struct_size_too_long);
    EXPECT_EQ(position_of("<h999999999999999999999999999999"), 2u);
    // A count that fits, times an item size that makes it too large.
    EXPECT_EQ(error_of("4611686018427387904h"), errc::struct_size_too_long);
    EXPECT_EQ(error_of("<4611686018427387904h"), errc::struct_size_too_long);
    EXPECT_EQ(position_of("<4611686018427387904h"), 1u);
    EXPECT_EQ(error_of("<x9223372036854775807x"), errc::struct_size_too_long);
    // Alignment padding that would pass the limit.
    EXPECT_EQ(error_of("@c9223372036854775806xi"), errc::struct_size_too_long);
}

TEST(FormatErrors, LargestSizesStillParse) {
    EXPECT_EQ(size_of("9223372036854775807x"), 9223372036854775807u);
    EXPECT_EQ(size_of("9223372036854775807s"), 9223372036854775807u);
    EXPECT_EQ(size_of("<4611686018427387903h"), 9223372036854775806u);
    EXPECT_EQ(size_of("@9223372036854775807x"), 9223372036854775807u);
    EXPECT_EQ(parse_format("0009223372036854775807x").size, 9223372036854775807u);
}

TEST(FormatErrors, EmbeddedNulIsRefusedFirst) {
    struct sample {
        std::string_view format;
        std::size_t position;
    };
    for (const auto& [format, position] : std::array<sample, 5>{{
             {"<h\0"sv, 2}, {"h\0z"sv, 1}, {"z\0"sv, 1}, {"<2\0h"sv, 2}, {"\0"sv, 0},
         }}) {
        EXPECT_EQ(error_of(format), errc::embedded_null) << "position " << position;
        EXPECT_EQ(position_of(format), position);
    }
}

TEST(FormatErrors, FirstErrorWins) {
    EXPECT_EQ(error_of("<zn"), errc::bad_char);
    EXPECT_EQ(position_of("<zn"), 1u);
    EXPECT_EQ(error_of("<z2"), errc::bad_char);
    EXPECT_EQ(error_of("<2z"), errc::bad_char);
    EXPECT_EQ(position_of("<2z"), 2u);
    EXPECT_EQ(error_of("<9223372036854775808z"), errc::struct_size_too_long);
}

TEST(FormatErrors, ValidFormatReportsNoError) {
    const auto s = parse_format("<I2sf");
    EXPECT_EQ(s.error, errc{});
    EXPECT_EQ(s.error_position, 0u);
    EXPECT_TRUE(s.valid());
}

TEST(FormatParser, RunTimeStringsGiveTheSameAnswer) {
    // The same function, fed a heap string rather than a literal.
    for (const std::string format : {"<I2sf", "@bi", "@c0i", "< 2h", " <2h", "<2", "<HzI"}) {
        const auto run_time = parse_format(std::string(format));
        const auto literal = parse_format(std::string_view(format));
        EXPECT_EQ(run_time.error, literal.error) << format;
        EXPECT_EQ(run_time.size, literal.size) << format;
    }
    constexpr auto compile_time = parse_format("@bhiq");
    std::vector<char> heap{'@', 'b', 'h', 'i', 'q'};
    const auto run_time = parse_format(std::string_view(heap.data(), heap.size()));
    EXPECT_EQ(run_time.size, compile_time.size);
    EXPECT_EQ(run_time.value_count, compile_time.value_count);
}

}  // namespace
