import { createSecretBox } from '@celeriac/connection-secrets/secret-box';
import { stackServiceEnv } from '@celeriac/tests/harness/admin-cli';
import { startCollector, startProjector } from '@celeriac/tests/harness/celeriac-services';
import { type CeleryWorker, startCeleryWorker } from '@celeriac/tests/harness/celery-worker';
import { createTestDatabase, createTestTopics, createTestVhost } from '@celeriac/tests/harness/isolation';
import type { ServiceProcess } from '@celeriac/tests/harness/service-process';
import { waitFor } from '@celeriac/tests/harness/wait-for';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  insertKey,
  type Reply,
  startTestGateway,
  TEST_SECRET_KEY,
  type TestGateway,
} from '../testing/gateway-fixture';

// The whole command path on real components: gateway -> gRPC -> a real collector (child process, as
// deployed) -> RabbitMQ -> a real Celery 5.5 worker, with a real projector folding the events into
// PostgreSQL so reads see what the commands did.
let db: Awaited<ReturnType<typeof createTestDatabase>>;
let topics: Awaited<ReturnType<typeof createTestTopics>>;
let vhost: Awaited<ReturnType<typeof createTestVhost>>;
let collector: ServiceProcess | undefined;
let projector: ServiceProcess | undefined;
let worker: CeleryWorker | undefined;
let gw: TestGateway;
let key: string;
let W: string;

async function call(
  method: string,
  path: string,
  form?: Record<string, string>,
  body?: string,
): Promise<Reply> {
  return gw.request(method, path, { key, form, body });
}
const workerInfo = async () =>
  (await call('GET', `/api/workers?refresh=1&workername=${encodeURIComponent(W)}`)).json[W];

beforeAll(async () => {
  [db, topics, vhost] = await Promise.all([
    createTestDatabase(),
    createTestTopics(['events', 'deadletter']),
    createTestVhost(),
  ]);
  const env = stackServiceEnv({ databaseUrl: db.url, topics: topics.topics, secretKey: TEST_SECRET_KEY });
  gw = await startTestGateway({ databaseUrl: db.url, applyTimeoutSeconds: 60 });
  const options = { queueSampleIntervalMs: 500, inspectIntervalMs: 1_000 };
  const { rows } = await gw.pool.query<{ connection_id: string }>(
    'INSERT INTO celeriac.connections (name, broker_url_encrypted, options) VALUES ($1, $2, $3) RETURNING connection_id',
    ['commands', createSecretBox(TEST_SECRET_KEY).seal(vhost.url), JSON.stringify(options)],
  );
  key = await insertKey(gw.pool, 'operator', [rows[0]?.connection_id as string]);
  collector = await startCollector(env);
  projector = await startProjector(env);
  await waitFor(
    'the collector to hold the lease',
    async () => {
      const lease = await gw.pool.query('SELECT 1 FROM celeriac.connection_leases WHERE expires_at > now()');
      if (collector?.process.exitCode !== null)
        throw new Error(`collector exited: ${collector?.output().slice(-2000)}`);
      return lease.rowCount === 1;
    },
    { timeoutMs: 60_000 },
  ).catch((error: unknown) => {
    throw new Error(`${String(error)}\ncollector: ${collector?.output().slice(-3000)}`);
  });
  worker = await startCeleryWorker({ brokerUrl: vhost.url, name: 'gwcmd', concurrency: 2 });
  W = worker.nodeName;
  await waitFor(
    'the worker in /api/workers',
    async () => (await call('GET', '/api/workers')).json?.[W] !== undefined,
    {
      timeoutMs: 60_000,
    },
  );
});

afterAll(async () => {
  await worker?.kill().catch(() => undefined);
  await collector?.kill();
  await projector?.kill();
  await gw?.close();
  await Promise.allSettled([db?.drop(), topics?.remove(), vhost?.remove()]);
});

const processes = (info: { stats?: { pool?: { processes?: unknown[] } } } | undefined) =>
  info?.stats?.pool?.processes?.length;

describe('Flower commands against a real worker', () => {
  it('runs tasks sent through send-task, async-apply and apply, and reads their results', async () => {
    const sent = await call('POST', '/api/task/send-task/tasks.add', undefined, '{"args": [1, 2]}');
    expect(sent.status, sent.text).toBe(200);
    expect(sent.json.state).toBe('PENDING');
    const id = sent.json['task-id'] as string;
    const result = await call('GET', `/api/task/result/${id}?timeout=30`);
    expect(result.json).toMatchObject({ 'task-id': id, state: 'SUCCESS', result: '3' });
    expect((await call('GET', `/api/task/info/${id}`)).json).toMatchObject({
      uuid: id,
      name: 'tasks.add',
      worker: W,
    });

    await waitFor('tasks.add among the task types', async () =>
      (await call('GET', '/api/task/types')).json['task-types'].includes('tasks.add'),
    );
    const asyncApplied = await call(
      'POST',
      '/api/task/async-apply/tasks.echo',
      undefined,
      '{"args": ["hi"], "countdown": "0"}',
    );
    expect(asyncApplied.status, asyncApplied.text).toBe(200);
    const applied = await call('POST', '/api/task/apply/tasks.add', undefined, '{"args": [20, 22]}');
    expect(applied.json).toMatchObject({ state: 'SUCCESS', result: '42' });
    const failed = await call(
      'POST',
      '/api/task/apply/tasks.error',
      undefined,
      '{"kwargs": {"msg": "kaput"}}',
    );
    expect(failed.json.state).toBe('FAILURE');
    expect(failed.json.traceback).toEqual(expect.any(String));
  });

  it('revoke with terminate kills a running task', async () => {
    const sent = await call('POST', '/api/task/send-task/tasks.sleep', undefined, '{"args": [60]}');
    const id = sent.json['task-id'] as string;
    await waitFor(
      'the sleep task to start',
      async () => (await call('GET', `/api/task/info/${id}`)).json?.state === 'STARTED',
      {
        timeoutMs: 30_000,
      },
    );
    const revoked = await call('POST', `/api/task/revoke/${id}`, { terminate: 'true', signal: 'SIGKILL' });
    expect(revoked.json).toEqual({ message: `Revoked '${id}'` });
    await waitFor(
      'the task to be revoked',
      async () => (await call('GET', `/api/task/info/${id}`)).json?.state === 'REVOKED',
      {
        timeoutMs: 30_000,
      },
    );
  });

  it('rate-limit and timeout reach the worker; a malformed rate is a 400', async () => {
    const limited = await call('POST', '/api/task/rate-limit/tasks.add', {
      workername: W,
      ratelimit: '10/m',
    });
    expect(limited.json).toEqual({ message: 'new rate limit set successfully' });
    expect((await workerInfo()).registered).toContain('tasks.add [rate_limit=10/m]');
    const bad = await call('POST', '/api/task/rate-limit/tasks.add', { workername: W, ratelimit: 'lots' });
    // The collector checks the rate format before it reaches a worker (Flower would relay the worker's 403).
    expect(bad.status, bad.text).toBe(400);
    expect(bad.json.error).toMatch(/rate_limit/);
    const timeouts = await call('POST', '/api/task/timeout/tasks.add', {
      workername: W,
      hard: '30',
      soft: '20',
    });
    expect(timeouts.json).toEqual({ message: 'time limits set successfully' });
  });

  it('pool grow and shrink change the pool', async () => {
    const before = processes(await workerInfo()) as number;
    expect((await call('POST', `/api/worker/pool/grow/${encodeURIComponent(W)}`, { n: '1' })).json).toEqual({
      message: `Growing '${W}' worker's pool by 1`,
    });
    await waitFor('the pool to grow', async () => processes(await workerInfo()) === before + 1, {
      timeoutMs: 30_000,
    });
    expect((await call('POST', `/api/worker/pool/shrink/${encodeURIComponent(W)}`)).json).toEqual({
      message: `Shrinking '${W}' worker's pool by 1`,
    });
    await waitFor('the pool to shrink', async () => processes(await workerInfo()) === before, {
      timeoutMs: 30_000,
    });
  });

  it('add-consumer and cancel-consumer change active_queues; queues/length reports consumers', async () => {
    const queues = async () =>
      ((await workerInfo()).active_queues as { name: string }[]).map((queue) => queue.name);
    const added = await call('POST', `/api/worker/queue/add-consumer/${encodeURIComponent(W)}`, {
      queue: 'extra',
    });
    expect(added.json).toEqual({ message: 'add consumer extra' });
    await waitFor('extra in active_queues', async () => (await queues()).includes('extra'), {
      timeoutMs: 30_000,
    });
    let lastQueues = '';
    await waitFor(
      'queues/length to list extra with a consumer',
      async () => {
        const lengths = (await call('GET', '/api/queues/length')).json.active_queues as {
          name: string;
          consumers: number;
        }[];
        lastQueues = JSON.stringify(lengths);
        return lengths.some((queue) => queue.name === 'extra' && queue.consumers === 1);
      },
      { timeoutMs: 60_000 },
    ).catch((error: unknown) => {
      throw new Error(`${String(error)}; last /api/queues/length: ${lastQueues}`);
    });
    const cancelled = await call('POST', `/api/worker/queue/cancel-consumer/${encodeURIComponent(W)}`, {
      queue: 'extra',
    });
    expect(cancelled.json).toEqual({ message: 'no longer consuming from extra' });
    await waitFor('extra gone from active_queues', async () => !(await queues()).includes('extra'), {
      timeoutMs: 30_000,
    });
  });

  it('pool restart and autoscale not enabled on the worker are its 403s', async () => {
    const restart = await call('POST', `/api/worker/pool/restart/${encodeURIComponent(W)}`);
    expect(restart.status).toBe(403);
    expect(restart.json.error).toMatch(new RegExp(`^Failed to restart the '${W}' pool: `));
    const autoscale = await call('POST', `/api/worker/pool/autoscale/${encodeURIComponent(W)}`, {
      min: '1',
      max: '3',
    });
    expect(autoscale.status).toBe(403);
    expect(autoscale.json.error).toMatch(/Autoscale not enabled/);
  });

  it('shutdown stops the worker', async () => {
    const reply = await call('POST', `/api/worker/shutdown/${encodeURIComponent(W)}`);
    expect(reply.json).toEqual({ message: 'Shutting down!' });
    await waitFor(
      'the worker process to exit',
      () => worker?.process.exitCode !== null || worker?.process.signalCode !== null,
      {
        timeoutMs: 60_000,
      },
    );
  });
});
