#pragma once
/// \file
/// The dynamically typed values of the run-time `wirepack::Struct`, and the
/// containers it returns.
///
///     const wirepack::Struct s("<I2sf");
///     wirepack::packed_bytes b = s.pack({1, "ab", 2.7});   // 01000000 6162 cdcc2c40
///     wirepack::unpacked_values v = s.unpack(b);           // {uint64_t 1, "ab", 2.700000047683716}
///
/// Both containers keep a small struct inside themselves, so that packing or
/// unpacking one allocates nothing: `packed_bytes` holds up to 64 bytes and
/// `unpacked_values` up to 8 values (and each `std::string` in them what it holds
/// inline: 15 bytes with libstdc++). Past that they grow on the heap. They are
/// Boost.Container's `small_vector`, with the interface of `std::vector` but for
/// one difference: while the elements are inside the object, moving it moves them
/// one by one, so pointers, iterators and spans into it do not survive a move.

#include <cstddef>
#include <cstdint>
#include <string>
#include <variant>

#include <boost/container/small_vector.hpp>

namespace wirepack {

/// A Python value as `struct` sees it: an int (as `int64_t` or `uint64_t`), a
/// float, a bool, or bytes (held in a `std::string`).
///
/// Unpacking yields `int64_t` for signed codes (`b h i l q n`), `uint64_t` for
/// unsigned ones (`B H I L Q N P`), `bool` for `?`, `double` for `e f d` and
/// `std::string` for `c s p`. Packing takes whatever Python takes: an int for
/// `f`, a bool for `i`, any value for `?`.
///
///     wirepack::value v = 2.7;
///     double x = std::get<double>(v);
using value = std::variant<bool, std::int64_t, std::uint64_t, double, std::string>;

/// The values of one struct, in format order: a vector that holds up to 8 of them
/// without allocating (the object is about 350 bytes).
///
///     wirepack::unpacked_values point = wirepack::Struct("<hh").unpack(bytes);
///     std::int64_t x = std::get<std::int64_t>(point[0]);
using unpacked_values = boost::container::small_vector<value, 8>;

/// A packed struct: a vector of bytes that holds up to 64 of them without
/// allocating. It converts to `std::span<const std::byte>`.
///
///     wirepack::packed_bytes b = wirepack::Struct("!H").pack({0x1234});   // 12 34
///     std::span<const std::byte> view = b;
using packed_bytes = boost::container::small_vector<std::byte, 64>;

}  // namespace wirepack
