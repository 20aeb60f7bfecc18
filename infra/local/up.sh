#!/usr/bin/env bash
# Install and start the local stack (PostgreSQL, RabbitMQ, Kafka, the Celery venv), reusing
# whatever already runs, and write infra/local/.work/env for tests and services:
#   CELERIAC_KAFKA_BROKERS  CELERIAC_DATABASE_URL  CELERIAC_RABBITMQ_URL
#   CELERIAC_PYTHON         CELERIAC_CELERY_APP_DIR
#   CELERIAC_REDIS_URL
# Bring your own server by exporting its variable first: up.sh then only verifies it and passes
# it through. Idempotent; safe to run again and again. Stop with infra/local/down.sh.
set -euo pipefail
COMPONENT=up
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

KAFKA_PORT="${CELERIAC_KAFKA_PORT:-9092}"
PG_PORT="${CELERIAC_PG_PORT:-5432}"
RABBITMQ_PORT="${CELERIAC_RABBITMQ_PORT:-5672}"
REDIS_PORT="${CELERIAC_REDIS_PORT:-6379}"
ENV_FILE="$WORK_DIR/env"

mask() { sed -E 's#(://[^:/@]+):[^@]*@#\1:***@#' <<<"$1"; }

verify_kafka() {
  local first="${CELERIAC_KAFKA_BROKERS%%,*}"
  probe kafka "$first" >/dev/null ||
    die "CELERIAC_KAFKA_BROKERS=$CELERIAC_KAFKA_BROKERS does not answer as Kafka: $(probe kafka "$first" 2>&1)"
  # A broker whose internal topics cannot be created (replication factor > brokers) never gets a
  # group coordinator, and every consumer test would hang instead of failing here.
  wait_until 30 "a consumer-group coordinator on $first" probe kafka-groups "$first" ||
    die "Kafka at $first cannot coordinate consumer groups: $(probe kafka-groups "$first" 2>&1) (single node? set offsets.topic.replication.factor=1)"
  say "using Kafka from CELERIAC_KAFKA_BROKERS ($CELERIAC_KAFKA_BROKERS)"
}

verify_postgres() {
  local out
  out="$(PGCONNECT_TIMEOUT=5 psql -X -w "$CELERIAC_DATABASE_URL" -Atc 'SELECT 1' 2>&1)" ||
    die "CELERIAC_DATABASE_URL=$(mask "$CELERIAC_DATABASE_URL") does not answer 'SELECT 1': $out"
  say "using PostgreSQL from CELERIAC_DATABASE_URL ($(mask "$CELERIAC_DATABASE_URL"))"
}

verify_rabbitmq() {
  probe amqp "$CELERIAC_RABBITMQ_URL" >/dev/null ||
    die "CELERIAC_RABBITMQ_URL=$(mask "$CELERIAC_RABBITMQ_URL") does not let its user in: $(probe amqp "$CELERIAC_RABBITMQ_URL" 2>&1)"
  say "using RabbitMQ from CELERIAC_RABBITMQ_URL ($(mask "$CELERIAC_RABBITMQ_URL"))"
}

verify_redis() {
  local out
  out="$(bounded 10 redis-cli -u "$CELERIAC_REDIS_URL" ping 2>&1)"
  [[ "$out" == PONG ]] || die "CELERIAC_REDIS_URL=$(mask "$CELERIAC_REDIS_URL") does not answer PING: $out"
  say "using Redis from CELERIAC_REDIS_URL ($(mask "$CELERIAC_REDIS_URL"))"
}

verify_python() {
  "$CELERIAC_PYTHON" -c 'import celery, kombu' >/dev/null 2>&1 ||
    die "CELERIAC_PYTHON=$CELERIAC_PYTHON cannot import celery and kombu"
  say "using Python from CELERIAC_PYTHON ($CELERIAC_PYTHON)"
}

take_lock up 600

# apt-based installs first and one at a time (dpkg holds a lock); the starts then run in parallel,
# each bounded by its own timeouts.
[[ -n "${CELERIAC_DATABASE_URL:-}" ]] || "$LOCAL_DIR/postgres.sh" install
[[ -n "${CELERIAC_RABBITMQ_URL:-}" ]] || "$LOCAL_DIR/rabbitmq.sh" install
[[ -n "${CELERIAC_REDIS_URL:-}" ]] || "$LOCAL_DIR/redis.sh" install

declare -A jobs=()
run_bg() {
  local name="$1"
  shift
  "$@" &
  jobs[$name]=$!
}
if [[ -n "${CELERIAC_DATABASE_URL:-}" ]]; then run_bg postgres verify_postgres; else run_bg postgres "$LOCAL_DIR/postgres.sh" start; fi
if [[ -n "${CELERIAC_RABBITMQ_URL:-}" ]]; then run_bg rabbitmq verify_rabbitmq; else run_bg rabbitmq "$LOCAL_DIR/rabbitmq.sh" start; fi
if [[ -n "${CELERIAC_REDIS_URL:-}" ]]; then run_bg redis verify_redis; else run_bg redis "$LOCAL_DIR/redis.sh" start; fi
if [[ -n "${CELERIAC_KAFKA_BROKERS:-}" ]]; then run_bg kafka verify_kafka; else run_bg kafka "$LOCAL_DIR/kafka.sh" start; fi
if [[ -n "${CELERIAC_PYTHON:-}" ]]; then run_bg celery verify_python; else run_bg celery "$LOCAL_DIR/celery.sh" install; fi

failed=()
for name in postgres rabbitmq redis kafka celery; do
  wait "${jobs[$name]}" || failed+=("$name")
done
((${#failed[@]} == 0)) || die "could not bring up: ${failed[*]} (messages above say why)"

KAFKA_BROKERS="${CELERIAC_KAFKA_BROKERS:-127.0.0.1:$KAFKA_PORT}"
DATABASE_URL="${CELERIAC_DATABASE_URL:-postgres://celeriac:celeriac@127.0.0.1:$PG_PORT/celeriac}"
RABBITMQ_URL="${CELERIAC_RABBITMQ_URL:-amqp://celeriac:celeriac@127.0.0.1:$RABBITMQ_PORT/}"
REDIS_URL="${CELERIAC_REDIS_URL:-redis://127.0.0.1:$REDIS_PORT/0}"
PYTHON="${CELERIAC_PYTHON:-$WORK_DIR/venv/bin/python}"
APP_DIR="${CELERIAC_CELERY_APP_DIR:-$CELERY_APP_DIR}"
[[ -f "$APP_DIR/demo_app.py" ]] || die "CELERIAC_CELERY_APP_DIR=$APP_DIR has no demo_app.py"

# Written whole then renamed, so a concurrent reader never sees half a file.
tmp="$(mktemp "$ENV_FILE.XXXXXX")"
cat >"$tmp" <<ENV
CELERIAC_KAFKA_BROKERS=$KAFKA_BROKERS
CELERIAC_DATABASE_URL=$DATABASE_URL
CELERIAC_RABBITMQ_URL=$RABBITMQ_URL
CELERIAC_REDIS_URL=$REDIS_URL
CELERIAC_PYTHON=$PYTHON
CELERIAC_CELERY_APP_DIR=$APP_DIR
ENV
mv "$tmp" "$ENV_FILE"

cat >&2 <<SUMMARY

Celeriac local stack is up:
  Kafka        $KAFKA_BROKERS
  PostgreSQL   $(mask "$DATABASE_URL")
  RabbitMQ     $(mask "$RABBITMQ_URL")
  Redis        $(mask "$REDIS_URL")
  Celery       $PYTHON (app: $APP_DIR)
  env file     $ENV_FILE   (set -a; source $ENV_FILE; set +a)
  status: infra/local/status.sh    stop: infra/local/down.sh
SUMMARY
