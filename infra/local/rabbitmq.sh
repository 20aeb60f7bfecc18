#!/usr/bin/env bash
# RabbitMQ from Debian packages, started without systemd (rabbitmq-server -detached).
#   infra/local/rabbitmq.sh {install|start|stop|status}
#   infra/local/rabbitmq.sh vhost-add <name>     create a vhost, celeriac gets full permissions
#   infra/local/rabbitmq.sh vhost-delete <name>  delete it (test isolation)
# Env: CELERIAC_RABBITMQ_PORT (5672), CELERIAC_RABBITMQ_START_TIMEOUT (90 s).
set -euo pipefail
COMPONENT=rabbitmq
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

HOST=127.0.0.1
PORT="${CELERIAC_RABBITMQ_PORT:-5672}"
START_TIMEOUT="${CELERIAC_RABBITMQ_START_TIMEOUT:-90}"
USER_NAME=celeriac
PASSWORD=celeriac
STARTED_FILE="$WORK_DIR/rabbitmq-$PORT.started"

# A non-default port gets its own node (own name, Erlang distribution port and data), so it can
# run beside a system RabbitMQ on 5672.
if [[ "$PORT" != 5672 ]]; then
  RABBITMQ_NODENAME="celeriac$PORT@$(hostname -s)"
  export RABBITMQ_NODENAME
  export RABBITMQ_NODE_PORT="$PORT"
  export RABBITMQ_DIST_PORT=$((PORT + 20000))
fi
NODE_ARGS=()
[[ -n "${RABBITMQ_NODENAME:-}" ]] && NODE_ARGS=(-n "$RABBITMQ_NODENAME")

ctl() { bounded 60 rabbitmqctl "${NODE_ARGS[@]}" "$@"; }

install() {
  if command -v rabbitmq-server >/dev/null 2>&1 && command -v rabbitmqctl >/dev/null 2>&1; then
    say "RabbitMQ packages already installed"
    return 0
  fi
  apt_install rabbitmq-server
}

amqp_ok() { probe amqp "amqp://$USER_NAME:$PASSWORD@$HOST:$PORT/" >/dev/null 2>&1; }

node_running() { bounded 20 rabbitmq-diagnostics "${NODE_ARGS[@]}" -q ping >/dev/null 2>&1; }

ensure_user() {
  if ctl -q list_users | awk '{print $1}' | grep -qx "$USER_NAME"; then
    ctl -q change_password "$USER_NAME" "$PASSWORD" >/dev/null
  else
    ctl -q add_user "$USER_NAME" "$PASSWORD" >/dev/null
    say "created user $USER_NAME"
  fi
  ctl -q set_user_tags "$USER_NAME" administrator >/dev/null
  ctl -q set_permissions -p / "$USER_NAME" '.*' '.*' '.*' >/dev/null
}

start() {
  command -v rabbitmq-server >/dev/null 2>&1 || install
  # Fast path for repeated runs: a node that lets celeriac open / is booted and set up.
  if amqp_ok; then
    say "reusing the RabbitMQ server already running on $HOST:$PORT (user $USER_NAME works)"
    return 0
  fi
  if node_running; then
    say "reusing the RabbitMQ node already running (${RABBITMQ_NODENAME:-default node})"
  elif port_open "$HOST" "$PORT"; then
    die "port $PORT is taken by $(port_owner "$PORT"), not a RabbitMQ node this script can manage; stop it or set CELERIAC_RABBITMQ_PORT"
  else
    require_root_for "starting RabbitMQ"
    say "starting RabbitMQ on $HOST:$PORT (logs: /var/log/rabbitmq/)"
    # AMQP on loopback only, like the other local servers (the package default is every interface).
    export RABBITMQ_NODE_IP_ADDRESS="$HOST"
    # -detached returns before the node exists; the bounded waits below decide.
    (cd /var/lib/rabbitmq && bounded_detached 60 rabbitmq-server -detached) >>"$LOG_DIR/rabbitmq.log" 2>&1 ||
      die "rabbitmq-server -detached failed; see $LOG_DIR/rabbitmq.log"
    printf '%s\n' "${RABBITMQ_NODENAME:-default}" >"$STARTED_FILE"
    if ! wait_until "$START_TIMEOUT" "the RabbitMQ node to come up" node_running; then
      tail -n 20 /var/log/rabbitmq/*.log >&2 2>/dev/null || true
      die "RabbitMQ did not start; see /var/log/rabbitmq/ and $LOG_DIR/rabbitmq.log"
    fi
  fi
  ctl -q await_startup --timeout "$START_TIMEOUT" >/dev/null ||
    die "rabbitmqctl await_startup did not succeed within ${START_TIMEOUT}s; see /var/log/rabbitmq/"
  ensure_user
  wait_until 30 "AMQP login as $USER_NAME on $HOST:$PORT" amqp_ok ||
    die "RabbitMQ runs but AMQP login as $USER_NAME on $HOST:$PORT fails: $(probe amqp "amqp://$USER_NAME:$PASSWORD@$HOST:$PORT/" 2>&1)"
  say "ready on $HOST:$PORT (user $USER_NAME, vhost /)"
}

stop() {
  if [[ ! -f "$STARTED_FILE" ]]; then
    if node_running || port_open "$HOST" "$PORT"; then
      say "the server on $HOST:$PORT was not started by this script; leaving it running"
    else
      say "not running"
    fi
    return 0
  fi
  if node_running; then
    say "stopping RabbitMQ"
    # shutdown (unlike stop) waits until the Erlang VM has exited.
    bounded 90 rabbitmqctl "${NODE_ARGS[@]}" -q shutdown >/dev/null ||
      warn "rabbitmqctl shutdown failed or timed out"
  fi
  rm -f "$STARTED_FILE"
  say "stopped"
}

status() {
  local managed="external, not managed by infra/local" out
  [[ -f "$STARTED_FILE" ]] && managed="started by infra/local"
  if out="$(probe amqp "amqp://$USER_NAME:$PASSWORD@$HOST:$PORT/" 2>&1)"; then
    echo "rabbitmq: running on $HOST:$PORT ($managed), $USER_NAME can open vhost /"
    return 0
  fi
  echo "rabbitmq: not ready on $HOST:$PORT: $out"
  return 3
}

valid_vhost() {
  [[ -n "${1:-}" ]] || die "usage: $0 $2 <vhost-name>"
  [[ "$1" =~ ^[A-Za-z0-9._/-]+$ ]] || die "vhost name '$1' must match [A-Za-z0-9._/-]+"
}

vhost_exists() { ctl -q list_vhosts name | grep -qxF "$1"; }

vhost_add() {
  valid_vhost "${1:-}" vhost-add
  vhost_exists "$1" || ctl -q add_vhost "$1" >/dev/null || die "could not add vhost $1"
  ctl -q set_permissions -p "$1" "$USER_NAME" '.*' '.*' '.*' >/dev/null ||
    die "could not grant $USER_NAME permissions on vhost $1"
  say "vhost $1 ready for $USER_NAME"
}

vhost_delete() {
  valid_vhost "${1:-}" vhost-delete
  if vhost_exists "$1"; then
    ctl -q delete_vhost "$1" >/dev/null || die "could not delete vhost $1"
    say "vhost $1 deleted"
  else
    say "vhost $1 does not exist"
  fi
}

case "${1:-}" in
  install) install ;;
  start) start ;;
  stop) stop ;;
  status) status ;;
  vhost-add) vhost_add "${2:-}" ;;
  vhost-delete) vhost_delete "${2:-}" ;;
  *)
    echo "usage: $0 {install|start|stop|status|vhost-add <name>|vhost-delete <name>}" >&2
    exit 2
    ;;
esac
