#pragma once
// What the socket tests (net_test, udp_test) share: byte helpers, error capture, and
// the count of open descriptors for leak checks.

#include <dirent.h>
#include <sys/socket.h>

#include <cstddef>
#include <cstdint>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace wirepack::test {

using bytes = std::vector<std::byte>;

inline std::span<const std::byte> as_bytes(std::string_view text) { return std::as_bytes(std::span(text)); }

inline std::string as_text(std::span<const std::byte> data) {
    return std::string(reinterpret_cast<const char*>(data.data()), data.size());
}

/// `size` bytes from a generator seeded by `seed`: the same bytes every run.
inline bytes random_bytes(std::size_t size, std::uint64_t seed) {
    std::mt19937_64 generator(seed);
    bytes data(size);
    for (auto& b : data) b = static_cast<std::byte>(generator());
    return data;
}

/// The code of the std::system_error a call throws; no error when it does not throw.
template <typename Call>
std::error_code error_of(Call&& call) {
    try {
        call();
    } catch (const std::system_error& failure) {
        return failure.code();
    }
    return {};
}

/// The descriptors this process has open (entries of /proc/self/fd), or -1.
inline int open_descriptor_count() {
    int count = 0;
    DIR* directory = ::opendir("/proc/self/fd");
    if (directory == nullptr) return -1;
    while (const dirent* entry = ::readdir(directory)) {
        if (entry->d_name[0] != '.') ++count;
    }
    ::closedir(directory);
    return count - 1;  // less the one opendir itself holds
}

/// An int socket option of `fd`, or -1 when getsockopt fails.
inline int int_option(int fd, int level, int option) {
    int value = -1;
    socklen_t size = sizeof value;
    if (::getsockopt(fd, level, option, &value, &size) != 0) return -1;
    return value;
}

}  // namespace wirepack::test
