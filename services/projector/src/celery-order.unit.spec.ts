import { describe, expect, it } from 'vitest';
import { type RawRecord, retriesBeforeFinish } from '../test-support/captured-events';

const at = (type: string, uuid: string, receivedAtMs: number): RawRecord => ({
  receivedAtMs,
  event: { type, uuid },
});
const order = (records: RawRecord[]) => records.map((r) => `${r.event.uuid}:${r.event.type}`);

// The order the projector test feeds Celery's State: a retry that lost the race with its task's
// finish goes back before the finish; everything else keeps its arrival order.
describe('retriesBeforeFinish', () => {
  it("moves a task's late task-retried just before its finish, and leaves other tasks alone", () => {
    const records = [
      at('task-received', 'a', 1),
      at('task-started', 'a', 2),
      at('task-received', 'b', 3),
      at('task-failed', 'a', 4),
      at('task-succeeded', 'b', 5),
      at('task-retried', 'a', 6),
    ];
    expect(order(retriesBeforeFinish(records))).toEqual([
      'a:task-received',
      'a:task-started',
      'b:task-received',
      'a:task-retried',
      'a:task-failed',
      'b:task-succeeded',
    ]);
  });

  it('keeps a retry that came before the finish where it was', () => {
    const records = [at('task-retried', 'a', 1), at('task-received', 'a', 2), at('task-failed', 'a', 3)];
    expect(retriesBeforeFinish(records)).toEqual(records);
  });
});
