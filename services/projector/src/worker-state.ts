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
