import { describe, expect, it } from 'vitest';
import { TaskTracker } from './trackers';

describe('TaskTracker', () => {
  it('resolves late events by Celery time, as the projector does, not by arrival', () => {
    const tasks = new TaskTracker(10);
    tasks.apply('c1', 'u1', 'task-retried', 5, 'tasks.t');
    expect(tasks.apply('c1', 'u1', 'task-started', 4, null)).toEqual({
      previous: 'RETRY',
      next: 'RETRY',
      name: 'tasks.t',
    });
    tasks.apply('c1', 'u2', 'task-revoked', 6, null);
    expect(tasks.apply('c1', 'u2', 'task-retried', 5, null).next).toBe('REVOKED');
  });
});
