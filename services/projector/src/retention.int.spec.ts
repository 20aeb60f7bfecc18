import { randomUUID } from 'node:crypto';
import { silentLogger } from '@celeriac/service-runtime/logger';
import { createTestDatabase } from '@celeriac/tests/harness/isolation';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProjectorMetrics } from './metrics';
import { createPartitionManager } from './partitions';
import { createRetention, RETENTION_LOCK_KEY } from './retention';

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 10, 30, 12);
/** Default retention (30 days): nothing overridden. */
const DEFAULT_CONN = randomUUID();
/** Kept 60 days: its 40-day-old rows stay. */
const LONG_CONN = randomUUID();
/** Kept 7 days: its 10-day-old rows go, history included. */
const SHORT_CONN = randomUUID();

let database: Awaited<ReturnType<typeof createTestDatabase>>;
let pool: pg.Pool;

async function connection(id: string, retentionDays: number | null) {
  await pool.query(
    `INSERT INTO celeriac.connections (connection_id, name, broker_url_encrypted, retention_days) VALUES ($1, $2, '\\x00', $3)`,
    [id, `conn-${id}`, retentionDays],
  );
}

/** `count` tasks, a worker, a queue sample and one history row per task, all from `ageDays` ago. */
async function rows(connectionId: string, tag: string, ageDays: number, count: number) {
  const atMs = NOW - ageDays * DAY;
  await pool.query(
    `INSERT INTO celeriac.tasks (connection_id, uuid, name, state, received, succeeded, "timestamp", last_ts, last_event_at)
     SELECT $1, $2 || '-' || g, 'tasks.add', 'SUCCESS', $3 - 1, $3, $3, $3, to_timestamp($3) FROM generate_series(1, $4) g`,
    [connectionId, tag, atMs / 1000, count],
  );
  await pool.query(
    `INSERT INTO celeriac.workers (connection_id, hostname, online, first_seen_at, last_heartbeat_at, freq)
     VALUES ($1, $2, false, to_timestamp($3 - 86400), to_timestamp($3), 2)`,
    [connectionId, `${tag}@host`, atMs / 1000],
  );
  await pool.query(
    `INSERT INTO celeriac.queue_samples (connection_id, name, sampled_at, messages, consumers) VALUES ($1, 'celery', to_timestamp($2), 3, 1)`,
    [connectionId, atMs / 1000],
  );
  await pool.query(
    `INSERT INTO celeriac.task_events (connection_id, event_id, task_uuid, type, hostname, "timestamp", received_at, kafka_partition, kafka_offset, fields)
     SELECT $1, $2 || '-e' || g, $2 || '-' || g, 'task-succeeded', 'w', $3, to_timestamp($3), 0, g, '{}' FROM generate_series(1, $4) g`,
    [connectionId, tag, atMs / 1000, count],
  );
}

const tasksOf = async (id: string) =>
  (
    await pool.query<{ uuid: string }>(
      `SELECT split_part(uuid, '-', 1) AS uuid, count(*)::int AS n FROM celeriac.tasks WHERE connection_id = $1 GROUP BY 1 ORDER BY 1`,
      [id],
    )
  ).rows;
const workersOf = async (id: string) =>
  (
    await pool.query('SELECT hostname FROM celeriac.workers WHERE connection_id = $1 ORDER BY 1', [id])
  ).rows.map((r) => r.hostname);
const samplesOf = async (id: string) =>
  (
    await pool.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM celeriac.queue_samples WHERE connection_id = $1',
      [id],
    )
  ).rows[0]?.n;
const historyOf = async (id: string) =>
  (
    await pool.query(
      `SELECT split_part(event_id, '-', 1) AS tag, count(*)::int AS n FROM celeriac.task_events WHERE connection_id = $1 GROUP BY 1 ORDER BY 1`,
      [id],
    )
  ).rows;

/** A replica's partition manager and retention, maintained once as the sweeper does at start. */
async function retention() {
  const partitions = createPartitionManager({ pool, logger: silentLogger, retentionDays: 30, daysAhead: 1 });
  await partitions.maintain(NOW);
  return {
    partitions,
    retention: createRetention({
      pool,
      partitions,
      metrics: createProjectorMetrics(),
      logger: silentLogger,
      now: () => NOW,
      defaultDays: 30,
      batchRows: 7,
      intervalMs: 60_000,
    }),
  };
}

beforeAll(async () => {
  database = await createTestDatabase();
  pool = new pg.Pool({ connectionString: database.url, max: 4 });
  await connection(DEFAULT_CONN, null);
  await connection(LONG_CONN, 60);
  await connection(SHORT_CONN, 7);
  const { partitions } = await retention();
  await partitions.ensureDays([40, 10, 3, 1].map((d) => Math.floor((NOW - d * DAY) / DAY) * DAY));
  // The history partitions keep 60 days (LONG_CONN's retention), so the 40-day-old rows are stored.
  await rows(DEFAULT_CONN, 'old', 40, 25);
  await rows(DEFAULT_CONN, 'young', 1, 5);
  await rows(LONG_CONN, 'old', 40, 9);
  await rows(SHORT_CONN, 'old', 10, 16);
  await rows(SHORT_CONN, 'young', 3, 4);
}, 60_000);

afterAll(async () => {
  await pool?.end();
  await database?.drop();
});

describe('retention of tasks, workers and history per connection', () => {
  it('skips the pass while another replica holds the retention lock', async () => {
    const other = await pool.connect();
    try {
      await other.query('SELECT pg_advisory_lock($1)', [RETENTION_LOCK_KEY]);
      expect(await (await retention()).retention.runOnce()).toBeNull();
      expect(await tasksOf(DEFAULT_CONN)).toEqual([
        { uuid: 'old', n: 25 },
        { uuid: 'young', n: 5 },
      ]);
    } finally {
      await other.query('SELECT pg_advisory_unlock($1)', [RETENTION_LOCK_KEY]);
      other.release();
    }
  });

  it("removes rows older than each connection's retention, in batches, and keeps young rows and other connections' rows", async () => {
    const report = await (await retention()).retention.runOnce();
    expect(report?.deleted).toEqual({ tasks: 25 + 16, workers: 2, samples: 2, history: 25 + 16 });
    // 25 and 16 tasks in batches of 7 plus the short last ones: never one big transaction.
    expect(report?.batches).toBeGreaterThanOrEqual(Math.ceil(25 / 7) + Math.ceil(16 / 7));

    expect(await tasksOf(DEFAULT_CONN)).toEqual([{ uuid: 'young', n: 5 }]);
    expect(await workersOf(DEFAULT_CONN)).toEqual(['young@host']);
    expect(await tasksOf(LONG_CONN)).toEqual([{ uuid: 'old', n: 9 }]);
    expect(await workersOf(LONG_CONN)).toEqual(['old@host']);
    expect(await historyOf(LONG_CONN)).toEqual([{ tag: 'old', n: 9 }]);
    expect([await samplesOf(DEFAULT_CONN), await samplesOf(LONG_CONN), await samplesOf(SHORT_CONN)]).toEqual([
      1, 1, 1,
    ]);
    expect(await tasksOf(SHORT_CONN)).toEqual([{ uuid: 'young', n: 4 }]);
    expect(await workersOf(SHORT_CONN)).toEqual(['young@host']);
    expect(await historyOf(SHORT_CONN)).toEqual([{ tag: 'young', n: 4 }]);
    // The partitions keep 60 days for LONG_CONN; the default connection's old history is trimmed.
    expect(await historyOf(DEFAULT_CONN)).toEqual([{ tag: 'young', n: 5 }]);
  });

  it('keeps a task that is old by its state but still received events within the retention', async () => {
    await pool.query(
      `INSERT INTO celeriac.tasks (connection_id, uuid, state, "timestamp", last_ts) VALUES ($1, 'running-1', 'STARTED', $2, $3)`,
      [DEFAULT_CONN, (NOW - 45 * DAY) / 1000, (NOW - DAY) / 1000],
    );
    const report = await (await retention()).retention.runOnce();
    expect(report?.deleted).toEqual({ tasks: 0, workers: 0, samples: 0, history: 0 });
    expect(await tasksOf(DEFAULT_CONN)).toEqual([
      { uuid: 'running', n: 1 },
      { uuid: 'young', n: 5 },
    ]);
  });
});
