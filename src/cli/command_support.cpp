/// \file
/// The pieces the subcommands share (see command_support.hpp).

#include "command_support.hpp"

#include <signal.h>
#include <sys/signalfd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "python_literal.hpp"
#include "python_repr.hpp"

namespace wirepack::cli {

using std::chrono::milliseconds;

// ---- options ------------------------------------------------------------------------------

bool is_option_named(std::string_view argument, std::string_view name) {
    return argument == name ||
           (argument.starts_with(name) && argument.size() > name.size() && argument[name.size()] == '=');
}

std::vector<named_option> take_options(argument_list& arguments, std::span<const std::string_view> known,
                                       std::string_view stop_at) {
    std::vector<named_option> options;
    while (!arguments.empty() && arguments.front().starts_with("--")) {
        const std::string_view argument = arguments.front();
        if (!stop_at.empty() && is_option_named(argument, stop_at)) break;
        const std::size_t equals = argument.find('=');
        const std::string_view name = argument.substr(0, equals);
        if (std::find(known.begin(), known.end(), name) == known.end()) {
            throw bad_command_line("unknown option '" + std::string(name) + "'");
        }
        for (const named_option& earlier : options) {
            if (earlier.name == name) throw bad_command_line("option " + std::string(name) + " given twice");
        }
        arguments = arguments.subspan(1);
        if (equals != std::string_view::npos) {
            options.push_back({name, argument.substr(equals + 1)});
            continue;
        }
        if (arguments.empty()) throw bad_command_line("option " + std::string(name) + " needs a value");
        options.push_back({name, arguments.front()});
        arguments = arguments.subspan(1);
    }
    return options;
}

std::optional<std::string_view> option_value(std::span<const named_option> options, std::string_view name) {
    for (const named_option& option : options) {
        if (option.name == name) return option.value;
    }
    return std::nullopt;
}

void refuse_leftovers(argument_list arguments) {
    if (!arguments.empty()) throw bad_command_line("unexpected argument '" + std::string(arguments.front()) + "'");
}

named_option choose_one(std::span<const named_option> options, std::span<const std::string_view> choices,
                        std::string_view synopsis) {
    std::optional<named_option> chosen;
    for (const named_option& option : options) {
        if (std::find(choices.begin(), choices.end(), option.name) == choices.end()) continue;
        if (chosen) {
            throw bad_command_line("give exactly one of " + std::string(synopsis) + ", not both " +
                                   std::string(chosen->name) + " and " + std::string(option.name));
        }
        chosen = option;
    }
    if (!chosen) throw bad_command_line("give exactly one of " + std::string(synopsis));
    return *chosen;
}

void allow_only(std::span<const named_option> options, std::span<const std::string_view> allowed,
                std::string_view context) {
    for (const named_option& option : options) {
        if (std::find(allowed.begin(), allowed.end(), option.name) == allowed.end()) {
            throw bad_command_line("option " + std::string(option.name) + " does not go with " + std::string(context));
        }
    }
}

seconds_option parse_seconds(std::string_view option, std::string_view text) {
    // Bounded so that deadline arithmetic cannot overflow.
    constexpr double longest = 1e6;
    const std::string copy(text);
    char* end = nullptr;
    const double seconds = std::strtod(copy.c_str(), &end);
    if (copy.empty() || end != copy.c_str() + copy.size() || !std::isfinite(seconds) || seconds <= 0 ||
        seconds > longest) {
        throw bad_command_line(std::string(option) + " takes a number of seconds above 0 and at most 1000000, not '" +
                               copy + "'");
    }
    return {copy, std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::duration<double>(seconds))};
}

std::uint64_t parse_count(std::string_view option, std::string_view text, std::uint64_t low, std::uint64_t high) {
    std::uint64_t number = 0;
    const auto [end, failure] = std::from_chars(text.data(), text.data() + text.size(), number);
    if (text.empty() || failure != std::errc{} || end != text.data() + text.size() || number < low || number > high) {
        throw bad_command_line(std::string(option) + " takes a whole number from " + std::to_string(low) + " to " +
                               std::to_string(high) + ", not '" + std::string(text) + "'");
    }
    return number;
}

// ---- messages -----------------------------------------------------------------------------

message_arguments take_message_arguments(argument_list arguments) {
    message_arguments message;
    if (arguments.empty()) return message;
    const std::string_view option = arguments.front();
    if (!is_option_named(option, "--format")) refuse_leftovers(arguments);
    arguments = arguments.subspan(1);
    constexpr std::string_view name = "--format";
    if (option.size() > name.size()) {
        message.format = option.substr(name.size() + 1);  // after "--format="
    } else if (arguments.empty()) {
        throw bad_command_line("option --format needs a value");
    } else {
        message.format = arguments.front();
        arguments = arguments.subspan(1);
    }
    message.values = arguments;
    return message;
}

std::vector<std::byte> build_message(const message_arguments& message, std::optional<Struct>& layout) {
    if (!message.format) return read_standard_input();
    layout.emplace(*message.format);
    std::vector<literal> arguments;
    arguments.reserve(message.values.size());
    for (const std::string_view argument : message.values) arguments.push_back(parse_literal(argument));
    const packed_bytes packed = pack_literals(*layout, arguments);
    return {packed.begin(), packed.end()};
}

std::string message_text(const std::optional<Struct>& layout, std::span<const std::byte> bytes) {
    if (!layout) return to_hex(bytes);
    const unpacked_values unpacked = layout->unpack(bytes);
    return tuple_repr(unpacked);
}

std::vector<std::byte> read_standard_input() {
    std::vector<std::byte> bytes;
    std::array<std::byte, 64 * 1024> chunk{};
    for (;;) {
        const std::size_t count = std::fread(chunk.data(), 1, chunk.size(), stdin);
        if (count > max_standard_input_bytes - bytes.size()) {
            throw std::runtime_error("input on stdin is larger than 64 MiB");
        }
        bytes.insert(bytes.end(), chunk.begin(), chunk.begin() + static_cast<std::ptrdiff_t>(count));
        if (count < chunk.size()) {
            if (std::ferror(stdin)) throw std::runtime_error(std::string("cannot read stdin: ") + std::strerror(errno));
            return bytes;
        }
    }
}

void print_line(std::string_view line) {
    std::fwrite(line.data(), 1, line.size(), stdout);
    std::fputc('\n', stdout);
    std::fflush(stdout);
}

// ---- event loops --------------------------------------------------------------------------

net::file_descriptor watch_stop_signals() {
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    if (const int failure = ::pthread_sigmask(SIG_BLOCK, &signals, nullptr); failure != 0) {
        throw std::system_error(failure, std::system_category(), "pthread_sigmask");
    }
    net::file_descriptor fd(::signalfd(-1, &signals, SFD_NONBLOCK | SFD_CLOEXEC));
    if (!fd) throw std::system_error(errno, std::system_category(), "signalfd");
    return fd;
}

event_poller::event_poller() : fd_(::epoll_create1(EPOLL_CLOEXEC)) {
    if (!fd_) throw std::system_error(errno, std::system_category(), "epoll_create1");
}

std::span<const epoll_event> event_poller::wait(std::optional<milliseconds> timeout) {
    const int wait_ms = timeout ? static_cast<int>(std::min<milliseconds::rep>(timeout->count(), 60'000)) : -1;
    const int count = ::epoll_wait(fd_.get(), ready_.data(), static_cast<int>(ready_.size()), wait_ms);
    if (count >= 0) return std::span<const epoll_event>(ready_).first(static_cast<std::size_t>(count));
    if (errno == EINTR) return {};
    throw std::system_error(errno, std::system_category(), "epoll_wait");
}

void event_poller::control(int operation, int fd, std::uint32_t events, std::uint64_t key) {
    epoll_event event{};
    event.events = events;
    event.data.u64 = key;
    if (::epoll_ctl(fd_.get(), operation, fd, &event) != 0) {
        throw std::system_error(errno, std::system_category(), "epoll_ctl");
    }
}

milliseconds deadline::left() const {
    const auto rest = end_ - std::chrono::steady_clock::now();
    if (rest <= std::chrono::steady_clock::duration::zero()) {
        throw std::system_error(std::make_error_code(std::errc::timed_out), "deadline");
    }
    return std::max(std::chrono::ceil<milliseconds>(rest), milliseconds(1));
}

bool is_errno(std::error_code error) noexcept {
    const std::error_category* category = &error.category();  // addresses: no member call
    return category == &std::system_category() || category == &std::generic_category();
}

bool would_block(std::error_code error) noexcept {
    return is_errno(error) && (error.value() == EAGAIN || error.value() == EWOULDBLOCK);
}

std::string message_of(std::error_code error) {
    return is_errno(error) ? std::strerror(error.value()) : error.message();
}

}  // namespace wirepack::cli
