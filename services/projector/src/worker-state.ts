import type { WorkerEvent } from '@celeriac/proto/events';

/** One row of celeriac.workers. `*Ts` are Celery epoch seconds, `*AtMs` collector wall-clock ms. */
export interface WorkerRow {
  connectionId: string;
  hostname: string;
  pid: number | null;
  freq: number | null;
  active: number | null;
  processed: number | null;
  loadavg: number[] | null;
  swIdent: string | null;
  swVer: string | null;
  swSys: string | null;
  clock: number | null;
  online: boolean;
  firstSeenAtMs: number;
  lastHeartbeat: number | null;
  lastHeartbeatAtMs: number | null;
  offlineAtMs: number | null;
  offlineTs: number | null;
  inspect: Record<string, unknown>;
  inspectTs: Record<string, number>;
  inspectedAtMs: number | null;
}

export type WorkerInput =
  | {
      kind: 'worker';
      subject: string;
      timestamp: number;
      receivedAtMs: number;
      clock: number | null;
      pid: number | null;
      fields: WorkerEvent;
    }
  /** Any task event from a worker keeps it alive, as in Celery (docs/celery-events.md, liveness). */
  | { kind: 'task'; timestamp: number; receivedAtMs: number }
  | { kind: 'inspect'; method: string; reply: unknown; timestamp: number; receivedAtMs: number };

/** Celery's default heartbeat interval of a worker that never told us its own (Worker.freq = 60). */
export const DEFAULT_FREQ_SECONDS = 60;
/** HEARTBEAT_EXPIRE_WINDOW = 200 %: a worker is gone once its last heartbeat is older than 2 x freq. */
export const EXPIRE_FACTOR = 2;

export function emptyWorker(connectionId: string, hostname: string, firstSeenAtMs: number): WorkerRow {
  return {
    connectionId,
    hostname,
    pid: null,
    freq: null,
    active: null,
    processed: null,
    loadavg: null,
    swIdent: null,
    swVer: null,
    swSys: null,
    clock: null,
    online: false,
    firstSeenAtMs,
    lastHeartbeat: null,
    lastHeartbeatAtMs: null,
    offlineAtMs: null,
    offlineTs: null,
    inspect: {},
    inspectTs: {},
    inspectedAtMs: null,
  };
}

/**
 * Celery's alive rule on the collector's receive times (Celery uses its own local_received):
 * a heartbeat newer than the last worker-offline, received less than 2 x freq ago.
 */
export function isAlive(row: WorkerRow, nowMs: number): boolean {
  if (row.lastHeartbeat === null || row.lastHeartbeatAtMs === null) return false;
  if (row.offlineTs !== null && row.lastHeartbeat <= row.offlineTs) return false;
  const freq = row.freq ?? DEFAULT_FREQ_SECONDS;
  return nowMs < row.lastHeartbeatAtMs + freq * EXPIRE_FACTOR * 1000;
}
