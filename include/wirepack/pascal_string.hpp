#pragma once
/// \file
/// `wirepack::pascal_string<Capacity>`: what the `p` format character unpacks to.

#include <algorithm>
#include <array>
#include <cstddef>
#include <string_view>

namespace wirepack {

/// Up to `Capacity` bytes held inline (no heap), as unpacked from a Pascal string
/// (`"10p"` unpacks to `pascal_string<9>`). It iterates as `char` and converts to
/// `std::string_view`, so it can be packed again.
///
///     auto [name] = wirepack::unpack<"8p">(bytes);
///     std::string_view text = name;   // at most 7 bytes
template <std::size_t Capacity>
class pascal_string {
public:
    constexpr pascal_string() noexcept = default;

    /// Keeps the first `Capacity` bytes of `text`.
    constexpr explicit pascal_string(std::string_view text) noexcept : size_(std::min(text.size(), Capacity)) {
        std::copy_n(text.data(), size_, chars_.data());
    }

    /// Keeps the first `Capacity` of `size` bytes at `bytes`.
    constexpr pascal_string(const std::byte* bytes, std::size_t size) noexcept : size_(std::min(size, Capacity)) {
        for (std::size_t i = 0; i < size_; ++i) chars_[i] = static_cast<char>(bytes[i]);
    }

    [[nodiscard]] constexpr const char* data() const noexcept { return chars_.data(); }
    /// Never more than `Capacity`; saying so with `min` also lets the optimiser
    /// know it, so copies out of a pascal_string are not flagged as overflowing.
    [[nodiscard]] constexpr std::size_t size() const noexcept { return std::min(size_, Capacity); }
    [[nodiscard]] constexpr bool empty() const noexcept { return size() == 0; }
    [[nodiscard]] static constexpr std::size_t capacity() noexcept { return Capacity; }
    [[nodiscard]] constexpr const char* begin() const noexcept { return chars_.data(); }
    [[nodiscard]] constexpr const char* end() const noexcept { return chars_.data() + size(); }

    [[nodiscard]] constexpr std::string_view view() const noexcept { return {chars_.data(), size()}; }
    constexpr operator std::string_view() const noexcept { return view(); }

    friend constexpr bool operator==(const pascal_string& a, const pascal_string& b) noexcept {
        return a.view() == b.view();
    }

private:
    // Never zero-sized, so that data() is never null (and copying from it is never
    // memcpy from a null pointer).
    std::array<char, Capacity == 0 ? 1 : Capacity> chars_{};
    std::size_t size_ = 0;
};

}  // namespace wirepack
