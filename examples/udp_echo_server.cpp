// The UDP echo server from the Python socket article, with a small message header.
//
// Python:
//     sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
//     sock.bind(('localhost', 10000))
//     while True:
//         data, address = sock.recvfrom(4096)
//         if data:
//             sock.sendto(data, address)
//
// UDP keeps message boundaries: one recvfrom returns one whole datagram, so no
// frames are needed. Each datagram here starts with a datagram_codec<"!HH"> header
// (a message type, then a sequence number). Type 1 carries struct.pack('<I2sf', ...)
// and is echoed; a datagram of another size is reported and dropped, not echoed.
// Type 2 ("bye") ends the server, so does the COUNTth datagram, and so do 10 seconds
// without one: a demo always ends.
//
// Usage: udp_echo_server [HOST:PORT [COUNT]]   (default 127.0.0.1:0 and no count)

#include <array>
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
    constexpr unsigned echo_request = 1, bye = 2;
    const std::string address = argc > 1 ? argv[1] : "127.0.0.1:0";
    const long count = argc > 2 ? std::strtol(argv[2], nullptr, 10) : 0;  // 0: no limit

    auto socket = net::udp_socket::bind_udp(address);
    std::printf("listening on %s\n", socket.local_endpoint().to_string().c_str());
    std::fflush(stdout);  // whoever starts us waits for that line
    socket.set_timeout(std::chrono::seconds(10));  // like sock.settimeout(10)

    std::array<std::byte, 4096> buffer;  // recvfrom(4096); a larger datagram throws
    for (long received = 1; count == 0 || received <= count; ++received) {
        const auto datagram = socket.receive_from(buffer);
        const std::string from = datagram.from.to_string();
        if (const auto header = codec::decode(datagram.bytes); header && get<0>(header->header) == bye) {
            std::printf("bye from %s after %ld datagrams\n", from.c_str(), received - 1);
            return 0;
        }
        // The header and the '<I2sf' body must fill the datagram exactly.
        const auto message = codec::decode_message<"<I2sf">(datagram.bytes);
        if (!message || get<0>(message->first) != echo_request) {
            std::printf("dropped %zu bytes from %s: %s\n", datagram.bytes.size(), from.c_str(),
                        message ? "not an echo request" : make_error_code(message.error()).message().c_str());
            continue;
        }
        socket.send_to(datagram.bytes, datagram.from);  // sock.sendto(data, address)
        std::printf("echoed message %u (%zu bytes) to %s\n", get<1>(message->first), datagram.bytes.size(),
                    from.c_str());
    }
    std::printf("stopping after %ld datagrams\n", count);
    return 0;
} catch (const std::exception& e) {
    std::fprintf(stderr, "udp_echo_server: %s\n", e.what());
    return 1;
}
