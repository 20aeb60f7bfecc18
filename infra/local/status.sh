#!/usr/bin/env bash
# One line per part of the local stack; exit 0 only if every part is usable.
# Servers named by CELERIAC_* variables in the environment are probed instead of the local ones.
set -uo pipefail
COMPONENT=status
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

rc=0
mask() { sed -E 's#(://[^:/@]+):[^@]*@#\1:***@#' <<<"$1"; }
line() { # <ok?> <text>
  printf '%s\n' "$2"
  [[ "$1" == 0 ]] || rc=1
}

if [[ -n "${CELERIAC_KAFKA_BROKERS:-}" ]]; then
  out="$(probe kafka "${CELERIAC_KAFKA_BROKERS%%,*}" 2>&1)"
  line $? "kafka: $out (from CELERIAC_KAFKA_BROKERS)"
else
  "$LOCAL_DIR/kafka.sh" status || rc=1
fi
if [[ -n "${CELERIAC_DATABASE_URL:-}" ]]; then
  out="$(PGCONNECT_TIMEOUT=5 psql -X -w "$CELERIAC_DATABASE_URL" -Atc 'SELECT 1' 2>&1)"
  line $? "postgres: $(mask "$CELERIAC_DATABASE_URL") -> ${out//$'\n'/ } (from CELERIAC_DATABASE_URL)"
else
  "$LOCAL_DIR/postgres.sh" status || rc=1
fi
if [[ -n "${CELERIAC_RABBITMQ_URL:-}" ]]; then
  out="$(probe amqp "$CELERIAC_RABBITMQ_URL" 2>&1)"
  line $? "rabbitmq: $out (from CELERIAC_RABBITMQ_URL)"
else
  "$LOCAL_DIR/rabbitmq.sh" status || rc=1
fi
if [[ -n "${CELERIAC_REDIS_URL:-}" ]]; then
  out="$(bounded 10 redis-cli -u "$CELERIAC_REDIS_URL" ping 2>&1)"
  [[ "$out" == PONG ]]
  line $? "redis: $(mask "$CELERIAC_REDIS_URL") -> $out (from CELERIAC_REDIS_URL)"
else
  "$LOCAL_DIR/redis.sh" status || rc=1
fi
py="${CELERIAC_PYTHON:-$WORK_DIR/venv/bin/python}"
if ver="$("$py" -c 'import celery; print(celery.__version__)' 2>/dev/null)"; then
  line 0 "celery: $py (celery $ver)"
else
  line 1 "celery: no usable venv at $py (run infra/local/celery.sh install)"
fi

workers=()
for dir in "$WORK_DIR"/workers/*/; do
  [[ -d "$dir" ]] || continue
  pid="$(read_pid "$dir/pid")"
  pid_alive "$pid" && workers+=("$(basename "$dir")(pid $pid)")
done
echo "workers: ${workers[*]:-none running}"
if [[ -f "$WORK_DIR/env" ]]; then echo "env file: $WORK_DIR/env"; else echo "env file: missing (run infra/local/up.sh)"; fi
exit "$rc"
