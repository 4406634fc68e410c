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

    [[nodiscard]] constexpr const char* data() const noexcept { return chars_.data(); }
    [[nodiscard]] constexpr std::size_t size() const noexcept { return size_; }
    [[nodiscard]] constexpr bool empty() const noexcept { return size_ == 0; }
    [[nodiscard]] static constexpr std::size_t capacity() noexcept { return Capacity; }
    [[nodiscard]] constexpr const char* begin() const noexcept { return chars_.data(); }
    [[nodiscard]] constexpr const char* end() const noexcept { return chars_.data() + size_; }

    [[nodiscard]] constexpr std::string_view view() const noexcept { return {chars_.data(), size_}; }
    constexpr operator std::string_view() const noexcept { return view(); }

    friend constexpr bool operator==(const pascal_string& a, const pascal_string& b) noexcept {
        return a.view() == b.view();
    }

private:
    std::array<char, Capacity> chars_{};
    std::size_t size_ = 0;
};

}  // namespace wirepack
