#pragma once
/// \file
/// `wirepack::net::file_descriptor`: sole owner of one POSIX file descriptor.

#include <utility>

namespace wirepack::net {

/// Owns a file descriptor and closes it exactly once: on destruction, on `reset`, or
/// never once `release`d. Move-only; a moved-from or default one owns nothing (-1).
///
///     wirepack::net::file_descriptor fd(::socket(AF_INET, SOCK_STREAM, 0));
///     if (!fd) throw std::system_error(errno, std::system_category(), "socket");
///     // closed when fd goes out of scope, on every path
class file_descriptor {
public:
    file_descriptor() noexcept = default;
    explicit file_descriptor(int fd) noexcept : fd_(fd) {}
    file_descriptor(file_descriptor&& other) noexcept : fd_(other.release()) {}
    file_descriptor& operator=(file_descriptor&& other) noexcept {
        if (this != &other) reset(other.release());
        return *this;
    }
    file_descriptor(const file_descriptor&) = delete;
    file_descriptor& operator=(const file_descriptor&) = delete;
    ~file_descriptor() { reset(); }

    /// The descriptor, or -1.
    [[nodiscard]] int get() const noexcept { return fd_; }
    [[nodiscard]] explicit operator bool() const noexcept { return fd_ >= 0; }

    /// Gives the descriptor up without closing it.
    [[nodiscard]] int release() noexcept { return std::exchange(fd_, -1); }

    /// Closes the current descriptor (if any) and owns `fd` instead. close() is called
    /// once, never retried: Linux frees the descriptor even when close reports EINTR.
    ///
    ///     fd.reset(::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC));   // the old one is closed
    void reset(int fd = -1) noexcept;

private:
    int fd_ = -1;
};

}  // namespace wirepack::net
