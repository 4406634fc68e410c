// wirepack::flat_tuple, the tuple the compile-time unpack returns: the tuple
// protocol (structured bindings, get, tuple_size, tuple_element), apply,
// comparison with itself and with std::tuple, and to_tuple.

#include <wirepack/flat_tuple.hpp>

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>

#include <gtest/gtest.h>

namespace {

using wirepack::flat_tuple;

using three = flat_tuple<std::uint16_t, std::array<char, 2>, std::uint16_t>;
static_assert(std::tuple_size_v<three> == 3);
static_assert(std::tuple_size_v<const three> == 3);
static_assert(std::is_same_v<std::tuple_element_t<1, three>, std::array<char, 2>>);
static_assert(std::is_same_v<std::tuple_element_t<2, const three>, const std::uint16_t>);
static_assert(std::tuple_size_v<flat_tuple<>> == 0);
static_assert(std::is_trivially_copyable_v<three>);

// Everything works in constant expressions, as unpack does.
constexpr three sample{7, {'a', 'b'}, 9};
static_assert(get<0>(sample) == 7 && get<1>(sample)[1] == 'b' && get<2>(sample) == 9);
static_assert(wirepack::apply([](auto a, auto, auto c) { return a + c; }, sample) == 16);
static_assert(sample == three{7, {'a', 'b'}, 9} && sample != three{7, {'a', 'b'}, 8});
static_assert(sample == std::tuple(7, std::array<char, 2>{'a', 'b'}, 9));
static_assert(sample < three{7, {'a', 'c'}, 0} && three{6, {'z', 'z'}, 9} < sample);  // element by element
static_assert(std::is_same_v<decltype(wirepack::flat_tuple{1, 2.5}), wirepack::flat_tuple<int, double>>);

TEST(FlatTuple, StructuredBindingsSeeEachElementInOrder) {
    three t{1, {'x', 'y'}, 2};
    auto& [first, text, last] = t;
    EXPECT_EQ(first, 1);
    EXPECT_EQ(text[0], 'x');
    EXPECT_EQ(last, 2);
    last = 5;  // a reference into t
    EXPECT_EQ(get<2>(t), 5);

    const auto [a, b, c] = three{3, {'p', 'q'}, 4};  // from a prvalue, as unpack returns
    EXPECT_EQ(a + c, 7);
    EXPECT_EQ(b[1], 'q');

    auto&& [x, y, z] = three{5, {'r', 's'}, 6};  // a temporary kept alive
    EXPECT_EQ(x + z, 11);
    EXPECT_EQ(y[0], 'r');
}

TEST(FlatTuple, GetKeepsTheValueCategory) {
    flat_tuple<std::unique_ptr<int>, std::string> t{std::make_unique<int>(4), "text"};
    static_assert(std::is_same_v<decltype(get<0>(t)), std::unique_ptr<int>&>);
    static_assert(std::is_same_v<decltype(get<0>(std::as_const(t))), const std::unique_ptr<int>&>);
    static_assert(std::is_same_v<decltype(get<0>(std::move(t))), std::unique_ptr<int>&&>);
    static_assert(std::is_same_v<decltype(get<0>(std::move(std::as_const(t)))), const std::unique_ptr<int>&&>);
    std::unique_ptr<int> taken = wirepack::get<0>(std::move(t));
    EXPECT_EQ(*taken, 4);
    EXPECT_EQ(get<0>(t), nullptr);
    EXPECT_EQ(get<1>(t), "text");
}

TEST(FlatTuple, ApplyAndToTupleMoveFromAnRvalue) {
    using owning = flat_tuple<std::unique_ptr<int>, std::string>;
    const auto sum = wirepack::apply([](std::unique_ptr<int> p, std::string s) { return *p + static_cast<int>(s.size()); },
                                     owning{std::make_unique<int>(3), "four"});
    EXPECT_EQ(sum, 7);
    const std::tuple<std::unique_ptr<int>, std::string> standard = owning{std::make_unique<int>(8), "x"}.to_tuple();
    EXPECT_EQ(*std::get<0>(standard), 8);
}

TEST(FlatTuple, ApplyPassesTheElementsAsArguments) {
    const three t{10, {'h', 'i'}, 20};
    const std::string joined = wirepack::apply(
        [](std::uint16_t a, const std::array<char, 2>& text, std::uint16_t b) {
            return std::to_string(a) + std::string(text.begin(), text.end()) + std::to_string(b);
        },
        t);
    EXPECT_EQ(joined, "10hi20");
    EXPECT_EQ(wirepack::apply([](auto... none) { return sizeof...(none); }, flat_tuple<>{}), 0u);
}

TEST(FlatTuple, ConvertsToAndComparesWithStdTuple) {
    const three t{1, {'a', 'b'}, 2};
    const std::tuple<std::uint16_t, std::array<char, 2>, std::uint16_t> standard = t.to_tuple();
    EXPECT_EQ(standard, std::make_tuple(std::uint16_t{1}, std::array<char, 2>{'a', 'b'}, std::uint16_t{2}));
    EXPECT_TRUE(t == standard);
    EXPECT_TRUE(standard == t);  // either side
    EXPECT_FALSE(t == std::tuple(1, std::array<char, 2>{'a', 'c'}, 2));
}

TEST(FlatTuple, EqualElementTypesAtDifferentIndexesStayApart) {
    flat_tuple<int, int, int> t{1, 2, 3};
    get<1>(t) = 20;
    EXPECT_EQ(t, (flat_tuple<int, int, int>{1, 20, 3}));
}

}  // namespace
