import { sendTraffic, tapCeleryEvents } from '@celeriac/collector/testing/collector-harness';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CeleryWorker, startCeleryWorker } from '../harness/celery-worker';
import { createTestDatabase, createTestVhost } from '../harness/isolation';
import { type PrivateKafka, startPrivateKafka } from '../harness/private-kafka';
import { waitFor } from '../harness/wait-for';
import { sentTaskEventIds, storedTaskCount, storedTaskEvents } from './event-evidence';
import { type FaultStack, isAlive, readiness, startFaultStack } from './fault-stack';

// Kafka dies (kill -9) while a real worker is busy. Collector, projector and gateway share a Kafka
// broker of this test's own; PostgreSQL and RabbitMQ are the shared ones (own database and vhost).
describe('the whole stack across a Kafka outage', () => {
  let kafka: PrivateKafka;
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let vhost: Awaited<ReturnType<typeof createTestVhost>>;
  let stack: FaultStack | undefined;
  let worker: CeleryWorker | undefined;
  let tap: Awaited<ReturnType<typeof tapCeleryEvents>> | undefined;

  beforeAll(async () => {
    [kafka, database, vhost] = await Promise.all([
      startPrivateKafka(),
      createTestDatabase(),
      createTestVhost(),
    ]);
    stack = await startFaultStack({
      databaseUrl: database.url,
      kafkaBrokers: kafka.brokers,
      brokerUrl: vhost.url,
    });
    tap = await tapCeleryEvents(vhost.url);
    worker = await startCeleryWorker({ brokerUrl: vhost.url, concurrency: 2 });
  }, 300_000);

  afterAll(async () => {
    await worker?.kill();
    await tap?.close().catch(() => undefined);
    await kafka?.start().catch(() => undefined);
    await stack?.stop();
    await Promise.allSettled([database?.drop(), vhost?.remove()]);
    await kafka?.remove();
  }, 120_000);

  it('keeps every service up and not ready while Kafka is down, then stores every event exactly once', {
    timeout: 170_000,
  }, async () => {
    const { connectionId, gateway, services } = stack as FaultStack;
    const allTaskEventsStored = async () => {
      const expected = sentTaskEventIds(connectionId, tap?.elements ?? []);
      const stored = await storedTaskEvents(database.url, connectionId);
      return expected.size > 0 && [...expected].every((id) => stored.has(id)) ? { expected, stored } : false;
    };
    await sendTraffic(vhost.url, ['--count', '60', '--rate', '60', '--mix', 'add=80,error=20']);
    await waitFor('the first tasks in PostgreSQL', allTaskEventsStored, {
      timeoutMs: 60_000,
      intervalMs: 500,
    });

    const traffic = sendTraffic(vhost.url, ['--count', '200', '--rate', '20', '--mix', 'add=80,error=20']);
    await kafka.stop('SIGKILL');
    for (const service of services) {
      const down = await waitFor(
        `${service.name} to report Kafka down on /readyz`,
        async () => {
          const ready = await readiness(service);
          return ready.status === 503 && ready.reason?.includes('kafka') ? ready : false;
        },
        { timeoutMs: 30_000, intervalMs: 250 },
      );
      expect(down.reason).toMatch(/^kafka unreachable/);
    }
    // The read API does not need Kafka: it keeps answering from PostgreSQL.
    expect((await fetch(`${gateway.url}/api/tasks?limit=5`)).status).toBe(200);
    // Replicas started now, with Kafka down, come up and wait instead of exiting.
    const late = (await stack?.startLateReplicas()) ?? [];
    for (const service of late)
      await waitFor(
        `late ${service.name} to report Kafka down on /readyz`,
        async () => {
          const ready = await readiness(service);
          return ready.status === 503 && ready.reason?.startsWith('kafka unreachable');
        },
        { timeoutMs: 30_000, intervalMs: 250 },
      );
    for (const service of [...services, ...late])
      expect(isAlive(service), `${service.name} alive`).toBe(true);

    await kafka.start();
    for (const service of [...services, ...late])
      await waitFor(
        `${service.name} to be ready again`,
        async () => (await readiness(service)).status === 200,
        {
          timeoutMs: 90_000,
          intervalMs: 250,
        },
      );
    await traffic;
    await waitFor(
      'all 260 tasks to finish on the wire',
      () =>
        (tap?.elements ?? []).filter((e) => e.type === 'task-succeeded' || e.type === 'task-failed').length >=
        260,
      { timeoutMs: 60_000 },
    );
    const { expected, stored } = await waitFor(
      'every task event Celery sent, in PostgreSQL',
      allTaskEventsStored,
      {
        timeoutMs: 120_000,
        intervalMs: 500,
      },
    );
    expect([...stored.keys()].filter((id) => !expected.has(id))).toEqual([]);
    expect([...stored.values()].filter((n) => n !== 1)).toEqual([]);
    expect(await storedTaskCount(database.url, connectionId)).toBe(260);
    for (const service of [...services, ...late])
      expect(isAlive(service), `${service.name} alive`).toBe(true);
  });
});
