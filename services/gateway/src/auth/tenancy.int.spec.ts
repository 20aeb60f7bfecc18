import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertConnection, insertKey, startTestGateway, type TestGateway } from '../testing/gateway-fixture';
import { seedConnection } from '../testing/read-model-rows';

// Two tenants on one gateway: every endpoint is checked for leaks across them, and a connection outside
// a key's set answers exactly like one that does not exist.
let gw: TestGateway;
let alpha: string;
let beta: string;
const keys: Record<string, string> = {};

beforeAll(async () => {
  gw = await startTestGateway();
  alpha = await insertConnection(gw.pool, 'alpha');
  beta = await insertConnection(gw.pool, 'beta');
  await seedConnection(gw.pool, alpha, 'alpha');
  await seedConnection(gw.pool, beta, 'beta');
  keys.alphaViewer = await insertKey(gw.pool, 'viewer', [alpha]);
  keys.alphaOperator = await insertKey(gw.pool, 'operator', [alpha]);
  keys.alphaSupport = await insertKey(gw.pool, 'support', [alpha]);
  keys.betaOperator = await insertKey(gw.pool, 'operator', [beta]);
  keys.both = await insertKey(gw.pool, 'viewer', [alpha, beta]);
  keys.admin = await insertKey(gw.pool, 'admin', 'all');
});
afterAll(async () => {
  await gw?.close();
});

/** Every endpoint, aimed at the other tenant's names where it takes one. */
const ENDPOINTS: Array<[string, string]> = [
  ['GET', '/api/workers'],
  ['GET', '/api/workers?status=1'],
  ['GET', '/api/workers?workername=beta@w1'],
  ['GET', '/api/tasks'],
  ['GET', '/api/tasks?search=beta'],
  ['GET', '/api/tasks?workername=beta@w1'],
  ['GET', '/api/task/types'],
  ['GET', '/api/queues/length'],
  ['GET', '/api/task/info/beta-t1'],
  ['GET', '/api/task/result/beta-t1'],
  ['GET', '/api/celery-stats/'],
  ['GET', '/api/v1/tasks'],
  ['GET', '/api/v1/tasks/beta-t1'],
  ['GET', '/api/v1/tasks/beta-t1/events'],
  ['GET', '/api/v1/workers'],
  ['GET', '/api/v1/queues'],
  ['POST', '/api/worker/shutdown/beta@w1'],
  ['POST', '/api/worker/pool/restart/beta@w1'],
  ['POST', '/api/worker/pool/grow/beta@w1'],
  ['POST', '/api/worker/pool/shrink/beta@w1'],
  ['POST', '/api/worker/pool/autoscale/beta@w1?min=1&max=2'],
  ['POST', '/api/worker/queue/add-consumer/beta@w1?queue=q'],
  ['POST', '/api/worker/queue/cancel-consumer/beta@w1?queue=q'],
  ['POST', '/api/task/timeout/beta.add?workername=beta@w1&hard=1'],
  ['POST', '/api/task/rate-limit/beta.add?workername=beta@w1&ratelimit=1/s'],
  ['POST', '/api/task/apply/beta.add'],
  ['POST', '/api/task/async-apply/beta.add'],
];

describe('tenant isolation', () => {
  it.each(ENDPOINTS)("%s %s with alpha's key answers as if beta did not exist", async (method, path) => {
    const key = path.startsWith('/api/celery-stats') ? keys.alphaSupport : keys.alphaOperator;
    const reply = await gw.request(method, path, { key });
    // The same request about names that exist nowhere must get the same answer, word for word.
    const nowhere = await gw.request(method, path.replaceAll('beta', 'gamma'), { key });
    expect(reply.status).not.toBe(500);
    expect(reply.status).toBe(nowhere.status);
    expect(reply.text.replaceAll('beta', 'gamma')).toBe(nowhere.text);
    if (!path.includes('beta')) expect(reply.text).not.toMatch(/beta/i);
  });

  it.each(ENDPOINTS)("%s %s naming beta's connection answers like a missing one", async (method, path) => {
    const key = path.startsWith('/api/celery-stats') ? keys.alphaSupport : keys.alphaOperator;
    const join = path.includes('?') ? '&' : '?';
    const other = await gw.request(method, `${path}${join}connectionId=${beta}`, { key });
    const missing = await gw.request(
      method,
      `${path}${join}connectionId=7d0b5a38-0000-4000-8000-000000000000`,
      { key },
    );
    expect(other.status).toBe(404);
    expect(other.text).toBe(missing.text);
    const viaHeader = await gw.request(method, path, { key, headers: { 'x-celeriac-connection': beta } });
    expect(viaHeader.status).toBe(404);
    expect(viaHeader.text).toBe(missing.text);
  });

  it("beta's own key sees beta and not alpha", async () => {
    const reply = await gw.request('GET', '/api/tasks', { key: keys.betaOperator });
    expect(Object.keys(reply.json).sort()).toEqual(['beta-t1', 'beta-t2', 'beta-t3', 'beta-t4']);
  });

  it('a key with several connections must choose one, by query or header', async () => {
    const unchosen = await gw.request('GET', '/api/tasks', { key: keys.both });
    expect(unchosen.status).toBe(400);
    expect(unchosen.json.error).toMatch(/connectionId/);
    const byQuery = await gw.request('GET', `/api/tasks?connectionId=${beta}`, { key: keys.both });
    expect(Object.keys(byQuery.json)).toContain('beta-t1');
    const byHeader = await gw.request('GET', '/api/tasks', {
      key: keys.both,
      headers: { 'x-celeriac-connection': alpha },
    });
    expect(Object.keys(byHeader.json)).toContain('alpha-t1');
  });
});

describe('authentication and roles', () => {
  it('answers 401 JSON without a key or with an unknown one', async () => {
    const variants: Array<Record<string, string>> = [
      {},
      { authorization: 'Bearer clk_nope' },
      { authorization: 'Basic Zm9vOmJhcg==' },
    ];
    for (const headers of variants) {
      const reply = await gw.request('GET', '/api/tasks', { headers });
      expect(reply.status).toBe(401);
      expect(reply.json.error).toMatch(/API key/);
    }
  });

  it("accepts Bearer, Waldur's Token and ?token=", async () => {
    const key = keys.alphaViewer as string;
    expect(
      (await gw.request('GET', '/api/tasks', { headers: { authorization: `Token ${key}` } })).status,
    ).toBe(200);
    expect((await gw.request('GET', `/api/tasks?token=${key}`)).status).toBe(200);
    expect((await gw.request('GET', '/api/tasks', { key })).status).toBe(200);
  });

  it.each([
    ['alphaViewer', 'POST', '/api/task/revoke/alpha-t1', 403],
    ['alphaViewer', 'POST', '/api/worker/shutdown/alpha@w1', 403],
    ['alphaViewer', 'POST', '/api/task/send-task/alpha.add', 403],
    ['alphaViewer', 'GET', '/api/celery-stats/', 403],
    ['alphaOperator', 'GET', '/api/celery-stats/', 403],
    ['alphaSupport', 'GET', '/api/celery-stats/', 200],
    ['alphaSupport', 'POST', '/api/task/revoke/alpha-t1', 403],
    ['alphaOperator', 'GET', '/api/v1/keys', 403],
    ['alphaSupport', 'GET', '/api/v1/connections', 403],
    ['admin', 'GET', '/api/v1/keys', 200],
  ])('%s: %s %s -> %i', async (who, method, path, status) => {
    const reply = await gw.request(method, path, { key: keys[who] });
    expect(reply.status).toBe(status);
  });

  it("celery-stats has Waldur's shape keyed by live workers", async () => {
    // A seeded worker is alive for 2 x freq (4 s) after its heartbeat; on a loaded machine the tests
    // before this one can take longer, so the heartbeat is renewed here as a live worker's would be.
    await gw.pool.query("UPDATE celeriac.workers SET last_heartbeat_at = now() WHERE hostname = 'alpha@w1'");
    const reply = await gw.request('GET', '/api/celery-stats/', { key: keys.alphaSupport });
    expect(Object.keys(reply.json)).toEqual([
      'active',
      'scheduled',
      'reserved',
      'revoked',
      'query_task',
      'stats',
    ]);
    expect(Object.keys(reply.json.active)).toEqual(['alpha@w1']);
    expect(reply.json.stats['alpha@w1']).toMatchObject({ pid: 100 });
    expect(reply.json.query_task).toBeNull();
  });

  it('a revoked key stops working', async () => {
    const key = await insertKey(gw.pool, 'viewer', [alpha]);
    expect((await gw.request('GET', '/api/tasks', { key })).status).toBe(200);
    await gw.pool.query(
      'UPDATE celeriac.api_keys SET revoked_at = now() WHERE revoked_at IS NULL AND key_hash = sha256($1::bytea)',
      [Buffer.from(key)],
    );
    expect((await gw.request('GET', '/api/tasks', { key })).status).toBe(401);
  });
});

describe('running without auth (explicit opt-in)', () => {
  let open: TestGateway;
  beforeAll(async () => {
    open = await startTestGateway({ authDisabled: true });
    await seedConnection(open.pool, await insertConnection(open.pool, 'solo'), 'solo');
  });
  afterAll(async () => {
    await open?.close();
  });

  it('serves Flower clients without a key when there is one connection', async () => {
    const reply = await open.request('GET', '/api/tasks?limit=1');
    expect(reply.status).toBe(200);
    expect(Object.keys(reply.json)).toEqual(['solo-t4']);
  });
});
