// Frame codec: golden bytes, chunking independence, options, errors and the memory bound.

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <wirepack/frame.hpp>
#include <wirepack/runtime_frame.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <span>
#include <string>
#include <vector>

#include "counted_allocations.hpp"  // what operator new is asked for: a claimed length never sizes it

namespace {

using wirepack::errc;
using wirepack::frame_options;
using wirepack::oversize_policy;
using bytes = std::vector<std::byte>;

bytes make(std::initializer_list<int> values) {
    bytes out;
    for (int v : values) out.push_back(static_cast<std::byte>(v));
    return out;
}

bytes text(const std::string& s) {
    bytes out;
    for (char c : s) out.push_back(static_cast<std::byte>(c));
    return out;
}

void append(bytes& out, std::span<const std::byte> part) { out.insert(out.end(), part.begin(), part.end()); }

template <class Encoded>
void append_frame(bytes& out, const Encoded& f) {
    for (auto part : f.buffers()) append(out, part);
}

// Everything a decoder gives for `stream` fed in pieces ending at `cuts` (then the
// rest): the payloads in order, then the error if any. Checks the memory bound and
// that bytes_needed() is never 0 while next() has nothing to give.
template <class Decoder>
struct decoded {
    std::vector<bytes> payloads;
    errc error{};
};

template <class Decoder>
decoded<Decoder> decode(const bytes& stream, std::vector<std::size_t> cuts, const frame_options& options = {}) {
    Decoder decoder(options);
    decoded<Decoder> out;
    std::sort(cuts.begin(), cuts.end());
    cuts.push_back(stream.size());
    std::size_t at = 0;
    std::size_t largest_chunk = 0;
    for (std::size_t cut : cuts) {
        cut = std::min(cut, stream.size());
        if (cut < at) continue;
        const auto chunk = std::span<const std::byte>(stream).subspan(at, cut - at);
        largest_chunk = std::max(largest_chunk, chunk.size());
        decoder.feed(chunk);
        at = cut;
        EXPECT_LE(decoder.capacity(), decoder.max_header_size() + options.max_payload + largest_chunk);
        for (;;) {
            auto next = decoder.next();
            if (!next) {
                out.error = next.error();
                return out;
            }
            if (!*next) {
                EXPECT_GT(decoder.bytes_needed(), 0u);
                break;
            }
            out.payloads.emplace_back((*next)->payload.begin(), (*next)->payload.end());
        }
    }
    return out;
}

std::vector<std::size_t> every_byte(std::size_t n) {
    std::vector<std::size_t> cuts;
    for (std::size_t i = 1; i < n; ++i) cuts.push_back(i);
    return cuts;
}

// ---- Golden bytes -------------------------------------------------------------------------

TEST(FrameEncoder, GoldenNetworkLength) {
    const bytes payload = text("hello");
    bytes wire;
    append_frame(wire, wirepack::frame_encoder<>::encode(payload));
    EXPECT_EQ(wire, make({0, 0, 0, 5, 'h', 'e', 'l', 'l', 'o'}));
}

TEST(FrameEncoder, GoldenTypeThenLength) {
    const auto header = wirepack::frame_encoder<"!HI", 1>::header_for(5, 7);
    EXPECT_EQ(bytes(header.begin(), header.end()), make({0, 7, 0, 0, 0, 5}));
    const auto little = wirepack::frame_encoder<"<H">::header_for(0x102);
    EXPECT_EQ(bytes(little.begin(), little.end()), make({2, 1}));
    const auto counted = wirepack::frame_encoder<"!I", 0, -4>::header_for(3);
    EXPECT_EQ(bytes(counted.begin(), counted.end()), make({0, 0, 0, 7}));
}

TEST(FrameEncoder, GoldenVarint) {
    const auto h0 = wirepack::varint_frame_encoder::header_for(0);
    EXPECT_EQ(bytes(h0.header().begin(), h0.header().end()), make({0}));
    const auto h300 = wirepack::varint_frame_encoder::header_for(300);
    EXPECT_EQ(bytes(h300.header().begin(), h300.header().end()), make({0xAC, 0x02}));
    const auto hmax = wirepack::varint_frame_encoder::header_for(SIZE_MAX);
    if constexpr (sizeof(std::size_t) == 8) {
        EXPECT_EQ(bytes(hmax.header().begin(), hmax.header().end()),
                  make({0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}));
    }
}

TEST(FrameEncoder, LengthOutOfRangeThrowsLikePack) {
    try {
        (void)wirepack::frame_encoder<"<H">::header_for(65536);
        FAIL() << "no exception";
    } catch (const wirepack::error& e) {
        EXPECT_EQ(e.code(), errc::integer_out_of_range);
    }
    EXPECT_THROW((void)(wirepack::frame_encoder<"!I", 0, 2>::header_for(1)), wirepack::error);
}

TEST(FrameDecoder, GoldenDecode) {
    const bytes wire = make({0, 7, 0, 0, 0, 2, 'h', 'i', 0, 9, 0, 0, 0, 0});
    wirepack::frame_decoder<"!HI", 1> decoder;
    decoder.feed(wire);
    auto first = decoder.next().value();
    ASSERT_TRUE(first);
    EXPECT_EQ(get<0>(first->header), 7);
    EXPECT_EQ(get<1>(first->header), 2u);
    EXPECT_EQ(bytes(first->payload.begin(), first->payload.end()), text("hi"));
    auto second = decoder.next().value();
    ASSERT_TRUE(second);
    EXPECT_EQ(get<0>(second->header), 9);
    EXPECT_TRUE(second->payload.empty());  // a zero-length frame is an ordinary frame
    EXPECT_FALSE(decoder.next().value());
    EXPECT_EQ(decoder.bytes_needed(), 6u);
}

// ---- Chunking -----------------------------------------------------------------------------

TEST(FrameDecoder, OneByteAtATimeEqualsAllAtOnce) {
    bytes wire;
    std::vector<bytes> payloads = {text(""), text("a"), bytes(300, std::byte{0x5a}), text("end")};
    for (const auto& p : payloads) append_frame(wire, wirepack::frame_encoder<>::encode(p));
    const auto whole = decode<wirepack::frame_decoder<>>(wire, {});
    const auto bytewise = decode<wirepack::frame_decoder<>>(wire, every_byte(wire.size()));
    EXPECT_EQ(whole.payloads, payloads);
    EXPECT_EQ(bytewise.payloads, payloads);
    EXPECT_EQ(whole.error, errc{});
    EXPECT_EQ(bytewise.error, errc{});

    bytes varint_wire;
    for (const auto& p : payloads) append_frame(varint_wire, wirepack::varint_frame_encoder::encode(p));
    EXPECT_EQ(decode<wirepack::varint_frame_decoder>(varint_wire, {}).payloads, payloads);
    EXPECT_EQ(decode<wirepack::varint_frame_decoder>(varint_wire, every_byte(varint_wire.size())).payloads, payloads);
}

template <class Decoder, class Encode>
void check_round_trip(Encode encode, const frame_options& options = {}, std::size_t min_size = 0) {
    auto payloads = *rc::gen::container<std::vector<bytes>>(
        rc::gen::container<bytes>(rc::gen::map(rc::gen::arbitrary<std::uint8_t>(), [](std::uint8_t b) {
            return static_cast<std::byte>(b);
        })));
    for (auto& p : payloads) p.resize(p.size() + min_size);  // (a positive adjustment needs that many)
    bytes wire;
    for (const auto& p : payloads) append_frame(wire, encode(p));
    const auto cuts = *rc::gen::container<std::vector<std::size_t>>(rc::gen::inRange<std::size_t>(0, wire.size() + 1));
    const auto got = decode<Decoder>(wire, cuts, options);
    RC_ASSERT(got.error == errc{});
    RC_ASSERT(got.payloads == payloads);
}

RC_GTEST_PROP(FrameRoundTrip, NetworkU32, ()) {
    check_round_trip<wirepack::frame_decoder<>>([](const bytes& p) { return wirepack::frame_encoder<>::encode(p); });
}
RC_GTEST_PROP(FrameRoundTrip, LittleU16, ()) {
    check_round_trip<wirepack::frame_decoder<"<H">>(
        [](const bytes& p) { return wirepack::frame_encoder<"<H">::encode(p); });
}
RC_GTEST_PROP(FrameRoundTrip, BigU64, ()) {
    check_round_trip<wirepack::frame_decoder<">Q">>(
        [](const bytes& p) { return wirepack::frame_encoder<">Q">::encode(p); });
}
RC_GTEST_PROP(FrameRoundTrip, TypeThenLength, ()) {
    check_round_trip<wirepack::frame_decoder<"!HI", 1>>(
        [](const bytes& p) { return wirepack::frame_encoder<"!HI", 1>::encode(p, std::uint16_t{0xbeef}); });
}
RC_GTEST_PROP(FrameRoundTrip, LengthCountsHeader, ()) {
    frame_options options;
    options.length_adjustment = -4;
    check_round_trip<wirepack::frame_decoder<>>(
        [](const bytes& p) { return wirepack::frame_encoder<"!I", 0, -4>::encode(p); }, options);
}
RC_GTEST_PROP(FrameRoundTrip, LengthPlusAdjustment, ()) {
    frame_options options;
    options.length_adjustment = 3;  // the length leaves out 3 trailing bytes
    check_round_trip<wirepack::frame_decoder<"!HI", 1>>(
        [](const bytes& p) {
            return wirepack::frame_encoder<"!HI", 1, 3>::encode(p, 1);
        },
        options, 3);
}
RC_GTEST_PROP(FrameRoundTrip, Varint, ()) {
    check_round_trip<wirepack::varint_frame_decoder>(
        [](const bytes& p) { return wirepack::varint_frame_encoder::encode(p); });
}

TEST(FrameRoundTrip, LengthPlusAdjustmentNeedsPayloadAtLeastAdjustment) {
    // Encoding a payload shorter than a positive adjustment cannot be represented.
    EXPECT_THROW((void)(wirepack::frame_encoder<"!HI", 1, 3>::header_for(2, 1)), wirepack::error);
}

// ---- Oversize ------------------------------------------------------------------------------

bytes oversize_stream(std::size_t big) {
    bytes wire;
    append_frame(wire, wirepack::frame_encoder<>::encode(text("ok")));
    const bytes huge(big, std::byte{0xee});
    append_frame(wire, wirepack::frame_encoder<>::encode(huge));
    append_frame(wire, wirepack::frame_encoder<>::encode(text("")));
    append_frame(wire, wirepack::frame_encoder<>::encode(text("after")));
    return wire;
}

TEST(FrameOversize, FailIsReportedWhenTheHeaderIsComplete) {
    frame_options options;
    options.max_payload = 16;
    wirepack::frame_decoder<> decoder(options);
    const bytes wire = make({0, 0, 0, 17});  // the header only: nothing of the payload yet
    decoder.feed(std::span(wire).first(3));
    ASSERT_TRUE(decoder.next().has_value());
    decoder.feed(std::span(wire).subspan(3));
    EXPECT_EQ(decoder.next().error(), errc::frame_too_large);
    decoder.feed(make({0, 0, 0, 0}));  // a failed decoder stays failed
    EXPECT_EQ(decoder.next().error(), errc::frame_too_large);
    EXPECT_EQ(decoder.bytes_needed(), 0u);
    // No allocation of the claimed size, even for a 4 GiB claim.
    wirepack::frame_decoder<> huge(options);
    huge.feed(make({0xff, 0xff, 0xff, 0xff}));
    EXPECT_EQ(huge.next().error(), errc::frame_too_large);
    EXPECT_LE(huge.capacity(), 4u + 16u + 4u);
    EXPECT_EQ(wirepack::frame_bytes_needed<>(make({0, 0, 0, 17}), options).error(), errc::frame_too_large);
}

TEST(FrameOversize, ClaimedLengthNeverSizesAnAllocation) {
    frame_options options;  // the default maximum: 16 MiB
    for (const oversize_policy policy : {oversize_policy::fail, oversize_policy::skip}) {
        options.on_oversize = policy;
        wirepack::frame_decoder<"!Q"> decoder(options);
        const bytes claim = make({0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 1, 2, 3});  // 2^63 - 1 bytes
        const auto seen = wirepack::test::allocations_during([&] {
            for (std::size_t i = 0; i < claim.size(); ++i) {
                decoder.feed(std::span(claim).subspan(i, 1));
                (void)decoder.next();
            }
        });
        EXPECT_LE(seen.largest, 64u) << "policy " << static_cast<int>(policy);
    }
}

TEST(FrameOversize, SkipContinuesWithTheNextFrameAcrossManyFeeds) {
    frame_options options;
    options.max_payload = 16;
    options.on_oversize = oversize_policy::skip;
    const bytes wire = oversize_stream(1000);
    const std::vector<bytes> expected = {text("ok"), text(""), text("after")};
    for (std::size_t step : {1u, 2u, 3u, 7u, 64u, 999u, 5000u}) {
        std::vector<std::size_t> cuts;
        for (std::size_t at = step; at < wire.size(); at += step) cuts.push_back(at);
        const auto got = decode<wirepack::frame_decoder<>>(wire, cuts, options);
        EXPECT_EQ(got.error, errc{}) << "step " << step;
        EXPECT_EQ(got.payloads, expected) << "step " << step;
    }
    // While skipping, bytes_needed() counts the bytes still to drop, and nothing is buffered.
    wirepack::frame_decoder<> decoder(options);
    decoder.feed(std::span(wire).first(6 + 4 + 10));  // "ok" frame, big header, 10 bytes of it
    ASSERT_TRUE(decoder.next().value());
    EXPECT_FALSE(decoder.next().value());
    EXPECT_EQ(decoder.bytes_needed(), 990u);
    decoder.feed(std::span(wire).subspan(20, 500));
    EXPECT_EQ(decoder.buffered(), 0u);
    EXPECT_EQ(decoder.bytes_needed(), 490u);
}

RC_GTEST_PROP(FrameOversize, SkipNeverDesyncs, ()) {
    frame_options options;
    options.max_payload = *rc::gen::inRange<std::size_t>(0, 40);
    options.on_oversize = oversize_policy::skip;
    const auto sizes = *rc::gen::container<std::vector<std::size_t>>(rc::gen::inRange<std::size_t>(0, 100));
    bytes wire;
    std::vector<bytes> expected;
    std::vector<bytes> payloads;
    for (std::size_t k = 0; k < sizes.size(); ++k) {
        payloads.emplace_back(sizes[k], static_cast<std::byte>(k));
        append_frame(wire, wirepack::frame_encoder<>::encode(payloads.back()));
        if (sizes[k] <= options.max_payload) expected.push_back(payloads.back());
    }
    const auto cuts = *rc::gen::container<std::vector<std::size_t>>(rc::gen::inRange<std::size_t>(0, wire.size() + 1));
    const auto got = decode<wirepack::frame_decoder<>>(wire, cuts, options);
    RC_ASSERT(got.error == errc{});
    RC_ASSERT(got.payloads == expected);
}

// ---- Corrupt frames -----------------------------------------------------------------------

TEST(FrameCorrupt, NegativeAdjustedLength) {
    frame_options options;
    options.length_adjustment = -4;
    wirepack::frame_decoder<> decoder(options);
    decoder.feed(make({0, 0, 0, 3}));  // counts the header, yet is shorter than it
    EXPECT_EQ(decoder.next().error(), errc::frame_length_too_small);
    EXPECT_EQ(wirepack::frame_bytes_needed<>(make({0, 0, 0, 3}), options).error(), errc::frame_length_too_small);
    decoder.feed(make({0, 0, 0, 4}));
    EXPECT_EQ(decoder.next().error(), errc::frame_length_too_small);

    wirepack::frame_decoder<"!i"> signed_length;
    signed_length.feed(make({0xff, 0xff, 0xff, 0xff}));
    EXPECT_EQ(signed_length.next().error(), errc::frame_length_too_small);

    frame_options exact = options;
    wirepack::frame_decoder<> empty(exact);
    empty.feed(make({0, 0, 0, 4}));  // exactly the header: an empty payload
    auto f = empty.next().value();
    ASSERT_TRUE(f);
    EXPECT_TRUE(f->payload.empty());
}

TEST(FrameCorrupt, OverlongVarint) {
    wirepack::varint_frame_decoder eleven;
    eleven.feed(bytes(10, std::byte{0x80}));
    EXPECT_EQ(eleven.next().error(), errc::varint_too_long);

    wirepack::varint_frame_decoder over64;
    bytes wire(9, std::byte{0xff});
    wire.push_back(std::byte{0x02});  // bit 64
    over64.feed(wire);
    EXPECT_EQ(over64.next().error(), errc::varint_too_long);

    // Ten bytes ending in 0x01 is 2^63 + ...: a valid varint, and far over the maximum.
    wirepack::varint_frame_decoder top;
    wire.back() = std::byte{0x01};
    top.feed(wire);
    EXPECT_EQ(top.next().error(), errc::frame_too_large);

    // Non-minimal encodings are accepted, as protobuf accepts them.
    wirepack::varint_frame_decoder padded;
    padded.feed(make({0x81, 0x80, 0x00, 'x'}));
    auto f = padded.next().value();
    ASSERT_TRUE(f);
    EXPECT_EQ(get<0>(f->header), 1u);
    EXPECT_EQ(bytes(f->payload.begin(), f->payload.end()), text("x"));
}

// ---- bytes_needed ---------------------------------------------------------------------------

TEST(FrameBytesNeeded, FromAPrefix) {
    const bytes wire = make({0, 0, 0, 5, 'h', 'e', 'l', 'l', 'o', 0xff});
    const frame_options options;
    const std::size_t expected[] = {4, 3, 2, 1, 5, 4, 3, 2, 1, 0, 0};
    for (std::size_t n = 0; n <= wire.size(); ++n) {
        const auto needed = wirepack::frame_bytes_needed<>(std::span(wire).first(n), options);
        ASSERT_TRUE(needed) << n;
        EXPECT_EQ(*needed, expected[n]) << n;
    }
    EXPECT_EQ((*wirepack::frame_bytes_needed<"!HI", 1>(make({0, 1, 0, 0, 0}), options)), 1u);
    EXPECT_EQ((*wirepack::frame_bytes_needed<"!HI", 1>(make({0, 1, 0, 0, 0, 2}), options)), 2u);

    EXPECT_EQ(*wirepack::varint_frame_bytes_needed({}, options), 1u);
    EXPECT_EQ(*wirepack::varint_frame_bytes_needed(make({0xAC}), options), 1u);
    EXPECT_EQ(*wirepack::varint_frame_bytes_needed(make({0xAC, 0x02}), options), 300u);
    EXPECT_EQ(*wirepack::varint_frame_bytes_needed(make({0}), options), 0u);
}

TEST(FrameBytesNeeded, Decoder) {
    wirepack::frame_decoder<> decoder;
    EXPECT_EQ(decoder.bytes_needed(), 4u);
    decoder.feed(make({0, 0}));
    EXPECT_EQ(decoder.bytes_needed(), 2u);
    decoder.feed(make({0, 3, 'a'}));
    EXPECT_EQ(decoder.bytes_needed(), 2u);
    EXPECT_FALSE(decoder.next().value());
    decoder.feed(make({'b', 'c', 0}));
    EXPECT_EQ(decoder.bytes_needed(), 0u);
    EXPECT_TRUE(decoder.next().value());
    EXPECT_EQ(decoder.bytes_needed(), 3u);
    EXPECT_EQ(decoder.buffered(), 1u);
}

// ---- Memory bound ---------------------------------------------------------------------------

TEST(FrameMemory, CapacityStaysWithinMaxFramePlusChunk) {
    frame_options options;
    options.max_payload = 1000;
    bytes wire;
    for (std::size_t n : {1000u, 0u, 999u, 1u, 1000u, 500u}) {
        append_frame(wire, wirepack::frame_encoder<>::encode(bytes(n, std::byte{1})));
    }
    for (std::size_t step : {1u, 13u, 100u, 1003u, 4096u}) {
        std::vector<std::size_t> cuts;
        for (std::size_t at = step; at < wire.size(); at += step) cuts.push_back(at);
        const auto got = decode<wirepack::frame_decoder<>>(wire, cuts, options);  // checks capacity
        EXPECT_EQ(got.payloads.size(), 6u);
        EXPECT_EQ(got.error, errc{});
    }
}

// ---- Reading in place: prepare / commit -------------------------------------------------------

// Everything a decoder gives when `stream` is read into it in place, `reads[i]` bytes at a
// time (cycling), as a socket adapter does; also whether it ended at a frame boundary.
template <class Decoder>
std::pair<decoded<Decoder>, bool> decode_in_place(Decoder decoder, const bytes& stream,
                                                   const std::vector<std::size_t>& reads) {
    decoded<Decoder> out;
    std::size_t at = 0;
    for (std::size_t i = 0; at < stream.size(); ++i) {
        const std::size_t want = std::max<std::size_t>(1, reads.empty() ? stream.size() : reads[i % reads.size()]);
        const auto room = decoder.prepare(want);
        EXPECT_EQ(room.size(), want);
        const std::size_t n = std::min(want, stream.size() - at);
        std::copy_n(stream.begin() + static_cast<std::ptrdiff_t>(at), n, room.begin());
        decoder.commit(n);
        at += n;
        EXPECT_LE(decoder.capacity(), decoder.max_header_size() + decoder.options().max_payload + want);
        for (;;) {
            auto next = decoder.next();
            if (!next) {
                out.error = next.error();
                return {out, false};
            }
            if (!*next) break;
            out.payloads.emplace_back((*next)->payload.begin(), (*next)->payload.end());
        }
    }
    return {out, decoder.at_frame_boundary()};
}

RC_GTEST_PROP(FramePrepareCommit, EqualsFeeding, ()) {
    const auto payloads = *rc::gen::container<std::vector<bytes>>(
        rc::gen::map(rc::gen::inRange<std::size_t>(0, 300), [](std::size_t n) { return bytes(n, std::byte{0x5a}); }));
    bytes wire;
    for (const auto& p : payloads) append_frame(wire, wirepack::frame_encoder<"<H">::encode(p));
    const auto reads = *rc::gen::container<std::vector<std::size_t>>(rc::gen::inRange<std::size_t>(1, 700));
    const auto [got, at_boundary] = decode_in_place(wirepack::frame_decoder<"<H">(), wire, reads);
    RC_ASSERT(got.error == errc{});
    RC_ASSERT(got.payloads == payloads);
    RC_ASSERT(at_boundary);
}

TEST(FramePrepareCommit, SkipsAnOversizeFrameReadInPlace) {
    frame_options options;
    options.max_payload = 100;
    options.on_oversize = oversize_policy::skip;
    const bytes wire = oversize_stream(5000);
    for (std::size_t read : {1u, 7u, 64u, 4096u, 100000u}) {
        const auto [got, at_boundary] = decode_in_place(wirepack::frame_decoder<>(options), wire, {read});
        EXPECT_EQ(got.error, errc{});
        EXPECT_EQ(got.payloads, (std::vector<bytes>{text("ok"), text(""), text("after")})) << "read " << read;
        EXPECT_TRUE(at_boundary);
    }
}

TEST(FramePrepareCommit, AtFrameBoundaryOnlyBetweenFrames) {
    wirepack::frame_decoder<> decoder;
    EXPECT_TRUE(decoder.at_frame_boundary());
    decoder.feed(make({0, 0, 0, 2, 'h'}));
    EXPECT_FALSE(decoder.next().value());
    EXPECT_FALSE(decoder.at_frame_boundary());  // a stream ending here ends inside a frame
    decoder.feed(make({'i'}));
    EXPECT_TRUE(decoder.next().value());
    EXPECT_TRUE(decoder.at_frame_boundary());
    decoder.feed(make({0xff, 0xff, 0xff, 0xff}));
    EXPECT_FALSE(decoder.next());                // too large: failed
    EXPECT_FALSE(decoder.at_frame_boundary());
    EXPECT_TRUE(decoder.prepare(10).empty());    // a failed decoder takes nothing more
}

// ---- Batches --------------------------------------------------------------------------------

template <class Encoder, class... Others>
bytes concatenate_frames(const std::vector<bytes>& payloads, const Others&... others) {
    bytes out;
    for (const auto& p : payloads) append_frame(out, Encoder::encode(p, others...));
    return out;
}

bytes flatten(std::span<const std::span<const std::byte>> buffers) {
    bytes out;
    for (auto part : buffers) append(out, part);
    return out;
}

TEST(FrameBatch, CopiesSmallPayloadsIntoOneRangeAndReferencesLargeOnes) {
    const bytes small_a = text("ab");
    const bytes small_b = text("");
    const bytes large(5000, std::byte{7});
    const bytes small_c = text("xyz");
    wirepack::frame_batch<> batch;
    for (const bytes* p : {&small_a, &small_b, &large, &small_c}) batch.add(*p);

    const auto buffers = batch.buffers();
    ASSERT_EQ(buffers.size(), 3u);                      // [ab, "", header of large] [large] [xyz]
    EXPECT_EQ(buffers[0].size(), 4u + 2u + 4u + 0u + 4u);
    EXPECT_EQ(buffers[1].data(), large.data());          // not copied
    EXPECT_EQ(buffers[2].size(), 4u + 3u);
    EXPECT_EQ(flatten(buffers), concatenate_frames<wirepack::frame_encoder<>>({small_a, small_b, large, small_c}));
    EXPECT_EQ(batch.frame_count(), 4u);
    EXPECT_EQ(batch.size_bytes(), flatten(buffers).size());

    batch.clear();
    EXPECT_TRUE(batch.empty());
    EXPECT_TRUE(batch.buffers().empty());
    batch.add(small_c);
    EXPECT_EQ(flatten(batch.buffers()), concatenate_frames<wirepack::frame_encoder<>>({small_c}));
}

RC_GTEST_PROP(FrameBatch, DecodesToThePayloadsAdded, ()) {
    const auto payloads = *rc::gen::container<std::vector<bytes>>(
        rc::gen::map(rc::gen::inRange<std::size_t>(0, 5000), [](std::size_t n) { return bytes(n, std::byte{0xa5}); }));
    const auto copy_limit = *rc::gen::inRange<std::size_t>(0, 6000);
    wirepack::frame_batch<wirepack::frame_encoder<"!HI", 1>> batch(copy_limit);
    for (const auto& p : payloads) batch.add(p, std::uint16_t{9});
    const bytes wire = flatten(batch.buffers());
    RC_ASSERT(wire == (concatenate_frames<wirepack::frame_encoder<"!HI", 1>>(payloads, std::uint16_t{9})));
    using decoder = wirepack::frame_decoder<"!HI", 1>;
    RC_ASSERT(decode<decoder>(wire, {}).payloads == payloads);
}

TEST(FrameBatch, EmptyPayloadsWithNothingCopied) {
    // copy_limit 0 references every payload, even an empty one whose data() is null.
    const std::vector<bytes> payloads{text("hello"), bytes{}, text("abc")};
    wirepack::frame_batch<> batch(0);
    for (const auto& p : payloads) batch.add(p);
    EXPECT_EQ(flatten(batch.buffers()), concatenate_frames<wirepack::frame_encoder<>>(payloads));
}

TEST(FrameDecoder, WireIsTheWholeFrameAsItArrived) {
    const bytes wire = concatenate_frames<wirepack::frame_encoder<"!HI", 1>>({text("ab"), text("")}, std::uint16_t{7});
    for (int in_one_piece = 0; in_one_piece < 2; ++in_one_piece) {
        wirepack::frame_decoder<"!HI", 1> decoder;
        if (in_one_piece) {
            decoder.feed(wire);
        } else {
            for (std::size_t i = 0; i < wire.size(); ++i) decoder.feed(std::span(wire).subspan(i, 1));
        }
        const auto first = decoder.next().value();  // the fast path when fed at once
        ASSERT_TRUE(first);
        EXPECT_EQ(bytes(first->wire.begin(), first->wire.end()), bytes(wire.begin(), wire.begin() + 8));
    }
    wirepack::frame_decoder<> adjusted({.length_adjustment = -4});  // the general path
    adjusted.feed(make({0, 0, 0, 6, 'h', 'i'}));
    const auto frame = adjusted.next().value();
    ASSERT_TRUE(frame);
    EXPECT_EQ(frame->wire.size(), 6u);
    EXPECT_EQ(frame->wire.data() + 4, frame->payload.data());
}

TEST(FrameMemory, MaxPayloadNearSizeMaxStillGrowsGeometrically) {
    wirepack::frame_decoder<> decoder({.max_payload = std::numeric_limits<std::size_t>::max()});
    int reallocations = 0;
    std::size_t capacity = 0;
    for (int i = 0; i < 256; ++i) {
        const auto room = decoder.prepare(4096);
        std::fill(room.begin(), room.end(), std::byte{0xff});  // one frame that never completes
        decoder.commit(room.size());
        if (decoder.capacity() != capacity) ++reallocations;
        capacity = decoder.capacity();
    }
    EXPECT_LT(reallocations, 16);  // doubling: about log2(256) of them, not one per read
}

TEST(FrameBatch, VarintFrames) {
    const std::vector<bytes> payloads{bytes(300, std::byte{1}), text("x"), bytes(3000, std::byte{2})};
    wirepack::frame_batch<wirepack::varint_frame_encoder> batch;
    for (const auto& p : payloads) batch.add(p);
    EXPECT_EQ(flatten(batch.buffers()), concatenate_frames<wirepack::varint_frame_encoder>(payloads));
}

TEST(FrameBatch, AFrameThatCannotBeEncodedLeavesTheBatchAsItWas) {
    wirepack::frame_batch<wirepack::frame_encoder<"!B">> batch;
    batch.add(text("ok"));
    EXPECT_THROW(batch.add(bytes(256)), wirepack::error);  // 256 does not fit 'B'
    EXPECT_EQ(batch.frame_count(), 1u);
    EXPECT_EQ(flatten(batch.buffers()), make({2, 'o', 'k'}));
}

// ---- Header format chosen at run time -------------------------------------------------------

template <wirepack::fixed_string Format, std::size_t LengthIndex, class... Others>
void check_runtime_equals_compiled(const Others&... others) {
    const std::vector<bytes> payloads{text("hello"), text(""), bytes(70, std::byte{3})};
    const bytes wire = concatenate_frames<wirepack::frame_encoder<Format, LengthIndex>>(payloads, others...);
    wirepack::runtime_frame_decoder decoder({}, wirepack::runtime_frame_header(Format.view(), LengthIndex));
    EXPECT_EQ(decoder.max_header_size(), wirepack::calcsize<Format>());
    for (std::size_t i = 0; i < wire.size(); ++i) decoder.feed(std::span(wire).subspan(i, 1));
    const auto first_frame = wirepack::frame_encoder<Format, LengthIndex>::encode(payloads[0], others...);
    const bytes header = flatten(first_frame.buffers());
    auto first = decoder.next().value();
    ASSERT_TRUE(first);
    EXPECT_EQ(bytes(first->header.begin(), first->header.end()),
              bytes(header.begin(), header.begin() + static_cast<std::ptrdiff_t>(first->header.size())));
    EXPECT_EQ(bytes(first->payload.begin(), first->payload.end()), payloads[0]);
    EXPECT_EQ(first->header.data() + first->header.size(), first->payload.data());  // contiguous: echo as is
}

TEST(RuntimeFrameDecoder, EqualsTheCompiledDecoder) {
    check_runtime_equals_compiled<"!I", 0>();
    check_runtime_equals_compiled<"<H", 0>();
    check_runtime_equals_compiled<">Q", 0>();
    check_runtime_equals_compiled<"!HI", 1>(std::uint16_t{0xbeef});
    check_runtime_equals_compiled<"<IxxH", 0>(std::uint16_t{5});
    check_runtime_equals_compiled<"=b", 0>();
    check_runtime_equals_compiled<"@BI", 1>(std::uint8_t{1});
}

TEST(RuntimeFrameDecoder, NegativeSignedLengthIsCorrupt) {
    wirepack::runtime_frame_decoder decoder({}, wirepack::runtime_frame_header("!hI", 0));
    decoder.feed(make({0xff, 0xfe, 0, 0, 0, 0}));
    EXPECT_EQ(decoder.next().error(), errc::frame_length_too_small);
}

TEST(RuntimeFrameDecoder, RefusesAHeaderWithoutAnIntegerLength) {
    EXPECT_THROW(wirepack::runtime_frame_header("!I", 1), wirepack::error);   // no field 1
    EXPECT_THROW(wirepack::runtime_frame_header("!d", 0), wirepack::error);   // not an integer
    EXPECT_THROW(wirepack::runtime_frame_header("!4s", 0), wirepack::error);
    EXPECT_THROW(wirepack::runtime_frame_header("!Z", 0), wirepack::error);   // not a format
}

}  // namespace
