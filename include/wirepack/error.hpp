#pragma once
/// \file
/// Error codes, their `std::error_category`, and the exception type `wirepack::error`.

#include <stdexcept>
#include <string>
#include <system_error>
#include <type_traits>

namespace wirepack {

/// Every way a wirepack operation can fail. Zero means success.
///
///     try { wirepack::Struct s("<Hz"); }
///     catch (const wirepack::error& e) { assert(e.code() == wirepack::errc::bad_char); }
enum class errc {
    // A malformed format string.
    bad_char = 1,                 ///< "bad char in struct format"
    repeat_count_without_format,  ///< "repeat count given without format specifier"
    struct_size_too_long,         ///< "total struct size too long"
    embedded_null,                ///< "embedded null character"
    // A value that does not fit its format character.
    wrong_value_count,   ///< "pack expected 2 items for packing (got 1)"
    integer_out_of_range,  ///< "'B' format requires 0 <= number <= 255"
    float_overflow,      ///< "float too large to pack with f format"
    not_an_integer,      ///< "required argument is not an integer"
    not_a_float,         ///< "required argument is not a float"
    not_bytes,           ///< "argument for 's' must be a bytes object"
    char_not_one_byte,   ///< "char format requires a bytes object of length 1"
    // A buffer of the wrong size.
    buffer_size_mismatch,  ///< "unpack requires a buffer of 4 bytes"
    buffer_too_small,      ///< "pack_into requires a buffer of at least 6 bytes ..."
    offset_out_of_range,   ///< "offset -11 out of range for 10-byte buffer"
    not_a_multiple,        ///< "iterative unpacking requires a buffer of a multiple of 6 bytes"
    zero_size_struct,      ///< "cannot iteratively unpack with a struct of length 0"
    // A corrupt or refused frame in a length-prefixed stream (frame.hpp).
    frame_too_large,         ///< "frame payload larger than the maximum"
    frame_length_too_small,  ///< "frame length smaller than its header allows"
    varint_too_long,         ///< "varint length prefix longer than 10 bytes or over 64 bits"
    truncated_frame,         ///< "stream ended in the middle of a frame"
    // A refused or damaged datagram (datagram.hpp, net/udp.hpp).
    datagram_too_short,      ///< "datagram shorter than its header"
    datagram_size_mismatch,  ///< "datagram size does not match its format"
    datagram_too_large,      ///< "datagram larger than the maximum payload"
    datagram_truncated,      ///< "datagram larger than the receive buffer"
    not_a_multicast_group,   ///< "address is not a multicast group"
};

/// The short, fixed description of an error code (the exception's `what()` is
/// more specific: it names the format character, the sizes and the offsets).
[[nodiscard]] constexpr const char* describe(errc code) noexcept {
    switch (code) {
    case errc::bad_char: return "bad char in struct format";
    case errc::repeat_count_without_format: return "repeat count given without format specifier";
    case errc::struct_size_too_long: return "total struct size too long";
    case errc::embedded_null: return "embedded null character";
    case errc::wrong_value_count: return "wrong number of items for packing";
    case errc::integer_out_of_range: return "integer out of range for format";
    case errc::float_overflow: return "float too large to pack";
    case errc::not_an_integer: return "required argument is not an integer";
    case errc::not_a_float: return "required argument is not a float";
    case errc::not_bytes: return "argument must be a bytes object";
    case errc::char_not_one_byte: return "char format requires a bytes object of length 1";
    case errc::buffer_size_mismatch: return "buffer size does not match the struct size";
    case errc::buffer_too_small: return "buffer too small for the struct at this offset";
    case errc::offset_out_of_range: return "offset out of range for buffer";
    case errc::not_a_multiple: return "buffer size is not a multiple of the struct size";
    case errc::zero_size_struct: return "cannot iteratively unpack with a struct of length 0";
    case errc::frame_too_large: return "frame payload larger than the maximum";
    case errc::frame_length_too_small: return "frame length smaller than its header allows";
    case errc::varint_too_long: return "varint length prefix longer than 10 bytes or over 64 bits";
    case errc::truncated_frame: return "stream ended in the middle of a frame";
    case errc::datagram_too_short: return "datagram shorter than its header";
    case errc::datagram_size_mismatch: return "datagram size does not match its format";
    case errc::datagram_too_large: return "datagram larger than the maximum payload";
    case errc::datagram_truncated: return "datagram larger than the receive buffer";
    case errc::not_a_multicast_group: return "address is not a multicast group";
    }
    return "unknown wirepack error";
}

/// The `std::error_category` named "wirepack".
[[nodiscard]] inline const std::error_category& error_category() noexcept {
    struct category final : std::error_category {
        const char* name() const noexcept override { return "wirepack"; }
        std::string message(int code) const override { return describe(static_cast<errc>(code)); }
    };
    static const category instance;
    return instance;
}

/// Lets `std::error_code ec = wirepack::errc::bad_char;` work.
[[nodiscard]] inline std::error_code make_error_code(errc code) noexcept {
    return {static_cast<int>(code), error_category()};
}

/// What wirepack throws: a `std::runtime_error` whose `what()` is worded like
/// CPython's `struct.error`, carrying the error code.
///
///     try { wirepack::pack<"B">(256); }
///     catch (const wirepack::error& e) {
///         // e.what() == "'B' format requires 0 <= number <= 255"
///         // e.code() == wirepack::errc::integer_out_of_range
///     }
class error : public std::runtime_error {
public:
    error(errc code, const std::string& message) : std::runtime_error(message), code_(code) {}
    explicit error(errc code) : error(code, describe(code)) {}

    [[nodiscard]] std::error_code code() const noexcept { return make_error_code(code_); }

private:
    errc code_;
};

}  // namespace wirepack

template <>
struct std::is_error_code_enum<wirepack::errc> : std::true_type {};
