// A client for udp_echo_server.cpp: the article's UDP methods, used from the other end.
//
// Python:
//     sock.sendto(bytes, address)           # sends data to a specific address
//     data, address = sock.recvfrom(4096)   # returns (bytes, address)
//
// connect_udp fixes the address once: send() goes to the server and only the
// server's datagrams are received. Each message is struct.pack('<I2sf', i, b'ab', 2.7)
// behind a datagram_codec<"!HH"> header (type 1, sequence i); every echo must be
// the exact bytes sent, or the client exits with status 1. UDP may lose a datagram,
// so a receive waits 2 seconds at most (a real client would send again). Then one
// message of the wrong size, which the server drops, and a "bye" (type 2).
//
// Usage: udp_echo_client HOST:PORT

#include <algorithm>
#include <array>
#include <charconv>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <string>

#include <wirepack/datagram.hpp>
#include <wirepack/net.hpp>

namespace {

using codec = wirepack::datagram_codec<"!HH">;  // message type, sequence number
constexpr std::uint16_t echo_request = 1, bye = 2;

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
        std::fprintf(stderr, "usage: udp_echo_client HOST:PORT\n");
        return 2;
    }
    auto socket = net::udp_socket::connect_udp(argv[1]);
    socket.set_timeout(std::chrono::seconds(2));  // like sock.settimeout(2)

    constexpr std::uint16_t count = 3;
    std::array<std::byte, 4096> buffer;
    for (std::uint16_t i = 1; i <= count; ++i) {
        const auto sent = codec::pack_message<"<I2sf">({echo_request, i}, i, "ab", 2.7);  // 4 + 10 bytes
        socket.send(sent);
        const auto echo = socket.receive_from(buffer);  // one datagram: the whole echo
        // decode_message checks the size; the comparison checks every byte.
        const auto message = codec::decode_message<"<I2sf">(echo.bytes);
        if (!message || !std::ranges::equal(echo.bytes, sent)) {
            std::fprintf(stderr, "udp_echo_client: echo %u is not what was sent\n", i);
            return 1;
        }
        const auto [number, text, real] = message->second;
        std::printf("received message %u: (%u, b'%.2s', %s)\n", get<1>(message->first), number, text.data(),
                    python_float(real).c_str());
    }
    std::printf("all %u echoes match what was sent\n", count);

    socket.send(codec::pack_message<"<I">({echo_request, count + 1}, 7u));  // '<I' is not '<I2sf'
    std::printf("sent an echo request of the wrong size (8 bytes); expect no echo\n");
    socket.send(codec::pack_message<"">({bye, count + 2}));  // just the header
    std::printf("sent bye\n");
    return 0;
} catch (const std::exception& e) {
    std::fprintf(stderr, "udp_echo_client: %s\n", e.what());
    return 1;
}
