#pragma once
/// \file
/// IEEE 754 binary16 ("half", format character `e`), converted straight from and
/// to `double` with integer arithmetic, so it works in constant expressions.
///
/// Packing rounds half-to-even from the double itself (never through `float`,
/// which would round twice), as CPython's `PyFloat_Pack2` does.

#include <bit>
#include <cstdint>
#include <optional>

namespace wirepack::detail {

/// The binary16 bits nearest to `x` (ties to even), or nothing when a finite `x`
/// rounds beyond the largest half (65504): Python's "float too large to pack with e
/// format". Infinities keep their sign; every NaN becomes the quiet NaN 0x7e00
/// with the sign of `x`.
[[nodiscard]] constexpr std::optional<std::uint16_t> double_to_half(double x) noexcept {
    const auto bits = std::bit_cast<std::uint64_t>(x);
    const auto sign = static_cast<std::uint16_t>((bits >> 48) & 0x8000u);
    const auto biased_exponent = static_cast<int>((bits >> 52) & 0x7ffu);
    const std::uint64_t fraction = bits & ((std::uint64_t{1} << 52) - 1);

    if (biased_exponent == 0x7ff) return static_cast<std::uint16_t>(sign | (fraction == 0 ? 0x7c00u : 0x7e00u));
    if (biased_exponent == 0) return sign;  // zero, or a double subnormal far below the smallest half

    // x = significand * 2^(exponent - 52), with the implicit leading bit made explicit.
    const int exponent = biased_exponent - 1023;
    const std::uint64_t significand = fraction | (std::uint64_t{1} << 52);
    if (exponent >= 16) return std::nullopt;  // at least 65536: beyond any half

    // Count the result in units of the half's last place: 2^(exponent - 10) for a
    // normal half, 2^-24 for a subnormal one.
    const bool normal = exponent >= -14;
    const int shift = normal ? 42 : 28 - exponent;
    std::uint64_t units = 0;
    if (shift <= 53) {  // otherwise x is below half of the smallest subnormal and rounds to zero
        units = significand >> shift;
        const std::uint64_t remainder = significand & ((std::uint64_t{1} << shift) - 1);
        const std::uint64_t halfway = std::uint64_t{1} << (shift - 1);
        if (remainder > halfway || (remainder == halfway && (units & 1) != 0)) ++units;
    }
    // A normal half stores the leading 1 implicitly; adding the units to the
    // exponent field minus one lets a rounding carry (2048 units) bump the exponent.
    const std::uint64_t magnitude = normal ? (static_cast<std::uint64_t>(exponent + 14) << 10) + units : units;
    if (magnitude >= 0x7c00) return std::nullopt;
    return static_cast<std::uint16_t>(sign | magnitude);
}

/// The double equal to the binary16 value `half` (exact: every half is a double).
[[nodiscard]] constexpr double half_to_double(std::uint16_t half) noexcept {
    const std::uint64_t sign = std::uint64_t{half & 0x8000u} << 48;
    const unsigned exponent = (half >> 10) & 0x1fu;
    const std::uint64_t fraction = half & 0x3ffu;

    if (exponent == 0x1f) {
        const std::uint64_t payload = fraction == 0 ? 0 : (std::uint64_t{1} << 51) | (fraction << 42);
        return std::bit_cast<double>(sign | (std::uint64_t{0x7ff} << 52) | payload);
    }
    if (exponent == 0) {
        // Subnormal (or zero): fraction * 2^-24, exact in a double.
        const double magnitude = static_cast<double>(fraction) * std::bit_cast<double>(std::uint64_t{1023 - 24} << 52);
        return sign != 0 ? -magnitude : magnitude;
    }
    return std::bit_cast<double>(sign | (std::uint64_t{exponent - 15 + 1023} << 52) | (fraction << 42));
}

}  // namespace wirepack::detail
