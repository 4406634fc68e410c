#pragma once
/// \file
/// Loads and stores of fixed-size values in a chosen byte order, through
/// Boost.Endian. In a constant expression, where `endian_store` (built on
/// `memcpy`) is not allowed, the same bytes come from `std::bit_cast` and Boost's
/// `constexpr` `conditional_reverse`.

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <type_traits>

#include <boost/endian/conversion.hpp>

namespace wirepack::detail {

template <std::size_t Size>
struct unsigned_of_size;
template <> struct unsigned_of_size<1> { using type = std::uint8_t; };
template <> struct unsigned_of_size<2> { using type = std::uint16_t; };
template <> struct unsigned_of_size<4> { using type = std::uint32_t; };
template <> struct unsigned_of_size<8> { using type = std::uint64_t; };

/// Writes `value` as `sizeof(T)` bytes in `Order` at `out`.
/// Requires: `out` points to at least `sizeof(T)` writable bytes; T is an integer,
/// `float` or `double`.
template <boost::endian::order Order, class T>
constexpr void store(std::byte* out, const T& value) noexcept {
    static_assert(std::is_arithmetic_v<T>);
    if (std::is_constant_evaluated()) {
        using bits_type = typename unsigned_of_size<sizeof(T)>::type;
        const auto ordered = boost::endian::conditional_reverse<boost::endian::order::native, Order>(
            std::bit_cast<bits_type>(value));
        const auto bytes = std::bit_cast<std::array<std::byte, sizeof(T)>>(ordered);
        for (std::size_t i = 0; i < sizeof(T); ++i) out[i] = bytes[i];
    } else {
        boost::endian::endian_store<T, sizeof(T), Order>(reinterpret_cast<unsigned char*>(out), value);
    }
}

/// Reads a `T` stored as `sizeof(T)` bytes in `Order` at `in`.
/// Requires: `in` points to at least `sizeof(T)` readable bytes.
template <class T, boost::endian::order Order>
[[nodiscard]] constexpr T load(const std::byte* in) noexcept {
    static_assert(std::is_arithmetic_v<T>);
    if (std::is_constant_evaluated()) {
        using bits_type = typename unsigned_of_size<sizeof(T)>::type;
        std::array<std::byte, sizeof(T)> bytes{};
        for (std::size_t i = 0; i < sizeof(T); ++i) bytes[i] = in[i];
        return std::bit_cast<T>(boost::endian::conditional_reverse<Order, boost::endian::order::native>(
            std::bit_cast<bits_type>(bytes)));
    } else {
        return boost::endian::endian_load<T, sizeof(T), Order>(reinterpret_cast<const unsigned char*>(in));
    }
}

}  // namespace wirepack::detail
