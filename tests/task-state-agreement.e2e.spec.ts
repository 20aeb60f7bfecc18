import { EventSource } from 'eventsource';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminCli, type JsonApi, jsonApi, stackServiceEnv } from './harness/admin-cli';
import { startCollector, startGateway, startProjector } from './harness/celeriac-services';
import { type CeleryWorker, startCeleryWorker } from './harness/celery-worker';
import { createTestDatabase, createTestTopics, createTestVhost } from './harness/isolation';
import type { ServiceProcess } from './harness/service-process';
import { waitFor } from './harness/wait-for';

/**
 * The API (projector -> PostgreSQL) and the SSE stream (the gateway's own tail of Kafka) resolve a
 * task's state with the same resolver of @celeriac/celery-domain, so for every task of a real worker's
 * run they end on the same Celery state: successes, failures, retries and a revoke.
 */
describe('the API and the SSE stream agree on task states', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let topics: Awaited<ReturnType<typeof createTestTopics>>;
  let vhost: Awaited<ReturnType<typeof createTestVhost>>;
  let worker: CeleryWorker;
  const services: ServiceProcess[] = [];
  let gateway = '';
  let connectionId = '';
  let key = '';

  let api: JsonApi;

  beforeAll(async () => {
    [database, topics, vhost] = await Promise.all([
      createTestDatabase(),
      createTestTopics(['events', 'deadletter']),
      createTestVhost(),
    ]);
    const env = stackServiceEnv({ databaseUrl: database.url, topics: topics.topics });
    const admin = adminCli(env);
    connectionId = await admin.addConnection('agree', vhost.url);
    key = await admin.createKey('agree', 'operator', [connectionId]);
    const [collector, projector, gatewayService] = await Promise.all([
      startCollector(env),
      startProjector(env),
      startGateway(env),
    ]);
    services.push(collector, projector, gatewayService);
    gateway = gatewayService.url;
    api = jsonApi(gateway, key);
    worker = await startCeleryWorker({ brokerUrl: vhost.url, name: 'agree', concurrency: 4 });
  });

  afterAll(async () => {
    await worker?.stop();
    await Promise.allSettled(services.map((service) => service.stop()));
    await Promise.allSettled([database?.drop(), topics?.remove(), vhost?.remove()]);
  });

  it('gives every task of the run the same state in /api/v1/tasks/:id and on the SSE stream', async () => {
    await waitFor(
      'the worker to be listed by /api/workers',
      async () => (await api('/api/workers?status=true')).body[worker.nodeName] !== undefined,
      { timeoutMs: 60_000, intervalMs: 500 },
    );
    const streamed = new Map<string, string>();
    const stream = new EventSource(
      `${gateway}/api/events/stream?connectionId=${connectionId}&types=job&token=${encodeURIComponent(key)}`,
    );
    stream.addEventListener('job:state_change', (event) => {
      const job = JSON.parse(event.data) as { id: string; celeryState: string };
      streamed.set(job.id, job.celeryState);
    });
    await waitFor('the SSE stream to open', () => stream.readyState === EventSource.OPEN);

    try {
      const send = async (task: string, body: Record<string, unknown>) => {
        const sent = await api(`/api/task/async-apply/${task}`, {
          method: 'POST',
          body: JSON.stringify(body),
        });
        expect(sent.status).toBe(200);
        return sent.body['task-id'] as string;
      };
      const ids = [
        ...(await Promise.all([1, 2, 3].map((i) => send('tasks.add', { args: [i, i] })))),
        ...(await Promise.all([1, 2].map(() => send('tasks.error', { args: ['boom'] })))),
        ...(await Promise.all([1, 2].map(() => send('tasks.retry', { args: [2] })))),
        await send('tasks.echo', { args: ['x'] }),
      ];
      const sleeper = await send('tasks.sleep', { args: [30] });
      await waitFor(
        'the sleeping task to start',
        async () => (await api(`/api/v1/tasks/${sleeper}`)).body.state === 'STARTED',
        {
          timeoutMs: 60_000,
          intervalMs: 250,
        },
      );
      expect((await api(`/api/task/revoke/${sleeper}?terminate=true`, { method: 'POST' })).status).toBe(200);
      ids.push(sleeper);

      const FINAL = new Set(['SUCCESS', 'FAILURE', 'REVOKED']);
      const apiStates = async () =>
        new Map(
          await Promise.all(
            ids.map(async (id) => [id, (await api(`/api/v1/tasks/${id}`)).body.state as string] as const),
          ),
        );
      await waitFor(
        'every task to finish in the API',
        async () => [...(await apiStates()).values()].every((s) => FINAL.has(s)),
        {
          timeoutMs: 90_000,
          intervalMs: 500,
        },
      );
      const finalStates = await apiStates();
      // Both sides have seen the same events once the stream shows a final state for every task;
      // a disagreement leaves the wait to time out and the comparison below to show which task.
      await waitFor(
        'the stream to show the same states',
        () => ids.every((id) => streamed.get(id) === finalStates.get(id)),
        {
          timeoutMs: 30_000,
        },
      ).catch(() => undefined);
      expect(Object.fromEntries(ids.map((id) => [id, streamed.get(id)]))).toEqual(
        Object.fromEntries(finalStates),
      );
      expect(new Set(finalStates.values())).toEqual(FINAL);
    } finally {
      stream.close();
    }
  });
});
