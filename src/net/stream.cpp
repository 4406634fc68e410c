#include <wirepack/net/stream.hpp>

#include "system_calls.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <filesystem>
#include <thread>

namespace wirepack::net {

namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;
using detail::call_error;
using detail::gather_cursor;
using detail::last_error;
using detail::local_name;
using detail::peer_name;
using detail::set_nonblocking_flag;
using detail::throw_error;
using detail::wait_for;

file_descriptor open_socket(const endpoint& at, int flags, const char* purpose) {
    file_descriptor fd(::socket(at.family(), SOCK_STREAM | SOCK_CLOEXEC | flags, 0));
    if (!fd) throw_error(last_error(), std::string("socket for ") + purpose + ' ' + at.to_string());
    return fd;
}

/// Turns a boolean socket option on for the listener being set up at `at`.
void enable_option(int fd, int option_level, int option, const char* option_name, const endpoint& at) {
    const int on = 1;
    if (::setsockopt(fd, option_level, option, &on, sizeof on) != 0) {
        throw_error(last_error(), std::string(option_name) + ' ' + at.to_string());
    }
}

/// How error messages name a connection: the peer's address, else (the accepting
/// side of a Unix socket, whose peer has no name) the local one, else the descriptor.
std::string connection_name(int fd) {
    std::error_code ignored;
    for (const auto& name : {peer_name(fd, ignored), local_name(fd, ignored)}) {
        const bool unnamed_unix = name.family() == AF_UNIX && name.path().empty() && !name.is_abstract();
        if (name.family() != AF_UNSPEC && !unnamed_unix) return name.to_string();
    }
    return "fd " + std::to_string(fd);
}

/// One sendmsg of what `cursor` has left (at most `max_ranges_per_call` ranges), retrying
/// EINTR. MSG_NOSIGNAL turns the SIGPIPE of a closed peer into EPIPE.
std::size_t send_once(int fd, const gather_cursor& cursor, std::error_code& error) noexcept {
    std::array<iovec, detail::max_ranges_per_call> vectors;
    msghdr message{};
    message.msg_iov = vectors.data();
    message.msg_iovlen = cursor.fill(vectors);
    error.clear();
    if (message.msg_iovlen == 0) return 0;
    for (;;) {
        const ssize_t sent = ::sendmsg(fd, &message, MSG_NOSIGNAL);
        if (sent >= 0) return static_cast<std::size_t>(sent);
        if (errno != EINTR) break;
    }
    error = call_error(fd);
    return 0;
}

/// The outcome of a connect that is under way on `fd`: SO_ERROR once it is writable.
std::error_code finish_connect(int fd, std::optional<steady_clock::time_point> deadline) noexcept {
    if (auto error = wait_for(fd, POLLOUT, deadline)) return error;
    int pending = 0;
    socklen_t size = sizeof pending;
    if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &pending, &size) != 0) return last_error();
    return {pending, std::system_category()};
}

/// Connects `fd` (non-blocking exactly when there is a deadline) to `to`.
std::error_code connect_socket(int fd, const endpoint& to, std::optional<steady_clock::time_point> deadline) noexcept {
    // A Unix socket whose listener's backlog is full says EAGAIN instead of waiting:
    // retry at this pace until the deadline.
    constexpr milliseconds unix_backlog_retry_interval(2);
    bool interrupted = false;
    for (;;) {
        if (::connect(fd, to.data(), to.size()) == 0) return {};
        const int error = errno;
        // A signal during a blocking connect: a TCP attempt goes on in the background, a
        // Unix one is abandoned (the socket stays unconnected). Calling connect again tells
        // which: EALREADY (still under way), EISCONN (done meanwhile), or a fresh attempt.
        if (error == EINTR) {
            interrupted = true;
            continue;
        }
        if (error == EISCONN && interrupted) return {};
        if (error == EINPROGRESS || error == EALREADY) return finish_connect(fd, deadline);
        if (error != EAGAIN || !deadline) return {error, std::system_category()};
        const auto now = steady_clock::now();
        if (now >= *deadline) return std::make_error_code(std::errc::timed_out);
        std::this_thread::sleep_for(std::min<steady_clock::duration>(unix_backlog_retry_interval, *deadline - now));
    }
}

/// Whether the socket file at `at` is left over from a server that is gone: lstat says it
/// is a socket, no socket at all is bound to it, and it is still the same file after the
/// probe.
///
/// The probe is a datagram socket's connect. The kernel looks the file up, then the
/// socket bound to its inode: none gives ECONNREFUSED; a bound stream socket, listening
/// or not yet, gives EPROTOTYPE (the wrong type) and never learns of the probe. A stream
/// probe could not tell a dead file from a server between its bind and its listen: both
/// refuse with ECONNREFUSED.
bool is_stale_socket_file(const endpoint& at) {
    struct stat before {};
    if (::lstat(at.path().c_str(), &before) != 0 || !S_ISSOCK(before.st_mode)) return false;
    file_descriptor probe(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    if (!probe) return false;
    if (::connect(probe.get(), at.data(), at.size()) == 0 || errno != ECONNREFUSED) return false;
    struct stat after {};
    return ::lstat(at.path().c_str(), &after) == 0 && after.st_dev == before.st_dev &&
           after.st_ino == before.st_ino;
}

/// Why `send_all` stopped after writing `written` bytes of `buffers`. EAGAIN means a
/// non-blocking socket (a blocking one's is timed_out): refused as misuse, since
/// send_all cannot hand back how much it wrote.
[[noreturn]] void throw_send_all_failure(int fd, std::error_code error, std::size_t written, const_buffers buffers) {
    const auto progress = std::to_string(written) + " of " + std::to_string(detail::total_size(buffers)) + " bytes";
    if (error == std::errc::resource_unavailable_try_again) {
        throw std::system_error(std::make_error_code(std::errc::operation_not_supported),
                                "send_all " + connection_name(fd) + ": the socket is non-blocking and full after " +
                                    progress + "; send_all needs a blocking socket (use send_some in an event loop)");
    }
    throw_error(error, "send " + connection_name(fd) + " (" + progress + " written)");
}

}  // namespace

// ---------------------------------------------------------------------------------------
// stream_socket

stream_socket stream_socket::connect(const endpoint& to, std::optional<milliseconds> timeout) {
    detail::check_timeout(timeout, "connect " + to.to_string());
    std::optional<steady_clock::time_point> deadline;
    if (timeout) deadline = steady_clock::now() + *timeout;
    auto fd = open_socket(to, deadline ? SOCK_NONBLOCK : 0, "connect to");
    if (auto error = connect_socket(fd.get(), to, deadline)) throw_error(error, "connect " + to.to_string());
    if (deadline) set_nonblocking_flag(fd.get(), false);
    return stream_socket(std::move(fd));
}

stream_socket stream_socket::connect_tcp(std::string_view host_port, std::optional<milliseconds> timeout) {
    detail::check_timeout(timeout, "connect " + std::string(host_port));
    return detail::first_address_that_works(host_port, SOCK_STREAM,
                                            [&](const endpoint& candidate) { return connect(candidate, timeout); });
}

stream_socket stream_socket::connect_unix(std::string_view path_or_at_name) {
    return connect(endpoint::unix_address(path_or_at_name));
}

std::pair<stream_socket, stream_socket> stream_socket::pair() {
    int fds[2] = {-1, -1};
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) throw_error(last_error(), "socketpair");
    return {stream_socket(file_descriptor(fds[0])), stream_socket(file_descriptor(fds[1]))};
}

std::size_t stream_socket::send_some(const_buffers buffers, std::error_code& error) noexcept {
    return send_once(fd_.get(), gather_cursor(buffers), error);
}

std::size_t stream_socket::send_some(const_buffers buffers) {
    std::error_code error;
    const std::size_t sent = send_some(buffers, error);
    if (error) throw_error(error, "send " + connection_name(fd_.get()));
    return sent;
}

std::size_t stream_socket::send_some(std::span<const std::byte> bytes) {
    return send_some(const_buffers(&bytes, 1));
}

void stream_socket::send_all(const_buffers buffers) {
    gather_cursor cursor(buffers);
    std::size_t written = 0;
    while (!cursor.done()) {
        std::error_code error;
        const std::size_t sent = send_once(fd_.get(), cursor, error);
        if (error) throw_send_all_failure(fd_.get(), error, written, buffers);
        cursor.advance(sent);
        written += sent;
    }
}

void stream_socket::send_all(std::span<const std::byte> bytes) { send_all(const_buffers(&bytes, 1)); }

std::size_t stream_socket::recv_some(std::span<std::byte> buffer, std::error_code& error) noexcept {
    error.clear();
    if (buffer.empty()) return 0;
    for (;;) {
        const ssize_t received = ::recv(fd_.get(), buffer.data(), buffer.size(), 0);
        if (received >= 0) return static_cast<std::size_t>(received);
        if (errno != EINTR) break;
    }
    error = call_error(fd_.get());
    return 0;
}

std::size_t stream_socket::recv_some(std::span<std::byte> buffer) {
    std::error_code error;
    const std::size_t received = recv_some(buffer, error);
    if (error) throw_error(error, "recv " + connection_name(fd_.get()));
    return received;
}

void stream_socket::set_timeout(std::optional<milliseconds> timeout) {
    detail::set_timeout(fd_.get(), timeout, [this] { return connection_name(fd_.get()); });
}

void stream_socket::set_nonblocking(bool on) { set_nonblocking_flag(fd_.get(), on); }

void stream_socket::set_no_delay(bool on) {
    const int value = on ? 1 : 0;
    if (::setsockopt(fd_.get(), IPPROTO_TCP, TCP_NODELAY, &value, sizeof value) == 0) return;
    // A Unix socket has no TCP options and says so with one of these.
    if (errno == EOPNOTSUPP || errno == ENOPROTOOPT) return;
    throw_error(last_error(), "set_no_delay " + connection_name(fd_.get()));
}

void stream_socket::shutdown_send() {
    if (::shutdown(fd_.get(), SHUT_WR) != 0) throw_error(last_error(), "shutdown " + connection_name(fd_.get()));
}

endpoint stream_socket::local_endpoint() const { return detail::local_endpoint_of(fd_.get()); }

endpoint stream_socket::peer_endpoint() const { return detail::peer_endpoint_of(fd_.get()); }

// ---------------------------------------------------------------------------------------
// stream_listener

stream_listener::stream_listener(stream_listener&& other) noexcept
    : fd_(std::move(other.fd_)),
      unix_path_(std::exchange(other.unix_path_, {})),
      unix_device_(other.unix_device_),
      unix_inode_(other.unix_inode_) {}

stream_listener& stream_listener::operator=(stream_listener&& other) noexcept {
    if (this != &other) {
        close();
        fd_ = std::move(other.fd_);
        unix_path_ = std::exchange(other.unix_path_, {});
        unix_device_ = other.unix_device_;
        unix_inode_ = other.unix_inode_;
    }
    return *this;
}

stream_listener::~stream_listener() { close(); }

stream_listener stream_listener::listen(const endpoint& at, int backlog) {
    if (at.family() == AF_UNIX) return listen_unix_endpoint(at, {}, backlog);
    stream_listener listener;
    listener.fd_ = open_socket(at, 0, "listen on");
    const int fd = listener.fd_.get();
    enable_option(fd, SOL_SOCKET, SO_REUSEADDR, "SO_REUSEADDR", at);
    if (at.family() == AF_INET6) enable_option(fd, IPPROTO_IPV6, IPV6_V6ONLY, "IPV6_V6ONLY", at);
    if (::bind(fd, at.data(), at.size()) != 0) throw_error(last_error(), "bind " + at.to_string());
    if (::listen(fd, backlog) != 0) throw_error(last_error(), "listen " + at.to_string());
    return listener;
}

stream_listener stream_listener::listen_tcp(std::string_view host_port, int backlog) {
    return listen(endpoint::resolve(host_port, SOCK_STREAM).front(), backlog);
}

stream_listener stream_listener::listen_unix(std::string_view path_or_at_name, unix_listen_options options,
                                             int backlog) {
    return listen_unix_endpoint(endpoint::unix_address(path_or_at_name), options, backlog);
}

stream_listener stream_listener::listen_unix_endpoint(const endpoint& at, unix_listen_options options,
                                                      int backlog) {
    stream_listener listener;
    listener.fd_ = open_socket(at, 0, "listen on");
    const int fd = listener.fd_.get();
    const auto name = at.to_string();
    const bool has_file = !at.is_abstract();
    // Linux creates the socket file with the mode of the socket's own inode, less the
    // umask. Set here, the file is never wider than asked, and listen can follow bind at
    // once: between the two the socket refuses connections, which a stale-file check
    // that probes with a stream connect (not ours) would take for a dead file.
    if (has_file && options.permissions && ::fchmod(fd, *options.permissions) != 0) {
        throw_error(last_error(), "fchmod " + name);
    }
    if (::bind(fd, at.data(), at.size()) != 0) {
        const auto bind_error = last_error();
        const bool retry = bind_error == std::errc::address_in_use && options.remove_stale && has_file &&
                           is_stale_socket_file(at) && ::unlink(at.path().c_str()) == 0;
        if (!retry || ::bind(fd, at.data(), at.size()) != 0) {
            throw_error(retry ? last_error() : bind_error, "bind " + name);
        }
    }
    std::error_code listen_error;
    if (::listen(fd, backlog) != 0) listen_error = last_error();
    if (has_file) {
        // From here on the file is ours: every later failure removes it on the way out.
        struct stat bound {};
        if (::lstat(at.path().c_str(), &bound) == 0) {
            std::error_code ignored;
            auto absolute = std::filesystem::absolute(at.path(), ignored);
            listener.unix_path_ = ignored ? at.path() : absolute.string();
            listener.unix_device_ = bound.st_dev;
            listener.unix_inode_ = bound.st_ino;
        }
    }
    if (listen_error) throw_error(listen_error, "listen " + name);
    // Gives back the bits the umask took: only ever widens toward what was asked.
    if (has_file && options.permissions && ::chmod(at.path().c_str(), *options.permissions) != 0) {
        throw_error(last_error(), "chmod " + name);
    }
    return listener;
}

stream_socket stream_listener::accept(std::error_code& error) noexcept {
    for (;;) {
        const int accepted = ::accept4(fd_.get(), nullptr, nullptr, SOCK_CLOEXEC);
        if (accepted >= 0) {
            error.clear();
            return stream_socket(file_descriptor(accepted));
        }
        // A connection that was reset while it waited in the queue is not this listener's failure.
        if (errno != EINTR && errno != ECONNABORTED) break;
    }
    error = call_error(fd_.get());
    return {};
}

stream_socket stream_listener::accept() {
    std::error_code error;
    auto accepted = accept(error);
    if (error) {
        std::error_code ignored;
        throw_error(error, "accept " + local_name(fd_.get(), ignored).to_string());
    }
    return accepted;
}

void stream_listener::set_nonblocking(bool on) { set_nonblocking_flag(fd_.get(), on); }

endpoint stream_listener::local_endpoint() const { return detail::local_endpoint_of(fd_.get()); }

void stream_listener::close() noexcept {
    if (!unix_path_.empty()) {
        // Only the file this listener created, if it is still at the path: someone may
        // have removed it and another server bound the path since. Unlink before closing
        // the socket: while it listens no stale-file check takes the file for dead, so
        // between this lstat and the unlink only someone removing it unconditionally could
        // swap it (and then the unlink hits their file).
        struct stat current {};
        if (::lstat(unix_path_.c_str(), &current) == 0 && current.st_dev == unix_device_ &&
            current.st_ino == unix_inode_) {
            ::unlink(unix_path_.c_str());
        }
        unix_path_.clear();
    }
    fd_.reset();
}

}  // namespace wirepack::net
