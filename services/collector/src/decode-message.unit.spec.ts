import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { restoreCeleryObject } from '@celeriac/celery-domain/normalize';
import { describe, expect, it } from 'vitest';
import { type BrokerMessage, decodeBrokerMessage, MAX_DEAD_LETTER_RAW } from './decode-message';

const FIXTURE = fileURLToPath(new URL('../../../tests/fixtures/celery-5.5.3/events.jsonl', import.meta.url));
const context = {
  connectionId: '6f1c3a52-6f7e-4a43-9d43-0f0f5b7d2f10',
  receivedAtMs: 1_700_000_000_000,
  maxBodyBytes: 65_536,
  maxListItems: 1_000,
};

interface CapturedMessage {
  routingKey: string;
  properties: { contentType: string; contentEncoding: string };
  headers: Record<string, unknown>;
  bodyBase64: string;
}

const captured: CapturedMessage[] = readFileSync(FIXTURE, 'utf8')
  .split('\n')
  .filter(Boolean)
  .map((line) => JSON.parse(line) as CapturedMessage);

const asBroker = (message: CapturedMessage): BrokerMessage => ({
  content: Buffer.from(message.bodyBase64, 'base64'),
  routingKey: message.routingKey,
  contentType: message.properties.contentType,
  contentEncoding: message.properties.contentEncoding,
  headers: message.headers,
});

const json = (body: unknown, overrides: Partial<BrokerMessage> = {}): BrokerMessage => ({
  content: Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)),
  routingKey: 'task.multi',
  contentType: 'application/json',
  contentEncoding: 'utf-8',
  headers: { hostname: 'celery@w1' },
  ...overrides,
});

const started = {
  type: 'task-started',
  uuid: 'u-1',
  hostname: 'celery@w1',
  timestamp: 1.5,
  clock: 3,
  pid: 9,
  utcoffset: 0,
};

describe('decodeBrokerMessage on bytes captured from Celery 5.5.3', () => {
  it('decodes every captured message, splits task.multi lists and loses no field', () => {
    const types = new Set<string>();
    let elements = 0;
    for (const message of captured) {
      const raw = JSON.parse(Buffer.from(message.bodyBase64, 'base64').toString('utf8')) as unknown;
      const originals = (Array.isArray(raw) ? raw : [raw]) as Record<string, unknown>[];
      elements += originals.length;
      const decoded = decodeBrokerMessage(asBroker(message), context);
      expect(decoded.rejection).toBeUndefined();
      expect(decoded.events.map((event) => restoreCeleryObject(event))).toEqual(originals);
      for (const event of decoded.events) {
        types.add(event.type);
        expect(event.connectionId).toBe(context.connectionId);
        expect(event.hostname).toBe(message.headers.hostname);
      }
    }
    expect(elements).toBeGreaterThan(captured.length); // some task.multi bodies carried several events
    expect([...types].sort()).toEqual(
      [
        'task-failed',
        'task-progress',
        'task-received',
        'task-rejected',
        'task-retried',
        'task-revoked',
        'task-sent',
        'task-started',
        'task-succeeded',
        'worker-heartbeat',
        'worker-offline',
        'worker-online',
      ].sort(),
    );
  });

  it('types the fields of real events', () => {
    const all = captured.flatMap((message) => decodeBrokerMessage(asBroker(message), context).events);
    const revoked = all.find((event) => event.type === 'task-revoked');
    expect(revoked?.body).toMatchObject({
      $case: 'task',
      value: { terminated: true, signum: '9', expired: false },
    });
    const online = all.find((event) => event.type === 'worker-online');
    expect(online?.body).toMatchObject({
      $case: 'worker',
      value: { freq: 2, swIdent: 'py-celery', swVer: '5.5.3', swSys: 'Linux' },
    });
    const sent = all.find((event) => event.type === 'task-sent');
    expect(sent?.body).toMatchObject({
      $case: 'task',
      value: { queue: 'celery', routingKey: 'celery', exchange: '' },
    });
  });

  it('gives a redelivered message the same event ids', () => {
    const first = captured.flatMap((message) =>
      decodeBrokerMessage(asBroker(message), context).events.map((e) => e.eventId),
    );
    const again = captured.flatMap((message) =>
      decodeBrokerMessage(asBroker(message), { ...context, receivedAtMs: 5 }).events.map((e) => e.eventId),
    );
    expect(again).toEqual(first);
    expect(new Set(first).size).toBe(first.length);
  });
});

describe('decodeBrokerMessage on malformed input', () => {
  it('treats an empty task.multi list as no events and no dead letter', () => {
    expect(decodeBrokerMessage(json([]), context)).toEqual({ events: [], rejection: undefined });
  });

  it('keeps the good elements of a list and dead-letters the bad one with the raw bytes', () => {
    const message = json([started, { type: 'task-started', hostname: 'h', timestamp: 1 }]);
    const decoded = decodeBrokerMessage(message, context);
    expect(decoded.events).toHaveLength(1);
    expect(decoded.rejection?.reason).toBe('missing-uuid');
    expect(decoded.rejection?.record).toMatchObject({
      connectionId: context.connectionId,
      raw: message.content,
      routingKey: 'task.multi',
      contentType: 'application/json',
      receivedAtMs: context.receivedAtMs,
      headersJson: '{"hostname":"celery@w1"}',
    });
    expect(decoded.rejection?.record.reason).toMatch(/^missing-uuid: 1 of 2 elements rejected: element 1: /);
  });

  it.each([
    ['not JSON', json('{"type": "task-started",'), 'not-json'],
    [
      'NaN, which Python may emit',
      json('{"type":"task-succeeded","uuid":"u","hostname":"h","timestamp":NaN}'),
      'not-json',
    ],
    [
      'invalid UTF-8',
      json(Buffer.from([0x7b, 0xff, 0x7d]).toString('latin1'), { content: Buffer.from([0x7b, 0xff, 0x7d]) }),
      'not-utf8',
    ],
    [
      'a pickle content type',
      json(started, { contentType: 'application/x-python-serialize' }),
      'wrong-content-type',
    ],
    ['no content type', json(started, { contentType: undefined }), 'wrong-content-type'],
    ['a binary encoding', json(started, { contentEncoding: 'binary' }), 'wrong-content-encoding'],
    ['a compressed body', json(started, { headers: { compression: 'application/x-gzip' } }), 'compressed'],
    ['an oversize body', json({ ...started, pad: 'x'.repeat(70_000) }), 'oversize'],
    ['a number', json('42'), 'not-an-object'],
    ['an unknown type', json({ ...started, type: 'flower-event' }), 'unknown-type'],
    ['a wrong field type', json({ ...started, clock: 'seven' }), 'wrong-field-type'],
  ])('dead-letters %s', (_label, message, reason) => {
    const decoded = decodeBrokerMessage(message, context);
    expect(decoded.events).toEqual([]);
    expect(decoded.rejection?.reason).toBe(reason);
    expect(decoded.rejection?.record.raw.equals(message.content)).toBe(true);
  });

  it('survives headers JSON cannot express', () => {
    const decoded = decodeBrokerMessage(
      json('x', { headers: { big: 10n ** 20n, nested: { a: 1 } } }),
      context,
    );
    expect(decoded.rejection?.record.headersJson).toBe('{"big":"100000000000000000000","nested":{"a":1}}');
  });

  it('gives a ~300 KB task.multi of invalid elements ONE dead letter with one copy of the body', () => {
    const bad = { type: 'task-started', hostname: 'h', timestamp: 1 }; // no uuid
    const items = Array.from({ length: 900 }, () => bad);
    const padded = items.map((item, i) => ({ ...item, pad: 'x'.repeat(i % 2 ? 300 : 320) }));
    const message = json(padded);
    expect(message.content.length).toBeGreaterThan(290_000);
    const decoded = decodeBrokerMessage(message, { ...context, maxBodyBytes: 512 * 1024 });
    expect(decoded.events).toEqual([]);
    expect(decoded.rejection?.reason).toBe('missing-uuid');
    const record = decoded.rejection!.record;
    expect(Buffer.from(record.raw).equals(message.content.subarray(0, MAX_DEAD_LETTER_RAW))).toBe(true);
    expect(record.reason).toMatch(/^missing-uuid: 900 of 900 elements rejected: element 0: /);
    expect(record.reason).toContain('element 19:');
    expect(record.reason).not.toContain('element 20:');
    expect(record.reason).toContain('; and 880 more (raw truncated from');
    expect(record.reason.length).toBeLessThanOrEqual(4096);
  });

  it('dead-letters a list longer than the item cap whole, without normalizing it', () => {
    const message = json(Array.from({ length: 1_001 }, (_, i) => ({ ...started, uuid: `u-${i}` })));
    const decoded = decodeBrokerMessage(message, { ...context, maxBodyBytes: 512 * 1024 });
    expect(decoded.events).toEqual([]);
    expect(decoded.rejection?.reason).toBe('too-many-items');
    expect(decoded.rejection?.record.reason).toBe('too-many-items: list of 1001 elements exceeds 1000');
  });

  it('dead-letters deep nesting and prototype keys never reach a prototype', () => {
    const deep = `${'['.repeat(5_000)}${']'.repeat(5_000)}`;
    const nested = decodeBrokerMessage(
      json(`{"type":"task-started","uuid":"u","hostname":"h","timestamp":1,"x":${deep}}`),
      context,
    );
    expect(nested.rejection?.reason).toBe('too-complex');
    const proto = decodeBrokerMessage(
      json(
        '[{"type":"task-started","uuid":"u","hostname":"__proto__","timestamp":1,"__proto__":{"polluted":1}}]',
      ),
      context,
    );
    expect(proto.events[0]?.hostname).toBe('__proto__');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it.each([
    ['a huge timestamp', 1e308, 'out-of-range'],
    ['a negative timestamp', -1, 'out-of-range'],
    ['an overflowing number', '1e400', 'wrong-field-type'],
  ])('dead-letters %s', (_label, timestamp, reason) => {
    const text = `{"type":"task-started","uuid":"u","hostname":"h","timestamp":${timestamp}}`;
    expect(decodeBrokerMessage(json(text), context).rejection?.reason).toBe(reason);
  });
});
