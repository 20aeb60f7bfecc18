import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { BatchOutcome } from './apply-batch';

/**
 * Flower's event metrics under Flower's names and labels (flower-api-behaviour §9), fed by the
 * consumer group so every event counts once across replicas, plus the projector's own health.
 * The worker gauges are recomputed from PostgreSQL on every sweep instead of being counted up and
 * down per event, which fixes Flower's drifts: killed workers drop to 0 online after 2 x freq,
 * prefetched tasks never go negative nor stay up for revoked or lost tasks, and an offline worker
 * reports 0 executing tasks.
 */
export function createProjectorMetrics() {
  const registry = new Registry();
  const m = {
    registry,
    events: new Counter({
      name: 'flower_events_total',
      help: 'Task events applied, per sender, type and task name.',
      labelNames: ['worker', 'type', 'task'],
      registers: [registry],
    }),
    runtime: new Histogram({
      name: 'flower_task_runtime_seconds',
      help: 'Runtime of succeeded tasks.',
      labelNames: ['worker', 'task'],
      registers: [registry],
    }),
    prefetchTime: new Gauge({
      name: 'flower_task_prefetch_time_seconds',
      help: 'Seconds between task-received and task-started of the latest started task; 0 once it finished.',
      labelNames: ['task', 'worker'],
      registers: [registry],
    }),
    prefetched: new Gauge({
      name: 'flower_worker_prefetched_tasks',
      help: 'Tasks received by a worker and not started yet (no eta).',
      labelNames: ['worker', 'task'],
      registers: [registry],
    }),
    online: new Gauge({
      name: 'flower_worker_online',
      help: "1 while the worker is alive by Celery's heartbeat rule, else 0.",
      labelNames: ['worker'],
      registers: [registry],
    }),
    executing: new Gauge({
      name: 'flower_worker_number_of_currently_executing_tasks',
      help: 'Tasks the worker executes now (heartbeat `active`), 0 when offline.',
      labelNames: ['worker'],
      registers: [registry],
    }),
    lag: new Gauge({
      name: 'celeriac_projector_lag_messages',
      help: 'Messages in the partition not applied yet, at the last batch.',
      labelNames: ['topic', 'partition'],
      registers: [registry],
    }),
    applied: new Counter({
      name: 'celeriac_projector_events_total',
      help: 'Log records handled, by outcome (applied, duplicate, ignored).',
      labelNames: ['outcome'],
      registers: [registry],
    }),
    skipped: new Counter({
      name: 'celeriac_projector_events_skipped_total',
      help: 'Bad records skipped, by reason.',
      labelNames: ['reason'],
      registers: [registry],
    }),
    batchSeconds: new Histogram({
      name: 'celeriac_projector_batch_seconds',
      help: 'Time to apply one batch transaction.',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    sweepFailures: new Counter({
      name: 'celeriac_projector_sweep_failures_total',
      help: 'Failed maintenance sweeps (worker expiry, partitions, gauges).',
      registers: [registry],
    }),
  };
  return m;
}

export type ProjectorMetrics = ReturnType<typeof createProjectorMetrics>;

/** Records one committed batch; called after COMMIT so a rolled-back batch never counts. */
export function recordOutcome(metrics: ProjectorMetrics, outcome: BatchOutcome): void {
  const eventsApplied =
    outcome.applied -
    outcome.duplicates -
    outcome.ignored -
    [...outcome.skipped.values()].reduce((a, b) => a + b, 0);
  metrics.applied.inc({ outcome: 'applied' }, Math.max(0, eventsApplied));
  if (outcome.duplicates) metrics.applied.inc({ outcome: 'duplicate' }, outcome.duplicates);
  if (outcome.ignored) metrics.applied.inc({ outcome: 'ignored' }, outcome.ignored);
  for (const [reason, count] of outcome.skipped) metrics.skipped.inc({ reason }, count);
  for (const seen of outcome.changes?.observations ?? []) {
    metrics.events.inc({ worker: seen.hostname, type: seen.type, task: seen.taskName });
    const worker = seen.workerHostname ?? seen.hostname;
    if (seen.runtime) metrics.runtime.observe({ worker, task: seen.taskName }, seen.runtime);
    if (seen.prefetchSeconds !== null)
      metrics.prefetchTime.set({ task: seen.taskName, worker }, seen.prefetchSeconds);
    else if (seen.finished) metrics.prefetchTime.set({ task: seen.taskName, worker }, 0);
  }
}
