#pragma once
/// \file
/// Readable compile errors. Each function here is instantiated only when a check
/// has already failed; its name and template arguments say what and where, and
/// its `static_assert` says it in words, prefixed with "wirepack:" so that it is
/// easy to find in a long compiler log.

#include <cstddef>

#include <wirepack/error.hpp>
#include <wirepack/fixed_string.hpp>
#include <wirepack/format.hpp>

namespace wirepack::detail {

// One static_assert per error and position (0 to 99), so that the message itself
// names the position, like "wirepack: bad char in struct format (position 2)".
#define WIREPACK_DETAIL_FORMAT_ERROR_AT(P)                                                                   \
    static_assert(!(Error == errc::bad_char && Position == P),                                              \
                  "wirepack: bad char in struct format (position " #P ")");                                 \
    static_assert(!(Error == errc::repeat_count_without_format && Position == P),                           \
                  "wirepack: repeat count given without format specifier (position " #P ")");              \
    static_assert(!(Error == errc::struct_size_too_long && Position == P),                                  \
                  "wirepack: total struct size too long (position " #P ")");                                \
    static_assert(!(Error == errc::embedded_null && Position == P),                                         \
                  "wirepack: embedded null character (position " #P ")");
#define WIREPACK_DETAIL_FORMAT_ERRORS_AT_TENS(T)                                                             \
    WIREPACK_DETAIL_FORMAT_ERROR_AT(T##0) WIREPACK_DETAIL_FORMAT_ERROR_AT(T##1)                              \
    WIREPACK_DETAIL_FORMAT_ERROR_AT(T##2) WIREPACK_DETAIL_FORMAT_ERROR_AT(T##3)                              \
    WIREPACK_DETAIL_FORMAT_ERROR_AT(T##4) WIREPACK_DETAIL_FORMAT_ERROR_AT(T##5)                              \
    WIREPACK_DETAIL_FORMAT_ERROR_AT(T##6) WIREPACK_DETAIL_FORMAT_ERROR_AT(T##7)                              \
    WIREPACK_DETAIL_FORMAT_ERROR_AT(T##8) WIREPACK_DETAIL_FORMAT_ERROR_AT(T##9)

/// Instantiated for a malformed format; fails with the error and its position.
template <fixed_string Format, errc Error, std::size_t Position>
constexpr void invalid_struct_format() {
    WIREPACK_DETAIL_FORMAT_ERRORS_AT_TENS()
    WIREPACK_DETAIL_FORMAT_ERRORS_AT_TENS(1) WIREPACK_DETAIL_FORMAT_ERRORS_AT_TENS(2)
    WIREPACK_DETAIL_FORMAT_ERRORS_AT_TENS(3) WIREPACK_DETAIL_FORMAT_ERRORS_AT_TENS(4)
    WIREPACK_DETAIL_FORMAT_ERRORS_AT_TENS(5) WIREPACK_DETAIL_FORMAT_ERRORS_AT_TENS(6)
    WIREPACK_DETAIL_FORMAT_ERRORS_AT_TENS(7) WIREPACK_DETAIL_FORMAT_ERRORS_AT_TENS(8)
    WIREPACK_DETAIL_FORMAT_ERRORS_AT_TENS(9)
    static_assert(Position < 100, "wirepack: invalid struct format (the error is at Position, 100 or later)");
}

#undef WIREPACK_DETAIL_FORMAT_ERRORS_AT_TENS
#undef WIREPACK_DETAIL_FORMAT_ERROR_AT

/// Instantiated when `pack` is given a different number of values than the format has.
template <std::size_t Expected, std::size_t Given>
constexpr void pack_expected_items() {
    static_assert(Expected == Given,
                  "wirepack: pack got the wrong number of items (Expected values in the format, Given arguments)");
}

/// Instantiated when argument `Index` (zero-based) of type `Argument` cannot be
/// packed with format character `Code`.
template <std::size_t Index, char Code, class Argument>
constexpr void wrong_argument_kind() {
    static_assert(Code == 'P' || !is_integer_code(Code),
                  "wirepack: an integer format character needs an integral or enum argument");
    static_assert(Code != 'P', "wirepack: format character 'P' needs a pointer or an unsigned integer");
    static_assert(Code != '?', "wirepack: format character '?' needs a bool or arithmetic argument");
    static_assert(!is_float_code(Code), "wirepack: a float format character needs an arithmetic argument");
    static_assert(Code != 'c', "wirepack: format character 'c' needs a char or std::byte argument");
    static_assert(!is_string_code(Code),
                  "wirepack: a string format character needs a string_view-convertible or byte-range argument");
}

}  // namespace wirepack::detail
