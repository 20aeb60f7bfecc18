import { describe, expect, it } from 'vitest';
import { jobStateOf, mergeState, stateOfTaskEvent } from './celery-state';

describe('Celery task state rules', () => {
  it('maps event subjects to states, custom subjects upper-cased', () => {
    expect(stateOfTaskEvent('task-sent')).toBe('PENDING');
    expect(stateOfTaskEvent('task-succeeded')).toBe('SUCCESS');
    expect(stateOfTaskEvent('task-retried')).toBe('RETRY');
    expect(stateOfTaskEvent('task-progress')).toBe('PROGRESS');
  });

  it('never lets a late event downgrade the state', () => {
    expect(mergeState('SUCCESS', 'STARTED')).toBe('SUCCESS');
    expect(mergeState('RECEIVED', 'PENDING')).toBe('RECEIVED');
    expect(mergeState('STARTED', 'PROGRESS')).toBe('PROGRESS');
    expect(mergeState('PROGRESS', 'SUCCESS')).toBe('SUCCESS');
    expect(mergeState(undefined, 'STARTED')).toBe('STARTED');
  });

  it('lets RETRY replace anything and be replaced by anything', () => {
    expect(mergeState('STARTED', 'RETRY')).toBe('RETRY');
    expect(mergeState('RETRY', 'PENDING')).toBe('PENDING');
    expect(mergeState('RETRY', 'RECEIVED')).toBe('RECEIVED');
  });

  it('keeps a finished task finished when the earlier run reports its retry late', () => {
    expect(mergeState('SUCCESS', 'RETRY')).toBe('SUCCESS');
    expect(mergeState('FAILURE', 'RETRY')).toBe('FAILURE');
    expect(mergeState('REVOKED', 'RETRY')).toBe('RETRY');
  });

  it('maps Celery states to the lowercase stream states', () => {
    expect(jobStateOf('PENDING')).toBe('queued');
    expect(jobStateOf('RECEIVED', { eta: '2026-01-01T00:00:00Z' })).toBe('scheduled');
    expect(jobStateOf('STARTED')).toBe('active');
    expect(jobStateOf('PROGRESS')).toBe('active');
    expect(jobStateOf('SUCCESS')).toBe('completed');
    expect(jobStateOf('FAILURE')).toBe('failed');
    expect(jobStateOf('RETRY')).toBe('retrying');
    expect(jobStateOf('REVOKED')).toBe('cancelled');
    expect(jobStateOf('REJECTED', { requeue: true })).toBe('queued');
    expect(jobStateOf('REJECTED')).toBe('failed');
  });
});
