#pragma once
// Internal to wirepack::net: the pieces every socket source file needs around the raw
// system calls (error codes, EAGAIN on a socket with a timeout, timeouts, gather lists as
// iovecs, poll, socket names, trying each resolved address). Not installed; nothing
// outside src/net includes it.

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
#include <string_view>
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

/// Refuses a zero or negative timeout (std::errc::invalid_argument); `call` names the
/// public function in the message.
inline void check_timeout(std::optional<std::chrono::milliseconds> timeout, std::string_view call) {
    if (timeout && timeout->count() <= 0) {
        throw std::system_error(std::make_error_code(std::errc::invalid_argument),
                                std::string(call) + ": the timeout must be positive, not " +
                                    std::to_string(timeout->count()) + " ms");
    }
}

/// `set_timeout` of every socket type: checks `timeout`, then sets SO_RCVTIMEO and
/// SO_SNDTIMEO of `fd` (nothing: wait forever). `describe()` names the socket in an error
/// message; it is called only then, so the success path makes no getsockname.
template <typename Describe>
void set_timeout(int fd, std::optional<std::chrono::milliseconds> timeout, Describe describe) {
    check_timeout(timeout, "set_timeout");
    timeval limit{};
    if (timeout) {
        limit.tv_sec = static_cast<time_t>(timeout->count() / 1000);
        limit.tv_usec = static_cast<suseconds_t>((timeout->count() % 1000) * 1000);
    }
    for (const int option : {SO_RCVTIMEO, SO_SNDTIMEO}) {
        if (::setsockopt(fd, SOL_SOCKET, option, &limit, sizeof limit) != 0) {
            throw_error(last_error(), "set_timeout " + describe());
        }
    }
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

/// `local_endpoint()` of every socket type: getsockname, throwing on failure.
inline endpoint local_endpoint_of(int fd) {
    std::error_code error;
    auto name = local_name(fd, error);
    if (error) throw_error(error, "getsockname");
    return name;
}

/// `peer_endpoint()`: getpeername, throwing on failure (std::errc::not_connected).
inline endpoint peer_endpoint_of(int fd) {
    std::error_code error;
    auto name = peer_name(fd, error);
    if (error) throw_error(error, "getpeername");
    return name;
}

/// What `connect_tcp` and `connect_udp` share: `attempt(address)` for each address
/// `host_port` resolves to, in order, until one returns instead of throwing
/// std::system_error; then the last address's error, or std::errc::host_unreachable when
/// there was no address at all.
template <typename Attempt>
auto first_address_that_works(std::string_view host_port, int socket_type, Attempt attempt) {
    std::optional<std::system_error> last_failure;
    for (const auto& candidate : endpoint::resolve(host_port, socket_type)) {
        try {
            return attempt(candidate);
        } catch (const std::system_error& failure) {
            last_failure = failure;
        }
    }
    if (last_failure) throw *last_failure;
    throw std::system_error(std::make_error_code(std::errc::host_unreachable),
                            "connect " + std::string(host_port) + ": no address");
}

/// The bytes of a gather list.
inline std::size_t total_size(const_buffers buffers) noexcept {
    std::size_t total = 0;
    for (const auto& range : buffers) total += range.size();
    return total;
}

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
