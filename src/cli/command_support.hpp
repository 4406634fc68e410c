#pragma once
/// \file
/// What the subcommands of the `wirepack` tool share: taking `--name VALUE` options
/// apart, the message `send` sends (`--format FMT VALUE...` or stdin) and how a reply
/// is printed, and the pieces of an event loop (SIGINT / SIGTERM as a descriptor, an
/// epoll set, a deadline, errno tests that never call into an error category).
///
/// A command line that does not fit a synopsis throws `bad_command_line` (main.cpp
/// prints the usage and exits 2); anything else thrown becomes `error: <message>`.

#include <sys/epoll.h>

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include <wirepack/net/file_descriptor.hpp>
#include <wirepack/runtime_struct.hpp>

namespace wirepack::cli {

using argument_list = std::span<const std::string_view>;

/// A subcommand's arguments do not match its synopsis.
class bad_command_line : public std::invalid_argument {
public:
    explicit bad_command_line(const std::string& reason) : std::invalid_argument(reason) {}
};

// ---- options ------------------------------------------------------------------------------

/// One `--name VALUE` or `--name=VALUE`.
struct named_option {
    std::string_view name;
    std::string_view value;
};

/// True for `name` itself and for `name=...`.
[[nodiscard]] bool is_option_named(std::string_view argument, std::string_view name);

/// Takes the leading options off `arguments`, each name among `known` and given once,
/// up to the first argument that is not an option or is the option `stop_at`, which
/// stays in `arguments` with everything after it.
///
///     argument_list rest = arguments;   // {"--udp", "h:1", "--format", "<I", "5"}
///     auto options = take_options(rest, known, "--format");   // rest: {"--format", "<I", "5"}
[[nodiscard]] std::vector<named_option> take_options(argument_list& arguments, std::span<const std::string_view> known,
                                                     std::string_view stop_at = {});

[[nodiscard]] std::optional<std::string_view> option_value(std::span<const named_option> options,
                                                           std::string_view name);

/// Refuses a first leftover argument.
void refuse_leftovers(argument_list arguments);

/// The one option among `choices` that was given, e.g. the transport: `--tcp`,
/// `--unix`, `--udp`. Throws when none or several were.
[[nodiscard]] named_option choose_one(std::span<const named_option> options, std::span<const std::string_view> choices,
                                      std::string_view synopsis);

/// Refuses each option whose name is not in `allowed`, saying it does not go with
/// `context` (e.g. "--udp").
void allow_only(std::span<const named_option> options, std::span<const std::string_view> allowed,
                std::string_view context);

/// A time limit given in seconds, as typed (for messages) and as a duration.
struct seconds_option {
    std::string text;
    std::chrono::nanoseconds duration;
};

/// A number of seconds above 0 and at most 1,000,000, decimals allowed ("0.5").
[[nodiscard]] seconds_option parse_seconds(std::string_view option, std::string_view text);

/// A decimal integer in [low, high].
[[nodiscard]] std::uint64_t parse_count(std::string_view option, std::string_view text, std::uint64_t low,
                                        std::uint64_t high);

// ---- messages -----------------------------------------------------------------------------

/// The end of `send`'s command line: `--format FMT VALUE...`, or nothing for stdin.
struct message_arguments {
    std::optional<std::string_view> format;
    argument_list values;  ///< every argument after FMT, even one starting with '-'
};

/// Takes `--format FMT VALUE...` (or `--format=FMT VALUE...`) off the end of the
/// command line; anything else left over is refused.
[[nodiscard]] message_arguments take_message_arguments(argument_list arguments);

/// The bytes to send: the VALUEs packed with FMT (then also left in `layout`, to read
/// the reply with), or all of stdin.
[[nodiscard]] std::vector<std::byte> build_message(const message_arguments& message, std::optional<Struct>& layout);

/// What the tool prints for received bytes: the tuple `layout` unpacks (as
/// `print(struct.unpack(...))` shows it), or hex without one. Throws CPython's error
/// when the size does not fit the format.
[[nodiscard]] std::string message_text(const std::optional<Struct>& layout, std::span<const std::byte> bytes);

/// Input read from stdin beyond this size is refused rather than buffered.
inline constexpr std::size_t max_standard_input_bytes = std::size_t{64} << 20;

/// All of stdin, refusing more than `max_standard_input_bytes`.
[[nodiscard]] std::vector<std::byte> read_standard_input();

/// Writes `line` and a newline to stdout and flushes, so that a reader of a pipe sees
/// each line as it happens.
void print_line(std::string_view line);

// ---- event loops --------------------------------------------------------------------------

/// SIGINT and SIGTERM as a readable descriptor for an event loop. Both stay blocked
/// until the process exits: unblocking them after the loop would let a second signal,
/// still pending, kill the process after a clean shutdown. Call it before announcing
/// "listening on", so that a signal sent right after that line is seen.
[[nodiscard]] net::file_descriptor watch_stop_signals();

/// An epoll instance whose events carry a 64-bit key chosen by the caller.
class event_poller {
public:
    event_poller();

    void add(int fd, std::uint32_t events, std::uint64_t key) { control(EPOLL_CTL_ADD, fd, events, key); }
    void modify(int fd, std::uint32_t events, std::uint64_t key) { control(EPOLL_CTL_MOD, fd, events, key); }

    /// The events that are ready, waiting up to `timeout` (nothing: as long as it takes;
    /// at most a minute at a time). Empty when interrupted by a signal or timed out.
    std::span<const epoll_event> wait(std::optional<std::chrono::milliseconds> timeout);

private:
    void control(int operation, int fd, std::uint32_t events, std::uint64_t key);

    net::file_descriptor fd_;
    std::array<epoll_event, 256> ready_{};
};

/// A point in time after which every wait fails with std::errc::timed_out.
class deadline {
public:
    explicit deadline(std::chrono::nanoseconds budget) : end_(std::chrono::steady_clock::now() + budget) {}

    /// The time left, rounded up to whole milliseconds (at least 1). Throws
    /// std::system_error (std::errc::timed_out) once there is none.
    [[nodiscard]] std::chrono::milliseconds left() const;
    [[nodiscard]] bool passed() const { return std::chrono::steady_clock::now() >= end_; }

private:
    std::chrono::steady_clock::time_point end_;
};

// These read errno values straight from an error code, without calling a member
// function of its category: when the process is out of descriptors, UBSan's check of
// such a call needs a pipe it cannot get, and reports a false error.

/// True when `error` holds an errno (system or generic category).
[[nodiscard]] bool is_errno(std::error_code error) noexcept;
/// EAGAIN / EWOULDBLOCK: "not now" on a non-blocking socket.
[[nodiscard]] bool would_block(std::error_code error) noexcept;
/// strerror's text for an errno, else the category's message.
[[nodiscard]] std::string message_of(std::error_code error);

}  // namespace wirepack::cli
