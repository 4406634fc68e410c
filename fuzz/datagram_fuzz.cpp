// datagram_fuzz: arbitrary bytes as one received datagram, through the datagram codec
// with several header and message formats.
//
// For every datagram and format, decoding must
//  - succeed exactly when the datagram holds the header (decode) or is exactly header +
//    message (decode_message), and fail with the documented error otherwise;
//  - give a body that is the rest of the datagram, in place (no copy, no over-read);
//  - give fields that build the same datagram again (for formats where every bit pattern
//    unpacks to a distinct value: integers and strings).

#include <wirepack/datagram.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <tuple>

#include "fuzz_check.hpp"

namespace {

using wirepack::errc;

template <wirepack::fixed_string Header>
void check_split(std::span<const std::byte> datagram) {
    using codec = wirepack::datagram_codec<Header>;
    const auto decoded = codec::decode(datagram);
    if (datagram.size() < codec::header_size) {
        WIREPACK_FUZZ_CHECK(!decoded && decoded.error() == errc::datagram_too_short);
        return;
    }
    WIREPACK_FUZZ_CHECK(decoded.has_value());
    WIREPACK_FUZZ_CHECK(decoded->body.data() == datagram.data() + codec::header_size);
    WIREPACK_FUZZ_CHECK(decoded->body.size() == datagram.size() - codec::header_size);
    const auto again = wirepack::apply([&](const auto&... fields) { return codec::encode(decoded->body, fields...); },
                                  decoded->header);
    WIREPACK_FUZZ_CHECK(std::ranges::equal(again.header(), datagram.first(codec::header_size)));
}

// Requires: every bit pattern of Message and Header unpacks to a value that packs back to
// it (no pad bytes, floats or bools).
template <wirepack::fixed_string Header, wirepack::fixed_string Message>
void check_message(std::span<const std::byte> datagram) {
    using codec = wirepack::datagram_codec<Header>;
    const auto decoded = codec::template decode_message<Message>(datagram);
    if (datagram.size() != codec::header_size + wirepack::calcsize<Message>()) {
        WIREPACK_FUZZ_CHECK(!decoded && decoded.error() == errc::datagram_size_mismatch);
        return;
    }
    WIREPACK_FUZZ_CHECK(decoded.has_value());
    const auto again = wirepack::apply(
        [&](const auto&... values) { return codec::template pack_message<Message>(decoded->first, values...); },
        decoded->second);
    WIREPACK_FUZZ_CHECK(std::ranges::equal(again, datagram));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::span<const std::byte> datagram(reinterpret_cast<const std::byte*>(data), size);
    check_split<"">(datagram);
    check_split<"!HH">(datagram);
    check_split<"<BQ">(datagram);
    check_split<"!H4s">(datagram);
    check_message<"", "!I">(datagram);
    check_message<"!HH", "<hIq">(datagram);
    check_message<"!H", "3sB">(datagram);
    check_message<">Q", "">(datagram);
    // Floats and bools unpack fine from any bits, but need not pack back bit for bit.
    const auto article = wirepack::datagram_codec<"!HH">::decode_message<"<I2sf?">(datagram);
    WIREPACK_FUZZ_CHECK(article.has_value() == (datagram.size() == 4 + 11));
    return 0;
}
