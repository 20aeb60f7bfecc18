import type { CeleryEvent } from '@celeriac/proto/events';
import { describe, expect, it } from 'vitest';
import { decodeEvent, encodeEvent } from './codec';

const event: CeleryEvent = {
  eventId: 'e1',
  connectionId: '6f1c3a52-6f7e-4a43-9d43-0f0f5b7d2f10',
  type: 'task-started',
  hostname: 'celery@w1',
  timestamp: 1732262400.123456,
  receivedAtMs: 1_732_262_400_200,
  body: { $case: 'task', value: { uuid: 'u' } },
  extraJson: '{}',
};

describe('decodeEvent', () => {
  it('refuses a record whose time readers cannot turn into a date', () => {
    expect(decodeEvent(encodeEvent(event)).eventId).toBe(event.eventId);
    expect(() => decodeEvent(encodeEvent({ ...event, timestamp: 1e308 }))).toThrow(RangeError);
    expect(() => decodeEvent(encodeEvent({ ...event, receivedAtMs: -5 }))).toThrow(RangeError);
  });
});
