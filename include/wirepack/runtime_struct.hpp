#pragma once
/// \file
/// `wirepack::Struct`: Python's `struct.Struct`, for formats known only at run
/// time. It parses with the same `parse_format` as the compile-time packers, once,
/// and packs and unpacks dynamically typed `wirepack::value`s.
///
///     wirepack::Struct s("<I2sf");
///     std::vector<std::byte> b = s.pack({1, "ab", 2.7});
///     std::vector<wirepack::value> v = s.unpack(b);   // {uint64_t 1, "ab", 2.700000047683716}

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <iterator>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>
#include <vector>

#include <wirepack/error.hpp>
#include <wirepack/format.hpp>
#include <wirepack/result.hpp>
#include <wirepack/detail/codec.hpp>

namespace wirepack {

/// A Python value as `struct` sees it: an int (as `int64_t` or `uint64_t`), a
/// float, a bool, or bytes (held in a `std::string`).
///
/// Unpacking yields `int64_t` for signed codes (`b h i l q n`), `uint64_t` for
/// unsigned ones (`B H I L Q N P`), `bool` for `?`, `double` for `e f d` and
/// `std::string` for `c s p`.
using value = std::variant<bool, std::int64_t, std::uint64_t, double, std::string>;

namespace detail {

/// Calls `f(std::type_identity<T>{})` with the C++ type of integer format character `code`.
template <bool Native, class F>
constexpr decltype(auto) with_integer_type(char code, F&& f) {
    switch (code) {
    case 'b': return f(std::type_identity<integer_for_code_t<'b', Native>>{});
    case 'B': return f(std::type_identity<integer_for_code_t<'B', Native>>{});
    case 'h': return f(std::type_identity<integer_for_code_t<'h', Native>>{});
    case 'H': return f(std::type_identity<integer_for_code_t<'H', Native>>{});
    case 'i': return f(std::type_identity<integer_for_code_t<'i', Native>>{});
    case 'I': return f(std::type_identity<integer_for_code_t<'I', Native>>{});
    case 'l': return f(std::type_identity<integer_for_code_t<'l', Native>>{});
    case 'L': return f(std::type_identity<integer_for_code_t<'L', Native>>{});
    case 'q': return f(std::type_identity<integer_for_code_t<'q', Native>>{});
    case 'Q': return f(std::type_identity<integer_for_code_t<'Q', Native>>{});
    case 'n': return f(std::type_identity<integer_for_code_t<'n', Native>>{});
    case 'N': return f(std::type_identity<integer_for_code_t<'N', Native>>{});
    default: return f(std::type_identity<integer_for_code_t<'P', Native>>{});
    }
}

template <class Wire>
[[nodiscard]] Wire integer_from_value(char code, const value& v) {
    if (const auto* b = std::get_if<bool>(&v)) return to_wire_integer<Wire>(code, *b);
    if (const auto* i = std::get_if<std::int64_t>(&v)) {
        // Python accepts a negative address for 'P' and stores its two's complement.
        if (code == 'P') return static_cast<Wire>(*i);
        return to_wire_integer<Wire>(code, *i);
    }
    if (const auto* u = std::get_if<std::uint64_t>(&v)) return to_wire_integer<Wire>(code, *u);
    throw error(errc::not_an_integer);
}

[[nodiscard]] inline double double_from_value(const value& v) {
    if (const auto* d = std::get_if<double>(&v)) return *d;
    if (const auto* b = std::get_if<bool>(&v)) return *b ? 1.0 : 0.0;
    if (const auto* i = std::get_if<std::int64_t>(&v)) return static_cast<double>(*i);
    if (const auto* u = std::get_if<std::uint64_t>(&v)) return static_cast<double>(*u);
    throw error(errc::not_a_float);
}

/// Python's truth value.
[[nodiscard]] inline bool truth_of(const value& v) {
    return std::visit([](const auto& x) {
        if constexpr (std::is_same_v<std::decay_t<decltype(x)>, std::string>) return !x.empty();
        else return x != 0;
    }, v);
}

[[nodiscard]] inline const std::string& bytes_from_value(char code, const value& v) {
    if (const auto* s = std::get_if<std::string>(&v)) return *s;
    throw error(errc::not_bytes, std::string("argument for '") + code + "' must be a bytes object");
}

template <boost::endian::order Order, bool Native>
void pack_item(std::byte* out, const format_item& item, const value* values) {
    if (item.code == 'x') return;  // already zero
    if (is_string_code(item.code)) {
        const std::string& bytes = bytes_from_value(item.code, *values);
        if (item.code == 's') store_string(out + item.offset, item.count, bytes.data(), bytes.size());
        else store_pascal(out + item.offset, item.count, bytes.data(), bytes.size());
        return;
    }
    for (std::size_t k = 0; k < item.count; ++k) {
        std::byte* at = out + item.offset + k * item.element_size;
        const value& v = values[k];
        switch (item.code) {
        case '?': *at = static_cast<std::byte>(truth_of(v)); break;
        case 'e': store<Order>(at, to_wire_half(double_from_value(v))); break;
        case 'f': store<Order>(at, to_wire_float(double_from_value(v))); break;
        case 'd': store<Order>(at, double_from_value(v)); break;
        case 'c': {
            const auto* bytes = std::get_if<std::string>(&v);
            if (bytes == nullptr || bytes->size() != 1) throw error(errc::char_not_one_byte);
            *at = static_cast<std::byte>((*bytes)[0]);
            break;
        }
        default:
            with_integer_type<Native>(item.code, [&]<class Wire>(std::type_identity<Wire>) {
                store<Order>(at, integer_from_value<Wire>(item.code, v));
            });
        }
    }
}

template <boost::endian::order Order, bool Native>
void unpack_item(const std::byte* in, const format_item& item, std::vector<value>& out) {
    const std::byte* at = in + item.offset;
    if (item.code == 's') {
        out.emplace_back(std::string(reinterpret_cast<const char*>(at), item.count));
        return;
    }
    if (item.code == 'p') {
        out.emplace_back(std::string(reinterpret_cast<const char*>(at) + 1, pascal_length(at, item.count)));
        return;
    }
    for (std::size_t k = 0; k < item.count; ++k, at += item.element_size) {
        switch (item.code) {
        case 'x': break;
        case '?': out.emplace_back(*at != std::byte{0}); break;
        case 'e': out.emplace_back(half_to_double(load<std::uint16_t, Order>(at))); break;
        case 'f': out.emplace_back(static_cast<double>(load<float, Order>(at))); break;
        case 'd': out.emplace_back(load<double, Order>(at)); break;
        case 'c': out.emplace_back(std::string(1, static_cast<char>(*at))); break;
        default:
            with_integer_type<Native>(item.code, [&]<class Wire>(std::type_identity<Wire>) {
                const Wire x = load<Wire, Order>(at);
                if constexpr (std::is_signed_v<Wire>) out.emplace_back(static_cast<std::int64_t>(x));
                else out.emplace_back(static_cast<std::uint64_t>(x));
            });
        }
    }
}

}  // namespace detail

/// A struct format parsed once at run time, like Python's `struct.Struct`.
///
///     wirepack::Struct header("!HI");
///     auto bytes = header.pack({7, 42});
///     auto fields = header.unpack(bytes);
class Struct {
public:
    /// Parses `format`. Throws `wirepack::error` naming the problem and its
    /// position, e.g. "bad char in struct format (position 2)".
    explicit Struct(std::string_view format) : format_(format) {
        summary_ = parse_format(format_, [this](const format_item& item) { items_.push_back(item); });
        if (!summary_.valid()) {
            throw error(summary_.error, std::string(describe(summary_.error)) + " (position " +
                                            std::to_string(summary_.error_position) + ")");
        }
    }

    /// Like the constructor, but a malformed format gives its error code.
    ///
    ///     auto s = wirepack::Struct::try_parse(untrusted_format);
    ///     if (!s) return s.error();
    [[nodiscard]] static result<Struct> try_parse(std::string_view format) {
        Struct parsed;
        parsed.format_ = format;
        parsed.summary_ = parse_format(format, [&](const format_item& item) { parsed.items_.push_back(item); });
        if (!parsed.summary_.valid()) return parsed.summary_.error;
        return parsed;
    }

    /// The format string, as given.
    [[nodiscard]] std::string_view format() const noexcept { return format_; }
    /// The packed size in bytes (Python's `calcsize`).
    [[nodiscard]] std::size_t size() const noexcept { return summary_.size; }
    /// How many values `pack` takes and `unpack` returns.
    [[nodiscard]] std::size_t value_count() const noexcept { return summary_.value_count; }
    [[nodiscard]] byte_order order() const noexcept { return summary_.order; }
    /// The parsed items (runs such as `4h`), in order.
    [[nodiscard]] std::span<const format_item> items() const noexcept { return items_; }

    /// The format character of value `index`. Requires: `index < value_count()`.
    [[nodiscard]] char code_at(std::size_t index) const noexcept {
        for (const format_item& item : items_) {
            if (index < item.value_count()) return item.code;
            index -= item.value_count();
        }
        return '\0';
    }

    /// Packs `values` into a new buffer of `size()` bytes. Throws `wirepack::error`
    /// with CPython's message for a wrong count, kind or range.
    ///
    ///     auto b = wirepack::Struct("<h").pack({-2});   // fe ff
    [[nodiscard]] std::vector<std::byte> pack(std::span<const value> values) const {
        std::vector<std::byte> out(checked_count(values));
        pack_unchecked(out.data(), values);
        return out;
    }
    [[nodiscard]] std::vector<std::byte> pack(std::initializer_list<value> values) const {
        return pack(std::span<const value>(values.begin(), values.size()));
    }

    /// Packs `values` into `buffer` at `offset` (negative: from the end).
    ///
    ///     wirepack::Struct("!H").pack_into(buffer, -2, {0xbeef});
    void pack_into(std::span<std::byte> buffer, std::ptrdiff_t offset, std::span<const value> values) const {
        checked_count(values);
        const auto where = detail::locate(buffer.size(), offset, size());
        if (where.error != errc{}) {
            detail::throw_window_error(where.error, detail::direction::packing, buffer.size(), offset, size());
        }
        pack_unchecked(buffer.data() + where.start, values);
    }
    void pack_into(std::span<std::byte> buffer, std::ptrdiff_t offset, std::initializer_list<value> values) const {
        pack_into(buffer, offset, std::span<const value>(values.begin(), values.size()));
    }

    /// Unpacks exactly `size()` bytes. Throws `wirepack::error` for any other size.
    [[nodiscard]] std::vector<value> unpack(std::span<const std::byte> bytes) const {
        if (bytes.size() != size()) detail::throw_unpack_size(size());
        return unpack_unchecked(bytes.data());
    }

    /// Like `unpack`, but a wrong size gives `errc::buffer_size_mismatch`.
    [[nodiscard]] result<std::vector<value>> try_unpack(std::span<const std::byte> bytes) const {
        if (bytes.size() != size()) return errc::buffer_size_mismatch;
        return unpack_unchecked(bytes.data());
    }

    /// Unpacks the struct at `offset` (negative: from the end) of `buffer`.
    [[nodiscard]] std::vector<value> unpack_from(std::span<const std::byte> buffer, std::ptrdiff_t offset = 0) const {
        const auto where = detail::locate(buffer.size(), offset, size());
        if (where.error != errc{}) {
            detail::throw_window_error(where.error, detail::direction::unpacking, buffer.size(), offset, size());
        }
        return unpack_unchecked(buffer.data() + where.start);
    }

    /// Like `unpack_from`, without exceptions for a struct that does not fit.
    [[nodiscard]] result<std::vector<value>> try_unpack_from(std::span<const std::byte> buffer,
                                                             std::ptrdiff_t offset = 0) const {
        const auto where = detail::locate(buffer.size(), offset, size());
        if (where.error != errc{}) return where.error;
        return unpack_unchecked(buffer.data() + where.start);
    }

    /// Unpacks a buffer of whole structs back to back, one vector per struct.
    /// Throws `wirepack::error` when the size is zero or not a multiple.
    ///
    ///     for (const auto& point : wirepack::Struct("<hh").iter_unpack(bytes)) draw(point);
    [[nodiscard]] std::vector<std::vector<value>> iter_unpack(std::span<const std::byte> bytes) const {
        if (size() == 0 || bytes.size() % size() != 0) detail::throw_iter_unpack_size(size());
        std::vector<std::vector<value>> all;
        all.reserve(bytes.size() / size());
        for (std::size_t at = 0; at < bytes.size(); at += size()) all.push_back(unpack_unchecked(bytes.data() + at));
        return all;
    }

private:
    Struct() = default;

    std::size_t checked_count(std::span<const value> values) const {
        if (values.size() != value_count()) detail::throw_value_count(value_count(), values.size());
        return size();
    }

    /// Calls `f.template operator()<Order, Native>()` for this format's mode.
    template <class F>
    decltype(auto) dispatch(F&& f) const {
        using boost::endian::order;
        switch (summary_.order) {
        case byte_order::native: return f.template operator()<order::native, true>();
        case byte_order::little: return f.template operator()<order::little, false>();
        case byte_order::big:
        case byte_order::network: return f.template operator()<order::big, false>();
        case byte_order::native_standard: break;
        }
        return f.template operator()<order::native, false>();
    }

    void pack_unchecked(std::byte* out, std::span<const value> values) const {
        detail::fill_zero(out, size());  // pad bytes and alignment, as CPython does
        dispatch([&]<boost::endian::order Order, bool Native>() {
            const value* next = values.data();
            for (const format_item& item : items_) {
                detail::pack_item<Order, Native>(out, item, next);
                next += item.value_count();
            }
        });
    }

    std::vector<value> unpack_unchecked(const std::byte* in) const {
        std::vector<value> values;
        // Bounded by the input: every value but an empty string takes a byte of the
        // buffer, and each empty string takes characters of the format.
        values.reserve(value_count());
        dispatch([&]<boost::endian::order Order, bool Native>() {
            for (const format_item& item : items_) detail::unpack_item<Order, Native>(in, item, values);
        });
        return values;
    }

    std::string format_;
    format_summary summary_;
    std::vector<format_item> items_;
};

}  // namespace wirepack
