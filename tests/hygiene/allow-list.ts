/**
 * Files allowed, for now, to break the repository-hygiene rules. Each entry is a whole file that
 * offended when the guard was written; the guard fails on any other file, and on an entry whose file
 * has become clean, so this list only shrinks. Remove entries as their files are fixed.
 */

/**
 * Citations of documents outside the repository or of who wrote what. All in the gateway, which was
 * being edited in parallel when the guard was added.
 */
export const ALLOWED_CITATIONS: ReadonlySet<string> = new Set([
  'services/gateway/src/main.ts',
  'services/gateway/src/streams/stream-access.ts',
]);

/**
 * Relative imports into another workspace. The fix is a package-name import (e.g. exporting the
 * harness from @celeriac/tests) rather than a path climbing out of the importing workspace.
 */
export const ALLOWED_CROSS_IMPORTS: ReadonlySet<string> = new Set([
  // infra/ is no workspace: its tests and scripts reach into tests/harness and the services' metrics.
  'infra/monitoring-labels.unit.spec.ts',
  'infra/monitoring-stack.ts',
  'infra/prometheus/live-rules.int.spec.ts',
  'infra/prometheus/prometheus-server.ts',
  // Service tests and benchmarks importing tests/harness (and the collector harness, for the gateway).
  'services/collector/bench/collector-bench.ts',
  'services/collector/src/broker-outage.int.spec.ts',
  'services/collector/src/control.int.spec.ts',
  'services/collector/src/crash-recovery.int.spec.ts',
  'services/collector/src/hostile-broker.int.spec.ts',
  'services/collector/src/ingest.int.spec.ts',
  'services/collector/src/kafka-outage.int.spec.ts',
  'services/collector/src/leases.int.spec.ts',
  'services/collector/src/malformed.int.spec.ts',
  'services/collector/testing/collector-harness.ts',
  'services/event-log/src/consumer.int.spec.ts',
  'services/event-log/src/tail.int.spec.ts',
  'services/projector/bench/bi-queries.ts',
  'services/projector/bench/ingest.ts',
  'services/projector/bench/retention.ts',
  'services/projector/src/crash-recovery.int.spec.ts',
  'services/projector/src/dashboard.int.spec.ts',
  'services/projector/src/metric-caps.int.spec.ts',
  'services/projector/src/partitions.int.spec.ts',
  'services/projector/src/projector.int.spec.ts',
  'services/projector/src/purge-workers.int.spec.ts',
  'services/projector/src/replicas.int.spec.ts',
  'services/projector/src/retention.int.spec.ts',
  'services/projector/src/worker-gauges.int.spec.ts',
  'services/gateway/bench/tasks-bench.ts',
  'services/gateway/src/auth/tenancy-attack.int.spec.ts',
  'services/gateway/src/control/commands.int.spec.ts',
  'services/gateway/src/streams/bench/bench-server.ts',
  'services/gateway/src/streams/bench/streams-bench.ts',
  'services/gateway/src/streams/browser-eventsource.int.spec.ts',
  'services/gateway/src/streams/real-celery.int.spec.ts',
  'services/gateway/src/streams/sse-stream.int.spec.ts',
  'services/gateway/src/streams/ws-stream.int.spec.ts',
  'services/gateway/src/testing/gateway-fixture.ts',
  'services/gateway/src/testing/two-tenants.ts',
  // The stack benchmark reuses the collector benchmark's event mix.
  'tests/bench/stack-bench.ts',
]);
