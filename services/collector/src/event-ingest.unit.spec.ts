import type { EventLogProducer, TopicRecords } from '@celeriac/event-log/producer';
import { silentLogger } from '@celeriac/service-runtime/logger';
import type { ConsumeMessage } from 'amqplib';
import { describe, expect, it } from 'vitest';
import { createEventIngest } from './event-ingest';
import { createCollectorMetrics } from './metrics';

function delivery(tag: number, body: unknown, contentType = 'application/json'): ConsumeMessage {
  return {
    content: Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)),
    fields: {
      deliveryTag: tag,
      redelivered: false,
      exchange: 'celeryev',
      routingKey: 'task.multi',
      consumerTag: 'c',
    },
    properties: { contentType, contentEncoding: 'utf-8', headers: {} },
  } as unknown as ConsumeMessage;
}
const started = (uuid: string) => ({
  type: 'task-started',
  uuid,
  hostname: 'celery@w',
  timestamp: 1,
  clock: 1,
});

/** A producer whose produce calls the test settles by hand. */
function manualProducer() {
  const calls: { batches: TopicRecords[]; resolve: () => void; reject: (error: Error) => void }[] = [];
  const producer: EventLogProducer = {
    name: 'fake',
    isRunning: true,
    start: async () => undefined,
    stop: async () => undefined,
    produce: (batches) => new Promise<void>((resolve, reject) => calls.push({ batches, resolve, reject })),
  };
  return { producer, calls };
}

function setup(
  overrides: { batchMaxEvents?: number; batchMaxBytes?: number; maxBufferedBytes?: number } = {},
) {
  const { producer, calls } = manualProducer();
  const pressure: boolean[] = [];
  const acks: { tag: number; allUpTo: boolean | undefined }[] = [];
  const controller = new AbortController();
  const ingest = createEventIngest({
    channel: { ack: (message, allUpTo) => void acks.push({ tag: message.fields.deliveryTag, allUpTo }) },
    producer,
    topics: { events: 'ev', deadLetter: 'dl' },
    connectionId: 'conn',
    maxBodyBytes: 65_536,
    maxListItems: 1_000,
    batchMaxEvents: overrides.batchMaxEvents ?? 100,
    batchMaxBytes: overrides.batchMaxBytes ?? 1_000_000,
    maxBufferedBytes: overrides.maxBufferedBytes ?? 1_000_000,
    onPressure: (high) => void pressure.push(high),
    lingerMs: 1,
    clock: () => 1000,
    metrics: createCollectorMetrics(),
    logger: silentLogger,
    signal: controller.signal,
  });
  return { ingest, calls, acks, controller, pressure };
}
const flushMicrotasks = () => new Promise((resolve) => setImmediate(resolve));

describe('event ingest', () => {
  it('given deliveries, acks them (allUpTo, last tag) only after Kafka acknowledged the batch', async () => {
    const { ingest, calls, acks } = setup({ batchMaxEvents: 3 });
    ingest.handle(delivery(1, [started('a'), started('b')]));
    ingest.handle(delivery(2, 'not json'));
    expect(calls).toHaveLength(1);
    const [events, deadLetters] = calls[0]!.batches;
    expect(events?.records.map((r) => r.key)).toEqual(['conn', 'conn']);
    expect(deadLetters?.records).toHaveLength(1);
    expect(acks).toEqual([]);
    calls[0]!.resolve();
    await flushMicrotasks();
    expect(acks).toEqual([{ tag: 2, allUpTo: true }]);
  });

  it('given Kafka failing, holds the batch unacked and retries the same records', async () => {
    const { ingest, calls, acks, controller } = setup({ batchMaxEvents: 1 });
    ingest.handle(delivery(7, started('a')));
    calls[0]!.reject(new Error('kafka down'));
    await new Promise((resolve) => setTimeout(resolve, 400)); // first backoff is at most 250 ms
    expect(calls).toHaveLength(2);
    expect(calls[1]!.batches).toEqual(calls[0]!.batches);
    expect(acks).toEqual([]);
    calls[1]!.resolve();
    await flushMicrotasks();
    expect(acks).toEqual([{ tag: 7, allUpTo: true }]);
    controller.abort();
  });

  it('keeps one batch in flight while more deliveries arrive', async () => {
    const { ingest, calls, acks } = setup({ batchMaxEvents: 1 });
    ingest.handle(delivery(1, started('a')));
    ingest.handle(delivery(2, started('b')));
    ingest.handle(delivery(3, started('c')));
    expect(calls).toHaveLength(1);
    calls[0]!.resolve();
    await flushMicrotasks();
    expect(acks).toEqual([{ tag: 1, allUpTo: true }]);
    expect(calls).toHaveLength(2);
    calls[1]!.resolve();
    await flushMicrotasks();
    calls[2]!.resolve();
    await ingest.drain();
    expect(acks.map((ack) => ack.tag)).toEqual([1, 2, 3]);
  });

  it('caps batches by bytes and acks in delivery order', async () => {
    const { ingest, calls, acks } = setup({ batchMaxBytes: 600 });
    const big = (uuid: string) => ({ ...started(uuid), pad: 'x'.repeat(250) });
    for (let tag = 1; tag <= 5; tag++) ingest.handle(delivery(tag, big(`t${tag}`)));
    for (let i = 0; i < 10 && acks.at(-1)?.tag !== 5; i++) {
      for (const call of calls) call.resolve();
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    for (const call of calls) {
      expect(call.batches[0]!.records.reduce((total, r) => total + r.value.length, 0)).toBeLessThanOrEqual(
        600,
      );
    }
    expect(calls.length).toBeGreaterThanOrEqual(3);
    const tags = acks.map((ack) => ack.tag);
    expect(tags).toEqual([...tags].sort((x, y) => x - y));
    expect(tags.at(-1)).toBe(5);
  });

  it('treats an empty task.multi list as a message to ack with nothing to produce', async () => {
    const { ingest, calls, acks } = setup();
    ingest.handle(delivery(3, []));
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(calls[0]!.batches.every((batch) => batch.records.length === 0)).toBe(true);
    calls[0]!.resolve();
    await ingest.drain();
    expect(acks).toEqual([{ tag: 3, allUpTo: true }]);
  });

  it('asks to stop consuming above the buffered-bytes budget and to resume under half of it', async () => {
    const { ingest, calls, pressure } = setup({ batchMaxEvents: 1, maxBufferedBytes: 200 });
    ingest.handle(delivery(1, started('a')));
    ingest.handle(delivery(2, started('b')));
    ingest.handle(delivery(3, started('c')));
    expect(pressure).toEqual([true]);
    expect(ingest.bufferedBytes).toBeGreaterThan(200);
    for (let i = 0; i < 3; i++) {
      calls[i]!.resolve();
      await flushMicrotasks();
    }
    expect(pressure).toEqual([true, false]);
    expect(ingest.bufferedBytes).toBe(0);
  });
});
