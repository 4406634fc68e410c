#pragma once
// Internal to wirepack::net: the pieces every socket source file needs around the raw
// system calls (error codes, EAGAIN on a socket with a timeout, gather lists as iovecs,
// poll, socket names). Not installed; nothing outside src/net includes it.

#include <wirepack/net/endpoint.hpp>
#include <wirepack/net/stream.hpp>

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/uio.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <climits>
#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <system_error>

namespace wirepack::net::detail {

/// The most ranges one sendmsg takes, and so the size of an iovec array on the stack.
inline constexpr std::size_t max_ranges_per_call = IOV_MAX;
static_assert(max_ranges_per_call <= 1024, "the iovec array lives on the stack: keep it small");

inline std::error_code last_error() noexcept { return {errno, std::system_category()}; }

/// What a failed call on `fd` reports for EAGAIN: on a blocking socket it can only mean
/// that SO_RCVTIMEO / SO_SNDTIMEO ran out, which is std::errc::timed_out.
inline std::error_code would_block_error(int fd) noexcept {
    const int flags = ::fcntl(fd, F_GETFL);
    if (flags >= 0 && (flags & O_NONBLOCK) == 0) return std::make_error_code(std::errc::timed_out);
    return std::make_error_code(std::errc::resource_unavailable_try_again);
}

/// The error of the call on `fd` that has just failed, with EAGAIN sorted out.
inline std::error_code call_error(int fd) noexcept {
    const int error = errno;
    if (error == EAGAIN || error == EWOULDBLOCK) return would_block_error(fd);
    return {error, std::system_category()};
}

[[noreturn]] inline void throw_error(std::error_code error, const std::string& context) {
    throw std::system_error(error, context);
}

inline void set_nonblocking_flag(int fd, bool on) {
    const int flags = ::fcntl(fd, F_GETFL);
    if (flags < 0) throw_error(last_error(), "fcntl F_GETFL");
    const int wanted = on ? (flags | O_NONBLOCK) : (flags & ~O_NONBLOCK);
    if (wanted != flags && ::fcntl(fd, F_SETFL, wanted) != 0) throw_error(last_error(), "fcntl F_SETFL");
}

/// Refuses a zero or negative timeout, as `set_timeout` documents.
inline void check_timeout(std::optional<std::chrono::milliseconds> timeout) {
    if (timeout && timeout->count() <= 0) {
        throw std::system_error(std::make_error_code(std::errc::invalid_argument),
                                "set_timeout: the timeout must be positive (set_nonblocking for none at all)");
    }
}

/// SO_RCVTIMEO and SO_SNDTIMEO of `fd` (nothing: wait forever); the setsockopt error, if any.
inline std::error_code set_socket_timeouts(int fd, std::optional<std::chrono::milliseconds> timeout) noexcept {
    timeval limit{};
    if (timeout) {
        limit.tv_sec = static_cast<time_t>(timeout->count() / 1000);
        limit.tv_usec = static_cast<suseconds_t>((timeout->count() % 1000) * 1000);
    }
    for (const int option : {SO_RCVTIMEO, SO_SNDTIMEO}) {
        if (::setsockopt(fd, SOL_SOCKET, option, &limit, sizeof limit) != 0) return last_error();
    }
    return {};
}

/// getsockname or getpeername of `fd`; an empty endpoint and `error` set on failure.
template <typename NameCall>
endpoint socket_name(int fd, NameCall name_call, std::error_code& error) noexcept {
    endpoint name;
    socklen_t size = endpoint::capacity();
    if (name_call(fd, name.data(), &size) != 0) {
        error = last_error();
        return {};
    }
    name.resize(std::min(size, endpoint::capacity()));
    error.clear();
    return name;
}

inline endpoint local_name(int fd, std::error_code& error) noexcept { return socket_name(fd, ::getsockname, error); }
inline endpoint peer_name(int fd, std::error_code& error) noexcept { return socket_name(fd, ::getpeername, error); }

/// Where a send stands in a gather list: the range and the offset inside it.
class gather_cursor {
public:
    explicit gather_cursor(const_buffers buffers) noexcept : buffers_(buffers) { skip_empty(); }

    [[nodiscard]] bool done() const noexcept { return index_ == buffers_.size(); }

    /// Fills `vectors` with the unsent bytes, at most `vectors.size()` ranges; returns how many.
    std::size_t fill(std::span<iovec> vectors) const noexcept {
        std::size_t count = 0;
        std::size_t offset = offset_;
        for (std::size_t i = index_; i < buffers_.size() && count < vectors.size(); ++i, offset = 0) {
            const auto range = buffers_[i].subspan(offset);
            if (range.empty()) continue;
            // sendmsg only reads through iov_base; the cast drops the const the C API lacks.
            vectors[count++] = {const_cast<std::byte*>(range.data()), range.size()};
        }
        return count;
    }

    void advance(std::size_t bytes) noexcept {
        while (bytes > 0 && !done()) {
            const std::size_t left_in_range = buffers_[index_].size() - offset_;
            const std::size_t step = std::min(bytes, left_in_range);
            offset_ += step;
            bytes -= step;
            skip_empty();
        }
    }

private:
    void skip_empty() noexcept {
        while (!done() && offset_ == buffers_[index_].size()) {
            ++index_;
            offset_ = 0;
        }
    }

    const_buffers buffers_;
    std::size_t index_ = 0;
    std::size_t offset_ = 0;
};

/// Polls `fd` for `events` until `deadline` (none: forever), retrying EINTR.
/// std::errc::timed_out when the deadline passes first.
inline std::error_code wait_for(int fd, short events,
                                std::optional<std::chrono::steady_clock::time_point> deadline) noexcept {
    using std::chrono::milliseconds;
    for (;;) {
        int wait_ms = -1;
        if (deadline) {
            const auto left = std::chrono::ceil<milliseconds>(*deadline - std::chrono::steady_clock::now());
            wait_ms = static_cast<int>(std::clamp<milliseconds::rep>(left.count(), 0, INT_MAX));
        }
        pollfd request{fd, events, 0};
        const int ready = ::poll(&request, 1, wait_ms);
        if (ready > 0) return {};
        if (ready == 0) return std::make_error_code(std::errc::timed_out);
        if (errno != EINTR) return last_error();
    }
}

}  // namespace wirepack::net::detail
