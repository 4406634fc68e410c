#pragma once
/// \file
/// Datagrams (UDP, IP multicast), sans-I/O: one message per datagram, optionally behind
/// a fixed header described by a struct format. Never touches a socket.
///
/// Wire format
/// -----------
/// A datagram is exactly one message. The transport keeps message boundaries, so no
/// length is sent: the datagram's size is the message's size.
///
///     datagram_codec<"!HH"> (a message type, then a sequence number):
///       byte 0..1   message type, unsigned 16-bit, big-endian
///       byte 2..3   sequence number, unsigned 16-bit, big-endian
///       byte 4..    the message, e.g. pack<"<I2sf">: 10 bytes
///
///   Any header format works: the header is calcsize<HeaderFormat>() bytes laid out as
///   wirepack::pack<HeaderFormat> lays them out. datagram_codec<> has no header at all.
///
/// Sizes: a UDP datagram carries at most 65,507 bytes over IPv4 (65,535 less the 20-byte
/// IPv4 header and the 8-byte UDP header) and 65,527 over IPv6 (65,535 less the UDP
/// header; IPv6's own header is not counted). The socket layer refuses anything larger
/// before it sends (errc::datagram_too_large).

#include <algorithm>
#include <array>
#include <cstddef>
#include <span>
#include <utility>

#include <wirepack/error.hpp>
#include <wirepack/fixed_string.hpp>
#include <wirepack/frame.hpp>
#include <wirepack/result.hpp>
#include <wirepack/struct.hpp>

namespace wirepack {

/// The largest UDP payload over IPv4: 65,535 - 20 (IPv4 header) - 8 (UDP header).
inline constexpr std::size_t max_udp_payload_ipv4 = 65507;
/// The largest UDP payload over IPv6 (without jumbograms): 65,535 - 8 (UDP header).
inline constexpr std::size_t max_udp_payload_ipv6 = 65527;

/// A header and a body ready to send as one datagram: `buffers()` is the gather list.
template <std::size_t HeaderSize>
using encoded_datagram = encoded_frame<HeaderSize>;

/// Splits datagrams into a header (struct `HeaderFormat`, "" for none) and a body, and
/// builds them.
///
///     using codec = wirepack::datagram_codec<"!HH">;                  // type, sequence
///     auto bytes = codec::pack_message<"<I2sf">({7, 1}, 1, "ab", 2.7);   // 14 bytes
///     auto message = codec::decode_message<"<I2sf">(bytes);           // result<...>
///     if (!message) return message.error();                          // wrong size
///     auto [type, sequence] = message->first;
template <fixed_string HeaderFormat = "">
struct datagram_codec {
    static constexpr std::size_t header_size = calcsize<HeaderFormat>();
    using header_fields = unpacked<HeaderFormat>;

    /// A decoded datagram: the header fields and a view of the body in the caller's bytes.
    struct datagram {
        header_fields header;
        std::span<const std::byte> body;
    };

    /// The header and body of `bytes`, or errc::datagram_too_short.
    ///
    ///     auto d = wirepack::datagram_codec<"!HH">::decode(received);
    ///     if (d) dispatch(get<0>(d->header), d->body);
    [[nodiscard]] static constexpr result<datagram> decode(std::span<const std::byte> bytes) noexcept {
        if (bytes.size() < header_size) return errc::datagram_too_short;
        return datagram{*try_unpack_from<HeaderFormat>(bytes, 0), bytes.subspan(header_size)};
    }

    /// The header fields and the body unpacked as `MessageFormat`, which must fill the
    /// datagram exactly; errc::datagram_size_mismatch otherwise (a datagram too short,
    /// too long, or of another message type).
    ///
    ///     auto r = wirepack::datagram_codec<>::decode_message<"<I2sf">(received);
    ///     if (r) { auto [i, s, f] = r->second; }
    template <fixed_string MessageFormat>
    [[nodiscard]] static constexpr result<std::pair<header_fields, unpacked<MessageFormat>>> decode_message(
        std::span<const std::byte> bytes) noexcept {
        if (bytes.size() != header_size + calcsize<MessageFormat>()) return errc::datagram_size_mismatch;
        return std::pair{*try_unpack_from<HeaderFormat>(bytes, 0),
                         *try_unpack_from<MessageFormat>(bytes, static_cast<std::ptrdiff_t>(header_size))};
    }

    /// `body` behind a header packed from `header`, as a gather list; the body is not copied.
    /// Throws wirepack::error when a header field is out of range, as `pack` does.
    ///
    ///     auto d = wirepack::datagram_codec<"!HH">::encode(body, 7, sequence++);
    ///     socket.send_to(d.buffers(), group);
    template <class... HeaderValues>
    [[nodiscard]] static constexpr encoded_datagram<header_size> encode(std::span<const std::byte> body,
                                                                        const HeaderValues&... header) {
        return {pack<HeaderFormat>(header...), header_size, body};
    }

    /// One buffer holding the header fields `header` and then `values` packed as `MessageFormat`.
    ///
    ///     auto bytes = wirepack::datagram_codec<"!H">::pack_message<"<hh">({1}, 3, 4);   // 00 01 03 00 04 00
    template <fixed_string MessageFormat, class... Values>
    [[nodiscard]] static constexpr std::array<std::byte, header_size + calcsize<MessageFormat>()> pack_message(
        const header_fields& header, const Values&... values) {
        std::array<std::byte, header_size + calcsize<MessageFormat>()> out{};
        const auto head =
            wirepack::apply([](const auto&... fields) { return pack<HeaderFormat>(fields...); }, header);
        const auto body = pack<MessageFormat>(values...);
        std::copy(head.begin(), head.end(), out.begin());
        std::copy(body.begin(), body.end(), out.begin() + header_size);
        return out;
    }
};

}  // namespace wirepack
