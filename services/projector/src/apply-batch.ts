import type { BatchChanges } from './batch-fold';
import {
  eventIdKeys,
  freshEvents,
  planWrites,
  type RawMessage,
  readMessages,
  rowsToLoad,
  type SkipCause,
  withoutDuplicates,
} from './batch-plan';
import type { PartitionManager } from './partitions';
import type { ProjectionStore } from './projection-store';

export type { RawMessage };

export interface BatchOutcome {
  /** Offsets at or above the stored position that this call applied (0 when already applied). */
  applied: number;
  duplicates: number;
  skipped: Map<SkipCause, number>;
  ignored: number;
  changes: BatchChanges | null;
  nextOffset: number;
}

/**
 * Applies one partition's messages with exactly-once effect: the read-model changes and the next
 * offset are written in one transaction, under a lock on the partition's position row. Messages
 * below the stored position (a redelivery after a crash or rebalance) are dropped, as are events
 * whose id the history already holds (a RabbitMQ redelivery the collector re-produced). The steps
 * are planned by batch-plan.ts; only the store touches PostgreSQL.
 */
export async function applyBatch(
  deps: { store: ProjectionStore; partitions: PartitionManager; nowMs: () => number },
  batch: {
    group: string;
    topic: string;
    partition: number;
    messages: RawMessage[];
    /** Offsets PostgreSQL refused (isolated by the caller): skipped as rejected_by_database. */
    rejected?: ReadonlySet<number>;
  },
): Promise<BatchOutcome> {
  const nowMs = deps.nowMs();
  const retentionStartMs = deps.partitions.retentionStartMs(nowMs);
  const { candidates, historyDays } = readMessages(
    batch.messages,
    batch.partition,
    batch.rejected,
    retentionStartMs,
  );
  await deps.partitions.ensureDays(historyDays);

  const at = { group: batch.group, topic: batch.topic, partition: batch.partition };
  return deps.store.inTransaction(at, async (tx) => {
    const fresh = freshEvents(candidates, await tx.lockPosition());
    const known = await tx.knownEventIds(eventIdKeys(fresh.usable));
    const { events, duplicates } = withoutDuplicates(fresh.usable, known);
    const { tasks, workers } = await tx.loadRows(rowsToLoad(events));
    const { writes, changes } = planWrites({
      events,
      tasks,
      workers,
      nowMs,
      retentionStartMs,
      nextOffset: fresh.nextOffset,
    });
    await tx.write(writes);
    return {
      applied: fresh.applied,
      duplicates,
      skipped: fresh.skipped,
      ignored: fresh.ignored,
      changes,
      nextOffset: fresh.nextOffset,
    };
  });
}
