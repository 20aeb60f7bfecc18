import { EventSource } from 'eventsource';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { adminCli, type JsonApi, jsonApi, stackServiceEnv } from './harness/admin-cli';
import { startCollector, startGateway, startProjector } from './harness/celeriac-services';
import { type CeleryWorker, startCeleryWorker } from './harness/celery-worker';
import { createTestDatabase, createTestTopics } from './harness/isolation';
import type { ServiceProcess } from './harness/service-process';
import { createTestBroker, TEST_BROKER_KINDS, type TestBroker } from './harness/test-brokers';
import { waitFor } from './harness/wait-for';

/**
 * The product as a user meets it: collector, projector and gateway running as deployed, a real Celery
 * worker, a connection and a key made with the admin CLI. A task sent through the Flower API runs on the
 * worker, its state shows in the Flower API, the SSE and WebSocket streams deliver its events, and
 * Waldur's celery-stats shows the worker's own inspect data.
 * Once with the cluster on RabbitMQ, once on Redis.
 */
describe.each(TEST_BROKER_KINDS)('a Celery task seen end to end through Celeriac (%s)', (brokerKind) => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let topics: Awaited<ReturnType<typeof createTestTopics>>;
  let vhost: TestBroker;
  let worker: CeleryWorker;
  const services: ServiceProcess[] = [];
  let gateway = '';
  let connectionId = '';
  let key = '';
  let supportKey = '';

  let api: JsonApi;

  beforeAll(async () => {
    [database, topics, vhost] = await Promise.all([
      createTestDatabase(),
      createTestTopics(['events', 'deadletter']),
      createTestBroker(brokerKind),
    ]);
    const env = stackServiceEnv({ databaseUrl: database.url, topics: topics.topics });
    const admin = adminCli(env);
    connectionId = await admin.addConnection('e2e', vhost.url);
    key = await admin.createKey('e2e', 'operator', [connectionId]);
    supportKey = await admin.createKey('waldur', 'support', [connectionId]);

    const [collector, projector, gatewayService] = await Promise.all([
      startCollector(env),
      startProjector(env),
      startGateway(env),
    ]);
    services.push(collector, projector, gatewayService);
    gateway = gatewayService.url;
    api = jsonApi(gateway, key);
    worker = await startCeleryWorker({ brokerUrl: vhost.url, name: 'e2e' });
  });

  afterAll(async () => {
    await worker?.stop();
    await Promise.allSettled(services.map((service) => service.stop()));
    await Promise.allSettled([database?.drop(), topics?.remove(), vhost?.remove()]);
  });

  it('runs a task sent through the Flower API and reports it in the API, over SSE and over WebSocket', async () => {
    await waitFor(
      'the worker to be listed by /api/workers',
      async () => (await api('/api/workers?status=true')).body[worker.nodeName] !== undefined,
      { timeoutMs: 60_000, intervalMs: 500 },
    );

    const states: { id: string; state: string }[] = [];
    const stream = new EventSource(
      `${gateway}/api/events/stream?connectionId=${connectionId}&types=job&token=${encodeURIComponent(key)}`,
    );
    stream.addEventListener('job:state_change', (event) => {
      const job = JSON.parse(event.data) as { id: string; state: string };
      states.push({ id: job.id, state: job.state });
    });
    await waitFor('the SSE stream to open', () => stream.readyState === EventSource.OPEN);

    try {
      const sent = await api('/api/task/async-apply/tasks.add', {
        method: 'POST',
        body: JSON.stringify({ args: [2, 3] }),
      });
      expect(sent.status).toBe(200);
      const taskId = sent.body['task-id'] as string;

      const info = await waitFor(
        'the task to succeed in /api/task/info',
        async () => {
          const { status, body } = await api(`/api/task/info/${taskId}`);
          return status === 200 && body.state === 'SUCCESS' ? body : undefined;
        },
        { timeoutMs: 60_000, intervalMs: 250 },
      );
      expect(info).toMatchObject({ uuid: taskId, name: 'tasks.add', result: '5', worker: worker.nodeName });

      await waitFor('the SSE stream to report completion', () =>
        states.some((entry) => entry.id === taskId && entry.state === 'completed'),
      );
      const seen = states.filter((entry) => entry.id === taskId).map((entry) => entry.state);
      expect(seen.at(-1)).toBe('completed');

      // A late WebSocket subscriber to the finished task gets its whole history.
      const frames: { type: string; uuid: string; result?: string }[] = [];
      const socket = new WebSocket(
        `${gateway.replace('http', 'ws')}/${taskId}?token=${encodeURIComponent(key)}`,
      );
      socket.on('message', (data) => frames.push(JSON.parse(String(data))));
      try {
        await waitFor('the task-succeeded frame', () =>
          frames.some((frame) => frame.type === 'task-succeeded'),
        );
        expect(frames.map((frame) => frame.type)).toEqual(
          expect.arrayContaining(['task-received', 'task-started', 'task-succeeded']),
        );
        expect(frames.every((frame) => frame.uuid === taskId)).toBe(true);
        expect(frames.find((frame) => frame.type === 'task-succeeded')?.result).toBe('5');
      } finally {
        socket.close();
      }

      const listed = await api(`/api/tasks?state=SUCCESS&taskname=tasks.add`);
      expect(Object.keys(listed.body)).toContain(taskId);
    } finally {
      stream.close();
    }
  });

  it("answers Waldur's /api/celery-stats/ with the worker's own stats over this broker", async () => {
    const stats = await waitFor(
      'the worker in /api/celery-stats/',
      async () => {
        const { status, body } = await api('/api/celery-stats/', {
          headers: { authorization: `Bearer ${supportKey}` },
        });
        const section = body.stats as Record<string, Record<string, unknown>> | null;
        return status === 200 && section?.[worker.nodeName] ? body : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 500 },
    );
    const own = (stats.stats as Record<string, { broker: { transport: string }; pid: number }>)[
      worker.nodeName
    ]!;
    // What the worker itself reports about its broker: the inspect really went over this transport.
    expect(own.broker.transport).toBe(brokerKind === 'redis' ? 'redis' : 'amqp');
    expect(own.pid).toBeGreaterThan(0);
    expect(Array.isArray((stats.active as Record<string, unknown>)[worker.nodeName])).toBe(true);
    expect(Object.keys(stats.stats as object)).toEqual([worker.nodeName]);
    // A key without the support role is refused, as Waldur's endpoint is for support staff.
    expect((await api('/api/celery-stats/')).status).toBe(403);
  });
});
