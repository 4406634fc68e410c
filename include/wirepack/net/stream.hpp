#pragma once
/// \file
/// Stream sockets: TCP over IPv4 and IPv6, and Unix domain stream sockets.
///
/// Errors: every call that can fail has a throwing form, which throws std::system_error
/// carrying the errno (std::system_category) and naming the call, and the calls an event
/// loop makes in a tight loop (`send_some`, `recv_some`, `accept`) also have a form taking
/// `std::error_code&`, which never throws. A timeout is std::errc::timed_out; on a
/// non-blocking socket "not now" is std::errc::resource_unavailable_try_again (EAGAIN),
/// except for `send_all`, which needs a blocking socket (see there).
/// No call ever raises SIGPIPE: writing to a closed peer is std::errc::broken_pipe.

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

#include <wirepack/net/endpoint.hpp>
#include <wirepack/net/file_descriptor.hpp>

namespace wirepack::net {

/// A gather list: the byte ranges one `send` writes, in order.
using const_buffers = std::span<const std::span<const std::byte>>;

/// A connected stream socket (TCP or Unix). Move-only; closes on destruction.
///
///     auto s = wirepack::net::stream_socket::connect_tcp("127.0.0.1:5000");
///     s.set_timeout(std::chrono::seconds(5));
///     s.send_all(bytes);
///     std::size_t n = s.recv_some(buffer);      // 0: the peer closed its end
class stream_socket {
public:
    stream_socket() noexcept = default;
    /// Adopts a connected stream socket (e.g. from `accept4` or `socketpair`).
    explicit stream_socket(file_descriptor fd) noexcept : fd_(std::move(fd)) {}

    /// Connects to `to`, within `timeout` when one is given (std::errc::timed_out). The
    /// timeout covers the connect only; `set_timeout` sets one for later calls. A zero or
    /// negative timeout is refused (std::errc::invalid_argument), as by `set_timeout`. A
    /// signal that interrupts the connect does not end it: it goes on (or, for a Unix
    /// socket, is made again) until it succeeds, fails or runs out of time.
    ///
    ///     auto s = wirepack::net::stream_socket::connect(server.local_endpoint(), std::chrono::seconds(1));
    [[nodiscard]] static stream_socket connect(const endpoint& to,
                                               std::optional<std::chrono::milliseconds> timeout = {});
    /// Connects to "HOST:PORT" or "[V6]:PORT", trying each resolved address in turn (each
    /// gets the whole `timeout`, as in Python's create_connection); throws the last
    /// address's error when none accepts. The timeout is checked as by `connect`.
    ///
    ///     auto s = wirepack::net::stream_socket::connect_tcp("[::1]:5000", std::chrono::seconds(2));
    [[nodiscard]] static stream_socket connect_tcp(std::string_view host_port,
                                                   std::optional<std::chrono::milliseconds> timeout = {});
    /// Connects to a Unix socket path, or "@name" in the abstract namespace (no timeout:
    /// `connect(endpoint::unix_address(...), timeout)` takes one).
    ///
    ///     auto s = wirepack::net::stream_socket::connect_unix("/tmp/echo.sock");
    [[nodiscard]] static stream_socket connect_unix(std::string_view path_or_at_name);
    /// Two connected Unix stream sockets (socketpair).
    ///
    ///     auto [a, b] = wirepack::net::stream_socket::pair();
    [[nodiscard]] static std::pair<stream_socket, stream_socket> pair();

    /// Writes as much of `buffers` as the kernel takes in one sendmsg (at most IOV_MAX
    /// ranges), retrying EINTR; returns the bytes written (may be fewer than asked). The
    /// call for an event loop: on a non-blocking socket a full buffer is EAGAIN, and
    /// nothing is lost, since every byte counted was written.
    ///
    ///     std::size_t n = s.send_some(parts, error);   // resume at byte n when POLLOUT says so
    std::size_t send_some(const_buffers buffers);
    std::size_t send_some(const_buffers buffers, std::error_code& error) noexcept;
    std::size_t send_some(std::span<const std::byte> bytes);

    /// Writes every byte of `buffers`: a partial write resumes at the right range and
    /// offset, EINTR is retried, lists longer than IOV_MAX go in several calls.
    /// Requires a blocking socket (with or without `set_timeout`). On a non-blocking one it
    /// throws std::errc::operation_not_supported the first time the kernel's buffer is full,
    /// possibly after writing part of the data; an event loop uses `send_some` instead.
    /// After any failure (a timeout too) the peer may have got part of the data: the
    /// message says how many bytes went, and a framed stream is best closed.
    ///
    ///     std::array<std::span<const std::byte>, 2> parts{header, payload};
    ///     s.send_all(parts);
    void send_all(const_buffers buffers);
    void send_all(std::span<const std::byte> bytes);

    /// Reads what is there, up to `buffer.size()` bytes, retrying EINTR; 0 means the peer
    /// closed its end (or `buffer` is empty).
    ///
    ///     std::size_t n = s.recv_some(buffer);   // 0: end of stream
    std::size_t recv_some(std::span<std::byte> buffer);
    std::size_t recv_some(std::span<std::byte> buffer, std::error_code& error) noexcept;

    /// Like Python's settimeout: each later send or receive call fails with
    /// std::errc::timed_out when it makes no progress for `timeout`; nothing = wait forever.
    /// A zero or negative timeout is refused (std::errc::invalid_argument): Python's
    /// settimeout(0) is `set_nonblocking(true)` here.
    ///
    ///     s.set_timeout(std::chrono::seconds(5));   // s.set_timeout(std::nullopt): no limit again
    void set_timeout(std::optional<std::chrono::milliseconds> timeout);
    /// Non-blocking mode, for an event loop: calls that would wait fail with EAGAIN instead.
    ///
    ///     s.set_nonblocking(true);   // then send_some / recv_some when poll says so
    void set_nonblocking(bool on);
    /// TCP_NODELAY (TCP only; does nothing for Unix sockets).
    ///
    ///     s.set_no_delay(true);   // a small reply leaves at once, not after the peer's ACK
    void set_no_delay(bool on);
    /// Ends this side's sending (shutdown SHUT_WR): the peer reads end of stream.
    ///
    ///     s.send_all(request);
    ///     s.shutdown_send();   // the server sees the request end, and can still answer
    void shutdown_send();

    [[nodiscard]] endpoint local_endpoint() const;
    [[nodiscard]] endpoint peer_endpoint() const;
    [[nodiscard]] int native_handle() const noexcept { return fd_.get(); }
    [[nodiscard]] bool is_open() const noexcept { return static_cast<bool>(fd_); }
    void close() noexcept { fd_.reset(); }

private:
    file_descriptor fd_;
};

/// How `stream_listener::listen_unix` treats the path.
struct unix_listen_options {
    /// Remove a stale socket file at the path first: a socket file (by lstat) that no
    /// socket is bound to, which a probing datagram connect tells (ECONNREFUSED). A
    /// regular file, a directory, a symbolic link, and a socket file any process still has
    /// bound (listening or not yet) are never removed: std::errc::address_in_use or the
    /// bind error. The probe never reaches a live server.
    /// One race remains: when two processes find the same stale file at the same moment,
    /// the later one's unlink can hit the file the earlier one has just bound in its place
    /// (that server then listens where nobody can reach it). Start one server per path,
    /// or set this to false and remove the file yourself.
    bool remove_stale = true;
    /// The socket file's mode (e.g. 0660). The file is created with this mode less the
    /// umask, so it is never wider than asked, then given exactly this mode right after
    /// listen (a client only the umask shuts out may be refused for that moment). An
    /// abstract name has no file: there it is ignored.
    std::optional<mode_t> permissions;
};

/// A listening stream socket. A Unix path listener removes its socket file when it
/// closes (if the file is still the one it created).
///
///     auto server = wirepack::net::stream_listener::listen_tcp("127.0.0.1:0");
///     std::cout << "listening on " << server.local_endpoint().to_string() << '\n';
///     auto client = server.accept();
class stream_listener {
public:
    stream_listener() noexcept = default;
    stream_listener(stream_listener&& other) noexcept;
    stream_listener& operator=(stream_listener&& other) noexcept;
    stream_listener(const stream_listener&) = delete;
    stream_listener& operator=(const stream_listener&) = delete;
    ~stream_listener();

    /// Binds (SO_REUSEADDR for TCP; IPV6_V6ONLY for IPv6) and listens on `at`.
    [[nodiscard]] static stream_listener listen(const endpoint& at, int backlog = SOMAXCONN);
    /// Listens on the first address "HOST:PORT" resolves to; port 0 picks a free port,
    /// which `local_endpoint()` tells.
    [[nodiscard]] static stream_listener listen_tcp(std::string_view host_port, int backlog = SOMAXCONN);
    /// Listens on a Unix socket path or "@name" (see `unix_listen_options`). A relative path
    /// is made absolute for the removal on close, so a later chdir does not misdirect it.
    ///
    ///     auto server = wirepack::net::stream_listener::listen_unix("/tmp/echo.sock", {.permissions = 0600});
    [[nodiscard]] static stream_listener listen_unix(std::string_view path_or_at_name,
                                                     unix_listen_options options = {}, int backlog = SOMAXCONN);

    /// The next connection (close-on-exec), retrying EINTR and ECONNABORTED.
    ///
    ///     auto client = server.accept();   // blocks until someone connects
    [[nodiscard]] stream_socket accept();
    /// Non-throwing form; an empty socket and `error` set on failure (EAGAIN when
    /// non-blocking and nobody is waiting).
    ///
    ///     auto client = server.accept(error);   // event loop: EAGAIN once the queue is empty
    [[nodiscard]] stream_socket accept(std::error_code& error) noexcept;

    /// Non-blocking accept, for an event loop (accepted sockets are blocking all the same).
    ///
    ///     server.set_nonblocking(true);   // accept(error) then says EAGAIN instead of waiting
    void set_nonblocking(bool on);
    [[nodiscard]] endpoint local_endpoint() const;
    [[nodiscard]] int native_handle() const noexcept { return fd_.get(); }
    [[nodiscard]] bool is_open() const noexcept { return static_cast<bool>(fd_); }
    /// Stops listening and removes the socket file of a Unix path listener.
    void close() noexcept;

private:
    [[nodiscard]] static stream_listener listen_unix_endpoint(const endpoint& at, unix_listen_options options,
                                                              int backlog);

    file_descriptor fd_;
    std::string unix_path_;   // the socket file to remove on close; empty for none
    dev_t unix_device_ = 0;   // identity of that file, so a replaced file is left alone
    ino_t unix_inode_ = 0;
};

}  // namespace wirepack::net
