import { pause } from '@celeriac/service-runtime/backoff';
import type { Component } from '@celeriac/service-runtime/lifecycle';
import type { Logger } from '@celeriac/service-runtime/logger';
import type { Pool, PoolClient } from 'pg';
import type { ProjectorMetrics } from './metrics';
import { dayStartMs, type PartitionManager } from './partitions';
import {
  deleteOldHistory,
  deleteOldSamples,
  deleteOldTasks,
  deleteOldWorkers,
  retentionTargets,
} from './retention-store';

const DAY_MS = 86_400_000;
// Any constant works; it only has to be the same for every projector replica on one database.
export const RETENTION_LOCK_KEY = 0x6365_6c74;

export interface RetentionReport {
  deleted: { tasks: number; workers: number; samples: number; history: number };
  batches: number;
  longestBatchMs: number;
}

/**
 * Deletes read-model rows older than their connection's retention, in batches of `batchRows` rows,
 * each its own short transaction, so no lock is held longer than one batch. One replica at a time:
 * the pass runs under a session advisory lock, and a replica that does not get it skips the pass
 * (the lock dies with its session, so a crashed replica never blocks the others).
 */
export function createRetention(options: {
  pool: Pool;
  partitions: PartitionManager;
  metrics: ProjectorMetrics;
  logger: Logger;
  now: () => number;
  defaultDays: number;
  batchRows: number;
  intervalMs: number;
}): Component & { runOnce(signal?: AbortSignal): Promise<RetentionReport | null> } {
  const log = options.logger.child({ component: 'retention' });
  let controller: AbortController | undefined;
  let loop: Promise<void> | undefined;

  async function drain(
    report: RetentionReport,
    table: keyof RetentionReport['deleted'],
    signal: AbortSignal | undefined,
    batch: () => Promise<number>,
  ): Promise<void> {
    for (;;) {
      if (signal?.aborted) return;
      const started = performance.now();
      const deleted = await batch();
      const ms = performance.now() - started;
      report.batches += 1;
      report.longestBatchMs = Math.max(report.longestBatchMs, ms);
      report.deleted[table] += deleted;
      options.metrics.retentionBatchSeconds.observe(ms / 1000);
      if (deleted > 0) options.metrics.retentionDeleted.inc({ table }, deleted);
      if (deleted < options.batchRows) return;
    }
  }

  async function pass(client: PoolClient, signal: AbortSignal | undefined): Promise<RetentionReport> {
    const report: RetentionReport = {
      deleted: { tasks: 0, workers: 0, samples: 0, history: 0 },
      batches: 0,
      longestBatchMs: 0,
    };
    const nowMs = options.now();
    const limit = options.batchRows;
    const historyStartMs = options.partitions.retentionStartMs(nowMs);
    for (const { connectionId, days } of await retentionTargets(client, options.defaultDays)) {
      const cutoffMs = nowMs - days * DAY_MS;
      let belowS = cutoffMs / 1000;
      await drain(report, 'tasks', signal, async () => {
        const result = await deleteOldTasks(client, {
          connectionId,
          cutoffS: cutoffMs / 1000,
          belowS,
          limit,
        });
        if (result.oldestS !== null) belowS = result.oldestS;
        return result.deleted;
      });
      await drain(report, 'workers', signal, () =>
        deleteOldWorkers(client, { connectionId, cutoffMs, limit }),
      );
      await drain(report, 'samples', signal, () =>
        deleteOldSamples(client, { connectionId, cutoffMs, limit }),
      );
      // History goes by whole UTC days, like its partitions; days the partitions still hold are trimmed.
      const historyCutoffMs = dayStartMs(nowMs) - days * DAY_MS;
      if (historyCutoffMs > historyStartMs)
        await drain(report, 'history', signal, () =>
          deleteOldHistory(client, { connectionId, cutoffMs: historyCutoffMs, limit }),
        );
    }
    return report;
  }

  async function runOnce(signal?: AbortSignal): Promise<RetentionReport | null> {
    const client = await options.pool.connect();
    let broken: Error | undefined;
    try {
      const { rows } = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1) AS locked', [
        RETENTION_LOCK_KEY,
      ]);
      if (!rows[0]?.locked) return null;
      try {
        const report = await pass(client, signal);
        const total = Object.values(report.deleted).reduce((a, b) => a + b, 0);
        if (total > 0) log.info(report, 'retention pass deleted old rows');
        return report;
      } finally {
        await client.query('SELECT pg_advisory_unlock($1)', [RETENTION_LOCK_KEY]);
      }
    } catch (error) {
      // A client whose unlock may not have run is destroyed, not pooled: its session lock dies with it.
      broken = error as Error;
      throw error;
    } finally {
      client.release(broken);
    }
  }

  return {
    name: 'retention',
    runOnce,
    get isRunning() {
      return loop !== undefined;
    },
    async start() {
      if (loop) return;
      const current = new AbortController();
      controller = current;
      loop = (async () => {
        while (!current.signal.aborted) {
          await runOnce(current.signal).catch((error: unknown) => {
            options.metrics.retentionFailures.inc();
            log.warn({ err: error }, 'retention pass failed');
          });
          await pause(options.intervalMs, current.signal);
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
