import { describe, expect, it } from 'vitest';
import { CeleryEvent } from './events';

describe('CeleryEvent wire format', () => {
  it('keeps a task event, its optional fields and the extra fields through encode/decode', () => {
    const event: CeleryEvent = {
      eventId: 'ab12',
      connectionId: '6f1c3a52-6f7e-4a43-9d43-0f0f5b7d2f10',
      type: 'task-succeeded',
      hostname: 'celery@w1',
      timestamp: 1732262400.123456,
      clock: 42,
      utcoffset: -1,
      pid: 1234,
      receivedAtMs: 1732262400200,
      body: { $case: 'task', value: { uuid: 'u-1', result: "'4'", runtime: 0.0123 } },
      extraJson: '{"custom":"kept"}',
    };
    const decoded = CeleryEvent.decode(CeleryEvent.encode(event).finish());
    expect(decoded).toEqual(event);
  });

  it('tells an absent optional field from a zero value', () => {
    const bytes = CeleryEvent.encode({
      eventId: 'x',
      connectionId: 'c',
      type: 'task-started',
      hostname: 'celery@w1',
      timestamp: 1,
      receivedAtMs: 2,
      body: { $case: 'task', value: { uuid: 'u-2', retries: 0 } },
      extraJson: '{}',
    }).finish();
    const decoded = CeleryEvent.decode(bytes);
    expect(decoded.clock).toBeUndefined();
    expect(decoded.body?.$case === 'task' && decoded.body.value.retries).toBe(0);
    expect(decoded.body?.$case === 'task' && decoded.body.value.name).toBeUndefined();
  });
});
