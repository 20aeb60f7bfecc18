import { describe, expect, it } from 'vitest';
import { stateOfTaskEvent } from './celery-states';
import { emptyTimes, recordTime, resolveState, subjectOfTaskType } from './task-resolver';

/** The state after events given as [type, Celery timestamp], folded in the order listed. */
const stateOf = (...events: [string, number][]): string =>
  resolveState(
    events.reduce((times, [type, t]) => recordTime(times, subjectOfTaskType(type), t), emptyTimes()),
  ).state;

describe('the task-state resolver', () => {
  it('maps event types to states, custom subjects upper-cased', () => {
    expect(stateOfTaskEvent('task-sent')).toBe('PENDING');
    expect(stateOfTaskEvent('task-succeeded')).toBe('SUCCESS');
    expect(stateOfTaskEvent('task-retried')).toBe('RETRY');
    expect(stateOfTaskEvent('task-progress')).toBe('PROGRESS');
  });

  it('never lets a late event of lower precedence downgrade the state', () => {
    expect(stateOf(['task-succeeded', 3], ['task-started', 2])).toBe('SUCCESS');
    expect(stateOf(['task-received', 2], ['task-sent', 1])).toBe('RECEIVED');
    expect(stateOf(['task-started', 2], ['task-progress', 3])).toBe('PROGRESS');
    expect(stateOf(['task-progress', 3], ['task-succeeded', 4])).toBe('SUCCESS');
    expect(stateOf()).toBe('PENDING');
  });

  it('lets RETRY override what came before it and be overridden by what came after it', () => {
    expect(stateOf(['task-started', 1], ['task-retried', 2])).toBe('RETRY');
    expect(stateOf(['task-retried', 2], ['task-received', 3])).toBe('RECEIVED');
  });

  it('keeps a finished task finished when the earlier run reports its retry late', () => {
    expect(stateOf(['task-succeeded', 2], ['task-retried', 3])).toBe('SUCCESS');
    expect(stateOf(['task-failed', 2], ['task-retried', 3])).toBe('FAILURE');
    expect(stateOf(['task-revoked', 2], ['task-retried', 3])).toBe('RETRY');
  });

  it('judges by Celery time, not arrival: a late older event cannot undo a retry or a revoke', () => {
    // The two cases where an arrival-order merge (the streams' former rule) moved the state.
    expect(stateOf(['task-retried', 5], ['task-started', 4])).toBe('RETRY');
    expect(stateOf(['task-revoked', 6], ['task-retried', 5])).toBe('REVOKED');
  });
});
