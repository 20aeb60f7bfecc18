import { decodeEvent } from '@celeriac/event-log/codec';
import { restoreCeleryObject } from '@celeriac/event-log/normalize';
import type { CeleryEvent } from '@celeriac/proto/events';
import { type BatchChanges, foldBatch, type PositionedEvent, rowKey } from './batch-fold';
import { classifyEvent, type SkipReason, withoutNul } from './event-input';
import { dayStartMs } from './partitions';
import type { BatchWrites, EventIdKey, RowKeys } from './projection-store';
import type { TaskRow } from './task-state';
import type { WorkerRow } from './worker-state';

/**
 * The projector's batch planner: pure steps from Kafka records to the writes of one transaction.
 * apply-batch.ts runs them in order, asking the data module (projection-store.ts) for what only the
 * database knows: the stored position, the event ids already in the history, the current rows.
 */

export interface RawMessage {
  offset: number;
  value: Buffer | null;
}

export type SkipCause = SkipReason | 'undecodable';

/** One record, decoded: a usable event, a reason to skip it, or neither (an event we ignore). */
export interface Candidate {
  offset: number;
  event?: PositionedEvent;
  skip?: SkipCause;
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
 * Decodes a partition's records; `rejected` offsets (PostgreSQL refused them before) are skipped.
 * `historyDays` are the day partitions the history rows kept by retention will need.
 */
export function readMessages(
  messages: RawMessage[],
  partition: number,
  rejected: ReadonlySet<number> | undefined,
  retentionStartMs: number,
): { candidates: Candidate[]; historyDays: Set<number> } {
  const candidates = messages.map((message) =>
    rejected?.has(message.offset)
      ? { offset: message.offset, skip: 'rejected_by_database' as const }
      : toCandidate(message, partition),
  );
  const historyDays = new Set<number>();
  for (const c of candidates) {
    if (c.event?.kind === 'task' && c.event.receivedAtMs >= retentionStartMs)
      historyDays.add(dayStartMs(c.event.receivedAtMs));
  }
  return { candidates, historyDays };
}

/** What is at or above the stored position (older records were applied before) and the next position. */
export function freshEvents(candidates: Candidate[], position: number) {
  const fresh = candidates.filter((c) => c.offset >= position);
  const last = candidates.at(-1);
  const skipped = new Map<SkipCause, number>();
  const usable: PositionedEvent[] = [];
  let ignored = 0;
  for (const candidate of fresh) {
    if (candidate.event) usable.push(candidate.event);
    else if (candidate.skip) skipped.set(candidate.skip, (skipped.get(candidate.skip) ?? 0) + 1);
    else ignored += 1;
  }
  const nextOffset = Math.max(position, last ? last.offset + 1 : position);
  return { applied: fresh.length, usable, skipped, ignored, nextOffset };
}

/** The task events whose ids must be looked up in the history (a redelivery is skipped). */
export function eventIdKeys(usable: PositionedEvent[]): EventIdKey[] {
  return usable.flatMap((e) =>
    e.kind === 'task'
      ? [{ connectionId: e.connectionId, eventId: e.eventId, receivedAtMs: e.receivedAtMs }]
      : [],
  );
}

/** Drops task events the history holds (`known`) or that this batch already has. */
export function withoutDuplicates(usable: PositionedEvent[], known: ReadonlySet<string>) {
  const seen = new Set<string>();
  let duplicates = 0;
  const events = usable.filter((e) => {
    if (e.kind !== 'task') return true;
    const key = rowKey(e.connectionId, e.eventId);
    if (known.has(key) || seen.has(key)) {
      duplicates += 1;
      return false;
    }
    seen.add(key);
    return true;
  });
  return { events, duplicates };
}

/** The task and worker rows the fold of `events` starts from. */
export function rowsToLoad(events: PositionedEvent[]): RowKeys {
  const tasks = new Map<string, { connectionId: string; uuid: string }>();
  const workers = new Map<string, { connectionId: string; hostname: string }>();
  const worker = (connectionId: string, hostname: string) =>
    workers.set(rowKey(connectionId, hostname), { connectionId, hostname });
  for (const e of events) {
    if (e.kind === 'task') {
      tasks.set(rowKey(e.connectionId, e.task.uuid), { connectionId: e.connectionId, uuid: e.task.uuid });
      if (e.subject !== 'sent') worker(e.connectionId, e.hostname);
    } else if (e.kind === 'worker') {
      worker(e.connectionId, e.hostname);
    } else if (e.kind === 'inspect') {
      for (const hostname of Object.keys(e.inspect.repliesJson)) worker(e.connectionId, hostname);
    }
  }
  return { tasks: [...tasks.values()], workers: [...workers.values()] };
}

/**
 * The writes of one batch: `events` folded onto the current `tasks` and `workers` rows, history
 * rows older than retention left out, and the partition's next position.
 */
export function planWrites(input: {
  events: PositionedEvent[];
  tasks: Map<string, TaskRow>;
  workers: Map<string, WorkerRow>;
  nowMs: number;
  retentionStartMs: number;
  nextOffset: number;
}): { writes: BatchWrites; changes: BatchChanges } {
  const changes = foldBatch({
    events: input.events,
    tasks: input.tasks,
    workers: input.workers,
    nowMs: input.nowMs,
  });
  const writes: BatchWrites = {
    tasks: [...changes.tasks.values()],
    parents: [...changes.parents.values()],
    created: changes.created,
    history: changes.history.filter((h) => h.receivedAtMs >= input.retentionStartMs),
    workers: [...changes.workers.values()],
    taskTypes: [...changes.taskTypes.values()],
    samples: changes.samples,
    nextOffset: input.nextOffset,
  };
  return { writes, changes };
}
