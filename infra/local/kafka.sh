#!/usr/bin/env bash
# Apache Kafka 3.9.1, single node, KRaft (broker + controller in one JVM), from Maven Central jars.
#   infra/local/kafka.sh {install|start|stop|status}
# Env: CELERIAC_KAFKA_PORT (9092), CELERIAC_KAFKA_CONTROLLER_PORT (9093),
#      CELERIAC_KAFKA_HEAP (1g), CELERIAC_KAFKA_START_TIMEOUT (90 s).
set -euo pipefail
COMPONENT=kafka
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

HOST=127.0.0.1
PORT="${CELERIAC_KAFKA_PORT:-9092}"
CONTROLLER_PORT="${CELERIAC_KAFKA_CONTROLLER_PORT:-9093}"
HEAP="${CELERIAC_KAFKA_HEAP:-1g}"
START_TIMEOUT="${CELERIAC_KAFKA_START_TIMEOUT:-90}"

SRC_DIR="$LOCAL_DIR/kafka"
KAFKA_WORK="$WORK_DIR/kafka"
LIBS="$KAFKA_WORK/libs"
DATA="$KAFKA_WORK/data"
KLOGS="$KAFKA_WORK/logs"
CONF="$KAFKA_WORK/server.properties"
PID_FILE="$KAFKA_WORK/kafka.pid"
PORT_FILE="$KAFKA_WORK/kafka.port"
CLUSTER_ID_FILE="$KAFKA_WORK/cluster-id"
# Holds the hash of pom.xml the jars were resolved from, so editing the pom re-resolves.
LIBS_STAMP="$LIBS/.resolved-from"

java_bin() {
  command -v java >/dev/null 2>&1 || die "java not found: install a JDK >= 11 (apt-get install -y openjdk-17-jre-headless)"
  printf 'java'
}

tool() {
  "$(java_bin)" -Dlog4j.configuration="file:$SRC_DIR/tools-log4j.properties" -cp "$LIBS/*" "$@" </dev/null
}

install() {
  local want
  want="$(sha256sum "$SRC_DIR/pom.xml" | cut -d' ' -f1)"
  if [[ -f "$LIBS_STAMP" && "$(cat "$LIBS_STAMP")" == "$want" ]]; then
    say "jars already resolved in $LIBS"
    return 0
  fi
  command -v mvn >/dev/null 2>&1 || die "mvn not found: install Maven (apt-get install -y maven)"
  java_bin >/dev/null
  mkdir -p "$KAFKA_WORK"
  local tmp="$KAFKA_WORK/libs.tmp" log="$LOG_DIR/kafka-maven.log"
  rm -rf "$tmp"
  say "resolving the Kafka jars named in $SRC_DIR/pom.xml from Maven Central (log: $log)"
  if ! bounded 900 mvn -B -f "$SRC_DIR/pom.xml" dependency:copy-dependencies \
    -DoutputDirectory="$tmp" -DincludeScope=runtime >"$log" 2>&1; then
    grep -E '^\[ERROR\] .*(Failed to execute goal|Could not|Failure|Non-resolvable)' "$log" | cut -c1-400 | head -n 3 >&2 || true
    local failed
    # Name the artifacts Maven gave up on (group:artifact:type:version), not just "it failed".
    failed="$(grep -E 'could not be resolved|Could not (find|transfer|resolve)|Failure to' "$log" |
      grep -oE '[A-Za-z0-9._-]+:[A-Za-z0-9._-]+:(jar|pom)(:[A-Za-z0-9._-]+)?:[0-9][A-Za-z0-9._-]*' | grep -v '^dev.celeriac.local:' | sort -u | head -n 5 | paste -sd' ' || true)"
    die "Maven could not fetch the Kafka jars${failed:+ — failing artifact(s): $failed}; full log: $log"
  fi
  compgen -G "$tmp/kafka_2.13-*.jar" >/dev/null || die "Maven finished but no kafka_2.13 jar is in $tmp; see $log"
  rm -rf "$LIBS"
  mv "$tmp" "$LIBS"
  printf '%s' "$want" >"$LIBS_STAMP"
  say "resolved $(find "$LIBS" -name '*.jar' | wc -l) jars into $LIBS"
}

# set_prop <key> <value>: replace the key's line in the working copy (or append it).
set_prop() {
  if grep -q "^$1=" "$CONF"; then
    sed -i "s|^$1=.*|$1=$2|" "$CONF"
  else
    printf '%s=%s\n' "$1" "$2" >>"$CONF"
  fi
}

write_config() {
  mkdir -p "$DATA" "$KLOGS"
  cp "$SRC_DIR/server.properties" "$CONF"
  set_prop log.dirs "$DATA"
  set_prop listeners "PLAINTEXT://$HOST:$PORT,CONTROLLER://$HOST:$CONTROLLER_PORT"
  set_prop advertised.listeners "PLAINTEXT://$HOST:$PORT"
  set_prop controller.quorum.voters "1@$HOST:$CONTROLLER_PORT"
}

format_storage() {
  if [[ -f "$DATA/meta.properties" ]]; then
    return 0
  fi
  if [[ ! -s "$CLUSTER_ID_FILE" ]]; then
    tool kafka.tools.StorageTool random-uuid | tail -n 1 >"$CLUSTER_ID_FILE.tmp"
    mv "$CLUSTER_ID_FILE.tmp" "$CLUSTER_ID_FILE"
  fi
  local cid
  cid="$(cat "$CLUSTER_ID_FILE")"
  say "formatting KRaft storage in $DATA (cluster id $cid)"
  tool kafka.tools.StorageTool format -t "$cid" -c "$CONF" --ignore-formatted >"$LOG_DIR/kafka-format.log" 2>&1 ||
    { cat "$LOG_DIR/kafka-format.log" >&2; die "kafka-storage format failed; see $LOG_DIR/kafka-format.log"; }
}

our_pid() {
  local pid
  pid="$(read_pid "$PID_FILE")"
  if pid_alive "$pid" && grep -qa 'kafka.Kafka' "/proc/$pid/cmdline" 2>/dev/null; then
    printf '%s' "$pid"
  fi
}

start() {
  take_lock kafka-start $((START_TIMEOUT + 60))
  local pid
  pid="$(our_pid)"
  if [[ -n "$pid" ]]; then
    local running_port
    running_port="$(cat "$PORT_FILE" 2>/dev/null || echo 9092)"
    [[ "$running_port" == "$PORT" ]] ||
      die "the Kafka started by infra/local (pid $pid) listens on $running_port, not $PORT; run infra/local/kafka.sh stop first to change ports"
    say "already running (pid $pid) on $HOST:$PORT"
  elif port_open "$HOST" "$PORT"; then
    if probe kafka "$HOST:$PORT" >/dev/null 2>&1; then
      say "reusing the Kafka broker already serving $HOST:$PORT (not started by this script)"
      return 0
    fi
    die "port $PORT is taken by $(port_owner "$PORT"), which does not answer as Kafka; stop it or set CELERIAC_KAFKA_PORT"
  elif port_open "$HOST" "$CONTROLLER_PORT"; then
    die "controller port $CONTROLLER_PORT is taken by $(port_owner "$CONTROLLER_PORT"); stop it or set CELERIAC_KAFKA_CONTROLLER_PORT"
  else
    install
    write_config
    format_storage
    say "starting Kafka on $HOST:$PORT (controller $CONTROLLER_PORT, logs: $KLOGS)"
    # setsid: a session of its own, so the broker outlives the shell, job or CI step that started it
    # (a process-group kill of the caller would otherwise take Kafka down with it).
    exec_without_inherited_fds setsid nohup "$(java_bin)" -Xms256m -Xmx"$HEAP" -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true \
      -Dkafka.logs.dir="$KLOGS" -Dlog4j.configuration="file:$SRC_DIR/log4j.properties" \
      -cp "$LIBS/*" kafka.Kafka "$CONF" >"$KLOGS/kafka.out" 2>&1 </dev/null &
    pid=$!
    printf '%s\n' "$pid" >"$PID_FILE"
    printf '%s\n' "$PORT" >"$PORT_FILE"
  fi
  local deadline=$((SECONDS + START_TIMEOUT))
  # Ready means consumer groups work too: the first test must not meet "coordinator not available".
  until probe kafka-groups "$HOST:$PORT" >/dev/null 2>&1; do
    if ! pid_alive "$pid"; then
      tail -n 30 "$KLOGS/kafka.out" "$KLOGS/server.log" >&2 2>/dev/null || true
      rm -f "$PID_FILE" "$PORT_FILE"
      die "Kafka exited during start-up; see $KLOGS/server.log and $KLOGS/kafka.out"
    fi
    if ((SECONDS >= deadline)); then
      tail -n 30 "$KLOGS/server.log" >&2 2>/dev/null || true
      die "Kafka (pid $pid) did not answer metadata and FindCoordinator on $HOST:$PORT within ${START_TIMEOUT}s; see $KLOGS/server.log (left running; infra/local/kafka.sh stop)"
    fi
    sleep 1
  done
  say "ready on $HOST:$PORT (pid $pid)"
}

stop() {
  local pid
  pid="$(our_pid)"
  if [[ -z "$pid" ]]; then
    rm -f "$PID_FILE"
    if port_open "$HOST" "$PORT"; then
      say "the server on $HOST:$PORT was not started by this script; leaving it running"
    else
      say "not running"
    fi
    return 0
  fi
  say "stopping Kafka (pid $pid)"
  stop_pid "$pid" "Kafka" 60
  rm -f "$PID_FILE" "$PORT_FILE"
  say "stopped"
}

status() {
  local pid out
  pid="$(our_pid)"
  if out="$(probe kafka "$HOST:$PORT" 2>&1)"; then
    if [[ -n "$pid" ]]; then
      echo "kafka: running on $HOST:$PORT (pid $pid, started by infra/local; logs $KLOGS)"
    else
      echo "kafka: running on $HOST:$PORT (external, not managed by infra/local)"
    fi
    return 0
  fi
  if [[ -n "$pid" ]]; then
    echo "kafka: starting or unhealthy (pid $pid): $out"
  else
    echo "kafka: stopped ($HOST:$PORT: $out)"
  fi
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
