#pragma once
/// \file
/// `wirepack::result<T>`: a value or an error code, for the paths that must not
/// throw (parsers fed untrusted bytes).

#include <optional>
#include <utility>

#include <wirepack/error.hpp>

namespace wirepack {

/// Either a `T` or the `errc` that explains why there is none.
///
///     auto r = wirepack::try_unpack<"!H">(bytes);
///     if (!r) return r.error();           // e.g. errc::buffer_size_mismatch
///     auto [port] = *r;
template <class T>
class [[nodiscard]] result {
public:
    constexpr result(T value) : value_(std::move(value)) {}
    constexpr result(errc failure) noexcept : error_(failure) {}

    [[nodiscard]] constexpr bool has_value() const noexcept { return value_.has_value(); }
    constexpr explicit operator bool() const noexcept { return has_value(); }

    /// The error code; `errc{}` when there is a value.
    [[nodiscard]] constexpr errc error() const noexcept { return error_; }

    /// The value. Requires: `has_value()`; otherwise throws `wirepack::error`.
    [[nodiscard]] constexpr T& value() & {
        throw_if_error();
        return *value_;
    }
    [[nodiscard]] constexpr const T& value() const& {
        throw_if_error();
        return *value_;
    }
    [[nodiscard]] constexpr T&& value() && {
        throw_if_error();
        return std::move(*value_);
    }

    /// Requires: `has_value()` (unchecked).
    [[nodiscard]] constexpr T& operator*() & noexcept { return *value_; }
    [[nodiscard]] constexpr const T& operator*() const& noexcept { return *value_; }
    [[nodiscard]] constexpr T&& operator*() && noexcept { return std::move(*value_); }
    [[nodiscard]] constexpr T* operator->() noexcept { return &*value_; }
    [[nodiscard]] constexpr const T* operator->() const noexcept { return &*value_; }

private:
    constexpr void throw_if_error() const {
        if (!value_) throw wirepack::error(error_);
    }

    std::optional<T> value_;
    errc error_{};
};

}  // namespace wirepack
