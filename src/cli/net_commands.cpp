/// \file
/// `wirepack echo-server` and `wirepack send`: the network subcommands of the tool
/// (see net_commands.hpp for what they do, main.cpp for how they are reached). Both
/// pick the transport here and run the streams here; datagrams (`--udp`,
/// `--multicast`) go on to datagram_commands.cpp.

#include "net_commands.hpp"

#include <sys/epoll.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <new>
#include <optional>
#include <string>
#include <system_error>
#include <unordered_map>
#include <utility>
#include <vector>

#include <wirepack/error.hpp>
#include <wirepack/frame.hpp>
#include <wirepack/net/endpoint.hpp>
#include <wirepack/net/file_descriptor.hpp>
#include <wirepack/net/stream.hpp>
#include <wirepack/runtime_frame.hpp>
#include <wirepack/runtime_struct.hpp>

#include "command_support.hpp"
#include "datagram_commands.hpp"

namespace wirepack::cli {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

constexpr std::size_t default_max_payload = frame_options{}.max_payload;  // 16 MiB

/// Bytes asked of each `recv`.
constexpr std::size_t read_size = std::size_t{64} << 10;

// ---- the command line ------------------------------------------------------------------

/// The options of each subcommand, whatever the transport; each transport then
/// refuses those that do not apply to it (`allow_only`).
constexpr std::array<std::string_view, 5> echo_server_option_names{"--tcp", "--unix", "--udp", "--frame",
                                                                   "--max-frame"};
constexpr std::array<std::string_view, 3> echo_server_transports{"--tcp", "--unix", "--udp"};
constexpr std::array<std::string_view, 8> send_option_names{"--tcp",   "--unix",    "--udp",   "--multicast",
                                                            "--frame", "--timeout", "--iface", "--ttl"};
constexpr std::array<std::string_view, 4> send_transports{"--tcp", "--unix", "--udp", "--multicast"};

/// The options that go with --tcp and --unix.
constexpr std::array<std::string_view, 4> stream_echo_server_options{"--tcp", "--unix", "--frame", "--max-frame"};
constexpr std::array<std::string_view, 4> stream_send_options{"--tcp", "--unix", "--frame", "--timeout"};

/// `--tcp HOST:PORT` or `--unix PATH`.
struct address_option {
    bool unix_socket = false;
    std::string text;
};

/// `--frame FRAME`: a struct format whose last value is the length, or a varint prefix.
struct frame_option {
    bool varint = false;
    std::string format = "!I";
};

struct echo_server_options {
    address_option address;
    frame_option frame;
    std::size_t max_payload = default_max_payload;
};

struct send_options {
    address_option address;
    frame_option frame;
    seconds_option timeout{"5", std::chrono::seconds(5)};
    message_arguments message;
};

address_option stream_address(const named_option& transport) {
    return {transport.name == "--unix", std::string(transport.value)};
}

frame_option parse_frame(std::span<const named_option> options) {
    const auto text = option_value(options, "--frame");
    if (!text) return {};
    if (*text == "varint") return {true, {}};
    return {false, std::string(*text)};
}

std::size_t parse_byte_count(std::string_view option, std::string_view text) {
    std::size_t count = 0;
    const auto [end, failure] = std::from_chars(text.data(), text.data() + text.size(), count);
    if (text.empty() || failure != std::errc{} || end != text.data() + text.size()) {
        throw bad_command_line(std::string(option) + " takes a number of bytes, not '" + std::string(text) + "'");
    }
    return count;
}

echo_server_options parse_stream_echo_server(std::span<const named_option> options, const named_option& transport) {
    allow_only(options, stream_echo_server_options, transport.name);
    echo_server_options parsed;
    parsed.address = stream_address(transport);
    parsed.frame = parse_frame(options);
    if (const auto limit = option_value(options, "--max-frame")) {
        parsed.max_payload = parse_byte_count("--max-frame", *limit);
    }
    return parsed;
}

send_options parse_stream_send(std::span<const named_option> options, const named_option& transport,
                               const message_arguments& message) {
    allow_only(options, stream_send_options, transport.name);
    send_options parsed;
    parsed.address = stream_address(transport);
    parsed.frame = parse_frame(options);
    if (const auto timeout = option_value(options, "--timeout")) parsed.timeout = parse_seconds("--timeout", *timeout);
    parsed.message = message;
    return parsed;
}

// ---- frames ------------------------------------------------------------------------------

/// The header a struct format describes: its last value is the length. Throws the
/// format's own error, or the frame header's when that value is not an integer.
runtime_frame_header struct_header(const std::string& format) {
    const std::size_t values = Struct(format).value_count();
    return runtime_frame_header(format, values == 0 ? 0 : values - 1);
}

/// Calls `use(make_decoder)`, where `make_decoder()` returns a new decoder for `frame`
/// (a runtime_frame_decoder or a varint_frame_decoder) and returns what `use` returns.
/// The frame header is checked before `use` runs.
template <class Use>
auto with_decoder_factory(const frame_option& frame, const frame_options& limits, Use&& use) {
    if (frame.varint) return use([limits] { return varint_frame_decoder(limits); });
    return use([limits, header = struct_header(frame.format)] { return runtime_frame_decoder(limits, header); });
}

/// A value of the kind format code `code` packs, all zero bits.
value zero_of(char code) {
    switch (code) {
    case 'c': return std::string(1, '\0');
    case 's':
    case 'p': return std::string();
    case '?': return false;
    case 'e':
    case 'f':
    case 'd': return 0.0;
    default: return std::int64_t{0};
    }
}

/// The header of a frame of `payload_size` bytes: the length in the last field of a
/// struct header, every other field zero; or the varint.
std::vector<std::byte> header_for(const frame_option& frame, std::size_t payload_size) {
    if (frame.varint) {
        const auto encoded = varint_frame_encoder::header_for(payload_size);
        return {encoded.header().begin(), encoded.header().end()};
    }
    const runtime_frame_header header = struct_header(frame.format);
    const Struct& layout = header.format();
    std::vector<value> fields;
    for (std::size_t index = 0; index + 1 < layout.value_count(); ++index) {
        fields.push_back(zero_of(layout.code_at(index)));
    }
    fields.emplace_back(std::uint64_t{payload_size});
    std::vector<std::byte> bytes(layout.size());
    try {
        layout.pack_into(bytes, 0, fields);
        return bytes;
    } catch (const error& failure) {
        if (failure.code() != errc::integer_out_of_range) throw;
        throw std::runtime_error("a payload of " + std::to_string(payload_size) +
                                 " bytes does not fit the length field of frame header '" + frame.format +
                                 "': " + failure.what());
    }
}

/// Why a decoder refused a frame, in a sentence.
std::string describe_frame_error(errc code, const frame_options& limits) {
    if (code == errc::frame_too_large) {
        return "frame payload larger than the maximum of " + std::to_string(limits.max_payload) + " bytes";
    }
    return describe(code);
}

// ---- echo-server: the pieces of the event loop -------------------------------------------

/// Bytes waiting to go to one peer: appended at the back, sent from the front.
class output_queue {
public:
    [[nodiscard]] bool empty() const noexcept { return head_ == bytes_.size(); }
    [[nodiscard]] std::size_t size() const noexcept { return bytes_.size() - head_; }
    [[nodiscard]] std::span<const std::byte> front() const noexcept { return std::span(bytes_).subspan(head_); }

    void append(std::span<const std::byte> more) {
        if (more.empty()) return;
        if (head_ != 0 && head_ >= size()) {  // at least half is sent: drop it rather than grow
            bytes_.erase(bytes_.begin(), bytes_.begin() + static_cast<std::ptrdiff_t>(head_));
            head_ = 0;
        }
        bytes_.insert(bytes_.end(), more.begin(), more.end());
    }

    /// Forgets the first `count` sent bytes; once all are sent, gives back memory held
    /// since a burst.
    void consume(std::size_t count) noexcept {
        head_ += count;
        if (head_ != bytes_.size()) return;
        head_ = 0;
        if (bytes_.capacity() > idle_capacity) {
            std::vector<std::byte>().swap(bytes_);
        } else {
            bytes_.clear();
        }
    }

private:
    static constexpr std::size_t idle_capacity = std::size_t{1} << 20;
    std::vector<std::byte> bytes_;
    std::size_t head_ = 0;  // [0, head_) is sent
};

void report(const std::string& message) { std::fprintf(stderr, "echo-server: %s\n", message.c_str()); }

// ---- echo-server: the event loop ---------------------------------------------------------

/// Echoes frames for every connection of `listener`, until SIGINT or SIGTERM.
///
/// One thread, one epoll set, level-triggered. Level triggering lets each ready
/// connection get exactly one bounded `recv` and one `send` per turn of the loop: what
/// is left stays ready and is seen on the next turn, after every other ready
/// connection has had its turn. So a client that floods the server costs the others
/// one read per turn, never a drained socket's worth; edge triggering would need a
/// queue of "still readable" connections to give the same fairness.
///
/// Backpressure: echoes a peer does not read pile up in that connection's
/// `output_queue`. From `high_water` queued bytes on, the connection's EPOLLIN interest
/// is dropped (the kernel's buffers fill and the peer's sends block) until EPOLLOUT
/// has drained it to `low_water`. One read completes at most one maximum frame plus
/// `read_size` of smaller ones, so a connection holds at most about
/// 2 x (max payload + read_size) + high_water bytes, however it behaves.
template <class MakeDecoder>
class echo_server {
public:
    echo_server(net::stream_listener listener, net::file_descriptor stop_signals, MakeDecoder make_decoder)
        : listener_(std::move(listener)), stop_signals_(std::move(stop_signals)),
          make_decoder_(std::move(make_decoder)) {
        poller_.add(listener_.native_handle(), EPOLLIN, listener_key);
        poller_.add(stop_signals_.get(), EPOLLIN, stop_key);
    }

    /// Returns once SIGINT or SIGTERM arrives; the destructor then closes every connection
    /// and the listener (which removes a Unix socket file).
    void run() {
        for (;;) {
            for (const epoll_event& event : poller_.wait(accept_pause_left())) {
                switch (event.data.u64) {
                case stop_key: return;
                case listener_key: accept_connections(); break;
                default: on_connection_event(event.data.u64, event.events); break;
                }
            }
            if (accept_paused_until_ && steady_clock::now() >= *accept_paused_until_) resume_accepting();
        }
    }

private:
    using decoder_type = std::invoke_result_t<MakeDecoder&>;

    static constexpr std::uint64_t listener_key = 0;
    static constexpr std::uint64_t stop_key = 1;
    static constexpr std::size_t high_water = std::size_t{1} << 20;
    static constexpr std::size_t low_water = std::size_t{256} << 10;
    static constexpr int max_accepts_per_turn = 64;
    static constexpr milliseconds accept_pause{100};
    /// A decoder that grew past this for a large frame is replaced once idle.
    static constexpr std::size_t idle_decoder_capacity = std::size_t{1} << 20;

    struct connection {
        net::stream_socket socket;
        std::string peer;           ///< how reports name it
        decoder_type frames;
        output_queue output;
        bool reading = true;        ///< false while the output is over the high-water mark
        bool peer_done = false;     ///< the peer ended its side cleanly, between two frames
        std::uint32_t events = EPOLLIN;  ///< the interest registered with epoll

        [[nodiscard]] bool wants_read() const noexcept { return reading && !peer_done; }
    };

    // -- accepting

    void accept_connections() {
        for (int accepted = 0; accepted < max_accepts_per_turn; ++accepted) {
            std::error_code failure;
            net::stream_socket socket = listener_.accept(failure);
            if (failure) {
                if (!would_block(failure)) {
                    pause_accepting(failure);
                } else {
                    reported_accept_errno_ = 0;  // the backlog is drained: the trouble is over
                }
                return;
            }
            add_connection(std::move(socket));
        }
    }

    /// Out of descriptors (EMFILE, ENFILE) or kernel memory, the pending connection stays
    /// in the backlog and the listener stays readable: a level-triggered loop would spin
    /// on it. So the listener is left out of the epoll set for `accept_pause` (less when
    /// a connection closes first and frees a descriptor), and each trouble is reported
    /// once until the backlog is drained. (Not until the next successful accept: at the
    /// limit, every closing client lets exactly one more in and the next accept fails
    /// again.) A different error meanwhile is reported too.
    void pause_accepting(std::error_code failure) {
        // Compared as errno values (accept fails with nothing else): comparing
        // std::error_codes calls into their category, which UBSan's vptr check verifies
        // with a pipe, and there is no descriptor left for one.
        if (failure.value() != reported_accept_errno_) {
            report("cannot accept a connection: " + message_of(failure) + "; retrying every " +
                   std::to_string(accept_pause.count()) + " ms");
            reported_accept_errno_ = failure.value();
        }
        poller_.modify(listener_.native_handle(), 0, listener_key);
        accept_paused_until_ = steady_clock::now() + accept_pause;
    }

    void resume_accepting() {
        poller_.modify(listener_.native_handle(), EPOLLIN, listener_key);
        accept_paused_until_.reset();
    }

    [[nodiscard]] std::optional<milliseconds> accept_pause_left() const {
        if (!accept_paused_until_) return std::nullopt;
        const auto left = std::chrono::ceil<milliseconds>(*accept_paused_until_ - steady_clock::now());
        return std::max(left, milliseconds(0));
    }

    void add_connection(net::stream_socket socket) {
        const std::uint64_t key = next_key_++;
        try {
            socket.set_nonblocking(true);
            socket.set_no_delay(true);  // TCP: an echo leaves at once, not after the peer's delayed ACK
            std::string peer = peer_name(socket, key);
            poller_.add(socket.native_handle(), EPOLLIN, key);
            connections_.emplace(key, connection{std::move(socket), std::move(peer), make_decoder_(), {}});
        } catch (const std::exception& failure) {
            report("dropped a new connection: " + std::string(failure.what()));
        }
    }

    /// "127.0.0.1:50312", or "unix peer 7" for an (unnamed) Unix client.
    static std::string peer_name(const net::stream_socket& socket, std::uint64_t key) {
        const std::string number = std::to_string(key - stop_key);
        try {
            const net::endpoint peer = socket.peer_endpoint();
            if (peer.family() == AF_UNIX) {
                const std::string name = peer.to_string();
                return "unix peer " + number + (name == "(unnamed)" ? "" : " (" + name + ")");
            }
            return peer.to_string();
        } catch (const std::system_error&) {
            return "peer " + number;  // gone already: its first read reports why
        }
    }

    // -- connections

    void on_connection_event(std::uint64_t key, std::uint32_t events) {
        const auto found = connections_.find(key);
        if (found == connections_.end()) return;  // closed earlier in this turn
        connection& c = found->second;
        // After a hang-up or an error the next recv or send tells what happened.
        const bool trouble = (events & (EPOLLHUP | EPOLLERR)) != 0;
        bool open = true;
        try {
            if (c.wants_read() && ((events & EPOLLIN) != 0 || trouble)) open = receive(c);
            if (open && !c.output.empty() && ((events & EPOLLOUT) != 0 || trouble)) open = flush(c);
        } catch (const std::bad_alloc&) {
            // A frame as large as --max-frame allows did not fit in memory: only this
            // connection pays for it.
            open = close_with(c, "out of memory for its frames");
        }
        if (open && c.peer_done && c.output.empty()) open = false;  // every frame echoed: done
        if (!open) {
            connections_.erase(found);  // closing the socket takes it out of the epoll set
            if (accept_paused_until_) resume_accepting();
            return;
        }
        const std::uint32_t wanted = (c.wants_read() ? EPOLLIN : 0u) | (c.output.empty() ? 0u : EPOLLOUT);
        if (wanted != c.events) {
            poller_.modify(c.socket.native_handle(), wanted, key);
            c.events = wanted;
        }
    }

    /// One `recv`, and the echo of every frame it completes. False: close the connection.
    bool receive(connection& c) {
        const std::span<std::byte> room = c.frames.prepare(read_size);
        std::error_code failure;
        const std::size_t received = c.socket.recv_some(room, failure);
        c.frames.commit(failure ? 0 : received);
        if (failure) return would_block(failure) || close_with(c, message_of(failure));
        if (received == 0) {
            if (!c.frames.at_frame_boundary()) {
                return close_with(c, "disconnected " + std::to_string(c.frames.bytes_needed()) +
                                         " bytes short of a complete frame");
            }
            c.peer_done = true;
            return true;
        }

        // Frames that lie back to back in the decoder's buffer (all of them, unless the
        // decoder skipped something between) go out as one run, with one send.
        std::span<const std::byte> run;
        for (;;) {
            const auto next = c.frames.next();
            if (!next) return close_with(c, describe_frame_error(next.error(), c.frames.options()));
            if (!*next) break;
            const std::span<const std::byte> wire = (*next)->wire;
            if (!run.empty() && run.data() + run.size() == wire.data()) {
                run = std::span<const std::byte>(run.data(), run.size() + wire.size());
                continue;
            }
            if (!echo(c, run)) return false;
            run = wire;
        }
        if (!echo(c, run)) return false;
        if (c.frames.buffered() == 0 && c.frames.capacity() > idle_decoder_capacity) c.frames = make_decoder_();
        return true;
    }

    /// Sends `frames` after what is queued, copying whatever the kernel does not take now.
    bool echo(connection& c, std::span<const std::byte> frames) {
        if (frames.empty()) return true;
        if (c.output.empty()) {
            const std::array<std::span<const std::byte>, 1> parts{frames};
            std::error_code failure;
            const std::size_t sent = c.socket.send_some(parts, failure);
            if (failure && !would_block(failure)) return close_with(c, message_of(failure));
            frames = frames.subspan(failure ? 0 : sent);
        }
        c.output.append(frames);
        if (c.output.size() >= high_water) c.reading = false;
        return true;
    }

    /// One `send` of queued output. False: close the connection.
    bool flush(connection& c) {
        const std::array<std::span<const std::byte>, 1> parts{c.output.front()};
        std::error_code failure;
        const std::size_t sent = c.socket.send_some(parts, failure);
        if (failure) return would_block(failure) || close_with(c, message_of(failure));
        c.output.consume(sent);
        if (!c.reading && c.output.size() <= low_water) c.reading = true;
        return true;
    }

    static bool close_with(const connection& c, const std::string& reason) {
        report("closed " + c.peer + ": " + reason);
        return false;
    }

    net::stream_listener listener_;
    net::file_descriptor stop_signals_;
    MakeDecoder make_decoder_;
    event_poller poller_;
    std::unordered_map<std::uint64_t, connection> connections_;
    std::uint64_t next_key_ = stop_key + 1;  // keys are never reused: a stale event finds nothing
    std::optional<steady_clock::time_point> accept_paused_until_;
    int reported_accept_errno_ = 0;  ///< the accept failure last reported; none: 0
};

// ---- send ----------------------------------------------------------------------------------

net::stream_socket connect_to(const address_option& address, milliseconds timeout) {
    if (address.unix_socket) return net::stream_socket::connect(net::endpoint::unix_address(address.text), timeout);
    return net::stream_socket::connect_tcp(address.text, timeout);
}

/// Sends the frame `header` + `payload` and returns the payload of the reply, all
/// within `options.timeout`.
template <class MakeDecoder>
std::vector<std::byte> exchange(const send_options& options, std::span<const std::byte> header,
                                std::span<const std::byte> payload, MakeDecoder& make_decoder) {
    auto frames = make_decoder();
    const deadline time_limit(options.timeout.duration);
    const std::string& server = options.address.text;
    const char* doing = "connecting to";
    try {
        net::stream_socket socket = connect_to(options.address, time_limit.left());
        doing = "sending to";
        socket.set_timeout(time_limit.left());
        const std::array<std::span<const std::byte>, 2> frame{header, payload};
        socket.send_all(frame);
        doing = "waiting for a reply from";
        for (;;) {
            const auto next = frames.next();
            if (!next) {
                throw std::runtime_error("bad reply frame from " + server + ": " +
                                         describe_frame_error(next.error(), frames.options()));
            }
            if (*next) return {(*next)->payload.begin(), (*next)->payload.end()};
            socket.set_timeout(time_limit.left());
            const std::span<std::byte> room = frames.prepare(read_size);
            const std::size_t received = socket.recv_some(room);
            frames.commit(received);
            if (received != 0) continue;
            if (frames.at_frame_boundary()) {
                throw std::runtime_error(server + " closed the connection without replying");
            }
            throw std::runtime_error(server + " closed the connection " + std::to_string(frames.bytes_needed()) +
                                     " bytes short of a complete reply frame");
        }
    } catch (const std::system_error& failure) {
        if (failure.code() != std::errc::timed_out) throw;
        throw std::runtime_error("timed out after " + options.timeout.text + " s " + doing + ' ' + server);
    }
}

}  // namespace

int run_echo_server(std::span<const std::string_view> arguments) {
    argument_list rest = arguments;
    const std::vector<named_option> all = take_options(rest, echo_server_option_names);
    refuse_leftovers(rest);
    const named_option transport =
        choose_one(all, echo_server_transports, "--tcp HOST:PORT, --unix PATH and --udp HOST:PORT");
    if (transport.name == "--udp") return run_datagram_echo_server(all, transport);

    const echo_server_options options = parse_stream_echo_server(all, transport);
    frame_options limits;
    limits.max_payload = options.max_payload;
    return with_decoder_factory(options.frame, limits, [&](auto make_decoder) {
        net::file_descriptor stop_signals = watch_stop_signals();  // before "listening on": a signal then is seen
        net::stream_listener listener = options.address.unix_socket
                                            ? net::stream_listener::listen_unix(options.address.text)
                                            : net::stream_listener::listen_tcp(options.address.text);
        listener.set_nonblocking(true);
        const std::string address = listener.local_endpoint().to_string();
        echo_server<decltype(make_decoder)> server(std::move(listener), std::move(stop_signals),
                                                   std::move(make_decoder));
        print_line("listening on " + address);
        server.run();
        return 0;
    });
}

int run_send(std::span<const std::string_view> arguments) {
    argument_list rest = arguments;
    const std::vector<named_option> all = take_options(rest, send_option_names, "--format");
    const message_arguments message = take_message_arguments(rest);
    const named_option transport =
        choose_one(all, send_transports, "--tcp HOST:PORT, --unix PATH, --udp HOST:PORT and --multicast GROUP:PORT");
    if (transport.name == "--udp" || transport.name == "--multicast") {
        return run_datagram_send(all, transport, message);
    }

    const send_options options = parse_stream_send(all, transport, message);
    // Everything that can be refused without the server is, before connecting.
    std::optional<Struct> layout;
    const std::vector<std::byte> payload = build_message(options.message, layout);
    const std::vector<std::byte> header = header_for(options.frame, payload.size());

    const std::vector<std::byte> reply = with_decoder_factory(options.frame, frame_options{}, [&](auto make_decoder) {
        return exchange(options, header, payload, make_decoder);
    });
    print_line(message_text(layout, reply));
    return 0;
}

}  // namespace wirepack::cli
