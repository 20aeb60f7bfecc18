import { eventIdOf, restoreCeleryObject } from '@celeriac/celery-domain/normalize';
import { INSPECT_SNAPSHOT_TYPE, QUEUES_SNAPSHOT_TYPE } from '@celeriac/proto/topics';
import { type CeleryWorker, startCeleryWorker } from '@celeriac/tests/harness/celery-worker';
import { TEST_BROKER_KINDS } from '@celeriac/tests/harness/test-brokers';
import { waitFor } from '@celeriac/tests/harness/wait-for';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type CollectorProcess,
  createWorld,
  readEvents,
  sendTraffic,
  spawnCollector,
  tapCeleryEvents,
  waitForEventQueue,
} from '../testing/collector-harness';

// Real Celery worker and client -> RabbitMQ -> collector (child process) -> Kafka. A tap queue of our
// own on celeryev records what Celery really sent; every element of it must come out of Kafka intact.
describe.each(TEST_BROKER_KINDS)('collector ingest from a real Celery 5.5 worker (%s)', (broker) => {
  let world: Awaited<ReturnType<typeof createWorld>>;
  let collector: CollectorProcess | undefined;
  let worker: CeleryWorker | undefined;
  let tap: Awaited<ReturnType<typeof tapCeleryEvents>>;
  let kafka: Awaited<ReturnType<typeof readEvents>>;

  beforeAll(async () => {
    world = await createWorld({
      broker,
      connectionOptions: { inspectIntervalMs: 2000, queueSampleIntervalMs: 1000, inspectTimeoutMs: 500 },
    });
    tap = await tapCeleryEvents(world.vhosts[0]!.url);
    kafka = await readEvents(world.eventsTopic);
    collector = await spawnCollector(world.env);
  });
  afterAll(async () => {
    await worker?.kill();
    await collector?.kill();
    await kafka?.stop();
    await tap?.close().catch(() => undefined);
    await world?.cleanup();
  });

  it('delivers every event type Celery sent, lossless, keyed by connection, with task.multi split', async () => {
    const connectionId = world.connectionIds[0]!;
    const brokerUrl = world.vhosts[0]!.url;
    await waitForEventQueue(brokerUrl, connectionId);
    expect((await world.store.leaseOwner(connectionId))?.ownerId).toBe(collector?.id);
    worker = await startCeleryWorker({ brokerUrl, concurrency: 2 });
    await sendTraffic(brokerUrl, [
      '--count',
      '40',
      '--rate',
      '200',
      '--mix',
      'add=50,echo=20,error=10,sleep=10,retry=10',
      '--sleep-seconds',
      '0.2',
      '--retry-times',
      '1',
    ]);
    await waitFor(
      'every task to finish',
      () => tap.elements.filter((e) => e.type === 'task-succeeded' || e.type === 'task-failed').length >= 40,
      { timeoutMs: 60_000 },
    );
    // The workload can finish inside one heartbeat interval (2 s): wait for a heartbeat before stopping.
    await waitFor(
      'a worker-heartbeat on the wire',
      () => tap.elements.some((e) => e.type === 'worker-heartbeat'),
      {
        timeoutMs: 30_000,
      },
    );
    await worker.stop();
    await waitFor('worker-offline on the wire', () => tap.elements.some((e) => e.type === 'worker-offline'));

    const expected = new Map(tap.elements.map((element) => [eventIdOf(connectionId, element), element]));
    await waitFor(
      'every tapped event in Kafka',
      () => {
        const seen = new Set(kafka.records.map((record) => record.value.eventId));
        return [...expected.keys()].every((id) => seen.has(id));
      },
      { timeoutMs: 30_000 },
    );

    const celeryRecords = kafka.records.filter((record) => !record.value.type.startsWith('celeriac-'));
    for (const record of celeryRecords) {
      expect(record.key).toBe(connectionId);
      expect(record.value.connectionId).toBe(connectionId);
      const original = expected.get(record.value.eventId);
      expect(original, `unexpected event ${record.value.type}`).toBeDefined();
      expect(restoreCeleryObject(record.value)).toEqual(original);
    }
    // Without a crash nothing is delivered twice.
    expect(new Set(celeryRecords.map((r) => r.value.eventId)).size).toBe(celeryRecords.length);
    // One connection, one key: all in one partition, in offset order.
    expect(new Set(celeryRecords.map((r) => r.partition)).size).toBe(1);
    const types = new Set(celeryRecords.map((record) => record.value.type));
    for (const type of [
      'task-sent',
      'task-received',
      'task-started',
      'task-succeeded',
      'task-failed',
      'task-retried',
      'worker-online',
      'worker-heartbeat',
      'worker-offline',
    ]) {
      expect(types, type).toContain(type);
    }
  });

  it('produces queue-depth and inspect snapshots for the connection', async () => {
    const connectionId = world.connectionIds[0]!;
    // The worker was stopped by the first test; start one so inspect has someone to answer.
    worker = await startCeleryWorker({ brokerUrl: world.vhosts[0]!.url, concurrency: 1 });
    const nodeName = worker.nodeName;
    const inspect = await waitFor(
      'an inspect snapshot naming the worker',
      () =>
        kafka.records.find(
          (r) =>
            r.value.type === INSPECT_SNAPSHOT_TYPE &&
            r.value.body?.$case === 'inspect' &&
            r.value.body.value.method === 'stats' &&
            nodeName in r.value.body.value.repliesJson,
        ),
      { timeoutMs: 30_000 },
    );
    expect(inspect.key).toBe(connectionId);
    const methods = new Set(
      kafka.records.flatMap((r) => (r.value.body?.$case === 'inspect' ? [r.value.body.value.method] : [])),
    );
    expect([...methods].sort()).toEqual([
      'active',
      'active_queues',
      'conf',
      'registered',
      'reserved',
      'revoked',
      'scheduled',
      'stats',
    ]);
    const queues = await waitFor(
      'a queue snapshot with the celery queue',
      () =>
        kafka.records.find(
          (r) =>
            r.value.type === QUEUES_SNAPSHOT_TYPE &&
            r.value.body?.$case === 'queues' &&
            r.value.body.value.queues.some((q) => q.name === 'celery' && q.consumers >= 1),
        ),
      { timeoutMs: 30_000 },
    );
    expect(queues.value.connectionId).toBe(connectionId);
  });
});
