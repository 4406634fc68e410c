// Datagram codec: golden bytes, size errors, round trips. No sockets.

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <wirepack/datagram.hpp>

#include <cstddef>
#include <cstdint>
#include <span>
#include <tuple>
#include <vector>

#include "hex_bytes.hpp"

namespace {

using wirepack::errc;
using bytes = std::vector<std::byte>;

bytes flatten(std::span<const std::span<const std::byte>> parts) {
    bytes out;
    for (auto part : parts) out.insert(out.end(), part.begin(), part.end());
    return out;
}

TEST(DatagramCodec, GoldenArticleMessageBehindTypeAndSequence) {
    using codec = wirepack::datagram_codec<"!HH">;
    const auto datagram = codec::pack_message<"<I2sf">({7, 1}, 1, "ab", 2.7);
    EXPECT_EQ(wirepack::test::to_hex(datagram), "00070001" "01000000" "6162" "cdcc2c40");

    const auto decoded = codec::decode_message<"<I2sf">(datagram);
    ASSERT_TRUE(decoded);
    EXPECT_EQ(decoded->first, (std::tuple<std::uint16_t, std::uint16_t>{7, 1}));
    const auto [i, s, f] = decoded->second;
    EXPECT_EQ(i, 1u);
    EXPECT_EQ(std::string(s.begin(), s.end()), "ab");
    EXPECT_FLOAT_EQ(f, 2.7f);
}

TEST(DatagramCodec, NoHeader) {
    using codec = wirepack::datagram_codec<>;
    static_assert(codec::header_size == 0);
    const auto datagram = codec::pack_message<"!H">({}, 0x1234);
    EXPECT_EQ(wirepack::test::to_hex(datagram), "1234");
    const auto split = codec::decode(datagram);
    ASSERT_TRUE(split);
    EXPECT_EQ(split->body.data(), datagram.data());
    EXPECT_EQ(split->body.size(), 2u);
}

TEST(DatagramCodec, EncodeIsAGatherListThatDoesNotCopyTheBody) {
    const bytes body = wirepack::test::from_hex("deadbeef");
    const auto encoded = wirepack::datagram_codec<"!HH">::encode(body, 3, 65535);
    EXPECT_EQ(encoded.buffers()[1].data(), body.data());
    EXPECT_EQ(wirepack::test::to_hex(flatten(encoded.buffers())), "0003ffff" "deadbeef");
    EXPECT_THROW((void)wirepack::datagram_codec<"!HH">::encode(body, 3, 65536), wirepack::error);
}

TEST(DatagramCodec, ShortDatagramIsAnError) {
    using codec = wirepack::datagram_codec<"!HH">;
    const bytes three = wirepack::test::from_hex("000102");
    EXPECT_EQ(codec::decode(three).error(), errc::datagram_too_short);
    EXPECT_TRUE(codec::decode(wirepack::test::from_hex("00010203")));  // header, empty body
}

TEST(DatagramCodec, WrongSizeForTheMessageIsAnError) {
    using codec = wirepack::datagram_codec<"!HH">;
    const auto datagram = codec::pack_message<"<I2sf">({7, 1}, 1, "ab", 2.7);
    const std::span<const std::byte> all(datagram);
    EXPECT_EQ(codec::decode_message<"<I2sf">(all.first(13)).error(), errc::datagram_size_mismatch);
    bytes longer(all.begin(), all.end());
    longer.push_back(std::byte{0});
    EXPECT_EQ(codec::decode_message<"<I2sf">(longer).error(), errc::datagram_size_mismatch);
    EXPECT_EQ(codec::decode_message<"<I2sfx">(all.first(13)).error(), errc::datagram_size_mismatch);
    EXPECT_TRUE(codec::decode_message<"<I2sf">(all));
}

TEST(DatagramCodec, UdpPayloadLimits) {
    EXPECT_EQ(wirepack::max_udp_payload_ipv4, 65535u - 20u - 8u);
    EXPECT_EQ(wirepack::max_udp_payload_ipv6, 65535u - 8u);
}

RC_GTEST_PROP(DatagramCodec, DecodeOfEncodeGivesHeaderAndBody, (std::uint16_t type, std::uint32_t sequence)) {
    const auto body = *rc::gen::container<std::vector<std::uint8_t>>(rc::gen::arbitrary<std::uint8_t>());
    const std::span<const std::byte> body_bytes(reinterpret_cast<const std::byte*>(body.data()), body.size());
    const auto encoded = wirepack::datagram_codec<"<HI">::encode(body_bytes, type, sequence);
    const bytes datagram = flatten(encoded.buffers());
    const auto decoded = wirepack::datagram_codec<"<HI">::decode(datagram);
    RC_ASSERT(decoded.has_value());
    RC_ASSERT(decoded->header == std::make_tuple(type, sequence));
    RC_ASSERT(bytes(decoded->body.begin(), decoded->body.end()) == bytes(body_bytes.begin(), body_bytes.end()));
}

}  // namespace
