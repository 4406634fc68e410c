// wirepack::bytes and wirepack::unpacked_values, the types the run-time Struct
// unpacks into: each keeps a small object inside itself and goes to the heap past
// that, and must behave like std::string and std::vector<value> on both sides of
// the line. The properties check that against those standard types as models.

#include <wirepack/value.hpp>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "counted_allocations.hpp"

namespace {

using wirepack::bytes;
using wirepack::unpacked_values;
using wirepack::value;

std::size_t allocations_of(auto&& call) { return wirepack::test::allocations_during(call).count; }

// ---- bytes --------------------------------------------------------------------------------------

TEST(Bytes, HoldsUpTo24BytesWithoutAllocating) {
    const std::string longest(bytes::inline_capacity, 'x');
    const std::string too_long(bytes::inline_capacity + 1, 'y');
    bool held = false;
    EXPECT_EQ(allocations_of([&] {
                  const bytes empty;
                  const bytes name = "sensor-7";
                  const bytes full = longest;
                  held = empty.empty() && name == "sensor-7" && full == longest;
              }),
              0u);
    EXPECT_TRUE(held);
    EXPECT_EQ(allocations_of([&] { held = bytes(too_long) == too_long; }), 1u);
    EXPECT_TRUE(held);
}

TEST(Bytes, ConvertsToAndFromStandardStrings) {
    const std::string text("a\0b", 3);  // bytes, not C strings: the NUL is kept
    const bytes b = text;
    EXPECT_EQ(b.size(), 3u);
    EXPECT_EQ(std::string_view(b), std::string_view(text));
    EXPECT_EQ(std::string(b), text);
    EXPECT_EQ(b[1], '\0');
    EXPECT_EQ(std::string(b.begin(), b.end()), text);
}

TEST(Bytes, CopiesAndMovesOnBothSidesOfTheInlineLimit) {
    for (const std::size_t size : {std::size_t{0}, std::size_t{5}, std::size_t{24}, std::size_t{25}, std::size_t{1000}}) {
        const std::string text(size, 'q');
        const bytes original = text;
        bytes copy = original;
        EXPECT_EQ(copy, text) << size;
        bytes moved = std::move(copy);
        EXPECT_EQ(moved, text) << size;
        EXPECT_TRUE(copy.empty()) << size;  // a moved-from bytes is empty
        bytes assigned = "other";
        assigned = original;
        EXPECT_EQ(assigned, text) << size;
        assigned = std::move(moved);
        EXPECT_EQ(assigned, text) << size;
        const bytes& same = assigned;
        assigned = same;  // self-assignment keeps the bytes
        EXPECT_EQ(assigned, text) << size;
    }
}

TEST(Bytes, AssignReusesCapacityAndAcceptsItsOwnBytes) {
    bytes b = std::string(100, 'a');
    const std::size_t capacity = b.capacity();
    EXPECT_EQ(allocations_of([&] { b.assign("short", 5); }), 0u);
    EXPECT_EQ(b, "short");
    EXPECT_EQ(b.capacity(), capacity);
    b.assign(b.data() + 1, 3);  // overlapping: a view of itself
    EXPECT_EQ(b, "hor");
    EXPECT_EQ(allocations_of([&] { b.assign(std::string(200, 'z').data(), 200); }), 2u);  // the temporary, then the growth
    EXPECT_EQ(b, std::string(200, 'z'));
}

TEST(Bytes, ComparesAndHashesByteByByte) {
    const bytes a = "abc", same = std::string("abc"), longer = "abcd", other = "abd";
    EXPECT_TRUE(a == same);
    EXPECT_FALSE(a == longer);
    EXPECT_TRUE(a == "abc");
    EXPECT_TRUE("abc" == a);
    EXPECT_TRUE(a == std::string_view("abc"));
    EXPECT_TRUE(a < longer && longer < other && a < other);
    EXPECT_TRUE(bytes("\xff") > bytes("\x01"));  // unsigned order, as Python's bytes
    EXPECT_EQ(std::hash<bytes>{}(a), std::hash<std::string_view>{}("abc"));
}

TEST(Bytes, IsAValueAlternativeMadeFromLiteralsAndStrings) {
    const value from_literal = "ab";
    const value from_string = std::string("ab");
    const value from_view = std::string_view("ab");
    ASSERT_TRUE(std::holds_alternative<bytes>(from_literal));
    EXPECT_EQ(from_literal, from_string);
    EXPECT_EQ(from_literal, from_view);
    EXPECT_NE(from_literal, value("ac"));
}

// ---- unpacked_values ----------------------------------------------------------------------------

TEST(UnpackedValues, HoldsUpTo8ValuesWithoutAllocating) {
    bool held = false;
    EXPECT_EQ(allocations_of([&] {
                  const unpacked_values eight(8);
                  const unpacked_values listed{std::uint64_t{1}, "ab", 2.5};
                  held = eight.size() == 8 && eight[7] == value(false) && listed[1] == value("ab");
              }),
              0u);
    EXPECT_TRUE(held);
    EXPECT_EQ(allocations_of([&] { held = unpacked_values(9).size() == 9; }), 1u);
    EXPECT_TRUE(held);
}

TEST(UnpackedValues, IsAContiguousRangeOfValues) {
    unpacked_values v{std::int64_t{-1}, true};
    const std::span<const value> view = v;
    EXPECT_EQ(view.size(), 2u);
    EXPECT_EQ(&view[1], &v[1]);
    std::vector<value> copied(v.begin(), v.end());
    EXPECT_EQ(unpacked_values(std::span<const value>(copied)), v);
    EXPECT_THROW((void)v.at(2), std::out_of_range);
}

TEST(UnpackedValues, MovedFromIsEmptyInlineOrNot) {
    for (const std::size_t count : {std::size_t{3}, std::size_t{20}}) {
        unpacked_values v(count);
        v[0] = "first";
        unpacked_values moved = std::move(v);
        EXPECT_TRUE(v.empty()) << count;
        ASSERT_EQ(moved.size(), count);
        EXPECT_EQ(moved[0], value("first"));
        v = std::move(moved);
        EXPECT_EQ(v.size(), count);
        EXPECT_TRUE(moved.empty());
    }
}

// Random operations on an unpacked_values and on a std::vector<value> beside it:
// after each, both hold the same values. Sizes cross the 8 inline values and the
// 24 inline bytes both ways.
RC_GTEST_PROP(UnpackedValuesProperties, BehavesLikeAVectorOfValues, ()) {
    const auto random_value = [] {
        switch (*rc::gen::inRange(0, 4)) {
        case 0: return value(*rc::gen::arbitrary<bool>());
        case 1: return value(*rc::gen::arbitrary<std::int64_t>());
        case 2: return value(*rc::gen::arbitrary<std::int32_t>() / 8.0);  // never NaN, which equals nothing
        default: return value(*rc::gen::container<std::string>(*rc::gen::inRange(0, 40), rc::gen::arbitrary<char>()));
        }
    };
    unpacked_values tested;
    std::vector<value> model;
    const int operations = *rc::gen::inRange(1, 30);
    for (int k = 0; k < operations; ++k) {
        switch (*rc::gen::inRange(0, 5)) {
        case 0: {
            const auto count = *rc::gen::inRange<std::size_t>(0, 20);
            tested.resize(count);
            model.resize(count, value(false));
            break;
        }
        case 1:
            if (!model.empty()) {
                const auto at = *rc::gen::inRange<std::size_t>(0, model.size());
                const value v = random_value();
                tested[at] = v;
                model[at] = v;
            }
            break;
        case 2: {
            unpacked_values copy = tested;
            tested = std::move(copy);
            break;
        }
        case 3: {
            const unpacked_values copy(tested);
            tested = copy;
            break;
        }
        default: {
            std::vector<value> fresh;
            const auto count = *rc::gen::inRange<std::size_t>(0, 12);
            for (std::size_t i = 0; i < count; ++i) fresh.push_back(random_value());
            tested = unpacked_values(std::span<const value>(fresh));
            model = fresh;
            break;
        }
        }
        RC_ASSERT(std::equal(tested.begin(), tested.end(), model.begin(), model.end()));
    }
}

}  // namespace
