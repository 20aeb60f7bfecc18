import { describe, expect, it } from 'vitest';
import { BadRequestError } from '../errors';
import { parseTaskBody } from './task-message-options';

const NOW = Date.UTC(2026, 0, 1);

describe('apply/send-task bodies', () => {
  it('defaults an empty body to no args and no kwargs', () => {
    expect(parseTaskBody('', NOW)).toEqual({ argsJson: '[]', kwargsJson: '{}' });
  });

  it("normalizes Flower's options", () => {
    const options = parseTaskBody(
      JSON.stringify({
        args: [1, 2],
        kwargs: { a: 1 },
        eta: '2026-01-02 03:04:05.5',
        countdown: '3',
        expires: 60,
        queue: 'q',
        priority: 5,
        task_id: 'fixed',
      }),
      NOW,
    );
    expect(options).toEqual({
      argsJson: '[1,2]',
      kwargsJson: '{"a":1}',
      eta: '2026-01-02T03:04:05.500Z',
      countdown: 3,
      expires: '2026-01-01T00:01:00.000Z',
      queue: 'q',
      priority: 5,
      taskId: 'fixed',
    });
    expect(parseTaskBody('{"expires":"2026-01-01T10:00:00Z"}', NOW).expires).toBe('2026-01-01T10:00:00.000Z');
  });

  it.each([
    ['not json', 'not valid JSON'],
    ['[1]', 'JSON object'],
    ['{"args": {}}', 'args must be an array'],
    ['{"kwargs": []}', 'kwargs must be an object'],
    ['{"eta": "tomorrow"}', "Invalid option 'eta'"],
    ['{"eta": "2026-02-30 00:00:00.0"}', "Invalid option 'eta'"],
    ['{"countdown": "soon"}', "Invalid option 'countdown'"],
    ['{"priority": 300}', "Invalid option 'priority'"],
    ['{"link": "x"}', "Unsupported option 'link'"],
    ['{"countdown": -5}', "Invalid option 'countdown'"],
    ['{"time_limit": 1e300}', "Invalid option 'time_limit'"],
    [`{"countdown": "${'1'.repeat(100_000)}"}`, "Invalid option 'countdown'"],
    [`{"expires": "${'1'.repeat(50_000)}x"}`, "Invalid option 'expires'"],
    [`{"eta": "2026-01-01T00:00:00.${'1'.repeat(50_000)}"}`, "Invalid option 'eta'"],
    [`{"args": ${'['.repeat(100_000)}${']'.repeat(100_000)}}`, 'at most 64 levels'],
    [`{"args": ["${'x'.repeat(600_000)}"]}`, 'exceed 524288 bytes'],
    [`{"${'k'.repeat(10_000)}": 1}`, `Unsupported option '${'k'.repeat(64)}...'`],
  ])('refuses %s', (body, message) => {
    expect(() => parseTaskBody(body, NOW)).toThrow(BadRequestError);
    expect(() => parseTaskBody(body, NOW)).toThrow(message);
  });

  // Object.prototype's members must not count as options: `constructor` (Object) once returned its
  // argument, whose fields then overwrote the trusted connectionId of the published task.
  it.each(['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf', '__defineGetter__'])(
    'refuses a field named %s as an unsupported option',
    (name) => {
      const body = `{"${name}": {"connectionId": "7d0b5a38-0000-4000-8000-000000000000", "taskName": "x"}}`;
      expect(() => parseTaskBody(body, NOW)).toThrow(`Unsupported option '${name}'`);
      expect(({} as Record<string, unknown>).connectionId).toBeUndefined();
    },
  );

  it.each(['connectionId', 'taskName', 'connection_id'])('refuses a top-level %s field', (name) => {
    expect(() => parseTaskBody(`{"${name}": "other"}`, NOW)).toThrow(`Unsupported option '${name}'`);
  });

  it('keeps a __proto__ key inside kwargs as an ordinary keyword argument', () => {
    const options = parseTaskBody('{"kwargs": {"__proto__": {"polluted": 1}}}', NOW);
    expect(options.kwargsJson).toBe('{"__proto__":{"polluted":1}}');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
