import { describe, expect, it } from 'vitest';
import { assignPartitions, ownerOf, partitionsOwnedBy } from './rendezvous';

const members = (n: number) => Array.from({ length: n }, (_, i) => `gateway-${i}`);
const moved = (a: Map<number, string>, b: Map<number, string>) =>
  [...a].filter(([partition, owner]) => b.get(partition) !== owner);
const loads = (owners: Map<number, string>) => {
  const counts = new Map<string, number>();
  for (const owner of owners.values()) counts.set(owner, (counts.get(owner) ?? 0) + 1);
  return counts;
};

describe('rendezvous ownership of partitions, with bounded loads', () => {
  it('gives every partition exactly one owner, the same whatever the order of the member list', () => {
    const list = members(5);
    const owners = assignPartitions(list, 64);
    expect(owners.size).toBe(64);
    expect(assignPartitions([...list].reverse(), 64)).toEqual(owners);
    for (const owner of owners.values()) expect(list).toContain(owner);
  });

  it('has no owner without members, and one member owns everything', () => {
    expect(ownerOf([], 3, 6)).toBeUndefined();
    expect(partitionsOwnedBy(['only'], 12, 'only')).toEqual(Array.from({ length: 12 }, (_, i) => i));
  });

  it('never leaves a member more than ceil(P/N) partitions, so few partitions still spread', () => {
    // Plain rendezvous splits 6 partitions over 3 members as 0/5/1 for some member sets.
    for (let set = 0; set < 200; set += 1) {
      const list = [`a-${set}`, `b-${set}`, `c-${set}`];
      const counts = loads(assignPartitions(list, 6));
      expect([...counts.values()].sort()).toEqual([2, 2, 2]);
    }
    for (const count of loads(assignPartitions(members(4), 4_001)).values())
      expect(count).toBeLessThanOrEqual(1_001);
  });

  it('moves little more than 1/N of the partitions when a member joins, most of them to it', () => {
    const before = assignPartitions(members(3), 3_000);
    const after = assignPartitions(members(4), 3_000);
    const changed = moved(before, after);
    const toNew = changed.filter(([partition]) => after.get(partition) === 'gateway-3').length;
    expect(toNew).toBe(750);
    expect(changed.length).toBeLessThan(3_000 / 4 + 300);
  });

  it('moves little more than the partitions of a member that leaves', () => {
    const before = assignPartitions(members(4), 1_000);
    const after = assignPartitions(
      members(4).filter((m) => m !== 'gateway-1'),
      1_000,
    );
    const lost = [...before].filter(([, owner]) => owner === 'gateway-1').length;
    const changed = moved(before, after);
    for (const [partition] of changed.filter(([, owner]) => owner === 'gateway-1'))
      expect(after.get(partition)).not.toBe('gateway-1');
    expect(changed.length).toBeGreaterThanOrEqual(lost);
    expect(changed.length).toBeLessThan(lost + 100);
  });
});
