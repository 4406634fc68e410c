#pragma once
/// \file
/// Python's `struct` module with the format parsed at compile time:
///
///     constexpr std::size_t n = wirepack::calcsize<"<I2sf">();           // 10
///     auto bytes = wirepack::pack<"<I2sf">(1, "ab", 2.7);                // std::array<std::byte, 10>
///     auto [i, s, f] = wirepack::unpack<"<I2sf">(std::span(bytes));      // uint32_t, array<char, 2>, float
///
/// A malformed format, a wrong number of arguments or an argument of the wrong
/// kind is a compile error that says so. A value out of range for its format
/// character, or a buffer of the wrong size, throws `wirepack::error` with
/// CPython's message; the `try_` functions report the error code instead.

#include <array>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <ranges>
#include <span>
#include <string_view>
#include <type_traits>
#include <utility>

#include <wirepack/error.hpp>
#include <wirepack/fixed_string.hpp>
#include <wirepack/flat_tuple.hpp>
#include <wirepack/format.hpp>
#include <wirepack/pascal_string.hpp>
#include <wirepack/result.hpp>
#include <wirepack/detail/codec.hpp>
#include <wirepack/detail/compile_errors.hpp>

namespace wirepack {
namespace detail {

/// One packed value of a compiled format: its character, offset and size.
struct value_slot {
    char code{};
    std::size_t offset{};
    std::size_t size{};
};

/// Bytes that belong to no value (pad bytes `x` and native alignment).
struct gap {
    std::size_t offset{};
    std::size_t size{};
};

/// Writes the value slots of the items it is given into a caller-provided array.
struct slot_writer {
    value_slot* slots;
    std::size_t count = 0;

    constexpr void operator()(const format_item& item) {
        for (std::size_t k = 0; k < item.value_count(); ++k) {
            slots[count++] = value_slot{item.code, item.offset + k * item.element_size, item.element_size};
        }
    }
};

/// Writes the runs of pad bytes it is given into a caller-provided array.
struct gap_writer {
    gap* gaps;
    std::size_t count = 0;

    constexpr void operator()(std::size_t offset, std::size_t size) { gaps[count++] = gap{offset, size}; }
};

/// Collects the values and gaps of a valid format into caller-provided arrays.
/// One non-template type for every format, so the parser is instantiated once
/// for all of them rather than once per format.
using layout_collector = layout_walker<slot_writer, gap_writer>;

/// The most gaps a format with `item_count` items can have: alignment before each
/// item, the item itself if it is `x`, and the alignment at the end ("@c0i").
[[nodiscard]] constexpr std::size_t max_gaps(std::size_t item_count) noexcept { return 2 * item_count + 1; }

/// Values and gaps of a format, as filled by `layout_collector`.
template <std::size_t ValueCount, std::size_t GapCapacity>
struct layout_tables {
    std::array<value_slot, ValueCount> slots{};
    std::array<gap, GapCapacity> gaps{};
    std::size_t gap_count = 0;
};

/// Everything the compile-time functions need to know about `Format`, computed
/// with two runs of the parser: one for the sizes, one for the tables.
template <fixed_string Format>
struct compiled_format {
    static constexpr format_summary summary = parse_format(Format.view());
    static constexpr bool valid = summary.valid();
    static constexpr std::size_t size = valid ? summary.size : 0;
    static constexpr std::size_t value_count = valid ? summary.value_count : 0;
    static constexpr bool native = summary.order == byte_order::native;
    static constexpr boost::endian::order order = endian_of(summary.order);

    static constexpr auto tables = [] {
        layout_tables<value_count, max_gaps(valid ? summary.item_count : 0)> result;
        if (valid) {
            layout_collector collector{{result.slots.data()}, {result.gaps.data()}};
            (void)parse_format(Format.view(), collector);
            collector.finish(size);
            result.gap_count = collector.on_padding.count;
        }
        return result;
    }();
    static constexpr const std::array<value_slot, value_count>& slots = tables.slots;
    static constexpr std::array<gap, tables.gap_count> gaps = [] {
        std::array<gap, tables.gap_count> exact{};
        for (std::size_t i = 0; i < exact.size(); ++i) exact[i] = tables.gaps[i];
        return exact;
    }();

    /// Fails compilation with a readable message when the format is malformed.
    static constexpr void check() {
        if constexpr (!valid) invalid_struct_format<Format, summary.error, summary.error_position>();
    }
};

/// The type that `Code` unpacks to.
template <char Code, std::size_t Size, bool Native>
struct unpacked_type {
    using type = integer_for_code_t<Code, Native>;
};
template <std::size_t Size, bool Native> struct unpacked_type<'?', Size, Native> { using type = bool; };
template <std::size_t Size, bool Native> struct unpacked_type<'c', Size, Native> { using type = char; };
template <std::size_t Size, bool Native> struct unpacked_type<'e', Size, Native> { using type = float; };
template <std::size_t Size, bool Native> struct unpacked_type<'f', Size, Native> { using type = float; };
template <std::size_t Size, bool Native> struct unpacked_type<'d', Size, Native> { using type = double; };
template <std::size_t Size, bool Native> struct unpacked_type<'s', Size, Native> { using type = std::array<char, Size>; };
template <std::size_t Size, bool Native>
struct unpacked_type<'p', Size, Native> {
    using type = pascal_string<pascal_capacity(Size)>;
};

template <class F, std::size_t I>
using slot_type = typename unpacked_type<F::slots[I].code, F::slots[I].size, F::native>::type;

template <class F, class Indices>
struct unpacked_tuple;
template <class F, std::size_t... I>
struct unpacked_tuple<F, std::index_sequence<I...>> {
    using type = flat_tuple<slot_type<F, I>...>;
};

// ---- What each format character accepts -----------------------------------------------------

template <class T>
concept one_byte_element = sizeof(T) == 1 && std::is_trivially_copyable_v<T> && !std::is_same_v<T, bool>;

/// Anything `s` and `p` can pack: text, or a contiguous range of bytes.
template <class T>
concept string_argument =
    std::is_convertible_v<const T&, std::string_view> ||
    (std::ranges::contiguous_range<const T> && std::ranges::sized_range<const T> &&
     one_byte_element<std::ranges::range_value_t<const T>>);

template <class T>
concept char_argument = std::is_same_v<T, char> || std::is_same_v<T, signed char> ||
                        std::is_same_v<T, unsigned char> || std::is_same_v<T, char8_t> || std::is_same_v<T, std::byte>;

/// The bytes a string argument packs. A char array is all of its elements but the
/// terminating NUL of the string literal it usually is ("a\0b" packs 3 bytes, as
/// b"a\0b" does in Python); it is never read past its end.
template <string_argument Argument>
[[nodiscard]] constexpr auto string_bytes(const Argument& argument) noexcept {
    if constexpr (std::is_array_v<Argument> && std::is_same_v<std::remove_extent_t<Argument>, char>) {
        const std::string_view whole(argument, std::extent_v<Argument>);
        return whole.ends_with('\0') ? whole.substr(0, whole.size() - 1) : whole;
    } else if constexpr (std::is_convertible_v<const Argument&, std::string_view>) {
        return std::string_view(argument);
    } else {
        return std::span(std::ranges::data(argument), std::ranges::size(argument));
    }
}

template <char Code, class T>
constexpr bool accepts() {
    if constexpr (Code == 'P') return std::is_pointer_v<T> || (std::is_integral_v<T> && std::is_unsigned_v<T>);
    // Wider integers (__int128) are refused: the range check works in 64 bits.
    else if constexpr (is_integer_code(Code)) return (std::is_integral_v<T> || std::is_enum_v<T>) && sizeof(T) <= 8;
    else if constexpr (Code == '?' || is_float_code(Code)) return std::is_arithmetic_v<T>;
    else if constexpr (Code == 'c') return char_argument<T>;
    else return string_argument<T>;
}

// ---- Packing and unpacking one value --------------------------------------------------------

// Per value, the work depends only on (code, size, mode), never on the format
// it came from, so equal fields of different formats share one instantiation.

/// Writes one value. Requires: `accepts<Code, Argument>()`; `at` has `Size` bytes.
template <char Code, std::size_t Size, bool Native, boost::endian::order Order, class Argument>
constexpr void pack_value(std::byte* at, const Argument& argument) {
    if constexpr (Code == 'P' && std::is_pointer_v<Argument>) {
        store<Order>(at, address_of(argument));
    } else if constexpr (is_integer_code(Code)) {
        store<Order>(at, to_wire_integer<integer_for_code_t<Code, Native>>(Code, argument));
    } else if constexpr (Code == '?') {
        *at = static_cast<std::byte>(argument != 0);
    } else if constexpr (Code == 'e') {
        store<Order>(at, to_wire_half(to_double(argument, Code), std::is_integral_v<Argument>));
    } else if constexpr (Code == 'f') {
        if constexpr (std::is_same_v<Argument, float>) store<Order>(at, argument);
        else store<Order>(at, to_wire_float(to_double(argument, Code), std::is_integral_v<Argument>));
    } else if constexpr (Code == 'd') {
        store<Order>(at, to_double(argument, Code));
    } else if constexpr (Code == 'c') {
        *at = static_cast<std::byte>(argument);
    } else if constexpr (Size == 0) {
        // "0s" and "0p" occupy no bytes: nothing to write.
    } else {
        const auto bytes = string_bytes(argument);
        if constexpr (Code == 's') store_string(at, Size, bytes.data(), bytes.size());
        else store_pascal(at, Size, bytes.data(), bytes.size());
    }
}

/// Reads one value. Requires: `at` has `Size` bytes.
template <char Code, std::size_t Size, bool Native, boost::endian::order Order>
[[nodiscard]] constexpr typename unpacked_type<Code, Size, Native>::type unpack_value(const std::byte* at) {
    using T = typename unpacked_type<Code, Size, Native>::type;
    if constexpr (is_integer_code(Code) || Code == 'f' || Code == 'd') {
        return load<T, Order>(at);
    } else if constexpr (Code == '?') {
        return *at != std::byte{0};
    } else if constexpr (Code == 'e') {
        return static_cast<float>(half_to_double(load<std::uint16_t, Order>(at)));
    } else if constexpr (Code == 'c') {
        return static_cast<char>(*at);
    } else if constexpr (Code == 's') {
        T text;  // every element is written by the copy
        copy_bytes(text.data(), at, Size);
        return text;
    } else if constexpr (T::capacity() == 0) {
        return T{};  // "0p" and "1p" hold no data
    } else {
        return T(at + 1, pascal_length(at, Size));
    }
}

/// Fails compilation, naming the argument, when it cannot be packed with `Code`.
template <std::size_t Index, char Code, class Argument>
constexpr void check_argument_kind() {
    if constexpr (!accepts<Code, Argument>()) wrong_argument_kind<Index, Code, Argument>();
}

/// How `pack_unchecked` treats the bytes between values.
enum class gap_filling {
    zero_gaps,    ///< zero only the pad and alignment bytes: every byte is written once
    zero_struct,  ///< zero the whole struct first, as CPython's pack_into does: a value
                  ///< refused half-way leaves the earlier ones packed and the rest zero
};

/// Writes every value and the zero bytes of the struct at `out`.
/// Requires: `out` has `F::size` writable bytes; the argument count is right.
template <class F, gap_filling Filling, class... Arguments>
constexpr void pack_unchecked(std::byte* out, const Arguments&... arguments) {
    [&]<std::size_t... I>(std::index_sequence<I...>) {
        if constexpr ((accepts<F::slots[I].code, Arguments>() && ...)) {
            if constexpr (Filling == gap_filling::zero_struct) {
                fill_zero(out, F::size);
            } else {
                for (const gap g : F::gaps) fill_zero(out + g.offset, g.size);
            }
            (pack_value<F::slots[I].code, F::slots[I].size, F::native, F::order>(out + F::slots[I].offset,
                                                                                 arguments),
             ...);
        } else {
            (check_argument_kind<I, F::slots[I].code, Arguments>(), ...);
        }
    }(std::index_sequence_for<Arguments...>{});
}

template <class F>
using unpacked_t = typename unpacked_tuple<F, std::make_index_sequence<F::value_count>>::type;

/// Reads every value of the struct at `in`. Requires: `in` has `F::size` bytes.
template <class F>
[[nodiscard]] constexpr unpacked_t<F> unpack_unchecked(const std::byte* in) {
    return [&]<std::size_t... I>(std::index_sequence<I...>) {
        return unpacked_t<F>{unpack_value<F::slots[I].code, F::slots[I].size, F::native, F::order>(
            in + F::slots[I].offset)...};
    }(std::make_index_sequence<F::value_count>{});
}

template <class F, std::size_t Given>
constexpr bool check_arguments() {
    F::check();
    if constexpr (F::valid && F::value_count != Given) pack_expected_items<F::value_count, Given>();
    return F::valid && F::value_count == Given;
}

}  // namespace detail

/// The tuple that `unpack<Format>` returns: a `flat_tuple` of the unpacked types.
///
///     wirepack::unpacked<"<hd"> t = wirepack::unpack<"<hd">(bytes);   // flat_tuple<int16_t, double>
template <fixed_string Format>
using unpacked = detail::unpacked_t<detail::compiled_format<Format>>;

/// The size in bytes of a struct described by `Format` (Python's `struct.calcsize`).
///
///     static_assert(wirepack::calcsize<"@bi">() == 8);
template <fixed_string Format>
[[nodiscard]] consteval std::size_t calcsize() {
    detail::compiled_format<Format>::check();
    return detail::compiled_format<Format>::size;
}

/// Packs `values` into a new array of exactly `calcsize<Format>()` bytes.
/// Throws `wirepack::error` when a value is out of range for its format character.
///
///     constexpr auto b = wirepack::pack<">H">(0x1234);   // {0x12, 0x34}
///     static_assert(b[0] == std::byte{0x12});
template <fixed_string Format, class... Values>
[[nodiscard]] constexpr std::array<std::byte, detail::compiled_format<Format>::size> pack(const Values&... values) {
    using F = detail::compiled_format<Format>;
    std::array<std::byte, F::size> out;  // every byte is written below
    if constexpr (detail::check_arguments<F, sizeof...(Values)>()) {
        detail::pack_unchecked<F, detail::gap_filling::zero_gaps>(out.data(), values...);
    } else {
        out = {};
    }
    return out;
}

/// Packs `values` into `buffer` at `offset` (negative: counted from the end), like
/// Python's `struct.pack_into`. Throws `wirepack::error` when the struct does not
/// fit there or a value is out of range.
///
///     std::array<std::byte, 8> buffer{};
///     wirepack::pack_into<"!H">(buffer, 2, 0x1234);    // buffer[2] == 0x12
///     wirepack::pack_into<"!H">(buffer, -2, 0x5678);   // the last two bytes
template <fixed_string Format, class... Values>
constexpr void pack_into(std::span<std::byte> buffer, std::ptrdiff_t offset, const Values&... values) {
    using F = detail::compiled_format<Format>;
    if constexpr (detail::check_arguments<F, sizeof...(Values)>()) {
        const auto where = detail::locate(buffer.size(), offset, F::size);
        if (where.error != errc{}) {
            detail::throw_window_error(where.error, detail::direction::packing, buffer.size(), offset, F::size);
        }
        detail::pack_unchecked<F, detail::gap_filling::zero_struct>(buffer.data() + where.start, values...);
    }
}

/// Unpacks a buffer of exactly `calcsize<Format>()` bytes into a tuple, like
/// Python's `struct.unpack`. Throws `wirepack::error` for any other size.
///
///     auto [i, s, f] = wirepack::unpack<"<I2sf">(std::span<const std::byte>(bytes));
template <fixed_string Format>
[[nodiscard]] constexpr unpacked<Format> unpack(std::span<const std::byte> bytes) {
    using F = detail::compiled_format<Format>;
    F::check();
    if (bytes.size() != F::size) detail::throw_unpack_size(F::size);
    return detail::unpack_unchecked<F>(bytes.data());
}

/// Like `unpack`, but a buffer of the wrong size gives `errc::buffer_size_mismatch`
/// instead of an exception.
///
///     if (auto r = wirepack::try_unpack<"!HI">(datagram)) use(*r);
template <fixed_string Format>
[[nodiscard]] constexpr result<unpacked<Format>> try_unpack(std::span<const std::byte> bytes) noexcept {
    using F = detail::compiled_format<Format>;
    F::check();
    if (bytes.size() != F::size) return errc::buffer_size_mismatch;
    return detail::unpack_unchecked<F>(bytes.data());
}

/// Unpacks the struct at `offset` (negative: from the end) of a larger buffer,
/// like Python's `struct.unpack_from`. Throws `wirepack::error` when it does not fit.
///
///     auto [length] = wirepack::unpack_from<"!I">(frame, 0);
template <fixed_string Format>
[[nodiscard]] constexpr unpacked<Format> unpack_from(std::span<const std::byte> buffer, std::ptrdiff_t offset = 0) {
    using F = detail::compiled_format<Format>;
    F::check();
    const auto where = detail::locate(buffer.size(), offset, F::size);
    if (where.error != errc{}) {
        detail::throw_window_error(where.error, detail::direction::unpacking, buffer.size(), offset, F::size);
    }
    return detail::unpack_unchecked<F>(buffer.data() + where.start);
}

/// Like `unpack_from`, without exceptions: `errc::buffer_too_small` or
/// `errc::offset_out_of_range` when the struct does not fit.
///
///     auto header = wirepack::try_unpack_from<"!HH">(untrusted, 0);
///     if (!header) return header.error();
template <fixed_string Format>
[[nodiscard]] constexpr result<unpacked<Format>> try_unpack_from(std::span<const std::byte> buffer,
                                                                 std::ptrdiff_t offset = 0) noexcept {
    using F = detail::compiled_format<Format>;
    F::check();
    const auto where = detail::locate(buffer.size(), offset, F::size);
    if (where.error != errc{}) return where.error;
    return detail::unpack_unchecked<F>(buffer.data() + where.start);
}

/// The structs of a buffer, one after another, as returned by `iter_unpack`.
template <fixed_string Format>
class iter_unpack_view {
    using F = detail::compiled_format<Format>;

public:
    class iterator {
    public:
        using iterator_concept = std::forward_iterator_tag;
        using value_type = unpacked<Format>;
        using difference_type = std::ptrdiff_t;

        constexpr iterator() noexcept = default;
        constexpr explicit iterator(const std::byte* at) noexcept : at_(at) {}

        [[nodiscard]] constexpr value_type operator*() const { return detail::unpack_unchecked<F>(at_); }
        constexpr iterator& operator++() noexcept {
            at_ += F::size;
            return *this;
        }
        constexpr iterator operator++(int) noexcept {
            iterator before = *this;
            ++*this;
            return before;
        }
        friend constexpr bool operator==(const iterator&, const iterator&) noexcept = default;

    private:
        const std::byte* at_ = nullptr;
    };

    constexpr iter_unpack_view() noexcept = default;
    /// Requires: `bytes.size()` is a multiple of the struct size (see `iter_unpack`).
    constexpr explicit iter_unpack_view(std::span<const std::byte> bytes) noexcept : bytes_(bytes) {}

    [[nodiscard]] constexpr iterator begin() const noexcept { return iterator(bytes_.data()); }
    [[nodiscard]] constexpr iterator end() const noexcept { return iterator(bytes_.data() + bytes_.size()); }
    [[nodiscard]] constexpr std::size_t size() const noexcept { return bytes_.size() / F::size; }
    [[nodiscard]] constexpr bool empty() const noexcept { return bytes_.empty(); }

private:
    std::span<const std::byte> bytes_;
};

}  // namespace wirepack

/// A non-owning view over the caller's bytes: cheap to copy, so a `std::ranges::view`.
template <wirepack::fixed_string Format>
inline constexpr bool std::ranges::enable_view<wirepack::iter_unpack_view<Format>> = true;

namespace wirepack {

/// Unpacks a buffer holding whole structs back to back, like Python's
/// `struct.iter_unpack`. Throws `wirepack::error` when the size is not a multiple
/// of the struct size.
///
///     for (auto [x, y] : wirepack::iter_unpack<"<hh">(points)) plot(x, y);
template <fixed_string Format>
[[nodiscard]] constexpr iter_unpack_view<Format> iter_unpack(std::span<const std::byte> bytes) {
    using F = detail::compiled_format<Format>;
    F::check();
    static_assert(!F::valid || F::size != 0, "wirepack: cannot iteratively unpack with a struct of length 0");
    if constexpr (F::valid && F::size != 0) {
        if (bytes.size() % F::size != 0) detail::throw_iter_unpack_size(F::size);
    }
    return iter_unpack_view<Format>(bytes);
}

}  // namespace wirepack
