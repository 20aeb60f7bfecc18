#!/usr/bin/env bash
# `npm test`: every tier (unit, int, e2e) against real servers.
#   npm test [-- <vitest args>]     e.g. npm test -- --project unit
# Installs node_modules if needed, brings the local stack up (infra/local/up.sh; servers named by
# CELERIAC_* variables are used instead), typechecks, runs vitest. Servers stay up afterwards, so
# the next run reuses them; infra/local/down.sh stops them.
set -euo pipefail
COMPONENT="test"
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO_ROOT"

ensure_node_modules
"$LOCAL_DIR/up.sh"
set -a
# shellcheck source=/dev/null
source "$WORK_DIR/env"
set +a
# The live-streams browser test drives Debian's Chromium (its own EventSource); install it like the servers.
[[ -x /usr/bin/chromium ]] || apt_install chromium
# The k8s manifest test reads the YAML with PyYAML (no YAML parser among the npm dependencies).
python3 -c 'import yaml' 2>/dev/null || apt_install python3-yaml
[[ -x /usr/bin/promtool ]] || apt_install prometheus # promtool: infra/prometheus/rules.int.spec.ts
# docker-compose validates and resolves infra/compose without a Docker engine (compose.int.spec.ts).
command -v docker-compose >/dev/null || APT_NO_RECOMMENDS=1 apt_install docker-compose
# HAProxy: the chaos suite's load balancer in front of the gateways (tests/chaos).
"$LOCAL_DIR/haproxy.sh" install

# The browser tests (tests/browser) drive the built dashboard the gateway serves.
say "npm run build -w @celeriac/dashboard"
npm run build -w @celeriac/dashboard

# All run even if an earlier one fails, so one run reports everything; any failing fails the run.
lint_rc=0
say "npx biome ci . (lint and format check)"
npx --no-install biome ci . || lint_rc=$?
typecheck_rc=0
say "npx turbo run typecheck"
npx --no-install turbo run typecheck || typecheck_rc=$?
test_rc=0
say "npx vitest run $*"
npx --no-install vitest run "$@" || test_rc=$?

if ((test_rc != 0)); then
  say "tests failed (exit $test_rc; typecheck exit $typecheck_rc; lint exit $lint_rc)"
  exit "$test_rc"
fi
if ((typecheck_rc != 0)); then
  say "tests passed but typecheck failed (exit $typecheck_rc)"
  exit "$typecheck_rc"
fi
if ((lint_rc != 0)); then
  say "tests passed but lint/format check failed (exit $lint_rc): npm run format, then fix what biome reports"
  exit "$lint_rc"
fi
say "lint, typecheck and tests passed"
