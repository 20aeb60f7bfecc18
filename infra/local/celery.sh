#!/usr/bin/env bash
# The Python virtualenv with the pinned Celery of tests/celery-app, at infra/local/.work/venv.
#   infra/local/celery.sh install              create or reuse the venv (pins in requirements.txt)
#   infra/local/celery.sh python               print the venv's python path
#   infra/local/celery.sh worker [args...]     a demo_app worker in the foreground
#   infra/local/celery.sh traffic [args...]    send_traffic.py (see its --help)
# Env: CELERIAC_BOOTSTRAP_PYTHON (python3) makes the venv; CELERY_BROKER_URL picks the broker.
set -euo pipefail
COMPONENT=celery
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

VENV="$WORK_DIR/venv"
PY="$VENV/bin/python"
REQS="$CELERY_APP_DIR/requirements.txt"
# Hash of the requirements the venv was built from: a changed pin rebuilds it.
STAMP="$VENV/.celeriac-requirements"

venv_current() {
  [[ -x "$PY" && -f "$STAMP" ]] &&
    [[ "$(cat "$STAMP")" == "$(sha256sum "$REQS" | cut -d' ' -f1)" ]] &&
    "$PY" -c 'import celery, kombu, amqp, redis' >/dev/null 2>&1
}

install() {
  if venv_current; then
    say "venv up to date: $PY (celery $("$PY" -c 'import celery; print(celery.__version__)'))"
    return 0
  fi
  local boot="${CELERIAC_BOOTSTRAP_PYTHON:-python3}" log="$LOG_DIR/celery-pip.log"
  command -v "$boot" >/dev/null 2>&1 || die "$boot not found: install Python >= 3.9 or set CELERIAC_BOOTSTRAP_PYTHON"
  "$boot" -c 'import sys; sys.exit(sys.version_info < (3, 9))' ||
    die "$boot is $("$boot" -V 2>&1); Celery 5.5 needs Python >= 3.9"
  say "building venv $VENV with $("$boot" -V 2>&1) (log: $log)"
  rm -rf "$VENV"
  "$boot" -m venv "$VENV" >"$log" 2>&1 || { cat "$log" >&2; die "python -m venv failed (Debian: apt-get install -y python3-venv)"; }
  if ! bounded 600 "$PY" -m pip install --disable-pip-version-check -q --no-input -r "$REQS" >>"$log" 2>&1; then
    grep -E '^ERROR' "$log" | head -n 5 >&2 || true
    local failed
    failed="$(grep -oE "(No matching distribution found for|Could not find a version that satisfies the requirement) [^ ]+" "$log" | head -1 | awk '{print $NF}' || true)"
    rm -rf "$VENV"
    die "pip could not install ${failed:-the pinned requirements} from $REQS; see $log"
  fi
  sha256sum "$REQS" | cut -d' ' -f1 >"$STAMP"
  say "venv ready: $PY (celery $("$PY" -c 'import celery; print(celery.__version__)'))"
}

case "${1:-}" in
  install) install ;;
  python)
    venv_current || die "venv missing or stale: run infra/local/celery.sh install"
    echo "$PY"
    ;;
  worker)
    shift
    venv_current || install
    cd "$CELERY_APP_DIR"
    exec "$PY" -m celery -A demo_app worker -E --pool=prefork -c 2 -l info "$@"
    ;;
  traffic)
    shift
    venv_current || install
    cd "$CELERY_APP_DIR"
    exec "$PY" send_traffic.py "$@"
    ;;
  *)
    echo "usage: $0 {install|python|worker [args]|traffic [args]}" >&2
    exit 2
    ;;
esac
