import { describe, expect, it } from 'vitest';
import { ReplayRing } from './replay-ring';
import type { StreamEntry } from './stream-entries';

const entry = (partition: number, offset: number): StreamEntry => ({
  partition,
  offset,
  connectionId: 'c',
  taskUuid: null,
  wsFrame: null,
  sse: [],
  bytes: 100,
});

describe('ReplayRing', () => {
  it('keeps the newest entries and knows from where a partition is whole', () => {
    const ring = new ReplayRing(3);
    ring.startPartition(0, 5);
    ring.startPartition(1, 0);
    expect(ring.covers(0, 5)).toBe(true);
    expect(ring.covers(0, 4)).toBe(false);
    for (const e of [entry(0, 5), entry(1, 0), entry(0, 6), entry(0, 7)]) ring.push(e);
    expect(ring.size).toBe(3);
    expect(ring.covers(0, 5)).toBe(false);
    expect(ring.covers(0, 6)).toBe(true);
    expect([...ring.entries((e) => e.partition === 0)].map((e) => e.offset)).toEqual([6, 7]);
    ring.push(entry(0, 8));
    expect(ring.covers(1, 0)).toBe(false);
    expect(ring.covers(1, 1)).toBe(true);
  });
});

describe('ReplayRing sequence numbers', () => {
  it('addresses entries by a number that survives eviction of others', () => {
    const ring = new ReplayRing(2);
    ring.startPartition(0, 0);
    for (const offset of [0, 1, 2]) ring.push(entry(0, offset));
    expect(ring.oldestSeq).toBe(1);
    expect(ring.endSeq).toBe(3);
    expect(ring.at(0)).toBeUndefined();
    expect(ring.at(1)?.offset).toBe(1);
    expect(ring.at(2)?.offset).toBe(2);
    expect(ring.at(3)).toBeUndefined();
  });
});

describe('ReplayRing task index', () => {
  it('knows which tasks it holds, forgetting evicted ones', () => {
    const ring = new ReplayRing(2);
    ring.startPartition(0, 0);
    const task = (offset: number, uuid: string): StreamEntry => ({ ...entry(0, offset), taskUuid: uuid });
    ring.push(task(0, 'a'));
    ring.push(task(1, 'b'));
    expect(ring.holdsTask('c', 'a')).toBe(true);
    ring.push(task(2, 'b'));
    expect(ring.holdsTask('c', 'a')).toBe(false);
    expect(ring.holdsTask('c', 'b')).toBe(true);
    expect(ring.holdsTask('other', 'b')).toBe(false);
  });
});

describe('ReplayRing byte budget', () => {
  it('evicts the oldest entries to stay within its bytes, whatever its entry count', () => {
    const ring = new ReplayRing(1_000, 1_000);
    ring.startPartition(0, 0);
    const sized = (offset: number, bytes: number): StreamEntry => ({ ...entry(0, offset), bytes });
    for (let offset = 0; offset < 10; offset += 1) ring.push(sized(offset, 300));
    expect(ring.bytes).toBe(900);
    expect(ring.size).toBe(3);
    expect(ring.covers(0, 7)).toBe(true);
    expect(ring.covers(0, 6)).toBe(false);
    // Larger than the whole budget: held alone, so the ring stays contiguous.
    ring.push(sized(10, 5_000));
    expect(ring.size).toBe(1);
    expect(ring.bytes).toBe(5_000);
    ring.push(sized(11, 10));
    expect(ring.size).toBe(1);
    expect(ring.at(ring.oldestSeq)?.offset).toBe(11);
  });
});
