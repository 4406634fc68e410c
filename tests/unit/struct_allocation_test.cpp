// What the run-time wirepack::Struct allocates: `pack` and `unpack` return
// containers that keep a small struct inside themselves (wirepack/value.hpp), so a
// struct of up to 64 bytes packs, and one of up to 8 values unpacks (but for bytes
// longer than 24), with no call to operator new; past that they go to the heap and
// still hold every byte.
// Counted by replacing the global operator new in this test program (counted_allocations.hpp).

#include <wirepack/runtime_struct.hpp>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "counted_allocations.hpp"
#include "hex_bytes.hpp"

namespace {

using wirepack::Struct;
using wirepack::value;
using wirepack::test::from_hex;
using wirepack::test::to_hex;

/// Bytes copied out of a `packed_bytes` inside a counted call, where the copy
/// must not allocate (and moving the `packed_bytes` out makes g++ 12 warn falsely).
struct copied_bytes {
    std::array<std::byte, 128> bytes{};
    std::size_t size = 0;

    void copy(const wirepack::packed_bytes& from) {
        ASSERT_LE(from.size(), bytes.size());
        std::copy(from.begin(), from.end(), bytes.begin());
        size = from.size();
    }
    [[nodiscard]] std::span<const std::byte> view() const { return std::span(bytes).first(size); }
};

/// How many times `call` reached operator new.
template <class F>
std::size_t allocations_of(F&& call) {
    return wirepack::test::allocations_during(std::forward<F>(call)).count;
}

/// `"!HHIQdd16s?"` packed: 1, 2, 3, 4, 1.5, -2.25, b'sensor-0042-east', True.
std::vector<std::byte> header_message() {
    return from_hex(
        "00010002000000030000000000000004"
        "3ff8000000000000c002000000000000"
        "73656e736f722d303034322d6561737401");
}

TEST(StructAllocation, PackingUpTo64BytesAllocatesNothing) {
    const Struct header("!HHIQdd16s");  // 48 bytes
    const wirepack::unpacked_values fields{std::uint64_t{1}, std::uint64_t{2}, std::uint64_t{3}, std::uint64_t{4},
                                  1.5, -2.25, std::string("sensor-0042-east")};
    const Struct widest("64s");
    const wirepack::unpacked_values text{std::string(64, 'x')};
    copied_bytes packed;
    EXPECT_EQ(allocations_of([&] {
                  packed.copy(header.pack(fields));
                  (void)widest.pack(text);
              }),
              0u);
    EXPECT_EQ(to_hex(packed.view()),
              "00010002000000030000000000000004"
              "3ff8000000000000c002000000000000"
              "73656e736f722d303034322d65617374");
}

TEST(StructAllocation, PackingMoreThan64BytesAllocatesOnceAndKeepsEveryByte) {
    const Struct wide("<65sH");
    const wirepack::unpacked_values fields{std::string(65, 'a'), std::uint64_t{0xbeef}};
    copied_bytes packed;
    EXPECT_EQ(allocations_of([&] { packed.copy(wide.pack(fields)); }), 1u);
    std::string expected;
    for (int k = 0; k < 65; ++k) expected += "61";
    EXPECT_EQ(to_hex(packed.view()), expected + "efbe");
}

TEST(StructAllocation, UnpackingUpTo8ValuesAllocatesOnlyForBytesLongerThan24) {
    const Struct small("<I2sf");
    const auto small_bytes = from_hex("010000006162cdcc2c40");
    wirepack::unpacked_values unpacked;
    EXPECT_EQ(allocations_of([&] { unpacked = small.unpack(small_bytes); }), 0u);
    ASSERT_EQ(unpacked.size(), 3u);
    EXPECT_EQ(unpacked[0], value(std::uint64_t{1}));
    EXPECT_EQ(unpacked[1], value("ab"));
    EXPECT_EQ(unpacked[2], value(static_cast<double>(2.7f)));

    // Eight values, one of them 16 bytes long: held inline too.
    const Struct header("!HHIQdd16s?");
    const auto header_bytes = header_message();
    EXPECT_EQ(allocations_of([&] { unpacked = header.unpack(header_bytes); }), 0u);
    ASSERT_EQ(unpacked.size(), 8u);
    EXPECT_EQ(unpacked[6], value("sensor-0042-east"));
    EXPECT_EQ(unpacked[7], value(true));

    // 24 bytes is the most a wirepack::bytes holds inline: a `25s` field takes one
    // allocation, a `25p` (at most 24 bytes) none.
    static_assert(wirepack::bytes::inline_capacity == 24);
    const Struct longest_inline("24s"), too_long("25s25p");
    const std::vector<std::byte> zeros(50);
    EXPECT_EQ(allocations_of([&] { unpacked = longest_inline.unpack(std::span(zeros).first(24)); }), 0u);
    EXPECT_EQ(unpacked[0], value(std::string(24, '\0')));
    std::vector<std::byte> two_long(50, std::byte{'z'});
    two_long[25] = std::byte{24};  // the `p` field's length byte
    EXPECT_EQ(allocations_of([&] { unpacked = too_long.unpack(two_long); }), 1u);
    ASSERT_EQ(unpacked.size(), 2u);
    EXPECT_EQ(unpacked[0], value(std::string(25, 'z')));
    EXPECT_EQ(unpacked[1], value(std::string(24, 'z')));
}

TEST(StructAllocation, UnpackingMoreThan8ValuesAllocatesOnceAndKeepsEveryValue) {
    const Struct nine("9B");
    const auto bytes = from_hex("010203040506070809");
    wirepack::unpacked_values unpacked;
    EXPECT_EQ(allocations_of([&] { unpacked = nine.unpack(bytes); }), 1u);
    ASSERT_EQ(unpacked.size(), 9u);
    for (std::size_t k = 0; k < 9; ++k) EXPECT_EQ(unpacked[k], value(std::uint64_t{k + 1})) << k;
}

TEST(StructAllocation, UnpackIntoReusesValuesAndStrings) {
    const Struct header("!HHIQdd16s?");
    const auto first = header_message();
    auto second = first;
    second[47] = std::byte{'w'};
    wirepack::unpacked_values unpacked;
    header.unpack_into(first, unpacked);
    EXPECT_EQ(allocations_of([&] { header.unpack_into(second, unpacked); }), 0u);
    EXPECT_EQ(unpacked[6], value(std::string("sensor-0042-easw")));
}

/// Runs `call` with its first allocation failing, then its second, and so on until
/// it runs through. Each failing run must throw std::bad_alloc and free everything
/// it allocated (the sanitizer build checks for leaks too).
template <class F>
void expect_clean_failures(F&& call) {
    for (std::size_t failing = 1; failing < 100; ++failing) {
        bool failed = false;
        wirepack::test::allocation_record seen;
        try {
            seen = wirepack::test::allocations_during(
                [&] {
                    try {
                        call();
                    } catch (const std::bad_alloc&) {
                        failed = true;
                    }
                },
                failing);
        } catch (...) {
            ADD_FAILURE() << "not std::bad_alloc, allocation " << failing;
            return;
        }
        EXPECT_EQ(seen.freed, failed ? seen.count - 1 : seen.count) << "allocation " << failing;
        if (!failed) return;
    }
    ADD_FAILURE() << "still failing after 100 allocations";
}

TEST(StructAllocation, AFailedAllocationLeavesNothingBehind) {
    const Struct long_bytes("<30s?25p");  // values that need allocations: false values filled in
    std::vector<std::byte> message(56, std::byte{'m'});
    message[31] = std::byte{24};  // the `p` field's length
    expect_clean_failures([&] { (void)long_bytes.unpack(message); });
    expect_clean_failures([&] {
        wirepack::unpacked_values reused{1.5, std::string(3, 'a')};  // another count and shorter bytes
        long_bytes.unpack_into(message, reused);
    });

    const wirepack::unpacked_values many{std::string(30, 'a'), std::string(40, 'b'), true, 1.0, std::string(50, 'c'),
                                         std::uint64_t{1}, std::int64_t{2}, std::string(60, 'd'), std::string(70, 'e')};
    expect_clean_failures([&] { const wirepack::unpacked_values copy = many; });
    expect_clean_failures([&] {
        wirepack::unpacked_values grown = many;
        grown.resize(20);
        grown = many;
    });
    expect_clean_failures([&] {
        wirepack::bytes b = "short";
        b.assign(std::string(100, 'z').data(), 100);
    });
}

}  // namespace
