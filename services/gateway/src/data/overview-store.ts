import type pg from 'pg';

/**
 * The overview page's aggregates over celeriac.tasks for one connection and time window (epoch
 * seconds, the workers' event clock). Counts walk tasks_by_state_timestamp / tasks_by_retried; the
 * per-name and per-exception tables read at most the newest SAMPLE tasks of each final state, so
 * a 30-day range over millions of tasks costs a bounded read.
 */
const SAMPLE = 20_000;
const TOP = 10;

interface Window {
  from: number;
  to: number;
  bucketSeconds: number;
}

export interface ThroughputRow {
  bucket: number;
  succeeded: number;
  failed: number;
  retried: number;
}

export function createOverviewStore(pool: pg.Pool) {
  // One index range per state, newest first: never a sort of the whole window.
  const newest = (state: string) => `(SELECT name, state, runtime, exception, "timestamp" FROM celeriac.tasks
    WHERE connection_id = $1 AND state = '${state}' AND "timestamp" >= $2 AND "timestamp" < $3
    ORDER BY "timestamp" DESC NULLS LAST LIMIT ${SAMPLE})`;
  const finished = (...states: Array<'SUCCESS' | 'FAILURE'>) => states.map(newest).join(' UNION ALL ');
  return {
    async throughput(connectionId: string, w: Window): Promise<ThroughputRow[]> {
      const { rows } = await pool.query<ThroughputRow>(
        `SELECT bucket, sum(s)::int AS succeeded, sum(f)::int AS failed, sum(r)::int AS retried FROM (
           SELECT floor(("timestamp" - $2) / $4)::int AS bucket,
                  (state = 'SUCCESS')::int AS s, (state = 'FAILURE')::int AS f, 0 AS r
           FROM celeriac.tasks WHERE connection_id = $1 AND state IN ('SUCCESS', 'FAILURE')
             AND "timestamp" >= $2 AND "timestamp" < $3
           UNION ALL
           SELECT floor((retried - $2) / $4)::int, 0, 0, 1
           FROM celeriac.tasks WHERE connection_id = $1 AND retried >= $2 AND retried < $3
         ) counted GROUP BY bucket ORDER BY bucket`,
        [connectionId, w.from, w.to, w.bucketSeconds],
      );
      return rows;
    },

    async slowest(connectionId: string, w: Window) {
      const { rows } = await pool.query<{ name: string; count: number; p50: number; p95: number }>(
        `SELECT name, count(*)::int AS count,
                percentile_cont(0.5) WITHIN GROUP (ORDER BY runtime) AS p50,
                percentile_cont(0.95) WITHIN GROUP (ORDER BY runtime) AS p95
         FROM (${finished('SUCCESS')}) sample WHERE name IS NOT NULL AND runtime IS NOT NULL
         GROUP BY name ORDER BY p95 DESC, name LIMIT ${TOP}`,
        [connectionId, w.from, w.to],
      );
      return rows;
    },

    async mostFailing(connectionId: string, w: Window) {
      const { rows } = await pool.query<{ name: string; failed: number; total: number }>(
        `SELECT name, count(*) FILTER (WHERE state = 'FAILURE')::int AS failed, count(*)::int AS total
         FROM (${finished('SUCCESS', 'FAILURE')}) sample WHERE name IS NOT NULL
         GROUP BY name HAVING count(*) FILTER (WHERE state = 'FAILURE') > 0
         ORDER BY failed DESC, name LIMIT ${TOP}`,
        [connectionId, w.from, w.to],
      );
      return rows;
    },

    async topExceptions(connectionId: string, w: Window) {
      const { rows } = await pool.query<{ exception: string; count: number; last_seen: number }>(
        `SELECT left(exception, 500) AS exception, count(*)::int AS count, max("timestamp") AS last_seen
         FROM (${finished('FAILURE')}) sample WHERE exception IS NOT NULL
         GROUP BY left(exception, 500) ORDER BY count DESC, last_seen DESC LIMIT ${TOP}`,
        [connectionId, w.from, w.to],
      );
      return rows;
    },

    /**
     * Depth and consumers of each current queue (at most 50) at the end of each bucket: one primary-key
     * probe per queue and bucket, whatever the number of samples stored.
     */
    async queueHistory(connectionId: string, w: Window) {
      const { rows } = await pool.query<{
        queue: string;
        bucket: number;
        messages: string;
        consumers: string;
      }>(
        `SELECT q.name AS queue, b.bucket, s.messages, s.consumers
         FROM (SELECT name FROM celeriac.queues WHERE connection_id = $1 ORDER BY name LIMIT 50) q
         CROSS JOIN generate_series(0, $3::int - 1) AS b(bucket)
         CROSS JOIN LATERAL (
           SELECT messages, consumers FROM celeriac.queue_samples
           WHERE connection_id = $1 AND name = q.name
             AND sampled_at >= to_timestamp($2::float8 + b.bucket * $4::int)
             AND sampled_at < to_timestamp($2::float8 + (b.bucket + 1) * $4::int)
           ORDER BY sampled_at DESC LIMIT 1) s
         ORDER BY q.name, b.bucket`,
        [connectionId, w.from, Math.round((w.to - w.from) / w.bucketSeconds), w.bucketSeconds],
      );
      return rows;
    },
  };
}

export type OverviewStore = ReturnType<typeof createOverviewStore>;
