import { randomUUID } from 'node:crypto';
import { CeleryEvent } from '@celeriac/proto/events';
import { createTestDatabase, createTestTopics } from '@celeriac/tests/harness/isolation';
import { readStackEnv } from '@celeriac/tests/harness/stack-env';
import { waitFor } from '@celeriac/tests/harness/wait-for';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appliedOffset, createLogIo } from '../test-support/log-io';
import { startProjector } from '../test-support/projector-harness';

const stack = readStackEnv();
const GROUP = 'purge-int';
const PURGE_MS = 60_000;
const A = randomUUID();
const B = randomUUID();

let database: Awaited<ReturnType<typeof createTestDatabase>>;
let topics: Awaited<ReturnType<typeof createTestTopics>>;
let io: ReturnType<typeof createLogIo>;
let projector: Awaited<ReturnType<typeof startProjector>>;
let pool: pg.Pool;
/** Added to the projector's clock, so offline time passes without waiting for it. */
let skewMs = 0;
let seq = 0;

function event(
  connectionId: string,
  type: string,
  hostname: string,
  atMs: number,
  body: CeleryEvent['body'],
) {
  seq += 1;
  return CeleryEvent.fromPartial({
    eventId: `purge-${seq}`,
    connectionId,
    type,
    hostname,
    timestamp: atMs / 1000,
    clock: seq,
    utcoffset: 0,
    pid: 7,
    receivedAtMs: atMs,
    body,
    extraJson: '{}',
  });
}
const beat = (connectionId: string, hostname: string, atMs: number) =>
  event(connectionId, 'worker-heartbeat', hostname, atMs, {
    $case: 'worker',
    value: { freq: 2, active: 0, loadavg: [] },
  });
const task = (connectionId: string, type: string, hostname: string, atMs: number) =>
  event(connectionId, type, hostname, atMs, {
    $case: 'task',
    value: {
      uuid: `${connectionId}-t1`,
      name: 'tasks.add',
      runtime: type === 'task-succeeded' ? 0.1 : undefined,
    },
  });

async function applyAll(events: CeleryEvent[]) {
  const topic = topics.topics.events as string;
  await io.produce(topic, events);
  const end = await io.endOffset(topic);
  await waitFor(
    'projector to apply the events',
    async () => (await appliedOffset(database.url, GROUP, topic)) >= end,
  );
  await projector.sweeper.sweepOnce();
}

const workersOf = async (connectionId: string) =>
  (
    await pool.query('SELECT hostname FROM celeriac.workers WHERE connection_id = $1 ORDER BY 1', [
      connectionId,
    ])
  ).rows.map((row) => row.hostname);

beforeAll(async () => {
  [database, topics] = await Promise.all([createTestDatabase(), createTestTopics(['events'], 1)]);
  pool = new pg.Pool({ connectionString: database.url, max: 2 });
  io = createLogIo(stack.kafkaBrokers);
  await io.connect();
  projector = await startProjector({
    databaseUrl: database.url,
    brokers: stack.kafkaBrokers,
    topic: topics.topics.events as string,
    group: GROUP,
    now: () => Date.now() + skewMs,
    purgeOfflineWorkersS: PURGE_MS / 1000,
  });
}, 120_000);

afterAll(async () => {
  await projector?.stop();
  await io?.close();
  await pool?.end();
  await topics?.remove();
  await database?.drop();
});

describe("purge of offline workers (Flower's purge_offline_workers)", () => {
  it('removes a worker offline longer than the purge time, with its metric series, and keeps live and other tenants’ workers', async () => {
    const t0 = Date.now();
    await applyAll([
      beat(A, 'gone@host', t0),
      task(A, 'task-received', 'gone@host', t0 + 1),
      task(A, 'task-started', 'gone@host', t0 + 2),
      task(A, 'task-succeeded', 'gone@host', t0 + 3),
      event(A, 'worker-offline', 'gone@host', t0 + 4, { $case: 'worker', value: { freq: 2, loadavg: [] } }),
      beat(A, 'live@host', t0),
      // Same hostname in another tenant: a different worker, still alive.
      beat(B, 'gone@host', t0),
    ]);
    expect(await workersOf(A)).toEqual(['gone@host', 'live@host']);
    const before = await projector.metrics.registry.metrics();
    expect(before).toContain(
      `flower_task_prefetch_time_seconds{connection="${A}",task="tasks.add",worker="gone@host"} 0`,
    );
    expect(before).toContain(
      `flower_task_runtime_seconds_count{connection="${A}",worker="gone@host",task="tasks.add"} 1`,
    );

    // Offline for less than the purge time: still listed, as offline.
    skewMs = PURGE_MS / 2;
    await applyAll([beat(A, 'live@host', Date.now() + skewMs), beat(B, 'gone@host', Date.now() + skewMs)]);
    expect(await workersOf(A)).toEqual(['gone@host', 'live@host']);

    skewMs = PURGE_MS + 10_000;
    await applyAll([beat(A, 'live@host', Date.now() + skewMs), beat(B, 'gone@host', Date.now() + skewMs)]);
    expect(await workersOf(A)).toEqual(['live@host']);
    expect(await workersOf(B)).toEqual(['gone@host']);
    const after = await projector.metrics.registry.metrics();
    const seriesOfGone = after
      .split('\n')
      .filter((line) => line.includes(`connection="${A}"`) && line.includes('worker="gone@host"'));
    expect(seriesOfGone).toEqual([]);
    expect(after).toContain(`flower_worker_online{connection="${A}",worker="live@host"} 1`);
    expect(after).toContain(`flower_worker_online{connection="${B}",worker="gone@host"} 1`);
    expect(after).toContain('celeriac_projector_workers_purged_total 1');
  });
});
