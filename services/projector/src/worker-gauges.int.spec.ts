import { randomUUID } from 'node:crypto';
import { createTestDatabase } from '@celeriac/tests/harness/isolation';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProjectorMetrics } from './metrics';
import { refreshWorkerGauges } from './worker-gauges';

const CROWDED = randomUUID();
const SMALL = randomUUID();
const NOW = Date.now();

let database: Awaited<ReturnType<typeof createTestDatabase>>;
let pool: pg.Pool;

beforeAll(async () => {
  database = await createTestDatabase();
  pool = new pg.Pool({ connectionString: database.url, max: 2 });
  // 2,000 live workers on one connection (think autoscaled pods), 2 on another, each with prefetched tasks.
  await pool.query(
    `INSERT INTO celeriac.workers (connection_id, hostname, online, freq, active, first_seen_at, last_heartbeat, last_heartbeat_at)
     SELECT $1::uuid, 'pod-' || lpad(g::text, 5, '0') || '@h', true, 2, 1, to_timestamp($3 / 1000.0), $3 / 1000.0, to_timestamp($3 / 1000.0)
     FROM generate_series(1, 2000) g
     UNION ALL SELECT $2::uuid, 'w' || g || '@h', true, 2, 1, to_timestamp($3 / 1000.0), $3 / 1000.0, to_timestamp($3 / 1000.0) FROM generate_series(1, 2) g`,
    [CROWDED, SMALL, NOW],
  );
  await pool.query(
    `INSERT INTO celeriac.tasks (connection_id, uuid, name, state, worker)
     SELECT $1::uuid, 't' || g, 'tasks.n' || lpad(g::text, 5, '0'), 'RECEIVED', 'pod-' || lpad(g::text, 5, '0') || '@h' FROM generate_series(1, 2000) g
     UNION ALL SELECT $2::uuid, 't1', 'tasks.x', 'RECEIVED', 'w1@h'`,
    [CROWDED, SMALL],
  );
}, 60_000);

afterAll(async () => {
  await pool?.end();
  await database?.drop();
});

describe('worker gauges under label caps', () => {
  it("keeps each connection's first workers, sums the rest into other, and never crowds out another tenant", async () => {
    const metrics = createProjectorMetrics({
      valuesPerLabel: 10,
      seriesPerMetric: 5000,
      maxValueLength: 200,
      bytesPerConnection: 1_000_000,
    });
    await refreshWorkerGauges(pool, metrics, NOW);
    const lines = (await metrics.registry.metrics()).split('\n');
    const online = lines.filter((l) => l.startsWith(`flower_worker_online{connection="${CROWDED}"`));
    expect(online).toHaveLength(11);
    expect(online).toContain(`flower_worker_online{connection="${CROWDED}",worker="other"} 1990`);
    expect(lines).toContain(
      `flower_worker_number_of_currently_executing_tasks{connection="${CROWDED}",worker="other"} 1990`,
    );
    const prefetched = lines.filter((l) =>
      l.startsWith(`flower_worker_prefetched_tasks{connection="${CROWDED}"`),
    );
    expect(prefetched).toHaveLength(11);
    expect(prefetched).toContain(
      `flower_worker_prefetched_tasks{connection="${CROWDED}",worker="other",task="other"} 1990`,
    );
    expect(lines).toContain(`flower_worker_online{connection="${SMALL}",worker="w2@h"} 1`);
    expect(lines).toContain(
      `flower_worker_prefetched_tasks{connection="${SMALL}",worker="w1@h",task="tasks.x"} 1`,
    );
  });
});
