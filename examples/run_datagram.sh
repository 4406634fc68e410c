#!/usr/bin/env bash
# Runs a datagram example end to end.
#
#   examples/run_datagram.sh udp BIN_DIR
#       udp_echo_server on 127.0.0.1 (a port the kernel picks), then udp_echo_client
#       against the address it announces; the client's "bye" ends the server.
#   examples/run_datagram.sh multicast BIN_DIR
#       two multicast_receivers joined to 239.1.2.3 on lo (127.0.0.1), then a
#       multicast_sender; both receivers must get every message. Runs on the host's
#       lo first (Linux carries multicast over lo even when `ip link` shows no
#       MULTICAST flag on it); when nothing arrives there, again in a new network
#       namespace, as multicast-netns does.
#   examples/run_datagram.sh multicast-netns BIN_DIR
#       the same, only in a new network namespace (unshare -n, or unshare -rn when
#       not root) whose own lo is brought up with multicast on. The host's interfaces
#       are never changed. Exits 77 (skipped) when no namespace can be made.
#
# BIN_DIR holds the built programs (build/release). Every program gets at most
# WIREPACK_ECHO_TIMEOUT seconds (default 20); temporary files and any program still
# running are cleaned up on exit. Prints "run_datagram: MODE ok" last, only when
# everything went right.
set -euo pipefail

usage="usage: run_datagram.sh udp|multicast|multicast-netns BIN_DIR"
mode=${1:?$usage}
bin=${2:?$usage}
limit=${WIREPACK_ECHO_TIMEOUT:-20}
group=239.1.2.3
count=5

scratch=$(mktemp -d)
pids=()
cleanup() {
  trap '' INT TERM  # a second signal must not cut the cleanup short
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  rm -rf "$scratch"
}
set_traps() {
  trap cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
}
set_traps

# Runs COMMAND... in the background and waits for it: a signal then ends this script
# at once, and cleanup ends COMMAND, instead of both waiting for COMMAND to exit.
run_waiting() {
  local status=0
  "$@" &
  pids+=($!)
  wait "$!" || status=$?
  unset 'pids[-1]'
  return "$status"
}

# Starts COMMAND... in the background with its output in the file NAME, and waits
# until that file has a line "listening on ADDRESS"; sets `address`.
start() {
  local name=$1 line
  shift
  timeout "$limit" "$@" >"$scratch/$name" &
  pids+=($!)
  for ((tenths = 0; tenths < limit * 10; ++tenths)); do
    line=$(grep -m1 '^listening on ' "$scratch/$name" || true)
    if [[ -n $line ]]; then
      echo "$name: $line"
      address=${line#listening on }
      return
    fi
    kill -0 "${pids[-1]}" 2>/dev/null || break  # it has exited
    sleep 0.1
  done
  echo "run_datagram: $name never said 'listening on ADDRESS'" >&2
  sed "s/^/$name: /" "$scratch/$name" >&2
  exit 1
}

# Waits for every background program, then shows what each NAME printed after its
# "listening on" line. Fails when one of them failed.
finish() {
  local failed=0 pid name
  for pid in "${pids[@]}"; do wait "$pid" || failed=1; done
  pids=()
  for name in "$@"; do sed "1d; s/^/$name: /" "$scratch/$name"; done
  return "$failed"
}

# Two receivers and a sender in the current network namespace. Exits 1 on failure,
# or 3 when neither receiver got anything (multicast over lo does not work here).
# Ends with exit: run it with run_waiting (a subshell that cleans up after itself).
run_multicast() {
  set_traps
  echo "lo: $(ip -o link show lo 2>/dev/null | grep -o '<[^>]*>' || echo '(ip not installed)')"
  start receiver1 "$bin/multicast_receiver" "$group:0" "$count" 127.0.0.1
  start receiver2 "$bin/multicast_receiver" "$address" "$count" 127.0.0.1  # same port
  timeout "$limit" "$bin/multicast_sender" "$address" "$count" 127.0.0.1 | sed 's/^/sender: /'
  finish receiver1 receiver2 && return
  grep -q '^received' "$scratch/receiver1" "$scratch/receiver2" && exit 1
  exit 3
}

# Runs this script's MODE in a new network namespace, or exits 77.
in_namespace() {
  local flags
  for flags in -n -rn; do  # -r: as root of a new user namespace, for when we are not root
    if unshare "$flags" true 2>/dev/null; then
      echo "(in a new network namespace: unshare $flags)"
      run_waiting timeout $((limit * 3)) unshare "$flags" bash "$0" "$1" "$bin" && return
      (($? == 77)) && exit 77
      echo "run_datagram: the multicast run in the network namespace failed" >&2
      exit 1
    fi
  done
  echo "run_datagram: cannot make a network namespace here (needs root or user namespaces); skipped"
  exit 77
}

case $mode in
  udp)
    start server "$bin/udp_echo_server" 127.0.0.1:0 100
    if ! timeout "$limit" "$bin/udp_echo_client" "$address" | sed 's/^/client: /'; then
      sed '1d; s/^/server: /' "$scratch/server"
      echo "run_datagram: the client failed" >&2
      exit 1
    fi
    if ! finish server; then
      echo "run_datagram: the server failed" >&2
      exit 1
    fi
    ;;
  multicast)
    echo "(on the host's loopback interface)"
    status=0
    run_waiting run_multicast || status=$?
    if ((status == 3)); then
      echo "nothing arrived over the host's lo; trying again in a network namespace"
      in_namespace namespace-inside
    elif ((status != 0)); then
      echo "run_datagram: the multicast run failed" >&2
      exit 1
    fi
    ;;
  multicast-netns)
    in_namespace namespace-inside
    ;;
  namespace-inside)  # run by in_namespace, inside the new namespace
    ip link set lo up multicast on || exit 77
    run_waiting run_multicast
    exit 0
    ;;
  *)
    echo "$usage" >&2
    exit 2
    ;;
esac
echo "run_datagram: $mode ok"
