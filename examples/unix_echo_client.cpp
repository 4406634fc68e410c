// The echo client from the Python socket article, over a Unix domain socket.
//
// The same client as tcp_echo_client.cpp, connecting to a file-system path:
//     sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
//     sock.connect('./socket_file')
//
// Each message is struct.pack('<I2sf', i, b'ab', 2.7) in a "!I" length-prefixed
// frame; every echo must be the exact bytes sent, or the client exits with status 1.
//
// Usage: unix_echo_client PATH

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <stdexcept>
#include <string>

#include <wirepack/net.hpp>
#include <wirepack/struct.hpp>

namespace {

// Message i: struct.pack('<I2sf', i, b'ab', 2.7), a std::array of 10 bytes.
auto message(std::uint32_t i) { return wirepack::pack<"<I2sf">(i, "ab", 2.7); }

// A float as Python prints it: the shortest digits that read back as the same double.
std::string python_float(float value) {
    char digits[32];
    const auto end = std::to_chars(digits, digits + sizeof digits, static_cast<double>(value)).ptr;
    return {digits, end};
}

}  // namespace

int main(int argc, char** argv) try {
    namespace net = wirepack::net;
    if (argc != 2) {
        std::fprintf(stderr, "usage: unix_echo_client PATH\n");
        return 2;
    }
    auto socket = net::stream_socket::connect_unix(argv[1]);
    socket.set_timeout(std::chrono::seconds(5));  // a silent server is an error, not a hang

    constexpr std::uint32_t count = 3;
    for (std::uint32_t i = 1; i <= count; ++i) net::send_frame(socket, message(i));
    std::printf("sent %u frames\n", count);

    net::frame_reader reader(socket);
    for (std::uint32_t i = 1; i <= count; ++i) {
        const auto echo = reader.recv_frame();
        if (!echo) throw std::runtime_error("the server closed the connection early");
        const auto [number, text, real] = wirepack::unpack<"<I2sf">(echo->payload);
        std::printf("received (%u, b'%.2s', %s)\n", number, text.data(), python_float(real).c_str());
        if (!std::ranges::equal(echo->payload, message(i))) {
            std::fprintf(stderr, "unix_echo_client: echo %u is not what was sent\n", i);
            return 1;
        }
    }
    std::printf("all %u echoes match what was sent\n", count);
    return 0;
} catch (const std::exception& e) {
    std::fprintf(stderr, "unix_echo_client: %s\n", e.what());
    return 1;
}
