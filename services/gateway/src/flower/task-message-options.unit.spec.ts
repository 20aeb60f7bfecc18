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
  ])('refuses %s', (body, message) => {
    expect(() => parseTaskBody(body, NOW)).toThrow(BadRequestError);
    expect(() => parseTaskBody(body, NOW)).toThrow(message);
  });
});
