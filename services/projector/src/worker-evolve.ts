import { isWorkerAlive } from '@celeriac/celery-domain/worker-liveness';
import type { WorkerInput, WorkerRow } from './worker-state';

/** A value the event did not carry never erases a stored one (the wake-up heartbeat has no load). */
const keep = <T>(current: T | null, incoming: T | undefined | null): T | null => incoming ?? current;

function heartbeat(row: WorkerRow, timestamp: number, receivedAtMs: number): WorkerRow {
  if (row.lastHeartbeat !== null && timestamp < row.lastHeartbeat) return row;
  return { ...row, lastHeartbeat: timestamp, lastHeartbeatAtMs: receivedAtMs };
}

/**
 * Folds one worker-related input into a worker row; pure, with the clock passed in. Fields follow
 * the newest event by Celery timestamp, so redelivered or reordered heartbeats change nothing.
 */
export function evolveWorker(row: WorkerRow, input: WorkerInput, nowMs: number): WorkerRow {
  let next: WorkerRow = { ...row, firstSeenAtMs: Math.min(row.firstSeenAtMs, input.receivedAtMs) };
  if (input.kind === 'task') {
    next = heartbeat(next, input.timestamp, input.receivedAtMs);
  } else if (input.kind === 'inspect') {
    const previous = row.inspectTs[input.method];
    if (previous === undefined || input.timestamp >= previous) {
      next.inspect = { ...row.inspect, [input.method]: input.reply };
      next.inspectTs = { ...row.inspectTs, [input.method]: input.timestamp };
      next.inspectedAtMs = Math.max(row.inspectedAtMs ?? 0, input.receivedAtMs);
    }
  } else {
    const newest = Math.max(
      row.lastHeartbeat ?? Number.NEGATIVE_INFINITY,
      row.offlineTs ?? Number.NEGATIVE_INFINITY,
    );
    if (input.timestamp >= newest) {
      const f = input.fields;
      next.pid = keep(row.pid, input.pid);
      next.clock = keep(row.clock, input.clock);
      next.freq = keep(row.freq, f.freq);
      next.active = keep(row.active, f.active);
      next.processed = keep(row.processed, f.processed);
      next.loadavg = f.loadavg.length > 0 ? f.loadavg : row.loadavg;
      next.swIdent = keep(row.swIdent, f.swIdent);
      next.swVer = keep(row.swVer, f.swVer);
      next.swSys = keep(row.swSys, f.swSys);
    }
    if (input.subject === 'offline') {
      if (row.offlineTs === null || input.timestamp > row.offlineTs) {
        next.offlineTs = input.timestamp;
        next.offlineAtMs = input.receivedAtMs;
      }
    } else if (input.subject === 'online' || input.subject === 'heartbeat') {
      next = heartbeat(next, input.timestamp, input.receivedAtMs);
    }
  }
  next.online = isWorkerAlive(next, nowMs);
  return next;
}
