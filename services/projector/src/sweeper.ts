import { pause } from '@celeriac/service-runtime/backoff';
import type { Component } from '@celeriac/service-runtime/lifecycle';
import type { Logger } from '@celeriac/service-runtime/logger';
import type { Pool } from 'pg';
import type { ProjectorMetrics } from './metrics';
import type { PartitionManager } from './partitions';
import { DEFAULT_FREQ_SECONDS, EXPIRE_FACTOR } from './worker-state';
import { expireWorkers } from './worker-store';

/** Label sets the worker gauges may hold; more workers x task names than this are cut off. */
const MAX_GAUGE_ROWS = 10_000;

/**
 * Periodic maintenance: Celery's heartbeat expiry on stored workers (nobody says goodbye on kill -9),
 * history partitions ahead and retention, and the worker gauges recomputed from the read models.
 * Every replica may run it; each step is idempotent.
 */
export function createSweeper(options: {
  pool: Pool;
  partitions: PartitionManager;
  metrics: ProjectorMetrics;
  logger: Logger;
  now: () => number;
  intervalMs: number;
  partitionIntervalMs: number;
}): Component & { sweepOnce(): Promise<void> } {
  const log = options.logger.child({ component: 'sweeper' });
  let controller: AbortController | undefined;
  let loop: Promise<void> | undefined;
  let lastPartitionRun = Number.NEGATIVE_INFINITY;

  async function refreshGauges(nowMs: number): Promise<void> {
    const workers = await options.pool.query<{ hostname: string; alive: boolean; active: number | null }>(
      `SELECT hostname, bool_or(alive) AS alive, sum(CASE WHEN alive THEN active ELSE 0 END)::int AS active FROM (
         SELECT hostname, active, online AND last_heartbeat_at + make_interval(secs => coalesce(freq, $2) * $3) > to_timestamp($1 / 1000.0) AS alive
         FROM celeriac.workers) w GROUP BY hostname ORDER BY hostname LIMIT ${MAX_GAUGE_ROWS}`,
      [nowMs, DEFAULT_FREQ_SECONDS, EXPIRE_FACTOR],
    );
    const prefetched = await options.pool.query<{ worker: string; name: string; n: number }>(
      `SELECT coalesce(worker, '') AS worker, coalesce(name, '') AS name, count(*)::int AS n FROM celeriac.tasks
       WHERE state = 'RECEIVED' AND eta IS NULL GROUP BY 1, 2 ORDER BY 1, 2 LIMIT ${MAX_GAUGE_ROWS}`,
    );
    const { online, executing, prefetched: gauge } = options.metrics;
    online.reset();
    executing.reset();
    gauge.reset();
    for (const row of workers.rows) {
      online.set({ worker: row.hostname }, row.alive ? 1 : 0);
      executing.set({ worker: row.hostname }, row.active ?? 0);
    }
    for (const row of prefetched.rows) gauge.set({ worker: row.worker, task: row.name }, row.n);
  }

  async function sweepOnce(): Promise<void> {
    const nowMs = options.now();
    const expired = await expireWorkers(options.pool, nowMs);
    if (expired > 0) log.info({ expired }, 'workers expired by heartbeat rule');
    if (nowMs - lastPartitionRun >= options.partitionIntervalMs) {
      await options.partitions.maintain(nowMs);
      lastPartitionRun = nowMs;
    }
    await refreshGauges(nowMs);
  }

  return {
    name: 'sweeper',
    sweepOnce,
    get isRunning() {
      return loop !== undefined;
    },
    async start() {
      if (loop) return;
      // The first sweep creates today's partition before any batch needs it.
      await sweepOnce();
      const current = new AbortController();
      controller = current;
      loop = (async () => {
        while (!current.signal.aborted) {
          await pause(options.intervalMs, current.signal);
          if (current.signal.aborted) break;
          await sweepOnce().catch((error: unknown) => {
            options.metrics.sweepFailures.inc();
            log.warn({ err: error }, 'sweep failed');
          });
        }
      })();
    },
    async stop() {
      controller?.abort();
      await loop;
      loop = undefined;
    },
  };
}
