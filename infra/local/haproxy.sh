#!/usr/bin/env bash
# HAProxy from Debian packages, for the chaos suite's load balancer in front of the gateways.
#   infra/local/haproxy.sh install     install it if missing (the test starts its own instance)
#   infra/local/haproxy.sh path        print the binary's path
# Nothing here starts a server: each chaos run writes its own configuration and runs `haproxy -db`
# as its child process, so no system-wide HAProxy is configured or left running.
set -euo pipefail
COMPONENT=haproxy
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

BIN=/usr/sbin/haproxy

install() {
  if [[ -x "$BIN" ]]; then
    say "HAProxy already installed ($("$BIN" -v | head -n 1))"
    return 0
  fi
  apt_install haproxy
  # The package may start its own service with the stock configuration; the suite does not use it.
  if [[ -f /run/haproxy.pid ]] && pid_alive "$(read_pid /run/haproxy.pid)"; then
    stop_pid "$(read_pid /run/haproxy.pid)" haproxy || true
  fi
}

case "${1:-install}" in
install) install ;;
path) echo "$BIN" ;;
*) die "usage: $0 {install|path}" ;;
esac
