import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertConnection, insertKey, startTestGateway, type TestGateway } from '../testing/gateway-fixture';
import { createOpenApiValidator } from '../testing/openapi-validator';
import { insertQueue, insertTask, seedConnection } from '../testing/read-model-rows';

// The OpenAPI document the gateway serves is checked against the gateway's real responses.
let gw: TestGateway;
let admin: string;
let connectionId: string;
let document: { paths: Record<string, Record<string, { responses: Record<string, unknown> }>> };
let validator: ReturnType<typeof createOpenApiValidator>;

beforeAll(async () => {
  gw = await startTestGateway();
  connectionId = await insertConnection(gw.pool, 'alpha');
  await seedConnection(gw.pool, connectionId, 'alpha');
  admin = await insertKey(gw.pool, 'admin', 'all');
  // Recent finished tasks and a queue sample, so every table of the overview has rows to check.
  const now = Date.now() / 1000;
  const recent = { name: 'alpha.add', worker: 'alpha@w1', args: '(1,)', kwargs: '{}' };
  await insertTask(gw.pool, connectionId, {
    ...recent,
    uuid: 'recent-ok',
    state: 'SUCCESS',
    timestamp: now - 60,
    runtime: 0.5,
    retried: now - 90,
    root_id: 'alpha-t1',
  });
  await insertTask(gw.pool, connectionId, {
    ...recent,
    uuid: 'recent-failed',
    state: 'FAILURE',
    timestamp: now - 30,
    exception: "KeyError('x')",
  });
  await insertQueue(gw.pool, connectionId, 'celery', 3, 1);
  await gw.pool.query(
    `INSERT INTO celeriac.queue_samples (connection_id, name, sampled_at, messages, consumers)
     VALUES ($1, 'celery', now() - interval '2 minutes', 5, 1)`,
    [connectionId],
  );
  const served = await gw.request('GET', '/api/openapi.json');
  expect(served.status).toBe(200);
  document = served.json;
  validator = createOpenApiValidator(served.json);
});
afterAll(async () => {
  await gw?.close();
});

function expectConforms(template: string, method: string, status: number, body: unknown) {
  expect(validator.problem(template, method, status, body), `${method} ${template} ${status}`).toBeNull();
}

const q = () => `connectionId=${connectionId}`;
const CALLS: Array<[template: string, method: string, path: string, status: number]> = [
  ['/api/workers', 'get', '/api/workers', 200],
  ['/api/workers', 'get', '/api/workers?status=1', 200],
  ['/api/workers', 'get', '/api/workers?workername=ghost', 404],
  ['/api/tasks', 'get', '/api/tasks', 200],
  ['/api/tasks', 'get', '/api/tasks?sort_by=bad', 400],
  ['/api/task/types', 'get', '/api/task/types', 200],
  ['/api/queues/length', 'get', '/api/queues/length', 200],
  ['/api/task/info/{taskid}', 'get', '/api/task/info/alpha-t1', 200],
  ['/api/task/info/{taskid}', 'get', '/api/task/info/ghost', 404],
  ['/api/task/result/{taskid}', 'get', '/api/task/result/alpha-t2', 200],
  ['/api/task/result/{taskid}', 'get', '/api/task/result/alpha-t3', 200],
  ['/api/task/abort/{taskid}', 'post', '/api/task/abort/alpha-t3', 503],
  ['/api/task/revoke/{taskid}', 'post', '/api/task/revoke/alpha-t3', 503],
  ['/api/worker/pool/grow/{worker}', 'post', '/api/worker/pool/grow/ghost', 404],
  ['/api/celery-stats/', 'get', '/api/celery-stats/', 200],
  ['/api/v1/tasks', 'get', '/api/v1/tasks?limit=2', 200],
  ['/api/v1/tasks', 'get', '/api/v1/tasks?cursor=zzz', 400],
  ['/api/v1/tasks/{taskId}', 'get', '/api/v1/tasks/alpha-t1', 200],
  ['/api/v1/tasks/{taskId}/events', 'get', '/api/v1/tasks/alpha-t1/events', 200],
  ['/api/v1/workers', 'get', '/api/v1/workers', 200],
  ['/api/v1/queues', 'get', '/api/v1/queues', 200],
  ['/api/v1/connections', 'get', '/api/v1/connections', 200],
  ['/api/v1/keys', 'get', '/api/v1/keys', 200],
  ['/api/v1/session', 'get', '/api/v1/session', 200],
  ['/api/v1/overview', 'get', '/api/v1/overview?range=15m', 200],
  ['/api/v1/overview', 'get', '/api/v1/overview?range=2h', 400],
  ['/api/v1/queues/history', 'get', '/api/v1/queues/history?range=15m', 200],
  ['/api/v1/tasks/{taskId}/workflow', 'get', '/api/v1/tasks/alpha-t1/workflow', 200],
  ['/api/v1/tasks/{taskId}/workflow', 'get', '/api/v1/tasks/ghost/workflow', 404],
  ['/api/v1/tasks/{taskId}/actions', 'get', '/api/v1/tasks/alpha-t3/actions', 200],
  ['/api/v1/tasks/{taskId}/rerun', 'post', '/api/v1/tasks/alpha-t3/rerun', 409],
  ['/api/v1/tasks/{taskId}/rerun', 'post', '/api/v1/tasks/alpha-t1/rerun', 503],
];

describe('OpenAPI 3.1 document', () => {
  it('is a 3.1 document with every Flower endpoint', () => {
    expect((document as unknown as { openapi: string }).openapi).toBe('3.1.0');
    for (const path of [
      '/api/workers',
      '/api/tasks',
      '/api/task/apply/{taskname}',
      '/api/task/revoke/{taskid}',
      '/api/queues/length',
    ]) {
      expect(document.paths[path]).toBeDefined();
    }
  });

  it('really validates: a wrong shape is refused', () => {
    expect(validator.ajv.validate({ $ref: 'openapi.json#/components/schemas/Task' }, { uuid: 1 })).toBe(
      false,
    );
    expect(
      validator.ajv.validate({ $ref: 'openapi.json#/components/schemas/Error' }, { error: 'x', extra: 1 }),
    ).toBe(false);
  });

  it.each(CALLS)('%s %s (%s) answers %i as documented', async (template, method, path, status) => {
    const reply = await gw.request(method.toUpperCase(), `${path}${path.includes('?') ? '&' : '?'}${q()}`, {
      key: admin,
    });
    expect(reply.status).toBe(status);
    expectConforms(template, method, status, reply.json);
  });

  it("documents a connection's event gaps as they answer", async () => {
    await gw.pool.query(
      `INSERT INTO celeriac.event_gaps (connection_id, cause, collector_id, ended_at, dropped_messages, dropped_bytes)
       VALUES ($1, 'buffer-full', 'c1', now(), 12, 3400), ($1, 'disconnected', 'c1', NULL, NULL, NULL)`,
      [connectionId],
    );
    const template = '/api/v1/connections/{connectionId}/gaps';
    const reply = await gw.request('GET', `/api/v1/connections/${connectionId}/gaps`, { key: admin });
    expect(reply.status).toBe(200);
    expectConforms(template, 'get', 200, reply.json);
    const items = (reply.json as { items: Array<{ cause: string; droppedMessages: number | null }> }).items;
    expect(items.map((gap) => [gap.cause, gap.droppedMessages])).toEqual([
      ['disconnected', null],
      ['buffer-full', 12],
    ]);
    const bad = await gw.request('GET', `/api/v1/connections/${connectionId}/gaps?before=0`, { key: admin });
    expect(bad.status).toBe(400);
    expectConforms(template, 'get', 400, bad.json);
    const ghost = await gw.request('GET', `/api/v1/connections/${randomUUID()}/gaps`, { key: admin });
    expect(ghost.status).toBe(404);
    expectConforms(template, 'get', 404, ghost.json);
  });

  it('documents the admin writes as they answer', async () => {
    const created = await gw.request('POST', '/api/v1/keys', {
      key: admin,
      body: JSON.stringify({ name: 'docs', role: 'viewer', connectionIds: [connectionId] }),
      headers: { 'content-type': 'application/json' },
    });
    expect(created.status).toBe(201);
    expectConforms('/api/v1/keys', 'post', 201, created.json);
    const connection = await gw.request('POST', '/api/v1/connections', {
      key: admin,
      body: JSON.stringify({ name: 'docs-conn', brokerUrl: 'amqp://u:p@127.0.0.1:5672/v' }),
      headers: { 'content-type': 'application/json' },
    });
    expect(connection.status).toBe(201);
    expectConforms('/api/v1/connections', 'post', 201, connection.json);
    const signIn = (key: string) =>
      gw.request('POST', '/api/v1/session', {
        body: JSON.stringify({ key }),
        headers: { 'content-type': 'application/json' },
      });
    const signedIn = await signIn(admin);
    expect(signedIn.status).toBe(200);
    expectConforms('/api/v1/session', 'post', 200, signedIn.json);
    expectConforms('/api/v1/session', 'post', 401, (await signIn('clk_unknown')).json);
    const unauthenticated = await gw.request('GET', '/api/tasks');
    expectConforms('/api/tasks', 'get', 401, unauthenticated.json);
  });
});
