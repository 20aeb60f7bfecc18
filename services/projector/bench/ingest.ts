import { randomUUID } from 'node:crypto';
import { createTestDatabase, createTestTopics } from '@celeriac/tests/harness/isolation';
import { readStackEnv } from '@celeriac/tests/harness/stack-env';
import { waitFor } from '@celeriac/tests/harness/wait-for';
import { appliedOffset, createLogIo } from '../test-support/log-io';
import { startProjector } from '../test-support/projector-harness';
import { syntheticEvents } from '../test-support/synthetic-events';

/**
 * Kafka -> PostgreSQL throughput: a backlog of realistic lifecycles (sent, received, started,
 * succeeded/failed, heartbeats every 2 s, queue and inspect snapshots) is produced first, then one
 * projector replica drains it; events/s = records / drain time.
 */
export async function benchIngest(options: {
  connections: number;
  tasksPerConnection: number;
  partitions: number;
  batchSize: number;
}) {
  const stack = readStackEnv();
  const [database, topics] = await Promise.all([
    createTestDatabase(),
    createTestTopics(['bench'], options.partitions),
  ]);
  const io = createLogIo(stack.kafkaBrokers);
  await io.connect();
  const topic = topics.topics.bench as string;
  try {
    const startMs = Date.now() - 3_600_000;
    for (let c = 0; c < options.connections; c += 1) {
      const events = [
        ...syntheticEvents({
          connectionId: randomUUID(),
          tasks: options.tasksPerConnection,
          startMs,
          seed: c + 1,
          tasksPerSecond: 2000,
        }),
      ];
      await io.produce(topic, events);
    }
    const records = await io.endOffset(topic);
    const began = performance.now();
    const projector = await startProjector({
      databaseUrl: database.url,
      brokers: stack.kafkaBrokers,
      topic,
      group: 'bench',
      batchSize: options.batchSize,
    });
    await waitFor('drain', async () => (await appliedOffset(database.url, 'bench', topic)) >= records, {
      timeoutMs: 900_000,
      intervalMs: 50,
    });
    const seconds = (performance.now() - began) / 1000;
    await projector.stop();
    return { records, seconds, eventsPerSecond: records / seconds, ...options };
  } finally {
    await io.close();
    await topics.remove();
    await database.drop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const result = await benchIngest({
    connections: Number(process.env.CONN ?? 4),
    tasksPerConnection: Number(process.env.TASKS ?? 10000),
    partitions: 4,
    batchSize: Number(process.env.BATCH ?? 5000),
  });
  console.log(JSON.stringify(result));
}
