// frame_fuzz: arbitrary bytes through the frame decoders, in an arbitrary chunking.
//
// The input is SEED STREAM: byte 0 seeds the chunking, the rest is the byte stream. The
// stream goes through every decoder configuration below twice: fed at once, and fed in
// chunks of 0 to 1 + (SEED % 64) bytes whose sizes a generator seeded by SEED picks,
// calling next() until it gives nothing after every feed. Both runs must
//  - give the same frames (header fields and payload bytes) in the same order,
//  - end with the same error (or none) and the same bytes_needed(),
//  - agree with frame_bytes_needed on what is left,
// and the chunked decoder's buffer never grows past max header + max_payload + the largest
// chunk. Small maxima make oversize frames (failed and skipped) common.

#include <wirepack/frame.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <tuple>
#include <vector>

#include "fuzz_check.hpp"

namespace {

using wirepack::errc;
using wirepack::frame_options;
using wirepack::oversize_policy;

// What a decoder gave: header fields and payloads, copied out, then the error.
template <class Decoder>
struct outcome {
    using fields = decltype(std::declval<typename Decoder::frame>().header);
    std::vector<fields> headers;
    std::vector<std::vector<std::byte>> payloads;
    errc error{};
    std::size_t bytes_needed = 0;
    std::size_t buffered = 0;
};

// Calls next() until it has nothing more; false once the decoder has failed.
template <class Decoder>
bool drain(Decoder& decoder, outcome<Decoder>& out) {
    for (;;) {
        auto next = decoder.next();
        if (!next) {
            out.error = next.error();
            return false;
        }
        if (!*next) return true;
        out.headers.push_back((*next)->header);
        out.payloads.emplace_back((*next)->payload.begin(), (*next)->payload.end());
    }
}

// A small generator of chunk sizes (xorshift), seeded by the input's first byte.
struct chunker {
    std::uint32_t state;
    std::size_t limit;
    std::size_t next() {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        return state % (limit + 1);
    }
};

template <class Decoder>
void check(const frame_options& options, std::uint8_t seed, std::span<const std::byte> stream,
           auto bytes_needed_from_prefix) {
    Decoder whole(options);
    outcome<Decoder> one_shot;
    whole.feed(stream);
    drain(whole, one_shot);
    one_shot.bytes_needed = whole.bytes_needed();

    Decoder pieces(options);
    outcome<Decoder> chunked;
    chunker sizes{0x9e3779b9u ^ (std::uint32_t{seed} * 0x01000193u), 1 + seed % 64u};
    std::size_t largest = 0;
    std::size_t at = 0;
    while (at < stream.size()) {
        const std::size_t n = std::min(sizes.next(), stream.size() - at);
        largest = std::max(largest, n);
        pieces.feed(stream.subspan(at, n));
        at += n;
        WIREPACK_FUZZ_CHECK(pieces.capacity() <= Decoder::max_header_size + options.max_payload + largest);
        if (!drain(pieces, chunked)) break;
        WIREPACK_FUZZ_CHECK(pieces.bytes_needed() != 0);  // next() gave nothing: more bytes are needed
    }
    if (chunked.error == errc{}) drain(pieces, chunked);  // the empty stream
    chunked.bytes_needed = pieces.bytes_needed();

    WIREPACK_FUZZ_CHECK(one_shot.headers == chunked.headers);
    WIREPACK_FUZZ_CHECK(one_shot.payloads == chunked.payloads);
    WIREPACK_FUZZ_CHECK(one_shot.error == chunked.error);
    WIREPACK_FUZZ_CHECK(one_shot.bytes_needed == chunked.bytes_needed);

    // What is left unread is an incomplete frame (or a frame being skipped) whose needs
    // frame_bytes_needed tells the same way.
    if (one_shot.error == errc{} && whole.buffered() != 0) {
        const auto rest = stream.last(whole.buffered());
        const auto needed = bytes_needed_from_prefix(rest, options);
        WIREPACK_FUZZ_CHECK(needed.has_value() && *needed == one_shot.bytes_needed && *needed != 0);
    }
}

frame_options make_options(std::size_t max_payload, std::int64_t adjustment, oversize_policy policy) {
    frame_options options;
    options.max_payload = max_payload;
    options.length_adjustment = adjustment;
    options.on_oversize = policy;
    return options;
}

// frame_bytes_needed for one fixed header, as a function object.
template <wirepack::fixed_string HeaderFormat, std::size_t LengthIndex = 0>
constexpr auto fixed = [](std::span<const std::byte> prefix, const frame_options& options) {
    return wirepack::frame_bytes_needed<HeaderFormat, LengthIndex>(prefix, options);
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const std::uint8_t seed = data[0];
    const std::span<const std::byte> stream(reinterpret_cast<const std::byte*>(data) + 1, size - 1);

    const auto varint = [](std::span<const std::byte> prefix, const frame_options& options) {
        return wirepack::varint_frame_bytes_needed(prefix, options);
    };

    check<wirepack::frame_decoder<"!I">>(make_options(64, 0, oversize_policy::fail), seed, stream, fixed<"!I">);
    check<wirepack::frame_decoder<"!I">>(make_options(64, -4, oversize_policy::skip), seed, stream, fixed<"!I">);
    check<wirepack::frame_decoder<"!HI", 1>>(make_options(300, 0, oversize_policy::skip), seed, stream, fixed<"!HI", 1>);
    check<wirepack::frame_decoder<"<H">>(make_options(1000, 2, oversize_policy::fail), seed, stream, fixed<"<H">);
    check<wirepack::frame_decoder<">Q">>(make_options(16, INT64_MIN, oversize_policy::skip), seed, stream, fixed<">Q">);
    check<wirepack::frame_decoder<">Q">>(make_options(16, INT64_MAX, oversize_policy::skip), seed, stream, fixed<">Q">);
    check<wirepack::varint_frame_decoder>(make_options(100, 0, oversize_policy::fail), seed, stream, varint);
    check<wirepack::varint_frame_decoder>(make_options(8, -1, oversize_policy::skip), seed, stream, varint);
    return 0;
}
