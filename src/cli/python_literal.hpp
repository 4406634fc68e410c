#pragma once
/// \file
/// Reads command-line arguments written as Python literals (`-5`, `0x1f`, `2.7`,
/// `inf`, `True`, `b'ab\x00'`) and turns them into the values `wirepack::Struct`
/// packs, so that `wirepack pack FMT VALUE...` behaves like
/// `struct.pack(FMT, VALUE, ...)` in Python, errors included.
///
/// What is accepted, beyond Python's own literal grammar:
/// - one leading `+` or `-` on a number (Python's unary operators);
/// - `inf`, `infinity` and `nan` in any case, with an optional sign, as
///   Python's `float()` reads them (`-nan` is a NaN with its sign bit set).
///
/// Python ints are unbounded. An integer outside [-2^63, 2^64) is kept as a
/// `big_integer` and only judged once the format code it is packed with is
/// known, as CPython does: out of range for an integer code, rounded for a
/// float code, true for `?`.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <wirepack/runtime_struct.hpp>

namespace wirepack::cli {

/// A Python int that does not fit in 64 bits (below -2^63 or at least 2^64).
struct big_integer {
    bool negative = false;
    /// |value| as lowercase hex digits without a prefix or leading zeros.
    std::string magnitude_hex;

    friend bool operator==(const big_integer&, const big_integer&) = default;
};

/// One parsed argument. Integers become `std::int64_t` when they fit it and
/// `std::uint64_t` when only that fits; `std::string` holds the bytes of a
/// bytes literal (not text).
using literal = std::variant<bool, std::int64_t, std::uint64_t, double, std::string, big_integer>;

/// Parses one argument as a Python literal. Throws `std::invalid_argument`
/// whose message quotes the argument and says what is wrong with it.
///
///     parse_literal("-0x10")   == literal{std::int64_t{-16}}
///     parse_literal("1_000.5") == literal{1000.5}
///     parse_literal("b'a\\x00'") == literal{std::string("a\0", 2)}
///     parse_literal("2**64")   // throws std::invalid_argument
[[nodiscard]] literal parse_literal(std::string_view argument);

/// The value to hand to `layout.pack()` for its value number `value_index`
/// (which selects the format code, see `Struct::code_at`).
///
/// Requires: `value_index < layout.value_count()`.
///
/// Only a `big_integer` depends on the code. For an integer code it throws the
/// `wirepack::error` that CPython's range check raises for that code; for `e`,
/// `f` and `d` it becomes the correctly rounded double, or throws what CPython
/// raises: `required argument is not a float` when it is too large for a
/// double, `int too large to convert` when too large for `e` or `f`; for `?`
/// it is `true`. Everything else passes through unchanged, and `Struct::pack`
/// judges it.
///
///     wirepack::Struct layout("<Qd");
///     to_value(parse_literal("18446744073709551616"), layout, 1)  // value{0x1p64}
///     to_value(parse_literal("18446744073709551616"), layout, 0)
///         // throws "'Q' format requires 0 <= number <= 18446744073709551615"
[[nodiscard]] value to_value(const literal& parsed, const Struct& layout, std::size_t value_index);

/// Packs parsed arguments with `layout`, raising the same error CPython's
/// `struct.pack` would: a wrong count first, then the leftmost bad value.
///
///     const std::vector<literal> arguments{parse_literal("1"), parse_literal("b'ab'"), parse_literal("2.7")};
///     pack_literals(wirepack::Struct("<I2sf"), arguments)   // 01000000 6162 cdcc2c40
[[nodiscard]] packed_bytes pack_literals(const Struct& layout, std::span<const literal> arguments);

}  // namespace wirepack::cli
