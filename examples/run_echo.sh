#!/usr/bin/env bash
# Runs an echo example end to end: the server in the background, the client
# against the address the server announces, then waits for the server to exit.
#
#   examples/run_echo.sh tcp  BIN_DIR   tcp_echo_server on 127.0.0.1, a port the kernel picks
#   examples/run_echo.sh unix BIN_DIR   unix_echo_server on a socket in a new temporary
#                                       directory, after a first server, killed with
#                                       SIGKILL, has left a stale socket file there
#
# BIN_DIR holds the built programs (build/release). Every program gets at most
# WIREPACK_ECHO_TIMEOUT seconds (default 20), so a stuck one cannot hang the run;
# the temporary directory and any server still running are cleaned up on exit.
# Prints "run_echo: tcp ok" (or unix) last, only when everything went right.
set -euo pipefail

usage="usage: run_echo.sh tcp|unix BIN_DIR"
mode=${1:?$usage}
bin=${2:?$usage}
limit=${WIREPACK_ECHO_TIMEOUT:-20}

scratch=$(mktemp -d)
server_pid=
cleanup() {
  [[ -z $server_pid ]] || kill "$server_pid" 2>/dev/null || true
  rm -rf "$scratch"
}
trap cleanup EXIT

# Starts COMMAND... in the background, its output on file descriptor 3, shows
# that output up to the line "listening on ADDRESS", and sets `address`.
start_server() {
  mkfifo "$scratch/server.out"
  "$@" >"$scratch/server.out" &
  server_pid=$!
  exec 3<"$scratch/server.out"
  rm "$scratch/server.out"
  local line
  while IFS= read -r -t "$limit" line <&3; do
    echo "server: $line"
    if [[ $line == "listening on "* ]]; then
      address=${line#listening on }
      return
    fi
  done
  echo "run_echo: the server never said 'listening on ADDRESS'" >&2
  exit 1
}

# Runs the client against `address`, then shows the rest of the server's output
# and checks that the server exited with status 0.
run_client_and_finish() {
  timeout "$limit" "$1" "$address" | sed 's/^/client: /'
  sed 's/^/server: /' <&3  # until the server exits and closes its end
  exec 3<&-
  if ! wait "$server_pid"; then
    echo "run_echo: the server failed" >&2
    exit 1
  fi
  server_pid=
}

case $mode in
  tcp)
    start_server timeout "$limit" "$bin/tcp_echo_server" 127.0.0.1:0
    run_client_and_finish "$bin/tcp_echo_client"
    ;;
  unix)
    socket=$scratch/echo.sock
    # A server that dies without closing its listener leaves its socket file.
    start_server "$bin/unix_echo_server" "$socket"
    kill -KILL "$server_pid"
    { wait "$server_pid"; } 2>/dev/null || true  # without bash's "Killed" notice
    server_pid=
    exec 3<&-
    echo "(server killed with SIGKILL: $(stat -c %F "$socket") $socket left behind)"

    # A new server at the same path replaces that file, and deletes its own on exit.
    start_server timeout "$limit" "$bin/unix_echo_server" "$socket"
    run_client_and_finish "$bin/unix_echo_client"
    if [[ -e $socket ]]; then
      echo "run_echo: $socket is still there after the server exited" >&2
      exit 1
    fi
    ;;
  *)
    echo "$usage" >&2
    exit 2
    ;;
esac
echo "run_echo: $mode ok"
