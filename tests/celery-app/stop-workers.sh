#!/usr/bin/env bash
# Stop demo_app workers started by start-workers.sh: SIGTERM (warm shutdown: running tasks
# finish), then SIGKILL to the whole process group after CELERIAC_WORKER_STOP_TIMEOUT (30 s).
#   tests/celery-app/stop-workers.sh            all workers
#   tests/celery-app/stop-workers.sh w1 w2      only these
#   CELERIAC_WORKER_PREFIX=t7 stop-workers.sh   only those whose id starts with t7
set -euo pipefail
COMPONENT=workers
source "$(dirname "${BASH_SOURCE[0]}")/../../infra/local/lib.sh"

GRACE="${CELERIAC_WORKER_STOP_TIMEOUT:-30}"
WORKERS_DIR="$WORK_DIR/workers"

ids=("$@")
if ((${#ids[@]} == 0)); then
  for dir in "$WORKERS_DIR/${CELERIAC_WORKER_PREFIX:-}"*/; do
    [[ -d "$dir" ]] && ids+=("$(basename "$dir")")
  done
fi

group_alive() { kill -0 -- "-$1" 2>/dev/null; }

stopped=0
for id in "${ids[@]}"; do
  dir="$WORKERS_DIR/$id"
  pid="$(read_pid "$dir/pid")"
  if [[ -z "$pid" ]] || ! group_alive "$pid"; then
    rm -f "$dir/pid"
    continue
  fi
  say "stopping $id (pid $pid)"
  kill -TERM "$pid" 2>/dev/null || true
  deadline=$((SECONDS + GRACE))
  while pid_alive "$pid" && ((SECONDS < deadline)); do sleep 0.5; done
  if group_alive "$pid"; then
    pid_alive "$pid" && warn "$id did not finish its warm shutdown within ${GRACE}s; killing its process group"
    kill -KILL -- "-$pid" 2>/dev/null || true
  fi
  rm -f "$dir/pid"
  stopped=$((stopped + 1))
done
say "stopped $stopped worker(s)"
