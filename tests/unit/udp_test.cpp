// wirepack::net UDP over loopback only: 127.0.0.1 and ::1 for unicast; multicast on the
// loopback interface of a network namespace each test creates for itself (the host's
// interfaces are never configured, joined or sent on). Every receive runs under a
// timeout and every loop is bounded, so a bug fails a test instead of hanging it.
//
// Multicast needs root (CAP_SYS_ADMIN) for unshare(CLONE_NEWNET); without it those tests
// are skipped with the reason. Inside the namespace, `lo` gets IFF_UP | IFF_MULTICAST, and
// for IPv6 a "local ff00::/8 dev lo" route: Linux turns any other route through `lo` into
// a reject route, so without it an IPv6 multicast datagram sent on `lo` is dropped as
// unroutable. Delivery to sockets (memberships, bound group, source filters) is the
// kernel's ordinary multicast path either way.

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <wirepack/datagram.hpp>
#include <wirepack/error.hpp>
#include <wirepack/net.hpp>

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <climits>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <memory>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <vector>

#include "socket_test_support.hpp"

namespace {

namespace net = wirepack::net;
using namespace std::chrono_literals;
using net::datagram_batch;
using net::endpoint;
using net::multicast_interface;
using net::outgoing_datagram;
using net::udp_options;
using net::udp_socket;
using bytes = std::vector<std::byte>;
using wirepack::test::as_bytes;
using wirepack::test::as_text;
using wirepack::test::error_of;
using wirepack::test::int_option;
using wirepack::test::open_descriptor_count;
using wirepack::test::random_bytes;
using steady = std::chrono::steady_clock;

/// How long any single receive may wait before the test counts it as lost.
constexpr auto step_timeout = 5s;
/// How long a test waits to be sure that nothing arrives.
constexpr auto silence = 150ms;

bool same(std::span<const std::byte> a, std::span<const std::byte> b) { return std::ranges::equal(a, b); }

/// The code and what() of the wirepack::error a call throws; no error when it does not.
struct wirepack_failure {
    std::error_code code;
    std::string message;
};

template <typename Call>
wirepack_failure wirepack_error_of(Call&& call) {
    try {
        call();
    } catch (const wirepack::error& failure) {
        return {failure.code(), failure.what()};
    }
    return {};
}

endpoint address(std::string_view host_port) { return endpoint::resolve(host_port, SOCK_DGRAM).front(); }

/// A socket bound to a free port of `host` ("127.0.0.1" or "[::1]"), with a step timeout.
udp_socket bound(std::string_view host, udp_options options = {}) {
    auto socket = udp_socket::bind_udp(std::string(host) + ":0", options);
    socket.set_timeout(step_timeout);
    return socket;
}

std::size_t family_maximum(int family) {
    return family == AF_INET6 ? wirepack::max_udp_payload_ipv6 : wirepack::max_udp_payload_ipv4;
}

/// Room for loopback bursts: up to the system's limit (rmem_max; the kernel doubles it).
void enlarge_receive_buffer(const udp_socket& socket) {
    const int size = 4 << 20;
    ASSERT_EQ(::setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVBUF, &size, sizeof size), 0);
}

/// Whether a datagram arrives at `socket` within `silence` (it is consumed).
bool something_arrives(udp_socket& socket) {
    socket.set_timeout(silence);
    std::array<std::byte, 2048> buffer{};
    const bool arrived = !error_of([&] { (void)socket.receive_from(buffer); });
    socket.set_timeout(step_timeout);
    return arrived;
}

const char* const families[] = {"127.0.0.1", "[::1]"};

// ---------------------------------------------------------------------------------------
// One datagram at a time

TEST(UdpSocket, BindsToAFreePortAndTellsIt) {
    for (const auto* host : families) {
        SCOPED_TRACE(host);
        auto socket = udp_socket::bind_udp(std::string(host) + ":0");
        const auto local = socket.local_endpoint();
        EXPECT_NE(local.port(), 0);
        EXPECT_EQ(local, address(std::string(host) + ':' + std::to_string(local.port())));
        EXPECT_EQ(socket.family(), local.family());
        EXPECT_TRUE(socket.is_open());
        EXPECT_EQ((::fcntl(socket.native_handle(), F_GETFD) & FD_CLOEXEC), FD_CLOEXEC);
        socket.close();
        EXPECT_FALSE(socket.is_open());
    }
    EXPECT_EQ(int_option(udp_socket::open(AF_INET6).native_handle(), IPPROTO_IPV6, IPV6_V6ONLY), 1);
    EXPECT_EQ(error_of([] { (void)udp_socket::open(AF_UNIX); }), std::errc::address_family_not_supported);
}

TEST(UdpSocket, RoundTripsEverySizeUpToTheMaximum) {
    for (const auto* host : families) {
        SCOPED_TRACE(host);
        auto receiver = bound(host);
        auto sender = bound(host);
        const std::size_t maximum = family_maximum(receiver.family());
        EXPECT_EQ(receiver.max_payload(), maximum);
        std::vector<std::byte> buffer(maximum + 1);
        for (const std::size_t size : {std::size_t{0}, std::size_t{1}, std::size_t{1400}, maximum}) {
            SCOPED_TRACE(size);
            const auto message = random_bytes(size, size);
            sender.send_to(message, receiver.local_endpoint());
            const auto received = receiver.receive_from(buffer);
            EXPECT_TRUE(same(received.bytes, message));
            EXPECT_EQ(received.real_size, size);
            EXPECT_EQ(received.from, sender.local_endpoint());
        }
    }
}

TEST(UdpSocket, SendsAGatherListAsOneDatagram) {
    auto receiver = bound("127.0.0.1");
    auto sender = bound("127.0.0.1");
    const std::array<std::span<const std::byte>, 3> parts{as_bytes("head|"), as_bytes(""), as_bytes("body")};
    sender.send_to(parts, receiver.local_endpoint());
    std::array<std::byte, 64> buffer{};
    EXPECT_EQ(as_text(receiver.receive_from(buffer).bytes), "head|body");
}

TEST(UdpSocket, ConnectedSocketTalksToItsPeerOnly) {
    for (const auto* host : families) {
        SCOPED_TRACE(host);
        auto server = bound(host);
        auto client = udp_socket::connect_udp(server.local_endpoint().to_string());
        client.set_timeout(step_timeout);
        client.send(as_bytes("ping"));
        std::array<std::byte, 64> buffer{};
        const auto request = server.receive_from(buffer);
        EXPECT_EQ(as_text(request.bytes), "ping");
        EXPECT_EQ(request.from, client.local_endpoint());

        // A stranger's datagram is not delivered to the connected client.
        auto stranger = bound(host);
        stranger.send_to(as_bytes("not for you"), client.local_endpoint());
        server.send_to(as_bytes("pong"), request.from);
        const auto reply = client.receive_from(buffer);
        EXPECT_EQ(as_text(reply.bytes), "pong");
        EXPECT_EQ(reply.from, server.local_endpoint());
    }
}

TEST(UdpSocket, RefusesAnOversizeDatagramBeforeSending) {
    for (const auto* host : families) {
        SCOPED_TRACE(host);
        auto receiver = bound(host);
        auto sender = bound(host);
        const std::size_t maximum = family_maximum(sender.family());
        const auto too_big = random_bytes(maximum + 1, 7);
        const auto to = receiver.local_endpoint();

        const auto failure = wirepack_error_of([&] { sender.send_to(too_big, to); });
        EXPECT_EQ(failure.code, wirepack::errc::datagram_too_large);
        EXPECT_NE(failure.message.find("datagram of " + std::to_string(maximum + 1) + " bytes is over the " +
                                       std::to_string(maximum) + "-byte maximum"),
                  std::string::npos)
            << failure.message;

        std::error_code error;
        const std::array<std::span<const std::byte>, 1> list{std::span(too_big)};
        sender.send_to(list, to, error);
        EXPECT_EQ(error, wirepack::errc::datagram_too_large);

        const std::array<outgoing_datagram, 2> batch{{{as_bytes("fine"), &to}, {too_big, &to}}};
        EXPECT_EQ(wirepack_error_of([&] { sender.send_batch(batch); }).code, wirepack::errc::datagram_too_large);
        EXPECT_EQ(sender.send_batch(batch, error), 0U);
        EXPECT_EQ(error, wirepack::errc::datagram_too_large);
        EXPECT_EQ(wirepack_error_of([&] { sender.send_segments(too_big, maximum + 1, to); }).code,
                  wirepack::errc::datagram_too_large);

        auto connected = udp_socket::connect_udp(to.to_string());
        EXPECT_EQ(wirepack_error_of([&] { connected.send(too_big); }).code, wirepack::errc::datagram_too_large);

        EXPECT_FALSE(something_arrives(receiver)) << "nothing may have been sent, not even the batch's first";
    }
}

TEST(UdpSocket, HonoursASmallerMaximumPayload) {
    udp_options options;
    options.max_payload = 100;
    auto sender = udp_socket::bind_udp("127.0.0.1:0", options);
    EXPECT_EQ(sender.max_payload(), 100U);
    auto receiver = bound("127.0.0.1");
    const auto to = receiver.local_endpoint();
    const auto failure = wirepack_error_of([&] { sender.send_to(random_bytes(101, 1), to); });
    EXPECT_EQ(failure.code, wirepack::errc::datagram_too_large);
    EXPECT_NE(failure.message.find("over the 100-byte maximum"), std::string::npos) << failure.message;
    EXPECT_EQ(wirepack_error_of([&] { sender.send_segments(random_bytes(500, 1), 101, to); }).code,
              wirepack::errc::datagram_too_large);
    EXPECT_FALSE(something_arrives(receiver));

    const auto exactly = random_bytes(100, 2);
    sender.send_to(exactly, to);
    std::array<std::byte, 256> buffer{};
    EXPECT_TRUE(same(receiver.receive_from(buffer).bytes, exactly));

    options.max_payload = 1 << 20;  // over the family's maximum: clamped to it
    EXPECT_EQ(udp_socket::open(AF_INET, options).max_payload(), wirepack::max_udp_payload_ipv4);
    EXPECT_EQ(udp_socket::open(AF_INET6, options).max_payload(), wirepack::max_udp_payload_ipv6);
}

TEST(UdpSocket, ReportsTruncationWithTheRealSizeAndStaysUsable) {
    for (const auto* host : families) {
        SCOPED_TRACE(host);
        auto receiver = bound(host);
        auto sender = bound(host);
        const auto to = receiver.local_endpoint();
        std::array<std::byte, 1000> buffer{};

        sender.send_to(random_bytes(2000, 3), to);
        const auto failure = wirepack_error_of([&] { (void)receiver.receive_from(buffer); });
        EXPECT_EQ(failure.code, wirepack::errc::datagram_truncated);
        EXPECT_NE(failure.message.find("datagram of 2000 bytes"), std::string::npos) << failure.message;
        EXPECT_NE(failure.message.find("1000-byte"), std::string::npos) << failure.message;

        sender.send_to(as_bytes("next"), to);
        EXPECT_EQ(as_text(receiver.receive_from(buffer).bytes), "next");

        // The non-throwing form returns what fitted and the real size.
        const auto message = random_bytes(1500, 4);
        sender.send_to(message, to);
        std::error_code error;
        const auto cut = receiver.receive_from(buffer, error);
        EXPECT_EQ(error, wirepack::errc::datagram_truncated);
        EXPECT_EQ(cut.real_size, 1500U);
        EXPECT_TRUE(same(cut.bytes, std::span(message).first(1000)));
        EXPECT_EQ(cut.from, sender.local_endpoint());

        sender.send_to(as_bytes("after"), to);
        EXPECT_EQ(as_text(receiver.receive_from(buffer, error).bytes), "after");
        EXPECT_FALSE(error);
    }
}

TEST(UdpSocket, TimesOutWithinBounds) {
    auto socket = bound("127.0.0.1");
    socket.set_timeout(100ms);
    std::array<std::byte, 16> buffer{};
    const auto start = steady::now();
    EXPECT_EQ(error_of([&] { (void)socket.receive_from(buffer); }), std::errc::timed_out);
    const auto waited = steady::now() - start;
    EXPECT_GE(waited, 90ms);
    EXPECT_LT(waited, 3s);

    datagram_batch batch(4, 16);
    EXPECT_EQ(error_of([&] { (void)socket.receive_batch(batch); }), std::errc::timed_out);
    EXPECT_EQ(batch.size(), 0U);

    EXPECT_EQ(error_of([&] { socket.set_timeout(0ms); }), std::errc::invalid_argument);
    EXPECT_EQ(error_of([&] { socket.set_timeout(-5ms); }), std::errc::invalid_argument);
    socket.set_timeout(std::nullopt);
}

TEST(UdpSocket, NonBlockingSaysTryAgain) {
    auto socket = bound("[::1]");
    socket.set_nonblocking(true);
    EXPECT_EQ((::fcntl(socket.native_handle(), F_GETFL) & O_NONBLOCK), O_NONBLOCK);
    std::array<std::byte, 16> buffer{};
    std::error_code error;
    (void)socket.receive_from(buffer, error);
    EXPECT_EQ(error, std::errc::resource_unavailable_try_again);
    EXPECT_EQ(error_of([&] { (void)socket.receive_from(buffer); }), std::errc::resource_unavailable_try_again);
    datagram_batch batch(4, 16);
    EXPECT_EQ(error_of([&] { (void)socket.receive_batch(batch); }), std::errc::resource_unavailable_try_again);

    auto sender = bound("[::1]");
    sender.send_to(as_bytes("now"), socket.local_endpoint());
    socket.set_nonblocking(false);  // wait for it: it may still be on its way
    EXPECT_EQ(as_text(socket.receive_from(buffer).bytes), "now");
}

TEST(UdpSocket, KernelErrorsNameTheCall) {
    auto first = bound("127.0.0.1");
    const auto taken = first.local_endpoint();
    try {
        (void)udp_socket::bind(taken);
        ADD_FAILURE() << "a second bind to a taken port succeeded";
    } catch (const std::system_error& failure) {
        EXPECT_EQ(failure.code(), std::errc::address_in_use);
        EXPECT_NE(std::string(failure.what()).find("bind " + taken.to_string()), std::string::npos);
    }
    // An IPv4 destination for an IPv6 socket.
    auto v6 = bound("[::1]");
    EXPECT_TRUE(error_of([&] { v6.send_to(as_bytes("x"), taken); }));
    EXPECT_EQ(error_of([] { (void)datagram_batch(0, 10); }), std::errc::invalid_argument);
}

TEST(UdpSocket, GatherListLongerThanOneCallTakesIsRefusedBeforeSending) {
    auto receiver = bound("127.0.0.1");
    auto sender = bound("127.0.0.1");
    const auto to = receiver.local_endpoint();
    // IOV_MAX + 1 one-byte ranges: small enough for one datagram, too many for one sendmsg.
    const std::vector<std::span<const std::byte>> parts(IOV_MAX + 1, as_bytes("x"));
    EXPECT_EQ(error_of([&] { sender.send_to(parts, to); }), std::errc::message_size);
    std::error_code error;
    sender.send_to(parts, to, error);
    EXPECT_EQ(error, std::errc::message_size);
    // Exactly IOV_MAX goes, as one datagram.
    sender.send_to(std::span(parts).first(IOV_MAX), to);
    std::array<std::byte, 2048> buffer{};
    EXPECT_EQ(receiver.receive_from(buffer).bytes.size(), static_cast<std::size_t>(IOV_MAX));
    EXPECT_FALSE(something_arrives(receiver)) << "a refused gather list was sent after all";
}

TEST(UdpBatch, RefusesASizeThatOverflowsBeforeAllocating) {
    constexpr auto most = std::numeric_limits<std::size_t>::max();
    EXPECT_EQ(error_of([] { (void)datagram_batch(most / 2, 4); }), std::errc::value_too_large);
    EXPECT_EQ(error_of([] { (void)datagram_batch(2, most / 2 + 1); }), std::errc::value_too_large);
    EXPECT_EQ(error_of([] { (void)datagram_batch(most, 0); }), std::errc::value_too_large);
    const datagram_batch empty_slots(4, 0);  // legal: every datagram is reported truncated
    EXPECT_EQ(empty_slots.capacity(), 4U);
}

// ---------------------------------------------------------------------------------------
// Many datagrams per call

constexpr int batch_total = 1000;

/// Datagram `sequence`: its number (4 bytes, big-endian), then `sequence % 300` filler bytes.
bytes numbered(std::uint32_t sequence) {
    bytes message(4 + sequence % 300, std::byte{0x5a});
    for (int i = 0; i < 4; ++i) message[i] = std::byte(sequence >> (24 - 8 * i));
    return message;
}

std::uint32_t number_of(std::span<const std::byte> message) {
    std::uint32_t sequence = 0;
    for (int i = 0; i < 4 && i < static_cast<int>(message.size()); ++i) {
        sequence = sequence << 8 | std::to_integer<std::uint32_t>(message[i]);
    }
    return sequence;
}

TEST(UdpBatch, ThousandDatagramsArriveInOrder) {
    for (const auto* host : families) {
        SCOPED_TRACE(host);
        auto receiver = bound(host);
        enlarge_receive_buffer(receiver);
        auto sender = bound(host);
        const auto to = receiver.local_endpoint();

        // Loopback drops what overflows the receive buffer, so the sender stays at most
        // `window` datagrams ahead of what the receiver thread has taken.
        constexpr int window = 100;
        std::atomic<int> received{0};
        std::atomic<bool> receiver_failed{false};
        int largest_batch = 0;
        std::thread receiving([&] {
            try {
                datagram_batch batch(64, 512);
                while (received.load() < batch_total) {
                    const std::size_t n = receiver.receive_batch(batch);
                    largest_batch = std::max(largest_batch, static_cast<int>(n));
                    for (std::size_t i = 0; i < n; ++i) {
                        const int expected = received.load();
                        ASSERT_FALSE(batch.truncated(i));
                        ASSERT_EQ(number_of(batch.bytes(i)), static_cast<std::uint32_t>(expected))
                            << "lost or reordered";
                        ASSERT_TRUE(same(batch.bytes(i), numbered(expected)));
                        ASSERT_EQ(batch.from(i), sender.local_endpoint());
                        received.store(expected + 1);
                    }
                }
            } catch (const std::exception& failure) {
                ADD_FAILURE() << "receiver: " << failure.what();
            }
            if (received.load() < batch_total) receiver_failed.store(true);
        });

        std::vector<bytes> messages;
        for (int i = 0; i < batch_total; ++i) messages.push_back(numbered(static_cast<std::uint32_t>(i)));
        int sent = 0;
        const auto give_up = steady::now() + 4 * step_timeout;
        while (sent < batch_total && !receiver_failed.load() && steady::now() < give_up) {
            if (sent - received.load() > window - 50) {
                std::this_thread::sleep_for(100us);
                continue;
            }
            std::vector<outgoing_datagram> burst;
            for (int i = sent; i < std::min(sent + 50, batch_total); ++i) burst.push_back({messages[i], &to});
            sender.send_batch(burst);
            sent += static_cast<int>(burst.size());
        }
        receiving.join();
        EXPECT_EQ(sent, batch_total);
        EXPECT_EQ(received.load(), batch_total);
        EXPECT_GT(largest_batch, 1) << "receive_batch never took more than one datagram per call";
    }
}

TEST(UdpBatch, OneReceiveFillsAtMostMaxDatagramsPerReceive) {
    // A batch larger than the kernel's per-call limit: one receive takes 1024, the rest
    // stays queued, in order, for the next.
    auto receiver = bound("127.0.0.1");
    enlarge_receive_buffer(receiver);
    auto sender = bound("127.0.0.1");
    const auto to = receiver.local_endpoint();
    constexpr std::size_t total = net::max_datagrams_per_receive + 76;
    std::vector<bytes> messages;
    std::vector<outgoing_datagram> burst;
    for (std::size_t i = 0; i < total; ++i) messages.push_back(numbered(static_cast<std::uint32_t>(i)));
    for (const auto& message : messages) burst.push_back({std::span(message).first(4), &to});
    sender.send_batch(burst);
    std::this_thread::sleep_for(50ms);  // loopback delivery is done by now

    datagram_batch batch(total + 100, 16);
    std::vector<std::size_t> per_call;
    std::size_t received = 0;
    for (int calls = 0; calls < 8 && received < total; ++calls) {
        const std::size_t n = receiver.receive_batch(batch);
        per_call.push_back(n);
        for (std::size_t i = 0; i < n; ++i, ++received) {
            ASSERT_EQ(number_of(batch.bytes(i)), static_cast<std::uint32_t>(received)) << "lost or reordered";
        }
    }
    EXPECT_EQ(received, total);
    ASSERT_FALSE(per_call.empty());
    EXPECT_EQ(per_call.front(), net::max_datagrams_per_receive);
    EXPECT_LE(*std::max_element(per_call.begin(), per_call.end()), net::max_datagrams_per_receive);
}

TEST(UdpBatch, SendsToTheConnectedPeerWithoutAddresses) {
    auto receiver = bound("127.0.0.1");
    auto sender = udp_socket::connect_udp(receiver.local_endpoint().to_string());
    const std::array<outgoing_datagram, 3> burst{{{as_bytes("a")}, {as_bytes("bb")}, {as_bytes("")}}};
    sender.send_batch(burst);
    datagram_batch batch(8, 16);
    std::vector<std::string> got;
    for (int calls = 0; calls < 3 && got.size() < 3; ++calls) {
        receiver.receive_batch(batch);
        for (std::size_t i = 0; i < batch.size(); ++i) got.push_back(as_text(batch.bytes(i)));
    }
    EXPECT_EQ(got, (std::vector<std::string>{"a", "bb", ""}));
}

TEST(UdpBatch, ReportsTruncationPerSlotAndStaysUsable) {
    for (const auto* host : families) {
        SCOPED_TRACE(host);
        auto receiver = bound(host);
        auto sender = bound(host);
        const auto to = receiver.local_endpoint();
        const auto small = random_bytes(10, 1);
        const auto large = random_bytes(3000, 2);
        const auto last = random_bytes(1000, 3);
        const std::array<outgoing_datagram, 3> burst{{{small, &to}, {large, &to}, {last, &to}}};
        sender.send_batch(burst);

        datagram_batch batch(8, 1000);
        EXPECT_EQ(batch.capacity(), 8U);
        EXPECT_EQ(batch.slot_size(), 1000U);
        std::vector<std::pair<bytes, std::size_t>> got;  // bytes and real size
        std::vector<bool> truncated;
        for (int calls = 0; calls < 3 && got.size() < 3; ++calls) {
            receiver.receive_batch(batch);
            for (std::size_t i = 0; i < batch.size(); ++i) {
                got.emplace_back(bytes(batch.bytes(i).begin(), batch.bytes(i).end()), batch.real_size(i));
                truncated.push_back(batch.truncated(i));
            }
        }
        ASSERT_EQ(got.size(), 3U);
        EXPECT_EQ(got[0].first, small);
        EXPECT_FALSE(truncated[0]);
        EXPECT_TRUE(truncated[1]);
        EXPECT_EQ(got[1].second, 3000U);
        EXPECT_TRUE(same(got[1].first, std::span(large).first(1000)));
        EXPECT_EQ(got[2].first, last);
        EXPECT_FALSE(truncated[2]);

        sender.send_to(as_bytes("still fine"), to);
        std::array<std::byte, 64> buffer{};
        EXPECT_EQ(as_text(receiver.receive_from(buffer).bytes), "still fine");
    }
}

// ---------------------------------------------------------------------------------------
// Segmentation offload (UDP_SEGMENT) and receive offload (UDP_GRO)

/// Collects `count` datagrams with `receive_from` (up to 65,536 bytes each).
std::vector<bytes> receive_datagrams(udp_socket& socket, std::size_t count) {
    std::vector<bytes> got;
    std::vector<std::byte> buffer(65536);
    while (got.size() < count) {
        const auto d = socket.receive_from(buffer);
        got.emplace_back(d.bytes.begin(), d.bytes.end());
    }
    return got;
}

/// `bytes` cut into pieces of `segment_size`, the last one shorter.
std::vector<bytes> expected_segments(const bytes& data, std::size_t segment_size) {
    std::vector<bytes> segments;
    for (std::size_t offset = 0; offset < data.size(); offset += segment_size) {
        const auto end = data.begin() + static_cast<std::ptrdiff_t>(std::min(data.size(), offset + segment_size));
        segments.emplace_back(data.begin() + static_cast<std::ptrdiff_t>(offset), end);
    }
    return segments;
}

TEST(UdpSegments, SameDatagramsWithAndWithoutOffload) {
    // 70 segments of 1000 bytes then one of 337: two UDP_SEGMENT sends (the IPv4 maximum
    // holds 65 of them). 300 of 100 then one of 7: 128 a send where the kernel takes
    // that many, else 64 (which the socket learns from the first refusal).
    struct shape {
        std::size_t segment_size;
        std::size_t segments;
        std::size_t rest;
    };
    for (const auto [segment_size, segments, rest] : {shape{1000, 70, 337}, shape{100, 300, 7}}) {
        for (const auto* host : families) {
            SCOPED_TRACE(std::string(host) + ", segments of " + std::to_string(segment_size));
            const auto data = random_bytes(segments * segment_size + rest, 11);
            const auto expected = expected_segments(data, segment_size);
            for (const bool offload : {false, true}) {
                SCOPED_TRACE(offload ? "offload allowed" : "offload off");
                auto receiver = bound(host);
                enlarge_receive_buffer(receiver);
                udp_options options;
                options.segmentation_offload = offload;
                auto sender = bound(host, options);
                if (offload) {
                    std::printf("[ info     ] %s: UDP_SEGMENT %s\n", host,
                                sender.segmentation_offload() ? "available" : "not available");
                } else {
                    EXPECT_FALSE(sender.segmentation_offload());
                }
                sender.send_segments(data, segment_size, receiver.local_endpoint());
                EXPECT_EQ(receive_datagrams(receiver, expected.size()), expected);
                EXPECT_FALSE(something_arrives(receiver));
            }
        }
    }
}

TEST(UdpSegments, EveryOffloadRefusedStillSendsEveryDatagramOnce) {
    // SO_NO_CHECK (no UDP checksum) makes every UDP_SEGMENT send fail with EINVAL, on
    // any kernel: the socket retries once with 64 segments, then sends by sendmmsg.
    auto receiver = bound("127.0.0.1");
    enlarge_receive_buffer(receiver);
    auto sender = bound("127.0.0.1");
    if (!sender.segmentation_offload()) GTEST_SKIP() << "the kernel has no UDP_SEGMENT: nothing to refuse";
    const int on = 1;
    ASSERT_EQ(::setsockopt(sender.native_handle(), SOL_SOCKET, SO_NO_CHECK, &on, sizeof on), 0);
    const auto data = random_bytes(300 * 100 + 7, 41);
    for (int round = 0; round < 2; ++round) {  // the second with what the first taught the socket
        SCOPED_TRACE(round);
        sender.send_segments(data, 100, receiver.local_endpoint());
        EXPECT_EQ(receive_datagrams(receiver, 301), expected_segments(data, 100));
        EXPECT_FALSE(something_arrives(receiver));
    }
    EXPECT_TRUE(sender.segmentation_offload());  // refused for this send, not by the kernel
}

TEST(UdpSegments, OffloadIsOffOnSocketsThatAreNotOpen) {
    EXPECT_FALSE(udp_socket().segmentation_offload());
    auto socket = bound("127.0.0.1");
    if (!socket.segmentation_offload()) GTEST_SKIP() << "the kernel has no UDP_SEGMENT";
    udp_socket moved_to = std::move(socket);
    EXPECT_TRUE(moved_to.segmentation_offload());
    EXPECT_FALSE(socket.segmentation_offload());  // NOLINT(bugprone-use-after-move): what is tested
    moved_to.close();
    EXPECT_FALSE(moved_to.segmentation_offload());
}

TEST(UdpSegments, EdgeCases) {
    auto receiver = bound("127.0.0.1");
    auto sender = bound("127.0.0.1");
    const auto to = receiver.local_endpoint();
    sender.send_segments({}, 100, to);  // nothing
    EXPECT_EQ(error_of([&] { sender.send_segments(as_bytes("x"), 0, to); }), std::errc::invalid_argument);
    // One short segment; and segments so large that offload buys nothing (one per call).
    sender.send_segments(as_bytes("short"), 100, to);
    const auto big = random_bytes(2 * 40000 + 5, 5);
    sender.send_segments(big, 40000, to);
    const auto got = receive_datagrams(receiver, 4);
    EXPECT_EQ(as_text(got[0]), "short");
    const auto expected = expected_segments(big, 40000);
    EXPECT_EQ(std::vector<bytes>(got.begin() + 1, got.end()), expected);
    EXPECT_FALSE(something_arrives(receiver));
}

TEST(UdpSegments, ReceiveOffloadStillYieldsEveryDatagram) {
    for (const auto* host : families) {
        SCOPED_TRACE(host);
        auto receiver = bound(host);
        enlarge_receive_buffer(receiver);
        if (!receiver.enable_receive_offload()) GTEST_SKIP() << "the kernel has no UDP_GRO";
        auto sender = bound(host);
        const auto to = receiver.local_endpoint();
        const auto data = random_bytes(10 * 1000 + 337, 21);
        const auto expected = expected_segments(data, 1000);
        bool coalesced = false;

        // receive_batch, one slot: a coalesced buffer still comes out as 11 entries.
        sender.send_segments(data, 1000, to);
        std::vector<bytes> got;
        datagram_batch batch(1, 65536);
        for (int calls = 0; calls < 20 && got.size() < expected.size(); ++calls) {
            const std::size_t n = receiver.receive_batch(batch);
            coalesced = coalesced || n > batch.capacity();
            for (std::size_t i = 0; i < n; ++i) {
                EXPECT_FALSE(batch.truncated(i));
                EXPECT_EQ(batch.from(i), sender.local_endpoint());
                got.emplace_back(batch.bytes(i).begin(), batch.bytes(i).end());
            }
        }
        EXPECT_EQ(got, expected);

        // receive_from hands them out one by one, then plain datagrams as before.
        sender.send_segments(data, 1000, to);
        sender.send_to(as_bytes("plain"), to);
        auto one_by_one = receive_datagrams(receiver, expected.size() + 1);
        EXPECT_EQ(as_text(one_by_one.back()), "plain");
        one_by_one.pop_back();
        EXPECT_EQ(one_by_one, expected);

        // Too small a buffer: each datagram is reported truncated with its own size.
        sender.send_segments(data, 1000, to);
        std::array<std::byte, 600> small{};
        for (std::size_t i = 0; i < expected.size(); ++i) {
            std::error_code error;
            const auto d = receiver.receive_from(small, error);
            EXPECT_EQ(d.real_size, expected[i].size());
            EXPECT_EQ(error == wirepack::errc::datagram_truncated, expected[i].size() > small.size());
            EXPECT_TRUE(same(d.bytes, std::span(expected[i]).first(std::min<std::size_t>(600, expected[i].size()))));
        }

        // A slot smaller than a coalesced buffer: what did not fit is reported, not dropped.
        sender.send_segments(data, 1000, to);
        datagram_batch narrow(1, 2500);
        std::vector<std::size_t> real_sizes;
        std::vector<std::size_t> held;
        for (int calls = 0; calls < 20 && real_sizes.size() < expected.size(); ++calls) {
            const std::size_t n = receiver.receive_batch(narrow);
            for (std::size_t i = 0; i < n; ++i) {
                real_sizes.push_back(narrow.real_size(i));
                held.push_back(narrow.bytes(i).size());
                EXPECT_EQ(narrow.truncated(i), narrow.bytes(i).size() < narrow.real_size(i));
            }
        }
        ASSERT_EQ(real_sizes.size(), expected.size());
        for (std::size_t i = 0; i < expected.size(); ++i) EXPECT_EQ(real_sizes[i], expected[i].size());
        EXPECT_FALSE(something_arrives(receiver));

        std::printf("[ info     ] %s: UDP_GRO on; the kernel %s\n", host,
                    coalesced ? "coalesced the segments into one buffer" : "delivered the segments separately");
        if (coalesced) {
            // Slot 0 of 2500 bytes held datagrams 0, 1 whole and half of 2.
            EXPECT_EQ(held[0], 1000U);
            EXPECT_EQ(held[1], 1000U);
            EXPECT_EQ(held[2], 500U);
            EXPECT_EQ(held[3], 0U);
        } else if (sender.segmentation_offload()) {
            GTEST_SKIP() << "the kernel did not coalesce a UDP_SEGMENT send for a UDP_GRO socket: splitting untested";
        }
    }
}

// ---------------------------------------------------------------------------------------
// Multicast, inside a private network namespace

/// Moves the calling thread into a new network namespace whose `lo` is up with
/// IFF_MULTICAST, and back into the original one when it goes away. Sockets made in
/// between belong to the new namespace (and keep it alive while they are open).
class private_network {
public:
    /// Null, with the reason in `why_not`, when the namespace cannot be made.
    static std::unique_ptr<private_network> enter(std::string& why_not) {
        const int original = ::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
        if (original < 0) {
            why_not = std::string("cannot open /proc/thread-self/ns/net: ") + std::strerror(errno);
            return nullptr;
        }
        if (::unshare(CLONE_NEWNET) != 0) {
            why_not = std::string("unshare(CLONE_NEWNET): ") + std::strerror(errno) +
                      " (a private network namespace needs root / CAP_SYS_ADMIN)";
            ::close(original);
            return nullptr;
        }
        std::unique_ptr<private_network> network(new private_network(original));
        if (!network->set_flags("lo", IFF_UP | IFF_MULTICAST, why_not)) return nullptr;
        return network;
    }

    private_network(const private_network&) = delete;
    private_network& operator=(const private_network&) = delete;

    ~private_network() {
        if (::setns(original_, CLONE_NEWNET) != 0) {
            std::fprintf(stderr, "udp_test: cannot return to the original network namespace: %s\n",
                         std::strerror(errno));
            std::abort();
        }
        ::close(original_);
    }

    /// Turns `flags` on for the interface `name` (SIOCSIFFLAGS).
    bool set_flags(const char* name, short flags, std::string& why_not) {
        const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        ifreq request{};
        std::strncpy(request.ifr_name, name, IFNAMSIZ - 1);
        bool done = fd >= 0 && ::ioctl(fd, SIOCGIFFLAGS, &request) == 0;
        request.ifr_flags = static_cast<short>(request.ifr_flags | flags);
        done = done && ::ioctl(fd, SIOCSIFFLAGS, &request) == 0;
        if (!done) why_not = std::string("cannot set the flags of ") + name + ": " + std::strerror(errno);
        if (fd >= 0) ::close(fd);
        return done;
    }

    /// Sets the MTU of the interface `name` (SIOCSIFMTU).
    bool set_mtu(const char* name, int mtu, std::string& why_not) {
        const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        ifreq request{};
        std::strncpy(request.ifr_name, name, IFNAMSIZ - 1);
        request.ifr_mtu = mtu;
        const bool done = fd >= 0 && ::ioctl(fd, SIOCSIFMTU, &request) == 0;
        if (!done) why_not = std::string("cannot set the MTU of ") + name + ": " + std::strerror(errno);
        if (fd >= 0) ::close(fd);
        return done;
    }

    /// Gives the IPv4 interface `name` the address `ipv4`/24 (SIOCSIFADDR, SIOCSIFNETMASK).
    bool set_ipv4_address(const char* name, const char* ipv4, std::string& why_not) {
        const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        ifreq request{};
        std::strncpy(request.ifr_name, name, IFNAMSIZ - 1);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        ::inet_pton(AF_INET, ipv4, &address.sin_addr);
        std::memcpy(&request.ifr_addr, &address, sizeof address);
        bool done = fd >= 0 && ::ioctl(fd, SIOCSIFADDR, &request) == 0;
        ::inet_pton(AF_INET, "255.255.255.0", &address.sin_addr);
        std::memcpy(&request.ifr_netmask, &address, sizeof address);
        done = done && ::ioctl(fd, SIOCSIFNETMASK, &request) == 0;
        if (!done) why_not = std::string("cannot address ") + name + ": " + std::strerror(errno);
        if (fd >= 0) ::close(fd);
        return done;
    }

    /// Adds the route "local ff00::/8 dev lo table local" over rtnetlink, so that IPv6
    /// multicast sent on `lo` comes back in instead of meeting a reject route.
    bool route_ipv6_multicast_to_loopback(std::string& why_not) {
        const int fd = ::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
        if (fd < 0) {
            why_not = std::string("netlink socket: ") + std::strerror(errno);
            return false;
        }
        alignas(nlmsghdr) std::array<unsigned char, 256> buffer{};
        auto* header = reinterpret_cast<nlmsghdr*>(buffer.data());
        header->nlmsg_len = NLMSG_LENGTH(sizeof(rtmsg));
        header->nlmsg_type = RTM_NEWROUTE;
        header->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL;
        header->nlmsg_seq = 1;
        auto* route = static_cast<rtmsg*>(NLMSG_DATA(header));
        route->rtm_family = AF_INET6;
        route->rtm_dst_len = 8;
        route->rtm_table = RT_TABLE_LOCAL;
        route->rtm_protocol = RTPROT_STATIC;
        route->rtm_scope = RT_SCOPE_HOST;
        route->rtm_type = RTN_LOCAL;
        const auto add_attribute = [header](unsigned short type, const void* data, std::size_t size) {
            auto* attribute = reinterpret_cast<rtattr*>(reinterpret_cast<unsigned char*>(header) +
                                                        NLMSG_ALIGN(header->nlmsg_len));
            attribute->rta_type = type;
            attribute->rta_len = static_cast<unsigned short>(RTA_LENGTH(size));
            std::memcpy(RTA_DATA(attribute), data, size);
            header->nlmsg_len = NLMSG_ALIGN(header->nlmsg_len) + RTA_ALIGN(attribute->rta_len);
        };
        in6_addr all_multicast{};
        all_multicast.s6_addr[0] = 0xff;
        add_attribute(RTA_DST, &all_multicast, sizeof all_multicast);
        const int lo = static_cast<int>(::if_nametoindex("lo"));
        add_attribute(RTA_OIF, &lo, sizeof lo);

        sockaddr_nl kernel{};
        kernel.nl_family = AF_NETLINK;
        bool done = ::sendto(fd, buffer.data(), header->nlmsg_len, 0, reinterpret_cast<sockaddr*>(&kernel),
                             sizeof kernel) >= 0;
        int error = done ? 0 : errno;
        if (done) {
            alignas(nlmsghdr) std::array<unsigned char, 1024> reply{};
            const ssize_t size = ::recv(fd, reply.data(), reply.size(), 0);
            const auto* answer = reinterpret_cast<const nlmsghdr*>(reply.data());
            if (size < 0) {
                error = errno;
            } else if (static_cast<std::size_t>(size) >= NLMSG_LENGTH(sizeof(nlmsgerr)) &&
                       answer->nlmsg_type == NLMSG_ERROR) {
                error = -static_cast<const nlmsgerr*>(NLMSG_DATA(answer))->error;
            } else {
                error = EPROTO;
            }
            done = error == 0;
        }
        if (!done) why_not = std::string("cannot add the route local ff00::/8 dev lo: ") + std::strerror(error);
        ::close(fd);
        return done;
    }

private:
    explicit private_network(int original) : original_(original) {}

    int original_;
};

#define ENTER_PRIVATE_NETWORK(network)                                   \
    std::string why_not;                                                  \
    auto network = private_network::enter(why_not);                       \
    if (!network) GTEST_SKIP() << "no private network namespace: " << why_not

/// Sends `count` numbered messages "<tag> <i>" to `group` from `sender`.
void send_messages(udp_socket& sender, const endpoint& group, std::string_view tag, int count) {
    for (int i = 0; i < count; ++i) sender.send_to(as_bytes(std::string(tag) + ' ' + std::to_string(i)), group);
}

/// Expects exactly the messages `send_messages` sent, in order, then (unless more are
/// still to come) silence.
void expect_messages(udp_socket& receiver, std::string_view tag, int count, bool more_to_come = false) {
    std::array<std::byte, 256> buffer{};
    for (int i = 0; i < count; ++i) {
        const auto expected = std::string(tag) + ' ' + std::to_string(i);
        std::string got;
        const auto error = error_of([&] { got = as_text(receiver.receive_from(buffer).bytes); });
        ASSERT_FALSE(error) << "waiting for \"" << expected << "\": " << error.message();
        EXPECT_EQ(got, expected);
    }
    if (!more_to_come) {
        EXPECT_FALSE(something_arrives(receiver)) << "a duplicate or a stray datagram";
    }
}

udp_socket multicast_sender(int family, const multicast_interface& iface) {
    auto sender = udp_socket::open(family);
    sender.set_multicast_interface(iface);
    sender.set_multicast_loopback(true);
    return sender;
}

udp_socket receiver_of(std::string_view group, const multicast_interface& iface) {
    auto receiver = udp_socket::multicast_receiver(group, iface);
    receiver.set_timeout(step_timeout);
    return receiver;
}

TEST(MulticastInterface, ParsesNamesAndAddresses) {
    const auto lo = multicast_interface::parse("lo");
    EXPECT_EQ(lo.index(), ::if_nametoindex("lo"));
    EXPECT_EQ(lo.address(), "");
    const auto by_address = multicast_interface::parse("127.0.0.1");
    EXPECT_EQ(by_address.index(), 0U);
    EXPECT_EQ(by_address.address(), "127.0.0.1");
    EXPECT_EQ(multicast_interface::by_index(7).index(), 7U);
    EXPECT_EQ(multicast_interface::any().index(), 0U);
    EXPECT_EQ(multicast_interface::any().address(), "");
    EXPECT_EQ(error_of([] { (void)multicast_interface::by_name("no-such-if0"); }), std::errc::no_such_device);
    EXPECT_EQ(error_of([] { (void)multicast_interface::parse("no-such-if0"); }), std::errc::no_such_device);
    EXPECT_EQ(error_of([] { (void)multicast_interface::by_address("lo"); }), std::errc::invalid_argument);
}

TEST(Multicast, RecognisesGroupAddresses) {
    for (const auto* group : {"224.0.0.0:1", "239.255.255.255:1", "[ff02::1]:1", "[ff15::1:2]:1"}) {
        EXPECT_TRUE(net::is_multicast(address(group))) << group;
    }
    for (const auto* other : {"223.255.255.255:1", "240.0.0.0:1", "127.0.0.1:1", "[::1]:1", "[fe80::1]:1"}) {
        EXPECT_FALSE(net::is_multicast(address(other))) << other;
    }
    EXPECT_FALSE(net::is_multicast(endpoint()));
    EXPECT_FALSE(net::is_multicast(endpoint::unix_abstract("x")));
}

TEST(Multicast, RefusesAnAddressThatIsNoGroup) {
    const auto lo = multicast_interface::parse("lo");
    for (const auto* unicast : {"127.0.0.1:5000", "[::1]:5000"}) {
        const auto failure = wirepack_error_of([&] { (void)udp_socket::multicast_receiver(unicast, lo); });
        EXPECT_EQ(failure.code, wirepack::errc::not_a_multicast_group) << unicast;
        EXPECT_NE(failure.message.find("not a multicast group"), std::string::npos) << failure.message;
    }
    auto socket = udp_socket::open(AF_INET);
    EXPECT_EQ(wirepack_error_of([&] { socket.join_group(address("10.1.2.3:0"), lo); }).code,
              wirepack::errc::not_a_multicast_group);
    EXPECT_EQ(wirepack_error_of([&] { socket.leave_group(address("10.1.2.3:0"), lo); }).code,
              wirepack::errc::not_a_multicast_group);
    EXPECT_EQ(wirepack_error_of([&] {
                  socket.join_source_group(address("10.1.2.3:0"), address("127.0.0.1:0"), lo);
              }).code,
              wirepack::errc::not_a_multicast_group);
    EXPECT_EQ(error_of([&] { socket.join_group(address("[ff02::1]:0"), lo); }),
              std::errc::address_family_not_supported);
}

TEST(Multicast, SetsHopsAndLoopbackOptions) {
    auto v4 = udp_socket::open(AF_INET);
    v4.set_multicast_hops(5);
    EXPECT_EQ(int_option(v4.native_handle(), IPPROTO_IP, IP_MULTICAST_TTL), 5);
    v4.set_multicast_loopback(false);
    EXPECT_EQ(int_option(v4.native_handle(), IPPROTO_IP, IP_MULTICAST_LOOP), 0);
    v4.set_multicast_loopback(true);
    EXPECT_EQ(int_option(v4.native_handle(), IPPROTO_IP, IP_MULTICAST_LOOP), 1);
    EXPECT_EQ(error_of([&] { v4.set_multicast_hops(256); }), std::errc::invalid_argument);
    EXPECT_EQ(error_of([&] { v4.set_multicast_hops(-1); }), std::errc::invalid_argument);

    auto v6 = udp_socket::open(AF_INET6);
    v6.set_multicast_hops(7);
    EXPECT_EQ(int_option(v6.native_handle(), IPPROTO_IPV6, IPV6_MULTICAST_HOPS), 7);
    v6.set_multicast_loopback(false);
    EXPECT_EQ(int_option(v6.native_handle(), IPPROTO_IPV6, IPV6_MULTICAST_LOOP), 0);
    v6.set_multicast_interface(multicast_interface::parse("lo"));
    EXPECT_EQ(int_option(v6.native_handle(), IPPROTO_IPV6, IPV6_MULTICAST_IF),
              static_cast<int>(::if_nametoindex("lo")));
}

TEST(Multicast, TwoReceiversOfOneGroupBothGetEveryMessage) {
    ENTER_PRIVATE_NETWORK(network);
    // Joined by interface name and by interface address: both mean lo here.
    auto first = receiver_of("239.255.10.1:5000", multicast_interface::parse("lo"));
    auto second = receiver_of("239.255.10.1:5000", multicast_interface::parse("127.0.0.1"));
    EXPECT_EQ(int_option(first.native_handle(), IPPROTO_IP, IP_MULTICAST_ALL), 0);
    EXPECT_EQ(int_option(first.native_handle(), SOL_SOCKET, SO_REUSEADDR), 1);
    EXPECT_EQ(int_option(first.native_handle(), SOL_SOCKET, SO_REUSEPORT), 0);  // each gets every datagram
    EXPECT_EQ(first.local_endpoint(), address("239.255.10.1:5000"));
    auto sender = multicast_sender(AF_INET, multicast_interface::parse("127.0.0.1"));
    send_messages(sender, address("239.255.10.1:5000"), "both", 20);
    expect_messages(first, "both", 20);
    expect_messages(second, "both", 20);
}

TEST(Multicast, LeavingTheGroupStopsDelivery) {
    ENTER_PRIVATE_NETWORK(network);
    const auto lo = multicast_interface::parse("lo");
    auto staying = receiver_of("239.255.10.2:5000", lo);
    auto leaving = receiver_of("239.255.10.2:5000", lo);
    auto sender = multicast_sender(AF_INET, lo);
    const auto group = address("239.255.10.2:5000");
    send_messages(sender, group, "before", 3);
    expect_messages(leaving, "before", 3);
    leaving.leave_group(group, lo);
    send_messages(sender, group, "after", 3);
    EXPECT_FALSE(something_arrives(leaving));
    expect_messages(staying, "before", 3, true);
    expect_messages(staying, "after", 3);
}

TEST(Multicast, ReceiverGetsOnlyItsOwnGroup) {
    ENTER_PRIVATE_NETWORK(network);
    const auto lo = multicast_interface::parse("lo");
    auto of_a = receiver_of("239.255.10.3:5000", lo);
    auto of_b = receiver_of("239.255.10.4:5000", lo);
    auto sender = multicast_sender(AF_INET, lo);
    send_messages(sender, address("239.255.10.4:5000"), "to-b", 3);
    expect_messages(of_b, "to-b", 3);
    EXPECT_FALSE(something_arrives(of_a));
    send_messages(sender, address("239.255.10.3:5000"), "to-a", 2);
    expect_messages(of_a, "to-a", 2);
    EXPECT_FALSE(something_arrives(of_b));
}

TEST(Multicast, SourceSpecificMembershipFiltersBySender) {
    ENTER_PRIVATE_NETWORK(network);
    const auto group = address("232.1.1.1:5000");
    const auto lo_by_address = multicast_interface::parse("127.0.0.1");
    const auto lo_by_name = multicast_interface::parse("lo");
    // One membership through IP_ADD_SOURCE_MEMBERSHIP (interface by address), one through
    // MCAST_JOIN_SOURCE_GROUP (interface by index).
    udp_options shared;
    shared.reuse_address = true;
    shared.reuse_port = true;
    auto from_first = udp_socket::bind(group, shared);
    from_first.join_source_group(group, address("127.0.0.1:0"), lo_by_address);
    auto from_second = udp_socket::bind(group, shared);
    from_second.join_source_group(group, address("127.0.0.2:0"), lo_by_name);
    for (auto* receiver : {&from_first, &from_second}) receiver->set_timeout(step_timeout);

    auto first = udp_socket::bind_udp("127.0.0.1:0");
    first.set_multicast_interface(lo_by_name);
    auto second = udp_socket::bind_udp("127.0.0.2:0");
    second.set_multicast_interface(lo_by_name);
    send_messages(first, group, "one", 2);
    send_messages(second, group, "two", 2);
    expect_messages(from_first, "one", 2);
    expect_messages(from_second, "two", 2);

    from_first.leave_group(group, lo_by_address);
    send_messages(first, group, "gone", 1);
    EXPECT_FALSE(something_arrives(from_first));
}

TEST(Multicast, LoopbackOffStopsDeliveryToThisHost) {
    ENTER_PRIVATE_NETWORK(network);
    // On `lo` the flag changes nothing (what is sent comes straight back in), so this
    // sends on a tap device of the private namespace, which nobody reads: only the
    // kernel's loopback copy can reach the receiver.
    const net::file_descriptor tun(::open("/dev/net/tun", O_RDWR | O_CLOEXEC));
    if (!tun) GTEST_SKIP() << "no /dev/net/tun: " << std::strerror(errno);
    ifreq request{};
    std::strncpy(request.ifr_name, "wptap0", IFNAMSIZ - 1);
    request.ifr_flags = IFF_TAP | IFF_NO_PI;
    if (::ioctl(tun.get(), TUNSETIFF, &request) != 0) GTEST_SKIP() << "TUNSETIFF: " << std::strerror(errno);
    ASSERT_TRUE(network->set_ipv4_address("wptap0", "10.200.0.1", why_not)) << why_not;
    ASSERT_TRUE(network->set_flags("wptap0", IFF_UP | IFF_MULTICAST, why_not)) << why_not;

    const auto tap = multicast_interface::parse("wptap0");
    auto receiver = receiver_of("239.255.10.5:5000", tap);
    auto sender = multicast_sender(AF_INET, multicast_interface::parse("10.200.0.1"));
    const auto group = address("239.255.10.5:5000");
    send_messages(sender, group, "looped", 2);
    expect_messages(receiver, "looped", 2);
    sender.set_multicast_loopback(false);
    send_messages(sender, group, "not looped", 2);
    EXPECT_FALSE(something_arrives(receiver));
    sender.set_multicast_loopback(true);
    send_messages(sender, group, "looped again", 1);
    expect_messages(receiver, "looped again", 1);
}

TEST(Multicast, Ipv6OnTheLoopbackInterface) {
    ENTER_PRIVATE_NETWORK(network);
    if (!network->route_ipv6_multicast_to_loopback(why_not)) GTEST_SKIP() << "IPv6 multicast on lo: " << why_not;
    const auto lo = multicast_interface::parse("lo");
    // Link-local groups: the receiver takes lo's index as their scope.
    auto first = receiver_of("[ff02::114:1]:5000", lo);
    auto second = receiver_of("[ff02::114:1]:5000", multicast_interface::parse("127.0.0.1"));
    auto other_group = receiver_of("[ff02::114:2]:5000", lo);
    EXPECT_EQ(int_option(first.native_handle(), IPPROTO_IPV6, IPV6_MULTICAST_ALL), 0);
    auto sender = multicast_sender(AF_INET6, lo);
    const auto group = address("[ff02::114:1]:5000");
    send_messages(sender, group, "v6", 5);
    expect_messages(first, "v6", 5);
    expect_messages(second, "v6", 5);
    EXPECT_FALSE(something_arrives(other_group));

    second.leave_group(group, lo);
    send_messages(sender, group, "v6 after", 2);
    expect_messages(first, "v6 after", 2);
    EXPECT_FALSE(something_arrives(second));

    // A group with a scope id, joined with `any()`: the scope names the interface.
    auto scoped = udp_socket::bind(address("[::]:5001"));
    scoped.set_timeout(step_timeout);
    const int off = 0;  // so that only the membership lets the datagram in
    ASSERT_EQ(::setsockopt(scoped.native_handle(), IPPROTO_IPV6, IPV6_MULTICAST_ALL, &off, sizeof off), 0);
    send_messages(sender, address("[ff02::114:3]:5001"), "not joined yet", 1);
    EXPECT_FALSE(something_arrives(scoped));
    scoped.join_group(address("[ff02::114:3%lo]:0"), multicast_interface::any());
    send_messages(sender, address("[ff02::114:3]:5001"), "scoped", 1);
    expect_messages(scoped, "scoped", 1);
}

TEST(UdpSegments, FallsBackToSendmmsgWhenTheKernelRefusesOffload) {
    ENTER_PRIVATE_NETWORK(network);
    // Segments over the path MTU: the kernel refuses UDP_SEGMENT (EINVAL or EMSGSIZE) but sends each
    // datagram on its own, fragmented.
    ASSERT_TRUE(network->set_mtu("lo", 1500, why_not)) << why_not;
    auto receiver = bound("127.0.0.1");
    auto sender = bound("127.0.0.1");
    if (!sender.segmentation_offload()) GTEST_SKIP() << "the kernel has no UDP_SEGMENT: nothing to fall back from";
    const auto data = random_bytes(5 * 2000 + 10, 31);
    sender.send_segments(data, 2000, receiver.local_endpoint());
    EXPECT_EQ(receive_datagrams(receiver, 6), expected_segments(data, 2000));
    EXPECT_FALSE(something_arrives(receiver));
    // Refused for this path only: small segments still go with offload.
    EXPECT_TRUE(sender.segmentation_offload());
}

// ---------------------------------------------------------------------------------------
// Descriptors

TEST(FileDescriptors, NoneLeakOnSuccessOrErrorPaths) {
    const auto exercise = [] {
        auto receiver = bound("127.0.0.1");
        auto sender = bound("127.0.0.1");
        const auto to = receiver.local_endpoint();
        sender.send_to(as_bytes("x"), to);
        std::array<std::byte, 16> buffer{};
        (void)receiver.receive_from(buffer);
        sender.send_to(random_bytes(100, 1), to);
        EXPECT_TRUE(wirepack_error_of([&] { (void)receiver.receive_from(buffer); }).code);
        EXPECT_TRUE(wirepack_error_of([&] { sender.send_to(random_bytes(70000, 1), to); }).code);
        EXPECT_TRUE(error_of([&] { (void)udp_socket::bind(to); }));
        EXPECT_TRUE(error_of([] { (void)udp_socket::bind_udp("no-port"); }));
        EXPECT_TRUE(error_of([] { (void)udp_socket::open(AF_UNIX); }));
        EXPECT_TRUE(wirepack_error_of([] {
                        (void)udp_socket::multicast_receiver("127.0.0.1:5000", multicast_interface::parse("lo"));
                    }).code);
        auto v6 = udp_socket::connect_udp("[::1]:9");
        v6.set_timeout(20ms);
        EXPECT_TRUE(error_of([&] { (void)v6.receive_from(buffer); }));
        datagram_batch batch(2, 16);
        EXPECT_TRUE(error_of([&] { (void)v6.receive_batch(batch); }));
        (void)receiver.enable_receive_offload();
        sender.send_segments(random_bytes(3000, 2), 1000, to);
        (void)receive_datagrams(receiver, 3);
    };
    exercise();  // first use may open descriptors that stay (name service, ...)
    const int before = open_descriptor_count();
    ASSERT_GT(before, 0);
    exercise();
    exercise();
    EXPECT_EQ(open_descriptor_count(), before);
}

}  // namespace
