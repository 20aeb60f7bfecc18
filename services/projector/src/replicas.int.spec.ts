import { randomUUID } from 'node:crypto';
import { createTestDatabase, createTestTopics } from '@celeriac/tests/harness/isolation';
import { readStackEnv } from '@celeriac/tests/harness/stack-env';
import { waitFor } from '@celeriac/tests/harness/wait-for';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appliedOffset, createLogIo } from '../test-support/log-io';
import { startProjector } from '../test-support/projector-harness';
import { syntheticEvents } from '../test-support/synthetic-events';

const stack = readStackEnv();
let database: Awaited<ReturnType<typeof createTestDatabase>>;
let topics: Awaited<ReturnType<typeof createTestTopics>>;

beforeAll(async () => {
  [database, topics] = await Promise.all([createTestDatabase(), createTestTopics(['events'], 4)]);
});

afterAll(async () => {
  await topics?.remove();
  await database?.drop();
});

async function appliedBy(projector: Awaited<ReturnType<typeof startProjector>>): Promise<number> {
  const metric = await projector.metrics.applied.get();
  return metric.values.filter((v) => v.labels.outcome === 'applied').reduce((sum, v) => sum + v.value, 0);
}

describe('several projector replicas in one consumer group', () => {
  it('share the partitions, survive one replica leaving mid-stream, and apply every event once', async () => {
    const topic = topics.topics.events as string;
    const io = createLogIo(stack.kafkaBrokers);
    await io.connect();
    // 32 connections over 4 partitions: each replica's two partitions get events (all 32 keys
    // falling on one replica's half has odds of 2 in 2^32).
    const connections = Array.from({ length: 32 }, () => randomUUID());
    const first = await startProjector({
      databaseUrl: database.url,
      brokers: stack.kafkaBrokers,
      topic,
      group: 'replicas',
      batchSize: 200,
    });
    const second = await startProjector({
      databaseUrl: database.url,
      brokers: stack.kafkaBrokers,
      topic,
      group: 'replicas',
      batchSize: 200,
    });
    try {
      // Produce only once the group settled with both members: a replica still joining while the
      // other drains the whole backlog would have nothing to apply.
      await waitFor(
        'both replicas to hold partitions',
        () =>
          first.assignment.length > 0 &&
          second.assignment.length > 0 &&
          first.assignment.length + second.assignment.length === 4,
        { timeoutMs: 90_000 },
      );
      for (const connectionId of connections)
        await io.produce(topic, [
          ...syntheticEvents({ connectionId, tasks: 125, startMs: Date.now() - 3_600_000 }),
        ]);
      const end = await io.endOffset(topic);
      await waitFor(
        'both replicas to apply events',
        async () => (await appliedBy(first)) > 0 && (await appliedBy(second)) > 0,
        { timeoutMs: 90_000 },
      );
      await second.stop();
      await waitFor(
        'the remaining replica to take over and catch up',
        async () => (await appliedOffset(database.url, 'replicas', topic)) >= end,
        { timeoutMs: 120_000 },
      );
    } finally {
      await first.stop();
      await second.stop();
      await io.close();
    }
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      const tasks = await client.query(
        `SELECT count(*)::int AS n, count(*) FILTER (WHERE state IN ('SUCCESS', 'FAILURE'))::int AS done FROM celeriac.tasks`,
      );
      expect(tasks.rows[0]).toEqual({ n: 4000, done: 4000 });
      const history = await client.query(
        'SELECT count(*)::int AS n, count(DISTINCT (connection_id, event_id))::int AS d FROM celeriac.task_events',
      );
      expect(history.rows[0]).toEqual({ n: 16_000, d: 16_000 });
    } finally {
      await client.end();
    }
  }, 240_000);
});
