import { silentLogger } from '@celeriac/service-runtime/logger';
import { createTestTopics } from '@celeriac/tests/harness/isolation';
import { readStackEnv } from '@celeriac/tests/harness/stack-env';
import { waitFor } from '@celeriac/tests/harness/wait-for';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGroupConsumer, type PartitionBatch } from './consumer';
import { createKafka } from './kafka';

const stack = readStackEnv();
let topics: Awaited<ReturnType<typeof createTestTopics>>;
let topic: string;
const raw = new Kafka({ clientId: 'consumer-test', brokers: stack.kafkaBrokers, logLevel: logLevel.NOTHING });

beforeAll(async () => {
  topics = await createTestTopics(['consumer'], 1);
  topic = topics.topics.consumer as string;
  const producer = raw.producer();
  await producer.connect();
  await producer.send({
    topic,
    messages: Array.from({ length: 50 }, (_, i) => ({ key: 'k', value: `m${i}` })),
  });
  await producer.disconnect();
});

afterAll(async () => {
  await topics?.remove();
});

async function committedOffset(groupId: string): Promise<number> {
  const admin = raw.admin();
  await admin.connect();
  try {
    const [entry] = await admin.fetchOffsets({ groupId, topics: [topic] });
    return Number(entry?.partitions[0]?.offset ?? -1);
  } finally {
    await admin.disconnect();
  }
}

describe('group consumer over kafkajs', () => {
  it('starts at the positions the caller stores, hands slices in order, and commits to Kafka only after they were handled', async () => {
    const seen: number[] = [];
    let failOnce = true;
    const consumer = createGroupConsumer({
      kafka: createKafka({ clientId: 'consumer-test', brokers: stack.kafkaBrokers, logger: silentLogger }),
      logger: silentLogger,
      groupId: 'seek-group',
      topic,
      maxMessages: 7,
      // The caller's store says offsets below 20 are already applied.
      positions: async () => new Map([[0, 20]]),
      handle: async (batch: PartitionBatch) => {
        const offsets = batch.messages.map((m) => m.offset);
        if (failOnce && offsets.includes(30)) {
          failOnce = false;
          throw new Error('store unavailable');
        }
        // What the store does: ignore what it already has.
        seen.push(...offsets.filter((o) => o >= 20 && !seen.includes(o)));
        expect(batch.messages.length).toBeLessThanOrEqual(7);
      },
    });
    await consumer.start();
    try {
      await waitFor('all records from the stored position on', () => seen.length === 30 && seen, {
        timeoutMs: 60_000,
      });
      expect(seen).toEqual(Array.from({ length: 30 }, (_, i) => 20 + i));
      await waitFor(
        'Kafka offset committed after the last slice',
        async () => (await committedOffset('seek-group')) === 50,
        { timeoutMs: 30_000 },
      );
    } finally {
      await consumer.stop();
      await consumer.stop();
    }
    expect(consumer.isRunning).toBe(false);
  });
});
