#!/usr/bin/env bash
# Redis from Debian packages, started without systemd (redis-server --daemonize), on loopback only.
#   infra/local/redis.sh {install|start|stop|status}
# Env: CELERIAC_REDIS_PORT (6379), CELERIAC_REDIS_START_TIMEOUT (30 s).
# Bring your own: up.sh skips this script when CELERIAC_REDIS_URL is set and only pings that URL.
set -euo pipefail
COMPONENT=redis
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

HOST=127.0.0.1
PORT="${CELERIAC_REDIS_PORT:-6379}"
START_TIMEOUT="${CELERIAC_REDIS_START_TIMEOUT:-30}"
DATA_DIR="$WORK_DIR/redis-$PORT"
PID_FILE="$DATA_DIR/redis.pid"
STARTED_FILE="$WORK_DIR/redis-$PORT.started"

install() {
  if command -v redis-server >/dev/null 2>&1 && command -v redis-cli >/dev/null 2>&1 \
    && command -v redis-sentinel >/dev/null 2>&1; then
    say "Redis packages already installed"
    return 0
  fi
  # redis-sentinel: the Sentinel test starts a private sentinel next to the shared server (never a service).
  apt_install redis-server redis-sentinel
}

ping_ok() { [[ "$(bounded 5 redis-cli -h "$HOST" -p "$PORT" ping 2>/dev/null)" == PONG ]]; }

start() {
  command -v redis-sentinel >/dev/null 2>&1 || install
  if ping_ok; then
    say "reusing the Redis server already running on $HOST:$PORT"
    return 0
  fi
  if port_open "$HOST" "$PORT"; then
    die "port $PORT is taken by $(port_owner "$PORT"), which does not answer PING; stop it or set CELERIAC_REDIS_PORT"
  fi
  mkdir -p "$DATA_DIR"
  say "starting Redis on $HOST:$PORT (data and log: $DATA_DIR)"
  # No persistence: Celery's broker state here is test and demo traffic, and an RDB save pausing the
  # server would distort the ingest figures. The pub/sub output limit stays at Redis's default, so
  # the collector is tested against the same cut-off a production server applies.
  (cd "$DATA_DIR" && bounded_detached 30 redis-server --bind "$HOST" --port "$PORT" --daemonize yes \
    --pidfile "$PID_FILE" --logfile "$DATA_DIR/redis.log" --dir "$DATA_DIR" --save '' --appendonly no) \
    >>"$LOG_DIR/redis.log" 2>&1 || die "redis-server failed to start; see $DATA_DIR/redis.log"
  printf '%s\n' "$PORT" >"$STARTED_FILE"
  if ! wait_until "$START_TIMEOUT" "Redis to answer PING on $HOST:$PORT" ping_ok; then
    tail -n 20 "$DATA_DIR/redis.log" >&2 2>/dev/null || true
    die "Redis did not start; see $DATA_DIR/redis.log"
  fi
  say "ready on $HOST:$PORT"
}

stop() {
  if [[ ! -f "$STARTED_FILE" ]]; then
    if port_open "$HOST" "$PORT"; then
      say "the server on $HOST:$PORT was not started by this script; leaving it running"
    else
      say "not running"
    fi
    return 0
  fi
  if ping_ok; then
    say "stopping Redis"
    bounded 30 redis-cli -h "$HOST" -p "$PORT" shutdown nosave >/dev/null 2>&1 || true
  fi
  stop_pid "$(read_pid "$PID_FILE")" redis-server 10
  rm -f "$STARTED_FILE"
  say "stopped"
}

status() {
  local managed="external, not managed by infra/local"
  [[ -f "$STARTED_FILE" ]] && managed="started by infra/local"
  if ping_ok; then
    echo "redis: running on $HOST:$PORT ($managed), answers PING"
    return 0
  fi
  echo "redis: not ready on $HOST:$PORT"
  return 3
}

case "${1:-}" in
  install) install ;;
  start) start ;;
  stop) stop ;;
  status) status ;;
  *)
    echo "usage: $0 {install|start|stop|status}" >&2
    exit 2
    ;;
esac
