#!/usr/bin/env bash
# `npm run bench`: starts the local stack, runs every service's benchmark and gathers their reports
# (each names the machine it ran on) into tests/bench/REPORT.md.
set -euo pipefail
COMPONENT=bench
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO_ROOT"
ensure_node_modules
bash infra/local/up.sh
set -a; source infra/local/.work/env; set +a

reports=()
for pkg in collector projector gateway; do
  if node -e "process.exit(require('./services/$pkg/package.json').scripts?.bench ? 0 : 1)"; then
    echo "== benchmark: $pkg"
    npm run bench -w "@celeriac/$pkg"
    reports+=("services/$pkg/bench/REPORT.md")
  fi
done
[ -f services/collector/bench/REDIS-REPORT.md ] && reports+=("services/collector/bench/REDIS-REPORT.md")
if [ -f services/gateway/src/streams/bench/streams-bench.ts ]; then
  echo "== benchmark: gateway live streams"
  node --import tsx services/gateway/src/streams/bench/streams-bench.ts
  reports+=("services/gateway/src/streams/bench/REPORT.md")
fi

echo "== benchmark: the whole stack against Flower, same events"
node --import tsx tests/bench/stack-bench.ts
reports+=("tests/bench/STACK-REPORT.md")

echo "== benchmark: gateway peers, one replica against three (Kafka bytes and CPU per event, 5,000 clients per replica, relay latency)"
node --import tsx tests/bench/peers-bench.ts
reports+=("tests/bench/PEERS-REPORT.md")

echo "== benchmark: the hostile-input suite at bench size (100,000 requests)"
node --import tsx tests/bench/hostile-bench.ts
reports+=("tests/bench/HOSTILE-REPORT.md")

echo "== benchmark: the web dashboard (bundle, first rows over 1,000,000 tasks, live table at 1,000 events/s)"
node --import tsx tests/bench/dashboard-bench.ts
reports+=("tests/bench/DASHBOARD-REPORT.md")
echo "== the chaos suite (faults under load behind HAProxy), its report"
bash infra/local/haproxy.sh install
CELERIAC_CHAOS_REPORT=1 npx --no-install vitest run --project chaos
reports+=("tests/bench/CHAOS-REPORT.md")

mkdir -p tests/bench
{
  echo "# Celeriac benchmarks"
  echo
  echo "Gathered by \`npm run bench\` on $(date -u +%Y-%m-%dT%H:%MZ). The chaos suite's report, [CHAOS-REPORT.md](CHAOS-REPORT.md), is appended at the end."
  echo
  for report in "${reports[@]}"; do
    [ -f "$report" ] && { echo "---"; echo; cat "$report"; echo; }
  done
} > tests/bench/REPORT.md
echo "report: tests/bench/REPORT.md"
