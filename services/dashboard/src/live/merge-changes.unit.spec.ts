import { describe, expect, it } from 'vitest';
import type { Task } from '../api/types';
import { type JobChange, mergeChanges } from './merge-changes';

const change = (id: string, celeryState: string, extra: Partial<JobChange> = {}): JobChange => ({
  id,
  name: 'tasks.add',
  celeryState,
  hostname: 'celery@w1',
  timestamp: '2026-01-01T00:00:00.000Z',
  ...extra,
});
const open = { frozen: false };
const ids = (rows: Task[]) => rows.map((row) => `${row.uuid}:${row.state}`);

describe('mergeChanges (the live table, one batch per frame)', () => {
  it('puts new tasks on top, newest first, and moves known ones in place', () => {
    const first = mergeChanges([], [change('a', 'PENDING'), change('b', 'PENDING')], open, 10);
    expect(ids(first)).toEqual(['b:PENDING', 'a:PENDING']);
    const next = mergeChanges(
      first,
      [change('a', 'STARTED'), change('c', 'RECEIVED'), change('a', 'SUCCESS')],
      open,
      10,
    );
    expect(ids(next)).toEqual(['c:RECEIVED', 'b:PENDING', 'a:SUCCESS']);
  });

  it('keeps at most `max` rows, dropping the oldest', () => {
    const changes = Array.from({ length: 50 }, (_, i) => change(`t${i}`, 'PENDING'));
    const rows = mergeChanges([], changes, open, 5);
    expect(ids(rows)).toEqual(['t49:PENDING', 't48:PENDING', 't47:PENDING', 't46:PENDING', 't45:PENDING']);
  });

  it('adds only tasks that fit the filter, judged on their last state in the batch', () => {
    const rows = mergeChanges(
      [],
      [
        change('x', 'STARTED'),
        change('x', 'FAILURE'),
        change('y', 'SUCCESS'),
        change('z', 'FAILURE', { name: 'other' }),
      ],
      { state: 'FAILURE', name: 'tasks.add', frozen: false },
      10,
    );
    expect(ids(rows)).toEqual(['x:FAILURE']);
  });

  it('adds nothing new under a search, a time range or a later page, but still updates the rows shown', () => {
    const shown = mergeChanges([], [change('a', 'STARTED')], open, 10);
    const rows = mergeChanges(shown, [change('a', 'SUCCESS'), change('n', 'PENDING')], { frozen: true }, 10);
    expect(ids(rows)).toEqual(['a:SUCCESS']);
  });
});
