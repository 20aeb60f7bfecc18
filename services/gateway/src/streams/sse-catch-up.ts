import { decodeEvent } from '@celeriac/event-log/codec';
import { createEventTail } from '@celeriac/event-log/tail';
import type { Logger } from '@celeriac/service-runtime/logger';
import type { Kafka } from 'kafkajs';
import type { Position } from './cursor';
import type { ReplayRing } from './replay-ring';
import type { SseClient } from './sse-client';
import { entryOf } from './stream-entries';
import { TaskTracker, WorkerTracker } from './trackers';

export interface CatchUpDeps {
  kafka: Kafka;
  topic: string;
  logger: Logger;
  ring: ReplayRing;
  /** Bytes the client may have waiting before the reader pauses. */
  highWaterBytes: number;
  /** A client that takes nothing for this long is cut off ('idle-catch-up'), freeing the reader. */
  idleMs: number;
}

/**
 * Waits until the client has room, at most `idleMs`. A reader is a Kafka consumer of its own; a client
 * that stops reading must not keep one forever. False when the client was cut off.
 */
async function roomOrCutOff(client: SseClient, bytes: number, idleMs: number): Promise<boolean> {
  // The common case, a reading client, costs no timer.
  if (!client.isOpen || client.hasRoom(bytes)) return client.isOpen;
  let timer: NodeJS.Timeout | undefined;
  const idle = new Promise<'idle'>((resolve) => {
    timer = setTimeout(() => resolve('idle'), idleMs);
  });
  const outcome = await Promise.race([client.waitForRoom(bytes).then(() => 'room' as const), idle]);
  clearTimeout(timer);
  if (outcome === 'idle') client.cutOff('idle-catch-up');
  return outcome === 'room' && client.isOpen;
}

/**
 * One pass of a private reader from `from` in `partition`, feeding the client until the ring holds
 * the next record. Resolves with that record's offset (`next`), or with `next: null` when Kafka has
 * nothing more for this partition (the ring then serves whatever comes).
 */
async function readUntilRing(
  deps: CatchUpDeps,
  client: SseClient,
  partition: number,
  from: number,
  expectedStart: number,
  trackers: { tasks: TaskTracker; workers: WorkerTracker },
): Promise<{ next: number | null }> {
  let next: number | null = from;
  let finish!: () => void;
  const done = new Promise<void>((resolve) => {
    finish = resolve;
  });
  let finished = false;
  const complete = () => {
    if (!finished) {
      finished = true;
      finish();
    }
  };
  const tail = createEventTail({
    kafka: deps.kafka,
    topic: deps.topic,
    logger: deps.logger,
    groupPrefix: 'celeriac-gateway-catch-up',
    start: { from: 'positions', offsets: new Map([[partition, from]]) },
    onPlan: (plan) => {
      // Nothing older is left in Kafka, or the ring already starts there.
      const mine = plan.find((entry) => entry.partition === partition);
      // Retention already removed records after the resume point: say so rather than skip silently.
      if (mine && mine.start > expectedStart)
        client.notice('reset', { reason: 'cursor-expired', resumedAt: `${partition}-${mine.start}` });
      if (mine) next = Math.max(from, mine.start);
      else next = null;
      if (!mine || deps.ring.covers(partition, mine.start)) complete();
    },
    onBatch: async (batch) => {
      if (finished || batch.partition !== partition) return;
      for (const record of batch.records) {
        if (!client.isOpen) return complete();
        if (deps.ring.covers(partition, record.offset)) {
          next = record.offset;
          return complete();
        }
        next = record.offset + 1;
        if (record.offset < from || !record.value) continue;
        let entry: ReturnType<typeof entryOf>;
        try {
          entry = entryOf(decodeEvent(record.value), partition, record.offset, trackers);
        } catch {
          // Not an event (or one the streams cannot read): skipped here exactly as the live tail skips it.
          continue;
        }
        if (entry.connectionId === client.connectionId) client.offerCatchUp(entry);
        if (!(await roomOrCutOff(client, deps.highWaterBytes, deps.idleMs))) return complete();
        if (deps.ring.covers(partition, record.offset + 1)) return complete();
      }
    },
  });
  try {
    await tail.start();
    await done;
  } finally {
    await tail
      .stop()
      .catch((error: unknown) => deps.logger.warn({ err: error }, 'catch-up reader did not stop cleanly'));
  }
  return { next };
}

/**
 * Serves a resume point older than the replica's ring: a private reader starts at the client's
 * partition and offset, feeds the client at the client's pace, and hands over to the ring as soon
 * as the ring holds the next record. Ids are positions, so nothing is sent twice; the reader's task
 * and worker memory starts empty, so previousState of tasks begun before the resume point may be
 * null and a heartbeat expiry that straddles the resume point may be missed.
 */
export async function catchUpFromKafka(deps: CatchUpDeps, client: SseClient, after: Position): Promise<void> {
  const trackers = { tasks: new TaskTracker(50_000), workers: new WorkerTracker(1_000) };
  const { partition } = after;
  let from = after.offset;
  let expectedStart = after.offset + 1;
  for (;;) {
    const { next } = await readUntilRing(deps, client, partition, from, expectedStart, trackers);
    // Everything before the ring went out; the ring replay skips what the cursor already passed.
    if (!(await roomOrCutOff(client, 0, deps.idleMs))) return;
    // The ring moves on while the reader stops and the client drains: hand over only while it still
    // holds the next record, otherwise read on from there (a small ring under load would leave a gap).
    if (next === null || deps.ring.covers(partition, next)) return client.finishCatchUp();
    from = next;
    expectedStart = next;
  }
}
