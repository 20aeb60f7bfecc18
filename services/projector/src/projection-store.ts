import type { Pool, PoolClient } from 'pg';
import type { HistoryRow, QueueSample } from './batch-fold';
import { copyHistory } from './history-copy';
import {
  lockPosition,
  readPositions,
  savePosition,
  writeQueueSamples,
  writeTaskTypes,
} from './snapshot-store';
import type { TaskRow } from './task-state';
import { knownEventIds, loadTasks, refreshChildren, upsertTasks } from './task-store';
import type { WorkerRow } from './worker-state';
import { loadWorkers, upsertWorkers } from './worker-store';

/** Everything one batch writes, as batch-plan.ts planned it. */
export interface BatchWrites {
  tasks: TaskRow[];
  /** Tasks named as parent by folded events: their `children` are recomputed. */
  parents: { connectionId: string; uuid: string }[];
  /** Tasks this batch creates; children that arrived before them are looked up. */
  created: { connectionId: string; uuid: string }[];
  history: HistoryRow[];
  workers: WorkerRow[];
  taskTypes: { connectionId: string; name: string; firstSeenMs: number }[];
  samples: QueueSample[];
  /** The partition's next offset, stored with the writes. */
  nextOffset: number;
}

export interface EventIdKey {
  connectionId: string;
  eventId: string;
  receivedAtMs: number;
}

export interface RowKeys {
  tasks: { connectionId: string; uuid: string }[];
  workers: { connectionId: string; hostname: string }[];
}

/** One partition's transaction: every read and write of a batch, on one checked-out client. */
export interface BatchTransaction {
  /** Locks the partition's position row (fencing a replica that lost it) and returns the next offset. */
  lockPosition(): Promise<number>;
  knownEventIds(keys: EventIdKey[]): Promise<Set<string>>;
  loadRows(keys: RowKeys): Promise<{ tasks: Map<string, TaskRow>; workers: Map<string, WorkerRow> }>;
  write(writes: BatchWrites): Promise<void>;
}

function batchTransaction(
  client: PoolClient,
  at: { group: string; topic: string; partition: number },
): BatchTransaction {
  return {
    lockPosition: () => lockPosition(client, at.group, at.topic, at.partition),
    knownEventIds: (keys) => knownEventIds(client, keys),
    async loadRows(keys) {
      return { tasks: await loadTasks(client, keys.tasks), workers: await loadWorkers(client, keys.workers) };
    },
    async write(writes) {
      await upsertTasks(client, writes.tasks);
      await refreshChildren(client, writes.parents, writes.created);
      await copyHistory(client, writes.history);
      await upsertWorkers(client, writes.workers);
      await writeTaskTypes(client, writes.taskTypes);
      await writeQueueSamples(client, writes.samples);
      await savePosition(client, at.group, at.topic, at.partition, writes.nextOffset);
    },
  };
}

/**
 * The projector's data-access module for the event fold: its SQL is in task-store.ts,
 * worker-store.ts, snapshot-store.ts and history-copy.ts, reached only through this.
 */
export function createProjectionStore(pool: Pool) {
  return {
    /** Stored positions of a group on a topic, for seeking after (re)assignment. */
    readPositions: (group: string, topic: string) => readPositions(pool, group, topic),

    /** Runs `work` in one transaction for a partition; rolled back if it throws. */
    async inTransaction<T>(
      at: { group: string; topic: string; partition: number },
      work: (tx: BatchTransaction) => Promise<T>,
    ): Promise<T> {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const result = await work(batchTransaction(client, at));
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      } finally {
        client.release();
      }
    },
  };
}

export type ProjectionStore = ReturnType<typeof createProjectionStore>;
