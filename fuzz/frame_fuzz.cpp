// frame_fuzz: arbitrary bytes through the frame decoders, in an arbitrary chunking.
//
// The input is SEED STREAM: byte 0 seeds the chunking, the rest is the byte stream. The
// stream goes through every decoder configuration below three times: fed at once; fed in
// chunks of 0 to 1 + (SEED % 64) bytes whose sizes a generator seeded by SEED picks; and
// read in place (prepare/commit, as the socket adapters read) in chunks from the same
// generator; calling next() until it gives nothing after every feed. All runs must
//  - give the same frames (header fields and payload bytes) in the same order,
//  - end with the same error (or none) and the same bytes_needed(),
//  - agree with frame_bytes_needed on what is left,
// and the chunked decoder's buffer never grows past max header + max_payload + the largest
// chunk. Small maxima make oversize frames (failed and skipped) common.

#include <wirepack/frame.hpp>
#include <wirepack/runtime_frame.hpp>

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

// A header as it can be kept past the next feed: a run-time header's raw bytes are copied.
template <class Fields>
Fields keep(const Fields& fields) {
    return fields;
}
std::vector<std::byte> keep(std::span<const std::byte> raw) { return {raw.begin(), raw.end()}; }

// What a decoder gave: header fields and payloads, copied out, then the error.
template <class Decoder>
struct outcome {
    using fields = decltype(keep(std::declval<typename Decoder::frame>().header));
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
        const auto& frame = **next;  // the payload ends the frame's bytes on the wire
        WIREPACK_FUZZ_CHECK(frame.wire.size() >= frame.payload.size());
        WIREPACK_FUZZ_CHECK(frame.wire.data() + frame.wire.size() == frame.payload.data() + frame.payload.size());
        out.headers.push_back(keep((*next)->header));
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

// Feeds `stream` to `decoder` in chunks from `sizes`, through feed() or, `in_place`,
// through prepare()/commit(); checks the memory bound as it goes.
template <class Decoder>
outcome<Decoder> decode_in_chunks(Decoder& decoder, std::span<const std::byte> stream, chunker sizes, bool in_place) {
    outcome<Decoder> out;
    const std::size_t max_payload = decoder.options().max_payload;
    std::size_t largest = 0;
    std::size_t at = 0;
    while (at < stream.size()) {
        const std::size_t n = std::min(sizes.next(), stream.size() - at);
        largest = std::max(largest, n);
        if (in_place) {
            const auto room = decoder.prepare(n);
            std::copy_n(stream.begin() + static_cast<std::ptrdiff_t>(at), n, room.begin());
            decoder.commit(n);
        } else {
            decoder.feed(stream.subspan(at, n));
        }
        at += n;
        WIREPACK_FUZZ_CHECK(decoder.capacity() <= decoder.max_header_size() + max_payload + largest);
        if (!drain(decoder, out)) break;
        WIREPACK_FUZZ_CHECK(decoder.bytes_needed() != 0);  // next() gave nothing: more bytes are needed
    }
    if (out.error == errc{}) drain(decoder, out);  // the empty stream
    out.bytes_needed = decoder.bytes_needed();
    return out;
}

template <class Decoder>
void check_same(const outcome<Decoder>& a, const outcome<Decoder>& b) {
    WIREPACK_FUZZ_CHECK(a.headers == b.headers);
    WIREPACK_FUZZ_CHECK(a.payloads == b.payloads);
    WIREPACK_FUZZ_CHECK(a.error == b.error);
    WIREPACK_FUZZ_CHECK(a.bytes_needed == b.bytes_needed);
}

// `make()` makes a fresh decoder of one configuration.
template <class MakeDecoder>
void check(MakeDecoder make, std::uint8_t seed, std::span<const std::byte> stream, auto bytes_needed_from_prefix) {
    using decoder_type = decltype(make());
    auto whole = make();
    outcome<decoder_type> one_shot;
    whole.feed(stream);
    drain(whole, one_shot);
    one_shot.bytes_needed = whole.bytes_needed();

    const chunker sizes{0x9e3779b9u ^ (std::uint32_t{seed} * 0x01000193u), 1 + seed % 64u};
    auto fed = make();
    check_same(one_shot, decode_in_chunks(fed, stream, sizes, false));
    auto read_in_place = make();
    check_same(one_shot, decode_in_chunks(read_in_place, stream, sizes, true));
    WIREPACK_FUZZ_CHECK(read_in_place.at_frame_boundary() == whole.at_frame_boundary());

    // What is left unread is an incomplete frame (or a frame being skipped) whose needs
    // frame_bytes_needed tells the same way.
    if (one_shot.error == errc{} && whole.buffered() != 0) {
        const auto rest = stream.last(whole.buffered());
        const auto needed = bytes_needed_from_prefix(rest, whole.options());
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

    // One configuration: a decoder type made with `options` (and, at run time, `header`).
    const auto with = []<class Decoder>(std::type_identity<Decoder>, frame_options options, auto... header) {
        return [=] { return Decoder(options, header...); };
    };
    using wirepack::frame_decoder;
    using wirepack::runtime_frame_decoder;
    using wirepack::runtime_frame_header;
    using wirepack::varint_frame_decoder;
    const auto fail = oversize_policy::fail;
    const auto skip = oversize_policy::skip;
    check(with(std::type_identity<frame_decoder<"!I">>{}, make_options(64, 0, fail)), seed, stream, fixed<"!I">);
    check(with(std::type_identity<frame_decoder<"!I">>{}, make_options(64, -4, skip)), seed, stream, fixed<"!I">);
    check(with(std::type_identity<frame_decoder<"!HI", 1>>{}, make_options(300, 0, skip)), seed, stream, fixed<"!HI", 1>);
    check(with(std::type_identity<frame_decoder<"<H">>{}, make_options(1000, 2, fail)), seed, stream, fixed<"<H">);
    check(with(std::type_identity<frame_decoder<">Q">>{}, make_options(16, INT64_MIN, skip)), seed, stream, fixed<">Q">);
    check(with(std::type_identity<frame_decoder<">Q">>{}, make_options(16, INT64_MAX, skip)), seed, stream, fixed<">Q">);
    check(with(std::type_identity<varint_frame_decoder>{}, make_options(100, 0, fail)), seed, stream, varint);
    check(with(std::type_identity<varint_frame_decoder>{}, make_options(8, -1, skip)), seed, stream, varint);
    // A header chosen at run time reads lengths as the compiled one does.
    check(with(std::type_identity<runtime_frame_decoder>{}, make_options(300, 0, skip), runtime_frame_header("!HI", 1)),
          seed, stream, fixed<"!HI", 1>);
    check(with(std::type_identity<runtime_frame_decoder>{}, make_options(64, -4, fail), runtime_frame_header("<hxi", 0)),
          seed, stream, fixed<"<hxi", 0>);

    // The compiled decoder takes a shortcut for whole frames; the run-time one never does.
    // Both must see the same frames and the same error in any stream.
    for (const auto& options : {make_options(300, 0, skip), make_options(40, 0, fail)}) {
        frame_decoder<"!HI", 1> compiled(options);
        runtime_frame_decoder at_run_time(options, runtime_frame_header("!HI", 1));
        outcome<frame_decoder<"!HI", 1>> compiled_outcome;
        outcome<runtime_frame_decoder> run_time_outcome;
        compiled.feed(stream);
        at_run_time.feed(stream);
        drain(compiled, compiled_outcome);
        drain(at_run_time, run_time_outcome);
        WIREPACK_FUZZ_CHECK(compiled_outcome.payloads == run_time_outcome.payloads);
        WIREPACK_FUZZ_CHECK(compiled_outcome.error == run_time_outcome.error);
        WIREPACK_FUZZ_CHECK(compiled.bytes_needed() == at_run_time.bytes_needed());
    }
    return 0;
}
