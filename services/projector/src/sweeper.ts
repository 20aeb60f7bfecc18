import { pause } from '@celeriac/service-runtime/backoff';
import type { Component } from '@celeriac/service-runtime/lifecycle';
import type { Logger } from '@celeriac/service-runtime/logger';
import type { Pool } from 'pg';
import type { ProjectorMetrics } from './metrics';
import type { PartitionManager } from './partitions';
import { dropSeriesOfGoneWorkers, refreshWorkerGauges } from './worker-gauges';
import { expireWorkers, purgeOfflineWorkers } from './worker-store';

/**
 * Periodic maintenance: Celery's heartbeat expiry on stored workers (nobody says goodbye on kill -9),
 * the purge of long-offline workers, history partitions ahead and retention, and the worker gauges
 * recomputed from the read models. Every replica may run it; each step is idempotent.
 */
export function createSweeper(options: {
  pool: Pool;
  partitions: PartitionManager;
  metrics: ProjectorMetrics;
  logger: Logger;
  now: () => number;
  intervalMs: number;
  partitionIntervalMs: number;
  /** Offline workers older than this are removed (Flower's purge_offline_workers); 0 keeps them. */
  purgeOfflineWorkersS: number;
}): Component & { sweepOnce(): Promise<void> } {
  const log = options.logger.child({ component: 'sweeper' });
  let controller: AbortController | undefined;
  let loop: Promise<void> | undefined;
  let lastPartitionRun = Number.NEGATIVE_INFINITY;
  // Workers with metric series present at the previous sweep; one that disappears loses its series.
  let present = new Map<string, Set<string>>();

  async function sweepOnce(): Promise<void> {
    const nowMs = options.now();
    const expired = await expireWorkers(options.pool, nowMs);
    if (expired > 0) log.info({ expired }, 'workers expired by heartbeat rule');
    if (options.purgeOfflineWorkersS > 0) {
      const purged = await purgeOfflineWorkers(options.pool, nowMs, options.purgeOfflineWorkersS * 1000);
      if (purged > 0) {
        options.metrics.workersPurged.inc(purged);
        log.info({ purged }, 'offline workers purged');
      }
    }
    if (nowMs - lastPartitionRun >= options.partitionIntervalMs) {
      await options.partitions.maintain(nowMs);
      lastPartitionRun = nowMs;
    }
    await refreshWorkerGauges(options.pool, options.metrics, nowMs);
    present = await dropSeriesOfGoneWorkers(options.pool, options.metrics, present);
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
