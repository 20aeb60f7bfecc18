import { isWorkerAlive } from '@celeriac/celery-domain/worker-liveness';
import { describe, expect, it } from 'vitest';
import { evolveWorker } from './worker-evolve';
import { emptyWorker, type WorkerInput } from './worker-state';

const CONNECTION = '00000000-0000-4000-8000-000000000001';
const beat = (
  subject: string,
  ts: number,
  fields: Partial<Extract<WorkerInput, { kind: 'worker' }>['fields']> = {},
): WorkerInput => ({
  kind: 'worker',
  subject,
  timestamp: ts,
  receivedAtMs: ts * 1000,
  clock: null,
  pid: 7,
  fields: { loadavg: [], ...fields },
});

describe('evolveWorker', () => {
  const start = emptyWorker(CONNECTION, 'celery@w1', 1_000_000);

  it('given a heartbeat every 2 s, then the worker is online until 2 x freq has passed', () => {
    const row = evolveWorker(
      start,
      beat('heartbeat', 1000, { freq: 2, active: 1, processed: 5, loadavg: [0.1, 0.2, 0.3] }),
      1_001_000,
    );
    expect(row.online).toBe(true);
    expect(isWorkerAlive(row, 1_003_999)).toBe(true);
    expect(isWorkerAlive(row, 1_004_000)).toBe(false);
  });

  it('given worker-offline newer than the last heartbeat, then it is offline; a later heartbeat brings it back', () => {
    const online = evolveWorker(start, beat('online', 1000, { freq: 2 }), 1_000_000);
    const offline = evolveWorker(online, beat('offline', 1001, { freq: 2 }), 1_001_000);
    expect(offline.online).toBe(false);
    expect(evolveWorker(offline, beat('heartbeat', 1002, { freq: 2 }), 1_002_000).online).toBe(true);
  });

  it('given the wake-up heartbeat (freq 5, no load), then stored active/processed/loadavg are kept', () => {
    const row = evolveWorker(
      start,
      beat('heartbeat', 1000, { freq: 2, active: 3, processed: 9, loadavg: [1, 1, 1] }),
      1_000_000,
    );
    const woken = evolveWorker(row, beat('heartbeat', 1001, { freq: 5, swIdent: 'py-celery' }), 1_001_000);
    expect(woken).toMatchObject({
      freq: 5,
      active: 3,
      processed: 9,
      loadavg: [1, 1, 1],
      swIdent: 'py-celery',
    });
  });

  it('given an old heartbeat delivered late, then the newer values stay', () => {
    const row = evolveWorker(start, beat('heartbeat', 1002, { freq: 2, active: 2 }), 1_002_000);
    const late = evolveWorker(row, beat('heartbeat', 1000, { freq: 2, active: 9 }), 1_002_000);
    expect(late).toMatchObject({ active: 2, lastHeartbeat: 1002 });
  });

  it('given a task event from the worker, then it counts as a heartbeat (as in Celery)', () => {
    const row = evolveWorker(start, { kind: 'task', timestamp: 1000, receivedAtMs: 1_000_000 }, 1_000_500);
    expect(row.online).toBe(true);
    expect(isWorkerAlive(row, 1_000_000 + 119_999)).toBe(true); // freq unknown: Celery's 60 s default
  });

  it('given inspect snapshots, then each method keeps its newest reply', () => {
    const a = evolveWorker(
      start,
      { kind: 'inspect', method: 'stats', reply: { pid: 1 }, timestamp: 1001, receivedAtMs: 1_001_000 },
      0,
    );
    const b = evolveWorker(
      a,
      { kind: 'inspect', method: 'stats', reply: { pid: 0 }, timestamp: 1000, receivedAtMs: 1_002_000 },
      0,
    );
    const c = evolveWorker(
      b,
      {
        kind: 'inspect',
        method: 'registered',
        reply: ['tasks.add'],
        timestamp: 1000,
        receivedAtMs: 1_002_000,
      },
      0,
    );
    expect(c.inspect).toEqual({ stats: { pid: 1 }, registered: ['tasks.add'] });
  });
});
