import { describe, expect, it } from 'vitest';
import { TooManyRequestsError, UnavailableError } from '../errors';
import { createResultWaiter } from './result-waiter';

/** A task that never finishes and a clock that only moves when the waiter sleeps. */
function pendingForever() {
  let now = 0;
  const sleepers: Array<() => void> = [];
  return {
    now: () => now,
    load: async () => undefined,
    delay: (ms: number) =>
      new Promise<void>((resolve) =>
        sleepers.push(() => {
          now += ms;
          resolve();
        }),
      ),
    wakeAll() {
      for (const wake of sleepers.splice(0)) wake();
    },
  };
}

describe('result waiter', () => {
  it('counts running waits per connection, refusing that connection only', async () => {
    const task = pendingForever();
    const waiter = createResultWaiter({ ...task, maxPerConnection: 2, maxConcurrent: 10 });
    const running = [waiter.waitReady('a', 't1', 5), waiter.waitReady('a', 't2', 5)];
    await expect(waiter.waitReady('a', 't3', 5)).rejects.toBeInstanceOf(TooManyRequestsError);
    const other = waiter.waitReady('b', 't1', 0);
    expect(await other).toBeUndefined();
    for (let i = 0; i < 20; i += 1) {
      task.wakeAll();
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(await Promise.all(running)).toEqual([undefined, undefined]);
    const again = waiter.waitReady('a', 't3', 0);
    expect(await again).toBeUndefined();
  });

  it('stops polling as soon as its client is gone', async () => {
    const task = pendingForever();
    const waiter = createResultWaiter({ ...task, maxPerConnection: 1 });
    const gone = new AbortController();
    const wait = waiter.waitReady('a', 't1', 300, gone.signal);
    await new Promise((resolve) => setImmediate(resolve));
    gone.abort();
    task.wakeAll();
    expect(await wait).toBeUndefined();
    // Its place on the connection is free again.
    expect(await waiter.waitReady('a', 't2', 0)).toBeUndefined();
  });

  it('keeps the replica-wide cap as a 503', async () => {
    const task = pendingForever();
    const waiter = createResultWaiter({ ...task, maxConcurrent: 1 });
    void waiter.waitReady('a', 't1', 5);
    await expect(waiter.waitReady('b', 't2', 5)).rejects.toBeInstanceOf(UnavailableError);
  });
});
