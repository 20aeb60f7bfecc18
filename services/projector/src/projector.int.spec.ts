import { randomUUID } from 'node:crypto';
import type { CeleryEvent } from '@celeriac/proto/events';
import { startCeleryWorker } from '@celeriac/tests/harness/celery-worker';
import { createTestDatabase, createTestTopics, createTestVhost } from '@celeriac/tests/harness/isolation';
import { readStackEnv } from '@celeriac/tests/harness/stack-env';
import { waitFor } from '@celeriac/tests/harness/wait-for';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  captureCeleryEvents,
  celeryStateOf,
  type RawRecord,
  retriesBeforeFinish,
  shuffled,
  toCeleryEvents,
} from '../test-support/captured-events';
import { appliedOffset, createLogIo } from '../test-support/log-io';
import { startProjector } from '../test-support/projector-harness';

const stack = readStackEnv();
const GROUP = 'projector-int';
const IN_ORDER = randomUUID();
const SHUFFLED = randomUUID();
const BAD = randomUUID();

let database: Awaited<ReturnType<typeof createTestDatabase>>;
let topics: Awaited<ReturnType<typeof createTestTopics>>;
let io: ReturnType<typeof createLogIo>;
let projector: Awaited<ReturnType<typeof startProjector>>;
let records: RawRecord[];
let pool: pg.Pool;
/** Added to the projector's clock, to let heartbeats expire without waiting. */
let clockSkewMs = 0;

async function caughtUp(topic: string): Promise<void> {
  const end = await io.endOffset(topic);
  await waitFor(
    `projector to apply ${end} records`,
    async () => (await appliedOffset(database.url, GROUP, topic)) >= end,
    { timeoutMs: 60_000 },
  );
}

const TASK_COLUMNS = `uuid, name, state, sent, received, started, succeeded, failed, retried, revoked, rejected, "timestamp", args, kwargs,
  result, exception, traceback, eta, expires, retries, worker, client, runtime, exchange, routing_key, queue, root_id, parent_id,
  children, clock, extra, custom_state, custom_ts, last_ts, last_event_at`;

async function tasksOf(connectionId: string) {
  return (
    await pool.query(`SELECT ${TASK_COLUMNS} FROM celeriac.tasks WHERE connection_id = $1 ORDER BY uuid`, [
      connectionId,
    ])
  ).rows;
}

beforeAll(async () => {
  const vhost = await createTestVhost();
  const worker = await startCeleryWorker({ brokerUrl: vhost.url, name: 'proj', concurrency: 2 });
  try {
    records = await captureCeleryEvents(stack, vhost.url);
  } finally {
    await worker.stop();
    await vhost.remove();
  }
  [database, topics] = await Promise.all([createTestDatabase(), createTestTopics(['events'])]);
  pool = new pg.Pool({ connectionString: database.url, max: 2 });
  io = createLogIo(stack.kafkaBrokers);
  await io.connect();
  projector = await startProjector({
    databaseUrl: database.url,
    brokers: stack.kafkaBrokers,
    topic: topics.topics.events as string,
    group: GROUP,
    batchSize: 7,
    now: () => Date.now() + clockSkewMs,
  });
}, 240_000);

afterAll(async () => {
  await projector?.stop();
  await io?.close();
  await pool?.end();
  await topics?.remove();
  await database?.drop();
});

describe('projector on real Celery 5.5 events through real Kafka into PostgreSQL', () => {
  it('gives the same task rows for shuffled delivery as for in-order delivery, and the states Celery computes', async () => {
    const topic = topics.topics.events as string;
    await io.produce(topic, toCeleryEvents(records, IN_ORDER));
    await io.produce(topic, shuffled(toCeleryEvents(records, SHUFFLED), 20251122));
    await caughtUp(topic);

    const inOrder = await tasksOf(IN_ORDER);
    expect(inOrder.length).toBeGreaterThanOrEqual(9);
    expect(await tasksOf(SHUFFLED)).toEqual(inOrder);

    // Celery's arrival order, but for the one race where Celeriac's rule departs from it on purpose.
    const celery = await celeryStateOf(stack.python, retriesBeforeFinish(records));
    expect(Object.keys(celery).sort()).toEqual(inOrder.map((row) => row.uuid));
    for (const row of inOrder) {
      const expected = celery[row.uuid] as Record<string, unknown>;
      expect({ uuid: row.uuid, state: row.state }).toEqual({ uuid: row.uuid, state: expected.state });
      for (const field of [
        'name',
        'args',
        'kwargs',
        'result',
        'exception',
        'retries',
        'worker',
        'client',
        'sent',
        'received',
        'started',
        'succeeded',
        'failed',
        'retried',
        'revoked',
        'runtime',
        'parent_id',
        'root_id',
        'children',
        'exchange',
        'routing_key',
      ] as const) {
        expect({ uuid: row.uuid, field, value: row[field] ?? null }).toEqual({
          uuid: row.uuid,
          field,
          value: expected[field] ?? null,
        });
      }
    }
    const states = new Set(inOrder.map((row) => row.state));
    for (const state of ['SUCCESS', 'FAILURE', 'REVOKED']) expect(states).toContain(state);

    // History: one row per event with its Kafka position, no duplicates.
    const history = await pool.query(
      'SELECT count(*)::int AS n, count(DISTINCT event_id)::int AS d FROM celeriac.task_events WHERE connection_id = $1',
      [IN_ORDER],
    );
    const taskEvents = records.filter((r) => String(r.event.type).startsWith('task-')).length;
    expect(history.rows[0]).toEqual({ n: taskEvents, d: taskEvents });
    const types = await pool.query(
      'SELECT name FROM celeriac.task_types WHERE connection_id = $1 ORDER BY name',
      [IN_ORDER],
    );
    expect(types.rows.map((r) => r.name)).toEqual(['tasks.add', 'tasks.echo', 'tasks.error', 'tasks.retry']);
    const workers = await pool.query(
      'SELECT hostname, sw_ident, freq FROM celeriac.workers WHERE connection_id = $1',
      [IN_ORDER],
    );
    expect(workers.rows).toEqual([{ hostname: 'proj@celeriac-test', sw_ident: 'py-celery', freq: 2 }]);
    const text = await projector.metrics.registry.metrics();
    expect(text).toMatch(
      new RegExp(
        `flower_events_total\\{connection="${IN_ORDER}",worker="proj@celeriac-test",type="task-succeeded",task="tasks.add"\\} \\d+`,
      ),
    );
    expect(text).toContain(
      `flower_task_runtime_seconds_count{connection="${IN_ORDER}",worker="proj@celeriac-test",task="tasks.add"}`,
    );
  });

  it('changes nothing when events are redelivered (same eventId), even at new offsets', async () => {
    const topic = topics.topics.events as string;
    const before = await tasksOf(IN_ORDER);
    const again = toCeleryEvents(records, IN_ORDER).map((event) => ({
      ...event,
      receivedAtMs: event.receivedAtMs + 3_600_000,
    }));
    await io.produce(topic, again);
    await caughtUp(topic);
    expect(await tasksOf(IN_ORDER)).toEqual(before);
    const history = await pool.query(
      'SELECT count(*)::int AS n FROM celeriac.task_events WHERE connection_id = $1',
      [IN_ORDER],
    );
    expect(history.rows[0].n).toBe(records.filter((r) => String(r.event.type).startsWith('task-')).length);
  });

  it('skips bad events with a counter and keeps consuming', async () => {
    const topic = topics.topics.events as string;
    const good = toCeleryEvents(records, BAD);
    const template = good.find((event) => event.type === 'task-received') as CeleryEvent;
    const bad: (CeleryEvent | { key: string; raw: Buffer })[] = [
      { key: BAD, raw: Buffer.from('not a protobuf at all \xff\xff') },
      { ...template, eventId: 'bad-1', type: 'mystery-event' },
      { ...template, eventId: 'bad-2', body: { $case: 'task', value: { uuid: '' } } },
      { ...template, eventId: 'bad-3', timestamp: 12 },
      { ...template, eventId: 'bad-4', timestamp: 99_999_999_999 },
      { ...template, eventId: 'bad-5', connectionId: 'not-a-uuid' },
    ];
    // Values PostgreSQL would refuse (NUL, a lone surrogate) are cleaned, not allowed to wedge the partition.
    const awkward = {
      ...template,
      eventId: 'awkward',
      body: {
        $case: 'task' as const,
        value: { uuid: 'awkward-task', name: 'tasks.echo', args: "('a\u0000b', 'c\ud800')" },
      },
      extraJson: '{"note":"\\ud800x"}',
    };
    await io.produce(topic, [...bad, awkward, ...good]);
    await caughtUp(topic);
    expect(await tasksOf(BAD)).toHaveLength((await tasksOf(IN_ORDER)).length + 1);
    const cleaned = await pool.query(
      'SELECT args, extra FROM celeriac.tasks WHERE connection_id = $1 AND uuid = $2',
      [BAD, 'awkward-task'],
    );
    expect(cleaned.rows).toEqual([{ args: "('ab', 'c\ufffd')", extra: { note: '\ufffdx' } }]);
    const text = await projector.metrics.registry.metrics();
    for (const reason of ['undecodable', 'unknown_type', 'missing_uuid', 'bad_connection_id']) {
      expect(text).toMatch(new RegExp(`celeriac_projector_events_skipped_total\\{reason="${reason}"\\} 1`));
    }
    expect(text).toMatch(/celeriac_projector_events_skipped_total\{reason="absurd_timestamp"\} 2/);
  });
});

describe('worker liveness and Flower worker gauges', () => {
  it('expires a worker whose heartbeats stopped (2 x freq) and reports it offline with nothing executing', async () => {
    clockSkewMs = 3_600_000;
    await projector.sweeper.sweepOnce();
    const workers = await pool.query('SELECT online FROM celeriac.workers WHERE connection_id = $1', [
      IN_ORDER,
    ]);
    expect(workers.rows).toEqual([{ online: false }]);
    const text = await projector.metrics.registry.metrics();
    expect(text).toContain(`flower_worker_online{connection="${IN_ORDER}",worker="proj@celeriac-test"} 0`);
    expect(text).toContain(
      `flower_worker_number_of_currently_executing_tasks{connection="${IN_ORDER}",worker="proj@celeriac-test"} 0`,
    );
    const live = await pool.query('SELECT alive FROM celeriac.bi_worker_uptime WHERE connection_id = $1', [
      IN_ORDER,
    ]);
    expect(live.rows).toEqual([{ alive: false }]);
  });
});
