import type { Pool } from 'pg';
import { createLabelBudget, type Labels } from './label-budget';
import { forgetWorker, type ProjectorMetrics } from './metrics';
import { DEFAULT_FREQ_SECONDS, EXPIRE_FACTOR } from './worker-state';

/** Rows the worker gauges are computed from; more workers x task names than this are cut off. */
const MAX_GAUGE_ROWS = 10_000;

type Gauge = { set(labels: Labels, value: number): void; reset(): void };

/** Sets a gauge from rows, capped like the event metrics: folded rows are summed into `other`. */
function setFolded(
  metrics: ProjectorMetrics,
  gauge: Gauge,
  metric: string,
  rows: { connection: string; data: Labels; value: number }[],
): void {
  // A fresh budget per refresh: rows come sorted, so every replica keeps the same label sets.
  const budget = createLabelBudget(metrics.caps);
  const sums = new Map<string, { labels: Labels; value: number }>();
  for (const row of rows) {
    const { labels } = budget.labels(metric, row.connection, row.data);
    const key = Object.values(labels).join('\u0000');
    const sum = sums.get(key);
    if (sum) sum.value += row.value;
    else sums.set(key, { labels, value: row.value });
  }
  gauge.reset();
  for (const { labels, value } of sums.values()) gauge.set(labels, value);
}

/**
 * Recomputes the worker gauges from PostgreSQL (alive by Celery's rule, executing, prefetched) and
 * drops the event-labelled series of workers that left the read model since the previous refresh
 * (purged or past retention), on every replica. Returns the workers now present, per connection.
 */
export async function refreshWorkerGauges(
  pool: Pool,
  metrics: ProjectorMetrics,
  nowMs: number,
  previous: Map<string, Set<string>>,
): Promise<Map<string, Set<string>>> {
  const workers = await pool.query<{
    connection_id: string;
    hostname: string;
    alive: boolean;
    active: number | null;
  }>(
    `SELECT connection_id, hostname, bool_or(alive) AS alive, sum(CASE WHEN alive THEN active ELSE 0 END)::int AS active FROM (
       SELECT connection_id, hostname, active,
         online AND last_heartbeat_at + make_interval(secs => coalesce(freq, $2) * $3) > to_timestamp($1 / 1000.0) AS alive
       FROM celeriac.workers) w GROUP BY connection_id, hostname ORDER BY connection_id, hostname LIMIT ${MAX_GAUGE_ROWS}`,
    [nowMs, DEFAULT_FREQ_SECONDS, EXPIRE_FACTOR],
  );
  const prefetched = await pool.query<{ connection_id: string; worker: string; name: string; n: number }>(
    `SELECT connection_id, coalesce(worker, '') AS worker, coalesce(name, '') AS name, count(*)::int AS n FROM celeriac.tasks
     WHERE state = 'RECEIVED' AND eta IS NULL GROUP BY 1, 2, 3 ORDER BY 1, 2, 3 LIMIT ${MAX_GAUGE_ROWS}`,
  );
  const rows = workers.rows.map((r) => ({
    connection: r.connection_id,
    data: { worker: r.hostname },
    row: r,
  }));
  setFolded(
    metrics,
    metrics.online,
    'flower_worker_online',
    rows.map((r) => ({ ...r, value: r.row.alive ? 1 : 0 })),
  );
  setFolded(
    metrics,
    metrics.executing,
    'flower_worker_number_of_currently_executing_tasks',
    rows.map((r) => ({ ...r, value: r.row.active ?? 0 })),
  );
  setFolded(
    metrics,
    metrics.prefetched,
    'flower_worker_prefetched_tasks',
    prefetched.rows.map((r) => ({
      connection: r.connection_id,
      data: { worker: r.worker, task: r.name },
      value: r.n,
    })),
  );

  const present = new Map<string, Set<string>>();
  for (const r of workers.rows) {
    const hostnames = present.get(r.connection_id) ?? new Set<string>();
    hostnames.add(r.hostname);
    present.set(r.connection_id, hostnames);
  }
  for (const [connection, hostnames] of previous)
    for (const hostname of hostnames)
      if (!present.get(connection)?.has(hostname)) forgetWorker(metrics, connection, hostname);
  return present;
}
