#!/usr/bin/env bash
# PostgreSQL from Debian packages, run through pg_ctlcluster (no systemd needed).
#   infra/local/postgres.sh {install|start|stop|status}
# Env: CELERIAC_PG_PORT (5432), CELERIAC_PG_START_TIMEOUT (60 s).
# Ensures role celeriac/celeriac (LOGIN SUPERUSER: tests create and drop databases) and
# database celeriac.
set -euo pipefail
COMPONENT=postgres
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

HOST=127.0.0.1
PORT="${CELERIAC_PG_PORT:-5432}"
START_TIMEOUT="${CELERIAC_PG_START_TIMEOUT:-60}"
ROLE=celeriac
PASSWORD=celeriac
DB=celeriac
# Which cluster this script started, "<version> <name>", so stop/down touch nothing else.
STARTED_FILE="$WORK_DIR/postgres-$PORT.started"

install() {
  if command -v pg_ctlcluster >/dev/null 2>&1 && compgen -G '/usr/lib/postgresql/*/bin/postgres' >/dev/null; then
    say "PostgreSQL packages already installed ($(ls /usr/lib/postgresql | sort -V | tail -1))"
    return 0
  fi
  apt_install postgresql
}

# The Debian cluster configured for $PORT, as "<version> <name>", if any.
cluster_for_port() {
  pg_lsclusters -h 2>/dev/null | awk -v p="$PORT" '$3 == p { print $1, $2; exit }'
}

as_postgres() { runuser -u postgres -- "$@"; }

# Superuser SQL over the Unix socket (peer auth); works whatever the celeriac role's state.
admin_sql() { as_postgres psql -X -w -q -v ON_ERROR_STOP=1 -p "$PORT" -d postgres -Atc "$1"; }

app_query() {
  PGPASSWORD="$PASSWORD" PGCONNECT_TIMEOUT=3 psql -X -w -h "$HOST" -p "$PORT" -U "$ROLE" -d "$DB" -Atc "$1"
}

ensure_role_and_db() {
  admin_sql "DO \$\$ BEGIN
      IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '$ROLE') THEN
        CREATE ROLE $ROLE WITH LOGIN SUPERUSER PASSWORD '$PASSWORD';
      ELSE
        ALTER ROLE $ROLE WITH LOGIN SUPERUSER PASSWORD '$PASSWORD';
      END IF;
    END \$\$;" || die "could not create or update role $ROLE"
  if [[ "$(admin_sql "SELECT 1 FROM pg_database WHERE datname = '$DB'")" != 1 ]]; then
    admin_sql "CREATE DATABASE $DB OWNER $ROLE" || die "could not create database $DB"
    say "created database $DB"
  fi
}

# Development defaults, written once before the cluster's first start by this script.
# fsync and synchronous_commit stay on: the projector's exactly-once claim depends on them.
tune_cluster() {
  local ver="$1" name="$2" conf="/etc/postgresql/$1/$2/conf.d/celeriac-dev.conf"
  [[ -d "$(dirname "$conf")" && ! -f "$conf" ]] || return 0
  cat >"$conf" <<'CONF'
# Written by celeriac infra/local/postgres.sh for a development machine.
# Parallel test files each hold a small pool.
max_connections = 300
shared_buffers = 256MB
work_mem = 8MB
checkpoint_timeout = 15min
max_wal_size = 2GB
CONF
  say "wrote dev settings to $conf"
}

start() {
  if pg_isready -q -h "$HOST" -p "$PORT" -t 3; then
    say "reusing the PostgreSQL server already running on $HOST:$PORT"
  elif port_open "$HOST" "$PORT"; then
    die "port $PORT is taken by $(port_owner "$PORT"), which does not answer as PostgreSQL; stop it or set CELERIAC_PG_PORT"
  else
    install
    require_root_for "starting PostgreSQL"
    local cluster ver name
    cluster="$(cluster_for_port)"
    if [[ -z "$cluster" ]]; then
      ver="$(ls /usr/lib/postgresql | sort -V | tail -1)"
      name="celeriac$PORT"
      say "no cluster is configured for port $PORT; creating cluster $ver/$name"
      bounded 120 pg_createcluster "$ver" "$name" -p "$PORT" >>"$LOG_DIR/postgres.log" 2>&1 ||
        die "pg_createcluster $ver $name failed; see $LOG_DIR/postgres.log"
      cluster="$ver $name"
    fi
    read -r ver name <<<"$cluster"
    tune_cluster "$ver" "$name"
    say "starting cluster $ver/$name on port $PORT (pg_ctlcluster)"
    if ! bounded_detached "$START_TIMEOUT" pg_ctlcluster "$ver" "$name" start >>"$LOG_DIR/postgres.log" 2>&1; then
      tail -n 20 "/var/log/postgresql/postgresql-$ver-$name.log" >&2 2>/dev/null || true
      die "pg_ctlcluster $ver $name start failed; see /var/log/postgresql/postgresql-$ver-$name.log"
    fi
    printf '%s %s\n' "$ver" "$name" >"$STARTED_FILE"
  fi
  wait_until "$START_TIMEOUT" "pg_isready on $HOST:$PORT" pg_isready -q -h "$HOST" -p "$PORT" -t 2 ||
    die "PostgreSQL on $HOST:$PORT is not accepting connections"
  # A local Debian cluster can be administered over its socket: (re)assert role and database
  # every time, so a role someone demoted gets SUPERUSER back. Elsewhere we can only check.
  if [[ "$(id -u)" == 0 ]] && [[ -n "$(cluster_for_port)" ]]; then
    ensure_role_and_db
  fi
  local out
  out="$(app_query 'SELECT 1' 2>&1)" ||
    die "PostgreSQL on $HOST:$PORT is up but 'SELECT 1' as $ROLE@$DB failed: $out"
  say "ready on $HOST:$PORT (role $ROLE, database $DB)"
}

stop() {
  if [[ ! -f "$STARTED_FILE" ]]; then
    if pg_isready -q -h "$HOST" -p "$PORT" -t 2; then
      say "the server on $HOST:$PORT was not started by this script; leaving it running"
    else
      say "not running"
    fi
    return 0
  fi
  local ver name
  read -r ver name <"$STARTED_FILE"
  say "stopping cluster $ver/$name"
  bounded 90 pg_ctlcluster "$ver" "$name" stop -m fast >>"$LOG_DIR/postgres.log" 2>&1 ||
    warn "pg_ctlcluster $ver $name stop failed; see $LOG_DIR/postgres.log"
  rm -f "$STARTED_FILE"
  say "stopped"
}

status() {
  local managed="external, not managed by infra/local"
  [[ -f "$STARTED_FILE" ]] && managed="cluster $(tr ' ' / <"$STARTED_FILE"), started by infra/local"
  if app_query 'SELECT 1' >/dev/null 2>&1; then
    echo "postgres: running on $HOST:$PORT ($managed), $ROLE@$DB answers"
    return 0
  fi
  if pg_isready -q -h "$HOST" -p "$PORT" -t 2; then
    echo "postgres: running on $HOST:$PORT ($managed) but $ROLE@$DB does not answer (run infra/local/postgres.sh start)"
    return 3
  fi
  echo "postgres: stopped ($HOST:$PORT)"
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
