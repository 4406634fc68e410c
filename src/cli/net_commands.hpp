#pragma once
/// \file
/// The network subcommands of the `wirepack` tool, on top of wirepack::net:
///
///     $ wirepack echo-server --tcp 127.0.0.1:0 --frame '!HI'
///     listening on 127.0.0.1:43117
///     $ wirepack send --tcp 127.0.0.1:43117 --frame '!HI' --format '<hd' -5 2.5
///     (-5, 2.5)
///
/// This file handles the streams (`--tcp`, `--unix`) and hands `--udp` and
/// `--multicast` to datagram_commands.hpp.
///
/// A frame header (`--frame`) is either a struct format whose last value is the
/// payload length (the other fields are echoed as received, and `send` writes them
/// as zeros), or `varint` for a LEB128 length prefix. The default is "!I".
///
/// Each `run_*` function takes the arguments after the subcommand's name and returns
/// the exit status. A command line that does not fit the synopsis throws
/// `bad_command_line` (main.cpp prints the usage and exits 2); every other failure
/// throws an exception whose `what()` becomes `error: <message>` (exit 1).

#include <span>
#include <string_view>

#include "command_support.hpp"

namespace wirepack::cli {

/// `wirepack echo-server (--tcp HOST:PORT | --unix PATH) [--frame FRAME] [--max-frame BYTES]`
/// (and `--udp HOST:PORT`, see `run_datagram_echo_server`):
/// serves every client at once and writes each frame it receives back to its sender,
/// header bytes included. Prints `listening on ADDRESS` once it accepts connections;
/// a client sending a frame it refuses is disconnected and named on stderr. Returns 0
/// after SIGINT or SIGTERM.
///
///     run_echo_server(std::array<std::string_view, 2>{"--unix", "/tmp/echo.sock"});
[[nodiscard]] int run_echo_server(std::span<const std::string_view> arguments);

/// `wirepack send (--tcp HOST:PORT | --unix PATH) [--frame FRAME] [--timeout SECONDS]
/// [--format FMT VALUE...]` (and `--udp`, `--multicast`, see `run_datagram_send`):
/// sends one frame and prints the payload of the reply, unpacked with FMT as `wirepack
/// unpack` prints it, or as hex when the payload came from stdin (no `--format`).
///
///     run_send(std::array<std::string_view, 5>{"--tcp", "[::1]:5000", "--format", "!H", "7"});
[[nodiscard]] int run_send(std::span<const std::string_view> arguments);

}  // namespace wirepack::cli
