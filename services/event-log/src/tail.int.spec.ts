import { silentLogger } from '@celeriac/service-runtime/logger';
import { createTestTopics } from '@celeriac/tests/harness/isolation';
import { readStackEnv } from '@celeriac/tests/harness/stack-env';
import { waitFor } from '@celeriac/tests/harness/wait-for';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKafka } from './kafka';
import { createEventTail, type EventTail, type TailRecord } from './tail';

describe('event tail on a real Kafka topic', () => {
  const kafka = createKafka({
    clientId: 'tail-test',
    brokers: readStackEnv().kafkaBrokers,
    logger: silentLogger,
  });
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  let topics: Awaited<ReturnType<typeof createTestTopics>>;
  const tails: EventTail[] = [];
  const topic = () => topics.topics.events as string;
  const values = (records: TailRecord[]) => records.map((record) => String(record.value));
  const produce = (from: number, count: number) =>
    producer.send({
      topic: topic(),
      acks: -1,
      messages: Array.from({ length: count }, (_, i) => ({ key: 'one-connection', value: `m${from + i}` })),
    });

  beforeAll(async () => {
    topics = await createTestTopics(['events'], 1);
    await producer.connect();
    await produce(0, 20);
  });

  afterAll(async () => {
    for (const tail of tails) await tail.stop();
    await producer.disconnect();
    await topics?.remove();
  });

  it('starts a backfill before the end, then follows new records in order', async () => {
    const records: TailRecord[] = [];
    const tail = createEventTail({
      kafka,
      topic: topic(),
      logger: silentLogger,
      start: { from: 'end', backfill: 5 },
      onBatch: async (batch) => void records.push(...batch.records),
    });
    tails.push(tail);
    const plan = await tail.start();
    expect(plan).toEqual([{ partition: 0, low: 0, high: 20, start: 15 }]);
    await produce(20, 5);
    await waitFor('the backfill and the new records', () => records.length >= 10);
    expect(values(records)).toEqual(Array.from({ length: 10 }, (_, i) => `m${15 + i}`));
    expect(records.map((record) => record.offset)).toEqual(Array.from({ length: 10 }, (_, i) => 15 + i));
  });

  it('starts exactly at given positions, and a slow handler loses nothing (backpressure, not drops)', async () => {
    const records: TailRecord[] = [];
    let calls = 0;
    const tail = createEventTail({
      kafka,
      topic: topic(),
      logger: silentLogger,
      start: { from: 'positions', offsets: new Map([[0, 3]]) },
      onBatch: async (batch) => {
        calls += 1;
        await new Promise((resolve) => setTimeout(resolve, 50));
        records.push(...batch.records);
      },
    });
    tails.push(tail);
    await tail.start();
    await waitFor('every record from offset 3', () => records.length >= 22, { timeoutMs: 30_000 });
    expect(values(records)).toEqual(Array.from({ length: 22 }, (_, i) => `m${3 + i}`));
    expect(calls).toBeGreaterThan(0);
  });
});
