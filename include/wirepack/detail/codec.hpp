#pragma once
/// \file
/// How one value becomes bytes and back, shared by the compile-time packers and
/// the run-time `Struct`: integer range checks, float and half rounding, strings,
/// and CPython's wording for every error.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <type_traits>
#include <utility>

#include <boost/endian/conversion.hpp>

#include <wirepack/error.hpp>
#include <wirepack/format.hpp>
#include <wirepack/detail/endian.hpp>
#include <wirepack/detail/half.hpp>

namespace wirepack::detail {

[[nodiscard]] constexpr boost::endian::order endian_of(byte_order order) noexcept {
    switch (order) {
    case byte_order::little: return boost::endian::order::little;
    case byte_order::big:
    case byte_order::network: return boost::endian::order::big;
    case byte_order::native:
    case byte_order::native_standard: break;
    }
    return boost::endian::order::native;
}


/// The C++ type an integer format character reads and writes.
template <char Code, bool Native>
struct integer_for_code;
template <bool N> struct integer_for_code<'b', N> { using type = std::int8_t; };
template <bool N> struct integer_for_code<'B', N> { using type = std::uint8_t; };
template <bool N> struct integer_for_code<'h', N> { using type = std::int16_t; };
template <bool N> struct integer_for_code<'H', N> { using type = std::uint16_t; };
template <bool N> struct integer_for_code<'i', N> { using type = std::int32_t; };
template <bool N> struct integer_for_code<'I', N> { using type = std::uint32_t; };
template <bool N> struct integer_for_code<'l', N> { using type = std::conditional_t<N, long, std::int32_t>; };
template <bool N> struct integer_for_code<'L', N> { using type = std::conditional_t<N, unsigned long, std::uint32_t>; };
template <bool N> struct integer_for_code<'q', N> { using type = std::int64_t; };
template <bool N> struct integer_for_code<'Q', N> { using type = std::uint64_t; };
template <bool N> struct integer_for_code<'n', N> { using type = std::ptrdiff_t; };
template <bool N> struct integer_for_code<'N', N> { using type = std::size_t; };
template <bool N> struct integer_for_code<'P', N> { using type = std::uintptr_t; };
template <char Code, bool Native>
using integer_for_code_t = typename integer_for_code<Code, Native>::type;

// ---- CPython's messages --------------------------------------------------------------------

/// "'B' format requires 0 <= number <= 255"
template <class Wire>
[[noreturn]] void throw_integer_out_of_range(char code) {
    std::string message = "'";
    message += code;
    message += "' format requires ";
    message += std::to_string(std::numeric_limits<Wire>::min());
    message += " <= number <= ";
    message += std::to_string(std::numeric_limits<Wire>::max());
    throw error(errc::integer_out_of_range, message);
}

/// "float too large to pack with f format"; CPython words it "int too large to
/// convert" when the value was an integer.
[[noreturn]] inline void throw_float_overflow(char code, bool from_integer = false) {
    if (from_integer) throw error(errc::float_overflow, "int too large to convert");
    throw error(errc::float_overflow, std::string("float too large to pack with ") + code + " format");
}

/// "unpack requires a buffer of 4 bytes"
[[noreturn]] inline void throw_unpack_size(std::size_t struct_size) {
    throw error(errc::buffer_size_mismatch, "unpack requires a buffer of " + std::to_string(struct_size) + " bytes");
}

/// "pack expected 2 items for packing (got 1)", or "pack_into expected ..."
[[noreturn]] inline void throw_value_count(std::size_t expected, std::size_t given, const char* operation = "pack") {
    throw error(errc::wrong_value_count, std::string(operation) + " expected " + std::to_string(expected) +
                                             " items for packing (got " + std::to_string(given) + ")");
}

/// "iterative unpacking requires a buffer of a multiple of 6 bytes", or the
/// zero-size error.
[[noreturn]] inline void throw_iter_unpack_size(std::size_t struct_size) {
    if (struct_size == 0) throw error(errc::zero_size_struct);
    throw error(errc::not_a_multiple,
                "iterative unpacking requires a buffer of a multiple of " + std::to_string(struct_size) + " bytes");
}

// ---- Where a struct goes in a caller's buffer (pack_into, unpack_from) ------------------

enum class direction { packing, unpacking };

/// Where `struct_size` bytes go in a buffer of `buffer_size` bytes at `offset`
/// (negative: from the end), or why they do not fit.
struct window {
    errc error{};
    std::size_t start{};
};

[[nodiscard]] constexpr window locate(std::size_t buffer_size, std::ptrdiff_t offset, std::size_t struct_size) noexcept {
    // Sizes of real buffers and valid structs stay below PTRDIFF_MAX, so these are exact.
    const auto buffer = static_cast<std::ptrdiff_t>(buffer_size);
    const auto needed = static_cast<std::ptrdiff_t>(struct_size);
    if (offset < 0) {
        if (offset + needed > 0) return {errc::buffer_too_small};
        if (offset + buffer < 0) return {errc::offset_out_of_range};
        offset += buffer;
    }
    if (buffer - offset < needed) return {errc::buffer_too_small};
    return {errc{}, static_cast<std::size_t>(offset)};
}

/// CPython's message for a failed `locate`.
[[noreturn]] inline void throw_window_error(errc failure, direction dir, std::size_t buffer_size, std::ptrdiff_t offset,
                                            std::size_t struct_size) {
    const bool packing = dir == direction::packing;
    const std::string size = std::to_string(struct_size);
    const std::string at = std::to_string(offset);
    if (failure == errc::offset_out_of_range) {
        throw error(failure, "offset " + at + " out of range for " + std::to_string(buffer_size) + "-byte buffer");
    }
    if (offset < 0) {
        throw error(failure, packing ? "no space to pack " + size + " bytes at offset " + at
                                     : "not enough data to unpack " + size + " bytes at offset " + at);
    }
    const std::string required = std::to_string(struct_size + static_cast<std::size_t>(offset));
    throw error(failure, std::string(packing ? "pack_into" : "unpack_from") + " requires a buffer of at least " +
                             required + " bytes for " + (packing ? "packing " : "unpacking ") + size +
                             " bytes at offset " + at + " (actual buffer size is " + std::to_string(buffer_size) +
                             ")");
}

// ---- Values to wire representations ---------------------------------------------------------

/// An integer or enum `argument` as the wire type of `code`, or CPython's range error.
/// The check compiles away when every value of the argument's type fits.
template <class Wire, class Argument>
[[nodiscard]] constexpr Wire to_wire_integer(char code, Argument argument) {
    if constexpr (std::is_enum_v<Argument>) {
        return to_wire_integer<Wire>(code, static_cast<std::underlying_type_t<Argument>>(argument));
    } else if constexpr (std::is_same_v<Argument, bool>) {
        return static_cast<Wire>(argument);
    } else {
        // std::in_range refuses character types, so widen to a standard integer first.
        using widened = std::conditional_t<std::is_signed_v<Argument>, long long, unsigned long long>;
        const auto value = static_cast<widened>(argument);
        constexpr auto lowest = static_cast<widened>(std::numeric_limits<Argument>::min());
        constexpr auto highest = static_cast<widened>(std::numeric_limits<Argument>::max());
        constexpr bool always_fits = std::cmp_greater_equal(lowest, std::numeric_limits<Wire>::min()) &&
                                     std::cmp_less_equal(highest, std::numeric_limits<Wire>::max());
        if constexpr (!always_fits) {
            if (!std::in_range<Wire>(value)) throw_integer_out_of_range<Wire>(code);
        }
        return static_cast<Wire>(value);
    }
}

/// Every double at least this large in magnitude rounds to infinity as a float:
/// halfway between FLT_MAX and 2^128, where ties go to the even 2^128.
inline constexpr double float_overflow_threshold = 0x1.ffffffp+127;

[[nodiscard]] constexpr bool is_finite(double x) noexcept {
    return x == x && x != std::numeric_limits<double>::infinity() && x != -std::numeric_limits<double>::infinity();
}

/// `x` rounded to float, refusing a finite value that would become infinite (in
/// every byte order: current CPython). `from_integer` only picks the message.
[[nodiscard]] constexpr float to_wire_float(double x, bool from_integer = false) {
    if (is_finite(x) && !(x < float_overflow_threshold && x > -float_overflow_threshold)) {
        throw_float_overflow('f', from_integer);
    }
    return static_cast<float>(x);
}

/// `x` rounded to binary16 bits, or CPython's overflow error.
[[nodiscard]] constexpr std::uint16_t to_wire_half(double x, bool from_integer = false) {
    const auto half = double_to_half(x);
    if (!half) throw_float_overflow('e', from_integer);
    return *half;
}

/// Any arithmetic argument as the double a float format character starts from.
template <class Argument>
[[nodiscard]] constexpr double to_double(Argument argument, char code) {
    if constexpr (std::is_same_v<Argument, long double>) {
        constexpr auto max = static_cast<long double>(std::numeric_limits<double>::max());
        if (argument == argument && (argument > max || argument < -max) &&
            argument != std::numeric_limits<long double>::infinity() &&
            argument != -std::numeric_limits<long double>::infinity()) {
            throw_float_overflow(code);
        }
    }
    return static_cast<double>(argument);
}

/// The address a pointer holds, for `P`. Deliberately not constexpr: an address
/// is never a compile-time constant, and clang 14 crashes trying to fold one.
[[nodiscard]] inline std::uintptr_t address_of(const volatile void* pointer) noexcept {
    return reinterpret_cast<std::uintptr_t>(pointer);
}

// ---- Bytes ---------------------------------------------------------------------------------

/// Copies `count` one-byte elements (char, unsigned char, std::byte, ...) to
/// `count` one-byte elements of another such type.
template <class Out, class In>
constexpr void copy_bytes(Out* out, const In* in, std::size_t count) noexcept {
    static_assert(sizeof(Out) == 1 && sizeof(In) == 1);
    if (std::is_constant_evaluated()) {
        for (std::size_t i = 0; i < count; ++i) out[i] = static_cast<Out>(in[i]);
    } else if (count != 0) {
        std::memcpy(out, in, count);
    }
}

constexpr void fill_zero(std::byte* out, std::size_t count) noexcept {
    if (std::is_constant_evaluated()) {
        for (std::size_t i = 0; i < count; ++i) out[i] = std::byte{0};
    } else if (count != 0) {
        std::memset(out, 0, count);
    }
}

/// `s`: the first `field_size` bytes of the data, NUL-padded.
template <class Element>
constexpr void store_string(std::byte* out, std::size_t field_size, const Element* data, std::size_t length) noexcept {
    const std::size_t copied = std::min(length, field_size);
    copy_bytes(out, data, copied);
    fill_zero(out + copied, field_size - copied);
}

/// `p`: a length byte, then the data, NUL-padded. Like CPython, up to
/// `field_size - 1` bytes are copied, while the length byte says at most 255.
template <class Element>
constexpr void store_pascal(std::byte* out, std::size_t field_size, const Element* data, std::size_t length) noexcept {
    if (field_size == 0) return;
    const std::size_t copied = std::min(length, field_size - 1);
    out[0] = static_cast<std::byte>(std::min<std::size_t>(copied, 255));
    store_string(out + 1, field_size - 1, data, copied);
}

/// How many data bytes a Pascal string field of `field_size` bytes holds.
[[nodiscard]] constexpr std::size_t pascal_capacity(std::size_t field_size) noexcept {
    return field_size == 0 ? 0 : std::min<std::size_t>(field_size - 1, 255);
}

/// The length of the Pascal string stored at `in`.
[[nodiscard]] constexpr std::size_t pascal_length(const std::byte* in, std::size_t field_size) noexcept {
    if (field_size == 0) return 0;  // CPython 3.11 fails here; an empty string is the only sensible answer
    return std::min(static_cast<std::size_t>(in[0]), field_size - 1);
}

}  // namespace wirepack::detail
