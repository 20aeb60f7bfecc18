import { workerAliveSql } from '@celeriac/celery-domain/worker-liveness';
import type { Pool } from 'pg';
import { createLabelBudget, type Labels, OTHER } from './label-budget';
import { forgetWorker, type ProjectorMetrics } from './metrics';

/** Safety net on rows read per refresh; the per-connection folding keeps far below it. */
const MAX_GAUGE_ROWS = 100_000;

type Gauge = { set(labels: Labels, value: number): void; reset(): void };

/** Sets a gauge from rows, with the series cap of the event metrics: extra rows are summed into `other`. */
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
 * Recomputes the worker gauges from PostgreSQL (alive by Celery's rule, executing, prefetched).
 * Each connection's first `valuesPerLabel` hostnames and task names (sorted) keep their own series,
 * the rest are summed in SQL under `other`: one tenant with many workers cannot crowd out another.
 */
export async function refreshWorkerGauges(
  pool: Pool,
  metrics: ProjectorMetrics,
  nowMs: number,
): Promise<void> {
  const cap = metrics.caps.valuesPerLabel;
  const workers = await pool.query<{
    connection_id: string;
    hostname: string;
    alive: number;
    active: number;
  }>(
    `SELECT connection_id, CASE WHEN rank <= $2 THEN hostname ELSE $3 END AS hostname,
       sum(alive::int)::int AS alive, sum(CASE WHEN alive THEN coalesce(active, 0) ELSE 0 END)::int AS active
     FROM (SELECT connection_id, hostname, active,
             ${workerAliveSql('to_timestamp($1 / 1000.0)')} AS alive,
             row_number() OVER (PARTITION BY connection_id ORDER BY hostname) AS rank
           FROM celeriac.workers) w
     GROUP BY 1, 2 ORDER BY 1, 2 LIMIT ${MAX_GAUGE_ROWS}`,
    [nowMs, cap, OTHER],
  );
  const prefetched = await pool.query<{ connection_id: string; worker: string; name: string; n: number }>(
    `SELECT connection_id, CASE WHEN worker_rank <= $1 THEN worker ELSE $2 END AS worker,
       CASE WHEN name_rank <= $1 THEN name ELSE $2 END AS name, sum(n)::int AS n
     FROM (SELECT connection_id, worker, name, n,
             dense_rank() OVER (PARTITION BY connection_id ORDER BY worker) AS worker_rank,
             dense_rank() OVER (PARTITION BY connection_id ORDER BY name) AS name_rank
           FROM (SELECT connection_id, coalesce(worker, '') AS worker, coalesce(name, '') AS name, count(*) AS n
                 FROM celeriac.tasks WHERE state = 'RECEIVED' AND eta IS NULL GROUP BY 1, 2, 3) p) r
     GROUP BY 1, 2, 3 ORDER BY 1, 2, 3 LIMIT ${MAX_GAUGE_ROWS}`,
    [cap, OTHER],
  );
  const byWorker = workers.rows.map((r) => ({
    connection: r.connection_id,
    data: { worker: r.hostname },
    r,
  }));
  setFolded(
    metrics,
    metrics.online,
    'flower_worker_online',
    byWorker.map((w) => ({ ...w, value: w.r.alive })),
  );
  setFolded(
    metrics,
    metrics.executing,
    'flower_worker_number_of_currently_executing_tasks',
    byWorker.map((w) => ({ ...w, value: w.r.active })),
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
}

/**
 * Drops the event-labelled series of workers that left the read model (purged or past retention)
 * since the previous call, on every replica. Only hostnames holding series are looked up, so the
 * work is bounded by the label caps; a producer's hostname (task-sent) never was a worker row and
 * keeps its series. Returns the workers with series that exist now, for the next call.
 */
export async function dropSeriesOfGoneWorkers(
  pool: Pool,
  metrics: ProjectorMetrics,
  previous: Map<string, Set<string>>,
): Promise<Map<string, Set<string>>> {
  const keys = metrics.budget.admitted('worker');
  const { rows } = await pool.query<{ connection_id: string; hostname: string }>(
    `SELECT w.connection_id, w.hostname FROM unnest($1::uuid[], $2::text[]) AS k(connection_id, hostname)
     JOIN celeriac.workers w ON w.connection_id = k.connection_id AND w.hostname = k.hostname`,
    [keys.map((k) => k.connection), keys.map((k) => k.value)],
  );
  const present = new Map<string, Set<string>>();
  for (const row of rows) {
    const hostnames = present.get(row.connection_id) ?? new Set<string>();
    hostnames.add(row.hostname);
    present.set(row.connection_id, hostnames);
  }
  for (const [connection, hostnames] of previous)
    for (const hostname of hostnames)
      if (!present.get(connection)?.has(hostname)) forgetWorker(metrics, connection, hostname);
  return present;
}
