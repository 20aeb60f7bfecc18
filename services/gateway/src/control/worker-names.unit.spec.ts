import { silentLogger } from '@celeriac/service-runtime/logger';
import { afterEach, describe, expect, it } from 'vitest';
import type { ControlGateway, NodeReplyValue } from './control-gateway';
import { createInspector } from './inspector';

const PROTOTYPE_NAMES = ['__proto__', 'constructor', 'hasOwnProperty', 'toString'];

/** Inspect replies from workers that call themselves by Object.prototype's member names. */
function controlReplying(nodes: string[]): ControlGateway {
  return {
    async inspect(_connectionId, method) {
      return nodes.map(
        (node): NodeReplyValue => ({
          node,
          reply: method === 'stats' ? { pid: node.length, polluted: 'yes' } : [],
        }),
      );
    },
    broadcast: async () => [],
    sendTask: async () => 'id',
    close() {},
  };
}

describe('inspect replies keyed by worker names', () => {
  afterEach(() => {
    // Never leave a polluted prototype behind for other tests, whatever happened.
    for (const name of ['stats', 'timestamp', 'polluted', 'registered'])
      delete (Object.prototype as Record<string, unknown>)[name];
  });

  it('folds workers named like Object.prototype members as ordinary workers', async () => {
    const inspector = createInspector({
      control: controlReplying([...PROTOTYPE_NAMES, 'w1@h']),
      logger: silentLogger,
      now: () => 7_000,
    });
    const info = await inspector.refresh('c1');
    const clean = {} as Record<string, unknown>;
    expect(clean.stats).toBeUndefined();
    expect(clean.timestamp).toBeUndefined();
    expect(Object.keys(Object.prototype)).toEqual([]);
    expect([...info.keys()]).toEqual([...PROTOTYPE_NAMES, 'w1@h']);
    expect(info.get('__proto__')?.stats).toEqual({ pid: 9, polluted: 'yes' });
    expect(info.get('constructor')?.timestamp).toBe(7);
  });

  it('serializes such names as fields of the JSON answer', async () => {
    const inspector = createInspector({
      control: controlReplying(['__proto__']),
      logger: silentLogger,
      now: () => 0,
    });
    const json = JSON.parse(JSON.stringify(Object.fromEntries(await inspector.refresh('c1'))));
    expect(Object.hasOwn(json, '__proto__')).toBe(true);
    expect(Object.getOwnPropertyDescriptor(json, '__proto__')?.value.stats).toEqual({
      pid: 9,
      polluted: 'yes',
    });
  });
});
