import { describe, expect, it } from 'vitest';
import type { ThroughputRow } from '../data/overview-store';
import { cachedThroughput } from './throughput-cache';

/** A store over a list of success times, recording which windows it was asked to count. */
function store(successes: number[]) {
  const asked: Array<[number, number]> = [];
  const load = async (_connection: string, w: { from: number; to: number; bucketSeconds: number }) => {
    asked.push([w.from, w.to]);
    const counts = new Map<number, number>();
    for (const t of successes)
      if (t >= w.from && t < w.to) {
        const bucket = Math.floor((t - w.from) / w.bucketSeconds);
        counts.set(bucket, (counts.get(bucket) ?? 0) + 1);
      }
    return [...counts].map(
      ([bucket, succeeded]): ThroughputRow => ({ bucket, succeeded, failed: 0, retried: 0 }),
    );
  };
  return { asked, load };
}

describe('cachedThroughput', () => {
  it('counts closed buckets once and then only the open one, with the same answer as a full count', async () => {
    const successes = [5, 15, 15, 25, 35];
    const { asked, load } = store(successes);
    let now = 0;
    const cached = cachedThroughput(load, () => now);
    const first = await cached('c', { from: 0, to: 40, bucketSeconds: 10 });
    expect(first.map((r) => [r.bucket, r.succeeded])).toEqual([
      [0, 1],
      [1, 2],
      [2, 1],
      [3, 1],
    ]);
    successes.push(38, 45);
    now = 1_000;
    const second = await cached('c', { from: 10, to: 50, bucketSeconds: 10 });
    expect(asked.at(-1)).toEqual([30, 50]);
    expect(second).toEqual(await store(successes).load('c', { from: 10, to: 50, bucketSeconds: 10 }));
  });

  it('recounts everything after ten minutes, so late events show', async () => {
    const { asked, load } = store([5]);
    let now = 0;
    const cached = cachedThroughput(load, () => now);
    await cached('c', { from: 0, to: 40, bucketSeconds: 10 });
    now = 10 * 60_000;
    await cached('c', { from: 0, to: 40, bucketSeconds: 10 });
    expect(asked).toEqual([
      [0, 40],
      [0, 40],
    ]);
  });
});
