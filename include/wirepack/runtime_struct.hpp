#pragma once
/// \file
/// `wirepack::Struct`: Python's `struct.Struct`, for formats known only at run
/// time. It parses with the same `parse_format` as the compile-time packers, once,
/// and packs and unpacks dynamically typed `wirepack::value`s.
///
///     wirepack::Struct s("<I2sf");
///     wirepack::packed_bytes b = s.pack({1, "ab", 2.7});
///     wirepack::unpacked_values v = s.unpack(b);   // {uint64_t 1, "ab", 2.700000047683716}
///
/// `pack` and `unpack` return containers that keep a small struct inside
/// themselves (`value.hpp`): packing up to 64 bytes allocates nothing, nor does
/// unpacking up to 8 values, but for bytes longer than the 24 a `wirepack::bytes`
/// holds inline. For loops that pack or unpack many messages, `pack_into` writes
/// into the caller's buffer and `unpack_into` reuses the caller's values and the
/// capacity of their bytes: once they have held one struct, neither allocates (but
/// for a `p` field longer than any before it).
///
/// How it is fast: the constructor compiles the format into two tables of
/// `detail::step`s, one for packing (values and pads) and one for unpacking
/// (values), each ending in an `end` step. A step is one value (`4h` is four
/// steps), a pad, or a long run (`100h`), and holds pointers to its handlers,
/// chosen once for its kind, byte order and field size (`u16` big-endian, a
/// 16-byte `s`, ...). A handler does its value, then calls the next step's
/// handler as a tail call: per value there is one indirect jump and no test of
/// the kind or the byte order, and the chain runs without a stack frame. The
/// common case of each value (an int of the right signedness in range, a float,
/// a string of the field's size) needs no call; anything else goes to the general
/// code for that value, which raises CPython's error if there is one, and the
/// chain goes on. A table never grows with the repeat counts beyond 16 steps per
/// item. An unpacking step has two handlers: `unpack` overwrites a value that is
/// there (`unpack_into`), `make` makes one where none is yet (`unpack`), as
/// CPython makes the objects of the tuple it returns.

#include <algorithm>
#include <cassert>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <iterator>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include <boost/endian/conversion.hpp>

#include <wirepack/error.hpp>
#include <wirepack/format.hpp>
#include <wirepack/result.hpp>
#include <wirepack/value.hpp>
#include <wirepack/detail/codec.hpp>
#include <wirepack/detail/endian.hpp>
#include <wirepack/detail/half.hpp>

namespace wirepack {

namespace detail {

// Indexes of the alternatives of `value`.
inline constexpr std::size_t bool_index = 0;
inline constexpr std::size_t int_index = 1;
inline constexpr std::size_t uint_index = 2;
inline constexpr std::size_t double_index = 3;
inline constexpr std::size_t bytes_index = 4;
static_assert(std::is_same_v<std::variant_alternative_t<bool_index, value>, bool> &&
              std::is_same_v<std::variant_alternative_t<int_index, value>, std::int64_t> &&
              std::is_same_v<std::variant_alternative_t<uint_index, value>, std::uint64_t> &&
              std::is_same_v<std::variant_alternative_t<double_index, value>, double> &&
              std::is_same_v<std::variant_alternative_t<bytes_index, value>, bytes>);

/// The alternative an integer of type `Wire` unpacks to, as Python ints are: a
/// signed one to `int64_t`, an unsigned one to `uint64_t`.
template <class Wire>
inline constexpr std::size_t integer_index = std::is_signed_v<Wire> ? int_index : uint_index;

/// The value of an integer of type `Wire` in that alternative.
template <class Wire>
[[nodiscard]] constexpr std::variant_alternative_t<integer_index<Wire>, value> widened(Wire x) noexcept {
    return x;
}

/// What a step does with its value, resolved once from the format character and
/// the mode (native `l` is `i64` on LP64, standard `l` is `i32`).
enum class run_kind : std::uint8_t {
    i8, u8, i16, u16, i32, u32, i64, u64,
    pointer,    ///< `P`: unsigned, but a negative int is stored as its two's complement
    boolean,    ///< `?`
    character,  ///< `c`
    half,       ///< `e`
    single,     ///< `f`
    double_,    ///< `d`
    bytes,      ///< `s`
    pascal,     ///< `p`
    repeated,   ///< `count` values of kind `element` (`100h`), back to back
    pad,        ///< `x` and alignment gaps: `count` zero bytes, no value
    end,        ///< after the last step
};

struct step;

/// Packs the value of step `s` (at `v`) into the struct at `out`, then the steps
/// after it: each handler ends by calling the next step's (a tail call, so the
/// chain needs no stack).
using pack_handler = void (*)(const step* s, std::byte* out, const value* v);
/// Unpacks the value of step `s` from the struct at `in` into `v`, then the steps after it.
using unpack_handler = void (*)(const step* s, const std::byte* in, value* v);
/// Makes the value of step `s` from the struct at `in` at `v`, storage where no
/// value lives yet, then the steps after it. It cannot fail: `Struct` makes new
/// values this way only when none of them needs an allocation.
using make_handler = void (*)(const step* s, const std::byte* in, value* v) noexcept;

/// One step of a compiled format: one value (`4h` is four steps), a pad, a long
/// repeated run (`100h`), or the `end` after the last.
struct step {
    pack_handler pack;      ///< in the packing table; null in the unpacking one
    unpack_handler unpack;  ///< in the unpacking table; null in the packing one
    make_handler make;      ///< in the unpacking table; null in the packing one
    std::size_t offset;     ///< the first byte; the struct's size for `end`
    std::size_t count;      ///< values (`repeated`); bytes of the field (`bytes`, `pascal`, `pad`); else 1
    run_kind kind;
    run_kind element;       ///< the kind of each value; `kind` unless `repeated`
    char code;              ///< the format character, for error messages
    std::uint8_t stride;    ///< bytes per value of a `repeated` step
    bool big_endian;        ///< the format's byte order, native resolved

    [[nodiscard]] constexpr std::size_t value_count() const noexcept {
        if (kind == run_kind::repeated) return count;
        return kind == run_kind::pad || kind == run_kind::end ? 0 : 1;
    }
};

template <class Integer>
[[nodiscard]] constexpr run_kind integer_kind() noexcept {
    constexpr bool is_signed = std::is_signed_v<Integer>;
    switch (sizeof(Integer)) {
    case 1: return is_signed ? run_kind::i8 : run_kind::u8;
    case 2: return is_signed ? run_kind::i16 : run_kind::u16;
    case 4: return is_signed ? run_kind::i32 : run_kind::u32;
    default: static_assert(sizeof(Integer) <= 8); return is_signed ? run_kind::i64 : run_kind::u64;
    }
}

/// The kind of format character `code` (one `parse_format` accepted) in a mode.
template <bool Native>
[[nodiscard]] constexpr run_kind kind_of(char code) noexcept {
    switch (code) {
    case 'b': return integer_kind<integer_for_code_t<'b', Native>>();
    case 'B': return integer_kind<integer_for_code_t<'B', Native>>();
    case 'h': return integer_kind<integer_for_code_t<'h', Native>>();
    case 'H': return integer_kind<integer_for_code_t<'H', Native>>();
    case 'i': return integer_kind<integer_for_code_t<'i', Native>>();
    case 'I': return integer_kind<integer_for_code_t<'I', Native>>();
    case 'l': return integer_kind<integer_for_code_t<'l', Native>>();
    case 'L': return integer_kind<integer_for_code_t<'L', Native>>();
    case 'q': return integer_kind<integer_for_code_t<'q', Native>>();
    case 'Q': return integer_kind<integer_for_code_t<'Q', Native>>();
    case 'n': return integer_kind<integer_for_code_t<'n', Native>>();
    case 'N': return integer_kind<integer_for_code_t<'N', Native>>();
    case 'P': return run_kind::pointer;
    case '?': return run_kind::boolean;
    case 'c': return run_kind::character;
    case 'e': return run_kind::half;
    case 'f': return run_kind::single;
    case 'd': return run_kind::double_;
    case 's': return run_kind::bytes;
    case 'p': return run_kind::pascal;
    default: return run_kind::pad;
    }
}

// ---- Values to wire representations: the general code ---------------------------------

// The per-value helpers are inlined into the handlers and loops that use them,
// whatever the optimiser's size heuristics say: one call per value would double
// the cost. The few functions marked NOINLINE must stay calls, so that the code
// around them needs no stack frame. The fast handlers start on a 64-byte
// boundary (HANDLER), so where each falls in the cache lines no longer depends
// on the code the linker puts around it: the header format's `pack_into` and
// `unpack_into` ran 20-35% faster on this project's machine than with the
// default 16-byte alignment, for at most 64 bytes of padding per handler (about
// 80 of them). The macros are undefined at the end of this header.
#if defined(__GNUC__) || defined(__clang__)
#define WIREPACK_DETAIL_ALWAYS_INLINE [[gnu::always_inline]] inline
#define WIREPACK_DETAIL_NOINLINE [[gnu::noinline]]
#define WIREPACK_DETAIL_HANDLER [[gnu::aligned(64)]]
#elif defined(_MSC_VER)
#define WIREPACK_DETAIL_ALWAYS_INLINE __forceinline
#define WIREPACK_DETAIL_NOINLINE __declspec(noinline)
#define WIREPACK_DETAIL_HANDLER
#else
#define WIREPACK_DETAIL_ALWAYS_INLINE inline
#define WIREPACK_DETAIL_NOINLINE
#define WIREPACK_DETAIL_HANDLER
#endif

/// Requires: never reached (a `switch` over kinds its caller excludes).
[[noreturn]] inline void unreachable() noexcept {
#if defined(__GNUC__) || defined(__clang__)
    __builtin_unreachable();
#elif defined(_MSC_VER)
    __assume(false);
#endif
}

[[noreturn]] inline void throw_not_an_integer() { throw error(errc::not_an_integer); }
[[noreturn]] inline void throw_not_a_float() { throw error(errc::not_a_float); }
[[noreturn]] inline void throw_char_not_one_byte() { throw error(errc::char_not_one_byte); }
[[noreturn]] inline void throw_not_bytes(char code) {
    throw error(errc::not_bytes, std::string("argument for '") + code + "' must be a bytes object");
}

/// `v` as the wire integer of `code`, with CPython's range and kind errors.
/// (`std::get` after a test of `index()`: the test is the only check left.)
template <class Wire>
[[nodiscard]] WIREPACK_DETAIL_ALWAYS_INLINE Wire integer_from_value(char code, const value& v) {
    constexpr std::size_t likely_index = integer_index<Wire>;
    constexpr std::size_t other_index = likely_index == int_index ? uint_index : int_index;
    const std::size_t index = v.index();
    if (index == likely_index) [[likely]] return to_wire_integer<Wire>(code, std::get<likely_index>(v));
    if (index == other_index) return to_wire_integer<Wire>(code, std::get<other_index>(v));
    if (index == bool_index) return static_cast<Wire>(std::get<bool_index>(v));
    throw_not_an_integer();
}

/// `v` as the address `P` stores: Python accepts a negative address and stores its
/// two's complement.
[[nodiscard]] inline std::uintptr_t address_from_value(const value& v) {
    if (v.index() == int_index) return static_cast<std::uintptr_t>(std::get<int_index>(v));
    return integer_from_value<std::uintptr_t>('P', v);
}

/// A float argument: its value, and whether it was an int or a bool (which only
/// changes the wording of an overflow error, as in CPython).
struct float_argument {
    double x;
    bool from_integer;
};

[[nodiscard]] WIREPACK_DETAIL_ALWAYS_INLINE float_argument float_from_value(const value& v) {
    // Tests in order of likelihood rather than a `switch`, which clang lowers to a
    // second indirect jump per float.
    const std::size_t index = v.index();
    if (index == double_index) [[likely]] return {std::get<double_index>(v), false};
    if (index == int_index) return {static_cast<double>(std::get<int_index>(v)), true};
    if (index == uint_index) return {static_cast<double>(std::get<uint_index>(v)), true};
    if (index == bool_index) return {std::get<bool_index>(v) ? 1.0 : 0.0, true};
    throw_not_a_float();
}

[[nodiscard]] inline double double_from_value(const value& v) { return float_from_value(v).x; }

/// `to_wire_float`, with the common case (a magnitude below the overflow threshold)
/// decided by one comparison.
[[nodiscard]] WIREPACK_DETAIL_ALWAYS_INLINE float float_from_double(double x, bool from_integer) {
    if (x < float_overflow_threshold && x > -float_overflow_threshold) [[likely]] return static_cast<float>(x);
    return to_wire_float(x, from_integer);
}

/// Python's truth value.
[[nodiscard]] inline bool truth_of(const value& v) noexcept {
    switch (v.index()) {
    case bool_index: return std::get<bool_index>(v);
    case int_index: return std::get<int_index>(v) != 0;
    case uint_index: return std::get<uint_index>(v) != 0;
    case double_index: return std::get<double_index>(v) != 0;
    case bytes_index: return !std::get<bytes_index>(v).empty();
    default: return false;  // valueless_by_exception
    }
}

[[nodiscard]] WIREPACK_DETAIL_ALWAYS_INLINE const bytes& bytes_from_value(char code, const value& v) {
    if (v.index() == bytes_index) [[likely]] return std::get<bytes_index>(v);
    throw_not_bytes(code);
}

/// Copies `n` bytes, with at most four loads and four stores and no call.
/// Requires: `n <= 16`.
WIREPACK_DETAIL_ALWAYS_INLINE void copy_upto16(void* to, const void* from, std::size_t n) noexcept {
    auto* out = static_cast<unsigned char*>(to);
    const auto* in = static_cast<const unsigned char*>(from);
    if (n >= 8) {  // two overlapping words
        std::uint64_t head, tail;
        std::memcpy(&head, in, 8);
        std::memcpy(&tail, in + n - 8, 8);
        std::memcpy(out, &head, 8);
        std::memcpy(out + n - 8, &tail, 8);
    } else if (n >= 4) {
        std::uint32_t head, tail;
        std::memcpy(&head, in, 4);
        std::memcpy(&tail, in + n - 4, 4);
        std::memcpy(out, &head, 4);
        std::memcpy(out + n - 4, &tail, 4);
    } else if (n != 0) {
        const unsigned char first = in[0], middle = in[n / 2], last = in[n - 1];
        out[0] = first;
        out[n / 2] = middle;
        out[n - 1] = last;
    }
}

/// Zeroes `n` bytes without a call. Requires: `n <= 16`.
WIREPACK_DETAIL_ALWAYS_INLINE void zero_upto16(std::byte* at, std::size_t n) noexcept {
    if (n >= 8) {
        const std::uint64_t zero = 0;
        std::memcpy(at, &zero, 8);
        std::memcpy(at + n - 8, &zero, 8);
    } else if (n >= 4) {
        const std::uint32_t zero = 0;
        std::memcpy(at, &zero, 4);
        std::memcpy(at + n - 4, &zero, 4);
    } else if (n != 0) {
        at[0] = at[n / 2] = at[n - 1] = std::byte{0};
    }
}

/// Copies `n` bytes, inline up to 16 (the fields of a typical header) instead of a
/// call to `memcpy`.
WIREPACK_DETAIL_ALWAYS_INLINE void copy_small(void* to, const void* from, std::size_t n) noexcept {
    if (n > 16) std::memcpy(to, from, n);
    else copy_upto16(to, from, n);
}

/// `s`: the first `field` bytes of `text`, NUL-padded (`store_string`, inline).
WIREPACK_DETAIL_ALWAYS_INLINE void store_bytes(std::byte* at, std::size_t field, const bytes& text) noexcept {
    const std::size_t copied = text.size() < field ? text.size() : field;
    copy_small(at, text.data(), copied);
    if (copied != field) std::memset(at + copied, 0, field - copied);
}

/// Packs the one value `v` of kind `kind` (`s.kind`, or `s.element` in a repeated
/// step) at `at`. Requires: `kind` is not `repeated`, `pad` or `end`.
template <boost::endian::order Order>
WIREPACK_DETAIL_ALWAYS_INLINE void pack_value(run_kind kind, const step& s, std::byte* at, const value& v) {
    const char code = s.code;     // read only by the cases that need them
    const std::size_t field = s.count;
    switch (kind) {
    case run_kind::i8: store<Order>(at, integer_from_value<std::int8_t>(code, v)); return;
    case run_kind::u8: store<Order>(at, integer_from_value<std::uint8_t>(code, v)); return;
    case run_kind::i16: store<Order>(at, integer_from_value<std::int16_t>(code, v)); return;
    case run_kind::u16: store<Order>(at, integer_from_value<std::uint16_t>(code, v)); return;
    case run_kind::i32: store<Order>(at, integer_from_value<std::int32_t>(code, v)); return;
    case run_kind::u32: store<Order>(at, integer_from_value<std::uint32_t>(code, v)); return;
    case run_kind::i64: store<Order>(at, integer_from_value<std::int64_t>(code, v)); return;
    case run_kind::u64: store<Order>(at, integer_from_value<std::uint64_t>(code, v)); return;
    case run_kind::pointer: store<Order>(at, address_from_value(v)); return;
    case run_kind::boolean: *at = static_cast<std::byte>(truth_of(v)); return;
    case run_kind::character: {
        if (v.index() != bytes_index || std::get<bytes_index>(v).size() != 1) throw_char_not_one_byte();
        *at = static_cast<std::byte>(std::get<bytes_index>(v)[0]);
        return;
    }
    case run_kind::half: {
        const float_argument a = float_from_value(v);
        store<Order>(at, to_wire_half(a.x, a.from_integer));
        return;
    }
    case run_kind::single: {
        const float_argument a = float_from_value(v);
        store<Order>(at, float_from_double(a.x, a.from_integer));
        return;
    }
    case run_kind::double_: store<Order>(at, float_from_value(v).x); return;
    case run_kind::bytes: {
        store_bytes(at, field, bytes_from_value('s', v));
        return;
    }
    case run_kind::pascal: {
        const bytes& text = bytes_from_value('p', v);
        store_pascal(at, field, text.data(), text.size());
        return;
    }
    case run_kind::repeated:
    case run_kind::pad:
    case run_kind::end: break;
    }
    unreachable();
}

// ---- Wire representations to values (reusing what `v` already holds) ---------------------

/// Makes `v`, which holds no `bytes`, hold alternative `Index` made from `args`.
/// Unlike `emplace`, it runs no destructor first (a dispatch on what `v` holds):
/// a bool, an int or a float has nothing to release (value.hpp checks), so the
/// new value is simply made in its place. Requires: making it does not throw.
template <std::size_t Index, class... Args>
WIREPACK_DETAIL_ALWAYS_INLINE void construct_over_scalar(value& v, std::in_place_index_t<Index> which,
                                                         Args&&... args) noexcept {
    assert(v.index() != bytes_index);
    std::construct_at(&v, which, std::forward<Args>(args)...);
}

/// Sets `v` to `x`, in place when `v` already holds that alternative.
template <std::size_t Index, class T>
WIREPACK_DETAIL_ALWAYS_INLINE void set_value(value& v, T x) noexcept {
    if (v.index() == Index) [[likely]] std::get<Index>(v) = x;
    else v.template emplace<Index>(x);
}

/// Sets `v` to the `length` bytes at `data`, reusing the capacity of the bytes it holds.
WIREPACK_DETAIL_ALWAYS_INLINE void set_bytes(value& v, const std::byte* data, std::size_t length) {
    const char* chars = reinterpret_cast<const char*>(data);
    if (v.index() == bytes_index) [[likely]] {
        std::get<bytes_index>(v).assign(chars, length);
    } else {
        // Made first, so that if it cannot be allocated `v` is left as it was.
        bytes made(chars, length);
        construct_over_scalar(v, std::in_place_index<bytes_index>, std::move(made));
    }
}

template <boost::endian::order Order, class Wire>
WIREPACK_DETAIL_ALWAYS_INLINE void unpack_integer(const std::byte* at, value& v) noexcept {
    set_value<integer_index<Wire>>(v, widened(load<Wire, Order>(at)));
}

/// Unpacks the one value of kind `kind` (`s.kind`, or `s.element` in a repeated
/// step) at `at` into `v`. Requires: `kind` is not `repeated`, `pad` or `end`.
template <boost::endian::order Order>
WIREPACK_DETAIL_ALWAYS_INLINE void unpack_value(run_kind kind, const step& s, const std::byte* at, value& v) {
    const std::size_t field = s.count;
    switch (kind) {
    case run_kind::i8: unpack_integer<Order, std::int8_t>(at, v); return;
    case run_kind::u8: unpack_integer<Order, std::uint8_t>(at, v); return;
    case run_kind::i16: unpack_integer<Order, std::int16_t>(at, v); return;
    case run_kind::u16: unpack_integer<Order, std::uint16_t>(at, v); return;
    case run_kind::i32: unpack_integer<Order, std::int32_t>(at, v); return;
    case run_kind::u32: unpack_integer<Order, std::uint32_t>(at, v); return;
    case run_kind::i64: unpack_integer<Order, std::int64_t>(at, v); return;
    case run_kind::u64: unpack_integer<Order, std::uint64_t>(at, v); return;
    case run_kind::pointer: unpack_integer<Order, std::uintptr_t>(at, v); return;
    case run_kind::boolean: set_value<bool_index>(v, *at != std::byte{0}); return;
    case run_kind::character: set_bytes(v, at, 1); return;
    case run_kind::half: set_value<double_index>(v, half_to_double(load<std::uint16_t, Order>(at))); return;
    case run_kind::single: set_value<double_index>(v, static_cast<double>(load<float, Order>(at))); return;
    case run_kind::double_: set_value<double_index>(v, load<double, Order>(at)); return;
    case run_kind::bytes: set_bytes(v, at, field); return;
    case run_kind::pascal: {
        const std::size_t length = pascal_length(at, field);
        set_bytes(v, length == 0 ? at : at + 1, length);
        return;
    }
    case run_kind::repeated:
    case run_kind::pad:
    case run_kind::end: break;
    }
    unreachable();
}

// ---- The general code for what the fast path leaves -----------------------------------------

/// The `end` step after `s`, whose offset is the struct's size.
[[nodiscard]] inline const step& end_of(const step* s) noexcept {
    while (s->kind != run_kind::end) ++s;
    return *s;
}

/// Packs the values of step `s` (at `v`) into the struct at `out`. If a value is
/// refused, zeroes the struct from that value on (CPython zeroes the whole struct
/// before packing) and lets the error through.
template <boost::endian::order Order>
void pack_step(const step& s, std::byte* out, const value* v) {
    if (s.kind == run_kind::pad) {
        fill_zero(out + s.offset, s.count);
        return;
    }
    const bool repeated = s.kind == run_kind::repeated;
    const std::size_t count = repeated ? s.count : 1;
    const std::size_t stride = repeated ? s.stride : 0;
    std::size_t at = s.offset;
    try {
        for (std::size_t k = 0; k < count; ++k, at += stride) pack_value<Order>(s.element, s, out + at, v[k]);
    } catch (...) {
        fill_zero(out + at, end_of(&s).offset - at);
        throw;
    }
}

/// Packs step `s` with the general code: for a value the fast code does not take,
/// and for the steps it never takes.
WIREPACK_DETAIL_NOINLINE inline void pack_one(const step& s, std::byte* out, const value* v) {
    if (s.big_endian) pack_step<boost::endian::order::big>(s, out, v);
    else pack_step<boost::endian::order::little>(s, out, v);
}

/// Packs the steps from `s` to the end with the general code, in a loop.
WIREPACK_DETAIL_NOINLINE inline void pack_rest(const step* s, std::byte* out, const value* v) {
    for (; s->kind != run_kind::end; v += s->value_count(), ++s) pack_one(*s, out, v);
}

template <boost::endian::order Order>
void unpack_step(const step& s, const std::byte* in, value* v) {
    if (s.kind == run_kind::pad) return;  // only in the packing table
    const bool repeated = s.kind == run_kind::repeated;
    const std::size_t count = repeated ? s.count : 1;
    const std::size_t stride = repeated ? s.stride : 0;
    const std::byte* at = in + s.offset;
    for (std::size_t k = 0; k < count; ++k, at += stride) unpack_value<Order>(s.element, s, at, v[k]);
}

/// Unpacks step `s` with the general code (see `pack_one`).
WIREPACK_DETAIL_NOINLINE inline void unpack_one(const step& s, const std::byte* in, value* v) {
    if (s.big_endian) unpack_step<boost::endian::order::big>(s, in, v);
    else unpack_step<boost::endian::order::little>(s, in, v);
}

/// Unpacks the steps from `s` to the end with the general code, in a loop.
WIREPACK_DETAIL_NOINLINE inline void unpack_rest(const step* s, const std::byte* in, value* v) {
    for (; s->kind != run_kind::end; v += s->value_count(), ++s) unpack_one(*s, in, v);
}

/// Makes the values of step `s` at `v` with the general code: `false` values,
/// then unpacked into. Returns how many it made.
WIREPACK_DETAIL_NOINLINE inline std::size_t make_one(const step& s, const std::byte* in, value* v) noexcept {
    const std::size_t made = s.value_count();
    std::uninitialized_default_construct_n(v, made);
    unpack_one(s, in, v);  // does not throw: no value needs an allocation (see `make_handler`)
    return made;
}

/// Makes the values of the steps from `s` to the end with the general code, in a loop.
WIREPACK_DETAIL_NOINLINE inline void make_rest(const step* s, const std::byte* in, value* v) noexcept {
    for (; s->kind != run_kind::end; ++s) v += make_one(*s, in, v);
}

// ---- The fast path: a chain of handlers ------------------------------------------------------
//
// Each `*_fast` function below does the common case of one value with no call, or
// returns false having written nothing; its handler then passes the value on to
// slower code (in the end the general code, which raises CPython's error if there
// is one) as a tail call. Either way the chain goes on with the next step, and the
// fast path needs no stack frame.

/// The active alternative `Index` of `v`. Requires: `v.index() == Index`.
template <std::size_t Index>
[[nodiscard]] WIREPACK_DETAIL_ALWAYS_INLINE const auto& held(const value& v) noexcept {
    return *std::get_if<Index>(&v);
}

/// An int of the expected signedness, then of the other one, in range.
template <class Wire, boost::endian::order Order>
[[nodiscard]] WIREPACK_DETAIL_ALWAYS_INLINE bool pack_integer_fast(std::byte* at, const step&, const value& v) noexcept {
    constexpr std::size_t likely_index = integer_index<Wire>;
    constexpr std::size_t other_index = likely_index == int_index ? uint_index : int_index;
    const std::size_t index = v.index();
    if (index == likely_index) [[likely]] {
        const auto x = held<likely_index>(v);
        if (!std::in_range<Wire>(x)) return false;
        store<Order>(at, static_cast<Wire>(x));
        return true;
    }
    if (index != other_index) return false;
    const auto x = held<other_index>(v);
    if (!std::in_range<Wire>(x)) return false;
    store<Order>(at, static_cast<Wire>(x));
    return true;
}

/// A float below the overflow threshold (so neither a NaN nor an infinity).
template <boost::endian::order Order>
[[nodiscard]] WIREPACK_DETAIL_ALWAYS_INLINE bool pack_single_fast(std::byte* at, const step&, const value& v) noexcept {
    if (v.index() != double_index) return false;
    const double x = held<double_index>(v);
    if (!(std::fabs(x) < float_overflow_threshold)) return false;
    store<Order>(at, static_cast<float>(x));
    return true;
}

template <boost::endian::order Order>
[[nodiscard]] WIREPACK_DETAIL_ALWAYS_INLINE bool pack_double_fast(std::byte* at, const step&, const value& v) noexcept {
    if (v.index() != double_index) return false;
    store<Order>(at, held<double_index>(v));
    return true;
}

[[nodiscard]] WIREPACK_DETAIL_ALWAYS_INLINE bool pack_bool_fast(std::byte* at, const step&, const value& v) noexcept {
    if (v.index() != bool_index) return false;
    *at = static_cast<std::byte>(held<bool_index>(v));
    return true;
}

[[nodiscard]] WIREPACK_DETAIL_ALWAYS_INLINE bool pack_char_fast(std::byte* at, const step&, const value& v) noexcept {
    if (v.index() != bytes_index || held<bytes_index>(v).size() != 1) return false;
    *at = static_cast<std::byte>(held<bytes_index>(v)[0]);
    return true;
}

/// `s`: a string of exactly the field's length, `Field` (at most 16). One to cut
/// or pad goes to `pack_bytes_then_next`.
template <std::size_t Field>
[[nodiscard]] WIREPACK_DETAIL_ALWAYS_INLINE bool pack_bytes_fast(std::byte* at, const step&, const value& v) noexcept {
    static_assert(Field <= 16);
    if (v.index() != bytes_index || held<bytes_index>(v).size() != Field) return false;
    if constexpr (Field != 0) std::memcpy(at, held<bytes_index>(v).data(), Field);  // `at` may be null for a 0-byte struct
    return true;
}

/// Sets `v` to `x` as alternative `Index`: in place when it holds that one already,
/// else by replacing a bool, int or float (no destructor to run: two stores).
/// Returns false for bytes, which the general code replaces.
template <std::size_t Index, class T>
[[nodiscard]] WIREPACK_DETAIL_ALWAYS_INLINE bool set_fast(value& v, T x) noexcept {
    const std::size_t index = v.index();
    if (index == Index) [[likely]] {
        *std::get_if<Index>(&v) = x;
        return true;
    }
    if (index >= bytes_index) return false;
    construct_over_scalar(v, std::in_place_index<Index>, x);
    return true;
}

template <class Wire, boost::endian::order Order>
[[nodiscard]] WIREPACK_DETAIL_ALWAYS_INLINE bool unpack_integer_fast(const std::byte* at, const step&, value& v) noexcept {
    return set_fast<integer_index<Wire>>(v, widened(load<Wire, Order>(at)));
}

template <class Wire, boost::endian::order Order>
[[nodiscard]] WIREPACK_DETAIL_ALWAYS_INLINE bool unpack_float_fast(const std::byte* at, const step&, value& v) noexcept {
    return set_fast<double_index>(v, static_cast<double>(load<Wire, Order>(at)));
}

[[nodiscard]] WIREPACK_DETAIL_ALWAYS_INLINE bool unpack_bool_fast(const std::byte* at, const step&, value& v) noexcept {
    return set_fast<bool_index>(v, *at != std::byte{0});
}

/// `s` and `c` in `unpack_into`: overwrites bytes of the field's length (`Field`,
/// at most 16) in place, or replaces a scalar with new bytes, which hold `Field`
/// bytes inline. Bytes of another length go to `set_bytes_then_next`.
template <std::size_t Field>
[[nodiscard]] WIREPACK_DETAIL_ALWAYS_INLINE bool unpack_bytes_fast(const std::byte* at, const step&, value& v) noexcept {
    static_assert(Field <= 16 && Field <= bytes::inline_capacity, "the bytes are made without allocating");
    const char* const chars = reinterpret_cast<const char*>(at);
    const std::size_t index = v.index();
    if (index < bytes_index) {
        construct_over_scalar(v, std::in_place_index<bytes_index>, chars, Field);  // cannot throw: no allocation
        return true;
    }
    if (index != bytes_index) return false;
    bytes& held = *std::get_if<bytes_index>(&v);
    if (held.size() != Field) return false;
    if constexpr (Field != 0) std::memcpy(held.data(), chars, Field);  // `at` may be null for a 0-byte struct
    return true;
}

using pack_fast_function = bool (*)(std::byte*, const step&, const value&) noexcept;
using unpack_fast_function = bool (*)(const std::byte*, const step&, value&) noexcept;

/// The handler of a step that only the general code does, and where the others
/// go for a value they do not take. Out of line: the call in it would otherwise
/// cost every handler a stack frame.
WIREPACK_DETAIL_NOINLINE inline void pack_general_then_next(const step* s, std::byte* out, const value* v) {
    pack_one(*s, out, v);
    const std::size_t used = s->value_count();
    ++s;
    return s->pack(s, out, v + used);
}

/// Where an `s` field of at most 16 bytes goes for bytes to cut or pad.
WIREPACK_DETAIL_NOINLINE inline void pack_bytes_then_next(const step* s, std::byte* out, const value* v) {
    if (v->index() != bytes_index) return pack_general_then_next(s, out, v);
    const bytes& text = held<bytes_index>(*v);
    std::byte* const at = out + s->offset;
    const std::size_t copied = text.size() < s->count ? text.size() : s->count;
    copy_upto16(at, text.data(), copied);
    zero_upto16(at + copied, s->count - copied);
    ++s;
    return s->pack(s, out, v + 1);
}

/// The handler of a step of one value that `Pack` usually does, and `Otherwise`
/// does when it does not.
template <pack_fast_function Pack, pack_handler Otherwise = pack_general_then_next>
WIREPACK_DETAIL_HANDLER void pack_then_next(const step* s, std::byte* out, const value* v) {
    if (!Pack(out + s->offset, *s, *v)) [[unlikely]] return Otherwise(s, out, v);
    ++s;
    return s->pack(s, out, v + 1);
}

/// The handler of a pad of at most 16 bytes.
WIREPACK_DETAIL_HANDLER inline void zero_then_next(const step* s, std::byte* out, const value* v) {
    zero_upto16(out + s->offset, s->count);
    ++s;
    return s->pack(s, out, v);
}

WIREPACK_DETAIL_HANDLER inline void pack_end(const step*, std::byte*, const value*) noexcept {}

WIREPACK_DETAIL_NOINLINE inline void unpack_general_then_next(const step* s, const std::byte* in, value* v) {
    unpack_one(*s, in, v);
    const std::size_t used = s->value_count();
    ++s;
    return s->unpack(s, in, v + used);
}

/// `set_bytes`, as a call: clang makes no tail call from a function whose locals
/// had their address taken, as `set_bytes` inlined would.
WIREPACK_DETAIL_NOINLINE inline void set_bytes_at(const step& s, const std::byte* in, value& v) {
    set_bytes(v, in + s.offset, s.count);
}

/// Where `s` and `c` go for bytes held at another length (or a valueless value):
/// `set_bytes`, without the general code's dispatch.
WIREPACK_DETAIL_NOINLINE inline void set_bytes_then_next(const step* s, const std::byte* in, value* v) {
    set_bytes_at(*s, in, *v);
    ++s;
    return s->unpack(s, in, v + 1);
}

template <unpack_fast_function Unpack, unpack_handler Otherwise = unpack_general_then_next>
WIREPACK_DETAIL_HANDLER void unpack_then_next(const step* s, const std::byte* in, value* v) {
    if (!Unpack(in + s->offset, *s, *v)) [[unlikely]] return Otherwise(s, in, v);
    ++s;
    return s->unpack(s, in, v + 1);
}

WIREPACK_DETAIL_HANDLER inline void unpack_end(const step*, const std::byte*, value*) noexcept {}

// Making new values: the same decoding, each value made in place without looking
// at what was there before (nothing was).

template <class Wire, boost::endian::order Order>
WIREPACK_DETAIL_ALWAYS_INLINE void make_integer(const std::byte* at, value* v) noexcept {
    std::construct_at(v, std::in_place_index<integer_index<Wire>>, widened(load<Wire, Order>(at)));
}

template <class Wire, boost::endian::order Order>
WIREPACK_DETAIL_ALWAYS_INLINE void make_float(const std::byte* at, value* v) noexcept {
    std::construct_at(v, std::in_place_index<double_index>, static_cast<double>(load<Wire, Order>(at)));
}

WIREPACK_DETAIL_ALWAYS_INLINE void make_bool(const std::byte* at, value* v) noexcept {
    std::construct_at(v, std::in_place_index<bool_index>, *at != std::byte{0});
}

/// `s` and `c` of `Field` bytes, at most 16: held inline, so made without allocating.
template <std::size_t Field>
WIREPACK_DETAIL_ALWAYS_INLINE void make_bytes(const std::byte* at, value* v) noexcept {
    static_assert(Field <= 16 && Field <= bytes::inline_capacity, "the bytes are made without allocating");
    std::construct_at(v, std::in_place_index<bytes_index>, reinterpret_cast<const char*>(at), Field);
}

using make_fast_function = void (*)(const std::byte*, value*) noexcept;

WIREPACK_DETAIL_NOINLINE inline void make_general_then_next(const step* s, const std::byte* in, value* v) noexcept {
    const std::size_t made = make_one(*s, in, v);
    ++s;
    return s->make(s, in, v + made);
}

template <make_fast_function Make>
WIREPACK_DETAIL_HANDLER void make_then_next(const step* s, const std::byte* in, value* v) noexcept {
    Make(in + s->offset, v);
    ++s;
    return s->make(s, in, v + 1);
}

WIREPACK_DETAIL_HANDLER inline void make_end(const step*, const std::byte*, value*) noexcept {}

/// The longest `s` field and pad the handlers copy or zero inline.
inline constexpr std::size_t fast_field_limit = 16;

/// The handlers of `s` fields of 0 to 16 bytes.
template <std::size_t... Fields>
[[nodiscard]] constexpr pack_handler pack_bytes_handler(std::size_t field, std::index_sequence<Fields...>) noexcept {
    constexpr pack_handler handlers[] = {pack_then_next<pack_bytes_fast<Fields>, pack_bytes_then_next>...};
    return handlers[field];
}
template <std::size_t... Fields>
[[nodiscard]] constexpr unpack_handler unpack_bytes_handler(std::size_t field, std::index_sequence<Fields...>) noexcept {
    constexpr unpack_handler handlers[] = {unpack_then_next<unpack_bytes_fast<Fields>, set_bytes_then_next>...};
    return handlers[field];
}
using fast_fields = std::make_index_sequence<fast_field_limit + 1>;

/// The handler that packs a step of one value of kind `kind` (or a pad or `s`
/// field of `field` bytes).
template <boost::endian::order Order>
[[nodiscard]] constexpr pack_handler pack_handler_of(run_kind kind, std::size_t field) noexcept {
    switch (kind) {
    case run_kind::i8: return pack_then_next<pack_integer_fast<std::int8_t, Order>>;
    case run_kind::u8: return pack_then_next<pack_integer_fast<std::uint8_t, Order>>;
    case run_kind::i16: return pack_then_next<pack_integer_fast<std::int16_t, Order>>;
    case run_kind::u16: return pack_then_next<pack_integer_fast<std::uint16_t, Order>>;
    case run_kind::i32: return pack_then_next<pack_integer_fast<std::int32_t, Order>>;
    case run_kind::u32: return pack_then_next<pack_integer_fast<std::uint32_t, Order>>;
    case run_kind::i64: return pack_then_next<pack_integer_fast<std::int64_t, Order>>;
    case run_kind::u64: return pack_then_next<pack_integer_fast<std::uint64_t, Order>>;
    case run_kind::boolean: return pack_then_next<pack_bool_fast>;
    case run_kind::character: return pack_then_next<pack_char_fast>;
    case run_kind::single: return pack_then_next<pack_single_fast<Order>>;
    case run_kind::double_: return pack_then_next<pack_double_fast<Order>>;
    case run_kind::bytes:
        return field <= fast_field_limit ? pack_bytes_handler(field, fast_fields{}) : pack_general_then_next;
    case run_kind::pad: return field <= fast_field_limit ? zero_then_next : pack_general_then_next;
    case run_kind::end: return pack_end;
    case run_kind::pointer:  // `P` also takes a negative int
    case run_kind::half:
    case run_kind::pascal:
    case run_kind::repeated: break;
    }
    return pack_general_then_next;
}

/// The handler that unpacks a step of one value of kind `kind`.
template <boost::endian::order Order>
[[nodiscard]] constexpr unpack_handler unpack_handler_of(run_kind kind, std::size_t field) noexcept {
    switch (kind) {
    case run_kind::i8: return unpack_then_next<unpack_integer_fast<std::int8_t, Order>>;
    case run_kind::u8: return unpack_then_next<unpack_integer_fast<std::uint8_t, Order>>;
    case run_kind::i16: return unpack_then_next<unpack_integer_fast<std::int16_t, Order>>;
    case run_kind::u16: return unpack_then_next<unpack_integer_fast<std::uint16_t, Order>>;
    case run_kind::i32: return unpack_then_next<unpack_integer_fast<std::int32_t, Order>>;
    case run_kind::u32: return unpack_then_next<unpack_integer_fast<std::uint32_t, Order>>;
    case run_kind::i64: return unpack_then_next<unpack_integer_fast<std::int64_t, Order>>;
    case run_kind::u64: return unpack_then_next<unpack_integer_fast<std::uint64_t, Order>>;
    case run_kind::pointer: return unpack_handler_of<Order>(integer_kind<std::uintptr_t>(), field);
    case run_kind::boolean: return unpack_then_next<unpack_bool_fast>;
    case run_kind::character:
    case run_kind::bytes:
        return field <= fast_field_limit ? unpack_bytes_handler(field, fast_fields{}) : unpack_general_then_next;
    case run_kind::single: return unpack_then_next<unpack_float_fast<float, Order>>;
    case run_kind::double_: return unpack_then_next<unpack_float_fast<double, Order>>;
    case run_kind::end: return unpack_end;
    case run_kind::half:
    case run_kind::pascal:
    case run_kind::repeated:
    case run_kind::pad: break;
    }
    return unpack_general_then_next;
}

template <std::size_t... Fields>
[[nodiscard]] constexpr make_handler make_bytes_handler(std::size_t field, std::index_sequence<Fields...>) noexcept {
    constexpr make_handler handlers[] = {make_then_next<make_bytes<Fields>>...};
    return handlers[field];
}

/// The handler that makes the new value of a step of kind `kind`.
template <boost::endian::order Order>
[[nodiscard]] constexpr make_handler make_handler_of(run_kind kind, std::size_t field) noexcept {
    switch (kind) {
    case run_kind::i8: return make_then_next<make_integer<std::int8_t, Order>>;
    case run_kind::u8: return make_then_next<make_integer<std::uint8_t, Order>>;
    case run_kind::i16: return make_then_next<make_integer<std::int16_t, Order>>;
    case run_kind::u16: return make_then_next<make_integer<std::uint16_t, Order>>;
    case run_kind::i32: return make_then_next<make_integer<std::int32_t, Order>>;
    case run_kind::u32: return make_then_next<make_integer<std::uint32_t, Order>>;
    case run_kind::i64: return make_then_next<make_integer<std::int64_t, Order>>;
    case run_kind::u64: return make_then_next<make_integer<std::uint64_t, Order>>;
    case run_kind::pointer: return make_handler_of<Order>(integer_kind<std::uintptr_t>(), field);
    case run_kind::boolean: return make_then_next<make_bool>;
    case run_kind::character:
    case run_kind::bytes:
        return field <= fast_field_limit ? make_bytes_handler(field, fast_fields{}) : make_general_then_next;
    case run_kind::single: return make_then_next<make_float<float, Order>>;
    case run_kind::double_: return make_then_next<make_float<double, Order>>;
    case run_kind::end: return make_end;
    case run_kind::half:
    case run_kind::pascal:
    case run_kind::repeated:
    case run_kind::pad: break;
    }
    return make_general_then_next;
}

// ---- Compiling a format into steps -----------------------------------------------------------

/// Runs up to this long (`16h`) become one step per value.
inline constexpr std::size_t unrolled_run_limit = 16;

/// The step at this index, if not `end`, gets the handler `pack_rest` or
/// `unpack_rest`, which does the rest of the format in a loop: without tail calls
/// (-O0, -O1) a chain of handlers is no deeper than this.
inline constexpr std::size_t chained_steps_limit = 64;

/// The steps of parsed `items` in the order of their offsets, then `end`. For
/// packing, every `x` item and native alignment gap (`layout_walker`'s padding) is
/// a pad step, adjacent ones merged; for unpacking there are none. `size` is the
/// struct's size. The table never grows with the repeat counts beyond
/// `unrolled_run_limit` steps per item.
[[nodiscard]] inline std::vector<step> compile_steps(std::span<const format_item> items, byte_order order,
                                                     std::size_t size, bool packing) {
    const bool native = order == byte_order::native;
    const bool big = endian_of(order) == boost::endian::order::big;
    std::vector<step> steps;
    const auto add = [&](std::size_t offset, std::size_t count, run_kind kind, run_kind element, char code,
                         std::size_t stride) {
        steps.push_back(
            {nullptr, nullptr, nullptr, offset, count, kind, element, code, static_cast<std::uint8_t>(stride), big});
    };
    const auto add_pad = [&](std::size_t offset, std::size_t count) {
        if (!packing) return;
        if (!steps.empty() && steps.back().kind == run_kind::pad && steps.back().offset + steps.back().count == offset) {
            steps.back().count += count;
        } else {
            add(offset, count, run_kind::pad, run_kind::pad, 'x', 1);
        }
    };

    const auto add_values = [&](const format_item& item) {
        const run_kind kind = native ? kind_of<true>(item.code) : kind_of<false>(item.code);
        if (kind == run_kind::bytes || kind == run_kind::pascal) {
            add(item.offset, item.count, kind, kind, item.code, 1);
        } else if (item.count <= unrolled_run_limit) {
            for (std::size_t k = 0; k < item.count; ++k) add(item.offset + k * item.element_size, 1, kind, kind, item.code, 1);
        } else {
            add(item.offset, item.count, run_kind::repeated, kind, item.code, item.element_size);
        }
    };

    layout_walker walk{add_values, add_pad};
    for (const format_item& item : items) walk(item);
    walk.finish(size);
    add(size, 0, run_kind::end, run_kind::end, '\0', 1);

    using boost::endian::order;
    for (step& s : steps) {
        if (packing) {
            s.pack = big ? pack_handler_of<order::big>(s.kind, s.count) : pack_handler_of<order::little>(s.kind, s.count);
        } else {
            s.unpack = big ? unpack_handler_of<order::big>(s.kind, s.count)
                           : unpack_handler_of<order::little>(s.kind, s.count);
            s.make = big ? make_handler_of<order::big>(s.kind, s.count) : make_handler_of<order::little>(s.kind, s.count);
        }
    }
    if (steps.size() > chained_steps_limit) {
        step& s = steps[chained_steps_limit - 1];
        if (packing) {
            s.pack = pack_rest;
        } else {
            s.unpack = unpack_rest;
            s.make = make_rest;
        }
    }
    return steps;
}

/// Whether every value of the unpacking table `steps` fits a `value` without
/// allocating: bytes of at most `bytes::inline_capacity`, and scalars.
[[nodiscard]] inline bool values_fit_inline(std::span<const step> steps) noexcept {
    return std::none_of(steps.begin(), steps.end(), [](const step& s) {
        const bool long_bytes = s.kind == run_kind::bytes && s.count > bytes::inline_capacity;
        const bool long_pascal = s.kind == run_kind::pascal && s.count > bytes::inline_capacity + 1;  // + the length byte
        return long_bytes || long_pascal;
    });
}

}  // namespace detail

/// A struct format parsed once at run time, like Python's `struct.Struct`.
/// A moved-from `Struct` can only be assigned to or destroyed.
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
        compile();
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
        parsed.compile();
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

    /// Packs `values` into new bytes, as Python's `Struct.pack` does: a `packed_bytes`
    /// of `size()` bytes, allocated only past 64. Throws `wirepack::error` with
    /// CPython's message for a wrong count, kind or range.
    ///
    ///     auto b = wirepack::Struct("<h").pack({-2});   // fe ff
    [[nodiscard]] packed_bytes pack(std::span<const value> values) const {
        packed_bytes out;
        out.resize(checked_count(values, "pack"), boost::container::default_init);
        pack_unchecked(out.data(), values.data());
        return out;
    }
    [[nodiscard]] packed_bytes pack(std::initializer_list<value> values) const {
        return pack(std::span<const value>(values.begin(), values.size()));
    }

    /// Packs `values` into `buffer` at `offset` (negative: from the end), without
    /// allocating. Pad and alignment bytes are written as zeros; bytes of `buffer`
    /// outside the struct are left alone. If a value is refused, the values before
    /// it are written and the rest of the struct is zero, as in CPython.
    ///
    ///     std::array<std::byte, 64> buffer;
    ///     wirepack::Struct("!H").pack_into(buffer, -2, {0xbeef});   // the last two bytes: be ef
    void pack_into(std::span<std::byte> buffer, std::ptrdiff_t offset, std::span<const value> values) const {
        checked_count(values, "pack_into");
        const auto where = detail::locate(buffer.size(), offset, size());
        if (where.error != errc{}) [[unlikely]] {
            detail::throw_window_error(where.error, detail::direction::packing, buffer.size(), offset, size());
        }
        pack_unchecked(buffer.data() + where.start, values.data());
    }
    void pack_into(std::span<std::byte> buffer, std::ptrdiff_t offset, std::initializer_list<value> values) const {
        pack_into(buffer, offset, std::span<const value>(values.begin(), values.size()));
    }

    /// Unpacks exactly `size()` bytes into new values (up to 8 held inline, see
    /// `unpacked_values`). Throws `wirepack::error` for any other size.
    ///
    ///     auto v = wirepack::Struct("<hd").unpack(bytes);   // {int64_t, double}
    [[nodiscard]] unpacked_values unpack(std::span<const std::byte> bytes) const {
        if (bytes.size() != size()) [[unlikely]] detail::throw_unpack_size(size());
        return unpack_new(bytes.data());
    }

    /// Like `unpack`, but into `out`, which ends up with `value_count()` values.
    /// Reuses `out`'s storage and the capacity of the strings it holds, so once
    /// `out` has held a struct's values, unpacking another one allocates nothing.
    /// Throws `wirepack::error` for a size other than `size()`, leaving `out` alone.
    ///
    ///     const wirepack::Struct header("!HHIQdd16s");
    ///     wirepack::unpacked_values fields;
    ///     for (std::span<const std::byte> message : messages) {
    ///         header.unpack_into(message, fields);      // fields[6] holds the 16-byte name
    ///         handle(fields);
    ///     }
    void unpack_into(std::span<const std::byte> bytes, unpacked_values& out) const {
        if (bytes.size() != size()) [[unlikely]] detail::throw_unpack_size(size());
        if (out.size() != value_count()) [[unlikely]] return resize_and_unpack(bytes.data(), out);
        unpack_unchecked(bytes.data(), out.data());
    }

    /// Like `unpack`, but a wrong size gives `errc::buffer_size_mismatch`.
    [[nodiscard]] result<unpacked_values> try_unpack(std::span<const std::byte> bytes) const {
        if (bytes.size() != size()) return errc::buffer_size_mismatch;
        return unpack_new(bytes.data());
    }

    /// Unpacks the struct at `offset` (negative: from the end) of `buffer`.
    [[nodiscard]] unpacked_values unpack_from(std::span<const std::byte> buffer, std::ptrdiff_t offset = 0) const {
        const auto where = detail::locate(buffer.size(), offset, size());
        if (where.error != errc{}) {
            detail::throw_window_error(where.error, detail::direction::unpacking, buffer.size(), offset, size());
        }
        return unpack_new(buffer.data() + where.start);
    }

    /// Like `unpack_from`, without exceptions for a struct that does not fit.
    [[nodiscard]] result<unpacked_values> try_unpack_from(std::span<const std::byte> buffer,
                                                          std::ptrdiff_t offset = 0) const {
        const auto where = detail::locate(buffer.size(), offset, size());
        if (where.error != errc{}) return where.error;
        return unpack_new(buffer.data() + where.start);
    }

    /// The structs of a buffer, one after another, as `iter_unpack` returns them: an
    /// input range that unpacks each struct when the iterator reaches it, into one
    /// `unpacked_values` the iterator reuses, so memory stays that of one struct
    /// however long the buffer. It refers to the `Struct` and to the bytes, which
    /// must outlive it.
    class iter_unpack_view {
    public:
        class iterator {
        public:
            using iterator_concept = std::input_iterator_tag;
            using value_type = unpacked_values;
            using difference_type = std::ptrdiff_t;

            iterator() = default;

            /// The values of the current struct; valid until the iterator moves on.
            [[nodiscard]] const unpacked_values& operator*() const noexcept { return values_; }
            iterator& operator++() {
                at_ += layout_->size();
                unpack_current();
                return *this;
            }
            void operator++(int) { ++*this; }
            friend bool operator==(const iterator& it, std::default_sentinel_t) noexcept { return it.at_ == it.end_; }

        private:
            friend class iter_unpack_view;
            iterator(const Struct& layout, std::span<const std::byte> bytes)
                : layout_(&layout), at_(bytes.data()), end_(bytes.data() + bytes.size()) {
                unpack_current();
            }
            void unpack_current() {
                if (at_ != end_) layout_->unpack_into(std::span(at_, layout_->size()), values_);
            }

            const Struct* layout_ = nullptr;
            const std::byte* at_ = nullptr;
            const std::byte* end_ = nullptr;
            unpacked_values values_;
        };

        /// Requires: `bytes.size()` is a non-zero multiple of `layout.size()` or zero (see `iter_unpack`).
        iter_unpack_view(const Struct& layout, std::span<const std::byte> bytes) noexcept
            : layout_(&layout), bytes_(bytes) {}

        [[nodiscard]] iterator begin() const { return iterator(*layout_, bytes_); }
        [[nodiscard]] std::default_sentinel_t end() const noexcept { return {}; }
        /// How many structs the buffer holds.
        [[nodiscard]] std::size_t size() const noexcept { return bytes_.empty() ? 0 : bytes_.size() / layout_->size(); }
        [[nodiscard]] bool empty() const noexcept { return bytes_.empty(); }

    private:
        const Struct* layout_;
        std::span<const std::byte> bytes_;
    };

    /// Unpacks a buffer of whole structs back to back, like Python's `struct.iter_unpack`:
    /// lazily, one struct at a time (see `iter_unpack_view`). Throws `wirepack::error`
    /// when the struct size is zero or the buffer's size is not a multiple of it.
    ///
    ///     const wirepack::Struct point("<hh");
    ///     for (const wirepack::unpacked_values& xy : point.iter_unpack(bytes)) draw(xy);
    [[nodiscard]] iter_unpack_view iter_unpack(std::span<const std::byte> bytes) const& {
        if (size() == 0 || bytes.size() % size() != 0) detail::throw_iter_unpack_size(size());
        return iter_unpack_view(*this, bytes);
    }
    /// Refused: the view refers to the `Struct`, and a temporary one would be gone before
    /// the loop over the view begins. Name the `Struct` first.
    iter_unpack_view iter_unpack(std::span<const std::byte> bytes) const&& = delete;

private:
    Struct() = default;

    void compile() {
        pack_steps_ = detail::compile_steps(items_, summary_.order, summary_.size, true);
        unpack_steps_ = detail::compile_steps(items_, summary_.order, summary_.size, false);
        values_fit_inline_ = detail::values_fit_inline(unpack_steps_);
    }

    /// `size()`, once `values` has the right count for `operation` (named in the error).
    std::size_t checked_count(std::span<const value> values, const char* operation) const {
        if (values.size() != value_count()) [[unlikely]] {
            detail::throw_value_count(value_count(), values.size(), operation);
        }
        return size();
    }

    /// Writes `values` (exactly `value_count()` of them) at `out` (`size()` bytes),
    /// pad bytes included. If a value is refused, the struct is zero from it on.
    void pack_unchecked(std::byte* out, const value* values) const {
        const detail::step* first = pack_steps_.data();
        first->pack(first, out, values);
    }

    /// The struct at `in` (`size()` bytes) in new values: made in place by the
    /// `make` handlers when that cannot fail, else `false` values unpacked into
    /// (so that a failed allocation leaves only whole values behind).
    unpacked_values unpack_new(const std::byte* in) const {
        if (values_fit_inline_) [[likely]] {
            return unpacked_values(value_count(), [&](value* uninitialized) noexcept {
                const detail::step* first = unpack_steps_.data();
                first->make(first, in, uninitialized);
            });
        }
        unpacked_values out(value_count());
        unpack_unchecked(in, out.data());
        return out;
    }

    /// Reads the struct at `in` (`size()` bytes) into `out` (`value_count()` values).
    void unpack_unchecked(const std::byte* in, value* out) const {
        const detail::step* first = unpack_steps_.data();
        first->unpack(first, in, out);
    }

    /// `unpack_into` for values of another count. Out of line, so that the usual
    /// call makes no other call and needs no stack frame of its own.
    WIREPACK_DETAIL_NOINLINE void resize_and_unpack(const std::byte* in, unpacked_values& out) const {
        out.resize(value_count());
        unpack_unchecked(in, out.data());
    }

    std::string format_;
    format_summary summary_;
    std::vector<format_item> items_;
    std::vector<detail::step> pack_steps_;    ///< values and pads, then `end`
    std::vector<detail::step> unpack_steps_;  ///< values, then `end`
    bool values_fit_inline_ = false;          ///< no value of `unpack_steps_` needs an allocation
};

static_assert(std::input_iterator<Struct::iter_unpack_view::iterator> &&
              std::sentinel_for<std::default_sentinel_t, Struct::iter_unpack_view::iterator>);

}  // namespace wirepack

#undef WIREPACK_DETAIL_ALWAYS_INLINE
#undef WIREPACK_DETAIL_NOINLINE
#undef WIREPACK_DETAIL_HANDLER
