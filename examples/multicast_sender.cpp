// The multicast sender of the Python socket article: one datagram, every member of
// the group gets it.
//
// Python (the options the article names):
//     sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
//     sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, struct.pack('b', 1))
//     sock.sendto(message, ('239.1.2.3', 5000))
//
// A sender joins nothing: it sends to the group's address. Three things decide where
// the datagrams go. IP_MULTICAST_IF picks the interface they leave by (here lo, given
// by its address 127.0.0.1; without it they would follow the default route out of the
// host). The TTL, 1 as in the article, keeps them on that link. IP_MULTICAST_LOOP lets
// receivers on this host have them too. Each message is struct.pack('<I2sf', i, b'ab',
// 2.7) behind a datagram_codec<"!HH"> header (type 1, sequence i).
//
// Usage: multicast_sender GROUP:PORT COUNT [INTERFACE]   (default interface 127.0.0.1)

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>

#include <wirepack/datagram.hpp>
#include <wirepack/net.hpp>

int main(int argc, char** argv) try {
    namespace net = wirepack::net;
    using codec = wirepack::datagram_codec<"!HH">;  // message type, sequence number
    if (argc < 3 || argc > 4) {
        std::fprintf(stderr, "usage: multicast_sender GROUP:PORT COUNT [INTERFACE]\n");
        return 2;
    }
    const auto group = net::endpoint::resolve(argv[1], SOCK_DGRAM).front();
    const long count = std::strtol(argv[2], nullptr, 10);
    const auto iface = net::multicast_interface::parse(argc > 3 ? argv[3] : "127.0.0.1");

    auto socket = net::udp_socket::open(group.family());
    socket.set_multicast_interface(iface);  // IP_MULTICAST_IF
    socket.set_multicast_hops(1);               // IP_MULTICAST_TTL: this link only
    socket.set_multicast_loopback(true);        // IP_MULTICAST_LOOP (on by default)

    for (long i = 1; i <= count; ++i) {
        const auto sequence = static_cast<std::uint16_t>(i);
        socket.send_to(codec::pack_message<"<I2sf">({1, sequence}, i, "ab", 2.7), group);
        std::printf("sent message %ld to %s\n", i, group.to_string().c_str());
    }
    return 0;
} catch (const std::exception& e) {
    std::fprintf(stderr, "multicast_sender: %s\n", e.what());
    return 1;
}
