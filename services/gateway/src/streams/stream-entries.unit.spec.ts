import { encodeEvent } from '@celeriac/event-log/codec';
import { describe, expect, it } from 'vitest';
import { queuesEvent, taskEvent, taskLifecycle, workerEvent } from './event-fixtures';
import { entryOf } from './stream-entries';
import { TaskTracker, WorkerTracker } from './trackers';

const trackers = () => ({ tasks: new TaskTracker(100), workers: new WorkerTracker(100) });
const data = (text: string | undefined) => JSON.parse(text ?? 'null') as Record<string, unknown>;

describe('entryOf', () => {
  it('turns a task lifecycle into job:state_change events and wscelery frames', () => {
    const state = trackers();
    const entries = taskLifecycle('c1', 't1', 1_000_000).map((event, offset) =>
      entryOf(event, 0, offset, state),
    );
    const changes = entries.map((entry) => data(entry.sse[0]?.data));
    expect(changes.map((change) => [change.previousState, change.state])).toEqual([
      [null, 'queued'],
      ['queued', 'queued'],
      ['queued', 'active'],
      ['active', 'completed'],
    ]);
    expect(changes[3]).toMatchObject({
      id: 't1',
      name: 'tasks.add',
      celeryState: 'SUCCESS',
      previousCeleryState: 'STARTED',
    });
    const sent = data(entries[0]?.wsFrame ?? undefined);
    expect(sent).toMatchObject({
      uuid: 't1',
      type: 'task-sent',
      name: 'tasks.add',
      retries: 0,
      routing_key: 'celery',
    });
    for (const key of ['hostname', 'pid', 'queue', 'exchange', 'args', 'kwargs'])
      expect(sent).not.toHaveProperty(key);
    expect(data(entries[3]?.wsFrame ?? undefined)).toMatchObject({
      type: 'task-succeeded',
      result: '4',
      runtime: 0.01,
      local_received: 1000.003,
    });
  });

  it('emits no state change for a late event that cannot change the state', () => {
    const state = trackers();
    entryOf(taskEvent('c1', 'task-succeeded', { uuid: 't2' }), 0, 0, state);
    const late = entryOf(taskEvent('c1', 'task-started', { uuid: 't2' }), 0, 1, state);
    expect(late.sse).toEqual([]);
    expect(late.wsFrame).not.toBeNull();
  });

  it('reports heartbeats, and a worker whose heartbeats stop as offline at stream time', () => {
    const state = trackers();
    const online = entryOf(workerEvent('c1', 'worker-online', 'celery@w1', { freq: 2 }, 10_000), 0, 0, state);
    expect(online.sse.map((item) => item.event)).toEqual(['worker:state_change']);
    const beat = entryOf(
      workerEvent('c1', 'worker-heartbeat', 'celery@w1', { freq: 2, active: 3 }, 12_000),
      0,
      1,
      state,
    );
    expect(beat.sse.map((item) => item.event)).toEqual(['worker:heartbeat']);
    expect(data(beat.sse[0]?.data)).toMatchObject({ hostname: 'celery@w1', activeJobs: 3, state: 'online' });
    // 2 x freq after the last heartbeat, any record of the connection reveals the silence.
    const later = entryOf(
      queuesEvent('c1', [{ name: 'celery', messages: 5, consumers: 1 }], 16_500),
      0,
      2,
      state,
    );
    expect(later.sse.map((item) => item.event)).toEqual(['worker:state_change', 'queue:snapshot']);
    expect(data(later.sse[0]?.data)).toMatchObject({
      hostname: 'celery@w1',
      state: 'offline',
      reason: 'heartbeat-expired',
    });
    expect(data(later.sse[1]?.data)).toMatchObject({ name: 'celery', depth: 5, consumers: 1 });
    const back = entryOf(
      workerEvent('c1', 'worker-heartbeat', 'celery@w1', { freq: 2 }, 17_000),
      0,
      3,
      state,
    );
    expect(back.sse.map((item) => item.event)).toEqual(['worker:state_change', 'worker:heartbeat']);
    const gone = entryOf(workerEvent('c1', 'worker-offline', 'celery@w1', {}, 18_000), 0, 4, state);
    expect(data(gone.sse[0]?.data)).toMatchObject({ state: 'offline', reason: 'worker-offline' });
  });

  it('keeps its memory bounded', () => {
    const tasks = new TaskTracker(2);
    for (const uuid of ['a', 'b', 'c']) tasks.apply('c1', uuid, 'task-sent', 1, null);
    expect(tasks.size).toBe(2);
    expect(tasks.apply('c1', 'a', 'task-started', 2, null).previous).toBeNull();
  });
});

describe('entries from hostile records', () => {
  it('turn a time outside the Date range into null instead of throwing', () => {
    const event = taskEvent('c', 'task-received', { uuid: 'u1', name: 'tasks.add' });
    const entry = entryOf({ ...event, timestamp: 1e20 }, 0, 1, trackers());
    expect(JSON.parse(entry.sse[0]?.data as string).timestamp).toBeNull();
  });

  it('count the bytes of the record they hold', () => {
    const event = taskEvent('c', 'task-succeeded', { uuid: 'u1', result: 'x'.repeat(1_000_000) });
    const raw = encodeEvent(event);
    expect(entryOf(event, 0, 1, trackers(), raw).bytes).toBeGreaterThan(2 * raw.length);
  });
});
