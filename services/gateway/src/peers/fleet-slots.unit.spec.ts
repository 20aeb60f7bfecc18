import { silentLogger } from '@celeriac/service-runtime/logger';
import { describe, expect, it } from 'vitest';
import { createConcurrencyQuotas, type QuotaLimits } from '../auth/concurrency-quotas';
import type { FleetScope, FleetSlotsStore, HeldHere } from '../data/fleet-slots-store';
import { acquireAcrossFleet, createFleetSlots } from './fleet-slots';

const LIMITS: QuotaLimits = {
  stream: { perKey: 5, perConnection: 5 },
  'result-wait': { perKey: 5, perConnection: 5 },
  refresh: { perKey: 5, perConnection: 5 },
  'catch-up': { perKey: 5, perConnection: 5 },
};
const FLEET = { stream: { key: 2, connection: 3 }, 'result-wait': { key: 2, connection: 3 } };

/** A store whose calls finish when the test says, recording the counts each one wrote. */
function heldStore(othersHold: HeldHere = { key: 0, connection: 0 }) {
  const written: HeldHere[] = [];
  const pending: Array<() => void> = [];
  const later = <T>(run: () => T) => new Promise<T>((resolve) => pending.push(() => resolve(run())));
  const store: FleetSlotsStore = {
    admit: (_kind, _holder, local, limits) =>
      later((): FleetScope | null => {
        const mine = local();
        if (othersHold.key + mine.key > limits.key) return 'key';
        if (othersHold.connection + mine.connection > limits.connection) return 'connection';
        written.push(mine);
        return null;
      }),
    record: (_kind, _holder, held) => later(() => void written.push(held)),
  };
  /** Lets the next store call finish, once it has been made. */
  const settleNext = async () => {
    await expect.poll(() => pending.length).toBeGreaterThan(0);
    pending.shift()?.();
  };
  return { store, written, pending, settleNext };
}

const setup = (othersHold?: HeldHere) => {
  const quotas = createConcurrencyQuotas(LIMITS);
  const db = heldStore(othersHold);
  const refused: string[] = [];
  const fleet = createFleetSlots({
    store: db.store,
    limits: FLEET,
    local: quotas.held,
    logger: silentLogger,
    onRefused: (kind, scope) => refused.push(`${kind}/${scope}`),
  });
  return { quotas, fleet, refused, ...db };
};

describe('fleet slots', () => {
  it("writes one connection's counts in order, even when two keys share it, each with the counts when it runs", async () => {
    const { quotas, fleet, written, pending, settleNext } = setup();
    const a = acquireAcrossFleet(quotas, fleet, 'result-wait', { caller: 'a', connectionId: 'c' });
    const b = acquireAcrossFleet(quotas, fleet, 'result-wait', { caller: 'b', connectionId: 'c' });
    await expect.poll(() => pending.length).toBe(1);
    // b's admission waits for a's: they share the connection's row.
    pending.shift()?.();
    const first = await a;
    await expect.poll(() => pending.length).toBe(1);
    pending.shift()?.();
    expect((await b).ok).toBe(true);
    if (first.ok) first.release();
    await settleNext();
    await expect
      .poll(() => written)
      .toEqual([
        { key: 1, connection: 2 },
        { key: 1, connection: 2 },
        { key: 0, connection: 1 },
      ]);
  });

  it('refuses by the scope whose limit the other replicas filled, holding nothing afterwards', async () => {
    const { quotas, fleet, refused, written, settleNext } = setup({ key: 0, connection: 3 });
    const pendingSlot = acquireAcrossFleet(quotas, fleet, 'stream', { caller: 'a', connectionId: 'c' });
    await settleNext();
    const slot = await pendingSlot;
    expect(slot.ok).toBe(false);
    if (!slot.ok) {
      expect(slot.message).toBe(
        'Too many open streams for this connection across the gateway replicas (limit 3); retry later',
      );
      expect(slot.retryAfterSeconds).toBe(1);
    }
    expect(refused).toEqual(['stream/connection']);
    expect(quotas.held('stream', 'a')).toBe(0);
    expect(quotas.held('stream', 'c', 'connection')).toBe(0);
    // The undone admission writes zeros: the fleet counts nothing for it.
    await settleNext();
    await expect.poll(() => written).toEqual([{ key: 0, connection: 0 }]);
  });

  it('leaves worker refreshes and catch-ups to each replica', async () => {
    const { quotas, fleet, pending } = setup();
    const slot = await acquireAcrossFleet(quotas, fleet, 'refresh', { caller: 'a', connectionId: 'c' });
    expect(slot.ok).toBe(true);
    expect(pending).toHaveLength(0);
  });

  it('admits on the local limits alone when the database fails', async () => {
    const quotas = createConcurrencyQuotas(LIMITS);
    const fleet = createFleetSlots({
      store: {
        admit: async () => {
          throw new Error('database down');
        },
        record: async () => {},
      },
      limits: FLEET,
      local: quotas.held,
      logger: silentLogger,
    });
    const slot = await acquireAcrossFleet(quotas, fleet, 'stream', { caller: 'a', connectionId: 'c' });
    expect(slot.ok).toBe(true);
  });
});
