#pragma once
/// \file
/// Length-prefixed framing for byte streams (TCP, Unix stream sockets, pipes), sans-I/O:
/// the decoder is fed bytes and hands back whole frames; it never reads or writes a socket.
///
/// Wire format
/// -----------
/// A stream is a sequence of frames, each a header immediately followed by a payload;
/// nothing separates frames and nothing ends the stream.
///
/// Fixed header, described by a struct format (`frame_decoder<HeaderFormat, LengthIndex>`):
///
///     "!I" (the default, what Java's DataOutputStream, Kafka and Python's
///           struct.pack('!I', len(p)) peers write):
///       byte 0..3   payload length L, unsigned 32-bit, big-endian (byte 0 most significant)
///       byte 4..    the L payload bytes
///
///     "!HI" with LengthIndex 1:
///       byte 0..1   a 16-bit message type, big-endian (handed back in frame::header)
///       byte 2..5   payload length L, unsigned 32-bit, big-endian
///       byte 6..    the L payload bytes
///
///   Any format works ("<H", ">Q", "<BHxI", ...): the header is calcsize<HeaderFormat>()
///   bytes laid out as wirepack::pack<HeaderFormat> lays them out, and field LengthIndex
///   (counting values, not pad bytes) holds the length. A signed length field holding a
///   negative number is a corrupt frame.
///
/// Varint header (`varint_frame_decoder`), as protobuf's delimited streams
/// (writeDelimitedTo / parseDelimitedFrom):
///       byte 0..k   payload length L as unsigned LEB128: 7 bits per byte, least
///                   significant group first, high bit (0x80) set on every byte but the
///                   last; 1 to 10 bytes. More than 10 bytes, or a 10th byte above 0x01
///                   (a value over 64 bits), is a corrupt frame. Non-minimal encodings
///                   (0x80 0x00 for 0) are accepted, as protobuf accepts them.
///       byte k+1..  the L payload bytes
///
/// Length adjustment: payload size = L + frame_options::length_adjustment. A peer whose
/// length counts a 4-byte header as well as the payload uses -4 ("!I", L = 4 + payload).
/// An L for which that sum is negative is a corrupt frame (errc::frame_length_too_small).
///
/// A payload over frame_options::max_payload is refused as soon as its header is complete
/// (errc::frame_too_large): the buffer never grows for it, and never holds more than the
/// largest header, max_payload and one chunk. With oversize_policy::skip its bytes are
/// dropped instead, across as many feeds as they span, and decoding goes on with the
/// frame after it.

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <limits>
#include <memory>
#include <optional>
#include <span>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include <wirepack/error.hpp>
#include <wirepack/fixed_string.hpp>
#include <wirepack/result.hpp>
#include <wirepack/struct.hpp>

namespace wirepack {

/// What a decoder does with a frame whose payload is over `frame_options::max_payload`.
enum class oversize_policy {
    fail,  ///< report errc::frame_too_large and stay failed (the caller drops the connection)
    skip,  ///< drop that frame's bytes, across later feeds, and go on with the next frame
};

/// How a decoder reads lengths and how far it trusts them.
///
///     wirepack::frame_options options;
///     options.max_payload = 1 << 20;
///     options.length_adjustment = -4;   // the length counts the 4-byte "!I" header too
///     wirepack::frame_decoder<> decoder(options);
struct frame_options {
    std::size_t max_payload = std::size_t{16} << 20;  ///< largest payload accepted (16 MiB)
    std::int64_t length_adjustment = 0;               ///< payload size = wire length + adjustment
    oversize_policy on_oversize = oversize_policy::fail;
};

/// Tag for a LEB128 varint length prefix (protobuf's delimited streams).
struct varint_length {};

namespace detail {

/// What the start of a frame says about it.
struct frame_extent {
    bool header_complete = false;  ///< false: header_size is the least header size still possible
    std::size_t header_size = 0;
    std::uint64_t payload_size = 0;  ///< valid when header_complete && !oversize
    bool oversize = false;           ///< the payload is over max_payload (or does not fit size_t)
    std::uint64_t oversize_total = 0;  ///< header + payload bytes of an oversize frame (saturated)
};

/// payload = wire + adjustment, or errc::frame_length_too_small when that is negative;
/// saturated at UINT64_MAX when it overflows (which is oversize anyway).
[[nodiscard]] constexpr result<std::uint64_t> adjust_length(std::uint64_t wire, std::int64_t adjustment) noexcept {
    constexpr auto top = std::numeric_limits<std::uint64_t>::max();
    if (adjustment >= 0) {
        const auto add = static_cast<std::uint64_t>(adjustment);
        return wire > top - add ? top : wire + add;
    }
    const std::uint64_t sub = ~static_cast<std::uint64_t>(adjustment) + 1;  // |adjustment|, also for INT64_MIN
    if (wire < sub) return errc::frame_length_too_small;
    return wire - sub;
}

/// Completes an extent once the header size and the wire length are known.
[[nodiscard]] constexpr result<frame_extent> extent_of(std::size_t header_size, std::uint64_t wire,
                                                       const frame_options& options) noexcept {
    const auto payload = adjust_length(wire, options.length_adjustment);
    if (!payload) return payload.error();
    frame_extent extent{true, header_size, *payload, false, 0};
    constexpr auto top = std::numeric_limits<std::uint64_t>::max();
    if (*payload > options.max_payload ||
        *payload > std::numeric_limits<std::size_t>::max() - header_size) {
        extent.oversize = true;
        extent.oversize_total = *payload > top - header_size ? top : *payload + header_size;
    }
    return extent;
}

/// A fixed header described by a struct format; field `LengthIndex` is the length.
template <fixed_string HeaderFormat, std::size_t LengthIndex>
struct fixed_header {
    using compiled = compiled_format<HeaderFormat>;
    using fields = unpacked<HeaderFormat>;

    static_assert((compiled::check(), true));  // a malformed format: the struct format's own error
    static constexpr bool length_field_ok = [] {
        if constexpr (!compiled::valid || LengthIndex >= compiled::value_count) return false;
        else return is_integer_code(compiled::slots[LengthIndex].code);
    }();
    static_assert(!compiled::valid || LengthIndex < compiled::value_count,
                  "wirepack: the length field index is past the last field of the frame header format");
    static_assert(!compiled::valid || LengthIndex >= compiled::value_count || length_field_ok,
                  "wirepack: the length field of a frame header must be an integer code (bBhHiIlLqQnN)");

    static constexpr std::size_t size = calcsize<HeaderFormat>();
    [[nodiscard]] static constexpr std::size_t max_size() noexcept { return size; }

    /// The payload of the frame at the start of `buffered` when the common case holds: the
    /// whole frame is there, its length is not negative and at most `max_payload`, and
    /// there is no length adjustment. Nothing otherwise (then `measure` tells what it is).
    [[nodiscard]] static constexpr std::optional<std::pair<fields, std::span<const std::byte>>> whole_frame(
        std::span<const std::byte> buffered, const frame_options& options) noexcept {
        if (buffered.size() < size || options.length_adjustment != 0) return std::nullopt;
        auto header = read(buffered);
        const auto length = get<LengthIndex>(header);
        if constexpr (std::is_signed_v<decltype(length)>) {
            if (length < 0) return std::nullopt;
        }
        const auto payload_size = static_cast<std::uint64_t>(length);
        if (payload_size > options.max_payload || payload_size > buffered.size() - size) return std::nullopt;
        return std::pair{header, buffered.subspan(size, static_cast<std::size_t>(payload_size))};
    }

    /// The frame's extent from `prefix`, and its header fields once complete.
    [[nodiscard]] static constexpr result<frame_extent> measure(std::span<const std::byte> prefix,
                                                               const frame_options& options) noexcept {
        if (prefix.size() < size) return frame_extent{false, size, 0, false, 0};
        const auto header = try_unpack_from<HeaderFormat>(prefix, 0);
        if (!header) return header.error();  // unreachable: the prefix is long enough
        const auto length = get<LengthIndex>(*header);
        if constexpr (std::is_signed_v<decltype(length)>) {
            if (length < 0) return errc::frame_length_too_small;
        }
        return extent_of(size, static_cast<std::uint64_t>(length), options);
    }

    /// Requires: `bytes` holds a complete header.
    [[nodiscard]] static constexpr fields read(std::span<const std::byte> bytes) noexcept {
        return *try_unpack_from<HeaderFormat>(bytes, 0);
    }
};

/// A LEB128 varint length, 1 to 10 bytes.
struct varint_header {
    using fields = flat_tuple<std::uint64_t>;
    static constexpr std::size_t longest = 10;
    [[nodiscard]] static constexpr std::size_t max_size() noexcept { return longest; }

    /// The length and the varint's size, or how many bytes were seen (complete == false).
    struct decoded {
        bool complete = false;
        std::size_t size = 0;
        std::uint64_t value = 0;
    };

    [[nodiscard]] static constexpr result<decoded> decode(std::span<const std::byte> prefix) noexcept {
        std::uint64_t value = 0;
        for (std::size_t i = 0; i < prefix.size(); ++i) {
            const auto byte = std::to_integer<std::uint64_t>(prefix[i]);
            if (i == longest - 1 && byte > 1) return errc::varint_too_long;  // bits over 64, or an 11th byte
            value |= (byte & 0x7f) << (7 * i);
            if ((byte & 0x80) == 0) return decoded{true, i + 1, value};
        }
        return decoded{false, prefix.size(), value};
    }

    [[nodiscard]] static constexpr result<frame_extent> measure(std::span<const std::byte> prefix,
                                                               const frame_options& options) noexcept {
        const auto varint = decode(prefix);
        if (!varint) return varint.error();
        if (!varint->complete) return frame_extent{false, varint->size + 1, 0, false, 0};
        return extent_of(varint->size, varint->value, options);
    }

    /// Requires: `bytes` starts with a complete varint.
    [[nodiscard]] static constexpr fields read(std::span<const std::byte> bytes) noexcept {
        return fields{decode(bytes)->value};
    }
};

/// `frame_bytes_needed` for any header kind: the one code path the decoders use too.
template <class Header>
[[nodiscard]] constexpr result<std::size_t> bytes_needed(const Header& header, std::span<const std::byte> prefix,
                                                        const frame_options& options) noexcept {
    const auto extent = header.measure(prefix, options);
    if (!extent) return extent.error();
    if (!extent->header_complete) return extent->header_size - prefix.size();
    if (extent->oversize) return errc::frame_too_large;
    const std::size_t total = extent->header_size + static_cast<std::size_t>(extent->payload_size);
    return total > prefix.size() ? total - prefix.size() : 0;
}

}  // namespace detail

/// How many more bytes complete the frame that starts at `prefix[0]`: 0 when a whole
/// frame is there; while the header is incomplete, the bytes that complete the header.
/// Errors: errc::frame_too_large, errc::frame_length_too_small.
///
///     std::array<std::byte, 6> prefix{{std::byte{0}, std::byte{0}, std::byte{0}, std::byte{5},
///                                      std::byte{'h'}, std::byte{'i'}}};
///     auto n = wirepack::frame_bytes_needed<"!I">(prefix, {});   // *n == 3
template <fixed_string HeaderFormat = "!I", std::size_t LengthIndex = 0>
[[nodiscard]] constexpr result<std::size_t> frame_bytes_needed(std::span<const std::byte> prefix,
                                                               const frame_options& options) noexcept {
    return detail::bytes_needed(detail::fixed_header<HeaderFormat, LengthIndex>{}, prefix, options);
}

/// `frame_bytes_needed` for a varint length prefix; also errc::varint_too_long.
///
///     std::array<std::byte, 1> prefix{{std::byte{0x96}}};             // a varint cut short
///     auto n = wirepack::varint_frame_bytes_needed(prefix, {});       // *n == 1 (at least)
[[nodiscard]] constexpr result<std::size_t> varint_frame_bytes_needed(std::span<const std::byte> prefix,
                                                                      const frame_options& options) noexcept {
    return detail::bytes_needed(detail::varint_header{}, prefix, options);
}

/// One decoded frame: the header fields and a view of the payload in the decoder's
/// buffer, valid until the decoder's next `feed` or `prepare` (or its destruction).
template <class HeaderFields>
struct basic_frame {
    HeaderFields header;
    std::span<const std::byte> payload;
    std::span<const std::byte> wire;  ///< the whole frame as it arrived: header, then payload
};

/// The frame decoder for a header kind (`detail::fixed_header<...>` or
/// `detail::varint_header`); use it through `frame_decoder<...>` or `varint_frame_decoder`.
template <class Header>
class basic_frame_decoder {
public:
    using frame = basic_frame<typename Header::fields>;

    /// A decoder with `options` (default: at most 16 MiB, no adjustment, fail on oversize)
    /// for frames whose header `header` reads.
    ///
    ///     wirepack::frame_decoder<"!HI", 1> decoder({.max_payload = 65536});
    explicit basic_frame_decoder(frame_options options = {}, Header header = {})
        : options_(options), header_(std::move(header)) {}

    /// The most bytes a header can take.
    [[nodiscard]] std::size_t max_header_size() const noexcept { return header_.max_size(); }

    /// Appends `chunk`, first dropping the bytes of frames already handed out (which ends
    /// the life of their payload views). Bytes of a frame being skipped are dropped without
    /// being buffered. Does nothing once the decoder has failed.
    /// Requires, for the memory bound: `next()` was called until it gave no frame since the
    /// last feed; then the buffer never exceeds max_header_size() + max_payload + chunk.size().
    ///
    ///     decoder.feed(std::span(chunk.data(), received));
    ///     while (auto f = decoder.next()) { if (!*f) break; handle((*f)->payload); }
    void feed(std::span<const std::byte> chunk) {
        if (error_ != errc{}) return;
        if (skip_remaining_ != 0) {
            compact();
            chunk = chunk.subspan(skip(chunk.size()));
        }
        if (chunk.empty()) return;
        const auto room = prepare(chunk.size());
        std::memcpy(room.data(), chunk.data(), chunk.size());
        commit(chunk.size());
    }

    /// Room for up to `max_bytes` more bytes at the end of the buffer, for a read straight
    /// into the decoder (no copy through a chunk); then `commit(n)` the `n` bytes written.
    /// Ends the life of payload views handed out before, as `feed` does; the same memory
    /// bound holds with `max_bytes` for the chunk size. Empty once the decoder has failed.
    ///
    ///     std::size_t n = socket.recv_some(decoder.prepare(256 * 1024));
    ///     decoder.commit(n);
    ///     while (auto f = decoder.next().value()) handle(f->payload);
    [[nodiscard]] std::span<std::byte> prepare(std::size_t max_bytes) {
        if (error_ != errc{}) return {};
        compact();
        reserve(end_ + max_bytes, max_bytes);
        return {storage_.get() + end_, max_bytes};
    }

    /// Adds the first `written` bytes of the last `prepare`d room to the buffer.
    /// Requires: `written` <= the size `prepare` gave, and no other call in between.
    void commit(std::size_t written) noexcept {
        end_ += written;
        if (skip_remaining_ != 0) begin_ += skip(written);  // nothing else is buffered while skipping
    }

    /// The next complete frame, nothing when more bytes are needed, or the error that
    /// failed the decoder (errc::frame_too_large, errc::frame_length_too_small,
    /// errc::varint_too_long); a failed decoder gives that error on every call.
    ///
    ///     for (;;) {
    ///         auto f = decoder.next();
    ///         if (!f) return f.error();        // drop the connection
    ///         if (!*f) break;                  // feed more bytes
    ///         handle(get<0>((*f)->header), (*f)->payload);
    ///     }
    [[nodiscard]] result<std::optional<frame>> next() {
        if constexpr (requires { Header::whole_frame(unread(), options_); }) {
            // The common case, one header read: then the general path below decides the rest.
            if (error_ == errc{}) {
                if (auto whole = Header::whole_frame(unread(), options_)) {
                    const auto wire = unread().first(Header::size + whole->second.size());
                    begin_ += wire.size();
                    return std::optional<frame>{frame{whole->first, whole->second, wire}};
                }
            }
        }
        while (error_ == errc{}) {
            const auto rest = unread();
            const auto extent = header_.measure(rest, options_);
            if (!extent) {
                error_ = extent.error();
                break;
            }
            if (extent->oversize) {
                if (options_.on_oversize == oversize_policy::fail) {
                    error_ = errc::frame_too_large;
                    break;
                }
                // Skip: drop what is buffered of it, and the rest as it arrives.
                const std::size_t dropped = static_cast<std::size_t>(std::min<std::uint64_t>(extent->oversize_total, rest.size()));
                begin_ += dropped;
                skip_remaining_ = extent->oversize_total - dropped;
                if (skip_remaining_ != 0) return std::optional<frame>{};
                continue;
            }
            if (!extent->header_complete || rest.size() - extent->header_size < extent->payload_size) {
                return std::optional<frame>{};
            }
            const auto payload = rest.subspan(extent->header_size, static_cast<std::size_t>(extent->payload_size));
            begin_ += extent->header_size + payload.size();
            return std::optional<frame>{frame{header_.read(rest), payload, rest.first(extent->header_size + payload.size())}};
        }
        return error_;
    }

    /// How many more bytes complete the current frame (its header first, then its
    /// payload), or the bytes of an oversize frame still to skip; 0 when `next()` has a
    /// frame or an error to give.
    ///
    ///     decoder.feed(two_bytes_of_a_4_byte_header);
    ///     assert(decoder.bytes_needed() == 2);
    [[nodiscard]] std::size_t bytes_needed() const {
        if (error_ != errc{}) return 0;
        if (skip_remaining_ != 0) {
            return static_cast<std::size_t>(std::min<std::uint64_t>(skip_remaining_, std::numeric_limits<std::size_t>::max()));
        }
        const auto needed = detail::bytes_needed(header_, unread(), options_);
        return needed ? *needed : 0;
    }

    /// Bytes held and not yet handed out as frames.
    [[nodiscard]] std::size_t buffered() const noexcept { return end_ - begin_; }
    /// True when no part of a frame is held or still to skip: a stream may end here cleanly.
    [[nodiscard]] bool at_frame_boundary() const noexcept {
        return error_ == errc{} && begin_ == end_ && skip_remaining_ == 0;
    }
    /// The buffer's allocated size (for tests of the memory bound).
    [[nodiscard]] std::size_t capacity() const noexcept { return capacity_; }
    /// The options the decoder was made with.
    [[nodiscard]] const frame_options& options() const noexcept { return options_; }

private:
    [[nodiscard]] std::span<const std::byte> unread() const noexcept {
        return {storage_.get() + begin_, end_ - begin_};
    }

    /// Moves the unread bytes to the front of the buffer.
    void compact() noexcept {
        if (begin_ == 0) return;
        if (begin_ != end_) std::memmove(storage_.get(), storage_.get() + begin_, end_ - begin_);
        end_ -= begin_;
        begin_ = 0;
    }

    /// Makes the buffer hold at least `total` bytes, growing geometrically up to the
    /// memory bound for reads of `chunk` bytes. The new bytes are not zeroed.
    void reserve(std::size_t total, std::size_t chunk) {
        if (total <= capacity_) return;
        const std::size_t bound = saturating_sum({max_header_size(), options_.max_payload, chunk});
        const std::size_t grown = std::max(total, std::min(2 * capacity_, bound));
        auto larger = std::make_unique_for_overwrite<std::byte[]>(grown);
        if (end_ != 0) std::memcpy(larger.get(), storage_.get(), end_);
        storage_ = std::move(larger);
        capacity_ = grown;
    }

    /// a + b + ..., or SIZE_MAX when that does not fit (a max_payload near SIZE_MAX).
    [[nodiscard]] static constexpr std::size_t saturating_sum(std::initializer_list<std::size_t> terms) noexcept {
        std::size_t sum = 0;
        for (const std::size_t term : terms) {
            if (term > std::numeric_limits<std::size_t>::max() - sum) return std::numeric_limits<std::size_t>::max();
            sum += term;
        }
        return sum;
    }

    /// Counts up to `available` bytes against the frame being skipped; returns how many.
    std::size_t skip(std::size_t available) noexcept {
        const auto dropped = static_cast<std::size_t>(std::min<std::uint64_t>(skip_remaining_, available));
        skip_remaining_ -= dropped;
        return dropped;
    }

    frame_options options_;
    [[no_unique_address]] Header header_;
    std::unique_ptr<std::byte[]> storage_;  // [begin_, end_) unread; [0, begin_) handed out
    std::size_t capacity_ = 0;
    std::size_t begin_ = 0;
    std::size_t end_ = 0;
    std::uint64_t skip_remaining_ = 0;  // bytes of an oversize frame not yet seen
    errc error_{};
};

/// Decodes frames whose header is the struct `HeaderFormat`, field `LengthIndex` being
/// the length (see the wire format at the top of this file).
///
///     wirepack::frame_decoder<> decoder;            // "!I"
///     decoder.feed(bytes);
///     while (auto f = decoder.next().value()) consume(f->payload);
template <fixed_string HeaderFormat = "!I", std::size_t LengthIndex = 0>
using frame_decoder = basic_frame_decoder<detail::fixed_header<HeaderFormat, LengthIndex>>;

/// Decodes frames with a LEB128 varint length prefix (protobuf's delimited streams);
/// `frame::header` is `flat_tuple<std::uint64_t>` holding the wire length.
///
///     wirepack::varint_frame_decoder decoder;
///     decoder.feed(bytes);
///     while (auto f = decoder.next().value()) consume(f->payload);
using varint_frame_decoder = basic_frame_decoder<detail::varint_header>;

/// A frame ready to write: header bytes and the caller's payload, not copied; the
/// payload view must outlive it. `buffers()` is the gather list for writev/sendmsg.
///
///     auto f = wirepack::frame_encoder<>::encode(payload);
///     for (std::span<const std::byte> part : f.buffers()) write_all(fd, part);
template <std::size_t HeaderCapacity>
struct encoded_frame {
    std::array<std::byte, HeaderCapacity> header_storage{};
    std::size_t header_size = HeaderCapacity;
    std::span<const std::byte> payload;

    // Views into header_storage: not on a temporary, whose storage would be gone.
    [[nodiscard]] std::span<const std::byte> header() const& noexcept {
        return std::span<const std::byte>(header_storage).first(header_size);
    }
    std::span<const std::byte> header() const&& = delete;
    [[nodiscard]] std::array<std::span<const std::byte>, 2> buffers() const& noexcept { return {header(), payload}; }
    std::array<std::span<const std::byte>, 2> buffers() const&& = delete;
    [[nodiscard]] std::size_t size() const noexcept { return header_size + payload.size(); }
};

namespace detail {

/// The wire length for `payload_size`: payload_size - adjustment, or throws
/// errc::integer_out_of_range when that is negative.
[[nodiscard]] constexpr std::uint64_t wire_length(std::size_t payload_size, std::int64_t adjustment) {
    const auto size = static_cast<std::uint64_t>(payload_size);
    if (adjustment <= 0) {
        const std::uint64_t add = ~static_cast<std::uint64_t>(adjustment) + 1;
        if (size > std::numeric_limits<std::uint64_t>::max() - add) {
            throw error(errc::integer_out_of_range, "frame length does not fit 64 bits");
        }
        return size + add;
    }
    if (size < static_cast<std::uint64_t>(adjustment)) {
        throw error(errc::integer_out_of_range, "frame payload is smaller than the length adjustment");
    }
    return size - static_cast<std::uint64_t>(adjustment);
}

}  // namespace detail

/// Writes frame headers for `HeaderFormat`, field `LengthIndex` being the length, which is
/// the payload size minus `LengthAdjustment` (the decoder's `frame_options::length_adjustment`:
/// -4 when the length counts a 4-byte header).
///
///     auto h = wirepack::frame_encoder<"!HI", 1>::header_for(5, 7);   // type 7, length 5
///     // h == {0,7, 0,0,0,5}
template <fixed_string HeaderFormat = "!I", std::size_t LengthIndex = 0, std::int64_t LengthAdjustment = 0>
struct frame_encoder {
    static constexpr std::size_t header_size = calcsize<HeaderFormat>();
    static_assert(sizeof(detail::fixed_header<HeaderFormat, LengthIndex>) != 0);  // runs the header's checks

    /// The header of a frame with `payload_size` bytes; `others` are the other header
    /// fields, in order. Throws `wirepack::error` (errc::integer_out_of_range) when the
    /// length does not fit its field, as `pack` does.
    ///
    ///     auto h = wirepack::frame_encoder<>::header_for(3);   // {0, 0, 0, 3}
    template <class... Others>
    [[nodiscard]] static constexpr std::array<std::byte, header_size> header_for(std::size_t payload_size,
                                                                                const Others&... others) {
        const std::uint64_t length = detail::wire_length(payload_size, LengthAdjustment);
        const auto rest = std::forward_as_tuple(others...);
        static_assert(sizeof...(Others) >= LengthIndex,
                      "wirepack: header_for takes the header fields before the length field too");
        return [&]<std::size_t... Before, std::size_t... After>(std::index_sequence<Before...>,
                                                               std::index_sequence<After...>) {
            return pack<HeaderFormat>(std::get<Before>(rest)..., length, std::get<LengthIndex + After>(rest)...);
        }(std::make_index_sequence<LengthIndex>{},
          std::make_index_sequence<sizeof...(Others) - std::min(LengthIndex, sizeof...(Others))>{});
    }

    /// The frame for `payload` as a gather list; the payload is not copied.
    ///
    ///     auto f = wirepack::frame_encoder<"!HI", 1>::encode(payload, std::uint16_t{7});
    ///     ::writev(fd, ...f.buffers()...);
    template <class... Others>
    [[nodiscard]] static constexpr encoded_frame<header_size> encode(std::span<const std::byte> payload,
                                                                    const Others&... others) {
        return {header_for(payload.size(), others...), header_size, payload};
    }
};

/// Writes LEB128 varint length prefixes (protobuf's delimited streams).
///
///     auto f = wirepack::varint_frame_encoder::encode(payload);   // 300 bytes: {0xAC, 0x02} + payload
struct varint_frame_encoder {
    static constexpr std::size_t max_header_size = detail::varint_header::longest;

    /// The varint header for `payload_size` bytes (1 to 10 bytes, `header()` of the result).
    ///
    ///     auto h = wirepack::varint_frame_encoder::header_for(300);   // h.header() == {0xAC, 0x02}
    [[nodiscard]] static constexpr encoded_frame<max_header_size> header_for(std::size_t payload_size) noexcept {
        encoded_frame<max_header_size> out;
        auto value = static_cast<std::uint64_t>(payload_size);
        std::size_t n = 0;
        do {
            const auto low = static_cast<std::uint8_t>(value & 0x7f);
            value >>= 7;
            out.header_storage[n++] = static_cast<std::byte>(value != 0 ? (low | 0x80) : low);
        } while (value != 0);
        out.header_size = n;
        return out;
    }

    /// The frame for `payload` as a gather list; the payload is not copied.
    ///
    ///     auto f = wirepack::varint_frame_encoder::encode(payload);
    [[nodiscard]] static constexpr encoded_frame<max_header_size> encode(std::span<const std::byte> payload) noexcept {
        auto out = header_for(payload.size());
        out.payload = payload;
        return out;
    }
};

/// Many frames laid out for one `writev`/`sendmsg`: small payloads are copied, with their
/// headers, into one contiguous buffer (one range for a run of them); a payload of
/// `copy_limit` bytes or more is referenced, not copied, and must outlive the batch.
/// `Encoder` is a `frame_encoder<...>` or `varint_frame_encoder`.
///
///     wirepack::frame_batch<> batch;
///     for (auto& message : outgoing) batch.add(message);
///     socket.send_all(batch.buffers());
///     batch.clear();
template <class Encoder = frame_encoder<>>
class frame_batch {
public:
    /// Payloads below this size are copied (2 KiB: about where one more iovec costs
    /// the kernel more than the copy does).
    static constexpr std::size_t default_copy_limit = 2048;

    explicit frame_batch(std::size_t copy_limit = default_copy_limit) : copy_limit_(copy_limit) {}

    /// Appends one frame; `others` are the header's other fields, as for `Encoder::encode`.
    /// Throws what `Encoder::encode` throws, leaving the batch as it was.
    template <class... Others>
    void add(std::span<const std::byte> payload, const Others&... others) {
        const auto frame = Encoder::encode(payload, others...);
        const auto header = frame.header();
        if (payload.size() < copy_limit_) {
            append_copy(header, payload);
        } else {
            append_copy(header, {});
            ranges_.push_back({false, 0, payload.data(), payload.size()});
        }
        ++frames_;
        bytes_ += frame.size();
    }

    /// The gather list of every frame added, in order; valid until the next `add`/`clear`.
    [[nodiscard]] std::span<const std::span<const std::byte>> buffers() {
        views_.clear();
        for (const range& r : ranges_) {
            views_.emplace_back(r.copied ? copies_.get() + r.offset : r.external, r.size);
        }
        return views_;
    }

    [[nodiscard]] std::size_t frame_count() const noexcept { return frames_; }
    /// Total bytes of the frames, headers included.
    [[nodiscard]] std::size_t size_bytes() const noexcept { return bytes_; }
    [[nodiscard]] bool empty() const noexcept { return frames_ == 0; }

    /// Forgets every frame, keeping the memory for the next batch.
    void clear() noexcept {
        copies_size_ = 0;
        ranges_.clear();
        views_.clear();
        frames_ = 0;
        bytes_ = 0;
    }

private:
    /// `size` bytes: of `copies_` at `offset` when `copied`, else of a caller's payload at
    /// `external`.
    struct range {
        bool copied;
        std::size_t offset;
        const std::byte* external;
        std::size_t size;
    };

    void append_copy(std::span<const std::byte> header, std::span<const std::byte> payload) {
        const std::size_t at = copies_size_;
        const std::size_t total = at + header.size() + payload.size();
        if (total > copies_capacity_) grow(total);
        copies_size_ = total;
        std::memcpy(copies_.get() + at, header.data(), header.size());
        if (!payload.empty()) std::memcpy(copies_.get() + at + header.size(), payload.data(), payload.size());
        if (!ranges_.empty() && ranges_.back().copied) {
            ranges_.back().size += header.size() + payload.size();  // extends the run of copies
        } else {
            ranges_.push_back({true, at, nullptr, header.size() + payload.size()});
        }
    }

    /// Room for `total` bytes of copies, growing geometrically; the new bytes are not zeroed.
    void grow(std::size_t total) {
        const std::size_t grown = std::max(total, 2 * copies_capacity_);
        auto larger = std::make_unique_for_overwrite<std::byte[]>(grown);
        if (copies_size_ != 0) std::memcpy(larger.get(), copies_.get(), copies_size_);
        copies_ = std::move(larger);
        copies_capacity_ = grown;
    }

    std::size_t copy_limit_;
    std::unique_ptr<std::byte[]> copies_;  // the copied frames: [0, copies_size_)
    std::size_t copies_size_ = 0;
    std::size_t copies_capacity_ = 0;
    std::vector<range> ranges_;
    std::vector<std::span<const std::byte>> views_;
    std::size_t frames_ = 0;
    std::size_t bytes_ = 0;
};

}  // namespace wirepack
