#pragma once
/// \file
/// The two formats the benchmarks measure, each packed and unpacked three ways:
/// through wirepack's compile-time API, through the Boost.Endian code a careful
/// engineer writes by hand, and through the run-time `wirepack::Struct`.
/// `struct_bench.cpp` times them; `callgrind_driver.cpp` counts their instructions.
///
/// Both compile-time variants take the same input types and return their result
/// by value: wirepack a `std::tuple` (its API), the hand-written code a plain struct
/// with the same members.

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string_view>
#include <tuple>

#include <boost/endian/conversion.hpp>

#include <wirepack/struct.hpp>

namespace bench {

inline constexpr wirepack::fixed_string small_format = "<I2sf";
inline constexpr wirepack::fixed_string header_format = "!HHIQdd16s";

inline constexpr std::size_t small_size = wirepack::calcsize<small_format>();    // 10
inline constexpr std::size_t header_size = wirepack::calcsize<header_format>();  // 48
static_assert(small_size == 10 && header_size == 48);

using small_bytes = std::array<std::byte, small_size>;
using header_bytes = std::array<std::byte, header_size>;

/// The values of `"<I2sf"` (the socket article's example: `(1, b'ab', 2.7)`).
struct small_values {
    std::uint32_t id;
    std::array<char, 2> tag;
    float value;
};

/// The values of `"!HHIQdd16s"`.
struct header_values {
    std::uint16_t kind;
    std::uint16_t flags;
    std::uint32_t length;
    std::uint64_t sequence;
    double x;
    double y;
    std::array<char, 16> name;
};

/// The same, with the name as a `std::string_view` of any length (`s` truncates or NUL-pads).
struct header_text_values {
    std::uint16_t kind;
    std::uint16_t flags;
    std::uint32_t length;
    std::uint64_t sequence;
    double x;
    double y;
    std::string_view name;
};

// ---- wirepack, compile-time format ------------------------------------------------------------

inline small_bytes wirepack_pack(const small_values& v) {
    return wirepack::pack<small_format>(v.id, v.tag, v.value);
}
inline wirepack::unpacked<small_format> wirepack_unpack(const small_bytes& b) {
    return wirepack::unpack<small_format>(std::span<const std::byte>(b));
}
inline void wirepack_unpack_into(const small_bytes& b, small_values& out) {
    const auto [id, tag, value] = wirepack::unpack<small_format>(std::span<const std::byte>(b));
    out = {id, tag, value};
}

inline header_bytes wirepack_pack(const header_values& v) {
    return wirepack::pack<header_format>(v.kind, v.flags, v.length, v.sequence, v.x, v.y, v.name);
}
inline wirepack::unpacked<header_format> wirepack_unpack(const header_bytes& b) {
    return wirepack::unpack<header_format>(std::span<const std::byte>(b));
}
inline void wirepack_unpack_into(const header_bytes& b, header_values& out) {
    const auto [kind, flags, length, sequence, x, y, name] =
        wirepack::unpack<header_format>(std::span<const std::byte>(b));
    out = {kind, flags, length, sequence, x, y, name};
}

inline header_bytes wirepack_pack(const header_text_values& v) {
    return wirepack::pack<header_format>(v.kind, v.flags, v.length, v.sequence, v.x, v.y, v.name);
}

// ---- Hand-written Boost.Endian ------------------------------------------------------------------

namespace hand {

using boost::endian::endian_load;
using boost::endian::endian_store;
using boost::endian::order;

inline unsigned char* bytes_of(std::byte* p) { return reinterpret_cast<unsigned char*>(p); }
inline const unsigned char* bytes_of(const std::byte* p) { return reinterpret_cast<const unsigned char*>(p); }

inline small_bytes pack(const small_values& v) {
    small_bytes out;
    unsigned char* p = bytes_of(out.data());
    endian_store<std::uint32_t, 4, order::little>(p + 0, v.id);
    std::memcpy(p + 4, v.tag.data(), 2);
    endian_store<float, 4, order::little>(p + 6, v.value);
    return out;
}

inline small_values unpack(const small_bytes& b) {
    const unsigned char* p = bytes_of(b.data());
    small_values v;
    v.id = endian_load<std::uint32_t, 4, order::little>(p + 0);
    std::memcpy(v.tag.data(), p + 4, 2);
    v.value = endian_load<float, 4, order::little>(p + 6);
    return v;
}

inline header_bytes pack(const header_values& v) {
    header_bytes out;
    unsigned char* p = bytes_of(out.data());
    endian_store<std::uint16_t, 2, order::big>(p + 0, v.kind);
    endian_store<std::uint16_t, 2, order::big>(p + 2, v.flags);
    endian_store<std::uint32_t, 4, order::big>(p + 4, v.length);
    endian_store<std::uint64_t, 8, order::big>(p + 8, v.sequence);
    endian_store<double, 8, order::big>(p + 16, v.x);
    endian_store<double, 8, order::big>(p + 24, v.y);
    std::memcpy(p + 32, v.name.data(), 16);
    return out;
}

inline header_bytes pack(const header_text_values& v) {
    header_bytes out;
    unsigned char* p = bytes_of(out.data());
    endian_store<std::uint16_t, 2, order::big>(p + 0, v.kind);
    endian_store<std::uint16_t, 2, order::big>(p + 2, v.flags);
    endian_store<std::uint32_t, 4, order::big>(p + 4, v.length);
    endian_store<std::uint64_t, 8, order::big>(p + 8, v.sequence);
    endian_store<double, 8, order::big>(p + 16, v.x);
    endian_store<double, 8, order::big>(p + 24, v.y);
    const std::size_t n = std::min<std::size_t>(v.name.size(), 16);
    std::memcpy(p + 32, v.name.data(), n);
    std::memset(p + 32 + n, 0, 16 - n);
    return out;
}

inline header_values unpack(const header_bytes& b) {
    const unsigned char* p = bytes_of(b.data());
    header_values v;
    v.kind = endian_load<std::uint16_t, 2, order::big>(p + 0);
    v.flags = endian_load<std::uint16_t, 2, order::big>(p + 2);
    v.length = endian_load<std::uint32_t, 4, order::big>(p + 4);
    v.sequence = endian_load<std::uint64_t, 8, order::big>(p + 8);
    v.x = endian_load<double, 8, order::big>(p + 16);
    v.y = endian_load<double, 8, order::big>(p + 24);
    std::memcpy(v.name.data(), p + 32, 16);
    return v;
}

inline void unpack_into(const small_bytes& b, small_values& out) {
    const unsigned char* p = bytes_of(b.data());
    out.id = endian_load<std::uint32_t, 4, order::little>(p + 0);
    std::memcpy(out.tag.data(), p + 4, 2);
    out.value = endian_load<float, 4, order::little>(p + 6);
}

inline void unpack_into(const header_bytes& b, header_values& out) {
    const unsigned char* p = bytes_of(b.data());
    out.kind = endian_load<std::uint16_t, 2, order::big>(p + 0);
    out.flags = endian_load<std::uint16_t, 2, order::big>(p + 2);
    out.length = endian_load<std::uint32_t, 4, order::big>(p + 4);
    out.sequence = endian_load<std::uint64_t, 8, order::big>(p + 8);
    out.x = endian_load<double, 8, order::big>(p + 16);
    out.y = endian_load<double, 8, order::big>(p + 24);
    std::memcpy(out.name.data(), p + 32, 16);
}

}  // namespace hand

/// Distinct, deterministic inputs, so that a benchmark loop can cycle through them.
inline small_values make_small(std::uint32_t k) {
    return {k + 1, {'a', static_cast<char>('b' + (k % 8))}, 2.7f + static_cast<float>(k)};
}
inline header_values make_header(std::uint32_t k) {
    header_values v{static_cast<std::uint16_t>(k + 1), 0x8001, 1000 + k, 0x0102030405060708ull + k,
                    3.5 * k, -1.25 + k, {}};
    const char name[] = "sensor-0042-east";
    std::memcpy(v.name.data(), name, 16);
    v.name[15] = static_cast<char>('a' + (k % 26));
    return v;
}
inline header_text_values make_header_text(std::uint32_t k) {
    static constexpr std::string_view names[] = {"east", "sensor-0042-east", "a-sensor-name-longer-than-16", ""};
    const header_values v = make_header(k);
    return {v.kind, v.flags, v.length, v.sequence, v.x, v.y, names[k % 4]};
}

}  // namespace bench
