import { silentLogger } from '@celeriac/service-runtime/logger';
import { describe, expect, it } from 'vitest';
import type { KeyStreamsStore } from '../data/key-streams-store';
import { createFleetStreamLimit } from './fleet-stream-limit';

/** A store whose calls finish when the test says, recording the count each one wrote. */
function heldStore() {
  const written: number[] = [];
  const pending: Array<() => void> = [];
  const later = <T>(run: () => T) =>
    new Promise<T>((resolve) => {
      pending.push(() => resolve(run()));
    });
  const store: KeyStreamsStore = {
    admit: (_caller, local, limit) =>
      later(() => {
        written.push(local());
        return local() <= limit;
      }),
    record: (_caller, streams) =>
      later(() => {
        written.push(streams);
      }),
  };
  return { store, written, pending };
}

describe('fleet stream limit', () => {
  it("writes one key's counts one after the other, each with the count current when it runs", async () => {
    const { store, written, pending } = heldStore();
    let local = 1;
    const fleet = createFleetStreamLimit({ store, limit: 5, local: () => local, logger: silentLogger });
    const admitted = fleet.admit('k');
    await expect.poll(() => pending.length).toBe(1);
    fleet.released('k');
    await Promise.resolve();
    // The release waits for the admission: it has not reached the store yet.
    expect(pending).toHaveLength(1);
    // Another stream opened meanwhile: the admission writes the count as it is when it runs.
    local = 2;
    pending.shift()?.();
    expect(await admitted).toBe(true);
    await expect.poll(() => pending.length).toBe(1);
    pending.shift()?.();
    await expect.poll(() => written).toEqual([2, 2]);
  });

  it('admits on the local limit alone when the database fails', async () => {
    const store: KeyStreamsStore = {
      admit: async () => {
        throw new Error('database down');
      },
      record: async () => {},
    };
    const fleet = createFleetStreamLimit({ store, limit: 1, local: () => 1, logger: silentLogger });
    expect(await fleet.admit('k')).toBe(true);
  });
});
