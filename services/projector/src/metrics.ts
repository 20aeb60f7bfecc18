import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { BatchOutcome } from './apply-batch';
import { createLabelBudget, type LabelCaps, type Labels } from './label-budget';

/**
 * Flower's event metrics under Flower's names and labels (flower-api-behaviour §9), fed by the
 * consumer group so every event counts once across replicas, plus the projector's own health.
 * The worker gauges are recomputed from PostgreSQL on every sweep instead of being counted up and
 * down per event, which fixes Flower's drifts: killed workers drop to 0 online after 2 x freq,
 * prefetched tasks never go negative nor stay up for revoked or lost tasks, and an offline worker
 * reports 0 executing tasks.
 *
 * Every metric with labels from events also carries `connection` (the connection id), so no
 * tenant's worker or task names appear without it, and its label sets are capped (label-budget.ts).
 */
export function createProjectorMetrics(caps: LabelCaps = DEFAULT_LABEL_CAPS) {
  const registry = new Registry();
  const m = {
    registry,
    budget: createLabelBudget(caps),
    caps,
    events: new Counter({
      name: 'flower_events_total',
      help: 'Task events applied, per sender, type and task name.',
      labelNames: ['connection', 'worker', 'type', 'task'],
      registers: [registry],
    }),
    runtime: new Histogram({
      name: 'flower_task_runtime_seconds',
      help: 'Runtime of succeeded tasks.',
      labelNames: ['connection', 'worker', 'task'],
      registers: [registry],
    }),
    prefetchTime: new Gauge({
      name: 'flower_task_prefetch_time_seconds',
      help: 'Seconds between task-received and task-started of the latest started task; 0 once it finished.',
      labelNames: ['connection', 'task', 'worker'],
      registers: [registry],
    }),
    prefetched: new Gauge({
      name: 'flower_worker_prefetched_tasks',
      help: 'Tasks received by a worker and not started yet (no eta).',
      labelNames: ['connection', 'worker', 'task'],
      registers: [registry],
    }),
    online: new Gauge({
      name: 'flower_worker_online',
      help: "1 while the worker is alive by Celery's heartbeat rule, else 0.",
      labelNames: ['connection', 'worker'],
      registers: [registry],
    }),
    executing: new Gauge({
      name: 'flower_worker_number_of_currently_executing_tasks',
      help: 'Tasks the worker executes now (heartbeat `active`), 0 when offline.',
      labelNames: ['connection', 'worker'],
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
    folded: new Counter({
      name: 'celeriac_projector_metric_labels_folded_total',
      help: 'Observations recorded under `other` labels because a label or series cap of the metric was reached.',
      labelNames: ['connection', 'metric'],
      registers: [registry],
    }),
    workersPurged: new Counter({
      name: 'celeriac_projector_workers_purged_total',
      help: 'Workers removed from the read model after being offline longer than the purge time.',
      registers: [registry],
    }),
    retentionDeleted: new Counter({
      name: 'celeriac_projector_retention_deleted_total',
      help: 'Rows deleted by the retention pass, per table.',
      labelNames: ['table'],
      registers: [registry],
    }),
    retentionBatchSeconds: new Histogram({
      name: 'celeriac_projector_retention_batch_seconds',
      help: 'Time of one retention delete batch (one transaction).',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    retentionFailures: new Counter({
      name: 'celeriac_projector_retention_failures_total',
      help: 'Failed retention passes.',
      registers: [registry],
    }),
  };
  return m;
}

/** Caps of the event-labelled metrics unless configured (see config.ts). */
export const DEFAULT_LABEL_CAPS: LabelCaps = {
  valuesPerLabel: 250,
  seriesPerMetric: 2000,
  maxValueLength: 200,
  bytesPerConnection: 512 * 1024,
};

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
    const connection = seen.connectionId;
    const capped = (metric: string, data: Labels): Labels => {
      const { labels, folded } = metrics.budget.labels(metric, connection, data);
      if (folded) metrics.folded.inc({ connection, metric });
      return labels;
    };
    metrics.events.inc(
      capped('flower_events_total', { worker: seen.hostname, type: seen.type, task: seen.taskName }),
    );
    const worker = seen.workerHostname ?? seen.hostname;
    const task = seen.taskName;
    if (seen.runtime)
      metrics.runtime.observe(capped('flower_task_runtime_seconds', { worker, task }), seen.runtime);
    if (seen.prefetchSeconds !== null)
      metrics.prefetchTime.set(
        capped('flower_task_prefetch_time_seconds', { task, worker }),
        seen.prefetchSeconds,
      );
    else if (seen.finished)
      metrics.prefetchTime.set(capped('flower_task_prefetch_time_seconds', { task, worker }), 0);
  }
}

/** Drops every event-labelled series of a worker that left the read model (purged or past retention). */
export function forgetWorker(metrics: ProjectorMetrics, connection: string, hostname: string): void {
  const byName = new Map<string, { remove(labels: Labels): void }>([
    ['flower_events_total', metrics.events],
    ['flower_task_runtime_seconds', metrics.runtime],
    ['flower_task_prefetch_time_seconds', metrics.prefetchTime],
  ]);
  for (const { metric, labels } of metrics.budget.forgetWorker(connection, hostname))
    byName.get(metric)?.remove(labels);
}
