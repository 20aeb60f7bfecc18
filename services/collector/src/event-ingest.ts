import { encodeDeadLetter, encodeEvent } from '@celeriac/event-log/codec';
import type { EventLogProducer, LogRecord } from '@celeriac/event-log/producer';
import { backoffDelayMs, pause } from '@celeriac/service-runtime/backoff';
import type { Logger } from '@celeriac/service-runtime/logger';
import type { Channel, ConsumeMessage } from 'amqplib';
import { type BrokerMessage, type DecodedMessage, deadLetterOf, decodeBrokerMessage } from './decode-message';
import type { CollectorMetrics } from './metrics';

export interface IngestOptions {
  /** The AMQP channel deliveries are acked on; absent for brokers without acks (Redis pub/sub). */
  channel?: Pick<Channel, 'ack'> | undefined;
  producer: EventLogProducer;
  topics: { events: string; deadLetter: string };
  connectionId: string;
  maxBodyBytes: number;
  /** Most elements of one `task.multi` list. */
  maxListItems: number;
  batchMaxEvents: number;
  /** Cap on one batch's encoded size; keep it and maxBodyBytes well under Kafka's max message size. */
  batchMaxBytes: number;
  lingerMs: number;
  clock: () => number;
  metrics: CollectorMetrics;
  logger: Logger;
  /** Aborted when the session ends: an unfinished produce stops retrying and its messages stay unacked. */
  signal: AbortSignal;
  onWorkerOnline?: (hostname: string) => void;
  /**
   * Budget of broker bytes held unacked (delivered, not yet acked). Prefetch bounds the count of
   * messages, not their size; above the budget `onPressure(true)` asks the caller to stop consuming,
   * and `onPressure(false)` once acks brought it under half.
   */
  maxBufferedBytes: number;
  onPressure?: (high: boolean) => void;
}

interface Batch {
  events: LogRecord[];
  deadLetters: LogRecord[];
  reasons: string[];
  messages: number;
  bytes: number;
  /** Broker body bytes of the batch's messages, released from the buffer budget on ack. */
  rawBytes: number;
  last: ConsumeMessage | undefined;
}

const emptyBatch = (): Batch => ({
  events: [],
  deadLetters: [],
  reasons: [],
  messages: 0,
  bytes: 0,
  rawBytes: 0,
  last: undefined,
});
const sizeOf = (records: LogRecord[]) =>
  records.reduce((total, record) => total + record.value.length + record.key.length, 0);

/**
 * Turns deliveries of one consumer channel into Kafka batches. A broker message is acknowledged only
 * after Kafka acknowledged every event and dead letter it produced; acks go out in delivery order with
 * `allUpTo`. One batch is in flight at a time, so a connection's events keep their broker order, and
 * memory is bounded by the channel's prefetch: while Kafka is down nothing is acked, the prefetch
 * window fills and RabbitMQ stops delivering. Batches are capped in count and in bytes, because Kafka
 * refuses a record batch above its max message size and a refused batch would stall the connection.
 */
export function createEventIngest(options: IngestOptions) {
  const log = options.logger.child({ component: 'event-ingest', connectionId: options.connectionId });
  let open = emptyBatch();
  const sealed: Batch[] = [];
  let flushing: Promise<void> | undefined;
  let timer: NodeJS.Timeout | undefined;
  let bufferedBytes = 0;
  let pressured = false;

  function seal(): void {
    if (open.messages === 0) return;
    sealed.push(open);
    open = emptyBatch();
  }

  function kick(): void {
    flushing ??= flushLoop().finally(() => {
      flushing = undefined;
    });
  }

  function onLinger(): void {
    timer = undefined;
    // While a batch is in flight the open one keeps growing; the flush loop takes it next.
    if (flushing) return;
    seal();
    kick();
  }

  async function flushLoop(): Promise<void> {
    while (!options.signal.aborted) {
      if (sealed.length === 0) seal();
      const batch = sealed.shift();
      if (!batch) return;
      if (timer && open.messages === 0) {
        clearTimeout(timer);
        timer = undefined;
      }
      if (!(await produceUntilAcked(batch))) return;
      try {
        if (batch.last) options.channel?.ack(batch.last, true);
      } catch (error) {
        // The channel closed under us: RabbitMQ redelivers these messages, their events keep their ids.
        log.warn({ err: error }, 'ack failed after produce; messages will be redelivered');
        return;
      }
      bufferedBytes -= batch.rawBytes;
      if (pressured && bufferedBytes < options.maxBufferedBytes / 2) {
        pressured = false;
        options.onPressure?.(false);
      }
      options.metrics.messages.inc(batch.messages);
      options.metrics.events.inc({ source: 'celery' }, batch.events.length);
      for (const reason of batch.reasons) options.metrics.deadLetters.inc({ reason });
    }
  }

  async function produceUntilAcked(batch: Batch): Promise<boolean> {
    for (let attempt = 0; ; attempt++) {
      const endTimer = options.metrics.produceSeconds.startTimer();
      try {
        await options.producer.produce([
          { topic: options.topics.events, records: batch.events },
          { topic: options.topics.deadLetter, records: batch.deadLetters },
        ]);
        endTimer();
        return true;
      } catch (error) {
        options.metrics.produceFailures.inc();
        log.warn(
          { err: error, attempt, events: batch.events.length },
          'kafka produce failed; holding the batch unacked',
        );
        if (options.signal.aborted) return false;
        await pause(backoffDelayMs(attempt, { baseMs: 250, maxMs: 10_000 }), options.signal);
        if (options.signal.aborted) return false;
      }
    }
  }

  /**
   * The Kafka records of one delivery: its events and at most one dead letter. Whatever happens here
   * the message yields records and so gets acked once they are produced; a message that stayed
   * unacked would be redelivered to every collector that leases the connection, forever.
   */
  function recordsOf(broker: BrokerMessage) {
    const context = {
      connectionId: options.connectionId,
      receivedAtMs: options.clock(),
      maxBodyBytes: options.maxBodyBytes,
      maxListItems: options.maxListItems,
    };
    let decoded: DecodedMessage;
    let events: LogRecord[];
    try {
      decoded = decodeBrokerMessage(broker, context);
      events = decoded.events.map((event) => ({ key: options.connectionId, value: encodeEvent(event) }));
    } catch (error) {
      log.error({ err: error }, 'decoding a broker message failed; dead-lettering it');
      decoded = { events: [], rejection: deadLetterOf(broker, context, 'internal', 'decoding failed') };
      events = [];
    }
    // One message's events always share a batch; above the batch cap Kafka would refuse it forever.
    if (sizeOf(events) > options.batchMaxBytes) {
      const detail = `its ${events.length} events encode to more than ${options.batchMaxBytes} bytes`;
      decoded = { events: [], rejection: deadLetterOf(broker, context, 'oversize', detail) };
      events = [];
    }
    const rejection = decoded.rejection;
    return {
      events,
      deadLetters: rejection
        ? [{ key: options.connectionId, value: encodeDeadLetter(rejection.record) }]
        : [],
      reasons: rejection ? [rejection.reason] : [],
      worker: decoded.events.filter((e) => e.type === 'worker-online').map((e) => e.hostname),
    };
  }

  function accept(message: BrokerMessage, rawBytes: number, receipt: ConsumeMessage | undefined): void {
    const { events, deadLetters, reasons, worker } = recordsOf(message);
    const bytes = sizeOf(events) + sizeOf(deadLetters);
    const count = events.length + deadLetters.length;
    if (
      open.messages > 0 &&
      (open.bytes + bytes > options.batchMaxBytes ||
        open.events.length + open.deadLetters.length + count > options.batchMaxEvents)
    ) {
      seal();
      kick();
    }
    open.events.push(...events);
    open.deadLetters.push(...deadLetters);
    open.reasons.push(...reasons);
    open.messages += 1;
    open.bytes += bytes;
    open.rawBytes += rawBytes;
    if (receipt) open.last = receipt;
    bufferedBytes += rawBytes;
    if (!pressured && bufferedBytes > options.maxBufferedBytes) {
      pressured = true;
      options.onPressure?.(true);
    }
    for (const hostname of worker) options.onWorkerOnline?.(hostname);
    if (
      open.bytes >= options.batchMaxBytes ||
      open.events.length + open.deadLetters.length >= options.batchMaxEvents
    ) {
      seal();
      kick();
    } else {
      timer ??= setTimeout(onLinger, options.lingerMs);
    }
  }

  return {
    /** One AMQP delivery, acked once Kafka has all its records. */
    handle(message: ConsumeMessage): void {
      accept(
        {
          content: message.content,
          routingKey: message.fields.routingKey,
          contentType: message.properties.contentType as string | undefined,
          contentEncoding: message.properties.contentEncoding as string | undefined,
          headers: message.properties.headers,
        },
        message.content.length,
        message,
      );
    },

    /** One message of a broker without acks; rawBytes is what it holds of the buffer budget. */
    accept(message: BrokerMessage, rawBytes: number): void {
      accept(message, rawBytes, undefined);
    },

    /** Produces and acks whatever was delivered so far; resolves when nothing is in flight. */
    async drain(): Promise<void> {
      seal();
      if (sealed.length > 0) kick();
      while (flushing) await flushing;
    },

    get bufferedBytes(): number {
      return bufferedBytes;
    },

    dispose(): void {
      if (timer) clearTimeout(timer);
      timer = undefined;
    },
  };
}

export type EventIngest = ReturnType<typeof createEventIngest>;
