#!/bin/sh
# The image's entrypoint (bin/celeriac in the runtime tree that infra/image/build.sh assembles):
#   celeriac collector | projector | gateway     a service (configured by its CELERIAC_* variables)
#   celeriac migrate | topics                    the one-shot steps before a rollout
#   celeriac admin <command> [options]           API keys and connections (`celeriac admin` lists them)
# Runs the compiled code beside this script on the `node` first in PATH, as PID 1 of the container
# (exec), so SIGTERM reaches the service's own graceful shutdown.
set -eu
APP_DIR=$(CDPATH='' cd -- "$(dirname -- "$0")/.." && pwd -P)

# Workspace packages export dist/*.js under this condition, src/*.ts otherwise (tsx, vitest, tsc).
COMPILED=--conditions=celeriac-dist
# Libraries' production behaviour (express hides stack traces in its default error pages).
export NODE_ENV="${NODE_ENV:-production}"

# The V8 heap cap of each service, the same as its `npm start`; the container memory limit sits
# above it (the heap is not all of a process's memory). CELERIAC_HEAP_MB overrides it, in MiB.
heap() {
  echo "--max-old-space-size=${CELERIAC_HEAP_MB:-$1}"
}

command=${1:-}
[ $# -gt 0 ] && shift
case "$command" in
  collector) exec node "$COMPILED" "$(heap 160)" "$APP_DIR/services/collector/dist/main.js" ;;
  projector) exec node "$COMPILED" "$(heap 192)" "$APP_DIR/services/projector/dist/main.js" ;;
  gateway) exec node "$COMPILED" "$(heap 256)" "$APP_DIR/services/gateway/dist/main.js" ;;
  migrate) exec node "$COMPILED" "$APP_DIR/services/schema/dist/migrate-cli.js" ;;
  topics) exec node "$COMPILED" "$APP_DIR/services/event-log/dist/topics-cli.js" ;;
  admin) exec node "$COMPILED" "$APP_DIR/services/gateway/dist/cli/admin.js" "$@" ;;
  *)
    echo "usage: celeriac collector | projector | gateway | migrate | topics | admin <command>" >&2
    exit 64
    ;;
esac
