import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertConnection, insertKey, startTestGateway, type TestGateway } from '../testing/gateway-fixture';
import { insertQueue, insertTask, insertWorker } from '../testing/read-model-rows';

// The dashboard's data endpoints over real PostgreSQL rows, written as the projector would.
let gw: TestGateway;
let a: string;
let b: string;
let keyA: string;
let keyAll: string;
const now = Math.floor(Date.now() / 1000);

beforeAll(async () => {
  gw = await startTestGateway();
  [a, b] = [await insertConnection(gw.pool, 'a'), await insertConnection(gw.pool, 'b')];
  keyA = await insertKey(gw.pool, 'viewer', [a]);
  keyAll = await insertKey(gw.pool, 'admin', 'all');
  const task = (uuid: string, fields: Record<string, unknown>) =>
    insertTask(gw.pool, a, { uuid, name: 'tasks.add', worker: 'a@w1', ...fields });
  // Within the last 15 minutes: 3 successes of tasks.add (runtimes 1, 2, 9), one of tasks.slow (30 s),
  // 2 failures of tasks.error, 1 retry; an hour ago one more success, outside a 15m range.
  await task('ok-1', { state: 'SUCCESS', timestamp: now - 100, runtime: 1 });
  await task('ok-2', { state: 'SUCCESS', timestamp: now - 100, runtime: 2 });
  await task('ok-3', { state: 'SUCCESS', timestamp: now - 400, runtime: 9, retried: now - 450 });
  await task('slow', { name: 'tasks.slow', state: 'SUCCESS', timestamp: now - 200, runtime: 30 });
  await task('bad-1', {
    name: 'tasks.error',
    state: 'FAILURE',
    timestamp: now - 50,
    exception: "ValueError('x')",
  });
  await task('bad-2', {
    name: 'tasks.error',
    state: 'FAILURE',
    timestamp: now - 20,
    exception: "ValueError('x')",
  });
  await task('old', { state: 'SUCCESS', timestamp: now - 3_600, runtime: 100 });
  await insertWorker(gw.pool, a, 'a@w1', {}, true);
  await insertWorker(gw.pool, a, 'a@w2', {}, false);
  await insertQueue(gw.pool, a, 'celery', 7, 2);
  for (const [minutesAgo, messages] of [
    [10, 40],
    [9.9, 45],
    [2, 3],
  ] as const)
    await gw.pool.query(
      `INSERT INTO celeriac.queue_samples (connection_id, name, sampled_at, messages, consumers)
       VALUES ($1, 'celery', now() - make_interval(secs => $2), $3, 1)`,
      [a, minutesAgo * 60, messages],
    );
  // A workflow: root -> child-1 -> grandchild, and root -> child-2; another root elsewhere.
  await task('root', { state: 'SUCCESS', received: 1, timestamp: 1, root_id: 'root' });
  await task('child-1', { state: 'SUCCESS', received: 2, timestamp: 2, root_id: 'root', parent_id: 'root' });
  await task('child-2', { state: 'FAILURE', received: 3, timestamp: 3, root_id: 'root', parent_id: 'root' });
  await task('grandchild', {
    state: 'SUCCESS',
    received: 4,
    timestamp: 4,
    root_id: 'root',
    parent_id: 'child-1',
  });
  await task('other-root', { state: 'SUCCESS', received: 5, timestamp: 5 });
  await insertTask(gw.pool, b, { uuid: 'b-task', name: 'tasks.b', state: 'FAILURE', timestamp: now - 10 });
});

afterAll(async () => {
  await gw?.close();
});

const get = async (path: string, key = keyA) => gw.request('GET', path, { key });

describe('GET /api/v1/overview', () => {
  it('counts the range by bucket, with rates, slowest and failing names, exceptions, workers and queues', async () => {
    const { status, json } = await get(`/api/v1/overview?range=15m&connectionId=${a}`);
    expect(status).toBe(200);
    expect(json).toMatchObject({ range: '15m', bucketSeconds: 30 });
    expect(json.throughput).toHaveLength(30);
    expect(Date.parse(json.to) - Date.parse(json.from)).toBe(900_000);
    expect(json.totals).toEqual({ succeeded: 4, failed: 2, retried: 1 });
    expect(json.throughput.reduce((sum: number, p: { failed: number }) => sum + p.failed, 0)).toBe(2);
    // The two successes 100 s ago share one bucket.
    expect(Math.max(...json.throughput.map((p: { succeeded: number }) => p.succeeded))).toBe(2);
    expect(json.failureRate).toBeCloseTo(2 / 6);
    expect(json.workers).toEqual({ online: 1, offline: 1 });
    expect(json.slowest).toEqual([
      { name: 'tasks.slow', count: 1, p50Runtime: 30, p95Runtime: 30 },
      { name: 'tasks.add', count: 3, p50Runtime: 2, p95Runtime: expect.closeTo(8.3, 5) },
    ]);
    expect(json.mostFailing).toEqual([{ name: 'tasks.error', failed: 2, total: 2 }]);
    expect(json.topExceptions).toEqual([
      { exception: "ValueError('x')", count: 2, lastSeen: new Date((now - 20) * 1000).toISOString() },
    ]);
    expect(json.queues).toEqual([{ name: 'celery', messages: 7, consumers: 2 }]);
  });

  it('widens with the range and refuses an unknown one', async () => {
    const day = await get(`/api/v1/overview?range=24h&connectionId=${a}`);
    expect(day.json.totals.succeeded).toBe(5);
    expect(day.json.throughput).toHaveLength(96);
    const bad = await get(`/api/v1/overview?range=1y&connectionId=${a}`);
    expect(bad.status).toBe(400);
    expect(bad.json.error).toMatch(/'range' must be one of 15m, 1h, 6h, 24h, 7d, 30d/);
  });
});

describe('GET /api/v1/queues/history', () => {
  it('gives each bucket the last sample taken in it', async () => {
    const { status, json } = await get(`/api/v1/queues/history?range=15m&connectionId=${a}`);
    expect(status).toBe(200);
    expect(json.series).toHaveLength(1);
    expect(json.series[0].queue).toBe('celery');
    const messages = json.series[0].points.map((p: { messages: number }) => p.messages);
    // The samples 10 and 9.9 minutes ago may share a bucket (then only the later one shows).
    expect(messages.slice(-1)).toEqual([3]);
    expect([
      [40, 45, 3],
      [45, 3],
    ]).toContainEqual(messages);
  });
});

describe('GET /api/v1/tasks/:id/workflow', () => {
  it('lists every task of the root, from any member, and nothing else', async () => {
    for (const member of ['root', 'grandchild', 'child-2']) {
      const { status, json } = await get(`/api/v1/tasks/${member}/workflow?connectionId=${a}`);
      expect(status).toBe(200);
      expect(json.rootId).toBe('root');
      expect(json.truncated).toBe(false);
      expect(json.tasks.map((t: { uuid: string }) => t.uuid)).toEqual([
        'root',
        'child-1',
        'child-2',
        'grandchild',
      ]);
      expect(json.tasks[3]).toMatchObject({ parent: 'child-1', root: 'root' });
    }
    expect((await get(`/api/v1/tasks/other-root/workflow?connectionId=${a}`)).json.tasks).toHaveLength(1);
  });

  it('stops at 1000 tasks and says so', async () => {
    await gw.pool.query(
      `INSERT INTO celeriac.tasks (connection_id, uuid, name, state, root_id, received)
       SELECT $1, 'big-' || i, 'tasks.add', 'SUCCESS', 'big-0', i FROM generate_series(0, 1200) AS i`,
      [a],
    );
    const { json } = await get(`/api/v1/tasks/big-5/workflow?connectionId=${a}`);
    expect(json.truncated).toBe(true);
    expect(json.tasks).toHaveLength(1000);
  });
});

describe('tenancy of the dashboard endpoints', () => {
  it("a key for connection A gets 404 for B's data on every new endpoint", async () => {
    for (const path of [
      `/api/v1/overview?connectionId=${b}`,
      `/api/v1/queues/history?connectionId=${b}`,
      `/api/v1/tasks/b-task/workflow?connectionId=${b}`,
      `/api/v1/tasks/b-task/actions?connectionId=${b}`,
    ]) {
      const reply = await get(path);
      expect({ path, status: reply.status }).toEqual({ path, status: 404 });
      expect(reply.text).not.toContain('tasks.b');
    }
    // Its own connection does not hold B's task either.
    expect((await get(`/api/v1/tasks/b-task/workflow?connectionId=${a}`)).status).toBe(404);
    expect((await get(`/api/v1/tasks/b-task/actions?connectionId=${a}`)).status).toBe(404);
    const overview = await get(`/api/v1/overview?connectionId=${a}&range=15m`);
    expect(overview.json.mostFailing.map((row: { name: string }) => row.name)).not.toContain('tasks.b');
    // An all-connections key does see B.
    expect((await get(`/api/v1/tasks/b-task/workflow?connectionId=${b}`, keyAll)).status).toBe(200);
  });

  it("an operator key for A cannot re-run B's task", async () => {
    const operatorA = await insertKey(gw.pool, 'operator', [a]);
    for (const connection of [a, b]) {
      const reply = await gw.request('POST', `/api/v1/tasks/b-task/rerun?connectionId=${connection}`, {
        key: operatorA,
      });
      expect(reply.status).toBe(404);
    }
    const viewerRerun = await gw.request('POST', `/api/v1/tasks/ok-1/rerun?connectionId=${a}`, { key: keyA });
    expect(viewerRerun.status).toBe(403);
  });
});
