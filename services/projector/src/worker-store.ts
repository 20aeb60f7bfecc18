import { workerAliveSql } from '@celeriac/celery-domain/worker-liveness';
import type { Pool, PoolClient } from 'pg';
import { rowKey } from './batch-fold';
import { byConnection } from './task-store';
import type { WorkerRow } from './worker-state';

const ms = (value: unknown): number | null => (value instanceof Date ? value.getTime() : null);
const num = (value: unknown): number | null => (value === null || value === undefined ? null : Number(value));

function fromDb(row: Record<string, unknown>): WorkerRow {
  return {
    connectionId: row.connection_id as string,
    hostname: row.hostname as string,
    pid: num(row.pid),
    freq: num(row.freq),
    active: num(row.active),
    processed: num(row.processed),
    loadavg: (row.loadavg as number[] | null) ?? null,
    swIdent: (row.sw_ident as string | null) ?? null,
    swVer: (row.sw_ver as string | null) ?? null,
    swSys: (row.sw_sys as string | null) ?? null,
    clock: num(row.clock),
    online: row.online as boolean,
    firstSeenAtMs: ms(row.first_seen_at) ?? 0,
    lastHeartbeat: num(row.last_heartbeat),
    lastHeartbeatAtMs: ms(row.last_heartbeat_at),
    offlineAtMs: ms(row.offline_at),
    offlineTs: num(row.offline_ts),
    inspect: (row.inspect as Record<string, unknown>) ?? {},
    inspectTs: (row.inspect_ts as Record<string, number>) ?? {},
    inspectedAtMs: ms(row.inspected_at),
  };
}

export async function loadWorkers(
  client: PoolClient,
  keys: { connectionId: string; hostname: string }[],
): Promise<Map<string, WorkerRow>> {
  const found = new Map<string, WorkerRow>();
  for (const [connectionId, hostnames] of byConnection(keys, (k) => k.hostname)) {
    const { rows } = await client.query(
      'SELECT * FROM celeriac.workers WHERE connection_id = $1 AND hostname = ANY($2::text[])',
      [connectionId, hostnames],
    );
    for (const row of rows) {
      const worker = fromDb(row);
      found.set(rowKey(worker.connectionId, worker.hostname), worker);
    }
  }
  return found;
}

const pgArray = (values: number[] | null) => (values === null ? null : `{${values.join(',')}}`);
const toTime = (value: number | null) => (value === null ? null : value / 1000);

export async function upsertWorkers(client: PoolClient, workers: WorkerRow[]): Promise<void> {
  if (workers.length === 0) return;
  const columns: [string, string, (w: WorkerRow) => unknown][] = [
    ['connection_id', 'uuid', (w) => w.connectionId],
    ['hostname', 'text', (w) => w.hostname],
    ['pid', 'int8', (w) => w.pid],
    ['freq', 'float8', (w) => w.freq],
    ['active', 'int4', (w) => w.active],
    ['processed', 'int8', (w) => w.processed],
    ['loadavg', 'text', (w) => pgArray(w.loadavg)],
    ['sw_ident', 'text', (w) => w.swIdent],
    ['sw_ver', 'text', (w) => w.swVer],
    ['sw_sys', 'text', (w) => w.swSys],
    ['clock', 'int8', (w) => w.clock],
    ['online', 'bool', (w) => w.online],
    ['first_seen_at', 'float8', (w) => toTime(w.firstSeenAtMs)],
    ['last_heartbeat', 'float8', (w) => w.lastHeartbeat],
    ['last_heartbeat_at', 'float8', (w) => toTime(w.lastHeartbeatAtMs)],
    ['offline_at', 'float8', (w) => toTime(w.offlineAtMs)],
    ['offline_ts', 'float8', (w) => w.offlineTs],
    ['inspect', 'jsonb', (w) => JSON.stringify(w.inspect)],
    ['inspect_ts', 'jsonb', (w) => JSON.stringify(w.inspectTs)],
    ['inspected_at', 'float8', (w) => toTime(w.inspectedAtMs)],
  ];
  const times = new Set(['first_seen_at', 'last_heartbeat_at', 'offline_at', 'inspected_at']);
  const select = columns.map(([c]) =>
    times.has(c) ? `to_timestamp(u.${c})` : c === 'loadavg' ? 'u.loadavg::float8[]' : `u.${c}`,
  );
  await client.query(
    `INSERT INTO celeriac.workers (${columns.map(([c]) => c).join(', ')})
     SELECT ${select.join(', ')} FROM unnest(${columns.map(([, t], i) => `$${i + 1}::${t}[]`).join(', ')}) AS u(${columns.map(([c]) => c).join(', ')})
     ON CONFLICT (connection_id, hostname) DO UPDATE SET ${columns
       .slice(2)
       .map(([c]) => `${c} = EXCLUDED.${c}`)
       .join(', ')}`,
    columns.map(([, , read]) => workers.map(read)),
  );
}

/**
 * The liveness rule (@celeriac/celery-domain/worker-liveness) applied to stored rows by the
 * projector's clock: a worker whose last heartbeat is older than 2 x freq is offline even though it never said so (kill -9, network loss). Returns how many it turned off.
 */
export async function expireWorkers(pool: Pool, nowMs: number): Promise<number> {
  const result = await pool.query(
    `UPDATE celeriac.workers SET online = false
     WHERE online AND NOT ${workerAliveSql('to_timestamp($1 / 1000.0)')}`,
    [nowMs],
  );
  return result.rowCount ?? 0;
}

/**
 * Flower's purge_offline_workers on stored rows: removes workers that are offline (said goodbye or
 * expired, so run after expireWorkers) and have shown no sign of life (heartbeat, worker-offline,
 * first sighting) for `afterMs`. Rows a projector batch holds are skipped, not waited for (no
 * deadlock with a batch); the lock re-checks the condition on a row a heartbeat just updated, so a
 * worker that came back is never removed.
 */
export async function purgeOfflineWorkers(pool: Pool, nowMs: number, afterMs: number): Promise<number> {
  const result = await pool.query(
    `WITH doomed AS (
       SELECT connection_id, hostname FROM celeriac.workers
       WHERE NOT online AND greatest(first_seen_at, last_heartbeat_at, offline_at) < to_timestamp(($1::float8 - $2::float8) / 1000.0)
       FOR UPDATE SKIP LOCKED)
     DELETE FROM celeriac.workers w USING doomed
     WHERE w.connection_id = doomed.connection_id AND w.hostname = doomed.hostname`,
    [nowMs, afterMs],
  );
  return result.rowCount ?? 0;
}
