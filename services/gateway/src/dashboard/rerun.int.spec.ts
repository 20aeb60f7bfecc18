import { randomUUID } from 'node:crypto';
import { createSecretBox } from '@celeriac/connection-secrets/secret-box';
import { stackServiceEnv } from '@celeriac/tests/harness/admin-cli';
import { startCollector, startGateway, startProjector } from '@celeriac/tests/harness/celeriac-services';
import { type CeleryWorker, startCeleryWorker } from '@celeriac/tests/harness/celery-worker';
import { createTestDatabase, createTestTopics, createTestVhost } from '@celeriac/tests/harness/isolation';
import type { ServiceProcess } from '@celeriac/tests/harness/service-process';
import { waitFor } from '@celeriac/tests/harness/wait-for';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertKey, TEST_SECRET_KEY } from '../testing/gateway-fixture';

// Re-run and revoke from a dashboard session on the real stack: collector, projector and gateway as
// deployed, and a real Celery worker that consumes only the queue the original task was sent to.
const QUEUE = 'rerun-only';
let url: string;
let pool: pg.Pool;
let connectionId: string;
let worker: CeleryWorker | undefined;
const processes: ServiceProcess[] = [];
const cleanups: Array<() => Promise<void>> = [];

beforeAll(async () => {
  const [db, topics, vhost] = await Promise.all([
    createTestDatabase(),
    createTestTopics(['events', 'deadletter']),
    createTestVhost(),
  ]);
  cleanups.push(db.drop, topics.remove, vhost.remove);
  pool = new pg.Pool({ connectionString: db.url, max: 3 });
  pool.on('error', () => {});
  const env = stackServiceEnv({ databaseUrl: db.url, topics: topics.topics, secretKey: TEST_SECRET_KEY });
  const { rows } = await pool.query<{ connection_id: string }>(
    'INSERT INTO celeriac.connections (name, broker_url_encrypted) VALUES ($1, $2) RETURNING connection_id',
    ['rerun', createSecretBox(TEST_SECRET_KEY).seal(vhost.url)],
  );
  connectionId = rows[0]?.connection_id as string;
  processes.push(await startCollector(env), await startProjector(env));
  const gateway = await startGateway(env);
  processes.push(gateway);
  url = gateway.url;
  await waitFor(
    'the collector to hold the lease',
    async () =>
      (await pool.query('SELECT 1 FROM celeriac.connection_leases WHERE expires_at > now()')).rowCount === 1,
    { timeoutMs: 60_000 },
  );
  worker = await startCeleryWorker({ brokerUrl: vhost.url, name: 'rerun', concurrency: 1, queues: [QUEUE] });
}, 300_000);

afterAll(async () => {
  await worker?.kill();
  await Promise.allSettled(processes.map((service) => service.kill()));
  await pool?.end();
  await Promise.allSettled(cleanups.map((cleanup) => cleanup()));
});

async function session(role: 'viewer' | 'operator') {
  const key = await insertKey(pool, role, [connectionId]);
  const reply = await fetch(`${url}/api/v1/session`, { method: 'POST', body: JSON.stringify({ key }) });
  const { csrfToken } = (await reply.json()) as { csrfToken: string };
  const cookie = (reply.headers.get('set-cookie') ?? '').split(';')[0] as string;
  // biome-ignore lint/suspicious/noExplicitAny: replies are probed field by field
  return async (method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> => {
    const response = await fetch(`${url}${path}`, {
      method,
      headers: { cookie, 'x-csrf-token': csrfToken },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, json: text ? JSON.parse(text) : undefined };
  };
}

const stateOf = async (call: Awaited<ReturnType<typeof session>>, id: string, state: string) =>
  (await call('GET', `/api/v1/tasks/${id}`)).json?.state === state;

describe('re-run and revoke from the dashboard', () => {
  it('re-runs a failed task with the same name, arguments and queue; the worker runs it again', async () => {
    const operator = await session('operator');
    const original = randomUUID();
    const marker = `kaboom-${randomUUID()}`;
    const sent = await operator('POST', '/api/task/send-task/tasks.error', {
      task_id: original,
      kwargs: { msg: marker },
      queue: QUEUE,
    });
    expect(sent.status).toBe(200);
    await waitFor('the original to fail', () => stateOf(operator, original, 'FAILURE'), {
      timeoutMs: 60_000,
    });

    const rerun = await operator('POST', `/api/v1/tasks/${original}/rerun`);
    expect(rerun.status).toBe(202);
    expect(rerun.json.rerunOf).toBe(original);
    const copy = rerun.json.taskId as string;
    expect(copy).not.toBe(original);
    await waitFor('the re-run to fail the same way', () => stateOf(operator, copy, 'FAILURE'), {
      timeoutMs: 60_000,
    });
    const task = (await operator('GET', `/api/v1/tasks/${copy}`)).json;
    expect(task).toMatchObject({ name: 'tasks.error', kwargs: `{'msg': '${marker}'}`, rerunOf: original });
    expect(task.worker).toBe(worker?.nodeName);
    expect(task.exception).toContain(marker);
    expect((await operator('GET', `/api/v1/tasks/${original}`)).json.rerunOf).toBeNull();
    const actions = (await operator('GET', `/api/v1/tasks/${original}/actions`)).json.items;
    expect(actions).toEqual([
      { action: 'rerun', keyName: 'test-operator', at: expect.any(String), newTaskId: copy },
    ]);
  });

  it('refuses to re-run a running task (409), and records a terminate sent through the Flower route', async () => {
    const operator = await session('operator');
    const running = randomUUID();
    await operator('POST', '/api/task/send-task/tasks.sleep', { task_id: running, args: [60], queue: QUEUE });
    await waitFor('the task to start', () => stateOf(operator, running, 'STARTED'), { timeoutMs: 60_000 });
    const refused = await operator('POST', `/api/v1/tasks/${running}/rerun`);
    expect(refused.status).toBe(409);
    expect(refused.json.error).toMatch(/is STARTED: only a finished task can be re-run/);

    const terminated = await operator('POST', `/api/task/revoke/${running}?terminate=true&signal=SIGKILL`);
    expect(terminated.status).toBe(200);
    await waitFor('the task to be revoked', () => stateOf(operator, running, 'REVOKED'), {
      timeoutMs: 60_000,
    });
    const actions = (await operator('GET', `/api/v1/tasks/${running}/actions`)).json.items;
    expect(actions).toEqual([
      { action: 'terminate', keyName: 'test-operator', at: expect.any(String), newTaskId: null },
    ]);
  });

  it('a viewer session gets 403 on re-run and revoke, and nothing is sent or recorded', async () => {
    const operator = await session('operator');
    const viewer = await session('viewer');
    const done = randomUUID();
    await operator('POST', '/api/task/send-task/tasks.add', { task_id: done, args: [2, 3], queue: QUEUE });
    await waitFor('the task to succeed', () => stateOf(operator, done, 'SUCCESS'), { timeoutMs: 60_000 });
    expect((await viewer('POST', `/api/v1/tasks/${done}/rerun`)).status).toBe(403);
    expect((await viewer('POST', `/api/task/revoke/${done}`)).status).toBe(403);
    expect((await viewer('GET', `/api/v1/tasks/${done}/actions`)).json.items).toEqual([]);
  });
});
