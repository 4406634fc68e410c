/// \file
/// `echo-server --udp`, `send --udp`, `send --multicast` and `listen --multicast`
/// (see datagram_commands.hpp for what they do, main.cpp for how they are reached).

#include "datagram_commands.hpp"

#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <optional>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

#include <wirepack/datagram.hpp>
#include <wirepack/error.hpp>
#include <wirepack/net/endpoint.hpp>
#include <wirepack/net/file_descriptor.hpp>
#include <wirepack/net/udp.hpp>
#include <wirepack/runtime_struct.hpp>

namespace wirepack::cli {
namespace {

using std::chrono::milliseconds;

/// Receive buffers: over the largest UDP payload of either family, so that only a
/// datagram no UDP peer can send is ever truncated.
constexpr std::size_t receive_buffer_size = 65536;
static_assert(receive_buffer_size > max_udp_payload_ipv4 && receive_buffer_size > max_udp_payload_ipv6);

/// Datagrams handled per readiness event before the loop looks at its signals again.
constexpr int datagrams_per_turn = 64;

constexpr std::uint64_t stop_key = 0;
constexpr std::uint64_t socket_key = 1;

constexpr std::array<std::string_view, 1> udp_echo_server_options{"--udp"};
constexpr std::array<std::string_view, 2> udp_send_options{"--udp", "--timeout"};
constexpr std::array<std::string_view, 3> multicast_send_options{"--multicast", "--iface", "--ttl"};
constexpr std::array<std::string_view, 5> listen_option_names{"--multicast", "--iface", "--format", "--count",
                                                              "--timeout"};

// ---- pieces ------------------------------------------------------------------------------

void report(std::string_view command, const std::string& message) {
    std::fprintf(stderr, "%.*s: %s\n", static_cast<int>(command.size()), command.data(), message.c_str());
}

/// The family's name, for messages.
const char* family_name(int family) { return family == AF_INET6 ? "IPv6" : "IPv4"; }

/// Refuses, before sending, a message no UDP datagram of `socket`'s family can carry.
void check_fits(const net::udp_socket& socket, std::size_t size) {
    if (size <= socket.max_payload()) return;
    throw std::runtime_error("a message of " + std::to_string(size) +
                             " bytes does not fit in a UDP datagram: at most " + std::to_string(socket.max_payload()) +
                             " bytes over " + family_name(socket.family()));
}

/// The group "GROUP:PORT" names, refused unless it is a multicast address.
net::endpoint multicast_group(std::string_view text) {
    net::endpoint group = net::endpoint::resolve(text, SOCK_DGRAM).front();
    if (!net::is_multicast(group)) {
        throw std::runtime_error(std::string(text) +
                                 " is not a multicast group: IPv4 groups are 224.0.0.0/4, IPv6 groups ff00::/8");
    }
    return group;
}

/// True for an IPv6 group of interface-local or link-local scope (ff01::/16, ff02::/16,
/// ff12::/16, ...) written without a "%scope": joining it needs an interface.
bool needs_interface(const net::endpoint& group) {
    if (group.family() != AF_INET6) return false;
    const auto& address = *reinterpret_cast<const sockaddr_in6*>(group.data());
    const unsigned scope = address.sin6_addr.s6_addr[1] & 0x0fU;
    return (scope == 1 || scope == 2) && address.sin6_scope_id == 0;
}

/// The datagram of "skipped a datagram of N bytes from ADDRESS".
std::string describe_datagram(std::size_t size, const net::endpoint& from) {
    return "a datagram of " + std::to_string(size) + " bytes from " + from.to_string();
}

std::string truncation_report(const net::received_datagram& datagram) {
    return "skipped " + describe_datagram(datagram.real_size, datagram.from) + ": larger than the " +
           std::to_string(receive_buffer_size) + "-byte receive buffer";
}

/// A UDP socket and the stop signals in one epoll set, and the buffer the socket's
/// datagrams are received into.
class datagram_loop {
public:
    /// `socket` must outlive the loop.
    datagram_loop(net::udp_socket& socket, const net::file_descriptor& stop_signals) : socket_(socket) {
        socket.set_nonblocking(true);
        poller_.add(stop_signals.get(), EPOLLIN, stop_key);
        poller_.add(socket.native_handle(), EPOLLIN, socket_key);
    }

    enum class outcome { readable, stopped, idle };

    /// Waits up to `timeout` (nothing: as long as it takes) for the socket or a signal.
    /// A signal wins over a readable socket.
    outcome wait(std::optional<milliseconds> timeout) {
        outcome seen = outcome::idle;
        for (const epoll_event& event : poller_.wait(timeout)) {
            if (event.data.u64 == stop_key) return outcome::stopped;
            seen = outcome::readable;
        }
        return seen;
    }

    /// Hands the datagrams queued on the socket to `take`, up to `datagrams_per_turn`
    /// (epoll reports the rest); a truncated datagram or a receive error is reported as
    /// `command`'s and skipped. True as soon as `take` returns true: the command is done.
    ///
    ///     if (loop.take_waiting("listen", [&](const net::received_datagram& d) { return print(d); })) return 0;
    template <class Take>
    bool take_waiting(std::string_view command, Take&& take) {
        for (int turn = 0; turn < datagrams_per_turn; ++turn) {
            std::error_code failure;
            const net::received_datagram datagram = socket_.receive_from(buffer_, failure);
            if (failure == errc::datagram_truncated) {
                report(command, truncation_report(datagram));
                continue;
            }
            if (failure) {
                if (!would_block(failure)) report(command, "cannot receive: " + message_of(failure));
                return false;
            }
            if (take(datagram)) return true;
        }
        return false;
    }

private:
    net::udp_socket& socket_;
    event_poller poller_;
    std::vector<std::byte> buffer_ = std::vector<std::byte>(receive_buffer_size);
};

// ---- echo-server --udp -------------------------------------------------------------------

/// Sends each datagram of `socket` back to its sender until SIGINT or SIGTERM.
class datagram_echo_server {
public:
    datagram_echo_server(net::udp_socket socket, net::file_descriptor stop_signals)
        : socket_(std::move(socket)), stop_signals_(std::move(stop_signals)), loop_(socket_, stop_signals_) {}

    void run() {
        for (;;) {
            switch (loop_.wait(std::nullopt)) {
            case datagram_loop::outcome::stopped: return;
            case datagram_loop::outcome::readable: echo_waiting(); break;
            case datagram_loop::outcome::idle: break;
            }
        }
    }

private:
    /// Echoes what is queued.
    void echo_waiting() {
        loop_.take_waiting("echo-server", [this](const net::received_datagram& datagram) {
            echo(datagram);
            return false;
        });
    }

    /// A full send buffer drops the echo, as the network may drop any datagram; that is
    /// reported once until a send works again.
    void echo(const net::received_datagram& datagram) {
        const std::array<std::span<const std::byte>, 1> parts{datagram.bytes};
        std::error_code failure;
        socket_.send_to(parts, datagram.from, failure);
        if (!failure) {
            dropping_ = false;
            return;
        }
        if (would_block(failure)) {
            if (!dropping_) report("echo-server", "send buffer full: dropping echoes until it drains");
            dropping_ = true;
            return;
        }
        report("echo-server", "cannot echo " + describe_datagram(datagram.bytes.size(), datagram.from) + ": " +
                                  message_of(failure));
    }

    net::udp_socket socket_;
    net::file_descriptor stop_signals_;
    datagram_loop loop_;
    bool dropping_ = false;
};

// ---- send --udp / --multicast ------------------------------------------------------------

/// Sends `message` to "HOST:PORT" and returns the reply, all within `timeout`.
std::vector<std::byte> exchange(std::string_view server, std::span<const std::byte> message,
                                const seconds_option& timeout) {
    const deadline time_limit(timeout.duration);
    const std::string name(server);
    const char* doing = "sending to";
    try {
        // Connected: only the server's datagrams arrive, and an ICMP "port unreachable"
        // becomes ECONNREFUSED on the receive instead of a silent wait.
        net::udp_socket socket = net::udp_socket::connect_udp(server);
        check_fits(socket, message.size());
        socket.set_timeout(time_limit.left());
        socket.send(message);
        doing = "waiting for a reply from";
        std::vector<std::byte> buffer(receive_buffer_size);
        for (;;) {
            socket.set_timeout(time_limit.left());
            std::error_code failure;
            const net::received_datagram reply = socket.receive_from(buffer, failure);
            if (failure == errc::datagram_truncated) {
                report("send", truncation_report(reply));
                continue;
            }
            if (failure) throw std::system_error(failure, "receive");
            return {reply.bytes.begin(), reply.bytes.end()};
        }
    } catch (const std::system_error& failure) {
        if (failure.code() == std::errc::timed_out) {
            throw std::runtime_error("timed out after " + timeout.text + " s " + doing + ' ' + name);
        }
        if (failure.code() == std::errc::connection_refused) {
            throw std::runtime_error(std::string(doing) + ' ' + name + ": " + message_of(failure.code()) +
                                     " (nothing listens on that port)");
        }
        throw;
    }
}

int send_unicast(std::span<const named_option> options, std::string_view server, const message_arguments& message) {
    allow_only(options, udp_send_options, "--udp");
    seconds_option timeout{"5", std::chrono::seconds(5)};
    if (const auto text = option_value(options, "--timeout")) timeout = parse_seconds("--timeout", *text);

    std::optional<Struct> layout;
    const std::vector<std::byte> bytes = build_message(message, layout);
    const std::vector<std::byte> reply = exchange(server, bytes, timeout);
    print_line(message_text(layout, reply));
    return 0;
}

int send_multicast(std::span<const named_option> options, std::string_view group_text,
                   const message_arguments& message) {
    allow_only(options, multicast_send_options, "--multicast");
    int hops = 1;
    if (const auto text = option_value(options, "--ttl")) hops = static_cast<int>(parse_count("--ttl", *text, 0, 255));

    std::optional<Struct> layout;
    const std::vector<std::byte> bytes = build_message(message, layout);
    const net::endpoint group = multicast_group(group_text);
    const auto iface = option_value(options, "--iface");

    net::udp_socket socket = net::udp_socket::open(group.family());
    check_fits(socket, bytes.size());
    if (iface) socket.set_multicast_interface(net::multicast_interface::parse(*iface));
    socket.set_multicast_hops(hops);
    socket.send_to(bytes, group);
    return 0;
}

// ---- listen --multicast ------------------------------------------------------------------

struct listen_options {
    std::string_view group;
    std::optional<std::string_view> iface;
    std::optional<Struct> layout;
    std::optional<std::uint64_t> count;
    std::optional<seconds_option> timeout;
};

listen_options parse_listen(argument_list arguments) {
    const std::vector<named_option> options = take_options(arguments, listen_option_names);
    refuse_leftovers(arguments);
    listen_options parsed;
    const auto group = option_value(options, "--multicast");
    if (!group) throw bad_command_line("missing --multicast GROUP:PORT");
    parsed.group = *group;
    parsed.iface = option_value(options, "--iface");
    if (const auto text = option_value(options, "--count")) {
        parsed.count = parse_count("--count", *text, 1, std::numeric_limits<std::uint64_t>::max());
    }
    if (const auto text = option_value(options, "--timeout")) parsed.timeout = parse_seconds("--timeout", *text);
    if (const auto format = option_value(options, "--format")) parsed.layout.emplace(*format);
    return parsed;
}

/// Prints the datagrams of a multicast receiver, as `run_listen` describes.
class multicast_listener {
public:
    multicast_listener(const listen_options& options, net::udp_socket socket, net::file_descriptor stop_signals)
        : options_(options), socket_(std::move(socket)), stop_signals_(std::move(stop_signals)),
          loop_(socket_, stop_signals_) {}

    /// The exit status.
    int run() {
        std::optional<deadline> time_limit;
        if (options_.timeout) time_limit.emplace(options_.timeout->duration);
        for (;;) {
            std::optional<milliseconds> wait_for;
            if (time_limit) {
                if (time_limit->passed()) return out_of_time();
                wait_for = time_limit->left();
            }
            switch (loop_.wait(wait_for)) {
            case datagram_loop::outcome::stopped: return 0;
            case datagram_loop::outcome::readable:
                if (print_waiting()) return 0;
                break;
            case datagram_loop::outcome::idle: break;
            }
        }
    }

private:
    /// Prints what is queued, up to `datagrams_per_turn`; true once --count is reached.
    bool print_waiting() {
        return loop_.take_waiting("listen", [this](const net::received_datagram& datagram) {
            return print(datagram) && options_.count && ++printed_ == *options_.count;
        });
    }

    /// Prints one datagram; false when it does not fit the format (reported instead).
    bool print(const net::received_datagram& datagram) {
        std::string line;
        try {
            line = message_text(options_.layout, datagram.bytes);
        } catch (const error& failure) {
            report("listen", "skipped " + describe_datagram(datagram.bytes.size(), datagram.from) + ": " +
                                 failure.what());
            return false;
        }
        print_line(line);
        return true;
    }

    int out_of_time() const {
        if (!options_.count) return 0;
        throw std::runtime_error("timed out after " + options_.timeout->text + " s with " + std::to_string(printed_) +
                                 " of " + std::to_string(*options_.count) + " datagrams printed");
    }

    const listen_options& options_;
    net::udp_socket socket_;
    net::file_descriptor stop_signals_;
    datagram_loop loop_;
    std::uint64_t printed_ = 0;
};

}  // namespace

int run_datagram_echo_server(std::span<const named_option> options, const named_option& transport) {
    allow_only(options, udp_echo_server_options, transport.name);
    net::file_descriptor stop_signals = watch_stop_signals();  // before "listening on": a signal then is seen
    net::udp_socket socket = net::udp_socket::bind_udp(transport.value);
    const std::string address = socket.local_endpoint().to_string();
    datagram_echo_server server(std::move(socket), std::move(stop_signals));
    print_line("listening on " + address);
    server.run();
    return 0;
}

int run_datagram_send(std::span<const named_option> options, const named_option& transport,
                      const message_arguments& message) {
    if (transport.name == "--multicast") return send_multicast(options, transport.value, message);
    return send_unicast(options, transport.value, message);
}

int run_listen(std::span<const std::string_view> arguments) {
    const listen_options options = parse_listen(arguments);
    const net::endpoint group = multicast_group(options.group);  // refused as `send --multicast` refuses it
    if (!options.iface && needs_interface(group)) {
        throw std::runtime_error(std::string(options.group) + " is a link-local group: name the interface with --iface");
    }
    const net::multicast_interface iface = options.iface ? net::multicast_interface::parse(*options.iface)
                                                         : net::multicast_interface::any();
    net::file_descriptor stop_signals = watch_stop_signals();  // before "listening on": a signal then is seen
    net::udp_socket socket = net::udp_socket::multicast_receiver(options.group, iface);
    const std::string address = socket.local_endpoint().to_string();
    multicast_listener listener(options, std::move(socket), std::move(stop_signals));
    print_line("listening on " + address);
    return listener.run();
}

}  // namespace wirepack::cli
