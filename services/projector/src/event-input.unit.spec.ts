import type { CeleryEvent } from '@celeriac/proto/events';
import { describe, expect, it } from 'vitest';
import { classifyEvent, withoutNul } from './event-input';

const base: CeleryEvent = {
  eventId: 'e1',
  connectionId: '00000000-0000-4000-8000-000000000001',
  type: 'task-started',
  hostname: 'celery@w',
  timestamp: 1_700_000_000,
  receivedAtMs: 1_700_000_000_500,
  body: { $case: 'task', value: { uuid: 'u1' } },
  extraJson: '{}',
};

describe('classifyEvent', () => {
  it.each([
    ['an unknown type', { type: 'mystery' }, 'unknown_type'],
    ['a task event without uuid', { body: { $case: 'task', value: { uuid: '' } } }, 'missing_uuid'],
    ['a timestamp in 1970', { timestamp: 5 }, 'absurd_timestamp'],
    ['a timestamp a year ahead', { timestamp: 1_700_000_000 + 365 * 86_400 }, 'absurd_timestamp'],
    ['a NaN timestamp', { timestamp: Number.NaN }, 'absurd_timestamp'],
    ['a connection id that is not a uuid', { connectionId: 'nope' }, 'bad_connection_id'],
    [
      'a task type with a worker body',
      { body: { $case: 'worker', value: { loadavg: [] } } },
      'body_mismatch',
    ],
    ['extra that is not a JSON object', { extraJson: '[1' }, 'bad_extra_json'],
  ] as [string, Partial<CeleryEvent>, string][])(
    'given %s, then it is skipped with a reason',
    (_title, patch, reason) => {
      expect(classifyEvent({ ...base, ...patch })).toEqual({ kind: 'bad', reason });
    },
  );

  it('given gossip (worker-elect), then it is ignored, not bad', () => {
    expect(
      classifyEvent({ ...base, type: 'worker-elect', body: { $case: 'worker', value: { loadavg: [] } } }),
    ).toEqual({ kind: 'ignored' });
  });

  it('given a custom task event, then it is a task event with its subject', () => {
    expect(classifyEvent({ ...base, type: 'task-progress' })).toMatchObject({
      kind: 'task',
      subject: 'progress',
    });
  });

  it('strips NUL characters PostgreSQL would reject, at any depth', () => {
    expect(withoutNul({ 'a\u0000': ['x\u0000y', { z: '\u0000' }] })).toEqual({ a: ['xy', { z: '' }] });
  });
});

describe('withoutNul and lone surrogates', () => {
  it('replaces lone UTF-16 surrogates that jsonb would refuse', () => {
    expect(withoutNul({ a: 'x\ud800y' })).toEqual({ a: 'x\ufffdy' });
  });
});
