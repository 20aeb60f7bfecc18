import { encodeEvent } from '@celeriac/event-log/codec';
import type { CeleryEvent } from '@celeriac/proto/events';
import { describe, expect, it } from 'vitest';
import { rowKey } from './batch-fold';
import {
  eventIdKeys,
  freshEvents,
  planWrites,
  type RawMessage,
  readMessages,
  rowsToLoad,
  withoutDuplicates,
} from './batch-plan';
import { emptyTask } from './task-state';

const CONNECTION = '00000000-0000-4000-8000-000000000001';
const T0 = 1_700_000_000;
const DAY_MS = 86_400_000;

function task(type: string, uuid: string, at: number, fields: Record<string, unknown> = {}): CeleryEvent {
  return {
    eventId: `${type}-${uuid}-${at}`,
    connectionId: CONNECTION,
    type,
    hostname: type === 'task-sent' ? 'client@app' : 'celery@w1',
    timestamp: at,
    receivedAtMs: at * 1000 + 5,
    body: { $case: 'task', value: { uuid, ...fields } },
    extraJson: '{}',
  };
}

const messages = (events: CeleryEvent[], from = 100): RawMessage[] =>
  events.map((event, i) => ({ offset: from + i, value: encodeEvent(event) }));

/** The planner end to end, as apply-batch.ts runs it, with the database's answers given. */
function plan(
  records: RawMessage[],
  db: {
    position: number;
    known?: string[];
    rows?: ReturnType<typeof emptyTask>[];
    retentionStartMs?: number;
  },
) {
  const retentionStartMs = db.retentionStartMs ?? 0;
  const { candidates, historyDays } = readMessages(records, 3, undefined, retentionStartMs);
  const fresh = freshEvents(candidates, db.position);
  const known = new Set((db.known ?? []).map((id) => rowKey(CONNECTION, id)));
  const { events, duplicates } = withoutDuplicates(fresh.usable, known);
  const tasks = new Map((db.rows ?? []).map((row) => [rowKey(row.connectionId, row.uuid), row]));
  const planned = planWrites({
    events,
    tasks,
    workers: new Map(),
    nowMs: T0 * 1000 + 60_000,
    retentionStartMs,
    nextOffset: fresh.nextOffset,
  });
  return { ...planned, fresh, duplicates, historyDays };
}

describe('the batch planner (no database)', () => {
  it('given a stored RECEIVED row, when started and succeeded arrive, then it writes one SUCCESS row, its history and the next position', () => {
    const stored = {
      ...emptyTask(CONNECTION, 'u1'),
      state: 'RECEIVED',
      received: T0,
      timestamp: T0,
      lastTs: T0,
    };
    const { writes } = plan(
      messages([
        task('task-started', 'u1', T0 + 1),
        task('task-succeeded', 'u1', T0 + 2, { result: '42', runtime: 1 }),
      ]),
      { position: 100, rows: [stored] },
    );
    expect(writes.tasks).toHaveLength(1);
    expect(writes.tasks[0]).toMatchObject({
      uuid: 'u1',
      state: 'SUCCESS',
      result: '42',
      runtime: 1,
      received: T0,
    });
    expect(writes.history.map((h) => [h.type, h.partition, h.offset])).toEqual([
      ['task-started', 3, 100],
      ['task-succeeded', 3, 101],
    ]);
    expect(writes.workers.map((w) => w.hostname)).toEqual(['celery@w1']);
    expect(writes.nextOffset).toBe(102);
  });

  it('given a batch seen again after a crash, then only records at or above the stored position are applied', () => {
    const { writes, fresh } = plan(
      messages([
        task('task-received', 'u1', T0),
        task('task-started', 'u1', T0 + 1),
        task('task-received', 'u2', T0),
      ]),
      { position: 102 },
    );
    expect(fresh.applied).toBe(1);
    expect(writes.tasks.map((t) => t.uuid)).toEqual(['u2']);
    expect(writes.nextOffset).toBe(103);
    const replayed = plan(messages([task('task-received', 'u1', T0)]), { position: 500 });
    expect(replayed.writes).toMatchObject({ tasks: [], history: [], nextOffset: 500 });
  });

  it('given an event the history holds and one sent twice in the batch, then both copies are dropped', () => {
    const received = task('task-received', 'u1', T0);
    const started = task('task-started', 'u1', T0 + 1);
    const { writes, duplicates } = plan(messages([received, started, started]), {
      position: 0,
      known: [received.eventId],
    });
    expect(duplicates).toBe(2);
    expect(writes.history.map((h) => h.eventId)).toEqual([started.eventId]);
  });

  it('given bytes that do not decode, refused offsets and gossip, then each is counted, not written', () => {
    const records: RawMessage[] = [
      { offset: 0, value: Buffer.from('not protobuf at all') },
      { offset: 1, value: encodeEvent(task('task-received', 'u1', T0)) },
      {
        offset: 2,
        value: encodeEvent({
          ...task('worker-elect', 'x', T0),
          body: { $case: 'worker', value: { loadavg: [] } },
        }),
      },
    ];
    const refused = readMessages(records, 0, new Set([1]), 0);
    const fresh = freshEvents(refused.candidates, 0);
    expect(Object.fromEntries(fresh.skipped)).toEqual({ undecodable: 1, rejected_by_database: 1 });
    expect(fresh.ignored).toBe(1);
    expect(fresh.usable).toEqual([]);
    expect(fresh.nextOffset).toBe(3);
  });

  it('given history older than retention, then the task row is written but not that history, nor its day partition', () => {
    const old = task('task-received', 'u1', T0);
    const { writes, historyDays } = plan(messages([old]), {
      position: 0,
      retentionStartMs: T0 * 1000 + DAY_MS,
    });
    expect(writes.tasks.map((t) => t.uuid)).toEqual(['u1']);
    expect(writes.history).toEqual([]);
    expect(historyDays.size).toBe(0);
  });

  it('asks the database for the rows the fold needs: the task, its worker, not the client that sent it', () => {
    const { candidates } = readMessages(
      messages([task('task-sent', 'u1', T0), task('task-received', 'u1', T0 + 1)]),
      0,
      undefined,
      0,
    );
    const { usable } = freshEvents(candidates, 0);
    expect(rowsToLoad(usable)).toEqual({
      tasks: [{ connectionId: CONNECTION, uuid: 'u1' }],
      workers: [{ connectionId: CONNECTION, hostname: 'celery@w1' }],
    });
    expect(eventIdKeys(usable).map((k) => k.eventId)).toEqual([
      `task-sent-u1-${T0}`,
      `task-received-u1-${T0 + 1}`,
    ]);
  });
});
