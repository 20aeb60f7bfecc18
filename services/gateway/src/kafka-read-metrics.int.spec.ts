import { createKafka } from '@celeriac/event-log/kafka';
import { createEventTail, type EventTail } from '@celeriac/event-log/tail';
import { silentLogger } from '@celeriac/service-runtime/logger';
import { createTestTopics } from '@celeriac/tests/harness/isolation';
import { readStackEnv } from '@celeriac/tests/harness/stack-env';
import { waitFor } from '@celeriac/tests/harness/wait-for';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { meterKafkaReads } from './kafka-read-metrics';

const RECORDS = 200;
const VALUE_BYTES = 1_000;

describe('Kafka bytes read by a gateway replica (real Kafka)', () => {
  const brokers = readStackEnv().kafkaBrokers;
  let topics: Awaited<ReturnType<typeof createTestTopics>>;
  const tails: EventTail[] = [];

  beforeAll(async () => {
    topics = await createTestTopics(['events'], 2);
    const producer = createKafka({ clientId: 'meter-test', brokers, logger: silentLogger }).producer();
    await producer.connect();
    await producer.send({
      topic: topics.topics.events as string,
      acks: -1,
      messages: Array.from({ length: RECORDS }, (_, i) => ({
        key: `connection-${i % 7}`,
        value: Buffer.alloc(VALUE_BYTES, i % 256),
      })),
    });
    await producer.disconnect();
  });

  afterAll(async () => {
    for (const tail of tails) await tail.stop();
    await topics?.remove();
  });

  it('counts at least the record bytes its tails fetched, and every other client call still works', async () => {
    const registry = new Registry();
    const kafka = meterKafkaReads(
      createKafka({ clientId: 'metered', brokers, logger: silentLogger }),
      registry,
    );
    let received = 0;
    // The tail asks the metered client's admin for watermarks, then reads every record from offset 0.
    const tail = createEventTail({
      kafka,
      topic: topics.topics.events as string,
      logger: silentLogger,
      start: { from: 'end', backfill: RECORDS },
      onBatch: async (batch) => {
        received += batch.records.length;
      },
    });
    tails.push(tail);
    await tail.start();
    await waitFor('every record read', () => received === RECORDS);
    const value = async (name: string) =>
      (await registry.getSingleMetric(name)?.get())?.values[0]?.value ?? 0;
    expect(await value('celeriac_gateway_kafka_fetch_bytes_total')).toBeGreaterThanOrEqual(
      RECORDS * VALUE_BYTES,
    );
    expect(await value('celeriac_gateway_kafka_fetches_total')).toBeGreaterThan(0);
  });
});
