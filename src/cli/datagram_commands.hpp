#pragma once
/// \file
/// The datagram subcommands of the `wirepack` tool, on top of <wirepack/net/udp.hpp>:
/// one message per datagram, no frame header.
///
///     $ wirepack echo-server --udp 127.0.0.1:0
///     listening on 127.0.0.1:40213
///     $ wirepack send --udp 127.0.0.1:40213 --format '<hd' -5 2.5
///     (-5, 2.5)
///
///     $ wirepack listen --multicast 239.1.2.3:5000 --iface lo --format '!HI' --count 1 &
///     listening on 239.1.2.3:5000
///     $ wirepack send --multicast 239.1.2.3:5000 --iface lo --format '!HI' 7 42
///     (7, 42)
///
/// IPv6 groups are written in brackets, `[ff02::1:3]:5000`. Errors and exit statuses
/// are those of net_commands.hpp: `bad_command_line` for a command line that does not
/// fit (exit 2), any other exception for `error: <message>` (exit 1).

#include <span>
#include <string_view>

#include "command_support.hpp"

namespace wirepack::cli {

/// `wirepack echo-server --udp HOST:PORT`, once `run_echo_server` has taken the options
/// apart (`transport` is the --udp option): sends each datagram back to its sender.
/// Prints `listening on ADDRESS` (the real port for port 0) once bound; a datagram too
/// large for the receive buffer is reported on stderr and skipped. Returns 0 after
/// SIGINT or SIGTERM.
[[nodiscard]] int run_datagram_echo_server(std::span<const named_option> options, const named_option& transport);

/// `wirepack send --udp HOST:PORT [--timeout SECONDS] [--format FMT VALUE...]`: sends one
/// datagram and prints the reply (unpacked with FMT, else hex); times out after
/// SECONDS (default 5).
///
/// `wirepack send --multicast GROUP:PORT [--iface ADDR|NAME] [--ttl N] [--format FMT VALUE...]`:
/// sends one datagram to the group out of `--iface` with TTL / hop limit N (default 1),
/// and waits for nothing.
///
/// Either way the message is the packed VALUEs, or stdin's bytes without --format, and
/// one larger than a UDP datagram can carry is refused before anything is sent.
[[nodiscard]] int run_datagram_send(std::span<const named_option> options, const named_option& transport,
                                    const message_arguments& message);

/// `wirepack listen --multicast GROUP:PORT [--iface ADDR|NAME] [--format FMT] [--count N]
/// [--timeout SECONDS]`: joins the group and prints `listening on GROUP:PORT`, then a
/// line for each datagram: the tuple FMT unpacks, else hex. A datagram FMT does not fit
/// is reported on stderr and skipped. Returns 0 after N printed datagrams, after SIGINT
/// or SIGTERM, or when SECONDS pass without --count; with --count, running out of time
/// first is an error.
///
///     run_listen(std::array<std::string_view, 4>{"--multicast", "239.1.2.3:5000", "--count", "1"});
[[nodiscard]] int run_listen(std::span<const std::string_view> arguments);

}  // namespace wirepack::cli
