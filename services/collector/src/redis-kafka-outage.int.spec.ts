import { randomUUID } from 'node:crypto';
import { type PrivateKafka, startPrivateKafka } from '@celeriac/tests/harness/private-kafka';
import { publishRedisEvent, redisSubscribed } from '@celeriac/tests/harness/test-brokers';
import { waitFor } from '@celeriac/tests/harness/wait-for';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type CollectorProcess,
  createWorld,
  readEvents,
  spawnCollector,
  waitForEventQueue,
} from '../testing/collector-harness';

/** The collector's counter value for this connection (0 when the series does not exist yet). */
async function metric(opsPort: number, name: string, labels: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${opsPort}/metrics`)).text();
  const line = text.split('\n').find((row) => row.startsWith(`${name}{`) && row.includes(labels));
  return Number(line?.split(' ').pop() ?? 0);
}

/** `count` task-started events, one per message, tagged by hostname so each phase can be told apart. */
async function publishPhase(url: string, hostname: string, count: number): Promise<void> {
  const client = new Redis(url);
  for (let i = 0; i < count; i++) {
    const event = {
      type: 'task-started',
      uuid: randomUUID(),
      hostname,
      timestamp: Date.now() / 1000,
      clock: i,
    };
    await publishRedisEvent(
      url,
      'task.started',
      Buffer.from(JSON.stringify(event)),
      {
        contentType: 'application/json',
        headers: { hostname },
      },
      client,
    );
  }
  client.disconnect();
}

// Redis pub/sub cannot hold a backlog for the collector: with Kafka down (kill -9, a private broker)
// the collector buffers up to its byte budget, then drops and counts, and stays subscribed.
describe('collector on Redis across a Kafka outage', () => {
  let kafka: PrivateKafka;
  let world: Awaited<ReturnType<typeof createWorld>>;
  let collector: CollectorProcess | undefined;
  let reader: Awaited<ReturnType<typeof readEvents>> | undefined;

  beforeAll(async () => {
    kafka = await startPrivateKafka();
    world = await createWorld({
      broker: 'redis',
      kafkaBrokers: kafka.brokers,
      connectionOptions: { inspectIntervalMs: 0, queueSampleIntervalMs: 0 },
    });
  }, 300_000);

  afterAll(async () => {
    await collector?.kill();
    await reader?.stop().catch(() => undefined);
    await kafka?.start().catch(() => undefined);
    await world?.cleanup();
    await kafka?.remove();
  }, 120_000);

  it('accounts for every event of the outage as produced or dropped, counts the gap, and never loses the subscription', async () => {
    const connectionId = world.connectionIds[0]!;
    const url = world.vhosts[0]!.url;
    const labels = `connection_id="${connectionId}"`;
    collector = await spawnCollector({ ...world.env, CELERIAC_MAX_BUFFERED_BYTES: '16384' });
    await waitForEventQueue(url, connectionId);
    reader = await readEvents(world.eventsTopic, kafka.brokers);
    // Fewer bytes than the budget, so none of these is dropped while the fresh Kafka warms up.
    await publishPhase(url, 'celery@before', 20);
    await waitFor('the first 20 events in Kafka', () => reader!.records.length >= 20, { timeoutMs: 120_000 });

    await kafka.stop('SIGKILL');
    const outage = 2000;
    await publishPhase(url, 'celery@outage', outage);
    const opsPort = collector.opsPort;
    await waitFor(
      'drops counted in /metrics',
      async () => (await metric(opsPort, 'celeriac_collector_redis_dropped_messages_total', labels)) > 0,
    );
    expect(await metric(opsPort, 'celeriac_collector_redis_event_gaps_total', `cause="buffer-full"`)).toBe(1);
    expect(await redisSubscribed(url)).toBe(true);
    expect(collector.child.exitCode).toBeNull();

    await kafka.start();
    const count = (hostname: string) => reader!.records.filter((r) => r.value.hostname === hostname).length;
    // Nothing vanished silently: each outage message reaches Kafka or is counted as dropped.
    const dropped = await metric(opsPort, 'celeriac_collector_redis_dropped_messages_total', labels);
    expect(dropped).toBeGreaterThan(0);
    await waitFor(
      'every outage event not dropped in Kafka',
      () => count('celery@outage') === outage - dropped,
      {
        timeoutMs: 180_000,
        intervalMs: 500,
      },
    );
    expect(await metric(opsPort, 'celeriac_collector_redis_dropped_messages_total', labels)).toBe(dropped);
    // Once the buffer drained, everything published is delivered again, on the same subscription.
    // Fewer bytes than the budget again: 50 at once outran the just-recovered producer and some were
    // (rightly) dropped, so the phase never completed.
    await publishPhase(url, 'celery@after', 20);
    await waitFor('the events after the outage in Kafka', () => count('celery@after') === 20, {
      timeoutMs: 180_000,
      intervalMs: 500,
    });
    expect(await metric(opsPort, 'celeriac_collector_redis_event_gaps_total', 'cause="disconnected"')).toBe(
      0,
    );
    // The same episode is a closed row the API lists, with what the metric counted.
    const db = new pg.Client({ connectionString: world.database.url });
    await db.connect();
    try {
      const rows = await db.query(
        `SELECT dropped_messages, ended_at IS NOT NULL AS closed FROM celeriac.event_gaps
         WHERE connection_id = $1 AND cause = 'buffer-full'`,
        [connectionId],
      );
      expect(rows.rows).toEqual([{ dropped_messages: String(dropped), closed: true }]);
    } finally {
      await db.end();
    }
  }, 420_000);
});
