#!/usr/bin/env bash
# Start N demo_app Celery workers in the background and wait until each says it is ready.
#   tests/celery-app/start-workers.sh N [extra celery worker args...]
# Each worker w<i> (prefix: CELERIAC_WORKER_PREFIX, default "w") runs
#   celery -A demo_app worker -E -n w<i>@%h --pool=prefork -c 2 -l info [extra args]
# in its own process group, logging to infra/local/.work/workers/w<i>/worker.log (pid file beside
# it). Broker: CELERY_BROKER_URL (default: the local RabbitMQ), so a test can use its own vhost.
# Python: CELERIAC_PYTHON, else the venv of infra/local/celery.sh.
# Prints one node name per line on stdout. Stop them with stop-workers.sh.
set -euo pipefail
COMPONENT=workers
source "$(dirname "${BASH_SOURCE[0]}")/../../infra/local/lib.sh"

COUNT="${1:-}"
[[ "$COUNT" =~ ^[1-9][0-9]*$ ]] || die "usage: $0 N [extra celery worker args...]"
shift
PREFIX="${CELERIAC_WORKER_PREFIX:-w}"
[[ "$PREFIX" =~ ^[A-Za-z0-9_-]+$ ]] || die "CELERIAC_WORKER_PREFIX must match [A-Za-z0-9_-]+"
START_TIMEOUT="${CELERIAC_WORKER_START_TIMEOUT:-60}"
BROKER="${CELERY_BROKER_URL:-amqp://celeriac:celeriac@127.0.0.1:5672/}"
export CELERY_BROKER_URL="$BROKER"
WORKERS_DIR="$WORK_DIR/workers"

PY="${CELERIAC_PYTHON:-}"
if [[ -z "$PY" ]]; then
  "$LOCAL_DIR/celery.sh" install >&2
  PY="$("$LOCAL_DIR/celery.sh" python)"
fi
[[ -x "$PY" ]] || die "python not executable: $PY"

started=()
for ((i = 1; i <= COUNT; i++)); do
  id="$PREFIX$i"
  dir="$WORKERS_DIR/$id"
  mkdir -p "$dir"
  pid="$(read_pid "$dir/pid")"
  if pid_alive "$pid"; then
    # Reuse only a worker on the same broker; a test pointing at its own vhost needs fresh ones.
    if [[ "$(cat "$dir/broker" 2>/dev/null)" == "$BROKER" ]]; then
      say "$id already running (pid $pid)"
      started+=("$id")
      continue
    fi
    die "$id (pid $pid) is running against another broker; run stop-workers.sh $id first or set CELERIAC_WORKER_PREFIX"
  fi
  printf '%s\n' "$BROKER" >"$dir/broker"
  : >"$dir/worker.log"
  (
    cd "$CELERY_APP_DIR"
    # setsid: own process group, so stop-workers.sh can take the prefork children down too.
    exec setsid "$PY" -m celery -A demo_app worker -E -n "$id@%h" --pool=prefork -c 2 -l info "$@" \
      >>"$dir/worker.log" 2>&1 </dev/null
  ) &
  printf '%s\n' "$!" >"$dir/pid"
  started+=("$id")
done

for id in "${started[@]}"; do
  dir="$WORKERS_DIR/$id"
  pid="$(read_pid "$dir/pid")"
  deadline=$((SECONDS + START_TIMEOUT))
  until grep -qE "\] $id@[^ ]+ ready\.$" "$dir/worker.log"; do
    if ! pid_alive "$pid"; then
      tail -n 20 "$dir/worker.log" >&2
      die "worker $id exited during start-up; see $dir/worker.log"
    fi
    if ((SECONDS >= deadline)); then
      tail -n 20 "$dir/worker.log" >&2
      die "worker $id (pid $pid) not ready within ${START_TIMEOUT}s; see $dir/worker.log (stop-workers.sh $id)"
    fi
    sleep 0.5
  done
  node="$(grep -oE "\] $id@[^ ]+ ready\.$" "$dir/worker.log" | tail -1 | sed -E 's/^\] (.*) ready\.$/\1/')"
  say "$node ready (pid $pid, log $dir/worker.log)"
  printf '%s\n' "$node"
done
