import { canonicalJson, eventIdOf } from '@celeriac/celery-domain/normalize';
import { type CeleryWorker, startCeleryWorker } from '@celeriac/tests/harness/celery-worker';
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

// kill -9 while a real worker is busy: the durable queue keeps what was not acked, the next collector
// takes the lease over and delivers it. Redeliveries may duplicate, and duplicates share an eventId.
describe('collector crash mid-stream', () => {
  let world: Awaited<ReturnType<typeof createWorld>>;
  const collectors: CollectorProcess[] = [];
  let worker: CeleryWorker | undefined;
  let tap: Awaited<ReturnType<typeof tapCeleryEvents>>;
  let kafka: Awaited<ReturnType<typeof readEvents>>;

  beforeAll(async () => {
    world = await createWorld({ connectionOptions: { inspectIntervalMs: 0, queueSampleIntervalMs: 0 } });
    tap = await tapCeleryEvents(world.vhosts[0]!.url);
    kafka = await readEvents(world.eventsTopic);
  });
  afterAll(async () => {
    await worker?.kill();
    for (const collector of collectors) await collector.kill();
    await kafka?.stop();
    await tap?.close().catch(() => undefined);
    await world?.cleanup();
  });

  it('loses nothing across kill -9 and a restart, and duplicates carry the same eventId', async () => {
    const connectionId = world.connectionIds[0]!;
    const brokerUrl = world.vhosts[0]!.url;
    // Small batches so the crash lands between produce and ack at some point.
    collectors.push(
      await spawnCollector({ ...world.env, CELERIAC_BATCH_MAX_EVENTS: '20', CELERIAC_BATCH_LINGER_MS: '5' }),
    );
    await waitForEventQueue(brokerUrl, connectionId);
    worker = await startCeleryWorker({ brokerUrl, concurrency: 4 });
    const traffic = sendTraffic(brokerUrl, [
      '--count',
      '400',
      '--rate',
      '150',
      '--mix',
      'add=70,echo=20,error=10',
    ]);

    await waitFor('the stream to be flowing into Kafka', () => kafka.records.length >= 200, {
      timeoutMs: 30_000,
    });
    await collectors[0]!.kill('SIGKILL');
    const eventsAtCrash = kafka.records.length;
    await traffic;
    await waitFor(
      'every task to finish on the wire',
      () => tap.elements.filter((e) => e.type === 'task-succeeded' || e.type === 'task-failed').length >= 400,
      { timeoutMs: 60_000 },
    );
    // Stop the worker so the ground truth is final.
    await worker.stop();
    await waitFor('worker-offline on the wire', () => tap.elements.some((e) => e.type === 'worker-offline'));

    // A new replica (another id) takes the lease over once the dead one's lease expires.
    collectors.push(await spawnCollector({ ...world.env }));
    const expected = new Map(tap.elements.map((element) => [eventIdOf(connectionId, element), element]));
    await waitFor(
      'every tapped event in Kafka after the restart',
      () => {
        const seen = new Set(kafka.records.map((record) => record.value.eventId));
        return [...expected.keys()].every((id) => seen.has(id));
      },
      { timeoutMs: 60_000 },
    );
    expect(eventsAtCrash).toBeLessThan(expected.size);
    expect((await world.store.leaseOwner(connectionId))?.ownerId).toBe(collectors[1]!.id);

    // Every record is one of the tapped events; copies of one event are identical but for receivedAtMs.
    const byId = new Map<string, string>();
    for (const { value, key } of kafka.records) {
      expect(key).toBe(connectionId);
      expect(expected.has(value.eventId)).toBe(true);
      const comparable = canonicalJson({ ...value, receivedAtMs: 0 });
      const previous = byId.get(value.eventId);
      if (previous !== undefined) expect(comparable).toBe(previous);
      byId.set(value.eventId, comparable);
    }
  });
});
