import { randomUUID } from 'node:crypto';
import { freePort } from '@celeriac/tests/harness/free-port';
import { createTestDatabase, createTestTopics } from '@celeriac/tests/harness/isolation';
import { startService } from '@celeriac/tests/harness/service-process';
import { readStackEnv } from '@celeriac/tests/harness/stack-env';
import { waitFor } from '@celeriac/tests/harness/wait-for';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appliedOffset, createLogIo, snapshotTables } from '../test-support/log-io';
import { startProjector } from '../test-support/projector-harness';
import { syntheticEvents } from '../test-support/synthetic-events';

const stack = readStackEnv();
type Db = Awaited<ReturnType<typeof createTestDatabase>>;
let crashed: Db;
let rebuilt: Db;
let rebuiltSmallBatches: Db;
let topics: Awaited<ReturnType<typeof createTestTopics>>;
let io: ReturnType<typeof createLogIo>;
let endOffset = 0;

/** Heartbeats in this log are hours old: every worker must read offline in both databases. */
async function expectAllWorkersOffline(url: string) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    expect(
      (await client.query('SELECT count(*)::int AS n FROM celeriac.workers WHERE online')).rows[0].n,
    ).toBe(0);
  } finally {
    await client.end();
  }
}

beforeAll(async () => {
  [crashed, rebuilt, rebuiltSmallBatches, topics] = await Promise.all([
    createTestDatabase(),
    createTestDatabase(),
    createTestDatabase(),
    createTestTopics(['events']),
  ]);
  io = createLogIo(stack.kafkaBrokers);
  await io.connect();
  const startMs = Date.now() - 3 * 3_600_000;
  const topic = topics.topics.events as string;
  for (let c = 0; c < 3; c += 1) {
    await io.produce(topic, [
      ...syntheticEvents({ connectionId: randomUUID(), tasks: 3000, startMs, seed: c + 1 }),
    ]);
  }
  endOffset = await io.endOffset(topic);
}, 240_000);

afterAll(async () => {
  await io?.close();
  await topics?.remove();
  await Promise.all([crashed?.drop(), rebuilt?.drop(), rebuiltSmallBatches?.drop()]);
});

describe('projector exactly-once effect across crashes and rebuilds', () => {
  it('after kill -9 mid-stream and restarts, every table equals a clean rebuild from offset 0, with no duplicate history', async () => {
    const topic = topics.topics.events as string;
    const group = 'crash-group';
    const port = await freePort();
    const start = () =>
      startService({
        name: 'projector',
        readyUrl: `http://127.0.0.1:${port}/readyz`,
        env: {
          CELERIAC_DATABASE_URL: crashed.url,
          CELERIAC_KAFKA_BROKERS: stack.kafkaBrokers.join(','),
          CELERIAC_EVENTS_TOPIC: topic,
          CELERIAC_PROJECTOR_GROUP: group,
          CELERIAC_PROJECTOR_OPS_PORT: String(port),
          CELERIAC_PROJECTOR_OPS_HOST: '127.0.0.1',
          CELERIAC_PROJECTOR_BATCH_SIZE: '400',
        },
      });
    let kills = 0;
    let before = 0;
    for (let round = 0; round < 2; round += 1) {
      const child = await start();
      // Kill as soon as this run committed a batch: the next ones are in flight (batches of 400).
      const progressed = await waitFor(
        'progress in this run',
        async () => {
          const applied = await appliedOffset(crashed.url, group, topic);
          return applied > before ? applied : false;
        },
        { timeoutMs: 90_000, intervalMs: 10 },
      );
      await child.kill();
      if (progressed < endOffset) kills += 1;
      before = await appliedOffset(crashed.url, group, topic);
    }
    expect(kills).toBeGreaterThan(0);
    const last = await start();
    await waitFor(
      'restarted projector to catch up',
      async () => (await appliedOffset(crashed.url, group, topic)) >= endOffset,
      { timeoutMs: 120_000 },
    );
    await last.stop();

    const rebuild = await startProjector({
      databaseUrl: rebuilt.url,
      brokers: stack.kafkaBrokers,
      topic,
      group: 'rebuild-group',
      batchSize: 2000,
    });
    await waitFor(
      'rebuild to catch up',
      async () => (await appliedOffset(rebuilt.url, 'rebuild-group', topic)) >= endOffset,
      { timeoutMs: 120_000 },
    );
    await rebuild.stop();

    const [a, b] = [await snapshotTables(crashed.url), await snapshotTables(rebuilt.url)];
    // The stored positions are per group; compare the offsets, not the group names.
    expect(a.tasks?.length).toBe(9000);
    for (const table of Object.keys(a)) expect({ table, rows: b[table] }).toEqual({ table, rows: a[table] });
    const history = a.task_events as { event_id: string }[];
    expect(new Set(history.map((row) => row.event_id)).size).toBe(history.length);
    expect(history.length).toBe(9000 * 4);
    await expectAllWorkersOffline(crashed.url);
  }, 300_000);

  it('a full rebuild from offset 0 into an empty schema with other batch boundaries gives identical tables', async () => {
    const topic = topics.topics.events as string;
    const rebuild = await startProjector({
      databaseUrl: rebuiltSmallBatches.url,
      brokers: stack.kafkaBrokers,
      topic,
      group: 'rebuild-small',
      batchSize: 37,
    });
    await waitFor(
      'small-batch rebuild to catch up',
      async () => (await appliedOffset(rebuiltSmallBatches.url, 'rebuild-small', topic)) >= endOffset,
      { timeoutMs: 180_000 },
    );
    await rebuild.stop();
    const [a, b] = [await snapshotTables(rebuilt.url), await snapshotTables(rebuiltSmallBatches.url)];
    for (const table of Object.keys(a)) expect({ table, rows: b[table] }).toEqual({ table, rows: a[table] });
  }, 240_000);
});
