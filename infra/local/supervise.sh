# shellcheck shell=bash
# The Celeriac services `npm start` keeps running. Sourced by run.sh (after lib.sh), never executed.
# A service that exits is restarted after a backoff that doubles from 1 s up to 30 s; one that had
# run for CELERIAC_RUN_STABLE_SECONDS (60) before exiting starts over at 1 s. After
# CELERIAC_RUN_MAX_RESTARTS (5) exits in a row, each that soon after its start, the run stops: a
# service that cannot stay up (a port taken, a bad setting) has to say so, not flap for ever.

MAX_RESTARTS="${CELERIAC_RUN_MAX_RESTARTS:-5}"
STABLE_SECONDS="${CELERIAC_RUN_STABLE_SECONDS:-60}"
[[ "$MAX_RESTARTS" =~ ^[0-9]+$ ]] || die "CELERIAC_RUN_MAX_RESTARTS must be a whole number, not '$MAX_RESTARTS'"
[[ "$STABLE_SECONDS" =~ ^[0-9]+$ ]] || die "CELERIAC_RUN_STABLE_SECONDS must be a whole number, not '$STABLE_SECONDS'"

# Per service: its pid ("" while a restart is due), when it started, its exits in a row, when the
# next start is due, its heap flag.
declare -A service_pid=() service_since=() service_failures=() service_due=() service_heap=()

# start_service <name>: one more start, appending to the service's log so a crash stays readable.
start_service() {
  local name="$1"
  if [[ -z "${service_heap[$name]+set}" ]]; then
    # The heap cap of the service's own `npm start` (k8s/ uses the same), read from its package.json.
    service_heap[$name]="$(node -p "(require('./services/$name/package.json').scripts?.start ?? '').match(/--max-old-space-size=\\d+/)?.[0] ?? ''")"
  fi
  local heap_flag="${service_heap[$name]}"
  printf -- '--- npm start: %s started %s\n' "$name" "$(date -u +%FT%TZ)" >>"$RUN_LOGS/$name.log"
  node ${heap_flag:+"$heap_flag"} --import tsx "services/$name/src/main.ts" >>"$RUN_LOGS/$name.log" 2>&1 </dev/null &
  service_pid[$name]=$!
  service_since[$name]=$SECONDS
  printf '%s\n' "$!" >"$RUN_LOGS/$name.pid"
}

describe_exit() {
  if (($1 > 128)); then
    printf 'was killed by SIG%s' "$(kill -l $(($1 - 128)) 2>/dev/null || echo "$(($1 - 128))")"
  else
    printf 'exited with code %s' "$1"
  fi
}

# supervise_services: called about once a second; reaps exits, schedules and performs restarts.
supervise_services() {
  local name pid rc uptime failures delay
  for name in "${!service_pid[@]}"; do
    pid="${service_pid[$name]}"
    if [[ -z "$pid" ]]; then
      if ((SECONDS >= service_due[$name])); then
        start_service "$name"
        say "restarted $name (pid ${service_pid[$name]}; log $RUN_LOGS/$name.log)"
      fi
      continue
    fi
    pid_alive "$pid" && continue
    rc=0
    wait "$pid" || rc=$?
    uptime=$((SECONDS - service_since[$name]))
    failures=1
    ((uptime >= STABLE_SECONDS)) || failures=$((${service_failures[$name]:-0} + 1))
    service_failures[$name]=$failures
    warn "$name (pid $pid) $(describe_exit "$rc") after ${uptime}s; last lines of $RUN_LOGS/$name.log:"
    # This start's own last lines: the log holds every start, each after a "--- npm start" line.
    tac "$RUN_LOGS/$name.log" | sed '/^--- npm start: /q' | tac | tail -n 15 | sed 's/^/    /' >&2 || true
    if ((failures > MAX_RESTARTS)); then
      die "$name exited $failures times in a row, each within ${STABLE_SECONDS}s of its start ($MAX_RESTARTS restarts did not help); stopping the run (see $RUN_LOGS/$name.log)"
    fi
    delay=$((1 << (failures - 1)))
    ((delay <= 30)) || delay=30
    service_pid[$name]=""
    service_due[$name]=$((SECONDS + delay))
    say "restarting $name in ${delay}s (restart $failures of at most $MAX_RESTARTS in a row)"
  done
}

# stop_services: TERM every running service first so their bounded shutdowns overlap, then wait.
stop_services() {
  local name
  for name in "${!service_pid[@]}"; do
    [[ -n "${service_pid[$name]}" ]] && kill -TERM "${service_pid[$name]}" 2>/dev/null
  done
  for name in "${!service_pid[@]}"; do
    [[ -n "${service_pid[$name]}" ]] && stop_pid "${service_pid[$name]}" "$name" 20
    rm -f "$RUN_LOGS/$name.pid"
  done
  return 0
}
