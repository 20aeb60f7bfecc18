/**
 * The one worker-liveness rule (docs/celery-events.md, "Worker liveness"). Celery's: a worker is
 * alive while its newest heartbeat is younger than 2 x its heartbeat interval `freq`, 60 s when its
 * events never carried one, and a worker-offline ends it until a newer heartbeat. Celeriac measures
 * the age on the collector's receive time, so clock skew between workers and Celeriac does not
 * matter. Every reader uses this module: the TypeScript function, or the SQL expression built here
 * from the same constants; the view celeriac.worker_status states it in SQL and is tested against
 * `isWorkerAlive` on the same rows.
 */

/** Celery's heartbeat interval of a worker that never reported its own (Worker.freq = 60). */
export const DEFAULT_HEARTBEAT_SECONDS = 60;
/** Celery's HEARTBEAT_EXPIRE_WINDOW of 200 %: gone once the last heartbeat is older than 2 x freq. */
export const EXPIRE_FACTOR = 2;

/** What the rule reads of a worker. */
export interface WorkerLiveness {
  /** Celery timestamp (worker clock, epoch s) of the newest heartbeat or task event. */
  lastHeartbeat: number | null;
  /** Collector receive time of that heartbeat, epoch ms. */
  lastHeartbeatAtMs: number | null;
  /** Celery timestamp of the newest worker-offline. */
  offlineTs: number | null;
  /** Heartbeat interval the worker reported, seconds. */
  freq: number | null;
}

/** The receive time (epoch ms) from which a worker last heard of at `heardAtMs` counts as gone. */
export function livenessDeadlineMs(heardAtMs: number, freq: number | null | undefined): number {
  const interval = freq !== null && freq !== undefined && freq > 0 ? freq : DEFAULT_HEARTBEAT_SECONDS;
  return heardAtMs + EXPIRE_FACTOR * interval * 1000;
}

export function isWorkerAlive(worker: WorkerLiveness, nowMs: number): boolean {
  if (worker.lastHeartbeat === null || worker.lastHeartbeatAtMs === null) return false;
  if (worker.offlineTs !== null && worker.lastHeartbeat <= worker.offlineTs) return false;
  return nowMs < livenessDeadlineMs(worker.lastHeartbeatAtMs, worker.freq);
}

/**
 * The same rule as a SQL boolean over the columns of celeriac.workers (optionally qualified by
 * `table`), judged at the timestamptz expression `now` (e.g. `now()`, `to_timestamp($1 / 1000.0)`).
 * It also requires `online`, the projector's own verdict by this rule when it last wrote or swept
 * the row, so a reader whose clock lags the projector's never revives a worker the projector expired.
 */
export function workerAliveSql(now: string, table?: string): string {
  const c = (column: string) => (table ? `${table}.${column}` : column);
  return `(${c('online')} AND ${c('last_heartbeat')} IS NOT NULL AND ${c('last_heartbeat_at')} IS NOT NULL
    AND (${c('offline_ts')} IS NULL OR ${c('last_heartbeat')} > ${c('offline_ts')})
    AND ${c('last_heartbeat_at')} + make_interval(secs => ${EXPIRE_FACTOR} * CASE WHEN ${c('freq')} > 0 THEN ${c('freq')} ELSE ${DEFAULT_HEARTBEAT_SECONDS} END) > ${now})`;
}
