# shellcheck shell=bash
# Shared helpers for the infra/local scripts. Sourced, never executed.
# Every wait here is bounded: a local server that does not come up must fail loudly, not hang CI.

LOCAL_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$LOCAL_DIR/../.." && pwd)"
# CELERIAC_WORK_DIR moves all state (env file, logs, pid files, demo key, workers) elsewhere, so a
# second `npm start` (a test's) never touches the first one's files.
WORK_DIR="${CELERIAC_WORK_DIR:-$LOCAL_DIR/.work}"
LOG_DIR="$WORK_DIR/logs"
CELERY_APP_DIR="$REPO_ROOT/tests/celery-app"
mkdir -p "$LOG_DIR"

: "${COMPONENT:=local}"

say() { printf '[%s] %s\n' "$COMPONENT" "$*" >&2; }
warn() { printf '[%s] WARNING: %s\n' "$COMPONENT" "$*" >&2; }
die() {
  printf '[%s] ERROR: %s\n' "$COMPONENT" "$*" >&2
  exit 1
}

# A stdlib-only Python is enough for probe.py; the Celery venv may not exist yet.
system_python() {
  local py
  for py in python3 /usr/bin/python3; do
    if command -v "$py" >/dev/null 2>&1; then
      command -v "$py"
      return 0
    fi
  done
  die "python3 is needed for the readiness probes (apt-get install -y python3)"
}

probe() { "$(system_python)" "$LOCAL_DIR/probe.py" "$@"; }

port_open() { probe tcp "$1" "$2" >/dev/null 2>&1; }

# Who listens on a TCP port, for "port taken by ..." messages.
port_owner() {
  local port="$1" out
  out="$(ss -Hltnp "sport = :$port" 2>/dev/null | grep -o 'users:(([^)]*))' | head -1 || true)"
  if [[ -n "$out" ]]; then printf '%s' "$out"; else printf 'an unknown process'; fi
}

# wait_until <timeout-seconds> <what> <command...>: polls once a second, bounded.
wait_until() {
  local timeout="$1" what="$2"
  shift 2
  local deadline=$((SECONDS + timeout))
  until "$@" >/dev/null 2>&1; do
    if ((SECONDS >= deadline)); then
      printf '[%s] ERROR: timed out after %ss waiting for %s\n' "$COMPONENT" "$timeout" "$what" >&2
      return 1
    fi
    sleep 1
  done
}

pid_alive() { [[ -n "${1:-}" ]] && kill -0 "$1" 2>/dev/null; }

read_pid() { [[ -f "$1" ]] && tr -dc '0-9' <"$1" || true; }

# stop_pid <pid> <what> <grace-seconds>: TERM, bounded wait, then KILL.
stop_pid() {
  local pid="$1" what="$2" grace="${3:-20}"
  pid_alive "$pid" || return 0
  kill -TERM "$pid" 2>/dev/null || true
  local deadline=$((SECONDS + grace))
  while pid_alive "$pid"; do
    if ((SECONDS >= deadline)); then
      warn "$what (pid $pid) did not exit within ${grace}s of SIGTERM; sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      sleep 1
      break
    fi
    sleep 0.5
  done
}

# bounded <seconds> <command...>: a one-shot child (apt-get, pip, mvn, rabbitmqctl) with a time limit.
# Plain `timeout` moves its child into a process group of its own, which under an interactive
# terminal is a background group: the first thing the child does to the terminal (apt-get puts stdin
# in raw mode, a prompt reads /dev/tty) stops it with SIGTTOU/SIGTTIN until the limit runs out.
# --foreground keeps the child in our group (Ctrl-C reaches it too); stdin from /dev/null keeps it
# from reading the terminal at all. The price: on expiry only the child itself is killed, not its
# own children.
bounded() {
  local seconds="$1"
  shift
  timeout --foreground --kill-after=10 "$seconds" "$@" </dev/null
}

# bounded_detached <seconds> <command...>: a server launcher (rabbitmq-server -detached,
# pg_ctlcluster start) in a session of its own with no controlling terminal, so nothing it leaves
# running can be stopped by the terminal or receive the Ctrl-C that stops `npm start`; and without
# our fds, so the server it leaves behind does not hold a take_lock lock for as long as it lives.
bounded_detached() {
  local seconds="$1"
  shift
  (exec_without_inherited_fds setsid --wait timeout --kill-after=10 "$seconds" "$@" </dev/null)
}

require_root_for() {
  [[ "$(id -u)" == 0 ]] || die "$1 needs root (it manages a Debian package service); re-run as root or bring your own server via the CELERIAC_* env vars"
}

# apt_install <package...>: installs what is missing; names the failing package on error.
apt_install() {
  local missing=() pkg
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
  done
  ((${#missing[@]} == 0)) && return 0
  require_root_for "installing ${missing[*]}"
  local log="$LOG_DIR/apt.log"
  export DEBIAN_FRONTEND=noninteractive
  # Refresh the package lists once: on a fresh image they are empty, and stale ones 404.
  if [[ ! -f "$WORK_DIR/apt-updated" ]] || ! compgen -G '/var/lib/apt/lists/*Packages*' >/dev/null; then
    say "apt-get update (log: $log)"
    if ! bounded 600 apt-get update -q >>"$log" 2>&1; then
      tail -n 20 "$log" >&2
      die "apt-get update failed (needed for: ${missing[*]}); see $log"
    fi
    touch "$WORK_DIR/apt-updated"
  fi
  say "apt-get install -y ${missing[*]} (log: $log)"
  # A locally changed config file makes dpkg ask which to keep; answer for it: the machine's own.
  # APT_NO_RECOMMENDS=1 skips recommended packages (docker-compose would pull a whole Docker engine).
  if ! bounded 900 apt-get install -y -q ${APT_NO_RECOMMENDS:+--no-install-recommends} \
    -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "${missing[@]}" >>"$log" 2>&1; then
    tail -n 20 "$log" >&2
    for pkg in "${missing[@]}"; do
      dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' ||
        say "package not installed: $pkg"
    done
    die "apt-get install failed for: ${missing[*]}; see $log"
  fi
}

# npm ci when node_modules is missing or older than the lockfile (npm records the installed tree in
# node_modules/.package-lock.json). Without a lockfile there is nothing to be exact about: npm install.
ensure_node_modules() {
  command -v npm >/dev/null 2>&1 || die "npm not found: install Node.js >= 20.19"
  local stamp="$REPO_ROOT/node_modules/.package-lock.json" lock="$REPO_ROOT/package-lock.json"
  if [[ ! -f "$lock" ]]; then
    if [[ ! -d "$REPO_ROOT/node_modules" ]]; then
      say "no package-lock.json: npm install"
      (cd "$REPO_ROOT" && npm install --no-audit --no-fund </dev/null) || die "npm install failed"
    fi
    return 0
  fi
  if [[ ! -f "$stamp" || "$lock" -nt "$stamp" ]]; then
    # Not `npm ci`: the registry this project builds from serves only some platforms' optional native
    # binaries (biome, rollup, turbo, esbuild), so the lockfile lists only those and `npm ci` refuses
    # it as out of sync. `npm install` installs the locked versions all the same.
    say "node_modules missing or older than package-lock.json: npm install (locked versions)"
    (cd "$REPO_ROOT" && npm install --no-audit --no-fund </dev/null) || die "npm install failed (is package-lock.json in sync with package.json?)"
  fi
}

# take_lock <name> <timeout-seconds>: serialize one critical section across processes (vitest
# projects can each run a global setup that calls up.sh at the same moment). Held until exit.
take_lock() {
  local file="$WORK_DIR/$1.lock"
  exec {LOCK_FD}>"$file"
  if ! flock -w "$2" "$LOCK_FD"; then
    die "another infra/local run held $file for ${2}s; is one stuck? (check: infra/local/status.sh)"
  fi
}

# exec_without_inherited_fds <command...>: close every fd above 2, then exec the command in place
# of the current shell, so call it in a subshell: `( exec_without_inherited_fds cmd )` or
# `exec_without_inherited_fds cmd &` (then $! is the command's own pid). Daemons started under a
# take_lock would otherwise inherit the lock's fd and hold the lock for as long as they live.
exec_without_inherited_fds() {
  local fd_path fd
  for fd_path in "/proc/$BASHPID/fd/"*; do
    fd="${fd_path##*/}"
    if ((fd > 2)); then exec {fd}>&-; fi
  done
  exec "$@"
}
