import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { insertConnection, insertKey, startTestGateway, type TestGateway } from '../testing/gateway-fixture';
import { insertWorker } from '../testing/read-model-rows';

// Worker names and inspect snapshots are whatever workers report. Names that are Object.prototype
// members must read as ordinary workers on every route, and no password a worker reported may reach
// a reader. The gateway runs in this process, so a polluted prototype would show here too.
let gw: TestGateway;
const keys: Record<string, string> = {};
const NAMES = ['__proto__', 'constructor', 'hasOwnProperty', 'alpha@w1'];

/** A Celery 5.5 stats reply for a failover broker URL, plus a conf that names the broker with its password. */
const snapshot = (name: string) => ({
  stats: {
    pid: name.length,
    broker: {
      hostname: 'rabbit',
      userid: 'celery',
      alternates: ['amqp://celery:hunter2@rabbit:5672//', 'amqp://celery:hunter2@rabbit2:5672//'],
    },
  },
  conf: { broker_url: 'amqp://celery:hunter3@rabbit:5672//', result_backend: 'redis://:hunter4@cache/0' },
  active: [],
  registered: ['tasks.add'],
});

beforeAll(async () => {
  gw = await startTestGateway();
  const connection = await insertConnection(gw.pool, 'names');
  for (const name of NAMES) await insertWorker(gw.pool, connection, name, snapshot(name));
  keys.viewer = await insertKey(gw.pool, 'viewer', [connection]);
  keys.support = await insertKey(gw.pool, 'support', [connection]);
});
afterAll(async () => {
  await gw?.close();
});
afterEach(() => {
  expect(Object.keys(Object.prototype)).toEqual([]);
  expect(({} as Record<string, unknown>).stats).toBeUndefined();
});

describe('workers named like Object.prototype members', () => {
  it('are listed by /api/workers, each with its own stats', async () => {
    const reply = await gw.request('GET', '/api/workers', { key: keys.viewer });
    expect(reply.status).toBe(200);
    expect(Object.keys(reply.json).sort()).toEqual([...NAMES].sort());
    for (const name of NAMES) {
      expect(Object.getOwnPropertyDescriptor(reply.json, name)?.value.stats.pid).toBe(name.length);
    }
    const status = await gw.request('GET', '/api/workers?status=1', { key: keys.viewer });
    expect(Object.keys(status.json).sort()).toEqual([...NAMES].sort());
  });

  it.each(NAMES)('/api/workers?workername=%s answers that worker alone', async (name) => {
    const reply = await gw.request('GET', `/api/workers?workername=${encodeURIComponent(name)}`, {
      key: keys.viewer,
    });
    expect(reply.status).toBe(200);
    expect(Object.keys(reply.json)).toEqual([name]);
  });

  it('are items of /api/v1/workers and sections of celery-stats', async () => {
    const v1 = await gw.request('GET', '/api/v1/workers', { key: keys.viewer });
    expect(v1.json.items.map((item: { hostname: string }) => item.hostname).sort()).toEqual(
      [...NAMES].sort(),
    );
    const stats = await gw.request('GET', '/api/celery-stats/', { key: keys.support });
    expect(stats.status).toBe(200);
    for (const section of ['active', 'stats'])
      expect(Object.keys(stats.json[section]).sort()).toEqual([...NAMES].sort());
    expect(Object.getOwnPropertyDescriptor(stats.json.stats, '__proto__')?.value.pid).toBe(9);
  });
});

describe('credentials workers report', () => {
  it.each([
    ['viewer', '/api/workers'],
    ['viewer', '/api/workers?workername=alpha%40w1'],
    ['viewer', '/api/v1/workers'],
    ['support', '/api/celery-stats/'],
  ])('never reach a %s reading %s', async (role, path) => {
    const reply = await gw.request('GET', path, { key: keys[role] });
    expect(reply.status).toBe(200);
    expect(reply.text).not.toMatch(/hunter/);
    // What is not secret stays readable.
    expect(reply.text).toContain('"userid":"celery"');
    if (!path.includes('celery-stats')) expect(reply.text).toContain('amqp://celery:***@rabbit:5672//');
  });
});
