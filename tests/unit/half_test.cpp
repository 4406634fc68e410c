// IEEE 754 binary16 conversion (wirepack/detail/half.hpp), the `e` format
// character: every half decodes exactly and encodes back to itself, every
// midpoint between neighbours rounds to the even one, and the overflow boundary
// sits where CPython puts it.

#include <wirepack/detail/half.hpp>

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>

#include <gtest/gtest.h>

namespace {

using wirepack::detail::double_to_half;
using wirepack::detail::half_to_double;

constexpr double inf = std::numeric_limits<double>::infinity();

/// The value of a half, decoded with the textbook formula (independent of the header).
double reference_half(std::uint16_t bits) {
    const bool negative = (bits & 0x8000u) != 0;
    const int exponent = (bits >> 10) & 0x1f;
    const int fraction = bits & 0x3ff;
    double magnitude = 0;
    if (exponent == 0x1f) magnitude = fraction == 0 ? inf : std::numeric_limits<double>::quiet_NaN();
    else if (exponent == 0) magnitude = std::ldexp(fraction, -24);
    else magnitude = std::ldexp(1024 + fraction, exponent - 25);
    return negative ? -magnitude : magnitude;
}

bool is_nan_half(std::uint16_t bits) { return (bits & 0x7c00u) == 0x7c00u && (bits & 0x3ffu) != 0; }

// ---- Compile time -------------------------------------------------------------------------

static_assert(double_to_half(1.0) == std::uint16_t{0x3c00});
static_assert(double_to_half(-2.0) == std::uint16_t{0xc000});
static_assert(double_to_half(65504.0) == std::uint16_t{0x7bff});
static_assert(!double_to_half(65520.0).has_value());
static_assert(double_to_half(0x1p-25) == std::uint16_t{0});
static_assert(half_to_double(0x3c00) == 1.0);
static_assert(half_to_double(0x0001) == 0x1p-24);
static_assert(half_to_double(0xfbff) == -65504.0);

// ---- Decoding -----------------------------------------------------------------------------

TEST(HalfToDouble, EveryPatternDecodesExactly) {
    for (std::uint32_t i = 0; i <= 0xffff; ++i) {
        const auto bits = static_cast<std::uint16_t>(i);
        const double expected = reference_half(bits);
        const double actual = half_to_double(bits);
        if (is_nan_half(bits)) {
            EXPECT_TRUE(std::isnan(actual)) << std::hex << i;
            EXPECT_EQ(std::signbit(actual), (bits & 0x8000u) != 0) << std::hex << i;
        } else {
            // Bit equality also tells -0.0 from +0.0.
            ASSERT_EQ(std::bit_cast<std::uint64_t>(actual), std::bit_cast<std::uint64_t>(expected))
                << std::hex << i << ": " << actual << " vs " << expected;
        }
    }
}

TEST(HalfToDouble, Landmarks) {
    EXPECT_EQ(half_to_double(0x0000), 0.0);
    EXPECT_TRUE(std::signbit(half_to_double(0x8000)));
    EXPECT_EQ(half_to_double(0x0001), 0x1p-24);
    EXPECT_EQ(half_to_double(0x03ff), 1023 * 0x1p-24);
    EXPECT_EQ(half_to_double(0x0400), 0x1p-14);
    EXPECT_EQ(half_to_double(0x3555), 0.333251953125);
    EXPECT_EQ(half_to_double(0x7bff), 65504.0);
    EXPECT_EQ(half_to_double(0x7c00), inf);
    EXPECT_EQ(half_to_double(0xfc00), -inf);
    EXPECT_TRUE(std::isnan(half_to_double(0x7e00)));
}

// ---- Round trips --------------------------------------------------------------------------

TEST(DoubleToHalf, EveryHalfRoundTrips) {
    for (std::uint32_t i = 0; i <= 0xffff; ++i) {
        const auto bits = static_cast<std::uint16_t>(i);
        const auto back = double_to_half(half_to_double(bits));
        ASSERT_TRUE(back.has_value()) << std::hex << i;
        if (is_nan_half(bits)) {
            // Every NaN comes back as the quiet NaN, keeping its sign.
            EXPECT_EQ(*back, static_cast<std::uint16_t>(0x7e00u | (bits & 0x8000u))) << std::hex << i;
        } else {
            ASSERT_EQ(*back, bits) << std::hex << i;
        }
    }
}

TEST(DoubleToHalf, ReferenceValuesRoundTripToo) {
    // The same through the independent decoder, so that a decoder bug matched by
    // an encoder bug cannot hide.
    for (std::uint32_t i = 0; i <= 0xffff; ++i) {
        const auto bits = static_cast<std::uint16_t>(i);
        if (is_nan_half(bits)) continue;
        ASSERT_EQ(double_to_half(reference_half(bits)), bits) << std::hex << i;
    }
}

// ---- Rounding -----------------------------------------------------------------------------

TEST(DoubleToHalf, MidpointsRoundToEven) {
    // Neighbours a < b among the finite non-negative halves, and the same negated.
    for (std::uint16_t low = 0; low < 0x7bff; ++low) {
        const auto high = static_cast<std::uint16_t>(low + 1);
        const double a = reference_half(low);
        const double b = reference_half(high);
        const double mid = (a + b) / 2;  // exact: halves have 11 significant bits
        ASSERT_EQ(mid - a, b - mid) << std::hex << low;
        const std::uint16_t even = (low % 2 == 0) ? low : high;

        ASSERT_EQ(double_to_half(mid), even) << std::hex << low;
        ASSERT_EQ(double_to_half(std::nextafter(mid, 0.0)), low) << std::hex << low;
        ASSERT_EQ(double_to_half(std::nextafter(mid, inf)), high) << std::hex << low;
        ASSERT_EQ(double_to_half(a + (b - a) / 4), low) << std::hex << low;
        ASSERT_EQ(double_to_half(b - (b - a) / 4), high) << std::hex << low;

        const auto sign = std::uint16_t{0x8000};
        ASSERT_EQ(double_to_half(-mid), static_cast<std::uint16_t>(even | sign)) << std::hex << low;
        ASSERT_EQ(double_to_half(-std::nextafter(mid, 0.0)), static_cast<std::uint16_t>(low | sign)) << std::hex << low;
        ASSERT_EQ(double_to_half(-std::nextafter(mid, inf)), static_cast<std::uint16_t>(high | sign)) << std::hex << low;
    }
}

TEST(DoubleToHalf, RoundsOnceFromTheDouble) {
    // Just above the midpoint between 1 and 1 + 2^-10. Through float this would
    // first become the midpoint exactly and then round down to even: wrong.
    const double x = 1 + 0x1p-11 + 0x1p-40;
    ASSERT_EQ(static_cast<double>(static_cast<float>(x)), 1 + 0x1p-11);
    EXPECT_EQ(double_to_half(x), std::uint16_t{0x3c01});
    EXPECT_EQ(double_to_half(1 + 0x1p-11), std::uint16_t{0x3c00});
    EXPECT_EQ(double_to_half(1 + 3 * 0x1p-11), std::uint16_t{0x3c02});
}

TEST(DoubleToHalf, MatchesCPythonOnSamples) {
    // struct.pack('>e', x).hex() from CPython.
    EXPECT_EQ(double_to_half(0.1), std::uint16_t{0x2e66});
    EXPECT_EQ(double_to_half(1.0 / 3), std::uint16_t{0x3555});
    EXPECT_EQ(double_to_half(2.7), std::uint16_t{0x4166});
    EXPECT_EQ(double_to_half(-2.7), std::uint16_t{0xc166});
    EXPECT_EQ(double_to_half(1e-05), std::uint16_t{0x00a8});
    EXPECT_EQ(double_to_half(6.1e-05), std::uint16_t{0x03ff});
    EXPECT_EQ(double_to_half(1000.5), std::uint16_t{0x63d1});
    EXPECT_EQ(double_to_half(2049.0), std::uint16_t{0x6800});
    EXPECT_EQ(double_to_half(2051.0), std::uint16_t{0x6802});
    EXPECT_EQ(double_to_half(4097.0), std::uint16_t{0x6c00});
    EXPECT_EQ(double_to_half(1e-10), std::uint16_t{0x0000});
    EXPECT_EQ(double_to_half(-1e-10), std::uint16_t{0x8000});
}

TEST(DoubleToHalf, Subnormals) {
    EXPECT_EQ(double_to_half(0x1p-24), std::uint16_t{0x0001});
    EXPECT_EQ(double_to_half(1023 * 0x1p-24), std::uint16_t{0x03ff});
    EXPECT_EQ(double_to_half(0x1p-14), std::uint16_t{0x0400});
    // Half of the smallest subnormal is a tie with zero, which is even.
    EXPECT_EQ(double_to_half(0x1p-25), std::uint16_t{0x0000});
    EXPECT_EQ(double_to_half(-0x1p-25), std::uint16_t{0x8000});
    EXPECT_EQ(double_to_half(std::nextafter(0x1p-25, 1.0)), std::uint16_t{0x0001});
    EXPECT_EQ(double_to_half(3 * 0x1p-26), std::uint16_t{0x0001});
    EXPECT_EQ(double_to_half(0x1p-26), std::uint16_t{0x0000});
    EXPECT_EQ(double_to_half(0x1p-60), std::uint16_t{0x0000});
    // Double subnormals are far below anything a half holds.
    EXPECT_EQ(double_to_half(std::numeric_limits<double>::denorm_min()), std::uint16_t{0x0000});
    EXPECT_EQ(double_to_half(-std::numeric_limits<double>::denorm_min()), std::uint16_t{0x8000});
}

TEST(DoubleToHalf, SignedZero) {
    EXPECT_EQ(double_to_half(0.0), std::uint16_t{0x0000});
    EXPECT_EQ(double_to_half(-0.0), std::uint16_t{0x8000});
}

// ---- Overflow, infinities and NaN ---------------------------------------------------------

TEST(DoubleToHalf, OverflowBoundary) {
    // 65520 is halfway between 65504 (the largest half) and 65536 (the next
    // power of two): the tie goes to the even side, which is infinity, so CPython
    // refuses it, while everything below it rounds down to 65504.
    EXPECT_EQ(double_to_half(65504.0), std::uint16_t{0x7bff});
    EXPECT_EQ(double_to_half(65519.99), std::uint16_t{0x7bff});
    EXPECT_EQ(double_to_half(std::nextafter(65520.0, 0.0)), std::uint16_t{0x7bff});
    EXPECT_EQ(double_to_half(-std::nextafter(65520.0, 0.0)), std::uint16_t{0xfbff});
    EXPECT_EQ(double_to_half(65520.0), std::nullopt);
    EXPECT_EQ(double_to_half(-65520.0), std::nullopt);
    EXPECT_EQ(double_to_half(65536.0), std::nullopt);
    EXPECT_EQ(double_to_half(1e300), std::nullopt);
    EXPECT_EQ(double_to_half(std::numeric_limits<double>::max()), std::nullopt);
    EXPECT_EQ(double_to_half(-std::numeric_limits<double>::max()), std::nullopt);
}

TEST(DoubleToHalf, InfinitiesKeepTheirSign) {
    EXPECT_EQ(double_to_half(inf), std::uint16_t{0x7c00});
    EXPECT_EQ(double_to_half(-inf), std::uint16_t{0xfc00});
}

TEST(DoubleToHalf, NansBecomeTheQuietNanWithTheirSign) {
    const double nan = std::numeric_limits<double>::quiet_NaN();
    EXPECT_EQ(double_to_half(nan), std::uint16_t{0x7e00});
    EXPECT_EQ(double_to_half(-nan), std::uint16_t{0xfe00});
    EXPECT_EQ(double_to_half(std::numeric_limits<double>::signaling_NaN()), std::uint16_t{0x7e00});
    EXPECT_EQ(double_to_half(std::bit_cast<double>(std::uint64_t{0x7ff0000000000001})), std::uint16_t{0x7e00});
    EXPECT_EQ(double_to_half(std::bit_cast<double>(std::uint64_t{0xfff8dead0000beef})), std::uint16_t{0xfe00});
}

}  // namespace
