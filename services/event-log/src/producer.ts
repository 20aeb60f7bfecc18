import { backoffDelayMs, pause } from '@celeriac/service-runtime/backoff';
import type { Logger } from '@celeriac/service-runtime/logger';
import { type ICustomPartitioner, type Kafka, Partitioners, type Producer } from 'kafkajs';

/** One Kafka record: key decides the partition (connectionId keeps a connection totally ordered). */
export interface LogRecord {
  key: string;
  value: Buffer;
}

export interface TopicRecords {
  topic: string;
  records: LogRecord[];
}

/** Kafka refused or did not acknowledge a produce; the caller keeps the input unacknowledged. */
export class ProduceError extends Error {
  readonly retriable = true;
  constructor(message: string, options: { cause: unknown }) {
    super(message, options);
    this.name = 'ProduceError';
  }
}

/**
 * The event log's write side. `produce` resolves only after Kafka acknowledged every record with
 * acks=all, so a caller may then acknowledge its own input. Records of one call keep their order per
 * key. The kafkajs type stays behind this interface.
 */
export interface EventLogProducer {
  readonly name: string;
  readonly isRunning: boolean;
  start(): Promise<void>;
  stop(): Promise<void>;
  produce(batches: TopicRecords[]): Promise<void>;
}

/**
 * kafkajs's default (murmur2) partitioner, remembered per topic, partition count and key: every
 * record of a connection has the same key, so hashing it per record is wasted work. Bounded: the
 * cache is dropped when it holds more keys than a collector has connections.
 */
const cachedDefaultPartitioner: ICustomPartitioner = () => {
  const partition = Partitioners.DefaultPartitioner();
  const cache = new Map<string, number>();
  return (args) => {
    const key = args.message.key;
    if (typeof key !== 'string') return partition(args);
    const id = `${args.topic}\u0000${args.partitionMetadata.length}\u0000${key}`;
    let chosen = cache.get(id);
    if (chosen === undefined) {
      chosen = partition(args);
      if (cache.size >= 10_000) cache.clear();
      cache.set(id, chosen);
    }
    return chosen;
  };
};

export function createEventLogProducer(options: {
  kafka: Kafka;
  logger: Logger;
  /** Attempts kafkajs makes inside one produce call before it fails it back to the caller. */
  retries?: number;
}): EventLogProducer {
  const log = options.logger.child({ component: 'event-log-producer' });
  let producer: Producer | undefined;
  let running = false;
  let replacing: Promise<void> | undefined;
  const stopping = new AbortController();

  const build = (): Producer =>
    options.kafka.producer({
      idempotent: true,
      // Idempotence needs at most 5 in flight; 1 also keeps retried batches in order.
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      createPartitioner: cachedDefaultPartitioner,
      // kafkajs would retry an idempotent produce forever, which would hang shutdown while Kafka is
      // down. A bounded count hands the failure back: the caller keeps its input unacked and retries
      // with backoff (a re-send after a failed call may duplicate records; they keep their eventId).
      retry: { retries: options.retries ?? 6, initialRetryTime: 200, maxRetryTime: 3000 },
    });

  /**
   * A non-retriable failure (e.g. the idempotence state kafkajs holds no longer matches the broker's
   * after a Kafka restart) would fail every later call the same way: start over with a new producer.
   */
  function replace(): void {
    replacing ??= (async () => {
      const old = producer;
      const fresh = build();
      try {
        await fresh.connect();
        producer = fresh;
        log.warn('kafka producer replaced after a non-retriable error');
        await old?.disconnect().catch(() => undefined);
      } catch (error) {
        log.warn({ err: error }, 'replacing the kafka producer failed; will try again');
      }
    })().finally(() => {
      replacing = undefined;
    });
  }
  return {
    name: 'event-log-producer',
    get isRunning() {
      return running;
    },
    async start() {
      if (running) return;
      producer = build();
      // Kafka may be down when a replica starts: keep trying (capped, jittered) rather than crash-loop.
      for (let attempt = 0; ; attempt++) {
        try {
          await producer.connect();
          break;
        } catch (error) {
          if (stopping.signal.aborted) throw error;
          const delayMs = backoffDelayMs(attempt, { baseMs: 500, maxMs: 15_000 });
          log.warn({ err: error, attempt, delayMs }, 'kafka unreachable; retrying');
          await pause(delayMs, stopping.signal);
        }
      }
      running = true;
    },
    async stop() {
      stopping.abort();
      const current = producer;
      producer = undefined;
      running = false;
      if (current)
        await current
          .disconnect()
          .catch((error: unknown) => log.warn({ err: error }, 'producer disconnect failed'));
    },
    async produce(batches) {
      if (replacing) await replacing;
      const current = producer;
      if (!current) throw new ProduceError('producer is not running', { cause: undefined });
      const topicMessages = batches
        .filter((batch) => batch.records.length > 0)
        .map((batch) => ({ topic: batch.topic, messages: batch.records }));
      if (topicMessages.length === 0) return;
      try {
        await current.sendBatch({ topicMessages, acks: -1 });
      } catch (error) {
        if ((error as { retriable?: boolean }).retriable === false && running && producer === current)
          replace();
        throw new ProduceError('kafka did not acknowledge the batch', { cause: error });
      }
    },
  };
}
