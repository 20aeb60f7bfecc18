import { sendTraffic, waitForEventQueue } from '@celeriac/collector/testing/collector-harness';
import amqp from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CeleryWorker, startCeleryWorker } from '../harness/celery-worker';
import { createTestDatabase } from '../harness/isolation';
import { type PrivateRabbitMq, startPrivateRabbitMq } from '../harness/private-rabbitmq';
import { readStackEnv } from '../harness/stack-env';
import { waitFor } from '../harness/wait-for';
import { sentTaskEventIds, storedTaskEvents, storedTaskStates, tapTaskEvents } from './event-evidence';
import { type FaultStack, isAlive, readiness, startFaultStack } from './fault-stack';

async function eventQueueDepth(brokerUrl: string, connectionId: string): Promise<number> {
  const connection = await amqp.connect(brokerUrl);
  try {
    const channel = await connection.createChannel();
    return (await channel.checkQueue(`celeriac.events.${connectionId}`)).messageCount;
  } finally {
    await connection.close();
  }
}

/** Task ids the worker logged as finished (its own record, independent of events). */
function executedTasks(log: string): Set<string> {
  const done = /Task tasks\.\w+\[([0-9a-f-]{36})\] (?:succeeded|raised)/g;
  return new Set(Array.from(log.matchAll(done), (match) => match[1] ?? ''));
}

// The tenant's RabbitMQ node stops while a real worker is executing tasks, and comes back. The node is
// this test's own (the shared one serves every other test file); PostgreSQL and Kafka are shared.
describe('the whole stack across a RabbitMQ outage', () => {
  let rabbit: PrivateRabbitMq;
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let stack: FaultStack | undefined;
  let worker: CeleryWorker | undefined;
  const taps: Array<{ close(): Promise<void> }> = [];
  const elements: Record<string, unknown>[] = [];

  beforeAll(async () => {
    [rabbit, database] = await Promise.all([startPrivateRabbitMq(), createTestDatabase()]);
    stack = await startFaultStack({
      databaseUrl: database.url,
      kafkaBrokers: readStackEnv().kafkaBrokers,
      brokerUrl: rabbit.url,
    });
    taps.push(await tapTaskEvents(rabbit.url, elements));
    worker = await startCeleryWorker({ brokerUrl: rabbit.url, concurrency: 2 });
  }, 180_000);

  afterAll(async () => {
    await worker?.kill();
    await Promise.all(taps.map((tap) => tap.close()));
    await stack?.stop();
    await database?.drop().catch(() => undefined);
    await rabbit?.remove();
  }, 120_000);

  it('keeps every service up and ready (a tenant broker is not theirs), reconnects, and stores every event once', {
    timeout: 240_000,
  }, async () => {
    const { connectionId, collector, services } = stack as FaultStack;
    const finishedInDb = async () => {
      const states = await storedTaskStates(database.url, connectionId);
      return (states.get('SUCCESS') ?? 0) + (states.get('FAILURE') ?? 0);
    };
    await waitForEventQueue(rabbit.url, connectionId);
    await sendTraffic(rabbit.url, ['--count', '60', '--rate', '60', '--mix', 'add=80,error=20']);
    await waitFor('the first 60 tasks finished in PostgreSQL', async () => (await finishedInDb()) === 60, {
      timeoutMs: 60_000,
      intervalMs: 500,
    });

    // Long tasks keep the worker busy through the outage; their events wait in the worker meanwhile.
    await sendTraffic(rabbit.url, [
      '--count',
      '8',
      '--rate',
      '50',
      '--mix',
      'sleep=1',
      '--sleep-seconds',
      '4',
    ]);
    await waitFor(
      'the long tasks to start',
      () => elements.filter((e) => e.type === 'task-started').length >= 62,
    );
    // Celery's events are transient messages: a broker restart drops any still queued, which is
    // Celery's contract, not Celeriac's. Stop when the collector has taken everything.
    await waitFor(
      'the collector to drain its queue',
      async () => (await eventQueueDepth(rabbit.url, connectionId)) === 0,
    );
    await rabbit.stop('SIGTERM');
    await waitFor(
      'the worker to see the broker gone',
      () => worker?.output().includes('Connection to broker lost'),
      // The worker notices when its heartbeat to the stopped broker fails, which on a loaded CI
      // machine took longer than 30 s once.
      { timeoutMs: 90_000 },
    );
    for (const service of services) {
      expect(isAlive(service), `${service.name} alive`).toBe(true);
      expect(await readiness(service), `${service.name} /readyz`).toEqual({ status: 200 });
    }

    await rabbit.start();
    taps.push(await tapTaskEvents(rabbit.url, elements));
    await waitForEventQueue(rabbit.url, connectionId, 60_000);
    await sendTraffic(rabbit.url, ['--count', '40', '--rate', '40', '--mix', 'add=80,error=20']);
    // A task that finished while the broker was away may have had its last event dropped by Celery;
    // what is checked is Celeriac against the wire: every task sent has its row, every event the taps
    // saw is stored once, and exactly the tasks whose final event went over the wire are finished.
    const finishedOnWire = () =>
      new Set(
        elements.filter((e) => e.type === 'task-succeeded' || e.type === 'task-failed').map((e) => e.uuid),
      );
    await waitFor(
      'the worker to have executed all 108 tasks',
      () => executedTasks(worker?.output() ?? '').size === 108,
      { timeoutMs: 90_000, intervalMs: 500 },
    );
    const { expected, stored } = await waitFor(
      'every task and every event the taps saw, in PostgreSQL',
      async () => {
        const states = await storedTaskStates(database.url, connectionId);
        const tasks = [...states.values()].reduce((sum, n) => sum + n, 0);
        const done = (states.get('SUCCESS') ?? 0) + (states.get('FAILURE') ?? 0);
        const wanted = sentTaskEventIds(connectionId, elements);
        const rows = await storedTaskEvents(database.url, connectionId);
        return tasks === 108 && done === finishedOnWire().size && [...wanted].every((id) => rows.has(id))
          ? { expected: wanted, stored: rows }
          : false;
      },
      { timeoutMs: 90_000, intervalMs: 500 },
    );
    expect(finishedOnWire().size).toBeGreaterThanOrEqual(100);
    expect([...stored.keys()].filter((id) => !expected.has(id))).toEqual([]);
    expect([...stored.values()].filter((n) => n !== 1)).toEqual([]);
    const metrics = await (await fetch(collector.readyUrl.replace('/readyz', '/metrics'))).text();
    expect(
      Number(/^celeriac_collector_broker_reconnects_total (\d+)/m.exec(metrics)?.[1]),
    ).toBeGreaterThanOrEqual(1);
    for (const service of services) expect(isAlive(service), `${service.name} alive`).toBe(true);
  });
});
