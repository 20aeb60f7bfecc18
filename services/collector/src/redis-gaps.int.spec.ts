import {
  insertConnection,
  insertKey,
  startTestGateway,
  type TestGateway,
} from '@celeriac/gateway/testing/gateway-fixture';
import { redisDbOf, redisSubscribed } from '@celeriac/tests/harness/test-brokers';
import { waitFor } from '@celeriac/tests/harness/wait-for';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type CollectorProcess,
  createWorld,
  spawnCollector,
  waitForEventQueue,
} from '../testing/collector-harness';

interface Gap {
  gapId: number;
  cause: string;
  startedAt: string;
  endedAt: string | null;
  droppedMessages: number | null;
}

/** Cuts the collector's subscriber connection on the real Redis (only this test's database). */
async function killSubscriber(url: string): Promise<number> {
  const client = new Redis(url);
  try {
    const db = redisDbOf(url);
    const ids = ((await client.client('LIST')) as string)
      .split('\n')
      .filter((line) => line.includes(' name=celeriac-collector ') && line.includes(` db=${db} `))
      .filter((line) => / (psub|sub)=[1-9]/.test(line))
      .map((line) => /^id=(\d+) /.exec(line)?.[1])
      .filter((id): id is string => id !== undefined);
    for (const id of ids) await client.client('KILL', 'ID', id);
    return ids.length;
  } finally {
    client.disconnect();
  }
}

// Redis pub/sub keeps nothing for a subscriber that is away: each such window must show in the API.
describe('event gaps of a Redis connection in the API', () => {
  let world: Awaited<ReturnType<typeof createWorld>>;
  let gw: TestGateway;
  let collector: CollectorProcess | undefined;

  beforeAll(async () => {
    world = await createWorld({
      broker: 'redis',
      connectionOptions: { inspectIntervalMs: 0, queueSampleIntervalMs: 0 },
    });
    gw = await startTestGateway({ databaseUrl: world.database.url });
  }, 120_000);

  afterAll(async () => {
    await collector?.kill();
    await gw?.close();
    await world?.cleanup();
  }, 60_000);

  it('lists the takeover and a lost subscription, newest first, to its tenant only', async () => {
    const connectionId = world.connectionIds[0]!;
    const url = world.vhosts[0]!.url;
    const viewer = await insertKey(gw.pool, 'viewer', [connectionId]);
    const other = await insertConnection(gw.pool, 'other-tenant');
    const stranger = await insertKey(gw.pool, 'admin', [other]);
    const gaps = async (query = '', key = viewer) =>
      gw.request('GET', `/api/v1/connections/${connectionId}/gaps${query}`, { key });

    collector = await spawnCollector(world.env);
    await waitForEventQueue(url, connectionId);
    await waitFor('the subscription in the API', async () => {
      const items = ((await gaps()).json as { items: Gap[] }).items;
      return items.some((gap) => gap.cause === 'subscribed');
    });

    expect(await killSubscriber(url)).toBe(1);
    await waitFor('the lost subscription closed in the API', async () => {
      const items = ((await gaps()).json as { items: Gap[] }).items;
      return items.some((gap) => gap.cause === 'disconnected' && gap.endedAt !== null);
    });
    expect(await redisSubscribed(url)).toBe(true);

    const page = (await gaps()).json as { items: Gap[]; nextBefore: number | null };
    expect(page.items.map((gap) => gap.cause)).toEqual(['disconnected', 'subscribed']);
    const [lost, subscribed] = page.items as [Gap, Gap];
    // Nobody received what was published while away, so nothing could be counted.
    expect(lost.droppedMessages).toBeNull();
    expect(Date.parse(lost.endedAt!)).toBeGreaterThanOrEqual(Date.parse(lost.startedAt));
    expect(Date.parse(lost.startedAt)).toBeGreaterThanOrEqual(Date.parse(subscribed.startedAt));

    const first = await gaps('?limit=1');
    expect((first.json as { items: Gap[] }).items.map((gap) => gap.gapId)).toEqual([lost.gapId]);
    expect((first.json as { nextBefore: number }).nextBefore).toBe(lost.gapId);
    const second = await gaps(`?limit=1&before=${lost.gapId}`);
    expect((second.json as { items: Gap[] }).items.map((gap) => gap.gapId)).toEqual([subscribed.gapId]);

    const refused = await gaps('?limit=0');
    expect(refused.status).toBe(400);
    expect((refused.json as { error: string }).error).toMatch(/limit/);
    // Another tenant's key sees the connection exactly as one that does not exist.
    const foreign = await gaps('', stranger);
    expect(foreign.status).toBe(404);
    expect(foreign.json).toEqual({ error: 'Unknown connection' });
  }, 120_000);

  it("keeps only the newest rows of a connection's gaps", async () => {
    const connectionId = world.connectionIds[0]!;
    const admin = await insertKey(gw.pool, 'admin', 'all');
    const opened: string[] = [];
    for (let i = 0; i < 3; i++)
      opened.push(
        await world.store.openGap({
          connectionId,
          cause: 'subscribed',
          collectorId: 'bound-test',
          instant: true,
          keepPerConnection: 2,
        }),
      );
    const reply = await gw.request('GET', `/api/v1/connections/${connectionId}/gaps`, { key: admin });
    expect((reply.json as { items: Gap[] }).items.map((gap) => String(gap.gapId))).toEqual(
      opened.slice(1).reverse(),
    );
  });
});
