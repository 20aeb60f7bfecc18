import { silentLogger } from '@celeriac/service-runtime/logger';
import { createTestTopics } from '@celeriac/tests/harness/isolation';
import { type PrivateKafka, startPrivateKafka } from '@celeriac/tests/harness/private-kafka';
import { waitFor } from '@celeriac/tests/harness/wait-for';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKafka } from './kafka';
import { createEventTail, type EventTail, type TailRecord } from './tail';

// The broker dies (kill -9) and comes back while a tail follows the topic: kafkajs restarts the
// crashed consumer as a new group member, which without the tail's own positions would start at the
// end and skip what was produced meanwhile. A broker of this test's own; the shared one stays up.
describe('event tail across a Kafka restart', () => {
  let broker: PrivateKafka;
  let tail: EventTail | undefined;
  const records: TailRecord[] = [];

  beforeAll(async () => {
    broker = await startPrivateKafka();
  }, 300_000);

  afterAll(async () => {
    await tail?.stop().catch(() => undefined);
    await broker?.remove();
  }, 120_000);

  it('delivers every record once, in order, including those produced while it reconnected', async () => {
    const kafka = createKafka({
      clientId: 'tail-restart-test',
      brokers: broker.brokers,
      logger: silentLogger,
    });
    const { topics } = await createTestTopics(['events'], 1, broker.brokers);
    const topic = topics.events as string;
    const send = async (from: number, count: number) => {
      const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
      await producer.connect();
      try {
        await producer.send({
          topic,
          acks: -1,
          messages: Array.from({ length: count }, (_, i) => ({ key: 'k', value: `m${from + i}` })),
        });
      } finally {
        await producer.disconnect();
      }
    };
    tail = createEventTail({
      kafka,
      topic,
      logger: silentLogger,
      start: { from: 'end', backfill: 0 },
      onBatch: async (batch) => void records.push(...batch.records),
    });
    await tail.start();
    await send(0, 5);
    await waitFor('the first records', () => records.length >= 5, { timeoutMs: 30_000 });

    await broker.stop('SIGKILL');
    await broker.start();
    // Produced as soon as the broker is back, while the tail's consumer is still reconnecting.
    await send(5, 5);
    await waitFor('the records produced after the restart', () => records.length >= 10, {
      timeoutMs: 120_000,
      intervalMs: 250,
    });
    await send(10, 1);
    await waitFor('one more record', () => records.some((record) => String(record.value) === 'm10'), {
      timeoutMs: 60_000,
    });
    expect(records.map((record) => String(record.value))).toEqual(
      Array.from({ length: 11 }, (_, i) => `m${i}`),
    );
  }, 300_000);
});
