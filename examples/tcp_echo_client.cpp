// The echo client from the Python socket article, over TCP, sending
// struct-packed messages in frames.
//
// Python:
//     sock.connect(('localhost', 10000))
//     sock.sendall(message)
//     while amount_received < amount_expected:
//         data = sock.recv(16)
//         amount_received += len(data)
//
// Each message is struct.pack('<I2sf', i, b'ab', 2.7) in a frame whose 4-byte
// header gives its length, so there is no amount_expected to keep track of: one
// recv_frame() returns one whole echo. Every echo must be the exact bytes sent,
// or the client exits with status 1.
//
// Usage: tcp_echo_client HOST:PORT

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
        std::fprintf(stderr, "usage: tcp_echo_client HOST:PORT\n");
        return 2;
    }
    auto socket = net::stream_socket::connect_tcp(argv[1], std::chrono::seconds(5));
    socket.set_timeout(std::chrono::seconds(5));  // a silent server is an error, not a hang

    // All the messages go out before any echo is read: TCP may hand them to the server
    // in one piece, and the frames still come apart where they should.
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
            std::fprintf(stderr, "tcp_echo_client: echo %u is not what was sent\n", i);
            return 1;
        }
    }
    std::printf("all %u echoes match what was sent\n", count);
    return 0;  // the socket closes here, like sock.close(); the server sees the end
} catch (const std::exception& e) {
    std::fprintf(stderr, "tcp_echo_client: %s\n", e.what());
    return 1;
}
