#pragma once
/// \file
/// A string literal that can be a template argument, so that a struct format is
/// known to the compiler: `wirepack::pack<"<I2sf">(...)`.

#include <algorithm>
#include <cstddef>
#include <string_view>

namespace wirepack {

/// The characters of a string literal, held by value so that the literal can be a
/// non-type template argument.
///
///     template <wirepack::fixed_string Format> void f();
///     f<"!HI">();   // Format.view() == "!HI"
template <std::size_t N>
struct fixed_string {
    char chars[N]{};  // the literal including its terminating NUL

    constexpr fixed_string(const char (&literal)[N]) noexcept { std::copy_n(literal, N, chars); }

    /// The text without the terminating NUL. An embedded NUL is kept, so that the
    /// format parser can refuse it as Python does.
    [[nodiscard]] constexpr std::string_view view() const noexcept { return {chars, N - 1}; }
};

}  // namespace wirepack
