// The compile-time packers (wirepack/struct.hpp). Every golden byte string below
// was produced by CPython's struct module (`struct.pack(fmt, *values).hex()`) on
// x86-64 Linux; the error messages are current CPython's.

#include <wirepack/runtime_struct.hpp>
#include <wirepack/struct.hpp>

#include <array>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <vector>

#include <gtest/gtest.h>

#include "hex_bytes.hpp"

namespace {

using wirepack::errc;

constexpr bool native_is_x86_64_like =
    std::endian::native == std::endian::little && sizeof(long) == 8 && sizeof(void*) == 8;
constexpr bool native_is_little = std::endian::native == std::endian::little;

// ---- Helpers ------------------------------------------------------------------------------

using wirepack::test::from_hex;
using wirepack::test::to_hex;

/// The characters of a literal without its NUL, as `Ns` unpacks them.
template <std::size_t N>
constexpr std::array<char, N - 1> text(const char (&literal)[N]) {
    std::array<char, N - 1> out{};
    for (std::size_t i = 0; i + 1 < N; ++i) out[i] = literal[i];
    return out;
}

/// Runs `f`, which must throw `wirepack::error` with this code and exactly this message.
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

/// Packs `values` with `Format` and expects CPython's bytes, then expects
/// unpack, unpack_from and pack_into to agree.
template <wirepack::fixed_string Format>
void expect_golden(std::string_view expected, const wirepack::unpacked<Format>& values) {
    SCOPED_TRACE(std::string("format \"") + std::string(Format.view()) + "\"");
    const auto packed = wirepack::apply([](const auto&... v) { return wirepack::pack<Format>(v...); }, values);
    static_assert(std::tuple_size_v<decltype(packed)> == wirepack::calcsize<Format>());
    EXPECT_EQ(to_hex(packed), expected);
    EXPECT_EQ(wirepack::unpack<Format>(packed), values);

    // The same bytes in the middle of a larger buffer.
    std::vector<std::byte> buffer(packed.size() + 6, std::byte{0xaa});
    wirepack::apply([&](const auto&... v) { wirepack::pack_into<Format>(buffer, 3, v...); }, values);
    EXPECT_EQ(to_hex(std::span(buffer).subspan(3, packed.size())), expected);
    EXPECT_EQ(to_hex(std::span(buffer).first(3)), "aaaaaa");
    EXPECT_EQ(to_hex(std::span(buffer).last(3)), "aaaaaa");
    EXPECT_EQ(wirepack::unpack_from<Format>(buffer, 3), values);
}

/// Native goldens hold for x86-64 Linux; elsewhere only the round trip is checked.
template <wirepack::fixed_string Format>
void expect_native_golden(std::string_view expected, const wirepack::unpacked<Format>& values) {
    if constexpr (native_is_x86_64_like) {
        expect_golden<Format>(expected, values);
    } else {
        const auto packed = wirepack::apply([](const auto&... v) { return wirepack::pack<Format>(v...); }, values);
        EXPECT_EQ(wirepack::unpack<Format>(packed), values);
    }
}

/// '=' is native order with standard sizes: the '<' bytes on a little-endian machine.
template <wirepack::fixed_string Format>
void expect_native_order_golden(std::string_view little, std::string_view big,
                                const wirepack::unpacked<Format>& values) {
    expect_golden<Format>(native_is_little ? little : big, values);
}

// ---- Types --------------------------------------------------------------------------------

static_assert(std::is_same_v<wirepack::unpacked<"<I2sf">, wirepack::flat_tuple<std::uint32_t, std::array<char, 2>, float>>);
static_assert(std::is_same_v<wirepack::unpacked<"<bBhHiIqQ">,
                             wirepack::flat_tuple<std::int8_t, std::uint8_t, std::int16_t, std::uint16_t, std::int32_t,
                                        std::uint32_t, std::int64_t, std::uint64_t>>);
static_assert(std::is_same_v<wirepack::unpacked<"<lL">, wirepack::flat_tuple<std::int32_t, std::uint32_t>>);
static_assert(std::is_same_v<wirepack::unpacked<"=lL">, wirepack::flat_tuple<std::int32_t, std::uint32_t>>);
static_assert(std::is_same_v<wirepack::unpacked<"!lL">, wirepack::flat_tuple<std::int32_t, std::uint32_t>>);
static_assert(std::is_same_v<wirepack::unpacked<"@lL">, wirepack::flat_tuple<long, unsigned long>>);
static_assert(std::is_same_v<wirepack::unpacked<"lL">, wirepack::flat_tuple<long, unsigned long>>);
static_assert(std::is_same_v<wirepack::unpacked<"nNP">, wirepack::flat_tuple<std::ptrdiff_t, std::size_t, std::uintptr_t>>);
static_assert(std::is_same_v<wirepack::unpacked<"<?cefd">, wirepack::flat_tuple<bool, char, float, float, double>>);
static_assert(std::is_same_v<wirepack::unpacked<"<10s0s">, wirepack::flat_tuple<std::array<char, 10>, std::array<char, 0>>>);
static_assert(std::is_same_v<wirepack::unpacked<"<10p">, wirepack::flat_tuple<wirepack::pascal_string<9>>>);
static_assert(std::is_same_v<wirepack::unpacked<"<300p">, wirepack::flat_tuple<wirepack::pascal_string<255>>>);
static_assert(std::is_same_v<wirepack::unpacked<"<1p0p">,
                             wirepack::flat_tuple<wirepack::pascal_string<0>, wirepack::pascal_string<0>>>);
static_assert(std::is_same_v<wirepack::unpacked<"<3h">, wirepack::flat_tuple<std::int16_t, std::int16_t, std::int16_t>>);
static_assert(std::is_same_v<wirepack::unpacked<"<0i3x">, wirepack::flat_tuple<>>);
static_assert(std::is_same_v<wirepack::unpacked<"">, wirepack::flat_tuple<>>);
static_assert(std::is_same_v<decltype(wirepack::pack<"<I2sf">(1, "ab", 2.7)), std::array<std::byte, 10>>);

// ---- Compile time -------------------------------------------------------------------------

static_assert(wirepack::calcsize<"<I2sf">() == 10);
static_assert(wirepack::calcsize<"@bi">() == 8);
static_assert(wirepack::calcsize<"@ib">() == 5);
static_assert(wirepack::calcsize<"@c0i">() == 4);
static_assert(wirepack::pack<">H">(0x1234)[0] == std::byte{0x12});
static_assert(wirepack::pack<">H">(0x1234)[1] == std::byte{0x34});
static_assert(wirepack::pack<"<H">(0x1234)[0] == std::byte{0x34});
static_assert(wirepack::pack<"<I2sf">(1, "ab", 2.7)[4] == std::byte{'a'});
static_assert(wirepack::pack<"<I2sf">(1, "ab", 2.7)[9] == std::byte{0x40});
static_assert(wirepack::pack<">e">(1.5)[0] == std::byte{0x3e});
static_assert(wirepack::pack<"<5p">("abc")[0] == std::byte{3});
static_assert(wirepack::pack<"<bxh">(1, 2)[1] == std::byte{0});

constexpr bool constexpr_round_trips() {
    const auto a = wirepack::pack<"<hIq">(-2, 0xdeadbeefU, -81985529216486896LL);
    const auto [h, i, q] = wirepack::unpack<"<hIq">(a);
    const auto b = wirepack::pack<">?cdf">(true, 'z', -2.25, 0.5f);
    const auto [flag, c, d, f] = wirepack::unpack<">?cdf">(b);
    const auto e = wirepack::pack<"!e">(-2.7);
    const auto [half] = wirepack::unpack<"!e">(e);
    const auto s = wirepack::pack<"<3s4p">("wirepack", "ab");
    const auto [str, pas] = wirepack::unpack<"<3s4p">(s);
    std::array<std::byte, 8> buffer{};
    wirepack::pack_into<"!H">(buffer, -2, 0xbeef);
    const auto [tail] = wirepack::unpack_from<"!H">(buffer, 6);
    const auto tried = wirepack::try_unpack<"<H">(std::span(buffer).first(3));
    return h == -2 && i == 0xdeadbeefU && q == -81985529216486896LL && flag && c == 'z' && d == -2.25 &&
           f == 0.5f && half == -2.69921875f && str == std::array<char, 3>{'w', 'i', 'r'} && pas.view() == "ab" &&
           tail == 0xbeef && !tried && tried.error() == errc::buffer_size_mismatch;
}
static_assert(constexpr_round_trips());

// ---- Golden bytes per format character and byte order -------------------------------------

TEST(StructGolden, SignedByte) {
    expect_golden<"<b">("fe", {-2});
    expect_golden<">b">("7f", {127});
    expect_golden<"!b">("80", {-128});
    expect_native_order_golden<"=b">("fe", "fe", {-2});
    expect_native_golden<"@b">("80", {-128});
    expect_native_golden<"b">("7f", {127});
}

TEST(StructGolden, UnsignedByte) {
    expect_golden<"<B">("81", {0x81});
    expect_golden<">B">("ff", {255});
    expect_golden<"!B">("00", {0});
    expect_native_order_golden<"=B">("81", "81", {0x81});
    expect_native_golden<"@B">("ff", {255});
}

TEST(StructGolden, Bool) {
    expect_golden<"<?">("01", {true});
    expect_golden<">?">("00", {false});
    expect_golden<"!?">("01", {true});
    expect_native_order_golden<"=?">("00", "00", {false});
    expect_native_golden<"@?">("01", {true});
    expect_golden<"<3?">("010001", {true, false, true});
}

TEST(StructGolden, SignedShort) {
    expect_golden<"<h">("feff", {-2});
    expect_golden<">h">("fffe", {-2});
    expect_golden<"!h">("1234", {0x1234});
    expect_golden<"<h">("0080", {-32768});
    expect_golden<">h">("8000", {-32768});
    expect_native_order_golden<"=h">("3412", "1234", {0x1234});
    expect_native_golden<"@h">("feff", {-2});
    expect_golden<">4h">("0001ffff0002fffe", {1, -1, 2, -2});
}

TEST(StructGolden, UnsignedShort) {
    expect_golden<"<H">("efbe", {0xbeef});
    expect_golden<">H">("beef", {0xbeef});
    expect_golden<"!H">("ffff", {0xffff});
    expect_native_order_golden<"=H">("efbe", "beef", {0xbeef});
    expect_native_golden<"@H">("efbe", {0xbeef});
}

TEST(StructGolden, SignedInt) {
    expect_golden<"<i">("eb32a4f8", {-123456789});
    expect_golden<">i">("f8a432eb", {-123456789});
    expect_golden<"!i">("80000000", {std::numeric_limits<std::int32_t>::min()});
    expect_native_order_golden<"=i">("00000080", "80000000", {std::numeric_limits<std::int32_t>::min()});
    expect_native_golden<"@i">("eb32a4f8", {-123456789});
}

TEST(StructGolden, UnsignedInt) {
    expect_golden<"<I">("efbeadde", {0xdeadbeef});
    expect_golden<">I">("deadbeef", {0xdeadbeef});
    expect_golden<"!I">("deadbeef", {0xdeadbeef});
    expect_native_order_golden<"=I">("efbeadde", "deadbeef", {0xdeadbeef});
    expect_native_golden<"@I">("efbeadde", {0xdeadbeef});
}

TEST(StructGolden, SignedLong) {
    expect_golden<"<l">("feffffff", {-2});
    expect_golden<">l">("fffffffe", {-2});
    expect_golden<"!l">("12345678", {0x12345678});
    expect_native_order_golden<"=l">("78563412", "12345678", {0x12345678});
    expect_native_golden<"@l">("feffffffffffffff", {-2});
    expect_native_golden<"@l">("7856341200000000", {0x12345678});
}

TEST(StructGolden, UnsignedLong) {
    expect_golden<"<L">("efcdab89", {0x89abcdef});
    expect_golden<">L">("89abcdef", {0x89abcdef});
    expect_golden<"!L">("89abcdef", {0x89abcdef});
    expect_native_order_golden<"=L">("efcdab89", "89abcdef", {0x89abcdef});
    expect_native_golden<"@L">("efcdab8900000000", {0x89abcdef});
}

TEST(StructGolden, SignedLongLong) {
    expect_golden<"<q">("1032547698badcfe", {-81985529216486896});
    expect_golden<">q">("fedcba9876543210", {-81985529216486896});
    expect_golden<"!q">("8000000000000000", {std::numeric_limits<std::int64_t>::min()});
    expect_native_order_golden<"=q">("0000000000000080", "8000000000000000",
                                     {std::numeric_limits<std::int64_t>::min()});
    expect_native_golden<"@q">("1032547698badcfe", {-81985529216486896});
}

TEST(StructGolden, UnsignedLongLong) {
    expect_golden<"<Q">("efcdab8967452301", {0x0123456789abcdefULL});
    expect_golden<">Q">("0123456789abcdef", {0x0123456789abcdefULL});
    expect_golden<"!Q">("ffffffffffffffff", {std::numeric_limits<std::uint64_t>::max()});
    expect_native_order_golden<"=Q">("efcdab8967452301", "0123456789abcdef", {0x0123456789abcdefULL});
    expect_native_golden<"@Q">("ffffffffffffffff", {std::numeric_limits<std::uint64_t>::max()});
}

TEST(StructGolden, NativeOnlyIntegers) {
    expect_native_golden<"@n">("fbffffffffffffff", {-5});
    expect_native_golden<"@N">("0500000000000000", {5});
    expect_native_golden<"@P">("3412000000000000", {0x1234});
    expect_native_golden<"n">("fbffffffffffffff", {-5});
}

TEST(StructGolden, Half) {
    expect_golden<"<e">("003e", {1.5f});
    expect_golden<">e">("3e00", {1.5f});
    expect_golden<"!e">("c166", {-2.69921875f});
    expect_native_order_golden<"=e">("ff7b", "7bff", {65504.0f});
    expect_native_golden<"@e">("66c1", {-2.69921875f});
}

TEST(StructGolden, Float) {
    expect_golden<"<f">("cdcc2c40", {2.7f});
    expect_golden<">f">("402ccccd", {2.7f});
    expect_golden<"!f">("80000000", {-0.0f});
    expect_golden<"<f">("0000807f", {std::numeric_limits<float>::infinity()});
    expect_native_order_golden<"=f">("00000080", "80000000", {-0.0f});
    expect_native_golden<"@f">("cdcc2c40", {2.7f});
}

TEST(StructGolden, Double) {
    expect_golden<"<d">("9a99999999990540", {2.7});
    expect_golden<">d">("400599999999999a", {2.7});
    expect_golden<"!d">("7e37e43c8800759c", {1e300});
    expect_native_order_golden<"=d">("0000000000000080", "8000000000000000", {-0.0});
    expect_native_golden<"@d">("9c7500883ce4377e", {1e300});
}

TEST(StructGolden, Char) {
    expect_golden<"<c">("61", {'a'});
    expect_golden<">c">("ff", {'\xff'});
    expect_golden<"!c">("61", {'a'});
    expect_native_order_golden<"=c">("ff", "ff", {'\xff'});
    expect_native_golden<"@c">("61", {'a'});
}

TEST(StructGolden, String) {
    expect_golden<"<2s">("6162", {text("ab")});
    expect_golden<">4s">("61000000", {text("a\0\0\0")});
    expect_golden<"!0s">("", {std::array<char, 0>{}});
    expect_native_order_golden<"=3s">("000102", "000102", {text("\0\1\2")});
    expect_native_golden<"@2s">("6162", {text("ab")});
}

TEST(StructGolden, PascalString) {
    expect_golden<"<5p">("0361626300", {wirepack::pascal_string<4>("abc")});
    expect_golden<">4p">("03616263", {wirepack::pascal_string<3>("abc")});
    expect_golden<"!1p">("00", {wirepack::pascal_string<0>()});
    expect_golden<">10p">("0568656c6c6f00000000", {wirepack::pascal_string<9>("hello")});
    expect_native_order_golden<"=5p">("0361626300", "0361626300", {wirepack::pascal_string<4>("abc")});
    expect_native_golden<"@5p">("0361626300", {wirepack::pascal_string<4>("abc")});
}

TEST(StructGolden, PadBytes) {
    expect_golden<"<bxh">("01000200", {1, 2});
    expect_golden<">bxh">("01000002", {1, 2});
    expect_golden<"!3xb">("00000007", {7});
    expect_native_order_golden<"=bxh">("01000200", "01000002", {1, 2});
    expect_native_golden<"@3xb">("00000007", {7});
}

TEST(StructGolden, MixedFormats) {
    expect_golden<"<I2sf">("010000006162cdcc2c40", {1, text("ab"), 2.7f});
    expect_golden<"!HHIQdd16s">(
        "000100020000000300000000000000043ff8000000000000c00200000000000068656c6c6f0000000000000000000000",
        {1, 2, 3, 4, 1.5, -2.25, text("hello\0\0\0\0\0\0\0\0\0\0\0")});
    expect_golden<"<2sx5p?">("6f6b00047769726501", {text("ok"), wirepack::pascal_string<4>("wire"), true});
}

TEST(StructGolden, NativeAlignment) {
    expect_native_golden<"@bhiq">("01000200030000000400000000000000", {1, 2, 3, 4});
    expect_native_golden<"@ci">("6100000005000000", {'a', 5});
    expect_native_golden<"@c0i">("61000000", {'a'});
    expect_native_golden<"@?l">("0100000000000000ffffffffffffffff", {true, -1});
    expect_native_golden<"@hd">("0100000000000000000000000000e03f", {1, 0.5});
    expect_native_golden<"@lL">("fdffffffffffffffffffffffffffffff", {-3, std::numeric_limits<unsigned long>::max()});
    expect_native_golden<"@be">("0100003c", {1, 1.0f});
    expect_native_golden<"@bf">("010000000000803f", {1, 1.0f});
    expect_native_golden<"@c?">("7801", {'x', true});
}

TEST(StructGolden, ArticleExample) {
    // struct.pack('<I2sf', 1, b'ab', 2.7): a double argument rounded to float.
    const auto bytes = wirepack::pack<"<I2sf">(1, "ab", 2.7);
    EXPECT_EQ(to_hex(bytes), "010000006162cdcc2c40");
    const auto [i, s, f] = wirepack::unpack<"<I2sf">(std::span<const std::byte>(bytes));
    EXPECT_EQ(i, 1u);
    EXPECT_EQ(std::string_view(s.data(), s.size()), "ab");
    EXPECT_EQ(static_cast<double>(f), 2.700000047683716);
}

// ---- Strings: s -----------------------------------------------------------------------------

TEST(StructString, TruncatesLongData) {
    EXPECT_EQ(to_hex(wirepack::pack<"<2s">("abc")), "6162");
    EXPECT_EQ(to_hex(wirepack::pack<"<0s">("abc")), "");
    EXPECT_EQ(to_hex(wirepack::pack<"<3sb">("wirepack", -1)), "776972ff");
}

TEST(StructString, PadsShortDataWithNul) {
    EXPECT_EQ(to_hex(wirepack::pack<"<4s">("a")), "61000000");
    EXPECT_EQ(to_hex(wirepack::pack<"<3s">("")), "000000");
}

TEST(StructString, ZeroLengthUnpacksToOneEmptyValue) {
    const auto bytes = wirepack::pack<"<0sb0s">("ignored", 5, "");
    EXPECT_EQ(to_hex(bytes), "05");
    const auto [a, b, c] = wirepack::unpack<"<0sb0s">(bytes);
    EXPECT_EQ(a.size(), 0u);
    EXPECT_EQ(b, 5);
    EXPECT_EQ(c.size(), 0u);
}

TEST(StructString, KeepsEmbeddedNulsWhenUnpacking) {
    const auto bytes = from_hex("610062ff");
    const auto [s] = wirepack::unpack<"4s">(bytes);
    EXPECT_EQ(s, (std::array<char, 4>{'a', '\0', 'b', '\xff'}));
}

TEST(StructString, AcceptsManyByteContainers) {
    const std::string str = "abc";
    const std::string_view view = "abc";
    const std::vector<unsigned char> uchars{'a', 'b', 'c'};
    const std::array<std::byte, 3> bytes{std::byte{'a'}, std::byte{'b'}, std::byte{'c'}};
    const std::vector<char> with_nul{'a', '\0', 'c'};
    EXPECT_EQ(to_hex(wirepack::pack<"<4s">(str)), "61626300");
    EXPECT_EQ(to_hex(wirepack::pack<"<4s">(view)), "61626300");
    EXPECT_EQ(to_hex(wirepack::pack<"<4s">(uchars)), "61626300");
    EXPECT_EQ(to_hex(wirepack::pack<"<4s">(bytes)), "61626300");
    EXPECT_EQ(to_hex(wirepack::pack<"<4s">(std::span<const std::byte>(bytes))), "61626300");
    EXPECT_EQ(to_hex(wirepack::pack<"<4s">(with_nul)), "61006300");
    EXPECT_EQ(to_hex(wirepack::pack<"<4p">(uchars)), "03616263");
}

TEST(StructString, CharArrayIsReadWithinItsExtent) {
    // A string literal packs without its terminating NUL, as in the article's example.
    EXPECT_EQ(to_hex(wirepack::pack<"<3s">("ab")), "616200");
    // A char array with no NUL stops at its end. Read as a C string (strlen) it
    // would run on into `after` and pack "abcxy".
    struct {
        char text[3];
        char after[3];
    } adjacent{{'a', 'b', 'c'}, {'x', 'y', '\0'}};
    EXPECT_EQ(to_hex(wirepack::pack<"5s">(adjacent.text)), "6162630000");
    EXPECT_EQ(to_hex(wirepack::pack<"6p">(adjacent.text)), "036162630000");
}

TEST(StructString, UnpackedArrayPacksBackToTheSameBytes) {
    const auto original = from_hex("00ff10620063");
    const auto [s] = wirepack::unpack<"<6s">(original);
    const auto again = wirepack::pack<"<6s">(s);
    EXPECT_EQ(to_hex(again), "00ff10620063");
}

// ---- Strings: p -----------------------------------------------------------------------------

TEST(StructPascal, LengthByteIsTheCopiedLength) {
    EXPECT_EQ(to_hex(wirepack::pack<"<5p">("abc")), "0361626300");
    EXPECT_EQ(to_hex(wirepack::pack<"<4p">("abcdef")), "03616263");
    EXPECT_EQ(to_hex(wirepack::pack<"<1p">("abc")), "00");
    EXPECT_EQ(to_hex(wirepack::pack<"<2p">("")), "0000");
    EXPECT_EQ(to_hex(wirepack::pack<"<0pb">("abc", 1)), "01");
}

TEST(StructPascal, LengthByteStopsAt255) {
    // CPython copies 280 bytes into a 300-byte field, but its length byte says 255.
    const std::string data(280, 'y');
    const auto bytes = wirepack::pack<"300p">(data);
    ASSERT_EQ(bytes.size(), 300u);
    EXPECT_EQ(bytes[0], std::byte{0xff});
    for (std::size_t i = 1; i <= 280; ++i) ASSERT_EQ(bytes[i], std::byte{'y'}) << i;
    for (std::size_t i = 281; i < 300; ++i) ASSERT_EQ(bytes[i], std::byte{0}) << i;

    const auto [unpacked] = wirepack::unpack<"300p">(bytes);
    EXPECT_EQ(unpacked.size(), 255u);
    EXPECT_EQ(unpacked.view(), std::string(255, 'y'));
}

TEST(StructPascal, UnpackClampsALengthByteLargerThanTheField) {
    const auto bytes = from_hex("0961626364");
    const auto [s] = wirepack::unpack<"5p">(bytes);
    EXPECT_EQ(s.view(), "abcd");
    const auto [t] = wirepack::unpack<"5p">(from_hex("0261626364"));
    EXPECT_EQ(t.view(), "ab");
}

TEST(StructPascal, ZeroLengthUnpacksToEmpty) {
    // CPython 3.11 fails here; wirepack returns an empty string.
    const auto [a, b] = wirepack::unpack<"<0pB">(from_hex("07"));
    EXPECT_TRUE(a.empty());
    EXPECT_EQ(b, 7);
}

TEST(StructPascal, UnpackedValueIteratesAsCharAndPacksAgain) {
    const auto original = wirepack::pack<"<8p">("wire");
    const auto [s] = wirepack::unpack<"<8p">(original);
    std::string collected;
    for (const char c : s) collected += c;
    EXPECT_EQ(collected, "wire");
    static_assert(std::is_same_v<decltype(*s.begin()), const char&>);
    EXPECT_EQ(wirepack::pack<"<8p">(s), original);
    EXPECT_EQ(wirepack::pack<"<6s">(s), wirepack::pack<"<6s">("wire"));
}

// ---- ? ------------------------------------------------------------------------------------

TEST(StructBool, AnyTruthyValuePacksAsOne) {
    EXPECT_EQ(to_hex(wirepack::pack<"<?">(5)), "01");
    EXPECT_EQ(to_hex(wirepack::pack<"<?">(-1)), "01");
    EXPECT_EQ(to_hex(wirepack::pack<"<?">(0.5)), "01");
    EXPECT_EQ(to_hex(wirepack::pack<"<?">(256)), "01");
    EXPECT_EQ(to_hex(wirepack::pack<"<?">(0)), "00");
    EXPECT_EQ(to_hex(wirepack::pack<"<?">(0.0)), "00");
    EXPECT_EQ(to_hex(wirepack::pack<"@?">(true)), "01");
}

TEST(StructBool, AnyNonZeroByteUnpacksTrue) {
    for (unsigned b = 0; b < 256; ++b) {
        const std::array<std::byte, 1> byte{static_cast<std::byte>(b)};
        EXPECT_EQ(get<0>(wirepack::unpack<"<?">(byte)), b != 0) << b;
        EXPECT_EQ(get<0>(wirepack::unpack<"@?">(byte)), b != 0) << b;
    }
}

// ---- e ------------------------------------------------------------------------------------

TEST(StructHalf, RoundsHalfToEven) {
    EXPECT_EQ(to_hex(wirepack::pack<">e">(2049.0)), "6800");  // tie between 2048 and 2050: even
    EXPECT_EQ(to_hex(wirepack::pack<">e">(2051.0)), "6802");  // tie between 2050 and 2052: even
    EXPECT_EQ(to_hex(wirepack::pack<">e">(4097.0)), "6c00");
    EXPECT_EQ(to_hex(wirepack::pack<">e">(1000.5)), "63d1");
    EXPECT_EQ(to_hex(wirepack::pack<">e">(0.1)), "2e66");
    // Just above a tie: a double that float would have turned into the tie.
    EXPECT_EQ(to_hex(wirepack::pack<">e">(1 + 0x1p-11 + 0x1p-40)), "3c01");
}

TEST(StructHalf, OverflowIsRefused) {
    EXPECT_EQ(to_hex(wirepack::pack<">e">(65504.0)), "7bff");
    EXPECT_EQ(to_hex(wirepack::pack<">e">(65519.99)), "7bff");
    expect_error([] { (void)wirepack::pack<">e">(65520.0); }, errc::float_overflow,
                 "float too large to pack with e format");
    expect_error([] { (void)wirepack::pack<"<e">(-65520.0); }, errc::float_overflow,
                 "float too large to pack with e format");
    expect_error([] { (void)wirepack::pack<"@e">(1e300); }, errc::float_overflow,
                 "float too large to pack with e format");
}

TEST(StructHalf, IntegerOverflowIsWordedAsCPythonWordsIt) {
    // CPython turns an OverflowError raised while packing an int into
    // "int too large to convert".
    expect_error([] { (void)wirepack::pack<"=e">(70000); }, errc::float_overflow, "int too large to convert");
    expect_error([] { (void)wirepack::pack<"<e">(65520); }, errc::float_overflow, "int too large to convert");
    expect_error([] { (void)wirepack::pack<">e">(-65520LL); }, errc::float_overflow, "int too large to convert");
    EXPECT_EQ(to_hex(wirepack::pack<">e">(65519)), "7bff");
}

TEST(StructHalf, Subnormals) {
    EXPECT_EQ(to_hex(wirepack::pack<">e">(0x1p-24)), "0001");
    EXPECT_EQ(to_hex(wirepack::pack<">e">(0x1p-25)), "0000");
    EXPECT_EQ(to_hex(wirepack::pack<">e">(-0x1p-25)), "8000");
    EXPECT_EQ(to_hex(wirepack::pack<">e">(std::nextafter(0x1p-25, 1.0))), "0001");
    EXPECT_EQ(to_hex(wirepack::pack<">e">(6.1e-05)), "03ff");
    EXPECT_EQ(get<0>(wirepack::unpack<">e">(from_hex("0001"))), 0x1p-24f);
    EXPECT_EQ(get<0>(wirepack::unpack<">e">(from_hex("03ff"))), 1023 * 0x1p-24f);
}

TEST(StructHalf, InfinityAndNan) {
    const double inf = std::numeric_limits<double>::infinity();
    const double nan = std::numeric_limits<double>::quiet_NaN();
    EXPECT_EQ(to_hex(wirepack::pack<">e">(inf)), "7c00");
    EXPECT_EQ(to_hex(wirepack::pack<">e">(-inf)), "fc00");
    EXPECT_EQ(to_hex(wirepack::pack<">e">(nan)), "7e00");
    EXPECT_EQ(to_hex(wirepack::pack<">e">(-nan)), "fe00");
    EXPECT_EQ(to_hex(wirepack::pack<"<e">(nan)), "007e");
    EXPECT_TRUE(std::isnan(get<0>(wirepack::unpack<">e">(from_hex("7e00")))));
    EXPECT_TRUE(std::isnan(get<0>(wirepack::unpack<">e">(from_hex("7c01")))));
    EXPECT_EQ(get<0>(wirepack::unpack<">e">(from_hex("fc00"))), -std::numeric_limits<float>::infinity());
}

TEST(StructHalf, AcceptsEveryArithmeticType) {
    EXPECT_EQ(to_hex(wirepack::pack<">e">(1.5f)), "3e00");
    EXPECT_EQ(to_hex(wirepack::pack<">e">(2)), "4000");
    EXPECT_EQ(to_hex(wirepack::pack<">e">(std::uint8_t{1})), "3c00");
    EXPECT_EQ(to_hex(wirepack::pack<">e">(1.5L)), "3e00");
}

// ---- f ------------------------------------------------------------------------------------

TEST(StructFloat, OverflowIsRefusedInEveryByteOrder) {
    const std::string_view message = "float too large to pack with f format";
    expect_error([] { (void)wirepack::pack<"<f">(3.5e38); }, errc::float_overflow, message);
    expect_error([] { (void)wirepack::pack<">f">(3.5e38); }, errc::float_overflow, message);
    expect_error([] { (void)wirepack::pack<"!f">(-3.5e38); }, errc::float_overflow, message);
    expect_error([] { (void)wirepack::pack<"=f">(3.5e38); }, errc::float_overflow, message);
    expect_error([] { (void)wirepack::pack<"@f">(3.5e38); }, errc::float_overflow, message);
    expect_error([] { (void)wirepack::pack<"f">(1e300); }, errc::float_overflow, message);
    expect_error([] { (void)wirepack::pack<"<f">(std::numeric_limits<double>::max()); }, errc::float_overflow,
                 message);
}

TEST(StructFloat, BoundaryOfOverflow) {
    // Halfway between FLT_MAX and 2^128 ties to 2^128, which is infinity.
    const double tie = 0x1.ffffffp+127;
    expect_error([&] { (void)wirepack::pack<"<f">(tie); }, errc::float_overflow,
                 "float too large to pack with f format");
    EXPECT_EQ(to_hex(wirepack::pack<"<f">(std::nextafter(tie, 0.0))), "ffff7f7f");
    EXPECT_EQ(to_hex(wirepack::pack<"<f">(3.4028234663852886e+38)), "ffff7f7f");
    EXPECT_EQ(to_hex(wirepack::pack<"<f">(std::numeric_limits<float>::max())), "ffff7f7f");
}

TEST(StructFloat, InfinityAndNanAreNotOverflow) {
    const double inf = std::numeric_limits<double>::infinity();
    EXPECT_EQ(to_hex(wirepack::pack<"<f">(inf)), "0000807f");
    EXPECT_EQ(to_hex(wirepack::pack<">f">(-inf)), "ff800000");
    const auto nan = wirepack::pack<"<f">(std::numeric_limits<double>::quiet_NaN());
    EXPECT_TRUE(std::isnan(get<0>(wirepack::unpack<"<f">(nan))));
}

TEST(StructFloat, RoundsLikeACast) {
    for (const double x : {2.7, 0.1, -1e-30, 1e-45, 123456789.0, 3.4e38}) {
        const auto bytes = wirepack::pack<"<f">(x);
        EXPECT_EQ(get<0>(wirepack::unpack<"<f">(bytes)), static_cast<float>(x)) << x;
    }
}

TEST(StructFloat, IntegersAreAccepted) {
    EXPECT_EQ(to_hex(wirepack::pack<">f">(1)), "3f800000");
    EXPECT_EQ(to_hex(wirepack::pack<">d">(-2)), "c000000000000000");
    EXPECT_EQ(to_hex(wirepack::pack<">d">(std::numeric_limits<std::uint64_t>::max())), "43f0000000000000");
}

TEST(StructDouble, LongDoubleTooLargeForDoubleIsRefused) {
    try {
        (void)wirepack::pack<"<d">(std::numeric_limits<long double>::max());
        if constexpr (sizeof(long double) > sizeof(double)) ADD_FAILURE() << "no exception";
    } catch (const wirepack::error& e) {
        EXPECT_EQ(e.code(), wirepack::make_error_code(errc::float_overflow));
    }
}

// ---- Integer ranges -----------------------------------------------------------------------

TEST(StructRange, ByteFormats) {
    expect_error([] { (void)wirepack::pack<"B">(256); }, errc::integer_out_of_range,
                 "'B' format requires 0 <= number <= 255");
    expect_error([] { (void)wirepack::pack<"<B">(-1); }, errc::integer_out_of_range,
                 "'B' format requires 0 <= number <= 255");
    expect_error([] { (void)wirepack::pack<"b">(128); }, errc::integer_out_of_range,
                 "'b' format requires -128 <= number <= 127");
    expect_error([] { (void)wirepack::pack<">b">(-129); }, errc::integer_out_of_range,
                 "'b' format requires -128 <= number <= 127");
    EXPECT_EQ(to_hex(wirepack::pack<"B">(255)), "ff");
    EXPECT_EQ(to_hex(wirepack::pack<"b">(-128)), "80");
}

TEST(StructRange, ShortFormats) {
    expect_error([] { (void)wirepack::pack<"<h">(40000); }, errc::integer_out_of_range,
                 "'h' format requires -32768 <= number <= 32767");
    expect_error([] { (void)wirepack::pack<"@h">(-32769); }, errc::integer_out_of_range,
                 "'h' format requires -32768 <= number <= 32767");
    expect_error([] { (void)wirepack::pack<">H">(65536); }, errc::integer_out_of_range,
                 "'H' format requires 0 <= number <= 65535");
    expect_error([] { (void)wirepack::pack<"=H">(-1); }, errc::integer_out_of_range,
                 "'H' format requires 0 <= number <= 65535");
}

TEST(StructRange, IntFormats) {
    expect_error([] { (void)wirepack::pack<"<i">(std::int64_t{1} << 31); }, errc::integer_out_of_range,
                 "'i' format requires -2147483648 <= number <= 2147483647");
    expect_error([] { (void)wirepack::pack<"i">(-(std::int64_t{1} << 31) - 1); }, errc::integer_out_of_range,
                 "'i' format requires -2147483648 <= number <= 2147483647");
    expect_error([] { (void)wirepack::pack<"!I">(std::int64_t{1} << 32); }, errc::integer_out_of_range,
                 "'I' format requires 0 <= number <= 4294967295");
    expect_error([] { (void)wirepack::pack<"I">(-1); }, errc::integer_out_of_range,
                 "'I' format requires 0 <= number <= 4294967295");
}

TEST(StructRange, LongFormatsStandardAndNative) {
    expect_error([] { (void)wirepack::pack<"<l">(std::int64_t{1} << 31); }, errc::integer_out_of_range,
                 "'l' format requires -2147483648 <= number <= 2147483647");
    expect_error([] { (void)wirepack::pack<">L">(std::int64_t{1} << 32); }, errc::integer_out_of_range,
                 "'L' format requires 0 <= number <= 4294967295");
    expect_error([] { (void)wirepack::pack<"=L">(-1); }, errc::integer_out_of_range,
                 "'L' format requires 0 <= number <= 4294967295");
    if constexpr (sizeof(long) == 8) {
        EXPECT_NO_THROW((void)wirepack::pack<"@l">(std::int64_t{1} << 31));
        expect_error([] { (void)wirepack::pack<"@l">(std::uint64_t{1} << 63); }, errc::integer_out_of_range,
                     "'l' format requires -9223372036854775808 <= number <= 9223372036854775807");
        expect_error([] { (void)wirepack::pack<"@L">(-1); }, errc::integer_out_of_range,
                     "'L' format requires 0 <= number <= 18446744073709551615");
    }
}

TEST(StructRange, LongLongFormats) {
    expect_error([] { (void)wirepack::pack<"<q">(std::uint64_t{1} << 63); }, errc::integer_out_of_range,
                 "'q' format requires -9223372036854775808 <= number <= 9223372036854775807");
    expect_error([] { (void)wirepack::pack<"<Q">(-1); }, errc::integer_out_of_range,
                 "'Q' format requires 0 <= number <= 18446744073709551615");
    expect_error([] { (void)wirepack::pack<"Q">(std::numeric_limits<std::int64_t>::min()); },
                 errc::integer_out_of_range, "'Q' format requires 0 <= number <= 18446744073709551615");
}

TEST(StructRange, NativeSizeFormats) {
    if constexpr (sizeof(std::size_t) == 8) {
        expect_error([] { (void)wirepack::pack<"n">(std::uint64_t{1} << 63); }, errc::integer_out_of_range,
                     "'n' format requires -9223372036854775808 <= number <= 9223372036854775807");
        expect_error([] { (void)wirepack::pack<"N">(-1); }, errc::integer_out_of_range,
                     "'N' format requires 0 <= number <= 18446744073709551615");
    }
}

TEST(StructRange, TheErrorNamesTheFailingValueOnly) {
    // The first value fits; the second does not.
    expect_error([] { (void)wirepack::pack<"<BH">(1, 70000); }, errc::integer_out_of_range,
                 "'H' format requires 0 <= number <= 65535");
}

TEST(StructRange, TypesThatAlwaysFitNeverThrow) {
    EXPECT_EQ(to_hex(wirepack::pack<"B">(std::uint8_t{255})), "ff");
    EXPECT_EQ(to_hex(wirepack::pack<"<h">(std::int8_t{-128})), "80ff");
    EXPECT_EQ(to_hex(wirepack::pack<"<q">(std::numeric_limits<std::int32_t>::min())), "00000080ffffffff");
    EXPECT_EQ(to_hex(wirepack::pack<"<Q">(std::numeric_limits<std::uint64_t>::max())), "ffffffffffffffff");
    EXPECT_EQ(to_hex(wirepack::pack<"<I">(std::uint16_t{0xffff})), "ffff0000");
}

TEST(StructRange, BoolIsAnInteger) {
    EXPECT_EQ(to_hex(wirepack::pack<"<BQ">(true, false)), "010000000000000000");
}

// ---- Enum and char arguments --------------------------------------------------------------

enum class colour : std::uint8_t { red = 1, blue = 200 };
enum class wide : std::int32_t { small = -5, large = 300 };
enum plain { plain_one = 1, plain_big = 70000 };

TEST(StructArguments, EnumsPackAsTheirValue) {
    EXPECT_EQ(to_hex(wirepack::pack<"<BB">(colour::red, colour::blue)), "01c8");
    EXPECT_EQ(to_hex(wirepack::pack<"<h">(wide::small)), "fbff");
    EXPECT_EQ(to_hex(wirepack::pack<">I">(plain_one)), "00000001");
    expect_error([] { (void)wirepack::pack<"<B">(wide::large); }, errc::integer_out_of_range,
                 "'B' format requires 0 <= number <= 255");
    expect_error([] { (void)wirepack::pack<"<H">(plain_big); }, errc::integer_out_of_range,
                 "'H' format requires 0 <= number <= 65535");
}

TEST(StructArguments, CharFormatTakesOneByteTypes) {
    EXPECT_EQ(to_hex(wirepack::pack<"c">('a')), "61");
    EXPECT_EQ(to_hex(wirepack::pack<"c">(static_cast<unsigned char>(0xfe))), "fe");
    EXPECT_EQ(to_hex(wirepack::pack<"c">(static_cast<signed char>(-1))), "ff");
    EXPECT_EQ(to_hex(wirepack::pack<"c">(std::byte{0x7f})), "7f");
    EXPECT_EQ(to_hex(wirepack::pack<"c">(u8'z')), "7a");
    EXPECT_EQ(to_hex(wirepack::pack<"3c">('x', 'y', 'z')), "78797a");
    const auto [c] = wirepack::unpack<"c">(from_hex("ff"));
    EXPECT_EQ(c, '\xff');
}

TEST(StructArguments, SignedAndUnsignedCharAreIntegers) {
    EXPECT_EQ(to_hex(wirepack::pack<"b">(static_cast<signed char>(-2))), "fe");
    EXPECT_EQ(to_hex(wirepack::pack<"<h">(static_cast<signed char>('A'))), "4100");
    EXPECT_EQ(to_hex(wirepack::pack<"B">(static_cast<unsigned char>(200))), "c8");
    expect_error([] { (void)wirepack::pack<"b">(static_cast<unsigned char>(200)); }, errc::integer_out_of_range,
                 "'b' format requires -128 <= number <= 127");
}

TEST(StructArguments, CharacterTypesAreIntegersForIntegerFormats) {
    EXPECT_EQ(to_hex(wirepack::pack<"b">('a')), "61");
    EXPECT_EQ(to_hex(wirepack::pack<"<h">('A')), "4100");
    EXPECT_EQ(to_hex(wirepack::pack<"<H">(u'\u20ac')), "ac20");
    EXPECT_EQ(to_hex(wirepack::pack<"<I">(U'\U0001f600')), "00f60100");
    EXPECT_EQ(to_hex(wirepack::pack<"B">(u8'z')), "7a");
    EXPECT_EQ(to_hex(wirepack::pack<"<i">(L'w')), "77000000");
    if constexpr (std::is_signed_v<char>) {
        expect_error([] { (void)wirepack::pack<"B">('\xff'); }, errc::integer_out_of_range,
                     "'B' format requires 0 <= number <= 255");
    }
}

TEST(StructArguments, PointerFormat) {
    int target = 0;
    int* const pointer = &target;
    const auto bytes = wirepack::pack<"P">(pointer);
    const auto [address] = wirepack::unpack<"P">(bytes);
    EXPECT_EQ(address, reinterpret_cast<std::uintptr_t>(&target));
    EXPECT_EQ(wirepack::pack<"P">(&target), bytes);  // once crashed clang 14 (detail::address_of)
    const auto [null] = wirepack::unpack<"P">(wirepack::pack<"P">(static_cast<void*>(nullptr)));
    EXPECT_EQ(null, 0u);
    EXPECT_EQ(get<0>(wirepack::unpack<"P">(wirepack::pack<"P">(std::uintptr_t{0xabcdef}))), 0xabcdefu);
}

TEST(StructArguments, UnpackedTupleRepacks) {
    const auto original = wirepack::pack<"<bh3sc5p?e">(-3, 1234, "xyz", 'q', "pas", true, 0.5);
    const auto values = wirepack::unpack<"<bh3sc5p?e">(original);
    const auto again = wirepack::apply([](const auto&... v) { return wirepack::pack<"<bh3sc5p?e">(v...); }, values);
    EXPECT_EQ(again, original);
}

// ---- Pad bytes and alignment are zeroed -----------------------------------------------------

TEST(StructPadding, PackIntoZeroesPadAndAlignmentBytes) {
    std::array<std::byte, 12> buffer{};
    buffer.fill(std::byte{0xee});
    wirepack::pack_into<"<bxh">(buffer, 0, 1, 2);
    EXPECT_EQ(to_hex(buffer), "01000200eeeeeeeeeeeeeeee");
    if constexpr (native_is_x86_64_like) {
        buffer.fill(std::byte{0xee});
        wirepack::pack_into<"@bi">(buffer, 2, 1, 2);
        EXPECT_EQ(to_hex(buffer), "eeee0100000002000000eeee");
        buffer.fill(std::byte{0xee});
        wirepack::pack_into<"@c0i">(buffer, 0, 'a');
        EXPECT_EQ(to_hex(buffer), "61000000eeeeeeeeeeeeeeee");
    }
}

TEST(StructPadding, UnpackIgnoresPadBytes) {
    const auto [a, b] = wirepack::unpack<"<bxh">(from_hex("01ff0200"));
    EXPECT_EQ(a, 1);
    EXPECT_EQ(b, 2);
}

// ---- unpack and try_unpack sizes ----------------------------------------------------------

TEST(StructUnpack, WrongSizeThrows) {
    const std::array<std::byte, 5> five{};
    expect_error([&] { (void)wirepack::unpack<"<I">(std::span(five).first(3)); }, errc::buffer_size_mismatch,
                 "unpack requires a buffer of 4 bytes");
    expect_error([&] { (void)wirepack::unpack<"<I">(five); }, errc::buffer_size_mismatch,
                 "unpack requires a buffer of 4 bytes");
    expect_error([&] { (void)wirepack::unpack<"<I2sf">(five); }, errc::buffer_size_mismatch,
                 "unpack requires a buffer of 10 bytes");
    expect_error([&] { (void)wirepack::unpack<"">(five); }, errc::buffer_size_mismatch,
                 "unpack requires a buffer of 0 bytes");
    EXPECT_EQ(wirepack::unpack<"">(std::span(five).first(0)), wirepack::flat_tuple<>());
}

TEST(StructTryUnpack, ReportsSizeMismatch) {
    const auto bytes = from_hex("3412cdab");
    static_assert(noexcept(wirepack::try_unpack<"<H">(std::span<const std::byte>())));
    const auto ok = wirepack::try_unpack<"<HH">(bytes);
    ASSERT_TRUE(ok);
    EXPECT_EQ(ok.error(), errc{});
    EXPECT_EQ(get<0>(*ok), 0x1234);
    EXPECT_EQ(get<1>(ok.value()), 0xabcd);

    const auto small = wirepack::try_unpack<"<HHH">(bytes);
    EXPECT_FALSE(small);
    EXPECT_EQ(small.error(), errc::buffer_size_mismatch);
    const auto large = wirepack::try_unpack<"<H">(bytes);
    EXPECT_FALSE(large.has_value());
    EXPECT_EQ(large.error(), errc::buffer_size_mismatch);
    EXPECT_THROW((void)large.value(), wirepack::error);
}

TEST(StructTryUnpackFrom, ReportsEveryWindowError) {
    const std::vector<std::byte> buffer = from_hex("00010203040506070809");
    static_assert(noexcept(wirepack::try_unpack_from<"<H">(std::span<const std::byte>(), 0)));

    const auto ok = wirepack::try_unpack_from<">H">(buffer, 8);
    ASSERT_TRUE(ok);
    EXPECT_EQ(get<0>(*ok), 0x0809);
    const auto negative = wirepack::try_unpack_from<">H">(buffer, -10);
    ASSERT_TRUE(negative);
    EXPECT_EQ(get<0>(*negative), 0x0001);
    const auto start = wirepack::try_unpack_from<">H">(buffer);
    ASSERT_TRUE(start);
    EXPECT_EQ(get<0>(*start), 0x0001);

    EXPECT_EQ(wirepack::try_unpack_from<">H">(buffer, 9).error(), errc::buffer_too_small);
    EXPECT_EQ(wirepack::try_unpack_from<">H">(buffer, 100).error(), errc::buffer_too_small);
    EXPECT_EQ(wirepack::try_unpack_from<">I">(buffer, -3).error(), errc::buffer_too_small);
    EXPECT_EQ(wirepack::try_unpack_from<">H">(buffer, -11).error(), errc::offset_out_of_range);
    EXPECT_EQ(wirepack::try_unpack_from<">H">(std::span<const std::byte>(), 0).error(), errc::buffer_too_small);
}

// ---- pack_into ----------------------------------------------------------------------------

TEST(StructPackInto, PositiveAndNegativeOffsets) {
    std::array<std::byte, 8> buffer{};
    wirepack::pack_into<"!H">(buffer, 2, 0x1234);
    EXPECT_EQ(to_hex(buffer), "0000123400000000");
    wirepack::pack_into<"!H">(buffer, -2, 0x5678);
    EXPECT_EQ(to_hex(buffer), "0000123400005678");
    wirepack::pack_into<"<I">(buffer, -8, 0xaabbccdd);
    EXPECT_EQ(to_hex(buffer), "ddccbbaa00005678");
    wirepack::pack_into<"<Q">(buffer, 0, 1);
    EXPECT_EQ(to_hex(buffer), "0100000000000000");
    wirepack::pack_into<"">(buffer, 8);  // an empty struct fits at the very end
    wirepack::pack_into<"">(buffer, -8);
}

TEST(StructPackInto, CPythonMessages) {
    std::array<std::byte, 10> buffer{};
    expect_error([&] { wirepack::pack_into<"<6s">(buffer, 6, "abcdef"); }, errc::buffer_too_small,
                 "pack_into requires a buffer of at least 12 bytes for packing 6 bytes at offset 6 "
                 "(actual buffer size is 10)");
    expect_error([&] { wirepack::pack_into<"<6s">(buffer, -3, "abcdef"); }, errc::buffer_too_small,
                 "no space to pack 6 bytes at offset -3");
    expect_error([&] { wirepack::pack_into<"<6s">(buffer, -11, "abcdef"); }, errc::offset_out_of_range,
                 "offset -11 out of range for 10-byte buffer");
    expect_error([&] { wirepack::pack_into<"<B">(buffer, 10, 1); }, errc::buffer_too_small,
                 "pack_into requires a buffer of at least 11 bytes for packing 1 bytes at offset 10 "
                 "(actual buffer size is 10)");
    expect_error([&] { wirepack::pack_into<"">(buffer, 11); }, errc::buffer_too_small,
                 "pack_into requires a buffer of at least 11 bytes for packing 0 bytes at offset 11 "
                 "(actual buffer size is 10)");
    expect_error([&] { wirepack::pack_into<"">(buffer, -11); }, errc::offset_out_of_range,
                 "offset -11 out of range for 10-byte buffer");
    EXPECT_EQ(to_hex(buffer), "00000000000000000000");  // nothing was written
}

TEST(StructPackInto, ExtremeOffsets) {
    std::array<std::byte, 10> buffer{};
    constexpr auto largest = std::numeric_limits<std::ptrdiff_t>::max();
    constexpr auto smallest = std::numeric_limits<std::ptrdiff_t>::min();
    expect_error([&] { wirepack::pack_into<"<I">(buffer, largest, 1); }, errc::buffer_too_small,
                 "pack_into requires a buffer of at least 9223372036854775811 bytes for packing 4 bytes at offset "
                 "9223372036854775807 (actual buffer size is 10)");
    expect_error([&] { wirepack::pack_into<"<I">(buffer, smallest, 1); }, errc::offset_out_of_range,
                 "offset -9223372036854775808 out of range for 10-byte buffer");
    expect_error([&] { (void)wirepack::unpack_from<"<I">(buffer, largest); }, errc::buffer_too_small,
                 "unpack_from requires a buffer of at least 9223372036854775811 bytes for unpacking 4 bytes at "
                 "offset 9223372036854775807 (actual buffer size is 10)");
    EXPECT_EQ(wirepack::try_unpack_from<"<I">(buffer, smallest).error(), errc::offset_out_of_range);
}

TEST(StructPackInto, NoSpaceIsCheckedBeforeOutOfRange) {
    std::array<std::byte, 4> buffer{};
    // Both conditions hold; CPython reports the first.
    expect_error([&] { wirepack::pack_into<"<Q">(buffer, -5, 1); }, errc::buffer_too_small,
                 "no space to pack 8 bytes at offset -5");
}

TEST(StructPackInto, WindowIsCheckedBeforeValues) {
    std::array<std::byte, 2> buffer{};
    // The struct does not fit: that is what CPython reports, not the range.
    expect_error([&] { wirepack::pack_into<"<I">(buffer, 0, -1); }, errc::buffer_too_small,
                 "pack_into requires a buffer of at least 4 bytes for packing 4 bytes at offset 0 "
                 "(actual buffer size is 2)");
}

// ---- unpack_from --------------------------------------------------------------------------

TEST(StructUnpackFrom, PositiveAndNegativeOffsets) {
    const auto buffer = from_hex("00010203040506070809");
    EXPECT_EQ(get<0>(wirepack::unpack_from<"!H">(buffer)), 0x0001);
    EXPECT_EQ(get<0>(wirepack::unpack_from<"!H">(buffer, 4)), 0x0405);
    EXPECT_EQ(get<0>(wirepack::unpack_from<"!H">(buffer, -2)), 0x0809);
    EXPECT_EQ(get<0>(wirepack::unpack_from<"<I">(buffer, -10)), 0x03020100u);
    EXPECT_EQ(wirepack::unpack_from<"">(buffer, 10), wirepack::flat_tuple<>());
}

TEST(StructUnpackFrom, CPythonMessages) {
    const std::vector<std::byte> buffer(10);
    expect_error([&] { (void)wirepack::unpack_from<"<I">(buffer, -3); }, errc::buffer_too_small,
                 "not enough data to unpack 4 bytes at offset -3");
    expect_error([&] { (void)wirepack::unpack_from<"<I">(buffer, -11); }, errc::offset_out_of_range,
                 "offset -11 out of range for 10-byte buffer");
    expect_error([&] { (void)wirepack::unpack_from<"<I">(buffer, 8); }, errc::buffer_too_small,
                 "unpack_from requires a buffer of at least 12 bytes for unpacking 4 bytes at offset 8 "
                 "(actual buffer size is 10)");
    expect_error([&] { (void)wirepack::unpack_from<"<I">(buffer, 11); }, errc::buffer_too_small,
                 "unpack_from requires a buffer of at least 15 bytes for unpacking 4 bytes at offset 11 "
                 "(actual buffer size is 10)");
    expect_error([&] { (void)wirepack::unpack_from<"<6s">(std::span(buffer).first(5)); }, errc::buffer_too_small,
                 "unpack_from requires a buffer of at least 6 bytes for unpacking 6 bytes at offset 0 "
                 "(actual buffer size is 5)");
}

// ---- iter_unpack --------------------------------------------------------------------------

TEST(StructIterUnpack, YieldsEveryStructInOrder) {
    const auto bytes = from_hex("0100ffff2c01d4feff7f0080");  // (1,-1) (300,-300) (32767,-32768)
    const auto view = wirepack::iter_unpack<"<hh">(bytes);
    EXPECT_EQ(view.size(), 3u);
    EXPECT_FALSE(view.empty());
    std::vector<std::pair<int, int>> seen;
    for (const auto [x, y] : view) seen.emplace_back(x, y);
    const std::vector<std::pair<int, int>> expected{{1, -1}, {300, -300}, {32767, -32768}};
    EXPECT_EQ(seen, expected);
    static_assert(std::ranges::forward_range<decltype(view)>);
}

TEST(StructIterUnpack, EmptyBufferYieldsNothing) {
    const auto view = wirepack::iter_unpack<"<I">(std::span<const std::byte>());
    EXPECT_TRUE(view.empty());
    EXPECT_EQ(view.size(), 0u);
    EXPECT_EQ(view.begin(), view.end());
}

TEST(StructIterUnpack, SizeMustBeAMultiple) {
    const std::vector<std::byte> five(5);
    expect_error([&] { (void)wirepack::iter_unpack<"<I">(five); }, errc::not_a_multiple,
                 "iterative unpacking requires a buffer of a multiple of 4 bytes");
    expect_error([&] { (void)wirepack::iter_unpack<"<hhh">(five); }, errc::not_a_multiple,
                 "iterative unpacking requires a buffer of a multiple of 6 bytes");
    EXPECT_EQ(wirepack::iter_unpack<"<5s">(five).size(), 1u);
}

}  // namespace

// ---- A refused value in pack_into ---------------------------------------------------------

TEST(StructPackInto, RefusedValueKeepsEarlierValuesAndZeroesTheRest) {
    // CPython zeroes the struct, then packs value by value: what was packed before
    // the refused value stays, the rest of the struct is zero, bytes after it are untouched.
    std::array<std::byte, 6> buffer{};
    buffer.fill(std::byte{0xff});
    expect_error([&] { wirepack::pack_into<"<hBh">(buffer, 0, 1, 256, 3); }, errc::integer_out_of_range,
                 "'B' format requires 0 <= number <= 255");
    EXPECT_EQ(to_hex(buffer), "0100000000ff");

    std::vector<std::byte> runtime_buffer(6, std::byte{0xff});
    EXPECT_THROW(wirepack::Struct("<hBh").pack_into(runtime_buffer, 0, {1, 256, 3}), wirepack::error);
    EXPECT_EQ(to_hex(runtime_buffer), to_hex(buffer));
}

TEST(StructString, CharArrayKeepsEmbeddedNulButNotTheTerminator) {
    EXPECT_EQ(to_hex(wirepack::pack<"4s">("a\0b")), "61006200");  // b"a\0b" in Python
    const char no_terminator[3] = {'x', 'y', 'z'};
    EXPECT_EQ(to_hex(wirepack::pack<"3s">(no_terminator)), "78797a");
}
