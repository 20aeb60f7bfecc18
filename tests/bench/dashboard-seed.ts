import pg from 'pg';

/**
 * Fills the read model of one private connection with `count` finished and in-flight tasks in a single
 * INSERT ... SELECT over generate_series (seconds for a million rows): 12 names, 8 workers, ~88 %
 * SUCCESS, 6 % FAILURE, the rest queued or running, state changes spread over the last 30 days, 1 % in
 * a 'priority' queue, runtimes from 0 to 10 s.
 */
export async function seedTasks(databaseUrl: string, connectionId: string, count: number): Promise<number> {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 1 });
  pool.on('error', () => {});
  const started = performance.now();
  try {
    const now = Date.now() / 1000;
    await pool.query(
      `INSERT INTO celeriac.tasks (connection_id, uuid, name, state, sent, received, started, succeeded,
         failed, "timestamp", args, kwargs, result, exception, retries, worker, runtime, routing_key, queue)
       SELECT $1, md5('dash' || i)::uuid::text, 'app.jobs.job_' || (i % 12), st,
         t - 0.2, t - 0.1,
         CASE WHEN st <> 'RECEIVED' THEN t - 0.05 END,
         CASE WHEN st = 'SUCCESS' THEN t END,
         CASE WHEN st = 'FAILURE' THEN t END,
         t, '(' || i || ',)', '{}',
         CASE WHEN st = 'SUCCESS' THEN 'True' END,
         CASE WHEN st = 'FAILURE' THEN 'KeyError(''job ' || i || ''')' END,
         0, 'celery@node' || (i % 8), CASE WHEN st = 'SUCCESS' THEN (i % 997) / 100.0 END,
         CASE WHEN i % 100 = 0 THEN 'priority' ELSE 'celery' END,
         CASE WHEN i % 100 = 0 THEN 'priority' ELSE 'celery' END
       FROM (
         SELECT i, $2::float8 - (i::float8 / $3::float8) * 2592000 AS t,
           CASE WHEN i % 50 < 44 THEN 'SUCCESS' WHEN i % 50 < 47 THEN 'FAILURE'
                WHEN i % 50 < 49 THEN 'RECEIVED' ELSE 'STARTED' END AS st
         FROM generate_series(1, $3::int) AS i
       ) AS generated`,
      [connectionId, now, count],
    );
    await pool.query('ANALYZE celeriac.tasks');
    return performance.now() - started;
  } finally {
    await pool.end();
  }
}
