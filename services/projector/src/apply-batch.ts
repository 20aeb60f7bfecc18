import { restoreCeleryObject } from '@celeriac/celery-domain/normalize';
import { decodeEvent } from '@celeriac/event-log/codec';
import type { CeleryEvent } from '@celeriac/proto/events';
import type { Pool } from 'pg';
import { type BatchChanges, foldBatch, type PositionedEvent, rowKey } from './batch-fold';
import { classifyEvent, type SkipReason, withoutNul } from './event-input';
import { copyHistory } from './history-copy';
import { dayStartMs, type PartitionManager } from './partitions';
import { lockPosition, savePosition, writeQueueSamples, writeTaskTypes } from './snapshot-store';
import { knownEventIds, loadTasks, refreshChildren, upsertTasks } from './task-store';
import { loadWorkers, upsertWorkers } from './worker-store';

export interface RawMessage {
  offset: number;
  value: Buffer | null;
}

export interface BatchOutcome {
  /** Offsets at or above the stored position that this call applied (0 when already applied). */
  applied: number;
  duplicates: number;
  skipped: Map<SkipReason | 'undecodable', number>;
  ignored: number;
  changes: BatchChanges | null;
  nextOffset: number;
}

interface Candidate {
  offset: number;
  event?: PositionedEvent;
  skip?: SkipReason | 'undecodable';
}

function decode(value: Buffer | null): CeleryEvent | null {
  if (!value) return null;
  try {
    return decodeEvent(value);
  } catch {
    return null;
  }
}

function toCandidate(message: RawMessage, partition: number): Candidate {
  const event = decode(message.value);
  if (!event) return { offset: message.offset, skip: 'undecodable' };
  const classified = classifyEvent(event);
  if (classified.kind === 'bad') return { offset: message.offset, skip: classified.reason };
  if (classified.kind === 'ignored') return { offset: message.offset };
  // The history keeps the event as Celery sent it, under Celery's own field names.
  const fields = classified.kind === 'task' ? withoutNul(restoreCeleryObject(event)) : null;
  return { offset: message.offset, event: { ...classified, offset: message.offset, partition, fields } };
}

/**
 * Applies one partition's messages with exactly-once effect: the read-model changes and the next
 * offset are written in one transaction, under a lock on the partition's position row. Messages
 * below the stored position (a redelivery after a crash or rebalance) are dropped, as are events
 * whose id the history already holds (a RabbitMQ redelivery the collector re-produced).
 */
export async function applyBatch(
  deps: { pool: Pool; partitions: PartitionManager; nowMs: () => number },
  batch: {
    group: string;
    topic: string;
    partition: number;
    messages: RawMessage[];
    /** Offsets PostgreSQL refused (isolated by the caller): skipped as rejected_by_database. */
    rejected?: ReadonlySet<number>;
  },
): Promise<BatchOutcome> {
  const outcome: BatchOutcome = {
    applied: 0,
    duplicates: 0,
    skipped: new Map(),
    ignored: 0,
    changes: null,
    nextOffset: 0,
  };
  const skip = (reason: SkipReason | 'undecodable') =>
    outcome.skipped.set(reason, (outcome.skipped.get(reason) ?? 0) + 1);
  const nowMs = deps.nowMs();
  const retentionStart = deps.partitions.retentionStartMs(nowMs);

  const candidates = batch.messages.map((message) =>
    batch.rejected?.has(message.offset)
      ? { offset: message.offset, skip: 'rejected_by_database' as const }
      : toCandidate(message, batch.partition),
  );
  const historyDays = new Set<number>();
  for (const c of candidates) {
    if (c.event?.kind === 'task' && c.event.receivedAtMs >= retentionStart)
      historyDays.add(dayStartMs(c.event.receivedAtMs));
  }
  await deps.partitions.ensureDays(historyDays);

  const client = await deps.pool.connect();
  try {
    await client.query('BEGIN');
    const position = await lockPosition(client, batch.group, batch.topic, batch.partition);
    const fresh = candidates.filter((c) => c.offset >= position);
    const last = batch.messages.at(-1);
    outcome.nextOffset = Math.max(position, last ? last.offset + 1 : position);
    const usable: PositionedEvent[] = [];
    for (const candidate of fresh) {
      if (candidate.event) usable.push(candidate.event);
      else if (candidate.skip) skip(candidate.skip);
      else outcome.ignored += 1;
    }
    const taskEvents = usable.filter(
      (e): e is Extract<PositionedEvent, { kind: 'task' }> => e.kind === 'task',
    );
    const known = await knownEventIds(
      client,
      taskEvents.map((e) => ({
        connectionId: e.connectionId,
        eventId: e.eventId,
        receivedAtMs: e.receivedAtMs,
      })),
    );
    const seen = new Set<string>();
    const events = usable.filter((e) => {
      if (e.kind !== 'task') return true;
      const key = rowKey(e.connectionId, e.eventId);
      if (known.has(key) || seen.has(key)) {
        outcome.duplicates += 1;
        return false;
      }
      seen.add(key);
      return true;
    });

    const taskKeys = new Map<string, { connectionId: string; uuid: string }>();
    const workerKeys = new Map<string, { connectionId: string; hostname: string }>();
    for (const e of events) {
      if (e.kind === 'task') {
        taskKeys.set(rowKey(e.connectionId, e.task.uuid), {
          connectionId: e.connectionId,
          uuid: e.task.uuid,
        });
        if (e.subject !== 'sent')
          workerKeys.set(rowKey(e.connectionId, e.hostname), {
            connectionId: e.connectionId,
            hostname: e.hostname,
          });
      } else if (e.kind === 'worker') {
        workerKeys.set(rowKey(e.connectionId, e.hostname), {
          connectionId: e.connectionId,
          hostname: e.hostname,
        });
      } else if (e.kind === 'inspect') {
        for (const hostname of Object.keys(e.inspect.repliesJson))
          workerKeys.set(rowKey(e.connectionId, hostname), { connectionId: e.connectionId, hostname });
      }
    }
    const [tasks, workers] = [
      await loadTasks(client, [...taskKeys.values()]),
      await loadWorkers(client, [...workerKeys.values()]),
    ];
    const changes = foldBatch({ events, tasks, workers, nowMs });
    await upsertTasks(client, [...changes.tasks.values()]);
    await refreshChildren(client, [...changes.parents.values()], changes.created);
    await copyHistory(
      client,
      changes.history.filter((h) => h.receivedAtMs >= retentionStart),
    );
    await upsertWorkers(client, [...changes.workers.values()]);
    await writeTaskTypes(client, [...changes.taskTypes.values()]);
    await writeQueueSamples(client, changes.samples);
    await savePosition(client, batch.group, batch.topic, batch.partition, outcome.nextOffset);
    await client.query('COMMIT');
    outcome.applied = fresh.length;
    outcome.changes = changes;
    return outcome;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}
