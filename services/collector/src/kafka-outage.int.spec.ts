import { eventIdOf } from '@celeriac/celery-domain/normalize';
import { type CeleryWorker, startCeleryWorker } from '@celeriac/tests/harness/celery-worker';
import { type PrivateKafka, startPrivateKafka } from '@celeriac/tests/harness/private-kafka';
import { waitFor } from '@celeriac/tests/harness/wait-for';
import amqp from 'amqplib';
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

/** What an SRE reads off the RabbitMQ queue: ready messages and consumers. */
async function queueState(brokerUrl: string, queue: string) {
  const connection = await amqp.connect(brokerUrl);
  try {
    const channel = await connection.createChannel();
    return await channel.checkQueue(queue);
  } finally {
    await connection.close();
  }
}

async function producedFailures(opsPort: number): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${opsPort}/metrics`)).text();
  const line = text.split('\n').find((row) => row.startsWith('celeriac_collector_produce_failures_total'));
  return Number(line?.split(' ').pop() ?? Number.NaN);
}

// Kafka dies (kill -9) while a real worker is busy. The test has a Kafka broker of its own, because
// the shared one serves the test files running in parallel.
describe('collector across a Kafka outage', () => {
  let kafka: PrivateKafka;
  let world: Awaited<ReturnType<typeof createWorld>>;
  let collector: CollectorProcess | undefined;
  let worker: CeleryWorker | undefined;
  let tap: Awaited<ReturnType<typeof tapCeleryEvents>>;
  let reader: Awaited<ReturnType<typeof readEvents>> | undefined;

  beforeAll(async () => {
    kafka = await startPrivateKafka();
    world = await createWorld({
      kafkaBrokers: kafka.brokers,
      connectionOptions: { inspectIntervalMs: 0, queueSampleIntervalMs: 0 },
    });
    tap = await tapCeleryEvents(world.vhosts[0]!.url);
  }, 300_000);

  afterAll(async () => {
    await worker?.kill();
    await collector?.kill();
    await reader?.stop().catch(() => undefined);
    await tap?.close().catch(() => undefined);
    await kafka?.start().catch(() => undefined);
    await world?.cleanup();
    await kafka?.remove();
  }, 120_000);

  it('stops consuming while Kafka is down, leaves the backlog in RabbitMQ, and delivers every event once Kafka is back', async () => {
    const connectionId = world.connectionIds[0]!;
    const brokerUrl = world.vhosts[0]!.url;
    const queue = `celeriac.events.${connectionId}`;
    // A small unacked-bytes budget, so the pause shows within a few hundred events.
    collector = await spawnCollector({ ...world.env, CELERIAC_MAX_BUFFERED_BYTES: '16384' });
    await waitForEventQueue(brokerUrl, connectionId);
    worker = await startCeleryWorker({ brokerUrl, concurrency: 2 });
    reader = await readEvents(world.eventsTopic, kafka.brokers);
    await sendTraffic(brokerUrl, ['--count', '100', '--rate', '100', '--mix', 'add=80,error=20']);
    await waitFor('the first events in Kafka', () => reader!.records.length >= 100, { timeoutMs: 30_000 });
    await reader.stop();
    reader = undefined;

    await kafka.stop('SIGKILL');
    const traffic = sendTraffic(brokerUrl, ['--count', '300', '--rate', '100', '--mix', 'add=80,error=20']);
    const paused = await waitFor(
      'the collector to stop consuming, leaving a backlog in the queue',
      async () => {
        const state = await queueState(brokerUrl, queue);
        return state.consumerCount === 0 && state.messageCount > 0 ? state : false;
      },
      { timeoutMs: 60_000, intervalMs: 250 },
    );
    await traffic;
    await waitFor(
      'all 400 tasks to finish on the wire',
      () => tap.elements.filter((e) => e.type === 'task-succeeded' || e.type === 'task-failed').length >= 400,
      { timeoutMs: 60_000 },
    );
    // The backlog grew in RabbitMQ, not in the collector, which is alive and counts its failed produces.
    const backlog = await queueState(brokerUrl, queue);
    expect(backlog.consumerCount).toBe(0);
    expect(backlog.messageCount).toBeGreaterThan(paused.messageCount);
    expect(collector.child.exitCode).toBeNull();
    await waitFor(
      'a failed produce in /metrics',
      async () => (await producedFailures(collector!.opsPort)) > 0,
      {
        timeoutMs: 60_000,
      },
    );

    await kafka.start();
    const expected = new Set(tap.elements.map((element) => eventIdOf(connectionId, element)));
    reader = await readEvents(world.eventsTopic, kafka.brokers);
    await waitFor(
      'every event Celery sent, in Kafka after the outage',
      () => {
        const seen = new Set(reader!.records.map((record) => record.value.eventId));
        return [...expected].every((id) => seen.has(id));
      },
      { timeoutMs: 120_000, intervalMs: 500 },
    );
    await waitFor('consumption to resume and the backlog to drain', async () => {
      const state = await queueState(brokerUrl, queue);
      return state.consumerCount === 1 && state.messageCount === 0;
    });
    expect(collector.child.exitCode).toBeNull();
    for (const record of reader.records) expect(record.key).toBe(connectionId);
  });
});
