import { describe, expect, it } from 'vitest';
import { taskMapFromJsonRows } from './task-json-sql';
import { flowerTask, type TaskRow } from './task-object';

const row = (uuid: string, worker: string | null): TaskRow => ({
  uuid,
  name: 'tasks.add',
  state: 'SUCCESS',
  received: 1,
  sent: null,
  started: 2,
  rejected: null,
  succeeded: 3,
  failed: null,
  retried: null,
  revoked: null,
  args: '(1, 2)',
  kwargs: '{}',
  eta: null,
  expires: null,
  retries: 0,
  worker,
  result: '3',
  exception: null,
  timestamp: 3,
  runtime: 1,
  traceback: null,
  exchange: null,
  routing_key: null,
  clock: '42',
  client: null,
  root_id: 'r',
  parent_id: null,
  children: [],
});

describe('Flower task object', () => {
  it("has Celery's 31 keys in as_dict order, root/parent mirroring their ids", () => {
    const task = flowerTask(row('a', 'celery@w1'), true);
    expect(Object.keys(task)).toEqual([
      'uuid',
      'name',
      'state',
      'received',
      'sent',
      'started',
      'rejected',
      'succeeded',
      'failed',
      'retried',
      'revoked',
      'args',
      'kwargs',
      'eta',
      'expires',
      'retries',
      'worker',
      'result',
      'exception',
      'timestamp',
      'runtime',
      'traceback',
      'exchange',
      'routing_key',
      'clock',
      'client',
      'root',
      'root_id',
      'parent',
      'parent_id',
      'children',
    ]);
    expect(task.clock).toBe(42);
    expect(task.root).toBe('r');
  });

  it('leaves worker out for /api/tasks and sends null for /api/task/info', () => {
    expect('worker' in flowerTask(row('a', null), false)).toBe(false);
    expect(flowerTask(row('a', null), true).worker).toBeNull();
  });

  it('keeps result order even for integer-like task ids', () => {
    const rows = ['b', '10', '2'].map((uuid) => ({
      uuid,
      task_json: JSON.stringify(flowerTask(row(uuid, null), false)),
    }));
    const json = taskMapFromJsonRows(rows);
    expect(json.indexOf('"b"')).toBeLessThan(json.indexOf('"10"'));
    expect(json.indexOf('"10"')).toBeLessThan(json.indexOf('"2"'));
    expect(Object.keys(JSON.parse(json) as object).sort()).toEqual(['10', '2', 'b']);
  });
});
