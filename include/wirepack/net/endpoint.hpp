#pragma once
/// \file
/// `wirepack::net::endpoint`: a socket address (IPv4, IPv6, Unix path or Linux abstract
/// name), how to spell one, and how to resolve one.
///
/// Spellings, as `to_string()` writes them and `resolve` / the tool read them:
///
///     127.0.0.1:43117      IPv4 address and port
///     [::1]:5000           IPv6 address in brackets, then the port
///     localhost:80         a host name, resolved with getaddrinfo
///     /tmp/echo.sock       a Unix socket path (anything containing a '/')
///     @echo                a Linux abstract-namespace Unix name (no file)

#include <sys/socket.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace wirepack::net {

/// A socket address, held by value (a `sockaddr_storage` and its length).
///
///     auto server = wirepack::net::endpoint::unix_path("/tmp/echo.sock");
///     auto local  = wirepack::net::endpoint::resolve("[::1]:0").front();
///     std::string s = local.to_string();                  // "[::1]:0"
class endpoint {
public:
    /// An empty endpoint (family AF_UNSPEC).
    endpoint() noexcept;

    /// Copies `size` bytes of `address`. Throws std::system_error (std::errc::invalid_argument)
    /// when `size` is over `sizeof(sockaddr_storage)`.
    endpoint(const sockaddr* address, socklen_t size);

    /// Every address `host_port` ("HOST:PORT" or "[V6]:PORT") resolves to, for a stream or
    /// datagram socket, in getaddrinfo's order; a literal address is not looked up, and
    /// the text in brackets must be a literal IPv6 address. The port is 1 to 5 decimal
    /// digits, 0 to 65535.
    /// Throws std::system_error: std::errc::invalid_argument for a malformed spelling or
    /// port. A getaddrinfo failure carries its EAI_* code in a "getaddrinfo" category
    /// whose message is gai_strerror's; the code compares equal to
    /// std::errc::resource_unavailable_try_again for EAI_AGAIN, not_enough_memory for
    /// EAI_MEMORY, address_family_not_supported for EAI_FAMILY, invalid_argument for
    /// EAI_SERVICE / EAI_SOCKTYPE / EAI_BADFLAGS, and host_unreachable for the rest
    /// (EAI_NONAME: an unknown host). EAI_SYSTEM is reported as its errno.
    ///
    ///     for (auto& e : wirepack::net::endpoint::resolve("localhost:8080")) try_connect(e);
    [[nodiscard]] static std::vector<endpoint> resolve(std::string_view host_port, int socket_type = SOCK_STREAM);

    /// A Unix socket path. Throws std::system_error (std::errc::filename_too_long) when the
    /// path and its NUL do not fit `sun_path` (108 bytes on Linux): never truncated.
    /// Also refuses an empty path and one containing a NUL (std::errc::invalid_argument).
    [[nodiscard]] static endpoint unix_path(std::string_view path);

    /// A Linux abstract-namespace Unix name: no file, gone when the socket closes.
    /// `to_string()` spells it "@name". Throws like `unix_path`: when over 107 bytes, empty,
    /// or containing a NUL. The address length is exact (the name is not NUL-padded).
    [[nodiscard]] static endpoint unix_abstract(std::string_view name);

    /// `unix_path(s)`, or `unix_abstract(s.substr(1))` when `s` starts with '@'.
    [[nodiscard]] static endpoint unix_address(std::string_view path_or_at_name);

    [[nodiscard]] int family() const noexcept;  ///< AF_INET, AF_INET6, AF_UNIX or AF_UNSPEC
    [[nodiscard]] const sockaddr* data() const noexcept;
    [[nodiscard]] sockaddr* data() noexcept;
    [[nodiscard]] socklen_t size() const noexcept;
    /// For `accept`/`getsockname` to fill in: sets the length to `size`.
    void resize(socklen_t size);
    [[nodiscard]] static constexpr socklen_t capacity() noexcept { return sizeof(sockaddr_storage); }

    /// The port of an IPv4 or IPv6 endpoint, 0 otherwise.
    [[nodiscard]] std::uint16_t port() const noexcept;
    /// The file-system path of a Unix path endpoint, "" otherwise.
    [[nodiscard]] std::string path() const;
    [[nodiscard]] bool is_abstract() const noexcept;

    /// "127.0.0.1:43117", "[::1]:5000", "/tmp/x.sock", "@name", "(unnamed)" for an unbound
    /// Unix socket (the peer of an accepted Unix connection), or "(unspecified)".
    [[nodiscard]] std::string to_string() const;

    /// Same family and same address: IP address, port and IPv6 scope; Unix path or name.
    friend bool operator==(const endpoint& a, const endpoint& b) noexcept;

private:
    sockaddr_storage storage_;
    socklen_t size_;
};

}  // namespace wirepack::net
