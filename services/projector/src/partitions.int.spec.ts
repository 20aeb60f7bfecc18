import { silentLogger } from '@celeriac/service-runtime/logger';
import { createTestDatabase } from '@celeriac/tests/harness/isolation';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPartitionManager, dayStartMs } from './partitions';

const DAY = 86_400_000;
let database: Awaited<ReturnType<typeof createTestDatabase>>;
let pool: pg.Pool;

async function partitionNames(): Promise<string[]> {
  const { rows } = await pool.query(`SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
    JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = 'task_events' ORDER BY 1`);
  return rows.map((r) => r.relname as string);
}

beforeAll(async () => {
  database = await createTestDatabase();
  pool = new pg.Pool({ connectionString: database.url, max: 3 });
});

afterAll(async () => {
  await pool?.end();
  await database?.drop();
});

describe('task_events daily partitions', () => {
  it('creates partitions ahead, on demand for replayed days, even when replicas race, and drops whole days past retention', async () => {
    const now = Date.UTC(2026, 10, 22, 12);
    const a = createPartitionManager({ pool, logger: silentLogger, retentionDays: 7, daysAhead: 2 });
    const b = createPartitionManager({ pool, logger: silentLogger, retentionDays: 7, daysAhead: 2 });
    await Promise.all([a.maintain(now), b.maintain(now)]);
    expect(await partitionNames()).toEqual([
      'task_events_p20261122',
      'task_events_p20261123',
      'task_events_p20261124',
    ]);

    await a.ensureDays([dayStartMs(now - 10 * DAY), dayStartMs(now - 3 * DAY)]);
    await pool.query(
      `INSERT INTO celeriac.task_events (connection_id, event_id, type, hostname, "timestamp", received_at, kafka_partition, kafka_offset, fields)
      VALUES (gen_random_uuid(), 'old', 'task-sent', 'h', 1, to_timestamp($1 / 1000.0), 0, 0, '{}'), (gen_random_uuid(), 'recent', 'task-sent', 'h', 1, to_timestamp($2 / 1000.0), 0, 1, '{}')`,
      [now - 10 * DAY, now - 3 * DAY],
    );

    const { dropped } = await a.maintain(now);
    expect(dropped).toEqual(['task_events_p20261112']);
    expect(await partitionNames()).toEqual([
      'task_events_p20261119',
      'task_events_p20261122',
      'task_events_p20261123',
      'task_events_p20261124',
    ]);
    const left = await pool.query('SELECT event_id FROM celeriac.task_events');
    expect(left.rows).toEqual([{ event_id: 'recent' }]);
  });
});
