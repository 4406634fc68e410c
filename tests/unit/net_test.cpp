// wirepack::net over loopback only (127.0.0.1, ::1, Unix sockets in a fresh directory
// under /tmp, abstract names, socketpairs). Every blocking call runs under a timeout and
// every loop is bounded, so a bug fails a test instead of hanging it.

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <wirepack/net/endpoint.hpp>
#include <wirepack/net/file_descriptor.hpp>
#include <wirepack/net/frame_stream.hpp>
#include <wirepack/net/stream.hpp>

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <climits>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
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
using net::endpoint;
using net::stream_listener;
using net::stream_socket;
using steady = std::chrono::steady_clock;
using bytes = std::vector<std::byte>;
using wirepack::test::as_bytes;
using wirepack::test::as_text;
using wirepack::test::error_of;
using wirepack::test::int_option;
using wirepack::test::open_descriptor_count;
using wirepack::test::random_bytes;

/// How long any single blocking step of a test may take before it counts as a hang.
constexpr auto step_timeout = 10s;

/// The what() of a std::system_error a call throws ("" when it does not throw).
template <typename Call>
std::string message_of(Call&& call) {
    try {
        call();
    } catch (const std::system_error& failure) {
        return failure.what();
    }
    return "";
}

/// A fresh directory under /tmp, removed with everything in it at the end of the test.
class temporary_directory {
public:
    temporary_directory() {
        std::string pattern = "/tmp/wirepack-net-test-XXXXXX";
        if (::mkdtemp(pattern.data()) == nullptr) throw std::system_error(errno, std::system_category(), "mkdtemp");
        path_ = pattern;
    }
    temporary_directory(const temporary_directory&) = delete;
    temporary_directory& operator=(const temporary_directory&) = delete;
    ~temporary_directory() {
        std::error_code ignored;
        std::filesystem::remove_all(path_, ignored);
    }

    [[nodiscard]] std::string file(std::string_view name) const { return path_ + '/' + std::string(name); }

private:
    std::string path_;
};

/// An abstract Unix name no other test or process uses.
std::string unique_abstract_name() {
    static std::atomic<int> counter{0};
    return "@wirepack-net-test-" + std::to_string(::getpid()) + '-' + std::to_string(counter++);
}

/// `accept` once a connection is waiting, so that a missing client fails the test
/// after `step_timeout` instead of blocking it forever.
stream_socket accept_within(stream_listener& listener, std::chrono::milliseconds timeout = step_timeout) {
    pollfd request{listener.native_handle(), POLLIN, 0};
    const int ready = ::poll(&request, 1, static_cast<int>(timeout.count()));
    if (ready != 1) throw std::system_error(std::make_error_code(std::errc::timed_out), "accept_within");
    auto accepted = listener.accept();
    accepted.set_timeout(step_timeout);
    return accepted;
}

/// Reads exactly `buffer.size()` bytes; false when the peer closes first.
bool recv_exact(stream_socket& socket, std::span<std::byte> buffer) {
    std::size_t filled = 0;
    while (filled < buffer.size()) {
        const std::size_t received = socket.recv_some(buffer.subspan(filled));
        if (received == 0) return false;
        filled += received;
    }
    return true;
}

/// Reads until the peer closes its end (at most `limit` bytes, then the test fails).
bytes recv_until_end(stream_socket& socket, std::size_t limit) {
    bytes received;
    std::array<std::byte, 64 << 10> chunk{};
    for (;;) {
        const std::size_t n = socket.recv_some(chunk);
        if (n == 0) return received;
        received.insert(received.end(), chunk.begin(), chunk.begin() + static_cast<std::ptrdiff_t>(n));
        if (received.size() > limit) throw std::length_error("recv_until_end: more than expected");
    }
}

bool ipv6_loopback_available() {
    try {
        (void)stream_listener::listen_tcp("[::1]:0");
        return true;
    } catch (const std::system_error&) {
        return false;
    }
}

#define SKIP_WITHOUT_IPV6()                                                          \
    do {                                                                             \
        if (!ipv6_loopback_available()) GTEST_SKIP() << "no IPv6 loopback (::1) here"; \
    } while (false)

/// A connected client and the server side of the same connection, both with timeouts.
struct connection {
    stream_socket client;
    stream_socket server;
};

connection connect_to(stream_listener& listener, const std::function<stream_socket()>& connect_client) {
    connection c;
    c.client = connect_client();
    c.client.set_timeout(step_timeout);
    c.server = accept_within(listener);
    return c;
}

/// Sends a message each way and checks it arrives intact.
void expect_round_trip(connection& c) {
    c.client.send_all(as_bytes("ping from the client"));
    bytes request(20);
    ASSERT_TRUE(recv_exact(c.server, request));
    EXPECT_EQ(as_text(request), "ping from the client");

    c.server.send_all(as_bytes("pong"));
    bytes reply(4);
    ASSERT_TRUE(recv_exact(c.client, reply));
    EXPECT_EQ(as_text(reply), "pong");
}

bool is_close_on_exec(int fd) { return (::fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0; }

bool is_nonblocking(int fd) { return (::fcntl(fd, F_GETFL) & O_NONBLOCK) != 0; }

/// Leaves a socket file at `path` that nobody listens on, as a crashed server would.
void make_stale_socket_file(const std::string& path) {
    const auto at = endpoint::unix_path(path);
    net::file_descriptor fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    ASSERT_TRUE(fd);
    ASSERT_EQ(::bind(fd.get(), at.data(), at.size()), 0) << std::strerror(errno);
}

void write_file(const std::string& path, std::string_view content) { std::ofstream(path) << content; }

std::string read_file(const std::string& path) {
    std::ifstream in(path);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

bool exists_without_following(const std::string& path) {
    struct stat info {};
    return ::lstat(path.c_str(), &info) == 0;
}

}  // namespace

// ---------------------------------------------------------------------------------------
// file_descriptor

TEST(FileDescriptor, ClosesOnResetAndDestructionButNotAfterRelease) {
    int fds[2];
    ASSERT_EQ(::pipe2(fds, O_CLOEXEC), 0);
    {
        net::file_descriptor read_end(fds[0]);
        net::file_descriptor write_end(fds[1]);
        EXPECT_TRUE(read_end);
        write_end.reset();
        EXPECT_FALSE(write_end);
        EXPECT_EQ(::fcntl(fds[1], F_GETFD), -1);

        const int released = read_end.release();
        EXPECT_EQ(released, fds[0]);
        EXPECT_FALSE(read_end);
        read_end.reset(released);
    }
    EXPECT_EQ(::fcntl(fds[0], F_GETFD), -1);
}

TEST(FileDescriptor, MoveTransfersOwnership) {
    int fds[2];
    ASSERT_EQ(::pipe2(fds, O_CLOEXEC), 0);
    net::file_descriptor first(fds[0]);
    net::file_descriptor other(fds[1]);
    net::file_descriptor second(std::move(first));
    EXPECT_EQ(first.get(), -1);
    EXPECT_EQ(second.get(), fds[0]);
    second = std::move(other);  // closes fds[0]
    EXPECT_EQ(::fcntl(fds[0], F_GETFD), -1);
    EXPECT_EQ(second.get(), fds[1]);
}

// ---------------------------------------------------------------------------------------
// endpoint

TEST(Endpoint, EmptyIsUnspecified) {
    const endpoint nothing;
    EXPECT_EQ(nothing.family(), AF_UNSPEC);
    EXPECT_EQ(nothing.size(), 0u);
    EXPECT_EQ(nothing.to_string(), "(unspecified)");
    EXPECT_EQ(nothing.port(), 0);
}

TEST(Endpoint, Ipv4SpellingRoundTrips) {
    const auto resolved = endpoint::resolve("127.0.0.1:43117");
    ASSERT_EQ(resolved.size(), 1u);
    EXPECT_EQ(resolved[0].family(), AF_INET);
    EXPECT_EQ(resolved[0].port(), 43117);
    EXPECT_EQ(resolved[0].size(), sizeof(sockaddr_in));
    EXPECT_EQ(resolved[0].to_string(), "127.0.0.1:43117");
    EXPECT_EQ(resolved[0].path(), "");
}

TEST(Endpoint, Ipv6SpellingRoundTrips) {
    const auto resolved = endpoint::resolve("[::1]:5000");
    ASSERT_EQ(resolved.size(), 1u);
    EXPECT_EQ(resolved[0].family(), AF_INET6);
    EXPECT_EQ(resolved[0].port(), 5000);
    EXPECT_EQ(resolved[0].to_string(), "[::1]:5000");
    EXPECT_EQ(endpoint::resolve("[2001:db8::42]:65535").front().to_string(), "[2001:db8::42]:65535");
}

TEST(Endpoint, PortBoundsAndLeadingZeros) {
    EXPECT_EQ(endpoint::resolve("127.0.0.1:0").front().port(), 0);
    EXPECT_EQ(endpoint::resolve("127.0.0.1:65535").front().port(), 65535);
    EXPECT_EQ(endpoint::resolve("127.0.0.1:00080").front().to_string(), "127.0.0.1:80");
}

TEST(Endpoint, UnixPathSpellingRoundTrips) {
    const auto path = endpoint::unix_path("/tmp/x.sock");
    EXPECT_EQ(path.family(), AF_UNIX);
    EXPECT_FALSE(path.is_abstract());
    EXPECT_EQ(path.path(), "/tmp/x.sock");
    EXPECT_EQ(path.to_string(), "/tmp/x.sock");
    EXPECT_EQ(endpoint::unix_address("/tmp/x.sock"), path);
    EXPECT_EQ(path.port(), 0);
}

TEST(Endpoint, AbstractNameSpellingRoundTripsWithExactLength) {
    const auto name = endpoint::unix_abstract("name");
    EXPECT_EQ(name.family(), AF_UNIX);
    EXPECT_TRUE(name.is_abstract());
    EXPECT_EQ(name.path(), "");
    EXPECT_EQ(name.to_string(), "@name");
    // The kernel takes every byte of the length as part of the name: no padding.
    EXPECT_EQ(name.size(), offsetof(sockaddr_un, sun_path) + 1 + 4);
    EXPECT_EQ(endpoint::unix_address("@name"), name);
    EXPECT_NE(endpoint::unix_address("@name"), endpoint::unix_abstract("name2"));
    EXPECT_NE(endpoint::unix_path("name"), name);
}

TEST(Endpoint, ResolveRefusesMalformedSpellings) {
    for (const std::string_view malformed :
         {"127.0.0.1", "127.0.0.1:", ":80", "[::1", "[::1]", "[::1]5000", "[::1]:", "[]:80", "::1:5000",
          "127.0.0.1:-1", "127.0.0.1:+80", "127.0.0.1:65536", "127.0.0.1:123456", "127.0.0.1:8x",
          "127.0.0.1: 80", "127.0.0.1:0x50", ""}) {
        const auto error = error_of([&] { (void)endpoint::resolve(malformed); });
        ASSERT_TRUE(error) << '"' << malformed << "\" was accepted";
        EXPECT_EQ(error, std::errc::invalid_argument) << malformed;
    }
    EXPECT_NE(message_of([] { (void)endpoint::resolve("[::1"); }).find("no ']'"), std::string::npos);
    EXPECT_NE(message_of([] { (void)endpoint::resolve("::1:80"); }).find("needs brackets"), std::string::npos);
    EXPECT_NE(message_of([] { (void)endpoint::resolve("h:99999"); }).find("0 to 65535"), std::string::npos);
}

TEST(Endpoint, ResolveReportsGetaddrinfoFailures) {
    // Brackets hold a literal IPv6 address only, so this fails without asking any DNS server.
    try {
        (void)endpoint::resolve("[localhost]:80");
        FAIL() << "a name in brackets was accepted";
    } catch (const std::system_error& failure) {
        EXPECT_EQ(failure.code(), std::errc::host_unreachable);
        EXPECT_STREQ(failure.code().category().name(), "getaddrinfo");
        EXPECT_NE(std::string(failure.what()).find("resolve [localhost]:80"), std::string::npos);
        EXPECT_NE(std::string(failure.what()).find(::gai_strerror(failure.code().value())), std::string::npos);
    }
}

TEST(Endpoint, ResolvesLocalhostFromTheHostsFile) {
    const auto resolved = endpoint::resolve("localhost:7");
    ASSERT_FALSE(resolved.empty());
    for (const auto& e : resolved) {
        EXPECT_TRUE(e.to_string() == "127.0.0.1:7" || e.to_string() == "[::1]:7") << e.to_string();
    }
}

TEST(Endpoint, UnixPathFitsUpTo107Bytes) {
    const std::string fits = "/tmp/" + std::string(102, 'p');
    ASSERT_EQ(fits.size(), 107u);
    EXPECT_EQ(endpoint::unix_path(fits).path(), fits);
    EXPECT_EQ(endpoint::unix_path(fits).to_string(), fits);

    const auto error = error_of([&] { (void)endpoint::unix_path(fits + 'p'); });
    ASSERT_TRUE(error);
    EXPECT_EQ(error, std::errc::filename_too_long);
}

TEST(Endpoint, AbstractNameFitsUpTo107Bytes) {
    const std::string fits(107, 'a');
    EXPECT_EQ(endpoint::unix_abstract(fits).to_string(), '@' + fits);
    EXPECT_EQ(endpoint::unix_abstract(fits).size(), sizeof(sockaddr_un));
    const auto error = error_of([&] { (void)endpoint::unix_abstract(fits + 'a'); });
    ASSERT_TRUE(error);
    EXPECT_EQ(error, std::errc::filename_too_long);
}

TEST(Endpoint, UnixNamesRefuseEmptyAndEmbeddedNul) {
    using namespace std::string_view_literals;
    for (const auto& make : {endpoint::unix_path, endpoint::unix_abstract}) {
        for (const auto bad : {""sv, "/tmp/a\0b"sv}) {
            const auto error = error_of([&] { (void)make(bad); });
            ASSERT_TRUE(error);
            EXPECT_EQ(error, std::errc::invalid_argument);
        }
    }
    EXPECT_TRUE(error_of([] { (void)endpoint::unix_address("@"); }));
}

TEST(Endpoint, ConstructorRefusesAnOversizedAddress) {
    sockaddr_storage storage{};
    const auto error =
        error_of([&] { endpoint(reinterpret_cast<const sockaddr*>(&storage), sizeof storage + 1); });
    ASSERT_TRUE(error);
    EXPECT_EQ(error, std::errc::invalid_argument);
    endpoint e;
    EXPECT_THROW(e.resize(endpoint::capacity() + 1), std::system_error);
}

RC_GTEST_PROP(Endpoint, AnyIpv4AddressAndPortRoundTrip,
              (std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d, std::uint16_t port)) {
    const auto text = std::to_string(a) + '.' + std::to_string(b) + '.' + std::to_string(c) + '.' +
                      std::to_string(d) + ':' + std::to_string(port);
    const auto resolved = endpoint::resolve(text);
    RC_ASSERT(resolved.size() == 1u);
    RC_ASSERT(resolved[0].to_string() == text);
    RC_ASSERT(resolved[0].port() == port);
}

RC_GTEST_PROP(Endpoint, AnyIpv6AddressAndPortRoundTrip, (std::array<std::uint8_t, 16> address, std::uint16_t port)) {
    char host[INET6_ADDRSTRLEN] = {};
    ::inet_ntop(AF_INET6, address.data(), host, sizeof host);
    const auto text = '[' + std::string(host) + "]:" + std::to_string(port);
    const auto resolved = endpoint::resolve(text);
    RC_ASSERT(resolved.size() == 1u);
    RC_ASSERT(resolved[0].to_string() == text);
    RC_ASSERT(resolved[0] == endpoint::resolve(text).front());
}

// ---------------------------------------------------------------------------------------
// Connecting, listening, and the first bytes each way

TEST(StreamSocket, RoundTripOverIpv4) {
    auto listener = stream_listener::listen_tcp("127.0.0.1:0");
    const auto at = listener.local_endpoint();
    ASSERT_EQ(at.family(), AF_INET);
    ASSERT_NE(at.port(), 0) << "port 0 must bind a free port";
    EXPECT_EQ(at.to_string(), "127.0.0.1:" + std::to_string(at.port()));

    auto c = connect_to(listener, [&] { return stream_socket::connect_tcp(at.to_string()); });
    expect_round_trip(c);
    EXPECT_EQ(c.client.peer_endpoint(), at);
    EXPECT_EQ(c.server.local_endpoint(), at);
    EXPECT_EQ(c.server.peer_endpoint(), c.client.local_endpoint());
    EXPECT_EQ(c.client.local_endpoint().to_string().rfind("127.0.0.1:", 0), 0u);
}

TEST(StreamSocket, RoundTripOverIpv6) {
    SKIP_WITHOUT_IPV6();
    auto listener = stream_listener::listen_tcp("[::1]:0");
    const auto at = listener.local_endpoint();
    ASSERT_EQ(at.family(), AF_INET6);
    ASSERT_NE(at.port(), 0);
    EXPECT_EQ(at.to_string(), "[::1]:" + std::to_string(at.port()));

    auto c = connect_to(listener, [&] { return stream_socket::connect_tcp(at.to_string(), step_timeout); });
    expect_round_trip(c);
    EXPECT_EQ(c.client.peer_endpoint(), at);
    EXPECT_EQ(c.server.peer_endpoint(), c.client.local_endpoint());
}

TEST(StreamSocket, RoundTripOverUnixPath) {
    const temporary_directory directory;
    const auto path = directory.file("echo.sock");
    auto listener = stream_listener::listen_unix(path);
    EXPECT_EQ(listener.local_endpoint().to_string(), path);

    auto c = connect_to(listener, [&] { return stream_socket::connect_unix(path); });
    expect_round_trip(c);
    EXPECT_EQ(c.client.peer_endpoint().to_string(), path);
    EXPECT_EQ(c.server.local_endpoint().path(), path);
    EXPECT_EQ(c.server.peer_endpoint().to_string(), "(unnamed)");
}

TEST(StreamSocket, RoundTripOverAbstractName) {
    const auto name = unique_abstract_name();
    auto listener = stream_listener::listen_unix(name);
    EXPECT_EQ(listener.local_endpoint().to_string(), name);
    EXPECT_TRUE(listener.local_endpoint().is_abstract());
    EXPECT_EQ(listener.local_endpoint(), endpoint::unix_address(name));

    auto c = connect_to(listener, [&] { return stream_socket::connect_unix(name); });
    expect_round_trip(c);
    EXPECT_EQ(c.client.peer_endpoint().to_string(), name);
}

TEST(StreamSocket, ListenOnAnEndpointAndConnectToIt) {
    auto listener = stream_listener::listen(endpoint::resolve("127.0.0.1:0").front(), 16);
    const auto at = listener.local_endpoint();
    auto c = connect_to(listener, [&] { return stream_socket::connect(at, step_timeout); });
    expect_round_trip(c);
}

TEST(StreamSocket, PairRoundTrips) {
    auto sockets = stream_socket::pair();
    auto& a = sockets.first;
    auto& b = sockets.second;
    a.set_timeout(step_timeout);
    b.set_timeout(step_timeout);
    connection c{std::move(a), std::move(b)};
    expect_round_trip(c);
    EXPECT_TRUE(is_close_on_exec(c.client.native_handle()));
    EXPECT_TRUE(is_close_on_exec(c.server.native_handle()));
}

TEST(StreamSocket, ConnectTcpTriesEveryResolvedAddress) {
    // "localhost" may come first as ::1, where nobody listens; 127.0.0.1 must still be reached.
    auto listener = stream_listener::listen_tcp("127.0.0.1:0");
    const auto port = std::to_string(listener.local_endpoint().port());
    auto c = connect_to(listener, [&] { return stream_socket::connect_tcp("localhost:" + port, step_timeout); });
    expect_round_trip(c);
}

TEST(StreamSocket, EverySocketIsCloseOnExec) {
    auto listener = stream_listener::listen_tcp("127.0.0.1:0");
    EXPECT_TRUE(is_close_on_exec(listener.native_handle()));
    auto c = connect_to(listener, [&] { return stream_socket::connect(listener.local_endpoint()); });
    EXPECT_TRUE(is_close_on_exec(c.client.native_handle()));
    EXPECT_TRUE(is_close_on_exec(c.server.native_handle()));

    auto with_timeout = stream_socket::connect(listener.local_endpoint(), step_timeout);
    EXPECT_TRUE(is_close_on_exec(with_timeout.native_handle()));
    EXPECT_FALSE(is_nonblocking(with_timeout.native_handle())) << "connect with a timeout must restore blocking";

    const auto name = unique_abstract_name();
    auto unix_listener = stream_listener::listen_unix(name);
    EXPECT_TRUE(is_close_on_exec(unix_listener.native_handle()));
}

TEST(StreamListener, TcpListenersReuseAddressAndIpv6OnesAreV6Only) {
    auto v4 = stream_listener::listen_tcp("127.0.0.1:0");
    EXPECT_EQ(int_option(v4.native_handle(), SOL_SOCKET, SO_REUSEADDR), 1);
    SKIP_WITHOUT_IPV6();
    auto v6 = stream_listener::listen_tcp("[::1]:0");
    EXPECT_EQ(int_option(v6.native_handle(), SOL_SOCKET, SO_REUSEADDR), 1);
    EXPECT_EQ(int_option(v6.native_handle(), IPPROTO_IPV6, IPV6_V6ONLY), 1);
}

TEST(StreamListener, BusyPortIsAddressInUseNamingTheAddress) {
    auto first = stream_listener::listen_tcp("127.0.0.1:0");
    const auto at = first.local_endpoint().to_string();
    try {
        (void)stream_listener::listen_tcp(at);
        FAIL() << "two listeners on " << at;
    } catch (const std::system_error& failure) {
        EXPECT_EQ(failure.code(), std::errc::address_in_use);
        EXPECT_NE(std::string(failure.what()).find("bind " + at), std::string::npos) << failure.what();
    }
}

TEST(StreamSocket, ConnectToAClosedPortIsRefusedNamingTheAddress) {
    std::string at;
    {
        auto listener = stream_listener::listen_tcp("127.0.0.1:0");
        at = listener.local_endpoint().to_string();
    }
    using optional_timeout = std::optional<std::chrono::milliseconds>;
    for (const auto timeout : {optional_timeout{}, optional_timeout{step_timeout}}) {
        try {
            (void)stream_socket::connect_tcp(at, timeout);
            FAIL() << "connected to a closed port";
        } catch (const std::system_error& failure) {
            EXPECT_EQ(failure.code(), std::errc::connection_refused);
            EXPECT_EQ(std::string(failure.what()).rfind("connect " + at, 0), 0u) << failure.what();
        }
    }
}

TEST(StreamSocket, ShutdownSendDeliversEndOfStream) {
    auto sockets = stream_socket::pair();
    auto& a = sockets.first;
    auto& b = sockets.second;
    b.set_timeout(step_timeout);
    a.send_all(as_bytes("last words"));
    a.shutdown_send();
    EXPECT_EQ(as_text(recv_until_end(b, 100)), "last words");
}

TEST(StreamSocket, NoDelayOnTcpAndHarmlessOnUnix) {
    auto listener = stream_listener::listen_tcp("127.0.0.1:0");
    auto c = connect_to(listener, [&] { return stream_socket::connect(listener.local_endpoint()); });
    c.client.set_no_delay(true);
    EXPECT_EQ(int_option(c.client.native_handle(), IPPROTO_TCP, TCP_NODELAY), 1);
    c.client.set_no_delay(false);
    EXPECT_EQ(int_option(c.client.native_handle(), IPPROTO_TCP, TCP_NODELAY), 0);

    auto sockets = stream_socket::pair();
    auto& a = sockets.first;
    EXPECT_NO_THROW(a.set_no_delay(true));
}

TEST(StreamSocket, MoveLeavesNothingBehind) {
    auto sockets = stream_socket::pair();
    auto& a = sockets.first;
    const int fd = a.native_handle();
    stream_socket moved(std::move(a));
    EXPECT_FALSE(a.is_open());
    EXPECT_EQ(moved.native_handle(), fd);
    moved.close();
    EXPECT_FALSE(moved.is_open());
    EXPECT_EQ(::fcntl(fd, F_GETFD), -1);
}

// ---------------------------------------------------------------------------------------
// Gather writes and partial writes

namespace {

/// A SIGUSR1 handler that does nothing, installed without SA_RESTART: each signal
/// interrupts a blocked sendmsg, which then returns a partial count or EINTR.
class interrupting_signal {
public:
    interrupting_signal() {
        struct sigaction action {};
        action.sa_handler = [](int) { delivered_.fetch_add(1, std::memory_order_relaxed); };
        sigemptyset(&action.sa_mask);
        action.sa_flags = 0;
        ::sigaction(SIGUSR1, &action, &previous_);
    }
    interrupting_signal(const interrupting_signal&) = delete;
    interrupting_signal& operator=(const interrupting_signal&) = delete;
    ~interrupting_signal() { ::sigaction(SIGUSR1, &previous_, nullptr); }

    static int delivered() { return delivered_.load(); }

private:
    static inline std::atomic<int> delivered_{0};
    struct sigaction previous_ {};
};

/// Sends `parts` with send_all from this thread while another thread keeps interrupting
/// it with signals and a third reads slowly; returns what the reader received.
bytes send_all_under_interruptions(stream_socket& sender, stream_socket& receiver, net::const_buffers parts,
                                   std::size_t expected_size) {
    const interrupting_signal handler;
    bytes received;
    std::thread reader([&] {
        std::this_thread::sleep_for(50ms);  // let the sender fill the buffers and block
        std::array<std::byte, 16 << 10> chunk{};
        for (int reads = 0; received.size() < expected_size && reads < 1'000'000; ++reads) {
            const std::size_t n = receiver.recv_some(chunk);
            if (n == 0) break;
            received.insert(received.end(), chunk.begin(), chunk.begin() + static_cast<std::ptrdiff_t>(n));
            if (reads % 8 == 0) std::this_thread::sleep_for(100us);
        }
    });
    std::atomic<bool> sending{true};
    const pthread_t sending_thread = ::pthread_self();
    std::thread interrupter([&] {
        for (int i = 0; sending.load() && i < 2'000'000; ++i) {
            ::pthread_kill(sending_thread, SIGUSR1);
            std::this_thread::sleep_for(200us);
        }
    });
    std::optional<std::system_error> failure;
    try {
        sender.send_all(parts);
    } catch (const std::system_error& error) {
        failure = error;
    }
    sending = false;
    interrupter.join();
    sender.shutdown_send();
    reader.join();
    if (failure) ADD_FAILURE() << failure->what();
    return received;
}

}  // namespace

TEST(StreamSocket, SendAllWritesAGatherListLongerThanIovMax) {
    // 3000 ranges of 0 to 6 bytes, some empty, cut from one buffer: the receiver must see
    // that buffer's prefix, once, in order.
    constexpr std::size_t ranges = 3000;
    static_assert(ranges > IOV_MAX);
    const auto source = random_bytes(ranges * 6, 1);
    std::vector<std::span<const std::byte>> parts;
    std::size_t offset = 0;
    for (std::size_t i = 0; i < ranges; ++i) {
        const std::size_t size = i % 7;
        parts.push_back(std::span(source).subspan(offset, size));
        offset += size;
    }
    auto sockets = stream_socket::pair();
    auto& a = sockets.first;
    auto& b = sockets.second;
    a.set_timeout(step_timeout);
    b.set_timeout(step_timeout);
    std::thread reader;
    bytes received;
    reader = std::thread([&] { received = recv_until_end(b, source.size()); });
    a.send_all(parts);
    a.shutdown_send();
    reader.join();
    ASSERT_EQ(received.size(), offset);
    EXPECT_TRUE(std::equal(received.begin(), received.end(), source.begin()));
}

TEST(StreamSocket, SendSomeTakesAtMostIovMaxRangesPerCall) {
    std::vector<std::span<const std::byte>> parts(IOV_MAX + 500, as_bytes("x"));
    auto sockets = stream_socket::pair();
    auto& a = sockets.first;
    EXPECT_EQ(a.send_some(parts), static_cast<std::size_t>(IOV_MAX));
}

TEST(StreamSocket, SendAllResumesInterruptedWritesOverUnix) {
    // Several MiB in odd-sized ranges: every interruption splits the write somewhere else.
    const auto source = random_bytes(6 << 20, 2);
    const std::array<std::span<const std::byte>, 5> parts{
        std::span(source).first(1), std::span(source).subspan(1, 3 << 20), std::span(source).subspan((3 << 20) + 1, 0),
        std::span(source).subspan((3 << 20) + 1, 12345), std::span(source).subspan((3 << 20) + 12346)};
    auto sockets = stream_socket::pair();
    auto& a = sockets.first;
    auto& b = sockets.second;
    a.set_timeout(step_timeout);
    b.set_timeout(step_timeout);
    const int small = 64 << 10;
    ::setsockopt(a.native_handle(), SOL_SOCKET, SO_SNDBUF, &small, sizeof small);
    const auto received = send_all_under_interruptions(a, b, parts, source.size());
    ASSERT_EQ(received.size(), source.size());
    EXPECT_TRUE(received == source);
    EXPECT_GT(interrupting_signal::delivered(), 0);
}

TEST(StreamSocket, SendAllResumesInterruptedWritesOverTcp) {
    const auto source = random_bytes(8 << 20, 3);
    const std::array<std::span<const std::byte>, 3> parts{
        std::span(source).first(7), std::span(source).subspan(7, 5 << 20), std::span(source).subspan((5 << 20) + 7)};
    auto listener = stream_listener::listen_tcp("127.0.0.1:0");
    auto c = connect_to(listener, [&] { return stream_socket::connect(listener.local_endpoint()); });
    const auto received = send_all_under_interruptions(c.client, c.server, parts, source.size());
    ASSERT_EQ(received.size(), source.size());
    EXPECT_TRUE(received == source);
}

TEST(StreamSocket, NonBlockingSendSomeWritesPartiallyThenSaysTryAgain) {
    auto sockets = stream_socket::pair();
    auto& a = sockets.first;
    a.set_nonblocking(true);
    const bytes big(8 << 20, std::byte{0x5a});
    const std::size_t first = a.send_some(big);
    EXPECT_GT(first, 0u);
    EXPECT_LT(first, big.size());
    std::error_code error;
    for (int i = 0; i < 100'000 && !error; ++i) {
        const std::array<std::span<const std::byte>, 1> rest{std::span(big)};
        (void)a.send_some(rest, error);
    }
    EXPECT_EQ(error, std::errc::resource_unavailable_try_again);
    const auto thrown = error_of([&] { (void)a.send_some(big); });
    ASSERT_TRUE(thrown);
    EXPECT_EQ(thrown, std::errc::resource_unavailable_try_again);
}

// ---------------------------------------------------------------------------------------
// A closed peer: an error, never SIGPIPE

namespace {

/// The test is only meaningful while SIGPIPE would kill the process.
void expect_sigpipe_is_fatal() {
    struct sigaction current {};
    ASSERT_EQ(::sigaction(SIGPIPE, nullptr, &current), 0);
    ASSERT_EQ(current.sa_handler, SIG_DFL) << "something ignores SIGPIPE: this test would prove nothing";
}

void expect_send_fails_as_closed(stream_socket& socket) {
    const bytes chunk(64 << 10, std::byte{1});
    std::error_code error;
    for (int attempt = 0; attempt < 10'000 && !error; ++attempt) {
        error = error_of([&] { socket.send_all(chunk); });
        if (!error) std::this_thread::sleep_for(1ms);
    }
    ASSERT_TRUE(error) << "sending to a closed peer never failed";
    EXPECT_TRUE(error == std::errc::broken_pipe || error == std::errc::connection_reset) << error.message();
}

}  // namespace

TEST(StreamSocket, SendToAClosedTcpPeerIsBrokenPipeNotSigpipe) {
    expect_sigpipe_is_fatal();
    auto listener = stream_listener::listen_tcp("127.0.0.1:0");
    auto c = connect_to(listener, [&] { return stream_socket::connect(listener.local_endpoint()); });
    c.server.close();
    expect_send_fails_as_closed(c.client);
}

TEST(StreamSocket, SendToAClosedUnixPeerIsBrokenPipeNotSigpipe) {
    expect_sigpipe_is_fatal();
    auto sockets = stream_socket::pair();
    auto& a = sockets.first;
    auto& b = sockets.second;
    a.set_timeout(step_timeout);
    b.close();
    expect_send_fails_as_closed(a);
    std::error_code error;
    const std::array<std::span<const std::byte>, 1> parts{as_bytes("more")};
    EXPECT_EQ(a.send_some(parts, error), 0u);
    EXPECT_EQ(error, std::errc::broken_pipe);
}

TEST(StreamSocket, RecvReportsEndOfStreamAsZero) {
    auto sockets = stream_socket::pair();
    auto& a = sockets.first;
    auto& b = sockets.second;
    a.set_timeout(step_timeout);
    b.close();
    std::array<std::byte, 16> buffer{};
    EXPECT_EQ(a.recv_some(buffer), 0u);
    EXPECT_EQ(a.recv_some(std::span<std::byte>()), 0u);
}

// ---------------------------------------------------------------------------------------
// Timeouts and non-blocking mode

TEST(StreamSocket, RecvFromASilentPeerTimesOut) {
    auto sockets = stream_socket::pair();
    auto& a = sockets.first;
    a.set_timeout(100ms);
    std::array<std::byte, 16> buffer{};
    const auto start = steady::now();
    const auto error = error_of([&] { (void)a.recv_some(buffer); });
    const auto elapsed = steady::now() - start;
    ASSERT_TRUE(error);
    EXPECT_EQ(error, std::errc::timed_out);
    EXPECT_GE(elapsed, 80ms);
    EXPECT_LT(elapsed, 5s);

    std::error_code code;
    EXPECT_EQ(a.recv_some(buffer, code), 0u);
    EXPECT_EQ(code, std::errc::timed_out);
    EXPECT_NE(message_of([&] { (void)a.recv_some(buffer); }).find("recv"), std::string::npos);
}

TEST(StreamSocket, RecvTimeoutOverTcpNamesThePeer) {
    auto listener = stream_listener::listen_tcp("127.0.0.1:0");
    auto c = connect_to(listener, [&] { return stream_socket::connect(listener.local_endpoint()); });
    c.client.set_timeout(50ms);
    std::array<std::byte, 16> buffer{};
    const auto message = message_of([&] { (void)c.client.recv_some(buffer); });
    EXPECT_EQ(message.rfind("recv " + listener.local_endpoint().to_string(), 0), 0u) << message;
}

TEST(StreamSocket, SendToAPeerThatNeverReadsTimesOut) {
    auto sockets = stream_socket::pair();
    auto& a = sockets.first;
    a.set_timeout(100ms);
    // 256 MiB by reference to one MiB: far more than any socket buffer, without the memory.
    const bytes mebibyte(1 << 20);
    const std::vector<std::span<const std::byte>> parts(256, std::span(mebibyte));
    const auto start = steady::now();
    const auto error = error_of([&] { a.send_all(parts); });
    ASSERT_TRUE(error);
    EXPECT_EQ(error, std::errc::timed_out);
    EXPECT_LT(steady::now() - start, 5s);
    // The part that went is not lost without a word: the message counts it.
    const auto message = message_of([&] { a.send_all(parts); });
    EXPECT_NE(message.find(" of " + std::to_string(256 << 20) + " bytes written"), std::string::npos) << message;
}

TEST(StreamSocket, SendAllRefusesANonBlockingSocketOnceItIsFull) {
    auto sockets = stream_socket::pair();
    auto& a = sockets.first;
    a.set_nonblocking(true);
    // While the buffer has room nothing is wrong, and nothing is reported.
    a.send_all(as_bytes("fits"));
    // Once it is full, send_all cannot go on and cannot say how much it wrote: refused
    // with a code of its own, so that a caller retrying on EAGAIN does not resend a prefix.
    const bytes big(8 << 20, std::byte{0x5a});
    try {
        a.send_all(big);
        FAIL() << "8 MiB went into a socket nobody reads";
    } catch (const std::system_error& failure) {
        EXPECT_EQ(failure.code(), std::errc::operation_not_supported);
        const std::string message = failure.what();
        EXPECT_NE(message.find("non-blocking"), std::string::npos) << message;
        EXPECT_NE(message.find(" of " + std::to_string(big.size()) + " bytes"), std::string::npos) << message;
        EXPECT_NE(message.find("send_some"), std::string::npos) << message;
    }
}

TEST(StreamSocket, TimeoutCanBeClearedAndMustBePositive) {
    auto sockets = stream_socket::pair();
    auto& a = sockets.first;
    a.set_timeout(100ms);
    a.set_timeout(std::nullopt);
    EXPECT_EQ(error_of([&] { a.set_timeout(0ms); }), std::errc::invalid_argument);
    EXPECT_TRUE(error_of([&] { a.set_timeout(-5ms); }));
}

TEST(StreamSocket, ConnectRefusesAZeroOrNegativeTimeoutAsSetTimeoutDoes) {
    auto listener = stream_listener::listen_tcp("127.0.0.1:0");
    const auto at = listener.local_endpoint();
    const auto port = std::to_string(at.port());
    for (const auto timeout : {0ms, -1ms, -5000ms}) {
        SCOPED_TRACE(timeout.count());
        EXPECT_EQ(error_of([&] { (void)stream_socket::connect(at, timeout); }), std::errc::invalid_argument);
        EXPECT_EQ(error_of([&] { (void)stream_socket::connect_tcp("127.0.0.1:" + port, timeout); }),
                  std::errc::invalid_argument);
    }
    const auto message = message_of([&] { (void)stream_socket::connect(at, 0ms); });
    EXPECT_EQ(message.rfind("connect " + at.to_string() + ": the timeout must be positive", 0), 0u) << message;
    // Nothing reached the listener.
    listener.set_nonblocking(true);
    std::error_code error;
    EXPECT_FALSE(listener.accept(error).is_open());
    EXPECT_EQ(error, std::errc::resource_unavailable_try_again);
}

namespace {

/// Connects to `at` (whose listener never accepts and has a backlog of 1) until a
/// connect times out; the earlier connections stay open to fill the queue.
void expect_connect_times_out(const endpoint& at) {
    std::vector<stream_socket> queued;
    for (int attempt = 0; attempt < 64; ++attempt) {
        const auto start = steady::now();
        try {
            queued.push_back(stream_socket::connect(at, 200ms));
        } catch (const std::system_error& failure) {
            const auto elapsed = steady::now() - start;
            EXPECT_EQ(failure.code(), std::errc::timed_out) << failure.what();
            EXPECT_GE(elapsed, 150ms);
            EXPECT_LT(elapsed, 5s);
            EXPECT_EQ(std::string(failure.what()).rfind("connect " + at.to_string(), 0), 0u) << failure.what();
            return;
        }
    }
    ADD_FAILURE() << "64 connections into a backlog of 1 and none timed out";
}

}  // namespace

TEST(StreamSocket, ConnectToAFullTcpBacklogTimesOut) {
    auto listener = stream_listener::listen_tcp("127.0.0.1:0", 1);
    expect_connect_times_out(listener.local_endpoint());
}

TEST(StreamSocket, ConnectToAFullUnixBacklogTimesOut) {
    const auto name = unique_abstract_name();
    auto listener = stream_listener::listen_unix(name, {}, 1);
    expect_connect_times_out(listener.local_endpoint());
}

namespace {

/// Waits (up to `step_timeout`) until thread `tid` of this process sleeps in the system
/// call `number`, as /proc/self/task/TID/syscall tells ("running" while it runs); false
/// when it does not, or has ended. Where the kernel has no such file, waits a fixed
/// 200 ms and says true.
bool wait_until_blocked_in(pid_t tid, long number) {
    const auto task = "/proc/self/task/" + std::to_string(tid);
    if (!std::filesystem::exists(task + "/syscall")) {
        if (!std::filesystem::exists(task)) return false;
        std::this_thread::sleep_for(200ms);
        return true;
    }
    const auto give_up = steady::now() + step_timeout;
    while (steady::now() < give_up) {
        std::ifstream in(task + "/syscall");
        if (!in) return false;  // the thread has ended
        std::string current;
        in >> current;
        if (current == std::to_string(number)) return true;
        std::this_thread::sleep_for(1ms);
    }
    return false;
}

}  // namespace

TEST(StreamSocket, UnixConnectInterruptedBySignalsStillConnects) {
    // A blocking Unix connect to a full backlog waits in the kernel; a signal handled
    // without SA_RESTART makes it return EINTR with the socket left unconnected. connect
    // must ask again (and wait again), not take the socket for connected.
    const auto name = unique_abstract_name();
    auto listener = stream_listener::listen_unix(name, {}, 0);
    const auto at = listener.local_endpoint();
    std::vector<net::file_descriptor> queued;
    for (int attempt = 0; attempt < 16; ++attempt) {
        net::file_descriptor filler(::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
        ASSERT_TRUE(filler);
        if (::connect(filler.get(), at.data(), at.size()) != 0) {
            ASSERT_EQ(errno, EAGAIN) << std::strerror(errno);
            break;
        }
        queued.push_back(std::move(filler));
    }
    ASSERT_FALSE(queued.empty());

    const interrupting_signal handler;
    const int delivered_before = interrupting_signal::delivered();
    std::atomic<pid_t> connecting_tid{0};
    std::atomic<bool> returned{false};
    stream_socket client;
    std::optional<std::system_error> failure;
    std::thread connecting([&] {
        connecting_tid = ::gettid();
        try {
            client = stream_socket::connect_unix(name);
        } catch (const std::system_error& error) {
            failure = error;
        }
        returned = true;
    });
    // However the test ends, the thread is joined: closing the listener ends a connect
    // still waiting (ECONNREFUSED).
    const std::function<void()> join = [&] {
        if (!connecting.joinable()) return;
        for (const auto give_up = steady::now() + step_timeout; !returned.load() && steady::now() < give_up;) {
            std::this_thread::sleep_for(1ms);
        }
        if (!returned.load()) listener.close();
        connecting.join();
    };
    struct run_at_exit {
        const std::function<void()>& run;
        ~run_at_exit() { run(); }
    } const join_at_exit{join};
    while (connecting_tid.load() == 0) std::this_thread::yield();

    // Each signal only once the previous one has been handled and connect waits again.
    constexpr int interruptions = 3;
    int handled = 0;
    for (; handled < interruptions; ++handled) {
        if (!wait_until_blocked_in(connecting_tid.load(), SYS_connect)) break;
        ::pthread_kill(connecting.native_handle(), SIGUSR1);
        const auto give_up = steady::now() + step_timeout;
        while (interrupting_signal::delivered() - delivered_before <= handled && steady::now() < give_up) {
            std::this_thread::sleep_for(1ms);
        }
    }
    EXPECT_EQ(interrupting_signal::delivered() - delivered_before, interruptions);
    EXPECT_EQ(handled, interruptions) << "connect returned after a signal instead of waiting on";
    EXPECT_TRUE(wait_until_blocked_in(connecting_tid.load(), SYS_connect))
        << "connect returned after a signal instead of waiting on";
    EXPECT_FALSE(returned.load());

    // Room in the queue: the waiting connect goes through.
    const auto fillers = queued.size();
    for (std::size_t i = 0; i < fillers; ++i) (void)accept_within(listener);
    join();
    ASSERT_FALSE(failure) << failure->what();
    ASSERT_TRUE(client.is_open());
    auto server = accept_within(listener);
    EXPECT_EQ(client.peer_endpoint(), at);
    client.set_timeout(step_timeout);
    client.send_all(as_bytes("through"));
    bytes got(7);
    ASSERT_TRUE(recv_exact(server, got));
    EXPECT_EQ(as_text(got), "through");
}

TEST(StreamSocket, NonBlockingRecvSaysTryAgain) {
    auto sockets = stream_socket::pair();
    auto& a = sockets.first;
    auto& b = sockets.second;
    a.set_nonblocking(true);
    EXPECT_TRUE(is_nonblocking(a.native_handle()));
    std::array<std::byte, 16> buffer{};
    std::error_code error;
    EXPECT_EQ(a.recv_some(buffer, error), 0u);
    EXPECT_EQ(error, std::errc::resource_unavailable_try_again);
    // A timeout set on a non-blocking socket does not turn "not now" into a timeout.
    a.set_timeout(100ms);
    EXPECT_EQ(error_of([&] { (void)a.recv_some(buffer); }),
              std::errc::resource_unavailable_try_again);

    b.send_all(as_bytes("now"));
    a.set_nonblocking(false);
    EXPECT_FALSE(is_nonblocking(a.native_handle()));
    EXPECT_EQ(a.recv_some(buffer, error), 3u);
    EXPECT_FALSE(error);
}

TEST(StreamListener, NonBlockingAcceptSaysTryAgain) {
    auto listener = stream_listener::listen_tcp("127.0.0.1:0");
    listener.set_nonblocking(true);
    std::error_code error;
    auto nobody = listener.accept(error);
    EXPECT_FALSE(nobody.is_open());
    EXPECT_EQ(error, std::errc::resource_unavailable_try_again);
    EXPECT_EQ(error_of([&] { (void)listener.accept(); }),
              std::errc::resource_unavailable_try_again);

    auto client = stream_socket::connect(listener.local_endpoint());
    pollfd request{listener.native_handle(), POLLIN, 0};
    ASSERT_EQ(::poll(&request, 1, 10'000), 1);
    auto accepted = listener.accept(error);
    EXPECT_FALSE(error);
    EXPECT_TRUE(accepted.is_open());
    EXPECT_TRUE(is_close_on_exec(accepted.native_handle()));
}

// ---------------------------------------------------------------------------------------
// Unix socket files: stale ones, other people's files, and cleaning up

TEST(UnixListener, RemovesAStaleSocketFileAndBinds) {
    const temporary_directory directory;
    const auto path = directory.file("stale.sock");
    make_stale_socket_file(path);
    ASSERT_TRUE(exists_without_following(path));

    auto listener = stream_listener::listen_unix(path);
    auto c = connect_to(listener, [&] { return stream_socket::connect_unix(path); });
    expect_round_trip(c);
}

TEST(UnixListener, KeepsAStaleSocketFileWhenAskedTo) {
    const temporary_directory directory;
    const auto path = directory.file("stale.sock");
    make_stale_socket_file(path);
    const net::unix_listen_options keep_stale{.remove_stale = false, .permissions = std::nullopt};
    const auto error = error_of([&] { (void)stream_listener::listen_unix(path, keep_stale); });
    ASSERT_TRUE(error);
    EXPECT_EQ(error, std::errc::address_in_use);
    EXPECT_TRUE(exists_without_following(path));
}

TEST(UnixListener, RefusesARegularFileAndLeavesItAlone) {
    const temporary_directory directory;
    const auto path = directory.file("precious.txt");
    write_file(path, "do not delete me");
    try {
        (void)stream_listener::listen_unix(path);
        FAIL() << "bound over a regular file";
    } catch (const std::system_error& failure) {
        EXPECT_EQ(failure.code(), std::errc::address_in_use);
        EXPECT_NE(std::string(failure.what()).find("bind " + path), std::string::npos) << failure.what();
    }
    EXPECT_EQ(read_file(path), "do not delete me");
}

TEST(UnixListener, RefusesADirectoryAndLeavesItAlone) {
    const temporary_directory directory;
    const auto path = directory.file("a-directory");
    ASSERT_EQ(::mkdir(path.c_str(), 0755), 0);
    write_file(path + "/inside", "content");
    EXPECT_TRUE(error_of([&] { (void)stream_listener::listen_unix(path); }));
    struct stat info {};
    ASSERT_EQ(::lstat(path.c_str(), &info), 0);
    EXPECT_TRUE(S_ISDIR(info.st_mode));
    EXPECT_EQ(read_file(path + "/inside"), "content");
}

TEST(UnixListener, NeverStealsALiveServersPath) {
    const temporary_directory directory;
    const auto path = directory.file("live.sock");
    auto live = stream_listener::listen_unix(path);

    const auto error = error_of([&] { (void)stream_listener::listen_unix(path); });
    ASSERT_TRUE(error);
    EXPECT_EQ(error, std::errc::address_in_use);
    ASSERT_TRUE(exists_without_following(path));

    // The live server still takes connections, and never saw the refused listener's
    // probe (a datagram connect, which a stream socket never gets): the first connection
    // it accepts is the client's.
    auto client = stream_socket::connect_unix(path);
    client.set_timeout(step_timeout);
    client.send_all(as_bytes("hi"));
    auto server = accept_within(live);
    std::array<std::byte, 2> greeting{};
    ASSERT_TRUE(recv_exact(server, greeting));
    EXPECT_EQ(as_text(greeting), "hi");
}

TEST(UnixListener, NeverStealsTheFileOfASocketBoundButNotYetListening) {
    // A server between its bind and its listen (or a client that bound its own name)
    // refuses stream connections just like a dead file does; its file must stay.
    const temporary_directory directory;
    for (const int type : {SOCK_STREAM, SOCK_SEQPACKET, SOCK_DGRAM}) {
        SCOPED_TRACE(type);
        const auto path = directory.file("starting.sock");
        const auto at = endpoint::unix_path(path);
        net::file_descriptor starting(::socket(AF_UNIX, type | SOCK_CLOEXEC, 0));
        ASSERT_TRUE(starting);
        ASSERT_EQ(::bind(starting.get(), at.data(), at.size()), 0) << std::strerror(errno);
        struct stat before {};
        ASSERT_EQ(::lstat(path.c_str(), &before), 0);

        const auto error = error_of([&] { (void)stream_listener::listen_unix(path); });
        EXPECT_EQ(error, std::errc::address_in_use);
        struct stat after {};
        ASSERT_EQ(::lstat(path.c_str(), &after), 0);
        EXPECT_EQ(after.st_ino, before.st_ino) << "the bound socket's file was replaced";

        if (type == SOCK_STREAM) {
            // Its server finishes starting and is reachable at its path.
            ASSERT_EQ(::listen(starting.get(), 4), 0);
            auto client = stream_socket::connect_unix(path);
            EXPECT_EQ(client.peer_endpoint(), at);
        }
        starting.reset();
        ASSERT_EQ(::unlink(path.c_str()), 0);
    }
}

TEST(UnixListener, AbstractNameInUseIsRefused) {
    const auto name = unique_abstract_name();
    auto live = stream_listener::listen_unix(name);
    const auto error = error_of([&] { (void)stream_listener::listen_unix(name); });
    ASSERT_TRUE(error);
    EXPECT_EQ(error, std::errc::address_in_use);
}

TEST(UnixListener, RemovesItsSocketFileOnCloseAndDestruction) {
    const temporary_directory directory;
    const auto path = directory.file("mine.sock");
    {
        auto listener = stream_listener::listen_unix(path);
        EXPECT_TRUE(exists_without_following(path));
    }
    EXPECT_FALSE(exists_without_following(path));

    auto listener = stream_listener::listen_unix(path);
    listener.close();
    EXPECT_FALSE(listener.is_open());
    EXPECT_FALSE(exists_without_following(path));
    listener.close();  // twice is harmless
}

TEST(UnixListener, LeavesAReplacedFileAlone) {
    const temporary_directory directory;
    const auto path = directory.file("replaced.sock");
    auto listener = stream_listener::listen_unix(path);
    ASSERT_EQ(::unlink(path.c_str()), 0);
    write_file(path, "someone else's");
    listener.close();
    EXPECT_EQ(read_file(path), "someone else's");
}

TEST(UnixListener, LeavesASuccessorsSocketAlone) {
    const temporary_directory directory;
    const auto path = directory.file("successor.sock");
    auto first = stream_listener::listen_unix(path);
    ASSERT_EQ(::unlink(path.c_str()), 0);
    auto second = stream_listener::listen_unix(path);
    first.close();
    ASSERT_TRUE(exists_without_following(path));
    auto c = connect_to(second, [&] { return stream_socket::connect_unix(path); });
    expect_round_trip(c);
    second.close();
    EXPECT_FALSE(exists_without_following(path));
}

TEST(UnixListener, MoveTransfersTheFileRemoval) {
    const temporary_directory directory;
    const auto path = directory.file("moved.sock");
    auto original = stream_listener::listen_unix(path);
    stream_listener constructed(std::move(original));
    original.close();
    EXPECT_TRUE(exists_without_following(path)) << "a moved-from listener removed the file";

    stream_listener assigned;
    assigned = std::move(constructed);
    constructed.close();
    EXPECT_TRUE(exists_without_following(path));
    auto c = connect_to(assigned, [&] { return stream_socket::connect_unix(path); });
    expect_round_trip(c);

    // Assigning over a listener closes it, file included.
    const auto other_path = directory.file("other.sock");
    assigned = stream_listener::listen_unix(other_path);
    EXPECT_FALSE(exists_without_following(path));
    assigned.close();
    EXPECT_FALSE(exists_without_following(other_path));
}

TEST(UnixListener, RelativePathIsRemovedAfterAChdir) {
    const temporary_directory directory;
    const auto previous = std::filesystem::current_path();
    std::filesystem::current_path(directory.file(""));
    stream_listener listener;
    const auto error = error_of([&] { listener = stream_listener::listen_unix("relative.sock"); });
    std::filesystem::current_path(previous);
    ASSERT_FALSE(error) << error.message();
    EXPECT_TRUE(exists_without_following(directory.file("relative.sock")));
    listener.close();
    EXPECT_FALSE(exists_without_following(directory.file("relative.sock")));
}

TEST(UnixListener, AppliesPermissions) {
    const temporary_directory directory;
    for (const mode_t mode : {mode_t{0600}, mode_t{0660}, mode_t{0606}}) {
        const auto path = directory.file("mode.sock");
        auto listener = stream_listener::listen_unix(path, {.permissions = mode});
        struct stat info {};
        ASSERT_EQ(::lstat(path.c_str(), &info), 0);
        EXPECT_TRUE(S_ISSOCK(info.st_mode));
        EXPECT_EQ(info.st_mode & 07777, mode);
    }
}

TEST(UnixListener, PermissionsAreExactWhateverTheUmask) {
    // The file is created with the mode less the umask (never wider than asked), then
    // given the whole mode once the socket listens.
    const temporary_directory directory;
    const mode_t previous = ::umask(0077);
    const auto path = directory.file("shared.sock");
    std::optional<stream_listener> listener;
    const auto error = error_of([&] { listener = stream_listener::listen_unix(path, {.permissions = 0666}); });
    ::umask(previous);
    ASSERT_FALSE(error) << error.message();
    struct stat info {};
    ASSERT_EQ(::lstat(path.c_str(), &info), 0);
    EXPECT_EQ(info.st_mode & 07777, 0666U);
    auto c = connect_to(*listener, [&] { return stream_socket::connect_unix(path); });
    expect_round_trip(c);
}

TEST(UnixListener, PathTooLongIsRefused) {
    const std::string too_long = "/tmp/" + std::string(103, 'p');
    const auto error = error_of([&] { (void)stream_listener::listen_unix(too_long); });
    ASSERT_TRUE(error);
    EXPECT_EQ(error, std::errc::filename_too_long);
    EXPECT_TRUE(error_of([&] { (void)stream_socket::connect_unix(too_long); }));
}

TEST(UnixListener, ListenOnAUnixEndpointCleansUpLikeListenUnix) {
    const temporary_directory directory;
    const auto path = directory.file("by-endpoint.sock");
    {
        auto listener = stream_listener::listen(endpoint::unix_path(path));
        auto c = connect_to(listener, [&] { return stream_socket::connect(endpoint::unix_path(path)); });
        expect_round_trip(c);
    }
    EXPECT_FALSE(exists_without_following(path));
}

// ---------------------------------------------------------------------------------------
// No descriptor leaks, on success or failure

TEST(FileDescriptors, NoneLeakOnSuccessOrErrorPaths) {
    const temporary_directory directory;
    const auto exercise = [&] {
        std::string closed_port;
        {
            auto listener = stream_listener::listen_tcp("127.0.0.1:0");
            closed_port = listener.local_endpoint().to_string();
            auto c = connect_to(listener, [&] { return stream_socket::connect_tcp(closed_port); });
            expect_round_trip(c);
            EXPECT_TRUE(error_of([&] { (void)stream_listener::listen_tcp(closed_port); }));
            listener.set_nonblocking(true);
            std::error_code error;
            (void)listener.accept(error);
            EXPECT_TRUE(error);
        }
        for (int i = 0; i < 5; ++i) {
            EXPECT_TRUE(error_of([&] { (void)stream_socket::connect_tcp(closed_port); }));
            EXPECT_TRUE(error_of([&] { (void)stream_socket::connect_tcp(closed_port, 1s); }));
        }
        EXPECT_TRUE(error_of([&] { (void)stream_socket::connect_unix(directory.file("nobody.sock")); }));
        EXPECT_TRUE(error_of([] { (void)endpoint::resolve("[localhost]:1"); }));
        EXPECT_TRUE(error_of([] { (void)endpoint::resolve("no-port"); }));

        const auto regular = directory.file("regular");
        write_file(regular, "x");
        EXPECT_TRUE(error_of([&] { (void)stream_listener::listen_unix(regular); }));

        const auto stale = directory.file("stale.sock");
        make_stale_socket_file(stale);
        {
            auto live = stream_listener::listen_unix(stale);
            EXPECT_TRUE(error_of([&] { (void)stream_listener::listen_unix(stale); }));
        }

        {
            auto full = stream_listener::listen_unix(unique_abstract_name(), {}, 1);
            expect_connect_times_out(full.local_endpoint());
        }

        auto sockets = stream_socket::pair();
        auto& a = sockets.first;
        auto& b = sockets.second;
        a.set_timeout(20ms);
        std::array<std::byte, 4> buffer{};
        EXPECT_TRUE(error_of([&] { (void)a.recv_some(buffer); }));
        b.close();
        expect_send_fails_as_closed(a);
    };
    exercise();  // first use may open descriptors that stay (name service, ...)
    const int before = open_descriptor_count();
    ASSERT_GT(before, 0);
    exercise();
    exercise();
    EXPECT_EQ(open_descriptor_count(), before);
}

// ---------------------------------------------------------------------------------------
// Frames over a stream: send_frame, send_frames, frame_reader

TEST(FrameStream, FramesArriveWholeAndTheEndBetweenFramesIsClean) {
    auto sockets = stream_socket::pair();
    auto& writer = sockets.first;
    auto& reading = sockets.second;
    reading.set_timeout(step_timeout);
    const bytes large = random_bytes(300000, 7);
    wirepack::frame_batch<> batch;
    batch.add(bytes{});
    batch.add(large);                     // referenced, not copied
    batch.add(wirepack::pack<"<hh">(1, 2));
    std::thread send([&] {
        net::send_frame(writer, wirepack::pack<"!H">(0xbeef));
        net::send_frames(writer, batch);
        writer.close();
    });
    net::frame_reader reader(reading, {}, 4096);  // small reads: frames span many of them
    std::vector<bytes> got;
    while (auto frame = reader.recv_frame()) got.emplace_back(frame->payload.begin(), frame->payload.end());
    send.join();
    ASSERT_EQ(got.size(), 4u);
    EXPECT_EQ(got[0], (bytes{std::byte{0xbe}, std::byte{0xef}}));
    EXPECT_TRUE(got[1].empty());
    EXPECT_EQ(got[2], large);
    EXPECT_EQ(got[3].size(), 4u);
}

TEST(FrameStream, EndInsideAFrameNamesTheMissingBytes) {
    auto sockets = stream_socket::pair();
    auto& writer = sockets.first;
    auto& reading = sockets.second;
    reading.set_timeout(step_timeout);
    const auto header = wirepack::frame_encoder<>::header_for(10);
    writer.send_all(header);
    writer.send_all(bytes(3, std::byte{1}));  // 3 of the 10 payload bytes
    writer.close();
    net::frame_reader reader(reading);
    try {
        (void)reader.recv_frame();
        FAIL() << "a frame cut short was accepted";
    } catch (const wirepack::error& e) {
        EXPECT_EQ(e.code(), wirepack::errc::truncated_frame);
        EXPECT_STREQ(e.what(), "stream ended 7 bytes short of a complete frame");
    }
}

TEST(FrameStream, EndInsideAHeaderIsTruncatedToo) {
    auto sockets = stream_socket::pair();
    auto& writer = sockets.first;
    auto& reading = sockets.second;
    writer.send_all(bytes(2, std::byte{0}));
    writer.close();
    net::frame_reader reader(reading);
    EXPECT_THROW((void)reader.recv_frame(), wirepack::error);
}

TEST(FrameStream, OversizeLengthIsRefusedBeforeItsPayloadArrives) {
    auto sockets = stream_socket::pair();
    auto& writer = sockets.first;
    auto& reading = sockets.second;
    reading.set_timeout(step_timeout);
    writer.send_all(wirepack::frame_encoder<>::header_for(0xffffffff));  // and nothing more
    net::frame_reader reader(reading, {.max_payload = 1 << 20});
    try {
        (void)reader.recv_frame();
        FAIL() << "an oversize frame was accepted";
    } catch (const wirepack::error& e) {
        EXPECT_EQ(e.code(), wirepack::errc::frame_too_large);
    }
}

TEST(FrameStream, SilentPeerTimesOut) {
    auto sockets = stream_socket::pair();  // sockets.first stays open and says nothing
    auto& reading = sockets.second;
    reading.set_timeout(50ms);
    net::frame_reader reader(reading);
    try {
        (void)reader.recv_frame();
        FAIL() << "no timeout";
    } catch (const std::system_error& e) {
        EXPECT_EQ(e.code(), std::errc::timed_out);
    }
}

// ---------------------------------------------------------------------------------------
// Many clients at once: "!I" frames through send_frame and frame_reader, echoed back

namespace {

constexpr int client_count = 32;
constexpr int round_trips_per_client = 1000;
constexpr std::size_t largest_payload = 256 << 10;

/// Mostly small payloads (up to 2 KiB), one in 16 up to 256 KiB: every size occurs while
/// the total stays near 280 MiB each way, which a sanitizer build also gets through in seconds.
std::size_t random_payload_size(std::mt19937_64& generator) {
    if (generator() % 16 == 0) return generator() % (largest_payload + 1);
    return generator() % 2049;
}

/// Echoes frames until the client closes its end between two frames.
void echo_frames(stream_socket socket) {
    try {
        wirepack::net::frame_reader reader(socket, {.max_payload = largest_payload});
        int frames = 0;
        while (auto frame = reader.recv_frame()) {
            wirepack::net::send_frame(socket, frame->payload);
            ++frames;
        }
        EXPECT_EQ(frames, round_trips_per_client);
    } catch (const std::exception& failure) {
        ADD_FAILURE() << "echo server: " << failure.what();
    }
}

/// What came back intact, over every client.
struct echo_totals {
    std::atomic<int> frames{0};
    std::atomic<std::uint64_t> payload_bytes{0};
};

/// Sends `round_trips_per_client` frames one after the other and checks each echo.
void run_client(int client, const std::function<stream_socket()>& connect_client, echo_totals& totals) {
    try {
        auto socket = connect_client();
        socket.set_timeout(30s);
        std::mt19937_64 generator(static_cast<std::uint64_t>(client) + 1);
        const auto pool = random_bytes(largest_payload + 64, static_cast<std::uint64_t>(client) + 1000);
        bytes payload;
        wirepack::net::frame_reader reader(socket, {.max_payload = largest_payload});
        for (int frame = 0; frame < round_trips_per_client; ++frame) {
            const std::size_t size = random_payload_size(generator);
            const std::size_t start = generator() % 64;
            payload.assign(pool.begin() + static_cast<std::ptrdiff_t>(start),
                           pool.begin() + static_cast<std::ptrdiff_t>(start + size));
            // The frame number in the first bytes: a reordered or repeated frame cannot pass.
            const auto number = wirepack::pack<"!I">(frame);
            std::copy_n(number.begin(), std::min(size, number.size()), payload.begin());

            wirepack::net::send_frame(socket, payload);
            const auto echo = reader.recv_frame();
            ASSERT_TRUE(echo) << "client " << client << " frame " << frame << ": the server closed";
            ASSERT_TRUE(std::ranges::equal(echo->payload, payload))
                << "client " << client << " frame " << frame << " came back different";
            totals.frames.fetch_add(1, std::memory_order_relaxed);
            totals.payload_bytes.fetch_add(size, std::memory_order_relaxed);
        }
        socket.shutdown_send();
        std::array<std::byte, 1> after{};
        EXPECT_EQ(socket.recv_some(after), 0u) << "bytes after the last echo";
    } catch (const std::exception& failure) {
        ADD_FAILURE() << "client " << client << ": " << failure.what();
    }
}

void run_many_clients(stream_listener& listener, const std::function<stream_socket()>& connect_client) {
    std::thread server([&] {
        std::vector<std::thread> handlers;
        try {
            for (int i = 0; i < client_count; ++i) {
                auto accepted = accept_within(listener, 30s);
                accepted.set_timeout(30s);
                handlers.emplace_back(echo_frames, std::move(accepted));
            }
        } catch (const std::exception& failure) {
            ADD_FAILURE() << "accepting: " << failure.what();
        }
        for (auto& handler : handlers) handler.join();
    });
    std::vector<std::thread> clients;
    echo_totals totals;
    for (int client = 0; client < client_count; ++client) {
        clients.emplace_back(run_client, client, std::cref(connect_client), std::ref(totals));
    }
    for (auto& client : clients) client.join();
    server.join();
    EXPECT_EQ(totals.frames.load(), client_count * round_trips_per_client);
    // The same seeds every run: about 280 MiB, of which a few hundred frames over 128 KiB.
    EXPECT_GT(totals.payload_bytes.load(), std::uint64_t{200} << 20);
}

}  // namespace

TEST(StreamConcurrency, ThirtyTwoClientsEchoFramesOverIpv4) {
    auto listener = stream_listener::listen_tcp("127.0.0.1:0");
    const auto at = listener.local_endpoint();
    run_many_clients(listener, [at] {
        auto socket = stream_socket::connect(at, step_timeout);
        socket.set_no_delay(true);
        return socket;
    });
}

TEST(StreamConcurrency, ThirtyTwoClientsEchoFramesOverIpv6) {
    SKIP_WITHOUT_IPV6();
    auto listener = stream_listener::listen_tcp("[::1]:0");
    const auto at = listener.local_endpoint().to_string();
    run_many_clients(listener, [at] {
        auto socket = stream_socket::connect_tcp(at, step_timeout);
        socket.set_no_delay(true);
        return socket;
    });
}

TEST(StreamConcurrency, ThirtyTwoClientsEchoFramesOverUnix) {
    const temporary_directory directory;
    const auto path = directory.file("concurrency.sock");
    auto listener = stream_listener::listen_unix(path);
    run_many_clients(listener, [path] { return stream_socket::connect_unix(path); });
}
