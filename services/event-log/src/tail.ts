import { randomUUID } from 'node:crypto';
import type { Logger } from '@celeriac/service-runtime/logger';
import type { Consumer, Kafka } from 'kafkajs';

/**
 * Reading the events topic without a consumer group's shared progress: every gateway replica reads
 * every partition from where it chooses (the end, a little before the end, or given positions).
 * kafkajs stays behind this interface so another client can replace it.
 */

export interface TailRecord {
  readonly partition: number;
  /** Kafka offsets fit a double for any realistic topic (2^53 records). */
  readonly offset: number;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  /** Broker/producer timestamp, epoch milliseconds. */
  readonly timestampMs: number;
}

export interface TailBatch {
  readonly partition: number;
  readonly records: readonly TailRecord[];
}

/** Where each partition starts: before the end by `backfill` records, or exactly at `offsets`. */
export type TailStart =
  | { readonly from: 'end'; readonly backfill: number }
  | { readonly from: 'positions'; readonly offsets: ReadonlyMap<number, number> };

export interface PartitionWatermarks {
  readonly partition: number;
  readonly low: number;
  readonly high: number;
}

export interface PartitionStart extends PartitionWatermarks {
  /** The first offset this tail delivers for the partition. */
  readonly start: number;
}

/** Pure: clamps every start into [low, high] so a position that retention deleted never stalls the tail. */
export function planStart(watermarks: readonly PartitionWatermarks[], start: TailStart): PartitionStart[] {
  return watermarks.map((mark) => {
    const wanted =
      start.from === 'end'
        ? mark.high - Math.max(0, start.backfill)
        : (start.offsets.get(mark.partition) ?? mark.high);
    return { ...mark, start: Math.min(mark.high, Math.max(mark.low, wanted)) };
  });
}

export interface EventTail {
  /** Resolves once the consumer runs and the start positions are set; returns them. */
  start(): Promise<PartitionStart[]>;
  stop(): Promise<void>;
  readonly isRunning: boolean;
}

/**
 * `onBatch` is awaited before the next fetch of that partition, which is the backpressure: a slow
 * handler slows this tail and nothing else. A handler that throws is retried by kafkajs from the
 * same batch, so handlers must be idempotent by position.
 */
export function createEventTail(options: {
  kafka: Kafka;
  topic: string;
  logger: Logger;
  start: TailStart;
  onBatch: (batch: TailBatch) => Promise<void>;
  /** Called with the start positions before the first batch can arrive. */
  onPlan?: (plan: readonly PartitionStart[]) => void;
  /** Prefix of the throwaway group id; the group never commits offsets. */
  groupPrefix?: string;
  /** Only these partitions (the others are paused, never fetched); default all. */
  partitions?: readonly number[];
}): EventTail {
  const only = options.partitions ? new Set(options.partitions) : undefined;
  const log = options.logger.child({ component: 'event-tail', topic: options.topic });
  let consumer: Consumer | undefined;
  let running = false;

  async function fetchWatermarks(): Promise<PartitionWatermarks[]> {
    const admin = options.kafka.admin();
    await admin.connect();
    try {
      const offsets = await admin.fetchTopicOffsets(options.topic);
      return offsets
        .map((entry) => ({ partition: entry.partition, low: Number(entry.low), high: Number(entry.high) }))
        .sort((a, b) => a.partition - b.partition);
    } finally {
      await admin.disconnect();
    }
  }

  return {
    get isRunning() {
      return running;
    },
    async start() {
      if (running) throw new Error('event tail already started');
      const marks = await fetchWatermarks();
      const plan = planStart(
        marks.filter((mark) => !only || only.has(mark.partition)),
        options.start,
      );
      options.onPlan?.(plan);
      const groupId = `${options.groupPrefix ?? 'celeriac-tail'}-${randomUUID()}`;
      const made = options.kafka.consumer({
        groupId,
        sessionTimeout: 30_000,
        maxWaitTimeInMs: 100,
        // kafkajs decodes a whole fetch response in one go; small fetches keep that step short, so a
        // tail running beside an HTTP server does not stall it during an ingest burst.
        maxBytes: 1024 * 1024,
        maxBytesPerPartition: 256 * 1024,
        retry: { retries: 10 },
      });
      // The next offset to deliver per partition. The group never commits, so when kafkajs restarts
      // a crashed consumer (a Kafka restart does that) the new member would start at the end of each
      // partition and skip what was produced meanwhile; every join seeks back to these instead.
      const next = new Map(plan.map((entry) => [entry.partition, entry.start]));
      const seekToNext = () => {
        for (const [partition, offset] of next)
          made.seek({ topic: options.topic, partition, offset: String(offset) });
      };
      // With `partitions`, the others are paused before the first fetch completes (a batch that
      // slips through is dropped in eachBatch), again after every rejoin.
      const others = only
        ? marks.map((mark) => mark.partition).filter((partition) => !only.has(partition))
        : [];
      const pauseOthers = () => {
        if (others.length > 0) made.pause([{ topic: options.topic, partitions: others }]);
      };
      made.on(made.events.GROUP_JOIN, () => {
        if (consumer !== made) return;
        seekToNext();
        pauseOthers();
      });
      made.on(made.events.CRASH, (event) => {
        log.error({ err: event.payload.error, restart: event.payload.restart }, 'tail consumer crashed');
        // kafkajs gave up on this consumer for good: say so, so readiness fails and a supervisor restarts.
        if (!event.payload.restart && consumer === made) running = false;
      });
      // Current from here on, so a join during run() (the first one, or one after a crash while
      // starting) seeks to `next` in the handler above.
      consumer = made;
      await made.connect();
      await made.subscribe({ topics: [options.topic], fromBeginning: false });
      await made.run({
        autoCommit: false,
        eachBatch: async ({ batch }) => {
          if (batch.messages.length === 0 || (only && !only.has(batch.partition))) return;
          const records = batch.messages.map((message) => ({
            partition: batch.partition,
            offset: Number(message.offset),
            key: message.key,
            value: message.value,
            timestampMs: Number(message.timestamp),
          }));
          await options.onBatch({ partition: batch.partition, records });
          next.set(batch.partition, (records.at(-1)?.offset ?? 0) + 1);
        },
      });
      // kafkajs applies seeks when the partition is assigned; without a committed offset it would
      // otherwise start at the end, which is also what a partition missing from the plan gets. A
      // consumer that crashed just now (Kafka restarting) has no group to seek in; kafkajs restarts
      // it, and its join seeks there.
      try {
        seekToNext();
        pauseOthers();
      } catch (error) {
        log.warn({ err: error }, 'tail consumer restarting; its next join seeks to the start positions');
      }
      running = true;
      log.debug({ groupId, plan }, 'tail started');
      return plan;
    },
    async stop() {
      const current = consumer;
      consumer = undefined;
      running = false;
      if (current) await current.disconnect();
    },
  };
}
