import { workerAliveSql } from '@celeriac/celery-domain/worker-liveness';
import type pg from 'pg';
import { safeInspectSnapshot } from '../control/worker-inspect';

export interface WorkerRow {
  hostname: string;
  pid: string | null;
  freq: number | null;
  active: number | null;
  processed: string | null;
  loadavg: number[] | null;
  sw_ident: string | null;
  sw_ver: string | null;
  sw_sys: string | null;
  online: boolean;
  /** The liveness rule of @celeriac/celery-domain/worker-liveness, judged by PostgreSQL's clock. */
  alive: boolean;
  last_heartbeat: number | null;
  /** The stored inspect snapshot, `{method: reply}`, with credentials already masked. */
  inspect: Record<string, unknown>;
  inspected_epoch: number | null;
}

/** Every reader of worker rows gets the snapshot scrubbed, including rows stored before scrubbing. */
const safeRow = (row: WorkerRow): WorkerRow => ({ ...row, inspect: safeInspectSnapshot(row.inspect) });

export interface QueueRow {
  name: string;
  messages: string;
  consumers: string;
  sampled_at: Date;
}

const WORKER_COLUMNS = `hostname, pid, freq, active, processed, loadavg, sw_ident, sw_ver, sw_sys, online,
  ${workerAliveSql('now()')} AS alive,
  last_heartbeat, inspect, extract(epoch FROM inspected_at)::float8 AS inspected_epoch`;

/** Worker and queue read models (celeriac.workers, celeriac.queues). */
export function createWorkersStore(pool: pg.Pool) {
  return {
    async list(connectionId: string): Promise<WorkerRow[]> {
      const { rows } = await pool.query<WorkerRow>(
        `SELECT ${WORKER_COLUMNS} FROM celeriac.workers WHERE connection_id = $1 ORDER BY hostname LIMIT 10000`,
        [connectionId],
      );
      return rows.map(safeRow);
    },
    async get(connectionId: string, hostname: string): Promise<WorkerRow | undefined> {
      const { rows } = await pool.query<WorkerRow>(
        `SELECT ${WORKER_COLUMNS} FROM celeriac.workers WHERE connection_id = $1 AND hostname = $2`,
        [connectionId, hostname],
      );
      return rows[0] && safeRow(rows[0]);
    },
    async queues(connectionId: string): Promise<QueueRow[]> {
      const { rows } = await pool.query<QueueRow>(
        'SELECT name, messages, consumers, sampled_at FROM celeriac.queues WHERE connection_id = $1 ORDER BY name LIMIT 10000',
        [connectionId],
      );
      return rows;
    },
  };
}

export type WorkersStore = ReturnType<typeof createWorkersStore>;
