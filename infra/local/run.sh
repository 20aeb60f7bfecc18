#!/usr/bin/env bash
# `npm start`: the whole thing on one machine. Brings the stack up (infra/local/up.sh), migrates
# the database, starts demo Celery workers and steady traffic, then every Celeriac service that
# exists, and keeps running until Ctrl-C. A service that exits is restarted (supervise.sh says how
# often before the run gives up). Ctrl-C (or SIGTERM, or the terminal closing) stops traffic,
# services and workers, every process this run started; the servers stay up for the next run
# (infra/local/down.sh stops them).
# Env: CELERIAC_DEMO_WORKERS (2), CELERIAC_DEMO_RATE (20 tasks/s),
#      CELERIAC_DEMO_MIX (add=60,echo=20,error=10,sleep=5,retry=5),
#      CELERIAC_GATEWAY_PORT (8080), CELERIAC_COLLECTOR_GRPC_PORT (50051),
#      CELERIAC_COLLECTOR_OPS_PORT (9101), CELERIAC_PROJECTOR_OPS_PORT (9102),
#      CELERIAC_RUN_MAX_RESTARTS (5), CELERIAC_RUN_STABLE_SECONDS (60),
#      CELERIAC_WORK_DIR (infra/local/.work: a second run beside a first needs its own, and other ports),
#      CELERIAC_SECRET_KEY (default: a development key generated once under the work dir).
set -euo pipefail
COMPONENT=run
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$LOCAL_DIR/supervise.sh"
cd "$REPO_ROOT"

DEMO_WORKERS="${CELERIAC_DEMO_WORKERS:-2}"
DEMO_RATE="${CELERIAC_DEMO_RATE:-20}"
DEMO_MIX="${CELERIAC_DEMO_MIX:-add=60,echo=20,error=10,sleep=5,retry=5}"
# Exported: the services read the same variables, so what is printed is what they bind.
export CELERIAC_GATEWAY_PORT="${CELERIAC_GATEWAY_PORT:-8080}"
export CELERIAC_COLLECTOR_GRPC_PORT="${CELERIAC_COLLECTOR_GRPC_PORT:-50051}"
export CELERIAC_COLLECTOR_OPS_PORT="${CELERIAC_COLLECTOR_OPS_PORT:-9101}"
export CELERIAC_PROJECTOR_OPS_PORT="${CELERIAC_PROJECTOR_OPS_PORT:-9102}"
GATEWAY_PORT="$CELERIAC_GATEWAY_PORT"
SERVICES=(collector projector gateway)
RUN_LOGS="$LOG_DIR/run"
# Demo workers get their own id prefix so they never collide with workers a test started.
export CELERIAC_WORKER_PREFIX=demo

# A port already taken (most often by another `npm start`) would only show up as a service that
# keeps crashing; say which port and who holds it before anything starts.
for spec in "gateway:$CELERIAC_GATEWAY_PORT:CELERIAC_GATEWAY_PORT" \
  "collector gRPC:$CELERIAC_COLLECTOR_GRPC_PORT:CELERIAC_COLLECTOR_GRPC_PORT" \
  "collector metrics:$CELERIAC_COLLECTOR_OPS_PORT:CELERIAC_COLLECTOR_OPS_PORT" \
  "projector metrics:$CELERIAC_PROJECTOR_OPS_PORT:CELERIAC_PROJECTOR_OPS_PORT"; do
  IFS=: read -r what port var <<<"$spec"
  if port_open 127.0.0.1 "$port"; then
    die "port $port ($what) is taken by $(port_owner "$port"); is another npm start running? Set $var (and CELERIAC_WORK_DIR for a second run)"
  fi
done

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

traffic_pid=""
redis_traffic_pid=""
tick_pid=""
workers_started=0
cleaning=0
cleanup() {
  ((cleaning)) && return
  cleaning=1
  # The terminal may be gone (hung up): a message that cannot be written must not end the cleanup.
  set +e
  # A second Ctrl-C, or the hang-up when npm exits first, would cut the cleanup short, and what it
  # cuts short is what leaves orphans. The commands run from here inherit the ignore. Bounded anyway.
  trap '' INT TERM HUP
  # After a hang-up the terminal refuses writes; report to a log then, as stop-workers.sh (set -e)
  # would otherwise end on its first failed message before it stopped anything.
  echo >&2 2>/dev/null || exec 2>>"$RUN_LOGS/stop.log"
  say "stopping traffic, demo workers and services (servers stay up)"
  [[ -n "$tick_pid" ]] && kill "$tick_pid" 2>/dev/null
  [[ -n "$traffic_pid" ]] && stop_pid "$traffic_pid" "traffic" 10
  [[ -n "$redis_traffic_pid" ]] && stop_pid "$redis_traffic_pid" "Redis traffic" 10
  # Workers before services, so Celeriac records their worker-offline events.
  if ((workers_started)); then
    "$CELERY_APP_DIR/stop-workers.sh" || warn "could not stop every demo worker"
  fi
  stop_services
  [[ -f "$RUN_LOGS/traffic.out" ]] && say "traffic summary: $(tail -n 1 "$RUN_LOGS/traffic.out")"
  say "stopped. Servers are still running: infra/local/status.sh, infra/local/down.sh to stop them"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

if [[ -f services/schema/src/migrate-cli.ts ]]; then
  say "migrating the database (log: $RUN_LOGS/migrate.log)"
  node --import tsx services/schema/src/migrate-cli.ts >"$RUN_LOGS/migrate.log" 2>&1 ||
    { tail -n 20 "$RUN_LOGS/migrate.log" >&2; die "database migration failed; see $RUN_LOGS/migrate.log"; }
fi
say "creating the Kafka topics (log: $RUN_LOGS/topics.log)"
node --import tsx services/event-log/src/topics-cli.ts >"$RUN_LOGS/topics.log" 2>&1 ||
  { tail -n 20 "$RUN_LOGS/topics.log" >&2; die "could not create the Kafka topics; see $RUN_LOGS/topics.log"; }

# The web dashboard the gateway serves at /; without it the gateway answers / with how to build it.
# Built only when older than its sources: a rebuild empties dist/ under pages other runs are serving.
dashboard_index=services/dashboard/dist/index.html
if [[ ! -f $dashboard_index || -n "$(find services/dashboard/src services/dashboard/index.html -newer "$dashboard_index" -print -quit)" ]]; then
  say "building the web dashboard (log: $RUN_LOGS/dashboard-build.log)"
  npm run build -w @celeriac/dashboard >"$RUN_LOGS/dashboard-build.log" 2>&1 ||
    say "dashboard build failed (see $RUN_LOGS/dashboard-build.log); the API runs without it"
fi

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

# A second cluster on the local Redis, `demo-redis`, with a key of its own: two tenants side by side.
redis_connection=""
if [[ -n "${CELERIAC_REDIS_URL:-}" ]]; then
  redis_connection="$(admin connections list | node -e '
    const rows = JSON.parse(require("fs").readFileSync(0, "utf8"));
    process.stdout.write(rows.find((row) => row.name === "demo-redis")?.connectionId ?? "")')"
  if [[ -z "$redis_connection" ]]; then
    redis_connection="$(admin connections add --name demo-redis --broker-url "$CELERIAC_REDIS_URL" |
      node -e 'process.stdout.write(JSON.parse(require("fs").readFileSync(0, "utf8")).connectionId)')"
    rm -f "$WORK_DIR/demo-redis-key"
  fi
  if [[ ! -s "$WORK_DIR/demo-redis-key" ]]; then
    admin keys create --name demo-redis --role admin --connections "$redis_connection" |
      sed -n 's/^key (shown once, store it now): //p' >"$WORK_DIR/demo-redis-key"
  fi
fi

workers_started=1
mapfile -t worker_nodes < <("$CELERY_APP_DIR/start-workers.sh" "$DEMO_WORKERS")
((${#worker_nodes[@]} == DEMO_WORKERS)) || die "the demo workers did not start (messages above say why)"
"$CELERIAC_PYTHON" "$CELERY_APP_DIR/send_traffic.py" --rate "$DEMO_RATE" --duration 0 --mix "$DEMO_MIX" \
  >"$RUN_LOGS/traffic.out" 2>"$RUN_LOGS/traffic.log" &
traffic_pid=$!
redis_nodes=()
if [[ -n "$redis_connection" ]]; then
  mapfile -t redis_nodes < <(CELERIAC_WORKER_PREFIX=demoredis CELERY_BROKER_URL="$CELERIAC_REDIS_URL" \
    "$CELERY_APP_DIR/start-workers.sh" 1)
  ((${#redis_nodes[@]} == 1)) || die "the Redis demo worker did not start (messages above say why)"
  CELERY_BROKER_URL="$CELERIAC_REDIS_URL" "$CELERIAC_PYTHON" "$CELERY_APP_DIR/send_traffic.py" \
    --rate "$DEMO_RATE" --duration 0 --mix "$DEMO_MIX" >"$RUN_LOGS/redis-traffic.out" 2>"$RUN_LOGS/redis-traffic.log" &
  redis_traffic_pid=$!
fi

redis_line="not configured (no CELERIAC_REDIS_URL)"
[[ -n "$redis_connection" ]] &&
  redis_line="connection demo-redis = $redis_connection, worker ${redis_nodes[*]}, traffic $DEMO_RATE tasks/s, key in $WORK_DIR/demo-redis-key"

started=()
for name in "${SERVICES[@]}"; do
  if [[ ! -f "services/$name/src/main.ts" ]]; then
    say "services/$name has no src/main.ts yet; not started"
    continue
  fi
  : >"$RUN_LOGS/$name.log"
  start_service "$name"
  started+=("$name (pid ${service_pid[$name]})")
done

cat >&2 <<INFO

Celeriac is running (Ctrl-C to stop):
  dashboard    http://127.0.0.1:$GATEWAY_PORT/   (sign in with the API key below; if it answers 503: npm run build -w @celeriac/dashboard)
  gateway      http://127.0.0.1:$GATEWAY_PORT$([[ -n "${service_pid[gateway]:-}" ]] || printf ' (not started: no services/gateway/src/main.ts)')   (API, streams, /readyz, /metrics)
  collector    gRPC 127.0.0.1:$CELERIAC_COLLECTOR_GRPC_PORT, metrics http://127.0.0.1:$CELERIAC_COLLECTOR_OPS_PORT/metrics
  projector    metrics http://127.0.0.1:$CELERIAC_PROJECTOR_OPS_PORT/metrics
  services     ${started[*]:-none yet}   (logs and pids: $RUN_LOGS/<name>.{log,pid}; restarted when they exit)
  Kafka        $CELERIAC_KAFKA_BROKERS
  PostgreSQL   $(sed -E 's#(://[^:/@]+):[^@]*@#\1:***@#' <<<"$CELERIAC_DATABASE_URL")
  RabbitMQ     $(sed -E 's#(://[^:/@]+):[^@]*@#\1:***@#' <<<"$CELERIAC_RABBITMQ_URL")
  workers      ${worker_nodes[*]}   (logs: $WORK_DIR/workers/<id>/worker.log)
  traffic      $DEMO_RATE tasks/s, mix $DEMO_MIX   (log: $RUN_LOGS/traffic.log)

  connection   demo = $demo_connection
  API key      $DEMO_KEY   (admin, bound to the demo connection; kept in $WORK_DIR/demo-key)
  Redis        $redis_line
  try          curl -H "Authorization: Bearer $DEMO_KEY" http://127.0.0.1:$GATEWAY_PORT/api/workers
               curl -H "Authorization: Bearer $DEMO_KEY" 'http://127.0.0.1:$GATEWAY_PORT/api/tasks?limit=5'
               curl -N 'http://127.0.0.1:$GATEWAY_PORT/api/events/stream?connectionId=$demo_connection&token=$DEMO_KEY'
               websocat ws://127.0.0.1:$GATEWAY_PORT/<task-id>?token=$DEMO_KEY
               psql "$CELERIAC_DATABASE_URL" -c 'SELECT * FROM celeriac.tasks LIMIT 5'
INFO

# Keep the services up; report the traffic generator once if it stops (it is only demo load).
while :; do
  supervise_services
  if [[ -n "$traffic_pid" ]] && ! pid_alive "$traffic_pid"; then
    warn "traffic stopped: $(tail -n 1 "$RUN_LOGS/traffic.out" 2>/dev/null); see $RUN_LOGS/traffic.log"
    traffic_pid=""
  fi
  # A waited-for background sleep, not a plain one: a signal's trap runs at once.
  sleep 1 &
  tick_pid=$!
  wait "$tick_pid" || true
  tick_pid=""
done
