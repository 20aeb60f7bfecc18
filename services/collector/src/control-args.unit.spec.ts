import { describe, expect, it } from 'vitest';
import { validateBroadcast, validateInspect } from './control-args';
import { InvalidArgumentError } from './errors';

const broadcast = (
  command: string,
  args: unknown,
  extra: Partial<{ destination: string[]; timeoutSeconds: number }> = {},
) =>
  validateBroadcast({
    command,
    argumentsJson: JSON.stringify(args),
    destination: [],
    timeoutSeconds: 0,
    ...extra,
  });

describe('control argument validation', () => {
  it('passes documented arguments through and defaults the timeout to 1 s', () => {
    expect(broadcast('revoke', { task_id: ['a', 'b'], terminate: true, signal: 'SIGKILL' })).toEqual({
      method: 'revoke',
      arguments: { task_id: ['a', 'b'], terminate: true, signal: 'SIGKILL' },
      destination: [],
      timeoutMs: 1000,
    });
    expect(
      broadcast(
        'rate_limit',
        { task_name: 't', rate_limit: '10/m' },
        { destination: ['celery@a'], timeoutSeconds: 2.5 },
      ),
    ).toMatchObject({ destination: ['celery@a'], timeoutMs: 2500 });
    expect(
      validateInspect({
        method: 'query_task',
        argumentsJson: '{"ids":["x"]}',
        destination: [],
        timeoutSeconds: 0,
      }).arguments,
    ).toEqual({ ids: ['x'] });
    expect(broadcast('enable_events', {}).arguments).toEqual({});
  });

  it.each([
    ['an unknown command', 'rm_rf', {}],
    ['an extra key workers would reject', 'heartbeat', { now: true }],
    ['a string where an int is needed', 'pool_grow', { n: '2' }],
    ['a lowercase signal', 'revoke', { task_id: 'x', signal: 'sigterm' }],
    ['a bad rate string', 'rate_limit', { task_name: 't', rate_limit: 'fast' }],
    ['autoscale without max', 'autoscale', { min: 1 }],
    ['an inspect method used as a command', 'stats', {}],
  ])('rejects %s', (_label, command, args) => {
    expect(() => broadcast(command, args)).toThrow(InvalidArgumentError);
  });

  it('rejects bad JSON, empty destinations and out-of-range timeouts', () => {
    expect(() =>
      validateBroadcast({ command: 'ping', argumentsJson: '{', destination: [], timeoutSeconds: 0 }),
    ).toThrow(/not valid JSON/);
    expect(() => broadcast('ping', {}, { destination: [''] })).toThrow(InvalidArgumentError);
    expect(() => broadcast('ping', {}, { timeoutSeconds: 61 })).toThrow(InvalidArgumentError);
    expect(() =>
      validateInspect({ method: 'shutdown', argumentsJson: '{}', destination: [], timeoutSeconds: 0 }),
    ).toThrow(InvalidArgumentError);
  });
});
