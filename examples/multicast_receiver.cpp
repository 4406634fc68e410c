// A multicast receiver for multicast_sender.cpp. Start two: each gets every message.
//
// Python (the membership the article names):
//     sock.bind(('', 5000))
//     mreq = socket.inet_aton('239.1.2.3') + socket.inet_aton('127.0.0.1')
//     sock.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, mreq)
//     data, address = sock.recvfrom(1024)
//
// multicast_receiver does all of that and a little more: SO_REUSEADDR and SO_REUSEPORT
// so that several receivers share the port, a bind to the group's address rather than
// to '' so that only this group's datagrams arrive, then IP_ADD_MEMBERSHIP on the
// interface with address 127.0.0.1 (lo). Port 0 picks a free port, which the
// "listening on" line tells: start the first receiver with port 0 and the second
// receiver and the sender with the port it prints. The receiver checks that messages
// 1 to COUNT arrive in order, and gives up after 10 seconds without one.
//
// Usage: multicast_receiver GROUP:PORT COUNT [INTERFACE]   (default interface 127.0.0.1)

#include <array>
#include <charconv>
#include <chrono>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>

#include <wirepack/datagram.hpp>
#include <wirepack/net.hpp>

int main(int argc, char** argv) try {
    namespace net = wirepack::net;
    using codec = wirepack::datagram_codec<"!HH">;  // message type, sequence number
    if (argc < 3 || argc > 4) {
        std::fprintf(stderr, "usage: multicast_receiver GROUP:PORT COUNT [INTERFACE]\n");
        return 2;
    }
    const long count = std::strtol(argv[2], nullptr, 10);
    const auto iface = net::multicast_interface::parse(argc > 3 ? argv[3] : "127.0.0.1");

    auto socket = net::udp_socket::multicast_receiver(argv[1], iface);
    std::printf("listening on %s\n", socket.local_endpoint().to_string().c_str());
    std::fflush(stdout);  // joined: the sender may start once this line is out
    socket.set_timeout(std::chrono::seconds(10));

    std::array<std::byte, 1024> buffer;
    for (long expected = 1; expected <= count; ++expected) {
        const auto datagram = socket.receive_from(buffer);
        const auto message = codec::decode_message<"<I2sf">(datagram.bytes);  // checks the size
        if (!message || get<1>(message->first) != expected) {
            std::fprintf(stderr, "multicast_receiver: expected message %ld, got something else\n", expected);
            return 1;
        }
        const auto [number, text, real] = message->second;
        char digits[32];  // the float as Python prints it: the shortest digits that read back
        *std::to_chars(digits, digits + sizeof digits - 1, static_cast<double>(real)).ptr = '\0';
        std::printf("received message %ld from %s: (%u, b'%.2s', %s)\n", expected,
                    datagram.from.to_string().c_str(), number, text.data(), digits);
    }
    std::printf("received all %ld messages\n", count);
    return 0;
} catch (const std::exception& e) {
    std::fprintf(stderr, "multicast_receiver: %s\n", e.what());
    return 1;
}
