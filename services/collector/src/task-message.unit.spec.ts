import type { SendTaskRequest } from '@celeriac/proto/control';
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from './errors';
import { buildTaskMessage, celeryIso } from './task-message';

const now = new Date('2026-01-02T03:04:05.678Z');
const request = (overrides: Partial<SendTaskRequest> = {}): SendTaskRequest => ({
  connectionId: 'c',
  taskName: 'tasks.add',
  argsJson: '[2, 2]',
  kwargsJson: '{"x": "it\'s"}',
  ...overrides,
});
const build = (overrides: Partial<SendTaskRequest> = {}) =>
  buildTaskMessage(request(overrides), { now, origin: 'celeriac@test' });

describe('buildTaskMessage (Celery protocol v2)', () => {
  it('builds the 3-element body, JSON properties and the required headers', () => {
    const message = build({ taskId: 'id-1' });
    expect(JSON.parse(message.content.toString())).toEqual([
      [2, 2],
      { x: "it's" },
      { callbacks: null, errbacks: null, chain: null, chord: null },
    ]);
    expect(message).toMatchObject({ taskId: 'id-1', exchange: '', routingKey: 'celery', queue: 'celery' });
    expect(message.options).toMatchObject({
      contentType: 'application/json',
      contentEncoding: 'utf-8',
      correlationId: 'id-1',
      deliveryMode: 2,
      priority: 0,
    });
    expect(message.options.headers).toMatchObject({
      lang: 'py',
      task: 'tasks.add',
      id: 'id-1',
      root_id: 'id-1',
      parent_id: null,
      argsrepr: '(2, 2)',
      kwargsrepr: `{'x': "it's"}`,
      origin: 'celeriac@test',
      eta: null,
      expires: null,
      ignore_result: false,
    });
  });

  it('forces every integer header to int32, including inside timelimit ([hard, soft])', () => {
    const headers = build({ retries: 300, timeLimit: 300, softTimeLimit: 12.5 }).options.headers;
    expect(headers.retries).toEqual({ '!': 'int', value: 300 });
    expect(headers.replaced_task_nesting).toEqual({ '!': 'int', value: 0 });
    expect(headers.timelimit).toEqual([
      { '!': 'int', value: 300 },
      { '!': 'double', value: 12.5 },
    ]);
    expect(build().options.headers.timelimit).toEqual([null, null]);
  });

  it('turns countdown into a six-digit-microsecond eta and expires into a message TTL', () => {
    const message = build({ countdown: 10, expires: '2026-01-02T03:05:05.678Z' });
    expect(message.options.headers.eta).toBe('2026-01-02T03:04:15.678000+00:00');
    expect(message.options.headers.expires).toBe('2026-01-02T03:05:05.678000+00:00');
    expect(message.options.expiration).toBe('60000');
    expect(celeryIso(new Date(0))).toBe('1970-01-01T00:00:00.000000+00:00');
  });

  it('routes by queue through the anonymous exchange, or through a named exchange', () => {
    expect(build({ queue: 'high' })).toMatchObject({ exchange: '', routingKey: 'high' });
    expect(build({ exchange: 'tasks', routingKey: 'rk' })).toMatchObject({
      exchange: 'tasks',
      routingKey: 'rk',
    });
  });

  it.each([
    ['args that are not an array', { argsJson: '{}' }],
    ['kwargs that are not an object', { kwargsJson: '[1]' }],
    ['invalid JSON', { argsJson: '[1,' }],
    ['an empty task name', { taskName: '' }],
    ['eta and countdown together', { eta: '2026-01-01T00:00:00Z', countdown: 1 }],
    ['a malformed eta', { eta: 'tomorrow' }],
    ['a negative countdown', { countdown: -1 }],
    ['a priority above 255', { priority: 256 }],
    ['a queue name with spaces', { queue: 'a b' }],
  ])('rejects %s', (_label, overrides) => {
    expect(() => build(overrides as Partial<SendTaskRequest>)).toThrow(InvalidArgumentError);
  });
});
