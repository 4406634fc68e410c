#include <wirepack/net/file_descriptor.hpp>

#include <unistd.h>

namespace wirepack::net {

void file_descriptor::reset(int fd) noexcept {
    const int previous = std::exchange(fd_, fd);
    // Linux releases the descriptor even when close() reports EINTR, so retrying
    // could close a descriptor another thread has just been given.
    if (previous >= 0) ::close(previous);
}

}  // namespace wirepack::net
