import { createEventTail, type EventTail } from '@celeriac/event-log/tail';
import type { Logger } from '@celeriac/service-runtime/logger';
import type { Kafka } from 'kafkajs';
import type { StreamHub } from '../streams/stream-hub';

/** Records handed to the hub in one turn of the event loop, as the hub's own tail does. */
const INGEST_SLICE = 250;

export interface OwnedTails extends EventTail {
  /** Starts tails for partitions newly wanted, stops the others; calls are serialized. */
  reconcile(): Promise<void>;
  readonly partitions: ReadonlySet<number>;
}

/**
 * The hub's reader when peers are on: one tail per partition this replica reads (those it owns, and
 * those it keeps while its own clients still watch them), so partitions come and go without
 * stopping the others. A partition starts `backfill` records before the end, like the single tail,
 * so its ring serves resumes right after a rebalance.
 */
export function createOwnedTails(options: {
  kafka: Kafka;
  topic: string;
  logger: Logger;
  backfill: number;
  hub: StreamHub;
  wanted: () => ReadonlySet<number>;
}): OwnedTails {
  const log = options.logger.child({ component: 'owned-tails' });
  const tails = new Map<number, EventTail>();
  /** Tails whose start() resolved: one still starting is not a stopped one (the supervisor asks). */
  const started = new Set<EventTail>();
  let running = false;
  let chain: Promise<void> = Promise.resolve();

  const tailOf = (partition: number) =>
    createEventTail({
      kafka: options.kafka,
      topic: options.topic,
      logger: options.logger,
      partitions: [partition],
      groupPrefix: 'celeriac-gateway-owned',
      start: { from: 'end', backfill: options.backfill },
      onPlan: (plan) => {
        for (const entry of plan) options.hub.startPartition(entry.partition, entry.start, entry.low);
      },
      onBatch: async (batch) => {
        if (tails.get(batch.partition) === undefined) return;
        for (let from = 0; from < batch.records.length; from += INGEST_SLICE) {
          options.hub.ingest({
            partition: batch.partition,
            records: batch.records.slice(from, from + INGEST_SLICE),
          });
          await new Promise((resolve) => setImmediate(resolve));
        }
      },
    });

  async function apply(): Promise<void> {
    if (!running) return;
    // Asked again for each partition, in the same synchronous step as its removal: a client may have
    // joined the partition on this replica while an earlier tail was stopping.
    for (const [partition, tail] of tails)
      if (!options.wanted().has(partition)) {
        tails.delete(partition);
        await tail
          .stop()
          .catch((error: unknown) => log.warn({ err: error, partition }, 'tail did not stop cleanly'));
        options.hub.forgetPartition(partition);
        log.info({ partition }, 'partition handed over');
      }
    const starting: Promise<void>[] = [];
    for (const partition of options.wanted())
      if (!tails.has(partition)) {
        const tail = tailOf(partition);
        tails.set(partition, tail);
        starting.push(
          tail.start().then(
            () => {
              started.add(tail);
              log.info({ partition }, 'partition taken over');
            },
            (error: unknown) => {
              // Retried by the next reconcile (membership tick).
              tails.delete(partition);
              log.warn({ err: error, partition }, 'partition tail did not start');
            },
          ),
        );
      }
    await Promise.all(starting);
  }

  const reconcile = () => {
    chain = chain.then(apply, apply);
    return chain;
  };

  return {
    reconcile,
    get partitions() {
      return new Set(tails.keys());
    },
    get isRunning() {
      return running && [...tails.values()].every((tail) => !started.has(tail) || tail.isRunning);
    },
    async start() {
      running = true;
      await reconcile();
      return [];
    },
    async stop() {
      running = false;
      await chain;
      const stopping = [...tails.values()].map((tail) => tail.stop());
      tails.clear();
      started.clear();
      await Promise.allSettled(stopping);
    },
  };
}
