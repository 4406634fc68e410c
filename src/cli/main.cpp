/// \file
/// `wirepack`: Python's `struct` module on the command line. Formats are struct
/// formats, values are Python literals, and the output is what Python prints:
///
///     $ wirepack pack '<I2sf' 1 "b'ab'" 2.7
///     010000006162cdcc2c40
///     $ wirepack unpack '<I2sf' 010000006162cdcc2c40
///     (1, b'ab', 2.700000047683716)
///
/// Exit status: 0 on success, 1 when the input is wrong (`error: <message>` on
/// stderr, worded like CPython's), 2 when the command line is (`usage: ...`).
///
/// Each subcommand is one function and one row of `subcommands`; adding one
/// means adding both.

#include <array>
#include <cerrno>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <exception>
#include <new>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <wirepack/runtime_struct.hpp>

#include "command_support.hpp"
#include "datagram_commands.hpp"
#include "net_commands.hpp"
#include "python_literal.hpp"
#include "python_repr.hpp"

namespace {

namespace cli = wirepack::cli;

using argument_list = std::span<const std::string_view>;

/// One subcommand: `wirepack <name> <arguments>`.
struct subcommand {
    std::string_view name;
    std::string_view synopsis;     ///< the arguments, one usage line per '\n'-separated form
    std::string_view description;  ///< for --help, at most a few short lines
    int (*run)(argument_list arguments);
};

/// A command line that does not match the subcommand's synopsis (exit status 2).
class usage_error : public std::runtime_error {
public:
    explicit usage_error(const std::string& reason) : std::runtime_error(reason) {}
};

/// Refuses a command line without exactly `expected` arguments.
void require_argument_count(argument_list arguments, std::size_t expected) {
    if (arguments.size() < expected) throw usage_error("missing arguments");
    if (arguments.size() > expected) {
        throw usage_error("unexpected argument '" + std::string(arguments[expected]) + "'");
    }
}

void write_line(std::string_view text) {
    std::fwrite(text.data(), 1, text.size(), stdout);
    std::fputc('\n', stdout);
}

/// The data argument of unpack and iter-unpack: hex digits, or `-` for stdin.
std::vector<std::byte> read_data(std::string_view argument) {
    if (argument == "-") return cli::read_standard_input();
    return cli::from_hex(argument);
}

// ---- subcommands -----------------------------------------------------------------

int run_calcsize(argument_list arguments) {
    require_argument_count(arguments, 1);
    const wirepack::Struct layout(arguments[0]);
    write_line(std::to_string(layout.size()));
    return 0;
}

int run_pack(argument_list arguments) {
    bool raw = false;
    while (!arguments.empty() && arguments.front().starts_with("--")) {
        const std::string_view option = arguments.front();
        arguments = arguments.subspan(1);
        if (option == "--") break;
        if (option != "--raw") throw usage_error("unknown option '" + std::string(option) + "'");
        raw = true;
    }
    if (arguments.empty()) throw usage_error("missing arguments");

    const wirepack::Struct layout(arguments[0]);
    std::vector<cli::literal> literals;
    literals.reserve(arguments.size() - 1);
    for (const std::string_view argument : arguments.subspan(1)) literals.push_back(cli::parse_literal(argument));
    const wirepack::packed_bytes packed = cli::pack_literals(layout, literals);

    if (raw) {
        std::fwrite(packed.data(), 1, packed.size(), stdout);
    } else {
        write_line(cli::to_hex(packed));
    }
    return 0;
}

int run_unpack(argument_list arguments) {
    require_argument_count(arguments, 2);
    const wirepack::Struct layout(arguments[0]);
    const std::vector<std::byte> data = read_data(arguments[1]);
    write_line(cli::tuple_repr(layout.unpack(data)));
    return 0;
}

int run_iter_unpack(argument_list arguments) {
    require_argument_count(arguments, 2);
    const wirepack::Struct layout(arguments[0]);
    const std::vector<std::byte> data = read_data(arguments[1]);
    // One struct at a time, printed as it is unpacked: memory stays that of one
    // struct's values, however much data there is. A size that is not a multiple
    // throws CPython's error before any line is printed.
    for (const wirepack::unpacked_values& values : layout.iter_unpack(data)) write_line(cli::tuple_repr(values));
    return 0;
}

/// A network subcommand (net_commands.hpp, datagram_commands.hpp), whose wrong command
/// lines become usage errors.
template <int (*Run)(argument_list)>
int run_network_subcommand(argument_list arguments) {
    try {
        return Run(arguments);
    } catch (const cli::bad_command_line& failure) {
        throw usage_error(failure.what());
    }
}

constexpr std::array subcommands{
    subcommand{"calcsize", "FMT", "print the size of FMT in bytes (struct.calcsize)", run_calcsize},
    subcommand{"pack", "[--raw] FMT VALUE...",
               "print the packed VALUEs as hex (--raw: write the bytes themselves)", run_pack},
    subcommand{"unpack", "FMT HEX|-", "print the tuple, as print(struct.unpack(FMT, data)) would", run_unpack},
    subcommand{"iter-unpack", "FMT HEX|-", "print one tuple a line for each struct in the data",
               run_iter_unpack},
    subcommand{"echo-server",
               "(--tcp HOST:PORT | --unix PATH) [--frame FRAME] [--max-frame BYTES]\n"
               "--udp HOST:PORT",
               "serve clients, writing each frame or datagram back as received (SIGINT/SIGTERM stop it)",
               run_network_subcommand<cli::run_echo_server>},
    subcommand{"send",
               "(--tcp HOST:PORT | --unix PATH) [--frame FRAME] [--timeout SECONDS] [--format FMT VALUE...]\n"
               "--udp HOST:PORT [--timeout SECONDS] [--format FMT VALUE...]\n"
               "--multicast GROUP:PORT [--iface ADDR|NAME] [--ttl N] [--format FMT VALUE...]",
               "send the packed VALUEs (or stdin) as one frame or datagram; print the reply unpacked\n"
               "(or as hex); --multicast waits for no reply",
               run_network_subcommand<cli::run_send>},
    subcommand{"listen", "--multicast GROUP:PORT [--iface ADDR|NAME] [--format FMT] [--count N] [--timeout SECONDS]",
               "join a multicast group; print each datagram unpacked (or as hex), one a line",
               run_network_subcommand<cli::run_listen>},
};

const subcommand* find_subcommand(std::string_view name) {
    for (const subcommand& candidate : subcommands) {
        if (candidate.name == name) return &candidate;
    }
    return nullptr;
}

// ---- usage and help -----------------------------------------------------------------

/// Calls `use` with each '\n'-separated line of `text`.
template <class Use>
void for_each_line(std::string_view text, Use use) {
    for (;;) {
        const std::size_t end = text.find('\n');
        use(text.substr(0, end));
        if (end == std::string_view::npos) return;
        text.remove_prefix(end + 1);
    }
}

void print_usage_lines(std::FILE* stream, const subcommand* only) {
    bool first = true;
    for (const subcommand& command : subcommands) {
        if (only != nullptr && only != &command) continue;
        for_each_line(command.synopsis, [&](std::string_view form) {
            std::fprintf(stream, "%s wirepack %.*s %.*s\n", first ? "usage:" : "      ",
                         static_cast<int>(command.name.size()), command.name.data(), static_cast<int>(form.size()),
                         form.data());
            first = false;
        });
    }
    if (only == nullptr) std::fprintf(stream, "       wirepack --help\n");
}

void print_help(const subcommand* only) {
    print_usage_lines(stdout, only);
    std::fputs("\nPython's struct module on the command line.\n\n", stdout);
    for (const subcommand& command : subcommands) {
        if (only != nullptr && only != &command) continue;
        std::string_view name = command.name;
        for_each_line(command.description, [&](std::string_view line) {
            std::printf("  %-12.*s %.*s\n", static_cast<int>(name.size()), name.data(), static_cast<int>(line.size()),
                        line.data());
            name = {};
        });
    }
    std::fputs("\n"
               "FMT    a struct format, e.g. '<I2sf' (quote it for the shell)\n"
               "VALUE  a Python literal: -5  0x1f  0b101  2.7  -0.0  1e+300  inf  nan  True  False\n"
               "       b'ab'  b\"it's\"  b'\\x00\\n'  (write bytes literals in shell quotes)\n"
               "HEX    the data as hex digits, whitespace allowed between bytes;\n"
               "       - reads the raw bytes from stdin instead (at most 64 MiB)\n"
               "FRAME  the frame header: a struct format whose LAST value is the payload length,\n"
               "       any others sent as 0 and echoed as received ('!I', the default; '<HQ');\n"
               "       or 'varint' for a LEB128 length (protobuf's delimited streams)\n"
               "BYTES  the largest frame payload echo-server accepts (default 16777216)\n"
               "SECONDS\n"
               "       how long send may take, connecting and reply included (default 5);\n"
               "       how long listen listens (with --count, not printing N datagrams by then\n"
               "       is an error)\n"
               "GROUP:PORT\n"
               "       a multicast group: 239.1.2.3:5000, or [ff02::1:3]:5000 for IPv6\n"
               "ADDR|NAME\n"
               "       the interface multicast leaves by or is joined on: its IPv4 address\n"
               "       (127.0.0.1) or its name (lo, eth0); default: the kernel's choice\n"
               "N      --ttl: how many routers a multicast datagram may cross, 0 to 255 (default 1:\n"
               "       the local link only); --count: exit after N datagrams printed\n"
               "\n"
               "Errors print 'error: <message>' on stderr and exit 1; a wrong command line exits 2.\n"
               "\n"
               "examples:\n"
               "  $ wirepack pack '<I2sf' 1 \"b'ab'\" 2.7\n"
               "  010000006162cdcc2c40\n"
               "  $ wirepack unpack '<I2sf' 010000006162cdcc2c40\n"
               "  (1, b'ab', 2.700000047683716)\n",
               stdout);
}

bool is_help_option(std::string_view argument) { return argument == "--help" || argument == "-h"; }

/// Runs the command line and returns the exit status.
int run(argument_list arguments) {
    const subcommand* command = nullptr;
    try {
        if (arguments.empty()) throw usage_error("missing subcommand");
        if (is_help_option(arguments[0]) || arguments[0] == "help") {
            print_help(nullptr);
            return 0;
        }
        command = find_subcommand(arguments[0]);
        if (command == nullptr) throw usage_error("unknown subcommand '" + std::string(arguments[0]) + "'");
        const argument_list rest = arguments.subspan(1);
        if (!rest.empty() && is_help_option(rest[0])) {
            print_help(command);
            return 0;
        }
        return command->run(rest);
    } catch (const usage_error& failure) {
        print_usage_lines(stderr, command);
        std::fprintf(stderr, "wirepack: %s\n", failure.what());
        return 2;
    } catch (const std::bad_alloc&) {
        std::fputs("error: out of memory\n", stderr);
        return 1;
    } catch (const std::exception& failure) {
        std::fprintf(stderr, "error: %s\n", failure.what());
        return 1;
    }
}

}  // namespace

int main(int argc, char** argv) {
    std::vector<std::string_view> arguments;
    for (int index = 1; index < argc; ++index) arguments.emplace_back(argv[index]);

    const int status = run(arguments);
    if (std::fflush(stdout) != 0 || std::ferror(stdout)) {
        std::fprintf(stderr, "error: cannot write to stdout: %s\n", std::strerror(errno));
        return 1;
    }
    return status;
}
