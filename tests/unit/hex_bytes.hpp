#pragma once
// Lowercase hex for the golden bytes of the struct tests.

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace wirepack::test {

inline std::string to_hex(std::span<const std::byte> bytes) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    for (const std::byte b : bytes) {
        out += digits[std::to_integer<unsigned>(b) >> 4];
        out += digits[std::to_integer<unsigned>(b) & 0xf];
    }
    return out;
}

/// Requires: `hex` is lowercase hex digits, an even number of them.
inline std::vector<std::byte> from_hex(std::string_view hex) {
    auto nibble = [](char c) { return static_cast<unsigned>(c <= '9' ? c - '0' : c - 'a' + 10); };
    std::vector<std::byte> out;
    for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
        out.push_back(static_cast<std::byte>(nibble(hex[i]) << 4 | nibble(hex[i + 1])));
    }
    return out;
}

}  // namespace wirepack::test
