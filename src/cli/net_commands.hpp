#pragma once
/// \file
/// The network subcommands of the `wirepack` tool, on top of wirepack::net:
///
///     $ wirepack echo-server --tcp 127.0.0.1:0 --frame '!HI'
///     listening on 127.0.0.1:43117
///     $ wirepack send --tcp 127.0.0.1:43117 --frame '!HI' --format '<hd' -5 2.5
///     (-5, 2.5)
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
#include <stdexcept>
#include <string>
#include <string_view>

namespace wirepack::cli {

/// A network subcommand's arguments do not match its synopsis.
class bad_command_line : public std::invalid_argument {
public:
    explicit bad_command_line(const std::string& reason) : std::invalid_argument(reason) {}
};

/// `wirepack echo-server (--tcp HOST:PORT | --unix PATH) [--frame FRAME] [--max-frame BYTES]`:
/// serves every client at once and writes each frame it receives back to its sender,
/// header bytes included. Prints `listening on ADDRESS` once it accepts connections;
/// a client sending a frame it refuses is disconnected and named on stderr. Returns 0
/// after SIGINT or SIGTERM.
///
///     run_echo_server(std::array<std::string_view, 2>{"--unix", "/tmp/echo.sock"});
[[nodiscard]] int run_echo_server(std::span<const std::string_view> arguments);

/// `wirepack send (--tcp HOST:PORT | --unix PATH) [--frame FRAME] [--timeout SECONDS]
/// [--format FMT VALUE...]`: sends one frame and prints the payload of the reply,
/// unpacked with FMT as `wirepack unpack` prints it, or as hex when the payload came
/// from stdin (no `--format`).
///
///     run_send(std::array<std::string_view, 5>{"--tcp", "[::1]:5000", "--format", "!H", "7"});
[[nodiscard]] int run_send(std::span<const std::string_view> arguments);

}  // namespace wirepack::cli
