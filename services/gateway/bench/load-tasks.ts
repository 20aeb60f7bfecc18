import type pg from 'pg';

/**
 * Bulk-loads `count` tasks for one connection with a single INSERT ... SELECT generate_series, shaped
 * like a real history: 20 task names, 16 workers, ~85% SUCCESS / 5% FAILURE and the rest in flight,
 * received times spread over about a week. Hash-derived columns keep name, worker and state independent.
 */
export async function loadTasks(
  pool: pg.Pool,
  connectionId: string,
  count: number,
  base: number,
): Promise<void> {
  await pool.query(
    `INSERT INTO celeriac.tasks (connection_id, uuid, name, state, sent, received, started, succeeded, failed,
       "timestamp", args, kwargs, result, exception, retries, worker, runtime, clock, routing_key)
     SELECT $1, md5(i::text)::uuid::text, 'tasks.t' || n, s,
       t - 0.01,
       CASE WHEN s = 'PENDING' THEN NULL ELSE t END,
       CASE WHEN s IN ('SUCCESS', 'FAILURE', 'STARTED', 'RETRY') THEN t + 0.002 END,
       CASE WHEN s = 'SUCCESS' THEN t + 0.05 END,
       CASE WHEN s = 'FAILURE' THEN t + 0.05 END,
       t + 0.05, '(' || i || ', 2)', '{}',
       CASE WHEN s = 'SUCCESS' THEN (i + 2)::text END,
       CASE WHEN s = 'FAILURE' THEN 'ValueError(''boom'')' END,
       0,
       CASE WHEN s = 'PENDING' THEN NULL ELSE 'celery@w' || w END,
       CASE WHEN s = 'SUCCESS' THEN 0.048 END,
       i, 'celery'
     FROM (
       SELECT i, $2::float8 + i * 0.6 AS t,
         (hashint4(i) & 1023) % 20 AS n,
         (hashint4(i + 7) & 1023) % 16 AS w,
         CASE
           WHEN (hashint4(i + 13) & 1023) % 100 < 85 THEN 'SUCCESS'
           WHEN (hashint4(i + 13) & 1023) % 100 < 90 THEN 'FAILURE'
           WHEN (hashint4(i + 13) & 1023) % 100 < 93 THEN 'RECEIVED'
           WHEN (hashint4(i + 13) & 1023) % 100 < 95 THEN 'STARTED'
           WHEN (hashint4(i + 13) & 1023) % 100 < 97 THEN 'PENDING'
           WHEN (hashint4(i + 13) & 1023) % 100 < 99 THEN 'RETRY'
           ELSE 'REVOKED'
         END AS s
       FROM generate_series(1, $3::int) AS i
     ) AS generated`,
    [connectionId, base, count],
  );
  await pool.query('ANALYZE celeriac.tasks');
}
