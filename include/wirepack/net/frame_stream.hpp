#pragma once
/// \file
/// Frames over a stream socket: the sans-I/O codec of <wirepack/frame.hpp> driven by
/// `stream_socket`. Sending writes header and payload with one sendmsg (no copy of the
/// payload); receiving reads large chunks straight into the decoder's buffer.
///
/// Errors: std::system_error from the socket (errno, timeouts), and wirepack::error for a
/// frame the decoder refuses (errc::frame_too_large, errc::frame_length_too_small,
/// errc::varint_too_long) or a stream that ends inside a frame (errc::truncated_frame).

#include <array>
#include <cstddef>
#include <optional>
#include <span>
#include <string>

#include <wirepack/error.hpp>
#include <wirepack/frame.hpp>
#include <wirepack/net/stream.hpp>

namespace wirepack::net {

/// Writes one frame: `Encoder`'s header, then `payload`, in one gather write.
/// `others` are the header's other fields, in order. Uses `send_all`, so it needs a
/// blocking socket (a timeout is fine).
///
///     wirepack::net::send_frame(socket, payload);                                 // "!I"
///     wirepack::net::send_frame<wirepack::frame_encoder<"!HI", 1>>(socket, payload, std::uint16_t{7});
template <class Encoder = frame_encoder<>, class... Others>
void send_frame(stream_socket& socket, std::span<const std::byte> payload, const Others&... others) {
    const auto frame = Encoder::encode(payload, others...);
    const auto parts = frame.buffers();
    socket.send_all(parts);
}

/// Writes every frame of `batch` in as few system calls as the kernel allows, with
/// `send_all`: a blocking socket only. An event loop sends `batch.buffers()` with `send_some`.
///
///     wirepack::frame_batch<> batch;
///     for (auto& m : messages) batch.add(m);
///     wirepack::net::send_frames(socket, batch);
template <class Encoder>
void send_frames(stream_socket& socket, frame_batch<Encoder>& batch) {
    socket.send_all(batch.buffers());
}

/// Reads frames from a stream socket. The decoder's memory stays bounded by the maximum
/// payload plus one read; a frame's payload view lives until the next `recv_frame`.
///
///     wirepack::net::frame_reader reader(socket);               // "!I", 16 MiB at most
///     while (auto frame = reader.recv_frame()) handle(frame->payload);
///     // here: the peer closed the connection between two frames
template <class Decoder = frame_decoder<>>
class frame_reader {
public:
    using frame = typename Decoder::frame;

    /// Bytes asked of each `recv`.
    static constexpr std::size_t default_read_size = std::size_t{256} << 10;

    /// Reads from `socket`, which must outlive the reader.
    explicit frame_reader(stream_socket& socket, frame_options options = {},
                          std::size_t read_size = default_read_size)
        : socket_(&socket), decoder_(options), read_size_(read_size) {}

    /// The next frame; nothing when the stream ended cleanly, between two frames.
    /// Throws wirepack::error for a refused frame or errc::truncated_frame when the stream
    /// ended inside one ("stream ended 12 bytes short of a complete frame"), and
    /// std::system_error for a socket error or timeout.
    [[nodiscard]] std::optional<frame> recv_frame() {
        for (;;) {
            if (auto next = decoder_.next().value()) return next;
            const std::size_t received = socket_->recv_some(decoder_.prepare(read_size_));
            decoder_.commit(received);
            if (received == 0) {
                if (decoder_.at_frame_boundary()) return std::nullopt;
                throw_truncated();
            }
        }
    }

    /// The decoder, e.g. to feed it bytes that were read before the reader existed.
    [[nodiscard]] Decoder& decoder() noexcept { return decoder_; }

private:
    [[noreturn]] void throw_truncated() const {
        throw error(errc::truncated_frame, "stream ended " + std::to_string(decoder_.bytes_needed()) +
                                               " bytes short of a complete frame");
    }

    stream_socket* socket_;
    Decoder decoder_;
    std::size_t read_size_;
};

}  // namespace wirepack::net
