import { silentLogger } from '@celeriac/service-runtime/logger';
import { describe, expect, it } from 'vitest';
import { createLeaseManager } from './lease-manager';

/** An in-memory stand-in for the lease SQL (unit tier only): just enough to drive the manager's logic. */
function fakeStore(options: { connections: string[]; otherOwners?: number }) {
  const owner = new Map<string, string>();
  let failing = false;
  const store = {
    async renewLeases(ownerId: string, ids: string[]) {
      if (failing) throw new Error('db down');
      return ids.filter((id) => owner.get(id) === ownerId);
    },
    async leaseCensus() {
      if (failing) throw new Error('db down');
      return { connections: options.connections.length, otherOwners: options.otherOwners ?? 0 };
    },
    async claimLeases(claim: { ownerId: string; limit: number }) {
      if (failing) throw new Error('db down');
      const free = options.connections.filter((id) => !owner.has(id)).slice(0, Math.max(0, claim.limit));
      for (const id of free) owner.set(id, claim.ownerId);
      return free;
    },
    async releaseLeases(ownerId: string, ids: string[]) {
      for (const id of ids) if (owner.get(id) === ownerId) owner.delete(id);
    },
  };
  return { store, owner, fail: (value: boolean) => (failing = value) };
}

function manager(store: ReturnType<typeof fakeStore>['store'], clock: { now: number }) {
  const events: string[] = [];
  const leases = createLeaseManager({
    store,
    ownerId: 'me',
    grpcAddress: () => '127.0.0.1:50051',
    ttlMs: 9000,
    renewMs: 60_000, // ticks are driven by start(); the timer never fires within a test
    clock: () => clock.now,
    logger: silentLogger,
    onAcquired: async (id) => void events.push(`+${id}`),
    onLost: async (id) => void events.push(`-${id}`),
  });
  return { leases, events };
}

describe('lease manager', () => {
  it('given free connections and no peers, claims them all on start', async () => {
    const { store } = fakeStore({ connections: ['a', 'b', 'c'] });
    const { leases, events } = manager(store, { now: 0 });
    await leases.start();
    expect(events).toEqual(['+a', '+b', '+c']);
    expect(leases.owns('b')).toBe(true);
    await leases.stop();
  });

  it('given a live peer, claims only its fair share', async () => {
    const { store } = fakeStore({ connections: ['a', 'b', 'c'], otherOwners: 1 });
    const { leases, events } = manager(store, { now: 0 });
    await leases.start();
    expect(events).toEqual(['+a', '+b']);
    await leases.stop();
  });

  it('on stop, stops every connection and releases the leases', async () => {
    const fake = fakeStore({ connections: ['a', 'b'] });
    const { leases, events } = manager(fake.store, { now: 0 });
    await leases.start();
    await leases.stop();
    expect(events).toEqual(['+a', '+b', '-a', '-b']);
    expect(fake.owner.size).toBe(0);
  });

  it('when a failed acquisition throws, releases that lease and keeps the others', async () => {
    const fake = fakeStore({ connections: ['a', 'b'] });
    const leases = createLeaseManager({
      store: fake.store,
      ownerId: 'me',
      grpcAddress: () => 'x',
      ttlMs: 9000,
      renewMs: 60_000,
      clock: () => 0,
      logger: silentLogger,
      onAcquired: async (id) => {
        if (id === 'a') throw new Error('cannot decrypt');
      },
      onLost: async () => undefined,
    });
    await leases.start();
    expect(leases.owns('a')).toBe(false);
    expect(leases.owns('b')).toBe(true);
    expect(fake.owner.get('a')).toBeUndefined();
    await leases.stop();
  });
});
