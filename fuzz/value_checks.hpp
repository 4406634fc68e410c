#pragma once
// Checks shared by the struct fuzz targets (format_fuzz, unpack_fuzz): comparing unpacked
// values exactly, and requiring a call to fail with a given wirepack error code.

#include <wirepack/error.hpp>
#include <wirepack/runtime_struct.hpp>

#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <span>
#include <variant>

#include "fuzz_check.hpp"

namespace wirepack::fuzz {

/// Whether `a` and `b` hold the same alternative with the same contents; doubles compare
/// by their bits, so -0.0 differs from 0.0 and NaNs must match in sign and payload. With
/// `any_nan_payload`, two NaNs of one sign are the same whatever their payloads (a binary16
/// NaN widens to no particular double NaN).
///
///     same_value(value{-0.0}, value{0.0})  // false
[[nodiscard]] inline bool same_value(const value& a, const value& b, bool any_nan_payload = false) {
    if (a.index() != b.index()) return false;
    if (const auto* x = std::get_if<double>(&a)) {
        const double y = std::get<double>(b);
        if (any_nan_payload && std::isnan(*x) && std::isnan(y)) return std::signbit(*x) == std::signbit(y);
        return std::bit_cast<std::uint64_t>(*x) == std::bit_cast<std::uint64_t>(y);
    }
    return a == b;
}

/// Whether `a` and `b` have the same length and are `same_value` element by element.
///
///     WIREPACK_FUZZ_CHECK(same_values(s.unpack(s.pack(arguments)), expected));
[[nodiscard]] inline bool same_values(std::span<const value> a, std::span<const value> b,
                                      bool any_nan_payload = false) {
    if (a.size() != b.size()) return false;
    for (std::size_t k = 0; k < a.size(); ++k) {
        if (!same_value(a[k], b[k], any_nan_payload)) return false;
    }
    return true;
}

/// Runs `call` and aborts, as WIREPACK_FUZZ_CHECK does, unless it throws a wirepack::error
/// with code `expected` and a non-empty message. Any other exception escapes.
///
///     expect_error(errc::not_a_multiple, [&] { (void)s.iter_unpack(ragged); });
template <class Call>
void expect_error(errc expected, Call&& call) {
    try {
        call();
    } catch (const error& e) {
        WIREPACK_FUZZ_CHECK(e.code() == expected);
        WIREPACK_FUZZ_CHECK(e.what()[0] != '\0');
        return;
    }
    WIREPACK_FUZZ_CHECK(false);  // no exception
}

}  // namespace wirepack::fuzz
