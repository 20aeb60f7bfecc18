import { setTimeout as delay } from 'node:timers/promises';
import { publishRedisEvent, redisSubscribed } from '@celeriac/tests/harness/test-brokers';
import { waitFor } from '@celeriac/tests/harness/wait-for';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CollectorProcess, createWorld, readEvents, spawnCollector } from '../testing/collector-harness';

const RATE = 500;
const HOST = 'celery@failover';

/** Publishes task-started events numbered by `clock` at RATE/s until `stop` aborts; returns the count. */
async function publishAtRate(url: string, stop: AbortSignal): Promise<number> {
  const client = new Redis(url);
  const started = Date.now();
  let sent = 0;
  try {
    while (!stop.aborted) {
      // Catch up to the schedule in small bursts; the pause only paces the load, it waits on nothing.
      const due = Math.floor(((Date.now() - started) * RATE) / 1000);
      for (; sent < due; sent++) {
        const event = {
          type: 'task-started',
          uuid: `00000000-0000-4000-8000-${String(sent).padStart(12, '0')}`,
          hostname: HOST,
          timestamp: Date.now() / 1000,
          clock: sent,
        };
        await publishRedisEvent(
          url,
          'task.started',
          Buffer.from(JSON.stringify(event)),
          {
            contentType: 'application/json',
            headers: { hostname: HOST },
          },
          client,
        );
      }
      await delay(10);
    }
  } finally {
    client.disconnect();
  }
  return sent;
}

async function gaps(opsPort: number, cause: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${opsPort}/metrics`)).text();
  const line = text
    .split('\n')
    .find(
      (row) =>
        row.startsWith('celeriac_collector_redis_event_gaps_total{') && row.includes(`cause="${cause}"`),
    );
  return Number(line?.split(' ').pop() ?? 0);
}

// Two collectors for one Redis connection; the owner is killed -9 under 500 events/s. Redis keeps
// nothing for absent subscribers, so what is published between the kill and the standby's takeover
// (lease TTL 4 s in the harness) is lost: the test measures that window and checks it is bounded,
// that everything after the takeover arrives, and that the new owner counts the gap.
describe('Redis connection failover under load', () => {
  let world: Awaited<ReturnType<typeof createWorld>>;
  const collectors: CollectorProcess[] = [];
  let kafka: Awaited<ReturnType<typeof readEvents>>;

  beforeAll(async () => {
    world = await createWorld({
      broker: 'redis',
      connectionOptions: { inspectIntervalMs: 0, queueSampleIntervalMs: 0 },
    });
    kafka = await readEvents(world.eventsTopic);
  });
  afterAll(async () => {
    for (const collector of collectors) await collector.kill();
    await kafka?.stop();
    await world?.cleanup();
  });

  it('loses only the takeover window after kill -9 of the owner, and the standby reports the gap', async () => {
    const connectionId = world.connectionIds[0]!;
    const url = world.vhosts[0]!.url;
    collectors.push(await spawnCollector(world.env), await spawnCollector(world.env));
    const owner = await waitFor('an owner subscribed', async () => {
      const lease = await world.store.leaseOwner(connectionId);
      return lease && (await redisSubscribed(url))
        ? collectors.find((c) => c.id === lease.ownerId)
        : undefined;
    });
    const standby = collectors.find((c) => c !== owner)!;
    const stop = new AbortController();
    const publishing = publishAtRate(url, stop.signal);
    const clocks = () =>
      new Set(kafka.records.filter((r) => r.value.hostname === HOST).map((r) => r.value.clock));
    await waitFor('a second of events in Kafka', () => clocks().size >= RATE, { timeoutMs: 30_000 });

    await owner.kill('SIGKILL');
    const killedAt = Date.now();
    await waitFor(
      'the standby to take over and subscribe',
      async () =>
        (await world.store.leaseOwner(connectionId))?.ownerId === standby.id && (await redisSubscribed(url)),
      { timeoutMs: 60_000, intervalMs: 100 },
    );
    const takeoverMs = Date.now() - killedAt;
    // Two more seconds of load after the takeover (a load duration, not a wait on anything).
    await delay(2000);
    stop.abort();
    const sent = await publishing;
    await waitFor('the last event in Kafka', () => clocks().has(sent - 1), { timeoutMs: 60_000 });

    const seen = clocks();
    const lost = [...Array(sent).keys()].filter((clock) => !seen.has(clock));
    const firstLost = lost[0] ?? 0;
    const lastLost = lost.at(-1) ?? 0;
    const windowMs = ((lastLost - firstLost + 1) * 1000) / RATE;
    console.info(
      `redis failover at ${RATE} events/s: ${sent} sent, ${lost.length} lost (clocks ${firstLost}-${lastLost}, ${windowMs} ms of traffic); takeover seen after ${takeoverMs} ms`,
    );
    expect(lost.length).toBeGreaterThan(0);
    // The losses are one stretch around the kill, no longer than lease expiry plus resubscription.
    expect(lastLost - firstLost + 1).toBe(lost.length);
    expect(windowMs).toBeLessThan(4000 + 3000);
    expect(await gaps(standby.opsPort, 'subscribed')).toBe(1);
    // The API's record of the same: the owner's subscription, then the standby's after the takeover.
    const db = new pg.Client({ connectionString: world.database.url });
    await db.connect();
    try {
      const rows = await db.query(
        `SELECT collector_id, cause, extract(epoch FROM started_at) * 1000 AS at FROM celeriac.event_gaps
         WHERE connection_id = $1 ORDER BY gap_id`,
        [connectionId],
      );
      expect(rows.rows.map((row) => [row.collector_id, row.cause])).toEqual([
        [owner.id, 'subscribed'],
        [standby.id, 'subscribed'],
      ]);
      expect(Number(rows.rows[1].at)).toBeGreaterThanOrEqual(killedAt - 1000);
    } finally {
      await db.end();
    }
  }, 180_000);
});
