import { describe, expect, it } from 'vitest';
import { jobStateOf } from './celery-state';

describe('stream job states', () => {
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
