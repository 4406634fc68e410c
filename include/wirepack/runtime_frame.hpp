#pragma once
/// \file
/// Frames whose header format is known only at run time (a command line, a config file):
/// the decoder of <wirepack/frame.hpp> with the header parsed by the same format parser.
/// The wire format is the one documented at the top of frame.hpp.

#include <cctype>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include <wirepack/detail/endian.hpp>
#include <wirepack/error.hpp>
#include <wirepack/frame.hpp>
#include <wirepack/runtime_struct.hpp>

namespace wirepack {

/// A fixed frame header described by a format string at run time; value `length_index`
/// (counting values, not pad bytes) is the length. A decoded frame's `header` is the raw
/// header bytes: unpack them with `format()` when the other fields matter.
///
///     wirepack::runtime_frame_header header("!HI", 1);          // type, then length
///     wirepack::runtime_frame_decoder decoder({}, header);
class runtime_frame_header {
public:
    using fields = std::span<const std::byte>;

    /// Throws wirepack::error: the format's own error for a malformed format, and
    /// errc::bad_char when value `length_index` does not exist or is not an integer.
    runtime_frame_header(std::string_view format, std::size_t length_index) : format_(format) {
        if (length_index >= format_.value_count()) {
            throw error(errc::bad_char, "frame header '" + std::string(format) + "' has no field " +
                                            std::to_string(length_index) + " for the length");
        }
        for (const format_item& item : format_.items()) {
            if (length_index >= item.value_count()) {
                length_index -= item.value_count();
                continue;
            }
            code_ = item.code;
            offset_ = item.offset + length_index * item.element_size;
            width_ = item.element_size;
            break;
        }
        if (!is_integer_code(code_)) {
            throw error(errc::bad_char, "the length field of frame header '" + std::string(format) +
                                            "' must be an integer code (bBhHiIlLqQnN), not '" + code_ + "'");
        }
    }

    /// The header's format.
    [[nodiscard]] const Struct& format() const noexcept { return format_; }
    /// The header's size in bytes.
    [[nodiscard]] std::size_t max_size() const noexcept { return format_.size(); }

    /// What the start of a frame says about it (as detail::fixed_header::measure).
    [[nodiscard]] result<detail::frame_extent> measure(std::span<const std::byte> prefix,
                                                       const frame_options& options) const noexcept {
        const std::size_t size = max_size();
        if (prefix.size() < size) return detail::frame_extent{false, size, 0, false, 0};
        const std::uint64_t length = big_endian() ? load_length<boost::endian::order::big>(prefix.data() + offset_)
                                                  : load_length<boost::endian::order::little>(prefix.data() + offset_);
        const bool is_signed = std::islower(static_cast<unsigned char>(code_)) != 0;
        const std::uint64_t sign_bit = std::uint64_t{1} << (8 * width_ - 1);
        if (is_signed && (length & sign_bit) != 0) return errc::frame_length_too_small;  // negative
        return detail::extent_of(size, length, options);
    }

    /// The raw header bytes. Requires: `bytes` holds a complete header.
    [[nodiscard]] fields read(std::span<const std::byte> bytes) const noexcept { return bytes.first(max_size()); }

private:
    [[nodiscard]] bool big_endian() const noexcept {
        switch (format_.order()) {
        case byte_order::big:
        case byte_order::network: return true;
        case byte_order::little: return false;
        case byte_order::native:
        case byte_order::native_standard: break;
        }
        return boost::endian::order::native == boost::endian::order::big;
    }

    /// The length field's bits, zero-extended.
    template <boost::endian::order Order>
    [[nodiscard]] std::uint64_t load_length(const std::byte* at) const noexcept {
        switch (width_) {
        case 1: return detail::load<std::uint8_t, Order>(at);
        case 2: return detail::load<std::uint16_t, Order>(at);
        case 4: return detail::load<std::uint32_t, Order>(at);
        default: return detail::load<std::uint64_t, Order>(at);
        }
    }

    Struct format_;
    char code_ = '\0';
    std::size_t offset_ = 0;  // where the length field starts in the header
    std::size_t width_ = 0;   // 1, 2, 4 or 8 bytes
};

/// Decodes frames whose header is a `runtime_frame_header`.
///
///     wirepack::runtime_frame_decoder decoder({.max_payload = 1 << 20},
///                                             wirepack::runtime_frame_header(header_format, 0));
///     decoder.feed(bytes);
///     while (auto f = decoder.next().value()) echo(f->header, f->payload);
using runtime_frame_decoder = basic_frame_decoder<runtime_frame_header>;

}  // namespace wirepack
