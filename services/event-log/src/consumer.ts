import type { Logger } from '@celeriac/service-runtime/logger';
import type { Consumer, Kafka } from 'kafkajs';

/** A slice of one partition, in offset order. */
export interface PartitionBatch {
  topic: string;
  partition: number;
  messages: { offset: number; value: Buffer | null }[];
  /** Offset the next produced record will get: lag = highWatermark - (last offset + 1). */
  highWatermark: number;
}

/**
 * A consumer-group member that hands batches to `handle` and commits a partition's offset to
 * Kafka only after `handle` resolved, so the caller's own store (a PostgreSQL transaction) is the
 * source of truth and Kafka's committed offset only ever trails it. On every (re)assignment the
 * positions `positions()` returns are sought to, so a replica resumes exactly where the store says.
 */
export interface GroupConsumer {
  readonly name: string;
  readonly isRunning: boolean;
  /** True once the member joined the group and holds its assignment. */
  readonly joined: boolean;
  /** The partitions this member holds now; empty while it is not joined. */
  readonly assignment: readonly number[];
  start(): Promise<void>;
  stop(): Promise<void>;
}

export function createGroupConsumer(options: {
  kafka: Kafka;
  logger: Logger;
  groupId: string;
  topic: string;
  /** Messages handed to `handle` at most at once; a fetched batch is split into slices of this size. */
  maxMessages: number;
  handle: (batch: PartitionBatch) => Promise<void>;
  positions: (partitions: number[]) => Promise<Map<number, number>>;
  /** Partitions of one member processed in parallel. */
  concurrency?: number;
}): GroupConsumer {
  const log = options.logger.child({
    component: 'group-consumer',
    groupId: options.groupId,
    topic: options.topic,
  });
  let consumer: Consumer | undefined;
  let running = false;
  let joined = false;
  let assignment: readonly number[] = [];

  async function seekToStored(consumerNow: Consumer, partitions: number[]): Promise<void> {
    try {
      const stored = await options.positions(partitions);
      for (const partition of partitions) {
        const offset = stored.get(partition);
        if (offset !== undefined)
          consumerNow.seek({ topic: options.topic, partition, offset: String(offset) });
      }
      log.info({ partitions, seeks: Object.fromEntries(stored) }, 'partitions assigned');
    } catch (error) {
      // Safe to go on: the handler itself skips offsets below the stored position.
      log.warn({ err: error }, 'could not read stored positions after assignment');
    }
  }

  return {
    name: 'group-consumer',
    get isRunning() {
      return running;
    },
    get joined() {
      return joined;
    },
    get assignment() {
      return assignment;
    },
    async start() {
      if (running) return;
      const current = options.kafka.consumer({
        groupId: options.groupId,
        sessionTimeout: 30_000,
        heartbeatInterval: 3_000,
        maxBytesPerPartition: 4 * 1024 * 1024,
      });
      consumer = current;
      current.on(current.events.GROUP_JOIN, (event) => {
        joined = true;
        const partitions = event.payload.memberAssignment[options.topic] ?? [];
        assignment = [...partitions];
        void seekToStored(current, partitions);
      });
      current.on(current.events.CRASH, (event) => {
        joined = false;
        assignment = [];
        // kafkajs gave up on this consumer for good: say so, so readiness fails and a supervisor restarts.
        if (!event.payload.restart && consumer === current) running = false;
        log.error({ err: event.payload.error, restart: event.payload.restart }, 'consumer crashed');
      });
      current.on(current.events.REBALANCING, () => {
        joined = false;
        assignment = [];
      });
      await current.connect();
      await current.subscribe({ topic: options.topic, fromBeginning: true });
      await current.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: options.concurrency ?? 1,
        eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
          const messages = batch.messages;
          for (let start = 0; start < messages.length; start += options.maxMessages) {
            if (!isRunning() || isStale()) return;
            const slice = messages
              .slice(start, start + options.maxMessages)
              .map((m) => ({ offset: Number(m.offset), value: m.value }));
            await options.handle({
              topic: batch.topic,
              partition: batch.partition,
              messages: slice,
              highWatermark: Number(batch.highWatermark),
            });
            const last = slice.at(-1);
            if (!last) continue;
            resolveOffset(String(last.offset));
            await current.commitOffsets([
              { topic: batch.topic, partition: batch.partition, offset: String(last.offset + 1) },
            ]);
            await heartbeat();
          }
        },
      });
      running = true;
    },
    async stop() {
      const current = consumer;
      consumer = undefined;
      running = false;
      joined = false;
      assignment = [];
      // disconnect() lets the batch in hand finish, so its transaction and commit complete.
      if (current) await current.disconnect();
    },
  };
}
