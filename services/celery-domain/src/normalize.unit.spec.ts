import { describe, expect, it } from 'vitest';
import { canonicalJson, normalizeCeleryEvent, restoreCeleryObject } from './normalize';

const context = { connectionId: '6f1c3a52-6f7e-4a43-9d43-0f0f5b7d2f10', receivedAtMs: 1_732_262_400_200 };
const base = { hostname: 'celery@w1', utcoffset: 0, pid: 4242, clock: 17, timestamp: 1732262400.123456 };

function accepted(raw: unknown) {
  const result = normalizeCeleryEvent(raw, context);
  if (!result.ok) throw new Error(`rejected: ${result.reason} ${result.detail}`);
  return result.event;
}

describe('normalizeCeleryEvent', () => {
  it('given a task-succeeded, types its fields and keeps the envelope', () => {
    const event = accepted({ ...base, type: 'task-succeeded', uuid: 'u-1', result: '4', runtime: 0.0123 });
    expect(event).toMatchObject({
      connectionId: context.connectionId,
      type: 'task-succeeded',
      hostname: 'celery@w1',
      timestamp: 1732262400.123456,
      clock: 17,
      utcoffset: 0,
      pid: 4242,
      receivedAtMs: context.receivedAtMs,
      body: { $case: 'task', value: { uuid: 'u-1', result: '4', runtime: 0.0123 } },
      extraJson: '{}',
    });
    expect(event.eventId).toMatch(/^[0-9a-f]{64}$/);
  });

  it('given a task-received, maps snake_case fields and keeps nulls and unknown fields in extra_json', () => {
    const raw = {
      ...base,
      type: 'task-received',
      uuid: 'u-2',
      name: 'tasks.add',
      args: '(2, 2)',
      kwargs: '{}',
      root_id: 'u-2',
      parent_id: null,
      retries: 0,
      eta: null,
      expires: null,
      custom: { a: [1] },
    };
    const event = accepted(raw);
    expect(event.body).toEqual({
      $case: 'task',
      value: { uuid: 'u-2', name: 'tasks.add', args: '(2, 2)', kwargs: '{}', rootId: 'u-2', retries: 0 },
    });
    expect(JSON.parse(event.extraJson)).toEqual({
      parent_id: null,
      eta: null,
      expires: null,
      custom: { a: [1] },
    });
  });

  it('given a worker-heartbeat, types the heart fields', () => {
    const raw = {
      ...base,
      type: 'worker-heartbeat',
      freq: 2.0,
      active: 1,
      processed: 10,
      loadavg: [0.1, 0.2, 0.3],
      sw_ident: 'py-celery',
      sw_ver: '5.5.3',
      sw_sys: 'Linux',
    };
    expect(accepted(raw).body).toEqual({
      $case: 'worker',
      value: {
        freq: 2,
        active: 1,
        processed: 10,
        loadavg: [0.1, 0.2, 0.3],
        swIdent: 'py-celery',
        swVer: '5.5.3',
        swSys: 'Linux',
      },
    });
  });

  it('given a custom task-progress event, accepts it with only uuid typed', () => {
    const event = accepted({
      ...base,
      type: 'task-progress',
      uuid: 'u-3',
      current: 5,
      total: 10,
      result: { x: 1 },
    });
    expect(event.body).toEqual({ $case: 'task', value: { uuid: 'u-3' } });
    expect(JSON.parse(event.extraJson)).toEqual({ current: 5, total: 10, result: { x: 1 } });
  });

  it('given a revoke with a numeric signum, keeps it as text and restores the number', () => {
    const raw = { ...base, type: 'task-revoked', uuid: 'u-4', terminated: true, signum: 15, expired: false };
    const event = accepted(raw);
    expect(event.body).toEqual({
      $case: 'task',
      value: { uuid: 'u-4', terminated: true, signum: '15', expired: false },
    });
    expect(restoreCeleryObject(event)).toEqual(raw);
  });

  it('is lossless: restoring gives back the exact object for every standard type', () => {
    const samples = [
      {
        ...base,
        type: 'task-sent',
        uuid: 'a',
        name: 'n',
        args: '()',
        kwargs: '{}',
        retries: 0,
        eta: null,
        expires: null,
        root_id: 'a',
        parent_id: null,
        queue: 'celery',
        exchange: '',
        routing_key: 'celery',
      },
      { ...base, type: 'task-started', uuid: 'a' },
      {
        ...base,
        type: 'task-failed',
        uuid: 'a',
        exception: "ZeroDivisionError('x')",
        traceback: 'Traceback...',
      },
      { ...base, type: 'task-retried', uuid: 'a', exception: 'Retry()', traceback: 'tb' },
      { ...base, type: 'task-rejected', uuid: 'a', requeue: false },
      { ...base, type: 'task-cancelled', uuid: 'a' },
      {
        ...base,
        type: 'worker-online',
        freq: 2,
        active: 0,
        processed: 0,
        loadavg: [],
        sw_ident: 'py-celery',
      },
      { ...base, type: 'worker-offline', freq: 2 },
      { ...base, type: 'worker-elect', id: 'x', topic: 't', action: 'a', cver: 1 },
    ];
    for (const raw of samples) expect(restoreCeleryObject(accepted(raw))).toEqual(raw);
  });

  it('gives the same event the same id whatever the key order, and different ids per connection', () => {
    const one = accepted({ ...base, type: 'task-started', uuid: 'u-5' });
    const reordered = accepted({
      uuid: 'u-5',
      type: 'task-started',
      timestamp: base.timestamp,
      clock: 17,
      pid: 4242,
      utcoffset: 0,
      hostname: 'celery@w1',
    });
    const other = normalizeCeleryEvent(
      { ...base, type: 'task-started', uuid: 'u-5' },
      { ...context, connectionId: 'other' },
    );
    expect(reordered.eventId).toBe(one.eventId);
    expect(other.ok && other.event.eventId).not.toBe(one.eventId);
    expect(accepted({ ...base, type: 'task-started', uuid: 'u-5', clock: 18 }).eventId).not.toBe(one.eventId);
  });

  it('given a field Celery sent as "__proto__", keeps it as a plain field', () => {
    const raw = JSON.parse(
      '{"type":"task-started","uuid":"u","hostname":"h","timestamp":1,"__proto__":{"x":1}}',
    );
    const event = accepted(raw);
    expect(event.extraJson).toBe('{"__proto__":{"x":1}}');
    expect(Object.hasOwn(restoreCeleryObject(event), '__proto__')).toBe(true);
  });

  it.each([
    ['an array', [], 'not-an-object'],
    ['a string', 'task-started', 'not-an-object'],
    ['null', null, 'not-an-object'],
    ['no type', { ...base, uuid: 'u' }, 'missing-field'],
    ['a numeric type', { ...base, type: 5 }, 'wrong-field-type'],
    ['an unknown type', { ...base, type: 'tusk-started', uuid: 'u' }, 'unknown-type'],
    ['an unknown worker type', { ...base, type: 'worker-exploded' }, 'unknown-type'],
    ['a task event without uuid', { ...base, type: 'task-started' }, 'missing-uuid'],
    ['a numeric uuid', { ...base, type: 'task-started', uuid: 7 }, 'wrong-field-type'],
    ['no hostname', { type: 'task-started', uuid: 'u', timestamp: 1 }, 'missing-field'],
    ['no timestamp', { type: 'worker-heartbeat', hostname: 'h' }, 'missing-field'],
    ['a string timestamp', { ...base, timestamp: '1', type: 'worker-heartbeat' }, 'wrong-field-type'],
    ['a string retries', { ...base, type: 'task-received', uuid: 'u', retries: '1' }, 'wrong-field-type'],
    ['a fractional clock', { ...base, clock: 1.5, type: 'task-started', uuid: 'u' }, 'wrong-field-type'],
    ['a bad loadavg', { ...base, type: 'worker-heartbeat', loadavg: ['x'] }, 'wrong-field-type'],
    ['a numeric result', { ...base, type: 'task-succeeded', uuid: 'u', result: 4 }, 'wrong-field-type'],
  ])('given %s, rejects it with a typed reason', (_label, raw, reason) => {
    const result = normalizeCeleryEvent(raw, context);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.reason).toBe(reason);
      expect(result.detail.length).toBeGreaterThan(0);
    }
  });
});

describe('normalizeCeleryEvent bounds', () => {
  it('keeps out-of-range numbers out of the typed slots, as sent, in extra_json', () => {
    const raw = {
      ...base,
      type: 'worker-heartbeat',
      clock: 1e20,
      utcoffset: 1e6,
      pid: 2 ** 40,
      freq: 1e308,
      active: 2 ** 31,
      processed: 5,
      loadavg: [0.5, 1e12],
    };
    const event = accepted(raw);
    expect(event.clock).toBeUndefined();
    expect(event.utcoffset).toBeUndefined();
    expect(event.pid).toBeUndefined();
    expect(event.body).toEqual({ $case: 'worker', value: { loadavg: [], processed: 5 } });
    expect(JSON.parse(event.extraJson)).toEqual({
      clock: 1e20,
      utcoffset: 1e6,
      pid: 2 ** 40,
      freq: 1e308,
      active: 2 ** 31,
      loadavg: [0.5, 1e12],
    });
    expect(restoreCeleryObject(event)).toEqual(raw);
    const task = accepted({ ...base, type: 'task-succeeded', uuid: 'u', runtime: -1, retries: 2 ** 31 });
    expect(task.body).toEqual({ $case: 'task', value: { uuid: 'u' } });
  });

  it.each([
    ['1e308', 1e308],
    ['negative', -0.5],
    ['past year 9999', 253_402_300_800],
  ])('rejects a %s timestamp', (_label, timestamp) => {
    const result = normalizeCeleryEvent({ ...base, timestamp, type: 'task-started', uuid: 'u' }, context);
    expect(result.ok === false && result.reason).toBe('out-of-range');
  });

  it('refuses task ids and hostnames that cannot be key columns: too long, or holding NUL', () => {
    const cases = [
      { ...base, type: 'task-started', uuid: 'u'.repeat(60_000) },
      { ...base, type: 'task-started', uuid: 'a\u0000b' },
      { ...base, hostname: 'h'.repeat(60_000), type: 'task-started', uuid: 'u' },
      { ...base, hostname: 'celery@\u0000', type: 'worker-heartbeat' },
    ];
    for (const raw of cases) {
      const result = normalizeCeleryEvent(raw, context);
      expect(result.ok === false && result.reason).toBe('out-of-range');
    }
    expect(
      accepted({
        ...base,
        hostname: `celery@${'h'.repeat(250)}`,
        type: 'task-started',
        uuid: 'u'.repeat(255),
      }).type,
    ).toBe('task-started');
  });

  it('rejects nesting deeper than its bound before walking it', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) deep = [deep];
    const result = normalizeCeleryEvent({ ...base, type: 'task-started', uuid: 'u', deep }, context);
    expect(result.ok === false && result.reason).toBe('too-complex');
  });
});

describe('canonicalJson', () => {
  it('sorts keys at every depth and keeps array order', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: null } })).toBe(
      '{"a":{"c":null,"d":[3,{"y":2,"z":1}]},"b":1}',
    );
  });

  it('gives the same text on the fast path and on the explicit walk, including odd keys', () => {
    const samples = [
      { toString: 1, constructor: { hasOwnProperty: [1, { valueOf: 'x' }] }, b: [], a: {} },
      { same: { same: { same: 1 } }, list: [{ k: 2, j: [null, true, 1.5, 'é\n"'] }], '': 0 },
      JSON.parse('{"__proto__":{"b":1,"a":2},"x":{"y":1}}'),
    ];
    const walk = (value: unknown): string => {
      if (value === null || typeof value !== 'object') return JSON.stringify(value);
      if (Array.isArray(value)) return `[${value.map(walk).join(',')}]`;
      const record = value as Record<string, unknown>;
      const keys = Object.keys(record).sort();
      return `{${keys.map((key) => `${JSON.stringify(key)}:${walk(record[key])}`).join(',')}}`;
    };
    for (const sample of samples) expect(canonicalJson(sample)).toBe(walk(sample));
    expect(canonicalJson(samples[2])).toBe('{"__proto__":{"a":2,"b":1},"x":{"y":1}}');
  });
});
