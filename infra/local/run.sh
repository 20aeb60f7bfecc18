#!/usr/bin/env bash
# `npm start`: the whole thing on one machine. Brings the stack up (infra/local/up.sh), migrates
# the database, starts demo Celery workers and steady traffic, then every Celeriac service that
# exists, and keeps running until Ctrl-C. Ctrl-C (or SIGTERM) stops traffic, services and workers;
# the servers stay up for the next run (infra/local/down.sh stops them).
# Env: CELERIAC_DEMO_WORKERS (2), CELERIAC_DEMO_RATE (20 tasks/s),
#      CELERIAC_DEMO_MIX (add=60,echo=20,error=10,sleep=5,retry=5), CELERIAC_GATEWAY_PORT (8080),
#      CELERIAC_SECRET_KEY (default: a development key generated once under infra/local/.work).
set -euo pipefail
COMPONENT=run
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO_ROOT"

DEMO_WORKERS="${CELERIAC_DEMO_WORKERS:-2}"
DEMO_RATE="${CELERIAC_DEMO_RATE:-20}"
DEMO_MIX="${CELERIAC_DEMO_MIX:-add=60,echo=20,error=10,sleep=5,retry=5}"
GATEWAY_PORT="${CELERIAC_GATEWAY_PORT:-8080}"
SERVICES=(collector projector gateway)
RUN_LOGS="$LOG_DIR/run"
# Demo workers get their own id prefix so they never collide with workers a test started.
export CELERIAC_WORKER_PREFIX=demo

ensure_node_modules
"$LOCAL_DIR/up.sh"
set -a
# shellcheck source=/dev/null
source "$WORK_DIR/env"
set +a
export CELERY_BROKER_URL="$CELERIAC_RABBITMQ_URL"
if [[ -z "${CELERIAC_SECRET_KEY:-}" ]]; then
  key_file="$WORK_DIR/dev-secret-key"
  [[ -s "$key_file" ]] || (umask 077 && head -c 32 /dev/urandom | base64 >"$key_file")
  CELERIAC_SECRET_KEY="$(cat "$key_file")"
  export CELERIAC_SECRET_KEY
fi
# The collector's Control gRPC refuses calls without this token; collector and gateway share it.
if [[ -z "${CELERIAC_CONTROL_TOKEN:-}" ]]; then
  CELERIAC_CONTROL_TOKEN="$(head -c 24 /dev/urandom | base64 | tr -d '/+=')"
  export CELERIAC_CONTROL_TOKEN
fi
mkdir -p "$RUN_LOGS"

declare -A service_pid=()
traffic_pid=""
cleaning=0
cleanup() {
  ((cleaning)) && return
  cleaning=1
  trap - INT TERM
  echo >&2
  say "stopping traffic, demo workers and services (servers stay up)"
  [[ -n "$traffic_pid" ]] && stop_pid "$traffic_pid" "traffic" 10
  local name
  # Workers before services, so Celeriac records their worker-offline events.
  "$CELERY_APP_DIR/stop-workers.sh" || warn "could not stop every demo worker"
  # TERM all services first so their bounded shutdowns overlap, then wait for each.
  for name in "${!service_pid[@]}"; do kill -TERM "${service_pid[$name]}" 2>/dev/null || true; done
  for name in "${!service_pid[@]}"; do stop_pid "${service_pid[$name]}" "$name" 20; done
  [[ -f "$RUN_LOGS/traffic.out" ]] && say "traffic summary: $(tail -n 1 "$RUN_LOGS/traffic.out")"
  say "stopped. Servers are still running: infra/local/status.sh, infra/local/down.sh to stop them"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if [[ -f services/schema/src/migrate-cli.ts ]]; then
  say "migrating the database (log: $RUN_LOGS/migrate.log)"
  node --import tsx services/schema/src/migrate-cli.ts >"$RUN_LOGS/migrate.log" 2>&1 ||
    { tail -n 20 "$RUN_LOGS/migrate.log" >&2; die "database migration failed; see $RUN_LOGS/migrate.log"; }
fi
say "creating the Kafka topics (log: $RUN_LOGS/topics.log)"
node --import tsx services/event-log/src/topics-cli.ts >"$RUN_LOGS/topics.log" 2>&1 ||
  { tail -n 20 "$RUN_LOGS/topics.log" >&2; die "could not create the Kafka topics; see $RUN_LOGS/topics.log"; }

# The demo connection (the local RabbitMQ) and an operator key for it, made once with the admin CLI.
admin() { node --import tsx services/gateway/src/cli/admin.ts "$@"; }
demo_connection="$(admin connections list | node -e '
  const rows = JSON.parse(require("fs").readFileSync(0, "utf8"));
  process.stdout.write(rows.find((row) => row.name === "demo")?.connectionId ?? "")')"
if [[ -z "$demo_connection" ]]; then
  demo_connection="$(admin connections add --name demo --broker-url "$CELERIAC_RABBITMQ_URL" |
    node -e 'process.stdout.write(JSON.parse(require("fs").readFileSync(0, "utf8")).connectionId)')"
  rm -f "$WORK_DIR/demo-key"
fi
if [[ ! -s "$WORK_DIR/demo-key" ]]; then
  admin keys create --name demo --role admin --connections "$demo_connection" |
    sed -n 's/^key (shown once, store it now): //p' >"$WORK_DIR/demo-key"
fi
DEMO_KEY="$(cat "$WORK_DIR/demo-key")"

mapfile -t worker_nodes < <("$CELERY_APP_DIR/start-workers.sh" "$DEMO_WORKERS")
"$CELERIAC_PYTHON" "$CELERY_APP_DIR/send_traffic.py" --rate "$DEMO_RATE" --duration 0 --mix "$DEMO_MIX" \
  >"$RUN_LOGS/traffic.out" 2>"$RUN_LOGS/traffic.log" &
traffic_pid=$!

started=()
for name in "${SERVICES[@]}"; do
  main="services/$name/src/main.ts"
  if [[ ! -f "$main" ]]; then
    say "services/$name has no src/main.ts yet; not started"
    continue
  fi
  # The heap cap of the service's own `npm start` (k8s/ uses the same), read from its package.json.
  heap_flag="$(node -p "(require('./services/$name/package.json').scripts?.start ?? '').match(/--max-old-space-size=\\d+/)?.[0] ?? ''")"
  node ${heap_flag:+"$heap_flag"} --import tsx "$main" >"$RUN_LOGS/$name.log" 2>&1 </dev/null &
  service_pid[$name]=$!
  started+=("$name")
done

cat >&2 <<INFO

Celeriac is running (Ctrl-C to stop):
  gateway      http://127.0.0.1:$GATEWAY_PORT$([[ -n "${service_pid[gateway]:-}" ]] || printf ' (not started: no services/gateway/src/main.ts)')
  services     ${started[*]:-none yet}   (logs: $RUN_LOGS/<name>.log)
  Kafka        $CELERIAC_KAFKA_BROKERS
  PostgreSQL   $(sed -E 's#(://[^:/@]+):[^@]*@#\1:***@#' <<<"$CELERIAC_DATABASE_URL")
  RabbitMQ     $(sed -E 's#(://[^:/@]+):[^@]*@#\1:***@#' <<<"$CELERIAC_RABBITMQ_URL")
  workers      ${worker_nodes[*]}   (logs: $WORK_DIR/workers/<id>/worker.log)
  traffic      $DEMO_RATE tasks/s, mix $DEMO_MIX   (log: $RUN_LOGS/traffic.log)

  connection   demo = $demo_connection
  API key      $DEMO_KEY   (admin, bound to the demo connection; kept in $WORK_DIR/demo-key)
  try          curl -H "Authorization: Bearer $DEMO_KEY" http://127.0.0.1:$GATEWAY_PORT/api/workers
               curl -H "Authorization: Bearer $DEMO_KEY" 'http://127.0.0.1:$GATEWAY_PORT/api/tasks?limit=5'
               curl -N 'http://127.0.0.1:$GATEWAY_PORT/api/events/stream?connectionId=$demo_connection&token=$DEMO_KEY'
               websocat ws://127.0.0.1:$GATEWAY_PORT/<task-id>?token=$DEMO_KEY
               psql "$CELERIAC_DATABASE_URL" -c 'SELECT * FROM celeriac.tasks LIMIT 5'
INFO

# Report a process that dies, once, and keep the rest running.
while :; do
  for name in "${!service_pid[@]}"; do
    if ! pid_alive "${service_pid[$name]}"; then
      rc=0
      wait "${service_pid[$name]}" || rc=$?
      warn "$name exited (code $rc); last lines of $RUN_LOGS/$name.log:"
      tail -n 15 "$RUN_LOGS/$name.log" >&2 || true
      unset "service_pid[$name]"
    fi
  done
  if [[ -n "$traffic_pid" ]] && ! pid_alive "$traffic_pid"; then
    warn "traffic stopped: $(tail -n 1 "$RUN_LOGS/traffic.out" 2>/dev/null); see $RUN_LOGS/traffic.log"
    traffic_pid=""
  fi
  sleep 2 &
  wait $! || true
done
