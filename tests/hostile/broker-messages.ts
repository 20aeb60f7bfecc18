import { hostileValue, PROTOTYPE_KEYS, randomUuid } from './hostile-values';
import type { Random } from './seeded-random';

/** One message for the `celeryev` exchange, as a hostile worker or client could publish it. */
export interface BrokerMessage {
  kind: string;
  routingKey: string;
  body: Buffer;
  contentType?: string;
  contentEncoding?: string;
  headers?: Record<string, unknown>;
}

const JSON_TYPE = 'application/json';
const now = () => Date.now() / 1000;

/** What a Celery 5.5 worker sends (tests/fixtures/celery-5.5.3), the starting point of each mutation. */
function taskEvent(random: Random, type: string): Record<string, unknown> {
  return {
    hostname: 'hostile@broker',
    utcoffset: 0,
    pid: 4242,
    clock: random.int(1000),
    uuid: randomUuid(random),
    name: 'tasks.add',
    args: '(1, 2)',
    kwargs: '{}',
    retries: 0,
    timestamp: now(),
    type,
  };
}

function heartbeat(): Record<string, unknown> {
  return {
    hostname: 'hostile@broker',
    utcoffset: 0,
    pid: 4242,
    clock: 1,
    freq: 2,
    active: 0,
    processed: 0,
    loadavg: [0.1, 0.2, 0.3],
    sw_ident: 'py-celery',
    sw_ver: '5.5.3',
    sw_sys: 'Linux',
    timestamp: now(),
    type: 'worker-heartbeat',
  };
}

const json = (value: unknown) => Buffer.from(JSON.stringify(value));
const TYPES = [
  'task-sent',
  'task-received',
  'task-started',
  'task-succeeded',
  'task-failed',
  'task-retried',
  'task-revoked',
];
const ABSURD = [
  '1e308',
  '-1e308',
  '1e20',
  '-1',
  '18446744073709551616',
  `9${'9'.repeat(400)}`,
  '0.000000000000000000001',
  '-0',
];

/** Each kind of malformed message; the heavy kinds are few per run (`weight`). */
export const MESSAGE_KINDS: { kind: string; weight: number; make(random: Random): BrokerMessage }[] = [
  {
    kind: 'not-json',
    weight: 10,
    make: (r) => ({
      kind: 'not-json',
      routingKey: 'task.started',
      body: Buffer.from(
        r.pick(['{"type": "task-started", oops', 'garbage', '\u0000\u0001', '{"a":'.repeat(50)]),
      ),
      contentType: JSON_TYPE,
    }),
  },
  {
    kind: 'wrong-content-type',
    weight: 10,
    make: (r) => ({
      kind: 'wrong-content-type',
      routingKey: 'task.started',
      body: json(taskEvent(r, 'task-started')),
      contentType: r.pick([
        'application/x-python-serialize',
        'application/x-yaml',
        'application/x-msgpack',
        'text/plain',
        'application/json; charset=utf-16',
        '',
      ]),
    }),
  },
  {
    kind: 'missing-content-type',
    weight: 5,
    make: (r) => ({
      kind: 'missing-content-type',
      routingKey: 'task.started',
      body: json(taskEvent(r, 'task-started')),
    }),
  },
  {
    kind: 'wrong-encoding',
    weight: 10,
    make: (r) => ({
      kind: 'wrong-encoding',
      routingKey: 'task.started',
      body: r.chance(0.5)
        ? Buffer.from(JSON.stringify(taskEvent(r, 'task-started')), 'utf16le')
        : json(taskEvent(r, 'task-started')),
      contentType: JSON_TYPE,
      contentEncoding: r.pick(['binary', 'gzip', 'utf-16', 'base64', 'x-evil', 'utf-8']),
    }),
  },
  {
    kind: 'not-utf8',
    weight: 5,
    make: () => ({
      kind: 'not-utf8',
      routingKey: 'task.started',
      body: Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0xc0, 0xaf, 0x7d]),
      contentType: JSON_TYPE,
    }),
  },
  {
    kind: 'not-an-object',
    weight: 5,
    make: (r) => ({
      kind: 'not-an-object',
      routingKey: 'task.multi',
      body: Buffer.from(r.pick(['42', '"x"', 'null', 'true', '[]', '[[[]]]', '{}'])),
      contentType: JSON_TYPE,
    }),
  },
  {
    kind: 'oversized',
    weight: 0.5,
    make: (r) => ({
      kind: 'oversized',
      routingKey: 'task.succeeded',
      body: json({ ...taskEvent(r, 'task-succeeded'), result: 'x'.repeat(r.pick([70_000, 1_000_000])) }),
      contentType: JSON_TYPE,
    }),
  },
  {
    kind: 'multi-invalid-300kb',
    weight: 0.2,
    make: (r) => ({
      kind: 'multi-invalid-300kb',
      routingKey: 'task.multi',
      body: json(
        Array.from({ length: 3_500 }, () => ({
          type: r.pick(TYPES),
          hostname: 'hostile@broker',
          timestamp: 1,
          pad: 'p'.repeat(20),
        })),
      ),
      contentType: JSON_TYPE,
    }),
  },
  {
    kind: 'multi-many-items',
    weight: 0.5,
    make: () => ({
      kind: 'multi-many-items',
      routingKey: 'task.multi',
      body: Buffer.from(`[${Array.from({ length: 100_000 }, () => '1').join(',')}]`),
      contentType: JSON_TYPE,
    }),
  },
  {
    kind: 'multi-mixed',
    weight: 5,
    make: (r) => ({
      kind: 'multi-mixed',
      routingKey: 'task.multi',
      body: json([
        taskEvent(r, 'task-received'),
        null,
        'x',
        [taskEvent(r, 'task-started')],
        { type: 'task-started' },
        { __proto__: null, type: 7 },
      ]),
      contentType: JSON_TYPE,
    }),
  },
  {
    kind: 'wrong-field-types',
    weight: 15,
    make: (r) => {
      const event = taskEvent(r, r.pick(TYPES));
      const field = r.pick([
        'type',
        'uuid',
        'hostname',
        'timestamp',
        'clock',
        'pid',
        'args',
        'kwargs',
        'name',
        'retries',
        'utcoffset',
        'result',
        'exception',
        'runtime',
        'eta',
        'expires',
      ]);
      event[field] = r.pick([{}, [], [1, 2], true, null, -1, 'NaN', { nested: { deep: 1 } }, 1e308, '']);
      return {
        kind: 'wrong-field-types',
        routingKey: `task.${r.pick(['received', 'started', 'multi'])}`,
        body: json(event),
        contentType: JSON_TYPE,
      };
    },
  },
  {
    kind: 'prototype-keys',
    weight: 15,
    make: (r) => {
      const key = r.pick(PROTOTYPE_KEYS);
      const event = r.chance(0.5) ? taskEvent(r, r.pick(TYPES)) : heartbeat();
      const text = JSON.stringify(event).slice(0, -1);
      const extra = r.chance(0.5) ? `,"${key}":{"polluted":"yes","type":"task-revoked"}` : '';
      const hostname = r.chance(0.5) ? `,"hostname":"${key}"` : '';
      return {
        kind: 'prototype-keys',
        routingKey: r.pick(['task.started', 'worker.heartbeat', 'task.multi']),
        body: Buffer.from(`${text}${extra}${hostname}}`),
        contentType: JSON_TYPE,
        headers: { [key]: 'x', hostname: key },
      };
    },
  },
  {
    kind: 'absurd-numbers',
    weight: 15,
    make: (r) => {
      const event = r.chance(0.5) ? taskEvent(r, r.pick(TYPES)) : heartbeat();
      const field = r.pick([
        'timestamp',
        'clock',
        'utcoffset',
        'freq',
        'active',
        'processed',
        'runtime',
        'retries',
        'pid',
      ]);
      const text = JSON.stringify({ ...event, [field]: 0 }).replace(
        `"${field}":0`,
        `"${field}":${r.pick(ABSURD)}`,
      );
      return {
        kind: 'absurd-numbers',
        routingKey: String(event.type).replace('-', '.'),
        body: Buffer.from(text),
        contentType: JSON_TYPE,
      };
    },
  },
  {
    kind: 'hostile-strings',
    weight: 10,
    make: (r) => {
      const event = r.chance(0.5) ? taskEvent(r, r.pick(TYPES)) : heartbeat();
      const field = r.pick([
        'hostname',
        'uuid',
        'name',
        'args',
        'kwargs',
        'result',
        'exception',
        'traceback',
      ]);
      event[field] = hostileValue(r, r.pick([300, 60_000])).value;
      return {
        kind: 'hostile-strings',
        routingKey: String(event.type).replace('-', '.'),
        body: json(event),
        contentType: JSON_TYPE,
      };
    },
  },
  {
    kind: 'deep-json',
    weight: 1,
    make: (r) => {
      const depth = r.pick([1_000, 20_000]);
      const text = JSON.stringify(taskEvent(r, 'task-received')).replace(
        '"(1, 2)"',
        `${'['.repeat(depth)}${']'.repeat(depth)}`,
      );
      return {
        kind: 'deep-json',
        routingKey: 'task.received',
        body: Buffer.from(text),
        contentType: JSON_TYPE,
      };
    },
  },
  {
    kind: 'hostile-routing',
    weight: 5,
    make: (r) => ({
      kind: 'hostile-routing',
      routingKey: r.pick(['', '#', 'worker.__proto__', 'x'.repeat(250), 'task.multi.multi', '..']),
      body: json(r.chance(0.5) ? heartbeat() : taskEvent(r, 'task-started')),
      contentType: JSON_TYPE,
    }),
  },
  {
    kind: 'unknown-type',
    weight: 5,
    make: (r) => ({
      kind: 'unknown-type',
      routingKey: 'task.started',
      body: json({
        ...taskEvent(r, 'task-started'),
        type: r.pick(['bogus', '', 'task-', 'worker-', '__proto__', 'TASK-STARTED']),
      }),
      contentType: JSON_TYPE,
    }),
  },
  {
    kind: 'missing-fields',
    weight: 5,
    make: (r) => {
      const event = taskEvent(r, r.pick(TYPES));
      delete event[r.pick(['uuid', 'hostname', 'timestamp', 'type'])];
      return {
        kind: 'missing-fields',
        routingKey: 'task.started',
        body: json(event),
        contentType: JSON_TYPE,
      };
    },
  },
];

/**
 * A valid event the suite recognises afterwards: once its task is readable through the gateway, the
 * collector and projector got past everything published before it.
 */
export function sentinel(uuid: string): BrokerMessage {
  const event = {
    hostname: 'sentinel@hostile',
    utcoffset: 0,
    pid: 1,
    clock: 1,
    uuid,
    name: 'tasks.sentinel',
    args: '()',
    kwargs: '{}',
    retries: 0,
    timestamp: now(),
    type: 'task-received',
  };
  return {
    kind: 'sentinel',
    routingKey: 'task.received',
    body: json(event),
    contentType: JSON_TYPE,
    contentEncoding: 'utf-8',
  };
}
