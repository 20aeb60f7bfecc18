import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertConnection, insertKey, startTestGateway, type TestGateway } from '../testing/gateway-fixture';
import { seedConnection } from '../testing/read-model-rows';

// Flower's read endpoints answered from a real PostgreSQL read model (rows as the projector writes them).
let gw: TestGateway;
let key: string;
let connectionId: string;

beforeAll(async () => {
  gw = await startTestGateway();
  connectionId = await insertConnection(gw.pool, 'alpha');
  await seedConnection(gw.pool, connectionId, 'alpha');
  key = await insertKey(gw.pool, 'viewer', [connectionId]);
});
afterAll(async () => {
  await gw?.close();
});

const get = (path: string) => gw.request('GET', path, { key });

describe('GET /api/tasks', () => {
  it('lists newest first by last state change, keyed by uuid in that order, worker left out when unknown', async () => {
    const reply = await get('/api/tasks');
    expect(reply.status).toBe(200);
    expect(reply.headers.get('content-type')).toMatch(/application\/json/);
    expect(Object.keys(reply.json)).toEqual(['alpha-t4', 'alpha-t3', 'alpha-t2', 'alpha-t1']);
    expect('worker' in reply.json['alpha-t4']).toBe(false);
    expect(reply.json['alpha-t1']).toMatchObject({
      uuid: 'alpha-t1',
      name: 'alpha.add',
      state: 'SUCCESS',
      worker: 'alpha@w1',
      result: '3',
      root: null,
      children: [],
    });
  });

  it('answers each task exactly as /api/task/info does, keys in Celery order, minus a null worker', async () => {
    const listed = (await get('/api/tasks')).json;
    for (const id of ['alpha-t1', 'alpha-t2', 'alpha-t3', 'alpha-t4']) {
      const info = (await get(`/api/task/info/${id}`)).json;
      if (info.worker === null) delete info.worker;
      expect(JSON.stringify(listed[id])).toBe(JSON.stringify(info));
    }
  });

  it('sorts by name, state, received and started, with "-" for descending', async () => {
    expect(Object.keys((await get('/api/tasks?sort_by=received')).json)).toEqual([
      'alpha-t4',
      'alpha-t1',
      'alpha-t2',
      'alpha-t3',
    ]);
    expect(Object.keys((await get('/api/tasks?sort_by=-received')).json)).toEqual([
      'alpha-t3',
      'alpha-t2',
      'alpha-t1',
      'alpha-t4',
    ]);
    // Same names tie-break by received, newest first (the order of the name index).
    expect(Object.keys((await get('/api/tasks?sort_by=name')).json)).toEqual([
      'alpha-t3',
      'alpha-t1',
      'alpha-t2',
      'alpha-t4',
    ]);
    expect(Object.keys((await get('/api/tasks?sort_by=-state')).json)[0]).toBe('alpha-t1');
    expect(Object.keys((await get('/api/tasks?sort_by=started')).json)[0]).toBe('alpha-t4');
  });

  it('pages with limit and offset like Flower (negative offset is 0, limit 0 is empty)', async () => {
    expect(Object.keys((await get('/api/tasks?sort_by=name&limit=2&offset=1')).json)).toEqual([
      'alpha-t1',
      'alpha-t2',
    ]);
    expect(Object.keys((await get('/api/tasks?sort_by=name&limit=4&offset=-1')).json)).toHaveLength(4);
    expect((await get('/api/tasks?limit=0')).json).toEqual({});
    expect((await get('/api/tasks?limit=-5')).json).toEqual({});
  });

  it('filters by worker, task name, state (All = any) and received range', async () => {
    expect(Object.keys((await get('/api/tasks?workername=alpha@w2')).json)).toEqual(['alpha-t3']);
    expect(Object.keys((await get('/api/tasks?taskname=alpha.add&sort_by=received')).json)).toEqual([
      'alpha-t1',
      'alpha-t3',
    ]);
    expect(Object.keys((await get('/api/tasks?state=failure')).json)).toEqual(['alpha-t2']);
    expect(Object.keys((await get('/api/tasks?state=All&workername=All')).json)).toHaveLength(4);
    // 1700000000 is 2023-11-14 22:13:20 UTC; tasks without `received` are outside any range.
    const ranged = await get(
      `/api/tasks?received_start=${encodeURIComponent('2023-11-14 22:13')}&received_end=${encodeURIComponent('2023-11-14 22:14')}`,
    );
    expect(Object.keys(ranged.json).sort()).toEqual(['alpha-t1', 'alpha-t2', 'alpha-t3']);
    const none = await get(`/api/tasks?received_start=${encodeURIComponent('2023-11-14 22:14')}`);
    expect(none.json).toEqual({});
  });

  it('searches with the Flower 2.1 language and answers a bad query with 400 JSON', async () => {
    expect(Object.keys((await get('/api/tasks?search=alpha')).json)).toHaveLength(4);
    expect(Object.keys((await get('/api/tasks?search=alpha-t1')).json)).toEqual(['alpha-t1']);
    expect(
      Object.keys(
        (
          await get(
            `/api/tasks?search=${encodeURIComponent('name:alpha.err OR (state:success worker:alpha@w1)')}`,
          )
        ).json,
      ).sort(),
    ).toEqual(['alpha-t1', 'alpha-t2']);
    expect(Object.keys((await get(`/api/tasks?search=${encodeURIComponent('kwargs:x=1')}`)).json)).toEqual([
      'alpha-t1',
    ]);
    const bad = await get('/api/tasks?search=ab');
    expect(bad.status).toBe(400);
    expect(bad.json).toEqual({
      error: 'Substring search terms must contain at least 3 characters at position 0.',
    });
  });
});

describe('other Flower reads', () => {
  it('GET /api/task/types lists seen names sorted', async () => {
    expect((await get('/api/task/types')).json).toEqual({
      'task-types': ['alpha.add', 'alpha.error', 'alpha.sleep'],
    });
  });

  it('GET /api/task/info/<id> answers the task with worker null when unknown, 404 otherwise', async () => {
    const info = await get('/api/task/info/alpha-t4');
    expect(info.status).toBe(200);
    expect(info.json).toMatchObject({ uuid: 'alpha-t4', state: 'PENDING', worker: null });
    expect((await get('/api/task/info/nope')).status).toBe(404);
    expect((await get('/api/task/info/')).status).toBe(404);
  });

  it('GET /api/queues/length answers name, messages and consumers', async () => {
    expect((await get('/api/queues/length')).json).toEqual({
      active_queues: [{ name: 'alpha-queue', messages: 7, consumers: 2 }],
    });
  });

  it('GET /api/workers answers inspect info per worker; workername and status narrow it', async () => {
    const all = await get('/api/workers');
    expect(Object.keys(all.json)).toEqual(['alpha@w1', 'alpha@w2']);
    expect(all.json['alpha@w1']).toMatchObject({
      registered: ['alpha.add', 'alpha.error [rate_limit=10/m]'],
    });
    expect(typeof all.json['alpha@w1'].timestamp).toBe('number');
    expect(Object.keys((await get('/api/workers?workername=alpha@w2')).json)).toEqual(['alpha@w2']);
    expect((await get('/api/workers?status=1')).json).toEqual({ 'alpha@w1': true, 'alpha@w2': false });
    const unknown = await get('/api/workers?workername=ghost@x');
    expect(unknown.status).toBe(404);
    expect(unknown.json).toEqual({ error: "Unknown worker 'ghost@x'" });
  });

  it('GET /api/task/result/<id> answers from the read model and says so', async () => {
    expect((await get('/api/task/result/alpha-t1')).json).toMatchObject({
      'task-id': 'alpha-t1',
      state: 'SUCCESS',
      result: '3',
    });
    const failed = (await get('/api/task/result/alpha-t2?timeout=1')).json;
    expect(failed).toMatchObject({
      state: 'FAILURE',
      result: "ValueError('boom')",
      traceback: 'Traceback ...',
    });
    expect(failed.note).toMatch(/result backend/);
    expect((await get('/api/task/result/never-seen')).json).toMatchObject({
      'task-id': 'never-seen',
      state: 'PENDING',
    });
  });

  it('serves /healthcheck, /healthz, /readyz and /metrics without a key', async () => {
    expect((await gw.request('GET', '/healthcheck')).text).toBe('OK');
    expect((await gw.request('GET', '/healthz')).status).toBe(200);
    expect((await gw.request('GET', '/readyz')).status).toBe(200);
    expect((await gw.request('GET', '/metrics')).text).toContain(
      'celeriac_gateway_http_request_duration_seconds',
    );
  });
});

describe('/api/v1 reads', () => {
  it('pages tasks with a cursor until the end, with the same filters', async () => {
    const first = await get('/api/v1/tasks?limit=3');
    expect(first.json.items.map((task: { uuid: string }) => task.uuid)).toEqual([
      'alpha-t4',
      'alpha-t3',
      'alpha-t2',
    ]);
    const second = await get(`/api/v1/tasks?limit=3&cursor=${first.json.nextCursor}`);
    expect(second.json.items.map((task: { uuid: string }) => task.uuid)).toEqual(['alpha-t1']);
    expect(second.json.nextCursor).toBeNull();
    const failed = await get('/api/v1/tasks?state=FAILURE');
    expect(failed.json.items).toHaveLength(1);
  });

  it('answers one task, its event history in log order, workers and queues', async () => {
    expect((await get('/api/v1/tasks/alpha-t1')).json.uuid).toBe('alpha-t1');
    const events = await get('/api/v1/tasks/alpha-t1/events');
    expect(events.json.items.map((event: { type: string }) => event.type)).toEqual([
      'task-received',
      'task-succeeded',
    ]);
    expect((await get('/api/v1/tasks/alpha-t1/events?after=1')).json.items).toHaveLength(1);
    expect((await get('/api/v1/tasks/nope/events')).status).toBe(404);
    const workers = await get('/api/v1/workers');
    expect(
      workers.json.items.map((worker: { hostname: string; alive: boolean }) => [
        worker.hostname,
        worker.alive,
      ]),
    ).toEqual([
      ['alpha@w1', true],
      ['alpha@w2', false],
    ]);
    expect((await get('/api/v1/queues')).json.items[0]).toMatchObject({
      name: 'alpha-queue',
      messages: 7,
      consumers: 2,
    });
  });
});
