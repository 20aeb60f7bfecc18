import { waitFor } from '@celeriac/tests/harness/wait-for';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type CollectorProcess,
  createWorld,
  publishEvents,
  readEvents,
  spawnCollector,
  waitForEventQueue,
} from '../testing/collector-harness';

// Two collector replicas share three connections through PostgreSQL leases, with the production
// lease timings (TTL 9 s, renew 2 s).
describe('collector leases', () => {
  let world: Awaited<ReturnType<typeof createWorld>>;
  const collectors: CollectorProcess[] = [];
  let kafka: Awaited<ReturnType<typeof readEvents>>;
  const timings = { CELERIAC_LEASE_TTL_MS: '9000', CELERIAC_LEASE_RENEW_MS: '2000' };

  beforeAll(async () => {
    world = await createWorld({
      vhostCount: 3,
      connectionOptions: { inspectIntervalMs: 0, queueSampleIntervalMs: 0 },
    });
    kafka = await readEvents(world.eventsTopic);
  });
  afterAll(async () => {
    for (const collector of collectors) await collector.kill();
    await kafka?.stop();
    await world?.cleanup();
  });

  const owners = async () =>
    Promise.all(world.connectionIds.map(async (id) => (await world.store.leaseOwner(id))?.ownerId));

  it("consumes each connection exactly once, and moves a dead replica's connections within 15 s", async () => {
    collectors.push(
      ...(await Promise.all([
        spawnCollector({ ...world.env, ...timings }),
        spawnCollector({ ...world.env, ...timings }),
      ])),
    );
    const ids = collectors.map((collector) => collector.id);
    await waitFor('all three connections leased', async () =>
      (await owners()).every((owner) => owner && ids.includes(owner)),
    );
    await Promise.all(
      world.connectionIds.map((id, index) => waitForEventQueue(world.vhosts[index]!.url, id)),
    );

    await Promise.all(world.vhosts.map((vhost) => publishEvents(vhost.url, 100)));
    await waitFor('300 events in Kafka', () => kafka.records.length >= 300);
    const perConnection = new Map<string, Set<string>>();
    for (const { key, value } of kafka.records) {
      expect(value.connectionId).toBe(key);
      const seen = perConnection.get(key) ?? new Set();
      expect(seen.has(value.eventId), 'an event was delivered twice').toBe(false);
      perConnection.set(key, seen.add(value.eventId));
    }
    expect([...perConnection.keys()].sort()).toEqual([...world.connectionIds].sort());
    expect([...perConnection.values()].map((set) => set.size)).toEqual([100, 100, 100]);

    const before = await owners();
    const victim = collectors.find((collector) => before.includes(collector.id))!;
    const survivor = collectors.find((collector) => collector !== victim)!;
    const moved = world.connectionIds.filter((_id, index) => before[index] === victim.id);
    const killedAt = Date.now();
    await victim.kill('SIGKILL');
    await waitFor(
      'the survivor to own every connection',
      async () => (await owners()).every((owner) => owner === survivor.id),
      { timeoutMs: 20_000, intervalMs: 100 },
    );
    await Promise.all(
      moved.map((id) => waitForEventQueue(world.vhosts[world.connectionIds.indexOf(id)]!.url, id)),
    );
    const takeoverMs = Date.now() - killedAt;
    expect(takeoverMs).toBeLessThan(15_000);

    await Promise.all(
      moved.map((id) => publishEvents(world.vhosts[world.connectionIds.indexOf(id)]!.url, 50)),
    );
    await waitFor(
      'events of the moved connections in Kafka',
      () => kafka.records.length >= 300 + 50 * moved.length,
    );
    const lease = await world.store.leaseOwner(moved[0]!);
    expect(lease?.ownerGrpcAddress).toBe(`127.0.0.1:${survivor.grpcPort}`);
  });

  it('releases its leases on SIGTERM so a peer takes over at its next claim, not after the TTL', async () => {
    const holder = collectors.find(
      (collector) => collector.child.exitCode === null && collector.child.signalCode === null,
    )!;
    await waitFor('the holder to own every connection', async () =>
      (await owners()).every((owner) => owner === holder.id),
    );
    const peer = await spawnCollector({ ...world.env, ...timings });
    collectors.push(peer);
    const exited = new Promise<number | null>((resolve) =>
      holder.child.once('exit', (code) => resolve(code)),
    );
    await holder.kill('SIGTERM');
    expect(await exited).toBe(0);
    // Released, not expired: nothing of the holder is left in the lease table right after it exits.
    expect((await owners()).some((owner) => owner === holder.id)).toBe(false);
    await waitFor(
      'the peer to own every connection',
      async () => (await owners()).every((owner) => owner === peer.id),
      { timeoutMs: 10_000 },
    );
  });
});
